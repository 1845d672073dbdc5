"""An asyncio event loop on virtual time, for the state machines and the pipeline.

``loop.time()`` starts at 0 and moves only when the loop would otherwise sleep: then it jumps to
the next timer at once. So ``anyio.sleep(3600)`` takes microseconds, every timeout (anyio's
``move_on_after``, asyncio's ``call_later``) follows the same clock, and a test is deterministic:
no interleaving depends on how busy the machine is. Real I/O still works (the selector is polled
without blocking), but tests on this loop use :class:`cloud66_async.MockTransport` instead of
sockets. A loop with nothing to run, no timer and no I/O is deadlocked: it raises instead of
hanging.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["Deadlock", "VirtualLoop", "run"]

T = TypeVar("T")


class Deadlock(RuntimeError):
    """The loop has nothing to run and nothing to wait for."""


class _Selector(selectors.BaseSelector):
    def __init__(self, loop: VirtualLoop) -> None:
        self._loop = loop
        self._real = selectors.DefaultSelector()
        self._idle = 0

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready:
            self._idle = 0
            return ready
        if timeout == 0:
            # Runnable callbacks, and the clock stands still: fine, unless it never ends (a
            # wait of 0 s retried for ever spins here).
            self._idle += 1
            if self._idle > 100_000:
                raise Deadlock("the event loop spins without the clock moving")
            return ready
        self._idle = 0
        if timeout is None:
            raise Deadlock("the event loop has nothing to run and no timer: a lost wakeup")
        before = self._loop.time()
        self._loop.advance(timeout)
        if self._loop.time() == before:
            raise Deadlock(f"a wait of {timeout!r}s is too short to move the clock: a spin")
        return ready

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Any:
        return self._real.get_map()


class VirtualLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose clock is virtual (see the module docstring)."""

    def __init__(self) -> None:
        self._now = 0.0
        super().__init__(selector=_Selector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(0.0, seconds)

    def run_for(self, seconds: float) -> None:
        """Run everything due in the next ``seconds`` of virtual time."""
        self.run_until_complete(asyncio.sleep(seconds))

    def settle(self) -> None:
        """Run what is ready now, without moving the clock (a few passes of the loop)."""
        for _ in range(6):
            self.run_until_complete(asyncio.sleep(0))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end on a fresh virtual loop."""
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
