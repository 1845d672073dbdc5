"""The extension points, against FakeCloud66: ``with_options`` views, ``with_raw_response``,
hooks and ``trace_configs``, and ``rate_limit_state``."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import anyio
import attrs
import pytest

from cloud66_async import (
    Client,
    ClientClosedError,
    ConfigError,
    Hooks,
    NotFoundError,
    Page,
    Paginator,
    RateLimit,
    RateLimitState,
    RawResponse,
    RequestEvent,
    RequestTimeoutError,
    ResponseEvent,
    RetryEvent,
    RetryPolicy,
    ServerError,
    ThrottledError,
    ThrottleEvent,
    Timeout,
    TransportError,
)
from cloud66_async.models import Action, RedeployResult, Setting, Stack
from cloud66_async.testing import FakeCloud66, LoggedRequest

pytestmark = pytest.mark.anyio

STACK = "5999b763474b0eafa5fafb64bff0ba80"
STACK_PATH = f"/stacks/{STACK}"
SETTING = "allowed.web.source"
BOUND = 20  # seconds: no test here may hang


def sent_id(entry: LoggedRequest) -> str:
    """The ``Request-Id`` header the SDK sent with a logged request."""
    value = entry.header("Request-Id")
    assert value, f"no Request-Id header on {entry!r}"
    return value


Event = RequestEvent | ResponseEvent | RetryEvent | ThrottleEvent


def is_closed(client: Client) -> bool:
    return client.closed


class Recorder:
    """Hooks that record every event, in order; plain and async callables mixed."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def hooks(self) -> Hooks:
        async def on_request(event: RequestEvent) -> None:
            await anyio.lowlevel.checkpoint()
            self.events.append(event)

        def on_response(event: ResponseEvent) -> None:
            self.events.append(event)

        async def on_retry(event: RetryEvent) -> None:
            self.events.append(event)

        def on_throttle(event: ThrottleEvent) -> None:
            self.events.append(event)

        return Hooks(
            on_request=on_request,
            on_response=on_response,
            on_retry=on_retry,
            on_throttle=on_throttle,
        )


# ------------------------------------------------------------------------------ with_options


