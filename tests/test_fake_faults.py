"""FakeCloud66's injected faults, observed by a raw aiohttp client: every kind, matching rules,
counting, and that resets really break the connection."""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from cloud66_async.testing import FakeCloud66, FaultKind

pytestmark = pytest.mark.anyio

EXAMPLE = "5999b763474b0eafa5fafb64bff0ba80"
ACTIONS = f"/stacks/{EXAMPLE}/actions"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    async with FakeCloud66(stacks=2, action_delay=0.02) as server:
        yield server


@pytest.fixture
async def session(fake: FakeCloud66) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {fake.token}"}
    async with aiohttp.ClientSession(
        headers=headers, timeout=aiohttp.ClientTimeout(total=5)
    ) as client:
        yield client


async def fetch(
    session: aiohttp.ClientSession, fake: FakeCloud66, method: str, path: str, **kwargs: Any
) -> tuple[int, Any, bytes]:
    async with session.request(method, fake.base_url + path, **kwargs) as response:
        return response.status, response.headers, await response.read()


async def test_status_fault_sends_the_given_answer(
    fake: FakeCloud66, session: aiohttp.ClientSession
) -> None:
    fake.inject_fault(
        "GET", "/stacks", "status", status=418, body={"error": "teapot"}, headers={"X-Why": "test"}
    )
    status, headers, body = await fetch(session, fake, "GET", "/stacks")
    assert status == 418
    assert json.loads(body) == {"error": "teapot"}
    assert headers["X-Why"] == "test"
    assert headers["Content-Type"].startswith("application/json")
    assert "X-RateLimit-Remaining" in headers
    # Used up: the next request is answered normally.
    assert (await fetch(session, fake, "GET", "/stacks"))[0] == 200
    assert [(r.fault, r.status) for r in fake.request_log] == [("status", 418), (None, 200)]


async def test_status_fault_default_body(fake: FakeCloud66, session: aiohttp.ClientSession) -> None:
    fake.inject_fault("GET", "/stacks", FaultKind.STATUS, status=408)
    status, _, body = await fetch(session, fake, "GET", "/stacks")
    assert status == 408
    assert json.loads(body)["error"] == "time_out"
    fake.inject_fault("GET", "/stacks", "status")
    status, _, body = await fetch(session, fake, "GET", "/stacks")
    assert status == 500
    fake.inject_fault("GET", "/stacks", "status", body="plain words")
    async with session.get(fake.base_url + "/stacks") as response:
        assert response.content_type == "text/plain"
        assert await response.text() == "plain words"


async def test_faults_apply_before_auth_and_change_nothing(fake: FakeCloud66) -> None:
    fake.inject_fault("POST", ACTIONS, "status", status=502)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as anonymous,
        anonymous.post(fake.base_url + ACTIONS, json={"command": "restart"}) as response,
    ):
        assert response.status == 502
    assert fake.peek(ACTIONS)[0]["id"] == 10  # no action was started
    assert fake.request_log[-1].status == 502


async def test_html_fault(fake: FakeCloud66, session: aiohttp.ClientSession) -> None:
    fake.inject_fault("GET", "/stacks", "html")
    async with session.get(fake.base_url + "/stacks") as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert "<title>502 Bad Gateway</title>" in await response.text()


async def test_invalid_json_fault(fake: FakeCloud66, session: aiohttp.ClientSession) -> None:
    fake.inject_fault("GET", "/stacks", "invalid_json")
    status, headers, body = await fetch(session, fake, "GET", "/stacks")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(body)


async def test_truncated_json_fault(fake: FakeCloud66, session: aiohttp.ClientSession) -> None:
    _, _, whole = await fetch(session, fake, "GET", "/stacks")
    fake.inject_fault("GET", "/stacks", "truncated_json")
    status, headers, body = await fetch(session, fake, "GET", "/stacks")
    assert status == 200
    assert int(headers["Content-Length"]) == len(body) == len(whole) // 2
    assert whole.startswith(body)
    with pytest.raises(ValueError):
        json.loads(body)


async def test_not_implemented_fault(fake: FakeCloud66, session: aiohttp.ClientSession) -> None:
    fake.inject_fault("GET", "/clouds", "not_implemented")
    status, headers, body = await fetch(session, fake, "GET", "/clouds")
    assert status == 503
    assert json.loads(body)["error"] == "not_implemented"
    assert "Retry-After" not in headers


@pytest.mark.parametrize("mode", ["seconds", "fractional", "http-date", "none"])
async def test_throttled_fault_follows_the_retry_after_mode(mode: str) -> None:
    async with (
        FakeCloud66(stacks=1, retry_after=mode) as fake,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
    ):
        fake.inject_fault("GET", "/stacks", "throttled", retry_after=0.25)
        status, headers, body = await fetch(session, fake, "GET", "/stacks")
        assert status == 503
        assert json.loads(body)["error"] == "throttled"
        value = headers.get("Retry-After")
        if mode == "seconds":
            assert value == "1"
        elif mode == "fractional":
            assert value == "0.250"
        elif mode == "http-date":
            assert value is not None
            moment = email.utils.parsedate_to_datetime(value).timestamp()
            assert time.time() - 1 <= moment <= time.time() + 2
        else:
            assert value is None


