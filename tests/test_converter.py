"""Pure tests of the converter and the timestamp parser: no event loop, no network."""

from __future__ import annotations

import json
import math
import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud66_async import Cloud66Error, DecodeError
from cloud66_async import models as m
from cloud66_async._converter import (
    ModelConverter,
    format_timestamp,
    make_converter,
    parse_timestamp,
    structure,
    structure_list,
)


@pytest.fixture(scope="module")
def converter() -> ModelConverter:
    return make_converter()


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def decode_error(converter: ModelConverter, data: object, cls: type) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        structure(converter, data, cls)
    return info.value


# --------------------------------------------------------------------------- parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-08-14T01:46:53+00:00", utc(2014, 8, 14, 1, 46, 53)),
        ("2014-08-29T17:21:25Z", utc(2014, 8, 29, 17, 21, 25)),
        ("2014-08-14 00:38:14 UTC", utc(2014, 8, 14, 0, 38, 14)),
        # Nanoseconds are rounded on the 7th digit, as msgspec (the fast path) does.
        ("2015-02-10T17:41:36.988310784Z", utc(2015, 2, 10, 17, 41, 36, 988311)),
        ("2015-02-10T17:41:37.915288489Z", utc(2015, 2, 10, 17, 41, 37, 915288)),
        ("2015-02-10T17:41:37.9999995Z", utc(2015, 2, 10, 17, 41, 38)),
        ("0001-01-01T00:00:00Z", utc(1, 1, 1)),
        ("2014-08-14 00:38:14", utc(2014, 8, 14, 0, 38, 14)),  # naive: taken as UTC
        ("2014-08-14T00:38:14", utc(2014, 8, 14, 0, 38, 14)),
        ("2014-08-14T03:46:53+02:00", utc(2014, 8, 14, 1, 46, 53)),  # converted to UTC
        ("2014-08-13T20:46:53-05:00", utc(2014, 8, 14, 1, 46, 53)),
        ("2014-08-14T01:46:53.5Z", utc(2014, 8, 14, 1, 46, 53, 500000)),
        ("2014-08-14T01:46:53.123456+00:00", utc(2014, 8, 14, 1, 46, 53, 123456)),
    ],
)
def test_parse_timestamp_formats(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "abc",
        "UTC",
        " UTC",
        "2014-13-01T00:00:00Z",
        "2014-08-32T00:00:00Z",
        "2014-08-14T25:00:00Z",
        "2014-08-14T01:46:53Z UTC",
        "2014-08-14T01:46:53+00:00 UTC",
        "14/08/2014 01:46:53",
        "1409603570",
        "2014-08-14T01:46:53 GMT",
        "0001-01-01T00:00:00+05:00",  # before the first representable UTC instant
        "9999-12-31T23:59:59-05:00",  # after the last one
        "2014-08-14T01:46:53Zjunk",
    ],
)
def test_parse_timestamp_rejects_garbage(text):
    with pytest.raises(ValueError, match=r"timestamp"):
        parse_timestamp(text)


@pytest.mark.parametrize("value", [None, 1409603570, 1.5, b"2014-08-14", ["2014-08-14"]])
def test_parse_timestamp_rejects_non_strings(value):
    with pytest.raises(TypeError):
        parse_timestamp(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (utc(2014, 8, 14, 1, 46, 53), "2014-08-14T01:46:53Z"),
        (utc(2015, 2, 10, 17, 41, 36, 988310), "2015-02-10T17:41:36.988310Z"),
        (utc(1, 1, 1), "0001-01-01T00:00:00Z"),
        (
            datetime(2014, 8, 14, 3, 46, 53, tzinfo=timezone(timedelta(hours=2))),
            "2014-08-14T01:46:53Z",
        ),
        (datetime(2014, 8, 14, 1, 46, 53), "2014-08-14T01:46:53Z"),  # naive: taken as UTC
    ],
)
def test_format_timestamp(value, text):
    assert format_timestamp(value) == text
    assert parse_timestamp(text) == (value if value.tzinfo else value.replace(tzinfo=UTC))


@given(st.datetimes(timezones=st.timezones() | st.just(UTC)))
def test_format_then_parse_is_identity(value):
    try:
        text = format_timestamp(value)
    except OverflowError:  # the instant lies outside datetime's range once moved to UTC
        return
    # (compared in UTC: PEP 495 makes inter-zone == false for times in a DST fold)
    assert parse_timestamp(text) == value.astimezone(UTC)
    assert parse_timestamp(text).tzinfo is UTC


