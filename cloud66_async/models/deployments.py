"""Deployments and the answer to a redeploy request."""

from datetime import datetime

import attrs

from .common import CodeMeaning

__all__ = ["Deployment", "RedeployResult"]


@attrs.frozen(kw_only=True)
class Deployment:
    """One deployment of a stack, identified by ``id``.

    ``triggered_via``, ``outcome`` and ``deploy_type`` are :class:`CodeMeaning` pairs (for example
    ``outcome`` ``CodeMeaning(code=1, meaning="success")``). The blueprint's example only shows
    ``null`` for the ``reverted*`` fields; they are typed as a flag, an email and a timestamp.
    """

    id: int
    triggered_by: str | None = None
    triggered_via: CodeMeaning | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: CodeMeaning | None = None
    git_hash: str | None = None
    deploy_session: str | None = None
    deploy_type: CodeMeaning | None = None
    is_head: bool | None = None
    is_live: bool | None = None
    reverted: bool | None = None
    reverted_by: str | None = None
    reverted_at: datetime | None = None
    is_deploying: bool | None = None
    commit_url: str | None = None

    @property
    def is_finished(self) -> bool:
        """Tell whether the deployment has finished (``finished_at`` is set)."""
        return self.finished_at is not None

    @property
    def succeeded(self) -> bool:
        """Tell whether the outcome is success (meaning ``"success"`` or code 1)."""
        outcome = self.outcome
        if outcome is None:
            return False
        return outcome.meaning == "success" or outcome.code == 1


@attrs.frozen(kw_only=True)
class RedeployResult:
    """The answer to a redeploy request: ``ok`` and a ``message``.

    Newer servers may add ``queued`` and ``async_action_id`` (the id of the stack action that
    tracks the redeployment); both stay ``None`` when absent. ``deployment`` is not part of the
    API's payload: the SDK fills it in (with :func:`attrs.evolve`) when asked to wait for the
    deployment the redeploy started.
    """

    ok: bool | None = None
    message: str | None = None
    queued: bool | None = None
    async_action_id: int | None = None
    deployment: Deployment | None = None
