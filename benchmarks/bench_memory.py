"""5. Memory: peak RSS growth while streaming 10,000 pages with ``async for``.

The list is one stack's servers served one per page (``per_page=1``): 10,000 real pages, each a
real request and a real envelope, at a size the fake serves fast enough to stay under a minute.
The stack gets its 10,000 servers as copies of its seeded ones under fresh uids and names (the
fake's own seeder would take seconds to name that many).

The streaming runs in a fresh child process that does nothing else: it warms up with the first
300 pages (connection, decoder and converter caches, first-request allocations), collects
garbage, reads its peak RSS (``VmHWM`` in /proc/self/status, and ``ru_maxrss``), streams all
10,000 pages without keeping an item, and reads the peak again. For information the same is
done with raw aiohttp + ``json.loads`` in another fresh child. Target: SDK peak RSS grows by
<= 5 MB.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from _harness import Row, Server, bench_main, sdk_headers

PAGES = 10_000
WARMUP = 300
TARGET_MB = 5.0


def _status() -> dict[str, int]:
    """VmHWM and VmRSS of this process, in kB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0])
    return out


async def _stream(
    side: str, base_url: str, token: str, uid: str, pages: int, headers: dict[str, str]
) -> dict[str, Any]:
    samples: list[int] = []

    if side == "sdk":
        from cloud66_async import Client

        client = Client(token, base_url=base_url, rate_limit=None)

        async def stream(limit: int | None) -> int:
            count = 0
            async for _server in client.servers.list(uid, max_items=limit):
                count += 1
                if count % 1000 == 0:
                    samples.append(_status()["VmRSS"])
            return count

        async def close() -> None:
            await client.close()

    else:
        import aiohttp

        session = aiohttp.ClientSession()
        url = f"{base_url}/stacks/{uid}/servers"

        async def stream(limit: int | None) -> int:
            count = 0
            page: int | None = 1
            while page is not None:
                async with session.get(
                    url,
                    params={"page": page},
                    headers={**headers, "Request-Id": uuid.uuid4().hex},
                ) as resp:
                    resp.raise_for_status()
                    body = await resp.read()
                payload = json.loads(body)
                for _item in payload["response"]:
                    count += 1
                    if count % 1000 == 0:
                        samples.append(_status()["VmRSS"])
                    if limit is not None and count >= limit:
                        return count
                page = payload["pagination"]["next"]
            return count

        async def close() -> None:
            await session.close()

    assert await stream(WARMUP) == WARMUP
    gc.collect()
    samples.clear()
    before, maxrss_before = _status(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    count = await stream(None)
    elapsed = time.perf_counter() - started
    after, maxrss_after = _status(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    await close()
    assert count == pages, count
    return {
        "side": side,
        "pages": count,
        "seconds": elapsed,
        "hwm_before_kb": before["VmHWM"],
        "hwm_after_kb": after["VmHWM"],
        "rss_before_kb": before["VmRSS"],
        "rss_after_kb": after["VmRSS"],
        "maxrss_before_kb": maxrss_before,
        "maxrss_after_kb": maxrss_after,
        "rss_samples_kb": samples,
    }


def _child(side: str, server: Server, pages: int, headers: dict[str, str]) -> dict[str, Any]:
    """Run one stream in a fresh interpreter; return what it measured."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            side,
            server.base_url,
            server.token,
            server.stack_uids[0],
            str(pages),
            json.dumps(headers),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    return result


def _mb(kb: int) -> float:
    return kb / 1024


async def run(quick: bool) -> list[Row]:
    pages = 1000 if quick else PAGES
    with Server(stacks=1, servers_per_stack=30, servers_total=pages, per_page=1) as server:
        headers = await sdk_headers(server.base_url, server.token)
        sdk = _child("sdk", server, pages, headers)
        raw = _child("raw", server, pages, headers)
    growth = {r["side"]: _mb(r["hwm_after_kb"] - r["hwm_before_kb"]) for r in (sdk, raw)}
    notes = []
    for r in (sdk, raw):
        trend = " ".join(f"{_mb(kb):.1f}" for kb in r["rss_samples_kb"])
        notes.append(
            f"{r['side']}: {r['pages']} pages in {r['seconds']:.1f}s; VmHWM "
            f"{_mb(r['hwm_before_kb']):.1f} -> {_mb(r['hwm_after_kb']):.1f} MB "
            f"(ru_maxrss {_mb(r['maxrss_before_kb']):.1f} -> {_mb(r['maxrss_after_kb']):.1f}); "
            f"VmRSS every 1000 items (MB): {trend}"
        )
    return [
        Row(
            "5",
            f"memory, stream {pages} pages (peak RSS growth, MB)",
            growth["sdk"],
            growth["raw"],
            "MB",
            None,
            f"<= {TARGET_MB:g} MB",
            growth["sdk"] <= TARGET_MB,
            [f"warm-up {WARMUP} pages, per_page=1; baseline = raw aiohttp + json.loads", *notes],
        )
    ]


def _child_main(argv: list[str]) -> None:
    side, base_url, token, uid, pages, headers = argv
    result = asyncio.run(_stream(side, base_url, token, uid, int(pages), json.loads(headers)))
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
    else:
        bench_main(run, __doc__.splitlines()[0])
