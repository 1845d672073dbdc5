"""Property tests: whatever the server answers, the SDK produces a value or a ``Cloud66Error``.

Two levels. The sans-I/O functions (``error_for``, ``parse_page``, ``unwrap``,
``parse_retry_after``, ``parse_rate_limit_headers``, the JSON parsing the client wraps around
``parse_body``, and the throttle gate fed with what ``parse_retry_after`` returns) are driven
directly. Then the whole client is driven end to end: a raw asyncio HTTP server on 127.0.0.1
answers whatever hypothesis chose (status 100-599, any headers, any bytes, a wrong or missing
``Content-Length``), in an event loop kept by an anyio blocking portal so that hypothesis's
``@given`` drives plain synchronous tests. Models are checked through the client too: missing,
null and unknown fields decode; a wrong type is a ``DecodeError`` naming the field and the
request.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.from_thread
import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloud66_async import (
    APIError,
    Client,
    Cloud66Error,
    DecodeError,
    NotImplementedByAPIError,
    RateLimit,
    RetryPolicy,
    ServerError,
    ThrottledError,
    Timeout,
)
from cloud66_async import _sansio as sansio
from cloud66_async._decode import Decoder
from cloud66_async._throttle import FREE, Permit, RateLimiter, ThrottleGate
from cloud66_async.models import Action, Service, Stack
from cloud66_async.testing import FakeCloud66, set_testing

STACK = "5999b763474b0eafa5fafb64bff0ba80"

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
END_TO_END = settings(PROPERTY, max_examples=120)

# ------------------------------------------------------------------------------ strategies

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Counting that str.isdigit() accepts but int() does not ("²"), or int() reads ("٣").
odd_numbers = st.sampled_from(["²", "٣", "1_000", " 7 ", "-1", "0", "+3", "1e3", "١٢", "⁵"])
page_numbers = st.none() | st.integers(-5, 10**12) | odd_numbers | json_scalars
paginations = (
    st.fixed_dictionaries(
        {},
        optional={
            "previous": page_numbers,
            "current": page_numbers,
            "next": page_numbers,
            "per_page": page_numbers,
            "pages": page_numbers,
            "count": page_numbers,
        },
    )
    | json_values
)
stack_payloads = st.fixed_dictionaries(
    {"uid": st.text(min_size=1, max_size=10)},
    optional={
        "name": st.none() | st.text(max_size=10) | json_scalars,
        "status": st.none() | st.integers(-3, 20) | json_scalars,
        "created_at": st.none() | st.just("2014-08-14T01:46:53Z") | st.text(max_size=10),
        "servers": json_values,
        "brand_new": json_values,
    },
)
envelopes = st.fixed_dictionaries(
    {"response": st.lists(stack_payloads, max_size=3) | stack_payloads | json_values},
    optional={"pagination": paginations},
)
error_codes = st.sampled_from(
    ["throttled", "not_implemented", "not_found", "unauthenticated", "bad_request", ""]
)
error_bodies = st.fixed_dictionaries(
    {"error": error_codes | json_scalars},
    optional={
        "error_description": json_values,
        "message": json_values,
        "details": json_values,
    },
)


def run_now(coroutine: Any) -> Any:
    """Run a coroutine that must finish without suspending (the in-process limiter and gate
    never wait when asked to take in an answer); fail if it suspends."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise AssertionError("the coroutine suspended")


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def _deep(depth: int) -> bytes:
    return b'{"response": ' + b"[" * depth + b"]" * depth + b"}"


bodies = st.one_of(
    st.binary(max_size=120),
    json_values.map(_dump),
    envelopes.map(_dump),
    error_bodies.map(_dump),
    st.sampled_from([b"", b"<html><body><h1>502 Bad Gateway</h1></body></html>", b"null"]),
    st.integers(1_000, 3_000).map(_deep),
)

http_dates = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
).map(lambda d: email.utils.format_datetime(d, usegmt=True))
retry_afters = st.one_of(
    st.integers(-(10**15), 10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    http_dates,
    st.text(max_size=30),
)
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\r\n"), max_size=40
)
header_names = st.sampled_from(
    ["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "Content-Type", "Location"]
) | st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True)
rate_limit_values = st.integers(-(10**30), 10**30).map(str) | odd_numbers | header_text
headers = st.dictionaries(
    header_names,
    header_text,
    max_size=4,
).flatmap(
    lambda extra: st.fixed_dictionaries(
        {},
        optional={
            "Retry-After": retry_afters,
            "X-RateLimit-Limit": rate_limit_values,
            "X-RateLimit-Remaining": rate_limit_values,
        },
    ).map(lambda chosen: {**extra, **chosen})
)
statuses = st.sampled_from([200, 201, 204, 302, 400, 401, 404, 409, 500, 502, 503, 504]) | (
    st.integers(100, 599)
)

