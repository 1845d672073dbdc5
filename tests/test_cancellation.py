"""Cancellation and early exits leave nothing behind: no connection checked out of the pool, no
task pending, no unclosed session or response; and a closed client says so.

Paginators, ``actions.wait``, ``actions.wait_many`` and ``fan_out`` are each cancelled while a
request is in flight (a ``latency`` fault holds the answer back) and left early. The fake runs in
the same event loop, so its own server tasks are told apart from the client's.
"""

from __future__ import annotations

import asyncio
import gc
import re
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

from cloud66_async import Client, ClientClosedError, Cloud66Error, WaitTimeoutError
from cloud66_async.models import Stack
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

STACK = "5999b763474b0eafa5fafb64bff0ba80"
_AIOHTTP_DIR = Path(aiohttp.__file__).parent


# ----------------------------------------------------------------------------------- helpers


def _is_fake_server_task(task: asyncio.Task[Any]) -> bool:
    """The fake's aiohttp.web tasks (one per connection and per request) are not the client's."""
    code = getattr(task.get_coro(), "cr_code", None)
    if code is None:
        return False
    path = Path(code.co_filename)
    return path.parent == _AIOHTTP_DIR and path.name.startswith("web_")


def client_tasks() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {
        t
        for t in asyncio.all_tasks()
        if t is not current and not t.done() and not _is_fake_server_task(t)
    }


def checked_out(client: Client) -> int:
    """Connections the client's aiohttp connector has handed out and not got back."""
    session = client._shared.transport._session
    if session is None:
        return 0
    connector = session.connector
    assert connector is not None
    return len(connector._acquired)


@pytest.fixture
async def loop_problems() -> AsyncIterator[list[dict[str, Any]]]:
    """What the event loop's exception handler receives (aiohttp reports unclosed sessions,
    connectors and responses there)."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        yield seen
    finally:
        loop.set_exception_handler(previous)


async def assert_clean(
    client: Client, before: set[asyncio.Task[Any]], problems: list[dict[str, Any]]
) -> None:
    """No connection checked out, no new task pending, nothing unclosed, after gc."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            gc.collect()
            # Finalisers of abandoned async generators run as tasks: give them a few ticks.
            for _ in range(50):
                if client_tasks() <= before:
                    break
                await asyncio.sleep(0.01)
    leftover = client_tasks() - before
    assert not leftover, f"tasks still pending: {leftover}"
    assert checked_out(client) == 0
    unclosed = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not unclosed, [str(w.message) for w in unclosed]
    assert not problems, [c.get("message") for c in problems]