async def test_view_settings_are_its_own(client: Client) -> None:
    view = client.with_options(
        timeout=Timeout(total=5.0), retry=RetryPolicy(retries=0), max_concurrency=3
    )
    assert isinstance(view, Client)
    assert view is not client
    assert view.timeout == Timeout(total=5.0)
    assert view.retry == RetryPolicy(retries=0)
    assert view.max_concurrency == 3
    # The parent keeps its own settings.
    assert client.timeout == Timeout()
    assert client.retry == RetryPolicy()
    assert client.max_concurrency == 10
    # Settings not given are the parent's; a number is a total timeout.
    partial = client.with_options(timeout=7)
    assert partial.timeout == Timeout(total=7.0)
    assert partial.retry == client.retry
    assert partial.max_concurrency == client.max_concurrency
    # A view of a view starts from the view's settings.
    nested = view.with_options(max_concurrency=4)
    assert nested.retry == RetryPolicy(retries=0)
    assert nested.timeout == Timeout(total=5.0)
    assert nested.max_concurrency == 4
    assert view.max_concurrency == 3
    assert client.base_url == view.base_url == nested.base_url


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_concurrency": 0},
        {"max_concurrency": True},
        {"timeout": "fast"},
        {"timeout": -1},
        {"retry": 3},
    ],
)
async def test_view_rejects_bad_settings(client: Client, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        client.with_options(**kwargs)


async def test_view_without_retries_fails_where_parent_retries(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    no_retries = client.with_options(retry=RetryPolicy(retries=0))
    with anyio.fail_after(BOUND):
        fake.inject_fault("GET", STACK_PATH, "status", status=500)
        with pytest.raises(ServerError) as info:
            await no_retries.stacks.get(STACK)
        assert info.value.status == 500
        assert [r.status for r in fake.requests("GET", STACK_PATH)] == [500]

        fake.clear_log()
        fake.inject_fault("GET", STACK_PATH, "status", status=500)
        assert (await client.stacks.get(STACK)).uid == STACK
        assert [r.status for r in fake.requests("GET", STACK_PATH)] == [500, 200]


async def test_view_timeout_is_its_own(fake: FakeCloud66, client: Client) -> None:
    fake.inject_fault("GET", STACK_PATH, "latency", delay=0.5, times=None)
    hasty = client.with_options(timeout=0.1, retry=RetryPolicy(retries=0))
    with anyio.fail_after(BOUND):
        with pytest.raises(RequestTimeoutError):
            await hasty.stacks.get(STACK)
        # The parent's (default) timeout is untouched.
        assert (await client.stacks.get(STACK)).uid == STACK

        # And the other way round: a patient view of a hasty client.
        async with fake.client(
            rate_limit=None, timeout=0.1, retry=RetryPolicy(retries=0)
        ) as hasty_parent:
            patient = hasty_parent.with_options(timeout=Timeout(total=5.0))
            assert (await patient.stacks.get(STACK)).uid == STACK
            with pytest.raises(RequestTimeoutError):
                await hasty_parent.stacks.get(STACK)


async def test_view_shares_the_session(fake: FakeCloud66) -> None:
    sessions: list[aiohttp.ClientSession] = []

    async def on_request_start(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        sessions.append(session)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    with anyio.fail_after(BOUND):
        async with fake.client(rate_limit=None, trace_configs=[trace]) as client:
            view = client.with_options(
                timeout=Timeout(total=30.0), retry=RetryPolicy(retries=0), max_concurrency=3
            )
            await client.stacks.get(STACK)
            await view.stacks.get(STACK)
            await view.with_options(timeout=5.0).stacks.get(STACK)
            assert len(sessions) == 3
            assert all(s is sessions[0] for s in sessions)
            assert not sessions[0].closed
        assert sessions[0].closed  # the parent owns it and closed it


async def test_view_shares_the_throttle_gate(fake: FakeCloud66, client: Client) -> None:
    """A throttle seen through a view closes the gate for the parent, and is counted once."""
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "0.4"})
    impatient = client.with_options(retry=RetryPolicy(throttle_max_wait=0.0))
    with anyio.fail_after(BOUND):
        with pytest.raises(ThrottledError) as info:
            await impatient.stacks.get(STACK)
        assert info.value.retry_after == pytest.approx(0.4)
        for seen_through in (client, impatient):
            state = seen_through.rate_limit_state
            assert state.gate_closed
            assert state.gate_opens_in > 0
            assert state.throttled_total == 1

        # The parent waits at the gate rather than collecting its own 503.
        started = time.monotonic()
        assert (await client.stacks.get(STACK)).uid == STACK
        assert time.monotonic() - started >= 0.25
    state = client.rate_limit_state
    assert not state.gate_closed
    assert state.throttled_total == 1
    assert [r.status for r in fake.requests("GET", STACK_PATH)] == [503, 200]
    first, second = fake.requests("GET", STACK_PATH)
    assert second.time - first.time >= 0.3


async def test_parent_throttle_holds_back_the_view(fake: FakeCloud66, client: Client) -> None:
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "0.4"})
    view = client.with_options(retry=RetryPolicy(retries=5), max_concurrency=2)
    with anyio.fail_after(BOUND):
        with pytest.raises(ThrottledError):
            await client.with_options(retry=RetryPolicy.none()).stacks.get(STACK)
        assert client.rate_limit_state.gate_closed
        started = time.monotonic()
        assert (await view.stacks.list().first()) is not None
        assert time.monotonic() - started >= 0.25
    assert view.rate_limit_state.throttled_total == 1
    assert [r.status for r in fake.request_log] == [503, 200]


