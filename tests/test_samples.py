"""Contract tests: every example body of both blueprints decodes into its model, faithfully.

The samples are the blueprints' example responses, read from the vendored blueprints by
``cloud66_async.testing._blueprint`` (``tests/blueprint_samples.py``; ``tests/samples/FIXES.md``
explains the few bodies that had to be repaired); ``MODELS`` names each one's model.
"""

from __future__ import annotations

import json
import re
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from blueprint_samples import MODELS, SAMPLES

from cloud66_async import models as m
from cloud66_async._converter import (
    ModelConverter,
    make_converter,
    parse_timestamp,
    structure,
    structure_list,
)
from cloud66_async.testing import _spec
from cloud66_async.testing._blueprint import BODY_FIXES, EDITIONS, blueprint

FIXES_MD = Path(__file__).parent / "samples" / "FIXES.md"
BLUEPRINT_TEXT = {"v3": _spec.blueprint_text(_spec.V3), "early": _spec.blueprint_text(_spec.EARLY)}


@pytest.fixture(scope="module")
def converter() -> ModelConverter:
    return make_converter()


def body(name: str) -> Any:
    return SAMPLES[name].body


def response(name: str) -> Any:
    return SAMPLES[name].response


def decode(converter: ModelConverter, name: str) -> Any:
    sample = SAMPLES[name]
    cls = getattr(m, sample.model)
    if sample.is_list:
        return structure_list(converter, response(name), cls)
    return structure(converter, response(name), cls)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# --------------------------------------------------------------------------- the samples

#: The operations whose example shows no body: "+ Body" present but empty, or no "+ Body".
WITHOUT_BODY = {
    "Add Firewall rule",
    "Update Notification",
    "Update Device",
    "Delete Environment Variable",
    "Delete Device",
}


def test_every_example_body_is_a_sample_and_only_those():
    bodies = {
        f"{edition}/{op.name}" for edition in EDITIONS for op in blueprint(edition) if op.body
    }
    assert bodies == set(SAMPLES)
    assert len([n for n in SAMPLES if n.startswith("v3/")]) == 48
    assert len([n for n in SAMPLES if n.startswith("early/")]) == 6
    assert {op.name for op in blueprint("v3") if op.body is None} == WITHOUT_BODY
    assert set(MODELS) == {n.split("/", 1)[1] for n in SAMPLES}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_is_consistent(name):
    sample = SAMPLES[name]
    assert hasattr(m, sample.model), sample.model
    assert isinstance(response(name), list) is sample.is_list
    # A list answer is a page of items: it comes with the pagination envelope, and only it.
    assert sample.operation.paginated is sample.is_list
    if sample.is_list:
        envelope = body(name)
        assert set(envelope) == {"response", "count", "pagination"}
    # The sample is the text of the vendored blueprint, repaired only where documented.
    text = sample.operation.body_text
    assert text is not None and text in BLUEPRINT_TEXT[sample.operation.edition]
    assert (sample.raw.decode() != text) is sample.fixed


def test_fixed_samples_are_documented():
    fixes = FIXES_MD.read_text()
    table = fixes.split("## Malformed bodies", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if re.match(r"\| (v3|early) ", line)]
    documented = {}
    for row in rows:
        found = re.match(r'\| (v3|early) "([^"]+)"', row)
        assert found is not None, row
        documented[(found[1], found[2])] = row
    assert set(documented) == {(fix.edition, fix.example) for fix in BODY_FIXES}
    for fix in BODY_FIXES:
        # The human table says what the data table does.
        row = documented[(fix.edition, fix.example)]
        assert f"| {fix.wrong} | {fix.change} |" in row, (row, fix)
    assert {name for name, sample in SAMPLES.items() if sample.fixed} == {
        f"{fix.edition}/{fix.example}" for fix in BODY_FIXES
    }


# --------------------------------------------------------------------------- generic fidelity


def _type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _strip_optional(t: Any) -> Any:
    args = typing.get_args(t)
    if type(None) in args and len(args) == 2:
        return next(a for a in args if a is not type(None))
    return t


# JSON keys that are deliberately not model fields. Empty: the models cover every key the
# blueprints show; a new key in a sample should be modelled (or listed here with a reason).
IGNORED_KEYS: dict[str, set[str]] = {}


