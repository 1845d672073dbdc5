"""Bulk work: run one coroutine per item with bounded concurrency, yield outcomes as they end.

A fixed pool of ``concurrency`` workers pulls items from the source (an iterable or an async
iterable, a Paginator included), so pages are fetched only as fast as work is done, and a slow
consumer holds the workers back instead of piling up results. Measured on loopback, a fixed pool
beats one task per item behind a semaphore. The workers run in an anyio task group hosted by a
:class:`~cloud66_async._tasks.Feed`, so leaving the ``async for`` in any way (``break``,
``aclose()``, an error, a cancellation) cancels them all.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Literal, TypeAlias, TypeVar

import anyio
import attrs

from ._exceptions import ConfigError
from ._tasks import Feed, OutcomeBase, Send, Stream

__all__ = ["Failure", "Outcome", "Success", "check_arguments", "fan_out"]

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")


@attrs.frozen
class Success(OutcomeBase[I, R]):
    """An item whose work succeeded: ``value`` is what ``fn(item)`` returned."""

    item: I
    value: R
    error: None = None

    @property
    def ok(self) -> Literal[True]:
        """Whether the item's work succeeded (always, for a ``Success``)."""
        return True

    def unwrap(self) -> R:
        """Return the value."""
        return self.value


@attrs.frozen
class Failure(OutcomeBase[I, R]):
    """An item whose work raised ``error`` (any ``Exception``; it stopped nothing else)."""

    item: I
    error: BaseException
    value: None = None

    @property
    def ok(self) -> Literal[False]:
        """Whether the item's work succeeded (never, for a ``Failure``)."""
        return False

    def unwrap(self) -> R:
        """Raise the item's error."""
        raise self.error


if TYPE_CHECKING:
    Outcome: TypeAlias = Success[I, R] | Failure[I, R]
else:  # the base class of both, so that isinstance(o, Outcome) works (see _tasks)
    Outcome = OutcomeBase


#: One worker task is started per unit of concurrency, at once: 2**63 would never finish
#: starting. The client's rate limit and connection pool bound useful concurrency far lower.
MAX_CONCURRENCY = 1000


def check_arguments(items: object, fn: object, concurrency: object) -> None:
    """Reject bad arguments at the call, before any work starts."""
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise ConfigError(
            f"concurrency must be an integer from 1 to {MAX_CONCURRENCY}, got {concurrency!r}"
        )
    if not callable(fn):
        raise ConfigError("fn must be a callable returning an awaitable")
    if not isinstance(items, (Iterable, AsyncIterable)):
        raise ConfigError("items must be an iterable or an async iterable")
    if isinstance(items, (str, bytes, bytearray, memoryview)):
        # Iterable, but one stack uid passed where a list was meant would fan out over its
        # characters: one request per character, each against a stack that does not exist.
        raise ConfigError(
            f"items must be a collection of items, not a {type(items).__name__} "
            "(for one item, pass a list of one)"
        )


async def _each(items: Iterable[I] | AsyncIterable[I]) -> AsyncIterator[I]:
    """The items one by one; an async source's iterator is closed with this generator."""
    if not isinstance(items, AsyncIterable):
        for item in items:
            yield item
        return
    iterator = aiter(items)
    try:
        while True:
            try:
                item = await anext(iterator)
            except StopAsyncIteration:
                return
            yield item
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def fan_out(
    items: Iterable[I] | AsyncIterable[I],
    fn: Callable[[I], Awaitable[R]],
    *,
    concurrency: int,
) -> Stream[Outcome[I, R]]:
    """Run ``fn`` over ``items`` with ``concurrency`` workers; yield each :class:`Outcome`.

    Arguments are checked here, at the call. An exception from ``fn`` becomes that item's
    :class:`Failure` and stops nothing else. An exception from the item source itself (a page
    that cannot be fetched) is raised after the outcomes of the items already taken.
    """
    check_arguments(items, fn, concurrency)

    async def produce(send: Send[Outcome[I, R]]) -> None:
        taking = anyio.Lock()
        exhausted = False
        source_error: Exception | None = None
        async with contextlib.aclosing(_each(items)) as source:  # type: ignore[type-var]

            async def worker() -> None:
                nonlocal exhausted, source_error
                while True:
                    async with taking:
                        if exhausted:
                            return
                        try:
                            item = await anext(source)
                        except StopAsyncIteration:
                            exhausted = True
                            return
                        except Exception as exc:
                            exhausted = True
                            source_error = exc
                            return
                    outcome: Outcome[I, R]
                    try:
                        outcome = Success(item, await fn(item))
                    except Exception as exc:
                        outcome = Failure(item, exc)
                    try:
                        await send(outcome)
                    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                        return  # the consumer left

            async with anyio.create_task_group() as tg:
                for _ in range(concurrency):
                    tg.start_soon(worker)
        if source_error is not None:
            raise source_error

    return Feed(produce, buffer=concurrency)
