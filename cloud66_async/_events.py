"""The frozen events hooks receive (see :mod:`._hooks`).

A module of its own, imported the first time a hook is called (and by ``cloud66_async`` on first
access to an event's name): a client without hooks never builds these classes.
"""

from __future__ import annotations

import attrs

__all__ = ["RequestEvent", "ResponseEvent", "RetryEvent", "ThrottleEvent"]


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
