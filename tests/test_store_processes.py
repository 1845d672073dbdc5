"""Several OS processes, one token, one store, one FakeCloud66 with a server-side rate limit.

Three worker processes (``_store_worker.py``) start together and each sends its requests through
its own client, four at a time. The fake (in this process) logs every arrival; the workers
record when each attempt was sent and answered (hooks; ``time.monotonic()`` is one clock for
every process of a Linux machine), so each throttle episode -- a run of consecutive 503s in the
fake's log -- can be set against the requests in flight, across all processes, when it began.

With the store, every request succeeds, and:

- with the fake's budget as the clients' limit, the fake never sees more than the budget in any
  window, and no episode costs more 503s than the requests in flight when it began;
- with the default limit, which follows the server's ``X-RateLimit-Remaining`` (shared), no
  episode costs more either, and the run costs fewer 503s than the same run without the store;
- with the gate alone (``rate_limit=None``), no episode costs more than can be in flight.

The runs without a store show the difference; their figures are printed (``pytest -s``). Every
run is ``slow`` (5-10 s each, most of it three interpreters starting): ``pytest -m slow``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest
from _redis_server import RedisServer, require_binary, start_server

from cloud66_async.testing import FakeCloud66

# Every run is slow (three interpreters start for each); each test's call is bounded (conftest.py).
pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.time_bound(150)]

WORKER = Path(__file__).with_name("_store_worker.py")
PROCESSES = 3
CONCURRENCY = 4
REQUESTS = 12  # per process
BUDGET, WINDOW = 10, 1.0  # the fake's limit, and the clients' in the budget scenario
JITTER = 0.05  # loopback delivery: a send at the window's edge may arrive this much later
LATENCY = 0.02  # the fake answers each request this long after it arrives


def slow_fake(**options: Any) -> FakeCloud66:
    """A fake with the rate limit, whose answers take :data:`LATENCY` (as real ones take time)."""
    fake = FakeCloud66(stacks=10, rate_limit=(BUDGET, WINDOW), **options)
    fake.inject_fault("GET", re.compile(".*"), "latency", times=None, delay=LATENCY)
    return fake


async def run_workers(
    fake: FakeCloud66, tmp_path: Path, *, store: str | None, rate: str
) -> list[dict[str, Any]]:
    """Run the workers to the end (60 s at most); return what each recorded."""
    start = time.monotonic() + 1.5  # room for the interpreters to start and import
    outs = [tmp_path / f"worker{index}.json" for index in range(PROCESSES)]
    finished: list[Any] = []

    async def one(out: Path) -> None:
        args = [
            sys.executable,
            str(WORKER),
            fake.base_url,
            fake.token,
            "--uids",
            ",".join(fake.stack_uids),
            "--store",
            store or "none",
            "--requests",
            str(REQUESTS),
            "--concurrency",
            str(CONCURRENCY),
            "--rate",
            rate,
            "--start",
            repr(start),
            "--out",
            str(out),
        ]
        finished.append(await anyio.run_process(args, check=False))

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for out in outs:
                tg.start_soon(one, out)
    for done in finished:
        assert done.returncode == 0, done.stderr.decode()[-3000:]
    return [json.loads(out.read_text()) for out in outs]


def most_in_a_window(times: list[float], width: float) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= width:
            first += 1
        most = max(most, last - first + 1)
    return most


@attrs.frozen
class Episode:
    """A run of consecutive 503s in the fake's log, and the requests that could see them.

    It begins when the fake decided the first 503 (its arrival plus the latency) and its gate
    closes when the client that got that 503 had closed the gate (its ``on_throttle`` hook):
    the first moment a gate can hold anything back. ``in_flight`` counts the requests, across
    all processes, in flight at some point between the two: sent before the gate closed and
    answered after the episode began. ``late`` counts the 503s to requests sent after the gate
    had closed (probes are among them).
    """

    refused: int
    in_flight_at_start: int
    in_flight: int
    late: int


def episodes(fake: FakeCloud66, results: list[dict[str, Any]]) -> list[Episode]:
    """Every throttle episode of the run (see :class:`Episode`)."""
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    throttles = sorted(at for result in results for at in result["throttles"])
    for result in results:
        sent.update(result["sent"])
        answered.update({rid: at for rid, (at, _status) in result["answered"].items()})
    found: list[Episode] = []
    run: list[Any] = []
    for entry in [*fake.request_log, None]:
        if entry is not None and entry.status == 503:
            run.append(entry)
            continue
        if run:
            began = run[0].time + LATENCY
            closed = next((at for at in throttles if at >= began), math.inf)
            late = sum(1 for e in run if sent.get(e.headers.get("Request-Id", ""), 0) > closed)
            found.append(
                Episode(
                    refused=len(run),
                    in_flight_at_start=sum(
                        1 for rid, at in sent.items() if at <= began <= answered.get(rid, math.inf)
                    ),
                    in_flight=sum(
                        1
                        for rid, at in sent.items()
                        if at <= closed and answered.get(rid, math.inf) >= began
                    ),
                    late=late,
                )
            )
            run = []
    return found


def summary(fake: FakeCloud66, results: list[dict[str, Any]], label: str) -> dict[str, Any]:
    times = [entry.time for entry in fake.request_log]
    found = episodes(fake, results)
    figures = {
        "succeeded": sum(r["ok"] for r in results),
        "errors": [e for r in results for e in r["errors"]],
        "requests": len(times),
        "503s": sum(1 for e in fake.request_log if e.status == 503),
        "most in a window": most_in_a_window(times, WINDOW - JITTER),
        "episodes (503s, in flight at start / until the gate closed, late)": [
            (e.refused, e.in_flight_at_start, e.in_flight, e.late) for e in found
        ],
        "seconds": round(
            max(r["finished"] for r in results) - min(r["started"] for r in results), 2
        ),
    }
    print(f"\n{label}: {figures}")
    return figures


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, RedisServer]]:
    """Servers started on first use, one per kind, for this module."""
    started: dict[str, RedisServer] = {}
    try:
        yield started
    finally:
        for server in started.values():
            server.stop()


def store_of(servers: dict[str, RedisServer], kind: str) -> str:
    require_binary(kind)
    if kind not in servers:
        servers[kind] = start_server(kind)
    server = servers[kind]
    assert server.command("FLUSHALL").startswith(b"+OK")
    return server.url


KIND = pytest.mark.parametrize("kind", ["redis", "valkey"])


@KIND
async def test_processes_share_one_budget(
    servers: dict[str, RedisServer], kind: str, tmp_path: Path
) -> None:
    """The clients' limit is the fake's, 10 requests a second, for three processes: the fake
    never sees more in a second, and at most one 503 costs what was in flight."""
    async with slow_fake() as fake:
        results = await run_workers(
            fake, tmp_path, store=store_of(servers, kind), rate=f"{BUDGET}/{WINDOW}"
        )
        figures = summary(fake, results, f"budget, one {kind} store")
    assert figures["succeeded"] == PROCESSES * REQUESTS, figures["errors"]
    assert figures["most in a window"] <= BUDGET
    assert all(e.refused <= e.in_flight_at_start for e in episodes(fake, results))
    # 36 requests at 10 a second: the fourth window opens 3 s after the first.
    assert figures["seconds"] >= 3 * WINDOW - JITTER


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["redis", "valkey"])
async def test_processes_share_the_servers_budget_and_the_gate(
    servers: dict[str, RedisServer], kind: str, tmp_path: Path
) -> None:
    """The default client-side limit (3,000 an hour) does not bind; it follows the server's
    X-RateLimit-Remaining, shared: once it says nothing is left, one request at a time across
    the three processes, and a 503 holds them all back until the probe succeeds."""
    async with slow_fake(retry_after="fractional") as fake:
        results = await run_workers(fake, tmp_path, store=store_of(servers, kind), rate="default")
        shared = summary(fake, results, f"server budget, one {kind} store")
        found = episodes(fake, results)
    assert shared["succeeded"] == PROCESSES * REQUESTS, shared["errors"]
    assert found, "never throttled: the test proves nothing"
    assert all(e.refused <= e.in_flight_at_start for e in found), found
    async with slow_fake(retry_after="fractional") as fake:
        results = await run_workers(fake, tmp_path, store=None, rate="default")
        alone = summary(fake, results, "server budget, no store")
    assert alone["succeeded"] == PROCESSES * REQUESTS, alone["errors"]
    assert shared["503s"] < alone["503s"]


@pytest.mark.slow
async def test_without_the_store_each_process_spends_the_budget(
    servers: dict[str, RedisServer], tmp_path: Path
) -> None:
    async with slow_fake() as fake:
        results = await run_workers(fake, tmp_path, store=None, rate=f"{BUDGET}/{WINDOW}")
        figures = summary(fake, results, "budget, no store")
    assert figures["succeeded"] == PROCESSES * REQUESTS, figures["errors"]
    assert figures["most in a window"] > BUDGET


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["redis", "valkey"])
async def test_with_the_gate_alone_every_request_still_succeeds(
    servers: dict[str, RedisServer], kind: str, tmp_path: Path
) -> None:
    """rate_limit=None: only the shared gate paces the processes. A 503 reaches the others
    only once its client has read it and closed the gate (one store round trip later), so an
    episode can also refuse requests sent in that gap; never more than can be in flight."""
    async with slow_fake(retry_after="fractional") as fake:
        results = await run_workers(fake, tmp_path, store=store_of(servers, kind), rate="none")
        figures = summary(fake, results, f"gate alone, one {kind} store")
        found = episodes(fake, results)
    assert figures["succeeded"] == PROCESSES * REQUESTS, figures["errors"]
    assert found and all(e.refused <= PROCESSES * CONCURRENCY for e in found), found
