"""One ``Task.cancel()`` from outside, at every moment, ends the work: never swallowed.

That is what ``asyncio.run`` does on Ctrl-C (it cancels the main task once), and what a caller
does with ``task.cancel()``. Each scenario (a wait, a multi-action wait, a paginator, one that
prefetches) runs on virtual time against a server that never finishes and answers with throttles
and connection errors in between, so the work passes through the limiter's and the gate's waits,
the shielded clean-ups, ``_poll``'s ``move_on_after`` and the Feed's task. The test cancels it
once, either between two iterations of the event loop (the N-th, for every N over several polls),
or from inside the task's own step (a hook, the transport), as a signal handler running
mid-callback would; the task must end cancelled at once, and send nothing more.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from _virtual import VirtualLoop

from cloud66_async import (
    Client,
    Hooks,
    HTTPRequest,
    HTTPResponse,
    MockTransport,
    RateLimit,
    TransportError,
)
from cloud66_async.models import Action

# Every moment of several polls is tried (about 13 s): the slow env runs it (CI runs both).
pytestmark = pytest.mark.slow

JSON = {"Content-Type": "application/json"}
THROTTLED = HTTPResponse(
    503, {}, json.dumps({"error": "throttled", "error_description": "slow down"}).encode()
)
RUNNING = {"id": 7, "action": "restart", "started_at": "2024-01-01T00:00:00Z"}
STACK = {"uid": "s1", "name": "one", "created_at": "2014-08-14T01:46:53Z"}


class _Loop(VirtualLoop):
    """A virtual loop that cancels ``target`` once, before the ``at``-th iteration since the
    target was set (the first is the one that starts it)."""

    def __init__(self, at: int | None) -> None:
        super().__init__()
        self.at = at
        self.iterations = 0
        self.start = 0
        self.target: asyncio.Task[Any] | None = None
        self.sent: Callable[[], int] = lambda: 0
        self.cancelled_at: list[int] = []  # requests sent when it cancelled
        self.cancel_time = 0.0

    def _run_once(self) -> None:
        self.iterations += 1
        if (
            self.iterations - self.start == self.at
            and self.target is not None
            and not self.target.done()
        ):
            self.cancelled_at.append(self.sent())
            self.cancel_time = self.time()
            self.target.cancel()  # as asyncio.Runner's SIGINT handler does
        super()._run_once()  # type: ignore[misc]


def _server(transport_box: list[MockTransport]) -> Callable[[HTTPRequest], Awaitable[HTTPResponse]]:
    async def handler(request: HTTPRequest) -> HTTPResponse:
        n = len(transport_box[0].requests)
        await anyio.sleep(0.01)  # an answer takes a little (virtual) time
        if n % 5 == 0:
            return THROTTLED
        if n % 7 == 0:
            raise TransportError("connection reset", method=request.method, url=request.url)
        if "/actions/" in request.url:
            return HTTPResponse(200, JSON, json.dumps({"response": RUNNING}).encode())
        number = int(request.url.rsplit("page=", 1)[1])
        # An endless list: there is always a next page.
        item = RUNNING if "/actions?" in request.url else {**STACK, "uid": f"s{number}"}
        body = {
            "response": [item],
            "pagination": {"current": number, "next": number + 1, "per_page": 1},
        }
        return HTTPResponse(200, JSON, json.dumps(body).encode())

    return handler


async def _drain(paginator: Any) -> None:
    async for _ in paginator:
        pass


SCENARIOS: dict[str, Callable[[Client], Awaitable[object]]] = {
    "wait": lambda c: c.actions.wait(
        Action(id=7, stack_uid="s1"), poll_interval=0.05, max_poll_interval=0.2
    ),
    "wait_many": lambda c: c.actions.wait_many(
        [Action(id=7, stack_uid="s1"), Action(id=7, stack_uid="s2")],
        poll_interval=0.05,
        max_poll_interval=0.2,
    ),
    "pages": lambda c: _drain(c.stacks.list()),
    "prefetch": lambda c: _drain(c.stacks.list().with_prefetch(3)),
}

# Tasks besides the cancelled one that may be one step from sending when it is cancelled.
OTHER_TASKS = {"wait_many": 2, "prefetch": 3}


def _run(scenario: str, *, at_iteration: int | None = None, at_tick: int | None = None) -> int:
    """Cancel the scenario once; return the loop iterations it ran (when not cancelled: 8
    virtual seconds' worth). Fails unless it ends cancelled, within 50 virtual ms, with no
    request started after the cancel (one, already under way, when cancelled mid-step)."""
    random.seed(scenario)  # the poll intervals' jitter
    loop = _Loop(at_iteration)
    box: list[MockTransport] = [MockTransport(_server([]))]
    box[0] = MockTransport(_server(box))
    loop.sent = lambda: len(box[0].requests)
    ticks = 0
    cancelled_at = loop.cancelled_at

    def tick(_: object = None) -> None:
        # Runs inside the task's own step (a hook, the transport): cancel it there.
        nonlocal ticks
        ticks += 1
        task = loop.target
        if ticks == at_tick and task is not None:
            cancelled_at.append(len(box[0].requests))
            loop.cancel_time = loop.time()
            task.cancel()

    hooks = Hooks(on_request=tick, on_response=tick)
    client = Client(
        "t",
        base_url="https://api.example/api/3",
        transport=box[0],
        rate_limit=RateLimit(requests=4, per=0.5),
        hooks=hooks,
        _clock=loop.time,
    )

    async def main() -> None:
        task = asyncio.ensure_future(SCENARIOS[scenario](client))
        loop.target, loop.start = task, loop.iterations
        if at_iteration is None and at_tick is None:
            done, _ = await asyncio.wait({task}, timeout=8)
            assert not done, "the scenario never ends by itself"
            # Enough requests that the sweep meets throttles and errors (every 5th and 7th).
            assert len(box[0].requests) >= 15
            loop.cancel_time = loop.time()
            task.cancel()
        ended: list[float] = []
        task.add_done_callback(lambda _: ended.append(loop.time()))
        try:
            # Virtual time: an hour of polling takes milliseconds, and the cancel comes early.
            done, _ = await asyncio.wait({task}, timeout=3600)
            assert cancelled_at or (at_iteration is None and at_tick is None), "never cancelled"
            assert done, "the cancel was swallowed"
            # Cancelled means cancelled: not a normal return, not another error.
            assert task.cancelled(), task.exception() or task.result()
            assert ended[0] - loop.cancel_time < 0.05, "it took time to stop"
            if cancelled_at:
                # Between two loop iterations the task sends nothing more; from inside its own
                # step it still sends the request it was about to (then cancelled at once). The
                # scenario's other tasks (wait_many's per stack, the prefetches) may each send
                # the one they were about to in the same iteration.
                allowed = (1 if at_tick is not None else 0) + OTHER_TASKS.get(scenario, 0)
                assert len(box[0].requests) - cancelled_at[0] <= allowed
        finally:
            if not task.done():
                # Swallowed: count what it still sends in 5 s, then stop it for good.
                before = len(box[0].requests)
                await asyncio.sleep(5)
                after = len(box[0].requests)
                while not task.done():
                    task.cancel()
                    await asyncio.sleep(0)
                pytest.fail(f"cancel swallowed: {after - before} requests in the 5 s after it")
            # Nothing runs on once it has ended.
            sent = len(box[0].requests)
            await asyncio.sleep(5)
            assert len(box[0].requests) == sent
            await client.close()

    try:
        loop.run_until_complete(main())
        # Nothing the scenario started is left running (the Feed's task, prefetches).
        left = [t for t in asyncio.all_tasks(loop) if not t.done()]
        assert not left, left
        return loop.iterations - loop.start
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_one_external_cancel_at_any_loop_iteration_ends_the_work(scenario: str) -> None:
    # Every iteration of the loop over the first few polls, pages, throttles and errors.
    span = _run(scenario)
    for at in range(1, span):
        _run(scenario, at_iteration=at)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_one_external_cancel_from_inside_the_step_ends_the_work(scenario: str) -> None:
    for at in range(1, 60):
        _run(scenario, at_tick=at)
