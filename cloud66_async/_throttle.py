"""The rate limiter and the throttle gate that every request of a client (and of its views)
shares.

- :class:`RateLimiter` keeps a client under a sliding-window budget (3,000 requests an hour by
  default) and follows the server's ``X-RateLimit-Remaining``: once the server says nothing is
  left, requests go one at a time, so the first answer after the server's window resets opens
  the flow again and an exhausted budget costs one ``503``, not one per task.
- :class:`ThrottleGate` closes for everyone as soon as one request is answered ``503 throttled``:
  requests that start while it is closed wait instead of collecting their own 503. When the wait
  is over, one request goes first as a probe; only when it succeeds does the gate open for all,
  so a throttle episode costs at most the requests already in flight when it began.
"""

from __future__ import annotations

import collections
import enum
from datetime import UTC, datetime, timedelta

import anyio
import attrs

from . import _waits
from ._options import RateLimit
from ._sansio import RateLimitHeaders, backoff_delay

__all__ = ["GateWaitTooLong", "RateLimitState", "RateLimiter", "ThrottleGate"]


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


class RateLimiter:
    """A sliding-window limiter: at most ``requests`` sends in any ``per`` seconds, and no more
    than one request at a time while the server says its own budget is spent."""

    def __init__(self, limit: RateLimit | None) -> None:
        self.limit = limit
        self._stamps: collections.deque[float] = collections.deque()
        self.server_limit: int | None = None
        self.server_remaining: int | None = None
        # What the server's budget allows from here on, counting our own sends since it spoke.
        self._server_budget: int | None = None
        self._in_flight = 0
        self._over_budget = anyio.Lock()

    def _prune(self, now: float) -> None:
        assert self.limit is not None
        horizon = now - self.limit.per
        stamps = self._stamps
        while stamps and stamps[0] <= horizon:
            stamps.popleft()

    def local_remaining(self) -> int | None:
        """How many more sends the current window allows, or ``None`` when off."""
        if self.limit is None:
            return None
        self._prune(_waits.monotonic())
        return max(0, self.limit.requests - len(self._stamps))

    async def acquire(self) -> bool:
        """Wait until one more request fits in the window, then count it.

        Returns ``True`` when the request goes beyond the server's stated budget: the caller then
        holds the one over-budget slot and must hand it back with :meth:`release`.
        """
        if self.limit is None:
            return False
        while True:
            now = _waits.monotonic()
            self._prune(now)
            if len(self._stamps) < self.limit.requests:
                break
            # Not scaled: this is a real budget, shrinking it would defeat it.
            await _waits.sleep(self._stamps[0] + self.limit.per - now)
        over = self._server_budget is not None and self._server_budget <= 0
        if over:
            await self._over_budget.acquire()
        self._stamps.append(_waits.monotonic())
        self._in_flight += 1
        if self._server_budget is not None:
            self._server_budget -= 1
        return over

    def refund(self) -> None:
        """Give back the budget of a request counted by :meth:`acquire` but never sent."""
        if self.limit is None:
            return
        if self._stamps:
            self._stamps.pop()
        if self._server_budget is not None:
            self._server_budget += 1

    def release(self, over_budget: bool) -> None:
        """Mark a request counted by :meth:`acquire` as answered (or failed).

        Hands back the over-budget slot when the request held it.
        """
        if self.limit is None:
            return
        self._in_flight -= 1
        if over_budget:
            self._over_budget.release()

    def observe(self, headers: RateLimitHeaders, *, over_budget: bool = False) -> None:
        """Take in the server's view of its budget from an answer's headers.

        ``over_budget`` says the answer is to the one request sent beyond the known budget: only
        such an answer (or the first one) may raise the budget, since answers to concurrent
        requests arrive out of order and an older, larger figure must not undo our count.
        """
        if headers.limit is not None:
            self.server_limit = headers.limit
        if headers.remaining is None:
            return
        self.server_remaining = headers.remaining
        if self.limit is None:
            return
        if self._server_budget is None or over_budget:
            # First word from the server, or the answer to the request sent past the budget:
            # start from what it says, less what the other requests in flight will use.
            self._server_budget = headers.remaining - max(0, self._in_flight - 1)
        else:
            self._server_budget = min(self._server_budget, headers.remaining)


