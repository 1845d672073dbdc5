"""``cloud66-async fake-server``: FakeCloud66 served standalone on loopback until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import signal

from ..testing import FakeCloud66
from ._core import EXIT_USAGE, CliError, Context

__all__ = ["serve"]

#: The request log is for tests; a long-running server forgets it past this many entries.
_MAX_LOG = 10_000


def _on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> list[signal.Signals]:
    """Stop on SIGINT and SIGTERM (a clean exit 0); returns the signals it took over."""
    taken = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            continue
        taken.append(sig)
    return taken


async def serve(ctx: Context) -> None:
    """Serve a :class:`FakeCloud66` until Ctrl-C or SIGTERM, after printing how to reach it."""
    ns = ctx.ns
    fake = FakeCloud66(
        stacks=ns.stacks,
        host=ns.host,
        port=ns.port,
        action_delay=ns.action_delay,
        deploy_duration=ns.deploy_duration,
        seed=ns.seed,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    taken = _on_signals(loop, stop)
    try:
        try:
            await fake.start()
        except OSError as exc:
            raise CliError(f"cannot listen on {ns.host}:{ns.port}: {exc}", EXIT_USAGE) from None
        async with fake:
            _announce(ctx, fake)
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=10.0)
                if len(fake.request_log) > _MAX_LOG:
                    fake.clear_log()
    finally:
        for sig in taken:
            loop.remove_signal_handler(sig)
    if not ctx.out.json_mode:
        ctx.out.note("fake server stopped")


def _announce(ctx: Context, fake: FakeCloud66) -> None:
    out = ctx.out
    if out.json_mode:
        out.line(
            json.dumps({"base_url": fake.base_url, "token": fake.token, "stacks": ctx.ns.stacks})
        )
        return
    url, token = fake.base_url, fake.token
    out.line(f"Fake Cloud 66 API with {ctx.ns.stacks} stacks")
    out.line(f"base URL: {url}")
    out.line(f"token:    {token}")
    out.line("Try:")
    out.line(f"  cloud66-async --base-url {shlex.quote(url)} --token {token} stacks list")
    out.line("or:")
    out.line(f"  export CLOUD66_URL={shlex.quote(url)} CLOUD66_ACCESS_TOKEN={token}")
    out.line("  cloud66-async stacks list")
    out.line("Press Ctrl-C to stop.")
