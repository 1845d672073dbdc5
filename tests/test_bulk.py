"""fan_out against FakeCloud66: many stacks, failures, early exit, cancellation."""

from __future__ import annotations

import asyncio
import gc

import anyio
import pytest

from cloud66_async import Client, ConfigError, NotFoundError
from cloud66_async.models import Stack
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio


def _pending_tasks() -> set[asyncio.Task[object]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


async def test_fan_out_over_500_stacks_with_failures() -> None:
    async with (
        FakeCloud66(stacks=500, servers_per_stack=2) as fake,
        fake.client(rate_limit=None) as client,
    ):
        failing = set(fake.stack_uids[::50])
        for uid in failing:
            fake.inject_fault(
                "GET", f"/stacks/{uid}/servers", "status", status=404, body={"error": "not_found"}
            )

        async def count(stack: Stack) -> int:
            return len(await client.servers.list(stack.uid).collect())

        seen: dict[str, int | BaseException] = {}
        with anyio.fail_after(60):
            async for outcome in client.fan_out(client.stacks.list(), count, concurrency=10):
                assert outcome.item.uid not in seen
                seen[outcome.item.uid] = outcome.value if outcome.ok else outcome.error  # type: ignore[assignment]
    assert set(seen) == set(fake.stack_uids)
    errors = {uid for uid, v in seen.items() if isinstance(v, BaseException)}
    assert errors == failing
    assert all(isinstance(seen[uid], NotFoundError) for uid in failing)
    assert all(v == 2 for uid, v in seen.items() if uid not in failing)


async def test_fan_out_respects_concurrency(client: Client) -> None:
    running = 0
    peak = 0

    async def work(i: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.01)
        running -= 1
        return i * 2

    results = {o.item: o.unwrap() async for o in client.fan_out(range(40), work, concurrency=4)}
    assert results == {i: i * 2 for i in range(40)}
    assert peak == 4


async def test_breaking_out_cancels_and_leaves_no_task(client: Client) -> None:
    started: list[int] = []
    cancelled: list[int] = []

    async def slow(i: int) -> int:
        started.append(i)
        try:
            await anyio.sleep(0 if i == 0 else 30)
        except anyio.get_cancelled_exc_class():
            cancelled.append(i)
            raise
        return i

    before = _pending_tasks()
    with anyio.fail_after(5):
        gen = client.fan_out(range(100), slow, concurrency=5)
        async for outcome in gen:
            assert outcome.item == 0
            break
        await gen.aclose()  # type: ignore[attr-defined]
    assert 5 <= len(started) <= 6  # worker 0 may take one more item before the break
    assert sorted(cancelled) == sorted(set(started) - {0})
    assert _pending_tasks() <= before


async def test_breaking_out_without_aclose_cleans_up(client: Client) -> None:
    async def slow(i: int) -> int:
        await anyio.sleep(0 if i == 0 else 30)
        return i

    before = _pending_tasks()
    async for _ in client.fan_out(range(10), slow, concurrency=3):
        break
    gc.collect()
    for _ in range(20):  # the generator's finaliser runs in a task of its own
        await asyncio.sleep(0.01)
        if _pending_tasks() <= before:
            break
    assert _pending_tasks() <= before


async def test_cancelling_the_consumer_cancels_the_workers(client: Client) -> None:
    before = _pending_tasks()

    async def forever(i: int) -> int:
        await anyio.sleep(60)
        return i

    async def consume() -> None:
        async for _ in client.fan_out(range(10), forever, concurrency=3):
            pass

    with anyio.move_on_after(0.2):
        await consume()
    assert _pending_tasks() <= before


async def test_source_failure_is_raised_after_taken_items(
    fake: FakeCloud66, client: Client
) -> None:
    fake.inject_fault("GET", "/stacks", "status", status=404, body={"error": "not_found"})

    async def ident(stack: Stack) -> str:
        return stack.uid

    got: list[str] = []
    with pytest.raises(NotFoundError):
        async for outcome in client.fan_out(client.stacks.list(start_page=2), ident):
            got.append(outcome.unwrap())
    assert got == []


async def test_bad_arguments(client: Client) -> None:
    async def ident(i: int) -> int:
        return i

    with pytest.raises(ConfigError):
        client.fan_out(range(3), ident, concurrency=0)  # raised at the call, nothing started
    with pytest.raises(ConfigError):
        client.fan_out(3, ident)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        client.fan_out(range(3), "ident")  # type: ignore[arg-type]
    # One uid where a list was meant: never a request per character.
    for text in ("5999b763474b0eafa5fafb64bff0ba80", b"abc"):
        with pytest.raises(ConfigError, match="list of one"):
            client.fan_out(text, ident)
