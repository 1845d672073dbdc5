"""Per-token rate limiting with fixed windows, and the ``Retry-After`` header's formats."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

__all__ = ["RETRY_AFTER_MODES", "Decision", "RateLimiter", "retry_after_header"]

#: How a throttled answer states its ``Retry-After``.
RETRY_AFTER_MODES = ("seconds", "fractional", "http-date", "none")


@dataclass(frozen=True)
class Decision:
    """The limiter's verdict on one request, with what the rate-limit headers should say."""

    allowed: bool
    limit: int
    remaining: int
    reset_in: float


@dataclass
class _Window:
    start: float
    used: int = 0


class RateLimiter:
    """Count requests per token in fixed windows that start at each window's first request.

    With no limit set nothing is refused, but the headers still count down from
    ``header_limit`` per hour, as the live API's do.
    """

    def __init__(
        self,
        limit: int | None,
        window: float,
        *,
        header_limit: int = 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.header_limit = header_limit
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self.limit: int | None = None
        self.window = 3600.0
        self.configure(limit, window)

    def configure(self, limit: int | None, window: float = 3600.0) -> None:
        """Set a new limit (None: unlimited) and start every token's count afresh."""
        if limit is not None and limit < 0:
            raise ValueError("the rate limit must be None or at least 0")
        if window <= 0:
            raise ValueError("the rate-limit window must be positive")
        self.limit = limit
        self.window = float(window) if limit is not None else 3600.0
        self._windows.clear()

    def reset(self) -> None:
        """Forget every token's count."""
        self._windows.clear()

    def _current(self, token: str, now: float) -> _Window:
        window = self._windows.get(token)
        if window is None or now >= window.start + self.window:
            window = self._windows[token] = _Window(now)
        return window

    def hit(self, token: str) -> Decision:
        """Count one request of ``token`` and say whether it may proceed."""
        now = self._clock()
        window = self._current(token, now)
        cap = self.header_limit if self.limit is None else self.limit
        reset_in = window.start + self.window - now
        if self.limit is not None and window.used >= self.limit:
            return Decision(False, cap, 0, reset_in)
        window.used += 1
        return Decision(True, cap, max(0, cap - window.used), reset_in)

    def peek(self, token: str | None) -> Decision:
        """Report ``token``'s state without counting a request."""
        now = self._clock()
        cap = self.header_limit if self.limit is None else self.limit
        window = self._windows.get(token) if token is not None else None
        if window is None or now >= window.start + self.window:
            return Decision(True, cap, cap, self.window)
        return Decision(
            self.limit is None or window.used < self.limit,
            cap,
            max(0, cap - window.used),
            window.start + self.window - now,
        )


def retry_after_header(mode: str, seconds: float, *, wall_now: float | None = None) -> str | None:
    """Format ``Retry-After`` for ``seconds`` from now; None when the mode omits it.

    ``seconds``: an integer, rounded up (so waiting that long is always enough);
    ``fractional``: seconds with three decimals; ``http-date``: an IMF-fixdate, rounded up to
    the next whole second; ``none``: no header.
    """
    seconds = max(0.0, seconds)
    if mode == "seconds":
        return str(math.ceil(seconds))
    if mode == "fractional":
        return f"{seconds:.3f}"
    if mode == "http-date":
        now = time.time() if wall_now is None else wall_now
        return formatdate(math.ceil(now + seconds), usegmt=True)
    if mode == "none":
        return None
    raise ValueError(f"retry_after must be one of {', '.join(RETRY_AFTER_MODES)}")
