"""The msgspec fast path gives exactly what the careful cattrs path gives, or declines: equal
values with the same ``tzinfo`` (UTC) and ``isoformat()``, on every blueprint sample and on
generated payloads, offsets included."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from blueprint_samples import SAMPLES
from hypothesis import example, given, settings
from hypothesis import strategies as st

import cloud66_async.models as M
from cloud66_async import DecodeError
from cloud66_async._converter import make_converter
from cloud66_async._decode import Decoder, _make_info, _rewrite, _rewrite_utc, _without_utc
from cloud66_async._decode import FastPath as FastDecoder

converter = make_converter()


def assert_identical(fast: Any, careful: Any, where: str = "") -> None:
    """Equal values, and for every timestamp the same ``tzinfo`` object and ``isoformat()``
    (aware datetimes compare equal across offsets, so ``==`` alone would miss a ``+05:00``)."""
    if isinstance(careful, datetime):
        assert isinstance(fast, datetime), where
        assert fast == careful, where
        assert fast.tzinfo is careful.tzinfo is UTC, (where, fast.tzinfo, careful.tzinfo)
        assert fast.isoformat() == careful.isoformat(), where
    elif attrs.has(type(careful)):
        assert type(fast) is type(careful), where
        for field in attrs.fields(type(careful)):
            assert_identical(
                getattr(fast, field.name), getattr(careful, field.name), f"{where}.{field.name}"
            )
    elif isinstance(careful, (list, tuple)):
        assert type(fast) is type(careful) and len(fast) == len(careful), where
        for index, (a, b) in enumerate(zip(fast, careful, strict=True)):
            assert_identical(a, b, f"{where}[{index}]")
    else:
        assert type(fast) is type(careful) and fast == careful, (where, fast, careful)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_fast_path_equals_careful_path_on_every_sample(name: str) -> None:
    sample = SAMPLES[name]
    raw = sample.raw  # the blueprint's own text, tabs and all
    model = getattr(M, sample.model)
    data = json.loads(raw)["response"]
    fast = FastDecoder()
    if sample.is_list:
        page = fast.page(raw, model)
        assert page is not None, "every blueprint example takes the fast path"
        assert_identical(page.items, converter.structure_list(data, model))
    else:
        one = fast.one(raw, model)
        assert one is not None, "every blueprint example takes the fast path"
        assert_identical(one, converter.structure(data, model))


# -------------------------------------------------------- generated payloads (hypothesis)

_dates = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.none()
)
_offsets = st.sampled_from(["Z", "z", "+00:00", "-00:00", "+05:00", "-03:30", "+23:59", "", " UTC"])


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """Timestamps in the formats the API and its blueprints use, and some it might."""
    moment = draw(_dates)
    separator = draw(st.sampled_from(["T", " ", "t"]))
    fraction = draw(st.sampled_from(["", ".5", ".123456", ".123456789", ".9999995"]))
    offset = draw(_offsets)
    if offset == " UTC":
        separator = draw(st.sampled_from(["T", " "]))
    text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S") + fraction + offset
    return text


stamp_values = timestamps() | st.none() | st.sampled_from(["", "yesterday", "2014-08-14"])
_text = st.text(max_size=8)
stack_payloads = st.fixed_dictionaries(
    {"uid": st.text(min_size=1, max_size=6)},
    optional={
        "name": _text | st.none() | st.integers(),
        "status": st.integers(0, 9) | st.none(),
        "health": st.integers(0, 6),
        "created_at": stamp_values,
        "created_at_iso": stamp_values,
        "updated_at": stamp_values,
        "last_activity_iso": stamp_values,
        "maintenance_mode": st.booleans() | st.none(),
        "unknown": _text,
    },
)


def _decode_careful(payload: Any, model: type) -> Any:
    try:
        return converter.structure(payload, model)
    except DecodeError:
        return None


@settings(max_examples=400, deadline=None, database=None)
@given(payload=stack_payloads)
@example(payload={"uid": "a", "created_at": "2014-08-14T06:46:53+05:00"})
@example(payload={"uid": "a", "created_at": "2014-08-14t01:46:53z"})
@example(payload={"uid": "a", "created_at": "2014-08-14 00:38:14 UTC", "name": "x UTC"})
def test_both_paths_decide_alike_on_generated_stacks(payload: dict[str, Any]) -> None:
    """Whatever the fast path returns, the careful path returns too, identical; the decoder
    (fast, else careful) gives the careful path's value; every timestamp is UTC."""
    body = json.dumps({"response": payload}).encode()
    careful = _decode_careful(payload, M.Stack)
    fast = FastDecoder().one(body, M.Stack)
    if fast is not None:
        assert careful is not None, "the fast path accepted what the careful path refuses"
        assert_identical(fast, careful)
    try:
        decoded = Decoder().one(body, M.Stack, method="GET", url="u", request_id="r")
    except DecodeError:
        assert careful is None
        return
    assert careful is not None
    assert_identical(decoded, careful)