@given(st.text(max_size=40))
def test_parse_timestamp_raises_only_value_error(text):
    try:
        parsed = parse_timestamp(text)
    except ValueError:
        return
    assert parsed.tzinfo is UTC


# --------------------------------------------------------------------------- enums


def test_enum_fields_decode_any_integer(converter):
    stack = structure(converter, {"uid": "x", "status": 42, "health": 4}, m.Stack)
    assert stack.status == 42
    assert stack.status is not None
    assert stack.status.name == "UNDOCUMENTED_42"
    assert stack.health is m.StackHealth.BROKEN
    assert structure(converter, {"uid": "x", "status": 6.0}, m.Stack).status is (
        m.StackStatus.DEPLOYING
    )


@pytest.mark.parametrize("bad", ["abc", "1", True, 1.5, [1], {"code": 1}])
def test_enum_fields_reject_non_integers(converter, bad):
    err = decode_error(converter, {"uid": "x", "status": bad}, m.Stack)
    assert err.path == "status"
    assert err.model == "Stack"
    assert str(err).startswith("Stack.status: expected int, got ")


def test_enum_error_message_reads_well(converter):
    err = decode_error(converter, {"uid": "x", "status": "abc"}, m.Stack)
    assert str(err) == "Stack.status: expected int, got 'abc'"


# --------------------------------------------------------------------------- strict primitives


@attrs.frozen(kw_only=True)
class Sample:
    """A test-only model with the field types the real models do not all use."""

    when: datetime
    ratio: float | None = None
    weight: float = 0.0
    count: int = 0
    flag: bool = False
    label: str = ""
    numbers: list[int] | None = None
    tags: tuple[str, ...] | None = None


@pytest.mark.parametrize(
    ("field", "bad", "expected"),
    [
        ("name", 5, "expected str, got 5"),
        ("name", 5.5, "expected str, got 5.5"),
        ("name", True, "expected str, got True"),
        ("name", {"a": 1}, "expected str, got {'a': 1}"),
        ("name", ["x"], "expected str, got ['x']"),
        ("maintenance_mode", 1, "expected bool, got 1"),
        ("maintenance_mode", 0, "expected bool, got 0"),
        ("maintenance_mode", "true", "expected bool, got 'true'"),
        ("maintenance_mode", "false", "expected bool, got 'false'"),
        ("created_at", 1409603570, "expected a timestamp string, got 1409603570"),
        ("created_at", "yesterday", "not a timestamp: 'yesterday'"),
        ("created_at", True, "expected a timestamp string, got True"),
    ],
)
def test_stack_fields_reject_wrong_types(converter, field, bad, expected):
    err = decode_error(converter, {"uid": "x", field: bad}, m.Stack)
    assert err.path == field
    assert str(err) == f"Stack.{field}: {expected}"
    assert isinstance(err, Cloud66Error)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (True, "expected int, got True"),
        (False, "expected int, got False"),
        ("5", "expected int, got '5'"),
        (5.5, "expected int, got 5.5 (not a whole number)"),
        (math.nan, "expected int, got nan (not a whole number)"),
        (math.inf, "expected int, got inf (not a whole number)"),
        ([5], "expected int, got [5]"),
    ],
)
def test_int_fields_reject_bools_strings_and_fractions(converter, bad, expected):
    err = decode_error(converter, {"id": 1, "port": bad}, m.FirewallRule)
    assert err.path == "port"
    assert str(err) == f"FirewallRule.port: {expected}"


def test_int_fields_accept_integral_floats(converter):
    rule = structure(converter, {"id": 3.0, "port": 80.0}, m.FirewallRule)
    assert rule.id == 3
    assert type(rule.id) is int
    assert rule.port == 80
    assert type(rule.port) is int


