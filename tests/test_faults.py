"""The fault matrix: every way the network or the API can fail, for a GET (``stacks.get``) and a
POST (``actions.run``), against FakeCloud66 over loopback.

Each row says what the caller gets (the value, or one typed error class) and how many times the
fake saw the request. A POST is sent once, except after ``503 throttled`` (the server said it did
nothing) or a refused connection (nothing left). Every error is a ``Cloud66Error`` whose message
carries the status and the request id and never the token.
"""

from __future__ import annotations

import email.utils
import math
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import anyio
import pytest

from cloud66_async import (
    APIError,
    AuthenticationError,
    Client,
    Cloud66Error,
    DecodeError,
    NotFoundError,
    NotImplementedByAPIError,
    PermissionDeniedError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    ThrottledError,
    Timeout,
    TransportError,
)
from cloud66_async.models import Action, Stack
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

STACK = "5999b763474b0eafa5fafb64bff0ba80"
PATHS = {"GET": f"/stacks/{STACK}", "POST": f"/stacks/{STACK}/actions"}

Arm = Callable[[FakeCloud66, str, str], None]


def fault(kind: str, **kwargs: object) -> Arm:
    """An arming function: inject ``kind`` on the method and path of the row."""

    def arm(fake: FakeCloud66, method: str, path: str) -> None:
        fake.inject_fault(method, path, kind, **kwargs)  # type: ignore[arg-type]

    return arm


def throttled_until_http_date(fake: FakeCloud66, method: str, path: str) -> None:
    # An IMF-fixdate has whole seconds: the next second but one is 1 to 2 seconds away.
    when = email.utils.formatdate(math.ceil(time.time()) + 1, usegmt=True)
    fake.inject_fault(method, path, "throttled", headers={"Retry-After": when})


@dataclass(frozen=True)
class Expect:
    """``error``: the class raised (``None``: the call succeeds); ``seen``: requests the fake
    saw, exactly, or an inclusive range where timing decides."""

    error: type[Cloud66Error] | None
    seen: int | tuple[int, int]


@dataclass(frozen=True)
class Case:
    name: str
    arm: Arm | None
    get: Expect
    post: Expect
    timeout: Timeout | float | None = None
    retry: RetryPolicy | None = None
    refused: bool = False
    status: int | None = None
    min_seconds: float = 0.0
    max_seconds: float = 10.0
    retry_after_at_least: float = 0.0  # for a ThrottledError


JSON_500 = {"error": "internal_server_error", "error_description": "boom"}
JSON_504 = {"error": "gateway_timeout", "error_description": "upstream too slow"}