@settings(max_examples=200, deadline=None, database=None)
@given(payloads=st.lists(stack_payloads, min_size=1, max_size=5))
def test_an_item_decodes_the_same_alone_or_among_others(payloads: list[dict[str, Any]]) -> None:
    """The old symptom: which path decoded a page (and so an item's offset) depended on the
    other items of the page."""
    decoder = Decoder()
    body = json.dumps({"response": payloads}).encode()
    try:
        page = decoder.page(body, M.Stack, requested=1, method="GET", url="u", request_id="r")
    except DecodeError:
        assert any(_decode_careful(p, M.Stack) is None for p in payloads)
        return
    for payload, item in zip(payloads, page.items, strict=True):
        alone = decoder.one(
            json.dumps({"response": payload}).encode(),
            M.Stack,
            method="GET",
            url="u",
            request_id="r",
        )
        assert_identical(item, alone)


def _stack(**fields: Any) -> dict[str, Any]:
    return {"uid": "u1", "name": "n", **fields}


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"created_at": "2014-08-14 00:38:14"}, "a naive timestamp (read as UTC)"),
        ({"created_at": "2014-08-14T00:38:14"}, "a naive ISO timestamp"),
        ({"name": 5}, "a wrong type (the careful path names the field)"),
    ],
)
def test_fast_path_declines_what_only_the_careful_path_handles(
    fields: dict[str, Any], why: str
) -> None:
    body = json.dumps({"response": [_stack(**fields)]}).encode()
    assert FastDecoder().page(body, M.Stack) is None, why


def test_undocumented_enum_codes_agree() -> None:
    body = json.dumps({"response": [_stack(status=9, health=42)]}).encode()
    page = FastDecoder().page(body, M.Stack)
    assert page is not None
    assert page.items == converter.structure_list(json.loads(body)["response"], M.Stack)
    assert page.items[0].status == 9 and page.items[0].status.name == "UNDOCUMENTED_9"


def test_utc_timestamps_are_rewritten_only_for_timestamp_keys() -> None:
    body = json.dumps(
        {"response": _stack(created_at="2014-08-14 00:38:14 UTC", name="2014-08-14 00:38:14 UTC")}
    ).encode()
    stack = FastDecoder().one(body, M.Stack)
    assert stack is not None
    assert stack == converter.structure(json.loads(body)["response"], M.Stack)
    assert stack.name == "2014-08-14 00:38:14 UTC"  # a string field keeps its text


def test_free_form_models_never_get_rewritten() -> None:
    server = {
        "uid": "s1",
        "created_at": "2014-08-14 00:38:14 UTC",
        "params": {"created_at": "2014-08-14 00:38:14 UTC"},
    }
    body = json.dumps({"response": server}).encode()
    # Server.params is free-form JSON: the fast path declines rather than touch it.
    assert FastDecoder().one(body, M.Server) is None
    careful = converter.structure(server, M.Server)
    assert careful.params == {"created_at": "2014-08-14 00:38:14 UTC"}


def test_rewrite_skips_escaped_keys_inside_strings() -> None:
    text = json.dumps({"created_at": "2014-08-14 00:38:14 UTC"})
    body = json.dumps(
        {"response": _stack(created_at="2014-08-14T00:38:14Z", deploy_directory=text)}
    ).encode()
    stack = FastDecoder().one(body, M.Stack)
    assert stack is not None and stack.deploy_directory == text


# ------------------------------------------- the " UTC" rewrite, found from each ' UTC"'

_stack_info = _make_info(M.Stack)
assert _stack_info.rewrite is not None
_STACK_PATTERN = _stack_info.rewrite

_keys = st.sampled_from(
    ["created_at", "updated_at", "last_activity", "name", "created_at_iso", "x", 'a\\"created_at']
)
_space = st.sampled_from(["", " ", "\t", "\n  ", " \r\n\t"])
_stamp_texts = timestamps() | st.sampled_from(
    ["2014-08-14 00:38:14 UTC", "2014-08-14T00:38:14.5 UTC", "x UTC", " UTC", "UTC", ""]
)


@st.composite
def utc_bodies(draw: st.DrawFn) -> bytes:
    """Bodies, not always JSON, made of key-value pieces, stray quotes and ' UTC"' runs."""
    pieces: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            pieces.append(f'"{draw(_keys)}"{draw(_space)}:{draw(_space)}"{draw(_stamp_texts)}"')
        elif kind == 1:
            pieces.append(draw(st.sampled_from(['"', ' UTC"', '","', ",", "{", "}", ":"])))
        elif kind == 2:
            pieces.append(json.dumps(draw(_stamp_texts)))
        else:
            pieces.append(draw(st.text(alphabet=' "UTC:0123456789-T', max_size=12)))
    return draw(st.sampled_from([",", "", " "])).join(pieces).encode()