def test_float_fields_accept_ints_and_floats(converter):
    sample = structure(
        converter, {"when": "2014-08-29T17:21:25Z", "ratio": 2, "weight": 0.5}, Sample
    )
    assert sample.ratio == 2.0
    assert type(sample.ratio) is float
    assert sample.weight == 0.5
    assert sample.when == utc(2014, 8, 29, 17, 21, 25)
    for bad in (True, "0.5", None, [0.5]):
        err = decode_error(converter, {"when": "2014-08-29T17:21:25Z", "weight": bad}, Sample)
        assert err.path == "weight"
        assert "expected float" in str(err)
    err = decode_error(converter, {"when": "2014-08-29T17:21:25Z", "ratio": 10**400}, Sample)
    assert err.path == "ratio"


def test_non_optional_fields_reject_null(converter):
    when = "2014-08-29T17:21:25Z"
    for field in ("count", "flag", "label", "when"):
        data = {"when": when, field: None}
        err = decode_error(converter, data, Sample)
        assert err.path == field
        assert "got None" in str(err)


def test_lists_and_tuples_reject_strings_and_objects(converter):
    when = "2014-08-29T17:21:25Z"
    assert structure(converter, {"when": when, "numbers": [1, 2.0]}, Sample).numbers == [1, 2]
    assert structure(converter, {"when": when, "tags": ["a", "b"]}, Sample).tags == ("a", "b")
    for field, bad in [("numbers", "12"), ("numbers", {"1": 1}), ("tags", "ab"), ("tags", 1)]:
        err = decode_error(converter, {"when": when, field: bad}, Sample)
        assert err.path == field
        assert "expected a JSON array" in str(err)
    err = decode_error(converter, {"when": when, "tags": ["a", 2]}, Sample)
    assert err.path == "tags[1]"
    assert str(err) == "Sample.tags[1]: expected str, got 2"


def test_dict_fields_stay_dicts_and_reject_other_json(converter):
    params = {"region": "2", "ips": ["1.2.3.4"], "nested": {"a": None}}
    server = structure(converter, {"uid": "s", "params": params}, m.Server)
    assert server.params is params  # not copied, not converted
    for bad in (["region"], "region=2", 5):
        err = decode_error(converter, {"uid": "s", "params": bad}, m.Server)
        assert err.path == "params"
        assert "expected a JSON object" in str(err)


@pytest.mark.parametrize("value", [None, "staging", 3, 2.5, True, False, ""])
def test_setting_values_keep_their_json_type(converter, value):
    setting = structure(converter, {"key": "k", "value": value}, m.Setting)
    assert setting.value == value
    assert type(setting.value) is type(value)
    server_setting = structure(converter, {"key": "k", "value": value}, m.ServerSetting)
    assert type(server_setting.value) is type(value)


@pytest.mark.parametrize("bad", [[], {}, ["a"], {"a": 1}])
def test_setting_values_reject_arrays_and_objects(converter, bad):
    err = decode_error(converter, {"key": "k", "value": bad}, m.Setting)
    assert err.path == "value"
    assert "expected a JSON scalar" in str(err)


def test_action_resource_id_accepts_int_and_keeps_str(converter):
    assert structure(converter, {"id": 1, "resource_id": 283}, m.Action).resource_id == "283"
    assert structure(converter, {"id": 1, "resource_id": "283"}, m.Action).resource_id == "283"
    assert structure(converter, {"id": 1, "resource_id": None}, m.Action).resource_id is None
    for bad in (True, 28.5, ["283"], {"id": 283}):
        err = decode_error(converter, {"id": 1, "resource_id": bad}, m.Action)
        assert err.path == "resource_id"
        assert "expected str or int" in str(err)
    # The exception is for resource_id only: other str fields stay strict.
    err = decode_error(converter, {"id": 1, "user": 283}, m.Action)
    assert err.path == "user"


# --------------------------------------------------------------------------- missing, null, unknown


def test_missing_optional_fields_are_none(converter):
    stack = structure(converter, {"uid": "x"}, m.Stack)
    assert stack == m.Stack(uid="x")
    assert all(getattr(stack, a.name) is None for a in attrs.fields(m.Stack) if a.name != "uid")
    container = structure(converter, {"uid": "c"}, m.Container)
    assert container.ports is None
    assert container.runtime is None
    assert container.port_list_parsed is None


def test_null_optional_fields_are_none(converter):
    data: dict[str, object] = {a.name: None for a in attrs.fields(m.User)}
    data["id"] = 18
    assert structure(converter, data, m.User) == m.User(id=18)


