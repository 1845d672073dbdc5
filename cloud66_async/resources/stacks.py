"""Stacks and stack actions."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from .._exceptions import (
    AmbiguousStackError,
    Cloud66Error,
    PermissionDeniedError,
    StackNotFoundError,
)
from .._paging import Paginator
from .._polling import wait_action, wait_many
from ..models import Action, Stack
from . import _validate as v
from ._base import Manager, Polls, _check_wait
from ._endpoints import E

__all__ = ["ActionsManager", "StacksManager"]

STACK_COMMANDS = frozenset({"clear_caches", "maintenance_mode", "restart"})


class StacksManager(Manager):
    """``client.stacks``: list, view and create stacks."""

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
        filters = {
            "filter_name": v.optional(v.check_str, "name", name),
            "filter_environment": v.optional(v.check_str, "environment", environment),
        }
        stacks: Paginator[Stack] = self._list(
            E.stacks_list,
            {},
            params=filters,
            max_items=max_items,
            start_page=start_page,
        )
        if name is None and environment is None:
            return stacks
        return stacks.filter(
            lambda s: (
                (name is None or s.name == name)
                and (environment is None or s.environment == environment)
            )
        )

    async def find(self, name: str, *, environment: str | None = None) -> Stack:
        """Return the one stack called ``name`` (in ``environment``, when given).

        Raises :class:`StackNotFoundError` when no stack matches and :class:`AmbiguousStackError`
        (with ``.candidates``) when several do, for example the same name in ``production`` and
        ``staging``: pass ``environment=`` to choose. Names match exactly. The lookup is one
        request when the server filters by name (the live API does); otherwise it reads the
        stack list page by page.
        """
        v.check_str("name", name)
        v.optional(v.check_str, "environment", environment)
        matches = await self.list(name=name, environment=environment).collect()
        where = f" in environment {environment!r}" if environment is not None else ""
        if not matches:
            raise StackNotFoundError(
                f"no stack named {name!r}{where} is visible to this token",
                name=name,
                environment=environment,
            )
        if len(matches) > 1:
            listed = ", ".join(f"{s.name} ({s.environment}, {s.uid})" for s in matches)
            raise AmbiguousStackError(
                f"{len(matches)} stacks are named {name!r}{where}: {listed}; "
                "pass environment= to choose one",
                name=name,
                environment=environment,
                candidates=matches,
            )
        return matches[0]

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
        The action's ``stack_uid`` is found by looking the new stack up by name and environment
        (a walk over the stack list, which needs the ``public`` scope; without it ``stack_uid``
        stays ``None``), so it can be waited on; ``wait=True`` waits for the build to finish.
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
        action: Action = await self._one(E.stacks_create, {}, body=body)
        try:
            uid = await self._find_new_stack(name, environment)
        except PermissionDeniedError:
            # Creating needs `redeploy`, listing needs `public`: without it the action is still
            # returned, but it cannot be followed.
            uid = None
        action = attrs.evolve(action, stack_uid=uid)
        if wait:
            if uid is None:
                raise Cloud66Error(
                    f"stack {name!r} was created (action {action.id}) but cannot be found in "
                    "the stack list to wait on it; the token may lack the 'public' scope"
                )
            return await self._wait_action(action, wait_timeout)
        return action

    async def _find_new_stack(self, name: str, environment: str) -> str | None:
        newest: Stack | None = None
        async for stack in self.list():
            if (
                stack.name == name
                and stack.environment == environment
                and (newest is None or _created(stack) >= _created(newest))
            ):
                newest = stack
        return newest.uid if newest is not None else None


def _created(stack: Stack) -> float:
    when = stack.created_at_iso or stack.created_at
    return when.timestamp() if when is not None else 0.0


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
        return await wait_many(
            Polls(self._requester),
            list(actions),
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            on_progress=on_progress,
            raise_on_failure=raise_on_failure,
        )
