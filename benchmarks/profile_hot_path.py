"""Profile the SDK's hot path against the near-free server; print its own functions per request.

    python benchmarks/profile_hot_path.py                  # sequential gets, then pagination
    python benchmarks/profile_hot_path.py --workload get --requests 5000 --top 40
    python benchmarks/profile_hot_path.py --workload inflight --concurrency 10
    python benchmarks/profile_hot_path.py --baseline       # also raw aiohttp, the same workloads
    python benchmarks/profile_hot_path.py --dump /tmp/sdk.pstats    # for snakeviz / pstats

Each workload runs against ``_cheap_server.py`` (own process) after an untimed warm-up, under
``cProfile`` (wall-clock timer). The report is per request, in microseconds:

* the total the profiler saw, and how much of it was the event loop waiting in ``epoll`` (idle:
  the server's turn, not the client's work);
* the share of each package (own time, ``tottime``): the SDK, aiohttp, yarl, multidict,
  msgspec, anyio, attrs, asyncio, the rest of the standard library, built-ins;
* the SDK's own functions (any file under the installed ``cloud66_async`` package, whatever its
  internal layout), slowest first: own time, time including callees (``cumtime``), calls per
  request;
* the slowest functions outside the SDK.

The profiler's own cost inflates every Python call by a fraction of a microsecond, so small,
often-called functions look slower than they are: read the figures as a map of where to look,
then prove a gain with the side-by-side benchmarks (``bench_requests.py``, ``bench_pagination.py``,
``bench_inflight.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from _harness import CheapServer, sdk_headers

import cloud66_async
from cloud66_async import Client

SDK_DIR = str(Path(cloud66_async.__file__).resolve().parent) + os.sep
STDLIB_DIR = str(Path(sysconfig.get_paths()["stdlib"]).resolve()) + os.sep

# (group, how to recognise a file path) in order; built-ins ("~") are grouped by their name.
GROUPS: list[tuple[str, Callable[[str], bool]]] = [
    ("cloud66_async", lambda path: path.startswith(SDK_DIR)),
    ("aiohttp", lambda path: f"{os.sep}aiohttp{os.sep}" in path),
    ("yarl", lambda path: f"{os.sep}yarl{os.sep}" in path),
    ("multidict", lambda path: f"{os.sep}multidict{os.sep}" in path),
    ("msgspec", lambda path: f"{os.sep}msgspec{os.sep}" in path),
    ("anyio", lambda path: f"{os.sep}anyio{os.sep}" in path),
    ("attrs", lambda path: f"{os.sep}attr{os.sep}" in path or f"{os.sep}attrs{os.sep}" in path),
    ("cattrs", lambda path: f"{os.sep}cattrs{os.sep}" in path or "<cattrs" in path),
    ("asyncio", lambda path: path.startswith(STDLIB_DIR + "asyncio")),
    ("stdlib", lambda path: path.startswith(STDLIB_DIR)),
]

Key = tuple[str, int, str]


_SOCKET_CALLS = ("send", "recv", "sendto", "recvfrom", "sendmsg", "recvmsg", "__libc_send")


def group_of(key: Key) -> str:
    path, _, name = key
    if path == "~":  # cProfile's built-ins
        if name.startswith("<method 'poll' of 'select.epoll'") or "select.select" in name:
            return "epoll wait"
        if name.startswith("<method '") and "of '_socket.socket' objects>" in name:
            return "socket calls"
        if "msgspec" in name:
            return "msgspec"
        if "_asyncio" in name:
            return "asyncio"
        return "built-ins"
    # py-spy's frames: a Python file, or with --native a shared object or a C source file
    if (path.endswith("selectors.py") and name.endswith("select")) or name == "epoll_wait":
        return "epoll wait"
    if "libc" in path and name in _SOCKET_CALLS:
        return "socket calls"
    resolved = path if path.startswith("<") else str(Path(path).resolve())
    for group, match in GROUPS:
        if match(resolved):
            return group
    if resolved.endswith((".c", ".h")) or ".so" in resolved or "python3" in resolved:
        return "native"
    return "other"


def describe(key: Key) -> str:
    path, line, name = key
    if path == "~":
        return name
    resolved = str(Path(path).resolve())
    if resolved.startswith(SDK_DIR):
        path = "cloud66_async/" + resolved[len(SDK_DIR) :]
    elif "site-packages" in resolved:
        path = resolved.split("site-packages" + os.sep, 1)[1]
    elif resolved.startswith(STDLIB_DIR):
        path = resolved[len(STDLIB_DIR) :]
    return f"{path}:{line}({name})"


@dataclass
class Stat:
    """One function's figures: calls (None when sampled), own and inclusive seconds."""

    calls: float | None
    own: float
    inclusive: float


