"""FakeCloud66's HTTP surface, driven by a raw aiohttp client: envelope, pagination, auth,
scopes, routing on the raw path, prefixes, rate limiting and the request log."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import anyio
import pytest
from yarl import URL

from cloud66_async.testing import ROUTES, SCOPES, FakeCloud66, _spec
from cloud66_async.testing._blueprint import blueprint

pytestmark = pytest.mark.anyio

EXAMPLE = "5999b763474b0eafa5fafb64bff0ba80"
TIMEOUT = aiohttp.ClientTimeout(total=5)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Reply:
    status: int
    headers: Any
    body: Any


async def call(
    fake: FakeCloud66,
    method: str,
    path: str,
    *,
    token: str | None = "default",
    raw: bool = False,
    prefix: str | None = None,
    **kwargs: Any,
) -> Reply:
    """Send one request with a fresh session; ``raw`` sends ``path`` without any re-encoding."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers.setdefault("Authorization", f"Bearer {fake.token if token == 'default' else token}")
    base = fake.url + (fake.api_prefix if prefix is None else prefix)
    url: str | URL = URL(base + path, encoded=True) if raw else base + path
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.request(method, url, headers=headers, **kwargs) as response,
    ):
        text = await response.text()
        body: Any = text
        if response.content_type == "application/json":
            body = await response.json()
        return Reply(response.status, response.headers, body)


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    async with FakeCloud66(stacks=3, action_delay=0.02, deploy_duration=0.05) as server:
        yield server


# -- envelope and pagination ------------------------------------------------------------------


async def test_single_object_envelope_and_headers(fake: FakeCloud66) -> None:
    reply = await call(fake, "GET", f"/stacks/{EXAMPLE}")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.headers["X-RateLimit-Limit"] == "3600"
    assert reply.headers["X-RateLimit-Remaining"] == "3599"
    assert reply.headers["X-Request-Id"]
    stack = reply.body["response"]
    assert set(reply.body) == {"response"}
    # The blueprint's example values, timestamp formats included.
    assert stack["name"] == "Awesome App"
    assert stack["created_at"] == "2014-08-14 00:38:14 UTC"
    assert stack["last_activity"] == "2014-08-14T01:46:53+00:00"
    assert stack["created_at_iso"] == "2014-08-14T00:38:14Z"


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (30, 1), (31, 2)])
async def test_pagination_of_the_stack_list(total: int, pages: int) -> None:
    async with FakeCloud66(stacks=total, servers_per_stack=0) as fake:
        seen: list[str] = []
        for page in range(1, pages + 1):
            reply = await call(fake, "GET", f"/stacks?page={page}")
            assert reply.status == 200
            items = reply.body["response"]
            assert reply.body["count"] == len(items)
            assert reply.body["pagination"] == {
                "previous": page - 1 if page > 1 else None,
                "next": page + 1 if page < pages else None,
                "current": page,
                "per_page": 30,
                "count": total,
                "pages": pages,
            }
            seen += [stack["uid"] for stack in items]
        assert seen == fake.stack_uids
        assert len(set(seen)) == total
        past = await call(fake, "GET", f"/stacks?page={pages + 1}")
        assert past.status == 200
        assert past.body["response"] == []
        assert past.body["count"] == 0
        assert past.body["pagination"]["next"] is None
        assert past.body["pagination"]["pages"] == pages


async def test_default_fake_has_several_pages_of_stacks() -> None:
    async with FakeCloud66() as fake:
        reply = await call(fake, "GET", "/stacks?page=3")
        assert reply.body["pagination"]["count"] == 75
        assert reply.body["pagination"]["pages"] == 3
        assert reply.body["count"] == 15


@pytest.mark.parametrize("page", ["abc", "1.5", "0", "-1"])
async def test_bad_page_is_400(fake: FakeCloud66, page: str) -> None:
    reply = await call(fake, "GET", f"/stacks?page={page}")
    assert reply.status == 400
    assert reply.body["error"] == "bad_request"
    assert "page" in reply.body["details"]


