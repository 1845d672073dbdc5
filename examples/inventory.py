"""Write one row per server of every stack, as CSV (the default) or JSON Lines.

    export CLOUD66_ACCESS_TOKEN=...                  # and CLOUD66_URL for another API
    python examples/inventory.py > servers.csv
    python examples/inventory.py --format jsonl --output servers.jsonl

What it shows: a bulk query with ``client.fan_out``, which lists the servers of many stacks at
once while every request still goes through the client's one rate budget and throttle gate; a
stack that fails is reported and the others still complete. Rows are written as each stack's
servers arrive (so not in stack order: pipe through ``sort`` if you diff inventories). Progress
goes to stderr, and only to a terminal, so the rows on stdout stay clean. The exit status is 0
when every stack was listed, 1 when some were not, 2 for bad usage or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO

import cloud66_async as c66
from cloud66_async.models import Server, Stack

COLUMNS = (
    "stack",
    "environment",
    "stack_uid",
    "server",
    "server_uid",
    "address",
    "server_type",
    "roles",
)

Row = dict[str, str | None]


def server_rows(stack: Stack, servers: list[Server]) -> list[Row]:
    return [
        {
            "stack": stack.name,
            "environment": stack.environment,
            "stack_uid": stack.uid,
            "server": server.name,
            "server_uid": server.uid,
            "address": server.address,
            "server_type": (server.server_type or "").strip() or None,
            "roles": " ".join(server.server_roles or ()) or None,
        }
        for server in servers
    ]


class RowWriter:
    """Write rows as CSV with a header, or as one JSON object per line."""

    def __init__(self, out: IO[str], fmt: str) -> None:
        self.out = out
        self.csv = csv.DictWriter(out, fieldnames=COLUMNS) if fmt == "csv" else None
        if self.csv is not None:
            self.csv.writeheader()

    def write(self, rows: list[Row]) -> None:
        if self.csv is not None:
            self.csv.writerows(rows)  # None becomes an empty cell
        else:
            self.out.writelines(json.dumps(row) + "\n" for row in rows)
        # Flushed per stack, so a long run shows its rows (in a pipe too) as they come.
        self.out.flush()


@contextlib.contextmanager
def progress(total: int) -> Iterator[Callable[[], None]]:
    """Yield a function to call once per stack done: a bar on a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    try:
        # rich comes with the SDK's `cli` extra; without it the inventory simply shows no bar.
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:
        yield lambda: None
        return
    # stdout carries the rows: rich must not capture it (it would by default).
    with Progress(console=Console(stderr=True), transient=True, redirect_stdout=False) as bar:
        task = bar.add_task("stacks", total=total)
        yield lambda: bar.advance(task)


async def inventory(client: c66.Client, writer: RowWriter, concurrency: int) -> int:
    """Write every server's row; return how many stacks failed."""
    started = time.monotonic()
    stacks = await client.stacks.list().collect()  # a few pages at most; gives the bar a total

    async def servers_of(stack: Stack) -> list[Server]:
        return await client.servers.list(stack.uid).collect()

    servers = failed = 0
    with progress(len(stacks)) as advance:
        # fan_out runs `concurrency` stacks at a time and yields each outcome as it ends;
        # one failure cancels nothing, so the loop sees every stack exactly once.
        async for outcome in client.fan_out(stacks, servers_of, concurrency=concurrency):
            stack = outcome.item
            if outcome.error is not None:
                failed += 1
                print(
                    f"inventory: stack {stack.name} ({stack.environment}, {stack.uid}) failed: "
                    f"{outcome.error}",
                    file=sys.stderr,
                )
            else:
                found = outcome.unwrap()
                servers += len(found)
                writer.write(server_rows(stack, found))
            advance()
    summary = (
        f"inventory: {len(stacks)} stacks, {servers} servers, "
        f"{client.requests_sent} requests, {time.monotonic() - started:.2f}s"
    )
    if failed:
        summary += f"; {failed} stack{'s' if failed > 1 else ''} failed"
    print(summary, file=sys.stderr)
    return failed


async def run(out: IO[str], fmt: str, concurrency: int) -> int:
    # The Client reads CLOUD66_ACCESS_TOKEN and CLOUD66_URL.
    async with c66.Client() as client:
        try:
            failed = await inventory(client, RowWriter(out, fmt), concurrency)
        except c66.Cloud66Error as exc:  # the stack list itself could not be read
            print(f"inventory: cannot list the stacks: {exc}", file=sys.stderr)
            return 1
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="List every server of every Cloud 66 stack.")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--concurrency", type=int, default=10, help="stacks listed at once (default 10)"
    )
    args = parser.parse_args()
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    try:
        # Opened before any request, so a bad path costs no API budget.
        with (
            open(args.output, "w", newline="", encoding="utf-8")
            if args.output
            else contextlib.nullcontext(sys.stdout)
        ) as out:
            return asyncio.run(run(out, args.format, args.concurrency))
    except c66.ConfigError as exc:  # no token, a bad CLOUD66_URL
        print(f"inventory: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output file cannot be written
        if isinstance(exc, BrokenPipeError):
            # `inventory.py | head`: the reader left. Point stdout at /dev/null so that
            # Python's own flush at exit does not fail again, and stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        print(f"inventory: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
