"""The rate limiter and the throttle gate as state machines, on virtual time.

Each test runs on :class:`VirtualLoop`: hours of waiting take microseconds and no interleaving
depends on the machine's load. The hypothesis state machines drive many tasks through the
limiter and the gate in every order hypothesis can find -- acquire, answer, refund, cancel,
time passing by milliseconds or by whole windows -- and check after every step:

- the limiter never admits more than ``requests`` sends in any ``per`` window, the server (which
  counts a request when it arrives, at any time between its admission and its answer) never
  sees more than that in any window either, and never more than one request goes beyond the
  server's stated budget at a time;
- the gate admits one probe at a time, lets nothing else through while it is not open, is never
  left probing with no probe in flight (a probe that ends in any way hands it on), and hands a
  reopened gate to a waiting request;
- no waiter waits past its deadline.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from _virtual import VirtualLoop, run
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from cloud66_async import RateLimit, RetryPolicy
from cloud66_async._sansio import RateLimitHeaders
from cloud66_async._throttle import (
    FREE,
    Permit,
    RateLimiter,
    ThrottleGate,
    Ticket,
    WaitTooLong,
)

POLICY = RetryPolicy(throttle_min_delay=0.5, throttle_backoff=1.0)
STATEFUL = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def loop_time() -> float:
    return asyncio.get_running_loop().time()


# ------------------------------------------------------------------------------ the limiter


def test_a_free_slot_is_taken_without_suspending() -> None:
    """The hot path: acquire, observe and release complete in one step (no event-loop trip)."""

    async def main() -> None:
        limiter = RateLimiter(RateLimit(3, per=60), clock=loop_time)
        for _ in range(3):
            permit = _run_now(limiter.acquire(math.inf))
            _run_now(limiter.observe(permit, RateLimitHeaders(3600, 3000)))
            _run_now(limiter.release(permit, sent=True))
        assert limiter.local_remaining() == 0

    run(main())


@pytest.mark.parametrize("server_remaining", [None, 0, 1, 5])
def test_acquire_now_admits_exactly_what_acquire_admits_without_waiting(
    server_remaining: int | None,
) -> None:
    """The pipeline's synchronous first try on the SDK's own limiter: a permit exactly when
    acquire(deadline=now) would give one at once (the same permit), ``None`` exactly when it
    would wait (WaitTooLong at such a deadline), and no state changed by a ``None``."""

    async def main() -> None:
        twins = [RateLimiter(RateLimit(3, per=10), clock=loop_time) for _ in range(2)]
        if server_remaining is not None:
            for limiter in twins:  # the server's figure, from a first answer
                first = _run_now(limiter.acquire(math.inf))
                limiter.observe_now(first, 3600, server_remaining)
        for step in range(8):
            if step == 5:
                await asyncio.sleep(10)  # the window moves on
            now_permit = twins[0].acquire_now()
            try:
                permit: Permit | None = _run_now(twins[1].acquire(loop_time()))
            except WaitTooLong:
                permit = None
            assert now_permit == permit
            assert twins[0].snapshot() == twins[1].snapshot()
            if permit is not None and step % 2:
                twins[0].release_now(now_permit, sent=True)
                _run_now(twins[1].release(permit, sent=True))

    run(main())


def test_a_full_window_waits_for_its_oldest_send_and_no_longer() -> None:
    async def main() -> None:
        limiter = RateLimiter(RateLimit(2, per=10), clock=loop_time)
        start = loop_time()
        for _ in range(2):
            await limiter.release(await limiter.acquire(math.inf), sent=True)
        await limiter.acquire(math.inf)
        assert loop_time() - start == pytest.approx(10)

    run(main())


def test_a_wait_past_the_deadline_is_refused_at_once() -> None:
    async def main() -> None:
        limiter = RateLimiter(RateLimit(1, per=3600), clock=loop_time)
        await limiter.acquire(math.inf)
        start = loop_time()
        with pytest.raises(WaitTooLong) as info:
            await limiter.acquire(start + 60)
        assert loop_time() == start  # refused without waiting
        assert info.value.opens_in == pytest.approx(3600)

    run(main())


def test_the_window_is_checked_again_after_waiting_for_the_over_budget_slot() -> None:
    """The old engine's 2x: a waiter for the over-budget slot counted itself without looking at
    the window again. With the server at 0 and 5 per 60 s, 10 requests went out."""

    async def main() -> None:
        limiter = RateLimiter(RateLimit(5, per=60), clock=loop_time)
        first = await limiter.acquire(math.inf)
        await limiter.observe(first, RateLimitHeaders(None, 0))  # the server: nothing left
        await limiter.release(first, sent=True)
        admitted: list[float] = [first.stamp]

        async def request() -> None:
            permit = await limiter.acquire(loop_time() + 120)
            admitted.append(loop_time())
            await anyio.sleep(0.01)
            await limiter.observe(permit, RateLimitHeaders(None, 0))
            await limiter.release(permit, sent=True)

        with anyio.move_on_after(59):
            async with anyio.create_task_group() as tg:
                for _ in range(9):
                    tg.start_soon(request)
        assert len(admitted) == 5  # the window's 5, one at a time past the server's budget

    run(main())


def test_a_refund_gives_back_the_exact_send() -> None:
    async def main() -> None:
        limiter = RateLimiter(RateLimit(2, per=10), clock=loop_time)
        kept = await limiter.acquire(math.inf)
        await limiter.release(kept, sent=True)  # answered at once: its place counts from 0
        await anyio.sleep(5)
        refunded = await limiter.acquire(math.inf)
        await limiter.release(refunded, sent=False)
        await limiter.release(refunded, sent=False)  # told twice: refunds nothing more
        assert limiter.local_remaining() == 1
        await anyio.sleep(5)  # the kept send leaves the window; the refunded one never counted
        assert limiter.local_remaining() == 2

    run(main())


def _most_in_any_window(arrivals: list[float], per: float) -> int:
    """The most instants in any span of ``per`` seconds (``[x, x + per)``, any ``x``)."""
    arrivals = sorted(arrivals)
    return max(
        (sum(1 for b in arrivals[i:] if b < a + per) for i, a in enumerate(arrivals)), default=0
    )


def test_a_slow_request_keeps_its_place_until_the_server_has_counted_it() -> None:
    """The server counts a request when it arrives. One admitted at 0 that arrives only at 9.9
    (a slow connection, a queue before the API) must still hold its place then: the window of
    the server from 9.9 to 19.9 sees it, so it may see only one more. Stamped at admission, the
    limiter let two more go at 10 (3 in that window of 2); stamped again when the answer comes,
    the place counts from 10, and the third request waits for the fast one's place (10.1)."""

    async def main() -> None:
        per = 10.0
        limiter = RateLimiter(RateLimit(2, per=per), clock=loop_time)
        arrivals: list[float] = []

        async def request(arrive_after: float, answer_after: float) -> None:
            permit = await limiter.acquire(math.inf)
            await anyio.sleep(arrive_after)
            arrivals.append(loop_time())
            await anyio.sleep(answer_after)
            await limiter.release(permit, sent=True)

        async with anyio.create_task_group() as tg:
            tg.start_soon(request, 9.9, 0.1)  # slow: arrives at 9.9, answered at 10
            tg.start_soon(request, 0.05, 0.05)  # fast: answered at 0.1
            await anyio.sleep(1)
            for _ in range(4):
                tg.start_soon(request, 0.0, 0.0)  # the next ones arrive as they are admitted
        assert sorted(arrivals)[2:] == pytest.approx([10.1, 20.0, 20.1, 30.0])
        assert _most_in_any_window(arrivals, per) <= 2

    run(main())


