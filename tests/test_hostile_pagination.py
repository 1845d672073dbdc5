"""Pagination that never ends (issue 14, item 2), against loopback servers that lie about it.

The old paginator compared ``next`` with the server's ``current``, not with the page it asked
for: ``current=0, next=1`` on every page fetched page 1 thousands of times; ``next=n+1`` for
ever with ``pages=3`` announced, and empty pages that still announce ``next``, ran unbounded
(an item loop could not even break out of the empty-page case). Every test here is bounded in
requests and seconds, and every hostile list ends with a :class:`DecodeError` naming the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from _scripted import Reply, ScriptedServer, Seen, stack
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cloud66_async import Client, DecodeError, Paginator
from cloud66_async._decode import Decoder
from cloud66_async._paging import EMPTY_RUN, GROWTH, PAGES_SLACK
from cloud66_async._sansio import parse_page
from cloud66_async.models import Stack

pytestmark = pytest.mark.anyio

SECONDS = 5

Envelope = Callable[[int], dict[str, Any]]


def envelope(
    items: list[dict[str, Any]],
    *,
    current: int | None,
    next: int | None,
    pages: int | None = None,
    count: int | None = None,
) -> dict[str, Any]:
    pagination: dict[str, Any] = {"current": current, "next": next, "per_page": 30}
    if pages is not None:
        pagination["pages"] = pages
    if count is not None:
        pagination["count"] = count
    return {"response": items, "pagination": pagination}


def items_of(page: int, n: int = 2) -> list[dict[str, Any]]:
    return [stack(f"p{page}-{i}") for i in range(n)]


class Lister:
    """A loopback server whose /stacks answers ``answer(page)``; counts the pages asked for."""

    def __init__(self, answer: Envelope) -> None:
        self.answer = answer
        self.server = ScriptedServer(self._reply)

    def _reply(self, seen: Seen) -> Reply:
        return Reply(body=self.answer(int(seen.query.get("page", "1"))))

    @property
    def asked(self) -> list[int]:
        return [int(s.query.get("page", "1")) for s in self.server.seen]


class serve:  # used like a function: `async with serve(answer) as (lister, client)`
    """A lying server (``answer(page) -> body``) and a client of it."""

    def __init__(self, answer: Envelope) -> None:
        self.lister = Lister(answer)

    async def __aenter__(self) -> tuple[Lister, Client]:
        await self.lister.server.__aenter__()
        self.client = Client(
            "t", base_url=self.lister.server.base_url, rate_limit=None, max_concurrency=16
        )
        return self.lister, self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        await self.lister.server.__aexit__(*exc)


async def drain(paginator: Paginator[Any], how: str) -> list[Any]:
    """Read a paginator the way a user would: items, pages, collect() or first()."""
    with anyio.fail_after(SECONDS):
        if how == "items":
            return [item async for item in paginator]
        if how == "pages":
            return [page async for page in paginator.pages()]
        if how == "first":
            return [await paginator.first()]
        return await paginator.collect()


HOW = ["items", "pages", "collect"]


# -- a page other than the one asked for ------------------------------------------------------


@pytest.mark.parametrize("how", [*HOW, "first"])
@pytest.mark.parametrize("prefetch", [0, 4])
async def test_current_zero_next_one_on_every_page_fails_at_once(how: str, prefetch: int) -> None:
    """Old paginator: page 1 fetched 3,001 times (90,030 duplicate items)."""
    answer = lambda n: envelope(items_of(1, 30), current=0, next=1, pages=5)  # noqa: E731
    async with serve(answer) as (lister, client):
        paginator = client.stacks.list().with_prefetch(prefetch)
        with pytest.raises(DecodeError) as info:
            await drain(paginator, how)
    assert lister.asked == [1]
    assert info.value.page == 1
    assert info.value.path == "pagination.current"
    assert "page 1 was asked for" in str(info.value)
    assert "/api/3/stacks" in str(info.value)  # names the answer it was found in


@pytest.mark.parametrize("nxt", [1, 2, 4, 10])
async def test_a_next_that_loops_back_or_skips_pages_fails_at_the_page(nxt: int) -> None:
    def answer(n: int) -> dict[str, Any]:
        return envelope(items_of(n), current=n, next=2 if n == 1 else nxt, pages=20)

    async with serve(answer) as (lister, client):
        with pytest.raises(DecodeError) as info:
            await drain(client.stacks.list(), "items")
    assert lister.asked == [1, 2]  # nothing is skipped silently, nothing fetched twice
    assert info.value.page == 2
    assert info.value.path == "pagination.next"


# -- far past the announced size ----------------------------------------------------------------


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("prefetch", [0, 1, 4])
async def test_next_for_ever_with_three_pages_announced_stops_at_pages_plus_slack(
    how: str, prefetch: int
) -> None:
    def answer(n: int) -> dict[str, Any]:
        return envelope(items_of(n), current=n, next=n + 1, pages=3, count=6)

    async with serve(answer) as (lister, client):
        with pytest.raises(DecodeError) as info:
            await drain(client.stacks.list().with_prefetch(prefetch), how)
    limit = 3 + PAGES_SLACK
    # Pages fetched ahead never go past the bound either.
    assert sorted(lister.asked) == list(range(1, limit + 1))
    assert info.value.page == limit
    assert "runaway pagination" in str(info.value)
    assert "3 pages" in str(info.value)


async def test_a_runaway_behind_a_filter_still_ends() -> None:
    """A filter that keeps nothing yields no item: the bounds see the server's pages."""

    def answer(n: int) -> dict[str, Any]:
        return envelope(items_of(n), current=n, next=n + 1, pages=3)

    async with serve(answer) as (lister, client):
        nothing = client.stacks.list().filter(lambda s: False)
        with pytest.raises(DecodeError):
            await drain(nothing, "items")
        with pytest.raises(DecodeError):
            await drain(nothing.map(lambda s: s.uid), "first")
    assert len(lister.asked) == 2 * (3 + PAGES_SLACK)


