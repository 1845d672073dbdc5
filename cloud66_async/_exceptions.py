"""The exception tree of cloud66_async.

Every error the SDK raises derives from :class:`Cloud66Error`; no aiohttp, cattrs or asyncio
exception escapes untranslated (cancellation excepted)::

    Cloud66Error
    ├── ConfigError                  bad token/base URL/arguments; raised before any I/O
    ├── ClientClosedError            the client (or its session) was used after close()
    ├── EventLoopError               the client's connections belong to another event loop
    ├── TransportError               connection failures
    │   ├── RequestTimeoutError      connect/read/total timeouts
    │   ├── ResponseTooLargeError    an answer larger than max_response_bytes
    │   └── LimitStoreError          the shared limit store (Redis) is down or too slow
    ├── APIError                     any non-2xx answer (status, error, description, details, ...)
    │   ├── BadRequestError          400 bad_request
    │   ├── AuthenticationError      401 unauthenticated
    │   ├── TrialExpiredError        402 trial_expired
    │   ├── PermissionDeniedError    403 forbidden (the token lacks the scope)
    │   ├── NotFoundError            404 not_found
    │   ├── ServerTimeoutError       408 time_out
    │   ├── ConflictError            409 conflict
    │   ├── ThrottledError           503 throttled, after the retry budget was spent
    │   ├── NotImplementedByAPIError 503 not_implemented (never retried)
    │   └── ServerError              any other 5xx, HTML error pages included
    ├── DecodeError                  a payload that does not fit its model (names the field)
    ├── StackNotFoundError           stacks.find: no stack has that name (and environment)
    ├── AmbiguousStackError          stacks.find: several stacks do (``candidates``)
    ├── StackLookupError             a wait could not find the stack stacks.create made (it exists)
    ├── ActionFailedError            a stack action finished with finished_success false
    ├── DeploymentFailedError        a deployment finished with an outcome other than success
    └── WaitTimeoutError             a wait ran out of time (carries the last state seen)

    Cloud66Warning (a Warning)       the API's X-Cloud66-Warning answer header

This module imports nothing from the rest of the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "ActionFailedError",
    "AmbiguousStackError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "Cloud66Error",
    "ConfigError",
    "ConflictError",
    "DecodeError",
    "DeploymentFailedError",
    "Cloud66Warning",
    "EventLoopError",
    "LimitStoreError",
    "NotFoundError",
    "NotImplementedByAPIError",
    "PermissionDeniedError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "ServerError",
    "ServerTimeoutError",
    "StackLookupError",
    "StackNotFoundError",
    "ThrottledError",
    "TransportError",
    "TrialExpiredError",
    "WaitTimeoutError",
]


class Cloud66Error(Exception):
    """Base class of every error raised by cloud66_async.

    ``page`` is set when the error was raised while a :class:`Paginator` fetched that page, so
    iteration can resume there with ``start_page=err.page``.
    """

    page: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        if self.page is not None:
            return f"{self.message} (while fetching page {self.page})"
        return self.message


class ConfigError(Cloud66Error, ValueError):
    """Invalid configuration or arguments; always raised before any request is sent."""


class ClientClosedError(Cloud66Error, RuntimeError):
    """The client was used after :meth:`Client.close`."""


class EventLoopError(Cloud66Error, RuntimeError):
    """The client's connections were opened in another event loop than the running one.

    aiohttp ties a session to the event loop it was made in, so a :class:`Client` first used in
    one ``asyncio.run()`` cannot be used in the next. Make the client inside the coroutine that
    uses it (``async with Client() as client:``), or keep one event loop for the program. When
    the first loop is closed, its connections are dropped and the client works in the new loop
    from the next call.
    """


class Cloud66Warning(UserWarning):
    """A warning the API sent with an answer (its ``X-Cloud66-Warning`` header).

    The API uses it for deprecations and notices about the account. It goes through Python's
    ``warnings`` module (filter it like any warning), is logged on the ``cloud66_async`` logger,
    and is on the ``warning`` field of the :class:`ResponseEvent` hooks receive.
    """


class TransportError(Cloud66Error):
    """The request could not be completed at the connection level.

    ``sent`` tells whether the request may have reached the server (a refused connection means it
    certainly did not), which is what decides whether a POST may be tried again.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        request_id: str | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.request_id = request_id
        self.sent = sent


class RequestTimeoutError(TransportError):
    """The request did not complete within the configured timeout."""


class ResponseTooLargeError(TransportError):
    """An answer was larger than ``max_response_bytes`` (counted after decompression).

    Reading stopped at the limit; ``limit`` is the limit in bytes.
    """

    def __init__(self, message: str, *, method: str, url: str, limit: int, **kwargs: Any) -> None:
        super().__init__(message, method=method, url=url, **kwargs)
        self.limit = limit


class LimitStoreError(TransportError):
    """The shared limit store failed: unreachable, refused the client, or did not answer in time.

    The store is ``Client(limit_store=...)``, a Redis or Valkey server. Raised before the
    request is sent (``sent`` is false), within the store's timeouts (one second to connect and
    one for each answer unless its URL says otherwise), and never replaced by a client-side
    budget of this process alone: that would spend the shared budget once per process.
    ``store`` is the store's URL with its password hidden; ``method`` and ``url`` are empty
    (the store, not an API request, failed).
    """

    def __init__(self, message: str, *, store: str) -> None:
        super().__init__(message, method="", url="", sent=False)
        self.store = store


