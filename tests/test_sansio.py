"""Pure tests of the sans-I/O core: no event loop, no network."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cloud66_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ConflictError,
    DecodeError,
    NotFoundError,
    NotImplementedByAPIError,
    PermissionDeniedError,
    RetryPolicy,
    ServerError,
    ServerTimeoutError,
    ThrottledError,
    TrialExpiredError,
)
from cloud66_async import _sansio as s

BASE = "https://app.cloud66.com/api/3"


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("abc", "abc"),
        ("../users", "..%2Fusers"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a?b#c", "a%3Fb%23c"),
        ("100%", "100%25"),
        ("git.branch", "git.branch"),
        (42, "42"),
        ("a b", "a%20b"),
    ],
)
def test_quote_segment_keeps_one_segment(value: object, quoted: str) -> None:
    assert s.quote_segment(value) == quoted


@pytest.mark.parametrize("bad", ["", None, True, 1.5, ["a"]])
def test_quote_segment_rejects_non_ids(bad: object) -> None:
    with pytest.raises(ConfigError):
        s.quote_segment(bad)


def test_build_url_fills_and_quotes() -> None:
    url = s.build_url(
        BASE,
        "/stacks/{stack_uid}/servers/{server_uid}",
        {
            "stack_uid": "../users",
            "server_uid": "x/y",
        },
    )
    assert url == BASE + "/stacks/..%2Fusers/servers/x%2Fy"
    with pytest.raises(ConfigError, match="missing path argument 'server_uid'"):
        s.build_url(BASE, "/stacks/{stack_uid}/servers/{server_uid}", {"stack_uid": "a"})


def _quote_reference(value: object) -> str:
    """What quote_segment did before its fast path: the rule, written out once more."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError("bad")
    text = str(value)
    if not text.strip():
        raise ConfigError("empty or blank")  # refused since the hostile-argument checks
    return "%2E" * len(text) if set(text) == {"."} else quote(text, safe="")


def _build_reference(template: str, params: dict[str, object]) -> str:
    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in params:
            raise ConfigError("missing")
        return _quote_reference(params[match.group(1)])

    return BASE + re.sub(r"\{(\w+)\}", fill, template)


_segments = (
    st.text(max_size=6)
    | st.text(alphabet="aZ09.-_~/%?# ", max_size=6)
    | st.sampled_from([".", "..", "...", "a.", "\u00e9", "\u00b2", "\uff11", "\u0663"])
    | st.integers(-5, 10**20)
    | st.booleans()
    | st.none()
)
_templates = st.lists(
    st.sampled_from(["/stacks", "/{stack_uid}", "/{id}", "{id}", "/x{", "}", "/{a-b}", "/{}"]),
    max_size=5,
).map("".join)


@settings(max_examples=500, deadline=None, database=None)
@given(template=_templates, params=st.dictionaries(st.sampled_from(["stack_uid", "id"]), _segments))
@example(template="/{id}", params={"id": "abc123"})
@example(template="/{id}", params={"id": "\u00b2"})
def test_build_url_fast_paths_give_what_the_regex_and_quote_gave(
    template: str, params: dict[str, object]
) -> None:
    """The template split once per template and the unquoted-identifier shortcut build the
    same URLs, and refuse the same arguments, as filling by regex and quoting every value."""
    try:
        expected = _build_reference(template, params)
    except ConfigError:
        with pytest.raises(ConfigError):
            s.build_url(BASE, template, params)
        return
    assert s.build_url(BASE, template, params) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://app.cloud66.com/api/3",
        "https://app.cloud66.com/api/3/",
        "http://127.0.0.1:8066/api/3",
        "http://localhost/api/v3",
        "http://[::1]:80/api/3",
    ],
)
def test_check_base_url_accepts(url: str) -> None:
    assert not s.check_base_url(url).endswith("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://app.cloud66.com/api/3",
        "http://10.0.0.1/api/3",
        "ftp://app.cloud66.com/api/3",
        "app.cloud66.com/api/3",
        "https://app.cloud66.com/api/3?x=1",
        "",
    ],
)
def test_check_base_url_refuses(url: str) -> None:
    with pytest.raises(ConfigError):
        s.check_base_url(url)