# ------------------------------------------------------------------------- sans-I/O level


def check_api_error(error: APIError, status: int) -> None:
    assert isinstance(error, APIError)
    assert error.status == status
    text = str(error)
    assert str(status) in text and "rid-1" in text
    if status == 503 and error.error == "throttled":
        assert isinstance(error, ThrottledError)
    elif status == 503 and error.error == "not_implemented":
        assert isinstance(error, NotImplementedByAPIError)
    elif status >= 500:
        assert isinstance(error, ServerError)


@PROPERTY
@given(status=st.integers(100, 599), headers=headers, body=bodies)
@example(status=503, headers={}, body=b"[" * 1200 + b"]" * 1200)
def test_error_for_always_builds_an_api_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    error = sansio.error_for(
        status=status,
        headers=headers,
        body=body,
        method="GET",
        url="http://127.0.0.1:9/api/3/stacks?page=2",
        request_id="rid-1",
    )
    check_api_error(error, status)
    assert "?page" not in error.url


@PROPERTY
@given(payload=json_values | envelopes, requested=st.integers(1, 10**6))
@example(payload={"response": [], "pagination": {"current": 1, "next": "²"}}, requested=1)
@example(payload={"response": [], "pagination": {"pages": "⁵"}}, requested=1)
def test_parse_page_gives_a_page_or_a_decode_error(payload: Any, requested: int) -> None:
    try:
        info = sansio.parse_page(payload, requested=requested, url="http://127.0.0.1:9/api/3/x")
    except DecodeError:
        return
    assert isinstance(info.items, list)
    assert isinstance(info.current, int)
    assert info.next is None or info.next > info.current
    for number in (info.pages, info.total, info.per_page):
        assert number is None or isinstance(number, int)


@PROPERTY
@given(payload=json_values | envelopes)
def test_unwrap_gives_the_response_or_a_decode_error(payload: Any) -> None:
    error: DecodeError | None = None
    try:
        value = sansio.unwrap(payload, url="http://127.0.0.1:9/api/3/x?page=1")
    except DecodeError as exc:
        error = exc
    if error is None:
        assert value is payload["response"]
    else:
        assert error.path == "response" and "?page" not in str(error)


@PROPERTY
@given(value=st.none() | retry_afters)
@example(value="315360000000")
@example(value="1e300")
@example(value="Fri, 31 Dec 9999 23:59:59 GMT")
def test_any_retry_after_is_a_finite_wait_the_gate_accepts(value: str | None) -> None:
    """Whatever the header says, the wait is ``None`` or a finite number of seconds >= 0, and
    closing the throttle gate for it works (however far off it opens)."""
    seconds = sansio.parse_retry_after(value)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)
    gate = ThrottleGate()
    closed_for = run_now(gate.throttled(FREE, seconds, RetryPolicy()))
    assert math.isfinite(closed_for) and closed_for >= 0
    assert not gate.is_open
    assert gate.opens_in() >= 0


@PROPERTY
@given(headers=headers)
def test_rate_limit_headers_are_ints_or_absent(headers: dict[str, str]) -> None:
    parsed = sansio.parse_rate_limit_headers(headers)
    if parsed is None:
        return
    for number in (parsed.limit, parsed.remaining):
        assert number is None or isinstance(number, int)
    limiter = RateLimiter(RateLimit(requests=100, per=60))
    run_now(limiter.observe(Permit(0.0, over_budget=False), parsed))
    remaining = limiter.local_remaining()
    assert remaining is not None and 0 <= remaining <= 100


@PROPERTY
@given(body=bodies)
@example(body=b"[" * 1200 + b"]" * 1200)
@example(body=b"1" * 5_000)
@example(body=b"\xff\xfe{\x00}")
def test_client_json_parsing_gives_a_value_or_a_decode_error(body: bytes) -> None:
    error: DecodeError | None = None
    try:
        Decoder().json(body, method="GET", url="http://127.0.0.1:9/api/3/x", request_id="rid-1")
    except DecodeError as exc:
        error = exc
    assert error is None or "rid-1" in str(error)


# --------------------------------------------------------------------------- end to end