def assert_matches(model: Any, data: Any, path: str = "") -> None:
    """Check that every key of ``data`` that is a field of ``model`` got its value, recursively."""
    cls = type(model)
    assert isinstance(data, dict), path
    hints = _type_hints(cls)
    names = {a.name for a in attrs.fields(cls)}
    unknown = set(data) - names - IGNORED_KEYS.get(cls.__name__, set())
    assert not unknown, f"{path or cls.__name__}: keys not modelled: {sorted(unknown)}"
    for key, raw in data.items():
        if key not in names:
            continue
        value = getattr(model, key)
        where = f"{path}.{key}" if path else key
        assert_value(value, raw, _strip_optional(hints[key]), where, owner=cls, field=key)
    # Fields the JSON does not mention stay None (all but the identifying one have defaults).
    for a in attrs.fields(cls):
        if a.name not in data and a.default is not attrs.NOTHING:
            assert getattr(model, a.name) == a.default, f"{path}.{a.name}"


def assert_value(value: Any, raw: Any, t: Any, where: str, *, owner: type, field: str) -> None:
    if raw is None:
        assert value is None, where
        return
    origin = typing.get_origin(t)
    if t is datetime:
        assert isinstance(value, datetime), where
        assert value.tzinfo is UTC, where
        assert value == parse_timestamp(raw), where
    elif isinstance(t, type) and issubclass(t, m.StackStatus | m.StackHealth):
        assert isinstance(value, t), where
        assert value == raw, where
    elif isinstance(t, type) and attrs.has(t):
        assert isinstance(value, t), where
        assert_matches(value, raw, where)
    elif origin is tuple:
        assert isinstance(value, tuple), where
        assert len(value) == len(raw), where
        item_type = typing.get_args(t)[0]
        for i, (v, r) in enumerate(zip(value, raw, strict=True)):
            assert_value(v, r, item_type, f"{where}[{i}]", owner=owner, field=field)
    elif origin is dict:
        assert value == raw, where
        assert type(value) is dict, where
    elif owner is m.Action and field == "resource_id":
        assert value == str(raw), where
    else:
        # Scalars keep their JSON value *and* type (no str(5), no 1 -> True).
        assert value == raw, where
        assert type(value) is type(raw), where


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_decodes_into_its_model(converter, name):
    sample = SAMPLES[name]
    cls = getattr(m, sample.model)
    decoded = decode(converter, name)
    raw = response(name)
    if sample.is_list:
        assert isinstance(decoded, list)
        assert len(decoded) == len(raw)
        pairs = list(zip(decoded, raw, strict=True))
    else:
        pairs = [(decoded, raw)]
    for i, (model, data) in enumerate(pairs):
        assert type(model) is cls
        assert_matches(model, data, f"[{i}]" if sample.is_list else "")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_round_trips_through_unstructure(converter, name):
    sample = SAMPLES[name]
    cls = getattr(m, sample.model)
    decoded = decode(converter, name)
    items = decoded if sample.is_list else [decoded]
    for model in items:
        dumped = converter.unstructure(model)
        text = json.dumps(dumped)  # plain JSON types only
        assert structure(converter, json.loads(text), cls) == model


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_fast_and_detailed_converters_agree(converter, name):
    sample = SAMPLES[name]
    cls = getattr(m, sample.model)
    raw = response(name)
    items = raw if sample.is_list else [raw]
    for item in items:
        assert converter.fast.structure(item, cls) == converter.detailed.structure(item, cls)


# --------------------------------------------------------------------------- stacks


@pytest.mark.parametrize(
    ("name", "uid"),
    [
        ("v3/Stack List", "5999b763474b0eafa5fafb64bff0ba80"),
        ("early/Stack List", "5be6b763474b0eafa5fafb64bff0ba80"),
    ],
)
def test_stacks_list(converter, name, uid):
    (stack,) = decode(converter, name)
    assert stack.uid == uid
    assert stack.name == "Awesome App"
    assert stack.status is m.StackStatus.SUCCESS
    assert stack.health is m.StackHealth.OK
    assert stack.last_activity == utc(2014, 8, 14, 1, 46, 53)
    assert stack.last_activity_iso == utc(2014, 8, 14, 1, 46, 53)
    # "2014-08-14 00:38:14 UTC" and "2014-08-14T00:38:14Z" are the same instant.
    assert stack.created_at == stack.created_at_iso == utc(2014, 8, 14, 0, 38, 14)
    assert stack.updated_at == stack.updated_at_iso == utc(2014, 8, 14, 1, 46, 52)
    assert stack.maintenance_mode is False
    assert stack.has_loadbalancer is False
    assert stack.redeploy_hook is not None
    assert stack.redeploy_hook.startswith("http://hooks.cloud66.com/stacks/redeploy/")


