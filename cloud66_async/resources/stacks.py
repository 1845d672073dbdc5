"""Stacks and stack actions."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from .._exceptions import (
    Cloud66Error,
    DecodeError,
    ServerError,
    ServerTimeoutError,
    TransportError,
)
from .._paging import Paginator
from ..models import Action, Stack
from . import _validate as v
from ._base import Manager, _check_wait
from ._endpoints import E
from ._lookup import find_stack, named_stacks

__all__ = ["ActionsManager", "StacksManager"]

STACK_COMMANDS = frozenset({"clear_caches", "maintenance_mode", "restart"})


class StacksManager(Manager):
    """``client.stacks``: list, view, find and create stacks."""

    def list(
        self,
        *,
        name: str | None = None,
        environment: str | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[Stack]:
        """Iterate over every stack the token can see (lazily, page by page).

        ``name`` and ``environment`` keep only the stacks with exactly that name and environment.
        They are sent to the server (``filter_name``, ``filter_environment``, as the live API
        and the official Go client use them) and also checked on each item, so the result is
        right whether or not the server filters.
        """
        return named_stacks(
            self._requester,
            name=name,
            environment=environment,
            max_items=max_items,
            start_page=start_page,
        )

    async def find(self, name: str, *, environment: str | None = None) -> Stack:
        """Return the one stack called ``name`` (in ``environment``, when given).

        Raises :class:`StackNotFoundError` when no stack matches and :class:`AmbiguousStackError`
        (with ``.candidates``) when several do, for example the same name in ``production`` and
        ``staging``: pass ``environment=`` to choose. Names match exactly. The lookup is one
        request when the server filters by name (the live API does); otherwise it reads the
        stack list page by page.
        """
        return await find_stack(self._requester, name, environment)

    async def get(self, uid: str) -> Stack:
        """Return one stack by its uid."""
        stack: Stack = await self._one(E.stacks_get, {"stack_uid": v.check_str("uid", uid)})
        return stack

    async def create(
        self,
        name: str,
        environment: str,
        service_yaml: str,
        *,
        manifest_yaml: str | None = None,
        cloud: str | None = None,
        region: str | None = None,
        build_type: str | None = None,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Create and build a new Docker stack; return the ``stack_create`` action.

        Pass either ``manifest_yaml`` or ``cloud``, ``region`` and ``build_type``
        (``"single"`` or ``"multi"``): the API needs one of them.

        Without ``wait`` this sends exactly one request, and once the server has accepted it
        nothing makes ``create`` raise. The API's answer does not name the new stack's uid: the
        action's ``stack_uid`` is ``None`` and its ``stack_name`` and ``stack_environment`` are
        set. A wait on it (``wait=True``, or :meth:`ActionsManager.wait` later) first looks the
        stack up with :meth:`find` (the ``public`` scope); when that fails, it raises
        :class:`StackLookupError`, which says the stack was created: never create it again
        on an error raised after the server accepted it. An error raised when the server may
        have made the stack anyway (the connection dropped after sending, a 5xx, an answer that
        does not decode) says so too.
        """
        body = {
            "name": v.check_str("name", name),
            "environment": v.check_str("environment", environment),
            "service_yaml": v.check_str("service_yaml", service_yaml),
            "manifest_yaml": v.optional(v.check_str, "manifest_yaml", manifest_yaml),
            "cloud": v.optional(v.check_str, "cloud", cloud),
            "region": v.optional(v.check_str, "region", region),
            "build_type": v.optional(v.check_choice, "build_type", build_type, ("single", "multi")),
        }
        if manifest_yaml is None and (cloud is None or region is None or build_type is None):
            raise v.ConfigError(
                "stacks.create needs manifest_yaml, or cloud, region and build_type"
            )
        _check_wait(wait, wait_timeout)
        try:
            answered: Action = await self._one(E.stacks_create, {}, body=body)
        except Cloud66Error as exc:
            _maybe_created(exc, name, environment)
            raise
        action = attrs.evolve(
            answered, stack_uid=None, stack_name=name, stack_environment=environment
        )
        if wait:
            return await self._wait_action(action, wait_timeout)
        return action


