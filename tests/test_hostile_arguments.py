"""Untyped errors from bad arguments (issue 14, item 5): every argument of every public callable.

The hostile run found ``deployments.redeploy(uid, services=5)`` and
``backups.create(uid, db_type=5)`` raising ``TypeError``, and ``Client(account_id="1\\r\\nX: y")``
and ``Client(user_agent="a\\x00b")`` accepted, to fail later inside aiohttp with ``ValueError``.
Here each argument of each public callable gets each of 28 hostile values, the others being
valid. The rule: the call raises :class:`ConfigError` and sends nothing, or it is accepted (it
then fails only as the server's answer says, a ``Cloud66Error``); never another exception.

The callables and their parameters come from introspection (``inspect.signature`` over every
manager the :class:`Client` has, the client itself, :class:`Paginator`, the settings classes and
:class:`Hooks`), so a new method or argument is covered at once, and the test fails when it has
no valid value to start from (``VALID``).
"""

from __future__ import annotations

import inspect
import math
import typing
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from _scripted import Reply, ScriptedServer, Seen

import cloud66_async as c66
from cloud66_async import (
    Client,
    Cloud66Error,
    ConfigError,
    Hooks,
    HTTPRequest,
    HTTPResponse,
    MockTransport,
    Paginator,
    RateLimit,
    RetryPolicy,
    Timeout,
    resources,
)
from cloud66_async.models import Action
from cloud66_async.resources import Manager

pytestmark = pytest.mark.anyio

BASE = "https://api.example/api/3"


class StrRaises:
    """An object whose ``__str__`` raises (``repr`` works)."""

    def __str__(self) -> str:
        raise RuntimeError("__str__ of a hostile object")


# Not in the table: objects whose own ``__repr__`` or ``__iter__`` raise. Their exception is the
# caller's code failing, and it reaches the caller unchanged: wrapping it in a ConfigError would
# hide the caller's bug behind a message about the SDK's argument.


HOSTILE: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "zero": 0,
    "negative": -1,
    "huge-int": 2**63,
    "googol": 10**100,
    "float": 1.5,
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "empty": "",
    "blanks": "  \t ",
    "nul": "a\x00b",
    "crlf": "1\r\nX-Injected: yes",
    "lf": "\n",
    "long": "x" * 100_000,
    "non-ascii": "é日本🙂",
    "surrogate": "\ud800",
    "bytes": b"bytes",
    "empty-list": [],
    "mixed-list": ["a", 5, None],
    "empty-dict": {},
    "dict-of-object": {"a": object()},
    "set": {"a", "b"},
    "object": object(),
    "str-raises": StrRaises(),
    "type": int,
}

# -- valid values, by parameter name -----------------------------------------------------------

SERVICE_YAML = "services:\n  web:\n    image: nginx\n"
WAITABLE = Action(id=1, stack_uid="abc")

#: A valid value for each parameter name the managers use (optional ones too: a hostile value
#: replaces one argument at a time, the others keep these).
VALID: dict[str, Any] = {
    "account_id": 1,
    "action": WAITABLE,
    "action_id": 1,
    "actions": [WAITABLE],
    "backup_id": 1,
    "command": "restart",
    "db_type": "mysql",
    "deployment_id": 1,
    "device_type": "ios",
    "env_id": 1,
    "environment": "production",
    "file_id": "f1",
    "from_ip": "10.0.0.1/32",
    "group": 1,
    "group_id": 1,
    "key": "KEY",
    "manifest_yaml": "x: 1",
    "name": "web",
    "notification_id": 1,
    "port": 443,
    "protocol": "tcp",
    "remote_url": "https://example.com/dump.gz",
    "rule_id": 1,
    "service_yaml": SERVICE_YAML,
    "setting_id": "git.branch",
    "stack_uid": "abc",
    "sub_type": "ipad",
    "token": "device-token",
    "uid": "abc",
    "server_uid": "srv",
    "user_id": 1,
    "value": "v",
    "channels": ["email"],
}