def test_requests_slower_than_the_window_hold_their_places_until_they_end() -> None:
    """A request that takes longer than the window (it may arrive at its very end) keeps its
    place all along, so nothing else goes while both places are held by requests in flight."""

    async def main() -> None:
        limiter = RateLimiter(RateLimit(2, per=10), clock=loop_time)
        first = await limiter.acquire(math.inf)
        await limiter.acquire(math.inf)
        await anyio.sleep(25)  # both still in flight, long past their admission's window
        assert limiter.local_remaining() == 0
        with pytest.raises(WaitTooLong) as info:
            await limiter.acquire(loop_time() + 9)
        assert info.value.opens_in == pytest.approx(10)  # at least a window after one ends
        await limiter.release(first, sent=True)
        start = loop_time()
        await limiter.acquire(math.inf)
        assert loop_time() - start == pytest.approx(10)

    run(main())


def _run_now(coroutine: Any) -> Any:
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise AssertionError("suspended: this step took a trip through the event loop")


@dataclass
class _Request:
    """One request of the limiter machine, as its task sees it."""

    deadline: float
    task: asyncio.Task[None] | None = None
    state: str = "waiting"  # waiting, holding, done, too_long, cancelled
    permit: Permit | None = None
    answer: asyncio.Event = field(default_factory=asyncio.Event)
    headers: RateLimitHeaders | None = None
    sent: bool = True
    arrived: float | None = None  # when the server counted it (None: not yet, or never)
    # As the pipeline does with the SDK's own limiter: acquire_now first, then acquire when it
    # says the request would wait; observe_now and release_now instead of their coroutines.
    sync: bool = False


