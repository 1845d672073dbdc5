"""Services and containers (Docker stacks)."""

from __future__ import annotations

from collections.abc import Mapping

from .._paging import Paginator
from ..models import Action, Container, Service
from . import _validate as v
from ._base import Manager
from ._endpoints import E

__all__ = ["ContainersManager", "ServicesManager"]


class ServicesManager(Manager):
    """``client.services``."""

    def list(
        self,
        stack_uid: str,
        *,
        server_uid: str | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[Service]:
        """Iterate over a stack's services (on one server when ``server_uid`` is given)."""
        return self._stack_list(
            E.services_list,
            stack_uid,
            params={"server_uid": v.optional(v.check_str, "server_uid", server_uid)},
            max_items=max_items,
            start_page=start_page,
        )

    async def get(self, stack_uid: str, name: str, *, server_uid: str | None = None) -> Service:
        """Return one service by name."""
        found: Service = await self._one(
            E.services_get,
            {"stack_uid": v.check_str("stack_uid", stack_uid), "name": v.check_str("name", name)},
            params={"server_uid": v.optional(v.check_str, "server_uid", server_uid)},
        )
        return found

    async def scale(
        self,
        stack_uid: str,
        name: str,
        *,
        server_count: Mapping[str, int] | None = None,
        server_group_count: Mapping[str, int] | None = None,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Scale a service to a number of containers per server or per server group.

        ``server_count={server_uid: n}`` and/or ``server_group_count={group: n}``. Returns the
        ``service_scale`` action.
        """
        uid = v.check_str("stack_uid", stack_uid)
        if server_count is None and server_group_count is None:
            raise v.ConfigError("scale needs server_count or server_group_count")
        body = {
            "service_name": v.check_str("name", name),
            "server_count": v.optional(v.check_mapping_of_ints, "server_count", server_count),
            "server_group_count": v.optional(
                v.check_mapping_of_ints, "server_group_count", server_group_count
            ),
        }
        return await self._action(
            E.services_scale,
            {"stack_uid": uid},
            uid,
            body=body,
            wait=wait,
            wait_timeout=wait_timeout,
        )

    async def stop(
        self,
        stack_uid: str,
        name: str,
        *,
        server_uid: str | None = None,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Stop every container of a service (on one server when ``server_uid`` is given)."""
        uid = v.check_str("stack_uid", stack_uid)
        return await self._action(
            E.services_stop,
            {"stack_uid": uid, "name": v.check_str("name", name)},
            uid,
            body={"server_uid": v.optional(v.check_str, "server_uid", server_uid)},
            wait=wait,
            wait_timeout=wait_timeout,
        )


class ContainersManager(Manager):
    """``client.containers``."""

    def list(
        self,
        stack_uid: str,
        *,
        server_uid: str | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[Container]:
        """Iterate over a stack's containers (on one server when ``server_uid`` is given)."""
        return self._stack_list(
            E.containers_list,
            stack_uid,
            params={"server_uid": v.optional(v.check_str, "server_uid", server_uid)},
            max_items=max_items,
            start_page=start_page,
        )

    async def get(self, stack_uid: str, uid: str) -> Container:
        """Return one container, with its Docker ``runtime`` information (needs ``admin``)."""
        found: Container = await self._one(
            E.containers_get,
            {"stack_uid": v.check_str("stack_uid", stack_uid), "uid": v.check_str("uid", uid)},
        )
        return found

    async def stop(
        self, stack_uid: str, uid: str, *, wait: bool = False, wait_timeout: float | None = None
    ) -> Action:
        """Stop one container; returns the ``container_stop`` action."""
        stack = v.check_str("stack_uid", stack_uid)
        return await self._action(
            E.containers_stop,
            {"stack_uid": stack, "uid": v.check_str("uid", uid)},
            stack,
            wait=wait,
            wait_timeout=wait_timeout,
        )
