"""Compare two versions of the SDK in one process, request by request (for proving a change).

A git revision of the package is exported under another name (``c66base``: the package imports
itself relatively, so a renamed copy works side by side with the checkout), and both clients,
plus raw aiohttp reading the bytes, send ``GET /stacks/{uid}`` to the cheap server in turn: one
request of each side per step, the order turning each step, each request timed alone in client
CPU time, in blocks. What it prints, per block: the difference between the two SDKs (``new -
base``) and each SDK's overhead over raw aiohttp, for ``stacks.get`` and ``request()``; the
median with its min..max over the blocks. Both SDKs see the same server, connection state,
machine load and caches, so a difference of a few microseconds shows, where two separate runs
of benchmark 8 differ by more than that.

    python benchmarks/ab_sdk.py main                 # the checkout against main
    python benchmarks/ab_sdk.py HEAD~1 --blocks 24   # against the previous commit
    python benchmarks/ab_sdk.py main --inflight 10   # 10 requests in flight per side

With ``--inflight C`` each side sends batches of requests from C concurrent tasks (benchmark 9's
shape) instead of one request at a time, the sides taking turns batch by batch (the order
turning each time), each batch timed in client CPU per request; a block's figure is the mean of
its batches. Both clients then have ``max_concurrency=C``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from _harness import CheapServer, sdk_headers
from bench_requests import interleave, raw_read

import cloud66_async

ROOT = Path(__file__).resolve().parent.parent


def export(revision: str, into: Path) -> None:
    """Write ``revision``'s ``cloud66_async`` package to ``into/c66base``."""
    archive = into / "base.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "archive", revision, "cloud66_async"], cwd=ROOT, stdout=out, check=True
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (into / "cloud66_async").rename(into / "c66base")


async def in_flight(
    sides: dict[str, Callable[[], Awaitable[object]]],
    *,
    concurrency: int,
    blocks: int,
    steps: int,
    batches: int = 5,
) -> dict[str, list[float]]:
    """Each side's mean client CPU microseconds per request, per block, with ``concurrency``
    requests in flight: ``batches`` batches of ``steps`` requests per side in each block, the
    sides taking turns batch by batch."""
    names = list(sides)
    per_task = max(1, steps // concurrency)

    async def batch(send: Callable[[], Awaitable[object]]) -> float:
        async def task() -> None:
            for _ in range(per_task):
                await send()

        started = time.process_time()
        await asyncio.gather(*(task() for _ in range(concurrency)))
        return (time.process_time() - started) / (per_task * concurrency) * 1e6

    for name in names:  # warm-up
        await batch(sides[name])
    out: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(blocks):
        gc.collect()
        spent: dict[str, list[float]] = {name: [] for name in names}
        for turn in range(batches):
            shift = turn % len(names)
            for name in names[shift:] + names[:shift]:
                spent[name].append(await batch(sides[name]))
        for name in names:
            out[name].append(statistics.fmean(spent[name]))
    return out


async def measure(
    base: Any, blocks: int, steps: int, concurrency: int | None = None
) -> dict[str, list[float]]:
    """Each side's mean client CPU microseconds per request, per block."""
    with CheapServer(pages=2) as server:
        uid, path = server.stack_uid, f"/stacks/{server.stack_uid}"
        url = server.base_url + path
        headers = await sdk_headers(server.base_url, server.token)
        async with contextlib.AsyncExitStack() as exits:
            options: dict[str, Any] = {"base_url": server.base_url, "rate_limit": None}
            if concurrency is not None:
                options["max_concurrency"] = concurrency
            old = await exits.enter_async_context(base.Client(server.token, **options))
            new = await exits.enter_async_context(cloud66_async.Client(server.token, **options))
            session = await exits.enter_async_context(aiohttp.ClientSession())

            sides: dict[str, Callable[[], Awaitable[object]]] = {
                "base.get": lambda: old.stacks.get(uid),
                "new.get": lambda: new.stacks.get(uid),
                "base.request": lambda: old.request("GET", path),
                "new.request": lambda: new.request("GET", path),
                "raw": lambda: raw_read(session, url, headers),
            }
            assert (await old.stacks.get(uid)).uid == (await new.stacks.get(uid)).uid == uid
            if concurrency is not None:
                return await in_flight(sides, concurrency=concurrency, blocks=blocks, steps=steps)
            return await interleave(sides, blocks=blocks, steps=steps)


def difference(out: dict[str, list[float]], a: str, b: str) -> str:
    diffs = [x - y for x, y in zip(out[a], out[b], strict=True)]
    return f"{statistics.median(diffs):+.1f} [{min(diffs):+.1f}..{max(diffs):+.1f}] us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare the checkout with")
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument(
        "--inflight", type=int, default=None, metavar="C", help="C requests in flight per side"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export(options.revision, Path(tmp))
        sys.path.insert(0, tmp)
        base = importlib.import_module("c66base")
        out = asyncio.run(measure(base, options.blocks, options.steps, options.inflight))
    shape = (
        f"{options.steps} steps"
        if options.inflight is None
        else f"5 batches of {options.steps} requests, {options.inflight} in flight"
    )
    print(f"{options.blocks} blocks of {shape}; client CPU us per request")
    print("medians: " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in out.items()))
    for label, key in (("stacks.get", "get"), ("request()", "request")):
        print(
            f"{label}: new - base {difference(out, f'new.{key}', f'base.{key}')}; "
            f"base - raw {difference(out, f'base.{key}', 'raw')}; "
            f"new - raw {difference(out, f'new.{key}', 'raw')}"
        )


if __name__ == "__main__":
    main()