@pytest.mark.parametrize(
    ("collection", "total"),
    [("notifications", 48), ("environments", 48), ("containers", 32), ("backups", 34)],
)
async def test_example_stack_lists_span_pages(
    fake: FakeCloud66, collection: str, total: int
) -> None:
    first = await call(fake, "GET", f"/stacks/{EXAMPLE}/{collection}")
    second = await call(fake, "GET", f"/stacks/{EXAMPLE}/{collection}?page=2")
    assert first.body["pagination"]["count"] == total
    assert first.body["pagination"]["next"] == 2
    assert len(first.body["response"]) + len(second.body["response"]) == total


async def test_per_page_is_configurable() -> None:
    async with FakeCloud66(stacks=5, servers_per_stack=0, per_page=2) as fake:
        reply = await call(fake, "GET", "/stacks?page=3")
        assert reply.body["count"] == 1
        assert reply.body["pagination"]["pages"] == 3
        assert reply.body["pagination"]["per_page"] == 2


# -- authentication and scopes ----------------------------------------------------------------


async def test_missing_and_unknown_tokens_are_401(fake: FakeCloud66) -> None:
    missing = await call(fake, "GET", "/stacks", token=None)
    assert missing.status == 401
    assert missing.body["error"] == "unauthenticated"
    assert missing.body["error_description"]
    unknown = await call(fake, "GET", "/stacks", token="nope")
    assert unknown.status == 401
    basic = await call(fake, "GET", "/stacks", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert basic.status == 401


async def test_bearer_scheme_is_case_insensitive(fake: FakeCloud66) -> None:
    reply = await call(fake, "GET", "/stacks", headers={"Authorization": f"bearer {fake.token}"})
    assert reply.status == 200


async def test_revoked_token_is_401(fake: FakeCloud66) -> None:
    token = fake.issue_token()
    assert (await call(fake, "GET", "/stacks", token=token)).status == 200
    fake.revoke_token(token)
    assert (await call(fake, "GET", "/stacks", token=token)).status == 401


def _concrete(template: str) -> str:
    values = {
        "stack_id": EXAMPLE,
        "id": "1",
        "server_id": "f8468fc145ea49bac474b30a8fea888d",
        "backup_id": "1",
        "user_id": "18",
        "cloud_id": "digitalocean",
        "key": "NOPE",
        "token": "wertqy",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m[1]], template)


@pytest.mark.parametrize("scope", SCOPES)
async def test_every_route_requires_exactly_its_scope(fake: FakeCloud66, scope: str) -> None:
    without = fake.issue_token([s for s in SCOPES if s != scope])
    only = fake.issue_token([scope])
    for route in ROUTES:
        path = _concrete(route.template)
        denied = await call(
            fake, route.method, path, token=without if route.scope == scope else only
        )
        assert denied.status == 403, (route.name, denied.body)
        assert denied.body["error"] == "forbidden"
        assert f"'{route.scope}'" in denied.body["error_description"]
    for route in ROUTES:
        if route.scope == scope:
            allowed = await call(fake, route.method, _concrete(route.template), token=only)
            assert allowed.status != 403, route.name


async def test_admin_does_not_imply_public(fake: FakeCloud66) -> None:
    admin = fake.issue_token(["admin"])
    reply = await call(fake, "GET", "/stacks", token=admin)
    assert reply.status == 403
    assert reply.body["error_description"].endswith("requires scope 'public'")


def test_issue_token_rejects_unknown_scopes() -> None:
    fake = FakeCloud66(stacks=0)
    with pytest.raises(ValueError, match="unknown scopes"):
        fake.issue_token(["root"])


# -- routing ------------------------------------------------------------------------------------


async def test_unknown_paths_and_methods_are_404(fake: FakeCloud66) -> None:
    for method, path in [("GET", "/nothing"), ("PATCH", "/stacks"), ("GET", "/stacks/")]:
        reply = await call(fake, method, path)
        assert reply.status == 404, path
        assert reply.body["error"] == "not_found"
    outside = await call(fake, "GET", "/api/4/stacks", prefix="")
    assert outside.status == 404