def test_headers() -> None:
    h = s.build_headers(
        token="tok", user_agent="ua", request_id="rid", account_id="7", has_body=True
    )
    assert h == {
        "Authorization": "Bearer tok",
        "Accept": "application/json",
        "User-Agent": "ua",
        "Request-Id": "rid",
        "X-Account": "7",
        "Content-Type": "application/json",
    }
    assert list(h) == [
        "Authorization",
        "Accept",
        "User-Agent",
        "Request-Id",
        "X-Account",
        "Content-Type",
    ]
    h = s.build_headers(token="t", user_agent="ua", request_id="r", account_id=None, has_body=False)
    assert "X-Account" not in h and "Content-Type" not in h


def test_each_request_gets_its_own_headers_over_the_clients_fixed_ones() -> None:
    """The pipeline builds the fixed part once per client: each request's dict is a new one,
    and filling or changing it never touches the fixed part or another request's."""
    fixed = s.fixed_headers(token="tok", user_agent="ua")
    kept = dict(fixed)
    one = s.add_headers(fixed, request_id="1", account_id="7", has_body=True)
    two = s.add_headers(fixed, request_id="2", account_id=None, has_body=False)
    one["Authorization"] = "changed"
    assert fixed == kept and two["Authorization"] == "Bearer tok" and two["Request-Id"] == "2"
    assert one is not fixed and two is not fixed
    assert two == s.build_headers(
        token="tok", user_agent="ua", request_id="2", account_id=None, has_body=False
    )


def test_user_agent_names_versions() -> None:
    ua = s.user_agent("1.2.3", "3.9.0")
    assert ua.startswith("cloud66_async/1.2.3 Python/") and ua.endswith("aiohttp/3.9.0")


def test_request_ids_are_fresh() -> None:
    assert len({s.new_request_id() for _ in range(100)}) == 100


@pytest.mark.parametrize(
    ("status", "error", "cls"),
    [
        (400, "bad_request", BadRequestError),
        (401, "unauthenticated", AuthenticationError),
        (402, "trial_expired", TrialExpiredError),
        (403, "forbidden", PermissionDeniedError),
        (404, "not_found", NotFoundError),
        (408, "time_out", ServerTimeoutError),
        (409, "conflict", ConflictError),
        (503, "not_implemented", NotImplementedByAPIError),
        (503, "throttled", ThrottledError),
        (500, "boom", ServerError),
        (502, None, ServerError),
        (418, "teapot", APIError),
    ],
)
def test_error_for_maps_every_status(status: int, error: str | None, cls: type) -> None:
    body = b'{"error": "%s", "error_description": "desc", "details": {"k": 1}}' % (
        (error or "").encode()
    )
    err = s.error_for(
        status=status,
        headers={},
        body=body,
        method="GET",
        url=BASE + "/x?page=2",
        request_id="rid",
    )
    assert type(err) is cls
    assert err.status == status
    assert err.description == "desc"
    assert err.details == {"k": 1}
    assert err.request_id == "rid"
    assert err.url == BASE + "/x"  # the query string is never kept
    assert "rid" in str(err) and str(status) in str(err)


def test_error_for_html_page_is_server_error() -> None:
    body = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    err = s.error_for(status=502, headers={}, body=body, method="GET", url=BASE, request_id="r")
    assert isinstance(err, ServerError)
    assert err.error is None
    assert err.description is not None and "502 Bad Gateway" in err.description


def test_error_for_non_json_503_is_server_error() -> None:
    err = s.error_for(status=503, headers={}, body=b"busy", method="GET", url=BASE, request_id="r")
    assert type(err) is ServerError


def test_is_throttled() -> None:
    assert s.is_throttled(503, {"error": "throttled"})
    assert not s.is_throttled(503, {"error": "not_implemented"})
    assert not s.is_throttled(503, ["throttled"])
    assert not s.is_throttled(429, {"error": "throttled"})


def test_unwrap() -> None:
    assert s.unwrap({"response": {"a": 1}}, url=BASE) == {"a": 1}
    with pytest.raises(DecodeError):
        s.unwrap({"data": 1}, url=BASE)
    with pytest.raises(DecodeError):
        s.unwrap([1, 2], url=BASE)