class LimiterMachine(RuleBasedStateMachine):
    """Many requests through one limiter, in every order of events."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = VirtualLoop()
        asyncio.set_event_loop(self.loop)
        self.limit = RateLimit(3, per=10)
        self.limiter = RateLimiter(self.limit, clock=self.loop.time)
        self.requests: list[_Request] = []
        self.sends: list[float] = []  # admission times of requests that were (maybe) sent

    def teardown(self) -> None:
        for request in self.requests:
            if request.task is not None and not request.task.done():
                request.task.cancel()
        self.loop.settle()
        self.loop.close()
        asyncio.set_event_loop(None)

    async def _run(self, request: _Request) -> None:
        try:
            permit = self.limiter.acquire_now() if request.sync else None
            request.permit = permit or await self.limiter.acquire(request.deadline)
        except WaitTooLong:
            request.state = "too_long"
            return
        except asyncio.CancelledError:
            request.state = "cancelled"
            raise
        request.state = "holding"
        self.sends.append(self.loop.time())
        try:
            await request.answer.wait()
            if request.sent and request.arrived is None:
                request.arrived = self.loop.time()  # at the latest, when its answer comes
            if request.headers is not None and request.sync:
                limit, remaining = request.headers
                self.limiter.observe_now(request.permit, limit, remaining)
            elif request.headers is not None:
                await self.limiter.observe(request.permit, request.headers)
        finally:
            # As the pipeline does: a cancelled request may have been sent.
            if request.sent and request.arrived is None:
                request.arrived = self.loop.time()  # cancelled: it may have arrived until now
            if request.sync:
                self.limiter.release_now(request.permit, sent=request.sent)
            else:
                await self.limiter.release(request.permit, sent=request.sent)
            if not request.sent:
                self.sends.remove(request.permit.stamp)
            request.state = "done"

    def _live(self) -> list[_Request]:
        return [r for r in self.requests if r.state in ("waiting", "holding")]

    @precondition(lambda self: len(self._live()) < 10)
    @rule(patience=st.sampled_from([0.0, 0.5, 5.0, 20.0, math.inf]), sync=st.booleans())
    def start(self, patience: float, sync: bool) -> None:
        request = _Request(deadline=self.loop.time() + patience, sync=sync)
        request.task = self.loop.create_task(self._run(request))
        self.requests.append(request)
        self.loop.settle()

    @rule(seconds=st.sampled_from([0.0, 0.001, 0.5, 3.3, 10.0, 25.0]))
    def time_passes(self, seconds: float) -> None:
        self.loop.run_for(seconds)

    @rule(
        data=st.data(),
        remaining=st.none() | st.integers(-1, 4),
        sent=st.booleans(),
    )
    def answer(self, data: st.DataObject, remaining: int | None, sent: bool) -> None:
        holding = [r for r in self.requests if r.state == "holding"]
        if not holding:
            return
        request = data.draw(st.sampled_from(holding))
        request.headers = RateLimitHeaders(3600, remaining) if remaining is not None else None
        request.sent = sent
        if not sent:
            request.arrived = None  # it never left
        request.answer.set()
        self.loop.settle()

    @rule(data=st.data())
    def arrive(self, data: st.DataObject) -> None:
        """A request in flight reaches the server now (any time before its answer)."""
        on_their_way = [r for r in self.requests if r.state == "holding" and r.arrived is None]
        if on_their_way:
            data.draw(st.sampled_from(on_their_way)).arrived = self.loop.time()

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        live = self._live()
        if not live:
            return
        request = data.draw(st.sampled_from(live))
        assert request.task is not None
        request.task.cancel()
        self.loop.settle()

    @invariant()
    def never_more_than_the_window(self) -> None:
        sends = sorted(self.sends)
        n, per = self.limit.requests, self.limit.per
        for i in range(len(sends) - n):
            assert sends[i + n] - sends[i] >= per - 1e-9, sends

    @invariant()
    def the_server_never_counts_more_than_the_window(self) -> None:
        """Counted when they arrive, which may be long after their admission."""
        arrivals = [r.arrived for r in self.requests if r.arrived is not None]
        most = _most_in_any_window(arrivals, self.limit.per)
        assert most <= self.limit.requests, sorted(arrivals)

    @invariant()
    def at_most_one_past_the_servers_budget(self) -> None:
        over = [
            r
            for r in self.requests
            if r.state == "holding" and r.permit is not None and r.permit.over_budget
        ]
        assert len(over) <= 1

    @invariant()
    def no_waiter_past_its_deadline(self) -> None:
        now = self.loop.time()
        for request in self.requests:
            if request.state == "waiting":
                assert request.deadline >= now, (request.deadline, now)

    @invariant()
    def a_free_window_is_used(self) -> None:
        """No lost wakeup: with room in the window and nobody holding the over-budget slot,
        a waiting request does not stay waiting."""
        self.loop.settle()
        waiting = [r for r in self.requests if r.state == "waiting"]
        holding_over = any(
            r.state == "holding" and r.permit is not None and r.permit.over_budget
            for r in self.requests
        )
        if waiting and not holding_over and self.limiter.local_remaining() > 0:
            raise AssertionError("a request waits although the limiter has room")


TestLimiterMachine = STATEFUL(LimiterMachine).TestCase


# --------------------------------------------------------------------------------- the gate


def test_an_open_gate_lets_requests_through_without_suspending() -> None:
    async def main() -> None:
        gate = ThrottleGate(clock=loop_time)
        ticket = _run_now(gate.enter(math.inf))
        assert ticket is FREE
        _run_now(gate.succeeded(ticket))

    run(main())


def test_enter_now_lets_a_request_go_only_through_an_open_gate() -> None:
    """The pipeline's synchronous first try on the SDK's own gate: FREE while the gate is
    open, ``None`` (leaving the choice of the probe to enter) while it is closed or probing,
    and it changes nothing."""

    async def main() -> None:
        gate = ThrottleGate(clock=loop_time, rand=lambda: 0.5)
        assert gate.enter_now() == FREE and gate.is_open
        gate.succeeded_now(FREE)
        closed_for = await gate.throttled(FREE, 2.0, POLICY)
        assert gate.enter_now() is None and not gate.probing
        await asyncio.sleep(closed_for)
        assert gate.enter_now() is None and not gate.probing  # the probe is enter's to give
        probe = _run_now(gate.enter(loop_time()))
        assert probe.probe and gate.enter_now() is None
        gate.succeeded_now(probe)
        assert gate.is_open and gate.enter_now() == FREE

    run(main())


def test_one_probe_after_the_delay_then_open_for_all() -> None:
    async def main() -> None:
        gate = ThrottleGate(clock=loop_time)
        closed_for = await gate.throttled(FREE, 2.0, POLICY)
        assert closed_for == 2.0 and not gate.is_open
        tickets: list[Ticket] = []

        async def request() -> None:
            tickets.append(await gate.enter(math.inf))

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(request)
            await anyio.sleep(2.0)
            await anyio.lowlevel.checkpoint()
            assert [t.probe for t in tickets] == [True]  # one probe; the others wait
            await gate.succeeded(tickets[0])
        assert [t.probe for t in tickets] == [True, False, False, False, False]
        assert loop_time() == pytest.approx(2.0)

    run(main())


@pytest.mark.parametrize("ending", ["error", "cancelled"])
def test_a_probe_that_ends_without_an_answer_hands_the_gate_on(ending: str) -> None:
    async def main() -> None:
        gate = ThrottleGate(clock=loop_time)
        await gate.throttled(FREE, 1.0, POLICY)
        probe = await gate.enter(math.inf)
        assert probe.probe
        waiter_ticket: list[Ticket] = []

        async def waiter() -> None:
            waiter_ticket.append(await gate.enter(math.inf))

        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            await anyio.sleep(0.1)
            assert not waiter_ticket
            if ending == "error":
                await gate.abandoned(probe)
            else:
                # What the pipeline does when the probe's task is cancelled.
                with anyio.CancelScope() as scope:
                    scope.cancel()
                    try:
                        await anyio.sleep(1)
                    finally:
                        with anyio.CancelScope(shield=True):
                            await gate.abandoned(probe)
        assert waiter_ticket and waiter_ticket[0].probe  # the waiter probes next, at once
        assert loop_time() == pytest.approx(1.1)

    run(main())


def test_a_waiter_for_the_probes_verdict_gives_up_at_its_deadline() -> None:
    """The old gate waited for a probe's verdict with no deadline: a lost probe wedged it."""

    async def main() -> None:
        gate = ThrottleGate(clock=loop_time)
        await gate.throttled(FREE, 1.0, POLICY)
        await anyio.sleep(1.0)
        probe = await gate.enter(math.inf)
        assert probe.probe
        start = loop_time()
        with pytest.raises(WaitTooLong):
            await gate.enter(start + 30)
        assert loop_time() == pytest.approx(start + 30)

    run(main())


