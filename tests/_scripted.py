"""A loopback HTTP server that answers what a test scripts, for cases FakeCloud66 does not model.

Each test gives it a handler ``(request) -> Reply``; the server records every request it got,
with the loop time it arrived. Used for answers no real API sends on purpose (an offset
timestamp, a warning header, ``X-RateLimit-Remaining: 0`` on every answer).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from aiohttp import web

__all__ = ["Reply", "ScriptedServer"]


@dataclass(frozen=True)
class Reply:
    """One answer: status, headers and a JSON body (or raw bytes)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class Seen:
    """A request the server received."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    at: float


Handler = Callable[[Seen], Reply | Awaitable[Reply]]


class ScriptedServer:
    """``async with ScriptedServer(handler) as server: server.base_url ...``"""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.seen: list[Seen] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(
            request.method,
            request.path,
            dict(request.query),
            await request.read(),
            anyio.current_time(),
        )
        self.seen.append(seen)
        reply = self.handler(seen)
        if not isinstance(reply, Reply):
            reply = await reply
        if reply.delay:
            await anyio.sleep(reply.delay)
        return web.Response(
            status=reply.status,
            body=reply.payload(),
            headers={"Content-Type": "application/json", **reply.headers},
        )

    async def __aenter__(self) -> ScriptedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/3"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


def stack(uid: str = "s1", **fields: Any) -> dict[str, Any]:
    """A minimal stack object."""
    return {"uid": uid, "name": f"name-{uid}", "environment": "production", **fields}
