"""Lazy auto-pagination: :class:`Paginator` and :class:`Page`.

A paginator sends nothing until it is iterated. It asks for ``page=N``, follows
``pagination.next`` and stops when it is ``null``; ``count`` is reported but never trusted on its
own. An error raised while fetching a page carries that page's number in ``err.page``.

Page by page, the pages are fetched in the caller's task, one at a time. With
:meth:`Paginator.with_prefetch`, the pages ahead are fetched in a task group that a
:class:`~cloud66_async._tasks.Feed` hosts, so leaving the loop in any way stops them.

A server's pagination is checked, not believed. Each page on its own is checked where it is
decoded (:func:`~cloud66_async._sansio.page_info`: the page asked for, ``next`` one further).
What needs several pages is checked here, by a :class:`_Bounds` that sees every page the
server sent, in order, before :meth:`Paginator.map` and :meth:`Paginator.filter` reshape it:
a list that runs far past the number of pages it announced, or keeps announcing a next page
after :data:`EMPTY_RUN` empty ones, ends with a :class:`DecodeError` within a few requests.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from ._exceptions import Cloud66Error, ConfigError, DecodeError
from ._streams import Stream

if TYPE_CHECKING:
    # Types only: anyio.abc loads most of anyio (~15 ms), which the first task group loads anyway
    import anyio
    from anyio.abc import TaskGroup

    from ._tasks import Send

# Every manager imports this module (its lists return a Paginator), so anyio and the task
# machinery (_tasks) are imported where pages are fetched ahead, not here: a program that reads
# its pages one after the other never loads them.

__all__ = ["EMPTY_RUN", "GROWTH", "PAGES_SLACK", "Page", "PageFetcher", "Paginator"]

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

#: How many pages past the largest ``pages`` figure announced a list may still go: the figure
#: of a list that grows while it is read lags behind by a page or so.
PAGES_SLACK: Final = 2
#: How much a list may grow while it is read: its ``pages`` figure counts up to this many times
#: the first one announced (more is a server counting up for ever, not a busy list).
GROWTH: Final = 2
#: How many empty pages in a row may still announce a next page.
EMPTY_RUN: Final = 3


class _Bounds:
    """The checks that span pages, for one pass over a list: every page the server sent goes
    through :meth:`check`, in order, before its ``next`` is followed.

    - ``next`` may not run past ``min(largest pages announced, GROWTH x first announced)``
      plus :data:`PAGES_SLACK`. A list that grows while it is read announces more pages as
      it goes, so it is read to its end; a server that announces 3 pages and answers
      ``next=n+1`` for ever is stopped after ``3 + PAGES_SLACK`` requests.
    - :data:`EMPTY_RUN` empty pages in a row that still announce a next page end the list
      with an error (an item loop would otherwise spin for ever without yielding).

    ``pages``, or else ``ceil(count / per_page)``, is the announced size; a list that announces
    neither is bounded by the empty-page rule only (``max_items`` bounds it otherwise).
    """

    __slots__ = ("empty", "first", "most")

    def __init__(self) -> None:
        # A plain class: only ever built empty, never compared, and attrs would add ~0.4 ms to
        # the first paginated list of a program compiling methods nothing here uses.
        self.first: int | None = None
        self.most: int | None = None
        self.empty = 0

    def check(self, page: Page[Any]) -> None:
        """Raise :class:`DecodeError` (naming ``page``) when its ``next`` must not be followed."""
        announced = _announced(page)
        if announced is not None:
            if self.first is None:
                self.first = announced
            self.most = announced if self.most is None else max(self.most, announced)
        if page.next is None:
            return
        self.empty = 0 if page.items else self.empty + 1
        if self.empty >= EMPTY_RUN:
            raise _runaway(
                page,
                f"{self.empty} empty pages in a row still announce a next page (page "
                f"{page.next}); the list is not read further",
            )
        limit = self.limit()
        if limit is not None and page.next > limit:
            raise _runaway(
                page,
                f"page {page.number} announces page {page.next}, past the {self.most} pages "
                f"the list announced (first {self.first}); the list is not read further",
            )

    def limit(self) -> int | None:
        """The last page number that may be fetched, when the list announced its size."""
        if self.most is None or self.first is None:
            return None
        return min(self.most, GROWTH * max(1, self.first)) + PAGES_SLACK


def _announced(page: Page[Any]) -> int | None:
    if page.pages is not None:
        return page.pages
    if page.total is not None and page.per_page:
        return -(-page.total // page.per_page)
    return None


def _runaway(page: Page[Any], text: str) -> DecodeError:
    error = DecodeError(f"runaway pagination: {text}", path="pagination.next")
    error.page = page.number
    return error


def _same(page: Page[Any]) -> Page[Any]:
    return page


def _new_event() -> anyio.Event:
    # anyio.Event is looked up here, at the first prefetch, not at import: naming it at import
    # makes anyio load its synchronisation and task modules (~15 ms) for every program.
    import anyio

    return anyio.Event()


class _Ahead(Generic[T]):
    """A page being fetched ahead: its result or its error, once ``done`` is set."""

    __slots__ = ("done", "error", "page")

    def __init__(self) -> None:  # a plain class, as _Bounds
        self.done = _new_event()
        self.page: Page[T] | None = None
        self.error: Exception | None = None


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
        if not callable(fetch):
            raise ConfigError("fetch must be an async callable taking a page number")
        if not isinstance(description, str):
            raise ConfigError(f"description must be a string, got {type(description).__name__}")
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
        ):
            raise ConfigError(f"max_items must be a non-negative integer, got {max_items!r}")
        if isinstance(start_page, bool) or not isinstance(start_page, int) or start_page < 1:
            raise ConfigError(f"start_page must be an integer >= 1, got {start_page!r}")
        # The pages as the server sent them, and what map()/filter() make of them: the checks
        # that span pages (_Bounds) see the former, the caller the latter.
        self._fetch: PageFetcher[Any] = fetch
        self._shape: Callable[[Page[Any]], Page[T]] = _same
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
        if not callable(fn):
            raise ConfigError("map() needs a callable")
        shape = self._shape

        def mapped(raw: Page[Any]) -> Page[U]:
            page = shape(raw)
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
        if not callable(keep):
            raise ConfigError("filter() needs a callable")
        shape = self._shape

        def filtered(raw: Page[Any]) -> Page[T]:
            page = shape(raw)
            return attrs.evolve(page, items=[item for item in page.items if keep(item)])

        return self._derive(filtered, self.prefetch)

    def _derive(self, shape: Callable[[Page[Any]], Page[U]], prefetch: int) -> Paginator[U]:
        """A paginator with this one's settings over the same pages, shaped by ``shape``."""
        clone: Paginator[U] = Paginator(
            self._fetch,
            max_items=self.max_items,
            start_page=self.start_page,
            description=self._description,
        )
        clone._shape = shape
        clone.prefetch = prefetch
        return clone

    async def _get(self, number: int) -> Page[Any]:
        """Fetch page ``number`` as the server sent it; an error says which page it was."""
        try:
            pending = self._fetch(number)
            if not inspect.isawaitable(pending):
                raise ConfigError(
                    f"fetch must return an awaitable page, got {type(pending).__name__}"
                )
            return await pending
        except Cloud66Error as exc:
            if exc.page is None:
                exc.page = number
            raise

    async def _page(self, number: int) -> Page[T]:
        """Fetch page ``number`` alone (its own checks only), shaped by map()/filter()."""
        return self._shape(await self._get(number))

    def with_prefetch(self, pages: int) -> Paginator[T]:
        """A paginator that fetches up to ``pages`` pages ahead of the one being read.

        Once the first page tells how many pages there are, the next ones are requested
        concurrently (within the client's ``max_concurrency``) and still yielded in order. Pages
        fetched ahead cost requests even if the loop stops early, so this is opt-in; with
        ``max_items`` no page beyond the items asked for is fetched, and never a page past the
        list's announced size. Leaving the loop (``break``, an error, a cancellation) stops the
        pages still on their way.

        >>> async for server in client.servers.list(uid).with_prefetch(4):   # doctest: +SKIP
        ...     ...
        """
        if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
            raise ConfigError(f"prefetch must be a non-negative integer, got {pages!r}")
        return self._derive(self._shape, pages)

    def pages(self) -> Stream[Page[T]]:
        """Iterate over whole pages, in order; the last one is cut to ``max_items`` when set.

        Close it when leaving early (``async with contextlib.aclosing(p.pages()) as pages:``);
        a ``break`` is cleaned up too, once the iterator is garbage-collected.
        """
        if self.prefetch:
            from ._tasks import Feed

            return Feed(self._prefetched)
        return self._sequential()

    async def _sequential(self) -> AsyncGenerator[Page[T], None]:
        """Fetch and yield one page after the other, in the caller's task (no task involved)."""
        remaining = self.max_items
        if remaining == 0:
            return
        bounds = _Bounds()
        number: int | None = self.start_page
        while number is not None:
            raw = await self._get(number)
            bounds.check(raw)
            page = self._shape(raw)
            if remaining is not None:
                if len(page.items) >= remaining:
                    yield attrs.evolve(page, items=page.items[:remaining])
                    return
                remaining -= len(page.items)
            yield page
            # The server's ``next`` decides (checked on its own when decoded, and by bounds).
            number = raw.next

    async def _prefetched(self, send: Send[Page[T]]) -> None:
        """Fetch pages ahead in a task group and send them in order (runs in a Feed's task)."""
        remaining = self.max_items
        if remaining == 0:
            return
        import anyio

        ahead: dict[int, _Ahead[Any]] = {}
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
        tg: TaskGroup,
        send: Send[Page[T]],
        ahead: dict[int, _Ahead[Any]],
        remaining: int | None,
    ) -> None:
        bounds = _Bounds()
        raw = await self._get(self.start_page)
        while True:
            bounds.check(raw)
            page = self._shape(raw)
            last = remaining is not None and len(page.items) >= remaining
            if remaining is not None:
                if last:
                    page = attrs.evolve(page, items=page.items[:remaining])
                remaining -= len(page.items)
            if last or raw.next is None:
                await send(page)
                return
            # Up to `prefetch` pages ahead of the one the consumer holds: while it still reads
            # the page before this one, one fewer; once it takes this one, all of them.
            limit = bounds.limit()
            self._schedule(tg, page, ahead, remaining, self.prefetch - 1, limit)
            await send(page)
            self._schedule(tg, page, ahead, remaining, self.prefetch, limit)
            raw = await self._take(raw.next, ahead)

    async def _take(self, number: int, ahead: dict[int, _Ahead[Any]]) -> Page[Any]:
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
        tg: TaskGroup,
        page: Page[T],
        ahead: dict[int, _Ahead[Any]],
        remaining: int | None,
        depth: int,
        limit: int | None,
    ) -> None:
        """Start fetching the pages after ``page``, up to ``depth`` of them, that its ``pages``
        count announces (and never past ``limit``, the last page the bounds allow)."""
        if page.next != page.number + 1 or not page.pages:
            return  # no numbering to predict from: stay sequential
        last = min(page.pages, page.number + depth)
        if limit is not None:
            last = min(last, limit)
        if remaining is not None and page.items:
            # Items still wanted after this page, in pages of this page's size.
            last = min(last, page.number + max(0, -(-remaining // len(page.items))))
        for number in range(page.next, last + 1):
            if number not in ahead:
                slot: _Ahead[Any] = _Ahead()
                ahead[number] = slot
                tg.start_soon(self._fetch_ahead, number, slot)

    async def _fetch_ahead(self, number: int, slot: _Ahead[Any]) -> None:
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
