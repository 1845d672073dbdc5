"""What the waits read, fetched through the Requester: imported by the wait methods only, so
that using a manager does not load the waits (:mod:`cloud66_async._polling`) or their models."""

from __future__ import annotations

import attrs

from .._paging import Page
from .._pipeline import Requester
from ..models import Action, Deployment, Stack
from ._endpoints import E
from ._lookup import find_stack

__all__ = ["Polls"]


class Polls:
    """What waits read (actions, deployments, and the stack a ``stacks.create`` made),
    fetched through the Requester.

    Satisfies :class:`~cloud66_async._polling.DeploymentSource`.
    """

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    async def get_action(self, stack_uid: str, action_id: int) -> Action:
        """One action of a stack, ``stack_uid`` filled in."""
        action = await self._requester.one(
            E.actions_get.method,
            E.actions_get.path,
            {"stack_uid": stack_uid, "action_id": action_id},
            E.actions_get.model,
        )
        return attrs.evolve(action, stack_uid=stack_uid)

    async def action_page(self, stack_uid: str, number: int) -> Page[Action]:
        """One page of a stack's action list, ``stack_uid`` filled in."""
        paginator = self._requester.paginate(
            E.actions_list.path, {"stack_uid": stack_uid}, E.actions_list.model, start_page=number
        ).map(lambda a: attrs.evolve(a, stack_uid=stack_uid))
        return await paginator._page(number)

    async def find_stack(self, name: str, environment: str) -> Stack:
        """The one stack with that name and environment (as ``stacks.find`` finds it)."""
        return await find_stack(self._requester, name, environment)

    async def newest_deployment(self, stack_uid: str) -> Deployment | None:
        """The stack's newest deployment (the first of its list), if any."""
        return await self._requester.paginate(
            E.deployments_list.path, {"stack_uid": stack_uid}, E.deployments_list.model
        ).first()

    async def get_deployment(self, stack_uid: str, deployment_id: int) -> Deployment:
        """One deployment of a stack."""
        return await self._requester.one(
            E.deployments_get.method,
            E.deployments_get.path,
            {"stack_uid": stack_uid, "deployment_id": deployment_id},
            E.deployments_get.model,
        )
