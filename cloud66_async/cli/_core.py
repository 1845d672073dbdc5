"""What every command shares: exit codes, the command spec, and the context a handler runs in."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import attrs

from .. import Client, Paginator, WaitTimeoutError
from ..models import Action, Deployment, RedeployResult, Stack

if TYPE_CHECKING:  # rich is imported only once main() has checked the cli extra is installed
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
    "PROG",
    "STACK",
    "Arg",
    "CliError",
    "Command",
    "Context",
    "Handler",
    "arg",
    "closing",
]

T = TypeVar("T")

PROG: Final = "cloud66-async"

#: The command worked.
EXIT_OK: Final = 0
#: Something unexpected went wrong inside the command line itself (a bug; ``--debug`` tells more).
EXIT_INTERNAL: Final = 1
#: Bad usage or configuration: unknown arguments, no token, a bad base URL (``ConfigError``), a
#: stack name several stacks have, or a change to a production stack that was not confirmed.
EXIT_USAGE: Final = 2
#: The API answered with an error (no such stack included), the connection failed, or an answer
#: could not be decoded.
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
    """An error the command line itself reports, with the exit code it ends with.

    ``details`` are lines printed after the one ``error:`` line (candidates, suggestions).
    """

    def __init__(
        self, message: str, exit_code: int = EXIT_USAGE, *, details: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.details = tuple(details)


@attrs.frozen
class Arg:
    """One ``add_argument`` call, as data."""

    flags: tuple[str, ...]
    options: Mapping[str, Any]


def arg(*flags: str, **options: Any) -> Arg:
    """Describe an argument exactly as ``parser.add_argument(*flags, **options)`` would take it."""
    return Arg(flags, options)


#: The STACK argument: a uid or a name, also given as ``-s/--stack``, with ``-e/--environment``.
STACK: Final = arg("stack")

Handler = Callable[["Context"], Awaitable[object]]

WaitMode = Literal["no", "flag", "always"]


@attrs.frozen
class Command:
    """One command line command: where it sits, its arguments and the coroutine that runs it.

    ``group`` and ``name`` form the command (``stacks list``); ``name`` is ``None`` for a
    command with no sub-command (``redeploy``). ``wait`` adds ``--wait`` (``"flag"``) or makes
    the command always wait (``"always"``), with ``--wait-timeout`` and ``--poll-interval``.
    ``list`` adds ``--limit``; ``secrets`` adds ``--show-passwords``; ``client`` says whether
    the handler talks to the API (and so needs a token). ``example`` is the arguments of the
    example ``--help`` shows; ``scope`` the token scope the API wants; ``writes`` marks a change
    to a stack, which a production stack confirms (``-y/--yes``).
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
    example: str = ""
    scope: str | None = "public"
    writes: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def takes_stack(self) -> bool:
        """Tell whether the command has a STACK argument."""
        return STACK in self.args

    @property
    def words(self) -> str:
        """The command as typed: ``stacks list``, ``redeploy``."""
        return self.group if self.name is None else f"{self.group} {self.name}"


@attrs.define
class Context:
    """What a handler gets: the parsed arguments, the streams, the progress display, a client.

    ``stack`` is the stack the STACK argument named (resolved before the handler runs); its uid
    is also in ``ns.stack``.
    """

    ns: argparse.Namespace
    out: Output
    progress: Progress
    api: Client | None = None
    stack: Stack | None = None

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

    def command_line(self, *words: str) -> str:
        """The exact ``cloud66-async`` command that runs ``words`` against the same API.

        It repeats ``--base-url`` and ``--account`` when they were given, never ``--token``.
        """
        prefix: list[str] = [PROG]
        base_url = getattr(self.ns, "base_url", None)
        if base_url:
            prefix += ["--base-url", base_url]
        account = getattr(self.ns, "account", None)
        if account:
            prefix += ["--account", account]
        return shlex.join([*prefix, *words])

    @contextlib.contextmanager
    def resumable(self, what: str, *resume: str) -> Iterator[None]:
        """Say how to wait again when the wait inside is interrupted or runs out of time."""
        try:
            yield
        except (WaitTimeoutError, asyncio.CancelledError, KeyboardInterrupt):
            self.out.note(
                f"{what} goes on on the Cloud 66 server; to wait for it again, run:\n"
                f"  {self.command_line(*resume)}"
            )
            raise

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
                    status.total = page.total
                    status.done = len(items)
                    if limit is not None and len(items) >= limit:
                        break
        return items if limit is None else items[:limit]

    async def finish_action(self, action: Action) -> Action:
        """Return ``action``, or with ``--wait`` the finished action, showing progress."""
        if not getattr(self.ns, "wait", False):
            return action
        resume: tuple[str, ...]
        if action.stack_uid is not None:
            resume = ("actions", "wait", action.stack_uid, str(action.id))
        elif action.stack_name is not None and action.stack_environment is not None:
            # A new stack, looked up by name when the wait starts (stacks create).
            resume = ("actions", "wait", action.stack_name, str(action.id))
            resume += ("-e", action.stack_environment)
        else:
            self.out.note(f"note: cannot wait for action {action.id}: its stack is unknown")
            return action
        what = f"{action.action or 'action'} {action.id}"
        label = f"waiting for {what}"
        with self.resumable(f"The {what}", *resume):
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
        resume = ["deployments", "wait", stack_uid]
        if since is not None:
            resume += ["--since", since.strftime("%Y-%m-%dT%H:%M:%SZ")]
        with self.resumable("The deployment", *resume):
            async with self.progress.track("waiting for the deployment") as status:
                status.state = "starting"
                return await self.client.deployments.wait(
                    stack_uid,
                    result=result,
                    since=since,
                    on_progress=status.observe,
                    **self._wait_options(),
                )


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Let Ctrl-C interrupt a blocking read (a prompt) at once, inside a running event loop.

    asyncio's SIGINT handler only cancels the main task, which a blocking ``input()`` never
    notices; Python's default handler raises KeyboardInterrupt in it instead.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
