"""FakeCloud66 and the blueprint: the seed read from it, the ids its documented requests use,
the choices where it contradicts itself (tests/samples/FIXES.md), and the live API's additions
(``services`` for redeploy, the ``X-Cloud66-Warning`` header). The full replay of every
documented request is tests/test_replay.py."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import pytest

from cloud66_async.testing import FakeCloud66
from cloud66_async.testing import _blueprint as bp
from cloud66_async.testing._seed import Seeder
from cloud66_async.testing._state import Config, State

pytestmark = pytest.mark.anyio

EXAMPLE = "5999b763474b0eafa5fafb64bff0ba80"
EARLY_EXAMPLE = "5be6b763474b0eafa5fafb64bff0ba80"
CARIBOU = "f8468fc145ea49bac474b30a8fea888d"
GAZELLE = "c6014897b8c8e9f2fc204a3a9efdae05"
CORMORANT = "edfbd7a9b97e999ebf17984282d4b457"
SHOWN_ON = "1239b763474b0eafa5fafb64bff0ba80"  # "Service show": Cormorant's other uid
SCALED_ON = "123123cfcb7d3d2b54614b19e2a6c673"  # "Service scale": taken for Gazelle
S = f"/stacks/{EXAMPLE}"
V3 = bp.blueprint("v3")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Api:
    """A raw HTTP client of the fake: (status, headers, body)."""

    def __init__(self, fake: FakeCloud66, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session

    async def __call__(
        self, method: str, path: str, *, prefix: str = "/api/3", **kwargs: Any
    ) -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {self.fake.token}"}
        with anyio.fail_after(5):
            async with self.session.request(
                method, self.fake.url + prefix + path, headers=headers, **kwargs
            ) as response:
                return response.status, response.headers, await response.json()

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        status, _, body = await self(method, path, **kwargs)
        assert status == 200, body
        return body["response"]

    async def error(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        got, _, body = await self(method, path, **kwargs)
        assert got == status, body
        return body

    async def finished(self, action: dict[str, Any]) -> dict[str, Any]:
        with anyio.fail_after(3):
            while True:
                current = await self.ok("GET", f"{S}/actions/{action['id']}")
                if current["finished_at"] is not None:
                    return dict(current)
                await anyio.sleep(0.01)


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    async with FakeCloud66(stacks=3, action_delay=0.01, deploy_duration=0.05) as server:
        yield server


@pytest.fixture
async def api(fake: FakeCloud66) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(fake, session)


# -- the seed comes from the blueprint, read once ------------------------------------------------


def test_the_blueprint_is_parsed_once_per_process() -> None:
    FakeCloud66(stacks=1)
    before = bp.blueprint.cache_info()
    for _ in range(3):
        FakeCloud66(stacks=2)
    after = bp.blueprint.cache_info()
    assert after.misses == before.misses and after.hits > before.hits


def test_example_objects_are_the_blueprints_and_private_to_each_fake() -> None:
    one, two = FakeCloud66(stacks=1), FakeCloud66(stacks=1)
    assert one.peek(S) == V3["Stack"].response
    assert one.peek(f"{S}/servers/{CARIBOU}") == {**V3["Server"].response, "stack_uid": EXAMPLE}
    assert one.peek("/clouds")[:2] == V3["Cloud List"].response
    assert one.peek(f"{S}/deployments/107") == V3["Deployment"].response
    one.state.stacks[EXAMPLE].stack["name"] = "changed"
    assert two.peek(S)["name"] == "Awesome App"
    assert V3["Stack"].response["name"] == "Awesome App"


def test_documented_requests_draw_nothing_from_the_random_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    normal = FakeCloud66(stacks=6)
    monkeypatch.setattr(Seeder, "documented_requests", lambda self, record: None)
    bare = FakeCloud66(stacks=6)
    assert normal.stack_uids == bare.stack_uids
    for uid in normal.stack_uids[1:]:
        for suffix in ("", "/servers", "/containers", "/environments", "/services"):
            assert normal.peek(f"/stacks/{uid}{suffix}") == bare.peek(f"/stacks/{uid}{suffix}")


def test_claimed_ids_are_never_given_to_new_objects() -> None:
    state = State(Config())
    state.reserve("action", 10)
    state.claim("action", 12)
    state.claim("action", 13)
    assert [state.allocate("action") for _ in range(3)] == [11, 14, 15]
    fake = FakeCloud66(stacks=40)
    ids = Counter(
        d["id"] for uid in fake.stack_uids for d in fake.peek(f"/stacks/{uid}/deployments")
    )
    assert ids[112] == 1 and max(ids.values()) == 1
    assert 4153 not in {
        a["id"] for uid in fake.stack_uids for a in fake.peek(f"/stacks/{uid}/actions")
    }


# -- a path's id answered with an object of another id ----------------------------------------


@pytest.mark.parametrize(
    ("other", "same"),
    [
        (f"{S}/actions/4153", f"{S}/actions/10"),
        (f"{S}/firewalls/4153", f"{S}/firewalls/5027"),
        (f"{S}/notifications/4153", f"{S}/notifications/1191"),
        (f"{S}/backups/4153", f"{S}/backups/1"),
        (f"{S}/backups/4153/files", f"{S}/backups/1/files"),
        (f"{S}/backups/4153/files/tar-aa", f"{S}/backups/1/files/tar"),
        (f"{S}/server_groups/19", f"{S}/server_groups/128"),
        ("/accounts/1", "/accounts/139"),
        ("/users/1", "/users/18"),
        (f"/stacks/{EARLY_EXAMPLE}", S),
    ],
)
async def test_documented_ids_answer_the_documented_objects(
    api: Api, other: str, same: str
) -> None:
    for prefix in ("/api/3", "/api/v3"):
        assert await api.ok("GET", other, prefix=prefix) == await api.ok("GET", same, prefix=prefix)


async def test_other_ids_are_still_unknown(api: Api) -> None:
    for path in (f"{S}/actions/4152", f"{S}/firewalls/4154", "/accounts/2", "/users/2"):
        await api.error("GET", path, 404)
    await api.error("GET", f"/stacks/{EXAMPLE}/backups/4153/files/tar-ab", 404)
    # The aliases belong to the example stack only.
    other = api.fake.stack_uids[1]
    await api.error("GET", f"/stacks/{other}/actions/4153", 404)


async def test_writes_through_another_id_change_the_object(api: Api) -> None:
    updated = await api.ok(
        "PUT", f"{S}/notifications/4153", json={"channels": "[email,ios]", "params": "{}"}
    )
    assert updated["id"] == 1191 and updated["channels"] == ["email", "ios"]
    assert (await api.ok("GET", f"{S}/notifications/1191"))["channels"] == ["email", "ios"]
    device = await api.ok(
        "POST", "/users/1/devices", json={"token": "t1", "device_type": 1, "sub_type": 1}
    )
    assert device["token"] == "t1"
    assert [d["token"] for d in (await api.ok("GET", "/users/18"))["devices"]] == ["wertqy", "t1"]


async def test_the_backup_file_example_is_answered_verbatim(api: Api) -> None:
    url = await api.ok("GET", f"{S}/backups/4153/files/tar-aa")
    assert url == V3["Backup file"].response


# -- servers named by other uids -------------------------------------------------------------


async def test_server_uid_filters_take_the_other_uids(api: Api) -> None:
    on_shown = await api.ok("GET", f"{S}/services", params={"server_uid": SHOWN_ON})
    on_cormorant = await api.ok("GET", f"{S}/services", params={"server_uid": CORMORANT})
    assert on_shown == on_cormorant and on_shown
    web = await api.ok("GET", f"{S}/services/web", params={"server_uid": SHOWN_ON})
    assert web["containers"] and {c["server_uid"] for c in web["containers"]} == {CORMORANT}
    containers = await api.ok("GET", f"{S}/containers", params={"server_uid": SHOWN_ON})
    assert {c["server_uid"] for c in containers} == {CORMORANT}
    assert await api.ok("GET", f"{S}/servers/{SHOWN_ON}") == await api.ok(
        "GET", f"{S}/servers/{CORMORANT}"
    )


async def test_scale_and_stop_on_the_other_uids(api: Api) -> None:
    scaled = await api.ok(
        "POST",
        f"{S}/services",
        json={"service_name": "worker", "server_count": f'{{"{SCALED_ON}": 1}}'},
    )
    await api.finished(scaled)
    workers = (await api.ok("GET", f"{S}/services/worker"))["containers"]
    assert Counter(c["server_uid"] for c in workers)[GAZELLE] == 1
    stopped = await api.ok("DELETE", f"{S}/services/web", json={"server_uid": SHOWN_ON})
    await api.finished(stopped)
    web = (await api.ok("GET", f"{S}/services/web"))["containers"]
    assert web and CORMORANT not in {c["server_uid"] for c in web}
    await api.error(
        "POST", f"{S}/services", 400, json={"service_name": "web", "server_count": {"zz": 1}}
    )


# -- the other documented requests -----------------------------------------------------------


async def test_firewall_group_19_is_group_128(api: Api) -> None:
    rule = await api.ok(
        "POST", f"{S}/firewalls", json={"protocol": 1, "port": 80, "from_group_id": 19}
    )
    assert rule["from_group_id"] == 128
    await api.error(
        "POST", f"{S}/firewalls", 400, json={"protocol": 1, "port": 80, "to_group_id": 20}
    )


async def test_the_documented_container_and_variable_exist(api: Api) -> None:
    container = V3["Container stop"].parameters[1].value
    stopped = await api.ok("DELETE", f"{S}/containers/{container}")
    await api.finished(stopped)
    await api.error("GET", f"{S}/containers/{container}", 404)
    env = {e["key"]: e for e in api.fake.peek(f"{S}/environments")}
    assert not env["MY_ENV_1"]["readonly"] and not env["MY_ENV_1"]["is_generated"]
    await api.ok("DELETE", f"{S}/environments/MY_ENV_1")
    await api.error("DELETE", f"{S}/environments/MY_ENV_1", 404)


async def test_deployment_112_runs_until_cancelled(api: Api, fake: FakeCloud66) -> None:
    deployments = await api.ok("GET", f"{S}/deployments")
    assert [d["id"] for d in deployments] == [107, 106, 105, 104, 103, 112]
    assert deployments[0]["is_head"] and deployments[0]["is_live"]
    running = deployments[-1]
    assert running["is_deploying"] and running["outcome"] is None
    # A new deployment ends and sets the stack's status although 112 still runs.
    await api.ok("POST", f"{S}/deployments")
    fake.finish_pending()
    assert (await api.ok("GET", S))["status"] == 1
    assert (await api.ok("GET", f"{S}/deployments/112"))["is_deploying"] is True
    fake.set_deploy_outcome(False, times=1)
    await api.ok("POST", f"{S}/deployments")
    fake.finish_pending()
    assert (await api.ok("GET", S))["status"] == 2
    # Cancelling the old one leaves the status to the newest deployment.
    assert await api.ok("DELETE", f"{S}/deployments/112") == V3["Cancel deployment"].response
    assert (await api.ok("GET", S))["status"] == 2
    cancelled = await api.ok("GET", f"{S}/deployments/112")
    assert cancelled["outcome"] == {"code": 3, "meaning": "cancelled"}
    await api.error("DELETE", f"{S}/deployments/112", 409)


async def test_only_the_documented_read_only_setting_accepts_updates(api: Api) -> None:
    action = await api.ok(
        "PUT", f"{S}/servers/{CARIBOU}/settings/server-name", json={"value": "newname"}
    )
    assert action["action"] == "server-set: server.name"
    await api.finished(action)
    listed = await api.ok("GET", f"{S}/servers/{CARIBOU}/settings")
    assert listed[0] == {**listed[0], "key": "server.name", "value": "newname", "readonly": True}
    for server in (GAZELLE, CORMORANT):
        await api.error(
            "PUT", f"{S}/servers/{server}/settings/server-name", 409, json={"value": "x"}
        )
    await api.error("PUT", f"{S}/settings/stack-name", 409, json={"value": "x"})


# -- redeploy: services and services_filter --------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"services": ["web", "worker"]},
        {"services": "web,worker"},
        {"services_filter": "web,worker"},
        {"services": ["web", "worker"], "services_filter": "web,worker"},
    ],
)
async def test_redeploy_takes_services_or_services_filter(
    api: Api, fake: FakeCloud66, body: dict[str, Any]
) -> None:
    await api.ok("POST", f"{S}/deployments", json=body)
    newest = fake.state.stacks[EXAMPLE].deployments[0]
    assert newest["_services"] == ["web", "worker"]


@pytest.mark.parametrize(
    "body",
    [
        {"services": ["web", "nope"]},
        {"services": "nope"},
        {"services_filter": "web,nope"},
        {"services": ["nope"], "services_filter": "web"},
        {"services": ["nope"], "git_ref": "main"},
    ],
)
async def test_redeploy_of_unknown_services_is_a_bad_request(
    api: Api, body: dict[str, Any]
) -> None:
    error = await api.error("POST", f"{S}/deployments", 400, json=body)
    assert error["details"] == {"services": "has unknown names"}


async def test_a_git_ref_deploy_ignores_the_docker_only_filter(api: Api, fake: FakeCloud66) -> None:
    answer = await api.ok(
        "POST",
        f"{S}/deployments",
        json={"git_ref": "a_git_tag_or_hash", "services_filter": "service1,service2"},
    )
    assert answer == V3["Redeploy"].response
    newest = fake.state.stacks[EXAMPLE].deployments[0]
    assert newest["_git_ref"] == "a_git_tag_or_hash" and newest["_services"] is None


# -- X-Cloud66-Warning -------------------------------------------------------------------------


async def test_warning_header_on_the_next_answers(api: Api, fake: FakeCloud66) -> None:
    fake.set_warning("This endpoint is deprecated", times=2)
    seen = [(await api("GET", S))[1].get("X-Cloud66-Warning") for _ in range(3)]
    assert seen == ["This endpoint is deprecated"] * 2 + [None]
    assert [e.warning for e in fake.request_log] == ["This endpoint is deprecated"] * 2 + [None]


async def test_warning_on_errors_and_faults_and_by_path(api: Api, fake: FakeCloud66) -> None:
    fake.set_warning("on the servers only", method="GET", path=re.compile(r"/stacks/\w+/servers"))
    fake.set_warning("everywhere", times=None)
    fake.inject_fault("GET", "/clouds", "status", status=502)
    assert (await api("GET", "/nope"))[1]["X-Cloud66-Warning"] == "everywhere"  # a 404
    assert (await api("GET", "/clouds"))[1]["X-Cloud66-Warning"] == "everywhere"  # a fault
    assert (await api("GET", f"{S}/servers"))[1]["X-Cloud66-Warning"] == "on the servers only"
    assert (await api("GET", f"{S}/servers"))[1]["X-Cloud66-Warning"] == "everywhere"
    fake.clear_warnings()
    assert "X-Cloud66-Warning" not in (await api("GET", S))[1]


async def test_warning_text_round_trips(api: Api, fake: FakeCloud66) -> None:
    fake.set_warning("API v3 wird eingestellt: bitte wechseln")
    assert (await api("GET", S))[1][
        "X-Cloud66-Warning"
    ] == "API v3 wird eingestellt: bitte wechseln"


@pytest.mark.parametrize("text", ["two\r\nlines", "injected\nX-Evil: 1", "nul\x00"])
def test_a_warning_is_one_header_line(text: str) -> None:
    with pytest.raises(ValueError, match="one header line"):
        FakeCloud66(stacks=0).set_warning(text)


def test_warning_times_must_be_positive() -> None:
    with pytest.raises(ValueError, match="times"):
        FakeCloud66(stacks=0).set_warning("x", times=0)
