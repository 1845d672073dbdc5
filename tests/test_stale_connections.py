"""A write on a kept-alive connection the server has just closed (issue 14, item 7).

aiohttp keeps reusing a pooled connection until its event loop has processed the server's FIN,
so a POST sent right then went into a dead socket and failed as if its answer had been lost.
Now a reused connection is checked before it carries a POST/PUT/PATCH/DELETE, and a request
aiohttp reports as never written (the connection was closing at its first write) is sent again
on a fresh connection; a request that may have arrived is still never sent twice. The server
counts what it received; every case is bounded in seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import anyio
import pytest
from _hostile import Conn, HostileServer, Request, head

from cloud66_async import Client, Hooks, RequestEvent, RetryEvent, RetryPolicy, TransportError

pytestmark = pytest.mark.anyio

BODY = b'{"response": {"ok": true}}'


async def answer(request: Request, conn: Conn) -> bool:
    """Answer and keep the connection open for the next request."""
    await conn.send(head(200, {"Content-Length": str(len(BODY))}) + BODY)
    return True


def client_of(server: HostileServer, **options: Any) -> Client:
    options.setdefault("rate_limit", None)
    return Client("stale-token", base_url=server.base_url, **options)


def payload(method: str) -> dict[str, int] | None:
    return None if method in ("GET", "DELETE") else {"n": 2}


@pytest.mark.parametrize("first", ["POST", "GET"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_a_write_after_the_server_closed_the_idle_connection_takes_a_fresh_one(
    method: str, first: str
) -> None:
    """The server closes the kept-alive connection just before the second request (the
    client's loop is held meanwhile, so the FIN is not yet processed): the request goes out
    once, on a new connection, with no retry to spend. The same when the connection was opened
    by a GET (which skips the check itself)."""
    with HostileServer(answer) as server:
        seen: list[RequestEvent] = []

        def on_request(event: RequestEvent) -> None:
            seen.append(event)
            if len(seen) == 2:
                assert server.close_idle() == 1

        async with client_of(
            server, retry=RetryPolicy.none(), hooks=Hooks(on_request=on_request)
        ) as client:
            with anyio.fail_after(10):
                await client.request(first, "/first", json=payload(first))
                assert await client.request(method, "/second", json=payload(method)) == {"ok": True}
        assert [(r.method, r.path) for r in server.requests] == [
            (first, "/api/3/first"),
            (method, "/api/3/second"),
        ]
        assert server.connections == 2


async def test_only_writes_on_a_reused_connection_poll_its_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GETs take aiohttp's connect as it is (no poll, no extra coroutine); a write on a pooled
    connection polls it once, and a write on the connection it just opened does not."""
    from cloud66_async import _transport

    polled: list[bool] = []
    real = _transport._peer_done

    def counting(conn: Any) -> bool:
        polled.append(real(conn))
        return polled[-1]

    monkeypatch.setattr(_transport, "_peer_done", counting)
    with HostileServer(answer) as server:
        async with client_of(server, retry=RetryPolicy.none()) as client:
            with anyio.fail_after(10):
                await client.request("POST", "/opened")  # a new connection: nothing to poll
                assert polled == []
                for _ in range(3):
                    await client.request("GET", "/read")
                assert polled == []
                await client.request("PUT", "/write", json={"n": 1})
                assert polled == [False]
        assert server.connections == 1
        assert len(server.requests) == 5


async def test_a_get_on_a_connection_the_server_closed_is_answered() -> None:
    """A GET is not checked before it goes: when it meets the dead socket it is sent again
    (GET is safe to repeat), and the call still gets its answer."""
    with HostileServer(answer) as server:
        seen: list[RequestEvent] = []

        def on_request(event: RequestEvent) -> None:
            seen.append(event)
            if len(seen) == 2:
                assert server.close_idle() == 1

        async with client_of(
            server, retry=RetryPolicy(retries=1), hooks=Hooks(on_request=on_request)
        ) as client:
            with anyio.fail_after(10):
                await client.request("GET", "/first")
                assert await client.request("GET", "/second") == {"ok": True}
        assert [r.path for r in server.requests] == ["/api/3/first", "/api/3/second"]
        assert len(seen) <= 3


def close_before_first_write(server: HostileServer) -> tuple[aiohttp.TraceConfig, list[int]]:
    """A trace callback that yields between handing out the connection and writing the second
    request's first byte, while the server closes the idle connection: the client's loop
    processes the FIN in between."""
    count = [0]

    async def on_headers(*_: object) -> None:
        count[0] += 1
        if count[0] == 2:
            assert server.close_idle() == 1
            await asyncio.sleep(0.2)

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_headers)
    return trace, count


