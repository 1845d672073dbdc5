"""The token stays secret: never in logs, reprs, error messages or hook events; never sent to
another host (no redirects followed, no absolute URLs, no clear-text http:// off loopback); and
path arguments can never reach another endpoint. Secret model fields stay masked.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import aiohttp
import anyio
import attrs
import pytest
from aiohttp import web

from cloud66_async import (
    APIError,
    Client,
    Cloud66Error,
    ConfigError,
    DecodeError,
    Hooks,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    RetryPolicy,
    ThrottleEvent,
    Timeout,
    TransportError,
)
from cloud66_async._client import _BAD_PATH_CHAR
from cloud66_async.models import Action, Server
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

STACK = "5999b763474b0eafa5fafb64bff0ba80"
STACK_PATH = f"/stacks/{STACK}"
ACTIONS_PATH = f"/stacks/{STACK}/actions"


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and the members of exception groups."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += list(getattr(current, "exceptions", ()))


def assert_no_token(token: str, exc: BaseException) -> None:
    """Neither the error nor anything chained to it shows the token, however it is printed."""
    assert token not in "".join(traceback.format_exception(exc))
    for link in chain(exc):
        for shown in (str(link), repr(link), repr(link.args)):
            assert token not in shown, f"{type(link).__name__} shows the token: {shown[:300]}"


# --------------------------------------------------------------------- a rough run, observed


async def rough_run(fake: FakeCloud66, client: Client) -> list[BaseException]:
    """Retries, throttles, timeouts, resets, API errors, decode errors, paging and waiting."""
    errors: list[BaseException] = []

    async def attempt(call: Callable[[], Awaitable[object]]) -> None:
        try:
            await call()
        except Cloud66Error as exc:
            errors.append(exc)

    fake.inject_fault("GET", STACK_PATH, "status", status=500, body={"error": "boom"})
    fake.inject_fault("GET", "/stacks", "throttled", headers={"Retry-After": "0.05"})
    fake.inject_fault("GET", f"/stacks/{STACK}/servers", "reset_during")
    await client.stacks.get(STACK)
    await client.stacks.list().collect()
    await client.servers.list(STACK).collect()
    await attempt(lambda: client.stacks.get("no-such-stack"))
    fake.inject_fault("POST", ACTIONS_PATH, "reset_during")
    await attempt(lambda: client.actions.run(STACK, "restart"))
    fake.inject_fault("POST", ACTIONS_PATH, "latency", delay=1.0)
    await attempt(lambda: client.with_options(timeout=0.2).actions.run(STACK, "restart"))
    fake.inject_fault("POST", ACTIONS_PATH, "status", status=401, body={"error": "unauthenticated"})
    await attempt(lambda: client.actions.run(STACK, "restart"))
    fake.inject_fault("GET", STACK_PATH, "invalid_json")
    await attempt(lambda: client.stacks.get(STACK))
    fake.inject_fault("GET", STACK_PATH, "status", status=200, body={"response": {"uid": 5}})
    await attempt(lambda: client.stacks.get(STACK))
    fake.inject_fault("GET", STACK_PATH, "html", times=None)
    await attempt(lambda: client.stacks.get(STACK))
    fake.clear_faults()
    action = await client.actions.run(fake.stack_uids[1], "restart")
    fake.set_action_outcome(False, "disk full", times=1)
    failing = await client.actions.run(fake.stack_uids[2], "restart")
    await client.actions.wait(action, poll_interval=0.01)
    await attempt(lambda: client.actions.wait(failing, poll_interval=0.01))
    await attempt(lambda: client.actions.wait(Action(id=1, stack_uid=STACK), timeout=0.05))
    # Last: this closes the client's throttle gate for ten minutes.
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "600"})
    patient = client.with_options(retry=RetryPolicy(throttle_max_wait=1))
    await attempt(lambda: patient.stacks.get(STACK))
    assert len(errors) >= 9
    return errors


@pytest.fixture
async def roomy_fake() -> AsyncIterator[FakeCloud66]:
    async with FakeCloud66(stacks=5, action_delay=0.02) as server:
        yield server


async def test_token_never_in_logs(
    roomy_fake: FakeCloud66, caplog: pytest.LogCaptureFixture, fast_waits: None
) -> None:
    fake = roomy_fake

    def broken_hook(event: object) -> None:
        raise RuntimeError(f"metrics backend down while handling {event!r}")

    caplog.set_level(logging.DEBUG)  # every logger: the SDK's, aiohttp's, asyncio's, the fake's
    async with fake.client(rate_limit=None, hooks=Hooks(on_response=broken_hook)) as client:
        with anyio.fail_after(20):
            errors = await rough_run(fake, client)
    for exc in errors:
        logging.getLogger("app").error("call failed", exc_info=exc)
    sdk_records = [r for r in caplog.records if r.name.startswith("cloud66_async")]
    assert any(r.levelno == logging.DEBUG for r in sdk_records), "the SDK logged nothing"
    assert any("throttled" in r.getMessage() for r in sdk_records)
    assert fake.token not in caplog.text
    for record in caplog.records:
        assert fake.token not in record.getMessage()
        assert fake.token not in repr(record.args)
        if record.exc_info and record.exc_info[1] is not None:
            assert_no_token(fake.token, record.exc_info[1])


async def test_token_never_in_errors_or_hook_events(
    roomy_fake: FakeCloud66, fast_waits: None
) -> None:
    fake = roomy_fake
    events: list[object] = []

    async def record_async(event: object) -> None:
        events.append(event)

    hooks = Hooks(
        on_request=events.append,
        on_response=record_async,
        on_retry=events.append,
        on_throttle=record_async,
    )
    async with fake.client(rate_limit=None, hooks=hooks) as client:
        with anyio.fail_after(20):
            errors = await rough_run(fake, client)
    kinds = {type(e) for e in events}
    assert kinds == {RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent}
    for event in events:
        assert fake.token not in repr(event)
        for value in attrs.asdict(event).values():  # type: ignore[arg-type]
            assert value is None or isinstance(value, (str, int, float))
            assert fake.token not in str(value)
        url = event.url  # type: ignore[attr-defined]
        assert "?" not in url and url.startswith(fake.base_url)
    for exc in errors:
        assert_no_token(fake.token, exc)


async def test_token_never_in_any_repr(roomy_fake: FakeCloud66) -> None:
    fake = roomy_fake
    async with fake.client(rate_limit=None, account_id=3) as client:
        view = client.with_options(timeout=Timeout(total=5), max_concurrency=2)
        raw = await client.with_raw_response.stacks.get(STACK)
        page = await anext(client.stacks.list().pages())
        shown = [
            client,
            view,
            client.with_raw_response,
            client.stacks,
            client.stacks.list(),
            raw,
            page,
            client.rate_limit_state,
            client.timeout,
            client.retry,
            *fake.request_log,
        ]
        for thing in shown:
            assert fake.token not in repr(thing), type(thing).__name__
            assert fake.token not in str(thing), type(thing).__name__
        # The fake did receive the token, and its log hides it.
        assert fake.request_log[0].header("Authorization") == f"Bearer {fake.token}"


async def test_chained_causes_never_carry_the_token() -> None:
    """aiohttp's ClientResponseError keeps the request's headers (Authorization included) in
    ``request_info``; chained as the cause of a TransportError, it would hand the token to any
    error reporter that records the exception chain."""
    token = "tok-" + "7" * 32

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: not-a-number\r\n\r\n{}")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Client(
            token, base_url=f"http://127.0.0.1:{port}/api/3", retry=RetryPolicy.none()
        ) as client:
            with pytest.raises(TransportError) as info, anyio.fail_after(5):
                await client.stacks.get(STACK)
    finally:
        server.close()
        await server.wait_closed()
    assert_no_token(token, info.value)


@pytest.mark.parametrize("token", ["abc\r\nX-Evil: 1", "abc\ndef", "abc\x00def"])
async def test_token_with_control_characters(fake: FakeCloud66, token: str) -> None:
    """Refused before anything is sent, as a Cloud66Error that does not print the token."""
    try:
        client = Client(token, base_url=fake.base_url)
    except ConfigError as exc:
        assert_no_token(token, exc)
        return
    async with client:
        with pytest.raises(Cloud66Error) as info, anyio.fail_after(5):
            await client.stacks.get(STACK)
    assert_no_token(token, info.value)
    assert fake.request_log == []


# ------------------------------------------------------------------ never to another host


class OtherHost:
    """A second HTTP server, on another loopback address, that records what reaches it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, dict[str, str]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.method, request.path_qs, dict(request.headers)))
        return web.json_response({"response": {"uid": STACK}})