def test_empty_lists_stay_empty(converter):
    user = structure(converter, {"id": 1, "devices": [], "accounts": []}, m.User)
    assert user.devices == ()
    assert user.accounts == ()
    assert user.access_rights is None


def test_unknown_fields_are_ignored(converter):
    stack = structure(
        converter,
        {"uid": "x", "brand_new_field": {"nested": [1, 2]}, "another": None},
        m.Stack,
    )
    assert stack == m.Stack(uid="x")
    deployment = structure(
        converter, {"id": 1, "outcome": {"code": 1, "meaning": "success", "extra": 1}}, m.Deployment
    )
    assert deployment.outcome == m.CodeMeaning(code=1, meaning="success")


@pytest.mark.parametrize(
    ("cls", "field"),
    [
        (m.Stack, "uid"),
        (m.Action, "id"),
        (m.Deployment, "id"),
        (m.Service, "name"),
        (m.Container, "uid"),
        (m.EnvVar, "key"),
        (m.FirewallRule, "id"),
        (m.Notification, "id"),
        (m.Setting, "key"),
        (m.ServerGroup, "id"),
        (m.Server, "uid"),
        (m.ServerSetting, "key"),
        (m.Cloud, "name"),
        (m.Backup, "id"),
        (m.BackupFile, "id"),
        (m.User, "id"),
        (m.Device, "token"),
    ],
)
def test_missing_identifying_field_is_an_error(converter, cls, field):
    err = decode_error(converter, {}, cls)
    assert err.path == field
    assert str(err) == f"{cls.__name__}.{field}: required field is missing"
    err = decode_error(converter, {field: None}, cls)
    assert err.path == field
    assert "got None" in str(err)


# --------------------------------------------------------------------------- error paths


def test_error_path_in_a_list(converter):
    items = [{"uid": str(i), "status": 1} for i in range(5)]
    items[3]["status"] = "abc"
    with pytest.raises(DecodeError) as info:
        structure_list(converter, items, m.Stack)
    assert info.value.path == "[3].status"
    assert info.value.model == "Stack"
    assert str(info.value) == "Stack[3].status: expected int, got 'abc'"


def test_error_path_nested_in_lists(converter):
    data = {
        "name": "web",
        "containers": [{"uid": "c1", "ports": [{"container": 3000, "http": "eighty"}]}],
    }
    err = decode_error(converter, data, m.Service)
    assert err.path == "containers[0].ports[0].http"
    assert err.model == "Service"
    assert str(err) == (
        "Service.containers[0].ports[0].http (ContainerPort.http): expected int, got 'eighty'"
    )


def test_error_path_nested_in_objects(converter):
    data = {
        "id": 18,
        "access_rights": [
            {"user": 18, "stack": "a", "access_level": {"code": 60}},
            {"user": 18, "stack": "b", "access_level": {"code": "admin"}},
        ],
    }
    err = decode_error(converter, data, m.User)
    assert err.path == "access_rights[1].access_level.code"
    assert "(AccessLevel.code): expected int, got 'admin'" in str(err)
    err = decode_error(converter, {"id": 1, "outcome": "success"}, m.Deployment)
    assert err.path == "outcome"
    assert str(err) == "Deployment.outcome: expected a JSON object for CodeMeaning, got 'success'"


def test_error_path_in_a_list_of_nested_models(converter):
    env = [
        {"key": "A", "history": [{"key": 1, "value": "x"}]},
        {"key": "B", "history": [{"key": 1}, {"key": 2, "created_at": "never"}]},
    ]
    with pytest.raises(DecodeError) as info:
        structure_list(converter, env, m.EnvVar)
    assert info.value.path == "[1].history[1].created_at"
    assert "not a timestamp: 'never'" in str(info.value)


def test_every_problem_is_counted(converter):
    err = decode_error(converter, {"uid": 5, "status": "x", "created_at": "y", "name": 1}, m.Stack)
    assert err.path == "uid"
    assert str(err).startswith("Stack.uid: expected str, got 5 (and 3 more: ")
    assert "status" in str(err)
    assert "created_at" in str(err)


def test_payload_that_is_not_an_object(converter):
    bad: object
    for bad in ([], "stack", 5, None):
        err = decode_error(converter, bad, m.Stack)
        assert err.path == ""
        assert str(err).startswith("Stack: expected a JSON object for Stack, got ")


