"""Waiting on asynchronous work: stack actions (one or many) and deployments.

Every wait has a deadline, polls at intervals that grow with jitter up to a maximum, treats a
throttled or failed poll as a reason to poll again (the client's gate already holds it back), and
stops at once when cancelled.

The action ``stacks.create`` returns does not know its stack's uid (the API's answer does not
say it): a wait on it first looks the stack up by name and environment (:func:`locate`), with
the same patience as a poll, and when that fails for good raises :class:`StackLookupError`,
which says the stack exists, so that nobody creates it again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import shlex
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import anyio
import attrs

from . import _waits
from ._exceptions import (
    ActionFailedError,
    AmbiguousStackError,
    APIError,
    Cloud66Error,
    ConfigError,
    DeploymentFailedError,
    NotFoundError,
    NotImplementedByAPIError,
    PermissionDeniedError,
    ServerError,
    ServerTimeoutError,
    StackLookupError,
    StackNotFoundError,
    ThrottledError,
    TransportError,
    WaitTimeoutError,
)
from ._hooks import emit
from ._paging import Page
from .models import Action, Deployment, RedeployResult, Stack

__all__ = [
    "MAX_CANDIDATES",
    "ActionSource",
    "DeploymentSource",
    "locate",
    "wait_action",
    "wait_deployment",
    "wait_many",
]

logger = logging.getLogger("cloud66_async")

T = TypeVar("T")


class ActionSource(Protocol):
    """Where waits read stack actions from (the resource managers provide it)."""

    async def get_action(self, stack_uid: str, action_id: int) -> Action:
        """One action, with its ``stack_uid`` filled in."""
        ...

    async def action_page(self, stack_uid: str, number: int) -> Page[Action]:
        """One page of a stack's action list (newest first), ``stack_uid`` filled in."""
        ...

    async def find_stack(self, name: str, environment: str) -> Stack:
        """The one stack with that name and environment, as ``stacks.find`` finds it."""
        ...


class DeploymentSource(ActionSource, Protocol):
    """Where deployment waits read from."""

    async def newest_deployment(self, stack_uid: str) -> Deployment | None:
        """The stack's newest deployment, if any."""
        ...

    async def get_deployment(self, stack_uid: str, deployment_id: int) -> Deployment:
        """One deployment."""
        ...


#: How many stacks of the same name and environment a lookup asks about the action, newest
#: first, before it gives up telling them apart.
MAX_CANDIDATES = 5

DEFAULT_ACTION_TIMEOUT = 600.0
#: An hour between two polls: far past any useful interval; a larger one (or inf) is a mistake
#: that would leave a wait sleeping until its deadline without looking once.
MAX_POLL_INTERVAL = 3600.0
DEFAULT_DEPLOY_TIMEOUT = 3600.0
_GROWTH = 1.5


class _Ticker:
    """Poll intervals that grow by half each tick, with +-10% jitter, never past the deadline."""

    def __init__(self, first: float, largest: float, deadline: float) -> None:
        for value in (first, largest):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 < value <= MAX_POLL_INTERVAL
            ):
                raise ConfigError(
                    "poll intervals must be positive numbers of seconds, at most "
                    f"{MAX_POLL_INTERVAL:g}, got {value!r}"
                )
        self.interval = first
        self.largest = max(first, largest)
        self.deadline = deadline

    async def sleep(self) -> None:
        delay = self.interval * random.uniform(0.9, 1.1)
        remaining = self.deadline - _waits.monotonic()
        await _waits.scaled_sleep(max(0.0, min(delay, remaining)))
        self.interval = min(self.largest, self.interval * _GROWTH)

    def expired(self) -> bool:
        return _waits.monotonic() >= self.deadline


def _transient(exc: Exception) -> bool:
    """Errors after which a poll is simply tried again at the next tick."""
    if isinstance(exc, NotImplementedByAPIError):
        return False
    return isinstance(exc, (ThrottledError, TransportError, ServerError, ServerTimeoutError))


def _deadline(timeout: float | None, default: float) -> tuple[float, float]:
    value = default if timeout is None else timeout
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(value), _waits.monotonic() + value


async def _poll(fn: Callable[[], Awaitable[T]], deadline: float) -> T | None:
    """One poll, cut short at the deadline; ``None`` when it failed in a transient way."""
    remaining = deadline - _waits.monotonic()
    if remaining <= 0:
        return None
    with anyio.move_on_after(remaining):
        try:
            return await fn()
        except APIError as exc:
            if not _transient(exc):
                raise
            logger.info("poll failed (%s); polling again at the next tick", exc)
        except TransportError as exc:
            logger.info("poll failed (%s); polling again at the next tick", exc)
    return None


