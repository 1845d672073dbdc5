"""Deployments: list, view, redeploy, cancel, and wait for one to finish."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import attrs

from .._paging import Paginator
from ..models import Action, Deployment, OperationResult, RedeployResult
from . import _validate as v
from ._base import Manager, _check_wait
from ._endpoints import E

__all__ = ["DeploymentsManager"]


class DeploymentsManager(Manager):
    """``client.deployments``."""

    def list(
        self, stack_uid: str, *, max_items: int | None = None, start_page: int = 1
    ) -> Paginator[Deployment]:
        """Iterate over a stack's deployments, newest first."""
        return self._stack_list(
            E.deployments_list, stack_uid, max_items=max_items, start_page=start_page
        )

    async def get(self, stack_uid: str, deployment_id: int) -> Deployment:
        """Return one deployment."""
        found: Deployment = await self._stack_get(
            E.deployments_get, stack_uid, "deployment_id", deployment_id
        )
        return found

    async def redeploy(
        self,
        stack_uid: str,
        *,
        git_ref: str | None = None,
        services: Sequence[str] | None = None,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> RedeployResult:
        """Redeploy a stack; ``wait=True`` also waits for the deployment it starts.

        ``git_ref`` (branch, tag or hash) is for non-Docker stacks; ``services`` limits a Docker
        stack's deployment to those services. They are sent both as ``services`` (a list: what
        the live API reads, and the official Go client sends) and as the blueprint's
        ``services_filter`` (comma-separated), so any server version understands them.
        With ``wait=True`` the returned result's ``deployment`` holds the finished deployment.
        """
        uid = v.check_str("stack_uid", stack_uid)
        names = None if services is None else v.check_str_list("services", services)
        _check_wait(wait, wait_timeout)
        started = datetime.now(UTC)
        result: RedeployResult = await self._one(
            E.deployments_redeploy,
            {"stack_uid": uid},
            body={
                "git_ref": v.optional(v.check_str, "git_ref", git_ref),
                "services": names,
                "services_filter": ",".join(names) if names else None,
            },
        )
        if wait:
            deployment = await self.wait(uid, result=result, since=started, timeout=wait_timeout)
            return attrs.evolve(result, deployment=deployment)
        return result

    async def cancel(self, stack_uid: str, deployment_id: int) -> OperationResult:
        """Cancel a live deployment."""
        done: OperationResult = await self._one(
            E.deployments_cancel,
            {
                "stack_uid": v.check_str("stack_uid", stack_uid),
                "deployment_id": v.check_int("deployment_id", deployment_id, low=1),
            },
        )
        return done

    async def wait(
        self,
        stack_uid: str,
        *,
        result: RedeployResult | None = None,
        since: datetime | None = None,
        timeout: float | None = None,
        poll_interval: float = 2.0,
        max_poll_interval: float = 30.0,
        on_progress: Callable[[Action | Deployment], object] | None = None,
    ) -> Deployment:
        """Wait for a stack's deployment to finish; return it.

        With the ``result`` of :meth:`redeploy` carrying an ``async_action_id``, that action is
        waited on first. The deployment waited on is the newest one started at or after
        ``since`` (default: the newest one). Raises :class:`DeploymentFailedError` when its
        outcome is not success and :class:`WaitTimeoutError` when ``timeout`` (default 3600 s)
        passes first.
        """
        if result is not None and not isinstance(result, RedeployResult):
            raise v.ConfigError(f"result must be a RedeployResult, got {type(result).__name__}")
        if since is not None and not isinstance(since, datetime):
            raise v.ConfigError(f"since must be a datetime, got {type(since).__name__}")
        from .._polling import wait_deployment  # the waits load with the first wait
        from ._polls import Polls

        return await wait_deployment(
            Polls(self._requester),
            v.check_str("stack_uid", stack_uid),
            result=result,
            since=since,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            on_progress=on_progress,
        )
