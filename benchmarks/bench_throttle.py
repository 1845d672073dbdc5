"""6. Throttle economy: 1,000 GETs from 50 tasks against a fake limited to 100 requests a second.

The fake (own process) allows 100 requests per token in fixed 1-second windows, each window
starting at its first request, and answers the rest ``503 throttled`` with a fractional
``Retry-After`` (the time left in the window). 50 tasks each send 20 ``client.stacks.get(uid)``
through one client with the SDK's default settings (default ``RateLimit``, ``max_concurrency``
10); for information the same is run with ``rate_limit=None``. Runs alternate (default, none,
default, ...); the fake's limit is reset before each.

Two targets:

* **503s per episode <= requests in flight when it began.** An episode is a run of consecutive
  503s in the fake's log (arrival order). "In flight when it began" counts the client's requests
  sent (hook ``on_request``) and not yet answered (hook ``on_response``) at the moment the fake
  answered the episode's first 503 (its log time). Both sides read ``time.monotonic()``, which
  on Linux is one clock for every process of the machine. Also reported: the requests in flight
  when the client *received* that first 503 (the most its gate can promise), and the 503s to
  requests sent after the client had received it (those the gate exists to avoid).
* **Total time <= 1.15x the minimum the limit allows.** 1,000 requests at 100 per window need
  10 windows; a window opens no sooner than 1 s after the previous one opened, so the 10th opens
  at least 9 x 1.0 s after the first request: minimum = (ceil(1000 / 100) - 1) x 1.0 s = 9.0 s
  (the last window's own requests are counted as taking no time, which makes the bound strict).
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from _harness import LogRow, Row, Server, bench_main, median, spread

from cloud66_async import Client, Hooks

REQUESTS = 1000
TASKS = 50
LIMIT = 100
WINDOW = 1.0


class Recorder:
    """Client-side send and answer times of every attempt, by ``Request-Id``."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.answered: dict[str, float] = {}

    def hooks(self) -> Hooks:
        def on_request(event: Any) -> None:
            self.sent[event.request_id] = time.monotonic()

        def on_response(event: Any) -> None:
            self.answered[event.request_id] = time.monotonic()

        return Hooks(on_request=on_request, on_response=on_response)

    def in_flight(self, at: float) -> int:
        """Attempts sent at or before ``at`` and answered at or after it."""
        return sum(
            1
            for rid, sent in self.sent.items()
            if sent <= at and self.answered.get(rid, math.inf) >= at
        )


def episodes(log: list[LogRow], rec: Recorder) -> list[dict[str, Any]]:
    """Runs of consecutive 503s in the fake's log, each with what was in flight at its start."""
    found: list[dict[str, Any]] = []
    current: list[LogRow] = []
    for row in [*log, None]:
        if row is not None and row.status == 503:
            current.append(row)
            continue
        if current:
            first = current[0]
            known_at = rec.answered.get(first.request_id or "", math.inf)
            avoidable = sum(1 for r in current if rec.sent.get(r.request_id or "", 0) > known_at)
            found.append(
                {
                    "count": len(current),
                    "in_flight": rec.in_flight(first.time),
                    "in_flight_known": rec.in_flight(known_at),
                    "after_known": avoidable,
                    "at": first.time,
                }
            )
            current = []
    return found


async def one_run(server: Server, uid: str, *, default: bool, requests: int) -> dict[str, Any]:
    server.call("set_rate_limit", requests=LIMIT, window=WINDOW)  # restarts the windows
    server.call("clear_log")
    rec = Recorder()
    options: dict[str, Any] = {} if default else {"rate_limit": None}
    per_task = requests // TASKS
    async with Client(server.token, base_url=server.base_url, hooks=rec.hooks(), **options) as c:

        async def task() -> None:
            for _ in range(per_task):
                await c.stacks.get(uid)

        started = time.perf_counter()
        await asyncio.gather(*(task() for _ in range(TASKS)))
        elapsed = time.perf_counter() - started
        throttled_total = c.rate_limit_state.throttled_total
    log = server.log()
    ok = sum(1 for r in log if r.status == 200)
    assert ok == per_task * TASKS, ok
    eps = episodes(log, rec)
    return {
        "elapsed": elapsed,
        "requests": len(log),
        "n503": sum(1 for r in log if r.status == 503),
        "episodes": eps,
        "met": all(e["count"] <= e["in_flight"] for e in eps),
        "after_known": sum(e["after_known"] for e in eps),
        "throttled_seen": throttled_total,
    }


