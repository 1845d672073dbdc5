"""The parser, built from the command table, and the run loop that maps errors to exit codes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from .. import (
    ActionFailedError,
    Client,
    Cloud66Error,
    ConfigError,
    DeploymentFailedError,
    WaitTimeoutError,
)
from .._options import default_home, environ, resolve_token
from ._commands import COMMANDS, positive_float, positive_int
from ._core import (
    EXIT_API_ERROR,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CliError,
    Command,
    Context,
)
from ._output import Output
from ._progress import Progress

__all__ = ["EPILOG", "build_parser", "exit_code_for", "run"]

PROG = "cloud66-async"

EPILOG = f"""\
Global options may come before or after the command. Lists fetch every page unless --limit
is given. Tables mask the values of password environment variables; so does --json, unless
--show-passwords is given. A live progress line is drawn on stderr while waiting and during
bulk work, only when stderr is a terminal (and not with --no-progress).

exit codes:
  {EXIT_OK}    success
  {EXIT_INTERNAL}    an unexpected internal error (--debug shows the traceback)
  {EXIT_USAGE}    usage or configuration error (bad arguments, no token, bad base URL)
  {EXIT_API_ERROR}    API error (with its HTTP status and request id), connection failure,
       or an answer that could not be decoded
  {EXIT_FAILED}    the action or deployment waited on finished unsuccessfully
  {EXIT_TIMEOUT}    a wait ran out of time (--wait-timeout, else --timeout)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)

environment:
  CLOUD66_ACCESS_TOKEN  the API token when --token is not given (else the AccessToken
                        of ~/.cloud66/cx.json, the toolbelt's token file)
  CLOUD66_URL           the API base URL when --base-url is not given

examples:
  {PROG} stacks list
  {PROG} env set STACK_UID LOG_LEVEL debug --wait
  {PROG} redeploy STACK_UID --git-ref main --wait
  {PROG} --json servers list STACK_UID
  {PROG} demo
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that prints through the command's streams, not ``sys``'s."""

    def __init__(self, *args: Any, out: Output, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        self.out = out

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            stream = self.out.stderr if file is sys.stderr else self.out.stdout
            stream.write(message)
            stream.flush()


def _add_globals(parser: argparse.ArgumentParser, *, repeated: bool) -> None:
    """Add the global options; on a sub-command (``repeated``) they default to "not given"."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if repeated else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--token",
        default=default(None),
        help="the API token (default: $CLOUD66_ACCESS_TOKEN, else ~/.cloud66/cx.json)",
    )
    group.add_argument(
        "--base-url",
        default=default(None),
        metavar="URL",
        help="the API base URL (default: $CLOUD66_URL, else https://app.cloud66.com/api/3)",
    )
    group.add_argument(
        "--account", default=default(None), metavar="ID", help="act for this account (X-Account)"
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print exactly one JSON document on stdout (password values masked unless "
        "--show-passwords)",
    )
    group.add_argument(
        "--timeout",
        type=positive_float,
        default=default(None),
        metavar="SECONDS",
        help="time limit of each HTTP request (default 60), and of waits without --wait-timeout",
    )
    group.add_argument(
        "--no-progress",
        action="store_true",
        default=default(False),
        help="never draw the progress line on stderr",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log every request on stderr, and show tracebacks of unexpected errors",
    )


def _add_command_args(parser: argparse.ArgumentParser, command: Command) -> None:
    for spec in command.args:
        parser.add_argument(*spec.flags, **spec.options)
    if command.list:
        parser.add_argument("--limit", type=positive_int, metavar="N", help="stop after N items")
    if command.secrets:
        parser.add_argument(
            "--show-passwords",
            action="store_true",
            help="show the values of password variables (tables and --json)",
        )
    if command.wait == "flag":
        parser.add_argument(
            "--wait", action="store_true", help="wait until the work finishes (progress on stderr)"
        )
    if command.wait != "no":
        parser.add_argument(
            "--wait-timeout",
            type=positive_float,
            metavar="SECONDS",
            help="give up waiting after this long (default: --timeout, else 600 for actions "
            "and 3600 for deployments)",
        )
        parser.add_argument(
            "--poll-interval",
            type=positive_float,
            metavar="SECONDS",
            help="the first delay between polls (it grows from there)",
        )
    _add_globals(parser, repeated=True)
    parser.set_defaults(_command=command, wait=command.wait == "always")


def _grouped(commands: Sequence[Command]) -> Iterator[tuple[str, list[Command]]]:
    order: dict[str, list[Command]] = {}
    for command in commands:
        order.setdefault(command.group, []).append(command)
    yield from order.items()


def build_parser(out: Output, commands: Sequence[Command] = COMMANDS) -> argparse.ArgumentParser:
    """Build the ``cloud66-async`` parser from the command table."""
    from .. import __version__

    parser = _Parser(
        prog=PROG,
        description="Work with the Cloud 66 API v3 from the command line "
        "(built on the cloud66_async SDK).",
        epilog=EPILOG,
        out=out,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_globals(parser, repeated=False)
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for group, members in _grouped(commands):
        if len(members) == 1 and members[0].name is None:
            command = members[0]
            leaf = groups.add_parser(
                group,
                help=command.help,
                description=command.description or command.help[0].upper() + command.help[1:],
                out=out,
            )
            _add_command_args(leaf, command)
            continue
        names = ", ".join(m.name or "" for m in members)
        sub = groups.add_parser(group, help=names, description=f"{group}: {names}", out=out)
        actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
        for command in members:
            assert command.name is not None
            leaf = actions.add_parser(
                command.name,
                help=command.help,
                description=command.description or command.help[0].upper() + command.help[1:],
                out=out,
            )
            _add_command_args(leaf, command)
    return parser


def exit_code_for(exc: BaseException) -> int:
    """Map an error to the command's exit code (see the ``--help`` epilog)."""
    if isinstance(exc, CliError):
        return exc.exit_code
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    if isinstance(exc, (ActionFailedError, DeploymentFailedError)):
        return EXIT_FAILED
    if isinstance(exc, WaitTimeoutError):
        return EXIT_TIMEOUT
    if isinstance(exc, Cloud66Error):
        return EXIT_API_ERROR
    if isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError)):
        return EXIT_INTERRUPTED
    return EXIT_INTERNAL


