"""Bulk work: run one coroutine per item with bounded concurrency, yield outcomes as they end.

A fixed pool of ``concurrency`` workers pulls items from the source (an iterable or an async
iterable, a Paginator included), so pages are fetched only as fast as work is done, and a slow
consumer holds the workers back instead of piling up results. Measured on loopback, a fixed pool
beats one task per item behind a semaphore. The workers are plain asyncio tasks (aiohttp runs on
asyncio only) so that leaving the ``async for`` early, which closes the generator possibly from
another task, can still cancel them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
)
from typing import Generic, TypeVar

import attrs

from ._exceptions import ConfigError

__all__ = ["Outcome", "fan_out"]

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")


@attrs.frozen
class Outcome(Generic[I, R]):
    """The result of one item of :meth:`Client.fan_out`: its ``value`` or its ``error``."""

    item: I
    value: R | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """Whether the item's work succeeded."""
        return self.error is None

    def unwrap(self) -> R:
        """Return the value, or raise the item's error."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class _Done:
    """A worker's last message."""

    def __init__(self, source_error: BaseException | None = None) -> None:
        self.source_error = source_error


async def _items(items: Iterable[I] | AsyncIterable[I]) -> AsyncGenerator[I, None]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


def check_arguments(items: object, fn: object, concurrency: object) -> None:
    """Reject bad arguments at the call, before any work starts."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    if not callable(fn):
        raise ConfigError("fn must be a callable returning an awaitable")
    if not isinstance(items, (Iterable, AsyncIterable)):
        raise ConfigError("items must be an iterable or an async iterable")


async def fan_out(
    items: Iterable[I] | AsyncIterable[I],
    fn: Callable[[I], Awaitable[R]],
    *,
    concurrency: int,
) -> AsyncIterator[Outcome[I, R]]:
    """Run ``fn`` over ``items`` with ``concurrency`` workers; yield each :class:`Outcome`.

    An exception from ``fn`` becomes that item's ``error`` and stops nothing else. An exception
    from the item source itself (a page that cannot be fetched) is raised after the outcomes of
    the items already taken. Closing the generator early cancels the work still running.
    """
    check_arguments(items, fn, concurrency)
    source = _items(items)
    take = asyncio.Lock()
    results: asyncio.Queue[Outcome[I, R] | _Done] = asyncio.Queue(maxsize=concurrency)
    exhausted = False

    async def worker() -> None:
        nonlocal exhausted
        source_error: BaseException | None = None
        try:
            while True:
                async with take:
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
                try:
                    value = await fn(item)
                except Exception as exc:
                    await results.put(Outcome(item, None, exc))
                else:
                    await results.put(Outcome(item, value, None))
        finally:
            # put_nowait would fail on a full queue; this runs in the worker, which may wait.
            if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                await results.put(_Done(source_error))

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    running = len(tasks)
    source_failure: BaseException | None = None
    try:
        while running:
            message = await results.get()
            if isinstance(message, _Done):
                running -= 1
                if message.source_error is not None and source_failure is None:
                    source_failure = message.source_error
                continue
            yield message
        if source_failure is not None:
            raise source_failure
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await source.aclose()