def test_a_closed_gate_refuses_at_once_a_wait_longer_than_the_deadline() -> None:
    async def main() -> None:
        gate = ThrottleGate(clock=loop_time)
        await gate.throttled(FREE, 120.0, POLICY)
        with pytest.raises(WaitTooLong) as info:
            await gate.enter(loop_time() + 5)
        assert loop_time() == 0
        assert info.value.opens_in == pytest.approx(120)

    run(main())


@pytest.mark.parametrize("retry_after", [None, 0.0, 0.001, 0.2])
def test_every_throttle_delay_has_the_floor(retry_after: float | None) -> None:
    async def main() -> None:
        gate = ThrottleGate(clock=loop_time, rand=lambda: 0.0)
        policy = RetryPolicy(throttle_min_delay=0.5, throttle_backoff=0.0)
        for _ in range(5):
            assert await gate.throttled(FREE, retry_after, policy) >= 0.5
            await anyio.sleep(0.5)

    run(main())


def test_a_stale_ticket_never_reopens_or_hands_on_the_gate() -> None:
    async def main() -> None:
        gate = ThrottleGate(clock=loop_time)
        await gate.throttled(FREE, 1.0, POLICY)
        await anyio.sleep(1.0)
        first = await gate.enter(math.inf)
        await gate.throttled(first, 1.0, POLICY)  # the probe was throttled again
        await anyio.sleep(1.0)
        second = await gate.enter(math.inf)
        await gate.abandoned(first)  # late news of the first probe: ignored
        await gate.succeeded(first)
        assert gate.probing
        await gate.succeeded(second)
        assert gate.is_open

    run(main())


