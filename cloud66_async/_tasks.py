"""Work running alongside the caller: the one concurrency style of paging, prefetch and fan_out.

Background work (pages fetched ahead, fan_out's workers) runs in an anyio task group, and the
caller reads its results from a :class:`Feed`, an async iterator over a memory object stream.
The task group is hosted by a task of its own rather than by an async generator, because a
generator must never be suspended inside a task group (PEP 789): the consumer's loop body would
run inside the group's cancel scope, and a generator left by ``break`` is closed later by the
event loop from another task, which cannot exit that scope. So however the consumer stops --
the end of the results, an error, ``break`` (the feed is dropped), ``aclose()`` or
``contextlib.aclosing``, a cancellation -- the host task is cancelled, its task group cancels
every request still running, and :meth:`Feed.aclose` returns once they have all unwound.

Consumers inside the SDK always close what they open with ``aclosing``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio

from ._loop import running_loop
from ._streams import OutcomeBase, Stream

if TYPE_CHECKING:
    # Types only: anyio loads its streams and synchronisation modules (~15 ms) when the first
    # stream is made (anyio.create_memory_object_stream), not when the SDK is imported.
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = ["Feed", "OutcomeBase", "Send", "Stream"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
I = TypeVar("I")  # noqa: E741 - the item type of fan_out
R = TypeVar("R")

Send = Callable[[T], Awaitable[None]]


class _Failure:
    """The producer's exception, delivered after the items it sent before failing."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def _host(
    produce: Callable[[Send[Any]], Awaitable[None]],
    send: MemoryObjectSendStream[Any],
) -> None:
    """Run ``produce`` (which opens its own task group); forward its failure, then close."""
    with send:
        try:
            await produce(send.send)
        except anyio.get_cancelled_exc_class():
            raise
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return  # the consumer left: nobody to tell
        except BaseException as exc:
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                await send.send(_Failure(exc))


class Feed(Generic[T]):
    """The consumer's side: items ``produce`` sends, in the order it sends them.

    ``produce(send)`` starts when the first item is asked for. ``buffer`` is how many items may
    wait unread (0: ``send`` returns only once the consumer has taken the item), which is what
    holds the producer back when the consumer is slow. An exception raised by ``produce`` is
    raised to the consumer after the items sent before it.
    """

    def __init__(self, produce: Callable[[Send[T]], Awaitable[None]], *, buffer: int = 0) -> None:
        self._produce = produce
        self._buffer = buffer
        self._task: asyncio.Task[None] | None = None
        self._send: MemoryObjectSendStream[Any] | None = None
        self._receive: MemoryObjectReceiveStream[Any] | None = None
        self._closed = False

    def __aiter__(self) -> Feed[T]:
        return self

    async def __anext__(self) -> T:
        receive = self._receive
        if receive is None:
            if self._closed:
                raise StopAsyncIteration
            receive = self._start()
        try:
            message = await receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            await self.aclose()
            raise StopAsyncIteration from None
        except BaseException:
            # Cancelled while waiting: stop the work before the cancellation goes on.
            await self.aclose()
            raise
        if type(message) is _Failure:
            await self.aclose()
            raise message.error
        item: T = message
        return item

    def _start(self) -> MemoryObjectReceiveStream[Any]:
        loop = running_loop()
        send, receive = anyio.create_memory_object_stream[Any](self._buffer)
        self._send, self._receive = send, receive
        # The host gets the send end and the producer, never the feed: dropping the feed is
        # what tells it to stop (see __del__).
        self._task = loop.create_task(_host(self._produce, send))
        return receive

    async def aclose(self) -> None:
        """Stop the background work and wait until every task it started has ended."""
        self._closed = True
        task = self._task
        self._close_streams()
        if task is not None and not task.done():
            task.cancel()
            # Shielded: a consumer closing because it was cancelled still waits for the
            # requests it started to unwind, so none is left running.
            with anyio.CancelScope(shield=True):
                await asyncio.wait({task})
        self._task = None

    def _close_streams(self) -> None:
        for stream in (self._send, self._receive):
            if stream is not None:
                stream.close()

    def __del__(self) -> None:
        # A feed dropped without aclose() (a `break` out of `async for`): stop the work now.
        task = self._task
        if task is not None and not task.done():
            # RuntimeError: its event loop is already closed, so nothing runs any more.
            with contextlib.suppress(RuntimeError):
                task.cancel()
        self._close_streams()