def _maybe_created(exc: Cloud66Error, name: str, environment: str) -> None:
    """Say so on an error after which the stack may exist, so that it is looked for first."""
    if isinstance(exc, DecodeError):
        what = "the server accepted the request (2xx), so it was probably created"
    elif (isinstance(exc, TransportError) and exc.sent) or isinstance(
        exc, (ServerError, ServerTimeoutError)
    ):
        what = "it may have been created before this failed"
    else:
        return  # refused, throttled (not processed), or never sent
    exc.message = (
        f"{exc.message} [stacks.create: stack {name!r} in environment {environment!r}: "
        f"{what}; look for it with client.stacks.find({name!r}, environment={environment!r}) "
        "before creating it again]"
    )


class ActionsManager(Manager):
    """``client.actions``: stack actions (restart, clear caches, maintenance mode) and waiting."""

    def list(
        self, stack_uid: str, *, max_items: int | None = None, start_page: int = 1
    ) -> Paginator[Action]:
        """Iterate over a stack's actions, newest first; each carries ``stack_uid``."""
        uid = v.check_str("stack_uid", stack_uid)
        inner: Paginator[Action] = self._list(
            E.actions_list, {"stack_uid": uid}, max_items=max_items, start_page=start_page
        )
        return inner.map(lambda a: attrs.evolve(a, stack_uid=uid))

    async def get(self, stack_uid: str, action_id: int) -> Action:
        """Return one action of a stack."""
        uid = v.check_str("stack_uid", stack_uid)
        aid = v.check_int("action_id", action_id, low=1)
        action: Action = await self._one(E.actions_get, {"stack_uid": uid, "action_id": aid})
        return attrs.evolve(action, stack_uid=uid)

    async def run(
        self,
        stack_uid: str,
        command: str,
        *,
        value: bool | int | None = None,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Start a stack action: ``restart``, ``clear_caches`` or ``maintenance_mode``.

        ``maintenance_mode`` needs ``value`` (true/1 to enable, false/0 to disable).
        """
        uid = v.check_str("stack_uid", stack_uid)
        v.check_choice("command", command, STACK_COMMANDS)
        body: dict[str, Any] = {"command": command}
        if command == "maintenance_mode":
            if value is None or (isinstance(value, bool) is False and value not in (0, 1)):
                raise v.ConfigError("maintenance_mode needs value=True/1 or value=False/0")
            body["value"] = int(value)
        elif value is not None:
            raise v.ConfigError(f"command {command!r} takes no value")
        return await self._action(
            E.actions_run,
            {"stack_uid": uid},
            uid,
            body=body,
            wait=wait,
            wait_timeout=wait_timeout,
        )

    async def wait(
        self,
        action: Action,
        *,
        timeout: float | None = None,
        poll_interval: float = 1.0,
        max_poll_interval: float = 15.0,
        on_progress: Callable[[Action], object] | None = None,
    ) -> Action:
        """Poll a stack action until it finishes; return the finished action.

        Raises :class:`ActionFailedError` when it finished unsuccessfully and
        :class:`WaitTimeoutError` (with the last state) when ``timeout`` seconds pass first
        (``None``: 600 s). Intervals start at ``poll_interval`` and grow, with jitter, up to
        ``max_poll_interval``. A throttled or failed poll is retried, not fatal.
        An action from another process can be waited on with
        ``client.actions.wait(Action(id=..., stack_uid=...))``.
        """
        from .._polling import wait_action  # the waits load with the first wait
        from ._polls import Polls

        return await wait_action(
            Polls(self._requester),
            action,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            on_progress=on_progress,
        )

    async def wait_many(
        self,
        actions: Iterable[Action],
        *,
        timeout: float | None = None,
        poll_interval: float = 1.0,
        max_poll_interval: float = 15.0,
        on_progress: Callable[[Action], object] | None = None,
        raise_on_failure: bool = True,
    ) -> builtins.list[Action]:
        """Wait for several actions; return them finished, in the order given.

        Each tick reads each stack's action list once (not each action on its own), so waiting
        on 50 actions of one stack costs one request per tick. With ``raise_on_failure`` (the
        default) the first failed action raises :class:`ActionFailedError` once all are done;
        otherwise failed actions are returned like the others.
        """
        if isinstance(actions, (str, bytes, Mapping)) or not isinstance(actions, Iterable):
            raise v.ConfigError(
                f"actions must be an iterable of Action, got {type(actions).__name__}"
            )
        from .._polling import wait_many  # the waits load with the first wait
        from ._polls import Polls

        return await wait_many(
            Polls(self._requester),
            list(actions),
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            on_progress=on_progress,
            raise_on_failure=raise_on_failure,
        )