def _envelope(n: int, current: int, nxt: int | None, pages: int, total: int) -> dict[str, object]:
    return {
        "response": list(range(n)),
        "count": n,
        "pagination": {
            "previous": None,
            "next": nxt,
            "current": current,
            "per_page": 30,
            "count": total,
            "pages": pages,
        },
    }


def test_parse_page_follows_next_not_count() -> None:
    # The blueprint's env var example says count 30 with 4 items: count is never trusted.
    info = s.parse_page(_envelope(4, 1, None, 1, 30), requested=1, url=BASE)
    assert info.items == [0, 1, 2, 3] and info.next is None and info.total == 30
    info = s.parse_page(_envelope(30, 1, 2, 2, 48), requested=1, url=BASE)
    assert info.next == 2 and info.pages == 2


def test_parse_page_without_pagination_is_one_page() -> None:
    info = s.parse_page({"response": [1]}, requested=1, url=BASE)
    assert info.next is None and info.items == [1]


@pytest.mark.parametrize(
    "payload",
    [
        {"response": {"a": 1}},
        {"response": [], "pagination": "x"},
        {"response": [], "pagination": {"next": "two"}},
        {"response": [], "pagination": {"next": 1, "current": 1}},
        # Another page than the one asked for (the hostile run's current=0, next=1 loop).
        {"response": [], "pagination": {"next": 1, "current": 0}},
        {"response": [], "pagination": {"next": 2, "current": 2}},
        # A next that skips pages would drop their items silently.
        {"response": [], "pagination": {"next": 3, "current": 1}},
        {"response": [], "pagination": {"next": 3}},
        {"response": [], "pagination": {"pages": -1}},
        {"response": [], "pagination": {"count": -5}},
    ],
)
def test_parse_page_rejects_bad_envelopes(payload: object) -> None:
    with pytest.raises(DecodeError):
        s.parse_page(payload, requested=1, url=BASE)


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert s.parse_retry_after("7", now=now) == 7.0
    assert s.parse_retry_after("0.5", now=now) == 0.5
    assert s.parse_retry_after("-3", now=now) == 0.0
    assert s.parse_retry_after("Mon, 23 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert s.parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert s.parse_retry_after(None) is None
    assert s.parse_retry_after("soon") is None
    assert s.parse_retry_after("nan") is None


def test_backoff_delay_grows_caps_and_jitters() -> None:
    rng = random.Random(1)
    for attempt in range(1, 10):
        d = s.backoff_delay(attempt, base=0.5, cap=4.0, rand=rng.random)
        full = min(4.0, 0.5 * 2 ** (attempt - 1))
        assert full / 2 <= d <= full


def test_backoff_delay_is_equal_jitter_as_documented() -> None:
    """Equal jitter: uniform in [d/2, d], never 0 (full jitter would be [0, d])."""
    assert "equal jitter" in (s.backoff_delay.__doc__ or "")
    assert s.backoff_delay(3, base=1.0, cap=60.0, rand=lambda: 0.0) == 2.0
    assert s.backoff_delay(3, base=1.0, cap=60.0, rand=lambda: 0.999999) == pytest.approx(4.0)
    delays = [
        s.backoff_delay(3, base=1.0, cap=60.0, rand=random.Random(i).random) for i in range(200)
    ]
    assert min(delays) >= 2.0 and max(delays) <= 4.0
    assert min(delays) < 2.2 and max(delays) > 3.8  # both halves of [d/2, d] are reached


def test_backoff_delay_never_overflows() -> None:
    """A long run of throttled answers (thousands) once raised OverflowError from 2.0 ** n."""
    for attempt in (1_000, 10**6, 10**9):
        assert s.backoff_delay(attempt, base=1.0, cap=60.0, rand=lambda: 0.5) == 45.0


def test_rate_limit_headers() -> None:
    rl = s.parse_rate_limit_headers({"X-RateLimit-Limit": "3600", "X-RateLimit-Remaining": "3597"})
    assert rl == s.RateLimitHeaders(3600, 3597)
    assert s.parse_rate_limit_headers({}) is None
    assert s.parse_rate_limit_headers({"X-RateLimit-Remaining": "x"}) is None


def test_redact_url() -> None:
    assert s.redact_url(BASE + "/stacks?page=2&token=x") == BASE + "/stacks"


def _header_int_reference(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


_header_values = (
    st.none()
    | st.text(max_size=8)
    | st.text(alphabet="0123456789 _+-\t\u00b2\uff11\u0663", max_size=8)
    | st.integers(-(10**30), 10**30).map(str)
)


@settings(max_examples=500, deadline=None, database=None)
@given(limit=_header_values, remaining=_header_values)
@example(limit="\u00b2", remaining=None)  # a digit to isdigit(), not to int()
@example(limit=None, remaining="\uff11\uff12")  # full-width digits: int() reads them
@example(limit=" 2999 ", remaining="x")
def test_rate_limit_header_fast_int_path_reads_what_int_of_strip_read(
    limit: str | None, remaining: str | None
) -> None:
    headers = {
        name: value
        for name, value in (("X-RateLimit-Limit", limit), ("X-RateLimit-Remaining", remaining))
        if value is not None
    }
    expected = (_header_int_reference(limit), _header_int_reference(remaining))
    parsed = s.parse_rate_limit_headers(headers)
    figures = s.rate_limit_figures(headers)  # what the pipeline reads on every answer
    if expected == (None, None):
        assert parsed is None and figures is None
    else:
        assert parsed == s.RateLimitHeaders(*expected)
        assert figures == expected


_FORK_SCRIPT = """
import os
from cloud66_async._sansio import new_request_id
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, new_request_id().encode())
    os._exit(0)
os.close(write)
child = os.read(read, 64).decode()
os.waitpid(pid, 0)
print(child, new_request_id())
"""


def test_request_ids_are_128_bit_hex_and_differ_in_a_forked_child() -> None:
    ids = {s.new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids)
    # In a fresh interpreter (forking this one, threads and all, is not safe): the child's next
    # id and the parent's next id differ, because the child's generator was reseeded.
    out = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert len(out) == 2 and all(len(i) == 32 for i in out)
    assert out[0] != out[1]


@pytest.mark.parametrize("status", [200, 201, 204, 250, 299])
@pytest.mark.parametrize("body", [b"", b"{}", b'{"error": "throttled"}', b"not json"])
def test_every_2xx_answer_is_done_whatever_its_body(status: int, body: bytes) -> None:
    """The pipeline takes a 2xx answer as done without calling decide(): the two must agree."""
    response = s.HTTPResponse(status, {"Retry-After": "5"}, body)
    decision = s.decide(
        response, method="POST", url=BASE, request_id="r", retries_used=0, policy=RetryPolicy()
    )
    assert decision is s.DONE


def _json_loads_reference(body: bytes) -> tuple[str, str]:
    """What ``json.loads`` made of a body, as comparable text (NaN included)."""
    try:
        value = json.loads(body)
    except RecursionError:
        return ("error", "")
    except (ValueError, UnicodeDecodeError):
        return ("error", "")
    return ("value", json.dumps(value, ensure_ascii=False))


def _parse_body_outcome(body: bytes) -> tuple[str, str]:
    try:
        value = s.parse_body(body)
    except (ValueError, UnicodeDecodeError):
        return ("error", "")
    return ("value", json.dumps(value, ensure_ascii=False))


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None, database=None)
@given(
    body=_json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=40)
    | st.sampled_from(
        [
            b"NaN",
            b"-Infinity",
            b"1e400",
            b'"\\ud800"',
            b'"\xed\xa0\x80"',
            b'"a\x01b"',
            b'"\xff"',
            b'{"a":1,"a":2}',
            b"\xef\xbb\xbf{}",
            '{"a": "\u00e9"}'.encode("utf-16"),
            b"[" * 1200 + b"]" * 1200,
            b"[" * 200000,
            b" 1 ",
            b"1 2",
            b"",
        ]
    )
)
def test_parse_body_gives_what_json_loads_gives(body: bytes) -> None:
    """msgspec parses first; anything it refuses is json.loads's to decide, so the value (or
    the error) is always json.loads's."""
    assert _parse_body_outcome(body) == _json_loads_reference(body)
