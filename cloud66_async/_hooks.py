"""Hooks: callables the client calls around each HTTP attempt, with small frozen events.

The events are in :mod:`._events`, imported the first time a hook is set off: a client without
hooks never builds their classes (attrs compiles each class's methods when it is made). Events
carry the method, the URL without its query string, the attempt number, timings, the
status and the ``Request-Id``; never the token or any header value. A hook may be a plain or an
async callable; one that raises is logged and otherwise ignored, so metrics code can never break
a request.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import attrs

if TYPE_CHECKING:
    from ._events import RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent

__all__ = ["Hooks", "emit"]

logger = logging.getLogger("cloud66_async")

E = TypeVar("E")


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
