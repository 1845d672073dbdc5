"""Stack actions: the asynchronous operations the API starts and reports on."""

from datetime import datetime

import attrs

__all__ = ["Action"]


@attrs.frozen(kw_only=True)
class Action:
    """An asynchronous stack action (restart, scale, env-var change, ...), identified by ``id``.

    Calls that start server-side work return one. ``resource_id`` is always a string (an integer
    from the API is turned into one). ``stack_uid`` is not part of the API's payload: the SDK fills
    it in (with :func:`attrs.evolve`) so that the action can be polled later.

    The action ``stacks.create`` returns has no ``stack_uid`` yet (the API's answer does not say
    it); it carries the new stack's ``stack_name`` and ``stack_environment`` instead, and a
    wait looks the stack up by them. ``Action(id=..., stack_name=..., stack_environment=...)``
    can be waited on from another process too. These two take no part in comparisons
    (``==``, ``hash``): an action is the same action whether or not its stack was looked up.
    """

    id: int
    user: str | None = None
    resource_type: str | None = None
    action: str | None = None
    resource_id: str | None = None
    started_via: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    finished_success: bool | None = None
    finished_message: str | None = None
    stack_uid: str | None = None
    stack_name: str | None = attrs.field(default=None, eq=False)
    stack_environment: str | None = attrs.field(default=None, eq=False)

    @property
    def is_finished(self) -> bool:
        """Tell whether the action has finished (``finished_at`` is set), successfully or not."""
        return self.finished_at is not None
