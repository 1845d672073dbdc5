"""The request pipeline: one logical request, from arguments to a decoded model::

    Requester.one / .paginate / .no_content / .json
      -> sans-I/O request: URL (quoted), query, headers, JSON body
      -> concurrency slot -> rate limiter -> throttle gate -> transport
      -> decide: Done | Retry(delay) | Throttled(retry_after) | Fail(error)
      -> decoder -> model

It knows nothing of resources, managers or the :class:`Client`: a manager hands it a method, a
path template with its arguments and a model class; it hands back the model. The parts it
drives are given to it (:class:`Engine`), so each can be replaced in tests: the transport (no
sockets), the clock (virtual time), the limiter and the gate.

Every attempt reports its end to the limiter and the gate before anything else runs (hooks,
logging, warnings), and in a ``finally`` when it ends without an answer (an error, a
cancellation), so nothing a hook or a caller does can leave the gate closed or the budget
held.
"""

from __future__ import annotations

import contextvars
import json
import logging
import math
import sys
import time
import warnings
from collections.abc import Awaitable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from . import _waits
from ._decode import ONE_STEP_MAX, Decoder
from ._exceptions import (
    APIError,
    ClientClosedError,
    Cloud66Error,
    Cloud66Warning,
    ConfigError,
    DecodeError,
    ThrottledError,
    TransportError,
)
from ._hooks import Hooks, emit
from ._options import RetryPolicy, Timeout
from ._sansio import (
    DONE,
    Done,
    Fail,
    HTTPResponse,
    RateLimitHeaders,
    Redactor,
    Response,
    Retry,
    Throttled,
    add_headers,
    build_url,
    decide,
    encode_query,
    error_for,
    fixed_headers,
    new_request_id,
    rate_limit_figures,
    redact_url,
    unwrap,
)
from ._throttle import (
    Clock,
    Gate,
    Limiter,
    Permit,
    RateLimiter,
    RateLimitState,
    Slots,
    ThrottleGate,
    Ticket,
    WaitTooLong,
)
from ._transport import AiohttpTransport, HTTPRequest, Transport, too_large

if TYPE_CHECKING:
    # Imported where a list is paginated: a client that lists nothing never loads the
    # paginator's module (its classes cost ~2 ms of every import).
    from ._paging import Page, Paginator

__all__ = ["Answer", "Engine", "RawResponse", "Requester", "collect_raw"]

logger = logging.getLogger("cloud66_async")

T = TypeVar("T")

WARNING_HEADER = "X-Cloud66-Warning"


@attrs.frozen
class RawResponse(Generic[T]):
    """A parsed value together with the HTTP answer it came from.

    Returned by calls made through :attr:`Client.with_raw_response` and
    :meth:`Client.raw_response`.
    """

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    request_id: str
    parsed: T


