"""Every operation end to end through the SDK against FakeCloud66: decoded model values, the
state changes that started actions apply once they finish, validation by the managers (a
``ConfigError`` raised before any request is sent) and the API's error answers."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from cloud66_async import (
    BadRequestError,
    Client,
    ConfigError,
    ConflictError,
    NotFoundError,
    Paginator,
)
from cloud66_async.models import (
    AccessLevel,
    Account,
    Action,
    Backup,
    BackupFile,
    Cloud,
    CloudRegion,
    CodeMeaning,
    Container,
    ContainerPort,
    Deployment,
    Device,
    EnvVar,
    EnvVarHistory,
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
    StackHealth,
    StackStatus,
    User,
    UserAccount,
)
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

STACK = "5999b763474b0eafa5fafb64bff0ba80"
S = f"/stacks/{STACK}"
CARIBOU = "f8468fc145ea49bac474b30a8fea888d"
GAZELLE = "c6014897b8c8e9f2fc204a3a9efdae05"
CORMORANT = "edfbd7a9b97e999ebf17984282d4b457"
EXAMPLE_CONTAINER = "cba44fa6b6acf57fb0ef6c2ce385f6a129867df544dae7181d2410e9f9cc32bc"
SERVICE_YAML = (
    "services:\n  web:\n    image: quay.io/cloud66/sample-rails\n  worker:\n    image: x\n"
)
MANIFEST_YAML = "production:\n  docker:\n    configuration:\n      vpc_id: default\n"
TIMEOUT = 10


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def wait_for(action: Action, client: Client) -> Action:
    with anyio.fail_after(TIMEOUT):
        return await client.actions.wait(action, poll_interval=0.01)


# -- stacks -------------------------------------------------------------------------------------


async def test_stacks_list_every_page_and_get(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        stacks = await client.stacks.list().collect()
        one = await client.stacks.get(STACK)
    assert [s.uid for s in stacks] == fake.stack_uids
    assert len(stacks) == 75
    pages = [e.query.get("page") for e in fake.requests("GET", "/stacks")]
    assert pages == ["1", "2", "3"]
    first = stacks[0]
    assert first == one
    assert isinstance(one, Stack)
    assert one.name == "Awesome App"
    assert one.environment == "production"
    assert one.status is StackStatus.SUCCESS
    assert one.health is StackHealth.OK
    assert one.git_branch == "fig"
    assert one.maintenance_mode is False
    assert one.created_at == utc(2014, 8, 14, 0, 38, 14)
    assert one.created_at_iso == one.created_at
    assert one.last_activity == utc(2014, 8, 14, 1, 46, 53)
    assert one.redeploy_hook and one.redeploy_hook.startswith("http://hooks.cloud66.com/")


async def test_stacks_list_max_items_and_start_page(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        some = await client.stacks.list(max_items=5).collect()
        later = await client.stacks.list(start_page=3).collect()
    assert [s.uid for s in some] == fake.stack_uids[:5]
    assert [s.uid for s in later] == fake.stack_uids[60:]


async def test_stacks_create_is_listed_at_once_and_queued(
    fake: FakeCloud66, client: Client
) -> None:
    fake.action_delay = 30  # the build stays queued for the whole test
    with anyio.fail_after(TIMEOUT):
        action = await client.stacks.create(
            "brand-new", "staging", SERVICE_YAML, manifest_yaml=MANIFEST_YAML
        )
        assert len(fake.request_log) == 1  # the POST alone: the uid is looked up when waiting
        listed = await client.stacks.list().collect()
        found = await client.stacks.find("brand-new", environment="staging")
        created = await client.stacks.get(found.uid)
    assert isinstance(action, Action)
    assert action.action == "stack_create"
    assert action.finished_at is None and action.finished_success is None
    assert action.started_via == "api"
    assert action.stack_uid is None
    assert (action.stack_name, action.stack_environment) == ("brand-new", "staging")
    assert found.uid != STACK and found.uid in [s.uid for s in listed]
    assert created.name == "brand-new" and created.environment == "staging"
    assert created.status is StackStatus.QUEUED
    sent = fake.requests("POST", "/stacks")[0].json
    assert sent == {
        "name": "brand-new",
        "environment": "staging",
        "service_yaml": SERVICE_YAML,
        "manifest_yaml": MANIFEST_YAML,
    }
    # The new stack's services come from its service.yml.
    with anyio.fail_after(TIMEOUT):
        names = [s.name for s in await client.services.list(found.uid).collect()]
    assert names == ["web", "worker"]


async def test_stacks_create_wait_follows_the_stack_create_action(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.action_delay = 0.05
    with anyio.fail_after(TIMEOUT):
        queued = await client.stacks.create(
            "waited",
            "production",
            SERVICE_YAML,
            cloud="aws",
            region="us-east-1",
            build_type="single",
        )
        assert queued.finished_at is None and queued.stack_uid is None
        assert queued.stack_name == "waited"
        finished = await client.stacks.create(
            "waited-2",
            "production",
            SERVICE_YAML,
            cloud="aws",
            region="us-east-1",
            build_type="multi",
            wait=True,
        )
        stack = await client.stacks.get(finished.stack_uid or "")
    assert finished.action == "stack_create"
    assert finished.finished_success is True and finished.is_finished
    assert finished.stack_uid == stack.uid
    assert stack.name == "waited-2"
    assert stack.status is StackStatus.SUCCESS
    # It was the new stack's action that was polled.
    assert fake.requests("GET", f"/stacks/{stack.uid}/actions/{finished.id}")


# -- stack actions ------------------------------------------------------------------------------


async def test_actions_list_and_get(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        actions = await client.actions.list(STACK).collect()
        one = await client.actions.get(STACK, 10)
    assert [a.id for a in actions] == [a["id"] for a in fake.peek(f"{S}/actions")]
    assert [a.id for a in actions] == sorted((a.id for a in actions), reverse=True)
    assert all(a.stack_uid == STACK for a in actions)
    assert one == actions[0]
    assert one.action == "clear_caches"
    assert one.resource_type == "stack" and one.resource_id == "283"
    assert one.user == "test@cloud66.com"
    assert one.started_at == utc(2014, 9, 1, 19, 8, 5)
    assert one.finished_at == utc(2014, 9, 1, 19, 8, 9)
    assert one.finished_success is True and one.finished_message is None


async def test_actions_run_and_wait(fake: FakeCloud66, client: Client, fast_waits: None) -> None:
    with anyio.fail_after(TIMEOUT):
        started = await client.actions.run(STACK, "restart")
        assert started.action == "restart" and started.finished_at is None
        assert started.stack_uid == STACK
        newest = await client.actions.list(STACK).first()
        assert newest is not None and newest.id == started.id
        done = await wait_for(started, client)
        cleared = await client.actions.run(STACK, "clear_caches", wait=True)
    assert done.id == started.id and done.finished_success is True
    assert cleared.action == "clear_caches" and cleared.finished_success is True
    assert fake.requests("POST", f"{S}/actions")[0].json == {"command": "restart"}


@pytest.mark.parametrize(("value", "sent", "expected"), [(True, 1, True), (0, 0, False)])
async def test_actions_run_maintenance_mode(
    fake: FakeCloud66, client: Client, fast_waits: None, value: Any, sent: int, expected: bool
) -> None:
    with anyio.fail_after(TIMEOUT):
        if not expected:  # switch it on first, so switching off changes something
            await client.actions.run(STACK, "maintenance_mode", value=True, wait=True)
        done = await client.actions.run(STACK, "maintenance_mode", value=value, wait=True)
        stack = await client.stacks.get(STACK)
        setting = await client.settings.get(STACK, "maintenance.mode")
    assert done.action == "maintenance_mode" and done.finished_success is True
    assert fake.requests("POST", f"{S}/actions")[-1].json == {
        "command": "maintenance_mode",
        "value": sent,
    }
    assert stack.maintenance_mode is expected
    assert setting.value is expected


# -- deployments --------------------------------------------------------------------------------


async def test_deployments_list_and_get(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        deployments = await client.deployments.list(STACK).collect()
        one = await client.deployments.get(STACK, 107)
    # 112 is the deployment the blueprint's "Cancel deployment" cancels: running, listed last.
    assert [d.id for d in deployments] == [107, 106, 105, 104, 103, 112]
    assert one == deployments[0]
    assert isinstance(one, Deployment)
    assert one.triggered_by == "test@cloud66.com"
    assert one.triggered_via == CodeMeaning(code=0, meaning="web")
    assert one.outcome == CodeMeaning(code=1, meaning="success") and one.succeeded
    assert one.deploy_type == CodeMeaning(code=0, meaning="build")
    assert one.git_hash == "5675fcd8f9e6dc534ecf1410c0661c066097e310"
    assert one.started_at == utc(2014, 8, 29, 17, 46, 16)
    assert one.finished_at == utc(2014, 8, 29, 17, 58, 23)
    assert one.is_head is True and one.is_live is True and one.is_deploying is False
    assert one.reverted is None and one.reverted_at is None
    assert deployments[1].outcome == CodeMeaning(code=2, meaning="failed")
    assert not deployments[1].succeeded


async def test_deployments_redeploy_and_wait(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    with anyio.fail_after(TIMEOUT):
        result = await client.deployments.redeploy(STACK, git_ref="main")
        live = await client.deployments.list(STACK).first()
        assert live is not None and live.is_deploying is True and live.id > 107
        stack = await client.stacks.get(STACK)
        assert stack.status is StackStatus.DEPLOYING
        finished = await client.deployments.wait(STACK, timeout=TIMEOUT, poll_interval=0.01)
        waited = await client.deployments.redeploy(STACK, services=["web", "worker"], wait=True)
        stack = await client.stacks.get(STACK)
    assert isinstance(result, RedeployResult)
    assert result.ok is True and result.message == "Stack queued for redeployment"
    assert result.deployment is None
    assert finished.id == live.id and finished.succeeded and finished.is_live
    assert waited.deployment is not None and waited.deployment.succeeded
    assert waited.deployment.id > finished.id
    assert stack.status is StackStatus.SUCCESS
    bodies = [e.json for e in fake.requests("POST", f"{S}/deployments")]
    # Both spellings: the live API (and the official Go client) read `services`, the blueprint
    # documents `services_filter`.
    assert bodies == [
        {"git_ref": "main"},
        {"services": ["web", "worker"], "services_filter": "web,worker"},
    ]


async def test_deployments_cancel(fake: FakeCloud66, client: Client) -> None:
    fake.deploy_duration = 60
    with anyio.fail_after(TIMEOUT):
        await client.deployments.redeploy(STACK)
        live = await client.deployments.list(STACK).first()
        assert live is not None and live.is_deploying
        done = await client.deployments.cancel(STACK, live.id)
        cancelled = await client.deployments.get(STACK, live.id)
        with pytest.raises(ConflictError) as info:
            await client.deployments.cancel(STACK, live.id)
    assert done == OperationResult(ok=True, message="Cancelling deployment")
    assert cancelled.is_deploying is False and cancelled.finished_at is not None
    assert cancelled.outcome == CodeMeaning(code=3, meaning="cancelled")
    assert info.value.status == 409 and info.value.error == "conflict"
    assert "not live" in (info.value.description or "")


async def test_redeploy_unknown_service_is_a_bad_request(fake: FakeCloud66, client: Client) -> None:
    with pytest.raises(BadRequestError) as info, anyio.fail_after(TIMEOUT):
        await client.deployments.redeploy(STACK, services=["nope"])
    assert info.value.status == 400 and info.value.error == "bad_request"
    assert info.value.details == {"services": "has unknown names"}


# -- services -----------------------------------------------------------------------------------


def _per_server(service: Service) -> Counter[str]:
    return Counter(c.server_uid or "" for c in service.containers or ())


async def test_services_list_get_and_server_filter(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        services = await client.services.list(STACK).collect()
        on_gazelle = await client.services.list(STACK, server_uid=GAZELLE).collect()
        web = await client.services.get(STACK, "web")
        web_cormorant = await client.services.get(STACK, "web", server_uid=CORMORANT)
    assert [s.name for s in services] == ["web", "worker", "api", "scheduler"]
    assert services[0] == web
    assert _per_server(web) == {GAZELLE: 6, CORMORANT: 6}
    assert [s.name for s in on_gazelle] == ["web", "worker", "api", "scheduler"]
    assert all(c.server_uid == GAZELLE for s in on_gazelle for c in s.containers or ())
    assert _per_server(web_cormorant) == {CORMORANT: 6}
    container = next(c for c in web.containers or () if c.uid == EXAMPLE_CONTAINER)
    assert container.service_name == "web" and container.server_name == "Gazelle"
    assert container.port_list == '["5128:3000"]'
    assert container.port_list_parsed == ["5128:3000"]
    assert container.web_ports == "80:443"
    assert container.runtime is None
    assert fake.requests("GET", f"{S}/services")[1].query == {"server_uid": GAZELLE, "page": "1"}
    assert fake.requests("GET", f"{S}/services/web")[1].query == {"server_uid": CORMORANT}


async def test_services_scale_by_server_group(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.action_delay = 0.5
    with anyio.fail_after(TIMEOUT):
        action = await client.services.scale(STACK, "web", server_group_count={"web": 4})
        before = await client.services.get(STACK, "web")
        done = await wait_for(action, client)
        after = await client.services.get(STACK, "web")
    assert action.action == "service_scale" and action.stack_uid == STACK
    assert _per_server(before) == {GAZELLE: 6, CORMORANT: 6}, "changed before the action ended"
    assert done.finished_success is True
    # 4 containers over the three servers of the group, in server order.
    assert _per_server(after) == {CARIBOU: 2, GAZELLE: 1, CORMORANT: 1}
    assert fake.requests("POST", f"{S}/services")[0].json == {
        "service_name": "web",
        "server_group_count": {"web": 4},
    }


async def test_services_scale_by_server_with_wait(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    with anyio.fail_after(TIMEOUT):
        done = await client.services.scale(STACK, "api", server_count={CARIBOU: 2}, wait=True)
        api = await client.services.get(STACK, "api")
    assert done.action == "service_scale" and done.finished_success is True
    assert _per_server(api) == {CARIBOU: 2, GAZELLE: 3, CORMORANT: 3}


async def test_services_stop(fake: FakeCloud66, client: Client, fast_waits: None) -> None:
    with anyio.fail_after(TIMEOUT):
        one_server = await client.services.stop(STACK, "web", server_uid=GAZELLE, wait=True)
        web = await client.services.get(STACK, "web")
        everywhere = await client.services.stop(STACK, "worker", wait=True)
        worker = await client.services.get(STACK, "worker")
    assert one_server.action == "service_stop" and one_server.finished_success is True
    assert everywhere.finished_success is True
    assert _per_server(web) == {CORMORANT: 6}
    assert worker.containers == ()
    assert fake.requests("DELETE", f"{S}/services/web")[0].json == {"server_uid": GAZELLE}


# -- containers ---------------------------------------------------------------------------------


async def test_containers_list_and_server_filter(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        containers = await client.containers.list(STACK).collect()
        on_cormorant = await client.containers.list(STACK, server_uid=CORMORANT).collect()
    assert [c.uid for c in containers] == [c["uid"] for c in fake.peek(f"{S}/containers")]
    assert len(containers) == 32
    assert len(on_cormorant) == 16 and {c.server_uid for c in on_cormorant} == {CORMORANT}
    first = containers[0]
    assert first.uid == EXAMPLE_CONTAINER
    assert first.ports == (ContainerPort(container=3000, http=80, https=443),)
    assert first.private_ip == "25.0.0.2"
    assert first.health_state == 1 and first.health_source == "system"
    assert first.capture_output is True and first.restart_on_deploy is True
    assert first.started_at == utc(2015, 2, 10, 17, 41, 31)
    assert first.runtime is None


async def test_containers_get_has_runtime(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        container = await client.containers.get(STACK, EXAMPLE_CONTAINER)
    assert isinstance(container, Container)
    assert container.docker_ip == "172.0.2.12"
    assert container.ports == (ContainerPort(container=3000, http=80, https=443),)
    assert container.port_list is None and container.port_list_parsed is None
    runtime = container.runtime
    assert isinstance(runtime, dict)
    assert runtime["State"]["Running"] is True
    assert runtime["State"]["FinishedAt"] == "0001-01-01T00:00:00Z"  # kept as sent
    assert runtime["Config"]["Cmd"] == ["bundle", "exec", "rackup", "-p", "3000"]
    assert runtime["Created"] == "2015-02-10T17:41:36.988310784Z"
    assert "MYSQL_PASSWORD" not in repr(container)


async def test_containers_stop_removes_it(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    uid = fake.peek(f"{S}/containers")[3]["uid"]
    with anyio.fail_after(TIMEOUT):
        action = await client.containers.stop(STACK, uid)
        done = await wait_for(action, client)
        with pytest.raises(NotFoundError):
            await client.containers.get(STACK, uid)
        left = await client.containers.list(STACK).collect()
    assert action.action == "container_stop" and action.stack_uid == STACK
    assert done.finished_success is True
    assert uid not in [c.uid for c in left] and len(left) == 31


# -- environment variables ----------------------------------------------------------------------


async def test_env_vars_list_every_page(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        env = await client.env_vars.list(STACK).collect()
    assert len(env) == 48
    assert [e.key for e in env] == [e["key"] for e in fake.peek(f"{S}/environments")]
    assert [e.query["page"] for e in fake.requests("GET", f"{S}/environments")] == ["1", "2"]
    by_key = {e.key: e for e in env}
    branch = by_key["STACK_GIT_BRANCH"]
    assert branch.id == 4152 and branch.value == "master"
    assert branch.readonly is True and branch.is_generated is True and branch.is_password is False
    assert branch.created_at == utc(2014, 8, 29, 17, 21, 25)
    assert branch.history == (
        EnvVarHistory(
            key=1,
            value="develop",
            created_at=utc(2015, 5, 8, 15, 9, 50),
            updated_at=utc(2015, 5, 8, 15, 9, 50),
        ),
    )
    password = by_key["POSTGRESQL_PASSWORD"]
    assert password.is_password is True and password.value == "tjena"
    assert "tjena" not in repr(password)


async def test_env_vars_get(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        env = await client.env_vars.get(STACK, 4153)
    assert isinstance(env, EnvVar)
    assert env.key == "STACK_PATH" and env.readonly is True
    assert env.value == "/var/deploy/test-elastic-1/web_head/current"
    assert env.history is not None and env.history[0].key == 2


async def test_env_vars_add_update_delete(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.action_delay = 0.5
    with anyio.fail_after(TIMEOUT):
        added = await client.env_vars.add(STACK, "MY_ENVIRONMENT_VALUE", "SOME_VALUE")
        not_yet = [e.key for e in await client.env_vars.list(STACK).collect()]
        await wait_for(added, client)
        listed = {e.key: e for e in await client.env_vars.list(STACK).collect()}

        original = listed["RAILS_ENV"]
        updated = await client.env_vars.update(STACK, "RAILS_ENV", "staging", wait=True)
        rails_env = await client.env_vars.get(STACK, original.id or 0)
        await client.env_vars.update(STACK, "RAILS_ENV", "", wait=True)
        emptied = await client.env_vars.get(STACK, original.id or 0)

        await client.env_vars.delete(STACK, "MY_ENVIRONMENT_VALUE")
        after_delete = [e.key for e in await client.env_vars.list(STACK).collect()]
    assert added.action == "env-var-new" and added.stack_uid == STACK
    assert "MY_ENVIRONMENT_VALUE" not in not_yet, "added before the action finished"
    new = listed["MY_ENVIRONMENT_VALUE"]
    assert new.value == "SOME_VALUE" and new.readonly is False and new.is_generated is False
    assert updated.action == "env-var-update" and updated.finished_success is True
    assert rails_env.value == "staging"
    history = [(h.value) for h in rails_env.history or ()]
    assert len(history) == len(original.history or ()) + 1
    assert history[-1] == "production"
    assert emptied.value == "" and len(emptied.history or ()) == len(history) + 1
    assert "MY_ENVIRONMENT_VALUE" not in after_delete
    assert len(after_delete) == 48


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda c: c.env_vars.update(STACK, "STACK_PATH", "/elsewhere"), "readonly"),
        (lambda c: c.env_vars.delete(STACK, "STACK_PATH"), "readonly"),
        (lambda c: c.env_vars.delete(STACK, "RAILS_ENV"), "generated"),
        (lambda c: c.env_vars.add(STACK, "RAILS_ENV", "x"), "already exists"),
    ],
    ids=["update-readonly", "delete-readonly", "delete-generated", "add-existing"],
)
async def test_env_vars_refused_with_conflict(
    fake: FakeCloud66, client: Client, call: Callable[[Client], Any], key: str
) -> None:
    before = fake.peek(f"{S}/environments")
    with pytest.raises(ConflictError) as info, anyio.fail_after(TIMEOUT):
        await call(client)
    error = info.value
    assert error.status == 409 and error.error == "conflict"
    assert key in (error.description or "")
    assert error.method in ("PUT", "DELETE", "POST") and error.url and "/environments" in error.url
    assert fake.request_log[-1].status == 409
    assert fake.peek(f"{S}/environments") == before, "a refused write changed something"


# -- stack settings -----------------------------------------------------------------------------


async def test_settings_list_and_get(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        settings = await client.settings.list(STACK).collect()
        dotted = await client.settings.get(STACK, "git.branch")
        dashed = await client.settings.get(STACK, "git-branch")
    by_key = {s.key: s for s in settings}
    assert list(by_key) == [
        "allowed.web.source",
        "asset.prefix",
        "git.branch",
        "reconfigure.nginx",
        "stack.name",
        "maintenance.mode",
    ]
    assert by_key["allowed.web.source"].value is None
    assert by_key["asset.prefix"].value == "assets"
    assert by_key["reconfigure.nginx"].value is False
    assert by_key["git.branch"].id == "git-branch"
    assert by_key["stack.name"].readonly is True
    assert "DNS" in (by_key["stack.name"].warning_text or "")
    assert dotted == dashed == Setting(key="git.branch", value="master")
    assert [e.path for e in fake.request_log[-2:]] == [f"{S}/settings/git-branch"] * 2


async def test_settings_update_takes_value_after_action(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    fake.action_delay = 0.5
    with anyio.fail_after(TIMEOUT):
        action = await client.settings.update(STACK, "git.branch", "staging")
        before = await client.settings.get(STACK, "git.branch")
        done = await wait_for(action, client)
        after = await client.settings.get(STACK, "git-branch")
        stack = await client.stacks.get(STACK)
        flag = await client.settings.update(STACK, "reconfigure-nginx", True, wait=True)
        nginx = await client.settings.get(STACK, "reconfigure.nginx")
    assert action.action == "stack-set: git.branch" and action.stack_uid == STACK
    assert before.value == "master"
    assert done.finished_success is True
    assert after.value == "staging" and stack.git_branch == "staging"
    assert flag.finished_success is True and nginx.value is True
    assert [e.json for e in fake.requests("PUT", f"{S}/settings/git-branch")] == [
        {"value": "staging"}
    ]


async def test_settings_update_readonly_is_refused(fake: FakeCloud66, client: Client) -> None:
    with pytest.raises(ConflictError) as info, anyio.fail_after(TIMEOUT):
        await client.settings.update(STACK, "stack.name", "renamed")
    assert info.value.status == 409 and "readonly" in (info.value.description or "")
    assert fake.peek(f"{S}/settings/stack-name")["value"] == "test-elastic-1"


# -- server groups, servers, server settings ----------------------------------------------------


async def test_server_groups(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        groups = await client.server_groups.list(STACK).collect()
        rails = await client.server_groups.get(STACK, 128)
    assert [(g.id, g.name, g.type) for g in groups] == [
        (128, "Rails Server", "rails"),
        (129, "PostgreSQL Server", "postgresql"),
    ]
    assert rails == groups[0] and isinstance(rails, ServerGroup)
    assert rails.created_at == utc(2014, 8, 29, 17, 21, 47)


async def test_servers_list_and_get_with_private_key(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        servers = await client.servers.list(STACK).collect()
        plain = await client.servers.get(STACK, CARIBOU)
        keyed = await client.servers.get(STACK, CARIBOU, include_private_key=True)
    assert [s.uid for s in servers] == [CARIBOU, GAZELLE, CORMORANT]
    caribou = servers[0]
    assert isinstance(caribou, Server)
    assert caribou == plain and plain.private_key is None
    assert caribou.name == "Caribou" and caribou.address == "146.185.133.183"
    assert caribou.server_roles == ("rails", "postgresql", "elasticsearch", "web", "app", "db")
    assert caribou.server_group_id == 128 and caribou.has_agent is True
    assert caribou.params is not None and caribou.params["cached_memory"] == 1042336972
    assert caribou.params["ips"] == ["146.185.133.183"]
    assert caribou.health_state == 3 and caribou.int_ipv6 is None
    assert keyed.private_key is not None
    assert keyed.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert keyed.private_key not in repr(keyed)
    gets = fake.requests("GET", f"{S}/servers/{CARIBOU}")
    assert [g.query for g in gets] == [{}, {"include_private_key": "1"}]


async def test_server_settings(fake: FakeCloud66, client: Client, fast_waits: None) -> None:
    with anyio.fail_after(TIMEOUT):
        settings = await client.server_settings.list(STACK, CARIBOU).collect()
        name = await client.server_settings.get(STACK, CARIBOU, "server.name")
        same = await client.server_settings.get(STACK, CARIBOU, "server-name")
        action = await client.server_settings.update(STACK, CARIBOU, "passenger.pool.max", 8)
        done = await wait_for(action, client)
        pool = await client.server_settings.get(STACK, CARIBOU, "passenger-pool-max")
        with pytest.raises(ConflictError):
            # (Caribou's own rename is the blueprint's example, which the fake lets through.)
            await client.server_settings.update(STACK, GAZELLE, "server.name", "Moose")
    assert [s.key for s in settings] == [
        "server.name",
        "passenger.pool.max",
        "nginx.worker.processes",
        "swap.size",
    ]
    assert settings[0].readonly is True and settings[0].value == "Caribou"
    assert settings[1].value == 4 and settings[3].value == "1024"
    assert name == same == ServerSetting(key="server.name", value="Caribou")
    assert action.action == "server-set: passenger.pool.max"
    assert action.resource_type == "server" and action.stack_uid == STACK
    assert done.finished_success is True
    assert pool.value == 8
    put = fake.requests("PUT", f"{S}/servers/{CARIBOU}/settings/passenger-pool-max")
    assert [p.json for p in put] == [{"value": 8}]


# -- firewall rules -----------------------------------------------------------------------------


async def test_firewalls_list_and_get(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        rules = await client.firewalls.list(STACK).collect()
        rule = await client.firewalls.get(STACK, 5027)
    assert len(rules) == 11 and rules[0] == rule
    assert isinstance(rule, FirewallRule)
    assert rule.from_ip == "0.0.0.0/0" and rule.to_group_id == 128
    assert rule.protocol == "tcp" and rule.port == 80 and rule.rule_type == "dynamic"
    assert rule.from_group_id is None and rule.comments is None
    assert rule.created_at == utc(2014, 8, 29, 17, 58, 23)


@pytest.mark.parametrize(
    ("protocol", "code", "name"),
    [("tcp", 1, "tcp"), ("UDP", 2, "udp"), ("icmp", 3, "icmp"), (1, 1, "tcp"), (3, 3, "icmp")],
)
async def test_firewalls_add_protocol_names_and_numbers(
    fake: FakeCloud66, client: Client, protocol: Any, code: int, name: str
) -> None:
    with anyio.fail_after(TIMEOUT):
        rule = await client.firewalls.add(
            STACK, protocol=protocol, port=8443, from_ip="10.1.2.0/24", to_ip="10.0.0.5"
        )
        listed = await client.firewalls.list(STACK).collect()
        again = await client.firewalls.get(STACK, rule.id)
    assert rule.protocol == name and rule.port == 8443
    assert rule.from_ip == "10.1.2.0/24" and rule.to_ip == "10.0.0.5"
    assert rule.rule_type == "user"
    assert again == rule and listed[-1] == rule and len(listed) == 12
    assert fake.requests("POST", f"{S}/firewalls")[0].json == {
        "protocol": code,
        "port": 8443,
        "from_ip": "10.1.2.0/24",
        "to_ip": "10.0.0.5",
    }


async def test_firewalls_add_between_groups_and_servers(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        rule = await client.firewalls.add(
            STACK, protocol="tcp", port=5432, from_group_id=128, to_group_id=129
        )
        to_server = await client.firewalls.add(STACK, protocol=2, port=53, to_server_id=193)
    assert rule.from_group_id == 128 and rule.to_group_id == 129 and rule.from_ip is None
    assert to_server.to_server_id == 193 and to_server.protocol == "udp"
    assert [e.json for e in fake.requests("POST", f"{S}/firewalls")] == [
        {"protocol": 1, "port": 5432, "from_group_id": 128, "to_group_id": 129},
        {"protocol": 2, "port": 53, "to_server_id": 193},
    ]


async def test_firewalls_ttl_rule_expires(fake: FakeCloud66, client: Client) -> None:
    fake.firewall_ttl_unit = 0.5  # a ttl of 1 lasts 0.5 s
    with anyio.fail_after(TIMEOUT):
        rule = await client.firewalls.add(STACK, protocol="tcp", port=22, from_ip="AUTO", ttl=1)
        assert rule.from_ip == "127.0.0.1"  # AUTO: the caller's address
        assert rule.id in [r.id for r in await client.firewalls.list(STACK).collect()]
        assert await client.firewalls.get(STACK, rule.id) == rule
        await anyio.sleep(0.6)
        with pytest.raises(NotFoundError):
            await client.firewalls.get(STACK, rule.id)
        left = await client.firewalls.list(STACK).collect()
    assert rule.id not in [r.id for r in left] and len(left) == 11
    assert fake.requests("POST", f"{S}/firewalls")[0].json == {
        "protocol": 1,
        "port": 22,
        "from_ip": "AUTO",
        "ttl": 1,
    }


async def test_firewalls_add_bad_ip_is_a_bad_request(fake: FakeCloud66, client: Client) -> None:
    with pytest.raises(BadRequestError) as info, anyio.fail_after(TIMEOUT):
        await client.firewalls.add(STACK, protocol="tcp", port=80, from_ip="not-an-ip")
    assert info.value.details == {"from_ip": "is invalid"}


# -- notifications ------------------------------------------------------------------------------


async def test_notifications_list_every_page_and_filter(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        every = await client.notifications.list(STACK).collect()
        pages = [p async for p in client.notifications.list(STACK).pages()]
        stopped = await client.notifications.list(STACK, alert_type="server.stopped").collect()
        one = await client.notifications.get(STACK, 1189)
    assert len(every) == 48
    assert [(p.number, len(p.items), p.pages, p.total) for p in pages] == [
        (1, 30, 2, 48),
        (2, 18, 2, 48),
    ]
    assert len(stopped) == 3 and {n.alert_type for n in stopped} == {"server.stopped"}
    assert fake.requests("GET", f"{S}/notifications")[-1].query == {
        "alert_type": "server.stopped",
        "page": "1",
    }
    assert one == every[0] and isinstance(one, Notification)
    assert one.alert_type == "stack.provision.ok" and one.channels == ("email",)
    assert one.user_id == 18 and one.stack_id == STACK and one.params == {}
    assert one.created_at == utc(2014, 5, 29, 17, 29, 54)


async def test_notifications_update(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        changed = await client.notifications.update(STACK, 1190, channels=["email", "slack"])
        with_params = await client.notifications.update(
            STACK, 1190, params={"slack_url": "https://hooks.slack.test/x", "slack_channel": "#ops"}
        )
        again = await client.notifications.get(STACK, 1190)
    assert changed.channels == ("email", "slack")
    assert with_params.params == {
        "slack_url": "https://hooks.slack.test/x",
        "slack_channel": "#ops",
    }
    assert again == with_params and again.channels == ("email", "slack")
    bodies = [e.json for e in fake.requests("PUT", f"{S}/notifications/1190")]
    assert bodies[0] == {"channels": ["email", "slack"]}
    assert json.loads(bodies[1]["params"]) == {
        "slack_url": "https://hooks.slack.test/x",
        "slack_channel": "#ops",
    }


async def test_notifications_update_unknown_param_key_is_a_bad_request(
    fake: FakeCloud66, client: Client
) -> None:
    with pytest.raises(BadRequestError) as info, anyio.fail_after(TIMEOUT):
        await client.notifications.update(STACK, 1190, params={"irc_channel": "#ops"})
    assert info.value.status == 400 and info.value.error == "bad_request"
    assert info.value.details == {"params": "has invalid keys"}
    assert "irc_channel" in (info.value.description or "")


# -- clouds -------------------------------------------------------------------------------------


async def test_clouds(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        clouds = await client.clouds.list().collect()
        aws = await client.clouds.get("aws")
    assert [c.name for c in clouds] == ["aws", "digitalocean", "rackspace", "linode"]
    assert isinstance(aws, Cloud) and aws == clouds[0]
    assert aws.display_name == "AWS"
    assert aws.regions is not None
    assert aws.regions[0] == CloudRegion(id="us-east-1", name="US East (Northern Virginia)")
    assert aws.server_sizes and all(size.id for size in aws.server_sizes)


# -- backups ------------------------------------------------------------------------------------


def _groups(fake: FakeCloud66) -> dict[int, str]:
    return {b["_group"]: b["db_type"] for b in fake.state.stacks[STACK].backups}


async def test_backups_list_get_files(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        backups = await client.backups.list(STACK).collect()
        mysql = await client.backups.list(STACK, db_type="mysql").collect()
        one = await client.backups.get(STACK, 34)
        files = await client.backups.files(STACK, 34).collect()
        url = await client.backups.file_url(STACK, 34, files[0].id)
    assert len(backups) == 34 and [b.id for b in backups][:3] == [34, 33, 32]
    assert mysql and {b.db_type for b in mysql} == {"mysql"}
    assert [b.id for b in mysql] == [b.id for b in backups if b.db_type == "mysql"]
    assert isinstance(one, Backup) and one == backups[0]
    assert one.db_type == "redis" and one.server_uid == CORMORANT
    assert one.backup_date_iso == utc(2014, 9, 9, 7, 0, 33)
    assert one.backup_status == 0 and one.restore_result is None and one.backup_size is not None
    assert files == [BackupFile(id="rdb", name="awesome_app_13.rdb")]
    assert isinstance(url, str)
    assert url.startswith("https://c66-managed-backup-non-prod.s3.amazonaws.com/")
    assert "/awesome_app_13.rdb?AWSAccessKeyId=" in url
    queries = [e.query for e in fake.requests("GET", f"{S}/backups")]
    assert queries == [{"page": "1"}, {"page": "2"}, {"db_type": "mysql", "page": "1"}]


async def test_backups_list_by_group(fake: FakeCloud66, client: Client) -> None:
    group, db_type = next(iter(_groups(fake).items()))
    with anyio.fail_after(TIMEOUT):
        grouped = await client.backups.list(STACK, group=group).collect()
        both = await client.backups.list(STACK, group=group, db_type=db_type).collect()
    assert grouped and {b.db_type for b in grouped} == {db_type}
    assert both == grouped
    assert fake.requests("GET", f"{S}/backups")[0].query == {"group": str(group), "page": "1"}


async def test_backups_create(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        result = await client.backups.create(
            STACK, db_type=["mysql", "redis"], frequency="0 */1 * * *", gzip=True
        )
        default = await client.backups.create(STACK)
    assert result == OperationResult(ok=True, message="queued for creation")
    assert default.ok is True
    tasks = fake.state.stacks[STACK].backup_tasks
    assert tasks[0]["db_type"] == "mysql,redis" and tasks[0]["gzip"] is True
    assert tasks[0]["frequency"] == "0 */1 * * *"
    assert tasks[1]["db_type"] == "all"
    assert [e.json for e in fake.requests("POST", f"{S}/backups")] == [
        {"db_type": "mysql,redis", "frequency": "0 */1 * * *", "gzip": True},
        {},
    ]


async def test_backups_create_keep_count(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        result = await client.backups.create(STACK, db_type="postgresql", keep_count=10)
    assert result.ok is True
    assert fake.state.stacks[STACK].backup_tasks[-1]["keep_count"] == 10
    assert fake.requests("POST", f"{S}/backups")[0].json == {
        "db_type": "postgresql",
        "keep_count": 10,
    }


async def test_backups_import(fake: FakeCloud66, client: Client) -> None:
    url = "https://s3.amazonaws.com/bucket/redis_23/2014.07.01.07.00.46/redis_23.tar"
    with anyio.fail_after(TIMEOUT):
        result = await client.backups.import_backup(STACK, group=5, db_type="redis", remote_url=url)
    assert result == OperationResult(ok=True, message="Your external backup queued for upload")
    task = fake.state.stacks[STACK].backup_tasks[-1]
    assert task == {"kind": "import", "group": 5, "db_type": "redis", "remote_url": url}


# -- accounts and users -------------------------------------------------------------------------


async def test_accounts(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        accounts = await client.accounts.list().collect()
        one = await client.accounts.get(139)
    assert [a.id for a in accounts] == [139, 140]
    assert one == accounts[0] and isinstance(one, Account)
    assert one.owner == "test@cloud66.com" and one.stack_count == 2
    assert one.used_clouds == ("digitalocean", "rackspace")
    assert one.created_at_iso == utc(2013, 6, 19, 11, 8, 3)


async def test_users_list_and_get(fake: FakeCloud66, client: Client) -> None:
    with anyio.fail_after(TIMEOUT):
        users = await client.users.list().collect()
        one = await client.users.get(18)
    assert [u.id for u in users] == [18, 19, 20]
    assert one == users[0] and isinstance(one, User)
    assert one.email == "test@cloud66.com" and one.primary_account_id == 14
    assert one.accounts == (
        UserAccount(
            account=14,
            user=18,
            role="owner",
            can_create_stack=True,
            can_admin_users=True,
            default_permission_level=60,
        ),
    )
    assert one.access_rights is not None
    assert one.access_rights[0].access_level == AccessLevel(code=60, meaning="admin")
    assert one.access_rights[0].stack == "5acd43412ea412e32897c40d46f91183"
    assert one.devices is not None and len(one.devices) == 1
    device = one.devices[0]
    assert device.token == "wertqy" and device.device_type == 1 and device.sub_type == 2
    assert device.created_at == utc(2014, 8, 4, 11, 57, 36) == device.created_at_iso
    assert one.last_login == utc(2014, 8, 29, 17, 17, 11)


@pytest.mark.parametrize(
    ("device_type", "sub_type", "codes"),
    [("ios", "iphone", (1, 1)), ("Android", "IPAD", (2, 2)), (1, 3, (1, 3)), (2, "ipod", (2, 3))],
)
async def test_users_devices(
    fake: FakeCloud66,
    client: Client,
    device_type: Any,
    sub_type: Any,
    codes: tuple[int, int],
) -> None:
    with anyio.fail_after(TIMEOUT):
        added = await client.users.add_device(
            18, token="mmccdd", device_type=device_type, sub_type=sub_type
        )
        listed = await client.users.get(18)
        updated = await client.users.update_device(
            18, token="mmccdd", device_type="ios", sub_type="ipad"
        )
        after_update = await client.users.get(18)
        await client.users.delete_device(18, "mmccdd")
        after_delete = await client.users.get(18)
    assert isinstance(added, Device)
    assert (added.device_type, added.sub_type) == codes
    assert added.token == "mmccdd" and added.enabled is True
    assert added.created_at is not None and added.created_at.tzinfo is not None
    assert [d.token for d in listed.devices or ()] == ["wertqy", "mmccdd"]
    assert (updated.device_type, updated.sub_type) == (1, 2)
    mine = next(d for d in after_update.devices or () if d.token == "mmccdd")
    assert (mine.device_type, mine.sub_type) == (1, 2)
    assert [d.token for d in after_delete.devices or ()] == ["wertqy"]
    assert fake.requests("POST", "/users/18/devices")[0].json == {
        "token": "mmccdd",
        "device_type": codes[0],
        "sub_type": codes[1],
    }
    assert fake.requests("PUT", "/users/18/devices")[0].json == {
        "token": "mmccdd",
        "device_type": 1,
        "sub_type": 2,
    }
    delete = fake.requests("DELETE", "/users/18/devices/mmccdd")
    assert len(delete) == 1 and delete[0].json is None and delete[0].status == 200


async def test_users_delete_unknown_device_is_not_found(fake: FakeCloud66, client: Client) -> None:
    with pytest.raises(NotFoundError) as info, anyio.fail_after(TIMEOUT):
        await client.users.delete_device(18, "no-such-token")
    assert info.value.status == 404 and "no-such-token" in (info.value.description or "")


# -- unknown ids --------------------------------------------------------------------------------

UNKNOWN: list[Any] = [
    pytest.param(lambda c: c.stacks.get("0" * 32), "stack", id="stack"),
    pytest.param(lambda c: c.actions.get(STACK, 999_999), "action", id="action"),
    pytest.param(lambda c: c.deployments.get(STACK, 999_999), "deployment", id="deployment"),
    pytest.param(lambda c: c.deployments.cancel(STACK, 999_999), "deployment", id="cancel"),
    pytest.param(lambda c: c.services.get(STACK, "nope"), "service", id="service"),
    pytest.param(lambda c: c.services.stop(STACK, "nope"), "service", id="service-stop"),
    pytest.param(
        lambda c: c.services.scale(STACK, "nope", server_group_count={"web": 1}),
        "service",
        id="service-scale",
    ),
    pytest.param(lambda c: c.containers.get(STACK, "f" * 64), "container", id="container"),
    pytest.param(lambda c: c.containers.stop(STACK, "f" * 64), "container", id="container-stop"),
    pytest.param(lambda c: c.env_vars.get(STACK, 999_999), "environment variable", id="env"),
    pytest.param(
        lambda c: c.env_vars.update(STACK, "NOPE", "x"), "environment variable", id="env-update"
    ),
    pytest.param(
        lambda c: c.env_vars.delete(STACK, "NOPE"), "environment variable", id="env-delete"
    ),
    pytest.param(lambda c: c.firewalls.get(STACK, 999_999), "firewall rule", id="firewall"),
    pytest.param(lambda c: c.notifications.get(STACK, 999_999), "notification", id="notification"),
    pytest.param(
        lambda c: c.notifications.update(STACK, 999_999, channels=["email"]),
        "notification",
        id="notification-update",
    ),
    pytest.param(lambda c: c.settings.get(STACK, "no.such"), "setting", id="setting"),
    pytest.param(
        lambda c: c.settings.update(STACK, "no.such", "x"), "setting", id="setting-update"
    ),
    pytest.param(lambda c: c.server_groups.get(STACK, 999_999), "server group", id="group"),
    pytest.param(lambda c: c.servers.get(STACK, "0" * 32), "server", id="server"),
    pytest.param(
        lambda c: c.server_settings.get(STACK, CARIBOU, "no.such"),
        "server setting",
        id="server-setting",
    ),
    pytest.param(lambda c: c.clouds.get("nimbus"), "cloud", id="cloud"),
    pytest.param(lambda c: c.backups.get(STACK, 999_999), "backup", id="backup"),
    pytest.param(lambda c: c.backups.file_url(STACK, 34, "nope"), "backup file", id="file"),
    pytest.param(lambda c: c.accounts.get(999_999), "account", id="account"),
    pytest.param(lambda c: c.users.get(999_999), "user", id="user"),
    pytest.param(
        lambda c: c.users.update_device(18, token="nope", device_type=1, sub_type=1),
        "device",
        id="device-update",
    ),
    pytest.param(lambda c: c.servers.list("0" * 32).collect(), "stack", id="list-unknown-stack"),
    pytest.param(
        lambda c: c.backups.files(STACK, 999_999).collect(), "backup", id="files-unknown-backup"
    ),
]


@pytest.mark.parametrize(("call", "what"), UNKNOWN)
async def test_unknown_ids_are_not_found(
    fake: FakeCloud66, client: Client, call: Callable[[Client], Any], what: str
) -> None:
    with pytest.raises(NotFoundError) as info, anyio.fail_after(TIMEOUT):
        await call(client)
    error = info.value
    assert error.status == 404
    assert error.error == "not_found"
    assert error.description is not None and error.description.startswith(what)
    assert error.description.endswith("not found")
    assert error.method == fake.request_log[-1].method
    assert error.url is not None and error.url.startswith(fake.base_url)
    assert error.request_id
    assert len(fake.request_log) == 1, "a 404 is not retried"


# -- arguments the managers refuse before sending anything --------------------------------------

INVALID: list[Any] = [
    # stacks
    pytest.param(lambda c: c.stacks.get(""), id="stacks.get-empty-uid"),
    pytest.param(lambda c: c.stacks.get(5), id="stacks.get-int-uid"),
    pytest.param(lambda c: c.stacks.list(max_items=-1), id="stacks.list-max-items"),
    pytest.param(lambda c: c.stacks.list(start_page=0), id="stacks.list-start-page"),
    pytest.param(
        lambda c: c.stacks.create("n", "production", SERVICE_YAML), id="stacks.create-no-target"
    ),
    pytest.param(
        lambda c: c.stacks.create("n", "production", SERVICE_YAML, cloud="aws", region="x"),
        id="stacks.create-no-build-type",
    ),
    pytest.param(
        lambda c: c.stacks.create(
            "n", "production", SERVICE_YAML, cloud="aws", region="x", build_type="huge"
        ),
        id="stacks.create-build-type",
    ),
    pytest.param(
        lambda c: c.stacks.create("", "production", SERVICE_YAML, manifest_yaml=MANIFEST_YAML),
        id="stacks.create-empty-name",
    ),
    pytest.param(
        lambda c: c.stacks.create("n", "production", None, manifest_yaml=MANIFEST_YAML),
        id="stacks.create-no-service-yaml",
    ),
    pytest.param(
        lambda c: c.stacks.create(
            "n", "production", SERVICE_YAML, manifest_yaml=MANIFEST_YAML, wait="yes"
        ),
        id="stacks.create-wait-not-bool",
    ),
    pytest.param(
        lambda c: c.stacks.create(
            "n", "production", SERVICE_YAML, manifest_yaml=MANIFEST_YAML, wait_timeout=0
        ),
        id="stacks.create-wait-timeout",
    ),
    # actions
    pytest.param(lambda c: c.actions.list(""), id="actions.list-empty-stack"),
    pytest.param(lambda c: c.actions.get(STACK, 0), id="actions.get-zero"),
    pytest.param(lambda c: c.actions.get(STACK, "10"), id="actions.get-str"),
    pytest.param(lambda c: c.actions.get(STACK, True), id="actions.get-bool"),
    pytest.param(lambda c: c.actions.run(STACK, "reboot"), id="actions.run-command"),
    pytest.param(lambda c: c.actions.run(STACK, "maintenance_mode"), id="maintenance-no-value"),
    pytest.param(
        lambda c: c.actions.run(STACK, "maintenance_mode", value=2), id="maintenance-value-2"
    ),
    pytest.param(
        lambda c: c.actions.run(STACK, "maintenance_mode", value="1"), id="maintenance-value-str"
    ),
    pytest.param(
        lambda c: c.actions.run(STACK, "maintenance_mode", value=-1), id="maintenance-value-neg"
    ),
    pytest.param(lambda c: c.actions.run(STACK, "restart", value=True), id="restart-with-value"),
    pytest.param(lambda c: c.actions.run(STACK, "restart", wait=1), id="actions.run-wait-int"),
    pytest.param(
        lambda c: c.actions.run(STACK, "restart", wait_timeout=-5), id="actions.run-wait-timeout"
    ),
    # deployments
    pytest.param(lambda c: c.deployments.get(STACK, 0), id="deployments.get-zero"),
    pytest.param(lambda c: c.deployments.cancel(STACK, "107"), id="deployments.cancel-str"),
    pytest.param(lambda c: c.deployments.redeploy(STACK, services="web"), id="redeploy-str"),
    pytest.param(lambda c: c.deployments.redeploy(STACK, services=[]), id="redeploy-empty"),
    pytest.param(
        lambda c: c.deployments.redeploy(STACK, services=["web", ""]), id="redeploy-empty-name"
    ),
    pytest.param(lambda c: c.deployments.redeploy(STACK, git_ref=""), id="redeploy-git-ref"),
    pytest.param(lambda c: c.deployments.redeploy(""), id="redeploy-empty-stack"),
    # services and containers
    pytest.param(lambda c: c.services.list(STACK, server_uid=""), id="services.list-server"),
    pytest.param(lambda c: c.services.get(STACK, ""), id="services.get-empty"),
    pytest.param(lambda c: c.services.scale(STACK, "web"), id="scale-no-counts"),
    pytest.param(lambda c: c.services.scale(STACK, "web", server_count={}), id="scale-empty"),
    pytest.param(
        lambda c: c.services.scale(STACK, "web", server_group_count={"web": -1}), id="scale-neg"
    ),
    pytest.param(
        lambda c: c.services.scale(STACK, "web", server_group_count={"web": "2"}), id="scale-str"
    ),
    pytest.param(
        lambda c: c.services.scale(STACK, "web", server_count={"": 2}), id="scale-empty-key"
    ),
    pytest.param(
        lambda c: c.services.scale(STACK, "web", server_count=[(CARIBOU, 2)]), id="scale-list"
    ),
    pytest.param(
        lambda c: c.services.scale(STACK, "", server_group_count={"web": 2}), id="scale-no-name"
    ),
    pytest.param(lambda c: c.services.stop(STACK, ""), id="services.stop-empty"),
    pytest.param(lambda c: c.services.stop(STACK, "web", server_uid=5), id="services.stop-uid"),
    pytest.param(lambda c: c.containers.list(STACK, server_uid=5), id="containers.list-uid"),
    pytest.param(lambda c: c.containers.get(STACK, ""), id="containers.get-empty"),
    pytest.param(lambda c: c.containers.stop(STACK, None), id="containers.stop-none"),
    # environment variables
    pytest.param(lambda c: c.env_vars.list(""), id="env.list-empty-stack"),
    pytest.param(lambda c: c.env_vars.get(STACK, "4153"), id="env.get-str"),
    pytest.param(lambda c: c.env_vars.add(STACK, "", "x"), id="env.add-empty-key"),
    pytest.param(lambda c: c.env_vars.add(STACK, "KEY", 5), id="env.add-int-value"),
    pytest.param(lambda c: c.env_vars.update(STACK, "KEY", None), id="env.update-none"),
    pytest.param(lambda c: c.env_vars.update(STACK, "", "x"), id="env.update-empty-key"),
    pytest.param(lambda c: c.env_vars.delete(STACK, ""), id="env.delete-empty-key"),
    # settings
    pytest.param(lambda c: c.settings.get(STACK, ""), id="settings.get-empty"),
    pytest.param(lambda c: c.settings.update(STACK, "git.branch", None), id="settings.update-none"),
    pytest.param(
        lambda c: c.settings.update(STACK, "git.branch", ["a"]), id="settings.update-list"
    ),
    pytest.param(lambda c: c.settings.update(STACK, "", "x"), id="settings.update-empty-id"),
    pytest.param(lambda c: c.server_settings.list(STACK, ""), id="server_settings.list-empty"),
    pytest.param(
        lambda c: c.server_settings.get(STACK, CARIBOU, ""), id="server_settings.get-empty"
    ),
    pytest.param(
        lambda c: c.server_settings.update(STACK, CARIBOU, "swap.size", {"a": 1}),
        id="server_settings.update-dict",
    ),
    # server groups and servers
    pytest.param(lambda c: c.server_groups.get(STACK, 0), id="server_groups.get-zero"),
    pytest.param(lambda c: c.servers.get(STACK, ""), id="servers.get-empty"),
    pytest.param(
        lambda c: c.servers.get(STACK, CARIBOU, include_private_key=1), id="servers.get-key-int"
    ),
    # firewalls
    pytest.param(lambda c: c.firewalls.get(STACK, 0), id="firewalls.get-zero"),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="http", port=80, from_ip="1.2.3.4"),
        id="fw-protocol-name",
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol=4, port=80, from_ip="1.2.3.4"),
        id="fw-protocol-4",
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol=True, port=80, from_ip="1.2.3.4"),
        id="fw-protocol-bool",
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="tcp", port=0, from_ip="1.2.3.4"),
        id="fw-port-0",
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="tcp", port=65536, from_ip="1.2.3.4"),
        id="fw-port-65536",
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="tcp", port="80", from_ip="1.2.3.4"),
        id="fw-port-str",
    ),
    pytest.param(lambda c: c.firewalls.add(STACK, protocol="tcp", port=80), id="fw-no-ends"),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="tcp", port=80, from_ip="AUTO"),
        id="fw-auto-without-ttl",
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="tcp", port=80, from_ip=""), id="fw-empty-ip"
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="tcp", port=80, from_ip="1.2.3.4", ttl=0),
        id="fw-ttl-0",
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="tcp", port=80, from_group_id="128"),
        id="fw-group-str",
    ),
    pytest.param(
        lambda c: c.firewalls.add(STACK, protocol="tcp", port=80, to_server_id=0),
        id="fw-server-0",
    ),
    pytest.param(
        lambda c: c.firewalls.add("", protocol="tcp", port=80, from_ip="1.2.3.4"),
        id="fw-empty-stack",
    ),
    # notifications
    pytest.param(lambda c: c.notifications.list(STACK, alert_type=""), id="notif.list-type"),
    pytest.param(lambda c: c.notifications.get(STACK, -1), id="notif.get-negative"),
    pytest.param(lambda c: c.notifications.update(STACK, 1189), id="notif.update-nothing"),
    pytest.param(
        lambda c: c.notifications.update(STACK, 1189, channels=["sms"]), id="notif.channel"
    ),
    pytest.param(
        lambda c: c.notifications.update(STACK, 1189, channels="email"), id="notif.channels-str"
    ),
    pytest.param(
        lambda c: c.notifications.update(STACK, 1189, channels=["email", 1]), id="notif.channel-int"
    ),
    pytest.param(
        lambda c: c.notifications.update(STACK, 1189, params="hipchat_room=test"),
        id="notif.params-str",
    ),
    # clouds
    pytest.param(lambda c: c.clouds.get(""), id="clouds.get-empty"),
    # backups
    pytest.param(lambda c: c.backups.list(STACK, db_type="oracle"), id="backups.list-db-type"),
    pytest.param(lambda c: c.backups.list(STACK, group=0), id="backups.list-group-0"),
    pytest.param(lambda c: c.backups.list(STACK, group="11"), id="backups.list-group-str"),
    pytest.param(lambda c: c.backups.get(STACK, 0), id="backups.get-zero"),
    pytest.param(lambda c: c.backups.create(STACK, db_type="oracle"), id="backups.create-type"),
    pytest.param(lambda c: c.backups.create(STACK, db_type=[]), id="backups.create-no-types"),
    pytest.param(lambda c: c.backups.create(STACK, gzip="yes"), id="backups.create-gzip"),
    pytest.param(
        lambda c: c.backups.create(STACK, run_on_replica_server=1), id="backups.create-replica"
    ),
    pytest.param(lambda c: c.backups.create(STACK, frequency="hourly"), id="backups.create-cron"),
    pytest.param(lambda c: c.backups.create(STACK, keep_count=0), id="backups.create-keep-0"),
    pytest.param(
        lambda c: c.backups.create(STACK, excluded_tables=""), id="backups.create-excluded"
    ),
    pytest.param(
        lambda c: c.backups.import_backup(
            STACK, group=5, db_type="mysql", remote_url="ftp://host/x.tar"
        ),
        id="backups.import-url",
    ),
    pytest.param(
        lambda c: c.backups.import_backup(
            STACK, group=0, db_type="mysql", remote_url="https://host/x.tar"
        ),
        id="backups.import-group",
    ),
    pytest.param(
        lambda c: c.backups.import_backup(
            STACK, group=5, db_type="all", remote_url="https://host/x.tar"
        ),
        id="backups.import-db-type-all",
    ),
    pytest.param(lambda c: c.backups.files(STACK, "34"), id="backups.files-str"),
    pytest.param(lambda c: c.backups.file_url(STACK, 34, ""), id="backups.file_url-empty"),
    # accounts and users
    pytest.param(lambda c: c.accounts.get(0), id="accounts.get-zero"),
    pytest.param(lambda c: c.accounts.get("139"), id="accounts.get-str"),
    pytest.param(lambda c: c.users.get(-18), id="users.get-negative"),
    pytest.param(
        lambda c: c.users.add_device(18, token="t", device_type="windows", sub_type=1),
        id="device-type-name",
    ),
    pytest.param(
        lambda c: c.users.add_device(18, token="t", device_type=3, sub_type=1),
        id="device-type-3",
    ),
    pytest.param(
        lambda c: c.users.add_device(18, token="t", device_type=True, sub_type=1),
        id="device-type-bool",
    ),
    pytest.param(
        lambda c: c.users.add_device(18, token="t", device_type=1, sub_type="ipod touch"),
        id="sub-type-name",
    ),
    pytest.param(
        lambda c: c.users.add_device(18, token="t", device_type=1, sub_type=4), id="sub-type-4"
    ),
    pytest.param(
        lambda c: c.users.add_device(18, token="", device_type=1, sub_type=1), id="device-token"
    ),
    pytest.param(
        lambda c: c.users.update_device(18, token="wertqy", device_type="ios", sub_type=0),
        id="update-sub-type-0",
    ),
    pytest.param(
        lambda c: c.users.update_device(18, token="wertqy", device_type="blackberry", sub_type=1),
        id="update-device-type",
    ),
    pytest.param(lambda c: c.users.delete_device(18, ""), id="delete-device-empty"),
    pytest.param(lambda c: c.users.delete_device(0, "wertqy"), id="delete-device-user-0"),
]


@pytest.mark.parametrize("call", INVALID)
async def test_invalid_arguments_raise_config_error_before_any_request(
    fake: FakeCloud66, client: Client, call: Callable[[Client], Any]
) -> None:
    fake.clear_log()
    with pytest.raises(ConfigError), anyio.fail_after(TIMEOUT):
        result = call(client)  # a list call refuses at once, before it is iterated
        if isinstance(result, Paginator):
            await result.collect()
        else:
            await result
    assert fake.request_log == [], [(e.method, e.path) for e in fake.request_log]


async def test_config_error_messages_name_the_argument_and_its_bound(client: Client) -> None:
    with pytest.raises(ConfigError) as info:
        await client.actions.get(STACK, 0)
    message = str(info.value)
    assert "action_id" in message and "0" in message
    assert "None" not in message, f"a bound that does not exist is shown: {message!r}"
