"""7. Polling economy: ``client.actions.wait_many`` on 50 actions of one stack.

50 ``clear_caches`` actions are started on one stack of a fake (own process, 30 items a page
like the live API, actions finishing 2 s after they start), then waited on with
``wait_many(actions, poll_interval=0.2, max_poll_interval=0.2, on_progress=...)`` through a
client with default settings. Ticks are counted from ``on_progress``: every tick reports each
action it read, so the calls come in bursts, one burst per tick (a gap of more than half the
interval separates two ticks); the fake's log gives the GETs sent during the wait (and,
grouped the same way, a second count of ticks). For information, the naive way -- one
``client.actions.wait`` per action, concurrently -- is measured too (its ticks: the polls of
the most polled action).
Target: <= 1 request per poll tick.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from _harness import LogRow, Row, Server, bench_main, median

from cloud66_async import Client

ACTIONS = 50
ACTION_DELAY = 2.0
INTERVAL = 0.2


def bursts(times: Sequence[float], gap: float) -> int:
    """How many groups the sorted ``times`` fall into, a gap > ``gap`` starting a new one."""
    count = 0
    last = None
    for t in sorted(times):
        if last is None or t - last > gap:
            count += 1
        last = t
    return count


async def one_run(server: Server, client: Client, uid: str, *, naive: bool) -> dict[str, Any]:
    actions = await asyncio.gather(
        *(client.actions.run(uid, "clear_caches") for _ in range(ACTIONS))
    )
    server.call("clear_log")
    seen: list[float] = []

    def progress(_action: Any) -> None:
        seen.append(time.monotonic())

    started = time.perf_counter()
    if naive:
        done = await asyncio.gather(
            *(
                client.actions.wait(
                    a,
                    poll_interval=INTERVAL,
                    max_poll_interval=INTERVAL,
                    on_progress=progress,
                )
                for a in actions
            )
        )
    else:
        done = await client.actions.wait_many(
            actions, poll_interval=INTERVAL, max_poll_interval=INTERVAL, on_progress=progress
        )
    elapsed = time.perf_counter() - started
    assert all(a.finished_at is not None for a in done)
    log: list[LogRow] = server.log()
    gets = [r for r in log if r.method == "GET"]
    server_ticks = bursts([r.time for r in gets], INTERVAL / 2)
    if naive:
        # 50 independent tickers drift apart (jitter), so bursts blur: count each action's own
        # polls instead (its GET /actions/{id}), the most polled action's count being the ticks.
        by_action: dict[str, int] = {}
        for r in gets:
            by_action[r.path] = by_action.get(r.path, 0) + 1
        ticks = max(by_action.values(), default=0)
    else:
        ticks = bursts(seen, INTERVAL / 2)
    pages: dict[str, int] = {}
    for r in gets:
        pages[r.page or "1"] = pages.get(r.page or "1", 0) + 1
    return {
        "elapsed": elapsed,
        "gets": len(gets),
        "ticks": ticks,
        "server_ticks": server_ticks,
        "per_tick": len(gets) / max(1, ticks),
        "pages": pages,
    }


async def run(quick: bool) -> list[Row]:
    reps = 1 if quick else 3
    with Server(stacks=1, servers_per_stack=3, action_delay=ACTION_DELAY) as server:
        uid = server.stack_uids[0]
        async with Client(server.token, base_url=server.base_url) as client:
            runs: dict[str, list[dict[str, Any]]] = {"sdk": [], "naive": []}
            for _ in range(reps):
                runs["sdk"].append(await one_run(server, client, uid, naive=False))
                runs["naive"].append(await one_run(server, client, uid, naive=True))
    per_tick = median([r["per_tick"] for r in runs["sdk"]])
    naive = median([r["per_tick"] for r in runs["naive"]])
    notes = []
    for name in ("sdk", "naive"):
        for i, r in enumerate(runs[name], 1):
            notes.append(
                f"{name} run {i}: {r['elapsed']:.2f}s, {r['gets']} GETs in {r['ticks']} ticks "
                f"(fake's log: {r['server_ticks']} bursts) = {r['per_tick']:.2f} per tick"
                + (f"; GETs by page: {r['pages']}" if name == "sdk" else "")
            )
    return [
        Row(
            "7",
            f"polling, wait_many on {ACTIONS} actions of one stack (GETs per tick)",
            per_tick,
            naive,
            "GET/tick",
            per_tick,
            "<= 1.0",
            per_tick <= 1.0,
            [
                f"fake per_page 30, actions finish {ACTION_DELAY:g}s after start, poll interval "
                f"{INTERVAL:g}s; baseline = one actions.wait per action (information)",
                *notes,
            ],
            f"runs {min(r['per_tick'] for r in runs['sdk']):.3g}.."
            f"{max(r['per_tick'] for r in runs['sdk']):.3g} GET/tick",
        )
    ]


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
