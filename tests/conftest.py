"""Shared fixtures. FakeCloud66 fixtures come from the package's pytest plugin
(``cloud66_fake``, ``cloud66_client``, ``anyio_backend``)."""

from __future__ import annotations

import functools
import inspect
import logging
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

from cloud66_async import Client
from cloud66_async.testing import FakeCloud66


@pytest.fixture
def fast_waits() -> Iterator[None]:
    """Make the SDK's backoff and poll intervals instant (not server-imposed waits)."""
    from cloud66_async.testing import set_testing

    set_testing(True)
    try:
        yield
    finally:
        set_testing(False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    """A FakeCloud66 with quick actions and deployments."""
    async with FakeCloud66(action_delay=0.05, deploy_duration=0.2) as server:
        yield server


@pytest.fixture
async def client(fake: FakeCloud66) -> AsyncIterator[Client]:
    """A client of ``fake`` with the client-side rate limit off."""
    async with fake.client(rate_limit=None) as c:
        yield c


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture the SDK's logs at DEBUG."""
    caplog.set_level(logging.DEBUG, logger="cloud66_async")
    return caplog


# ------------------------------------------------------------------ the shared limit store


def _server_params() -> list[object]:
    # Valkey runs the same tests as Redis; the quick suite leaves those runs to the slow env.
    slow = pytest.mark.slow
    return [pytest.param("redis", id="redis"), pytest.param("valkey", id="valkey", marks=slow)]


@pytest.fixture(scope="session", params=_server_params())
def redis_server(request: pytest.FixtureRequest) -> Iterator[object]:
    """A real Redis, then a real Valkey server on loopback (one per session, stopped by PID);
    tests that use it run against both."""
    from _redis_server import require_binary, start_server

    require_binary(request.param)
    server = start_server(request.param)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def store_url(redis_server: object) -> str:
    """The URL of an empty store (``redis_server``, flushed for this test)."""
    from _redis_server import RedisServer

    assert isinstance(redis_server, RedisServer)
    assert redis_server.command("FLUSHALL").startswith(b"+OK")
    return redis_server.url


# ---------------------------------------------------------------------------- time bounds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "time_bound(seconds): fail the test when its call runs longer (conftest.py)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Bound the call of every test marked ``time_bound(seconds)``: a regression that waits
    forever fails at the bound instead of hanging the suite."""
    for item in items:
        marker = item.get_closest_marker("time_bound")
        if marker is None or not isinstance(item, pytest.Function):
            continue
        item.obj = _bounded(item.obj, float(marker.args[0]))


def _bounded(test: Any, seconds: float) -> Any:
    if inspect.iscoroutinefunction(test):

        @functools.wraps(test)
        async def bounded_async(*args: Any, **kwargs: Any) -> Any:
            with anyio.fail_after(seconds):
                return await test(*args, **kwargs)

        return bounded_async

    @functools.wraps(test)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        # A synchronous test (hypothesis machines, its own event loop): an alarm in the main
        # thread, where pytest runs it. Without SIGALRM (Windows) it runs unbounded.
        main = threading.current_thread() is threading.main_thread()
        if not hasattr(signal, "setitimer") or not main:
            return test(*args, **kwargs)

        def expire(signum: int, frame: object) -> None:
            raise TimeoutError(f"{test.__name__} ran past its bound of {seconds:g}s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return test(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return bounded
