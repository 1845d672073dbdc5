"""The HTTP side of the fake: one catch-all aiohttp handler that dispatches via the route table.

The pipeline of a request: read and log it; apply an injected fault if one matches; check the
bearer token (401); count it against the token's rate limit (503 throttled); find the route
(404); check the route's scope (403); run the handler (400/404/409 from there); render the
envelope; deliver (normally, or spoiled by a delivery fault). Every answer carries
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-Request-Id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

import attrs
from aiohttp import web

from ._faults import (
    DELIVERY_FAULTS,
    WARNING_HEADER,
    Answer,
    Fault,
    FaultKind,
    FaultRegistry,
    WarningRegistry,
    fault_answer,
    json_answer,
)
from ._handlers import Call
from ._log import LoggedRequest
from ._params import Params, decode_form
from ._ratelimit import Decision, RateLimiter, retry_after_header
from ._responses import (
    ApiError,
    Listing,
    bad_request,
    envelope,
    error_body,
    paginate,
    parse_page,
)
from ._routes import Target, parse_target, resolve
from ._state import State

__all__ = ["Dispatcher", "bearer_token", "decode_body"]

_logger = logging.getLogger("cloud66_async.testing")


def bearer_token(header: str | None) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def decode_body(content_type: str, body: bytes) -> tuple[Any, dict[str, Any] | None, str | None]:
    """Decode a request body: (JSON value, form fields, error message for a 400)."""
    if not body:
        return None, None, None
    ctype = content_type.lower()
    if ctype == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", "replace")
        return None, decode_form(parse_qsl(text, keep_blank_values=True)), None
    if ctype.endswith(("/json", "+json")) or ctype in ("", "application/octet-stream"):
        try:
            return json.loads(body), None, None
        except ValueError:
            if ctype.endswith("json"):
                return None, None, "the request body is not valid JSON"
    return None, None, None


def _raw_headers(request: web.BaseRequest) -> dict[str, str]:
    # raw_headers keep the case the client sent; repeated headers are joined as HTTP allows.
    out: dict[str, str] = {}
    for key_bytes, value_bytes in request.raw_headers:
        key, value = key_bytes.decode("latin-1"), value_bytes.decode("latin-1")
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


class Dispatcher:
    """Answer every request of one fake (the aiohttp handler is :meth:`handle`)."""

    def __init__(
        self,
        *,
        state: State,
        tokens: dict[str, frozenset[str]],
        limiter: RateLimiter,
        faults: FaultRegistry,
        warnings: WarningRegistry,
        log: list[LoggedRequest],
        prefixes: Sequence[str],
        retry_after: Callable[[], str],
    ) -> None:
        self.state = state
        self.tokens = tokens
        self.limiter = limiter
        self.faults = faults
        self.warnings = warnings
        self.log = log
        self.prefixes = tuple(prefixes)
        self._retry_mode = retry_after
        self._ids = uuid.UUID(int=state.rng.getrandbits(128)).int

    # -- the aiohttp handler ------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request: log it, apply a fault or the API, deliver."""
        received = time.monotonic()
        body = await request.read()
        target = parse_target(request.raw_path, self.prefixes)
        json_value, form, body_error = decode_body(request.content_type, body)
        request_id = self._next_request_id()
        fault = self.faults.take(request.method, target.path)
        entry = LoggedRequest(
            method=request.method,
            raw_path=request.raw_path,
            path=target.path,
            query={k: v for k, v in request.rel_url.query.items()},
            json=json_value,
            form=form,
            headers=_raw_headers(request),
            status=None,
            time=received,
            body=body,
            prefix=target.prefix,
            fault=str(fault.kind) if fault is not None else None,
            request_id=request_id,
        )
        self.log.append(entry)
        status: int | None = None
        warning: str | None = None
        try:
            if fault is not None and fault.kind not in DELIVERY_FAULTS:
                if fault.kind is FaultKind.RESET_BEFORE:
                    _reset(request, hard=True)
                    return web.Response()
                answer = self._fault_answer(fault, request, request_id)
            else:
                if fault is not None and fault.kind is FaultKind.LATENCY:
                    await asyncio.sleep(fault.delay)
                answer = self.answer(request, target, json_value, form, body_error, request_id)
            warning = self.warnings.take(request.method, target.path)
            if warning is not None:
                answer = Answer(
                    answer.status, answer.body, {**answer.headers, WARNING_HEADER: warning}
                )
            status = answer.status
            return await _deliver(request, answer, fault)
        except ConnectionError:
            status = None
            return web.Response()
        except Exception as exc:
            # A bug of the fake: answer it as JSON (so the test sees why) and log it loudly.
            _logger.exception("FakeCloud66 failed on %s %s", request.method, request.raw_path)
            payload = error_body("internal_server_error", f"FakeCloud66 failed: {exc!r}")
            answer = json_answer(500, payload, {"X-Request-Id": request_id})
            status = answer.status
            return web.Response(status=500, body=answer.body, headers=answer.headers)
        finally:
            if fault is not None and fault.kind in (FaultKind.RESET_BEFORE, FaultKind.RESET_DURING):
                status = None
            self._record(entry, status, warning)

    def _record(self, entry: LoggedRequest, status: int | None, warning: str | None) -> None:
        # The entry was logged on arrival (so the log is in arrival order); now that the
        # status is known, swap in the completed record unless the log was cleared meanwhile.
        for index in range(len(self.log) - 1, -1, -1):
            if self.log[index] is entry:
                self.log[index] = attrs.evolve(entry, status=status, warning=warning)
                return

    def _next_request_id(self) -> str:
        self._ids += 1
        return str(uuid.UUID(int=self._ids % (1 << 128)))

    def _headers(self, decision: Decision, request_id: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
            "X-Request-Id": request_id,
        }

    def _fault_answer(self, fault: Fault, request: web.Request, request_id: str) -> Answer:
        token = bearer_token(request.headers.get("Authorization"))
        retry = retry_after_header(self._retry_mode(), fault.retry_after)
        answer = fault_answer(fault, retry)
        headers = self._headers(self.limiter.peek(token), request_id)
        headers.update(answer.headers)
        return Answer(answer.status, answer.body, headers)

    # -- the API ------------------------------------------------------------------------------

    def answer(
        self,
        request: web.Request,
        target: Target,
        json_value: Any,
        form: dict[str, Any] | None,
        body_error: str | None,
        request_id: str,
    ) -> Answer:
        """Produce the API's answer to a request (no I/O)."""
        token = bearer_token(request.headers.get("Authorization"))
        decision = self.limiter.peek(None)
        try:
            if token is None or token not in self.tokens:
                description = (
                    "The access token is invalid" if token else "No access token was provided"
                )
                raise ApiError(
                    401,
                    "unauthenticated",
                    description,
                    headers={"WWW-Authenticate": 'Bearer realm="Cloud 66"'},
                )
            decision = self.limiter.hit(token)
            if not decision.allowed:
                headers = {}
                retry = retry_after_header(self._retry_mode(), decision.reset_in)
                if retry is not None:
                    headers["Retry-After"] = retry
                raise ApiError(
                    503,
                    "throttled",
                    f"Rate limit of {decision.limit} requests exceeded; retry later",
                    headers=headers,
                )
            self.state.advance()
            params = self._params(request, json_value, form, body_error)
            route, args = resolve(request.method, target, params)
            if route.scope not in self.tokens[token]:
                raise ApiError(
                    403,
                    "forbidden",
                    f"{route.method} {route.template} requires scope {route.scope!r}",
                )
            if body_error is not None:
                raise bad_request(body_error, {"body": "is not valid JSON"})
            call = Call(state=self.state, args=args, params=params, remote=request.remote)
            result = route.handler(call)
            if isinstance(result, Listing):
                page = parse_page(request.rel_url.query.get("page"))
                payload = paginate(result.items, page, self.state.config.per_page, result.render)
            else:
                payload = envelope(result)
            return json_answer(200, payload, self._headers(decision, request_id))
        except ApiError as exc:
            headers = self._headers(decision, request_id)
            headers.update(exc.headers)
            return json_answer(exc.status, exc.body(), headers)

    def _params(
        self,
        request: web.Request,
        json_value: Any,
        form: dict[str, Any] | None,
        body_error: str | None,
    ) -> Params:
        merged = decode_form(request.rel_url.query.items())
        merged.pop("page", None)
        if isinstance(json_value, dict):
            merged.update(json_value)
        elif json_value is not None and body_error is None:
            raise ApiError(
                400,
                "bad_request",
                "the JSON body must be an object",
                details={"body": "must be an object"},
            )
        if form is not None:
            merged.update(form)
        return Params(merged)


