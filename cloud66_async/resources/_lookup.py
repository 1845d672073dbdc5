"""Stacks by name and environment: the lookup :meth:`StacksManager.find` makes, shared with the
waits that look up the stack a ``stacks.create`` made (its action does not name its uid)."""

from __future__ import annotations

from .._exceptions import AmbiguousStackError, StackNotFoundError
from .._paging import Paginator
from .._pipeline import Requester
from ..models import Stack
from . import _validate as v
from ._endpoints import E

__all__ = ["find_stack", "named_stacks"]


def named_stacks(
    requester: Requester,
    *,
    name: str | None,
    environment: str | None,
    max_items: int | None = None,
    start_page: int = 1,
) -> Paginator[Stack]:
    """The stacks with exactly that name and environment (each optional).

    The filters are sent to the server (``filter_name``, ``filter_environment``, as the live API
    and the official Go client use them) and also checked on each item, so the result is right
    whether or not the server filters.
    """
    filters = {
        "filter_name": v.optional(v.check_str, "name", name),
        "filter_environment": v.optional(v.check_str, "environment", environment),
    }
    stacks = requester.paginate(
        E.stacks_list.path,
        {},
        E.stacks_list.model,
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


async def find_stack(requester: Requester, name: str, environment: str | None) -> Stack:
    """The one stack called ``name`` (in ``environment``): see :meth:`StacksManager.find`."""
    v.check_str("name", name)
    v.optional(v.check_str, "environment", environment)
    matches = await named_stacks(requester, name=name, environment=environment).collect()
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
