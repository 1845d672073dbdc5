"""The one I/O seam: a :class:`Transport` sends one HTTP request and returns the whole answer.

:class:`AiohttpTransport` is the SDK's own, and this module is the only one that imports
aiohttp. Every aiohttp/asyncio exception is translated here into :class:`TransportError` or
:class:`RequestTimeoutError`, with ``sent`` telling whether the request may have reached the
server. Reading the answer happens in one place (:meth:`AiohttpTransport._read`), which caps the
body at ``max_response_bytes`` while it streams in (counting decompressed bytes), so a huge,
endless or compressed-bomb answer costs at most the cap in memory.

A :class:`Client` takes another transport with ``Client(transport=...)``; the test suite uses
:class:`MockTransport` (after httpx's) to drive the whole request pipeline without sockets:

>>> def handler(request: HTTPRequest) -> HTTPResponse:
...     return HTTPResponse(200, {}, b'{"response": {"uid": "abc"}}')
>>> client = Client("token", transport=MockTransport(handler))      # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import select
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, Final, Protocol, TypeAlias, runtime_checkable

import aiohttp
import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._exceptions import (
    ClientClosedError,
    ConfigError,
    EventLoopError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TransportError,
)
from ._loop import running_loop
from ._options import Timeout
from ._sansio import HTTPResponse, Reply, redact_url

# Returns None outside a running loop (no exception to raise and catch on every request).
_get_running_loop = asyncio._get_running_loop

__all__ = [
    "AIOHTTP_VERSION",
    "AiohttpTransport",
    "ClientSession",
    "HTTPRequest",
    "HTTPResponse",
    "MockTransport",
    "TraceConfig",
    "Transport",
    "too_large",
]

#: The aiohttp types a Client takes (``session=``, ``trace_configs=``), named here so that no
#: other module needs to import aiohttp.
ClientSession: TypeAlias = aiohttp.ClientSession
TraceConfig: TypeAlias = aiohttp.TraceConfig
AIOHTTP_VERSION: Final = aiohttp.__version__


@attrs.frozen
class HTTPRequest:
    """One HTTP request as the pipeline hands it to a transport.

    ``url`` is absolute and already quoted (send it as is, never normalised); ``body`` is the
    JSON body's bytes, or ``None``. ``headers`` carry the token: never log them.
    """

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes | None = None


@runtime_checkable
class Transport(Protocol):
    """What the request pipeline needs from the network: send one request, read the answer.

    ``send`` returns the whole answer (any status: deciding what it means is not its job) or
    raises :class:`~cloud66_async.TransportError` (``sent=False`` only when the request
    certainly never left). ``close`` releases what the transport opened; the client calls it
    from :meth:`Client.close`.
    """

    async def send(self, request: HTTPRequest, *, timeout: Timeout) -> HTTPResponse:
        """Send ``request`` and return the whole answer, whatever its status."""
        ...

    async def close(self) -> None:
        """Release what the transport opened (connections, sessions it made)."""
        ...


class AiohttpTransport:
    """Sends requests over one ``aiohttp.ClientSession`` (made lazily, or the caller's own).

    The session it makes belongs to the event loop it was made in; using the transport from
    another loop (a second ``asyncio.run()``) raises :class:`EventLoopError`.
    ``max_response_bytes`` caps every answer body (after decompression; ``None``: no cap).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        connection_limit: int = 100,
        max_response_bytes: int | None = None,
    ) -> None:
        self._max_response_bytes = max_response_bytes
        self._session = session
        self._owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = getattr(session, "_loop", None)
        self._trace_configs = list(trace_configs or [])
        self._connection_limit = connection_limit
        self._closed = False
        # The last Timeout seen and aiohttp's form of it (a view's timeout rarely changes).
        self._timeout: Timeout | None = None
        self._client_timeout = aiohttp.ClientTimeout()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The session in use (``None`` before the first request of a transport that makes
        its own)."""
        return self._session

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this client is closed; make a new Client to send requests")
        loop = running_loop()
        session = self._session
        if session is None:
            # Made on first use, inside the running loop, so a Client can be built anywhere.
            session = self._session = aiohttp.ClientSession(
                connector=_Connector(limit=self._connection_limit),
                trace_configs=self._trace_configs or None,
                # We parse JSON ourselves and never follow redirects (see send()).
                auto_decompress=True,
            )
            self._loop = loop
            # aiohttp silently resends GET/PUT/DELETE once when a kept-alive connection drops
            # before the answer. The SDK decides about retries itself (a PUT or DELETE is never
            # sent twice), so that private switch is turned off on the session the SDK owns.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
            return session
        if self._loop is not None and self._loop is not loop:
            self._wrong_loop(session)
        if session.closed:
            raise ClientClosedError("the aiohttp session given to this client is closed")
        return session

    def _wrong_loop(self, session: aiohttp.ClientSession) -> None:
        """Refuse a session from another event loop, dropping it quietly when that loop is over."""
        old = self._loop
        assert old is not None
        closed = old.is_closed()
        if self._owns_session and closed:
            # Its loop is gone, so nothing can close it properly any more: let its sockets go
            # now, and make a fresh session if the client is used again in this loop, rather
            # than leave "unclosed session" warnings for the garbage collector.
            _discard(session)
            self._session = None
            self._loop = None
        raise EventLoopError(
            "this client's connections were opened in "
            + ("an event loop that is now closed" if closed else "another event loop")
            + " (a Client used from a second asyncio.run(), or from another thread's loop); "
            "make the Client inside the coroutine that uses it, or keep one event loop"
            + ("; it was reset and works in this loop from the next call" if closed else "")
        )

    async def send(self, request: HTTPRequest, *, timeout: Timeout) -> HTTPResponse:
        """Send one request and read the whole answer."""
        reply = await self.exchange(
            request.method, request.url, request.headers, request.body, timeout
        )
        return HTTPResponse(reply.status, reply.headers, reply.body)

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: Timeout,
    ) -> Reply:
        """:meth:`send` without the request and answer objects: what the pipeline calls when
        the transport is this class (not a subclass): two frozen attrs instances and a layer
        less a request (~4 us of client CPU, measured with ``benchmarks/ab_sdk.py``)."""
        session = self._session
        # The common case in two identity tests (a session made in this running loop, still
        # open); _get_session handles the first request, another loop, a closed client.
        if (
            session is None
            or self._closed
            or self._loop is not _get_running_loop()
            or session.closed
        ):
            session = self._get_session()
        if timeout is not self._timeout:
            self._timeout, self._client_timeout = timeout, _client_timeout(timeout)
        connected = False
        try:
            # encoded=True: the path is already quoted by _sansio.build_url, and must not be
            # normalised ("%2E%2E" stays a segment, never ".."). The headers are not copied:
            # aiohttp merges them into a fresh multidict of its own.
            async with session.request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=body,
                timeout=self._client_timeout,
                # Never follow redirects: the Authorization header must not go to another host.
                allow_redirects=False,
            ) as resp:
                connected = True
                return Reply(resp.status, resp.headers, await self._read(resp, method, url))
        except TimeoutError as exc:
            raise RequestTimeoutError(
                f"{method} {redact_url(url)} timed out ({_timeout_text(timeout)})",
                method=method,
                url=redact_url(url),
                sent=True,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            # The connection was never established: the request was certainly not sent.
            raise TransportError(
                f"cannot connect for {method} {redact_url(url)}: {exc.os_error or exc}",
                method=method,
                url=redact_url(url),
                sent=False,
            ) from exc
        except aiohttp.ClientError as exc:
            if not connected and _never_written(exc):
                # The connection was already closed when the request's first byte was to go
                # (a kept-alive one the server had just closed): nothing left this machine.
                raise TransportError(
                    f"the connection closed before {method} {redact_url(url)} was written",
                    method=method,
                    url=redact_url(url),
                    sent=False,
                ) from exc
            if isinstance(exc, aiohttp.ClientResponseError):
                # Its request_info keeps the request's headers, Authorization included, and it
                # travels on as our error's __cause__: strip them.
                exc.request_info = exc.request_info._replace(
                    headers=CIMultiDictProxy(CIMultiDict())
                )
                exc.args = (exc.request_info, exc.history)
            raise TransportError(
                f"connection error during {method} {redact_url(url)}"
                f"{' while reading the answer' if connected else ''}: "
                f"{type(exc).__name__}: {_cut(str(exc))}",
                method=method,
                url=redact_url(url),
                sent=True,
            ) from exc

    def _read(
        self, resp: aiohttp.ClientResponse, method: str, url: str
    ) -> Coroutine[Any, Any, bytes]:
        """Read the whole body, never more than ``max_response_bytes`` of it.

        An answer whose ``Content-Length`` is over the cap fails before a byte of it is read.
        A plain answer of known length under the cap is read whole (aiohttp's parser never
        delivers more than ``Content-Length``): the common case pays nothing for the cap, not
        even a coroutine of its own (aiohttp's ``read()`` is handed back to be awaited).
        Anything else (chunked, no length, compressed) is counted as it streams out of the
        decompressor and dropped the moment it passes the cap (:meth:`_read_capped`), so no
        more than the cap plus one chunk is ever held.
        """
        limit = self._max_response_bytes
        if limit is None:
            return resp.read()
        headers = resp.headers
        length = _content_length(headers.get("Content-Length"))
        if length is not None and length > limit:
            raise self._too_large(resp, method, url, f"Content-Length {length:,}")
        encoding = headers.get("Content-Encoding")
        if length is not None and (encoding is None or encoding.strip().lower() == "identity"):
            return resp.read()
        return self._read_capped(resp, method, url, limit)

    async def _read_capped(
        self, resp: aiohttp.ClientResponse, method: str, url: str, limit: int
    ) -> bytes:
        content = resp.content
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = await content.readany()
            if not chunk:
                break
            total += len(chunk)
            # Both counts: what came out of the decompressor, and what came off the wire (a
            # compressed stream can also be endless while producing nothing).
            if total > limit or _wire_bytes(content) > limit:
                raise self._too_large(resp, method, url, f"more than {limit:,} bytes sent")
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _too_large(
        self, resp: aiohttp.ClientResponse, method: str, url: str, seen: str
    ) -> ResponseTooLargeError:
        """Drop the connection (the rest of the body is never read) and build the error."""
        resp.close()
        limit = self._max_response_bytes
        assert limit is not None
        return too_large(method, url, limit, f"status {resp.status}, {seen}")

    async def close(self) -> None:
        """Close the session if this transport made it; a shared session is left open."""
        self._closed = True
        session, self._session = self._session, None
        if session is None or not self._owns_session or session.closed:
            return
        if self._loop is not None and self._loop.is_closed():
            _discard(session)  # closing needs the loop it was made in
            return
        await session.close()


class _Connector(aiohttp.TCPConnector):
    """A connector that never writes a non-idempotent request on a kept-alive connection the
    server has already closed.

    aiohttp reuses a pooled connection as long as the event loop has not yet processed the
    server's FIN, so a POST sent right after the server closed an idle connection goes into a
    dead socket and fails like a POST whose answer was lost: one that must never be sent again.
    Before a reused connection carries a POST, PUT, PATCH or DELETE, its socket is polled: an
    idle HTTP/1.1 connection has nothing to read, so anything readable (the FIN, an error, stray
    bytes) means the server is done with it, and the request takes a fresh connection instead.

    Other methods (GET, HEAD: the ones the pipeline may send again) go straight to aiohttp's
    own ``connect``, with no extra coroutine: a GET that meets a dead socket is retried.
    """

    _UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Each request that had to open a connection, and the connection it opened: any other
        # connection a request gets came from the pool (whichever request used it before).
        self._opened_for: weakref.WeakKeyDictionary[object, object] = weakref.WeakKeyDictionary()

    def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Any],
        timeout: aiohttp.ClientTimeout,
    ) -> Coroutine[Any, Any, aiohttp.connector.Connection]:
        """Return a connection for ``req``: a fresh one rather than a pooled one found closed."""
        if req.method in self._UNSAFE:
            return self._connect_checked(req, traces, timeout)
        return super().connect(req, traces, timeout)

    async def _create_connection(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Any],
        timeout: aiohttp.ClientTimeout,
    ) -> aiohttp.client_proto.ResponseHandler:
        proto = await super()._create_connection(req, traces, timeout)
        self._opened_for[req] = proto
        return proto

    async def _connect_checked(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Any],
        timeout: aiohttp.ClientTimeout,
    ) -> aiohttp.connector.Connection:
        while True:
            conn = await super().connect(req, traces, timeout)
            reused = self._opened_for.pop(req, None) is not conn.protocol
            # Each pass drops one pooled connection, so this ends once the pool is exhausted
            # (a new connection is never checked).
            if not reused or not _peer_done(conn):
                return conn
            conn.close()


def _peer_done(conn: aiohttp.connector.Connection) -> bool:
    """Whether an idle connection's socket has something to read (the server closed it)."""
    transport = conn.transport
    sock = None if transport is None else transport.get_extra_info("socket")
    if sock is None:
        return True  # already gone
    fd = sock.fileno()
    if fd < 0:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # pragma: no cover (Windows)
    return bool(readable)


def _never_written(exc: BaseException) -> bool:
    """Whether aiohttp failed the request's first write because the connection was already
    closing (``ClientConnectionResetError`` from its writer, before handing a byte to the
    socket), as opposed to losing the connection after writing. The SDK's requests go out in
    one write (headers and JSON body together), so a failed write is a first write."""
    link: BaseException | None = exc
    while link is not None:
        if isinstance(link, aiohttp.ClientConnectionResetError):
            tb = link.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            code = None if tb is None else tb.tb_frame.f_code
            return (
                code is not None
                and code.co_name in ("_write", "_writelines")
                and code.co_filename.endswith("http_writer.py")
            )
        link = link.__cause__
    return False


def _discard(session: aiohttp.ClientSession) -> None:
    """Let go of a session whose event loop is closed, without the loop (and so without
    warnings about it being unclosed).

    aiohttp can only close a session in its own loop; once that loop is closed, its pooled
    sockets are closed directly. This touches private attributes of aiohttp and asyncio, so
    every step is optional: on another version it does less, never fails.
    """
    connector = session.connector
    if connector is not None:
        conns: Any = getattr(connector, "_conns", None)
        if isinstance(conns, dict):
            for pooled in conns.values():
                for protocol, _ in pooled:
                    transport = getattr(protocol, "transport", None)
                    sock = getattr(transport, "_sock", None)
                    if sock is not None:
                        sock.close()
                        transport._sock = None  # type: ignore[union-attr]
            conns.clear()
        close = getattr(connector, "_close", None)
        if callable(close):
            close()  # with its loop closed, this only marks it closed
    session.detach()


def _cut(text: str, limit: int = 300) -> str:
    """aiohttp's message, cut short: a parse error quotes the server's bytes (a "status line"
    of 500 MB of garbage would otherwise become the error message)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _content_length(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:  # aiohttp's parser refuses these; never trust one anyway
        return None


def _wire_bytes(content: aiohttp.StreamReader) -> int:
    """Compressed bytes read so far (0 when aiohttp does not say, or nothing is compressed)."""
    count = getattr(content, "total_compressed_bytes", None)
    return count if isinstance(count, int) else 0


def too_large(method: str, url: str, limit: int, seen: str) -> ResponseTooLargeError:
    """The error for an answer over ``max_response_bytes`` (``seen``: what gave it away)."""
    short = redact_url(url)
    return ResponseTooLargeError(
        f"the answer to {method} {short} is larger than max_response_bytes "
        f"({limit:,} bytes; {seen}); it was not read further",
        method=method,
        url=short,
        limit=limit,
        sent=True,
    )


@functools.lru_cache(maxsize=32)
def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    """aiohttp's form of a :class:`Timeout` (both frozen, so it is built once per value)."""
    return aiohttp.ClientTimeout(
        total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
    )


def _timeout_text(timeout: Timeout) -> str:
    parts: list[str] = []
    for name in ("total", "connect", "read"):
        value: float | None = getattr(timeout, name)
        if value is not None:
            parts.append(f"{name} {value:g}s")
    return ", ".join(parts) or "no limit"


Handler = Callable[[HTTPRequest], HTTPResponse | Awaitable[HTTPResponse]]


class MockTransport:
    """A transport that answers every request with ``handler(request)``: no sockets.

    ``handler`` may be a plain or an async callable returning an :class:`HTTPResponse`, and may
    raise :class:`~cloud66_async.TransportError` to stand for a network failure. Every request
    is kept in its ``requests`` list.

    >>> def handler(request: HTTPRequest) -> HTTPResponse:
    ...     return HTTPResponse(200, {}, b'{"response": []}')
    >>> client = Client("token", transport=MockTransport(handler))   # doctest: +SKIP
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[HTTPRequest] = []
        self.closed = False

    async def send(self, request: HTTPRequest, *, timeout: Timeout) -> HTTPResponse:
        """Record the request and return the handler's answer."""
        if self.closed:
            raise ClientClosedError("this transport is closed")
        self.requests.append(request)
        result = self._handler(request)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, HTTPResponse):
            raise ConfigError(
                f"the MockTransport handler returned {type(result).__name__}, not HTTPResponse"
            )
        return result

    async def close(self) -> None:
        """Mark the transport closed."""
        self.closed = True
