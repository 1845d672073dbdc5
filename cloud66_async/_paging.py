"""Lazy auto-pagination: :class:`Paginator` and :class:`Page`.

A paginator sends nothing until it is iterated. It asks for ``page=N``, follows
``pagination.next`` and stops when it is ``null``; ``count`` is reported but never trusted on its
own. An error raised while fetching a page carries that page's number in ``err.page``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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

        return Paginator(
            mapped,
            max_items=self.max_items,
            start_page=self.start_page,
            description=self._description,
        )

    async def _get(self, number: int) -> Page[T]:
        try:
            return await self._fetch(number)
        except Cloud66Error as exc:
            if exc.page is None:
                exc.page = number
            raise

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield whole pages, in order; the last one is cut to ``max_items`` when set."""
        remaining = self.max_items
        if remaining == 0:
            return
        number: int | None = self.start_page
        seen: set[int] = set()
        while number is not None:
            if number in seen:
                # A server that points back at a page already read would loop forever.
                raise Cloud66Error(f"pagination loops back to page {number}")
            seen.add(number)
            page = await self._get(number)
            if remaining is not None:
                if len(page.items) >= remaining:
                    yield attrs.evolve(page, items=page.items[:remaining])
                    return
                remaining -= len(page.items)
            yield page
            number = page.next

    async def __aiter__(self) -> AsyncIterator[T]:
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
