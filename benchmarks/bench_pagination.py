"""1. Pagination: typed items per second through the SDK, against the near-free server.

200 pages of 30 servers (26 kB a page) served from prebuilt bytes by ``_cheap_server.py`` in its
own process, so what differs between the sides is the client's own work. Four sides, the order
turning each round, every side reading the same 6,000 servers a pass over one kept-alive
connection:

* ``sdk``: ``async for server in client.servers.list(uid)`` (``rate_limit=None``), typed
  ``Server`` models;
* ``raw_json``: a hand-written aiohttp loop (the SDK's headers and a fresh ``Request-Id``,
  ``await resp.read()``, ``json.loads``, following ``pagination.next``): untyped dicts;
* ``raw_msgspec``: the same loop decoding with ``msgspec.json.decode`` into frozen
  ``msgspec.Struct`` classes with the same fields: typed, and about as fast as Python gets
  (the limit);
* ``peer``: the typical SDK (``_peer_sdk.py``: httpx + pydantic v2, an openai-style paginator).

Target: SDK items/s >= 1.05x raw + json.loads (the SDK decodes with msgspec, so typed items can
beat untyped dicts). The msgspec and peer sides are reported for information.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime
from typing import Any

import aiohttp
import msgspec
from _harness import (
    PEER_MISSING,
    CheapServer,
    Row,
    alternate,
    bench_main,
    compare_rates,
    cpus,
    open_peer,
    sdk_headers,
    side_note,
    walls,
)

from cloud66_async import Client


class MServer(msgspec.Struct, frozen=True):
    """``cloud66_async.models.Server`` as a msgspec Struct (what the limit decodes into)."""

    uid: str
    vendor_uid: str | None = None
    name: str | None = None
    address: str | None = None
    distro: str | None = None
    distro_version: str | None = None
    dns_record: str | None = None
    user_name: str | None = None
    server_type: str | None = None
    server_roles: tuple[str, ...] | None = None
    server_group_id: int | None = None
    stack_uid: str | None = None
    has_agent: bool | None = None
    params: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    region: str | None = None
    availability_zone: str | None = None
    ext_ipv4: str | None = None
    health_state: int | None = None
    int_ipv4: str | None = None
    int_ipv6: str | None = None
    ext_ipv6: str | None = None


class MPagination(msgspec.Struct, frozen=True):
    next: int | None = None
    current: int | None = None
    pages: int | None = None
    count: int | None = None
    per_page: int | None = None


class MPage(msgspec.Struct, frozen=True):
    response: list[MServer]
    pagination: MPagination


async def run(quick: bool) -> list[Row]:
    pages = 20 if quick else 200
    rounds, max_rounds, budget = (2, 2, 0.0) if quick else (7, 25, 15.0)
    with CheapServer(pages=pages) as server:
        uid = server.stack_uid
        items = pages * server.per_page
        url = f"{server.base_url}/stacks/{uid}/servers"
        headers = await sdk_headers(server.base_url, server.token)
        decoder = msgspec.json.Decoder(MPage)
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(
                Client(server.token, base_url=server.base_url, rate_limit=None)
            )
            session = await stack.enter_async_context(aiohttp.ClientSession())
            peer = await open_peer(stack, server.token, server.base_url, headers)

            async def sdk() -> None:
                count = 0
                async for _server in client.servers.list(uid):
                    count += 1
                assert count == items, count

            async def raw_json() -> None:
                count = 0
                page: int | None = 1
                while page is not None:
                    async with session.get(
                        url,
                        params={"page": page},
                        headers={**headers, "Request-Id": os.urandom(16).hex()},
                    ) as resp:
                        resp.raise_for_status()
                        body = await resp.read()
                    payload = json.loads(body)
                    for _item in payload["response"]:
                        count += 1
                    page = payload["pagination"]["next"]
                assert count == items, count

            async def raw_msgspec() -> None:
                count = 0
                page: int | None = 1
                while page is not None:
                    async with session.get(
                        url,
                        params={"page": page},
                        headers={**headers, "Request-Id": os.urandom(16).hex()},
                    ) as resp:
                        resp.raise_for_status()
                        body = await resp.read()
                    decoded = decoder.decode(body)
                    for _item in decoded.response:
                        count += 1
                    page = decoded.pagination.next
                assert count == items, count

            async def peer_side() -> None:
                assert peer is not None
                count = 0
                async for _server in peer.list_servers(uid):
                    count += 1
                assert count == items, count

            sides = {"sdk": sdk, "raw_json": raw_json, "raw_msgspec": raw_msgspec}
            if peer is not None:
                sides["peer"] = peer_side
            times = await alternate(
                sides, rounds=rounds, max_rounds=max_rounds, budget=budget, server=server
            )
        described = server.describe()

    sdk_wall = walls(times["sdk"])
    rows = []
    for bench, name, base, target, goal in (
        ("1", "raw aiohttp + json.loads (dicts)", "raw_json", ">= 1.05", 1.05),
        ("1m", "raw aiohttp + msgspec Structs (the limit)", "raw_msgspec", "-", None),
        ("1p", "httpx + pydantic peer SDK", "peer", "-", None),
    ):
        if base not in times:
            continue
        c = compare_rates(sdk_wall, walls(times[base]), items)
        cpu = compare_rates(cpus(times["sdk"]), cpus(times[base]), items)
        rows.append(
            Row(
                bench,
                f"pagination, {pages} pages x {server.per_page}: SDK typed items/s vs {name}",
                c.a,
                c.b,
                "items/s",
                c.ratio,
                target,
                None if goal is None else c.ratio >= goal,
                [f"client CPU ratio (items per CPU second): {cpu.ratio:.3f} ({cpu.spread()})"],
                c.spread(),
            )
        )
    rows[0].notes += [
        f"{described}; {len(sdk_wall)} rounds, order turning each round",
        *(side_note(name, passes, pages, "page") for name, passes in times.items()),
        *([] if "peer" in times else [PEER_MISSING]),
    ]
    return rows


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
