"""The :class:`Client`: owns the session, the transport, the throttle gate, the rate limiter and
the resource managers, and runs the one request pipeline every call goes through::

    manager -> Endpoint + arguments -> gate -> rate limiter -> transport -> status mapping
            -> envelope -> converter -> model
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import aiohttp
import anyio
import attrs

from . import _sansio, _waits
from ._exceptions import (
    ClientClosedError,
    ConfigError,
    DecodeError,
    NotImplementedByAPIError,
    ThrottledError,
    TransportError,
)
from ._fastjson import FastDecoder
from ._hooks import Hooks, RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent, emit
from ._options import (
    RateLimit,
    RetryPolicy,
    Timeout,
    default_home,
    environ,
    resolve_base_url,
    resolve_token,
)
from ._paging import Page, Paginator
from ._throttle import GateWaitTooLong, RateLimiter, RateLimitState, ThrottleGate
from ._transport import HTTPResponse, Transport

if TYPE_CHECKING:
    from ._bulk import Outcome
    from ._converter import ModelConverter
    from .resources import (
        AccountsManager,
        ActionsManager,
        BackupsManager,
        CloudsManager,
        ContainersManager,
        DeploymentsManager,
        EnvVarsManager,
        FirewallsManager,
        NotificationsManager,
        ServerGroupsManager,
        ServerSettingsManager,
        ServersManager,
        ServicesManager,
        SettingsManager,
        StacksManager,
        UsersManager,
    )

__all__ = ["Client", "RawResponse"]

logger = logging.getLogger("cloud66_async")

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item type of fan_out
R = TypeVar("R")

_DEFAULT = object()


@attrs.frozen
class RawResponse(Generic[T]):
    """A parsed value together with the HTTP answer it came from.

    Returned by calls made through :attr:`Client.with_raw_response`.
    """

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    request_id: str
    parsed: T


@attrs.define
class _Capture:
    """Where a raw-response call collects the first answer of the call it wraps."""

    answer: _Answer | None = None


_capture: contextvars.ContextVar[_Capture | None] = contextvars.ContextVar(
    "cloud66_async_capture", default=None
)


@attrs.frozen
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes
    request_id: str
    method: str
    url: str


class _Shared:
    """What a client and all its views share: one session, one gate, one limiter."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        account_id: str | None,
        user_agent: str,
        transport: Transport,
        rate_limit: RateLimit | None,
        hooks: Hooks,
    ) -> None:
        from ._converter import make_converter

        self.token = token
        self.base_url = base_url
        self.account_id = account_id
        self.user_agent = user_agent
        self.transport = transport
        self.limiter = RateLimiter(rate_limit)
        self.gate = ThrottleGate()
        self.converter: ModelConverter = make_converter()
        self.fast = FastDecoder()
        self.hooks = hooks
        self.requests_sent = 0


