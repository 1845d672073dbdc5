"""``cloud66-async demo``: a narrated tour of the SDK against an in-process FakeCloud66."""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .. import Client
from ..models import Server, Stack
from ..testing import FakeCloud66
from ._core import EXIT_API_ERROR, CliError, Context
from ._output import Message, action_state, deployment_state, render_table
from ._stacks import PRODUCTION

__all__ = ["run_demo"]

#: The throttling episode: the fake's limit, and how many requests are fired at once.
THROTTLE_LIMIT = 40
THROTTLE_WINDOW = 0.5
THROTTLE_REQUESTS = 150
DEMO_KEY = "DEMO_GREETING"
DEMO_VALUE = "hello from cloud66-async"


def _cli(*words: str | Stack) -> str:
    """The ``cloud66-async`` command doing a step, with the stack by name (and environment)."""
    parts: list[str] = ["cloud66-async"]
    for word in words:
        if isinstance(word, Stack):
            parts.append(word.name or word.uid)
            if word.environment:
                parts += ["-e", word.environment]
            if word.environment == PRODUCTION:
                parts.append("--yes")
        else:
            parts.append(word)
    return shlex.join(parts)


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


async def run_demo(ctx: Context) -> object:
    """Run the tour; narrate each step, or with ``--json`` return one summary document."""
    out = ctx.out
    say: Callable[[str], None] = (lambda _text: None) if out.json_mode else out.line
    began = time.monotonic()
    summary: dict[str, Any] = {}
    async with FakeCloud66(
        stacks=ctx.ns.stacks, action_delay=0.3, deploy_duration=0.8, retry_after="fractional"
    ) as fake:
        summary["base_url"] = fake.base_url
        say(
            f"Started a fake Cloud 66 API at {fake.base_url} with {ctx.ns.stacks} stacks "
            f"({fake.per_page} per page)."
        )
        async with fake.client(rate_limit=None) as client:
            stacks = await _list_stacks(ctx, fake, client, say, summary)
            await _count_servers(ctx, client, stacks, say, summary)
            await _set_env_var(ctx, client, stacks[0], say, summary)
            await _redeploy(ctx, client, stacks[0], say, summary)
        await _throttle(ctx, fake, stacks, say, summary)
        summary["total_requests"] = len(fake.request_log)
    summary["seconds"] = round(time.monotonic() - began, 2)
    failures = summary["fan_out"]["failures"] + summary["throttle"]["failed"]
    summary["ok"] = failures == 0
    say(
        f"\n[6] Summary: the fake received {summary['total_requests']} requests; "
        f"the tour took {summary['seconds']:.1f}s."
    )
    if out.json_mode:
        out.result(Message("", summary))
    if failures:
        raise CliError(f"{failures} requests of the demo failed", EXIT_API_ERROR)
    return None


async def _list_stacks(
    ctx: Context,
    fake: FakeCloud66,
    client: Client,
    say: Callable[[str], None],
    summary: dict[str, Any],
) -> list[Stack]:
    say("\n[1] Listing every stack with lazy auto-pagination:")
    say("      async for page in client.stacks.list().pages(): ...")
    before = len(fake.request_log)
    stacks: list[Stack] = []
    pages = 0
    async with ctx.progress.track("listing stacks") as status:
        async for page in client.stacks.list().pages():
            pages += 1
            stacks.extend(page.items)
            status.state = f"page {page.number}"
            status.done, status.total = len(stacks), page.total
    requests = len(fake.request_log) - before
    summary["list"] = {"stacks": len(stacks), "pages": pages, "requests": requests}
    say(f"    {len(stacks)} stacks in {pages} pages, {requests} requests. The first three:")
    say(_indent(render_table(stacks[:3])))
    return stacks


async def _count_servers(
    ctx: Context,
    client: Client,
    stacks: list[Stack],
    say: Callable[[str], None],
    summary: dict[str, Any],
) -> None:
    concurrency = 10
    say(f"\n[2] Counting servers on every stack with fan_out, {concurrency} at a time:")
    say("      async for outcome in client.fan_out(stacks, list_servers, concurrency=10): ...")

    async def list_servers(stack: Stack) -> list[Server]:
        return await client.servers.list(stack.uid).collect()

    started = time.monotonic()
    servers = failures = 0
    async with ctx.progress.track("counting servers", total=len(stacks)) as status:
        status.done = 0
        async for outcome in client.fan_out(stacks, list_servers, concurrency=concurrency):
            status.done += 1
            if outcome.value is not None:
                servers += len(outcome.value)
            else:
                failures += 1
    seconds = time.monotonic() - started
    summary["fan_out"] = {
        "stacks": len(stacks),
        "servers": servers,
        "failures": failures,
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
    }
    say(f"    {servers} servers on {len(stacks)} stacks ({failures} failures) in {seconds:.1f}s.")


