"""A loopback HTTP/1.1 server that misbehaves on purpose, on raw sockets in its own thread.

``FakeCloud66`` and ``ScriptedServer`` (aiohttp.web) always speak correct HTTP. The hostile cases
need what aiohttp.web will not do: a ``Content-Length`` that lies, a body that never ends, a
compressed bomb, a keep-alive connection closed at the worst moment, a request read and then
dropped. Each test gives a handler ``async (request, conn) -> bool`` that writes whatever it
likes on ``conn`` and returns whether to keep the connection for another request.

The server runs its own event loop in a thread, so that it keeps acting while the client's loop
is blocked (a test that must hold the client still while the server closes a connection).
Everything it saw is counted: connections, requests (with their bodies), bytes sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = [
    "Conn",
    "HostileServer",
    "Request",
    "chunk",
    "gzip_spaces",
    "head",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """One request the server read in full."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(eq=False)
class Conn:
    """The server's side of one connection, as a handler sees it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    server: HostileServer
    requests: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, data: bytes) -> None:
        """Write ``data`` and wait until the socket takes it (the client reads or we block)."""
        self.writer.write(data)
        self.server.bytes_sent += len(data)
        await self.writer.drain()

    def close(self) -> None:
        """Close the connection (FIN)."""
        self.writer.close()


Handler = Callable[[Request, Conn], Awaitable[bool]]


def head(status: int = 200, headers: dict[str, str] | None = None) -> bytes:
    """A status line and headers (a JSON content type unless given)."""
    fields = {"Content-Type": "application/json", **(headers or {})}
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (``b""`` gives the last one)."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def gzip_spaces(block: int = 1 << 20) -> tuple[bytes, bytes]:
    """A gzip stream of spaces built from two pieces: ``first`` then ``again`` any number of
    times, each adding ``block`` spaces (a full flush resets the compressor, so every later
    block compresses to the same bytes). 1 GiB of spaces is ``first + again * 1023``, about
    1 MB. No trailer: a client that honours its cap never reaches the end."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    spaces = b" " * block
    first = compressor.compress(spaces) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(spaces) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert again == compressor.compress(spaces) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first, again


class HostileServer:
    """``with HostileServer(handler) as server: ... server.base_url``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.connections = 0
        self.bytes_sent = 0
        self.base_url = ""
        self._conns: set[Conn] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._server = self.call(asyncio.start_server(self._serve, "127.0.0.1", 0))
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/api/3"
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for conn in list(self._conns):
                conn.writer.transport.abort()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.call(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def call(self, coro: Awaitable[T], timeout: float = 10.0) -> T:
        """Run a coroutine in the server's loop and wait for it (from any other thread)."""

        async def run() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def close_idle(self) -> int:
        """Close every connection waiting for its next request; return how many. Blocks the
        calling thread (the client's loop, when called from a hook) until they are closed."""

        async def close() -> int:
            idle = [c for c in self._conns if c.idle.is_set()]
            for conn in idle:
                conn.close()
            return len(idle)

        return self.call(close())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = Conn(reader, writer, self)
        self._conns.add(conn)
        try:
            while True:
                conn.idle.set()
                request = await self._read(reader)
                conn.idle.clear()
                if request is None:
                    return
                self.requests.append(request)
                conn.requests += 1
                if not await self.handler(request, conn):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: that is what most hostile cases end with
        except asyncio.CancelledError:
            pass  # the server is stopping
        finally:
            self._conns.discard(conn)
            with contextlib.suppress(Exception):
                writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Request | None:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = raw.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return Request(method, path, headers, body)