@pytest.fixture
async def other_host() -> AsyncIterator[OtherHost]:
    other = OtherHost()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", other.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.2", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        other.url = f"http://{host}:{port}"
        yield other
    finally:
        await runner.cleanup()


async def test_the_other_host_would_receive_a_followed_redirect(
    fake: FakeCloud66, other_host: OtherHost
) -> None:
    """The control: a plain aiohttp session follows the fake's redirect to the other host."""
    fake.inject_fault(
        "GET", STACK_PATH, "status", status=302, headers={"Location": other_host.url + "/x"}
    )
    async with (
        aiohttp.ClientSession() as session,
        session.get(fake.base_url + STACK_PATH, headers={"Authorization": "Bearer t"}) as resp,
    ):
        assert resp.status == 200
    assert [r[1] for r in other_host.received] == ["/x"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_redirects_are_not_followed(
    fake: FakeCloud66, other_host: OtherHost, status: int, method: str
) -> None:
    path = STACK_PATH if method == "GET" else ACTIONS_PATH
    fake.inject_fault(
        method, path, "status", status=status, headers={"Location": other_host.url + "/x"}
    )
    async with fake.client(rate_limit=None) as client:
        with pytest.raises(APIError) as info, anyio.fail_after(5):
            if method == "GET":
                await client.stacks.get(STACK)
            else:
                await client.actions.run(STACK, "restart")
    assert info.value.status == status
    assert other_host.received == []
    assert len(fake.requests(method, path)) == 1


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/stacks",
        "http://127.0.0.2/stacks",
        "//evil.example/stacks",
        "//127.0.0.2/stacks",
        "/stacks//127.0.0.2/x",
        "stacks",
        "evil.example/stacks",
        "",
    ],
)
async def test_request_refuses_urls_that_leave_base_url(
    fake: FakeCloud66, client: Client, other_host: OtherHost, path: str
) -> None:
    with pytest.raises(ConfigError):
        await client.request("GET", path)
    with pytest.raises(ConfigError):
        await client.request("GET", path.replace("127.0.0.2", other_host.url[7:]))
    assert fake.request_log == [] and other_host.received == []