async def test_throttled_fault_headers_override(
    fake: FakeCloud66, session: aiohttp.ClientSession
) -> None:
    fake.inject_fault("GET", "/stacks", "throttled", headers={"Retry-After": "0.05"})
    _, headers, _ = await fetch(session, fake, "GET", "/stacks")
    assert headers["Retry-After"] == "0.05"


async def test_latency_fault_delays_a_normal_answer(
    fake: FakeCloud66, session: aiohttp.ClientSession
) -> None:
    fake.inject_fault("POST", ACTIONS, "latency", delay=0.1)
    started = time.monotonic()
    status, _, body = await fetch(session, fake, "POST", ACTIONS, json={"command": "restart"})
    assert time.monotonic() - started >= 0.1
    assert status == 200
    assert json.loads(body)["response"]["action"] == "restart"


async def test_slow_body_sends_headers_first(
    fake: FakeCloud66, session: aiohttp.ClientSession
) -> None:
    fake.inject_fault("GET", "/stacks", "slow_body", delay=0.2)
    started = time.monotonic()
    async with session.get(fake.base_url + "/stacks") as response:
        headers_after = time.monotonic() - started
        body = await response.read()
        body_after = time.monotonic() - started
    assert response.status == 200
    assert headers_after < 0.15
    assert body_after >= 0.2
    assert int(response.headers["Content-Length"]) == len(body)
    assert len(json.loads(body)["response"]) == 2


async def test_reset_before_breaks_the_connection(
    fake: FakeCloud66, session: aiohttp.ClientSession
) -> None:
    fake.inject_fault("POST", ACTIONS, "reset_before")
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(session, fake, "POST", ACTIONS, json={"command": "restart"})
    assert fake.peek(ACTIONS)[0]["id"] == 10  # nothing was done
    logged = fake.request_log[-1]
    assert (logged.fault, logged.status, logged.json) == (
        "reset_before",
        None,
        {"command": "restart"},
    )


async def test_reset_before_on_get_needs_two_for_aiohttp(
    fake: FakeCloud66, session: aiohttp.ClientSession
) -> None:
    # aiohttp's client retries an idempotent request once when the connection drops.
    fake.inject_fault("GET", "/stacks", "reset_before", times=2)
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(session, fake, "GET", "/stacks")
    assert [r.status for r in fake.request_log] == [None, None]


async def test_reset_during_breaks_the_body(
    fake: FakeCloud66, session: aiohttp.ClientSession
) -> None:
    fake.inject_fault("POST", ACTIONS, "reset_during")
    async with session.post(fake.base_url + ACTIONS, json={"command": "restart"}) as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    # A delivery fault: the write itself went through.
    assert fake.peek(ACTIONS)[0]["action"] == "restart"
    assert fake.request_log[-1].status is None


async def test_matching_by_regex_wildcard_and_times(
    fake: FakeCloud66, session: aiohttp.ClientSession
) -> None:
    fake.inject_fault("*", re.compile(r"/stacks/[^/]+/actions"), "status", status=500, times=2)
    assert (await fetch(session, fake, "GET", ACTIONS + ".json"))[0] == 500
    assert (await fetch(session, fake, "GET", "/stacks"))[0] == 200  # not matching
    assert len(fake.pending_faults) == 1
    assert (await fetch(session, fake, "POST", ACTIONS, json={"command": "restart"}))[0] == 500
    assert fake.pending_faults == []
    assert (await fetch(session, fake, "GET", ACTIONS))[0] == 200
    fake.inject_fault("GET", "/stacks", "status", status=503, times=None)
    for _ in range(3):
        assert (await fetch(session, fake, "GET", "/stacks"))[0] == 503
    assert (await fetch(session, fake, "DELETE", "/stacks"))[0] == 404  # other method
    fake.clear_faults()
    assert (await fetch(session, fake, "GET", "/stacks"))[0] == 200


async def test_faults_match_the_early_prefix_too(fake: FakeCloud66) -> None:
    fake.inject_fault("GET", "/stacks", "status", status=500)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(
            fake.url + "/api/v3/stacks", headers={"Authorization": f"Bearer {fake.token}"}
        ) as response,
    ):
        assert response.status == 500


def test_unknown_fault_kind_is_rejected() -> None:
    fake = FakeCloud66(stacks=0)
    with pytest.raises(ValueError, match="explode"):
        fake.inject_fault("GET", "/stacks", "explode")