CASES = [
    Case(
        "connection refused",
        None,
        get=Expect(TransportError, 0),
        post=Expect(TransportError, 0),
        refused=True,
    ),
    # aiohttp itself may silently resend an idempotent request once after a reset on a reused
    # connection, hence two resets for the GET to show the SDK's own retry.
    Case(
        "reset before the answer",
        fault("reset_before", times=2),
        get=Expect(None, 3),
        post=Expect(TransportError, 1),
    ),
    Case(
        "reset before every answer",
        fault("reset_before", times=None),
        get=Expect(TransportError, (3, 6)),
        post=Expect(TransportError, 1),
    ),
    Case(
        "reset in the middle of the body",
        fault("reset_during"),
        get=Expect(None, 2),
        post=Expect(TransportError, 1),
    ),
    Case(
        "reset in the middle of every body",
        fault("reset_during", times=None),
        get=Expect(TransportError, 3),
        post=Expect(TransportError, 1),
    ),
    Case(
        "truncated JSON",
        fault("truncated_json"),
        get=Expect(DecodeError, 1),
        post=Expect(DecodeError, 1),
    ),
    Case(
        "invalid JSON",
        fault("invalid_json"),
        get=Expect(DecodeError, 1),
        post=Expect(DecodeError, 1),
    ),
    Case(
        "HTML 502 page",
        fault("html"),
        get=Expect(None, 2),
        post=Expect(ServerError, 1),
        status=502,
    ),
    Case(
        "HTML 502 page every time",
        fault("html", times=None),
        get=Expect(ServerError, 3),
        post=Expect(ServerError, 1),
        status=502,
    ),
    Case(
        "500 with a JSON body",
        fault("status", status=500, body=JSON_500),
        get=Expect(None, 2),
        post=Expect(ServerError, 1),
        status=500,
    ),
    Case(
        "500 with a JSON body every time",
        fault("status", status=500, body=JSON_500, times=None),
        get=Expect(ServerError, 3),
        post=Expect(ServerError, 1),
        status=500,
    ),
    Case(
        "504 with a JSON body",
        fault("status", status=504, body=JSON_504),
        get=Expect(None, 2),
        post=Expect(ServerError, 1),
        status=504,
    ),
    Case(
        "504 with a JSON body every time",
        fault("status", status=504, body=JSON_504, times=None),
        get=Expect(ServerError, 3),
        post=Expect(ServerError, 1),
        status=504,
    ),
    Case(
        "headers slower than the timeout",
        fault("latency", delay=1.0),
        get=Expect(None, 2),
        post=Expect(RequestTimeoutError, 1),
        timeout=Timeout(total=0.3),
    ),
    Case(
        "body slower than the timeout",
        fault("slow_body", delay=1.0),
        get=Expect(None, 2),
        post=Expect(RequestTimeoutError, 1),
        timeout=Timeout(total=5, read=0.2),
    ),
    Case(
        "401",
        fault("status", status=401, body={"error": "unauthenticated"}),
        get=Expect(AuthenticationError, 1),
        post=Expect(AuthenticationError, 1),
        status=401,
    ),
    Case(
        "404",
        fault("status", status=404, body={"error": "not_found"}),
        get=Expect(NotFoundError, 1),
        post=Expect(NotFoundError, 1),
        status=404,
    ),
    Case(
        "503 not_implemented",
        fault("not_implemented"),
        get=Expect(NotImplementedByAPIError, 1),
        post=Expect(NotImplementedByAPIError, 1),
        status=503,
    ),
    Case(
        "a storm of throttled 503s that ends",
        fault("throttled", times=5, headers={"Retry-After": "0.02"}),
        get=Expect(None, 6),
        post=Expect(None, 6),
        min_seconds=0.1,
    ),
    # Retry-After 0.2 s against 0.5 s of allowed wait: two waits fit, the third does not.
    Case(
        "a storm of throttled 503s longer than the allowed wait",
        fault("throttled", times=None, headers={"Retry-After": "0.2"}),
        get=Expect(ThrottledError, 3),
        post=Expect(ThrottledError, 3),
        # (A floor below Retry-After, or the 0.5 s floor alone would spend the allowed wait.)
        retry=RetryPolicy(throttle_max_wait=0.5, throttle_min_delay=0.1),
        status=503,
        max_seconds=3,
    ),
    Case(
        "Retry-After in seconds",
        fault("throttled", headers={"Retry-After": "0.3"}),
        get=Expect(None, 2),
        post=Expect(None, 2),
        min_seconds=0.3,
    ),
    Case(
        "Retry-After as an HTTP date",
        throttled_until_http_date,
        get=Expect(None, 2),
        post=Expect(None, 2),
        min_seconds=0.9,
        max_seconds=4,
    ),
    Case(
        "Retry-After longer than the allowed wait",
        fault("throttled", headers={"Retry-After": "120"}),
        get=Expect(ThrottledError, 1),
        post=Expect(ThrottledError, 1),
        retry=RetryPolicy(throttle_max_wait=5),
        status=503,
        max_seconds=2,
        retry_after_at_least=119,
    ),
    # A server that keeps answering "throttled, retry now" must not be hammered: the allowed
    # wait bounds the episode in time, so only a handful of requests may go.
    Case(
        "Retry-After 0 on every answer",
        fault("throttled", times=None, headers={"Retry-After": "0"}),
        get=Expect(ThrottledError, (1, 20)),
        post=Expect(ThrottledError, (1, 20)),
        retry=RetryPolicy(throttle_max_wait=0.5),
        status=503,
        max_seconds=3,
    ),
    # Ten thousand years: further than a datetime can say, still just "longer than allowed".
    Case(
        "Retry-After beyond any date",
        fault("throttled", headers={"Retry-After": "315360000000"}),
        get=Expect(ThrottledError, 1),
        post=Expect(ThrottledError, 1),
        status=503,
        max_seconds=2,
        retry_after_at_least=315360000000 - 10,
    ),
]


@pytest.fixture
async def small_fake() -> AsyncIterator[FakeCloud66]:
    """A fake with three stacks: quick to seed, enough for one-request rows."""
    async with FakeCloud66(stacks=3, action_delay=0.05) as server:
        yield server


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections (bound, never listening)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def request_id_sent(fake: FakeCloud66, method: str, path: str) -> str | None:
    sent = fake.requests(method, path)
    return sent[-1].header("Request-Id") if sent else None