async def test_view_shares_the_rate_limiter(fake: FakeCloud66) -> None:
    async with fake.client(rate_limit=RateLimit(requests=5, per=60)) as client:
        view = client.with_options(timeout=30.0, max_concurrency=2)
        with anyio.fail_after(BOUND):
            assert client.rate_limit_state.local_remaining == 5
            await view.stacks.get(STACK)
            assert client.rate_limit_state.local_remaining == 4
            await client.stacks.get(STACK)
            assert view.rate_limit_state.local_remaining == 3
            await view.with_options(retry=RetryPolicy(retries=0)).stacks.get(STACK)
            assert client.rate_limit_state.local_remaining == 2
        assert client.requests_sent == view.requests_sent == 3


async def test_closing_a_view_closes_nothing(fake: FakeCloud66, client: Client) -> None:
    view = client.with_options(retry=RetryPolicy(retries=0))
    with anyio.fail_after(BOUND):
        async with view as entered:
            assert entered is view
            assert (await view.stacks.get(STACK)).uid == STACK
        await view.close()
        assert not is_closed(view)
        assert not is_closed(client)
        assert (await client.stacks.get(STACK)).uid == STACK
        assert (await view.stacks.get(STACK)).uid == STACK
        # Closing the parent ends the views too: they have no session of their own.
        await client.close()
        assert is_closed(view)
        with pytest.raises(ClientClosedError):
            await view.stacks.get(STACK)


async def test_view_concurrency_cap_is_enforced(fake: FakeCloud66) -> None:
    in_flight = 0
    peak = 0

    def on_request(event: RequestEvent) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)

    def on_response(event: ResponseEvent) -> None:
        nonlocal in_flight
        in_flight -= 1

    fake.inject_fault("GET", STACK_PATH, "latency", delay=0.15, times=None)
    hooks = Hooks(on_request=on_request, on_response=on_response)

    async def get(c: Client) -> None:
        assert (await c.stacks.get(STACK)).uid == STACK

    async with fake.client(rate_limit=None, hooks=hooks) as client:
        view = client.with_options(max_concurrency=2)
        with anyio.fail_after(BOUND):
            started = time.monotonic()
            async with anyio.create_task_group() as tg:
                for _ in range(6):
                    tg.start_soon(get, view)
            assert time.monotonic() - started >= 3 * 0.15 - 0.05
            assert peak == 2
            assert in_flight == 0

            # The parent keeps its own, larger cap.
            peak = 0
            async with anyio.create_task_group() as tg:
                for _ in range(6):
                    tg.start_soon(get, client)
            assert peak == 6
    assert len(fake.requests("GET", STACK_PATH)) == 12


# ------------------------------------------------------------------------- with_raw_response

_keys = itertools.count()

# name -> (the call, made on the client or on client.with_raw_response; model type; whether two
# calls return equal values)
RAW_CALLS: dict[str, tuple[Callable[[Any], Awaitable[Any]], type[Any], bool]] = {
    "stacks.get": (lambda c: c.stacks.get(STACK), Stack, True),
    "settings.get": (lambda c: c.settings.get(STACK, SETTING), Setting, True),
    "request": (lambda c: c.request("GET", STACK_PATH), dict, True),
    "actions.run": (lambda c: c.actions.run(STACK, "restart"), Action, False),
    "env_vars.add": (
        lambda c: c.env_vars.add(STACK, f"EXT_KEY_{next(_keys)}", "value"),
        Action,
        False,
    ),
    "deployments.redeploy": (lambda c: c.deployments.redeploy(STACK), RedeployResult, True),
}


@pytest.mark.parametrize("name", list(RAW_CALLS))
async def test_raw_response_of_one_call(fake: FakeCloud66, client: Client, name: str) -> None:
    call, model, stable = RAW_CALLS[name]
    with anyio.fail_after(BOUND):
        raw = await call(client.with_raw_response)
        logged = fake.request_log[-1]
        normal = await call(client)
    assert isinstance(raw, RawResponse)
    assert raw.status == 200
    assert "X-RateLimit-Remaining" in raw.headers
    assert "x-ratelimit-remaining" in raw.headers  # header names are case-insensitive
    assert raw.headers["X-RateLimit-Remaining"] == "3599"  # the fake's first request
    assert raw.request_id == sent_id(logged)
    assert len(fake.request_log) == 2  # the raw call sent exactly one request, like the other
    assert type(raw.parsed) is model
    assert type(normal) is model
    if stable:
        assert raw.parsed == normal
    else:
        # Each call starts a new action: equal but for its id and start time.
        assert raw.parsed.id != normal.id
        assert attrs.evolve(raw.parsed, id=normal.id, started_at=normal.started_at) == normal
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        raw.status = 201  # type: ignore[misc]