class Answer(NamedTuple):
    """The answer a request ended with, and which request it answered.

    ``deadline`` is when the attempt's ``Timeout.total`` runs out (``time.monotonic()``), or
    ``None``: decoding the body must end by then too. (A named tuple, not a frozen attrs class:
    one is made for every request, at a third of the cost.)
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    request_id: str
    method: str
    url: str
    deadline: float | None = None


class _Capture:
    """Where a raw-response call collects the first answer of the call it wraps.

    A plain slotted class, not attrs: it is on the import path, and nothing compares or prints
    it.
    """

    __slots__ = ("answer",)

    def __init__(self) -> None:
        self.answer: Answer | None = None


_capture: contextvars.ContextVar[_Capture | None] = contextvars.ContextVar(
    "cloud66_async_capture", default=None
)


def _record(answer: Answer) -> None:
    capture = _capture.get()
    if capture is not None and capture.answer is None:
        capture.answer = answer


async def collect_raw(call: Awaitable[T], capture: _Capture | None = None) -> RawResponse[T]:
    """Await ``call`` while recording the first HTTP answer it gets; pair the two."""
    capture = capture or _Capture()
    # A coroutine runs in the context of the task awaiting it: set the capture around the await.
    token = _capture.set(capture)
    try:
        value = await call
    finally:
        _capture.reset(token)
    answer = capture.answer
    if answer is None:
        raise ConfigError("raw_response() was given a call that sent no request")
    return RawResponse(answer.status, answer.headers, answer.request_id, value)


def capturing() -> tuple[_Capture, contextvars.Token[_Capture | None]]:
    """Start capturing the first answer of calls made from here (see :func:`collect_raw`)."""
    capture = _Capture()
    return capture, _capture.set(capture)


def stop_capturing(token: contextvars.Token[_Capture | None]) -> None:
    """Undo :func:`capturing`."""
    _capture.reset(token)


class Engine:
    """What a client and all its views share: the transport, the limiter, the gate, the
    decoder, the hooks, who the requests are from, and the counters."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        account_id: str | None,
        user_agent: str,
        transport: Transport,
        limiter: Limiter | None,
        gate: Gate,
        decoder: Decoder,
        hooks: Hooks,
        clock: Clock = time.monotonic,
        limit_max_wait: float | None = None,
        max_response_bytes: int | None = None,
    ) -> None:
        self.token = token
        # Everything kept from an answer that is not its data (errors, warnings, hook events,
        # logs) goes through it first: a server that echoes the token must not leak it.
        self.redactor = Redactor(token)
        self.redacting = _redacting(self.redactor)  # stateless: one for every decode
        # The cap on answer bodies, checked here too for transports that do not stream
        # (MockTransport, a user's own): whatever the transport, no larger body is decoded.
        self.max_response_bytes = max_response_bytes
        # How long one request may wait for the client-side rate limit (RateLimit.max_wait).
        self.limit_max_wait = math.inf if limit_max_wait is None else limit_max_wait
        self.base_url = base_url
        self.account_id = account_id
        self.user_agent = user_agent
        self.fixed_headers = fixed_headers(token=token, user_agent=user_agent)
        self.transport = transport
        # The SDK's own transport is called without the request and answer objects of the
        # Transport protocol (AiohttpTransport.exchange); any other transport, a subclass
        # included, through its send().
        self.exchange = transport.exchange if type(transport) is AiohttpTransport else None
        # Likewise the SDK's own limiter and gate: their synchronous twins (acquire_now,
        # enter_now, observe_now, succeeded_now, release_now) decide without a coroutine when
        # nothing has to wait; the shared (store) ones are always awaited.
        self.local_limiter = limiter if type(limiter) is RateLimiter else None
        self.local_gate = gate if type(gate) is ThrottleGate else None
        self.limiter = limiter
        self.gate = gate
        self.decoder = decoder
        self.hooks = hooks
        self.clock = clock
        self.requests_sent = 0
        self.closed = False
        # The last X-RateLimit-Limit / -Remaining seen, kept here too so that they are known
        # when there is no client-side limiter.
        self.server_limit: int | None = None
        self.server_remaining: int | None = None

    def rate_limit_state(self) -> RateLimitState:
        """Merge what the limiter and the gate know."""
        gate = self.gate.snapshot()
        limit, remaining, local = self.server_limit, self.server_remaining, None
        if self.limiter is not None:
            known = self.limiter.snapshot()
            limit, remaining, local = (
                known.server_limit,
                known.server_remaining,
                known.local_remaining,
            )
        return RateLimitState(
            limit=limit,
            remaining=remaining,
            reset_at=gate.reset_at,
            gate_closed=gate.closed,
            gate_opens_in=gate.opens_in,
            local_remaining=local,
            throttled_total=gate.throttled_total,
        )

    async def close(self) -> None:
        """Close the transport (once)."""
        if self.closed:
            return
        self.closed = True
        await self.transport.close()