def check_error(err: BaseException, case: Case, method: str, fake: FakeCloud66, token: str) -> None:
    """What every error of the matrix must say, and must not say."""
    assert isinstance(err, Cloud66Error), f"untranslated {type(err).__module__}.{type(err)!r}"
    assert type(err).__module__.startswith("cloud66_async")
    text = str(err)
    for shown in (text, repr(err), repr(err.args)):
        assert token not in shown
    path = PATHS[method]
    last_id = request_id_sent(fake, method, path)
    if isinstance(err, APIError):
        assert err.status == case.status
        assert str(case.status) in text
        assert err.method == method and err.url.endswith(path)
        assert err.request_id and err.request_id in text
        if isinstance(err, ThrottledError):
            assert err.retry_after is not None and err.retry_after >= case.retry_after_at_least
        if last_id is not None:
            assert err.request_id == last_id  # the id of the attempt answered last
    elif isinstance(err, TransportError):
        assert err.method == method and err.url.endswith(path)
        assert err.request_id
        if case.refused:
            assert err.sent is False
        else:
            assert err.sent is True
            assert err.request_id == last_id  # the id of the attempt that failed
    elif isinstance(err, DecodeError):
        assert last_id is not None and last_id in text
        assert method in text and path in text


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name.replace(" ", "-"))
async def test_fault_matrix(
    small_fake: FakeCloud66, fast_waits: None, closed_port: int, case: Case, method: str
) -> None:
    fake = small_fake
    path = PATHS[method]
    expect = case.get if method == "GET" else case.post
    if case.arm is not None:
        case.arm(fake, method, path)
    base_url = f"http://127.0.0.1:{closed_port}/api/3" if case.refused else fake.base_url
    client = Client(
        fake.token, base_url=base_url, rate_limit=None, timeout=case.timeout, retry=case.retry
    )
    result: object = None
    error: BaseException | None = None
    started = time.monotonic()
    async with client:
        try:
            with anyio.fail_after(case.max_seconds + 1):
                if method == "GET":
                    result = await client.stacks.get(STACK)
                else:
                    result = await client.actions.run(STACK, "restart")
        except TimeoutError:
            pytest.fail(
                f"{method} still running after {case.max_seconds + 1}s; "
                f"the fake saw it {len(fake.requests(method, path))} times"
            )
        except Exception as exc:
            error = exc
        attempts = client.requests_sent
    elapsed = time.monotonic() - started

    seen = len(fake.requests(method, path))
    if isinstance(expect.seen, tuple):
        low, high = expect.seen
        assert low <= seen <= high, f"the fake saw {seen} {method}s, expected {expect.seen}"
    else:
        assert seen == expect.seen, f"the fake saw {seen} {method}s, expected {expect.seen}"
    assert case.min_seconds <= elapsed <= case.max_seconds

    if expect.error is None:
        assert error is None, f"expected success, got {error!r}"
        if method == "GET":
            assert isinstance(result, Stack) and result.uid == STACK
        else:
            assert isinstance(result, Action) and result.stack_uid == STACK
    else:
        assert isinstance(error, expect.error), f"expected {expect.error.__name__}, got {error!r}"
        check_error(error, case, method, fake, fake.token)
    if case.refused:
        # Nothing ever left, so even the POST was tried 1 + 2 times.
        assert attempts == 3


# --------------------------------------------------------------------------- pagination


async def test_401_in_the_middle_of_a_pagination(fake: FakeCloud66, client: Client) -> None:
    seen: list[str] = []
    with pytest.raises(AuthenticationError) as info, anyio.fail_after(10):
        async for stack in client.stacks.list():
            seen.append(stack.uid)
            if len(seen) == 1:  # page 1 is read; page 2 is answered 401
                fake.inject_fault(
                    "GET", "/stacks", "status", status=401, body={"error": "unauthenticated"}
                )
    err = info.value
    assert seen == fake.stack_uids[:30]
    assert err.page == 2 and "page 2" in str(err)
    assert err.status == 401 and "401" in str(err)
    page_two = [r for r in fake.requests("GET", "/stacks") if r.query.get("page") == "2"]
    assert len(page_two) == 1  # a 401 is never retried
    assert err.request_id == page_two[0].header("Request-Id")
    assert err.request_id is not None and err.request_id in str(err)
    assert fake.token not in str(err)


