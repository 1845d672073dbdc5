"""8. Per-request client overhead and sequential GETs, against the near-free server.

One request at a time, ``GET /stacks/{uid}`` (the blueprint's example stack, 790 bytes, with its
``" UTC"`` timestamps beside the ISO ones), served from prebuilt bytes by ``_cheap_server.py`` in
its own process. Six sides, the order turning each round, each sending the same number of GETs
a pass over one kept-alive connection:

* ``sdk_get``: ``await client.stacks.get(uid)`` -> a ``Stack`` (``rate_limit=None``);
* ``sdk_request``: ``await client.request("GET", f"/stacks/{uid}")`` -> the unwrapped payload;
* ``raw_bytes``: aiohttp with the SDK's headers and a fresh ``Request-Id``, ``await
  resp.read()``: the least a client can do;
* ``raw_json``: the same, then ``json.loads``;
* ``raw_typed`` ("raw aiohttp + the SDK's decoder"): the same, then the SDK's own fast decoder
  (``client._shared.decoder.fast.one(body, Stack)``) -> the same ``Stack`` as ``stacks.get``:
  the typed floor, what ``stacks.get`` would cost with no pipeline around its decoding;
* ``peer``: the typical SDK (``_peer_sdk.py``, httpx + pydantic v2) ``get_stack(uid)``.

Each pass is timed in wall time and in the client process's CPU time (the client's own cost,
whatever the server, another process, and the machine's other jobs do). Then the SDK sides,
``raw_bytes`` and ``raw_typed`` are interleaved request by request (one of each per step, the
order turning each step, each request timed alone in CPU time, in blocks of 200 steps): the
finest alternation, and the steadiest difference, so the overhead target is read from it.

Targets: SDK - raw bytes <= 20 us of client CPU per request, interleaved (``stacks.get`` and
``request``; rows 8, with the same from the passes in 8a and in wall time in 8i); sequential
``stacks.get`` >= 0.95x the requests/s of raw + ``json.loads`` (wall time, row 8s).

For information, rows 8f split the overhead of ``stacks.get`` in two, interleaved: the
decoding's cost (``raw_typed`` - ``raw_bytes``) and the pipeline's own (``stacks.get`` -
``raw_typed``: all the SDK does besides decoding).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import time
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
from _harness import (
    PEER_MISSING,
    CheapServer,
    Pass,
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

from cloud66_async import Client
from cloud66_async.models import Stack

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
        f"per-request overhead, {label} - raw aiohttp read, in passes ({kind} us/request)",
        median(a),
        median(b),
        "us",
        median(a) / median(b),
        "-",
        None,
        [f"SDK - raw: {diff:+.1f} us/request (difference of the medians), in passes"],
        difference_note(a, b),
    )


def floor_row(
    label: str,
    a: Sequence[float],
    b: Sequence[float],
    meaning: str,
    a_passes: Sequence[Pass],
    b_passes: Sequence[Pass],
    n: int,
) -> Row:
    """An information row (8f) from the interleaved blocks: side A minus side B, client CPU us
    per request, with the same difference from the passes in the notes."""
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    pa, pb = us_per(cpus(a_passes), n), us_per(cpus(b_passes), n)
    return Row(
        "8f",
        label,
        median(a),
        median(b),
        "us",
        median(a) / median(b),
        "-",
        None,
        [
            f"difference: {median(diffs):+.1f} us/request (the median of the blocks' "
            f"differences): {meaning}",
            f"in passes: {median(pa) - median(pb):+.1f} us/request (difference of the medians; "
            f"{difference_note(pa, pb)})",
        ],
        f"blocks {median(diffs):+.1f} [{min(diffs):+.1f}..{max(diffs):+.1f}] us",
    )


async def raw_read(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    decode: Callable[[bytes], object] | None = None,
) -> object:
    """One raw GET: the SDK's headers, a fresh ``Request-Id``, the body's bytes, or what
    ``decode`` makes of them (``json.loads``; the SDK's fast decoder for the typed floor)."""
    async with session.get(url, headers={**headers, "Request-Id": os.urandom(16).hex()}) as resp:
        resp.raise_for_status()
        body = await resp.read()
    return body if decode is None else decode(body)


async def interleave(
    sides: dict[str, Callable[[], Awaitable[object]]], *, blocks: int, steps: int
) -> dict[str, list[float]]:
    """Send one request of each side per step (the order turning each step), each timed alone in
    CPU time; return each side's mean microseconds per request in each block.

    Alternating request by request puts every burst of the machine's noise on all sides alike,
    so the difference between the sides is steadier than between passes.
    """
    names = list(sides)
    clock = time.process_time
    out: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(steps):  # warm-up
        for name in names:
            await sides[name]()
    for _ in range(blocks):
        gc.collect()
        spent = dict.fromkeys(names, 0.0)
        for step in range(steps):
            shift = step % len(names)
            for name in names[shift:] + names[:shift]:
                started = clock()
                await sides[name]()
                spent[name] += clock() - started
        for name in names:
            out[name].append(spent[name] / steps * 1e6)
    return out


async def run(quick: bool) -> list[Row]:
    # Short passes, many rounds: this machine's noise comes in bursts, and fine alternation
    # spreads each burst over all sides alike.
    n = 50 if quick else 100
    steps = 50 if quick else 200
    rounds, max_rounds, budget = (2, 2, 0.0) if quick else (15, 61, 10.0)
    with CheapServer(pages=2) as server:
        uid = server.stack_uid
        url = f"{server.base_url}/stacks/{uid}"
        headers = await sdk_headers(server.base_url, server.token)
        async with contextlib.AsyncExitStack() as exits:
            client = await exits.enter_async_context(
                Client(server.token, base_url=server.base_url, rate_limit=None)
            )
            session = await exits.enter_async_context(aiohttp.ClientSession())
            peer = await open_peer(exits, server.token, server.base_url, headers)
            stack = await client.stacks.get(uid)
            assert stack.uid == uid and stack.created_at is not None, stack
            # The typed floor decodes with the client's own fast path; a declined decode (None)
            # would make it measure far less than stacks.get does.
            fast = client._shared.decoder.fast

            def typed(body: bytes) -> Stack | None:
                return fast.one(body, Stack)

            floor = await raw_read(session, url, headers, typed)
            assert floor is not None, "the SDK's fast decoder declined the stack"
            assert floor == stack, (floor, stack)
            if peer is not None:
                assert (await peer.get_stack(uid)).created_at == stack.created_at

            async def sdk_get() -> None:
                for _ in range(n):
                    await client.stacks.get(uid)

            async def sdk_request() -> None:
                path = f"/stacks/{uid}"
                for _ in range(n):
                    await client.request("GET", path)

            def raw_pass(decode: Callable[[bytes], object] | None) -> Callable[[], Awaitable[None]]:
                """A pass of raw GETs, each written out (no helper coroutine per request)."""

                async def run_pass() -> None:
                    for _ in range(n):
                        async with session.get(
                            url, headers={**headers, "Request-Id": os.urandom(16).hex()}
                        ) as resp:
                            resp.raise_for_status()
                            body = await resp.read()
                        if decode is not None:
                            decode(body)

                return run_pass

            raw_bytes, raw_json, raw_typed = raw_pass(None), raw_pass(json.loads), raw_pass(typed)

            n_peer = max(10, n // 4)  # the peer costs ~5x more a request: shorter passes

            async def peer_get() -> None:
                assert peer is not None
                for _ in range(n_peer):
                    await peer.get_stack(uid)

            sides = {
                "sdk_get": sdk_get,
                "sdk_request": sdk_request,
                "raw_bytes": raw_bytes,
                "raw_json": raw_json,
                "raw_typed": raw_typed,
            }
            if peer is not None:
                sides["peer"] = peer_get
            times = await alternate(
                sides, rounds=rounds, max_rounds=max_rounds, budget=budget, server=server
            )
            interleaved = await interleave(
                {
                    "sdk_get": lambda: client.stacks.get(uid),
                    "sdk_request": lambda: client.request("GET", f"/stacks/{uid}"),
                    "raw_bytes": lambda: raw_read(session, url, headers),
                    "raw_typed": lambda: raw_read(session, url, headers, typed),
                },
                blocks=3 if quick else 10,
                steps=steps,
            )
        described = server.describe()

    rows: list[Row] = []
    for label, name in (("stacks.get", "sdk_get"), ("request()", "sdk_request")):
        a, b = interleaved[name], interleaved["raw_bytes"]
        diffs = [x - y for x, y in zip(a, b, strict=True)]
        rows.append(
            Row(
                "8",
                f"per-request overhead, {label} - raw aiohttp read, interleaved request by request "
                "(client CPU us/request)",
                median(a),
                median(b),
                "us",
                median(a) / median(b),
                f"SDK - raw <= {OVERHEAD_TARGET_US:g} us",
                median(diffs) <= OVERHEAD_TARGET_US,
                [
                    f"SDK - raw: {median(diffs):+.1f} us/request (the median of the blocks' "
                    "differences; the target is read from it)",
                    f"{len(a)} blocks of {steps} steps; each step sends one request of each side, "
                    "the order turning each step, each request timed alone (process_time); a "
                    "block's figure is its mean per request",
                ],
                f"blocks {median(diffs):+.1f} [{min(diffs):+.1f}..{max(diffs):+.1f}] us",
            )
        )
    rows += [
        floor_row(
            "raw aiohttp + the SDK's decoder - raw aiohttp read, interleaved "
            "(client CPU us/request)",
            interleaved["raw_typed"],
            interleaved["raw_bytes"],
            "the decoding's cost",
            times["raw_typed"],
            times["raw_bytes"],
            n,
        ),
        floor_row(
            "stacks.get - (raw aiohttp + the SDK's decoder), interleaved",
            interleaved["sdk_get"],
            interleaved["raw_typed"],
            "the pipeline's own cost, all stacks.get does besides decoding",
            times["sdk_get"],
            times["raw_typed"],
            n,
        ),
    ]
    in_passes = overhead_row(
        "8a", "stacks.get", times["sdk_get"], times["raw_bytes"], n, wall=False
    )
    rows += [
        in_passes,
        overhead_row("8a", "request()", times["sdk_request"], times["raw_bytes"], n, wall=False),
        overhead_row("8i", "stacks.get", times["sdk_get"], times["raw_bytes"], n, wall=True),
    ]
    in_passes.notes += [
        f"{described}; {n} GETs a pass"
        + (f" ({n_peer} for the peer)" if "peer" in times else "")
        + f", {len(times['sdk_get'])} rounds, "
        "order turning each round",
        *(
            side_note(name, passes, n_peer if name == "peer" else n)
            for name, passes in times.items()
        ),
    ]
    for bench, base, label, target, goal in (
        ("8s", "raw_json", "raw aiohttp + json.loads", ">= 0.95", 0.95),
        ("8p", "peer", "httpx + pydantic peer SDK", "-", None),
    ):
        if base not in times:
            in_passes.notes.append(PEER_MISSING)
            continue
        m = n_peer if base == "peer" else n
        c = compare_rates(walls(times["sdk_get"]), walls(times[base]), n, m)
        cpu = compare_rates(cpus(times["sdk_get"]), cpus(times[base]), n, m)
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
