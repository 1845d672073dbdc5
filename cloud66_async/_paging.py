"""Lazy auto-pagination: :class:`Paginator` and :class:`Page`.

A paginator sends nothing until it is iterated. It asks for ``page=N``, follows
``pagination.next`` and stops when it is ``null``; ``count`` is reported but never trusted on its
own. An error raised while fetching a page carries that page's number in ``err.page``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Generic, TypeVar

import attrs

from ._exceptions import Cloud66Error, ConfigError

__all__ = ["Page", "Paginator"]

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
        if max_items is not None and (isinstance(max_items, bool) or max_items < 0):
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
        ``max_items`` no page beyond the items asked for is fetched.

        >>> async for server in client.servers.list(uid).with_prefetch(4):   # doctest: +SKIP
        ...     ...
        """
        if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
            raise ConfigError(f"prefetch must be a non-negative integer, got {pages!r}")
        return self._derive(self._fetch, pages)

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Yield whole pages, in order; the last one is cut to ``max_items`` when set."""
        remaining = self.max_items
        if remaining == 0:
            return
        ahead: dict[int, asyncio.Task[Page[T]]] = {}
        try:
            page = await self._get(self.start_page)
            while True:
                if self.prefetch:
                    self._schedule(page, ahead, remaining)
                if remaining is not None:
                    if len(page.items) >= remaining:
                        yield attrs.evolve(page, items=page.items[:remaining])
                        return
                    remaining -= len(page.items)
                yield page
                # The server's ``next`` decides (parsing checked that it moves forward).
                number = page.next
                if number is None:
                    return
                task = ahead.pop(number, None)
                page = await task if task is not None else await self._get(number)
        finally:
            for task in ahead.values():
                task.cancel()
            if ahead:
                await asyncio.gather(*ahead.values(), return_exceptions=True)

    def _schedule(
        self, page: Page[T], ahead: dict[int, asyncio.Task[Page[T]]], remaining: int | None
    ) -> None:
        """Start fetching the pages after ``page`` that its ``pages`` count announces."""
        if page.next != page.number + 1 or not page.pages:
            return  # no numbering to predict from: stay sequential
        last = min(page.pages, page.number + self.prefetch)
        if remaining is not None and page.items:
            # Items still wanted after this page, in pages of this page's size.
            wanted = remaining - len(page.items)
            last = min(last, page.number + max(0, -(-wanted // len(page.items))))
        for number in range(page.next, last + 1):
            if number not in ahead:
                ahead[number] = asyncio.ensure_future(self._get(number))

    async def __aiter__(self) -> AsyncGenerator[T, None]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[T]:
        """Fetch every page and return all the items in one list."""
        out: list[T] = []
        async for page in self.pages():
            out.extend(page.items)
        return out

    async def first(self) -> T | None:
        """Return the first item (one request), or ``None`` when the list is empty."""
        page = await self._get(self.start_page)
        return page.items[0] if page.items else None