async def _set_env_var(
    ctx: Context,
    client: Client,
    stack: Stack,
    say: Callable[[str], None],
    summary: dict[str, Any],
) -> None:
    say(f"\n[3] Setting {DEMO_KEY} on stack {stack.name!r} and waiting for the action:")
    say("      action = await client.env_vars.add(uid, key, value)")
    say("      done = await client.actions.wait(action, on_progress=...)")
    say(f"    (from the command line: {_cli('env', 'set', stack, DEMO_KEY, 'hello', '--wait')})")
    started = time.monotonic()
    action = await client.env_vars.add(stack.uid, DEMO_KEY, DEMO_VALUE)
    async with ctx.progress.track(f"waiting for action {action.id}") as status:
        status.observe(action)
        done = await client.actions.wait(action, poll_interval=0.1, on_progress=status.observe)
    seconds = time.monotonic() - started
    value = None
    async for variable in client.env_vars.list(stack.uid):
        if variable.key == DEMO_KEY:
            value = variable.value
    summary["env_var"] = {
        "stack_uid": stack.uid,
        "stack_name": stack.name,
        "key": DEMO_KEY,
        "action_id": done.id,
        "state": action_state(done),
        "seconds": round(seconds, 2),
        "read_back": value,
    }
    say(
        f"    action {done.id} ({done.action}) finished: {action_state(done)} "
        f"in {seconds:.1f}s; read back {DEMO_KEY}={value!r}."
    )


async def _redeploy(
    ctx: Context,
    client: Client,
    stack: Stack,
    say: Callable[[str], None],
    summary: dict[str, Any],
) -> None:
    say(f"\n[4] Redeploying stack {stack.name!r} and waiting for the deployment:")
    say("      result = await client.deployments.redeploy(uid)")
    say("      deployment = await client.deployments.wait(uid, result=result, since=...)")
    say(f"    (from the command line: {_cli('redeploy', stack, '--wait')})")
    started_at = datetime.now(UTC)
    started = time.monotonic()
    result = await client.deployments.redeploy(stack.uid)
    async with ctx.progress.track("waiting for the deployment") as status:
        deployment = await client.deployments.wait(
            stack.uid,
            result=result,
            since=started_at,
            poll_interval=0.2,
            on_progress=status.observe,
        )
    seconds = time.monotonic() - started
    summary["redeploy"] = {
        "stack_uid": stack.uid,
        "stack_name": stack.name,
        "deployment_id": deployment.id,
        "outcome": deployment_state(deployment),
        "seconds": round(seconds, 2),
    }
    say(
        f"    deployment {deployment.id} finished with outcome "
        f"{deployment_state(deployment)} in {seconds:.1f}s."
    )


async def _throttle(
    ctx: Context,
    fake: FakeCloud66,
    stacks: list[Stack],
    say: Callable[[str], None],
    summary: dict[str, Any],
) -> None:
    say(
        f"\n[5] Throttling: the fake now allows {THROTTLE_LIMIT} requests per "
        f"{THROTTLE_WINDOW:g}s window\n    (then 503 throttled with a fractional Retry-After);"
    )
    say(f"    firing {THROTTLE_REQUESTS} concurrent requests through one client:")
    say("      await asyncio.gather(*(client.stacks.get(uid) for uid in uids))")
    fake.set_rate_limit(THROTTLE_LIMIT, THROTTLE_WINDOW)
    before = len(fake.request_log)
    uids = [stacks[i % len(stacks)].uid for i in range(THROTTLE_REQUESTS)]
    started = time.monotonic()
    try:
        # A client with its default settings: the limiter follows X-RateLimit-Remaining.
        async with fake.client() as client:
            async with ctx.progress.track("throttled requests", total=len(uids)) as status:
                status.done = 0

                async def get(uid: str) -> Stack:
                    try:
                        return await client.stacks.get(uid)
                    finally:
                        status.done = (status.done or 0) + 1

                results = await asyncio.gather(*(get(uid) for uid in uids), return_exceptions=True)
            state = client.rate_limit_state
            in_flight = client.max_concurrency
    finally:
        fake.set_rate_limit(None)
    seconds = time.monotonic() - started
    log = fake.request_log[before:]
    succeeded = sum(1 for r in results if isinstance(r, Stack))
    answered_503 = sum(1 for entry in log if entry.status == 503)
    summary["throttle"] = {
        "requests": len(uids),
        "succeeded": succeeded,
        "failed": len(uids) - succeeded,
        "fake_answered_503": answered_503,
        "throttled_total": state.throttled_total,
        "max_in_flight": in_flight,
        "sent": len(log),
        "rate_limit": {"requests": THROTTLE_LIMIT, "window": THROTTLE_WINDOW},
        "seconds": round(seconds, 2),
    }
    say(
        f"    {succeeded} of {len(uids)} succeeded in {seconds:.1f}s ({len(log)} requests sent).\n"
        f"    The fake answered 503 throttled {answered_503} times; "
        f"client.rate_limit_state.throttled_total = {state.throttled_total}.\n"
        f"    Once X-RateLimit-Remaining reached 0 the client sent one request at a time, and\n"
        f"    after a 503 the shared gate held every request back until one probe passed:\n"
        f"    a spent window costs about one 503, never more than the {in_flight} in flight."
    )