@settings(max_examples=500, deadline=None, database=None)
@given(body=utc_bodies())
@example(body=b'"created_at":"2014-08-14 00:38:14 UTC""updated_at":"2014-08-14 00:38:15 UTC"')
@example(body=b'"x":"a UTC"created_at":"2014-08-14 00:38:14 UTC"')
@example(body=b'"created_at":"2014-08-14 00:38:14 UTC"created_at":"2014-08-14 00:38:14 UTC"')
@example(body=b'"created_at" :\n "2014-08-14T00:38:14.25 UTC", "name": "n UTC"')
def test_rewrite_from_each_utc_suffix_equals_the_whole_body_substitution(body: bytes) -> None:
    """The fast rewrite (one anchored match per ' UTC"') changes exactly what a substitution
    over the whole body did."""
    assert _rewrite_utc(_STACK_PATTERN, body) == _STACK_PATTERN.sub(_rewrite, body)


def _keep_separator(match: Any) -> bytes:
    """The general rewrite as the compact one writes it: only ' UTC"' becomes 'Z"'."""
    text: bytes = match[0]
    return text[: -len(' UTC"')] + b'Z"'


@st.composite
def json_utc_bodies(draw: st.DrawFn) -> bytes:
    """Valid JSON answers with timestamp-like values under timestamp and other keys, compact or
    spaced (json.dumps escapes a quote inside a key, as a server would)."""
    pairs = draw(st.lists(st.tuples(_keys, _stamp_texts), max_size=6))
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (",", " :\n ")]))
    return json.dumps({"response": {"uid": "u1", **dict(pairs)}}, separators=separators).encode()


def _decoded(body: bytes) -> Any:
    try:
        return _stack_info.one_decoder.decode(body).response
    except Exception as exc:  # the fast path declines: the careful path decides
        return type(exc)


@settings(max_examples=500, deadline=None, database=None)
@given(body=json_utc_bodies() | utc_bodies())
@example(body=b'{"response":{"uid":"u","created_at":"2014-08-14 00:38:14 UTC"}}')
@example(body=b'{"response":{"uid":"u","created_at" : "2014-08-14 00:38:14 UTC"}}')
@example(body=b'{"response":{"uid":"u","name":"x UTC","created_at":"2014-08-14 00:38:14 UTC"}}')
def test_compact_rewrite_is_the_general_one_when_it_applies(body: bytes) -> None:
    """The one-substitution rewrite is used only when it leaves no ' UTC"': then it made exactly
    the general rewrite's changes (bar the separator) on every valid JSON body, and what msgspec
    decodes from it is what it decodes from the general rewrite's. Otherwise the general
    rewrite is used, unchanged."""
    assert _stack_info.compact is not None
    out = _without_utc(_stack_info, body)
    general = _rewrite_utc(_STACK_PATTERN, body)
    if b' UTC"' in _stack_info.compact.sub(b'Z"', body):
        assert out == general
        return
    assert _decoded(out) == _decoded(general)
    try:
        json.loads(body)
    except ValueError:
        return  # not JSON: msgspec refuses both (checked above), the careful path decides
    assert out == _STACK_PATTERN.sub(_keep_separator, body)


def test_the_blueprint_stack_takes_the_compact_rewrite_and_spaced_json_the_general() -> None:
    stack = json.dumps({"response": _stack(**SAMPLES_STACK_STAMPS)}, separators=(",", ":"))
    body = stack.encode()
    assert _stack_info.compact is not None
    assert b' UTC"' not in _stack_info.compact.sub(b'Z"', body)  # the compact one applies
    assert _without_utc(_stack_info, body) == body.replace(b' UTC"', b'Z"')
    spaced = json.dumps(json.loads(body)).encode()  # ": " between keys and values
    assert b' UTC"' in _stack_info.compact.sub(b'Z"', spaced)
    assert _without_utc(_stack_info, spaced) == _rewrite_utc(_STACK_PATTERN, spaced)
    for answer in (body, spaced):
        fast = FastDecoder().one(answer, M.Stack)
        assert fast is not None
        assert fast == converter.structure(json.loads(answer)["response"], M.Stack)
        assert fast.created_at == datetime(2014, 8, 14, 0, 38, 14, tzinfo=UTC)


SAMPLES_STACK_STAMPS = {
    "created_at": "2014-08-14 00:38:14 UTC",
    "updated_at": "2014-08-14 01:46:52 UTC",
    "last_activity": "2014-08-14T01:46:53+00:00",
}