@attrs.frozen
class Reply:
    """One HTTP answer, written byte by byte by the raw server."""

    status: int
    headers: dict[str, str]
    body: bytes
    length: str = "exact"  # "exact", "missing" (body until close) or "lying" (promises more)

    def render(self) -> bytes:
        lines = [f"HTTP/1.1 {self.status} Whatever"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.length == "exact":
            lines.append(f"Content-Length: {len(self.body)}")
        elif self.length == "lying":
            lines.append(f"Content-Length: {len(self.body) + 10}")
        lines.append("Connection: close")
        # UTF-8, not latin-1: servers do send non-ASCII header values.
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass") + self.body


replies = st.builds(
    Reply,
    status=statuses,
    headers=headers,
    body=bodies,
    length=st.sampled_from(["exact", "exact", "exact", "missing", "lying"]),
)

Operation = Callable[[Client], Awaitable[object]]
OPERATIONS: dict[str, tuple[Operation, Callable[[object], bool]]] = {
    "stacks.get": (lambda c: c.stacks.get(STACK), lambda v: isinstance(v, Stack)),
    "stacks.list.first": (
        lambda c: c.stacks.list().first(),
        lambda v: v is None or isinstance(v, Stack),
    ),
    "stacks.list.collect": (
        lambda c: c.stacks.list(max_items=50).collect(),
        lambda v: isinstance(v, list) and all(isinstance(s, Stack) for s in v),
    ),
    "services.list.collect": (
        lambda c: c.services.list(STACK, server_uid="a b").collect(),
        lambda v: isinstance(v, list) and all(isinstance(s, Service) for s in v),
    ),
    "actions.run": (
        lambda c: c.actions.run(STACK, "restart"),
        lambda v: isinstance(v, Action) and v.stack_uid == STACK,
    ),
    "request": (lambda c: c.request("GET", "/stacks"), lambda v: True),
}


class RawServer:
    """Answers every request with :attr:`reply`, then closes the connection."""

    def __init__(self) -> None:
        self.reply = Reply(200, {}, b"{}")
        self.port = 0
        self.received = 0
        self.failures: list[Exception] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    await reader.readexactly(int(value))
            self.received += 1
            writer.write(self.reply.render())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except Exception as exc:  # a bug of this test's server: fail the example
            self.failures.append(exc)
        finally:
            writer.close()

    async def exchange(self, reply: Reply, operation: str) -> tuple[object, BaseException | None]:
        """Run one operation of a fresh client (a fresh throttle gate) against ``reply``."""
        self.reply = reply
        self.failures.clear()
        call, _ = OPERATIONS[operation]
        client = Client(
            "tok-never-shown",
            base_url=f"http://127.0.0.1:{self.port}/api/3",
            rate_limit=None,
            retry=RetryPolicy(retries=0, throttle_max_wait=0),
            timeout=Timeout(total=2),
        )
        async with client:
            try:
                with anyio.fail_after(5):
                    return await call(client), None
            except Cloud66Error as exc:
                return None, exc


@pytest.fixture(scope="module")
def raw_server() -> Iterator[tuple[anyio.from_thread.BlockingPortal, RawServer]]:
    set_testing(True)
    try:
        with anyio.from_thread.start_blocking_portal("asyncio") as portal:
            server = RawServer()
            portal.call(server.start)
            try:
                yield portal, server
            finally:
                portal.call(server.stop)
    finally:
        set_testing(False)


@END_TO_END
@given(reply=replies, operation=st.sampled_from(sorted(OPERATIONS)))
@example(
    reply=Reply(503, {"Retry-After": "315360000000"}, b'{"error": "throttled"}'),
    operation="stacks.get",
)
@example(
    reply=Reply(200, {}, b'{"response": [], "pagination": {"next": "\\u00b2"}}'),
    operation="stacks.list.collect",
)
@example(reply=Reply(200, {}, _deep(1_200)), operation="request")
@example(reply=Reply(503, {}, b"[" * 1_200 + b"]" * 1_200), operation="stacks.get")
@example(reply=Reply(100, {}, b""), operation="stacks.get")
@example(reply=Reply(101, {"Upgrade": "x"}, b""), operation="actions.run")
def test_any_answer_gives_a_value_or_a_cloud66_error(
    raw_server: tuple[anyio.from_thread.BlockingPortal, RawServer], reply: Reply, operation: str
) -> None:
    portal, server = raw_server
    value, error = portal.call(server.exchange, reply, operation)
    assert not server.failures, server.failures
    if error is None:
        _, fits = OPERATIONS[operation]
        assert fits(value), f"{operation} returned {value!r}"
        assert 200 <= reply.status < 300
        return
    assert isinstance(error, Cloud66Error)
    text = str(error)
    assert "tok-never-shown" not in text and "tok-never-shown" not in repr(error.args)
    if isinstance(error, APIError):
        assert error.status == reply.status and str(reply.status) in text
        assert error.request_id and error.request_id in text


# ----------------------------------------------------------------- models through the client


@pytest.fixture(scope="module")
def fake_portal() -> Iterator[tuple[anyio.from_thread.BlockingPortal, FakeCloud66]]:
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        fake = FakeCloud66(stacks=2)
        portal.call(fake.start)
        try:
            yield portal, fake
        finally:
            portal.call(fake.close)


async def _answer_through_client(
    fake: FakeCloud66, path: str, body: Any, call: Operation
) -> tuple[object, BaseException | None, str | None]:
    fake.clear_log()
    fake.inject_fault("*", path, "status", status=200, body=body)
    async with fake.client(rate_limit=None, retry=RetryPolicy.none()) as client:
        try:
            with anyio.fail_after(5):
                value = await call(client)
        except Cloud66Error as exc:
            return None, exc, fake.request_log[-1].header("Request-Id")
    return value, None, fake.request_log[-1].header("Request-Id")


STACK_FIELDS = [a.name for a in attrs.fields(Stack) if a.name != "uid"]


@pytest.mark.slow
@PROPERTY
@given(
    nulls=st.sets(st.sampled_from(STACK_FIELDS)),
    extra=st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda k: k not in [*STACK_FIELDS, "uid"]),
        json_values,
        max_size=4,
    ),
)
def test_missing_null_and_unknown_fields_decode_through_the_client(
    fake_portal: tuple[anyio.from_thread.BlockingPortal, FakeCloud66],
    nulls: set[str],
    extra: dict[str, Any],
) -> None:
    portal, fake = fake_portal
    payload = {"uid": STACK, **dict.fromkeys(nulls), **extra}
    value, error, _ = portal.call(
        _answer_through_client,
        fake,
        f"/stacks/{STACK}",
        {"response": payload},
        lambda c: c.stacks.get(STACK),
    )
    assert error is None, repr(error)
    assert isinstance(value, Stack) and value.uid == STACK
    for name in STACK_FIELDS:
        assert getattr(value, name) in (None, ()), name