def from_cprofile(profile: cProfile.Profile) -> dict[Key, Stat]:
    table: dict[Key, tuple[int, int, float, float, Any]] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return {key: Stat(nc, tt, ct) for key, (_, nc, tt, ct, _) in table.items()}


def from_py_spy(raw: str, rate: int) -> dict[Key, Stat]:
    """Fold py-spy's raw output (``frame;frame;... count``, root first) into per-function
    figures: own time from the samples where a function is the leaf, inclusive time from those
    where it is anywhere in the stack (once per stack)."""
    table: dict[Key, Stat] = {}
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        seconds = int(count_text) / rate
        keys = [_frame_key(frame) for frame in stack.split(";")]
        for i, key in enumerate(keys):
            stat = table.setdefault(key, Stat(None, 0.0, 0.0))
            if key not in keys[:i]:
                stat.inclusive += seconds
        table[keys[-1]].own += seconds
    return table


def _frame_key(frame: str) -> Key:
    """``name (path:line)`` -> (path, 0, name): one key per function, whatever the line."""
    name, _, where = frame.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0] if where else "~"
    return path, 0, name or frame


def report(table: dict[Key, Stat], title: str, requests: int, options: argparse.Namespace) -> None:
    top = options.top
    per = 1e6 / requests
    total = sum(stat.own for stat in table.values()) * per
    groups: dict[str, float] = {}
    for key, stat in table.items():
        group = group_of(key)
        groups[group] = groups.get(group, 0.0) + stat.own * per
    idle = groups.get("epoll wait", 0.0)
    kernel = groups.get("socket calls", 0.0)
    busy = total - idle - kernel
    how = (
        f"py-spy, {options.rate} samples/s; the waits are py-spy's guess of idle"
        if options.sampler == "py-spy"
        else ("cProfile, CPU timer" if options.cpu_timer else "cProfile, wall-clock timer")
    )
    print(f"\n=== {title}: {requests} requests ({how})")
    print(
        f"profiled total {total:.1f} us/request: waiting in epoll (idle) {idle:.1f}, "
        f"in socket send/recv {kernel:.1f}, the rest (Python-level work) {busy:.1f}"
    )
    print("own time by package (us/request, share of the Python-level work):")
    for group, us in sorted(groups.items(), key=lambda item: -item[1]):
        if group in ("epoll wait", "socket calls"):
            continue
        print(f"  {group:<14} {us:8.1f}  {us / busy * 100:5.1f}%")

    def rows(keys: list[Key]) -> None:
        print(f"  {'own':>8} {'incl.':>8} {'calls':>7}  function   (us/request, calls/request)")
        for key in keys:
            stat = table[key]
            calls = "-" if stat.calls is None else f"{stat.calls / requests:.2f}"
            print(
                f"  {stat.own * per:8.2f} {stat.inclusive * per:8.2f} {calls:>7}  {describe(key)}"
            )

    sdk = sorted((k for k in table if group_of(k) == "cloud66_async"), key=lambda k: -table[k].own)
    print(f"the SDK's own functions, by own time (tottime; top {top} of {len(sdk)}):")
    rows(sdk[:top])
    by_inclusive = sorted(sdk, key=lambda k: -table[k].inclusive)
    print(f"the SDK's functions, by time including callees (cumtime; top {min(top, 15)}):")
    rows(by_inclusive[: min(top, 15)])
    others = [
        k for k in table if group_of(k) not in ("cloud66_async", "epoll wait", "socket calls")
    ]
    others.sort(key=lambda k: -table[k].own)
    print(f"outside the SDK, by own time (top {min(top, 20)}):")
    rows(others[: min(top, 20)])


async def profiled(
    name: str, work: Callable[[], Awaitable[int]], options: argparse.Namespace
) -> None:
    await work()  # warm-up: connections, caches, first-call costs
    if options.sampler == "py-spy":
        table, requests = await _sampled(work, options)
    else:
        profile = cProfile.Profile(time.process_time) if options.cpu_timer else cProfile.Profile()
        profile.enable()
        requests = await work()
        profile.disable()
        table = from_cprofile(profile)
        if options.dump is not None:
            dump: Path = options.dump
            slug = name.split(":")[0].replace(" ", "_")
            target = dump.with_name(f"{dump.stem}-{slug}{dump.suffix}")
            profile.dump_stats(target)
            print(f"(pstats written to {target})")
    report(table, name, requests, options)


def _py_spy_argv(options: argparse.Namespace, out: Path) -> list[str]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("--sampler py-spy needs py-spy (pip install py-spy)")
    argv = [exe, "record", "--pid", str(os.getpid()), "--rate", str(options.rate)]
    argv += ["--format", "raw", "--full-filenames", "--output", str(out)]
    if options.native:
        argv.append("--native")
    return argv