class Requester:
    """Sends requests for the resource managers: one per client view (its own timeout, retry
    policy and concurrency slots) over the :class:`Engine` they all share."""

    def __init__(
        self,
        engine: Engine,
        *,
        timeout: Timeout,
        retry: RetryPolicy,
        slots: Slots,
    ) -> None:
        self.engine = engine
        self.timeout = timeout
        self.retry = retry
        self.slots = slots

    # ------------------------------------------------------------------ what managers call

    def url(self, template: str, path_params: Mapping[str, object]) -> str:
        """The absolute URL of ``template`` (arguments checked and quoted)."""
        return build_url(self.engine.base_url, template, path_params)

    async def one(
        self,
        method: str,
        template: str,
        path_params: Mapping[str, object],
        model: type[T],
        *,
        params: Mapping[str, object] | None = None,
        body: Mapping[str, object] | None = None,
    ) -> T:
        """Send one request and decode its ``response`` into ``model``."""
        # _send_one, written out: one coroutine less on the commonest call.
        url = build_url(self.engine.base_url, template, path_params)
        if params:
            query = encode_query(params)
            if query:
                url = f"{url}?{query}"
        answer = await self.send(method, url, None if body is None else _encode_body(body))
        decoder = self.engine.decoder
        with self.engine.redacting:
            if len(answer.body) <= ONE_STEP_MAX:  # Decoder.one's first step, without the call
                value = decoder.fast.one(answer.body, model)
                if value is not None:
                    return value
            return decoder.one(
                answer.body,
                model,
                method=method,
                url=answer.url,
                request_id=answer.request_id,
                deadline=answer.deadline,
            )

    async def one_or_none(
        self,
        method: str,
        template: str,
        path_params: Mapping[str, object],
        model: type[T],
        *,
        params: Mapping[str, object] | None = None,
        body: Mapping[str, object] | None = None,
    ) -> T | None:
        """Like :meth:`one`, for an answer the blueprint leaves undocumented: an empty body,
        ``null`` or ``{"response": null}`` is ``None``."""
        answer = await self._send_one(method, template, path_params, params, body)
        with self.engine.redacting:
            return self.engine.decoder.one_or_none(
                answer.body,
                model,
                method=method,
                url=answer.url,
                request_id=answer.request_id,
                deadline=answer.deadline,
            )

    async def _send_one(
        self,
        method: str,
        template: str,
        path_params: Mapping[str, object],
        params: Mapping[str, object] | None,
        body: Mapping[str, object] | None,
    ) -> Answer:
        url = build_url(self.engine.base_url, template, path_params)
        if params:
            query = encode_query(params)
            if query:
                url = f"{url}?{query}"
        return await self.send(method, url, None if body is None else _encode_body(body))

    async def no_content(
        self,
        method: str,
        template: str,
        path_params: Mapping[str, object],
        *,
        body: Mapping[str, object] | None = None,
    ) -> None:
        """Send a request whose answer the blueprint leaves undocumented; check its status."""
        await self.send(method, self.url(template, path_params), _encode_body(body))

    def paginate(
        self,
        template: str,
        path_params: Mapping[str, object],
        model: type[T],
        *,
        params: Mapping[str, object] | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[T]:
        """A :class:`Paginator` over a list endpoint (nothing is sent until it is iterated)."""
        from ._paging import Page, Paginator

        url = self.url(template, path_params)  # checks the arguments before anything is sent
        query = encode_query(params or {})
        page_url = f"{url}?{query}&page=" if query else f"{url}?page="
        decoder, redacting = self.engine.decoder, self.engine.redacting

        async def fetch(number: int) -> Page[T]:
            answer = await self.send("GET", f"{page_url}{number}", None)
            with redacting:
                info = decoder.page(
                    answer.body,
                    model,
                    requested=number,
                    method="GET",
                    url=answer.url,
                    request_id=answer.request_id,
                    deadline=answer.deadline,
                )
            return Page(
                items=info.items,
                number=info.current,
                next=info.next,
                pages=info.pages,
                total=info.total,
                per_page=info.per_page,
                headers=answer.headers,
                request_id=answer.request_id,
            )

        return Paginator(fetch, max_items=max_items, start_page=start_page, description=template)

    async def json(
        self, method: str, path: str, *, params: Mapping[str, Any] | None, body: Any
    ) -> Any:
        """Send a request to a path of the API; return its (unwrapped) JSON payload."""
        url = self.engine.base_url + path
        if params:
            query = encode_query(params)
            if query:
                url = f"{url}?{query}"
        answer = await self.send(method, url, _encode_body(body))
        with self.engine.redacting:
            payload = self.engine.decoder.json(
                answer.body,
                method=method,
                url=answer.url,
                request_id=answer.request_id,
                deadline=answer.deadline,
            )
            if isinstance(payload, dict) and "response" in payload:
                return unwrap(payload, url=answer.url)
            return payload

    # ------------------------------------------------------------------ the attempt loop

    async def send(self, method: str, url: str, body: bytes | None) -> Answer:
        """Send one logical request, retrying what is safe; return its successful answer."""
        engine = self.engine
        if engine.closed:
            raise ClientClosedError("this client is closed; make a new Client to send requests")
        policy = self.retry
        clock = engine.clock
        limiter, gate, hooks = engine.limiter, engine.gate, engine.hooks
        short_url = redact_url(url)
        retries_used = 0
        # Seconds charged against policy.throttle_max_wait: waits at the gate, and each
        # throttled answer's whole delay, charged when it arrives (``credit`` is the part
        # charged ahead for a wait not yet made). Waits for the client-side rate limit are not
        # charged: they pace bulk work within the budget, bounded by RateLimit.max_wait.
        spent = 0.0
        credit = 0.0
        attempt = 0
        # One coroutine for the whole attempt (the limiter, the gate, the transport, the
        # report): every layer of coroutines costs a frame on each suspension and resumption.
        # The waits (a slot, the limiter's window, a closed gate) stay in their own methods.
        while True:
            attempt += 1
            request_id = new_request_id()
            slots = self.slots
            if not slots.acquire_nowait():  # a free slot costs no trip through the event loop
                await slots.acquire()
            try:
                started = clock()  # the gate's deadline counts from here (see below)
                # The limiter, then the gate when it lets the request go at once; any wait at
                # the gate goes through _pass (see there for the order and the refunds).
                local_limiter, local_gate = engine.local_limiter, engine.local_gate
                permit: Permit | None = None
                if limiter is not None and (
                    local_limiter is None or (permit := local_limiter.acquire_now()) is None
                ):
                    permit = await self._acquire(
                        limiter, clock() + engine.limit_max_wait, request_id, method, short_url
                    )
                ticket = None if local_gate is None else local_gate.enter_now()
                if ticket is None:
                    try:
                        ticket = await gate.enter(clock())
                    except WaitTooLong:
                        await self._refund(limiter, permit)
                        deadline = started + max(0.0, policy.throttle_max_wait - spent) + credit
                        permit, ticket, gate_waited = await self._pass(
                            limiter, gate, deadline, request_id, method, short_url, tried=True
                        )
                        spent += max(0.0, gate_waited - credit)
                    except BaseException:
                        await self._refund(limiter, permit)
                        raise
                # (Passing at once adds nothing to ``spent``: max(0, 0 - credit) is 0.)
                credit = 0.0
                began = time.monotonic()
                # The attempt: when it ends without an answer or a TransportError (a
                # cancellation, a failing hook), the gate's ticket and the limiter's permit are
                # handed back before leaving.
                sent = False
                try:
                    headers = add_headers(
                        engine.fixed_headers,
                        request_id=request_id,
                        account_id=engine.account_id,
                        has_body=body is not None,
                    )
                    if hooks.on_request is not None:
                        # The events' module loads with the first hook called (see _hooks).
                        from ._events import RequestEvent

                        await emit(
                            hooks.on_request,
                            RequestEvent(method, short_url, attempt, request_id),
                        )
                    sent_at = clock()
                    engine.requests_sent += 1
                    sent = True
                    result: Response | TransportError
                    try:
                        if engine.exchange is not None:
                            result = await engine.exchange(method, url, headers, body, self.timeout)
                        else:
                            result = await engine.transport.send(
                                HTTPRequest(method, url, headers, body), timeout=self.timeout
                            )
                    except TransportError as exc:
                        # aiohttp's message may quote what the server sent (a garbled status
                        # line).
                        result = _redact(exc, engine.redactor)
                    else:
                        cap = engine.max_response_bytes
                        if cap is not None and len(result.body) > cap:
                            size = f"status {result.status}, {len(result.body):,} bytes"
                            result = too_large(method, url, cap, size)
                        elif not isinstance(result.headers, (CIMultiDictProxy, CIMultiDict)):
                            result = _case_insensitive(result)
                    elapsed = clock() - sent_at
                    decision: Done | Retry | Throttled | Fail = (
                        DONE  # what decide() says of any 2xx answer, without the call
                        if not isinstance(result, TransportError) and 200 <= result.status < 300
                        else decide(
                            result,
                            method=method,
                            url=url,
                            request_id=request_id,
                            retries_used=retries_used,
                            policy=policy,
                            redactor=engine.redactor,
                        )
                    )
                except BaseException:
                    with _waits.shielded():
                        await gate.abandoned(ticket)
                        if permit is not None and limiter is not None:
                            await limiter.release(permit, sent=sent)
                    raise
                # The report: tell the limiter and the gate how the attempt ended (always
                # releasing the ticket and the permit); ``closed_for`` is how long the gate
                # stays closed when the answer was throttled.
                closed_for = 0.0
                try:
                    if isinstance(result, TransportError):
                        await gate.abandoned(ticket)
                    else:
                        figures = rate_limit_figures(result.headers)
                        if figures is not None:
                            server_limit, server_remaining = figures
                            if server_limit is not None:
                                engine.server_limit = server_limit
                            if server_remaining is not None:
                                engine.server_remaining = server_remaining
                            if permit is not None and local_limiter is not None:
                                local_limiter.observe_now(permit, server_limit, server_remaining)
                            elif permit is not None and limiter is not None:
                                await limiter.observe(
                                    permit, RateLimitHeaders(server_limit, server_remaining)
                                )
                        if isinstance(decision, Throttled):
                            closed_for = await gate.throttled(ticket, decision.retry_after, policy)
                        elif local_gate is not None:
                            local_gate.succeeded_now(ticket)
                        else:
                            await gate.succeeded(ticket)
                except BaseException:
                    with _waits.shielded():
                        await gate.abandoned(ticket)
                        if permit is not None and limiter is not None:
                            await limiter.release(permit, sent=True)
                    raise
                if permit is not None:
                    went = not isinstance(result, TransportError) or result.sent
                    if local_limiter is not None:
                        local_limiter.release_now(permit, sent=went)
                    elif limiter is not None:
                        await limiter.release(permit, sent=went)
            finally:
                slots.release()
            # Outside the concurrency slot: a request that waits holds no slot.
            warning = None
            if not isinstance(result, TransportError):
                warning = result.headers.get(WARNING_HEADER)
                if warning is not None:
                    warning = engine.redactor.text(warning)
                if logger.isEnabledFor(logging.DEBUG):
                    self._after_answer(result, method, short_url, attempt, request_id, elapsed)
                if warning is not None:
                    _warn(warning, method, short_url, request_id)
                if hooks.on_response is not None:
                    from ._events import ResponseEvent

                    event = ResponseEvent(
                        method, short_url, attempt, request_id, result.status, elapsed, warning
                    )
                    await emit(hooks.on_response, event)
            if type(decision) is Done:
                assert not isinstance(result, TransportError)
                total = self.timeout.total
                answer = Answer(
                    result.status,
                    result.headers,
                    result.body,
                    request_id,
                    method,
                    url,
                    None if total is None else began + total,
                )
                _record(answer)
                return answer
            if isinstance(decision, Retry):
                retries_used += 1
                logger.debug(
                    "%s %s attempt %d: %s; retrying in %.2fs (request id %s)",
                    method,
                    short_url,
                    attempt,
                    decision.reason,
                    decision.delay,
                    request_id,
                )
                if hooks.on_retry is not None:
                    from ._events import RetryEvent

                    await emit(
                        hooks.on_retry,
                        RetryEvent(
                            method,
                            short_url,
                            attempt,
                            request_id,
                            decision.delay,
                            decision.reason,
                            decision.status,
                        ),
                    )
                await _waits.scaled_sleep(decision.delay)
                continue
            if isinstance(decision, Throttled):
                assert not isinstance(result, TransportError)
                # Charged in full now: a run of throttled answers ends once their delays add up
                # to throttle_max_wait, however little of each delay this request waited out.
                spent += closed_for
                credit = closed_for
                if spent > policy.throttle_max_wait:
                    _record(
                        Answer(result.status, result.headers, result.body, request_id, method, url)
                    )
                    raise error_for(
                        status=result.status,
                        headers=result.headers,
                        body=result.body,
                        method=method,
                        url=url,
                        request_id=request_id,
                        retry_after=decision.retry_after
                        if decision.retry_after is not None
                        else closed_for,
                        redactor=engine.redactor,
                    )
                logger.info(
                    "%s %s throttled (503); every request of this client waits %.1fs",
                    method,
                    short_url,
                    closed_for,
                )
                if hooks.on_throttle is not None:
                    from ._events import ThrottleEvent

                    await emit(
                        hooks.on_throttle,
                        ThrottleEvent(
                            method, short_url, attempt, request_id, closed_for, decision.retry_after
                        ),
                    )
                continue
            assert isinstance(decision, Fail)
            error = decision.error
            if isinstance(error, TransportError):
                error.request_id = request_id
                error.message = f"{error.message} (request id {request_id})"
                error.args = (error.message,)
                logger.debug("%s %s attempt %d failed: %s", method, short_url, attempt, error)
            elif isinstance(error, APIError) and not isinstance(result, TransportError):
                _record(Answer(result.status, result.headers, result.body, request_id, method, url))
            raise error

    async def _pass(
        self,
        limiter: Limiter | None,
        gate: Gate,
        deadline: float,
        request_id: str,
        method: str,
        short_url: str,
        *,
        tried: bool = False,
    ) -> tuple[Permit | None, Ticket, float]:
        """Wait until the rate budget and the throttle gate both let this request go now.

        Returns the permit, the gate's ticket and the seconds spent waiting at the gate (the
        part charged against ``throttle_max_wait``). ``deadline`` bounds the waits at the gate;
        the waits for the limiter are bounded by ``RateLimit.max_wait`` instead.

        The limiter first, the gate second: a request that waited for the limiter still sees a
        gate closed in the meantime. A request the gate holds back gives its place in the window
        back while it waits, and takes one again when it passes, so the window counts when
        requests go, not when they started waiting.
        """
        clock = self.engine.clock
        limit_wait = self.engine.limit_max_wait
        gate_waited = 0.0
        while True:
            if tried:  # the caller took a permit, found the gate closed and refunded it
                tried = False
            else:
                permit = (
                    None  # no client-side limit: no coroutine to make and await for nothing
                    if limiter is None
                    else await self._acquire(
                        limiter, clock() + limit_wait, request_id, method, short_url
                    )
                )
                try:
                    # Only if it needs no wait.
                    return permit, await gate.enter(clock()), gate_waited
                except WaitTooLong:
                    pass
                except BaseException:
                    await self._refund(limiter, permit)
                    raise
                await self._refund(limiter, permit)
            entered = clock()
            ticket = await self._enter(gate, deadline, request_id, method, short_url)
            gate_waited += clock() - entered
            if limiter is None:
                return None, ticket, gate_waited
            try:
                return await limiter.acquire(clock()), ticket, gate_waited
            except WaitTooLong:
                # No room in the window right now: let another request probe, and wait for
                # the window first.
                await gate.abandoned(ticket)
            except BaseException:
                with _waits.shielded():
                    await gate.abandoned(ticket)
                raise

    async def _refund(self, limiter: Limiter | None, permit: Permit | None) -> None:
        if permit is not None and limiter is not None:
            with _waits.shielded():
                await limiter.release(permit, sent=False)  # never sent: it uses no budget

    async def _acquire(
        self,
        limiter: Limiter | None,
        deadline: float,
        request_id: str,
        method: str,
        short_url: str,
    ) -> Permit | None:
        if limiter is None:
            return None
        try:
            return await limiter.acquire(deadline)
        except WaitTooLong as exc:
            raise self._too_long(exc, deadline, request_id, method, short_url) from None

    async def _enter(
        self, gate: Gate, deadline: float, request_id: str, method: str, short_url: str
    ) -> Ticket:
        try:
            return await gate.enter(deadline)
        except WaitTooLong as exc:
            raise self._too_long(exc, deadline, request_id, method, short_url) from None

    def _too_long(
        self, exc: WaitTooLong, deadline: float, request_id: str, method: str, short_url: str
    ) -> ThrottledError:
        left = max(0.0, deadline - self.engine.clock())
        setting = (
            "RateLimit.max_wait"
            if exc.what == "the client-side rate limit" or exc.what == "the server's rate budget"
            else "RetryPolicy.throttle_max_wait"
        )
        if exc.opens_in is not None:
            description = (
                f"{exc.what} holds this request back for {exc.opens_in:.1f}s more, longer than "
                f"it may still wait ({left:.1f}s of {setting})"
            )
        else:
            description = (
                f"{exc.what} did not let this request go within the time it could wait ({setting})"
            )
        return ThrottledError(
            retry_after=exc.opens_in,
            status=503,
            error="throttled",
            description=description,
            request_id=request_id,
            method=method,
            url=short_url,
        )

    def _after_answer(
        self,
        result: Response,
        method: str,
        short_url: str,
        attempt: int,
        request_id: str,
        elapsed: float,
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.3fs (attempt %d, request id %s)",
                method,
                short_url,
                result.status,
                elapsed,
                attempt,
                request_id,
            )


E = TypeVar("E", bound=Cloud66Error)


def _redact(error: E, redactor: Redactor) -> E:
    """Remove the token from an error made from an answer's text (its message, a decode
    error's path); drop what is chained to it when that shows the token too."""
    clean = redactor.text(error.message)
    if clean != error.message:
        error.message = clean
        error.args = (clean,)
    if isinstance(error, DecodeError):
        error.path = redactor.text(error.path)
    link: BaseException | None = error.__cause__ or error.__context__
    while link is not None:
        shown = f"{link}{link.args!r}"
        if redactor.text(shown) != shown:
            error.__cause__ = error.__context__ = None
            error.__suppress_context__ = True
            break
        link = link.__cause__ or link.__context__
    return error


class _redacting:
    """Redact any SDK error raised inside (a decode error quotes the value it could not use).

    A small class, not a ``contextlib`` generator: it wraps every answer's decode, and a
    generator-based context manager costs a generator and a wrapper object each time.
    """

    __slots__ = ("_redactor",)

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, Cloud66Error):
            _redact(exc, self._redactor)
        # Returns None: the error goes on, redacted.


