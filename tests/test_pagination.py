"""Auto-pagination against FakeCloud66: sizes 0, 1, 30, 31 and 1,000; max_items; start_page;
errors naming their page."""

from __future__ import annotations

import anyio
import pytest

from cloud66_async import AuthenticationError, Client, ConfigError, NotFoundError, Paginator
from cloud66_async.models import Stack
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("n", [0, 1, 30, 31, 1000])
async def test_every_stack_exactly_once(n: int) -> None:
    async with (
        FakeCloud66(stacks=n, servers_per_stack=0) as fake,
        fake.client(rate_limit=None) as client,
    ):
        paginator = client.stacks.list()
        assert fake.request_log == []  # nothing is sent before iteration
        uids = [stack.uid async for stack in paginator]
        assert uids == fake.stack_uids
        assert len(uids) == n
        pages_asked = [int(r.query.get("page", "1")) for r in fake.requests("GET")]
        expected_pages = max(1, -(-n // 30))
        assert pages_asked == list(range(1, expected_pages + 1))


async def test_pages_carry_numbers_headers_and_request_ids(client: Client) -> None:
    pages = [page async for page in client.stacks.list().pages()]
    assert [p.number for p in pages] == [1, 2, 3]
    assert pages[0].pages == 3 and pages[0].next == 2 and pages[-1].next is None
    assert pages[0].total == sum(len(p.items) for p in pages)
    assert all(p.request_id for p in pages)
    assert all("X-RateLimit-Remaining" in p.headers for p in pages)


async def test_collect_first_max_items_start_page(fake: FakeCloud66, client: Client) -> None:
    everything = await client.stacks.list().collect()
    assert [s.uid for s in everything] == fake.stack_uids
    fake.clear_log()
    first = await client.stacks.list().first()
    assert isinstance(first, Stack) and first.uid == fake.stack_uids[0]
    assert len(fake.request_log) == 1
    fake.clear_log()
    some = await client.stacks.list(max_items=35).collect()
    assert [s.uid for s in some] == fake.stack_uids[:35]
    assert len(fake.request_log) == 2  # page 3 is never fetched
    rest = await client.stacks.list(start_page=3).collect()
    assert [s.uid for s in rest] == fake.stack_uids[60:]
    assert await client.stacks.list(max_items=0).collect() == []


async def test_first_of_empty_list_is_none() -> None:
    async with FakeCloud66(stacks=0) as fake, fake.client() as client:
        assert await client.stacks.list().first() is None


@pytest.mark.parametrize("kwargs", [{"max_items": -1}, {"start_page": 0}, {"start_page": "2"}])
def test_bad_paging_arguments(kwargs: dict[str, object]) -> None:
    client = Client("t", base_url="http://127.0.0.1:9/api/3")
    with pytest.raises(ConfigError):
        client.stacks.list(**kwargs)  # type: ignore[arg-type]


async def test_error_mid_iteration_names_the_page_and_resumes(
    fake: FakeCloud66, client: Client
) -> None:
    seen: list[str] = []
    # The fault is armed after page 1 was read, so it hits page 2.
    paginator = client.stacks.list()
    pages = paginator.pages()
    first = await anext(pages)
    seen += [s.uid for s in first.items]
    fake.inject_fault("GET", "/stacks", "status", status=401, body={"error": "unauthenticated"})
    with pytest.raises(AuthenticationError) as info:
        await anext(pages)
    assert info.value.page == 2
    assert "page 2" in str(info.value)
    await pages.aclose()
    rest = await client.stacks.list(start_page=info.value.page).collect()
    assert seen + [s.uid for s in rest] == fake.stack_uids


async def test_404_for_a_page(fake: FakeCloud66, client: Client) -> None:
    fake.inject_fault("GET", "/stacks", "status", status=404, body={"error": "not_found"})
    with pytest.raises(NotFoundError) as info:
        await client.stacks.list(start_page=2).collect()
    assert info.value.page == 2


def test_paginator_is_reusable_and_lazy() -> None:
    client = Client("t", base_url="http://127.0.0.1:9/api/3")
    p = client.servers.list("abc")
    assert isinstance(p, Paginator)
    assert "servers" in repr(p)


async def test_prefetch_keeps_order_and_fetches_ahead(fake: FakeCloud66, client: Client) -> None:
    pages = client.stacks.list().with_prefetch(2).pages()
    first = await anext(pages)
    assert first.number == 1
    for _ in range(50):  # let the prefetch tasks reach the fake
        if len(fake.request_log) >= 3:
            break
        await anyio.sleep(0.01)
    assert sorted(int(r.query["page"]) for r in fake.request_log) == [1, 2, 3]
    rest = [p async for p in pages]
    assert [p.number for p in rest] == [2, 3]
    uids = [s.uid for p in [first, *rest] for s in p.items]
    assert uids == fake.stack_uids


async def test_prefetch_respects_max_items(fake: FakeCloud66, client: Client) -> None:
    got = await client.stacks.list(max_items=31).with_prefetch(5).collect()
    assert [s.uid for s in got] == fake.stack_uids[:31]
    assert sorted(int(r.query["page"]) for r in fake.request_log) == [1, 2]


async def test_prefetch_break_leaves_no_task(fake: FakeCloud66, client: Client) -> None:
    import asyncio

    fake.inject_fault("GET", "/stacks", "latency", delay=0.5, times=None)

    def prefetching() -> list[asyncio.Task[object]]:
        # anyio names a task group's tasks after their function; the feed's host runs _host.
        return [
            t
            for t in asyncio.all_tasks()
            if not t.done()
            and (
                "Paginator" in t.get_name()
                or t.get_coro().__qualname__ in ("_host", "Paginator._fetch_ahead")  # type: ignore[union-attr]
            )
        ]

    with anyio.fail_after(10):
        gen = client.stacks.list().with_prefetch(2).pages()
        await anext(gen)
        assert prefetching()  # pages 2 and 3 are on their way
        await gen.aclose()
    fake.clear_faults()
    assert prefetching() == []


async def test_prefetch_error_names_its_page(fake: FakeCloud66, client: Client) -> None:
    first = await client.stacks.list().first()
    assert first is not None
    fake.clear_log()
    pages = client.stacks.list().with_prefetch(2).pages()
    await anext(pages)
    fake.inject_fault("GET", "/stacks", "status", status=404, body={"error": "not_found"}, times=5)
    with pytest.raises(NotFoundError) as info:
        async for _ in pages:
            pass
    assert info.value.page in (2, 3)


def test_bad_prefetch() -> None:
    client = Client("t", base_url="http://127.0.0.1:9/api/3")
    with pytest.raises(ConfigError):
        client.stacks.list().with_prefetch(-1)


async def test_first_with_max_items_zero_sends_nothing(fake: FakeCloud66, client: Client) -> None:
    """The old first() fetched page 1 and returned its first item even with max_items=0."""
    assert await client.stacks.list(max_items=0).first() is None
    assert await client.stacks.list(max_items=0).collect() == []
    assert fake.request_log == []


async def test_first_of_a_filtered_list_reads_on_until_an_item_is_kept(
    fake: FakeCloud66, client: Client
) -> None:
    last = fake.stack_uids[-1]  # on page 3 of the fake's 75 stacks
    kept = client.stacks.list().filter(lambda s: s.uid == last)
    found = await kept.first()
    assert found is not None and found.uid == last
    assert [r.query["page"] for r in fake.requests("GET", "/stacks")] == ["1", "2", "3"]
