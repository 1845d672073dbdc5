"""3. Fan-out: list the servers of 200 stacks (3 pages each) through ``client.fan_out``.

200 stacks of 30 servers, 10 a page: 600 GETs a pass (end to end: the fake does its share of
the work). The SDK side is
``client.fan_out(uids, lambda uid: client.servers.list(uid).collect(), concurrency=10)``
(``rate_limit=None``: the default 3,000 requests an hour would make the benchmark measure the
limiter). The baseline is the best raw aiohttp pattern: a fixed pool of 10 workers sharing one
queue of stack uids, each following ``pagination.next`` with ``json.loads``. Target: SDK
requests/s >= 0.9x the baseline's.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
from _harness import (
    Row,
    Server,
    abab,
    bench_main,
    compare_rates,
    median,
    sdk_headers,
    sdk_vs_raw_notes,
)

from cloud66_async import Client

STACKS = 200
SERVERS_PER_STACK = 30
PER_PAGE = 10
CONCURRENCY = 10


async def run(quick: bool) -> list[Row]:
    stacks = 60 if quick else STACKS
    reps, max_reps, budget = (2, 2, 0.0) if quick else (3, 12, 15.0)
    pages_per_stack = -(-SERVERS_PER_STACK // PER_PAGE)
    requests = stacks * pages_per_stack
    with Server(stacks=stacks, servers_per_stack=SERVERS_PER_STACK, per_page=PER_PAGE) as server:
        uids = server.stack_uids
        assert len(uids) == stacks, len(uids)
        base = server.base_url
        headers = await sdk_headers(base, server.token)
        async with (
            Client(server.token, base_url=base, rate_limit=None) as client,
            aiohttp.ClientSession() as session,
        ):

            async def sdk() -> None:
                async def servers_of(uid: str) -> int:
                    return len(await client.servers.list(uid).collect())

                total = 0
                async for outcome in client.fan_out(uids, servers_of, concurrency=CONCURRENCY):
                    total += outcome.unwrap()
                assert total == stacks * SERVERS_PER_STACK, total

            async def raw() -> None:
                queue: asyncio.Queue[str] = asyncio.Queue()
                for uid in uids:
                    queue.put_nowait(uid)
                counts: list[int] = []

                async def worker() -> None:
                    while True:
                        try:
                            uid = queue.get_nowait()
                        except asyncio.QueueEmpty:
                            return
                        url = f"{base}/stacks/{uid}/servers"
                        items: list[dict[str, object]] = []
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
                            items.extend(payload["response"])
                            page = payload["pagination"]["next"]
                        counts.append(len(items))

                await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
                assert sum(counts) == stacks * SERVERS_PER_STACK, sum(counts)

            server.call("clear_log")
            await sdk()
            sent = len(server.log())
            assert sent == requests, (sent, requests)
            times = await abab(
                {"sdk": sdk, "raw": raw}, reps=reps, max_reps=max_reps, budget=budget
            )
    sdk_rate = requests / median(times["sdk"])
    raw_rate = requests / median(times["raw"])
    ratio = sdk_rate / raw_rate
    return [
        Row(
            "3",
            f"fan-out, {stacks} stacks x {pages_per_stack} pages, 10 workers (requests/s)",
            sdk_rate,
            raw_rate,
            "req/s",
            ratio,
            ">= 0.9",
            ratio >= 0.9,
            sdk_vs_raw_notes(times, f"{requests} GETs a pass (checked in the fake's log); "),
            compare_rates(times["sdk"], times["raw"], requests).spread(),
        )
    ]


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
