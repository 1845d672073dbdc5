"""The store's scripts proved against the in-process state machines.

The shared limiter and gate cannot run on virtual time (their state lives in a real server), but
their scripts take "now" from the caller when a test asks (``server_clock``). So each hypothesis
machine below drives an in-process :class:`RateLimiter` / :class:`ThrottleGate` and a shared one
(a real Redis or Valkey server) through the same operations on one clock the test moves --
admissions, answers with any headers, refunds, throttles with any ``Retry-After``, probes that
succeed, fail or are lost, time passing by a tick or by whole windows -- and checks after every
step that both decide the same (admitted or not, over the server's budget or not, probe or not,
how long to wait) and hold the same state (sends in the window, the server's budget, the gate's
status, reopening time and counters). The limiter machine also lets each request reach the API
at any time between its admission and its answer (a slow one long after its admission's window
has passed), and checks that the API, counting arrivals, never sees more than the budget in
any window: both limiters decide the same, so both keep it.

Every admission and entry is made with a deadline of "now", so neither side ever sleeps: what
is compared is each decision, and the waits are covered by ``test_throttle.py`` (in process) and
``test_store.py`` (shared, end to end).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from cloud66_async import RateLimit, RetryPolicy
from cloud66_async._options import check_limit_store
from cloud66_async._sansio import RateLimitHeaders
from cloud66_async._store import (
    GATE_CLOSED,
    GATE_OPEN,
    GATE_PROBE_DUE,
    GATE_PROBING,
    SharedLimits,
    SharedThrottleGate,
    open_limit_store,
)
from cloud66_async._throttle import FREE, Permit, RateLimiter, ThrottleGate, Ticket, WaitTooLong

LIMIT = RateLimit(3, per=10)
POLICY = RetryPolicy(throttle_min_delay=0.5, throttle_backoff=1.0)
EPOCH = 1_700_000_000.0
# Steps are multiples of 1/64 s: exact in binary floats and in microseconds, so the two sides
# see the same instants, boundaries included.
LIMITER_STEPS = [0.0, 1 / 64, 0.5, 3.25, 10.0, 25.0]
GATE_STEPS = [0.0, 1 / 64, 0.25, 0.75, 1.0, 5.0]
# Each test's call is bounded (conftest.py): 200 runs of 30 steps take about 20 s.
pytestmark = pytest.mark.time_bound(240)
MODEL = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# The quick suite runs 20 machines of each kind; the slow env 200 (against Redis and Valkey).
RUNS = pytest.mark.parametrize(
    "examples", [20, pytest.param(200, marks=pytest.mark.slow)], ids=["20", "200"]
)


class Clock:
    def __init__(self) -> None:
        self.now = EPOCH

    def __call__(self) -> float:
        return self.now


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class _Both(RuleBasedStateMachine):
    """A loop, a clock, and a fresh token's keys in the store."""

    url = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = Clock()
        self.limits: SharedLimits = open_limit_store(
            check_limit_store(self.url),
            token=secrets.token_hex(16),
            rate_limit=LIMIT,
            lease=1e6,  # the in-process machines have no leases
            clock=self.clock,
            server_clock=self.clock,
        )

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def outcome(self, coroutine: Any) -> Any:
        try:
            return self.run(coroutine)
        except WaitTooLong as exc:
            return exc

    def state(self) -> list[Any]:
        return self.run(self.limits.store.state(LIMIT.per))

    def teardown(self) -> None:
        self.run(self.limits.aclose())
        self.loop.close()


def same_refusal(local: WaitTooLong, shared: WaitTooLong) -> None:
    assert local.what == shared.what
    if local.opens_in is None:
        assert shared.opens_in is None
    else:
        assert shared.opens_in == pytest.approx(local.opens_in, abs=2e-6)


