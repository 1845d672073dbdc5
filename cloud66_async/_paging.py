"""Lazy auto-pagination: :class:`Paginator` and :class:`Page`.

A paginator sends nothing until it is iterated. It asks for ``page=N``, follows
``pagination.next`` and stops when it is ``null``; ``count`` is reported but never trusted on its
own. An error raised while fetching a page carries that page's number in ``err.page``.

Page by page, the pages are fetched in the caller's task, one at a time. With
:meth:`Paginator.with_prefetch`, the pages ahead are fetched in a task group that a
:class:`~cloud66_async._tasks.Feed` hosts, so leaving the loop in any way stops them. This is
also where a guard against a server that never stops paging belongs: every page passes through
:meth:`Paginator._get` and the ``next`` it announces is checked in one place.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Generic, TypeVar

import anyio
import anyio.abc
import attrs

from ._exceptions import Cloud66Error, ConfigError
from ._tasks import Feed, Send, Stream

__all__ = ["Page", "PageFetcher", "Paginator"]

T = TypeVar("T")
U = TypeVar("U")


@attrs.frozen
class Page(Generic[T]):
    """One page of a list.

    ``number`` is the page's number, ``next`` the next page's (``None`` on the last), ``pages``
    and ``total`` what the server says about the whole list (informative only), ``headers`` and
    ``request_id`` those of the answer that carried it.
    """

    items: list[T]
    number: int
    next: int | None
    pages: int | None
    total: int | None
    per_page: int | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    request_id: str | None = None


PageFetcher = Callable[[int], Awaitable[Page[T]]]


@attrs.define
class _Ahead(Generic[T]):
    """A page being fetched ahead: its result or its error, once ``done`` is set."""

    done: anyio.Event = attrs.field(factory=anyio.Event)
    page: Page[T] | None = None
    error: Exception | None = None


class Paginator(Generic[T]):
    """An async iterable over every item of a list endpoint, fetched page by page.

    >>> async for stack in client.stacks.list():          # doctest: +SKIP
    ...     print(stack.name)

    ``max_items`` stops after that many items (pages beyond are not fetched); ``start_page``
    starts elsewhere than page 1, for example to resume after an error at ``err.page``.
    Iterating twice sends the requests twice: a paginator holds no results.
    """

    def __init__(
        self,
        fetch: PageFetcher[T],
        *,
        max_items: int | None = None,
        start_page: int = 1,
        description: str = "",
    ) -> None:
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
        ):
            raise ConfigError(f"max_items must be a non-negative integer, got {max_items!r}")
        if isinstance(start_page, bool) or not isinstance(start_page, int) or start_page < 1:
            raise ConfigError(f"start_page must be an integer >= 1, got {start_page!r}")
        self._fetch = fetch
        self.prefetch = 0
        self.max_items = max_items
        self.start_page = start_page
        self._description = description

    def __repr__(self) -> str:
        return (
            f"<Paginator {self._description} start_page={self.start_page}"
            f" max_items={self.max_items}>"
        )

    def map(self, fn: Callable[[T], U]) -> Paginator[U]:
        """A paginator over the same pages whose items are passed through ``fn``."""
        fetch = self._fetch

        async def mapped(number: int) -> Page[U]:
            page = await fetch(number)
            # Built field by field: attrs.evolve cannot change the item type.
            return Page(
                items=[fn(item) for item in page.items],
                number=page.number,
                next=page.next,
                pages=page.pages,
                total=page.total,
                per_page=page.per_page,
                headers=page.headers,
                request_id=page.request_id,
            )

        return self._derive(mapped, self.prefetch)

    def filter(self, keep: Callable[[T], bool]) -> Paginator[T]:
        """A paginator over the same pages that yields only the items for which ``keep`` is true.

        ``max_items`` counts the items kept; a page may come out shorter (or empty) than the
        server's.
        """
        fetch = self._fetch

        async def filtered(number: int) -> Page[T]:
            page = await fetch(number)
            return attrs.evolve(page, items=[item for item in page.items if keep(item)])

        return self._derive(filtered, self.prefetch)

    def _derive(self, fetch: PageFetcher[U], prefetch: int) -> Paginator[U]:
        """A paginator with this one's settings over ``fetch``."""
        clone = Paginator(
            fetch,
            max_items=self.max_items,
            start_page=self.start_page,
            description=self._description,
        )
        clone.prefetch = prefetch
        return clone

    async def _get(self, number: int) -> Page[T]:
        try:
            return await self._fetch(number)
        except Cloud66Error as exc:
            if exc.page is None:
                exc.page = number
            raise

    def with_prefetch(self, pages: int) -> Paginator[T]:
        """A paginator that fetches up to ``pages`` pages ahead of the one being read.

        Once the first page tells how many pages there are, the next ones are requested
        concurrently (within the client's ``max_concurrency``) and still yielded in order. Pages
        fetched ahead cost requests even if the loop stops early, so this is opt-in; with
        ``max_items`` no page beyond the items asked for is fetched. Leaving the loop (``break``,
        an error, a cancellation) stops the pages still on their way.

        >>> async for server in client.servers.list(uid).with_prefetch(4):   # doctest: +SKIP
        ...     ...
        """
        if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
            raise ConfigError(f"prefetch must be a non-negative integer, got {pages!r}")
        return self._derive(self._fetch, pages)

    def pages(self) -> Stream[Page[T]]:
        """Iterate over whole pages, in order; the last one is cut to ``max_items`` when set.

        Close it when leaving early (``async with contextlib.aclosing(p.pages()) as pages:``);
        a ``break`` is cleaned up too, once the iterator is garbage-collected.
        """
        if self.prefetch:
            return Feed(self._prefetched)
        return self._sequential()

    async def _sequential(self) -> AsyncGenerator[Page[T], None]:
        """Fetch and yield one page after the other, in the caller's task (no task involved)."""
        remaining = self.max_items
        if remaining == 0:
            return
        number: int | None = self.start_page
        while number is not None:
            page = await self._get(number)
            if remaining is not None:
                if len(page.items) >= remaining:
                    yield attrs.evolve(page, items=page.items[:remaining])
                    return
                remaining -= len(page.items)
            yield page
            # The server's ``next`` decides (parsing checked that it moves forward).
            number = page.next

    async def _prefetched(self, send: Send[Page[T]]) -> None:
        """Fetch pages ahead in a task group and send them in order (runs in a Feed's task)."""
        remaining = self.max_items
        if remaining == 0:
            return
        ahead: dict[int, _Ahead[T]] = {}
        failure: Exception | None = None
        async with anyio.create_task_group() as tg:
            try:
                await self._feed_pages(tg, send, ahead, remaining)
            except Exception as exc:
                # Raised after the task group: inside it, anyio would wrap it in a group.
                failure = exc
            tg.cancel_scope.cancel()  # nothing fetched ahead is wanted any more
        if failure is not None:
            raise failure

    async def _feed_pages(
        self,
        tg: anyio.abc.TaskGroup,
        send: Send[Page[T]],
        ahead: dict[int, _Ahead[T]],
        remaining: int | None,
    ) -> None:
        page = await self._get(self.start_page)
        while True:
            last = remaining is not None and len(page.items) >= remaining
            if remaining is not None:
                if last:
                    page = attrs.evolve(page, items=page.items[:remaining])
                remaining -= len(page.items)
            if last or page.next is None:
                await send(page)
                return
            # Up to `prefetch` pages ahead of the one the consumer holds: while it still reads
            # the page before this one, one fewer; once it takes this one, all of them.
            self._schedule(tg, page, ahead, remaining, self.prefetch - 1)
            await send(page)
            self._schedule(tg, page, ahead, remaining, self.prefetch)
            page = await self._take(page.next, ahead)

    async def _take(self, number: int, ahead: dict[int, _Ahead[T]]) -> Page[T]:
        slot = ahead.pop(number, None)
        if slot is None:
            return await self._get(number)
        await slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.page is not None
        return slot.page

    def _schedule(
        self,
        tg: anyio.abc.TaskGroup,
        page: Page[T],
        ahead: dict[int, _Ahead[T]],
        remaining: int | None,
        depth: int,
    ) -> None:
        """Start fetching the pages after ``page``, up to ``depth`` of them, that its ``pages``
        count announces."""
        if page.next != page.number + 1 or not page.pages:
            return  # no numbering to predict from: stay sequential
        last = min(page.pages, page.number + depth)
        if remaining is not None and page.items:
            # Items still wanted after this page, in pages of this page's size.
            last = min(last, page.number + max(0, -(-remaining // len(page.items))))
        for number in range(page.next, last + 1):
            if number not in ahead:
                slot: _Ahead[T] = _Ahead()
                ahead[number] = slot
                tg.start_soon(self._fetch_ahead, number, slot)

    async def _fetch_ahead(self, number: int, slot: _Ahead[T]) -> None:
        # Kept, never raised here: a page fetched ahead that fails while nobody waits for it
        # is an error only if the consumer reaches it.
        try:
            slot.page = await self._get(number)
        except Exception as exc:
            slot.error = exc
        finally:
            slot.done.set()

    async def __aiter__(self) -> AsyncIterator[T]:
        async with contextlib.aclosing(self.pages()) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    async def collect(self) -> list[T]:
        """Fetch every page and return all the items in one list."""
        out: list[T] = []
        async with contextlib.aclosing(self.pages()) as pages:
            async for page in pages:
                out.extend(page.items)
        return out

    async def first(self) -> T | None:
        """Return the first item, or ``None`` when the list is empty (or ``max_items=0``).

        One request, unless items are filtered out (:meth:`filter`): then pages are read until
        one keeps an item. Never fetches ahead.
        """
        async with contextlib.aclosing(self._sequential()) as pages:
            async for page in pages:
                if page.items:
                    return page.items[0]
        return None