@pytest.mark.parametrize("prefetch", [0, 3])
async def test_a_server_counting_its_pages_up_for_ever_is_stopped(prefetch: int) -> None:
    """``pages`` always five more than the page: the list may grow, but not without end."""

    def answer(n: int) -> dict[str, Any]:
        return envelope(items_of(n), current=n, next=n + 1, pages=n + 5)

    async with serve(answer) as (lister, client):
        with pytest.raises(DecodeError) as info:
            await drain(client.stacks.list().with_prefetch(prefetch), "items")
    limit = GROWTH * 6 + PAGES_SLACK
    assert sorted(lister.asked) == list(range(1, limit + 1))
    assert info.value.page == limit


async def test_count_and_per_page_announce_the_size_when_pages_is_missing() -> None:
    def answer(n: int) -> dict[str, Any]:
        return envelope(items_of(n, 30), current=n, next=n + 1, count=61)  # 3 pages of 30

    async with serve(answer) as (lister, client):
        with pytest.raises(DecodeError):
            await drain(client.stacks.list(), "collect")
    assert lister.asked == list(range(1, 3 + PAGES_SLACK + 1))


# -- empty pages that announce a next one -------------------------------------------------------


@pytest.mark.parametrize("how", [*HOW, "first"])
@pytest.mark.parametrize("pages", [None, 1000])
async def test_empty_pages_announcing_next_end_after_a_few(how: str, pages: int | None) -> None:
    """Old paginator: an item loop spun for ever without yielding (so it could not break)."""
    answer = lambda n: envelope([], current=n, next=n + 1, pages=pages)  # noqa: E731
    async with serve(answer) as (lister, client):
        with pytest.raises(DecodeError) as info:
            await drain(client.stacks.list(), how)
    assert lister.asked == list(range(1, EMPTY_RUN + 1))
    assert info.value.page == EMPTY_RUN
    assert "empty pages in a row" in str(info.value)


@pytest.mark.parametrize("prefetch", [2, 8])
async def test_empty_pages_with_prefetch_cost_at_most_the_prefetch_depth_more(
    prefetch: int,
) -> None:
    answer = lambda n: envelope([], current=n, next=n + 1, pages=1000)  # noqa: E731
    async with serve(answer) as (lister, client):
        with pytest.raises(DecodeError):
            await drain(client.stacks.list().with_prefetch(prefetch), "items")
        await anyio.sleep(0.05)  # anything still on its way would show up in the log
    assert len(lister.asked) <= EMPTY_RUN + prefetch
    assert len(set(lister.asked)) == len(lister.asked)


async def test_empty_pages_between_full_ones_are_read_through() -> None:
    """Empty pages are not an error in themselves: only a run of them that never ends."""
    full = {1, 4, 7}

    def answer(n: int) -> dict[str, Any]:
        items = items_of(n) if n in full else []
        return envelope(items, current=n, next=n + 1 if n < 7 else None, pages=7)

    async with serve(answer) as (lister, client):
        got = await drain(client.stacks.list(), "collect")
    assert [s.uid for s in got] == [f"p{n}-{i}" for n in sorted(full) for i in range(2)]
    assert lister.asked == list(range(1, 8))