@pytest.mark.parametrize("edition", ["v3", "early"])
def test_stack_get_matches_the_list_item(converter, edition):
    (listed,) = decode(converter, f"{edition}/Stack List")
    assert decode(converter, f"{edition}/Stack") == listed


# --------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("name", "action_id", "kind", "resource_id", "started"),
    [
        ("v3/Stack Create", 10, "stack_create", "283", utc(2015, 9, 1, 19, 8, 5)),
        ("v3/Run Stack action", 10, "clear_caches", "283", utc(2014, 9, 1, 19, 8, 5)),
        ("v3/Service scale", 1234, "service_scale", "15633", utc(2014, 9, 30, 11, 36, 58)),
        ("v3/Service stop", 1234, "service_stop", "15633", utc(2014, 9, 30, 11, 36, 58)),
        ("v3/Container stop", 1234, "container_stop", "15633", utc(2014, 9, 30, 11, 36, 58)),
        ("v3/Add Environment Variable", 5, "env-var-new", "280", utc(2014, 9, 1, 10, 56, 57)),
        ("v3/Update Environment Variable", 3, "env-var-update", "280", utc(2014, 9, 1, 10, 44, 52)),
        ("v3/Update Setting", 7, "stack-set: git.branch", "280", utc(2014, 9, 1, 12, 47, 24)),
        (
            "v3/Update Server Setting",
            9,
            "server-set: server.name",
            "445",
            utc(2014, 9, 1, 13, 7, 35),
        ),
    ],
)
def test_started_actions(converter, name, action_id, kind, resource_id, started):
    action = decode(converter, name)
    assert action.id == action_id
    assert action.action == kind
    assert action.resource_id == resource_id
    assert action.started_via == "api"
    assert action.started_at == started
    assert action.finished_at is None
    assert action.finished_success is None
    assert action.finished_message is None
    assert not action.is_finished
    assert action.stack_uid is None  # filled in by the SDK, never by the payload


def test_finished_action(converter):
    (listed,) = decode(converter, "v3/Stack Action list")
    action = decode(converter, "v3/Stack Action")
    assert action == listed
    assert action.user == "test@cloud66.com"
    assert action.resource_type == "stack"
    assert action.finished_at == utc(2014, 9, 1, 19, 8, 9)
    assert action.finished_success is True
    assert action.is_finished
    assert attrs.evolve(action, stack_uid="abc").stack_uid == "abc"


# --------------------------------------------------------------------------- deployments


def test_deployments(converter):
    (listed,) = decode(converter, "v3/Deployment list")
    deployment = decode(converter, "v3/Deployment")
    assert deployment == listed
    assert deployment.id == 107
    assert deployment.triggered_by == "test@cloud66.com"
    assert deployment.triggered_via == m.CodeMeaning(code=0, meaning="web")
    assert deployment.outcome == m.CodeMeaning(code=1, meaning="success")
    assert deployment.deploy_type == m.CodeMeaning(code=0, meaning="build")
    assert deployment.started_at == utc(2014, 8, 29, 17, 46, 16)
    assert deployment.finished_at == utc(2014, 8, 29, 17, 58, 23)
    assert deployment.is_head is True
    assert deployment.is_live is True
    assert deployment.is_deploying is False
    assert deployment.reverted is None
    assert deployment.reverted_by is None
    assert deployment.reverted_at is None
    assert deployment.succeeded
    assert deployment.is_finished


def test_redeploy_and_operation_results(converter):
    redeploy = decode(converter, "v3/Redeploy")
    assert redeploy == m.RedeployResult(ok=True, message="Stack queued for redeployment")
    assert redeploy.queued is None
    assert redeploy.async_action_id is None
    assert decode(converter, "v3/Cancel deployment") == m.OperationResult(
        ok=True, message="Cancelling deployment"
    )
    assert decode(converter, "v3/New Backup") == m.OperationResult(
        ok=True, message="queued for creation"
    )
    assert decode(converter, "v3/Import Backup") == m.OperationResult(
        ok=True, message="Your external backup queued for upload"
    )


