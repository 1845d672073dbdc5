"""pytest fixtures for testing code that uses cloud66_async against :class:`FakeCloud66`.

Registered through the ``pytest11`` entry point, so installing the package is enough::

    @pytest.mark.anyio
    async def test_lists_stacks(cloud66_client, cloud66_fake):
        stacks = await cloud66_client.stacks.list().collect()
        assert [s.uid for s in stacks] == cloud66_fake.stack_uids

Options for the fake come from the ``cloud66`` marker (``@pytest.mark.cloud66(stacks=3)``) or
from overriding the ``cloud66_fake_options`` fixture. The fixtures are async and run under
anyio's pytest plugin; ``anyio_backend`` is "asyncio" (aiohttp runs on asyncio only), and a
conftest may override it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from ._fake import FakeCloud66

if TYPE_CHECKING:
    from cloud66_async import Client

__all__ = ["cloud66_client", "cloud66_fake", "cloud66_fake_options", "pytest_configure"]

_BACKEND_PLUGIN = "cloud66_async-anyio-backend"


class _AsyncioBackend:
    """Holds the ``anyio_backend`` fixture, registered after every entry-point plugin.

    anyio's own plugin defines ``anyio_backend`` too (parametrized over every installed
    backend). Of two plugins defining a fixture the one registered last wins, and entry points
    load in no fixed order, so this one is registered from ``pytest_configure``, after them all.
    A conftest's or a test module's ``anyio_backend`` still overrides it.
    """

    @pytest.fixture(scope="module")
    @classmethod
    def anyio_backend(cls) -> str:
        """Run async tests and fixtures on asyncio (aiohttp needs it)."""
        return "asyncio"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``cloud66`` marker and the ``anyio_backend`` fixture."""
    config.addinivalue_line(
        "markers",
        "cloud66(**options): keyword arguments for the cloud66_fake fixture's FakeCloud66",
    )
    if not config.pluginmanager.has_plugin(_BACKEND_PLUGIN):
        config.pluginmanager.register(_AsyncioBackend(), _BACKEND_PLUGIN)


@pytest.fixture
def cloud66_fake_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Return the keyword arguments for ``FakeCloud66``: the ``cloud66`` marker's, by default."""
    marker = request.node.get_closest_marker("cloud66")
    return dict(marker.kwargs) if marker is not None else {}


@pytest.fixture
async def cloud66_fake(cloud66_fake_options: dict[str, Any]) -> AsyncIterator[FakeCloud66]:
    """Yield a started :class:`FakeCloud66`; it is closed after the test."""
    async with FakeCloud66(**cloud66_fake_options) as fake:
        yield fake


@pytest.fixture
async def cloud66_client(cloud66_fake: FakeCloud66) -> AsyncIterator[Client]:
    """Yield ``cloud66_fake.client()``; it is closed after the test."""
    client = cloud66_fake.client()
    try:
        yield client
    finally:
        await client.close()
