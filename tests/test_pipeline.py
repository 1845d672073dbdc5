"""The whole request pipeline on virtual time, with a MockTransport instead of sockets.

Client -> manager -> Requester -> limiter -> gate -> MockTransport -> decide -> decoder, with
the client's clock on the virtual loop's: throttle storms, probes that end in every way, and the
hot path, each checked in milliseconds and without depending on the machine's load.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from _virtual import VirtualLoop
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloud66_async import (
    Client,
    Hooks,
    HTTPRequest,
    HTTPResponse,
    MockTransport,
    RateLimit,
    ResponseEvent,
    RetryPolicy,
    ThrottledError,
    TransportError,
)

STACK = {"uid": "s1", "name": "one", "created_at": "2014-08-14T01:46:53Z"}
OK = HTTPResponse(
    200, {"Content-Type": "application/json"}, json.dumps({"response": STACK}).encode()
)
THROTTLED = json.dumps({"error": "throttled", "error_description": "slow down"}).encode()


def throttled(retry_after: str | None) -> HTTPResponse:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return HTTPResponse(503, headers, THROTTLED)


def make_client(
    loop: VirtualLoop,
    handler: Callable[[HTTPRequest], Any],
    **kwargs: Any,
) -> tuple[Client, MockTransport]:
    transport = MockTransport(handler)
    kwargs.setdefault("rate_limit", None)
    client = Client(
        "t", base_url="https://api.example/api/3", transport=transport, _clock=loop.time, **kwargs
    )
    return client, transport


def on_virtual_time(fn: Callable[[VirtualLoop], Any]) -> Any:
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(fn(loop))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


# ------------------------------------------------------------------------------- the hot path


def test_a_request_with_the_gate_open_and_budget_free_never_suspends() -> None:
    """No trip through the event loop besides the transport's own: the coroutine of a whole
    call finishes in one step when the transport answers at once."""

    async def main(loop: VirtualLoop) -> None:
        client, transport = make_client(loop, lambda r: OK, rate_limit=RateLimit(100, per=60))
        async with client:
            for _ in range(3):
                coroutine = client.stacks.get("s1")
                with pytest.raises(StopIteration) as done:
                    coroutine.send(None)  # one step: it must finish, not suspend
                assert done.value.value.uid == "s1"
        assert len(transport.requests) == 3

    on_virtual_time(main)


# ------------------------------------------------------------------------- throttle storms

retry_afters = st.sampled_from(
    [None, "0", "0.001", "0.2", "-5", "abc", "1", "Thu, 01 Jan 1970 00:00:00 GMT", "1e-300"]
)


@settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    retry_after=retry_afters,
    floor=st.sampled_from([0.01, 0.1, 0.5, 2.0]),
    max_wait=st.sampled_from([0.0, 0.3, 3.0, 30.0]),
    backoff=st.sampled_from([0.0, 0.5, 1.0]),
    method=st.sampled_from(["GET", "POST"]),
)
@example(retry_after="0", floor=0.5, max_wait=3.0, backoff=0.0, method="GET")
@example(retry_after="0.001", floor=0.5, max_wait=3.0, backoff=1.0, method="GET")
def test_a_throttle_storm_costs_at_most_max_wait_over_the_floor_attempts(
    retry_after: str | None, floor: float, max_wait: float, backoff: float, method: str
) -> None:
    """Every throttled attempt is charged at least the floor against throttle_max_wait, so one
    call sends at most max_wait/floor + 1 attempts and ends within max_wait of virtual time
    (plus one delay), whatever Retry-After says."""
    policy = RetryPolicy(
        throttle_min_delay=floor, throttle_max_wait=max_wait, throttle_backoff=backoff
    )

    async def main(loop: VirtualLoop) -> None:
        client, transport = make_client(loop, lambda r: throttled(retry_after), retry=policy)
        async with client:
            with pytest.raises(ThrottledError) as info:
                if method == "GET":
                    await client.stacks.get("s1")
                else:
                    await client.actions.run("s1", "restart")
        attempts = len(transport.requests)
        assert 1 <= attempts <= math.floor(max_wait / floor + 1e-9) + 1, attempts
        assert loop.time() <= max_wait + 1e-6, loop.time()
        assert info.value.status == 503

    on_virtual_time(main)


def test_one_throttle_episode_costs_no_more_503s_than_requests_in_flight() -> None:
    """A server that allows 5 requests per fixed 1 s window, 40 tasks, 8 at a time: every run
    of consecutive 503s is no longer than what was in flight when it began."""
    window = {"start": -1.0, "used": 0}
    in_flight = 0
    log: list[tuple[int, int]] = []  # (status, requests in flight when answered)

    async def server(loop: VirtualLoop, request: HTTPRequest) -> HTTPResponse:
        nonlocal in_flight
        in_flight += 1
        try:
            await anyio.sleep(0.05)  # latency
            now = loop.time()
            if now - window["start"] >= 1.0:
                window["start"], window["used"] = now, 0
            if window["used"] >= 5:
                wait = window["start"] + 1.0 - now
                log.append((503, in_flight))
                return throttled(f"{wait:.3f}")
            window["used"] += 1
            log.append((200, in_flight))
            return OK
        finally:
            in_flight -= 1

    async def main(loop: VirtualLoop) -> None:
        client, _ = make_client(loop, lambda r: server(loop, r), max_concurrency=8)
        async with client:
            async with anyio.create_task_group() as tg:
                for _ in range(40):
                    tg.start_soon(client.stacks.get, "s1")

    on_virtual_time(main)
    assert sum(1 for status, _ in log if status == 200) == 40
    assert any(status == 503 for status, _ in log), "never throttled: the test proves nothing"
    run: list[int] = []
    for status, flying in log:
        if status == 503:
            run.append(flying)
            assert len(run) <= run[0], log  # 503s so far <= in flight at the episode's start
        else:
            run = []


# --------------------------------------------------------------------- probes end any way


def probe_scenario(ending: str) -> None:
    """After a throttle, the probe ends by ``ending``; the next request goes at once."""
    answers: list[str] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        answers.append("sent")
        if len(answers) == 1:
            return throttled("1")
        if len(answers) == 2 and ending == "transport error":
            raise TransportError("reset", method="GET", url=request.url, sent=True)
        return OK

    hang = True

    async def on_response(event: ResponseEvent) -> None:
        if hang and event.status == 200 and ending in ("hook cancelled", "hook raises"):
            if ending == "hook raises":
                raise RuntimeError("a broken metrics hook")
            await anyio.sleep(3600)

    async def main(loop: VirtualLoop) -> None:
        nonlocal hang
        client, _ = make_client(
            loop,
            handler,
            hooks=Hooks(on_response=on_response),
            retry=RetryPolicy(retries=0, throttle_min_delay=0.5),
        )
        async with client:
            with anyio.move_on_after(10):
                try:
                    await client.stacks.get("s1")  # throttled, then the probe
                except TransportError:
                    assert ending == "transport error"
            hang = False
            started = loop.time()
            with anyio.fail_after(1):
                assert (await client.stacks.get("s1")).uid == "s1"
            assert loop.time() - started < 1e-6  # no wait: the gate was handed back
            assert not client.rate_limit_state.gate_closed

    on_virtual_time(main)


@pytest.mark.parametrize("ending", ["answer", "transport error", "hook cancelled", "hook raises"])
def test_a_probe_that_ends_in_any_way_releases_the_gate(ending: str) -> None:
    probe_scenario(ending)


def test_a_probe_cancelled_while_it_is_sent_releases_the_gate() -> None:
    calls = 0

    async def handler(request: HTTPRequest) -> HTTPResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            return throttled("1")
        if calls == 2:
            await anyio.sleep(3600)  # the probe hangs on the wire
        return OK

    async def main(loop: VirtualLoop) -> None:
        client, _ = make_client(loop, handler)
        async with client:
            with anyio.move_on_after(5):
                await client.stacks.get("s1")
            assert loop.time() == pytest.approx(5)
            started = loop.time()
            assert (await client.stacks.get("s1")).uid == "s1"
            assert loop.time() == started

    on_virtual_time(main)


def test_a_request_waiting_for_the_probe_gives_up_at_its_deadline() -> None:
    calls = 0

    async def handler(request: HTTPRequest) -> HTTPResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            return throttled("1")
        await anyio.sleep(3600)  # the probe never answers
        return OK

    async def main(loop: VirtualLoop) -> None:
        client, _ = make_client(loop, handler, retry=RetryPolicy(throttle_max_wait=20))
        async with client, anyio.create_task_group() as tg:
            tg.start_soon(client.stacks.get, "s1")  # throttled, then probes for ever
            await anyio.sleep(2)
            with pytest.raises(ThrottledError):
                await client.stacks.get("s1")
            assert loop.time() <= 2 + 20 + 1e-6
            tg.cancel_scope.cancel()

    on_virtual_time(main)


# ---------------------------------------------------------------------- the limiter, wired


def test_the_limiter_holds_the_window_through_the_pipeline() -> None:
    sent: list[float] = []

    async def main(loop: VirtualLoop) -> None:
        def handler(request: HTTPRequest) -> HTTPResponse:
            sent.append(loop.time())
            return HTTPResponse(200, {"X-RateLimit-Remaining": "0"}, OK.body)

        client, _ = make_client(
            loop,
            handler,
            rate_limit=RateLimit(5, per=60),
        )
        async with client, anyio.create_task_group() as tg:
            for _ in range(16):
                tg.start_soon(client.stacks.get, "s1")

    on_virtual_time(main)
    assert len(sent) == 16
    for i in range(len(sent) - 5):
        assert sent[i + 5] - sent[i] >= 60, sent


def test_a_wait_for_the_local_window_longer_than_max_wait_is_a_throttled_error() -> None:
    async def main(loop: VirtualLoop) -> None:
        client, transport = make_client(
            loop,
            lambda r: OK,
            rate_limit=RateLimit(2, per=3600, max_wait=60),
        )
        async with client:
            await client.stacks.get("s1")
            await client.stacks.get("s1")
            with pytest.raises(ThrottledError) as info:
                await client.stacks.get("s1")
            assert "client-side rate limit" in str(info.value)
            assert "RateLimit.max_wait" in str(info.value)
            assert loop.time() == 0  # refused at once, not after a minute
            assert len(transport.requests) == 2

    on_virtual_time(main)


def test_bulk_work_past_the_window_is_paced_not_failed() -> None:
    """By default a full window is waited out, however long (at most ``per``), and that wait
    is not charged against throttle_max_wait: 7 requests under 3 an hour take two hours."""
    sent: list[float] = []

    async def main(loop: VirtualLoop) -> None:
        def handler(request: HTTPRequest) -> HTTPResponse:
            sent.append(loop.time())
            return OK

        client, _ = make_client(
            loop, handler, rate_limit=RateLimit(3, per=3600), retry=RetryPolicy(throttle_max_wait=1)
        )
        async with client:
            for _ in range(7):
                await client.stacks.get("s1")

    on_virtual_time(main)
    assert sent == [0, 0, 0, 3600, 3600, 3600, 7200]


@pytest.mark.parametrize("retry_after", ["3", "9", "14"])
def test_sends_after_a_throttle_still_fit_the_window(retry_after: str) -> None:
    """The limiter counts a request when it goes, not when it started waiting: a request that
    waited at the closed gate takes its place in the window again once it passes."""
    sent: list[float] = []

    async def main(loop: VirtualLoop) -> None:
        def handler(request: HTTPRequest) -> HTTPResponse:
            sent.append(loop.time())
            return throttled(retry_after) if len(sent) == 1 else OK

        client, _ = make_client(
            loop,
            handler,
            rate_limit=RateLimit(2, per=10),
            retry=RetryPolicy(throttle_max_wait=math.inf, throttle_min_delay=0.5),
        )
        async with client, anyio.create_task_group() as tg:
            for _ in range(7):
                tg.start_soon(client.stacks.get, "s1")
                await anyio.sleep(1.5)

    on_virtual_time(main)
    assert len(sent) == 8
    for i in range(len(sent) - 2):
        assert sent[i + 2] - sent[i] >= 10 - 1e-9, sent