def _last_state(exc: BaseException) -> object:
    """What a failed or timed-out wait last saw, to print as the command's result."""
    if isinstance(exc, ActionFailedError):
        return exc.action
    if isinstance(exc, DeploymentFailedError):
        return exc.deployment
    if isinstance(exc, WaitTimeoutError):
        return exc.last
    return None


class _OutputLogHandler(logging.Handler):
    """Send the SDK's log records through :class:`Output` (so they are scrubbed)."""

    def __init__(self, out: Output) -> None:
        super().__init__(logging.DEBUG)
        self.out = out
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.out.note(self.format(record))
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)


async def _execute(command: Command, ns: argparse.Namespace, out: Output) -> int:
    progress = Progress.for_stream(out.stderr, disabled=ns.no_progress)
    ctx = Context(ns=ns, out=out, progress=progress)
    try:
        if command.client:
            token = resolve_token(ns.token, environ(), default_home())
            out.add_secret(token)
            async with Client(
                token, base_url=ns.base_url, timeout=ns.timeout, account_id=ns.account
            ) as client:
                ctx.api = client
                value = await command.handler(ctx)
        else:
            value = await command.handler(ctx)
    except Exception as exc:
        code = exit_code_for(exc)
        if code == EXIT_INTERNAL and ns.debug:
            raise
        last = _last_state(exc)
        if last is not None:
            out.result(last, show_passwords=getattr(ns, "show_passwords", False))
        if code == EXIT_INTERNAL:
            out.error(f"unexpected {type(exc).__name__}: {exc} (--debug shows the traceback)")
        else:
            out.error(str(exc))
        return code
    if value is not None:
        out.result(value, show_passwords=getattr(ns, "show_passwords", False))
    return EXIT_OK


def run(argv: Sequence[str] | None, *, stdout: TextIO, stderr: TextIO) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` when ``None``); return the exit code.

    Results go to ``stdout``; errors, notes and the progress line to ``stderr``.
    """
    out = Output(stdout, stderr)
    parser = build_parser(out)
    try:
        ns = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version, or a usage error already reported
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    out.json_mode = ns.json
    if ns.token:
        out.add_secret(ns.token)
    command: Command = ns._command
    logger = logging.getLogger("cloud66_async")
    handler: logging.Handler | None = None
    if ns.debug:
        handler = _OutputLogHandler(out)
        logger.addHandler(handler)
        previous = logger.level
        logger.setLevel(logging.DEBUG)
    try:
        return asyncio.run(_execute(command, ns, out))
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_INTERRUPTED
    finally:
        if handler is not None:
            logger.removeHandler(handler)
            logger.setLevel(previous)