async def test_raw_response_after_a_retry_is_the_final_answer(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.inject_fault("GET", STACK_PATH, "status", status=502)
    with anyio.fail_after(BOUND):
        raw = await client.with_raw_response.stacks.get(STACK)
    failed, succeeded = fake.requests("GET", STACK_PATH)
    assert (failed.status, succeeded.status) == (502, 200)
    assert raw.status == 200
    assert raw.request_id == sent_id(succeeded)
    assert raw.request_id != sent_id(failed)
    assert raw.parsed.uid == STACK


async def test_raw_responses_in_concurrent_tasks_stay_apart(
    fake: FakeCloud66, client: Client
) -> None:
    uids = fake.stack_uids[:6]
    results: dict[str, RawResponse[Stack]] = {}

    async def get(uid: str) -> None:
        results[uid] = await client.with_raw_response.stacks.get(uid)

    with anyio.fail_after(BOUND):
        async with anyio.create_task_group() as tg:
            for uid in uids:
                tg.start_soon(get, uid)
    for uid in uids:
        (entry,) = fake.requests("GET", f"/stacks/{uid}")
        assert results[uid].parsed.uid == uid
        assert results[uid].request_id == sent_id(entry)


async def test_raw_list_call_returns_a_paginator_whose_pages_carry_headers(
    fake: FakeCloud66, client: Client
) -> None:
    paginator = client.with_raw_response.stacks.list()
    assert isinstance(paginator, Paginator)
    assert fake.request_log == []  # nothing sent yet
    with anyio.fail_after(BOUND):
        pages = [page async for page in paginator.pages()]
        normal = await client.stacks.list().collect()
    logged = fake.requests("GET", "/stacks")[: len(pages)]
    assert len(pages) == 3  # 75 stacks, 30 a page
    for page, entry in zip(pages, logged, strict=True):
        assert isinstance(page, Page)
        assert page.request_id == sent_id(entry)
        assert "X-RateLimit-Remaining" in page.headers
        assert all(isinstance(item, Stack) for item in page.items)
    assert [s for p in pages for s in p.items] == normal
    # Items, not RawResponses, come out of a raw paginator.
    with anyio.fail_after(BOUND):
        first = await client.with_raw_response.stacks.list().first()
        servers = await client.with_raw_response.servers.list(STACK).collect()
    assert isinstance(first, Stack)
    assert servers and not any(isinstance(s, RawResponse) for s in servers)


async def test_pages_of_a_plain_paginator_carry_headers(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(BOUND):
        pages = [page async for page in client.settings.list(STACK).pages()]
    logged = fake.requests("GET", f"{STACK_PATH}/settings")
    assert [p.request_id for p in pages] == [sent_id(e) for e in logged]
    remaining = [int(p.headers["X-RateLimit-Remaining"]) for p in pages]
    assert remaining == sorted(remaining, reverse=True)


async def test_raw_call_still_raises_typed_errors(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(BOUND):
        with pytest.raises(NotFoundError) as info:
            await client.with_raw_response.stacks.get("no-such-stack")
        assert info.value.status == 404
        assert info.value.request_id == sent_id(fake.request_log[-1])
        fake.inject_fault("POST", f"{STACK_PATH}/actions", "status", status=500)
        with pytest.raises(ServerError):
            await client.with_raw_response.actions.run(STACK, "restart")
        with pytest.raises(NotFoundError):
            await client.with_raw_response.request("GET", "/stacks/no-such-stack")
        # The raw view still works after errors.
        raw = await client.with_raw_response.stacks.get(STACK)
    assert raw.status == 200


# ------------------------------------------------------------------------------------- hooks


async def test_hook_events_across_a_throttle_and_a_retry(
    fake: FakeCloud66, fast_waits: None
) -> None:
    recorder = Recorder()
    fake.inject_fault("GET", "/stacks", "throttled", headers={"Retry-After": "0.05"})
    fake.inject_fault("GET", "/stacks", "status", status=500)
    # A floor below Retry-After, so that the gate closes for exactly what the server said.
    retry = RetryPolicy(throttle_min_delay=0.01)
    async with fake.client(rate_limit=None, hooks=recorder.hooks(), retry=retry) as client:
        with anyio.fail_after(BOUND):
            first = await client.stacks.list().first()
        url = client.base_url + "/stacks"
    assert first is not None
    logged = fake.requests("GET", "/stacks")
    assert [e.status for e in logged] == [503, 500, 200]
    assert all(e.query.get("page") == "1" for e in logged)  # the URL carried ?page=1
    ids = [sent_id(e) for e in logged]
    assert len(set(ids)) == 3

    events = recorder.events
    assert [type(e) for e in events] == [
        RequestEvent,
        ResponseEvent,
        ThrottleEvent,
        RequestEvent,
        ResponseEvent,
        RetryEvent,
        RequestEvent,
        ResponseEvent,
    ]
    for event in events:
        assert event.method == "GET"
        assert event.url == url  # no query string
        assert "?" not in event.url
    attempts = [e.attempt for e in events if isinstance(e, RequestEvent | ResponseEvent)]
    assert attempts == [1, 1, 2, 2, 3, 3]
    request_ids = [e.request_id for e in events if isinstance(e, RequestEvent)]
    assert request_ids == ids
    responses = [e for e in events if isinstance(e, ResponseEvent)]
    assert [r.status for r in responses] == [503, 500, 200]
    assert [r.request_id for r in responses] == ids
    assert all(r.elapsed >= 0 for r in responses)

    throttle = events[2]
    assert isinstance(throttle, ThrottleEvent)
    assert (throttle.attempt, throttle.request_id) == (1, ids[0])
    assert throttle.retry_after == pytest.approx(0.05)
    assert 0 < throttle.delay <= 0.05 + 1e-6

    retry = events[5]
    assert isinstance(retry, RetryEvent)
    assert (retry.attempt, retry.request_id, retry.status) == (2, ids[1], 500)
    assert retry.delay > 0
    assert "500" in retry.reason


async def test_retry_event_after_a_connection_error(fake: FakeCloud66, fast_waits: None) -> None:
    """Hooks observe every attempt: each request the server received is one ``RequestEvent``."""
    recorder = Recorder()
    fake.inject_fault("GET", STACK_PATH, "reset_before")
    async with fake.client(rate_limit=None, hooks=recorder.hooks()) as client:
        with anyio.fail_after(BOUND):
            assert (await client.stacks.get(STACK)).uid == STACK
    logged = fake.requests("GET", STACK_PATH)
    assert [e.status for e in logged] == [None, 200]  # a reset, then an answer
    # Two attempts, each with its own Request-Id, each seen by the hooks.
    assert sent_id(logged[0]) != sent_id(logged[1])
    assert [type(e) for e in recorder.events] == [
        RequestEvent,
        RetryEvent,
        RequestEvent,
        ResponseEvent,
    ]
    retry = recorder.events[1]
    assert isinstance(retry, RetryEvent)
    assert retry.status is None
    assert retry.attempt == 1
    assert retry.delay > 0
    assert retry.reason.startswith("connection error")
    assert retry.request_id == sent_id(logged[0])


async def test_a_put_reset_is_one_attempt_never_resent(fake: FakeCloud66, fast_waits: None) -> None:
    """A PUT whose connection was reset may have been processed: it is not sent again, by the
    SDK or behind its back, and the hooks saw the one attempt there was."""
    recorder = Recorder()
    path = f"{STACK_PATH}/settings/allowed-web-source"
    fake.inject_fault("PUT", path, "reset_before")
    async with fake.client(rate_limit=None, hooks=recorder.hooks()) as client:
        with anyio.fail_after(BOUND), pytest.raises(TransportError) as info:
            await client.settings.update(STACK, SETTING, "10.0.0.1")
    logged = fake.requests("PUT", path)
    assert len(logged) == 1
    assert info.value.request_id == sent_id(logged[0])
    assert [type(e) for e in recorder.events] == [RequestEvent]


async def test_plain_and_async_hooks_are_both_called(fake: FakeCloud66) -> None:
    plain: list[object] = []
    awaited: list[object] = []

    def plain_hook(event: RequestEvent) -> None:
        plain.append(event)

    async def async_hook(event: ResponseEvent) -> None:
        await anyio.sleep(0.01)
        awaited.append(event)

    hooks = Hooks(on_request=plain_hook, on_response=async_hook)
    async with fake.client(rate_limit=None, hooks=hooks) as client:
        with anyio.fail_after(BOUND):
            await client.stacks.get(STACK)
            # Views use the client's hooks.
            await client.with_options(timeout=10.0).actions.run(STACK, "restart")
    assert [type(e) for e in plain] == [RequestEvent, RequestEvent]
    assert [type(e) for e in awaited] == [ResponseEvent, ResponseEvent]
    assert [getattr(e, "method", None) for e in awaited] == ["GET", "POST"]
    # The async hook was awaited before the call returned.
    assert [getattr(e, "request_id", None) for e in plain] == [
        getattr(e, "request_id", None) for e in awaited
    ]


async def test_events_are_frozen_and_never_carry_the_token(
    fake: FakeCloud66, fast_waits: None
) -> None:
    recorder = Recorder()
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "0.01"})
    fake.inject_fault("GET", STACK_PATH, "status", status=503)
    async with fake.client(rate_limit=None, hooks=recorder.hooks()) as client:
        with anyio.fail_after(BOUND):
            await client.stacks.get(STACK)
            with pytest.raises(NotFoundError):
                await client.stacks.get("missing")
    kinds = {type(e) for e in recorder.events}
    assert kinds == {RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent}
    token = fake.token
    for event in recorder.events:
        assert attrs.has(type(event))
        assert token not in repr(event)
        for field in attrs.fields(type(event)):
            assert token not in str(getattr(event, field.name))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.url = "changed"  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.attempt = 99  # type: ignore[misc]
    hooks = Hooks()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        hooks.on_request = print  # type: ignore[misc]


async def test_a_raising_hook_is_logged_and_ignored(
    fake: FakeCloud66, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("plain hook bug")

    async def broken_async(event: object) -> None:
        raise ValueError("async hook bug")

    hooks = Hooks(on_request=broken, on_response=broken_async)
    caplog.set_level(logging.ERROR, logger="cloud66_async")
    async with fake.client(rate_limit=None, hooks=hooks) as client:
        with anyio.fail_after(BOUND):
            assert (await client.stacks.get(STACK)).uid == STACK
            assert (await client.actions.run(STACK, "restart")).action == "restart"
    records = [r for r in caplog.records if r.name == "cloud66_async"]
    errors = [r.exc_info[1] for r in records if r.levelno >= logging.ERROR and r.exc_info]
    assert [type(e) for e in errors] == [RuntimeError, ValueError, RuntimeError, ValueError]
    assert all(fake.token not in r.getMessage() for r in caplog.records)
    assert [r.status for r in fake.request_log] == [200, 200]


async def test_trace_configs_reach_the_session(fake: FakeCloud66) -> None:
    started: list[str] = []
    ended: list[int] = []

    async def on_request_start(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        started.append(f"{params.method} {params.url.path}")

    async def on_request_end(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        ended.append(params.response.status)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    trace.on_request_end.append(on_request_end)
    async with fake.client(rate_limit=None, trace_configs=[trace]) as client:
        with anyio.fail_after(BOUND):
            await client.stacks.get(STACK)
            await client.stacks.list().first()
    assert started == [f"GET /api/3{STACK_PATH}", "GET /api/3/stacks"]
    assert ended == [200, 200]


async def test_trace_configs_with_a_session_is_a_config_error(fake: FakeCloud66) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigError):
            Client(
                fake.token,
                base_url=fake.base_url,
                session=session,
                trace_configs=[aiohttp.TraceConfig()],
            )
        assert not session.closed
    assert fake.request_log == []


async def test_hooks_must_be_a_hooks_object(fake: FakeCloud66) -> None:
    with pytest.raises(ConfigError):
        Client(fake.token, base_url=fake.base_url, hooks={"on_request": print})  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- rate_limit_state


async def test_state_before_any_request(fake: FakeCloud66) -> None:
    async with fake.client() as client:
        state = client.rate_limit_state
        assert isinstance(state, RateLimitState)
        assert state.limit is None
        assert state.remaining is None
        assert state.reset_at is None
        assert state.gate_closed is False
        assert state.gate_opens_in == 0
        assert state.throttled_total == 0
        assert state.local_remaining == 3000  # the default RateLimit
    async with fake.client(rate_limit=None) as client:
        assert client.rate_limit_state.local_remaining is None
    assert fake.request_log == []


async def test_state_follows_the_servers_headers(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(BOUND):
        await client.stacks.get(STACK)
        first = client.rate_limit_state
        await client.stacks.get(STACK)
        await client.settings.get(STACK, SETTING)
        second = client.rate_limit_state
    assert first.limit == second.limit == 3600
    assert first.remaining == 3599
    assert second.remaining == 3597

    fake.set_rate_limit(50, 60)
    with anyio.fail_after(BOUND):
        raw = await client.with_raw_response.stacks.get(STACK)
        state = client.rate_limit_state
        assert state.limit == 50
        assert state.remaining == 49 == int(raw.headers["X-RateLimit-Remaining"])
        await client.stacks.list().first()
        assert client.rate_limit_state.remaining == 48
    assert state.gate_closed is False
    assert state.local_remaining is None  # the client fixture has no client-side limit


async def test_state_while_throttled_and_after(fake: FakeCloud66) -> None:
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "0.5"})
    throttled = anyio.Event()
    done: list[Stack] = []
    hooks = Hooks(on_throttle=lambda event: throttled.set())

    async with fake.client(rate_limit=None, hooks=hooks) as client:

        async def get() -> None:
            done.append(await client.stacks.get(STACK))

        with anyio.fail_after(BOUND):
            async with anyio.create_task_group() as tg:
                tg.start_soon(get)
                await throttled.wait()
                state = client.rate_limit_state
                now = datetime.now(UTC)
                assert state.gate_closed
                assert state.throttled_total == 1
                assert 0 < state.gate_opens_in <= 0.5
                assert state.reset_at is not None
                assert state.reset_at.tzinfo is not None
                assert state.reset_at.utcoffset() is not None
                ahead = (state.reset_at - now).total_seconds()
                assert 0.3 < ahead <= 0.5
                assert done == []
        assert [s.uid for s in done] == [STACK]
        after = client.rate_limit_state
    assert after.gate_closed is False
    assert after.gate_opens_in == 0
    assert after.throttled_total == 1
    assert [r.status for r in fake.request_log] == [503, 200]


async def test_state_through_the_fakes_own_throttling(fake: FakeCloud66) -> None:
    fake.retry_after = "fractional"
    fake.set_rate_limit(3, 0.4)
    seen: list[RateLimitState] = []
    throttles: list[ThrottleEvent] = []

    def on_throttle(event: ThrottleEvent) -> None:
        throttles.append(event)
        seen.append(observer.rate_limit_state)

    async with fake.client(rate_limit=None, hooks=Hooks(on_throttle=on_throttle)) as observer:
        with anyio.fail_after(BOUND):
            for _ in range(4):
                await observer.stacks.get(STACK)
        final = observer.rate_limit_state
    assert [r.status for r in fake.request_log] == [200, 200, 200, 503, 200]
    (during,) = seen
    assert during.gate_closed
    assert during.limit == 3
    assert during.remaining == 0
    assert during.reset_at is not None and during.reset_at.tzinfo is not None
    assert throttles[0].retry_after is not None and 0 < throttles[0].retry_after <= 0.4
    assert final.gate_closed is False
    assert final.limit == 3
    assert final.remaining == 2  # the first request of a new window
    assert final.throttled_total == 1


async def test_local_remaining_follows_the_client_side_limiter(fake: FakeCloud66) -> None:
    async with fake.client(rate_limit=RateLimit(requests=5, per=60)) as client:
        readings = [client.rate_limit_state.local_remaining]
        with anyio.fail_after(BOUND):
            for _ in range(3):
                await client.stacks.get(STACK)
                readings.append(client.rate_limit_state.local_remaining)
    assert readings == [5, 4, 3, 2]


async def test_requests_refused_at_the_gate_use_no_local_budget(fake: FakeCloud66) -> None:
    """``local_remaining`` counts requests sent: one refused at the closed gate (it raised
    ``ThrottledError`` without being sent) must not use up the client-side window."""
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "0.3"})
    async with fake.client(
        rate_limit=RateLimit(requests=3, per=60),
        retry=RetryPolicy(throttle_max_wait=0.0, throttle_min_delay=0.1),
    ) as client:
        with anyio.fail_after(BOUND):
            with pytest.raises(ThrottledError):
                await client.stacks.get(STACK)  # sent, answered 503
            for _ in range(3):
                with pytest.raises(ThrottledError):
                    await client.stacks.get(STACK)  # refused at the gate, never sent
            assert client.requests_sent == 1
            assert client.rate_limit_state.local_remaining == 2
            await anyio.sleep(0.35)
        with anyio.fail_after(5):  # a leaked window slot would hold this for 60 s
            assert (await client.stacks.get(STACK)).uid == STACK
        assert client.requests_sent == 2
        assert client.rate_limit_state.local_remaining == 1
    assert [r.status for r in fake.request_log] == [503, 200]


