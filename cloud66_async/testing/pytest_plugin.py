"""pytest fixtures for testing code that uses cloud66_async against :class:`FakeCloud66`.

Registered through the ``pytest11`` entry point, so installing the package is enough::

    @pytest.mark.anyio  # or @pytest.mark.asyncio (pytest-asyncio), or neither in auto mode
    async def test_lists_stacks(cloud66_client, cloud66_fake):
        stacks = await cloud66_client.stacks.list().collect()
        assert [s.uid for s in stacks] == cloud66_fake.stack_uids

The fixtures run on the event loop of the test that uses them, whichever plugin runs it:
anyio's (``@pytest.mark.anyio``; ``anyio_backend`` is "asyncio" here, since aiohttp runs on
asyncio only, and a conftest may override it) or pytest-asyncio's, in strict mode
(``@pytest.mark.asyncio``) or auto mode, with any ``loop_scope``. pytest-asyncio is optional
(0.24 or later for these fixtures).

Options for the fake: ``cloud66_fake_options`` (a fixture a conftest or a test module may
override) gives the defaults, and ``@pytest.mark.cloud66(...)`` markers add to them and win, key
by key, the closest marker winning (the test's, then the class's, then the module's).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

import pytest

from ._fake import FakeCloud66

if TYPE_CHECKING:
    from cloud66_async import Client

try:
    import pytest_asyncio
except ImportError:  # users of anyio's plugin alone need not install pytest-asyncio
    _PYTEST_ASYNCIO: str | None = None
    _PYTEST_ASYNCIO_OK = False
else:
    _PYTEST_ASYNCIO = str(getattr(pytest_asyncio, "__version__", "unknown"))
    # is_async_test and fixture(loop_scope=...) came with 0.24: an older one must not break the
    # plugin's import (and with it every pytest run of the project), so it is left alone.
    _PYTEST_ASYNCIO_OK = hasattr(pytest_asyncio, "is_async_test") and (
        "loop_scope" in inspect.signature(pytest_asyncio.fixture).parameters
    )

__all__ = ["cloud66_client", "cloud66_fake", "cloud66_fake_options", "pytest_configure"]

_BACKEND_PLUGIN = "cloud66_async-anyio-backend"
# pytest-asyncio's loop scopes: a fixture must run on the loop its test runs on.
_LOOP_SCOPES: tuple[Literal["function", "class", "module", "package", "session"], ...] = (
    "function",
    "class",
    "module",
    "package",
    "session",
)
_NO_RUNNER = (
    "{fixture} needs an event loop: mark the test with @pytest.mark.anyio (anyio's plugin) or "
    "@pytest.mark.asyncio (pytest-asyncio), or set asyncio_mode = auto for pytest-asyncio"
)


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
        "cloud66(**options): keyword arguments for the cloud66_fake fixture's FakeCloud66; "
        "they win over the cloud66_fake_options fixture",
    )
    if not config.pluginmanager.has_plugin(_BACKEND_PLUGIN):
        config.pluginmanager.register(_AsyncioBackend(), _BACKEND_PLUGIN)


@pytest.fixture
def cloud66_fake_options() -> dict[str, Any]:
    """Return the default keyword arguments for ``FakeCloud66`` (none); override to change them.

    ``@pytest.mark.cloud66(...)`` markers are applied on top of what this returns.
    """
    return {}


@pytest.fixture
def cloud66_fake(request: pytest.FixtureRequest) -> FakeCloud66:
    """Return a started :class:`FakeCloud66` on the test's event loop; it is closed after."""
    return cast(FakeCloud66, request.getfixturevalue(_on_test_loop(request, "_cloud66_fake")))


@pytest.fixture
def cloud66_client(request: pytest.FixtureRequest) -> Client:
    """Return ``cloud66_fake.client()`` on the test's event loop; it is closed after the test."""
    return cast("Client", request.getfixturevalue(_on_test_loop(request, "_cloud66_client")))


