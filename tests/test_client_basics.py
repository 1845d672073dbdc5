"""The client against FakeCloud66 over loopback: configuration, headers, secrets, closing."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import aiohttp
import pytest

import cloud66_async as c66
from cloud66_async import Client, ClientClosedError, ConfigError, NotFoundError
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

EXAMPLE_STACK = "5999b763474b0eafa5fafb64bff0ba80"


def test_no_token_is_a_config_error_before_any_io(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no Cloud 66 token"):
        Client(_env={}, _home=tmp_path)


def test_token_sources_in_order(tmp_path: Path) -> None:
    (tmp_path / ".cloud66").mkdir()
    (tmp_path / ".cloud66" / "cx.json").write_text(json.dumps({"AccessToken": "from-file"}))
    env = {"CLOUD66_ACCESS_TOKEN": "from-env"}
    assert Client("arg", _env=env, _home=tmp_path)._shared.token == "arg"
    assert Client(_env=env, _home=tmp_path)._shared.token == "from-env"
    assert Client(_env={}, _home=tmp_path)._shared.token == "from-file"


def test_bad_token_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".cloud66").mkdir()
    (tmp_path / ".cloud66" / "cx.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cx.json"):
        Client(_env={}, _home=tmp_path)


def test_base_url_sources_and_http_refused(tmp_path: Path) -> None:
    env = {"CLOUD66_ACCESS_TOKEN": "t", "CLOUD66_URL": "http://127.0.0.1:9/api/3"}
    assert Client(_env=env, _home=tmp_path).base_url == "http://127.0.0.1:9/api/3"
    assert Client("t", _env={}, _home=tmp_path).base_url == "https://app.cloud66.com/api/3"
    with pytest.raises(ConfigError, match="http://"):
        Client("t", base_url="http://app.cloud66.com/api/3", _env={}, _home=tmp_path)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_concurrency": 0},
        {"timeout": "soon"},
        {"retry": 3},
        {"rate_limit": 3000},
        {"account_id": 1.5},
        {"hooks": {"on_request": print}},
    ],
)
def test_bad_settings_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Client("t", base_url="http://127.0.0.1:9/api/3", **kwargs)  # type: ignore[arg-type]


def test_repr_never_shows_the_token() -> None:
    client = Client("s3cr3t-t0ken", base_url="http://127.0.0.1:9/api/3", account_id=7)
    assert "s3cr3t" not in repr(client)
    assert "s3cr3t" not in repr(client.with_options(max_concurrency=3))
    assert "account_id='7'" in repr(client)


async def test_headers_sent(fake: FakeCloud66) -> None:
    async with fake.client(account_id=42) as client:
        await client.stacks.get(EXAMPLE_STACK)
        await client.stacks.get(EXAMPLE_STACK)
    first, second = fake.requests("GET")[-2:]
    headers = {k.lower(): v for k, v in first.headers.items()}
    assert headers["authorization"] == f"Bearer {fake.token}"
    assert headers["accept"] == "application/json"
    assert headers["x-account"] == "42"
    ua = headers["user-agent"]
    assert ua.startswith(f"cloud66_async/{c66.__version__} Python/")
    assert f"aiohttp/{aiohttp.__version__}" in ua
    rid1 = headers["request-id"]
    rid2 = {k.lower(): v for k, v in second.headers.items()}["request-id"]
    assert rid1 and rid2 and rid1 != rid2


async def test_get_params_in_query_and_writes_as_json(fake: FakeCloud66, client: Client) -> None:
    await client.services.list(EXAMPLE_STACK, server_uid="abc").collect()
    listed = fake.requests("GET")[-1]
    assert listed.query["server_uid"] == "abc" and listed.query["page"] == "1"
    assert listed.json is None
    await client.env_vars.add(EXAMPLE_STACK, "NEW_KEY", "v")
    posted = fake.requests("POST")[-1]
    assert posted.json == {"key": "NEW_KEY", "value": "v"}
    assert posted.query == {}
    ctype = {k.lower(): v for k, v in posted.headers.items()}["content-type"]
    assert ctype.startswith("application/json")


async def test_request_id_kept_on_errors(fake: FakeCloud66, client: Client) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.stacks.get("no-such-stack")
    sent = fake.requests("GET")[-1]
    rid = {k.lower(): v for k, v in sent.headers.items()}["request-id"]
    assert info.value.request_id == rid
    assert rid in str(info.value)
    assert info.value.status == 404 and info.value.error == "not_found"
    assert info.value.method == "GET" and info.value.url.endswith("/stacks/no-such-stack")


@pytest.mark.parametrize("evil", ["../users", "..", "x?y=1", "a#b", "%2E%2E", "a/../../users"])
async def test_path_arguments_never_reach_another_endpoint(
    fake: FakeCloud66, client: Client, evil: str
) -> None:
    with pytest.raises(NotFoundError):
        await client.stacks.get(evil)
    sent = fake.requests("GET")[-1]
    # /api/3/stacks/<one segment>: the argument stayed one quoted segment.
    assert sent.raw_path.split("/")[:4] == ["", "api", "3", "stacks"]
    assert len(sent.raw_path.split("/")) == 5
    assert sent.status == 404


async def test_token_absent_from_logs(
    fake: FakeCloud66, debug_logs: pytest.LogCaptureFixture
) -> None:
    async with fake.client() as client:
        await client.stacks.list().first()
        with pytest.raises(NotFoundError) as info:
            await client.stacks.get("missing")
    text = debug_logs.text + str(info.value) + repr(info.value)
    assert debug_logs.records, "the SDK logged nothing at DEBUG"
    assert fake.token not in text
    assert all(r.name.startswith("cloud66_async") for r in debug_logs.records if r.levelno)
    logging.getLogger("cloud66_async").setLevel(logging.NOTSET)


async def test_closed_client_raises_clear_error(fake: FakeCloud66) -> None:
    client = fake.client()
    await client.stacks.list().first()
    await client.close()
    assert client.closed
    with pytest.raises(ClientClosedError, match="closed"):
        await client.stacks.get(EXAMPLE_STACK)


async def test_shared_session_is_not_closed(fake: FakeCloud66) -> None:
    async with aiohttp.ClientSession() as session:
        async with fake.client(session=session) as client:
            await client.stacks.get(EXAMPLE_STACK)
        assert not session.closed
        async with session.get(fake.base_url + "/stacks") as resp:
            assert resp.status == 401  # the session itself carries no token


async def test_request_escape_hatch(fake: FakeCloud66, client: Client) -> None:
    stack = await client.request("GET", f"/stacks/{EXAMPLE_STACK}")
    assert stack["uid"] == EXAMPLE_STACK
    with pytest.raises(ConfigError):
        await client.request("GET", "https://evil.example/stacks")
    with pytest.raises(ConfigError):
        await client.request("BREW", "/stacks")


async def test_connection_refused_is_transport_error() -> None:
    async with FakeCloud66() as fake:
        base = fake.base_url
        token = fake.token
    async with Client(
        token, base_url=base, retry=c66.RetryPolicy(retries=1, backoff=0.01)
    ) as client:
        with pytest.raises(c66.TransportError) as info:
            await client.stacks.get(EXAMPLE_STACK)
    assert info.value.sent is False
    assert token not in str(info.value)