async def test_encoded_slash_stays_inside_its_segment(fake: FakeCloud66) -> None:
    reply = await call(fake, "GET", "/stacks/..%2Fusers", raw=True)
    assert reply.status == 404
    assert reply.body["error_description"] == "stack '../users' not found"
    logged = fake.request_log[-1]
    assert logged.raw_path == "/api/3/stacks/..%2Fusers"
    assert logged.path == "/stacks/../users"
    assert not fake.requests(path="/users")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("/stacks/%2E%2E", "stack '..' not found"),
        ("/stacks/%2e%2e/servers", "stack '..' not found"),
        ("/stacks/%2E%2E%2F%2E%2E%2Fusers", "stack '../../users' not found"),
        ("/users/..%2F..%2Fstacks", "user '../../stacks' not found"),
    ],
)
async def test_dot_segments_are_ids_never_normalised(
    fake: FakeCloud66, raw: str, message: str
) -> None:
    reply = await call(fake, "GET", raw, raw=True)
    assert reply.status == 404
    assert reply.body["error_description"] == message


async def test_literal_dot_dot_is_not_resolved(fake: FakeCloud66) -> None:
    reply = await call(fake, "GET", "/stacks/../users", raw=True)
    assert reply.status == 404  # never the user list
    assert fake.request_log[-1].raw_path == "/api/3/stacks/../users"


async def test_json_suffix_is_accepted(fake: FakeCloud66) -> None:
    listed = await call(fake, "GET", "/stacks.json")
    assert listed.status == 200
    assert len(listed.body["response"]) == 3
    one = await call(fake, "GET", f"/stacks/{EXAMPLE}.json")
    assert one.body["response"]["uid"] == EXAMPLE
    user = await call(fake, "GET", "/users/18.json")
    assert user.body["response"]["email"] == "test@cloud66.com"
    assert fake.request_log[-1].path == "/users/18"


async def test_early_edition_prefix(fake: FakeCloud66) -> None:
    for path in [
        "/stacks",
        f"/stacks/{EXAMPLE}",
        "/accounts",
        "/accounts/139",
        "/users",
        "/users/18",
    ]:
        reply = await call(fake, "GET", path, prefix="/api/v3")
        assert reply.status == 200, path
    assert fake.request_log[-1].prefix == "/api/v3"


async def test_form_bodies_and_get_bodies_are_parameters(fake: FakeCloud66) -> None:
    posted = await call(
        fake, "POST", f"/stacks/{EXAMPLE}/environments", data={"key": "FORM_VAR", "value": "1"}
    )
    assert posted.status == 200
    assert fake.request_log[-1].form == {"key": "FORM_VAR", "value": "1"}
    # The blueprint's curl example sends GET parameters with -d (a form body).
    filtered = await call(fake, "GET", f"/stacks/{EXAMPLE}/backups", data={"group": "11"})
    assert filtered.body["pagination"]["count"] > 0
    assert {b["db_type"] for b in filtered.body["response"]} == {"mysql"}