def test_payload_that_is_not_an_array(converter):
    for bad in ({"uid": "x"}, "x", None):
        with pytest.raises(DecodeError) as info:
            structure_list(converter, bad, m.Stack)
        assert info.value.path == ""
        assert "expected a JSON array" in str(info.value)
    with pytest.raises(DecodeError) as info:
        structure_list(converter, [{"uid": "x"}, "y"], m.Stack)
    assert info.value.path == "[1]"


def test_decode_error_chains_the_cattrs_error(converter):
    err = decode_error(converter, {"uid": "x", "status": "abc"}, m.Stack)
    assert isinstance(err.__cause__, cattrs.BaseValidationError)


def test_structure_accepts_generic_list_types(converter):
    stacks = structure(converter, [{"uid": "a"}, {"uid": "b"}], list[m.Stack])
    assert stacks == [m.Stack(uid="a"), m.Stack(uid="b")]
    err = decode_error(converter, [{"uid": "a"}, {}], list[m.Stack])
    assert err.path == "[1].uid"
    assert err.model == "list[Stack]"


def test_structure_list_matches_structure(converter):
    items = [{"uid": "a", "status": 3}, {"uid": "b", "created_at": "2014-08-14 00:38:14 UTC"}]
    assert structure_list(converter, items, m.Stack) == [
        structure(converter, item, m.Stack) for item in items
    ]
    assert converter.structure_list(items, m.Stack) == structure_list(converter, items, m.Stack)
    assert structure_list(converter, [], m.Stack) == []


# --------------------------------------------------------------------------- isolation


def test_converters_are_independent_objects():
    first, second = make_converter(), make_converter()
    assert first is not second
    assert first.fast is not second.fast
    assert first.fast.detailed_validation is False
    assert first.detailed.detailed_validation is True
    # cattrs' global converter is left alone: it still turns 5 into "5".
    assert cattrs.structure(5, str) == "5"
    assert repr(first) == "<ModelConverter>"


# --------------------------------------------------------------------------- unstructure


def test_unstructure_gives_json_data(converter):
    container = m.Container(
        uid="c",
        started_at=utc(2015, 2, 10, 17, 41, 36, 988310),
        ports=(m.ContainerPort(container=3000, http=80),),
        runtime={"State": {"Running": True}},
    )
    data = converter.unstructure(container)
    assert data["started_at"] == "2015-02-10T17:41:36.988310Z"
    assert data["ports"] == [{"container": 3000, "http": 80, "https": None}]
    assert data["runtime"] == {"State": {"Running": True}}
    assert data["created_at"] is None
    json.dumps(data)
    stack = m.Stack(uid="x", status=m.StackStatus(12), health=m.StackHealth.OK)
    dumped = converter.unstructure(stack)
    assert dumped["status"] == 12
    assert dumped["health"] == 3
    assert type(dumped["health"]) is int or isinstance(dumped["health"], int)
    assert json.loads(json.dumps(dumped))["health"] == 3


def test_unstructure_keeps_sdk_filled_fields(converter):
    action = m.Action(id=1, resource_id="283", stack_uid="abc", started_at=utc(2014, 9, 1))
    data = converter.unstructure(action)
    assert data["stack_uid"] == "abc"
    assert data["started_at"] == "2014-09-01T00:00:00Z"
    assert structure(converter, data, m.Action) == action


def test_unstructure_a_list(converter):
    stacks = [m.Stack(uid="a"), m.Stack(uid="b", created_at=utc(2014, 1, 1))]
    data = converter.unstructure(stacks)
    assert [d["uid"] for d in data] == ["a", "b"]
    assert data[1]["created_at"] == "2014-01-01T00:00:00Z"
    assert structure_list(converter, data, m.Stack) == stacks


def test_unstructure_naive_and_offset_datetimes_become_utc(converter):
    plus_two = timezone(timedelta(hours=2))
    stack = m.Stack(uid="x", created_at=datetime(2014, 1, 1, 2, 0, tzinfo=plus_two))
    assert converter.unstructure(stack)["created_at"] == "2014-01-01T00:00:00Z"
    naive = m.Stack(uid="x", created_at=datetime(2014, 1, 1))
    assert converter.unstructure(naive)["created_at"] == "2014-01-01T00:00:00Z"


