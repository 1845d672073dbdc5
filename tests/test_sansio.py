"""Pure tests of the sans-I/O core: no event loop, no network."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

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
    h = s.build_headers(token="t", user_agent="ua", request_id="r", account_id=None, has_body=False)
    assert "X-Account" not in h and "Content-Type" not in h


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
