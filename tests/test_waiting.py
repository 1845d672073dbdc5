"""Waiting on actions and deployments against FakeCloud66, counting requests from its log."""

from __future__ import annotations

import itertools

import anyio
import pytest

from cloud66_async import (
    ActionFailedError,
    Client,
    ConfigError,
    DeploymentFailedError,
    NotFoundError,
    WaitTimeoutError,
)
from cloud66_async.models import Action
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

STACK = "5999b763474b0eafa5fafb64bff0ba80"


async def test_wait_returns_finished_action(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    action = await client.actions.run(STACK, "restart")
    assert action.stack_uid == STACK and action.finished_at is None
    seen: list[Action] = []
    with anyio.fail_after(10):
        done = await client.actions.wait(action, poll_interval=0.02, on_progress=seen.append)
    assert done.id == action.id and done.finished_success is True and done.is_finished
    assert done.stack_uid == STACK
    assert seen and seen[-1] == done


async def test_wait_true_on_action_methods(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(10):
        done = await client.actions.run(STACK, "clear_caches", wait=True)
    assert done.finished_success is True


async def test_failed_action_raises(fake: FakeCloud66, client: Client, fast_waits: None) -> None:
    fake.set_action_outcome(False, "disk full", times=1)
    action = await client.actions.run(STACK, "restart")
    with pytest.raises(ActionFailedError) as info, anyio.fail_after(10):
        await client.actions.wait(action, poll_interval=0.02)
    assert info.value.action.id == action.id
    assert info.value.action.finished_success is False
    assert "disk full" in str(info.value)


async def test_wait_timeout_carries_last_state(fake: FakeCloud66) -> None:
    async with FakeCloud66(action_delay=30) as slow, slow.client(rate_limit=None) as client:
        action = await client.actions.run(STACK, "restart")
        with pytest.raises(WaitTimeoutError) as info, anyio.fail_after(5):
            await client.actions.wait(action, timeout=0.3, poll_interval=0.05)
        assert isinstance(info.value.last, Action) and info.value.last.id == action.id
        assert info.value.last.finished_at is None


async def test_faults_and_throttling_during_polling_are_retried(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    action = await client.actions.run(STACK, "restart")
    path = f"/stacks/{STACK}/actions/{action.id}"
    fake.inject_fault("GET", path, "status", status=500, body={"error": "x"}, times=3)
    fake.inject_fault("GET", path, "throttled", headers={"Retry-After": "0.05"}, times=1)
    fake.inject_fault("GET", path, "reset_before", times=3)
    with anyio.fail_after(10):
        done = await client.actions.wait(action, poll_interval=0.02)
    assert done.finished_success is True


async def test_unknown_action_is_not_retried_forever(client: Client, fast_waits: None) -> None:
    with pytest.raises(NotFoundError), anyio.fail_after(5):
        await client.actions.wait(Action(id=999_999, stack_uid=STACK), poll_interval=0.01)


async def test_wait_from_another_process_knowing_only_ids(fake: FakeCloud66) -> None:
    async with fake.client(rate_limit=None) as first:
        action = await first.actions.run(STACK, "restart")
    async with fake.client(rate_limit=None) as second:
        with anyio.fail_after(10):
            done = await second.actions.wait(
                Action(id=action.id, stack_uid=STACK), poll_interval=0.05
            )
    assert done.finished_success is True


async def test_action_without_stack_uid_is_config_error(client: Client) -> None:
    with pytest.raises(ConfigError, match="stack_uid"):
        await client.actions.wait(Action(id=1))


async def test_cancelling_a_wait_stops_at_once(fake: FakeCloud66) -> None:
    async with FakeCloud66(action_delay=60) as slow, slow.client(rate_limit=None) as client:
        action = await client.actions.run(STACK, "restart")
        with anyio.move_on_after(0.3) as scope:
            await client.actions.wait(action, poll_interval=0.05)
        assert scope.cancelled_caught
        count = len(slow.request_log)
        await anyio.sleep(0.3)
        assert len(slow.request_log) == count  # nothing polls after cancellation


async def test_wait_many_one_request_per_tick(fake: FakeCloud66, client: Client) -> None:
    actions = [await client.actions.run(STACK, "clear_caches") for _ in range(50)]
    fake.clear_log()
    ticks: list[int] = []
    with anyio.fail_after(20):
        done = await client.actions.wait_many(
            actions,
            poll_interval=0.1,
            max_poll_interval=0.1,
            on_progress=lambda a: ticks.append(a.id),
        )
    assert [a.id for a in done] == [a.id for a in actions]
    assert all(a.finished_success for a in done)
    polls = fake.requests("GET")
    assert polls and all(r.path == f"/stacks/{STACK}/actions" for r in polls)
    # 50 pending actions fill pages 1-2 of a newest-first list; one page is read per tick,
    # in turn, so the polls alternate 1, 2, 1, 2, ... : one request per tick.
    pages = [r.query.get("page", "1") for r in polls]
    assert pages[:2] == ["1", "2"]
    assert all(a != b for a, b in itertools.pairwise(pages))


async def test_wait_many_across_stacks_and_failures(fake: FakeCloud66, client: Client) -> None:
    other = fake.stack_uids[1]
    a1 = await client.actions.run(STACK, "restart")
    fake.set_action_outcome(False, "nope", times=1)
    a2 = await client.actions.run(other, "restart")
    with anyio.fail_after(10):
        result = await client.actions.wait_many(
            [a1, a2], poll_interval=0.05, raise_on_failure=False
        )
    assert result[0].finished_success is True and result[1].finished_success is False
    with pytest.raises(ActionFailedError), anyio.fail_after(10):
        await client.actions.wait_many([a1, a2], poll_interval=0.05)


async def test_wait_many_timeout(fake: FakeCloud66) -> None:
    async with FakeCloud66(action_delay=30) as slow, slow.client(rate_limit=None) as client:
        a = await client.actions.run(STACK, "restart")
        with pytest.raises(WaitTimeoutError) as info, anyio.fail_after(5):
            await client.actions.wait_many([a], timeout=0.3, poll_interval=0.05)
        assert [x.id for x in info.value.last] == [a.id]


async def test_env_var_add_wait_then_visible(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(10):
        done = await client.env_vars.add(STACK, "FEATURE_X", "on", wait=True)
    assert done.finished_success
    keys = {e.key: e.value async for e in client.env_vars.list(STACK)}
    assert keys["FEATURE_X"] == "on"


async def test_redeploy_wait_success(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(15):
        result = await client.deployments.redeploy(STACK, wait=True)
    assert result.ok is True
    assert result.deployment is not None and result.deployment.is_deploying is False
    assert result.deployment.outcome is not None and result.deployment.outcome.code == 1


async def test_redeploy_then_wait_with_async_action(fake: FakeCloud66, client: Client) -> None:
    fake.redeploy_async_action = True
    result = await client.deployments.redeploy(STACK, git_ref="main")
    assert result.async_action_id is not None
    with anyio.fail_after(15):
        deployment = await client.deployments.wait(STACK, result=result, poll_interval=0.05)
    assert deployment.finished_at is not None


async def test_failed_deployment_raises(fake: FakeCloud66, client: Client) -> None:
    fake.set_deploy_outcome(False, times=1)
    with pytest.raises(DeploymentFailedError) as info, anyio.fail_after(15):
        await client.deployments.redeploy(STACK, wait=True)
    assert info.value.deployment.outcome.code != 1


async def test_cancelled_deployment_raises(fake: FakeCloud66) -> None:
    async with FakeCloud66(deploy_duration=30) as slow, slow.client(rate_limit=None) as client:
        await client.deployments.redeploy(STACK)
        live = await client.deployments.list(STACK).first()
        assert live is not None and live.is_deploying

        async def cancel_soon() -> None:
            await anyio.sleep(0.2)
            await client.deployments.cancel(STACK, live.id)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(cancel_soon)
                with pytest.raises(DeploymentFailedError) as info:
                    await client.deployments.wait(STACK, poll_interval=0.05)
        assert "cancel" in str(info.value)
        assert info.value.deployment.id == live.id