# -- a list that grows while it is read ---------------------------------------------------------


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("prefetch", [0, 2])
async def test_a_list_that_grows_while_read_is_read_to_its_end(how: str, prefetch: int) -> None:
    """Announced 3 pages; each page read adds a page, up to 6: no false alarm."""
    sizes = {1: 3, 2: 4, 3: 5, 4: 6, 5: 6, 6: 6}

    def answer(n: int) -> dict[str, Any]:
        pages = sizes[n]
        return envelope(
            items_of(n), current=n, next=n + 1 if n < pages else None, pages=pages, count=2 * pages
        )

    async with serve(answer) as (lister, client):
        got = await drain(client.stacks.list().with_prefetch(prefetch), how)
    assert sorted(lister.asked) == [1, 2, 3, 4, 5, 6]
    if how == "pages":
        assert [p.number for p in got] == [1, 2, 3, 4, 5, 6]
    else:
        assert [s.uid for s in got] == [f"p{n}-{i}" for n in range(1, 7) for i in range(2)]


async def test_a_page_whose_own_figure_lags_is_followed_within_the_slack() -> None:
    """The last page says ``pages=3`` but links one more page that does exist."""

    def answer(n: int) -> dict[str, Any]:
        return envelope(items_of(n), current=n, next=n + 1 if n < 4 else None, pages=3)

    async with serve(answer) as (lister, client):
        got = await drain(client.stacks.list(), "collect")
    assert len(got) == 8 and lister.asked == [1, 2, 3, 4]


# -- both decode paths apply the same checks ----------------------------------------------------

figures = st.one_of(st.none(), st.integers(-3, 12))
as_text = st.booleans()  # a figure written as a numeric string sends the body down the careful path


@settings(max_examples=300, deadline=None)
@given(
    requested=st.integers(1, 10),
    current=figures,
    nxt=figures,
    pages=figures,
    count=figures,
    text=as_text,
    naive=st.booleans(),
)
@example(requested=1, current=0, nxt=1, pages=3, count=None, text=False, naive=False)
@example(requested=4, current=4, nxt=5, pages=3, count=None, text=True, naive=True)
def test_fast_and_careful_paths_check_the_envelope_alike(
    requested: int,
    current: int | None,
    nxt: int | None,
    pages: int | None,
    count: int | None,
    text: bool,
    naive: bool,
) -> None:
    """The msgspec path and the cattrs path give the same page or the same error.

    ``text`` writes the figures as strings (msgspec declines them), ``naive`` gives an item a
    timestamp msgspec cannot keep in UTC: either sends the page down the careful path.
    """
    pagination: dict[str, Any] = {}
    texted = False
    for key, value in (("current", current), ("next", nxt), ("pages", pages), ("count", count)):
        if value is not None:
            texted = texted or (text and value >= 0)
            pagination[key] = str(value) if text and value >= 0 else value
    item = stack("a", created_at="2014-08-14" if naive else "2014-08-14T00:00:00Z")
    body = json.dumps({"response": [item], "pagination": pagination}).encode()
    decoder = Decoder()

    def outcome(fast: bool) -> tuple[str, Any]:
        try:
            if fast:
                info = decoder.fast.page(body, Stack, requested=requested)
                if info is None:
                    return ("declined", None)
            else:
                raw = decoder.json(body, method="GET", url="u", request_id="r")
                info = parse_page(raw, requested=requested, url="u")
                info = type(info)(
                    decoder.converter.structure_list(info.items, Stack),
                    info.current,
                    info.next,
                    info.pages,
                    info.total,
                    info.per_page,
                )
        except DecodeError as exc:
            return ("error", exc.path)
        return ("page", (info.current, info.next, info.pages, info.total, info.items))

    fast, careful = outcome(True), outcome(False)
    if fast[0] != "declined":
        assert fast == careful
    if texted or naive:
        assert fast[0] in ("declined", "error")
    # And through the Decoder, whichever path it takes.
    through: tuple[str, Any]
    try:
        info = decoder.page(body, Stack, requested=requested, method="GET", url="u", request_id="r")
    except DecodeError as exc:
        through = ("error", exc.path)
    else:
        through = ("page", (info.current, info.next, info.pages, info.total, info.items))
    assert through == careful
