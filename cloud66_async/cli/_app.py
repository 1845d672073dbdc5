"""The parser, built from the command table, and the run loop that maps errors to exit codes.

The parser is argparse (with argcomplete for bash, zsh and fish completion): the commands are
data (``_commands.COMMANDS``), argparse builds one sub-parser per command from them, and
argcomplete completes exactly what argparse accepts, stack names included.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from rich.prompt import Confirm
from rich.text import Text

from .. import (
    ActionFailedError,
    Client,
    Cloud66Error,
    ConfigError,
    DeploymentFailedError,
    WaitTimeoutError,
)
from ._commands import COMMANDS, positive_float, positive_int
from ._completion import complete, stack_names
from ._core import (
    EXIT_API_ERROR,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    PROG,
    CliError,
    Command,
    Context,
    interruptible,
)
from ._output import Output, is_terminal, printable
from ._progress import Progress
from ._stacks import describe, is_production, resolve_stack

__all__ = ["EPILOG", "TOKEN_HELP", "build_parser", "exit_code_for", "run"]

STACK_HELP = (
    "the stack: its name, or its uid (32 hex characters, tried as a uid first, then as a name)"
)

#: Where tokens come from and which scopes the commands need (the no-token error prints it).
TOKEN_HELP = """\
Make a personal access token in Cloud 66 under Account -> Apps, then pass it with --token
TOKEN or set CLOUD66_ACCESS_TOKEN (cx's token file, ~/.cloud66/cx.json, is read too).
Scopes: public to read (every STACK argument needs it, to find the stack), redeploy for
redeploy, deployments cancel, actions run, stacks create and clouds, admin for env, services
scale/stop, containers get/stop, firewalls add, settings set, server-settings set and backups
create/import, users for accounts and users."""

EPILOG = f"""\
STACK arguments take a stack's name or its uid; -e/--environment ENV chooses among stacks of
one name (several matches: exit 2, listing them), and -s/--stack STACK works too. An argument
of 32 hexadecimal characters is tried as a uid first, then as a name.

Commands that change a stack (redeploy, deployments cancel, actions run, services scale/stop,
containers stop, env set/delete, settings set, server-settings set, firewalls add,
notifications update, backups create/import) ask before changing a production stack (one whose
environment is "production"); -y/--yes answers for them, and is needed without a terminal.

Global options may come before or after the command. Lists fetch every page unless --limit
is given. Tables mask the values of password environment variables; so does --json, unless
--show-passwords is given. -q/--quiet prints only ids, one per line. A live progress display
is drawn on stderr while waiting and during bulk work, only when stderr is a terminal (and not
with --no-progress); colour only on a terminal, never with NO_COLOR set.

exit codes:
  {EXIT_OK}    success
  {EXIT_INTERNAL}    an unexpected internal error (--debug shows the traceback)
  {EXIT_USAGE}    usage or configuration error (bad arguments, no token, bad base URL), a
       stack name several stacks have, or a production change not confirmed
  {EXIT_API_ERROR}    API error (with its HTTP status and request id), no such stack,
       connection failure, or an answer that could not be decoded
  {EXIT_FAILED}    the action or deployment waited on finished unsuccessfully
  {EXIT_TIMEOUT}    a wait ran out of time (--wait-timeout, else --timeout); the work goes on
       on the server, and the command that waits again is printed
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C); a wait prints the command that waits again

