"""The rate limiter and the throttle gate: two small state machines every request of a client
(and of its views) passes through, over an injected clock.

- :class:`RateLimiter` keeps a client under a sliding-window budget (3,000 requests an hour by
  default) and follows the server's ``X-RateLimit-Remaining``: once the server says nothing is
  left, requests go one at a time, so the first answer after the server's window resets opens
  the flow again and an exhausted budget costs one ``503``, not one per task.
- :class:`ThrottleGate` closes for everyone as soon as one request is answered ``503
  throttled``: requests that start while it is closed wait instead of collecting their own 503.
  When the wait is over, one request goes first as a probe; only when it succeeds does the gate
  open for all, so a throttle episode costs at most the requests already in flight when it
  began. A probe that ends in any other way (an error, a cancellation) hands the gate back, so
  the next waiter probes instead.

Every wait has a deadline (an instant on the clock): a wait that cannot end before it raises
:class:`WaitTooLong` at once, and a wait whose end is not known in advance (for the probe's
verdict, for the one request allowed past the server's budget) gives up at it.

The interface
-------------
The request pipeline uses only the awaitable methods below, so a second implementation that
keeps the budget and the gate in a shared store (for example Redis, shared by every process
using one token) can stand in for these two, chosen when the client is built. Methods that
report an outcome must be safe to call after the task was cancelled (the pipeline shields
them) and must never raise for a ticket or permit that is stale::

    limiter.acquire(deadline) -> Permit     wait until one more request fits; count it
    limiter.observe(permit, headers)        take in X-RateLimit-Limit/-Remaining of its answer
    limiter.release(permit, sent=...)       the request is over; sent=False refunds it
    limiter.snapshot() -> LimiterState      what the limiter knows now (no I/O)

    gate.enter(deadline) -> Ticket          wait until the gate lets this request go
    gate.throttled(ticket, retry_after, policy) -> seconds the gate stays closed
    gate.succeeded(ticket)                  a non-throttled answer (reopens after a probe)
    gate.abandoned(ticket)                  no answer at all (hands the probe on)
    gate.snapshot() -> GateState            what the gate knows now (no I/O)

The in-process implementations never suspend when the budget is free and the gate is open, so
the common request costs no trip through the event loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol

import attrs

from ._options import RateLimit, RetryPolicy
from ._sansio import RateLimitHeaders, throttle_delay

if TYPE_CHECKING:
    import anyio

__all__ = [
    "Clock",
    "Gate",
    "GateState",
    "Limiter",
    "LimiterState",
    "Permit",
    "RateLimitState",
    "RateLimiter",
    "Slots",
    "ThrottleGate",
    "Ticket",
    "WaitTooLong",
]

Clock = Callable[[], float]


@attrs.frozen
class RateLimitState:
    """A snapshot of what the client knows about its rate limit.

    ``limit`` and ``remaining`` are the last ``X-RateLimit-Limit`` / ``X-RateLimit-Remaining``
    seen (``None`` before any answer carried them); ``reset_at`` is when the server said the
    budget comes back (from a throttled answer's ``Retry-After``), ``gate_closed`` whether
    requests are being held back right now, and ``gate_opens_in`` for how many more seconds.
    ``local_remaining`` is what the client-side limiter would still send in its current window
    (``None`` when it is off).
    """

    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    gate_closed: bool
    gate_opens_in: float
    local_remaining: int | None
    throttled_total: int


class WaitTooLong(Exception):
    """Internal: the limiter or the gate cannot let a request go before its deadline.

    ``opens_in`` is how many seconds the wait would still take, when that is known; ``what``
    names what the request was waiting for.
    """

    def __init__(self, opens_in: float | None, what: str) -> None:
        super().__init__(opens_in, what)
        self.opens_in = opens_in
        self.what = what


class Permit(NamedTuple):
    """One request counted by a limiter: when, whether it went past the server's budget, and
    which of the limiter's requests it is: ``serial`` for the in-process limiter (0 for none),
    ``member`` (its entry in the store) for the shared one, ``""`` for none.

    A named tuple, not an attrs class: one is made for every request of a rate-limited client,
    and it is on the import path (see :class:`Ticket`).
    """

    stamp: float
    over_budget: bool
    serial: int = 0
    member: str = ""


class Ticket(NamedTuple):
    """A request let through the gate; ``probe`` when it goes first after a throttle.

    This and the two state classes below are named tuples, not attrs classes: they are on the
    import path, where attrs would compile their methods at every start-up; they compare,
    hash and print as the attrs classes did, and nothing evolves or unpacks them.
    """

    probe: bool
    generation: int = 0


FREE: Final = Ticket(probe=False)


class LimiterState(NamedTuple):
    """The limiter's part of :class:`RateLimitState`."""

    server_limit: int | None
    server_remaining: int | None
    local_remaining: int | None


class GateState(NamedTuple):
    """The gate's part of :class:`RateLimitState`."""

    closed: bool
    opens_in: float
    reset_at: datetime | None
    throttled_total: int


class Limiter(Protocol):
    """What the pipeline asks of a rate limiter (see the module docstring)."""

    async def acquire(self, deadline: float) -> Permit: ...

    async def observe(self, permit: Permit, headers: RateLimitHeaders) -> None: ...

    async def release(self, permit: Permit, *, sent: bool) -> None: ...

    def snapshot(self) -> LimiterState: ...


class Gate(Protocol):
    """What the pipeline asks of a throttle gate (see the module docstring)."""

    async def enter(self, deadline: float) -> Ticket: ...

    async def throttled(
        self, ticket: Ticket, retry_after: float | None, policy: RetryPolicy
    ) -> float: ...

    async def succeeded(self, ticket: Ticket) -> None: ...

    async def abandoned(self, ticket: Ticket) -> None: ...

    def snapshot(self) -> GateState: ...


class _Wakeup:
    """Wake the tasks waiting on a state machine when its state changes.

    A fresh event per change, made only when someone waits, so a change nobody waits for costs
    nothing.
    """

    __slots__ = ("_event", "waiting")

    def __init__(self) -> None:
        self._event: anyio.Event | None = None
        self.waiting = 0

    async def wait(self, seconds: float) -> None:
        """Wait until the next change, or ``seconds`` (whichever comes first)."""
        import anyio  # loaded with the first wait (see _waits)

        if self._event is None:
            self._event = anyio.Event()
        event = self._event
        self.waiting += 1
        try:
            with anyio.move_on_after(max(0.0, seconds)):
                await event.wait()
        finally:
            self.waiting -= 1

    def notify(self) -> None:
        event, self._event = self._event, None
        if event is not None:
            event.set()


class RateLimiter:
    """A sliding-window limiter: at most ``limit.requests`` requests reach the server in any
    ``limit.per`` seconds, and no more than one at a time while the server says its own budget
    is spent.

    The server counts a request when it arrives, which may be any time between its admission
    and its answer. So a request takes its place in the window when it is admitted, keeps it
    while it is in flight, and when it is over (``release(sent=True)``) its place moves to that
    instant, after the server counted it, and stays ``limit.per`` seconds from there. Every
    window of the server, wherever it starts, then holds no more than ``limit.requests``: of
    the requests that arrive in it, the last admitted found every other one still holding its
    place (admitted before it, answered after the window began).
    """

    def __init__(self, limit: RateLimit, *, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        # The instants the requests over were answered (their places), oldest first, and the
        # requests in flight (serial -> admission instant), each holding a place until it ends.
        self._stamps: collections.deque[float] = collections.deque()
        self._flying: dict[int, float] = {}
        self._serial = 0
        self.server_limit: int | None = None
        self.server_remaining: int | None = None
        # What the server's budget allows from here on, counting our own sends since it spoke.
        self._server_budget: int | None = None
        self._over_held = False
        self._wakeup = _Wakeup()

    def _prune(self, now: float) -> None:
        # The same sum as acquire's `frees_at`, so that rounding can never leave a stamp that
        # is neither pruned nor waited for (a wait of 0 s, for ever).
        per = self.limit.per
        stamps = self._stamps
        while stamps and stamps[0] + per <= now:
            stamps.popleft()

    def local_remaining(self) -> int:
        """How many more sends the current window allows."""
        self._prune(self._clock())
        return max(0, self.limit.requests - len(self._stamps) - len(self._flying))

    async def acquire(self, deadline: float) -> Permit:
        """Wait until one more request fits, then count it; raise :class:`WaitTooLong` when that
        cannot happen before ``deadline``.

        Every condition is checked again after every wait, and the request is counted in the
        same step as the last check, so no interleaving lets more than the window through.
        A full window frees a place when its oldest answered request's place leaves it, or, when
        every place is held by a request in flight, ``limit.per`` after one of them ends: the
        earliest instant is known either way (a refund can only make it sooner).
        """
        while True:
            permit = self.acquire_now()
            if permit is not None:
                return permit
            # No place now: acquire_now found the window full, or the one request allowed
            # past the server's spent budget in flight. Wait for whichever it was.
            now = self._clock()
            stamps = self._stamps
            if len(stamps) + len(self._flying) >= self.limit.requests:
                frees_at = (stamps[0] if stamps else now) + self.limit.per
                if frees_at > deadline:
                    raise WaitTooLong(frees_at - now, "the client-side rate limit")
                # Not scaled by set_testing: this is a real budget, shrinking it would defeat it.
                await self._wakeup.wait(frees_at - now)
                continue
            if now >= deadline:
                raise WaitTooLong(None, "the server's rate budget")
            await self._wakeup.wait(deadline - now)

    def acquire_now(self) -> Permit | None:
        """Count one more request if it fits now (what :meth:`acquire` does without waiting);
        ``None`` when it would have to wait. The pipeline calls this first on the SDK's own
        limiter: a request that fits costs no coroutine."""
        now = self._clock()
        self._prune(now)
        flying = self._flying
        if len(self._stamps) + len(flying) >= self.limit.requests:
            return None
        budget = self._server_budget
        over = budget is not None and budget <= 0
        if over:
            if self._over_held:
                return None
            self._over_held = True
        self._serial += 1
        flying[self._serial] = now
        if budget is not None:
            self._server_budget = budget - 1
        return Permit(now, over, self._serial)

    async def observe(self, permit: Permit, headers: RateLimitHeaders) -> None:
        """Take in the server's view of its budget from the answer to ``permit``'s request.

        Only the answer to the one request sent beyond the known budget (or the first answer)
        may raise the budget: answers to concurrent requests arrive out of order, and an older,
        larger figure must not undo our count.
        """
        self.observe_now(permit, headers.limit, headers.remaining)

    def observe_now(self, permit: Permit, limit: int | None, remaining: int | None) -> None:
        """:meth:`observe`, synchronous (it never waits): what the pipeline calls on the SDK's
        own limiter."""
        if limit is not None:
            self.server_limit = limit
        if remaining is None:
            return
        self.server_remaining = remaining
        before = self._server_budget
        if before is None or permit.over_budget:
            # Start from what the server says, less what the other requests in flight will use.
            others = len(self._flying) - (permit.serial in self._flying)
            self._server_budget = remaining - others
        else:
            self._server_budget = min(before, remaining)
        if self._wakeup.waiting and (before is None or self._server_budget > before):
            self._wakeup.notify()

    async def release(self, permit: Permit, *, sent: bool) -> None:
        """Mark ``permit``'s request as over; ``sent=False`` gives its place and budget back
        (it never left), ``sent=True`` moves its place to now (the server has counted it).

        Hands back the over-budget slot when the request held it. A permit already released,
        or not from this limiter, changes nothing.
        """
        self.release_now(permit, sent=sent)

    def release_now(self, permit: Permit, *, sent: bool) -> None:
        """:meth:`release`, synchronous (it never waits): what the pipeline calls on the SDK's
        own limiter."""
        if self._flying.pop(permit.serial, None) is None:
            return
        if permit.over_budget:
            self._over_held = False
        if sent:
            self._stamps.append(self._clock())
        elif self._server_budget is not None:
            self._server_budget += 1
        if self._wakeup.waiting:
            self._wakeup.notify()

    def snapshot(self) -> LimiterState:
        """What the limiter knows now."""
        return LimiterState(self.server_limit, self.server_remaining, self.local_remaining())


class _GateStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    PROBING = "probing"


class ThrottleGate:
    """One gate per client, shared by its views: closed while the API is throttling us."""

    def __init__(
        self, *, clock: Clock = time.monotonic, rand: Callable[[], float] = random.random
    ) -> None:
        self._clock = clock
        self._rand = rand
        self._status = _GateStatus.OPEN
        self._open_at = 0.0
        self._generation = 0
        self._probe = 0  # the generation of the probe in flight, 0 when there is none
        self._wakeup = _Wakeup()
        self.episodes = 0  # consecutive throttled answers with no success between them
        self.throttled_total = 0
        self.reset_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Whether requests may go now without waiting."""
        return self._status is _GateStatus.OPEN

    @property
    def probing(self) -> bool:
        """Whether a probe is in flight."""
        return self._status is _GateStatus.PROBING

    def opens_in(self) -> float:
        """Seconds until the gate lets a probe through (0 when open or probing)."""
        if self._status is not _GateStatus.CLOSED:
            return 0.0
        return max(0.0, self._open_at - self._clock())

    def enter_now(self) -> Ticket | None:
        """The ticket of a request that may go at once as an ordinary one (the gate is open),
        or ``None``: call :meth:`enter`. What the pipeline tries first on the SDK's own gate."""
        return FREE if self._status is _GateStatus.OPEN else None

    async def enter(self, deadline: float) -> Ticket:
        """Wait until this request may go; the ticket says whether it goes as the probe.

        Raises :class:`WaitTooLong` at once when the gate will stay closed past ``deadline``,
        and at ``deadline`` when a probe's verdict has not come by then.
        """
        while True:
            status = self._status
            if status is _GateStatus.OPEN:
                return FREE
            now = self._clock()
            if status is _GateStatus.CLOSED:
                if now >= self._open_at:
                    self._generation += 1
                    self._probe = self._generation
                    self._status = _GateStatus.PROBING
                    return Ticket(probe=True, generation=self._generation)
                if self._open_at > deadline:
                    raise WaitTooLong(self._open_at - now, "the throttle gate")
                await self._wakeup.wait(self._open_at - now)
            else:  # PROBING: wait for the probe's verdict, not past the deadline.
                if now >= deadline:
                    raise WaitTooLong(None, "the throttle gate's probe")
                await self._wakeup.wait(deadline - now)

    async def throttled(
        self, ticket: Ticket, retry_after: float | None, policy: RetryPolicy
    ) -> float:
        """Close the gate after a ``503 throttled``; return how long it stays closed from now.

        The delay is the server's ``Retry-After`` or a backoff growing with the throttled
        answers in a row, never less than ``policy.throttle_min_delay``
        (:func:`~cloud66_async._sansio.throttle_delay`).
        """
        self.episodes += 1
        self.throttled_total += 1
        delay = throttle_delay(retry_after, episode=self.episodes, policy=policy, rand=self._rand)
        now = self._clock()
        keep = self._open_at if self._status is _GateStatus.CLOSED else 0.0
        self._open_at = max(keep, now + delay)
        self._status = _GateStatus.CLOSED
        self._probe = 0
        try:
            self.reset_at = datetime.now(UTC) + timedelta(seconds=self._open_at - now)
        except OverflowError:  # a Retry-After beyond the year 9999
            self.reset_at = datetime.max.replace(tzinfo=UTC)
        self._wakeup.notify()
        return self._open_at - now

    async def succeeded(self, ticket: Ticket) -> None:
        """Report an answer that was not throttled.

        Only the probe's answer reopens the gate: answers to requests sent before the episode
        began say nothing about whether it is over.
        """
        self.succeeded_now(ticket)

    def succeeded_now(self, ticket: Ticket) -> None:
        """:meth:`succeeded`, synchronous (it never waits): what the pipeline calls on the SDK's
        own gate."""
        if self._status is _GateStatus.OPEN:
            self.episodes = 0
        elif self._is_current_probe(ticket):
            self._status = _GateStatus.OPEN
            self._probe = 0
            self.episodes = 0
            self._wakeup.notify()

    async def abandoned(self, ticket: Ticket) -> None:
        """Report that a request ended without an answer (connection error, cancellation).

        When it was the probe, the gate is handed to the next waiting request at once.
        """
        if self._is_current_probe(ticket):
            self._status = _GateStatus.CLOSED
            self._probe = 0
            self._open_at = self._clock()
            self._wakeup.notify()

    def _is_current_probe(self, ticket: Ticket) -> bool:
        return (
            ticket.probe
            and self._status is _GateStatus.PROBING
            and ticket.generation == self._probe
        )

    def snapshot(self) -> GateState:
        """What the gate knows now."""
        return GateState(
            closed=not self.is_open,
            opens_in=self.opens_in(),
            reset_at=self.reset_at,
            throttled_total=self.throttled_total,
        )


class Slots:
    """At most ``total_tokens`` requests of a client (or view) in flight at once; the others
    wait for a slot, first come first served.

    A free slot is taken without a trip through the event loop (:meth:`acquire_nowait`), and a
    slot given back while requests wait passes to the first of them directly, so a newcomer
    never takes it first. A wait cancelled after its slot was handed over passes the slot on.
    (A plain counter and a queue of futures: anyio's ``CapacityLimiter`` also tracks which task
    holds each token, which the pipeline never needs, at a cost on every request.)
    """

    def __init__(self, total_tokens: int) -> None:
        self.total_tokens = total_tokens
        self._used = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def borrowed_tokens(self) -> int:
        """How many slots are taken now (handed-over ones included)."""
        return self._used

    @property
    def waiting(self) -> int:
        """How many requests wait for a slot (cancelled ones may count until they resume)."""
        return len(self._waiters)

    def acquire_nowait(self) -> bool:
        """Take a slot if one is free; say whether it was taken.

        No slot is free while requests wait: a slot given back goes straight to a waiter.
        """
        if self._used < self.total_tokens:
            self._used += 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting for one in turn."""
        if self.acquire_nowait():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot as the wait was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):  # release() may have dropped it
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the first request still waiting, or to the free ones."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot stays taken: it is the waiter's now
                return
        self._used -= 1
