"""Retries, timeouts, the throttle gate and the rate limiter, against FakeCloud66."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

from cloud66_async import (
    Client,
    NotImplementedByAPIError,
    RateLimit,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    ThrottledError,
    Timeout,
    TransportError,
)
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

STACK = "5999b763474b0eafa5fafb64bff0ba80"
STACK_PATH = f"/stacks/{STACK}"
ACTIONS_PATH = f"/stacks/{STACK}/actions"


async def test_get_retried_after_5xx(fake: FakeCloud66, client: Client, fast_waits: None) -> None:
    fake.inject_fault("GET", STACK_PATH, "status", status=500, body={"error": "boom"}, times=2)
    stack = await client.stacks.get(STACK)
    assert stack.uid == STACK
    assert len(fake.requests("GET", STACK_PATH)) == 3


async def test_get_gives_up_after_retries(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.inject_fault("GET", STACK_PATH, "status", status=504, body={"error": "gw"}, times=5)
    with pytest.raises(ServerError) as info:
        await client.stacks.get(STACK)
    assert info.value.status == 504
    assert len(fake.requests("GET", STACK_PATH)) == 3  # 1 + 2 retries


async def test_post_never_resent_after_5xx(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.inject_fault("POST", ACTIONS_PATH, "status", status=502, body={"error": "bad"})
    with pytest.raises(ServerError):
        await client.actions.run(STACK, "restart")
    assert len(fake.requests("POST", ACTIONS_PATH)) == 1


async def test_post_not_resent_after_connection_reset(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.inject_fault("POST", ACTIONS_PATH, "reset_before")
    with pytest.raises(TransportError) as info:
        await client.actions.run(STACK, "restart")
    assert info.value.sent is True
    assert len(fake.requests("POST", ACTIONS_PATH)) == 1


async def test_get_retried_after_connection_reset(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.inject_fault("GET", STACK_PATH, "reset_during")
    assert (await client.stacks.get(STACK)).uid == STACK
    assert len(fake.requests("GET", STACK_PATH)) == 2


async def test_not_implemented_is_never_retried(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.inject_fault("GET", STACK_PATH, "not_implemented", times=3)
    with pytest.raises(NotImplementedByAPIError):
        await client.stacks.get(STACK)
    assert len(fake.requests("GET", STACK_PATH)) == 1


async def test_throttled_with_retry_after_then_success(fake: FakeCloud66) -> None:
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "0.2"})
    async with fake.client(rate_limit=None) as client:
        started = time.monotonic()
        assert (await client.stacks.get(STACK)).uid == STACK
        assert time.monotonic() - started >= 0.2
        assert client.rate_limit_state.throttled_total == 1
    assert len(fake.requests("GET", STACK_PATH)) == 2


async def test_throttled_post_is_resent(fake: FakeCloud66) -> None:
    fake.inject_fault("POST", ACTIONS_PATH, "throttled", headers={"Retry-After": "0.05"})
    async with fake.client(rate_limit=None) as client:
        action = await client.actions.run(STACK, "restart")
    assert action.action is not None
    assert len(fake.requests("POST", ACTIONS_PATH)) == 2


async def test_throttled_without_retry_after_backs_off(fake: FakeCloud66) -> None:
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={}, times=2)
    retry = RetryPolicy(throttle_backoff=0.05)
    async with fake.client(rate_limit=None, retry=retry) as client:
        assert (await client.stacks.get(STACK)).uid == STACK
    assert len(fake.requests("GET", STACK_PATH)) == 3


async def test_retry_after_longer_than_allowed_wait(fake: FakeCloud66) -> None:
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "120"})
    async with fake.client(rate_limit=None, retry=RetryPolicy(throttle_max_wait=5)) as client:
        started = time.monotonic()
        with pytest.raises(ThrottledError) as info:
            await client.stacks.get(STACK)
        assert time.monotonic() - started < 2
        assert info.value.retry_after == 120
        # Others do not wait two minutes either: the gate is closed, so they fail fast.
        with pytest.raises(ThrottledError):
            await client.stacks.list().first()
        assert client.rate_limit_state.gate_closed
    assert len(fake.requests("GET")) == 1


async def test_throttle_storm_ends_in_throttled_error(fake: FakeCloud66) -> None:
    fake.inject_fault("GET", STACK_PATH, "throttled", headers={"Retry-After": "0.05"}, times=100)
    # A floor below Retry-After, so that several throttled answers fit in the allowed wait.
    retry = RetryPolicy(throttle_max_wait=0.5, throttle_min_delay=0.01)
    async with fake.client(rate_limit=None, retry=retry) as client:
        with pytest.raises(ThrottledError):
            await client.stacks.get(STACK)
    assert 2 <= len(fake.requests("GET", STACK_PATH)) <= 12


async def test_one_gate_for_many_tasks() -> None:
    """In a throttle episode, only requests in flight when it began may see a 503."""
    async with FakeCloud66(stacks=40, rate_limit=(20, 1.0), retry_after="fractional") as fake:
        async with fake.client(rate_limit=None, max_concurrency=8) as client:
            uids = fake.stack_uids

            async def get(uid: str) -> None:
                await client.stacks.get(uid)

            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for uid in uids * 2:
                        tg.start_soon(get, uid)
    log = fake.request_log
    assert sum(1 for r in log if r.status == 200) == 80
    throttled = [i for i, r in enumerate(log) if r.status == 503]
    assert throttled, "the fake never throttled: the test proves nothing"
    # Requests were received in order; every 503 of an episode must belong to a request that
    # was already in flight (at most max_concurrency of them) when the first 503 was answered.
    episodes: list[list[int]] = []
    for i in throttled:
        if episodes and i - episodes[-1][-1] <= 8:
            episodes[-1].append(i)
        else:
            episodes.append([i])
    for episode in episodes:
        assert len(episode) <= 8


async def test_requests_held_at_the_gate_give_their_place_in_the_window_back() -> None:
    """With a client-side limiter, a request that finds the gate closed refunds the permit it
    took, waits at the gate, and takes a permit again when it passes: in the end the window
    holds exactly one stamp per request the server received, and nothing is left in flight."""
    async with FakeCloud66(stacks=40, rate_limit=(20, 1.0), retry_after="fractional") as fake:
        limit = RateLimit(requests=100_000, per=3600)
        async with fake.client(rate_limit=limit, max_concurrency=8) as client:
            limiter: Any = client._shared.limiter

            async def get(uid: str) -> None:
                await client.stacks.get(uid)

            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for uid in fake.stack_uids * 2:
                        tg.start_soon(get, uid)
            held_back = client.rate_limit_state.throttled_total
        log = fake.request_log
        assert sum(1 for r in log if r.status == 200) == 80
        assert held_back > 0, "the fake never throttled: the test proves nothing"
        assert len(limiter._stamps) == len(log)
        assert limiter._flying == {}


async def test_rate_limiter_paces_requests(fake: FakeCloud66) -> None:
    async with fake.client(rate_limit=RateLimit(requests=5, per=0.5)) as client:
        started = time.monotonic()
        for _ in range(11):
            await client.stacks.get(STACK)
        elapsed = time.monotonic() - started
    assert elapsed >= 1.0  # 11 requests at 5 per 0.5 s need two full windows


async def test_limiter_adapts_to_remaining_header(fake: FakeCloud66) -> None:
    async with fake.client(rate_limit=RateLimit(requests=3000, per=3600)) as client:
        await client.stacks.get(STACK)
        state = client.rate_limit_state
        assert state.limit == 3600 and state.remaining is not None
        assert state.local_remaining is not None
        assert state.local_remaining <= state.remaining


async def test_header_timeout(fake: FakeCloud66, fast_waits: None) -> None:
    fake.inject_fault("GET", STACK_PATH, "latency", delay=1.0, times=3)
    async with fake.client(timeout=Timeout(total=0.2), rate_limit=None) as client:
        with pytest.raises(RequestTimeoutError):
            await client.stacks.get(STACK)
    assert len(fake.requests("GET", STACK_PATH)) == 3  # GET timeouts are retried


async def test_each_view_keeps_its_own_timeout_on_the_shared_transport(
    fake: FakeCloud66,
) -> None:
    """The transport keeps aiohttp's form of the last timeout it saw: views with different
    timeouts, used in turn, each get their own."""
    async with fake.client(timeout=Timeout(total=5), rate_limit=None) as client:
        short = client.with_options(timeout=Timeout(total=0.2), retry=RetryPolicy.none())
        with anyio.fail_after(10):
            for _ in range(2):
                fake.inject_fault("GET", STACK_PATH, "latency", delay=0.5, times=2)
                assert (await client.stacks.get(STACK)).uid == STACK  # waits out the 0.5 s
                with pytest.raises(RequestTimeoutError, match="total 0.2s"):
                    await short.stacks.get(STACK)


async def test_body_timeout(fake: FakeCloud66, fast_waits: None) -> None:
    fake.inject_fault("GET", STACK_PATH, "slow_body", delay=1.0)
    async with fake.client(timeout=Timeout(total=5, read=0.2), rate_limit=None) as client:
        assert (await client.stacks.get(STACK)).uid == STACK  # retried after the slow one


async def test_post_timeout_not_resent(fake: FakeCloud66) -> None:
    fake.inject_fault("POST", ACTIONS_PATH, "latency", delay=1.0)
    async with fake.client(timeout=0.2, rate_limit=None) as client:
        with pytest.raises(RequestTimeoutError):
            await client.actions.run(STACK, "restart")
    assert len(fake.requests("POST", ACTIONS_PATH)) == 1


async def test_spent_server_budget_costs_one_503_per_window() -> None:
    """With the client-side limiter on, X-RateLimit-Remaining: 0 makes requests go one at a
    time, so each exhausted window costs a single 503 instead of one per task."""
    async with FakeCloud66(stacks=10, rate_limit=(20, 0.5), retry_after="fractional") as fake:
        async with fake.client(max_concurrency=10) as client:  # default RateLimit on

            async def get(uid: str) -> None:
                await client.stacks.get(uid)

            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for uid in fake.stack_uids * 6:
                        tg.start_soon(get, uid)
    statuses = [r.status for r in fake.request_log]
    assert statuses.count(200) == 60
    windows = 60 // 20
    assert statuses.count(503) <= windows  # at most one per exhausted window