def _check_action(action: Action) -> None:
    """Check that ``action`` can be waited on: its id, and its stack's uid, or else the name
    and environment of the stack ``stacks.create`` made."""
    if not isinstance(action, Action):
        raise ConfigError(f"expected an Action, got {type(action).__name__}")
    if isinstance(action.id, bool) or not isinstance(action.id, int) or action.id < 1:
        raise ConfigError(f"the action's id must be an integer >= 1, got {action.id!r}")
    if action.stack_uid is not None:
        if not _text(action.stack_uid):
            raise ConfigError("the action's stack_uid must be a non-empty string")
        return
    if not (_text(action.stack_name) and _text(action.stack_environment)):
        raise ConfigError(
            "this action has no stack_uid; pass Action(id=..., stack_uid=...) to wait on it "
            "(or, for a stack stacks.create made, Action(id=..., stack_name=..., "
            "stack_environment=...))"
        )


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _created(stack: Stack) -> float:
    when = stack.created_at_iso or stack.created_at
    return when.timestamp() if when is not None else float("-inf")


async def _stack_of(source: ActionSource, action: Action) -> str:
    """The uid of the stack ``action`` (a ``stacks.create`` action) belongs to.

    One request when one stack has that name and environment. When several do (a stack
    created twice), the action tells them apart: a stack's actions are its own, so the one
    whose action list has this action's id is the one; they are asked newest first, at most
    :data:`MAX_CANDIDATES` of them.
    """
    assert action.stack_name is not None and action.stack_environment is not None
    try:
        return (await source.find_stack(action.stack_name, action.stack_environment)).uid
    except AmbiguousStackError as exc:
        candidates: list[Stack] = list(exc.candidates)
    for stack in sorted(candidates, key=_created, reverse=True)[:MAX_CANDIDATES]:
        try:
            await source.get_action(stack.uid, action.id)
        except NotFoundError:
            continue
        return stack.uid
    raise _Unresolved(candidates)


class _Unresolved(Exception):
    """Several stacks have the name and environment, and none could be shown to be the one."""

    def __init__(self, candidates: list[Stack]) -> None:
        super().__init__("several stacks have this name and environment")
        self.candidates = candidates


async def locate(
    source: ActionSource, action: Action, *, seconds: float, deadline: float, ticker: _Ticker
) -> Action:
    """Return ``action`` with the uid of the stack ``stacks.create`` made filled in.

    A throttled or failed lookup, or a stack not listed yet, is tried again at the next tick
    until the deadline; a refused one (the token lacks the ``public`` scope, any other 4xx, an
    answer that does not decode) ends at once. Either way the error is a
    :class:`StackLookupError` saying the stack was created.
    """
    failure: Exception | None = None
    late = False
    first = True
    while True:
        if not first:
            if ticker.expired():
                break
            await ticker.sleep()
        first = False
        remaining = deadline - _waits.monotonic()
        if remaining <= 0:
            break
        with anyio.move_on_after(remaining) as scope:
            try:
                uid = await _stack_of(source, action)
            except _Unresolved as exc:
                raise _lookup_failed(action, None, exc.candidates) from None
            except (APIError, TransportError, StackNotFoundError) as exc:
                # Not listed yet (the list may lag behind the create), throttled, failed: look
                # again at the next tick. Refused: there is no point.
                if isinstance(exc, APIError) and not _transient(exc):
                    raise _lookup_failed(action, exc, []) from exc
                failure = exc
                logger.info("lookup of the new stack failed (%s); again at the next tick", exc)
            except Cloud66Error as exc:
                raise _lookup_failed(action, exc, []) from exc
            else:
                return attrs.evolve(action, stack_uid=uid)
        late = late or scope.cancelled_caught
    raise _lookup_failed(action, failure, [], timed_out=seconds, late=late)