# ------------------------------------------------------------------ services, containers


def test_services(converter):
    (listed,) = decode(converter, "v3/Services list")
    shown = decode(converter, "v3/Service show")
    for service in (listed, shown):
        assert service.name == "web"
        assert service.containers is not None
        (container,) = service.containers
        assert container.port_list == '["5128:3000"]'
        assert container.port_list_parsed == ["5128:3000"]
        assert container.web_ports == "80:443"
        assert container.command == "rackup -p 3000"
        assert container.started_at == utc(2014, 9, 30, 9, 59, 45)
        assert container.updated_at == utc(2014, 9, 30, 9, 59, 48)
        assert container.ports is None
        assert container.runtime is None
    assert shown.containers is not None
    assert shown.containers[0].server_uid == "1239b763474b0eafa5fafb64bff0ba80"


def test_containers_list(converter):
    (container,) = decode(converter, "v3/Containers list")
    assert container.uid == "cba44fa6b6acf57fb0ef6c2ce385f6a129867df544dae7181d2410e9f9cc32bc"
    assert container.ports == (m.ContainerPort(container=3000, http=80, https=443),)
    assert container.docker_ip is None
    assert container.health_state == 1
    assert container.health_source == "system"
    assert container.capture_output is True
    assert container.restart_on_deploy is True
    assert container.started_at == utc(2015, 2, 10, 17, 41, 31)
    assert container.port_list is None
    assert container.port_list_parsed is None
    assert container.runtime is None


def test_container_show_keeps_runtime_as_a_dict(converter):
    container = decode(converter, "v3/Container show")
    raw = response("v3/Container show")
    assert container.docker_ip == "172.0.2.12"
    assert type(container.runtime) is dict
    assert container.runtime == raw["runtime"]
    # Nothing inside the runtime dump is decoded: Go's timestamps stay strings.
    assert container.runtime["Created"] == "2015-02-10T17:41:36.988310784Z"
    assert container.runtime["State"]["FinishedAt"] == "0001-01-01T00:00:00Z"
    assert container.runtime["Config"]["ExposedPorts"] == {"3000/tcp": {}}
    # The repr does not dump the runtime (it holds the container's passwords).
    text = repr(container)
    assert "MYSQL_PASSWORD" not in text
    assert f"runtime={{...{len(raw['runtime'])} keys}}" in text


# ------------------------------------------------------------------ environment variables


def test_env_vars(converter):
    env = decode(converter, "v3/Environment Variable list")
    assert [e.key for e in env] == [
        "STACK_GIT_BRANCH",
        "STACK_PATH",
        "POSTGRESQL_USERNAME",
        "POSTGRESQL_PASSWORD",
    ]
    branch = env[0]
    assert branch.id == 4152
    assert branch.value == "master"
    assert branch.readonly is True
    assert branch.is_generated is True
    assert branch.created_at == utc(2014, 8, 29, 17, 21, 25)
    assert branch.history == (
        m.EnvVarHistory(
            key=1,
            value="develop",
            created_at=utc(2015, 5, 8, 15, 9, 50),
            updated_at=utc(2015, 5, 8, 15, 9, 50),
        ),
    )
    assert env[2].history is not None
    assert [h.value for h in env[2].history] == ["xyz", "123"]
    password = env[3]
    assert password.is_password is True
    assert password.value == "tjena"  # the attribute keeps the real value
    assert password.history == ()  # an empty list is an empty tuple, not None


def test_env_var_repr_masks_passwords(converter):
    env = decode(converter, "v3/Environment Variable list")
    password = env[3]
    assert "tjena" not in repr(password)
    assert "value='********'" in repr(password)
    # History values are masked too.
    with_history = attrs.evolve(password, history=env[2].history)
    text = repr(with_history)
    assert "xyz" not in text
    assert "'123'" not in text
    assert text.count("'********'") == 3
    # Values of ordinary variables are shown.
    assert "value='tja'" in repr(env[2])
    assert "'xyz'" in repr(env[2])
    assert repr(env[2]).startswith("EnvVar(key='POSTGRESQL_USERNAME', id=4167,")


