"""Pure tests of the models themselves: construction, properties, enums and reprs."""

from __future__ import annotations

import enum
import pickle
from datetime import UTC, datetime

import attrs
import pytest

from cloud66_async import models as m


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


MODEL_CLASSES = [getattr(m, name) for name in m.__all__ if attrs.has(getattr(m, name))]


def test_all_names_are_exported_once():
    assert len(m.__all__) == len(set(m.__all__))
    assert sorted(m.__all__) == m.__all__
    for name in m.__all__:
        assert hasattr(m, name), name


@pytest.mark.parametrize(
    "name",
    [
        "Stack",
        "Action",
        "Deployment",
        "Service",
        "Container",
        "EnvVar",
        "FirewallRule",
        "Notification",
        "Setting",
        "ServerGroup",
        "Server",
        "ServerSetting",
        "Cloud",
        "Backup",
        "BackupFile",
        "Account",
        "User",
        "Device",
        "StackStatus",
        "StackHealth",
        "RedeployResult",
        "OperationResult",
        "CodeMeaning",
        "BackupFileURL",
    ],
)
def test_api_md_model_names_exist(name):
    assert name in m.__all__


def test_enum_members_match_the_blueprint():
    assert [(s.name, s.value) for s in m.StackStatus] == [
        ("QUEUED", 0),
        ("SUCCESS", 1),
        ("FAILED", 2),
        ("ANALYSING", 3),
        ("ANALYSED", 4),
        ("QUEUED_FOR_DEPLOYING", 5),
        ("DEPLOYING", 6),
        ("TERMINAL_FAILURE", 7),
    ]
    assert [(h.name, h.value) for h in m.StackHealth] == [
        ("UNKNOWN", 0),
        ("BUILDING", 1),
        ("PARTIAL", 2),
        ("OK", 3),
        ("BROKEN", 4),
    ]


def test_enums_tolerate_undocumented_codes():
    status = m.StackStatus(9)
    assert status == 9
    assert status.value == 9
    assert status.name == "UNDOCUMENTED_9"
    assert isinstance(status, m.StackStatus)
    assert m.StackStatus(9) is status  # cached: one pseudo-member per code
    assert status not in list(m.StackStatus)  # iteration lists documented codes only
    assert not status.is_documented
    assert m.StackStatus.SUCCESS.is_documented
    health = m.StackHealth(-1)
    assert health == -1
    assert health.name == "UNDOCUMENTED_-1"
    with pytest.raises(ValueError):
        m.StackStatus("1")  # type: ignore[arg-type]


def test_only_the_identifying_fields_are_required():
    required = {
        cls.__name__: [a.name for a in attrs.fields(cls) if a.default is attrs.NOTHING]
        for cls in (getattr(m, name) for name in m.__all__)
        if attrs.has(cls)
    }
    assert {name: fields for name, fields in required.items() if fields} == {
        "Action": ["id"],
        "Backup": ["id"],
        "BackupFile": ["id"],
        "Cloud": ["name"],
        "Container": ["uid"],
        "Deployment": ["id"],
        "Device": ["token"],
        "EnvVar": ["key"],
        "FirewallRule": ["id"],
        "Notification": ["id"],
        "Server": ["uid"],
        "ServerGroup": ["id"],
        "ServerSetting": ["key"],
        "Service": ["name"],
        "Setting": ["key"],
        "Stack": ["uid"],
        "User": ["id"],
    }