@dataclass
class _Visitor:
    """One request of the gate machine."""

    deadline: float
    task: asyncio.Task[None] | None = None
    state: str = "waiting"  # waiting, in_flight, done, too_long, cancelled
    ticket: Ticket | None = None
    outcome: asyncio.Future[str] | None = None
    open_when_let_in: bool = False
    # As the pipeline does with the SDK's own gate: enter_now first, enter when it says no;
    # succeeded_now instead of its coroutine.
    sync: bool = False


class GateMachine(RuleBasedStateMachine):
    """Many requests through one gate, each ending in any way, in every order."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = VirtualLoop()
        asyncio.set_event_loop(self.loop)
        self.gate = ThrottleGate(clock=self.loop.time, rand=lambda: 0.5)
        self.visitors: list[_Visitor] = []

    def teardown(self) -> None:
        for visitor in self.visitors:
            if visitor.task is not None and not visitor.task.done():
                visitor.task.cancel()
        self.loop.settle()
        self.loop.close()
        asyncio.set_event_loop(None)

    async def _run(self, visitor: _Visitor) -> None:
        try:
            ticket = self.gate.enter_now() if visitor.sync else None
            visitor.ticket = ticket or await self.gate.enter(visitor.deadline)
        except WaitTooLong:
            visitor.state = "too_long"
            return
        except asyncio.CancelledError:
            visitor.state = "cancelled"
            raise
        visitor.open_when_let_in = self.gate.is_open
        visitor.state = "in_flight"
        visitor.outcome = self.loop.create_future()
        reported = False
        try:
            outcome = await visitor.outcome
            if outcome == "ok" and visitor.sync:
                self.gate.succeeded_now(visitor.ticket)
            elif outcome == "ok":
                await self.gate.succeeded(visitor.ticket)
            elif outcome.startswith("503"):
                retry_after = float(outcome[3:]) if len(outcome) > 3 else None
                await self.gate.throttled(visitor.ticket, retry_after, POLICY)
            else:
                await self.gate.abandoned(visitor.ticket)
            reported = True
        finally:
            if not reported:  # cancelled: as the pipeline does, shielded
                with anyio.CancelScope(shield=True):
                    await self.gate.abandoned(visitor.ticket)
            visitor.state = "done"

    def _in_flight(self) -> list[_Visitor]:
        return [v for v in self.visitors if v.state == "in_flight"]

    @precondition(lambda self: len(self.visitors) < 25)
    @rule(patience=st.sampled_from([0.0, 0.3, 2.0, 30.0, math.inf]), sync=st.booleans())
    def arrive(self, patience: float, sync: bool) -> None:
        visitor = _Visitor(deadline=self.loop.time() + patience, sync=sync)
        visitor.task = self.loop.create_task(self._run(visitor))
        self.visitors.append(visitor)
        self.loop.settle()

    @rule(seconds=st.sampled_from([0.0, 0.001, 0.3, 1.0, 5.0]))
    def time_passes(self, seconds: float) -> None:
        self.loop.run_for(seconds)

    @rule(
        data=st.data(),
        outcome=st.sampled_from(["ok", "503", "503" + "0", "503" + "0.001", "503" + "2", "error"]),
    )
    def answer(self, data: st.DataObject, outcome: str) -> None:
        in_flight = self._in_flight()
        if not in_flight:
            return
        visitor = data.draw(st.sampled_from(in_flight))
        assert visitor.outcome is not None
        visitor.outcome.set_result(outcome)
        self.loop.settle()

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        live = [v for v in self.visitors if v.state in ("waiting", "in_flight")]
        if not live:
            return
        visitor = data.draw(st.sampled_from(live))
        assert visitor.task is not None
        visitor.task.cancel()
        self.loop.settle()

    @invariant()
    def one_probe_at_a_time(self) -> None:
        current = [
            v
            for v in self._in_flight()
            if v.ticket is not None
            and v.ticket.probe
            and self.gate.probing
            and v.ticket.generation == self.gate._probe
        ]
        assert len(current) <= 1

    @invariant()
    def never_left_probing_without_a_probe(self) -> None:
        """A probe that ended in any way reopened or reclosed the gate."""
        if self.gate.probing:
            assert any(
                v.ticket is not None and v.ticket.generation == self.gate._probe
                for v in self._in_flight()
            )

    @invariant()
    def only_probes_pass_a_gate_that_is_not_open(self) -> None:
        for visitor in self.visitors:
            if visitor.ticket is not None and not visitor.ticket.probe:
                assert visitor.open_when_let_in

    @invariant()
    def no_waiter_past_its_deadline(self) -> None:
        now = self.loop.time()
        for visitor in self.visitors:
            if visitor.state == "waiting":
                assert visitor.deadline >= now

    @invariant()
    def a_reopened_gate_is_taken(self) -> None:
        """No lost wakeup: once the gate may let a probe through, a waiter becomes it."""
        self.loop.settle()
        waiting = [v for v in self.visitors if v.state == "waiting"]
        if waiting and not self.gate.probing and self.gate.opens_in() == 0:
            raise AssertionError("the gate could let a request through, and nobody went")


TestGateMachine = STATEFUL(GateMachine).TestCase
