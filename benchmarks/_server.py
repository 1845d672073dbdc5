"""Serve one FakeCloud66 in its own process for the benchmarks, controlled over stdin/stdout.

    python benchmarks/_server.py --stacks 1 --servers-per-stack 6000 --per-page 30

The fake listens on a free port of 127.0.0.1. Once it is up, the first line on stdout is a JSON
object: ``{"base_url": ..., "token": ..., "stack_uids": [...], "pid": ...}``. After that every
line read on stdin is one JSON command and gets exactly one JSON line back on stdout (see
``_COMMANDS``); nothing else is ever written to stdout. End of stdin (the parent went away)
stops the server.

The fake cuts a list's page before it renders the page's items, so a 6,000-server stack costs
one page of copies per request and the client, not the fake, is what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any

from cloud66_async.testing import FakeCloud66


def _grow_servers(fake: FakeCloud66, uid: str, total: int) -> None:
    """Give stack ``uid`` ``total`` servers by copying its seeded ones under fresh uids.

    The fake's seeder picks names in O(n) per server, so 10,000 servers would take seconds
    to seed; copies with new uids, names and ids serve the same bytes per page much sooner.
    """
    state = fake.state
    record = state.stacks[uid]
    seeded = list(record.servers)
    if not seeded:
        raise SystemExit("--servers-total needs --servers-per-stack >= 1")
    for i in range(len(seeded), total):
        server = copy.deepcopy(seeded[i % len(seeded)])
        server["uid"] = f"{0xBE0C << 96 | i:032x}"
        server["name"] = f"{server['name']}-{i}"
        server["_id"] = state.allocate("server")
        record.servers.append(server)


def _log_rows(fake: FakeCloud66) -> list[list[Any]]:
    rows = []
    for entry in fake.request_log:
        rows.append(
            [
                entry.time,
                entry.method,
                entry.path,
                entry.query.get("page"),
                entry.status,
                entry.header("Request-Id"),
                entry.fault,
            ]
        )
    return rows


def _cmd_ping(fake: FakeCloud66, args: dict[str, Any]) -> Any:
    return {"ok": True}


def _cmd_clear_log(fake: FakeCloud66, args: dict[str, Any]) -> Any:
    fake.clear_log()
    return {"ok": True}


def _cmd_log(fake: FakeCloud66, args: dict[str, Any]) -> Any:
    """The request log: [monotonic arrival, method, path, page, status, Request-Id, fault]."""
    return {"log": _log_rows(fake)}


def _cmd_set_rate_limit(fake: FakeCloud66, args: dict[str, Any]) -> Any:
    fake.set_rate_limit(args.get("requests"), float(args.get("window", 3600.0)))
    return {"ok": True}


def _cmd_latency(fake: FakeCloud66, args: dict[str, Any]) -> Any:
    fake.inject_fault(
        args.get("method", "GET"),
        re.compile(args["path"]),
        "latency",
        delay=float(args["delay"]),
        times=None,
    )
    return {"ok": True}


def _cmd_clear_faults(fake: FakeCloud66, args: dict[str, Any]) -> Any:
    fake.clear_faults()
    return {"ok": True}


def _cmd_action_delay(fake: FakeCloud66, args: dict[str, Any]) -> Any:
    fake.action_delay = float(args["seconds"])
    return {"ok": True}


def _cmd_finish_pending(fake: FakeCloud66, args: dict[str, Any]) -> Any:
    fake.finish_pending()
    return {"ok": True}


_COMMANDS: dict[str, Callable[[FakeCloud66, dict[str, Any]], Any]] = {
    "ping": _cmd_ping,
    "clear_log": _cmd_clear_log,
    "log": _cmd_log,
    "set_rate_limit": _cmd_set_rate_limit,
    "latency": _cmd_latency,
    "clear_faults": _cmd_clear_faults,
    "action_delay": _cmd_action_delay,
    "finish_pending": _cmd_finish_pending,
}


def _write(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _control(fake: FakeCloud66) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return  # the parent closed our stdin: stop
        try:
            command = json.loads(line)
            name = command.pop("cmd")
            if name == "quit":
                _write({"ok": True})
                return
            _write(_COMMANDS[name](fake, command))
        except Exception as exc:  # report and keep serving; the caller decides
            _write({"error": f"{type(exc).__name__}: {exc}"})


async def _main(options: argparse.Namespace) -> None:
    rate_limit = None
    if options.rate_limit is not None:
        rate_limit = (int(options.rate_limit[0]), float(options.rate_limit[1]))
    fake = FakeCloud66(
        stacks=options.stacks,
        servers_per_stack=options.servers_per_stack,
        per_page=options.per_page,
        action_delay=options.action_delay,
        rate_limit=rate_limit,
        rate_limit_header_limit=options.header_limit,
        retry_after=options.retry_after,
        host="127.0.0.1",
        port=0,
    )
    uids = fake.stack_uids
    if options.servers_total is not None:
        _grow_servers(fake, uids[0], options.servers_total)
    if options.latency:
        fake.inject_fault(
            "GET", re.compile(options.latency_path), "latency", delay=options.latency, times=None
        )
    async with fake:
        ready = {"base_url": fake.base_url, "token": fake.token, "stack_uids": uids}
        _write({**ready, "pid": os.getpid()})
        await _control(fake)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=1)
    parser.add_argument("--servers-per-stack", type=int, default=3)
    parser.add_argument(
        "--servers-total",
        type=int,
        default=None,
        help="grow the first stack to this many servers (copies of its seeded ones)",
    )
    parser.add_argument("--per-page", type=int, default=30)
    parser.add_argument("--action-delay", type=float, default=0.05)
    parser.add_argument(
        "--rate-limit", nargs=2, metavar=("REQUESTS", "WINDOW"), default=None, help="e.g. 100 1.0"
    )
    parser.add_argument(
        "--header-limit",
        type=int,
        default=3600,
        help="X-RateLimit-Limit (counting down per hour) when no limit is set",
    )
    parser.add_argument("--retry-after", default="fractional")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each GET")
    parser.add_argument("--latency-path", default=r"/stacks/[^/]+/servers")
    options = parser.parse_args(argv)
    asyncio.run(_main(options))


if __name__ == "__main__":
    main()
