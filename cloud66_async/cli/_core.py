"""What every command shares: exit codes, the command spec, and the context a handler runs in."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Final, Literal, TypeVar

import attrs

from .. import Client
from .._paging import Paginator
from ..models import Action, Deployment, RedeployResult
from ._output import Output
from ._progress import Progress

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "Arg",
    "CliError",
    "Command",
    "Context",
    "Handler",
    "arg",
    "closing",
]

T = TypeVar("T")

#: The command worked.
EXIT_OK: Final = 0
#: Something unexpected went wrong inside the command line itself (a bug; ``--debug`` tells more).
EXIT_INTERNAL: Final = 1
#: Bad usage or configuration: unknown arguments, no token, a bad base URL (``ConfigError``).
EXIT_USAGE: Final = 2
#: The API answered with an error, the connection failed, or an answer could not be decoded.
EXIT_API_ERROR: Final = 3
#: The action or deployment waited on finished unsuccessfully.
EXIT_FAILED: Final = 4
#: A wait ran out of time.
EXIT_TIMEOUT: Final = 5
#: Interrupted (Ctrl-C).
EXIT_INTERRUPTED: Final = 130


@contextlib.asynccontextmanager
async def closing(iterator: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close an async generator left early (``contextlib.aclosing`` for an ``AsyncIterator``)."""
    try:
        yield iterator
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


class CliError(Exception):
    """An error the command line itself reports, with the exit code it ends with."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@attrs.frozen
class Arg:
    """One ``add_argument`` call, as data."""

    flags: tuple[str, ...]
    options: Mapping[str, Any]


def arg(*flags: str, **options: Any) -> Arg:
    """Describe an argument exactly as ``parser.add_argument(*flags, **options)`` would take it."""
    return Arg(flags, options)


Handler = Callable[["Context"], Awaitable[object]]

WaitMode = Literal["no", "flag", "always"]


@attrs.frozen
class Command:
    """One command line command: where it sits, its arguments and the coroutine that runs it.

    ``group`` and ``name`` form the command (``stacks list``); ``name`` is ``None`` for a
    command with no sub-command (``redeploy``). ``wait`` adds ``--wait`` (``"flag"``) or makes
    the command always wait (``"always"``), with ``--wait-timeout`` and ``--poll-interval``.
    ``list`` adds ``--limit``; ``secrets`` adds ``--show-passwords``; ``client`` says whether
    the handler talks to the API (and so needs a token).
    """

    group: str
    name: str | None
    help: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    wait: WaitMode = "no"
    list: bool = False
    secrets: bool = False
    client: bool = True
    description: str | None = None


@attrs.define
class Context:
    """What a handler gets: the parsed arguments, the streams, the progress display, a client."""

    ns: argparse.Namespace
    out: Output
    progress: Progress
    api: Client | None = None

    @property
    def client(self) -> Client:
        """The API client (only for commands that talk to the API)."""
        if self.api is None:  # pragma: no cover - a command spec error
            raise RuntimeError("this command has no API client")
        return self.api

    def _wait_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        timeout = getattr(self.ns, "wait_timeout", None) or getattr(self.ns, "timeout", None)
        if timeout is not None:
            options["timeout"] = timeout
        poll = getattr(self.ns, "poll_interval", None)
        if poll is not None:
            options["poll_interval"] = poll
        return options

    async def collect(self, paginator: Paginator[T], label: str) -> list[T]:
        """Fetch a list page by page (at most ``--limit`` items), showing progress."""
        limit: int | None = getattr(self.ns, "limit", None)
        items: list[T] = []
        async with self.progress.track(label) as status:
            pages = paginator.pages()
            async with closing(pages):
                async for page in pages:
                    items.extend(page.items)
                    status.state = f"page {page.number}" + (f"/{page.pages}" if page.pages else "")
                    status.done, status.total = len(items), page.total
                    if limit is not None and len(items) >= limit:
                        break
        return items if limit is None else items[:limit]

    async def finish_action(self, action: Action) -> Action:
        """Return ``action``, or with ``--wait`` the finished action, showing progress."""
        if not getattr(self.ns, "wait", False):
            return action
        if action.stack_uid is None:
            self.out.note(f"note: cannot wait for action {action.id}: its stack is unknown")
            return action
        label = f"waiting for {action.action or 'action'} {action.id}"
        async with self.progress.track(label) as status:
            status.observe(action)
            return await self.client.actions.wait(
                action, on_progress=status.observe, **self._wait_options()
            )

    async def wait_deployment(
        self,
        stack_uid: str,
        *,
        result: RedeployResult | None = None,
        since: datetime | None = None,
    ) -> Deployment:
        """Wait for a stack's deployment to finish, showing progress."""
        async with self.progress.track("waiting for the deployment") as status:
            status.state = "starting"
            return await self.client.deployments.wait(
                stack_uid,
                result=result,
                since=since,
                on_progress=status.observe,
                **self._wait_options(),
            )
