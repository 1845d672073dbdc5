"""A benchmark server that costs close to nothing, in its own process, for client-cost benchmarks.

    python benchmarks/_cheap_server.py [--pages 200] [--per-page 30] [--loop auto|asyncio|uvloop]
                                       [--impl protocol|aiohttp]

At start-up it asks a ``FakeCloud66`` (in this process, over loopback, then closed) for three
real answers: the blueprint's example ``Stack`` (with its ``" UTC"`` timestamps beside the ISO
ones), a page of 30 servers and the first page of the stack list. From them it builds, once,
the whole HTTP/1.1 responses it will send: the stack, the small list, and ``--pages`` pages of
``--per-page`` servers (copies of the real ones under fresh uids and names, in the fake's own
envelope and key order). Serving a request is then: find the end of the head, split the request
line, look the path up in a dict, write prebuilt bytes. Keep-alive is HTTP/1.1's default;
``Connection: close`` is honoured.

Routes (under ``/api/3``; anything else gets a JSON 404):

* ``GET /stacks/{uid}`` -> the stack;
* ``GET /stacks/{uid}/servers?page=N`` -> page N of ``--pages`` (no ``page``: page 1);
* ``GET /stacks?page=N`` -> the small list (one page).

The request's headers are not checked (no token, no ``Accept``): a benchmark server that read
them would be measuring itself. A request body is skipped by its ``Content-Length`` (chunked
bodies are not understood: the SDK's GETs send none). Every answer carries the headers the fake
sends that the SDK reads (``Content-Type``, ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``,
``X-Request-ID``), with fixed values.

``--impl aiohttp`` serves the same prebuilt bodies through ``aiohttp.web`` instead, only to
show what the protocol server saves (``bench_server.py``).

Once listening it writes one JSON line on stdout, ``{"base_url", "token", "stack_uid",
"pages", "per_page", "loop", "impl", "pid"}``, then answers JSON commands on stdin, one JSON line
each: ``{"cmd": "stats"}`` -> ``{"requests", "connections", "cpu": process_time, "user", "system"}``
(this process's CPU seconds, in all and split into user and kernel time, so a benchmark can
show what the server cost per request), ``{"cmd": "quit"}``. End of
stdin stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

API = "/api/3"
TOKEN = "bench-token"  # never checked: see the module docstring
MAX_HEAD = 64 * 1024  # a client that sends more without a blank line is cut off


@dataclass(frozen=True)
class Bodies:
    """The answer bodies, serialised once."""

    stack_uid: str
    stack: bytes
    stack_list: bytes
    pages: list[bytes]


async def fetch_real(per_page: int) -> tuple[str, Any, Any, Any]:
    """The fake's real answers: (stack uid, stack answer, servers page, stack-list page)."""
    import aiohttp

    from cloud66_async.testing import FakeCloud66

    async with FakeCloud66(stacks=3, servers_per_stack=per_page, per_page=per_page) as fake:
        uid = fake.stack_uids[0]  # the blueprint's example stack, seeded first
        headers = {"Authorization": f"Bearer {fake.token}"}
        answers = []
        async with aiohttp.ClientSession(headers=headers) as session:
            for path in (f"/stacks/{uid}", f"/stacks/{uid}/servers?page=1", "/stacks?page=1"):
                async with session.get(fake.base_url + path) as resp:
                    resp.raise_for_status()
                    answers.append(json.loads(await resp.read()))
    return uid, answers[0], answers[1], answers[2]


def _compact(value: Any) -> bytes:
    # The fake writes compact JSON (no spaces): keep its bytes' length and shape.
    return json.dumps(value, separators=(",", ":")).encode()


