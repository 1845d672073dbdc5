"""8. Per-request client overhead and sequential GETs, against the near-free server.

One request at a time, ``GET /stacks/{uid}`` (the blueprint's example stack, 790 bytes, with its
``" UTC"`` timestamps beside the ISO ones), served from prebuilt bytes by ``_cheap_server.py`` in
its own process. Five sides, the order turning each round, each sending the same number of GETs
a pass over one kept-alive connection:

* ``sdk_get``: ``await client.stacks.get(uid)`` -> a ``Stack`` (``rate_limit=None``);
* ``sdk_request``: ``await client.request("GET", f"/stacks/{uid}")`` -> the unwrapped payload;
* ``raw_bytes``: aiohttp with the SDK's headers and a fresh ``Request-Id``, ``await
  resp.read()``: the least a client can do;
* ``raw_json``: the same, then ``json.loads``;
* ``peer``: the typical SDK (``_peer_sdk.py``, httpx + pydantic v2) ``get_stack(uid)``.

Each pass is timed in wall time and in the client process's CPU time. The CPU time is the
client's own cost, whatever the server (another process) and the machine's other jobs do, so
the overhead target is read from it. Targets: SDK - raw bytes <= 20 us of client CPU per request
(``stacks.get`` and ``request``); sequential ``stacks.get`` >= 0.95x the requests/s of raw +
``json.loads`` (wall time).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import aiohttp
from _harness import (
    CheapServer,
    Pass,
    Row,
    alternate,
    bench_main,
    compare_rates,
    cpus,
    difference_note,
    median,
    sdk_headers,
    side_note,
    us_per,
    walls,
)
from _peer_sdk import PeerClient

from cloud66_async import Client

OVERHEAD_TARGET_US = 20.0


def overhead_row(
    bench: str, label: str, sdk: Sequence[Pass], raw: Sequence[Pass], n: int, *, wall: bool
) -> Row:
    """SDK minus raw, in microseconds per request (client CPU, or wall for information)."""
    pick = walls if wall else cpus
    a, b = us_per(pick(sdk), n), us_per(pick(raw), n)
    diff = median(a) - median(b)
    kind = "wall" if wall else "client CPU"
    return Row(
        bench,
        f"per-request overhead, {label} - raw aiohttp read ({kind} us/request)",
        median(a),
        median(b),
        "us",
        median(a) / median(b),
        "(info)" if wall else f"SDK - raw <= {OVERHEAD_TARGET_US:g} us",
        None if wall else diff <= OVERHEAD_TARGET_US,
        [f"SDK - raw: {diff:+.1f} us/request (difference of the medians)"],
        difference_note(a, b),
    )


async def run(quick: bool) -> list[Row]:
    n = 100 if quick else 400
    rounds, max_rounds, budget = (2, 2, 0.0) if quick else (7, 21, 20.0)
    with CheapServer(pages=2) as server:
        uid = server.stack_uid
        url = f"{server.base_url}/stacks/{uid}"
        headers = await sdk_headers(server.base_url, server.token)
        async with (
            Client(server.token, base_url=server.base_url, rate_limit=None) as client,
            aiohttp.ClientSession() as session,
            PeerClient(server.token, server.base_url, headers) as peer,
        ):
            stack = await client.stacks.get(uid)
            assert stack.uid == uid and stack.created_at is not None, stack
            assert (await peer.get_stack(uid)).created_at == stack.created_at

            async def sdk_get() -> None:
                for _ in range(n):
                    await client.stacks.get(uid)

            async def sdk_request() -> None:
                path = f"/stacks/{uid}"
                for _ in range(n):
                    await client.request("GET", path)

            async def raw_bytes() -> None:
                for _ in range(n):
                    async with session.get(
                        url, headers={**headers, "Request-Id": os.urandom(16).hex()}
                    ) as resp:
                        resp.raise_for_status()
                        await resp.read()

            async def raw_json() -> None:
                for _ in range(n):
                    async with session.get(
                        url, headers={**headers, "Request-Id": os.urandom(16).hex()}
                    ) as resp:
                        resp.raise_for_status()
                        body = await resp.read()
                    json.loads(body)

            async def peer_get() -> None:
                for _ in range(n):
                    await peer.get_stack(uid)

            sides = {
                "sdk_get": sdk_get,
                "sdk_request": sdk_request,
                "raw_bytes": raw_bytes,
                "raw_json": raw_json,
                "peer": peer_get,
            }
            times = await alternate(
                sides, rounds=rounds, max_rounds=max_rounds, budget=budget, server=server
            )
        described = server.describe()

    rows = [
        overhead_row("8", "stacks.get", times["sdk_get"], times["raw_bytes"], n, wall=False),
        overhead_row("8", "request()", times["sdk_request"], times["raw_bytes"], n, wall=False),
        overhead_row("8i", "stacks.get", times["sdk_get"], times["raw_bytes"], n, wall=True),
    ]
    rows[0].notes += [
        f"{described}; {n} GETs a pass, {len(times['sdk_get'])} rounds, order turning each round",
        *(side_note(name, passes, n) for name, passes in times.items()),
    ]
    for bench, base, label, target, goal in (
        ("8s", "raw_json", "raw aiohttp + json.loads", ">= 0.95", 0.95),
        ("8p", "peer", "httpx + pydantic peer SDK", "-", None),
    ):
        c = compare_rates(walls(times["sdk_get"]), walls(times[base]), n)
        cpu = compare_rates(cpus(times["sdk_get"]), cpus(times[base]), n)
        rows.append(
            Row(
                bench,
                f"sequential stacks.get (requests/s) vs {label}",
                c.a,
                c.b,
                "req/s",
                c.ratio,
                target,
                None if goal is None else c.ratio >= goal,
                [f"client CPU ratio (requests per CPU second): {cpu.ratio:.3f} ({cpu.spread()})"],
                c.spread(),
            )
        )
    return rows


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