@pytest.mark.parametrize(
    "path",
    ["/@127.0.0.2/x", "/%2F%2F127.0.0.2/x", "/..%2F..%2F", "/\\\\127.0.0.2/x", "/.."],
)
async def test_request_paths_stay_on_base_url(
    fake: FakeCloud66, client: Client, other_host: OtherHost, path: str
) -> None:
    try:
        await client.request("GET", path.replace("127.0.0.2", other_host.url[7:]))
    except ConfigError:
        assert fake.request_log == []
    except Cloud66Error:
        assert len(fake.request_log) == 1
        assert fake.request_log[0].raw_path.startswith("/api/3/")
    assert other_host.received == []


@pytest.mark.parametrize("path", ["/x\r\nHost: evil", "/x y", "/x\ty", "/x\x00y"])
async def test_request_refuses_paths_it_would_alter(
    fake: FakeCloud66, client: Client, path: str
) -> None:
    """Whitespace and control characters are refused, not silently dropped or sent raw."""
    with pytest.raises(ConfigError):
        await client.request("GET", f"/stacks{path}")
    assert fake.request_log == []


def test_request_path_check_refuses_exactly_whitespace_and_control_characters() -> None:
    """The one-regex check refuses the same characters as testing each one with
    ``str.isspace()``, ``< 0x20`` and ``== 0x7F``: every code point, checked."""
    different = [
        cp
        for cp in range(0x110000)
        if (_BAD_PATH_CHAR.search(chr(cp)) is not None)
        != (chr(cp).isspace() or cp < 0x20 or cp == 0x7F)
    ]
    assert different == []


