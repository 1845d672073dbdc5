"""9. Requests in flight: 10 and 50 concurrent GETs through the SDK vs raw aiohttp.

``GET /stacks/{uid}`` (790 bytes) from the near-free server (``_cheap_server.py``, own process).
For each concurrency C (10, then 50), C worker tasks share a pass of GETs, each worker sending
its share one after another, so C requests are in flight all the time. Sides, the order turning
each round:

* ``sdk``: ``await client.stacks.get(uid)`` through one client with ``max_concurrency=C`` and
  ``rate_limit=None``;
* ``raw``: aiohttp (one ``ClientSession``, its default connector) with the SDK's headers and a
  fresh ``Request-Id``, ``await resp.read()``, ``json.loads``;
* ``raw_typed`` ("raw aiohttp + the SDK's decoder"): the same request, then the SDK's own fast
  decoder (``client._shared.decoder.fast.one(body, Stack)``) instead of ``json.loads``: the
  typed floor, the same ``Stack`` as ``stacks.get`` with no pipeline around its decoding;
* ``peer``: the typical SDK (``_peer_sdk.py``, httpx + pydantic v2), ``get_stack(uid)``.

Target: SDK requests/s >= 0.95x raw at 10 and at 50 in flight (wall time); the client CPU per
request of each side, and the connections each opened, are printed too. For information, row
9f: ``stacks.get`` against ``raw_typed`` (what is left is the pipeline's own cost).

``--investigate`` adds the variants used to find where the SDK's time goes when requests are in
flight (see the README): ``sdk_request`` (``client.request``: no model decoding), ``sdk_cap``
(``max_concurrency`` raised to 1000), ``sdk_limiter`` (a ``RateLimit`` that never binds instead of
``None``), ``raw_bytes`` (no ``json.loads``), ``raw_limit`` (``TCPConnector(limit=C)``), and
the "gather" shape: all the pass's GETs started at once, the SDK's ``max_concurrency=C`` holding
them back, against raw aiohttp behind an ``asyncio.Semaphore(C)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from functools import partial

import aiohttp
from _harness import (
    PEER_MISSING,
    CheapServer,
    Row,
    alternate,
    bench_main,
    compare_rates,
    cpus,
    difference_note,
    median,
    open_peer,
    sdk_headers,
    side_note,
    us_per,
    walls,
)

from cloud66_async import Client, RateLimit
from cloud66_async.models import Stack

CONCURRENCY = (10, 50)
TARGET = 0.95

Side = Callable[[], Awaitable[None]]


def workers(c: int, n: int, one: Callable[[], Awaitable[object]]) -> Side:
    """A pass: ``c`` tasks sending ``n`` requests in all, each one after another."""
    share = [n // c + (1 if i < n % c else 0) for i in range(c)]

    async def run_pass() -> None:
        async def worker(count: int) -> None:
            for _ in range(count):
                await one()

        await asyncio.gather(*(worker(k) for k in share))

    return run_pass


def gathered(n: int, one: Callable[[], Awaitable[object]]) -> Side:
    """A pass: all ``n`` requests started at once (whatever holds them back is the client's)."""

    async def run_pass() -> None:
        await asyncio.gather(*(one() for _ in range(n)))

    return run_pass


async def measure(server: CheapServer, c: int, n: int, quick: bool, investigate: bool) -> list[Row]:
    uid = server.stack_uid
    base = server.base_url
    url = f"{base}/stacks/{uid}"
    headers = await sdk_headers(base, server.token)
    # Short passes, many rounds: the machine's noise comes in bursts; fine alternation spreads
    # each burst over all sides alike.
    rounds, max_rounds, budget = (2, 2, 0.0) if quick else (9, 61, 8.0)

    def raw_get(
        session: aiohttp.ClientSession, decode: Callable[[bytes], object] | None
    ) -> Callable[[], Awaitable[object]]:
        async def one() -> object:
            async with session.get(
                url, headers={**headers, "Request-Id": os.urandom(16).hex()}
            ) as resp:
                resp.raise_for_status()
                body = await resp.read()
            return body if decode is None else decode(body)

        return one

    async with contextlib.AsyncExitStack() as exits:
        client = await exits.enter_async_context(
            Client(server.token, base_url=base, rate_limit=None, max_concurrency=c)
        )
        session = await exits.enter_async_context(aiohttp.ClientSession())
        peer = await open_peer(exits, server.token, base, headers)
        # The typed floor decodes with the client's own fast path; a declined decode (None)
        # would make it measure far less than stacks.get does.
        typed = partial(client._shared.decoder.fast.one, cls=Stack)
        stack = await client.stacks.get(uid)
        floor = await raw_get(session, typed)()
        assert floor is not None, "the SDK's fast decoder declined the stack"
        assert floor == stack, (floor, stack)
        # The peer costs 5-30x more per request (httpx's pool grows dear with many connections
        # in flight), so its passes send a fifth as many GETs; rates are per request all the same.
        counts = {"peer": max(c, n // 5)}
        sides: dict[str, Side] = {
            "sdk": workers(c, n, lambda: client.stacks.get(uid)),
            "raw": workers(c, n, raw_get(session, json.loads)),
            "raw_typed": workers(c, n, raw_get(session, typed)),
        }
        if peer is not None:
            sides["peer"] = workers(c, counts["peer"], lambda: peer.get_stack(uid))
        extra: list[Client | aiohttp.ClientSession] = []
        if investigate:
            cap = Client(server.token, base_url=base, rate_limit=None, max_concurrency=1000)
            limited = Client(
                server.token,
                base_url=base,
                rate_limit=RateLimit(requests=10**9, per=3600.0),
                max_concurrency=c,
            )
            limit_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c))
            extra += [cap, limited, limit_session]
            semaphore = asyncio.Semaphore(c)
            raw_one = raw_get(session, json.loads)

            async def raw_held() -> object:
                async with semaphore:
                    return await raw_one()

            path = f"/stacks/{uid}"
            sides |= {
                "sdk_request": workers(c, n, lambda: client.request("GET", path)),
                "sdk_cap": workers(c, n, lambda: cap.stacks.get(uid)),
                "sdk_limiter": workers(c, n, lambda: limited.stacks.get(uid)),
                "raw_bytes": workers(c, n, raw_get(session, None)),
                "raw_limit": workers(c, n, raw_get(limit_session, json.loads)),
                "sdk_gather": gathered(n, lambda: client.stacks.get(uid)),
                "raw_gather": gathered(n, raw_held),
            }
        try:
            times = await alternate(
                sides, rounds=rounds, max_rounds=max_rounds, budget=budget, server=server
            )
        finally:
            for thing in extra:
                await thing.close()

    rows = []
    for bench, base_side, label, target in (
        ("9", "raw", "raw aiohttp + json.loads", f">= {TARGET}"),
        ("9f", "raw_typed", "raw aiohttp + the SDK's decoder", "-"),
        ("9p", "peer", "httpx + pydantic peer SDK", "-"),
    ):
        if base_side not in times:
            continue
        m = counts.get(base_side, n)
        rate = compare_rates(walls(times["sdk"]), walls(times[base_side]), n, m)
        cpu = compare_rates(cpus(times["sdk"]), cpus(times[base_side]), n, m)
        rows.append(
            Row(
                bench,
                f"{c} requests in flight, stacks.get (requests/s) vs {label}",
                rate.a,
                rate.b,
                "req/s",
                rate.ratio,
                target,
                rate.ratio >= TARGET if base_side == "raw" else None,
                [f"client CPU ratio (requests per CPU second): {cpu.ratio:.3f} ({cpu.spread()})"],
                rate.spread(),
            )
        )
        if base_side == "raw_typed":
            sdk_us, floor_us = us_per(cpus(times["sdk"]), n), us_per(cpus(times["raw_typed"]), n)
            rows[-1].notes.append(
                f"client CPU per request: stacks.get {median(sdk_us):.1f} us, raw aiohttp + the "
                f"SDK's decoder {median(floor_us):.1f} us: "
                f"{median(sdk_us) - median(floor_us):+.1f} us/request, the pipeline's own cost "
                f"(difference of the medians; {difference_note(sdk_us, floor_us)})"
            )
    rows[0].notes += [
        f"{server.describe()}; {n} GETs a pass"
        + (f" ({counts['peer']} for the peer)" if "peer" in times else "")
        + f" from {c} workers, "
        f"{len(times['sdk'])} rounds, "
        "order turning each round (connections opened: during the timed passes)",
        *(side_note(name, passes, counts.get(name, n)) for name, passes in times.items()),
        *([] if "peer" in times else [PEER_MISSING]),
    ]
    if investigate:
        for name in sides:
            if name in ("sdk", "raw", "raw_typed", "peer"):
                continue
            ref = "raw" if name.startswith("raw") else "sdk"
            if name == "sdk_gather":
                ref = "raw_gather"
            if name == "raw_gather":
                continue
            r = compare_rates(walls(times[name]), walls(times[ref]), n)
            k = compare_rates(cpus(times[name]), cpus(times[ref]), n)
            rows.append(
                Row(
                    "9x",
                    f"{c} in flight, investigation: {name} vs {ref} (requests/s)",
                    r.a,
                    r.b,
                    "req/s",
                    r.ratio,
                    "-",
                    None,
                    [f"client CPU ratio: {k.ratio:.3f} ({k.spread()})"],
                    r.spread(),
                )
            )
    return rows


INVESTIGATE = False


async def run(quick: bool) -> list[Row]:
    n = 100 if quick else 300
    rows: list[Row] = []
    with CheapServer(pages=2) as server:
        for c in CONCURRENCY:
            rows += await measure(server, c, n, quick, INVESTIGATE)
    return rows


if __name__ == "__main__":
    # --investigate is this script's own flag; bench_main parses the shared ones.
    INVESTIGATE = "--investigate" in sys.argv
    if INVESTIGATE:
        sys.argv.remove("--investigate")
    bench_main(run, __doc__.splitlines()[0])