environment:
  CLOUD66_ACCESS_TOKEN  the API token when --token is not given (else the AccessToken
                        of ~/.cloud66/cx.json, the toolbelt's token file)
  CLOUD66_URL           the API base URL when --base-url is not given
  NO_COLOR              no colour, even on a terminal

tokens:
{TOKEN_HELP}

completion:
  eval "$({PROG} completion bash)"      (bash; zsh alike: completion zsh)
  {PROG} completion fish | source

examples:
  {PROG} stacks list
  {PROG} servers list "Awesome App"
  {PROG} env set "Awesome App" LOG_LEVEL debug --wait --yes
  {PROG} redeploy shop -e staging --git-ref main --wait
  {PROG} -q stacks list -e production
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


class _StackParser(_Parser):
    """The parser of a command with a STACK argument: ``-s/--stack NAME`` becomes STACK.

    STACK stays a required positional (so options may come between the positionals, as
    everywhere); a ``-s NAME`` anywhere among the command's arguments is moved to the front,
    where STACK is, before argparse sees it.
    """

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        return super().parse_known_args(_stack_first(list(args or ())), namespace)


def _stack_first(args: list[str]) -> list[str]:
    """Move the value of the first ``-s/--stack`` to the front of ``args`` (the STACK slot)."""
    for i, word in enumerate(args):
        if word == "--":
            break
        if word in ("-s", "--stack"):
            if i + 1 < len(args):
                return [args[i + 1], *args[:i], *args[i + 2 :]]
            break  # no value: argparse says so
        if word.startswith("--stack="):
            return [word[len("--stack=") :], *args[:i], *args[i + 1 :]]
        if word.startswith("-s") and not word.startswith("--") and len(word) > 2:
            return [word[2:], *args[:i], *args[i + 1 :]]
    return args


#: The defaults of the global options, for commands that do not take them (fake-server...).
_GLOBAL_DEFAULTS: dict[str, object] = {
    "token": None,
    "base_url": None,
    "account": None,
    "json": False,
    "quiet": False,
    "timeout": None,
    "no_progress": False,
    "debug": False,
    "yes": False,
}


def _add_globals(parser: argparse.ArgumentParser, *, repeated: bool) -> None:
    """Add the global options; on a sub-command (``repeated``) they default to "not given"."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if repeated else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--token",
        default=default(None),
        help="the API token (default: $CLOUD66_ACCESS_TOKEN, else ~/.cloud66/cx.json); "
        "make one in Cloud 66 under Account -> Apps",
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
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="print only ids (uids, ids or names), one per line, for scripts",
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
        help="never draw the progress display on stderr",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log every request on stderr, and show tracebacks of unexpected errors",
    )
    if not repeated:
        _add_yes(group, default=False)


def _add_yes(group: Any, *, default: object) -> None:
    group.add_argument(
        "-y",
        "--yes",
        action="store_true",
        default=default,
        help="change a production stack without asking (needed when there is no terminal)",
    )


def _add_stack(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the stack")
    action: Any = group.add_argument("stack_given", metavar="STACK", help=STACK_HELP)
    action.completer = stack_names
    action = group.add_argument(
        "-s",
        "--stack",
        dest="stack_option",
        metavar="STACK",
        help="the stack, given as an option (as cx takes it) instead of the STACK argument; "
        "-s and STACK together are an error",
    )
    action.completer = stack_names
    group.add_argument(
        "-e",
        "--environment",
        metavar="ENV",
        help="choose among stacks of that name by environment (production, staging...)",
    )


def _epilog(command: Command) -> str:
    lines = ["example:", f"  {PROG} {command.example}"]
    if command.writes:
        lines += [
            "",
            'On a production stack (environment "production") this asks for confirmation;',
            "-y/--yes answers it, and is needed when there is no terminal.",
        ]
    if command.scope is not None:
        needs = f"the {command.scope!r} scope"
        if command.takes_stack and command.scope != "public":
            needs += " (and 'public', to find the stack)"
        lines += ["", f"token: needs {needs}."]
    return "\n".join(lines)


def _add_command_args(parser: argparse.ArgumentParser, command: Command) -> None:
    for spec in command.args:
        if command.takes_stack and spec.flags == ("stack",):
            _add_stack(parser)
        else:
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
            "and 3600 for deployments); the work goes on on the server",
        )
        parser.add_argument(
            "--poll-interval",
            type=positive_float,
            metavar="SECONDS",
            help="the first delay between polls (it grows from there)",
        )
    if command.client:
        if command.writes:
            _add_yes(parser, default=argparse.SUPPRESS)
        _add_globals(parser, repeated=True)
    else:
        parser.set_defaults(**_GLOBAL_DEFAULTS)
        if command.group != "completion":
            parser.add_argument(
                "--json", action="store_true", help="print JSON instead of text for people"
            )
    parser.set_defaults(_command=command, _parser=parser, wait=command.wait == "always")


def _grouped(commands: Sequence[Command]) -> Iterator[tuple[str, list[Command]]]:
    order: dict[str, list[Command]] = {}
    for command in commands:
        order.setdefault(command.group, []).append(command)
    yield from order.items()


def _leaf(
    parent: Any, name: str, command: Command, out: Output, aliases: Sequence[str] = ()
) -> None:
    description = command.description or command.help[0].upper() + command.help[1:] + "."
    # The sub-parsers action builds each parser with its _parser_class: set it for this leaf.
    kept = parent._parser_class
    parent._parser_class = _StackParser if command.takes_stack else _Parser
    try:
        leaf = parent.add_parser(
            name,
            aliases=list(aliases),
            help=command.help,
            description=description,
            epilog=_epilog(command),
            out=out,
        )
    finally:
        parent._parser_class = kept
    _add_command_args(leaf, command)


def build_parser(
    out: Output,
    commands: Sequence[Command] = COMMANDS,
    *,
    named: Collection[str] | None = None,
) -> argparse.ArgumentParser:
    """Build the ``cloud66-async`` parser from the command table.

    With ``named`` (the words of a command line), only the groups named there get their
    sub-commands: the others are listed (for ``--help``) but left empty, which makes a run about
    three times cheaper. Any group argparse could pick is one of those words, so the parse is
    the same as with the whole tree.
    """
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
    wanted = None if named is None else frozenset(named)
    for group, members in _grouped(commands):
        aliases = members[0].aliases
        full = wanted is None or not wanted.isdisjoint({group, *aliases})
        if len(members) == 1 and members[0].name is None:
            if full:
                _leaf(groups, group, members[0], out)
            else:
                groups.add_parser(group, help=members[0].help, out=out)
            continue
        names = ", ".join(m.name or "" for m in members)
        sub = groups.add_parser(
            group,
            aliases=list(aliases),
            help=names,
            description=f"{group}: {names}",
            epilog="examples:\n" + "\n".join(f"  {PROG} {m.example}" for m in members),
            out=out,
        )
        if not full:
            continue
        actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
        for command in members:
            assert command.name is not None
            _leaf(actions, command.name, command, out)
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


def _check_token_source(ns: argparse.Namespace) -> None:
    """Fail with a helpful message when no token can be found at all (before any request)."""
    if ns.token is not None or os.environ.get("CLOUD66_ACCESS_TOKEN", "").strip():
        return
    try:
        if (Path.home() / ".cloud66" / "cx.json").is_file():
            return  # the SDK reads it (and says what is wrong with it, if anything)
    except (RuntimeError, OSError):  # no home directory
        pass
    raise CliError(
        "no Cloud 66 token: pass --token TOKEN or set CLOUD66_ACCESS_TOKEN",
        EXIT_USAGE,
        details=TOKEN_HELP.splitlines(),
    )


def _confirm(ctx: Context, command: Command, stdin: TextIO) -> None:
    """Ask before a change to a production stack, unless ``-y``; refuse without a terminal."""
    stack = ctx.stack
    if stack is None or not command.writes or ctx.ns.yes or not is_production(stack):
        return
    what = f"'{PROG} {command.words}' changes the production stack {describe(stack)}"
    if not (is_terminal(stdin) and ctx.out.err_console.is_terminal):
        raise CliError(f"{what}: pass -y/--yes to confirm (no terminal to ask on)", EXIT_USAGE)
    try:
        with interruptible():
            # Text, not a str: rich would read markup in a stack name as styling.
            question = Text(printable(f"{what}. Go on?"))
            agreed = Confirm.ask(question, console=ctx.out.err_console, default=False, stream=stdin)
    except (KeyboardInterrupt, EOFError):
        raise CliError("interrupted: nothing was changed", EXIT_INTERRUPTED) from None
    if not agreed:
        raise CliError("not confirmed: nothing was changed", EXIT_USAGE)


async def _execute(command: Command, ns: argparse.Namespace, out: Output, stdin: TextIO) -> int:
    progress = Progress.for_console(out.err_console, disabled=ns.no_progress)
    ctx = Context(ns=ns, out=out, progress=progress)
    try:
        if command.client:
            _check_token_source(ns)
            async with Client(
                ns.token, base_url=ns.base_url, timeout=ns.timeout, account_id=ns.account
            ) as client:
                ctx.api = client
                if command.takes_stack:
                    ctx.stack = await resolve_stack(client, ns.stack_given, ns.environment)
                    ns.stack = ctx.stack.uid
                    _confirm(ctx, command, stdin)
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
        elif isinstance(exc, CliError):
            out.error(exc.message, exc.details)
        else:
            out.error(str(exc))
        return code
    if value is not None:
        out.result(value, show_passwords=getattr(ns, "show_passwords", False))
    return EXIT_OK


def _check_args(ns: argparse.Namespace) -> None:
    """The checks argparse cannot express; a failure is a usage error (exit 2)."""
    parser: argparse.ArgumentParser = ns._parser
    if ns.json and ns.quiet:
        parser.error("give --json or -q/--quiet, not both")


def run(
    argv: Sequence[str] | None,
    *,
    stdout: TextIO,
    stderr: TextIO,
    stdin: TextIO | None = None,
) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` when ``None``); return the exit code.

    Results go to ``stdout``; errors, notes, prompts and the progress display to ``stderr``;
    a confirmation is read from ``stdin`` (default ``sys.stdin``).
    """
    out = Output(stdout, stderr)
    words = list(sys.argv[1:] if argv is None else argv)
    if argv is None and "_ARGCOMPLETE" in os.environ:
        complete(build_parser(out))  # the shell's words are in COMP_LINE: the whole tree
    parser = build_parser(out, named=words)
    try:
        ns = parser.parse_args(words)
        _check_args(ns)
    except SystemExit as exc:  # --help, --version, or a usage error already reported
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    out.json_mode = ns.json
    out.quiet = ns.quiet
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
        return asyncio.run(_execute(command, ns, out, sys.stdin if stdin is None else stdin))
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_INTERRUPTED
    finally:
        if handler is not None:
            logger.removeHandler(handler)
            logger.setLevel(previous)