def _lookup_failed(
    action: Action,
    failure: Exception | None,
    candidates: list[Stack],
    *,
    timed_out: float | None = None,
    late: bool = False,
) -> StackLookupError:
    name = action.stack_name or ""
    environment = action.stack_environment or ""
    if candidates:
        listed = ", ".join(s.uid for s in candidates)
        why = (
            f"{len(candidates)} stacks have that name and environment ({listed}) and none of "
            f"the newest {MAX_CANDIDATES} lists action {action.id}"
        )
    elif isinstance(failure, PermissionDeniedError):
        why = (
            "the token may not list stacks (it lacks the 'public' scope, which looking the "
            f"stack up and following its build need): {failure}"
        )
    elif timed_out is not None:
        why = f"it was not found within {timed_out:g}s"
        if failure is not None:
            why += f"; the last attempt: {failure}"
        if late:
            why += (
                "; a lookup was still waiting for its answer (or held back by the rate limit "
                "or throttling) when the time ran out"
            )
    else:
        why = str(failure)
    error = StackLookupError(
        f"stack {name!r} in environment {environment!r} WAS created (action {action.id}), but "
        f"its uid could not be looked up to wait on it: {why}. Do not create it again: find "
        f"it with client.stacks.find({name!r}, environment={environment!r}) or "
        f"`cloud66-async stacks get {_shell(name)} -e {_shell(environment)}`, or wait on "
        "this action again later",
        action=action,
        name=name,
        environment=environment,
        candidates=candidates,
    )
    if failure is not None:
        error.__cause__ = failure
    return error


def _shell(word: str) -> str:
    return shlex.quote(word)


def _check_progress(on_progress: object) -> None:
    if on_progress is not None and not callable(on_progress):
        raise ConfigError(f"on_progress must be a callable or None, got {on_progress!r}")


def _finished(action: Action, *, raise_on_failure: bool = True) -> bool:
    if action.finished_at is None:
        return False
    if raise_on_failure and action.finished_success is not True:
        raise ActionFailedError(
            f"action {action.id} ({action.action}) on stack {action.stack_uid} failed"
            + (f": {action.finished_message}" if action.finished_message else ""),
            action=action,
        )
    return True


async def wait_action(
    source: ActionSource,
    action: Action,
    *,
    timeout: float | None,
    poll_interval: float,
    max_poll_interval: float,
    on_progress: Callable[[Action], object] | None,
) -> Action:
    """Poll one action until it finishes (see :meth:`ActionsManager.wait`)."""
    _check_action(action)
    _check_progress(on_progress)
    seconds, deadline = _deadline(timeout, DEFAULT_ACTION_TIMEOUT)
    ticker = _Ticker(poll_interval, max_poll_interval, deadline)
    last = action
    if _finished(last):
        return last
    if action.stack_uid is None:
        action = await locate(source, action, seconds=seconds, deadline=deadline, ticker=ticker)
    stack_uid = action.stack_uid
    assert stack_uid is not None
    # An action known only by its id (from another process) is read at once.
    first = action.started_at is None
    while True:
        if not first:
            await ticker.sleep()
        first = False
        polled = await _poll(functools.partial(source.get_action, stack_uid, action.id), deadline)
        if polled is not None:
            last = polled
            await emit(on_progress, last)
            if _finished(last):
                return last
        if ticker.expired():
            raise WaitTimeoutError(
                f"action {action.id} on stack {stack_uid} did not finish within {seconds:g}s",
                last=last,
                timeout=seconds,
            )


async def wait_many(
    source: ActionSource,
    actions: Sequence[Action],
    *,
    timeout: float | None,
    poll_interval: float,
    max_poll_interval: float,
    on_progress: Callable[[Action], object] | None,
    raise_on_failure: bool,
) -> list[Action]:
    """Wait for several actions, reading each stack's action list once per tick."""
    for action in actions:
        _check_action(action)
    _check_progress(on_progress)
    if not isinstance(raise_on_failure, bool):
        raise ConfigError(f"raise_on_failure must be True or False, got {raise_on_failure!r}")
    seconds, deadline = _deadline(timeout, DEFAULT_ACTION_TIMEOUT)
    ticker = _Ticker(poll_interval, max_poll_interval, deadline)
    actions = [
        a
        if a.stack_uid is not None or a.finished_at is not None
        else await locate(source, a, seconds=seconds, deadline=deadline, ticker=ticker)
        for a in actions
    ]
    latest: dict[tuple[str, int], Action] = {(a.stack_uid or "", a.id): a for a in actions}
    pending = {key for key, a in latest.items() if a.finished_at is None}

    # The page of each stack's action list to read at the next tick.
    cursors: dict[str, int] = {}

    async def poll_stack(stack_uid: str, ids: set[int]) -> None:
        """Read ONE page of the stack's action list (newest first) and move the cursor.

        Pending actions spread over several pages are visited in turn, one page per tick, so
        a tick costs one request per stack however many actions are awaited.
        """
        number = cursors.get(stack_uid, 1)
        page = await source.action_page(stack_uid, number)
        for polled in page.items:
            if polled.id in ids:
                latest[(stack_uid, polled.id)] = polled
                await emit(on_progress, polled)
        listed = [item.id for item in page.items]
        older = {i for i in ids if not listed or i < min(listed)}
        if older and page.next is not None:
            cursors[stack_uid] = page.next  # some are further down: read on next tick
            return
        cursors[stack_uid] = 1
        for missing in older:
            # Below the end of the list (or a list that lags): read it directly.
            polled = await source.get_action(stack_uid, missing)
            latest[(stack_uid, missing)] = polled
            await emit(on_progress, polled)

    while pending:
        await ticker.sleep()
        by_stack: dict[str, set[int]] = {}
        for stack_uid, action_id in pending:
            by_stack.setdefault(stack_uid, set()).add(action_id)
        failures: list[Exception] = []
        async with anyio.create_task_group() as tg:
            for stack_uid, ids in by_stack.items():
                tg.start_soon(_guarded, poll_stack, stack_uid, ids, deadline, failures, tg)
        if failures:
            # The first real error is raised as itself, not inside an exception group.
            raise failures[0]
        pending = {key for key in pending if latest[key].finished_at is None}
        if pending and ticker.expired():
            raise WaitTimeoutError(
                f"{len(pending)} of {len(actions)} actions did not finish within {seconds:g}s",
                last=[latest[(a.stack_uid or "", a.id)] for a in actions],
                timeout=seconds,
            )
    result = [latest[(a.stack_uid or "", a.id)] for a in actions]
    if raise_on_failure:
        for action in result:
            _finished(action)
    return result