@pytest.mark.parametrize(
    "base_url",
    [
        "http://app.cloud66.com/api/3",
        "http://10.0.0.1/api/3",
        "http://192.168.1.10:8066/api/3",
        "http://0.0.0.0:8066/api/3",
        "http://[::2]/api/3",
        "http://localhost.evil.example/api/3",
        "http://127.0.0.1.evil.example/api/3",
        "http://127.evil.example/api/3",
    ],
)
def test_plain_http_refused_off_loopback(base_url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="http://"):
        Client("t", base_url=base_url, _env={}, _home=tmp_path)
    with pytest.raises(ConfigError, match="http://"):
        Client("t", _env={"CLOUD66_URL": base_url}, _home=tmp_path)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:1/api/3",
        "http://127.1.2.3/api/3",
        "http://localhost:8066/api/3",
        "http://[::1]:8066/api/3",
        "https://app.cloud66.com/api/3",
    ],
)
def test_plain_http_accepted_on_loopback(base_url: str, tmp_path: Path) -> None:
    assert Client("t", base_url=base_url, _env={}, _home=tmp_path).base_url == base_url


# ----------------------------------------------------------------- quoted path arguments

EVIL = [
    "..",
    ".",
    "../users",
    "a/../../users",
    "x?y=1",
    "a#b",
    "%2E%2E",
    "a%2Fb",
    "100%",
    "/",
    "?",
    "#",
    "..;",
    " ..",
]


def _settings(value: str) -> str:
    return value.replace(".", "-")  # setting ids: "git.branch" is sent as "git-branch"


Call = Callable[[Client, str], Awaitable[object]]

# name -> (call with the evil value, the path segments after /api/3 it must produce)
CALLS: dict[str, tuple[Call, Callable[[str], list[str]]]] = {
    "stacks.get": (lambda c, v: c.stacks.get(v), lambda v: ["stacks", v]),
    "actions.list": (lambda c, v: c.actions.list(v).first(), lambda v: ["stacks", v, "actions"]),
    "actions.run": (
        lambda c, v: c.actions.run(v, "restart"),
        lambda v: ["stacks", v, "actions"],
    ),
    "deployments.get": (
        lambda c, v: c.deployments.get(v, 1),
        lambda v: ["stacks", v, "deployments", "1"],
    ),
    "deployments.redeploy": (
        lambda c, v: c.deployments.redeploy(v),
        lambda v: ["stacks", v, "deployments"],
    ),
    "services.get": (
        lambda c, v: c.services.get(STACK, v),
        lambda v: ["stacks", STACK, "services", v],
    ),
    "services.stop": (
        lambda c, v: c.services.stop(STACK, v),
        lambda v: ["stacks", STACK, "services", v],
    ),
    "containers.get": (
        lambda c, v: c.containers.get(STACK, v),
        lambda v: ["stacks", STACK, "containers", v],
    ),
    "containers.stop": (
        lambda c, v: c.containers.stop(STACK, v),
        lambda v: ["stacks", STACK, "containers", v],
    ),
    "env_vars.add": (
        lambda c, v: c.env_vars.add(v, "KEY", "value"),
        lambda v: ["stacks", v, "environments"],
    ),
    "env_vars.update": (
        lambda c, v: c.env_vars.update(STACK, v, "value"),
        lambda v: ["stacks", STACK, "environments", v],
    ),
    "env_vars.delete": (
        lambda c, v: c.env_vars.delete(STACK, v),
        lambda v: ["stacks", STACK, "environments", v],
    ),
    "firewalls.get": (
        lambda c, v: c.firewalls.get(v, 1),
        lambda v: ["stacks", v, "firewalls", "1"],
    ),
    "settings.get": (
        lambda c, v: c.settings.get(STACK, v),
        lambda v: ["stacks", STACK, "settings", _settings(v)],
    ),
    "settings.update": (
        lambda c, v: c.settings.update(STACK, v, "x"),
        lambda v: ["stacks", STACK, "settings", _settings(v)],
    ),
    "servers.get": (
        lambda c, v: c.servers.get(STACK, v),
        lambda v: ["stacks", STACK, "servers", v],
    ),
    "server_settings.list": (
        lambda c, v: c.server_settings.list(STACK, v).first(),
        lambda v: ["stacks", STACK, "servers", v, "settings"],
    ),
    "server_settings.get": (
        lambda c, v: c.server_settings.get(STACK, "srv", v),
        lambda v: ["stacks", STACK, "servers", "srv", "settings", _settings(v)],
    ),
    "clouds.get": (lambda c, v: c.clouds.get(v), lambda v: ["clouds", v]),
    "backups.files": (
        lambda c, v: c.backups.files(v, 1).first(),
        lambda v: ["stacks", v, "backups", "1", "files"],
    ),
    "users.delete_device": (
        lambda c, v: c.users.delete_device(1, v),
        lambda v: ["users", "1", "devices", v],
    ),
}