WRONG_TYPES = [
    # (path, body, call, field path named by the error, method)
    (
        f"/stacks/{STACK}",
        {"response": {"uid": STACK, "name": 5}},
        lambda c: c.stacks.get(STACK),
        "name",
        "GET",
    ),
    (
        "/stacks",
        {"response": [{"uid": "a"}, {"uid": "b"}, {"uid": "c", "status": "up"}]},
        lambda c: c.stacks.list().collect(),
        "[2].status",
        "GET",
    ),
    (
        f"/stacks/{STACK}/actions",
        {"response": {"id": "seven", "action": "restart"}},
        lambda c: c.actions.run(STACK, "restart"),
        "id",
        "POST",
    ),
    (
        f"/stacks/{STACK}/servers/abc",
        {"response": {"uid": "abc", "server_roles": "web"}},
        lambda c: c.servers.get(STACK, "abc"),
        "server_roles",
        "GET",
    ),
    (
        f"/stacks/{STACK}/environments",
        {"response": [{"key": "A"}, {"key": "B", "history": [{"key": 1, "created_at": "x"}]}]},
        lambda c: c.env_vars.list(STACK).collect(),
        "[1].history[0].created_at",
        "GET",
    ),
    (
        f"/stacks/{STACK}/environments/7",
        {"response": {"key": "A", "readonly": "yes"}},
        lambda c: c.env_vars.get(STACK, 7),
        "readonly",
        "GET",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "call", "field", "method"), WRONG_TYPES, ids=[w[3] for w in WRONG_TYPES]
)
def test_wrong_type_through_the_client_names_the_field_and_the_request(
    fake_portal: tuple[anyio.from_thread.BlockingPortal, FakeCloud66],
    path: str,
    body: Any,
    call: Operation,
    field: str,
    method: str,
) -> None:
    portal, fake = fake_portal
    _, error, request_id = portal.call(_answer_through_client, fake, path, body, call)
    assert isinstance(error, DecodeError), repr(error)
    assert error.path == field
    text = str(error)
    assert field in text
    assert f"{method} {fake.base_url}{path}" in text
    assert request_id is not None and request_id in text