def test_body_without_utc_suffix_is_not_copied() -> None:
    body = json.dumps({"response": _stack(created_at="2014-08-14T00:38:14Z")}).encode()
    assert _rewrite_utc(_STACK_PATTERN, body) is body


@attrs.frozen
class _Note:
    created_at: str | None = None


@attrs.frozen
class _Noted:
    uid: str
    created_at: datetime | None = None
    note: _Note | None = None


def test_no_rewrite_when_a_timestamp_key_also_names_a_string_field() -> None:
    """``created_at`` is a timestamp in one model and a string in the nested one: rewriting
    would change the string's text, so such an answer goes the careful way."""
    stamp = "2014-08-14 00:38:14 UTC"
    payload = {"uid": "u", "created_at": stamp, "note": {"created_at": stamp}}
    body = json.dumps({"response": payload}).encode()
    assert _make_info(_Noted).rewrite is None
    assert FastDecoder().one(body, _Noted) is None
    decoded = Decoder().one(body, _Noted, method="GET", url="u", request_id="r")
    assert decoded.note == _Note(created_at=stamp)
    assert decoded == converter.structure(payload, _Noted)
    assert decoded.created_at == datetime(2014, 8, 14, 0, 38, 14, tzinfo=UTC)


@settings(max_examples=300, deadline=None, database=None)
@given(
    stamps=st.lists(timestamps(), min_size=4, max_size=4),
    spaces=st.lists(_space, min_size=2, max_size=2),
    name=st.sampled_from(["n", "2014-08-14 00:38:14 UTC", "x UTC", '"created_at": "x UTC"']),
)
def test_fast_and_careful_agree_on_utc_and_other_timestamps(
    stamps: list[str], spaces: list[str], name: str
) -> None:
    """Timestamps with and without " UTC", offsets, fractions, odd whitespace around the colon:
    whatever the fast path returns is the careful path's value, and the decoder's answer is."""
    keys = ["created_at", "updated_at", "last_activity", "created_at_iso"]
    colon = f"{spaces[0]}:{spaces[1]}"
    members = [f'"{k}"{colon}{json.dumps(v)}' for k, v in zip(keys, stamps, strict=True)]
    text = f'{{"response": {{"uid": "u1", "name": {json.dumps(name)}, {", ".join(members)}}}}}'
    body = text.encode()
    payload = json.loads(body)["response"]
    careful = _decode_careful(payload, M.Stack)
    fast = FastDecoder().one(body, M.Stack)
    if fast is not None:
        assert careful is not None
        assert_identical(fast, careful)
    if careful is not None:
        assert_identical(
            Decoder().one(body, M.Stack, method="GET", url="u", request_id="r"), careful
        )
    if all(s.endswith(" UTC") for s in stamps):
        assert fast is not None, "the blueprint's own format takes the fast path"


@attrs.frozen
class _Event:
    at: datetime | None = None


@attrs.frozen
class _Log:
    uid: str
    created_at: datetime | None = None
    last: _Event | None = None
    events: tuple[_Event, ...] | None = None


_stamp_or_none = timestamps() | st.none()


@settings(max_examples=300, deadline=None, database=None)
@given(
    logs=st.lists(
        st.fixed_dictionaries(
            {"uid": st.just("u")},
            optional={
                "created_at": _stamp_or_none,
                "last": st.none() | st.fixed_dictionaries({}, optional={"at": _stamp_or_none}),
                "events": st.none()
                | st.lists(st.fixed_dictionaries({}, optional={"at": _stamp_or_none}), max_size=3),
            },
        ),
        min_size=1,
        max_size=4,
    )
)
def test_generated_utc_check_sees_every_timestamp_nested_ones_too(
    logs: list[dict[str, Any]],
) -> None:
    """The page-wide generated check accepts a page exactly when every timestamp in it, in
    nested models and in lists of them, came out as UTC: the fast path then equals the careful
    path, and it declines a page with any naive or offset timestamp anywhere."""
    body = json.dumps({"response": logs}).encode()
    page = FastDecoder().page(body, _Log)
    try:
        careful = converter.structure_list(logs, _Log)
    except DecodeError:
        assert page is None
        return
    stamps = [
        value
        for log in logs
        for value in [
            log.get("created_at"),
            (log.get("last") or {}).get("at"),
            *[event.get("at") for event in (log.get("events") or [])],
        ]
        if value is not None
    ]
    only_utc = all(s.endswith(("Z", "z", "+00:00", "-00:00", " UTC")) for s in stamps)
    if page is not None:
        assert_identical(page.items, careful)
    elif only_utc and not any(s.endswith(" UTC") for s in stamps):
        raise AssertionError(f"declined a page whose timestamps are all UTC: {stamps}")
    if not only_utc:
        assert page is None, "accepted a page with a naive or offset timestamp"