#: Per-call valid values where the name alone is not enough.
VALID_FOR: dict[str, dict[str, Any]] = {
    "services.scale": {"server_group_count": {"web": 2}},
    "actions.run": {"command": "maintenance_mode", "value": True},
    "stacks.create": {"manifest_yaml": "x: 1"},
    "firewalls.add": {"from_ip": "10.0.0.1/32"},
    "notifications.update": {"channels": ["email"]},
}


def manager_methods() -> dict[str, Callable[..., Any]]:
    """Every public method of every manager a Client has, by ``"<attribute>.<method>"``."""
    found: dict[str, Callable[..., Any]] = {}
    # Client names its managers under TYPE_CHECKING (they are imported on first access): resolve
    # the annotations with the resources package's names (each imported by getattr), as the docs
    # and test_docstrings do.
    names = {name: getattr(resources, name) for name in resources.__all__}
    for attr, tp in typing.get_type_hints(Client, localns=names).items():
        if isinstance(tp, type) and issubclass(tp, Manager):
            for name, fn in inspect.getmembers(tp, inspect.isfunction):
                if not name.startswith("_"):
                    found[f"{attr}.{name}"] = fn
    return found


METHODS = manager_methods()


def parameters(fn: Callable[..., Any]) -> list[inspect.Parameter]:
    return [
        p
        for name, p in inspect.signature(fn).parameters.items()
        if name != "self" and not name.startswith("_")
    ]


def baseline(call: str, fn: Callable[..., Any]) -> dict[str, Any]:
    """Valid arguments for ``fn``: every required one (a test failure when one is unknown)."""
    kwargs: dict[str, Any] = {}
    special = VALID_FOR.get(call, {})
    for p in parameters(fn):
        if p.name in special:
            kwargs[p.name] = special[p.name]
        elif p.default is inspect.Parameter.empty:
            if p.name not in VALID:
                pytest.fail(f"{call}: no valid value for its required argument {p.name!r}")
            kwargs[p.name] = VALID[p.name]
    return kwargs


# -- the check -----------------------------------------------------------------------------------


def not_found(request: HTTPRequest) -> HTTPResponse:
    return HTTPResponse(404, {"Content-Type": "application/json"}, b'{"error": "not_found"}')


async def settle(result: Any) -> None:
    """Finish what a call started: await it, read one item of a list, drain a stream."""
    if inspect.isawaitable(result):
        result = await result
    if isinstance(result, Paginator):
        await result.first()
    elif isinstance(result, AsyncIterator) or hasattr(result, "__aiter__"):
        async for _ in result:
            pass


async def check(
    label: str, run: Callable[[], Any], sent: Callable[[], int], failures: list[str]
) -> None:
    """Run one call; record anything but "ConfigError before sending" or a Cloud66Error."""
    before = sent()
    try:
        with anyio.fail_after(5):
            await settle(run())
    except ConfigError:
        if sent() != before:
            failures.append(f"{label}: ConfigError after {sent() - before} request(s)")
    except Cloud66Error:
        pass  # accepted; the 404 (or the transport) answered
    except Exception as exc:  # the point of the test
        failures.append(f"{label}: {type(exc).__name__}: {_safe(exc)}")


def _safe(exc: BaseException) -> str:
    try:
        return str(exc)[:200]
    except Exception:
        return "<unprintable>"


def mock_client(**kwargs: Any) -> tuple[Client, MockTransport]:
    transport = MockTransport(not_found)
    client = Client("t", base_url=BASE, transport=transport, rate_limit=None, **kwargs)
    return client, transport


def test_every_manager_method_is_covered() -> None:
    """A new manager method needs valid values for its required arguments (VALID)."""
    assert len(METHODS) >= 50
    for call, fn in METHODS.items():
        baseline(call, fn)