class Client:
    """An asynchronous Cloud 66 API client.

    >>> async with Client() as client:                     # doctest: +SKIP
    ...     async for stack in client.stacks.list():
    ...         print(stack.uid, stack.name, stack.status)

    ``token`` defaults to ``CLOUD66_ACCESS_TOKEN``, then the ``AccessToken`` of
    ``~/.cloud66/cx.json``; ``base_url`` to ``CLOUD66_URL``, then the public API. Plain ``http://``
    is accepted for loopback hosts only. ``timeout`` is a :class:`Timeout` or a number of seconds
    for the whole attempt; ``retry`` a :class:`RetryPolicy`; ``rate_limit`` a :class:`RateLimit`
    (3,000 requests an hour by default) or ``None`` for none; ``max_concurrency`` caps requests
    in flight. Pass ``session`` to share an ``aiohttp.ClientSession`` (the client then never
    closes it), ``account_id`` to act for one organisation (``X-Account``), ``hooks`` to observe
    every attempt, and ``trace_configs`` for the session the client makes.
    """

    stacks: StacksManager
    actions: ActionsManager
    deployments: DeploymentsManager
    services: ServicesManager
    containers: ContainersManager
    env_vars: EnvVarsManager
    firewalls: FirewallsManager
    notifications: NotificationsManager
    settings: SettingsManager
    server_groups: ServerGroupsManager
    servers: ServersManager
    server_settings: ServerSettingsManager
    clouds: CloudsManager
    backups: BackupsManager
    accounts: AccountsManager
    users: UsersManager

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: RateLimit | object | None = _DEFAULT,
        max_concurrency: int = 10,
        session: aiohttp.ClientSession | None = None,
        user_agent: str | None = None,
        account_id: str | int | None = None,
        hooks: Hooks | None = None,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
        _env: Mapping[str, str] | None = None,
        _home: Path | None = None,
    ) -> None:
        env = environ() if _env is None else _env
        home = default_home() if _home is None else _home
        resolved_token = resolve_token(token, env, home)
        resolved_url = resolve_base_url(base_url, env)
        if rate_limit is _DEFAULT:
            limit: RateLimit | None = RateLimit()
        elif rate_limit is None or isinstance(rate_limit, RateLimit):
            limit = rate_limit
        else:
            raise ConfigError("rate_limit must be a RateLimit or None")
        if session is not None and trace_configs:
            raise ConfigError("trace_configs only apply to a session the client makes itself")
        if account_id is not None and not isinstance(account_id, (str, int)):
            raise ConfigError("account_id must be a string or an integer")
        if hooks is not None and not isinstance(hooks, Hooks):
            raise ConfigError("hooks must be a cloud66_async.Hooks")
        concurrency = _check_concurrency(max_concurrency)
        from . import __version__

        shared = _Shared(
            token=resolved_token,
            base_url=resolved_url,
            account_id=None if account_id is None else str(account_id),
            user_agent=user_agent or _sansio.user_agent(__version__, aiohttp.__version__),
            transport=Transport(
                session,
                trace_configs=trace_configs,
                connection_limit=max(100, concurrency),
            ),
            rate_limit=limit,
            hooks=hooks or Hooks(),
        )
        self._setup(
            shared,
            timeout=_check_timeout(timeout),
            retry=_check_retry(retry),
            max_concurrency=concurrency,
            limiter=anyio.CapacityLimiter(concurrency),
            is_view=False,
        )

    def _setup(
        self,
        shared: _Shared,
        *,
        timeout: Timeout,
        retry: RetryPolicy,
        max_concurrency: int,
        limiter: anyio.CapacityLimiter,
        is_view: bool,
    ) -> None:
        from .resources import attach_managers

        self._shared = shared
        self._timeout = timeout
        self._retry = retry
        self._max_concurrency = max_concurrency
        self._concurrency = limiter
        self._is_view = is_view
        attach_managers(self)

    # ------------------------------------------------------------------ public surface

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._shared.base_url

    @property
    def timeout(self) -> Timeout:
        """The timeouts of this client (or view)."""
        return self._timeout

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of this client (or view)."""
        return self._retry

    @property
    def max_concurrency(self) -> int:
        """How many requests this client (or view) keeps in flight at most."""
        return self._max_concurrency

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called on the client (views share it)."""
        return self._shared.transport.closed

    @property
    def requests_sent(self) -> int:
        """How many HTTP attempts this client and its views have sent."""
        return self._shared.requests_sent

    @property
    def rate_limit_state(self) -> RateLimitState:
        """What the client knows of its rate limit right now (see :class:`RateLimitState`).

        >>> state = client.rate_limit_state               # doctest: +SKIP
        >>> if state.remaining is not None and state.remaining < 100:
        ...     await anyio.sleep(5)                      # slow down before being throttled
        """
        shared = self._shared
        return RateLimitState(
            limit=shared.limiter.server_limit,
            remaining=shared.limiter.server_remaining,
            reset_at=shared.gate.reset_at,
            gate_closed=not shared.gate.is_open,
            gate_opens_in=shared.gate.opens_in(),
            local_remaining=shared.limiter.local_remaining(),
            throttled_total=shared.gate.throttled_total,
        )

    def __repr__(self) -> str:
        kind = "Client view" if self._is_view else "Client"
        account = f" account_id={self._shared.account_id!r}" if self._shared.account_id else ""
        return (
            f"<cloud66_async.{kind} base_url={self._shared.base_url!r}{account}"
            f" max_concurrency={self._max_concurrency} token=<hidden>>"
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session the client made (a shared one is left open).

        Closing a view made by :meth:`with_options` closes nothing: the parent owns the session.
        """
        if self._is_view:
            return
        await self._shared.transport.close()

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
    ) -> Client:
        """Return a view of this client with other settings.

        The view shares the session, the rate limiter and the throttle gate; closing it closes
        nothing. Settings not given are the parent's.

        >>> patient = client.with_options(timeout=Timeout(total=300), retry=RetryPolicy(retries=5))
        """
        view = Client.__new__(Client)
        if max_concurrency is None or max_concurrency == self._max_concurrency:
            concurrency, limiter = self._max_concurrency, self._concurrency
        else:
            concurrency = _check_concurrency(max_concurrency)
            limiter = anyio.CapacityLimiter(concurrency)
        view._setup(
            self._shared,
            timeout=self._timeout if timeout is None else _check_timeout(timeout),
            retry=self._retry if retry is None else _check_retry(retry),
            max_concurrency=concurrency,
            limiter=limiter,
            is_view=True,
        )
        return view

    @property
    def with_raw_response(self) -> Any:
        """The same managers, whose calls return :class:`RawResponse` instead of the value.

        >>> raw = await client.with_raw_response.stacks.get(uid)   # doctest: +SKIP
        >>> raw.status, raw.request_id, raw.headers["X-RateLimit-Remaining"], raw.parsed.name

        List calls return their :class:`Paginator` unchanged: its pages carry ``headers`` and
        ``request_id``.
        """
        return _RawView(self)

    async def raw_response(self, call: Awaitable[T]) -> RawResponse[T]:
        """Await one SDK call and return its value with the HTTP answer behind it, typed.

        The typed twin of :attr:`with_raw_response`:

        >>> raw = await client.raw_response(client.stacks.get(uid))   # RawResponse[Stack]
        >>> raw.status, raw.headers["X-RateLimit-Remaining"], raw.parsed.name  # doctest: +SKIP

        The answer is the first one the call got (for ``wait=True`` calls, the answer that
        started the work, not the polls).
        """
        return await _collect_raw(call)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Send a request to an endpoint the SDK does not model; return the unwrapped payload.

        ``path`` is relative to ``base_url`` (``"/stacks/abc/jobs"``); it is sent as given, so
        quote any argument you put in it yourself. The answer's ``{"response": ...}`` envelope is
        removed; a list answer's pagination is dropped (ask for ``params={"page": n}``).
        """
        if not isinstance(method, str) or method.upper() not in {
            "GET",
            "POST",
            "PUT",
            "PATCH",
            "DELETE",
        }:
            raise ConfigError(f"unsupported method {method!r}")
        if isinstance(path, str) and any(
            c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in path
        ):
            raise ConfigError(
                f"path {path!r} has whitespace or control characters; percent-encode them"
            )
        if not isinstance(path, str) or not path.startswith("/") or "//" in path:
            raise ConfigError(
                f"path {path!r} must be relative to base_url and start with '/' "
                "(absolute URLs are refused so the token never goes to another host)"
            )
        answer = await self._send(method.upper(), self._shared.base_url + path, params, json)
        payload = self._json(answer)
        return _sansio.unwrap(payload, url=answer.url) if _has_envelope(payload) else payload

    def fan_out(
        self,
        items: Iterable[I] | AsyncIterable[I],
        fn: Callable[[I], Awaitable[R]],
        *,
        concurrency: int | None = None,
    ) -> AsyncIterator[Outcome[I, R]]:
        """Run ``fn(item)`` for every item, ``concurrency`` at a time; yield outcomes as they end.

        ``items`` may be an iterable or an async iterable (a :class:`Paginator` included); each
        :class:`Outcome` holds the ``item`` with its ``value`` or ``error``. A failing item
        cancels nothing; leaving the loop early cancels the work still running. All requests
        share the client's rate limiter and throttle gate.

        >>> async for o in client.fan_out(client.stacks.list(), count_servers, concurrency=10):
        ...     print(o.item.name, o.value if o.ok else o.error)      # doctest: +SKIP
        """
        from ._bulk import check_arguments, fan_out

        workers = self._max_concurrency if concurrency is None else concurrency
        check_arguments(items, fn, workers)
        return fan_out(items, fn, concurrency=workers)

    # ------------------------------------------------------------------ the pipeline

    def _url(self, template: str, path_params: Mapping[str, object]) -> str:
        return _sansio.build_url(self._shared.base_url, template, path_params)

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
    ) -> _Answer:
        """Send one logical request, retrying what is safe; return its successful answer."""
        shared = self._shared
        if shared.transport.closed:
            raise ClientClosedError("this client is closed; make a new Client to send requests")
        if params:
            url = url + "?" + _encode_query(params)
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        policy = self._retry
        retries_left = policy.retries
        throttle_waited = 0.0
        attempt = 0
        short_url = _sansio.redact_url(url)
        while True:
            attempt += 1
            request_id = _sansio.new_request_id()
            delay: float | None = None
            slots = self._concurrency
            try:
                # A free slot is taken without a trip through the event loop.
                slots.acquire_nowait()
            except anyio.WouldBlock:
                await slots.acquire()
            try:
                probe = over_budget = False
                try:
                    # The limiter first, the gate second: a request that waited for the
                    # limiter still sees a gate closed in the meantime, and whoever goes as the
                    # gate's probe already holds what the limiter gives.
                    if shared.limiter.limit is not None:
                        over_budget = await shared.limiter.acquire()
                    if not shared.gate.is_open:  # the common case skips the wait entirely
                        gate_started = _waits.monotonic()
                        try:
                            probe = await self._pass_gate(
                                throttle_waited, request_id, method, short_url
                            )
                        except BaseException:
                            shared.limiter.refund()  # never sent: it uses no budget
                            raise
                        throttle_waited += _waits.monotonic() - gate_started
                    headers = _sansio.build_headers(
                        token=shared.token,
                        user_agent=shared.user_agent,
                        request_id=request_id,
                        account_id=shared.account_id,
                        has_body=data is not None,
                    )
                    if shared.hooks.on_request is not None:
                        await emit(
                            shared.hooks.on_request,
                            RequestEvent(method, short_url, attempt, request_id),
                        )
                    started = _waits.monotonic()
                    shared.requests_sent += 1
                    resp = await shared.transport.send(
                        method, url, headers=headers, body=data, timeout=self._timeout
                    )
                except TransportError as exc:
                    shared.gate.abandoned(probe)
                    exc.request_id = request_id
                    exc.message = f"{exc.message} (request id {request_id})"
                    logger.debug(
                        "%s %s attempt %d failed: %s (request id %s)",
                        method,
                        short_url,
                        attempt,
                        exc,
                        request_id,
                    )
                    # A POST/PUT/DELETE goes again only if it certainly never left.
                    if retries_left > 0 and (method == "GET" or not exc.sent):
                        retries_left -= 1
                        delay = _sansio.backoff_delay(
                            policy.retries - retries_left,
                            base=policy.backoff,
                            cap=policy.backoff_max,
                        )
                        await emit(
                            shared.hooks.on_retry,
                            RetryEvent(
                                method,
                                short_url,
                                attempt,
                                request_id,
                                delay,
                                f"connection error: {type(exc.__cause__).__name__}",
                                None,
                            ),
                        )
                    else:
                        raise
                except BaseException:
                    shared.gate.abandoned(probe)
                    raise
                else:
                    elapsed = _waits.monotonic() - started
                    verdict = await self._after_answer(
                        resp,
                        method,
                        url,
                        attempt,
                        request_id,
                        elapsed,
                        probe=probe,
                        over_budget=over_budget,
                        retries_left=retries_left,
                        throttle_budget=policy.throttle_max_wait - throttle_waited,
                    )
                    if verdict is None:
                        answer = _Answer(
                            resp.status, resp.headers, resp.body, request_id, method, url
                        )
                        self._record(answer)
                        return answer
                    if verdict > 0:  # a retry after an error answer (a throttle returns 0)
                        retries_left -= 1
                        delay = verdict
                finally:
                    shared.limiter.release(over_budget)
            finally:
                slots.release()
            # Outside the concurrency slot: a request that waits holds no slot.
            if delay:
                await _waits.scaled_sleep(delay)

    async def _pass_gate(
        self, throttle_waited: float, request_id: str, method: str, short_url: str
    ) -> bool:
        """Wait at the throttle gate; return whether this request goes as the probe."""
        budget = self._retry.throttle_max_wait - throttle_waited
        try:
            return await self._shared.gate.enter(budget)
        except GateWaitTooLong as exc:
            raise ThrottledError(
                retry_after=exc.opens_in,
                status=503,
                error="throttled",
                description=(
                    f"the API is throttling this client for {exc.opens_in:.1f}s more, "
                    f"longer than this request may still wait ({max(0.0, budget):.1f}s)"
                ),
                request_id=request_id,
                method=method,
                url=short_url,
            ) from None

    def _is_throttle(self, resp: HTTPResponse) -> bool:
        if resp.status != 503:
            return False
        try:
            payload = _sansio.parse_body(resp.body)
        except (ValueError, UnicodeDecodeError):
            return False
        return _sansio.is_throttled(resp.status, payload)

    async def _after_answer(
        self,
        resp: HTTPResponse,
        method: str,
        url: str,
        attempt: int,
        request_id: str,
        elapsed: float,
        *,
        probe: bool,
        over_budget: bool,
        retries_left: int,
        throttle_budget: float,
    ) -> float | None:
        """Decide what an answer means: ``None`` to return it, a delay to retry, or raise.

        A throttled answer returns ``0.0``: the wait happens at the gate, for every request.
        """
        shared = self._shared
        short_url = _sansio.redact_url(url)
        rl = _sansio.parse_rate_limit_headers(resp.headers)
        if rl is not None:
            shared.limiter.observe(rl, over_budget=over_budget)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.3fs (attempt %d, request id %s)",
                method,
                short_url,
                resp.status,
                elapsed,
                attempt,
                request_id,
            )
        if shared.hooks.on_response is not None:
            await emit(
                shared.hooks.on_response,
                ResponseEvent(method, short_url, attempt, request_id, resp.status, elapsed),
            )
        if self._is_throttle(resp):
            retry_after = _sansio.parse_retry_after(resp.headers.get("Retry-After"))
            closed_for = shared.gate.throttled(retry_after, backoff=self._retry.throttle_backoff)
            if closed_for > throttle_budget:
                error = _sansio.error_for(
                    status=resp.status,
                    headers=resp.headers,
                    body=resp.body,
                    method=method,
                    url=url,
                    request_id=request_id,
                    retry_after=retry_after if retry_after is not None else closed_for,
                )
                self._record(_Answer(resp.status, resp.headers, resp.body, request_id, method, url))
                raise error
            logger.info(
                "%s %s throttled (503); every request of this client waits %.1fs",
                method,
                short_url,
                closed_for,
            )
            await emit(
                shared.hooks.on_throttle,
                ThrottleEvent(method, short_url, attempt, request_id, closed_for, retry_after),
            )
            return 0.0
        shared.gate.succeeded(probe)
        if 200 <= resp.status < 300:
            return None
        error = _sansio.error_for(
            status=resp.status,
            headers=resp.headers,
            body=resp.body,
            method=method,
            url=url,
            request_id=request_id,
        )
        if (
            method == "GET"
            and resp.status >= 500
            and retries_left > 0
            and not isinstance(error, NotImplementedByAPIError)
        ):
            # Never exactly 0: the caller reads 0.0 as "throttled, wait at the gate".
            delay = max(
                1e-9,
                _sansio.backoff_delay(
                    self._retry.retries - retries_left + 1,
                    base=self._retry.backoff,
                    cap=self._retry.backoff_max,
                ),
            )
            await emit(
                shared.hooks.on_retry,
                RetryEvent(
                    method,
                    short_url,
                    attempt,
                    request_id,
                    delay,
                    f"status {resp.status}",
                    resp.status,
                ),
            )
            return delay
        self._record(_Answer(resp.status, resp.headers, resp.body, request_id, method, url))
        raise error

    def _record(self, answer: _Answer) -> None:
        capture = _capture.get()
        if capture is not None and capture.answer is None:
            capture.answer = answer

    def _json(self, answer: _Answer) -> Any:
        try:
            return _sansio.parse_body(answer.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise DecodeError(
                f"the answer to {answer.method} {_sansio.redact_url(answer.url)} is not valid "
                f"JSON ({exc}; {len(answer.body)} bytes; request id {answer.request_id})",
                path="",
            ) from None

    # ------------------------------------------------------------------ helpers for managers

    async def _fetch_one(
        self,
        model: type[T],
        method: str,
        template: str,
        path_params: Mapping[str, object],
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> T:
        url = self._url(template, path_params)
        answer = await self._send(method, url, params, body)
        fast = self._shared.fast.one(answer.body, model)
        if fast is not None:
            return fast
        payload = _sansio.unwrap(self._json(answer), url=answer.url)
        return self._decode(payload, model, answer)

    def _decode(self, payload: Any, model: type[T], answer: _Answer) -> T:
        try:
            return self._shared.converter.structure(payload, model)
        except DecodeError as exc:
            self._in_answer(exc, answer)
            raise

    def _decode_list(self, payload: Any, model: type[T], answer: _Answer) -> list[T]:
        try:
            return self._shared.converter.structure_list(payload, model)
        except DecodeError as exc:
            self._in_answer(exc, answer)
            raise

    @staticmethod
    def _in_answer(exc: DecodeError, answer: _Answer) -> None:
        """Say which answer a decode error was found in."""
        exc.message = (
            f"{exc.message} (in the answer to {answer.method} "
            f"{_sansio.redact_url(answer.url)}, request id {answer.request_id})"
        )

    def _paginate(
        self,
        model: type[T],
        template: str,
        path_params: Mapping[str, object],
        *,
        params: Mapping[str, Any] | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[T]:
        url = self._url(template, path_params)  # checks the arguments before anything is sent
        query = _encode_query(params or {})
        page_url = f"{url}?{query}&page=" if query else f"{url}?page="
        fast = self._shared.fast

        async def fetch(number: int) -> Page[T]:
            answer = await self._send("GET", f"{page_url}{number}", None, None)
            info = fast.page(answer.body, model, requested=number)
            if info is None:
                # The careful path: the same bytes, decoded with every tolerance and check.
                info = _sansio.parse_page(self._json(answer), requested=number, url=answer.url)
                info = attrs.evolve(info, items=self._decode_list(info.items, model, answer))
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


class _RawView:
    """``client.with_raw_response``: managers whose calls return :class:`RawResponse`."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        from .resources import Manager

        target = getattr(self._client, name)
        return _RawManager(target) if isinstance(target, Manager) else _raw_callable(target)

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._client!r}>"


class _RawManager:
    def __init__(self, manager: Any) -> None:
        self._manager = manager

    def __getattr__(self, name: str) -> Any:
        return _raw_callable(getattr(self._manager, name))


def _raw_callable(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        capture = _Capture()
        token = _capture.set(capture)
        try:
            result = fn(*args, **kwargs)
        finally:
            _capture.reset(token)
        if isinstance(result, Paginator):
            return result
        if not hasattr(result, "__await__"):
            return result

        return _collect_raw(result, capture)

    return call


async def _collect_raw(call: Awaitable[T], capture: _Capture | None = None) -> RawResponse[T]:
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


def _encode_query(params: Mapping[str, Any]) -> str:
    from urllib.parse import urlencode

    flat: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            flat.append((key, "true" if value else "false"))
        elif isinstance(value, (list, tuple)):
            flat.append((key, ",".join(str(v) for v in value)))
        else:
            flat.append((key, str(value)))
    return urlencode(flat)


def _has_envelope(payload: Any) -> bool:
    return isinstance(payload, dict) and "response" in payload


def _check_timeout(timeout: Timeout | float | None) -> Timeout:
    if timeout is None:
        return Timeout()
    if isinstance(timeout, Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise ConfigError("timeout must be a Timeout or a number of seconds")
    return Timeout(total=float(timeout))


def _check_retry(retry: RetryPolicy | None) -> RetryPolicy:
    if retry is None:
        return RetryPolicy()
    if not isinstance(retry, RetryPolicy):
        raise ConfigError("retry must be a RetryPolicy")
    return retry


def _check_concurrency(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"max_concurrency must be an integer >= 1, got {value!r}")
    return value