async def test_404_for_a_page_in_the_middle(fake: FakeCloud66, client: Client) -> None:
    pages = client.stacks.list().pages()
    numbers = [(await anext(pages)).number, (await anext(pages)).number]
    fake.inject_fault("GET", "/stacks", "status", status=404, body={"error": "not_found"})
    with pytest.raises(NotFoundError) as info:
        await anext(pages)
    await pages.aclose()  # type: ignore[attr-defined]
    assert numbers == [1, 2]
    assert info.value.page == 3 and info.value.status == 404
    assert [r.query.get("page") for r in fake.requests("GET", "/stacks")] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("status", {"status": 500, "body": JSON_500}),
        ("status", {"status": 504, "body": JSON_504}),
        ("html", {}),
        ("reset_during", {}),
        ("reset_before", {"times": 2}),
        ("latency", {"delay": 1.0}),
        ("slow_body", {"delay": 1.0}),
        ("throttled", {"headers": {"Retry-After": "0.05"}}),
    ],
)
async def test_retried_page_fault_loses_and_repeats_nothing(
    fake: FakeCloud66, fast_waits: None, kind: str, kwargs: dict[str, object]
) -> None:
    uids: list[str] = []
    async with fake.client(rate_limit=None, timeout=Timeout(total=0.5, read=0.2)) as client:
        with anyio.fail_after(10):
            async for stack in client.stacks.list():
                uids.append(stack.uid)
                if len(uids) == 30:
                    fake.inject_fault("GET", "/stacks", kind, **kwargs)  # type: ignore[arg-type]
    assert uids == fake.stack_uids  # every stack once, in order


# ----------------------------------------------------------- request ids in every message


@pytest.mark.parametrize(
    ("method", "arm"),
    [
        ("GET", fault("reset_during", times=None)),
        ("POST", fault("reset_during")),
        ("POST", fault("latency", delay=1.0)),
    ],
    ids=["GET-reset", "POST-reset", "POST-timeout"],
)
async def test_transport_error_messages_carry_the_request_id(
    fake: FakeCloud66, fast_waits: None, method: str, arm: Arm
) -> None:
    """The id is what support needs to tell whether a POST that timed out was processed."""
    arm(fake, method, PATHS[method])
    async with fake.client(rate_limit=None, timeout=0.3) as client:
        with pytest.raises(TransportError) as info, anyio.fail_after(10):
            if method == "GET":
                await client.stacks.get(STACK)
            else:
                await client.actions.run(STACK, "restart")
    sent_id = request_id_sent(fake, method, PATHS[method])
    assert info.value.request_id == sent_id
    assert sent_id is not None
    assert sent_id in str(info.value)


# ------------------------------------------------- nothing but Cloud66Error ever escapes


async def test_wait_many_raises_the_api_error_itself(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    """A non-transient error while polling one stack is raised as itself, not wrapped in the
    ExceptionGroup of an internal task group."""
    other = fake.stack_uids[1]
    first = await client.actions.run(STACK, "restart")
    second = await client.actions.run(other, "restart")
    fake.inject_fault("GET", f"/stacks/{other}/actions", "status", status=403, times=None)
    with anyio.fail_after(10):
        try:
            await client.actions.wait_many([first, second], poll_interval=0.01)
        except BaseException as exc:  # what escapes is the point
            error: BaseException = exc
        else:
            pytest.fail("wait_many ignored a 403")
    assert isinstance(error, PermissionDeniedError), f"got {type(error).__name__}: {error!r}"


async def test_pagination_with_odd_digits_is_a_decode_error(
    fake: FakeCloud66, client: Client
) -> None:
    """``"²".isdigit()`` is true but ``int("²")`` fails: a ValueError must not escape."""
    body = {"response": [], "pagination": {"current": 1, "next": "²", "count": 0}}
    fake.inject_fault("GET", "/stacks", "status", status=200, body=body)
    with pytest.raises(DecodeError) as info:
        await client.stacks.list().collect()
    assert "pagination.next" in str(info.value)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "arm",
    [case.arm for case in CASES if case.arm is not None],
    ids=[case.name.replace(" ", "-") for case in CASES if case.arm is not None],
)
async def test_every_fault_through_raw_request_is_a_cloud66_error_or_a_value(
    small_fake: FakeCloud66, fast_waits: None, method: str, arm: Arm
) -> None:
    """The same faults through ``client.request`` and with no retries at all."""
    fake = small_fake
    path = PATHS[method]
    arm(fake, method, path)
    async with fake.client(
        rate_limit=None, timeout=Timeout(total=0.3), retry=RetryPolicy.none()
    ) as client:
        value: object = None
        error: Cloud66Error | None = None
        try:
            with anyio.fail_after(5):
                if method == "GET":
                    value = await client.request("GET", path)
                else:
                    value = await client.request("POST", path, json={"command": "restart"})
        except TimeoutError:
            pytest.fail("the request never ended")
        except Cloud66Error as exc:
            error = exc
    if error is None:
        assert isinstance(value, dict)
    else:
        assert fake.token not in str(error)
