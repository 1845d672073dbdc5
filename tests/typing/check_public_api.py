"""The public API used the way users write it, checked with ``mypy --strict tests/typing``.

Never run (no ``test_`` prefix, and everything sits inside ``_usage``): it only has to
type-check, and each ``assert_type`` pins a public annotation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import assert_type

import aiohttp
import anyio

import cloud66_async as c66
from cloud66_async import (
    APIError,
    Client,
    Cloud66Error,
    ConfigError,
    Hooks,
    NotFoundError,
    Outcome,
    Page,
    Paginator,
    RateLimit,
    RateLimitState,
    RawResponse,
    RequestEvent,
    RequestTimeoutError,
    ResponseEvent,
    RetryEvent,
    RetryPolicy,
    ThrottledError,
    ThrottleEvent,
    Timeout,
    TransportError,
)
from cloud66_async.models import (
    Account,
    Action,
    Backup,
    BackupFile,
    Cloud,
    Container,
    Deployment,
    Device,
    EnvVar,
    FirewallRule,
    Notification,
    OperationResult,
    RedeployResult,
    Server,
    ServerGroup,
    ServerSetting,
    Service,
    Setting,
    Stack,
    User,
)
from cloud66_async.testing import FakeCloud66, LoggedRequest


def _settings() -> None:
    assert_type(Timeout(total=30.0, connect=5.0, read=None), Timeout)
    timeout = Timeout()
    assert_type(timeout.total, float | None)
    assert_type(timeout.connect, float | None)
    assert_type(timeout.read, float | None)
    policy = RetryPolicy(retries=5, backoff=0.1, backoff_max=2.0, throttle_max_wait=60.0)
    assert_type(policy.retries, int)
    assert_type(policy.throttle_max_wait, float)
    assert_type(RetryPolicy.none(), RetryPolicy)
    limit = RateLimit(requests=100, per=60.0)
    assert_type(limit.requests, int)
    assert_type(limit.per, float)


def _hooks() -> Hooks:
    def on_request(event: RequestEvent) -> None:
        assert_type(event.method, str)
        assert_type(event.url, str)
        assert_type(event.attempt, int)
        assert_type(event.request_id, str)

    async def on_response(event: ResponseEvent) -> None:
        assert_type(event.status, int)
        assert_type(event.elapsed, float)
        await anyio.sleep(0.01)

    async def on_retry(event: RetryEvent) -> None:
        assert_type(event.delay, float)
        assert_type(event.reason, str)
        assert_type(event.status, int | None)

    def on_throttle(event: ThrottleEvent) -> None:
        assert_type(event.delay, float)
        assert_type(event.retry_after, float | None)

    hooks = Hooks(
        on_request=on_request,
        on_response=on_response,
        on_retry=on_retry,
        on_throttle=on_throttle,
    )
    assert_type(Hooks(on_retry=lambda event: print(event.delay)), Hooks)
    return hooks


async def _usage() -> None:
    trace = aiohttp.TraceConfig()
    client = Client(
        "token",
        base_url="https://app.cloud66.com/api/3",
        timeout=Timeout(total=30.0),
        retry=RetryPolicy(retries=3),
        rate_limit=RateLimit(requests=100, per=60.0),
        max_concurrency=5,
        user_agent="my-bot/1.0",
        account_id=42,
        hooks=_hooks(),
        trace_configs=[trace],
    )
    assert_type(Client(timeout=10, rate_limit=None), Client)
    async with aiohttp.ClientSession() as session:
        assert_type(Client("token", session=session, account_id="7"), Client)

    async with client:
        assert_type(client.base_url, str)
        assert_type(client.timeout, Timeout)
        assert_type(client.retry, RetryPolicy)
        assert_type(client.max_concurrency, int)
        assert_type(client.closed, bool)
        assert_type(client.requests_sent, int)

        # Managers: one-object calls are coroutines of models, lists are paginators.
        assert_type(await client.stacks.get("x"), Stack)
        assert_type(client.stacks.list(), Paginator[Stack])
        assert_type(client.stacks.list(max_items=100, start_page=3), Paginator[Stack])
        assert_type(
            await client.stacks.create("app", "production", "services: {}", cloud="aws"), Action
        )
        assert_type(await client.actions.run("x", "restart"), Action)
        assert_type(await client.actions.run("x", "maintenance_mode", value=True), Action)
        assert_type(await client.actions.get("x", 1), Action)
        assert_type(client.actions.list("x"), Paginator[Action])
        action = await client.actions.run("x", "restart", wait=True, wait_timeout=60.0)
        assert_type(await client.actions.wait(action, timeout=600, poll_interval=0.5), Action)
        assert_type(
            await client.actions.wait_many([action], timeout=900, on_progress=print), list[Action]
        )
        assert_type(client.deployments.list("x"), Paginator[Deployment])
        assert_type(await client.deployments.get("x", 1), Deployment)
        assert_type(await client.deployments.redeploy("x", git_ref="main"), RedeployResult)
        assert_type(await client.deployments.redeploy("x", services=["web"]), RedeployResult)
        assert_type(await client.deployments.cancel("x", 1), OperationResult)
        assert_type(await client.deployments.wait("x", timeout=3600), Deployment)
        assert_type(client.services.list("x", server_uid="s"), Paginator[Service])
        assert_type(await client.services.get("x", "web"), Service)
        assert_type(await client.services.scale("x", "web", server_group_count={"web": 4}), Action)
        assert_type(await client.services.stop("x", "web"), Action)
        assert_type(client.containers.list("x"), Paginator[Container])
        assert_type(await client.containers.get("x", "c"), Container)
        assert_type(await client.containers.stop("x", "c"), Action)
        assert_type(client.env_vars.list("x"), Paginator[EnvVar])
        assert_type(await client.env_vars.get("x", 1), EnvVar)
        assert_type(await client.env_vars.add("x", "KEY", "value"), Action)
        assert_type(await client.env_vars.update("x", "KEY", "value", wait=True), Action)
        assert_type(await client.env_vars.delete("x", "KEY"), None)
        assert_type(client.firewalls.list("x"), Paginator[FirewallRule])
        assert_type(await client.firewalls.get("x", 1), FirewallRule)
        # The blueprint documents no answer for these three: None when the server sends none.
        rule = await client.firewalls.add("x", protocol="tcp", port=443, from_ip="1.2.3.4")
        assert_type(rule, FirewallRule | None)
        if rule is not None:
            assert_type(rule.id, int)
        assert_type(client.notifications.list("x"), Paginator[Notification])
        assert_type(await client.notifications.get("x", 1), Notification)
        assert_type(
            await client.notifications.update("x", 1, channels=["email"]), Notification | None
        )
        assert_type(
            await client.users.update_device(1, token="t", device_type="ios", sub_type="ipad"),
            Device | None,
        )
        assert_type(client.settings.list("x"), Paginator[Setting])
        assert_type(await client.settings.get("x", "git.branch"), Setting)
        assert_type(await client.settings.update("x", "git-branch", "main"), Action)
        assert_type(client.server_groups.list("x"), Paginator[ServerGroup])
        assert_type(await client.server_groups.get("x", 1), ServerGroup)
        assert_type(client.servers.list("x"), Paginator[Server])
        assert_type(await client.servers.get("x", "s", include_private_key=True), Server)
        assert_type(client.server_settings.list("x", "s"), Paginator[ServerSetting])
        assert_type(await client.server_settings.get("x", "s", "git.branch"), ServerSetting)
        assert_type(client.clouds.list(), Paginator[Cloud])
        assert_type(await client.clouds.get("aws"), Cloud)
        assert_type(client.backups.list("x", db_type="mysql"), Paginator[Backup])
        assert_type(await client.backups.get("x", 1), Backup)
        assert_type(client.backups.files("x", 1), Paginator[BackupFile])
        assert_type(await client.backups.file_url("x", 1, "f"), str)
        assert_type(client.accounts.list(), Paginator[Account])
        assert_type(await client.accounts.get(1), Account)
        assert_type(client.users.list(), Paginator[User])
        assert_type(await client.users.get(1), User)
        assert_type(await client.users.delete_device(1, "token"), None)

        # Pagination.
        servers = client.servers.list("x")
        async for server in servers:
            assert_type(server, Server)
        async for page in servers.pages():
            assert_type(page, Page[Server])
            assert_type(page.items, list[Server])
            assert_type(page.number, int)
            assert_type(page.next, int | None)
            assert_type(page.pages, int | None)
            assert_type(page.total, int | None)
            assert_type(page.headers, Mapping[str, str])
            assert_type(page.request_id, str | None)
        assert_type(await servers.collect(), list[Server])
        assert_type(await servers.first(), Server | None)
        assert_type(servers.map(lambda s: s.uid), Paginator[str])

        # The escape hatch.
        payload = await client.request("GET", "/stacks/x/jobs", params={"page": 1})
        print(payload)

        # Bulk work: outcomes carry the item and the value.
        stacks = await client.stacks.list().collect()

        async def count_servers(stack: Stack) -> int:
            return len(await client.servers.list(stack.uid).collect())

        async for outcome in client.fan_out(stacks, count_servers, concurrency=10):
            assert_type(outcome, Outcome[Stack, int])
            assert_type(outcome.item, Stack)
            assert_type(outcome.value, int | None)
            assert_type(outcome.error, BaseException | None)
            assert_type(outcome.ok, bool)
            assert_type(outcome.unwrap(), int)
        async for listed in client.fan_out(
            client.stacks.list(), lambda s: client.servers.list(s.uid).collect()
        ):
            assert_type(listed, Outcome[Stack, list[Server]])

        # Views.
        patient = client.with_options(
            timeout=Timeout(total=300.0), retry=RetryPolicy(retries=5), max_concurrency=2
        )
        assert_type(patient, Client)
        assert_type(client.with_options(timeout=5), Client)
        assert_type(await patient.stacks.get("x"), Stack)

        # Raw responses. ``with_raw_response`` is typed ``Any``, so these annotations are taken
        # on trust; RawResponse itself is generic and precise.
        raw: RawResponse[Stack] = await client.with_raw_response.stacks.get("x")
        assert_type(raw.status, int)
        assert_type(raw.headers, Mapping[str, str])
        assert_type(raw.request_id, str)
        assert_type(raw.parsed, Stack)
        raw_pages: Paginator[Stack] = client.with_raw_response.stacks.list()
        print(raw_pages)

        # The rate-limit state.
        state = client.rate_limit_state
        assert_type(state, RateLimitState)
        assert_type(state.limit, int | None)
        assert_type(state.remaining, int | None)
        assert_type(state.reset_at, datetime | None)
        assert_type(state.gate_closed, bool)
        assert_type(state.gate_opens_in, float)
        assert_type(state.local_remaining, int | None)
        assert_type(state.throttled_total, int)
        if state.remaining is not None and state.remaining < 100:
            await anyio.sleep(5)

        # Errors.
        try:
            await client.stacks.get("x")
        except ThrottledError as exc:
            assert_type(exc.retry_after, float | None)
            assert_type(exc.status, int)
        except NotFoundError as exc:
            assert_type(exc.request_id, str | None)
        except APIError as exc:
            assert_type(exc.status, int)
            assert_type(exc.error, str | None)
            assert_type(exc.description, str | None)
            assert_type(exc.request_id, str | None)
            assert_type(exc.method, str)
            assert_type(exc.url, str)
        except RequestTimeoutError as exc:
            assert_type(exc.sent, bool)
        except TransportError as exc:
            assert_type(exc.request_id, str | None)
            assert_type(exc.sent, bool)
        except ConfigError as exc:
            assert_type(exc.message, str)
        except Cloud66Error as exc:
            assert_type(exc.page, int | None)
            assert_type(exc.message, str)

        assert_type(c66.__version__, str)

    # The fake, for users' own tests.
    async with FakeCloud66(stacks=3, per_page=10, action_delay=0.01) as fake:
        assert_type(fake, FakeCloud66)
        assert_type(fake.base_url, str)
        assert_type(fake.token, str)
        assert_type(fake.stack_uids, list[str])
        fake.inject_fault("GET", "/stacks", "throttled", headers={"Retry-After": "1"})
        fake.inject_fault("*", "/stacks", "latency", delay=0.5, times=None)
        fake.set_rate_limit(20, 1.0)
        async with fake.client(rate_limit=None) as fake_client:
            assert_type(fake_client, Client)
            assert_type(await fake_client.stacks.get(fake.stack_uids[0]), Stack)
        entries = fake.requests("GET", "/stacks")
        assert_type(entries, list[LoggedRequest])
        assert_type(fake.request_log, list[LoggedRequest])
        for entry in entries:
            assert_type(entry.header("Request-Id"), str | None)
            assert_type(entry.status, int | None)


async def _readme_fan_out() -> None:
    """The README's fan_out example, as written there: ``if outcome.ok:`` narrows the outcome,
    so ``outcome.value`` is an ``int`` in that branch and ``outcome.error`` an exception in the
    other."""
    async with c66.Client() as client:

        async def count_servers(stack: c66.models.Stack) -> int:
            return len(await client.servers.list(stack.uid).collect())

        total = 0
        async for outcome in client.fan_out(client.stacks.list(), count_servers, concurrency=10):
            if outcome.ok:
                total += outcome.value
                assert_type(outcome, c66.Success[Stack, int])
            else:
                print(outcome.item.name, "failed:", outcome.error)
                assert_type(outcome.error, BaseException)
        print(total, "servers")


async def _typed_raw(client: c66.Client) -> None:
    raw = await client.raw_response(client.stacks.get("uid"))
    assert_type(raw, c66.RawResponse[Stack])
    assert_type(raw.parsed, Stack)