def test_models_are_frozen_and_slotted():
    for name in m.__all__:
        cls = getattr(m, name)
        if not attrs.has(cls):
            continue
        assert "__slots__" in cls.__dict__, name
        assert cls.__doc__, name
        assert cls.__doc__.strip(), name
    stack = m.Stack(uid="x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        stack.name = "y"  # type: ignore[misc]


def test_server_repr_hides_private_key():
    server = m.Server(uid="s", private_key="-----BEGIN RSA PRIVATE KEY-----")
    assert "BEGIN" not in repr(server)
    assert "private_key='********'" in repr(server)
    assert "private_key=None" in repr(m.Server(uid="s"))


def test_models_are_keyword_only():
    with pytest.raises(TypeError):
        m.Stack("uid")  # type: ignore[call-arg]
    assert m.Stack(uid="x").uid == "x"


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
def test_models_compare_by_value_and_pickle(cls):
    required = {a.name: _example(a.type) for a in attrs.fields(cls) if a.default is attrs.NOTHING}
    first, second = cls(**required), cls(**required)
    assert first == second
    assert pickle.loads(pickle.dumps(first)) == first


def _example(t):
    return {int: 1, str: "x"}[t]


def test_models_without_dicts_are_hashable():
    assert hash(m.Stack(uid="x")) == hash(m.Stack(uid="x"))
    assert len({m.CodeMeaning(code=1), m.CodeMeaning(code=1)}) == 1
    assert hash(m.User(id=1, devices=(m.Device(token="t"),))) is not None


# --------------------------------------------------------------------------- enums


def test_enums_are_int_enums():
    assert issubclass(m.StackStatus, enum.IntEnum)
    assert issubclass(m.StackHealth, enum.IntEnum)
    assert int(m.StackStatus.SUCCESS) == 1
    assert m.StackHealth(3) is m.StackHealth.OK
    assert (
        m.StackStatus(True) is m.StackStatus.SUCCESS
    )  # plain IntEnum lookup; the converter refuses bools


def test_undocumented_codes_pickle_and_compare():
    code = m.StackHealth(17)
    assert pickle.loads(pickle.dumps(code)) is code
    assert code > m.StackHealth.BROKEN
    assert repr(code) == "<StackHealth.UNDOCUMENTED_17: 17>"
    assert "UNDOCUMENTED_17" not in m.StackHealth.__members__


# --------------------------------------------------------------------------- actions, deployments


def test_action_is_finished():
    assert not m.Action(id=1).is_finished
    assert not m.Action(id=1, started_at=utc(2014, 9, 1)).is_finished
    done = m.Action(id=1, finished_at=utc(2014, 9, 1), finished_success=False)
    assert done.is_finished
    assert attrs.evolve(done, stack_uid="abc") == m.Action(
        id=1, finished_at=utc(2014, 9, 1), finished_success=False, stack_uid="abc"
    )


@pytest.mark.parametrize(
    ("outcome", "succeeded"),
    [
        (None, False),
        (m.CodeMeaning(code=1, meaning="success"), True),
        (m.CodeMeaning(code=1), True),
        (m.CodeMeaning(meaning="success"), True),
        (m.CodeMeaning(code=2, meaning="failed"), False),
        (m.CodeMeaning(code=0, meaning="cancelled"), False),
        (m.CodeMeaning(), False),
    ],
)
def test_deployment_succeeded(outcome, succeeded):
    assert m.Deployment(id=1, outcome=outcome).succeeded is succeeded


def test_deployment_is_finished():
    assert not m.Deployment(id=1, is_deploying=True).is_finished
    assert m.Deployment(id=1, finished_at=utc(2014, 8, 29, 17, 58, 23)).is_finished


def test_redeploy_result_defaults():
    result = m.RedeployResult(ok=True, message="queued")
    assert result.queued is None
    assert result.async_action_id is None
    assert result.deployment is None
    later = attrs.evolve(result, deployment=m.Deployment(id=7))
    assert later.deployment == m.Deployment(id=7)


# --------------------------------------------------------------------------- containers


@pytest.mark.parametrize(
    ("port_list", "parsed"),
    [
        (None, None),
        ('["5128:3000"]', ["5128:3000"]),
        ('["80:3000", "443:3000"]', ["80:3000", "443:3000"]),
        ("[]", []),
    ],
)
def test_port_list_parsed(port_list, parsed):
    assert m.Container(uid="c", port_list=port_list).port_list_parsed == parsed


@pytest.mark.parametrize("port_list", ["not json", '{"a": 1}', "[1, 2]", '"5128:3000"'])
def test_port_list_parsed_rejects_other_json(port_list):
    with pytest.raises(ValueError, match=r"port_list|Expecting|Extra"):
        m.Container(uid="c", port_list=port_list).port_list_parsed  # noqa: B018


def test_container_repr_abbreviates_runtime():
    container = m.Container(uid="c", runtime={"Config": {"Env": ["PASSWORD=secret"]}, "Id": "c"})
    assert "secret" not in repr(container)
    assert "runtime={...2 keys}" in repr(container)
    assert "runtime=None" in repr(m.Container(uid="c"))


# --------------------------------------------------------------------------- secrets in reprs


def test_env_var_repr_masks_password_values():
    history = (
        m.EnvVarHistory(key=1, value="old-secret", created_at=utc(2015, 5, 8)),
        m.EnvVarHistory(key=2, value=None),
    )
    secret = m.EnvVar(key="DB_PASSWORD", value="s3cret", is_password=True, history=history)
    text = repr(secret)
    assert "s3cret" not in text
    assert "old-secret" not in text
    assert text.startswith("EnvVar(key='DB_PASSWORD', id=None, value='********',")
    assert "EnvVarHistory(key=2, value=None," in text  # nothing to hide stays None
    assert secret.value == "s3cret"  # the attribute is untouched
    assert str(secret) == text


def test_env_var_repr_shows_ordinary_values():
    plain = m.EnvVar(key="RAILS_ENV", value="production", is_password=False)
    assert "value='production'" in repr(plain)
    unknown = m.EnvVar(key="X", value="shown")  # is_password unknown: nothing to mask by
    assert "value='shown'" in repr(unknown)
    empty = m.EnvVar(key="P", value=None, is_password=True)
    assert "value=None" in repr(empty)


def test_env_var_repr_lists_every_field():
    text = repr(m.EnvVar(key="K"))
    for a in attrs.fields(m.EnvVar):
        assert f"{a.name}=" in text
