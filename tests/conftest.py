"""Shared fixtures. FakeCloud66 fixtures come from the package's pytest plugin
(``cloud66_fake``, ``cloud66_client``, ``anyio_backend``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

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
    from _redis_server import KINDS, find_binary, why_missing

    return [
        pytest.param(
            kind,
            id=kind,
            marks=pytest.mark.skipif(find_binary(kind) is None, reason=why_missing(kind)),
        )
        for kind in KINDS
    ]


@pytest.fixture(scope="session", params=_server_params())
def redis_server(request: pytest.FixtureRequest) -> Iterator[object]:
    """A real Redis, then a real Valkey server on loopback (one per session, stopped by PID);
    tests that use it run against both."""
    from _redis_server import start_server

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