@pytest.fixture
async def tiny_fake() -> AsyncIterator[FakeCloud66]:
    async with FakeCloud66(stacks=1) as server:
        yield server


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_path_arguments_stay_one_segment(tiny_fake: FakeCloud66, name: str) -> None:
    fake = tiny_fake
    call, segments = CALLS[name]
    async with fake.client(rate_limit=None, retry=RetryPolicy.none()) as client:
        for value in EVIL:
            fake.clear_log()
            error: Cloud66Error | None = None
            with anyio.fail_after(5):
                try:
                    await call(client, value)
                except Cloud66Error as exc:
                    error = exc
            if isinstance(error, ConfigError):
                assert fake.request_log == [], "a ConfigError after sending"
                continue
            assert error is None or isinstance(error, APIError), repr(error)
            (sent,) = fake.request_log
            target = sent.raw_path.split("?", 1)[0]
            raw_segments = target.split("/")[3:]
            assert target.startswith("/api/3/")
            assert [unquote(s) for s in raw_segments] == segments(value), sent.raw_path
            # Nothing in a segment the server could read as a separator or a parent.
            for raw in raw_segments:
                assert "?" not in raw and "#" not in raw and raw not in (".", "..")
            assert set(sent.query) <= {"page"}


# ------------------------------------------------------------------------ masked fields


async def test_password_env_vars_are_masked(fake: FakeCloud66, client: Client) -> None:
    env_vars = await client.env_vars.list(STACK).collect()
    secret = [e for e in env_vars if e.is_password and e.value]
    assert secret, "the fake has no password env var: the test proves nothing"
    for env_var in secret:
        assert env_var.value is not None
        for shown in (repr(env_var), str(env_var), repr(env_vars)):
            assert env_var.value not in shown
        for old in env_var.history or ():
            if old.value:
                assert old.value not in repr(env_var)
        raw = await client.with_raw_response.env_vars.get(STACK, env_var.id)
        assert raw.parsed.value == env_var.value
        assert env_var.value not in repr(raw)
    plain = [e.value for e in env_vars if not e.is_password and e.value]
    assert plain and plain[0] in repr(env_vars)


async def test_private_keys_are_masked(fake: FakeCloud66, client: Client) -> None:
    first = await client.servers.list(STACK).first()
    assert first is not None
    server = await client.servers.get(STACK, first.uid, include_private_key=True)
    assert isinstance(server, Server) and server.private_key
    assert server.private_key not in repr(server) and server.private_key not in str(server)


@pytest.mark.parametrize(
    ("path", "payload", "secret", "call"),
    [
        (
            f"/stacks/{STACK}/environments/1",
            {"id": 1, "key": "DB_PASSWORD", "value": 731946285, "is_password": True},
            "731946285",
            lambda c: c.env_vars.get(STACK, 1),
        ),
        (
            f"/stacks/{STACK}/servers/abc",
            {"uid": "abc", "private_key": ["-----BEGIN RSA PRIVATE KEY-----MIIEsecret"]},
            "MIIEsecret",
            lambda c: c.servers.get(STACK, "abc", include_private_key=True),
        ),
    ],
    ids=["env-var-value", "private-key"],
)
async def test_decode_errors_do_not_echo_secret_values(
    fake: FakeCloud66,
    client: Client,
    path: str,
    payload: dict[str, Any],
    secret: str,
    call: Callable[[Client], Awaitable[object]],
) -> None:
    """A secret of the wrong type is still a secret: the error names the field, not its value."""
    fake.inject_fault("GET", path, "status", status=200, body={"response": payload})
    with pytest.raises(DecodeError) as info:
        await call(client)
    assert info.value.path in ("value", "private_key")
    assert secret not in str(info.value)