def build_bodies(
    uid: str, stack: Any, page: Any, stack_list: Any, *, pages: int, per_page: int
) -> Bodies:
    """Serialise the stack, the small list and ``pages`` pages of ``per_page`` servers."""
    seeded = page["response"]
    if not seeded:
        raise SystemExit("the fake served an empty page of servers")
    total = pages * per_page
    bodies = []
    for number in range(1, pages + 1):
        items = []
        for i in range(per_page):
            item = dict(seeded[i % len(seeded)])
            serial = (number - 1) * per_page + i
            item["uid"] = f"{0xBE0C << 96 | serial:032x}"
            item["name"] = f"{item.get('name') or 'server'}-{serial}"
            items.append(item)
        envelope = dict(page)  # the fake's own keys, in its order
        envelope["response"] = items
        if "count" in envelope:
            envelope["count"] = len(items)
        pagination = dict(page["pagination"])
        pagination.update(
            previous=number - 1 if number > 1 else None,
            next=number + 1 if number < pages else None,
            current=number,
            per_page=per_page,
            count=total,
            pages=pages,
        )
        envelope["pagination"] = pagination
        bodies.append(_compact(envelope))
    return Bodies(uid, _compact(stack), _compact(stack_list), bodies)


_HEAD = (
    "HTTP/1.1 {status}\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Content-Length: {length}\r\n"
    "X-RateLimit-Limit: 3600\r\n"
    "X-RateLimit-Remaining: 3599\r\n"
    "X-Request-ID: 0451dd32-83a4-3a0e-1536-a43329e7389e\r\n"
    "\r\n"
)


def http_response(body: bytes, status: str = "200 OK") -> bytes:
    """A whole HTTP/1.1 response: head and body."""
    return _HEAD.format(status=status, length=len(body)).encode("ascii") + body


NOT_FOUND_BODY = _compact({"error": "not_found", "error_description": "no such benchmark route"})


class Router:
    """Maps a request target to prebuilt bytes (whole responses, or bodies for aiohttp.web)."""

    def __init__(self, bodies: Bodies, wrap: Callable[[bytes], Any]) -> None:
        stack_path = f"{API}/stacks/{bodies.stack_uid}".encode()
        self.exact: dict[bytes, Any] = {
            stack_path: wrap(bodies.stack),
            f"{API}/stacks".encode(): wrap(bodies.stack_list),
        }
        self.paged: dict[bytes, list[Any]] = {
            stack_path + b"/servers": [wrap(body) for body in bodies.pages]
        }
        self.not_found = wrap(NOT_FOUND_BODY)

    def route(self, target: bytes) -> tuple[bool, Any]:
        """(found, prebuilt answer) for a request target (path and query)."""
        q = target.find(b"?")
        path = target if q < 0 else target[:q]
        answer = self.exact.get(path)
        if answer is not None:
            return True, answer
        pages = self.paged.get(path)
        if pages is None:
            return False, self.not_found
        number = 1
        if q >= 0:
            for part in target[q + 1 :].split(b"&"):
                if part.startswith(b"page="):
                    try:
                        number = int(part[5:])
                    except ValueError:
                        return False, self.not_found
        if 1 <= number <= len(pages):
            return True, pages[number - 1]
        return False, self.not_found


class Stats:
    requests = 0
    connections = 0  # opened since start (the protocol server only)


class CheapHTTP(asyncio.Protocol):
    """One connection: parse request heads, write prebuilt responses."""

    def __init__(self, router: Router, stats: type[Stats]) -> None:
        self._router = router
        self._stats = stats
        self._transport: asyncio.Transport | None = None
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have the same methods.
        self._transport = transport  # type: ignore[assignment]
        self._stats.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        transport = self._transport
        if transport is None:
            return
        if self._buffer:
            data = self._buffer + data
        start = 0
        router = self._router
        while True:
            end = data.find(b"\r\n\r\n", start)
            if end < 0:
                break
            line_end = data.find(b"\r\n", start)
            parts = data[start:line_end].split(b" ")
            if len(parts) != 3:
                transport.write(http_response(b"", "400 Bad Request"))
                transport.close()
                return
            method, target = parts[0], parts[1]
            head_end = end + 4
            body_length = 0
            head = data[line_end:end]
            if method != b"GET" or b"onnection" in head:
                lowered = head.lower()
                at = lowered.find(b"\r\ncontent-length:")
                if at >= 0:
                    stop = lowered.find(b"\r\n", at + 2)
                    body_length = int(lowered[at + 17 : stop if stop >= 0 else None])
                if len(data) < head_end + body_length:
                    break  # the body has not all arrived yet
                close = b"\r\nconnection: close" in lowered
            else:
                close = False
            start = head_end + body_length
            found, answer = router.route(target)
            self._stats.requests += 1
            if not found and method != b"GET":
                answer = http_response(b"", "405 Method Not Allowed")
            transport.write(answer)
            if close:
                transport.close()
                return
        self._buffer = data[start:]
        if len(self._buffer) > MAX_HEAD:
            transport.close()