def _encode_body(body: Any) -> bytes | None:
    if body is None:
        return None
    try:
        # allow_nan=False: NaN and infinities are not JSON, and a server would refuse them.
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise ConfigError(f"the request body cannot be sent as JSON: {exc}") from None


def _case_insensitive(response: Response) -> Response:
    """Make sure header lookups ignore case (a transport may hand back a plain dict)."""
    headers = response.headers
    if isinstance(headers, (CIMultiDictProxy, CIMultiDict)):
        return response
    return HTTPResponse(response.status, CIMultiDictProxy(CIMultiDict(headers)), response.body)


def _warn(text: str, method: str, short_url: str, request_id: str) -> None:
    """Issue the API's ``X-Cloud66-Warning`` as a :class:`Cloud66Warning` and a log line.

    The warning points at the first frame outside this package (the caller's line), so the
    usual ``warnings`` filters and once-per-location display apply to the user's code.
    """
    message = text.strip()
    logger.warning(
        "the API warns about %s %s: %s (request id %s)", method, short_url, message, request_id
    )
    frame = sys._getframe(1)
    while frame.f_back is not None and _ours(frame.f_globals.get("__name__", "")):
        frame = frame.f_back
    module = frame.f_globals.get("__name__", "cloud66_async")
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(
        Cloud66Warning(f"Cloud 66 API: {message}"),
        Cloud66Warning,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=module,
        registry=registry,
    )


def _ours(module: str) -> bool:
    return module == "cloud66_async" or module.startswith("cloud66_async.")