def test_env_var_get(converter):
    env = decode(converter, "v3/Environment Variable")
    assert env.id == 4153
    assert env.key == "STACK_PATH"
    assert env.history is not None
    assert [h.key for h in env.history] == [5, 6]
    assert env.history[1].updated_at == utc(2015, 5, 8, 14, 2, 50)


# ------------------------------------------------------------------ firewalls, notifications


def test_firewall_rules(converter):
    rules = decode(converter, "v3/Firewall rules list")
    assert [(r.id, r.port) for r in rules] == [(5027, 80), (5028, 443)]
    rule = decode(converter, "v3/Firewall rule")
    assert rule == rules[0]
    assert rule.from_ip == "0.0.0.0/0"
    assert rule.to_group_id == 128
    assert rule.from_group_id is None
    assert rule.protocol == "tcp"
    assert rule.rule_type == "dynamic"
    assert rule.created_at == utc(2014, 8, 29, 17, 58, 23)


def test_notifications(converter):
    notes = decode(converter, "v3/Notifications list")
    assert [n.alert_type for n in notes] == [
        "stack.provision.ok",
        "stack.provision.fail",
        "stack.redeploy.ok",
    ]
    note = decode(converter, "v3/Notification")
    assert note == notes[2]
    assert note.id == 1191
    assert note.user_id == 18
    assert note.channels == ("email",)
    assert note.params == {}
    assert note.stack_id == "5acd43412ea412e32897c40d46f91183"
    assert note.created_at == utc(2014, 5, 29, 17, 29, 54)


# --------------------------------------------------------------------------- settings


def test_settings_keep_json_types(converter):
    settings = {s.key: s for s in decode(converter, "v3/Settings list")}
    assert settings["allowed.web.source"].value is None
    assert settings["asset.prefix"].value == "assets"
    assert settings["git.branch"].id == "git-branch"
    assert settings["reconfigure.nginx"].value is False
    assert settings["maintenance.mode"].value is False
    stack_name = settings["stack.name"]
    assert stack_name.readonly is True
    assert stack_name.warning_text is not None
    assert stack_name.warning_text.startswith("Warning!")
    one = decode(converter, "v3/Setting")
    assert one == m.Setting(key="git.branch", value="master")
    assert one.id is None


def test_server_settings(converter):
    (listed,) = decode(converter, "v3/Server Settings list")
    assert listed.key == "server.name"
    assert listed.value == "Caribou"
    assert listed.readonly is True
    assert decode(converter, "v3/Server Setting") == m.ServerSetting(
        key="server.name", value="Caribou"
    )


# --------------------------------------------------------------------------- servers


def test_server_groups(converter):
    groups = decode(converter, "v3/Server Group List")
    assert [(g.id, g.name, g.type) for g in groups] == [
        (128, "Rails Server", "rails"),
        (129, "PostgreSQL Server", "postgresql"),
    ]
    assert decode(converter, "v3/Server Group") == groups[0]
    assert groups[0].created_at == utc(2014, 8, 29, 17, 21, 47)


def test_servers(converter):
    (listed,) = decode(converter, "v3/Server List")
    server = decode(converter, "v3/Server")
    assert server == listed
    assert server.uid == "f8468fc145ea49bac474b30a8fea888d"
    assert server.vendor_uid == "2492780"
    assert server.server_roles == ("rails", "postgresql", "elasticsearch", "web", "app", "db")
    assert server.server_group_id == 128
    assert server.has_agent is True
    assert type(server.params) is dict
    assert server.params["cached_memory"] == 1042336972
    assert server.params["ips"] == ["146.185.133.183"]
    assert server.health_state == 3
    assert server.int_ipv6 is None
    assert server.private_key is None
    assert server.updated_at == utc(2014, 8, 29, 17, 54, 41)


# --------------------------------------------------------------------------- clouds


def test_clouds(converter):
    aws, digitalocean = decode(converter, "v3/Cloud List")
    assert aws.name == "aws"
    assert aws.display_name == "AWS"
    assert aws.regions is not None
    assert aws.server_sizes is not None
    assert len(aws.regions) == 9
    assert aws.regions[0] == m.CloudRegion(id="us-east-1", name="US East (Northern Virginia)")
    assert aws.regions[0].old_id is None
    assert len(aws.server_sizes) == 37
    assert aws.server_sizes[0] == m.ServerSize(id="t1.micro", name="Micro instance (t1.micro)")
    assert decode(converter, "v3/Cloud") == digitalocean
    assert digitalocean.regions is not None
    assert digitalocean.regions[0] == m.CloudRegion(
        id="ams1", name="Amsterdam, Netherlands", old_id="2"
    )