def _aiohttp_app(router: Router, stats: type[Stats]) -> Any:
    from aiohttp import web

    headers = {"X-RateLimit-Limit": "3600", "X-RateLimit-Remaining": "3599"}
    headers["X-Request-ID"] = "0451dd32-83a4-3a0e-1536-a43329e7389e"

    async def handle(request: web.Request) -> web.Response:
        found, body = router.route(request.path_qs.encode())
        stats.requests += 1
        return web.Response(
            body=body,
            status=200 if found else 404,
            headers=headers,
            content_type="application/json",
            charset="utf-8",
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def _write(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _control() -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        try:
            name = json.loads(line)["cmd"]
            if name == "quit":
                _write({"ok": True})
                return
            if name == "stats":
                times = os.times()
                _write(
                    {
                        "requests": Stats.requests,
                        "connections": Stats.connections,
                        "cpu": time.process_time(),
                        "user": times.user,
                        "system": times.system,
                    }
                )
            else:
                _write({"error": f"unknown command {name!r}"})
        except Exception as exc:  # report and keep serving; the caller decides
            _write({"error": f"{type(exc).__name__}: {exc}"})


async def _serve(options: argparse.Namespace, loop_name: str) -> None:
    uid, stack, page, stack_list = await fetch_real(options.per_page)
    bodies = build_bodies(
        uid, stack, page, stack_list, pages=options.pages, per_page=options.per_page
    )
    loop = asyncio.get_running_loop()
    if options.impl == "protocol":
        router = Router(bodies, http_response)
        router.not_found = http_response(NOT_FOUND_BODY, "404 Not Found")
        server = await loop.create_server(
            lambda: CheapHTTP(router, Stats), "127.0.0.1", 0, backlog=1024
        )
        port = server.sockets[0].getsockname()[1]
        closer: Callable[[], Any] = server.close
    else:
        from aiohttp import web

        runner = web.AppRunner(_aiohttp_app(Router(bodies, lambda b: b), Stats), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        closer = runner.cleanup
    _write(
        {
            "base_url": f"http://127.0.0.1:{port}{API}",
            "token": TOKEN,
            "stack_uid": uid,
            "pages": options.pages,
            "per_page": options.per_page,
            "page_bytes": len(bodies.pages[0]),
            "stack_bytes": len(bodies.stack),
            "loop": loop_name,
            "impl": options.impl,
            "pid": os.getpid(),
        }
    )
    try:
        await _control()
    finally:
        result = closer()
        if asyncio.iscoroutine(result):
            await result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--per-page", type=int, default=30)
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="auto: uvloop when it is installed (about 15%% less CPU per request, see "
        "bench_server.py), else asyncio",
    )
    parser.add_argument("--impl", choices=("protocol", "aiohttp"), default="protocol")
    options = parser.parse_args(argv)
    loop_name = "asyncio"
    if options.loop != "asyncio":
        try:
            import uvloop
        except ImportError:
            if options.loop == "uvloop":
                raise
        else:
            loop_name = "uvloop"
            uvloop.run(_serve(options, loop_name))
            return
    asyncio.run(_serve(options, loop_name))


if __name__ == "__main__":
    main()
