"""The :class:`Client`: the composition root. It checks the settings, builds the transport, the
rate limiter, the throttle gate, the decoder and the :class:`~cloud66_async._pipeline.Requester`,
and gives every API group its manager. It sends nothing itself::

    manager -> Endpoint[T] + arguments -> Requester -> sans-I/O request -> limiter -> gate
            -> transport -> decide -> decoder -> model

Only the package's ``__init__`` imports this module.
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import _sansio
from ._decode import Decoder
from ._exceptions import ConfigError
from ._hooks import Hooks
from ._options import (
    DEFAULT_MAX_RESPONSE_BYTES,
    RateLimit,
    RetryPolicy,
    Timeout,
    check_header_value,
    check_max_response_bytes,
    default_home,
    environ,
    resolve_base_url,
    resolve_limit_store,
    resolve_token,
)
from ._pipeline import Engine, RawResponse, Requester, capturing, collect_raw, stop_capturing
from ._streams import Stream
from ._throttle import Clock, Gate, Limiter, RateLimiter, RateLimitState, Slots, ThrottleGate
from ._transport import AIOHTTP_VERSION, AiohttpTransport, ClientSession, TraceConfig, Transport
from ._version import __version__

if TYPE_CHECKING:
    # Imported where first used instead (a limit store, the first manager), so that ``import
    # cloud66_async`` does not load the shared limit store, the resource managers and the models
    # (~40 ms together): a client pays for them when it uses them. typing.get_type_hints(Client)
    # needs the managers in its localns: ``{n: getattr(resources, n) for n in resources.__all__}``
    # (each is imported on first use). fan_out's machinery (_bulk) loads with the first fan_out.
    from ._bulk import Outcome
    from ._store import SharedLimits
    from .resources import (
        AccountsManager,
        ActionsManager,
        BackupsManager,
        CloudsManager,
        ContainersManager,
        DeploymentsManager,
        EnvVarsManager,
        FirewallsManager,
        Manager,
        NotificationsManager,
        ServerGroupsManager,
        ServerSettingsManager,
        ServersManager,
        ServicesManager,
        SettingsManager,
        StacksManager,
        UsersManager,
    )
else:
    # What Outcome is at run time (see _bulk): typing.get_type_hints(Client.fan_out) resolves to
    # the same objects as before, with no resolver and without importing _bulk.
    from ._streams import OutcomeBase as Outcome

__all__ = ["Client", "RawResponse"]

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item type of fan_out
R = TypeVar("R")

_DEFAULT = object()
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
# What request() refuses in a path: whitespace (str.isspace(): \s of a str pattern is the same
# set) and control characters. One regex search instead of a Python test per character.
_BAD_PATH_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")
# The client's attributes that are resource managers (``resources.MANAGERS`` maps the same names
# to their class names; a test keeps the two equal). Each is built on first access.
MANAGER_NAMES: frozenset[str] = frozenset(
    {
        "stacks",
        "actions",
        "deployments",
        "services",
        "containers",
        "env_vars",
        "firewalls",
        "notifications",
        "settings",
        "server_groups",
        "servers",
        "server_settings",
        "clouds",
        "backups",
        "accounts",
        "users",
    }
)


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
    every attempt, and ``trace_configs`` for the session the client makes. ``transport``
    replaces the network altogether (a :class:`MockTransport` in tests); the client closes it.
    ``max_response_bytes`` (32 MiB) is the largest answer body read, counted after
    decompression: a larger one raises :class:`ResponseTooLargeError` without being read
    further, whatever the transport.

    ``limit_store`` (default: ``CLOUD66_LIMIT_STORE``, else none) is a Redis or Valkey URL
    (``redis://host:6379/0``, ``rediss://...``, ``unix:///path/redis.sock``) where the rate
    budget and the throttle gate live, shared by every client of the same token that uses it,
    in any process on any host (install the ``redis`` extra). When it is down or too slow,
    requests raise :class:`LimitStoreError` before being sent.
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
        session: ClientSession | None = None,
        user_agent: str | None = None,
        account_id: str | int | None = None,
        hooks: Hooks | None = None,
        trace_configs: list[TraceConfig] | None = None,
        transport: Transport | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        limit_store: str | None = None,
        _env: Mapping[str, str] | None = None,
        _home: Path | None = None,
        _clock: Clock | None = None,
        _server_clock: Clock | None = None,
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
        if session is not None and not isinstance(session, ClientSession):
            raise ConfigError(
                f"session must be an aiohttp.ClientSession, got {type(session).__name__}"
            )
        if trace_configs is not None and (
            not isinstance(trace_configs, (list, tuple))
            or not all(isinstance(t, TraceConfig) for t in trace_configs)
        ):
            raise ConfigError("trace_configs must be a list of aiohttp.TraceConfig")
        if session is not None and trace_configs:
            raise ConfigError("trace_configs only apply to a session the client makes itself")
        if transport is not None and (session is not None or trace_configs):
            raise ConfigError("session and trace_configs apply to the SDK's own transport only")
        if transport is not None and not isinstance(transport, Transport):
            raise ConfigError("transport must have async send(request, *, timeout) and close()")
        if isinstance(account_id, int) and not isinstance(account_id, bool):
            if account_id < 1:
                raise ConfigError(f"account_id must be >= 1, got {account_id}")
            account_id = str(account_id)
        if account_id is not None:
            account_id = check_header_value("account_id", account_id)
        if hooks is not None and not isinstance(hooks, Hooks):
            raise ConfigError("hooks must be a cloud66_async.Hooks")
        if user_agent is not None:
            user_agent = check_header_value("user_agent", user_agent)
        concurrency = _check_concurrency(max_concurrency)
        max_bytes = check_max_response_bytes(max_response_bytes)
        checked_timeout = _check_timeout(timeout)
        checked_retry = _check_retry(retry)
        store = resolve_limit_store(limit_store, env)
        clock = time.monotonic if _clock is None else _clock
        limiter: Limiter | None = RateLimiter(limit, clock=clock) if limit is not None else None
        gate: Gate = ThrottleGate(clock=clock)
        self._limits: SharedLimits | None = None
        if store is not None:
            # Last: nothing below can fail, so the store's connections are always closed.
            from ._store import open_limit_store

            self._limits = open_limit_store(
                store,
                token=resolved_token,
                rate_limit=limit,
                lease=_lease(checked_timeout),
                clock=clock,
                server_clock=_server_clock,
            )
            limiter, gate = self._limits.limiter, self._limits.gate
        engine = Engine(
            token=resolved_token,
            base_url=resolved_url,
            account_id=account_id,
            user_agent=user_agent or _sansio.user_agent(__version__, AIOHTTP_VERSION),
            transport=transport
            if transport is not None
            else AiohttpTransport(
                session,
                trace_configs=trace_configs,
                connection_limit=max(100, concurrency),
                max_response_bytes=max_bytes,
            ),
            limiter=limiter,
            gate=gate,
            decoder=Decoder(),
            hooks=hooks or Hooks(),
            clock=clock,
            limit_max_wait=limit.max_wait if limit is not None else None,
            max_response_bytes=max_bytes,
        )
        requester = Requester(
            engine,
            timeout=checked_timeout,
            retry=checked_retry,
            slots=Slots(concurrency),
        )
        self._setup(requester, is_view=False)

    def _setup(self, requester: Requester, *, is_view: bool) -> None:
        self._requester = requester
        self._is_view = is_view

    if not TYPE_CHECKING:  # mypy reads the managers' types from the annotations above

        def __getattr__(self, name: str) -> Any:
            # Reached only when ordinary lookup fails: a manager not built yet. It is built on
            # first access and stored on the instance, so later lookups never come here.
            requester = self.__dict__.get("_requester")
            if name not in MANAGER_NAMES or requester is None:
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute {name!r}",
                    name=name,
                    obj=self,
                )
            from .resources import build_manager

            manager = build_manager(name, requester)
            setattr(self, name, manager)
            return manager

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *MANAGER_NAMES})

    @property
    def _shared(self) -> Engine:
        """What this client shares with its views (for tests and benchmarks)."""
        return self._requester.engine

    # ------------------------------------------------------------------ public surface

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._requester.engine.base_url

    @property
    def timeout(self) -> Timeout:
        """The timeouts of this client (or view)."""
        return self._requester.timeout

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of this client (or view)."""
        return self._requester.retry

    @property
    def max_concurrency(self) -> int:
        """How many requests this client (or view) keeps in flight at most."""
        return self._requester.slots.total_tokens

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called on the client (views share it)."""
        return self._requester.engine.closed

    @property
    def requests_sent(self) -> int:
        """How many HTTP attempts this client and its views have sent."""
        return self._requester.engine.requests_sent

    @property
    def rate_limit_state(self) -> RateLimitState:
        """What the client knows of its rate limit right now (see :class:`RateLimitState`).

        >>> state = client.rate_limit_state               # doctest: +SKIP
        >>> if state.remaining is not None and state.remaining < 100:
        ...     await anyio.sleep(5)                      # slow down before being throttled
        """
        return self._requester.engine.rate_limit_state()

    def __repr__(self) -> str:
        kind = "Client view" if self._is_view else "Client"
        engine = self._requester.engine
        account = f" account_id={engine.account_id!r}" if engine.account_id else ""
        return (
            f"<cloud66_async.{kind} base_url={engine.base_url!r}{account}"
            f" max_concurrency={self.max_concurrency} token=<hidden>>"
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session the client made (a shared one is left open).

        Closing a view made by :meth:`with_options` closes nothing: the parent owns the session.
        With a ``limit_store``, the client's connections to it are closed too.
        """
        if self._is_view:
            return
        try:
            await self._requester.engine.close()
        finally:
            if self._limits is not None:
                await self._limits.aclose()

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
        parent = self._requester
        if max_concurrency is None or max_concurrency == self.max_concurrency:
            slots = parent.slots
        else:
            slots = Slots(_check_concurrency(max_concurrency))
        requester = Requester(
            parent.engine,
            timeout=parent.timeout if timeout is None else _check_timeout(timeout),
            retry=parent.retry if retry is None else _check_retry(retry),
            slots=slots,
        )
        view = Client.__new__(Client)
        view._limits = None  # the parent's to close
        view._setup(requester, is_view=True)
        return view

    @property
    def with_raw_response(self) -> Any:
        """The same managers, whose calls return :class:`RawResponse` instead of the value.

        >>> raw = await client.with_raw_response.stacks.get(uid)   # doctest: +SKIP
        >>> raw.status, raw.request_id, raw.headers["X-RateLimit-Remaining"], raw.parsed.name

        List calls return their :class:`Paginator` unchanged: its pages carry ``headers`` and
        ``request_id``. For a typed result, use :meth:`raw_response`.
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
        if not inspect.isawaitable(call):
            raise ConfigError(
                f"raw_response needs an SDK call (an awaitable), got {type(call).__name__}"
            )
        return await collect_raw(call)

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
        if not isinstance(method, str) or method.upper() not in _METHODS:
            raise ConfigError(f"unsupported method {method!r}")
        if isinstance(path, str) and _BAD_PATH_CHAR.search(path) is not None:
            raise ConfigError(
                f"path {path!r} has whitespace or control characters; percent-encode them"
            )
        if not isinstance(path, str) or not path.startswith("/") or "//" in path:
            raise ConfigError(
                f"path {path!r} must be relative to base_url and start with '/' "
                "(absolute URLs are refused so the token never goes to another host)"
            )
        if params is not None and not isinstance(params, Mapping):
            raise ConfigError("params must be a mapping")
        return await self._requester.json(method.upper(), path, params=params, body=json)

    def fan_out(
        self,
        items: Iterable[I] | AsyncIterable[I],
        fn: Callable[[I], Awaitable[R]],
        *,
        concurrency: int | None = None,
    ) -> Stream[Outcome[I, R]]:
        """Run ``fn(item)`` for every item, ``concurrency`` at a time; yield outcomes as they end.

        ``items`` may be an iterable or an async iterable (a :class:`Paginator` included); each
        :class:`Outcome` is a :class:`Success` with the item's ``value`` or a :class:`Failure`
        with its ``error`` (``if outcome.ok:`` tells them apart, for a type checker too). A
        failing item cancels nothing; leaving the loop early cancels the work still running.
        All requests share the client's rate limiter and throttle gate.

        >>> async for o in client.fan_out(client.stacks.list(), count_servers, concurrency=10):
        ...     print(o.item.name, o.value if o.ok else o.error)      # doctest: +SKIP
        """
        from ._bulk import fan_out  # its attrs classes load with the first fan_out

        workers = self.max_concurrency if concurrency is None else concurrency
        return fan_out(items, fn, concurrency=workers)


class _RawView:
    """``client.with_raw_response``: managers whose calls return :class:`RawResponse`."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        return _RawManager(target) if name in MANAGER_NAMES else _raw_callable(target)

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._client!r}>"


class _RawManager:
    def __init__(self, manager: Manager) -> None:
        self._manager = manager

    def __getattr__(self, name: str) -> Any:
        return _raw_callable(getattr(self._manager, name))


def _raw_callable(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        capture, token = capturing()
        try:
            result = fn(*args, **kwargs)
        finally:
            stop_capturing(token)
        if not hasattr(result, "__await__"):
            return result  # a Paginator (its pages carry headers), or a plain value
        return collect_raw(result, capture)

    return call


def _lease(timeout: Timeout) -> float:
    """How long a request may hold a shared slot (the probe, the over-budget slot) before the
    store hands it on: a process that died holding it gives it up after this."""
    longest = timeout.total if timeout.total is not None else 60.0
    return min(longest, 300.0) + 10.0


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
