"""A chat-ops bot on asyncio: one command per line in, one-line replies out.

    export CLOUD66_ACCESS_TOKEN=...                  # and CLOUD66_URL for another API
    python examples/deploy_bot.py
    status Magic Shop
    Magic Shop (development): success, health ok; last deployment #110 success, ...
    redeploy "Magic Shop" web
    redeploy Magic Shop (development): started (Stack queued for redeployment)
    redeploy Magic Shop (development): finished (deployment #116)

Commands: ``status NAME``, ``redeploy NAME [SERVICE ...]`` and ``help``. Quote a name with
spaces when more words follow it, and add ``@ENVIRONMENT`` when the same name is used in several
environments (``status "Magic Shop@staging"``).

What it shows: commands run concurrently (a ``status`` is answered while a ``redeploy`` waits
for its deployment), every failure is a one-line reply rather than a traceback, and shutdown is
clean: at end of input the bot waits for the commands still running; on Ctrl-C or SIGTERM it
cancels them, tells the chat, and closes its connections.

The bot core (:class:`Bot` and :func:`run_bot`) knows nothing of where commands come from: a
real chat adapter (Slack, Matrix, Discord) plugs in by providing the two functions that
:func:`terminal` provides here, one that waits for the next command and one that sends a reply.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import cloud66_async as c66
from cloud66_async.models import Deployment, Stack

#: Wait for the next command; ``None`` when there will be no more (the chat connection ended).
ReadCommand = Callable[[], Awaitable[str | None]]
#: Send one reply line to where the commands come from.
SendReply = Callable[[str], Awaitable[None]]

HELP = (
    'commands: status NAME | redeploy NAME [SERVICE ...] | help  (quote a name with spaces: "My '
    'App"; add @ENVIRONMENT when a name is used in several: "My App@staging")'
)

logger = logging.getLogger("deploy_bot")


def label(stack: Stack) -> str:
    return f"{stack.name} ({stack.environment})"


def describe_deployment(deployment: Deployment | None) -> str:
    if deployment is None:
        return "no deployments yet"
    text = f"last deployment #{deployment.id}"
    if deployment.is_deploying:
        when = deployment.started_at
        return text + " running" + (f" since {when:%Y-%m-%d %H:%M} UTC" if when else "")
    outcome = deployment.outcome.meaning if deployment.outcome is not None else None
    text += f" {outcome or 'unknown'}"
    if deployment.finished_at is not None:
        text += f", finished {deployment.finished_at:%Y-%m-%d %H:%M} UTC"
    if deployment.triggered_by:
        text += f" by {deployment.triggered_by}"
    return text


class Bot:
    """Answer commands with one-line replies; several commands may run at once."""

    def __init__(
        self,
        client: c66.Client,
        send_reply: SendReply,
        *,
        poll_interval: float = 2.0,
        deploy_timeout: float = 3600.0,
    ) -> None:
        self.client = client
        self.send = send_reply
        self.poll_interval = poll_interval
        self.deploy_timeout = deploy_timeout

    async def handle(self, line: str) -> None:
        """Run one command line; whatever happens, the chat gets a reply, never a traceback."""
        try:
            words = shlex.split(line)
        except ValueError as exc:  # an unclosed quote
            await self.send(f"cannot read that command ({exc}); try help")
            return
        if not words:
            return
        command, args = words[0].lower(), words[1:]
        try:
            if command == "help":
                await self.send(HELP)
            elif command == "status" and args:
                # `status Magic Shop` needs no quotes: the name is the rest of the line.
                await self.status(" ".join(args))
            elif command == "redeploy" and args:
                await self.redeploy(args[0], args[1:])
            else:
                # Echo a bounded part only: a reply must not repeat a pasted novel.
                await self.send(f"unknown command: {line.strip()[:40]!r}; try help")
        except c66.StackNotFoundError as exc:
            await self.send(f"{exc.name}: not found")
        except c66.AmbiguousStackError as exc:
            choices = ", ".join(f'"{s.name}@{s.environment}"' for s in exc.candidates)
            await self.send(f"{exc.name}: several stacks have this name; say which: {choices}")
        except c66.Cloud66Error as exc:  # the API said no, or could not be reached
            await self.send(f"{command}: error: {exc}")
        except Exception as exc:
            # A bug must not take the bot (and the other commands) down: log it, say so.
            logger.exception("command %r failed", line)
            await self.send(f"{command}: internal error ({type(exc).__name__})")

    async def find(self, target: str) -> Stack:
        name, at, environment = target.rpartition("@")
        if not at:
            name, environment = target, ""
        return await self.client.stacks.find(name, environment=environment or None)

    async def status(self, target: str) -> None:
        stack = await self.find(target)
        newest = await self.client.deployments.list(stack.uid).first()
        status = stack.status.name.lower() if stack.status is not None else "unknown"
        health = stack.health.name.lower() if stack.health is not None else "unknown"
        await self.send(f"{label(stack)}: {status}, health {health}; {describe_deployment(newest)}")

    async def redeploy(self, target: str, services: list[str]) -> None:
        stack = await self.find(target)
        what = f"redeploy {label(stack)}"
        # The API's timestamps mark the new deployment: note the time before asking for it.
        since = datetime.now(UTC)
        result = await self.client.deployments.redeploy(stack.uid, services=services or None)
        if result.ok is False:
            await self.send(f"{what}: failed: {result.message or 'refused by the API'}")
            return
        await self.send(f"{what}: started ({result.message or 'queued'})")
        try:
            # Polls with growing intervals; other commands keep running meanwhile.
            deployment = await self.client.deployments.wait(
                stack.uid,
                result=result,
                since=since,
                timeout=self.deploy_timeout,
                poll_interval=self.poll_interval,
            )
        except c66.DeploymentFailedError as exc:
            failed: Deployment = exc.deployment
            outcome = failed.outcome.meaning if failed.outcome is not None else "unknown outcome"
            await self.send(f"{what}: failed: deployment #{failed.id} ended {outcome}")
        except c66.WaitTimeoutError:
            await self.send(f"{what}: failed: not finished after {self.deploy_timeout:g}s")
        except c66.Cloud66Error as exc:
            await self.send(f"{what}: failed: {exc}")
        except asyncio.CancelledError:
            # Stopping the bot stops the waiting, not the deployment: say so, then stop.
            await self.send(f"{what}: no longer watched (the deployment goes on in Cloud 66)")
            raise
        else:
            await self.send(f"{what}: finished (deployment #{deployment.id})")


async def run_bot(
    client: c66.Client,
    read_command: ReadCommand,
    send_reply: SendReply,
    *,
    poll_interval: float = 2.0,
    deploy_timeout: float = 3600.0,
) -> None:
    """Read commands until there are none left, running each as its own task."""
    bot = Bot(client, send_reply, poll_interval=poll_interval, deploy_timeout=deploy_timeout)
    # The task group runs commands side by side. Leaving it waits for those still running;
    # when this coroutine is cancelled (Ctrl-C), it cancels them and waits for them to unwind.
    async with asyncio.TaskGroup() as commands:
        while (line := await read_command()) is not None:
            commands.create_task(bot.handle(line))


# -- the terminal adapter: commands from stdin, replies to stdout --------------------------------


@contextlib.asynccontextmanager
async def terminal() -> AsyncIterator[tuple[ReadCommand, SendReply]]:
    """Provide the two functions a chat adapter would: read a command, send a reply."""

    async def send_reply(text: str) -> None:
        print(text, flush=True)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport: asyncio.ReadTransport | None
    try:
        # Read stdin without blocking the event loop (and without a thread that could not be
        # stopped on Ctrl-C).
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
        )
    except ValueError:  # stdin is a regular file (`deploy_bot.py < commands.txt`)
        transport = None
    if transport is None:

        async def read_file() -> str | None:
            return sys.stdin.readline() or None  # reading a file never blocks for long

        yield read_file, send_reply
        return

    async def read_command() -> str | None:
        try:
            line = await reader.readline()
        except ValueError:  # a line over the reader's 64 KiB limit: skip it, keep going
            await send_reply("that line is too long; ignored")
            return ""
        return line.decode("utf-8", errors="replace") if line else None

    try:
        yield read_command, send_reply
    finally:
        # connect_read_pipe made stdin non-blocking, and a shell sharing this terminal would
        # trip over that after we exit: restore it before the transport closes stdin.
        with contextlib.suppress(OSError, ValueError):
            os.set_blocking(sys.stdin.fileno(), True)
        transport.close()


async def amain(poll_interval: float, deploy_timeout: float) -> None:
    # asyncio.run cancels this task on Ctrl-C; do the same on SIGTERM, which is how containers
    # and service managers stop a bot.
    task = asyncio.current_task()
    assert task is not None
    with contextlib.suppress(NotImplementedError):  # Windows has no add_signal_handler
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    # One Client for the bot's lifetime; it reads CLOUD66_ACCESS_TOKEN and CLOUD66_URL.
    async with c66.Client() as client, terminal() as (read_command, send_reply):
        await run_bot(
            client,
            read_command,
            send_reply,
            poll_interval=poll_interval,
            deploy_timeout=deploy_timeout,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="A chat-ops bot for Cloud 66 on stdin/stdout.")
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="first wait between two looks at a running deployment (default 2; it grows)",
    )
    parser.add_argument(
        "--deploy-timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how long to watch a deployment before giving up (default 3600)",
    )
    args = parser.parse_args()
    if not args.poll_interval > 0 or not args.deploy_timeout > 0:
        parser.error("--poll-interval and --deploy-timeout must be positive")
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:
        asyncio.run(amain(args.poll_interval, args.deploy_timeout))
    except c66.ConfigError as exc:  # no token, a bad CLOUD66_URL
        print(f"deploy_bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: every command was cancelled and cleaned up
        return 130
    except asyncio.CancelledError:  # SIGTERM
        return 143
    return 0


if __name__ == "__main__":
    sys.exit(main())