# --------------------------------------------------------------------------- backups


def test_backups(converter):
    backups = decode(converter, "v3/Backups list")
    assert [b.id for b in backups] == [4, 1]
    latest = backups[0]
    assert latest.backup_date_iso == utc(2014, 9, 1, 19, 0, 33)
    assert latest.created_at_iso == utc(2014, 9, 1, 19, 0, 33)
    assert latest.db_type == "mysql"
    assert latest.backup_status == 0
    assert latest.restore_result is None
    assert latest.skip_tables == ""
    assert latest.backup_size == 0
    one = decode(converter, "v3/Backup")
    assert one.id == 1
    assert one.database_name == "shab-test-db"
    assert one.backup_date_iso == utc(2014, 9, 1, 18, 16, 16)


def test_backup_files(converter):
    assert decode(converter, "v3/Backup files") == [m.BackupFile(id="tar", name="test_db_11.tar")]
    url = decode(converter, "v3/Backup file")
    assert url.ok is True
    assert url.public_url is not None
    assert url.public_url.startswith("https://c66-managed-backup-non-prod.s3.amazonaws.com/")
    assert "&Expires=1409603570&Signature=" in url.public_url


# --------------------------------------------------------------------------- accounts, users


def test_accounts(converter):
    (v3,) = decode(converter, "v3/Account List")
    assert v3.id == 139
    assert v3.owner == "test@cloud66.com"
    assert v3.stack_count == 2
    assert v3.used_clouds == ("digitalocean", "rackspace")
    assert v3.created_at_iso == utc(2013, 6, 19, 11, 8, 3)
    assert decode(converter, "v3/Account") == v3
    (early,) = decode(converter, "early/Account List")
    assert early.id is None  # the early edition does not send it
    assert attrs.evolve(v3, id=None) == early
    assert decode(converter, "early/Account") == early


@pytest.mark.parametrize("edition", ["v3", "early"])
def test_users(converter, edition):
    (listed,) = decode(converter, f"{edition}/User List")
    user = decode(converter, f"{edition}/User")
    for u in (listed, user):
        assert u.id == 18
        assert u.email == "test@cloud66.com"
        assert u.primary_account_id == 14
        assert u.accounts == (
            m.UserAccount(
                account=14,
                user=18,
                role="owner",
                can_create_stack=True,
                can_admin_users=True,
                default_permission_level=60,
            ),
        )
        assert u.access_rights is not None
        assert u.access_rights[0] == m.AccessRight(
            user=18,
            stack="5acd43412ea412e32897c40d46f91183",
            access_level=m.AccessLevel(code=60, meaning="admin"),
        )
        assert u.last_login == utc(2014, 8, 29, 17, 17, 11)
        assert u.devices is not None
        (device,) = u.devices
        assert device.token == "wertqy"
        assert device.device_type == 1
        assert device.sub_type == 2
        assert device.enabled is True
        assert device.created_at == device.created_at_iso == utc(2014, 8, 4, 11, 57, 36)
        assert device.updated_at == device.updated_at_iso == utc(2014, 8, 4, 12, 3, 22)
        assert u.timezone == "UTC"
        assert u.locked is False
        assert u.developer_program is True
    assert listed.access_rights is not None
    assert len(listed.access_rights) == 2
    assert listed.updated_at == utc(2014, 9, 1, 8, 11, 34)
    assert user.updated_at == utc(2014, 9, 1, 8, 33, 43)


def test_device_add(converter):
    device = decode(converter, "v3/Add Device")
    assert device == m.Device(
        token="mmccdd",
        device_type=1,
        sub_type=1,
        enabled=True,
        created_at=utc(2014, 9, 1, 9, 15, 50),
        updated_at=utc(2014, 9, 1, 9, 15, 50),
        created_at_iso=utc(2014, 9, 1, 9, 15, 50),
        updated_at_iso=utc(2014, 9, 1, 9, 15, 50),
    )