def _start_py_spy(argv: list[str]) -> subprocess.Popen[bytes]:
    # A plain Popen, not asyncio's: asyncio's child watcher would add a thread to the samples.
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stop_py_spy(spy: subprocess.Popen[bytes]) -> bytes:
    spy.send_signal(signal.SIGINT)
    _, err = spy.communicate(timeout=60)
    return err


def _read_samples(out: Path, err: bytes, rate: int) -> dict[Key, Stat]:
    if not out.exists():
        raise SystemExit(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}")
    return from_py_spy(out.read_text(), rate)


async def _sampled(
    work: Callable[[], Awaitable[int]], options: argparse.Namespace
) -> tuple[dict[Key, Stat], int]:
    """Run ``work`` while py-spy samples this process from outside (no per-call overhead)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "samples.txt"
        spy = _start_py_spy(_py_spy_argv(options, out))
        await asyncio.sleep(1.0)  # let it attach before the measured span
        try:
            requests = await work()
        finally:
            err = _stop_py_spy(spy)
        return _read_samples(out, err, options.rate), requests


async def main(options: argparse.Namespace) -> None:
    with CheapServer(pages=options.pages) as server:
        uid = server.stack_uid
        headers = await sdk_headers(server.base_url, server.token)
        url = f"{server.base_url}/stacks/{uid}"
        n: int = options.requests
        c: int = options.concurrency
        async with (
            Client(
                server.token, base_url=server.base_url, rate_limit=None, max_concurrency=c
            ) as client,
            aiohttp.ClientSession() as session,
        ):

            async def raw_get() -> None:
                async with session.get(
                    url, headers={**headers, "Request-Id": os.urandom(16).hex()}
                ) as resp:
                    resp.raise_for_status()
                    json.loads(await resp.read())

            async def sdk_gets() -> int:
                for _ in range(n):
                    await client.stacks.get(uid)
                return n

            async def raw_gets() -> int:
                for _ in range(n):
                    await raw_get()
                return n

            async def sdk_pages() -> int:
                for _ in range(options.passes):
                    async for _item in client.servers.list(uid):
                        pass
                return int(options.passes * server.pages)

            async def raw_pages() -> int:
                for _ in range(options.passes):
                    page: int | None = 1
                    while page is not None:
                        async with session.get(
                            f"{url}/servers",
                            params={"page": page},
                            headers={**headers, "Request-Id": os.urandom(16).hex()},
                        ) as resp:
                            resp.raise_for_status()
                            payload = json.loads(await resp.read())
                        page = payload["pagination"]["next"]
                return int(options.passes * server.pages)

            def in_flight(one: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[int]]:
                async def work() -> int:
                    async def worker(count: int) -> None:
                        for _ in range(count):
                            await one()

                    await asyncio.gather(*(worker(n // c) for _ in range(c)))
                    return int(n // c * c)

                return work

            workloads: dict[str, tuple[str, Callable[[], Awaitable[int]], Any]] = {
                "get": ("sequential stacks.get", sdk_gets, raw_gets),
                "pages": (
                    f"pagination, {server.pages} pages of {server.per_page} servers",
                    sdk_pages,
                    raw_pages,
                ),
                "inflight": (
                    f"{c} in flight, stacks.get",
                    in_flight(lambda: client.stacks.get(uid)),
                    in_flight(raw_get),
                ),
            }
            chosen = options.workload or ["get", "pages"]
            for key in chosen:
                title, sdk_work, raw_work = workloads[key]
                await profiled(f"SDK: {title}", sdk_work, options)
                if options.baseline:
                    await profiled(f"raw aiohttp + json.loads: {title}", raw_work, options)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workload",
        action="append",
        choices=("get", "pages", "inflight"),
        help="which workload to profile (repeatable; default: get, then pages)",
    )
    parser.add_argument("--requests", type=int, default=2000, help="GETs (get, inflight)")
    parser.add_argument("--passes", type=int, default=3, help="passes over the pages (pages)")
    parser.add_argument("--pages", type=int, default=200, help="pages the server serves")
    parser.add_argument("--concurrency", type=int, default=10, help="workers (inflight)")
    parser.add_argument("--top", type=int, default=30, help="rows per table")
    parser.add_argument("--baseline", action="store_true", help="also profile raw aiohttp")
    parser.add_argument("--dump", type=Path, help="also write each profile (pstats) here")
    parser.add_argument(
        "--cpu-timer",
        action="store_true",
        help="cProfile times with process_time (CPU only; a system call per reading on some "
        "machines, so every call looks dearer)",
    )
    parser.add_argument(
        "--sampler",
        choices=("cprofile", "py-spy"),
        default="cprofile",
        help="py-spy: sample from another process instead (pip install py-spy; no per-call "
        "overhead, no call counts, idle time left out)",
    )
    parser.add_argument("--rate", type=int, default=1000, help="py-spy samples per second")
    parser.add_argument(
        "--native", action="store_true", help="py-spy: C frames too (msgspec, aiohttp's parser)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
    sys.exit(0)