class APIError(Cloud66Error):
    """The API answered with a non-2xx status.

    Attributes mirror the API's error body: ``error`` (the short code such as ``not_found``),
    ``description`` (``error_description``) and ``details``; plus the ``status``, the
    ``request_id`` the SDK sent (``Request-Id``), the ``server_request_id`` the server answered
    with (``X-Request-Id``, when it did; quote it to Cloud 66 support), and the ``method`` and
    ``url`` of the request.
    """

    def __init__(
        self,
        *,
        status: int,
        error: str | None,
        description: str | None,
        details: Any = None,
        request_id: str | None = None,
        method: str = "",
        url: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.description = description
        self.details = details
        self.request_id = request_id
        self.method = method
        self.url = url
        self.headers: Mapping[str, str] = dict(headers or {})
        self.server_request_id: str | None = _header(self.headers, "X-Request-Id")
        parts = [f"{status}"]
        if error:
            parts.append(error)
        text = " ".join(parts)
        if description:
            text += f": {description}"
        text += f" ({method} {url}"
        if request_id:
            text += f", request id {request_id}"
        if self.server_request_id and self.server_request_id != request_id:
            text += f", server request id {self.server_request_id}"
        text += ")"
        super().__init__(text)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


class BadRequestError(APIError):
    """400 bad_request: the request was missing a parameter or had an invalid value."""


class AuthenticationError(APIError):
    """401 unauthenticated: no valid token was sent."""


class TrialExpiredError(APIError):
    """402 trial_expired: the account's trial has expired."""


class PermissionDeniedError(APIError):
    """403 forbidden: the token lacks the scope this endpoint needs."""


class NotFoundError(APIError):
    """404 not_found: no such resource (or no such endpoint)."""


class ServerTimeoutError(APIError):
    """408 time_out: the server gave up before answering."""


class ConflictError(APIError):
    """409 conflict: the resource is in a state that conflicts with the request."""


class ThrottledError(APIError):
    """503 throttled: the rate limit was hit and the allowed wait was spent.

    ``retry_after`` is the number of seconds the server asked for, when it said.
    """

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after


class NotImplementedByAPIError(APIError):
    """503 not_implemented: the endpoint is not implemented by this API version. Never retried."""


class ServerError(APIError):
    """Any other 5xx answer, including non-JSON error pages from proxies."""


class DecodeError(Cloud66Error):
    """A payload did not fit its model.

    ``path`` names the field (for example ``[3].status``) and ``model`` the model being decoded.
    """

    def __init__(self, message: str, *, path: str = "", model: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.model = model


class StackNotFoundError(Cloud66Error):
    """No stack the token can see has this name (in this environment, when one was given).

    Raised by :meth:`StacksManager.find <cloud66_async.resources.StacksManager.find>`;
    ``name`` and ``environment`` are what was looked for.
    """

    def __init__(self, message: str, *, name: str, environment: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.environment = environment


class AmbiguousStackError(Cloud66Error):
    """Several stacks have this name; ``candidates`` lists them (pass ``environment=`` to choose).

    Raised by :meth:`StacksManager.find <cloud66_async.resources.StacksManager.find>`.
    """

    def __init__(
        self, message: str, *, name: str, environment: str | None, candidates: list[Any]
    ) -> None:
        super().__init__(message)
        self.name = name
        self.environment = environment
        self.candidates = candidates


class StackLookupError(Cloud66Error):
    """The stack that ``stacks.create`` made could not be found to wait on it.

    The stack WAS created: do not create it again. ``action`` is its ``stack_create`` action,
    ``name`` and ``environment`` the stack's, ``candidates`` the stacks of that name and
    environment that were seen (several when none could be told apart), and ``__cause__``
    what made the lookup fail (a throttled, failed or refused request). Find the stack with
    ``client.stacks.find(name, environment=environment)`` (or ``cloud66-async stacks get NAME
    -e ENVIRONMENT``), or wait on ``action`` again later.
    """

    def __init__(
        self,
        message: str,
        *,
        action: Any,
        name: str,
        environment: str,
        candidates: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.action = action
        self.name = name
        self.environment = environment
        self.candidates = list(candidates or [])


class ActionFailedError(Cloud66Error):
    """A stack action finished unsuccessfully. ``action`` is the finished action."""

    def __init__(self, message: str, *, action: Any) -> None:
        super().__init__(message)
        self.action = action


class DeploymentFailedError(Cloud66Error):
    """A deployment finished with an outcome other than success.

    ``deployment`` is its last state (its ``outcome`` says failed or cancelled).
    """

    def __init__(self, message: str, *, deployment: Any) -> None:
        super().__init__(message)
        self.deployment = deployment


class WaitTimeoutError(Cloud66Error):
    """A wait ran out of time. ``last`` is the last state polled (``None`` if none was seen)."""

    def __init__(self, message: str, *, last: Any = None, timeout: float | None = None) -> None:
        super().__init__(message)
        self.last = last
        self.timeout = timeout
