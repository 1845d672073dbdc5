"""What every resource manager shares: the endpoint table entry type and the thin helpers that
turn an endpoint plus arguments into a call of the client's one request pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .._exceptions import ConfigError
from .._paging import Paginator
from ._validate import check_int, check_str

if TYPE_CHECKING:
    from .._client import Client
    from ..models import Action

__all__ = ["Endpoint", "Manager"]

T = TypeVar("T")


@attrs.frozen
class Endpoint:
    """One operation of the API, as data: method, path template, the scope it needs, its model.

    ``path`` uses ``{name}`` placeholders filled from the call's path arguments (always quoted).
    """

    method: str
    path: str
    scope: str
    model: type[Any] | None
    many: bool = False


class Manager:
    """Base of the resource managers: holds the client, builds requests, names models."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def _list(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, object],
        *,
        params: Mapping[str, Any] | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[Any]:
        assert endpoint.many and endpoint.model is not None and endpoint.method == "GET"
        return self._client._paginate(
            endpoint.model,
            endpoint.path,
            path_params,
            params=params,
            max_items=max_items,
            start_page=start_page,
        )

    def _stack_list(
        self,
        endpoint: Endpoint,
        stack_uid: str,
        *,
        params: Mapping[str, Any] | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[Any]:
        """A list under ``/stacks/{stack_uid}``."""
        return self._list(
            endpoint,
            {"stack_uid": check_str("stack_uid", stack_uid)},
            params=params,
            max_items=max_items,
            start_page=start_page,
        )

    async def _stack_get(
        self, endpoint: Endpoint, stack_uid: str, id_name: str, id_value: int
    ) -> Any:
        """One object under ``/stacks/{stack_uid}`` named by a numeric id."""
        return await self._one(
            endpoint,
            {
                "stack_uid": check_str("stack_uid", stack_uid),
                id_name: check_int(id_name, id_value, low=1),
            },
        )

    async def _one(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, object],
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        assert endpoint.model is not None
        return await self._client._fetch_one(
            endpoint.model,
            endpoint.method,
            endpoint.path,
            path_params,
            params=_drop_none(params),
            body=_drop_none(body) if body is not None else None,
        )

    async def _no_content(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, object],
        *,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """Send a request whose answer the blueprint leaves undocumented; check only its status."""
        url = self._client._url(endpoint.path, path_params)
        await self._client._send(endpoint.method, url, None, _drop_none(body))

    async def _action(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, object],
        stack_uid: str,
        *,
        body: Mapping[str, Any] | None = None,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Send a write that answers with a stack action; fill in its ``stack_uid``; maybe wait."""
        _check_wait(wait, wait_timeout)
        answered: Action = await self._one(endpoint, path_params, body=body)
        action = attrs.evolve(answered, stack_uid=stack_uid)
        if wait:
            return await self._client.actions.wait(action, timeout=wait_timeout)
        return action


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
