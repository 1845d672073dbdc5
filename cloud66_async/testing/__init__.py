"""Test helpers: :class:`FakeCloud66`, an in-memory Cloud 66 API v3 on loopback HTTP::

    from cloud66_async.testing import FakeCloud66

    async with FakeCloud66() as fake:
        async with fake.client() as client:
            ...

The pytest plugin (``cloud66_async.testing.pytest_plugin``, registered as an entry point)
provides the ``cloud66_fake`` and ``cloud66_client`` fixtures. ``set_testing(True)`` makes the
SDK's own backoff and poll intervals instant.
"""

from ._fake import FakeCloud66
from ._faults import FaultKind
from ._log import LoggedRequest
from ._ratelimit import RETRY_AFTER_MODES
from ._responses import ApiError
from ._routes import ROUTES, SCOPES, Route
from ._switch import is_testing, set_testing

__all__ = [
    "RETRY_AFTER_MODES",
    "ROUTES",
    "SCOPES",
    "ApiError",
    "FakeCloud66",
    "FaultKind",
    "LoggedRequest",
    "Route",
    "is_testing",
    "set_testing",
]