@pytest.mark.parametrize("call", sorted(METHODS))
@pytest.mark.usefixtures("fast_waits")  # an accepted poll interval of 1.5 s is not slept
async def test_every_argument_of_a_manager_method(call: str) -> None:
    fn = METHODS[call]
    attr, method = call.split(".")
    client, transport = mock_client(retry=RetryPolicy.none())
    valid = baseline(call, fn)
    failures: list[str] = []
    async with client:
        bound = getattr(getattr(client, attr), method)

        # The valid call is accepted and sends a request: the starting point is sound.
        before = len(transport.requests)
        try:
            await settle(bound(**valid))
        except ConfigError as exc:
            pytest.fail(f"{call}({valid}) is refused: {exc}")
        except Cloud66Error:
            pass
        assert len(transport.requests) > before, call

        for p in parameters(fn):
            for name, value in HOSTILE.items():
                kwargs = {**valid, p.name: value}
                await check(
                    f"{call}({p.name}={name})",
                    lambda kwargs=kwargs: bound(**kwargs),
                    lambda: len(transport.requests),
                    failures,
                )
    assert not failures, "\n".join(failures)


# -- the Client itself -----------------------------------------------------------------------------

CLIENT_PARAMS = [p.name for p in parameters(Client.__init__)]


@pytest.fixture
async def answering() -> AsyncIterator[ScriptedServer]:
    """A loopback server answering 404 to everything: aiohttp really sends what is accepted."""

    def answer(_: Seen) -> Reply:
        return Reply(status=404, body={"error": "not_found"})

    async with ScriptedServer(answer) as server:
        yield server


def test_every_client_argument_is_covered() -> None:
    assert set(CLIENT_PARAMS) >= {"token", "base_url", "user_agent", "account_id", "session"}


@pytest.mark.parametrize("param", CLIENT_PARAMS)
async def test_every_argument_of_client(
    answering: ScriptedServer, tmp_path: Path, param: str
) -> None:
    """Accepted settings really send a request (through aiohttp, to loopback), so a header
    aiohttp would refuse shows up here; a refused one is refused when the client is made."""
    failures: list[str] = []
    for name, value in HOSTILE.items():
        kwargs: dict[str, Any] = {
            "token": "t",
            "base_url": answering.base_url,
            "rate_limit": None,
            "retry": RetryPolicy.none(),
            "_env": {},
            "_home": tmp_path,
            param: value,
        }
        mock = None
        if param == "base_url":
            # Whatever it is, it must never reach the network: answer in process.
            mock = kwargs["transport"] = MockTransport(not_found)

        def sent(mock: MockTransport | None = mock) -> int:
            return len(answering.seen) + (len(mock.requests) if mock is not None else 0)

        async def run(kwargs: dict[str, Any] = kwargs) -> None:
            client = Client(**kwargs)
            async with client:
                await client.stacks.get("abc")

        await check(f"Client({param}={name})", run, sent, failures)
    assert not failures, "\n".join(failures)


CLIENT_METHODS: dict[str, Callable[[Client, dict[str, Any]], Any]] = {
    "with_options": lambda c, kw: c.with_options(**kw).stacks.get("abc"),
    "fan_out": lambda c, kw: c.fan_out(**kw),
    "request": lambda c, kw: c.request(**kw),
    "raw_response": lambda c, kw: c.raw_response(**kw),
}


async def _echo(item: Any) -> Any:
    return item


def client_method_baseline(name: str, client: Client, *, replacing: str) -> dict[str, Any]:
    """Valid arguments for ``Client.<name>``, but for ``replacing`` (made only when used: an
    SDK call is a coroutine, and one never awaited is a warning, hence an error here)."""
    if name == "raw_response":
        return {} if replacing == "call" else {"call": client.stacks.get("abc")}
    return {
        "with_options": {},
        "fan_out": {"items": ["a", "b"], "fn": _echo},
        "request": {"method": "GET", "path": "/stacks"},
    }[name]