def _describe(runs: list[dict[str, Any]]) -> list[str]:
    lines = []
    for i, r in enumerate(runs, 1):
        pairs = " ".join(
            f"{e['count']}/{e['in_flight']}({e['in_flight_known']})" for e in r["episodes"]
        )
        lines.append(
            f"run {i}: {r['elapsed']:.2f}s, {r['requests']} requests, {r['n503']} x 503 in "
            f"{len(r['episodes'])} episodes; 503s/in-flight per episode: {pairs or '-'}; "
            f"503s to requests sent after the client knew: {r['after_known']}"
        )
    return lines


async def run(quick: bool) -> list[Row]:
    requests = 300 if quick else REQUESTS
    order = ["default", "none"] if quick else ["default", "none", "default", "none", "default"]
    minimum = (math.ceil(requests / LIMIT) - 1) * WINDOW
    results: dict[str, list[dict[str, Any]]] = {"default": [], "none": []}
    with Server(stacks=1, servers_per_stack=3, rate_limit=(LIMIT, WINDOW)) as server:
        uid = server.stack_uids[0]
        for side in order:
            results[side].append(
                await one_run(server, uid, default=side == "default", requests=requests)
            )
    rows = []
    for side, label in (("default", "default client"), ("none", "rate_limit=None")):
        runs = results[side]
        times = [r["elapsed"] for r in runs]
        worst = max(
            (e["count"] / max(1, e["in_flight"]) for r in runs for e in r["episodes"]),
            default=0.0,
        )
        worst_known = max(
            (e["count"] / max(1, e["in_flight_known"]) for r in runs for e in r["episodes"]),
            default=0.0,
        )
        avoidable = sum(r["after_known"] for r in runs)
        info = side == "none"
        rows.append(
            Row(
                "6" if not info else "6i",
                f"throttle, {requests} GETs / {TASKS} tasks at {LIMIT}/s, {label}: total time",
                median(times),
                minimum,
                "s",
                median(times) / minimum,
                "<= 1.15",
                None if info else median(times) / minimum <= 1.15,
                [
                    f"minimum = (ceil({requests}/{LIMIT}) - 1) x {WINDOW:g} s = {minimum:g} s; "
                    f"{len(runs)} runs: {spread(times)} s",
                    *_describe(runs),
                ],
                f"runs {spread(times)} s",
            )
        )
        rows.append(
            Row(
                "6" if not info else "6i",
                f"throttle, {label}: 503s per episode vs in flight at its start (worst ratio)",
                float(median([r["n503"] for r in runs])),
                float(median([sum(e["in_flight"] for e in r["episodes"]) for r in runs])),
                "503s",
                worst,
                "<= 1.0 each episode",
                None if info else all(r["met"] for r in runs),
                [
                    "SDK column: 503s per run (median); baseline column: sum of in-flight at "
                    "episode starts; the ratio is the worst episode's 503s / in flight",
                    "in each run above, 'a/b(c)': a 503s in the episode, b in flight when the fake "
                    "answered its first 503 (the target), c in flight when the client received it",
                    f"worst a/b {worst:.2f}, worst a/c {worst_known:.2f}; 503s to requests sent "
                    f"after the client knew, all runs: {avoidable}",
                ],
                f"503s per run {spread([float(r['n503']) for r in runs])}",
            )
        )
    return rows


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
