"""Hooks: callables the client calls around each HTTP attempt, with small frozen events.

Events carry the method, the URL without its query string, the attempt number, timings, the
status and the ``Request-Id``; never the token or any header value. A hook may be a plain or an
async callable; one that raises is logged and otherwise ignored, so metrics code can never break
a request.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar

import attrs

__all__ = ["Hooks", "RequestEvent", "ResponseEvent", "RetryEvent", "ThrottleEvent", "emit"]

logger = logging.getLogger("cloud66_async")

E = TypeVar("E")


@attrs.frozen
class RequestEvent:
    """An attempt is about to be sent."""

    method: str
    url: str
    attempt: int
    request_id: str


@attrs.frozen
class ResponseEvent:
    """An attempt got an answer (any status). ``elapsed`` is in seconds.

    ``warning`` is the answer's ``X-Cloud66-Warning`` header, when it had one (it is also
    issued as a :class:`~cloud66_async.Cloud66Warning`).
    """

    method: str
    url: str
    attempt: int
    request_id: str
    status: int
    elapsed: float
    warning: str | None = None


@attrs.frozen
class RetryEvent:
    """An attempt failed and will be retried after ``delay`` seconds.

    ``reason`` is a short text (``"status 502"``, ``"connection error: ..."``); ``status`` is
    the answer's status when there was one.
    """

    method: str
    url: str
    attempt: int
    request_id: str
    delay: float
    reason: str
    status: int | None


@attrs.frozen
class ThrottleEvent:
    """An attempt was answered ``503 throttled``; the gate is closed for ``delay`` seconds.

    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one.
    """

    method: str
    url: str
    attempt: int
    request_id: str
    delay: float
    retry_after: float | None


Hook: TypeAlias = Callable[[Any], Awaitable[None] | None]


@attrs.frozen
class Hooks:
    """Callables that observe every HTTP attempt of a client.

    >>> hooks = Hooks(on_retry=lambda e: print("retrying", e.method, e.url, e.delay))
    """

    on_request: Callable[[RequestEvent], Awaitable[None] | None] | None = None
    on_response: Callable[[ResponseEvent], Awaitable[None] | None] | None = None
    on_retry: Callable[[RetryEvent], Awaitable[None] | None] | None = None
    on_throttle: Callable[[ThrottleEvent], Awaitable[None] | None] | None = None


async def emit(hook: Callable[[E], object] | None, event: E) -> None:
    """Call ``hook`` with ``event``; log and swallow anything it raises (but cancellation)."""
    if hook is None:
        return
    try:
        result = hook(event)
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.exception("cloud66_async hook %r raised; the request goes on", hook)