async def test_no_local_limit_means_no_local_remaining(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(BOUND):
        await client.stacks.get(STACK)
    state = client.rate_limit_state
    assert state.local_remaining is None
    assert state.remaining == 3599


@pytest.mark.parametrize(
    "client_options",
    [pytest.param({}, id="default-client"), pytest.param({"rate_limit": None}, id="no-local")],
)
async def test_bot_slows_down_before_it_is_throttled(
    fake: FakeCloud66, client_options: dict[str, Any]
) -> None:
    """The README's pattern: read ``rate_limit_state`` and pause before the budget runs out."""
    fake.set_rate_limit(20, 1.0)
    async with fake.client(**client_options) as client:
        with anyio.fail_after(BOUND):
            for _ in range(40):
                state = client.rate_limit_state
                if state.remaining is not None and state.remaining < 2:
                    await anyio.sleep(1.05)  # the fake's window is one second
                assert (await client.stacks.get(STACK)).uid == STACK
        assert client.rate_limit_state.throttled_total == 0
    statuses = [r.status for r in fake.request_log]
    assert statuses.count(200) == 40
    assert 503 not in statuses


async def test_raw_response_is_the_typed_twin(fake: FakeCloud66, client: Client) -> None:
    uid = fake.stack_uids[0]
    raw = await client.raw_response(client.stacks.get(uid))
    assert raw.status == 200
    assert raw.parsed == await client.stacks.get(uid)
    logged = [r for r in fake.request_log if r.header("Request-Id") == raw.request_id]
    assert len(logged) == 1
    assert "X-RateLimit-Remaining" in raw.headers

    async def no_request() -> int:
        return 1

    with pytest.raises(ConfigError):
        await client.raw_response(no_request())