async def test_a_request_found_unwritten_is_sent_again_once_on_a_fresh_connection() -> None:
    """aiohttp fails the first write on the closing transport (a DELETE, whose headers are its
    only write, reports it as such): the request certainly never left, so it is sent again."""
    with HostileServer(answer) as server:
        trace, count = close_before_first_write(server)
        retries: list[RetryEvent] = []
        async with client_of(
            server, trace_configs=[trace], hooks=Hooks(on_retry=retries.append)
        ) as client:
            with anyio.fail_after(10):
                await client.request("POST", "/first", json={"n": 1})
                assert await client.request("DELETE", "/second") == {"ok": True}
        assert [r.path for r in server.requests] == ["/api/3/first", "/api/3/second"]
        assert len(retries) == 1 and count[0] == 3
        assert server.connections == 2


async def test_a_request_found_unwritten_says_so_when_no_retry_is_left() -> None:
    with HostileServer(answer) as server:
        trace, _ = close_before_first_write(server)
        async with client_of(server, trace_configs=[trace], retry=RetryPolicy.none()) as client:
            with anyio.fail_after(10):
                await client.request("POST", "/first", json={"n": 1})
                with pytest.raises(TransportError, match="before DELETE .* was written") as caught:
                    await client.request("DELETE", "/second")
        assert caught.value.sent is False
        assert len(server.requests) == 1


async def test_a_post_aiohttp_reports_as_disconnected_is_not_sent_again() -> None:
    """The same moment for a POST: aiohttp writes its body in a task and reports the closed
    connection as ServerDisconnectedError, exactly as for an answer lost after the POST
    arrived. Nothing tells the two apart, so it is not sent again (``sent=True``)."""
    with HostileServer(answer) as server:
        trace, count = close_before_first_write(server)
        async with client_of(server, trace_configs=[trace], retry=RetryPolicy(retries=3)) as client:
            with anyio.fail_after(10):
                await client.request("POST", "/first", json={"n": 1})
                with pytest.raises(TransportError) as caught:
                    await client.request("POST", "/second", json={"n": 2})
        assert caught.value.sent is True
        assert count[0] == 2  # no second attempt
        assert len(server.requests) == 1


@pytest.mark.parametrize("reused", [False, True])
async def test_a_post_the_server_read_and_then_dropped_is_never_sent_again(reused: bool) -> None:
    """The server read the POST, then closed without answering: it may have processed it, so
    it is a TransportError (``sent=True``), whatever retries are left."""

    async def read_then_drop(request: Request, conn: Conn) -> bool:
        if request.path.endswith("/first"):
            return await answer(request, conn)
        return False  # close without a byte of answer

    with HostileServer(read_then_drop) as server:
        async with client_of(server, retry=RetryPolicy(retries=3)) as client:
            with anyio.fail_after(10):
                if reused:
                    await client.request("POST", "/first", json={"n": 1})
                with pytest.raises(TransportError) as caught:
                    await client.request("POST", "/second", json={"n": 2})
        assert caught.value.sent is True
        assert [r.path for r in server.requests].count("/api/3/second") == 1
