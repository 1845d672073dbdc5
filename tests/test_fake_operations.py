"""FakeCloud66's operations, group by group, over raw HTTP: answers, validation, and the state
changes that asynchronous actions and deployments apply when they finish."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import pytest

from cloud66_async.testing import FakeCloud66
from cloud66_async.testing._blueprint import blueprint

pytestmark = pytest.mark.anyio

EXAMPLE = "5999b763474b0eafa5fafb64bff0ba80"
CARIBOU = "f8468fc145ea49bac474b30a8fea888d"
GAZELLE = "c6014897b8c8e9f2fc204a3a9efdae05"
CORMORANT = "edfbd7a9b97e999ebf17984282d4b457"
EXAMPLE_CONTAINER = "cba44fa6b6acf57fb0ef6c2ce385f6a129867df544dae7181d2410e9f9cc32bc"
S = f"/stacks/{EXAMPLE}"
DNS_WARNING = "Warning! Changing this value will also modify your Cloud 66 *.c66.me DNS values"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Api:
    """A raw HTTP client of the fake: returns (status, body) and keeps the session."""

    def __init__(self, fake: FakeCloud66, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session

    async def __call__(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.fake.token}"}
        async with self.session.request(
            method, self.fake.base_url + path, headers=headers, **kwargs
        ) as response:
            return response.status, await response.json()

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        status, body = await self(method, path, **kwargs)
        assert status == 200, body
        return body["response"]

    async def all(self, path: str) -> list[Any]:
        items: list[Any] = []
        page = 1
        while True:
            status, body = await self("GET", path, params={"page": str(page)})
            assert status == 200, body
            items += body["response"]
            if body["pagination"]["next"] is None:
                return items
            page += 1

    async def finished(self, stack: str, action: dict[str, Any]) -> dict[str, Any]:
        with anyio.fail_after(3):
            while True:
                current = await self.ok("GET", f"/stacks/{stack}/actions/{action['id']}")
                if current["finished_at"] is not None:
                    return dict(current)
                await anyio.sleep(0.01)

    async def deployed(self, stack: str) -> dict[str, Any]:
        with anyio.fail_after(3):
            while True:
                latest = (await self.ok("GET", f"/stacks/{stack}/deployments"))[0]
                if not latest["is_deploying"]:
                    return dict(latest)
                await anyio.sleep(0.01)

    async def error(self, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
        got, body = await self(method, path, **kwargs)
        assert got == status, body
        return dict(body)


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    async with FakeCloud66(stacks=3, action_delay=0.02, deploy_duration=0.05) as server:
        yield server


@pytest.fixture
async def api(fake: FakeCloud66) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield Api(fake, session)


def _is_action(action: dict[str, Any], name: str, resource_type: str = "stack") -> None:
    assert set(action) == {
        "id",
        "user",
        "resource_type",
        "action",
        "resource_id",
        "started_via",
        "started_at",
        "finished_at",
        "finished_success",
        "finished_message",
    }
    assert action["action"] == name
    assert action["resource_type"] == resource_type
    assert isinstance(action["resource_id"], str)
    assert action["started_via"] == "api"
    assert action["started_at"].endswith("Z")
    assert action["finished_at"] is None
    assert action["finished_success"] is None


# -- stacks and actions -------------------------------------------------------------------------


async def test_stack_actions_finish_later_newest_first(api: Api, fake: FakeCloud66) -> None:
    before = await api.ok("GET", f"{S}/actions")
    assert before[0]["id"] == 10  # the blueprint's example action
    assert before[0]["action"] == "clear_caches"
    # Long enough that the action is still running when it is listed, on a busy machine too
    # (with the fixture's 20 ms it had sometimes finished already); the wait below is bounded.
    fake.action_delay = 0.5
    started = await api.ok("POST", f"{S}/actions", json={"command": "restart"})
    _is_action(started, "restart")
    assert started["resource_id"] == "283"
    assert started["id"] > max(a["id"] for a in before)
    listed = await api.ok("GET", f"{S}/actions")
    assert listed[0] == started
    done = await api.finished(EXAMPLE, started)
    assert done["finished_success"] is True
    assert done["finished_message"] is None
    assert done["finished_at"] >= done["started_at"]
    second = await api.ok("POST", f"{S}/actions", json={"command": "clear_caches"})
    assert second["id"] == started["id"] + 1


async def test_stack_action_validation(api: Api) -> None:
    body = await api.error("POST", f"{S}/actions", 400, json={"command": "reboot"})
    assert body["details"] == {"command": "is invalid"}
    await api.error("POST", f"{S}/actions", 400, json={})
    await api.error("POST", f"{S}/actions", 400, json={"command": "maintenance_mode"})
    await api.error("POST", "/stacks/nope/actions", 404, json={"command": "restart"})
    await api.error("GET", f"{S}/actions/999999", 404)
    await api.error("GET", f"{S}/actions/abc", 404)


async def test_maintenance_mode_applies_when_done(api: Api) -> None:
    action = await api.ok("POST", f"{S}/actions", json={"command": "maintenance_mode", "value": 1})
    await api.finished(EXAMPLE, action)
    assert (await api.ok("GET", S))["maintenance_mode"] is True
    setting = await api.ok("GET", f"{S}/settings/maintenance-mode")
    assert setting == {"key": "maintenance.mode", "value": True}


async def test_failed_action_applies_nothing(api: Api, fake: FakeCloud66) -> None:
    fake.set_action_outcome(False, "disk full", times=1)
    action = await api.ok("POST", f"{S}/environments", json={"key": "NEVER", "value": "x"})
    done = await api.finished(EXAMPLE, action)
    assert (done["finished_success"], done["finished_message"]) == (False, "disk full")
    assert "NEVER" not in {e["key"] for e in await api.all(f"{S}/environments")}
    again = await api.ok("POST", f"{S}/actions", json={"command": "restart"})
    assert (await api.finished(EXAMPLE, again))["finished_success"] is True
    fake.set_action_outcome(False)
    for _ in range(2):
        failed = await api.ok("POST", f"{S}/actions", json={"command": "restart"})
        done = await api.finished(EXAMPLE, failed)
        assert (done["finished_success"], done["finished_message"]) == (False, "restart failed")


async def test_create_stack(api: Api, fake: FakeCloud66) -> None:
    body = await api.error("POST", "/stacks", 400, json={"name": "x", "environment": "production"})
    assert "service_yaml" in body["details"]
    await api.error(
        "POST",
        "/stacks",
        400,
        json={"name": "x", "environment": "production", "service_yaml": "services: {}"},
    )
    await api.error(
        "POST",
        "/stacks",
        400,
        json={"name": "x", "environment": "p", "service_yaml": "s", "cloud": "mars"},
    )
    yaml = "services:\n  web:\n    image: nginx\n  worker:\n    image: busybox\n"
    action = await api.ok(
        "POST",
        "/stacks",
        json={
            "name": "Brand New",
            "environment": "staging",
            "service_yaml": yaml,
            "cloud": "aws",
            "region": "us-east-1",
            "build_type": "single",
        },
    )
    _is_action(action, "stack_create")
    assert len(fake.stack_uids) == 4  # listed at once, queued
    uid = fake.stack_uids[-1]
    assert (await api.ok("GET", f"/stacks/{uid}"))["status"] == 0
    fake.finish_pending()
    stack = await api.ok("GET", f"/stacks/{uid}")
    assert stack["status"] == 1
    assert (stack["name"], stack["environment"], stack["cloud"]) == ("Brand New", "staging", "AWS")
    assert [s["name"] for s in await api.ok("GET", f"/stacks/{uid}/services")] == ["web", "worker"]
    done = await api.ok("GET", f"/stacks/{uid}/actions/{action['id']}")
    assert done["finished_success"] is True
    assert done["resource_id"] != "283"


# -- deployments --------------------------------------------------------------------------------


async def test_redeploy_runs_then_succeeds(api: Api) -> None:
    before = await api.ok("GET", f"{S}/deployments")
    assert before[0]["id"] == 107
    assert before[0]["is_live"] is True
    answer = await api.ok("POST", f"{S}/deployments", json={"git_ref": "main"})
    assert answer == {"ok": True, "message": "Stack queued for redeployment"}
    running = (await api.ok("GET", f"{S}/deployments"))[0]
    assert running["is_deploying"] is True
    assert running["finished_at"] is None
    assert running["outcome"] is None
    assert running["id"] > 107
    assert running["is_head"] is True
    assert (await api.ok("GET", S))["status"] == 6
    assert set(running) == set(before[0])
    finished = await api.deployed(EXAMPLE)
    assert finished["outcome"] == {"code": 1, "meaning": "success"}
    assert finished["is_live"] is True
    old = await api.ok("GET", f"{S}/deployments/107")
    assert (old["is_live"], old["is_head"]) == (False, False)
    assert (await api.ok("GET", S))["status"] == 1


async def test_redeploy_can_fail(api: Api, fake: FakeCloud66) -> None:
    fake.set_deploy_outcome(False, times=1)
    await api.ok("POST", f"{S}/deployments", data={"services_filter": "web,worker"})
    failed = await api.deployed(EXAMPLE)
    assert failed["outcome"] == {"code": 2, "meaning": "failed"}
    assert failed["is_live"] is False
    assert (await api.ok("GET", S))["status"] == 2
    await api.ok("POST", f"{S}/deployments", json={"services": ["web"]})
    assert (await api.deployed(EXAMPLE))["outcome"]["meaning"] == "success"
    body = await api.error("POST", f"{S}/deployments", 400, json={"services": ["nope"]})
    assert body["error"] == "bad_request"


async def test_cancel_deployment(api: Api, fake: FakeCloud66) -> None:
    fake.deploy_duration = 30
    await api.ok("POST", f"{S}/deployments")
    live = (await api.ok("GET", f"{S}/deployments"))[0]
    answer = await api.ok("DELETE", f"{S}/deployments/{live['id']}")
    assert answer == {"ok": True, "message": "Cancelling deployment"}
    cancelled = await api.ok("GET", f"{S}/deployments/{live['id']}")
    assert cancelled["outcome"] == {"code": 3, "meaning": "cancelled"}
    assert cancelled["is_deploying"] is False
    assert cancelled["finished_at"] is not None
    body = await api.error("DELETE", f"{S}/deployments/{live['id']}", 409)
    assert body["error"] == "conflict"
    await api.error("DELETE", f"{S}/deployments/107", 409)
    await api.error("DELETE", f"{S}/deployments/1", 404)


async def test_redeploy_with_async_action(api: Api, fake: FakeCloud66) -> None:
    fake.redeploy_async_action = True
    answer = await api.ok("POST", f"{S}/deployments")
    assert answer["ok"] is True
    assert answer["queued"] is True
    tracking = await api.ok("GET", f"{S}/actions/{answer['async_action_id']}")
    assert tracking["finished_at"] is None
    done = await api.finished(EXAMPLE, tracking)
    assert done["finished_success"] is True
    assert (await api.ok("GET", f"{S}/deployments"))[0]["outcome"]["meaning"] == "success"
    fake.set_deploy_outcome(False, times=1)
    answer = await api.ok("POST", f"{S}/deployments")
    done = await api.finished(EXAMPLE, {"id": answer["async_action_id"]})
    assert done["finished_success"] is False


# -- services and containers --------------------------------------------------------------------


async def test_services_and_containers(api: Api) -> None:
    services = await api.ok("GET", f"{S}/services")
    assert [s["name"] for s in services] == ["web", "worker", "api", "scheduler"]
    web = await api.ok("GET", f"{S}/services/web")
    assert set(web["containers"][0]) == {
        "uid",
        "server_uid",
        "server_name",
        "service_name",
        "image",
        "port_list",
        "command",
        "started_at",
        "web_ports",
        "created_at",
        "updated_at",
    }
    on_gazelle = await api.ok("GET", f"{S}/services/web", params={"server_uid": GAZELLE})
    assert {c["server_uid"] for c in on_gazelle["containers"]} == {GAZELLE}
    await api.error("GET", f"{S}/services/nope", 404)
    containers = await api.all(f"{S}/containers")
    assert containers[0]["uid"] == EXAMPLE_CONTAINER
    assert containers[0]["docker_ip"] is None  # the list example's value
    shown = await api.ok("GET", f"{S}/containers/{EXAMPLE_CONTAINER}")
    assert shown["docker_ip"] == "172.0.2.12"
    assert shown["runtime"]["Id"] == EXAMPLE_CONTAINER
    assert shown["runtime"]["Created"] == "2015-02-10T17:41:36.988310784Z"
    other = await api.ok("GET", f"{S}/containers/{containers[5]['uid']}")
    assert other["runtime"]["Id"] == containers[5]["uid"]
    filtered = await api.all(f"{S}/containers?server_uid={CORMORANT}")
    assert filtered
    assert {c["server_uid"] for c in filtered} == {CORMORANT}
    await api.error("GET", f"{S}/containers/nope", 404)


async def test_scale_service(api: Api) -> None:
    body = await api.error("POST", f"{S}/services", 400, json={"service_name": "web"})
    assert body["error"] == "bad_request"
    await api.error("POST", f"{S}/services", 404, json={"service_name": "nope", "server_count": {}})
    await api.error(
        "POST", f"{S}/services", 400, json={"service_name": "web", "server_count": {"zz": 1}}
    )
    action = await api.ok(
        "POST", f"{S}/services", json={"service_name": "web", "server_group_count": {"web": 4}}
    )
    _is_action(action, "service_scale")
    assert (await api.finished(EXAMPLE, action))["finished_success"] is True
    web = (await api.ok("GET", f"{S}/services/web"))["containers"]
    assert len(web) == 4
    assert len({c["server_uid"] for c in web}) > 1  # spread over the servers
    action = await api.ok(
        "POST",
        f"{S}/services",
        json={"service_name": "worker", "server_count": f'{{"{CARIBOU}": 2}}'},
    )
    await api.finished(EXAMPLE, action)
    workers = (await api.ok("GET", f"{S}/services/worker"))["containers"]
    assert Counter(c["server_uid"] for c in workers)[CARIBOU] == 2


async def test_stop_service_and_container(api: Api) -> None:
    action = await api.ok("DELETE", f"{S}/services/worker", params={"server_uid": GAZELLE})
    _is_action(action, "service_stop")
    await api.finished(EXAMPLE, action)
    workers = (await api.ok("GET", f"{S}/services/worker"))["containers"]
    assert workers
    assert GAZELLE not in {c["server_uid"] for c in workers}
    action = await api.ok("DELETE", f"{S}/services/worker")
    await api.finished(EXAMPLE, action)
    assert (await api.ok("GET", f"{S}/services/worker"))["containers"] == []
    action = await api.ok("DELETE", f"{S}/containers/{EXAMPLE_CONTAINER}")
    _is_action(action, "container_stop")
    await api.finished(EXAMPLE, action)
    await api.error("GET", f"{S}/containers/{EXAMPLE_CONTAINER}", 404)
    await api.error("DELETE", f"{S}/containers/{EXAMPLE_CONTAINER}", 404)


# -- environment variables ----------------------------------------------------------------------


async def test_env_var_lifecycle(api: Api) -> None:
    first = await api.ok("GET", f"{S}/environments/4152")
    assert first["key"] == "STACK_GIT_BRANCH"
    assert first["history"][0]["value"] == "develop"
    await api.error("GET", f"{S}/environments/STACK_PATH", 404)  # GET is by numeric id
    action = await api.ok("POST", f"{S}/environments", json={"key": "MY_VAR", "value": "one"})
    _is_action(action, "env-var-new")
    await api.finished(EXAMPLE, action)
    added = [e for e in await api.all(f"{S}/environments") if e["key"] == "MY_VAR"]
    assert added
    assert added[0]["value"] == "one"
    assert added[0]["readonly"] is False
    await api.error("POST", f"{S}/environments", 409, json={"key": "MY_VAR", "value": "x"})
    await api.error("POST", f"{S}/environments", 400, json={"key": "bad key", "value": "x"})
    await api.error("POST", f"{S}/environments", 400, json={"key": "NO_VALUE"})
    action = await api.ok("PUT", f"{S}/environments/MY_VAR", json={"value": "two"})
    _is_action(action, "env-var-update")
    await api.finished(EXAMPLE, action)
    updated = await api.ok("GET", f"{S}/environments/{added[0]['id']}")
    assert updated["value"] == "two"
    assert [h["value"] for h in updated["history"]] == ["one"]
    body = await api.error("PUT", f"{S}/environments/STACK_PATH", 409, json={"value": "x"})
    assert body["error_description"].endswith("is readonly")
    await api.error("PUT", f"{S}/environments/NOPE", 404, json={"value": "x"})
    await api.error("DELETE", f"{S}/environments/STACK_PATH", 409)
    await api.error("DELETE", f"{S}/environments/POSTGRESQL_USERNAME", 409)  # generated
    deleted = await api.ok("DELETE", f"{S}/environments/MY_VAR")
    assert deleted["ok"] is True
    assert "MY_VAR" not in {e["key"] for e in await api.all(f"{S}/environments")}


# -- firewalls, notifications, settings ---------------------------------------------------------


async def test_firewall_rules(api: Api, fake: FakeCloud66) -> None:
    rules = await api.ok("GET", f"{S}/firewalls")
    assert [r["id"] for r in rules[:2]] == [5027, 5028]
    assert (await api.ok("GET", f"{S}/firewalls/5027"))["port"] == 80
    for bad in (
        {"protocol": 9, "port": 80, "from_ip": "1.2.3.4"},
        {"protocol": 1, "port": 0, "from_ip": "1.2.3.4"},
        {"protocol": 1, "port": 70000, "from_ip": "1.2.3.4"},
        {"protocol": 1, "port": 80},
        {"protocol": "tcp", "port": 80, "from_ip": "not-an-ip"},
        {"protocol": "tcp", "port": 80, "to_group_id": 999999},
    ):
        await api.error("POST", f"{S}/firewalls", 400, json=bad)
    rule = await api.ok(
        "POST", f"{S}/firewalls", json={"protocol": 1, "port": 8443, "from_ip": "10.0.0.0/8"}
    )
    assert (rule["protocol"], rule["port"], rule["from_ip"]) == ("tcp", 8443, "10.0.0.0/8")
    assert (await api.ok("GET", f"{S}/firewalls/{rule['id']}")) == rule
    fake.firewall_ttl_unit = 0.05
    temporary = await api.ok(
        "POST",
        f"{S}/firewalls",
        data={"protocol": "udp", "port": "53", "from_ip": "AUTO", "to_group_id": "128", "ttl": "1"},
    )
    assert temporary["from_ip"] == "127.0.0.1"
    assert temporary["id"] in {r["id"] for r in await api.all(f"{S}/firewalls")}
    await anyio.sleep(0.08)
    assert temporary["id"] not in {r["id"] for r in await api.all(f"{S}/firewalls")}
    await api.error("GET", f"{S}/firewalls/{temporary['id']}", 404)


async def test_notifications(api: Api) -> None:
    provision = await api.ok(
        "GET", f"{S}/notifications", params={"alert_type": "stack.provision.ok"}
    )
    assert provision
    assert {n["alert_type"] for n in provision} == {"stack.provision.ok"}
    updated = await api.ok(
        "PUT",
        f"{S}/notifications/1191",
        json={"channels": ["email", "slack"], "params": '{"slack_channel": "#ops"}'},
    )
    assert updated["channels"] == ["email", "slack"]
    assert updated["params"] == {"slack_channel": "#ops"}
    assert (await api.ok("GET", f"{S}/notifications/1191")) == updated
    await api.ok("PUT", f"{S}/notifications/1191", data={"channels": "[email,ios]"})
    body = await api.error("PUT", f"{S}/notifications/1191", 400, json={"channels": ["sms"]})
    assert body["details"] == {"channels": "has invalid values"}
    await api.error("PUT", f"{S}/notifications/1191", 400, json={"params": {"bogus": 1}})
    await api.error("GET", f"{S}/notifications/1", 404)


async def test_stack_settings(api: Api) -> None:
    settings = await api.ok("GET", f"{S}/settings")
    assert [s["id"] for s in settings][:3] == ["allowed-web-source", "asset-prefix", "git-branch"]
    assert await api.ok("GET", f"{S}/settings/git-branch") == {
        "key": "git.branch",
        "value": "master",
    }
    action = await api.ok("PUT", f"{S}/settings/git-branch", json={"value": "staging"})
    _is_action(action, "stack-set: git.branch")
    await api.finished(EXAMPLE, action)
    assert (await api.ok("GET", f"{S}/settings/git.branch"))["value"] == "staging"
    assert (await api.ok("GET", S))["git_branch"] == "staging"
    body = await api.error("PUT", f"{S}/settings/stack-name", 409, json={"value": "x"})
    assert body["error_description"] == "setting stack.name is readonly"
    await api.error("PUT", f"{S}/settings/git-branch", 400, json={})
    await api.error("PUT", f"{S}/settings/nope", 404, json={"value": "x"})


# -- servers ------------------------------------------------------------------------------------


async def test_servers_groups_and_server_settings(api: Api) -> None:
    groups = await api.ok("GET", f"{S}/server_groups")
    assert [(g["id"], g["name"]) for g in groups] == [
        (128, "Rails Server"),
        (129, "PostgreSQL Server"),
    ]
    assert (await api.ok("GET", f"{S}/server_groups/129"))["type"] == "postgresql"
    servers = await api.ok("GET", f"{S}/servers")
    assert [s["name"] for s in servers] == ["Caribou", "Gazelle", "Cormorant"]
    caribou = await api.ok("GET", f"{S}/servers/{CARIBOU}")
    assert caribou["vendor_uid"] == "2492780"
    assert "private_key" not in caribou
    keyed = await api.ok("GET", f"{S}/servers/{CARIBOU}", params={"include_private_key": "1"})
    assert keyed["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    settings = await api.ok("GET", f"{S}/servers/{CARIBOU}/settings")
    assert settings[0] == {
        "key": "server.name",
        "value": "Caribou",
        "readonly": True,
        "warning_text": DNS_WARNING,
    }
    assert await api.ok("GET", f"{S}/servers/{CARIBOU}/settings/server-name") == {
        "key": "server.name",
        "value": "Caribou",
    }
    # server.name is read-only: renaming is refused...
    await api.error("PUT", f"{S}/servers/{GAZELLE}/settings/server-name", 409, json={"value": "x"})
    # ...except on Caribou, whose rename the blueprint documents ("Update Server Setting").
    renamed = await api.ok(
        "PUT", f"{S}/servers/{CARIBOU}/settings/server-name", json={"value": "newname"}
    )
    _is_action(renamed, "server-set: server.name", "server")
    await api.finished(EXAMPLE, renamed)
    assert (await api.ok("GET", f"{S}/servers/{CARIBOU}/settings/server-name"))["value"] == (
        "newname"
    )
    action = await api.ok(
        "PUT", f"{S}/servers/{CARIBOU}/settings/passenger-pool-max", json={"value": "8"}
    )
    _is_action(action, "server-set: passenger.pool.max", "server")
    assert action["resource_id"] == "445"
    await api.finished(EXAMPLE, action)
    assert (await api.ok("GET", f"{S}/servers/{CARIBOU}/settings/passenger-pool-max"))["value"] == 8
    await api.error("GET", f"{S}/servers/nope", 404)
    await api.error("GET", f"{S}/servers/{CARIBOU}/settings/nope", 404)


# -- clouds, backups, accounts, users -----------------------------------------------------------


async def test_clouds(api: Api) -> None:
    clouds = await api.ok("GET", "/clouds")
    assert [c["name"] for c in clouds][:2] == ["aws", "digitalocean"]
    assert len(clouds) >= 4
    digitalocean = await api.ok("GET", "/clouds/digitalocean")
    assert digitalocean == clouds[1]
    assert digitalocean["regions"][0] == {
        "id": "ams1",
        "name": "Amsterdam, Netherlands",
        "old_id": "2",
    }
    await api.error("GET", "/clouds/mars", 404)


async def test_backups(api: Api, fake: FakeCloud66) -> None:
    backups = await api.all(f"{S}/backups")
    assert len(backups) == 34
    mysql = await api.all(f"{S}/backups?db_type=mysql")
    assert mysql
    assert {b["db_type"] for b in mysql} == {"mysql"}
    # The "Backups list" example answers the documented group=15&db_type=mysql.
    group = await api.all(f"{S}/backups?group=15&db_type=mysql")
    assert [b["id"] for b in group] == [4, 1]
    assert {b["db_type"] for b in await api.all(f"{S}/backups?group=11")} == {"mysql"}
    await api.error("GET", f"{S}/backups", 400, params={"db_type": "oracle"})
    await api.error("GET", f"{S}/backups", 400, params={"group": "x"})
    first = await api.ok("GET", f"{S}/backups/1")
    assert first["storage_path"].endswith("2014.09.01.18.16.14")
    files = await api.ok("GET", f"{S}/backups/1/files")
    assert files == [{"id": "tar", "name": "test_db_11.tar"}]
    url = await api.ok("GET", f"{S}/backups/1/files/tar")
    assert url["ok"] is True
    assert url["public_url"].endswith("GSS8%253D")
    other = await api.ok("GET", f"{S}/backups/{backups[0]['id']}/files")
    link = await api.ok("GET", f"{S}/backups/{backups[0]['id']}/files/{other[0]['id']}")
    assert link["public_url"].startswith("https://")
    await api.error("GET", f"{S}/backups/1/files/nope", 404)
    created = await api.ok("POST", f"{S}/backups", json={"db_type": "mysql,redis", "keep_count": 5})
    assert created == {"ok": True, "message": "queued for creation"}
    await api.error("POST", f"{S}/backups", 400, json={"db_type": "oracle"})
    await api.error("POST", f"{S}/backups", 400, json={"frequency": "often"})
    imported = await api.ok(
        "POST",
        f"{S}/backups",
        json={"group": 5, "db_type": "redis", "remote_url": "https://example.com/dump.rdb"},
    )
    assert imported == {"ok": True, "message": "Your external backup queued for upload"}
    await api.error("POST", f"{S}/backups", 400, json={"db_type": "redis", "remote_url": "x"})
    tasks = fake.state.stacks[EXAMPLE].backup_tasks
    assert [t["kind"] for t in tasks] == ["new", "import"]


async def test_accounts_and_users(api: Api) -> None:
    accounts = await api.ok("GET", "/accounts")
    assert accounts[0]["id"] == 139
    assert (await api.ok("GET", "/accounts/139"))["owner"] == "test@cloud66.com"
    # The blueprint answers /accounts/1 with account 139, and /users/1 with user 18.
    assert await api.ok("GET", "/accounts/1") == accounts[0]
    await api.error("GET", "/accounts/9999", 404)
    users = await api.ok("GET", "/users")
    assert users[0]["id"] == 18
    user = await api.ok("GET", "/users/18")
    assert user["devices"][0]["token"] == "wertqy"
    assert await api.ok("GET", "/users/1") == user
    assert user["devices"][0]["created_at"] == "2014-08-04 11:57:36 UTC"
    await api.error("GET", "/users/9999", 404)


async def test_devices(api: Api) -> None:
    added = await api.ok(
        "POST", "/users/18/devices", data={"token": "abc123", "device_type": "1", "sub_type": "1"}
    )
    assert (added["token"], added["device_type"], added["sub_type"], added["enabled"]) == (
        "abc123",
        1,
        1,
        True,
    )
    assert added["created_at"].endswith(" UTC")
    assert added["created_at_iso"].endswith("Z")
    await api.error(
        "POST", "/users/18/devices", 409, json={"token": "abc123", "device_type": 1, "sub_type": 1}
    )
    await api.error(
        "POST", "/users/18/devices", 400, json={"token": "t", "device_type": 7, "sub_type": 1}
    )
    await api.error("POST", "/users/18/devices", 400, json={"device_type": 1, "sub_type": 1})
    updated = await api.ok(
        "PUT", "/users/18/devices", json={"token": "abc123", "device_type": 1, "sub_type": 2}
    )
    assert updated["sub_type"] == 2
    by_path = await api.ok(
        "PUT", "/users/18/devices/wertqy.json", json={"device_type": 2, "sub_type": 1}
    )
    assert by_path["device_type"] == 2
    await api.error(
        "PUT", "/users/18/devices", 404, json={"token": "nope", "device_type": 1, "sub_type": 1}
    )
    deleted = await api.ok("DELETE", "/users/18/devices/abc123")
    assert deleted["ok"] is True
    await api.error("DELETE", "/users/18/devices/abc123", 404)
    tokens = [d["token"] for d in (await api.ok("GET", "/users/18"))["devices"]]
    assert tokens == ["wertqy"]


# -- helpers of the fake ------------------------------------------------------------------------


async def test_state_helpers(fake: FakeCloud66) -> None:
    uid = fake.add_stack("Helper Stack", environment="staging")
    assert fake.stack_uids[-1] == uid
    assert fake.stack(uid)["environment"] == "staging"
    assert fake.peek(f"/stacks/{uid}/servers")
    assert fake.peek(f"/stacks/{uid}")["name"] == "Helper Stack"
    fake.remove_stack(uid)
    assert uid not in fake.stack_uids
    with pytest.raises(KeyError):
        fake.stack(uid)


async def test_generated_objects_have_the_example_fields() -> None:
    fake = FakeCloud66(stacks=5)
    v3 = blueprint("v3")
    shapes = {
        "": v3["Stack"].response,
        "/actions": v3["Stack Action"].response,
        "/deployments": v3["Deployment"].response,
        "/containers": v3["Containers list"].response[0],
        "/environments": v3["Environment Variable list"].response[0],
        "/firewalls": v3["Firewall rules list"].response[0],
        "/notifications": v3["Notifications list"].response[0],
        "/settings": v3["Settings list"].response[0],
        "/server_groups": v3["Server Group List"].response[0],
        "/servers": v3["Server"].response,
        "/backups": v3["Backups list"].response[0],
    }
    service_container = v3["Services list"].response[0]["containers"][0]
    for uid in fake.stack_uids[1:]:
        for suffix, example in shapes.items():
            found = fake.peek(f"/stacks/{uid}{suffix}")
            for item in [found] if suffix == "" else found:
                assert set(item) == set(example), (uid, suffix)
        for service in fake.peek(f"/stacks/{uid}/services"):
            for container in service["containers"]:
                assert set(container) == set(service_container)
    assert all(set(u) == set(v3["User List"].response[0]) for u in fake.peek("/users"))
    assert all(set(c) == set(v3["Cloud List"].response[0]) for c in fake.peek("/clouds"))


async def test_serve_forever_until_cancelled() -> None:
    fake = FakeCloud66(stacks=1)
    seen: list[str] = []
    with anyio.move_on_after(0.2):
        await fake.serve_forever(on_ready=lambda f: seen.append(f.base_url))
    assert seen
    assert seen[0].startswith("http://127.0.0.1:")
    assert "stopped" in repr(fake)
