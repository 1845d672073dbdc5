"""1. Pagination: typed items per second through the SDK vs raw aiohttp + json.loads.

One stack with 6,000 servers, 30 a page: 200 pages. The SDK side is
``async for server in client.servers.list(uid)`` (``rate_limit=None``); the baseline is a
hand-written aiohttp loop sending the same headers (a fresh ``Request-Id`` each time), reading
the body, ``json.loads`` and following ``pagination.next``. Both reuse one kept-alive session;
the fake serves from its own process. Target: SDK items/s >= 1.0x the baseline's.
"""

from __future__ import annotations

import json
import uuid

import aiohttp
from _harness import Row, Server, abab, bench_main, median, raw_headers, sdk_vs_raw_notes

from cloud66_async import Client

SERVERS = 6000
PER_PAGE = 30


async def run(quick: bool) -> list[Row]:
    servers = 600 if quick else SERVERS
    reps, max_reps, budget = (2, 2, 0.0) if quick else (7, 25, 25.0)
    with Server(stacks=1, servers_per_stack=servers, per_page=PER_PAGE) as server:
        uid = server.stack_uids[0]
        url = f"{server.base_url}/stacks/{uid}/servers"
        headers = raw_headers(server.token)
        async with (
            Client(server.token, base_url=server.base_url, rate_limit=None) as client,
            aiohttp.ClientSession() as session,
        ):

            async def sdk() -> None:
                count = 0
                async for _server in client.servers.list(uid):
                    count += 1
                assert count == servers, count

            async def raw() -> None:
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
                    page = payload["pagination"]["next"]
                assert count == servers, count

            times = await abab(
                {"sdk": sdk, "raw": raw}, reps=reps, max_reps=max_reps, budget=budget
            )
    sdk_rate = servers / median(times["sdk"])
    raw_rate = servers / median(times["raw"])
    ratio = sdk_rate / raw_rate
    return [
        Row(
            "1",
            f"pagination, {servers // PER_PAGE} pages x {PER_PAGE} servers (items/s)",
            sdk_rate,
            raw_rate,
            "items/s",
            ratio,
            ">= 1.0",
            ratio >= 1.0,
            sdk_vs_raw_notes(times),
        )
    ]


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