async def _guarded(
    poll_stack: Callable[[str, set[int]], Any],
    stack_uid: str,
    ids: set[int],
    deadline: float,
    failures: list[Exception],
    tg: anyio.abc.TaskGroup,
) -> None:
    """Poll one stack for wait_many; on a real error, record it and stop the other polls."""
    try:
        await _poll(functools.partial(poll_stack, stack_uid, ids), deadline)
    except Exception as exc:
        failures.append(exc)
        tg.cancel_scope.cancel()


def _succeeded(deployment: Deployment) -> bool:
    outcome = deployment.outcome
    if outcome is None:
        return False
    return outcome.code == 1 or (outcome.meaning or "").lower() == "success"


def _deploy_done(deployment: Deployment) -> bool:
    return not deployment.is_deploying and deployment.finished_at is not None


async def wait_deployment(
    source: DeploymentSource,
    stack_uid: str,
    *,
    result: RedeployResult | None,
    since: datetime | None,
    timeout: float | None,
    poll_interval: float,
    max_poll_interval: float,
    on_progress: Callable[[Action | Deployment], object] | None,
) -> Deployment:
    """Wait for the deployment a redeploy started (see :meth:`DeploymentsManager.wait`)."""
    seconds, deadline = _deadline(timeout, DEFAULT_DEPLOY_TIMEOUT)
    if result is not None and result.async_action_id is not None:
        tracking = Action(id=result.async_action_id, stack_uid=stack_uid)
        with contextlib.suppress(ActionFailedError):
            # A failed tracking action is reported through the deployment below.
            await wait_action(
                source,
                tracking,
                timeout=max(0.001, deadline - _waits.monotonic()),
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                on_progress=on_progress,
            )
    # API timestamps have whole seconds: compare from the start of the call's second.
    floor = since.replace(microsecond=0) - timedelta(seconds=1) if since is not None else None
    ticker = _Ticker(poll_interval, max_poll_interval, deadline)
    target: Deployment | None = None
    while True:
        if target is None:
            newest = await _poll(functools.partial(source.newest_deployment, stack_uid), deadline)
            if newest is not None and (
                floor is None or (newest.started_at is not None and newest.started_at >= floor)
            ):
                target = newest
        else:
            polled_deployment = await _poll(
                functools.partial(source.get_deployment, stack_uid, target.id), deadline
            )
            if polled_deployment is not None:
                target = polled_deployment
        if target is not None:
            await emit(on_progress, target)
            if _deploy_done(target):
                if _succeeded(target):
                    return target
                meaning = target.outcome.meaning if target.outcome is not None else None
                raise DeploymentFailedError(
                    f"deployment {target.id} of stack {stack_uid} finished "
                    f"with outcome {meaning or 'unknown'}",
                    deployment=target,
                )
        if ticker.expired():
            what = f"deployment {target.id}" if target is not None else "the new deployment"
            raise WaitTimeoutError(
                f"{what} of stack {stack_uid} did not finish within {seconds:g}s",
                last=target,
                timeout=seconds,
            )
        await ticker.sleep()
