"""Finding the stack a STACK argument names: by uid, else by name (and environment).

The rule, as ``--help`` and the README state it:

1. An argument of exactly 32 hexadecimal characters is tried as a uid first (one ``GET``).
2. Anything else, or a uid-shaped argument no stack has as its uid, is a stack name:
   ``client.stacks.find(name, environment=...)``. Names match exactly (case included).
3. Several stacks with that name: a usage error listing each (name, environment, uid); ``-e``
   chooses. No stack: an error naming what was looked for, with "did you mean" suggestions
   from the stack list -- a near miss is offered, never acted on.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from .. import (
    AmbiguousStackError,
    Client,
    Cloud66Error,
    NotFoundError,
    StackNotFoundError,
)
from ..models import Stack
from ._core import EXIT_API_ERROR, EXIT_USAGE, CliError

__all__ = ["PRODUCTION", "is_production", "looks_like_uid", "resolve_stack", "suggest"]

_UID = re.compile(r"[0-9a-fA-F]{32}")
#: The environment whose stacks need a confirmation before a change.
PRODUCTION = "production"
#: How many stacks a failed lookup reads to suggest names (the list is paginated).
_SUGGEST_SCAN = 2000
_SUGGESTIONS = 5


def looks_like_uid(text: str) -> bool:
    """Tell whether ``text`` has the shape of a stack uid (32 hexadecimal characters)."""
    return _UID.fullmatch(text) is not None


def is_production(stack: Stack) -> bool:
    """Tell whether a change to ``stack`` needs a confirmation: its environment is production."""
    return (stack.environment or "").strip().lower() == PRODUCTION


def describe(stack: Stack) -> str:
    """``'Awesome App' (production, 5999b7...)``: a stack as errors and prompts name it."""
    return f"{stack.name!r} ({stack.environment or 'no environment'}, {stack.uid})"


def suggest(wanted: str, stacks: Sequence[Stack], environment: str | None) -> list[Stack]:
    """Return the stacks whose names are close to ``wanted`` (best first, at most five).

    Case is ignored and a name containing ``wanted`` counts as close, so ``awesome`` finds
    ``Awesome App``. With ``environment``, a stack of exactly that name in another environment
    is offered too (the environment is what was wrong).
    """
    key = wanted.casefold()
    by_name: dict[str, list[Stack]] = {}
    for stack in stacks:
        by_name.setdefault((stack.name or "").casefold(), []).append(stack)
    names = difflib.get_close_matches(key, list(by_name), n=_SUGGESTIONS, cutoff=0.6)
    names += sorted(name for name in by_name if key and key in name)
    if environment is not None and key in by_name:
        names.insert(0, key)  # the name is right, the environment is not
    chosen = [stack for name in dict.fromkeys(names) for stack in by_name[name]]
    return chosen[:_SUGGESTIONS]


def _candidates(stacks: Sequence[Stack]) -> list[str]:
    return [f"  {s.name}  {s.environment or '-'}  {s.uid}" for s in stacks]


async def resolve_stack(client: Client, wanted: str, environment: str | None) -> Stack:
    """Return the stack ``wanted`` names (see the module's rule), or raise :class:`CliError`."""
    if not wanted.strip():
        raise CliError("the stack is empty: give its name or uid", EXIT_USAGE)
    if looks_like_uid(wanted):
        try:
            stack = await client.stacks.get(wanted)
        except NotFoundError:
            pass  # not a uid after all: perhaps a name that looks like one
        else:
            if environment is not None and stack.environment != environment:
                raise CliError(
                    f"stack {describe(stack)} is not in environment {environment!r}",
                    EXIT_USAGE,
                )
            return stack
    try:
        return await client.stacks.find(wanted, environment=environment)
    except AmbiguousStackError as exc:
        envs = {s.environment for s in exc.candidates}
        how = (
            "pass -e/--environment to choose"
            if len(envs) == len(exc.candidates)
            else "give the stack's uid to choose"
        )
        raise CliError(
            f"{len(exc.candidates)} stacks are named {wanted!r}"
            + (f" in environment {environment!r}" if environment else "")
            + f"; {how}:",
            EXIT_USAGE,
            details=_candidates(exc.candidates),
        ) from None
    except StackNotFoundError:
        pass
    where = f" in environment {environment!r}" if environment else ""
    what = "uid or name" if looks_like_uid(wanted) else "name"
    message = f"no stack has the {what} {wanted!r}{where}"
    try:
        known = await client.stacks.list(max_items=_SUGGEST_SCAN).collect()
    except Cloud66Error:
        known = []  # suggestions are a courtesy; the lookup's answer stands
    close = suggest(wanted, known, environment)
    if not close:
        raise CliError(message + " (stacks list shows them all)", EXIT_API_ERROR)
    raise CliError(message + "; did you mean:", EXIT_API_ERROR, details=_candidates(close))
