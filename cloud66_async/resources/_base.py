"""What every resource manager shares: the thin helpers that turn an endpoint of the table
(:mod:`._endpoints`) plus arguments into a call of the :class:`~cloud66_async._pipeline.Requester`.

A manager checks its arguments, names an :class:`Endpoint` of the table and passes the path
arguments; the Requester does the rest. Managers know nothing of the Client or of aiohttp.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .._exceptions import ConfigError
from .._pipeline import Requester
from ._endpoints import Endpoint
from ._validate import check_int, check_str

if TYPE_CHECKING:
    from .._paging import Paginator
    from ..models import Action

__all__ = ["Manager"]

T = TypeVar("T")


class Manager:
    """Base of the resource managers: holds the Requester, builds requests, names models."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def _list(
        self,
        endpoint: Endpoint[T],
        path_params: Mapping[str, object],
        *,
        params: Mapping[str, Any] | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[T]:
        assert endpoint.many and endpoint.method == "GET", endpoint.name
        return self._requester.paginate(
            endpoint.path,
            path_params,
            endpoint.model,
            params=params,
            max_items=max_items,
            start_page=start_page,
        )

    def _stack_list(
        self,
        endpoint: Endpoint[T],
        stack_uid: str,
        *,
        params: Mapping[str, Any] | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[T]:
        """A list under ``/stacks/{stack_uid}``."""
        return self._list(
            endpoint,
            {"stack_uid": check_str("stack_uid", stack_uid)},
            params=params,
            max_items=max_items,
            start_page=start_page,
        )

    async def _stack_get(
        self, endpoint: Endpoint[T], stack_uid: str, id_name: str, id_value: int
    ) -> T:
        """One object under ``/stacks/{stack_uid}`` named by a numeric id."""
        return await self._one(
            endpoint,
            {
                "stack_uid": check_str("stack_uid", stack_uid),
                id_name: check_int(id_name, id_value, low=1),
            },
        )

    def _one(
        self,
        endpoint: Endpoint[T],
        path_params: Mapping[str, object],
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Coroutine[Any, Any, T]:
        # Not a coroutine itself: it hands back the Requester's, one coroutine less per call.
        assert not endpoint.many and not endpoint.nullable, endpoint.name
        return self._requester.one(
            endpoint.method,
            endpoint.path,
            path_params,
            endpoint.model,
            params=None if params is None else _drop_none(params),
            body=None if body is None else _drop_none(body),
        )

    async def _one_or_none(
        self,
        endpoint: Endpoint[T | None],
        path_params: Mapping[str, object],
        *,
        body: Mapping[str, Any] | None = None,
    ) -> T | None:
        """A call whose answer the blueprint leaves undocumented, read when there is one."""
        assert endpoint.nullable and not endpoint.many, endpoint.name
        return await self._requester.one_or_none(
            endpoint.method, endpoint.path, path_params, endpoint.model, body=_drop_none(body)
        )

    async def _no_content(
        self,
        endpoint: Endpoint[None],
        path_params: Mapping[str, object],
        *,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """Send a request whose answer the blueprint leaves undocumented; check only its status."""
        await self._requester.no_content(
            endpoint.method, endpoint.path, path_params, body=_drop_none(body)
        )

    async def _action(
        self,
        endpoint: Endpoint[Action],
        path_params: Mapping[str, object],
        stack_uid: str,
        *,
        body: Mapping[str, Any] | None = None,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Send a write that answers with a stack action; fill in its ``stack_uid``; maybe wait."""
        _check_wait(wait, wait_timeout)
        answered = await self._one(endpoint, path_params, body=body)
        action = attrs.evolve(answered, stack_uid=stack_uid)
        if wait:
            return await self._wait_action(action, wait_timeout)
        return action

    async def _wait_action(self, action: Action, timeout: float | None) -> Action:
        # Imported here: the waits (and the models they read) load with the first wait only.
        from .._polling import wait_action
        from ._polls import Polls

        return await wait_action(
            Polls(self._requester),
            action,
            timeout=timeout,
            poll_interval=1.0,
            max_poll_interval=15.0,
            on_progress=None,
        )


def _drop_none(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v for k, v in values.items() if v is not None}


def _check_wait(wait: bool, wait_timeout: float | None) -> None:
    if not isinstance(wait, bool):
        raise ConfigError(f"wait must be True or False, got {wait!r}")
    if wait_timeout is not None and (
        isinstance(wait_timeout, bool)
        or not isinstance(wait_timeout, (int, float))
        or wait_timeout <= 0
    ):
        raise ConfigError(
            f"wait_timeout must be a positive number of seconds, got {wait_timeout!r}"
        )