# -- delivery -----------------------------------------------------------------------------------


def _reset(request: web.BaseRequest, *, hard: bool) -> None:
    transport = request.transport
    if transport is None:
        return
    if hard:
        # SO_LINGER 0: closing sends a TCP RST instead of a FIN, a real "connection reset".
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _deliver(request: web.Request, answer: Answer, fault: Fault | None) -> web.StreamResponse:
    kind = fault.kind if fault is not None else None
    body = answer.body
    if kind is FaultKind.TRUNCATED_JSON:
        return web.Response(
            status=answer.status, body=body[: len(body) // 2], headers=answer.headers
        )
    if kind not in (FaultKind.SLOW_BODY, FaultKind.RESET_DURING):
        return web.Response(status=answer.status, body=body, headers=answer.headers)
    assert fault is not None
    response = web.StreamResponse(status=answer.status, headers=answer.headers)
    response.content_length = len(body)
    await response.prepare(request)
    if kind is FaultKind.SLOW_BODY:
        await response.write(b"")  # an empty write sends the status line and headers now
        await asyncio.sleep(fault.delay)
        await response.write(body)
        await response.write_eof()
        return response
    await response.write(body[: len(body) // 2])
    if fault.delay:
        await asyncio.sleep(fault.delay)
    # A FIN right after half the promised bytes: the client sees a payload error.
    _reset(request, hard=False)
    return response