def test_already_decoded_datetimes_are_accepted(converter):
    plus_two = timezone(timedelta(hours=2))
    data = {"uid": "x", "created_at": datetime(2014, 1, 1, 2, 0, tzinfo=plus_two)}
    stack = structure(converter, data, m.Stack)
    assert stack.created_at == utc(2014, 1, 1)
    assert stack.created_at is not None
    assert stack.created_at.tzinfo is UTC


# --------------------------------------------------------------------------- property tests

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

finite_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
finite_values = st.recursive(
    finite_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

FUZZED_MODELS = [
    m.Stack,
    m.Action,
    m.Deployment,
    m.Service,
    m.Container,
    m.EnvVar,
    m.Setting,
    m.Server,
    m.Cloud,
    m.User,
    m.Notification,
    m.Account,
]


def _arbitrary_payload(cls: type) -> st.SearchStrategy[dict[str, Any]]:
    names = [a.name for a in attrs.fields(cls)]
    return st.fixed_dictionaries({}, optional={name: json_values for name in names})


@pytest.mark.slow
@pytest.mark.parametrize("cls", FUZZED_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_arbitrary_json_decodes_or_raises_decode_error(converter, cls, data):
    payload = data.draw(_arbitrary_payload(cls))
    error: DecodeError | None = None
    try:
        model = structure(converter, payload, cls)
    except DecodeError as exc:  # any other exception fails the test
        error = exc
    if error is None:
        assert isinstance(model, cls)
        return
    assert error.model == cls.__name__
    assert str(error).startswith(cls.__name__)
    # The path starts with one of the model's fields (the payload is always an object).
    first_field = error.path.split(".")[0].split("[")[0]
    assert first_field in {a.name for a in attrs.fields(cls)}


@pytest.mark.slow
@pytest.mark.parametrize("cls", FUZZED_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_arbitrary_json_lists_decode_or_raise_decode_error(converter, cls, data):
    payload = data.draw(st.lists(_arbitrary_payload(cls), max_size=3) | json_values)
    error: DecodeError | None = None
    try:
        models = structure_list(converter, payload, cls)
    except DecodeError as exc:
        error = exc
    if error is None:
        assert all(isinstance(model, cls) for model in models)
        return
    assert error.model == cls.__name__
    assert error.path == "" or error.path.startswith("[")


# Well-typed payloads, built from the models' own annotations, always decode and round trip.

timestamps = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
timestamp_texts = timestamps.flatmap(
    lambda dt: st.sampled_from(
        [
            format_timestamp(dt),
            dt.isoformat(),
            dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
            dt.replace(tzinfo=None).isoformat(sep=" "),
            dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "789Z",
        ]
    )
)


def _strategy_for(t: Any) -> st.SearchStrategy[Any]:
    args = typing.get_args(t)
    origin = typing.get_origin(t)
    if t == m.SettingValue:
        return finite_scalars
    if type(None) in args and len(args) == 2:
        inner = next(a for a in args if a is not type(None))
        return st.none() | _strategy_for(inner)
    if t is str:
        return st.text(max_size=20)
    if t is int:
        return st.integers()
    if t is bool:
        return st.booleans()
    if t is datetime:
        return timestamp_texts
    if isinstance(t, type) and issubclass(t, m.StackStatus | m.StackHealth):
        return st.integers(min_value=-5, max_value=50)
    if origin is tuple:
        return st.lists(_strategy_for(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(st.text(max_size=8), finite_values, max_size=3)
    if isinstance(t, type) and attrs.has(t):
        return _typed_payload(t)
    raise AssertionError(f"no strategy for {t!r}")


def _typed_payload(cls: type) -> st.SearchStrategy[dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    required = {}
    optional = {}
    for a in attrs.fields(cls):
        strategy = _strategy_for(hints[a.name])
        if a.default is attrs.NOTHING:
            required[a.name] = strategy
        else:
            optional[a.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


@pytest.mark.parametrize("cls", FUZZED_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_well_typed_json_decodes_and_round_trips(converter, cls, data):
    payload = data.draw(_typed_payload(cls))
    model = structure(converter, payload, cls)
    dumped = converter.unstructure(model)
    assert structure(converter, dumped, cls) == model
    for a in attrs.fields(cls):
        value = getattr(model, a.name)
        if isinstance(value, datetime):
            assert value.tzinfo is UTC