def _on_test_loop(request: pytest.FixtureRequest, prefix: str) -> str:
    """Name the variant of fixture ``prefix`` that runs on the loop of the requesting test.

    The public fixtures are synchronous and pick, at setup, the async variant the test's own
    plugin runs: pytest-asyncio's when it runs the test (it then wins over anyio's too), at the
    test's loop scope; else anyio's when the test uses ``anyio_backend``.
    """
    public = prefix.lstrip("_")
    node = request.node
    if _PYTEST_ASYNCIO_OK and pytest_asyncio.is_async_test(node):
        return f"{prefix}_asyncio_{_asyncio_loop_scope(node)}"
    if (
        _PYTEST_ASYNCIO is not None
        and not _PYTEST_ASYNCIO_OK
        and node.get_closest_marker("asyncio")
    ):
        pytest.fail(
            f"{public} needs pytest-asyncio 0.24 or later (this is {_PYTEST_ASYNCIO}), "
            "or anyio's plugin (@pytest.mark.anyio)",
            pytrace=False,
        )
    if "anyio_backend" in request.fixturenames:
        backend = request.getfixturevalue("anyio_backend")
        name = backend if isinstance(backend, str) else backend[0]
        if name != "asyncio":
            pytest.fail(
                f"{public} runs on asyncio (aiohttp does), not on anyio_backend {name!r}: "
                'return "asyncio" from anyio_backend for the tests that use it',
                pytrace=False,
            )
        return f"{prefix}_anyio"
    pytest.fail(_NO_RUNNER.format(fixture=public), pytrace=False)


def _asyncio_loop_scope(item: pytest.Item) -> str:
    """Return the scope of the loop pytest-asyncio runs ``item`` on, as pytest-asyncio does."""
    marker = item.get_closest_marker("asyncio")
    scope = (marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")) if marker else None
    if scope is None:
        try:
            scope = item.config.getini("asyncio_default_test_loop_scope")
        except ValueError:  # a pytest-asyncio without the option: tests run per function
            scope = None
    return str(scope or "function")


@pytest.fixture
def _cloud66_fake_kwargs(
    request: pytest.FixtureRequest, cloud66_fake_options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return ``cloud66_fake_options`` updated by the ``cloud66`` markers, the closest last."""
    if not isinstance(cloud66_fake_options, Mapping):
        pytest.fail(
            "cloud66_fake_options must return a mapping of FakeCloud66 keyword arguments, "
            f"not {type(cloud66_fake_options).__name__}",
            pytrace=False,
        )
    options = dict(cloud66_fake_options)
    for marker in reversed(list(request.node.iter_markers("cloud66"))):
        if marker.args:
            pytest.fail("@pytest.mark.cloud66 takes keyword arguments only", pytrace=False)
        options.update(marker.kwargs)
    return options


def _fake_fixture() -> Callable[[dict[str, Any]], AsyncIterator[FakeCloud66]]:
    """Return a new fixture function for the fake: each variant needs its own function
    object, since pytest-asyncio marks the function it is given with its loop scope."""

    async def fake(_cloud66_fake_kwargs: dict[str, Any]) -> AsyncIterator[FakeCloud66]:
        async with FakeCloud66(**_cloud66_fake_kwargs) as started:
            yield started

    return fake


def _client_fixture() -> Callable[[FakeCloud66], AsyncIterator[Client]]:
    """Return a new fixture function for the client (see ``_fake_fixture``)."""

    async def client(cloud66_fake: FakeCloud66) -> AsyncIterator[Client]:
        opened = cloud66_fake.client()
        try:
            yield opened
        finally:
            await opened.close()

    return client


# anyio's plugin runs a plain async fixture when its test uses ``anyio_backend``.
_cloud66_fake_anyio = pytest.fixture(_fake_fixture(), name="_cloud66_fake_anyio")
_cloud66_client_anyio = pytest.fixture(_client_fixture(), name="_cloud66_client_anyio")

if _PYTEST_ASYNCIO_OK:
    # pytest-asyncio runs a fixture on the loop of the loop scope it was declared with; one
    # variant per scope lets the fixtures follow the test's loop_scope.
    for _scope in _LOOP_SCOPES:
        globals()[f"_cloud66_fake_asyncio_{_scope}"] = pytest_asyncio.fixture(
            _fake_fixture(), loop_scope=_scope, name=f"_cloud66_fake_asyncio_{_scope}"
        )
        globals()[f"_cloud66_client_asyncio_{_scope}"] = pytest_asyncio.fixture(
            _client_fixture(), loop_scope=_scope, name=f"_cloud66_client_asyncio_{_scope}"
        )