class _GateState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    PROBING = "probing"


class GateWaitTooLong(Exception):
    """Internal: the gate stays closed longer than the caller may wait."""

    def __init__(self, opens_in: float) -> None:
        super().__init__(opens_in)
        self.opens_in = opens_in


class ThrottleGate:
    """One gate per client, shared by its views: closed while the API is throttling us."""

    def __init__(self) -> None:
        self._state = _GateState.OPEN
        self._open_at = 0.0
        self._changed = anyio.Event()
        self.episodes = 0  # consecutive throttled answers with no success between them
        self.throttled_total = 0
        self.reset_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Whether requests may go now without waiting."""
        return self._state is _GateState.OPEN

    def opens_in(self) -> float:
        """Seconds until the gate lets a probe through (0 when open or probing)."""
        if self._state is not _GateState.CLOSED:
            return 0.0
        return max(0.0, self._open_at - _waits.monotonic())

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def enter(self, max_wait: float) -> bool:
        """Wait until this request may go; return ``True`` when it goes as the probe.

        Raises :class:`GateWaitTooLong` at once when the gate will stay closed longer than
        ``max_wait`` seconds, rather than sleeping and failing later.
        """
        deadline = _waits.monotonic() + max_wait
        while True:
            state = self._state
            if state is _GateState.OPEN:
                return False
            now = _waits.monotonic()
            if state is _GateState.CLOSED:
                if now >= self._open_at:
                    self._state = _GateState.PROBING
                    return True
                if self._open_at > deadline:
                    raise GateWaitTooLong(self._open_at - now)
                changed = self._changed
                with anyio.move_on_after(self._open_at - now):
                    await changed.wait()
            else:  # PROBING: wait for the probe's verdict.
                changed = self._changed
                await changed.wait()

    def throttled(self, retry_after: float | None, *, backoff: float) -> float:
        """Close the gate after a ``503 throttled``; return how long it stays closed from now.

        ``retry_after`` is the server's word when it gave one; otherwise the delay grows with the
        number of consecutive throttled answers.
        """
        self.episodes += 1
        self.throttled_total += 1
        if retry_after is not None and retry_after > 0:
            delay = retry_after
        else:
            # No hint, or "0"/a date in the past: back off anyway, or we would spin.
            delay = backoff_delay(self.episodes, base=backoff, cap=max(backoff, 60.0))
        now = _waits.monotonic()
        self._open_at = max(self._open_at if self._state is _GateState.CLOSED else 0.0, now + delay)
        self._state = _GateState.CLOSED
        try:
            self.reset_at = datetime.now(UTC) + timedelta(seconds=self._open_at - now)
        except OverflowError:  # a Retry-After beyond the year 9999
            self.reset_at = datetime.max.replace(tzinfo=UTC)
        self._notify()
        return self._open_at - now

    def succeeded(self, was_probe: bool) -> None:
        """Report an answer that was not throttled.

        Only the probe's answer reopens the gate: answers to requests sent before the episode
        began say nothing about whether it is over.
        """
        if self._state is _GateState.OPEN:
            self.episodes = 0
            return
        if was_probe and self._state is _GateState.PROBING:
            self._state = _GateState.OPEN
            self.episodes = 0
            self._notify()

    def abandoned(self, was_probe: bool) -> None:
        """Report that a probe ended without an answer (connection error, cancellation).

        The next waiting request becomes the probe instead.
        """
        if was_probe and self._state is _GateState.PROBING:
            self._state = _GateState.CLOSED
            self._open_at = _waits.monotonic()
            self._notify()