async def test_invalid_json_body_is_400(fake: FakeCloud66) -> None:
    reply = await call(
        fake,
        "POST",
        f"/stacks/{EXAMPLE}/actions",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 400
    assert reply.body["error"] == "bad_request"


# -- rate limiting ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["seconds", "fractional", "http-date", "none"])
async def test_rate_limit_throttles_with_retry_after(mode: str) -> None:
    async with FakeCloud66(stacks=1, rate_limit=(2, 0.4), retry_after=mode) as fake:
        first = await call(fake, "GET", "/stacks")
        second = await call(fake, "GET", "/stacks")
        assert (first.status, second.status) == (200, 200)
        assert first.headers["X-RateLimit-Limit"] == "2"
        assert [
            first.headers["X-RateLimit-Remaining"],
            second.headers["X-RateLimit-Remaining"],
        ] == [
            "1",
            "0",
        ]
        throttled = await call(fake, "GET", "/stacks")
        assert throttled.status == 503
        assert throttled.body["error"] == "throttled"
        assert throttled.headers["X-RateLimit-Remaining"] == "0"
        header = throttled.headers.get("Retry-After")
        if mode == "seconds":
            assert header == "1"
        elif mode == "fractional":
            assert header is not None
            assert 0 < float(header) <= 0.4
            assert "." in header
        elif mode == "http-date":
            assert header is not None
            when = email.utils.parsedate_to_datetime(header).timestamp()
            assert time.time() - 1 <= when <= time.time() + 2
        else:
            assert header is None
        # Another token has its own window.
        other = fake.issue_token()
        assert (await call(fake, "GET", "/stacks", token=other)).status == 200
        assert fake.requests("GET", "/stacks")[-2].status == 503  # throttled requests are logged
        await anyio.sleep(0.45)
        assert (await call(fake, "GET", "/stacks")).status == 200


async def test_unlimited_headers_count_down_and_limit_can_change(fake: FakeCloud66) -> None:
    remaining = [
        int((await call(fake, "GET", "/stacks")).headers["X-RateLimit-Remaining"]) for _ in range(3)
    ]
    assert remaining == [3599, 3598, 3597]
    fake.set_rate_limit(1, 60)
    assert (await call(fake, "GET", "/stacks")).status == 200
    assert (await call(fake, "GET", "/stacks")).status == 503
    fake.set_rate_limit(None)
    assert (await call(fake, "GET", "/stacks")).status == 200


async def test_rate_limit_header_limit_is_configurable() -> None:
    async with FakeCloud66(stacks=0, rate_limit_header_limit=3000) as fake:
        reply = await call(fake, "GET", "/stacks")
        assert reply.headers["X-RateLimit-Limit"] == "3000"
        unauthenticated = await call(fake, "GET", "/stacks", token=None)
        assert unauthenticated.headers["X-RateLimit-Limit"] == "3000"


# -- the request log ----------------------------------------------------------------------------


async def test_request_log_records_everything(fake: FakeCloud66) -> None:
    await call(fake, "GET", "/stacks?page=2", headers={"X-Account": "139"})
    await call(fake, "POST", f"/stacks/{EXAMPLE}/actions", json={"command": "restart"})
    await call(fake, "GET", "/stacks", token=None)
    get, post, unauthenticated = fake.request_log
    assert (get.method, get.path, get.raw_path, get.query, get.status) == (
        "GET",
        "/stacks",
        "/api/3/stacks?page=2",
        {"page": "2"},
        200,
    )
    assert get.headers["X-Account"] == "139"
    assert get.header("authorization") == f"Bearer {fake.token}"
    assert fake.token not in repr(get)
    assert post.json == {"command": "restart"}
    assert post.status == 200
    assert unauthenticated.status == 401
    assert get.time <= post.time <= unauthenticated.time
    assert fake.requests("POST") == [post]
    assert fake.requests(path=re.compile(r"/stacks/\w+/actions")) == [post]
    assert fake.requests("get", "/stacks") == [get, unauthenticated]
    fake.clear_log()
    assert fake.request_log == []


def test_url_before_start_is_an_error() -> None:
    fake = FakeCloud66(stacks=0)
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.url


async def test_seeding_is_deterministic() -> None:
    one, two, other = FakeCloud66(), FakeCloud66(), FakeCloud66(seed=7)
    assert one.peek("/stacks") == two.peek("/stacks")
    assert one.token == two.token
    assert one.stack_uids[:3] == [
        EXAMPLE,
        "5acd43412ea412e32897c40d46f91183",
        "8cc984959ebe28bcb75d6bd6d810767e",
    ]
    assert one.stack_uids[3:] != other.stack_uids[3:]
    assert one.peek(f"/stacks/{EXAMPLE}") == other.peek(f"/stacks/{EXAMPLE}")


# -- the route table against the blueprint ------------------------------------------------------

SPEC = _spec.blueprint_path(_spec.V3)


def _blueprint_operations() -> set[tuple[str, str, str]]:
    return {
        (op.method, re.sub(r"\{\w+\}", "{}", op.path), op.scope or "") for op in blueprint("v3")
    }


def test_route_table_matches_the_blueprint() -> None:
    assert SPEC.is_file(), f"the vendored API Blueprint is missing at {SPEC}"
    names = {route.name for route in ROUTES}
    assert len(names) == 53
    table = {(r.method, re.sub(r"\{\w+\}", "{}", r.template), r.scope) for r in ROUTES}
    assert _blueprint_operations() <= table
    assert len(_blueprint_operations()) == 52  # New and Import Backup share method and path
