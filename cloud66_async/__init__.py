"""cloud66_async: an asyncio-first, typed client for the Cloud 66 API v3.

>>> import cloud66_async as c66
>>> async with c66.Client() as client:                  # doctest: +SKIP
...     async for stack in client.stacks.list():
...         print(stack.uid, stack.name, stack.status)

Users import from ``cloud66_async``, ``cloud66_async.models`` and ``cloud66_async.testing``;
every other module is private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# ``c66.models.Stack`` after a plain ``import cloud66_async as c66``: the package is a table of
# names here, each model is imported from its own module on first use.
from . import models as models
from ._client import Client, RawResponse
from ._exceptions import (
    ActionFailedError,
    AmbiguousStackError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    Cloud66Error,
    Cloud66Warning,
    ConfigError,
    ConflictError,
    DecodeError,
    DeploymentFailedError,
    EventLoopError,
    LimitStoreError,
    NotFoundError,
    NotImplementedByAPIError,
    PermissionDeniedError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ServerError,
    ServerTimeoutError,
    StackLookupError,
    StackNotFoundError,
    ThrottledError,
    TransportError,
    TrialExpiredError,
    WaitTimeoutError,
)
from ._hooks import Hooks
from ._lazy import lazy_attributes
from ._options import RateLimit, RetryPolicy, Timeout
from ._throttle import RateLimitState
from ._transport import HTTPRequest, HTTPResponse, MockTransport, Transport
from ._version import __version__

if TYPE_CHECKING:
    from ._bulk import Failure, Outcome, Success
    from ._events import RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent
    from ._paging import Page, Paginator

__all__ = [
    "APIError",
    "ActionFailedError",
    "AmbiguousStackError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientClosedError",
    "Cloud66Error",
    "Cloud66Warning",
    "ConfigError",
    "ConflictError",
    "DecodeError",
    "DeploymentFailedError",
    "EventLoopError",
    "Failure",
    "HTTPRequest",
    "HTTPResponse",
    "Hooks",
    "LimitStoreError",
    "MockTransport",
    "NotFoundError",
    "NotImplementedByAPIError",
    "Outcome",
    "Page",
    "Paginator",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitState",
    "RawResponse",
    "RequestEvent",
    "RequestTimeoutError",
    "ResponseEvent",
    "ResponseTooLargeError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "ServerTimeoutError",
    "StackLookupError",
    "StackNotFoundError",
    "Success",
    "ThrottleEvent",
    "ThrottledError",
    "Timeout",
    "Transport",
    "TransportError",
    "TrialExpiredError",
    "WaitTimeoutError",
    "__version__",
]

# Names whose module a plain client does not need until it lists something, fans out or calls a
# hook: each is imported on first use (PEP 562), as the models are. Their modules build attrs
# classes (attrs compiles each class's methods when its module loads: ~0.3-0.7 ms a class).
_LAZY = {
    "Failure": "._bulk",
    "Outcome": "._bulk",
    "Page": "._paging",
    "Paginator": "._paging",
    "RequestEvent": "._events",
    "ResponseEvent": "._events",
    "RetryEvent": "._events",
    "Success": "._bulk",
    "ThrottleEvent": "._events",
}

if not TYPE_CHECKING:  # type checkers read the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
