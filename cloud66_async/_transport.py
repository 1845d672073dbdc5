"""The one I/O seam: send one HTTP request with aiohttp, get status, headers and body back.

aiohttp lives here and nowhere else in the request path. Every aiohttp/asyncio exception is
translated into :class:`TransportError` or :class:`RequestTimeoutError`, with ``sent`` telling
whether the request may have reached the server.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._exceptions import ClientClosedError, RequestTimeoutError, TransportError
from ._options import Timeout

__all__ = ["HTTPResponse", "Transport"]


@attrs.frozen
class HTTPResponse:
    """Status, headers and the whole body of one answer."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport:
    """Sends requests over one ``aiohttp.ClientSession`` (made lazily, or the caller's own)."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        connection_limit: int = 100,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._trace_configs = list(trace_configs or [])
        self._connection_limit = connection_limit
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this client is closed; make a new Client to send requests")
        if self._session is None:
            # Made on first use, inside the running loop, so a Client can be built anywhere.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connection_limit),
                trace_configs=self._trace_configs or None,
                # We parse JSON ourselves and never follow redirects (see send()).
                auto_decompress=True,
            )
            # aiohttp silently resends GET/PUT/DELETE once when a kept-alive connection drops
            # before the answer. The SDK decides about retries itself (a PUT or DELETE is never
            # sent twice), so that private switch is turned off on the session the SDK owns.
            if hasattr(self._session, "_retry_connection"):
                self._session._retry_connection = False
        elif self._session.closed:
            raise ClientClosedError("the aiohttp session given to this client is closed")
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: Timeout,
    ) -> HTTPResponse:
        """Send one request and read the whole answer."""
        session = self._get_session()
        client_timeout = _client_timeout(timeout)
        connected = False
        try:
            # encoded=True: the path is already quoted by _sansio.build_url, and must not be
            # normalised ("%2E%2E" stays a segment, never "..").
            async with session.request(
                method,
                URL(url, encoded=True),
                headers=dict(headers),
                data=body,
                timeout=client_timeout,
                # Never follow redirects: the Authorization header must not go to another host.
                allow_redirects=False,
            ) as resp:
                connected = True
                data = await resp.read()
                resp_headers: CIMultiDictProxy[str] = resp.headers
                return HTTPResponse(resp.status, resp_headers, data)
        except TimeoutError as exc:
            raise RequestTimeoutError(
                f"{method} {_short(url)} timed out ({_timeout_text(timeout)})",
                method=method,
                url=_short(url),
                sent=True,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            # The connection was never established: the request was certainly not sent.
            raise TransportError(
                f"cannot connect for {method} {_short(url)}: {exc.os_error or exc}",
                method=method,
                url=_short(url),
                sent=False,
            ) from exc
        except aiohttp.ClientError as exc:
            if isinstance(exc, aiohttp.ClientResponseError):
                # Its request_info keeps the request's headers, Authorization included, and it
                # travels on as our error's __cause__: strip them.
                exc.request_info = exc.request_info._replace(
                    headers=CIMultiDictProxy(CIMultiDict())
                )
                exc.args = (exc.request_info, exc.history)
            raise TransportError(
                f"connection error during {method} {_short(url)}"
                f"{' while reading the answer' if connected else ''}: "
                f"{type(exc).__name__}: {exc}",
                method=method,
                url=_short(url),
                sent=True,
            ) from exc

    async def close(self) -> None:
        """Close the session if this transport made it; a shared session is left open."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()


@functools.lru_cache(maxsize=32)
def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    """aiohttp's form of a :class:`Timeout` (both frozen, so it is built once per value)."""
    return aiohttp.ClientTimeout(
        total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
    )


def _short(url: str) -> str:
    return url.split("?", 1)[0]


def _timeout_text(timeout: Timeout) -> str:
    parts: list[str] = []
    for name in ("total", "connect", "read"):
        value: Any = getattr(timeout, name)
        if value is not None:
            parts.append(f"{name} {value:g}s")
    return ", ".join(parts) or "no limit"