def test_every_client_method_is_covered() -> None:
    public = {
        name
        for name, member in inspect.getmembers(Client, inspect.isfunction)
        if not name.startswith("_") and parameters(member)
    }
    assert public == set(CLIENT_METHODS)


@pytest.mark.parametrize("name", sorted(CLIENT_METHODS))
async def test_every_argument_of_a_client_method(name: str) -> None:
    client, transport = mock_client(retry=RetryPolicy.none())
    failures: list[str] = []
    async with client:
        for p in parameters(getattr(Client, name)):
            for hostile, value in HOSTILE.items():

                def run(p: inspect.Parameter = p, value: Any = value) -> Any:
                    valid = client_method_baseline(name, client, replacing=p.name)
                    return CLIENT_METHODS[name](client, {**valid, p.name: value})

                await check(
                    f"Client.{name}({p.name}={hostile})",
                    run,
                    lambda: len(transport.requests),
                    failures,
                )
    assert not failures, "\n".join(failures)


# -- Paginator, settings, hooks ----------------------------------------------------------------


@pytest.mark.parametrize("method", ["map", "filter", "with_prefetch"])
async def test_every_argument_of_a_paginator_method(method: str) -> None:
    client, transport = mock_client()
    failures: list[str] = []
    async with client:
        for hostile, value in HOSTILE.items():
            await check(
                f"Paginator.{method}({hostile})",
                lambda value=value: getattr(client.stacks.list(), method)(value),
                lambda: len(transport.requests),
                failures,
            )
    assert not failures, "\n".join(failures)


def test_every_paginator_method_is_covered() -> None:
    public = {
        name
        for name, member in inspect.getmembers(Paginator, inspect.isfunction)
        if not name.startswith("_") and parameters(member)
    }
    assert public == {"map", "filter", "with_prefetch"}


@pytest.mark.parametrize("param", [p.name for p in parameters(Paginator.__init__)])
async def test_every_argument_of_paginator(param: str) -> None:
    async def fetch(number: int) -> c66.Page[int]:
        return c66.Page(items=[1], number=number, next=None, pages=1, total=1)

    valid: dict[str, Any] = {"fetch": fetch}
    failures: list[str] = []
    for hostile, value in HOSTILE.items():
        await check(
            f"Paginator({param}={hostile})",
            lambda value=value: Paginator(**{**valid, param: value}),
            lambda: 0,
            failures,
        )
    assert not failures, "\n".join(failures)


SETTINGS: list[type] = [Timeout, RetryPolicy, RateLimit, Hooks]


@pytest.mark.parametrize("cls", SETTINGS, ids=lambda c: c.__name__)
async def test_every_argument_of_the_settings(cls: type) -> None:
    failures: list[str] = []
    for p in parameters(cls.__init__):
        for hostile, value in HOSTILE.items():
            await check(
                f"{cls.__name__}({p.name}={hostile})",
                lambda p=p, value=value: cls(**{p.name: value}),
                lambda: 0,
                failures,
            )
    assert not failures, "\n".join(failures)


# -- the cases the hostile run found ---------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.deployments.redeploy("abc", services=5),
        lambda c: c.backups.create("abc", db_type=5),
    ],
    ids=["redeploy-services-5", "backups-db_type-5"],
)
async def test_the_type_errors_found_are_config_errors(call: Callable[[Client], Any]) -> None:
    client, transport = mock_client()
    async with client:
        with pytest.raises(ConfigError):
            await call(client)
    assert transport.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [{"account_id": "1\r\nX: y"}, {"user_agent": "a\x00b"}, {"user_agent": "ok\nX-Evil: 1"}],
    ids=["account-crlf", "agent-nul", "agent-lf"],
)
def test_header_values_that_aiohttp_refuses_are_config_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Client("t", base_url=BASE, **kwargs)
