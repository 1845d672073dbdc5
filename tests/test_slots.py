"""The concurrency slots (:class:`~cloud66_async._throttle.Slots`): every order of requests
starting, finishing and being cancelled, a cancellation right after a slot was handed over
included, on a virtual loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from _virtual import VirtualLoop, run
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from cloud66_async._throttle import Slots


def test_a_free_slot_is_taken_without_suspending_and_refused_when_full() -> None:
    slots = Slots(2)
    assert slots.acquire_nowait() and slots.acquire_nowait()
    assert not slots.acquire_nowait()
    assert slots.borrowed_tokens == 2
    slots.release()
    assert slots.borrowed_tokens == 1 and slots.acquire_nowait()


def test_a_released_slot_goes_to_the_first_waiter_not_to_a_newcomer() -> None:
    async def main() -> list[str]:
        slots = Slots(1)
        order: list[str] = []
        assert slots.acquire_nowait()

        async def take(name: str) -> None:
            await slots.acquire()
            order.append(name)

        first = asyncio.ensure_future(take("first"))
        await asyncio.sleep(0)
        slots.release()  # handed to "first", which has not run yet
        assert not slots.acquire_nowait(), "a newcomer took the slot of a waiter"
        await first
        assert slots.borrowed_tokens == 1
        return order

    assert run(main()) == ["first"]


def test_a_wait_cancelled_after_the_handover_passes_the_slot_on() -> None:
    async def main() -> None:
        slots = Slots(1)
        assert slots.acquire_nowait()
        got: list[str] = []

        async def take(name: str) -> None:
            await slots.acquire()
            got.append(name)

        first = asyncio.ensure_future(take("first"))
        second = asyncio.ensure_future(take("second"))
        await asyncio.sleep(0)
        slots.release()  # to "first"...
        first.cancel()  # ...cancelled before it could run
        with pytest.raises(asyncio.CancelledError):
            await first
        await second
        assert got == ["second"] and slots.borrowed_tokens == 1 and slots.waiting == 0

    run(main())


@dataclass
class _Request:
    index: int
    task: asyncio.Task[None] | None = None
    state: str = "waiting"  # waiting, holding, done, cancelled
    finish: asyncio.Event = field(default_factory=asyncio.Event)
    released_by_test: bool = False


class SlotsMachine(RuleBasedStateMachine):
    """Requests share three slots, as the pipeline takes and gives them back."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = VirtualLoop()
        asyncio.set_event_loop(self.loop)
        self.slots = Slots(3)
        self.requests: list[_Request] = []
        self.granted: list[int] = []  # request indexes, in the order they got a slot

    def teardown(self) -> None:
        for request in self.requests:
            if request.task is not None and not request.task.done():
                request.task.cancel()
        self.loop.settle()
        self.loop.close()
        asyncio.set_event_loop(None)

    async def _run(self, request: _Request) -> None:
        slots = self.slots
        try:
            if not slots.acquire_nowait():  # as Requester.send takes them
                await slots.acquire()
        except asyncio.CancelledError:
            request.state = "cancelled"
            raise
        request.state = "holding"
        self.granted.append(request.index)
        try:
            await request.finish.wait()
        finally:
            request.state = "done"
            if not request.released_by_test:
                slots.release()

    def _in(self, state: str) -> list[_Request]:
        return [r for r in self.requests if r.state == state]

    @precondition(lambda self: len(self._in("waiting")) + len(self._in("holding")) < 8)
    @rule()
    def start(self) -> None:
        request = _Request(len(self.requests))
        request.task = self.loop.create_task(self._run(request))
        self.requests.append(request)
        self.loop.settle()

    @rule(data=st.data())
    def finish(self, data: st.DataObject) -> None:
        holding = self._in("holding")
        if holding:
            data.draw(st.sampled_from(holding)).finish.set()
            self.loop.settle()

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        live = self._in("waiting") + self._in("holding")
        if live:
            request = data.draw(st.sampled_from(live))
            assert request.task is not None
            request.task.cancel()
            self.loop.settle()

    @rule()
    def release_then_cancel_the_next_before_it_runs(self) -> None:
        """A holder gives its slot back and the first waiter, handed it, is cancelled before it
        could run: the slot must go on to the next waiter, not be lost."""
        holding, waiting = self._in("holding"), self._in("waiting")
        if not holding or not waiting:
            return
        holder = holding[0]
        holder.released_by_test = True
        self.slots.release()  # what the holder's finally does, done now
        holder.finish.set()
        assert waiting[0].task is not None
        waiting[0].task.cancel()
        self.loop.settle()

    @invariant()
    def never_more_than_the_slots(self) -> None:
        assert len(self._in("holding")) <= self.slots.total_tokens

    @invariant()
    def every_taken_slot_has_a_holder(self) -> None:
        self.loop.settle()
        assert self.slots.borrowed_tokens == len(self._in("holding"))

    @invariant()
    def a_free_slot_is_used(self) -> None:
        self.loop.settle()
        if len(self._in("holding")) < self.slots.total_tokens:
            assert not self._in("waiting"), "a request waits although a slot is free"

    @invariant()
    def first_come_first_served(self) -> None:
        assert self.granted == sorted(self.granted)


TestSlotsMachine = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)(SlotsMachine).TestCase