class LimiterModel(_Both):
    def __init__(self) -> None:
        super().__init__()
        self.local = RateLimiter(LIMIT, clock=self.clock)
        assert self.limits.limiter is not None
        self.shared = self.limits.limiter
        self.shared._defer = False  # each release reaches the store at once, as in process
        # Requests admitted and not over: both permits, and when the API counted it (or None).
        self.held: list[tuple[Permit, Permit, list[float]]] = []
        self.arrivals: list[float] = []  # when the API counted each request, on its clock

    @rule()
    def admit(self) -> None:
        local = self.outcome(self.local.acquire(self.clock()))
        shared = self.outcome(self.shared.acquire(self.clock()))
        if isinstance(local, WaitTooLong):
            assert isinstance(shared, WaitTooLong), shared
            same_refusal(local, shared)
            return
        assert isinstance(shared, Permit), shared
        assert local.over_budget == shared.over_budget
        self.held.append((local, shared, []))

    @rule(data=st.data())
    def arrive(self, data: st.DataObject) -> None:
        """A request in flight reaches the API now."""
        on_their_way = [held for held in self.held if not held[2]]
        if on_their_way:
            data.draw(st.sampled_from(on_their_way))[2].append(self.clock())

    @rule(
        data=st.data(),
        limit=st.none() | st.sampled_from([3600, 100]),
        remaining=st.none() | st.integers(-1, 4),
        sent=st.booleans(),
    )
    def answer(
        self, data: st.DataObject, limit: int | None, remaining: int | None, sent: bool
    ) -> None:
        if not self.held:
            return
        index = data.draw(st.integers(0, len(self.held) - 1))
        local, shared, arrived = self.held.pop(index)
        if sent:  # it reached the API at the latest now; one never sent never did
            self.arrivals.append(arrived[0] if arrived else self.clock())
        if limit is not None or remaining is not None:
            headers = RateLimitHeaders(limit, remaining)
            self.run(self.local.observe(local, headers))
            self.run(self.shared.observe(shared, headers))
        self.run(self.local.release(local, sent=sent))
        self.run(self.shared.release(shared, sent=sent))

    @rule(seconds=st.sampled_from(LIMITER_STEPS))
    def time_passes(self, seconds: float) -> None:
        self.clock.now += seconds

    @invariant()
    def the_api_never_counts_more_than_the_budget_in_a_window(self) -> None:
        arrivals = sorted([*self.arrivals, *(arrived[0] for _, _, arrived in self.held if arrived)])
        for i, first in enumerate(arrivals):
            in_window = [t for t in arrivals[i:] if t < first + LIMIT.per]
            assert len(in_window) <= LIMIT.requests, arrivals

    @invariant()
    def same_state(self) -> None:
        count, limit, remaining, budget = self.state()[:4]
        assert LIMIT.requests - count == self.local.local_remaining()
        assert _int(limit) == self.local.server_limit
        assert _int(remaining) == self.local.server_remaining
        assert _int(budget) == self.local._server_budget
        snapshot = self.shared.snapshot()
        assert snapshot.server_limit == self.local.server_limit
        assert snapshot.server_remaining == self.local.server_remaining


class GateModel(_Both):
    def __init__(self) -> None:
        super().__init__()
        self.local = ThrottleGate(clock=self.clock, rand=lambda: 0.5)
        self.shared: SharedThrottleGate = self.limits.gate
        self.shared._rand = lambda: 0.5
        self.in_flight: list[tuple[Ticket, Ticket]] = []

    @rule()
    def arrive(self) -> None:
        local = self.outcome(self.local.enter(self.clock()))
        shared = self.outcome(self.shared.enter(self.clock()))
        if isinstance(local, WaitTooLong):
            assert isinstance(shared, WaitTooLong), shared
            same_refusal(local, shared)
            return
        assert isinstance(shared, Ticket), shared
        assert local.probe == shared.probe
        assert (local is FREE) == (shared is FREE)
        self.in_flight.append((local, shared))

    @rule(
        data=st.data(),
        outcome=st.sampled_from(["ok", "error", "503", "503:0", "503:0.5", "503:2"]),
    )
    def answer(self, data: st.DataObject, outcome: str) -> None:
        if not self.in_flight:
            return
        local, shared = self.in_flight.pop(data.draw(st.integers(0, len(self.in_flight) - 1)))
        if outcome == "ok":
            self.run(self.local.succeeded(local))
            self.run(self.shared.succeeded(shared))
        elif outcome == "error":
            self.run(self.local.abandoned(local))
            self.run(self.shared.abandoned(shared))
        else:
            retry_after = float(outcome[4:]) if ":" in outcome else None
            closed_local = self.run(self.local.throttled(local, retry_after, POLICY))
            closed_shared = self.run(self.shared.throttled(shared, retry_after, POLICY))
            assert closed_shared == pytest.approx(closed_local, abs=2e-6)

    @rule(data=st.data())
    def late_news(self, data: st.DataObject) -> None:
        """A ticket reported again after its request was over: both ignore it."""
        if not self.in_flight:
            return
        local, shared = self.in_flight[data.draw(st.integers(0, len(self.in_flight) - 1))]
        self.run(self.local.abandoned(local))
        self.run(self.shared.abandoned(shared))
        self.in_flight.remove((local, shared))
        self.run(self.local.succeeded(local))
        self.run(self.shared.succeeded(shared))

    @rule(seconds=st.sampled_from(GATE_STEPS))
    def time_passes(self, seconds: float) -> None:
        self.clock.now += seconds

    @invariant()
    def same_state(self) -> None:
        state = self.state()
        status, wait, throttled, episodes = state[4], state[5], state[6], state[7]
        local = self.local
        if local.is_open:
            assert status == GATE_OPEN
        elif local.probing:
            assert status == GATE_PROBING
        elif local.opens_in() > 0:
            assert status == GATE_CLOSED
            assert wait / 1e6 == pytest.approx(local.opens_in(), abs=2e-6)
        else:
            assert status == GATE_PROBE_DUE
        assert (_int(throttled) or 0) == local.throttled_total
        assert (_int(episodes) or 0) == local.episodes


@RUNS
def test_the_limiter_script_decides_as_the_in_process_limiter(
    store_url: str, examples: int
) -> None:
    LimiterModel.url = store_url
    run_state_machine_as_test(LimiterModel, settings=settings(MODEL, max_examples=examples))


@RUNS
def test_the_gate_scripts_decide_as_the_in_process_gate(store_url: str, examples: int) -> None:
    GateModel.url = store_url
    run_state_machine_as_test(GateModel, settings=settings(MODEL, max_examples=examples))