async def in_flight(fake: FakeCloud66, method: str, path: str | re.Pattern[str]) -> None:
    """Wait until the fake has received a request it has not answered yet."""
    await until(lambda: any(r.status is None for r in fake.requests(method, path)))


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` (the fake's log has no event to wait on) until true, or fail."""
    for _ in range(int(timeout / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    pytest.fail("the condition never became true")


async def cancel_while(
    how: str, work: Callable[[], Awaitable[object]], started: Callable[[], Awaitable[None]]
) -> None:
    """Cancel ``work`` once ``started`` returns: with an anyio scope, or Task.cancel()."""
    if how == "scope":
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:

                async def run() -> None:
                    await work()

                tg.start_soon(run)
                await started()
                scope.cancel()
        assert scope.cancelled_caught
    else:
        task: asyncio.Task[object] = asyncio.create_task(work())  # type: ignore[arg-type]
        await started()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.fixture
async def slow_fake() -> AsyncIterator[FakeCloud66]:
    """A fake whose actions take a minute, so waits are still waiting when cancelled."""
    async with FakeCloud66(stacks=40, action_delay=60) as server:
        yield server


# -------------------------------------------------------------------------------- paginators


@pytest.mark.parametrize("how", ["scope", "task"])
async def test_cancel_async_for_over_a_paginator(
    fake: FakeCloud66, loop_problems: list[dict[str, Any]], how: str
) -> None:
    async with fake.client(rate_limit=None, max_concurrency=1) as client:
        before = client_tasks()
        seen: list[str] = []

        async def consume() -> None:
            async for stack in client.stacks.list():
                seen.append(stack.uid)
                if len(seen) == 1:  # page 1 is read: hold page 2 back
                    fake.inject_fault("GET", "/stacks", "latency", delay=5)

        with anyio.fail_after(10):
            await cancel_while(how, consume, lambda: in_flight(fake, "GET", "/stacks"))
        assert seen == fake.stack_uids[:30]
        held = fake.requests("GET", "/stacks")[-1]
        assert held.query["page"] == "2" and held.status is None  # cancelled mid-request
        await assert_clean(client, before, loop_problems)
        # The one concurrency slot and the gate were given back: the client still works.
        with anyio.fail_after(5):
            assert (await client.stacks.get(STACK)).uid == STACK


@pytest.mark.parametrize("exit_by", ["break", "aclose", "pages-break", "first", "max_items"])
async def test_leave_a_paginator_early(
    fake: FakeCloud66, loop_problems: list[dict[str, Any]], exit_by: str
) -> None:
    async with fake.client(rate_limit=None) as client:
        before = client_tasks()
        got: Stack | None = None
        with anyio.fail_after(10):
            if exit_by == "break":
                async for stack in client.stacks.list():
                    got = stack
                    break
            elif exit_by == "aclose":
                items = aiter(client.stacks.list())
                got = await anext(items)
                await items.aclose()  # type: ignore[attr-defined]
            elif exit_by == "pages-break":
                async for page in client.stacks.list().pages():
                    got = page.items[0]
                    break
            elif exit_by == "first":
                got = await client.stacks.list().first()
            else:
                (got,) = await client.stacks.list(max_items=1).collect()
        assert got is not None and got.uid == fake.stack_uids[0]
        assert [r.query["page"] for r in fake.requests("GET", "/stacks")] == ["1"]
        await assert_clean(client, before, loop_problems)


@pytest.fixture
async def paged_fake() -> AsyncIterator[FakeCloud66]:
    """Eight pages of stacks, ten a page: room for several pages fetched ahead."""
    async with FakeCloud66(stacks=75, per_page=10, servers_per_stack=0) as server:
        yield server


@pytest.mark.parametrize("how", ["scope", "task"])
async def test_cancel_a_prefetching_paginator_with_pages_in_flight(
    paged_fake: FakeCloud66, loop_problems: list[dict[str, Any]], how: str
) -> None:
    fake = paged_fake
    async with fake.client(rate_limit=None) as client:
        before = client_tasks()
        seen: list[str] = []

        async def consume() -> None:
            async for stack in client.stacks.list().with_prefetch(4):
                if not seen:  # pages 2-5 are scheduled but not sent yet: hold them all back
                    fake.inject_fault("GET", "/stacks", "latency", delay=5, times=None)
                seen.append(stack.uid)

        async def four_pages_in_flight() -> None:
            await until(lambda: sum(r.status is None for r in fake.request_log) >= 4)

        with anyio.fail_after(10):
            await cancel_while(how, consume, four_pages_in_flight)
        assert seen == fake.stack_uids[:10]
        await assert_clean(client, before, loop_problems)


@pytest.mark.parametrize("exit_by", ["break", "aclose"])
async def test_leave_a_prefetching_paginator_early(
    paged_fake: FakeCloud66, loop_problems: list[dict[str, Any]], exit_by: str
) -> None:
    fake = paged_fake
    async with fake.client(rate_limit=None) as client:
        before = client_tasks()
        with anyio.fail_after(10):
            items = aiter(client.stacks.list().with_prefetch(4))
            first = await anext(items)
            # A page fetched ahead fails while nobody waits for it: still no stray error.
            fake.inject_fault("GET", "/stacks", "status", status=404, times=1)
            fake.inject_fault("GET", "/stacks", "latency", delay=5, times=None)
            await until(lambda: sum(r.status is None for r in fake.request_log) >= 3)
            if exit_by == "aclose":
                await items.aclose()  # type: ignore[attr-defined]
            else:
                del items
        assert first.uid == fake.stack_uids[0]
        await assert_clean(client, before, loop_problems)
        count = len(fake.request_log)
        await anyio.sleep(0.1)
        assert len(fake.request_log) == count  # nothing fetched after leaving


# -------------------------------------------------------------------------------- waiting


@pytest.mark.parametrize("how", ["scope", "task"])
async def test_cancel_actions_wait_mid_poll(
    slow_fake: FakeCloud66, loop_problems: list[dict[str, Any]], how: str
) -> None:
    fake = slow_fake
    async with fake.client(rate_limit=None) as client:
        action = await client.actions.run(STACK, "restart")
        poll_path = f"/stacks/{STACK}/actions/{action.id}"
        fake.inject_fault("GET", poll_path, "latency", delay=5, times=None)
        before = client_tasks()
        with anyio.fail_after(10):
            await cancel_while(
                how,
                lambda: client.actions.wait(action, poll_interval=0.01),
                lambda: in_flight(fake, "GET", poll_path),
            )
        await assert_clean(client, before, loop_problems)
        count = len(fake.request_log)
        await anyio.sleep(0.1)
        assert len(fake.request_log) == count  # nothing polls after cancellation


async def test_actions_wait_timing_out_mid_poll(
    slow_fake: FakeCloud66, loop_problems: list[dict[str, Any]], fast_waits: None
) -> None:
    fake = slow_fake
    async with fake.client(rate_limit=None) as client:
        action = await client.actions.run(STACK, "restart")
        fake.inject_fault(
            "GET", f"/stacks/{STACK}/actions/{action.id}", "latency", delay=5, times=None
        )
        before = client_tasks()
        with pytest.raises(WaitTimeoutError), anyio.fail_after(5):
            await client.actions.wait(action, timeout=0.3, poll_interval=0.01)
        await assert_clean(client, before, loop_problems)


def _two_stacks(fake: FakeCloud66) -> list[str]:
    return [STACK, fake.stack_uids[1]]


@pytest.mark.parametrize("how", ["scope", "task"])
async def test_cancel_actions_wait_many_mid_poll(
    slow_fake: FakeCloud66, loop_problems: list[dict[str, Any]], how: str, fast_waits: None
) -> None:
    fake = slow_fake
    async with fake.client(rate_limit=None) as client:
        actions = [await client.actions.run(uid, "restart") for uid in _two_stacks(fake)]
        lists = re.compile(r"/stacks/[^/]+/actions")
        fake.inject_fault("GET", lists, "latency", delay=5, times=None)
        before = client_tasks()
        with anyio.fail_after(10):
            await cancel_while(
                how,
                lambda: client.actions.wait_many(actions, poll_interval=0.01),
                lambda: in_flight(fake, "GET", lists),
            )
        await assert_clean(client, before, loop_problems)


async def test_actions_wait_many_timing_out_mid_poll(
    slow_fake: FakeCloud66, loop_problems: list[dict[str, Any]], fast_waits: None
) -> None:
    fake = slow_fake
    async with fake.client(rate_limit=None) as client:
        actions = [await client.actions.run(uid, "restart") for uid in _two_stacks(fake)]
        fake.inject_fault(
            "GET", re.compile(r"/stacks/[^/]+/actions"), "latency", delay=5, times=None
        )
        before = client_tasks()
        with pytest.raises(WaitTimeoutError), anyio.fail_after(5):
            await client.actions.wait_many(actions, timeout=0.3, poll_interval=0.01)
        await assert_clean(client, before, loop_problems)


# -------------------------------------------------------------------------------- fan_out


@pytest.mark.parametrize("how", ["scope", "task"])
async def test_cancel_fan_out_with_requests_in_flight(
    fake: FakeCloud66, loop_problems: list[dict[str, Any]], how: str
) -> None:
    async with fake.client(rate_limit=None) as client:
        fake.inject_fault("GET", re.compile(r"/stacks/[^/]+"), "latency", delay=5, times=None)
        before = client_tasks()
        outcomes: list[object] = []

        async def consume() -> None:
            async for outcome in client.fan_out(fake.stack_uids, client.stacks.get, concurrency=5):
                outcomes.append(outcome)

        async def five_in_flight() -> None:
            await until(lambda: sum(r.status is None for r in fake.request_log) >= 5)

        with anyio.fail_after(10):
            await cancel_while(how, consume, five_in_flight)
        assert outcomes == []
        await assert_clean(client, before, loop_problems)


@pytest.mark.parametrize("exit_by", ["break", "aclose"])
async def test_leave_fan_out_early_with_requests_in_flight(
    fake: FakeCloud66, loop_problems: list[dict[str, Any]], exit_by: str
) -> None:
    first, *others = fake.stack_uids
    async with fake.client(rate_limit=None) as client:
        for uid in others:
            fake.inject_fault("GET", f"/stacks/{uid}", "latency", delay=5)
        before = client_tasks()
        with anyio.fail_after(10):
            outcomes = client.fan_out(fake.stack_uids, client.stacks.get, concurrency=5)
            async for outcome in outcomes:
                assert outcome.item == first and outcome.ok
                # Let the other four workers send their (slow) requests before leaving.
                await in_flight(fake, "GET", re.compile(r"/stacks/[^/]+"))
                break
            if exit_by == "aclose":
                await outcomes.aclose()  # type: ignore[attr-defined]
            else:
                del outcomes
        await assert_clean(client, before, loop_problems)


# ---------------------------------------------------------------------------- closing


async def test_client_used_after_close_raises_client_closed_error(fake: FakeCloud66) -> None:
    client = fake.client(rate_limit=None)
    view = client.with_options(max_concurrency=2)
    await client.stacks.get(STACK)
    await client.close()
    assert client.closed and view.closed
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: client.stacks.get(STACK),
        lambda: client.stacks.list().first(),
        lambda: client.stacks.list().collect(),
        lambda: client.request("GET", f"/stacks/{STACK}"),
        lambda: client.actions.run(STACK, "restart"),
        lambda: client.with_raw_response.stacks.get(STACK),
        lambda: view.stacks.get(STACK),
        lambda: client.with_options(timeout=5).stacks.get(STACK),
    ]
    count = len(fake.request_log)
    for call in calls:
        with pytest.raises(ClientClosedError, match="closed"), anyio.fail_after(5):
            await call()
    outcomes = [o async for o in client.fan_out([STACK], client.stacks.get)]
    assert len(outcomes) == 1 and isinstance(outcomes[0].error, ClientClosedError)
    assert len(fake.request_log) == count  # nothing was sent


async def test_closing_twice_and_closing_views(fake: FakeCloud66) -> None:
    client = fake.client(rate_limit=None)
    await client.close()  # never used: nothing to close, and no error
    await client.close()
    assert client.closed

    async with fake.client(rate_limit=None) as parent:
        view = parent.with_options(timeout=5, max_concurrency=3)
        await view.stacks.get(STACK)
        await view.close()
        async with view:
            pass
        assert not view.closed and not parent.closed
        # The view's close closed nothing: both still send over the parent's session.
        assert (await view.stacks.get(STACK)).uid == STACK
        assert (await parent.stacks.get(STACK)).uid == STACK
        session = parent._shared.transport._session
        assert session is not None and not session.closed
    await parent.close()
    await parent.close()
    assert all(c.closed for c in (parent, view))  # a view's closed is its parent's
    with pytest.raises(ClientClosedError):
        await view.stacks.get(STACK)


async def test_close_while_a_request_is_in_flight(
    fake: FakeCloud66, loop_problems: list[dict[str, Any]]
) -> None:
    client = fake.client(rate_limit=None)
    fake.inject_fault("GET", f"/stacks/{STACK}", "latency", delay=5, times=None)
    before = client_tasks()
    errors: list[BaseException] = []

    async def get() -> None:
        try:
            await client.stacks.get(STACK)
        except BaseException as exc:  # what ends the request is the point
            errors.append(exc)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(get)
            await in_flight(fake, "GET", f"/stacks/{STACK}")
            await client.close()
    assert len(errors) == 1
    assert isinstance(errors[0], Cloud66Error), repr(errors[0])
    await assert_clean(client, before, loop_problems)
