"""FakeCloud66: an in-memory Cloud 66 API v3 served over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import re
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl

from aiohttp import web

from ._app import Dispatcher
from ._faults import (
    Fault,
    FaultKind,
    FaultRegistry,
    ScheduledWarning,
    WarningRegistry,
)
from ._handlers import Call
from ._log import LoggedRequest
from ._params import Params, decode_form
from ._ratelimit import RETRY_AFTER_MODES, RateLimiter
from ._responses import Listing
from ._routes import SCOPES, Target, parse_target, resolve
from ._seed import seed_state
from ._state import Config, Outcome, State, public

if TYPE_CHECKING:
    from cloud66_async import Client

__all__ = ["FakeCloud66"]

_EARLY_PREFIX = "/api/v3"


class FakeCloud66:
    """Serve an in-memory Cloud 66 API v3 on loopback, for tests and demos.

    ``async with FakeCloud66() as fake:`` starts it on a free port of 127.0.0.1; ``fake.client()``
    returns a :class:`cloud66_async.Client` pointed at it. The data is seeded deterministically
    from ``seed``: the blueprint's example stack ``5999b763474b0eafa5fafb64bff0ba80`` first, with
    the example objects of the vendored blueprints under the ids their documented requests use
    (tests/samples/FIXES.md), then generated stacks up to ``stacks`` in all. Stack actions
    finish ``action_delay`` seconds after they start and deployments ``deploy_duration`` seconds
    after, evaluated lazily on each request.

    The routes answer under ``api_prefix`` and under each of ``extra_prefixes`` (by default the
    early edition's ``/api/v3``).
    """

    def __init__(
        self,
        *,
        stacks: int = 75,
        servers_per_stack: int = 3,
        per_page: int = 30,
        action_delay: float = 0.05,
        deploy_duration: float = 0.2,
        rate_limit: tuple[int, float] | None = None,
        rate_limit_header_limit: int = 3600,
        retry_after: str = "seconds",
        api_prefix: str = "/api/3",
        extra_prefixes: Iterable[str] = (_EARLY_PREFIX,),
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 66,
    ) -> None:
        if per_page < 1:
            raise ValueError("per_page must be at least 1")
        if retry_after not in RETRY_AFTER_MODES:
            raise ValueError(f"retry_after must be one of {', '.join(RETRY_AFTER_MODES)}")
        prefix = "/" + api_prefix.strip("/")
        self.api_prefix = prefix
        self.prefixes = tuple(
            dict.fromkeys([prefix, *("/" + p.strip("/") for p in extra_prefixes)])
        )
        self.host = host
        self.port = port
        self.retry_after = retry_after
        self._config = Config(
            per_page=per_page, action_delay=action_delay, deploy_duration=deploy_duration
        )
        self._state = State(self._config, seed=seed)
        self._seeder = seed_state(
            self._state, seed=seed, stacks=stacks, servers_per_stack=servers_per_stack
        )
        self._token_rng = random.Random(f"{seed}:tokens")
        self._tokens: dict[str, frozenset[str]] = {}
        limit, window = rate_limit if rate_limit is not None else (None, 3600.0)
        self._limiter = RateLimiter(limit, window, header_limit=rate_limit_header_limit)
        self._faults = FaultRegistry()
        self._warnings = WarningRegistry()
        #: Every request received, in arrival order (faulted, 401, 403 and 503 ones included).
        self.request_log: list[LoggedRequest] = []
        self._dispatcher = Dispatcher(
            state=self._state,
            tokens=self._tokens,
            limiter=self._limiter,
            faults=self._faults,
            warnings=self._warnings,
            log=self.request_log,
            prefixes=self.prefixes,
            retry_after=lambda: self.retry_after,
        )
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        #: A token holding every scope, issued at construction.
        self.token = self.issue_token()

    def __repr__(self) -> str:
        where = self._url or "never started"
        running = "running" if self._runner is not None else "stopped"
        return f"<FakeCloud66 {where} {running} stacks={len(self._state.stacks)}>"

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on ``host``:``port`` (port 0 picks a free one)."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatcher.handle)
        # A short shutdown timeout: close() must not wait for a slow-body fault to finish.
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.25)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.port = int(port)
        shown = f"[{host}]" if ":" in str(host) else str(host)
        self._url = f"http://{shown}:{self.port}"

    async def close(self) -> None:
        """Stop serving and drop open connections."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def serve_forever(
        self, *, on_ready: Callable[[FakeCloud66], object] | None = None
    ) -> None:
        """Start (if needed), call ``on_ready(self)``, and serve until cancelled; then close."""
        await self.start()
        try:
            if on_ready is not None:
                result = on_ready(self)
                if inspect.isawaitable(result):
                    await result
            await asyncio.Event().wait()
        finally:
            await self.close()

    def run(
        self,
        port: int | None = None,
        *,
        on_ready: Callable[[FakeCloud66], object] | None = None,
    ) -> None:
        """Serve in a new event loop until interrupted (for ``cloud66-async fake-server``).

        ``port`` overrides the constructor's; ``on_ready`` defaults to printing
        :meth:`describe` (the base URL and the token).
        """
        if port is not None:
            self.port = port
        ready = on_ready if on_ready is not None else (lambda fake: print(fake.describe()))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.serve_forever(on_ready=ready))

    def describe(self) -> str:
        """Return a short text telling where the fake listens and which token to use."""
        return f"Cloud 66 fake API at {self.base_url}\nToken (all scopes): {self.token}"

    @property
    def url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:54321``."""
        if self._url is None:
            raise RuntimeError("the fake is not started; use 'async with FakeCloud66()' or start()")
        return self._url

    @property
    def base_url(self) -> str:
        """The API's base URL: :attr:`url` plus ``api_prefix``."""
        return self.url + self.api_prefix

    # -- tokens and clients -------------------------------------------------------------------

    def issue_token(self, scopes: Iterable[str] = SCOPES) -> str:
        """Create a token holding exactly ``scopes`` (a subset of :data:`SCOPES`)."""
        wanted = frozenset(scopes)
        unknown = wanted - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
        while True:
            token = f"{self._token_rng.getrandbits(160):040x}"
            if token not in self._tokens:
                self._tokens[token] = wanted
                return token

    def revoke_token(self, token: str) -> None:
        """Make ``token`` unknown: later requests with it get 401."""
        self._tokens.pop(token, None)

    def client(self, **kwargs: Any) -> Client:
        """Return a ``cloud66_async.Client`` for this fake (token: :attr:`token` unless given)."""
        from cloud66_async import Client

        token = kwargs.pop("token", self.token)
        base_url = kwargs.pop("base_url", self.base_url)
        return Client(token, base_url=base_url, **kwargs)

    # -- the request log ----------------------------------------------------------------------

    def requests(
        self, method: str | None = None, path: str | re.Pattern[str] | None = None
    ) -> list[LoggedRequest]:
        """Return logged requests by method and decoded path (exact, or a regex fullmatch)."""
        found = []
        for entry in self.request_log:
            if method is not None and entry.method != method.upper():
                continue
            if isinstance(path, re.Pattern):
                if path.fullmatch(entry.path) is None:
                    continue
            elif path is not None and entry.path != path:
                continue
            found.append(entry)
        return found

    def clear_log(self) -> None:
        """Forget every logged request."""
        self.request_log.clear()

    # -- faults and rate limits ---------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        path: str | re.Pattern[str],
        kind: str | FaultKind,
        *,
        times: int | None = 1,
        status: int | None = None,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        retry_after: float = 1.0,
    ) -> None:
        """Make the next ``times`` requests matching ``method`` and ``path`` go wrong.

        ``method`` is an HTTP method or ``"*"``; ``path`` is the decoded path without the API
        prefix (``"/stacks/abc/actions"``) or a compiled regex matched in full against it.
        ``times=None`` applies the fault until :meth:`clear_faults`. See :class:`FaultKind` for
        the kinds; ``status``/``body``/``headers`` shape the answer of the answering kinds
        (``status`` defaults to 500, 502 for ``html``, 503 for ``throttled`` and
        ``not_implemented``), ``delay`` is the pause of ``latency``, ``slow_body`` and
        ``reset_during``, ``retry_after`` the seconds a ``throttled`` fault asks to wait.
        """
        fault = Fault(
            method=method.upper(),
            path=path,
            kind=FaultKind(kind),
            remaining=times,
            status=status,
            body=body,
            headers=dict(headers or {}),
            delay=delay,
            retry_after=retry_after,
        )
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault not used up yet."""
        self._faults.clear()

    def set_warning(
        self,
        text: str,
        *,
        times: int | None = 1,
        method: str = "*",
        path: str | re.Pattern[str] | None = None,
    ) -> None:
        """Make the next ``times`` answers carry ``X-Cloud66-Warning: text``.

        The live API warns this way (about a deprecated call, say) and the official client
        prints the warning. Every answer counts, errors and injected faults included (a reset
        connection has no answer to carry it); ``method`` (or ``"*"``) and ``path`` (the decoded
        path without the API prefix, or a compiled regex matched in full) narrow which ones.
        ``times=None`` warns on every matching answer from now on; warnings set earlier are
        used first. :attr:`LoggedRequest.warning` records the warning each answer carried.
        """
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
            raise ValueError("a warning is one header line: no control characters")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None")
        self._warnings.add(ScheduledWarning(text, method.upper(), path, times))

    def clear_warnings(self) -> None:
        """Forget every warning set with :meth:`set_warning` and not used up yet."""
        self._warnings.warnings.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """The injected faults not used up yet, in matching order."""
        return list(self._faults.faults)

    def set_rate_limit(self, requests: int | None, window: float = 3600.0) -> None:
        """Allow ``requests`` per token per ``window`` seconds (None: unlimited); counts restart."""
        self._limiter.configure(requests, window)

    def reset_rate_limits(self) -> None:
        """Restart every token's rate-limit window."""
        self._limiter.reset()

    # -- outcomes and timing ------------------------------------------------------------------

    def set_action_outcome(
        self, success: bool, message: str | None = None, *, times: int | None = None
    ) -> None:
        """Make the next ``times`` stack actions (None: all from now on) end with this outcome.

        A failed action applies no change and carries ``message`` (default ``"<action> failed"``)
        as its ``finished_message``.
        """
        self._state.action_outcomes.set(Outcome(success, message), times)

    def set_deploy_outcome(self, success: bool, *, times: int | None = None) -> None:
        """Make the next ``times`` deployments (None: all from now on) succeed or fail."""
        self._state.deploy_outcomes.set(Outcome(success), times)

    def finish_pending(self) -> None:
        """Finish every running action and deployment now, as if their time had come.

        The example stack's deployment 112 (the one the blueprint's "Cancel deployment"
        cancels) runs until cancelled and is not finished here.
        """
        self._state.finish_pending()

    @property
    def action_delay(self) -> float:
        """Seconds from an action's start to its end (applies to actions started later)."""
        return self._config.action_delay

    @action_delay.setter
    def action_delay(self, value: float) -> None:
        self._config.action_delay = value

    @property
    def deploy_duration(self) -> float:
        """Seconds a deployment runs (applies to deployments started later)."""
        return self._config.deploy_duration

    @deploy_duration.setter
    def deploy_duration(self, value: float) -> None:
        self._config.deploy_duration = value

    @property
    def per_page(self) -> int:
        """Items per page of every list endpoint."""
        return self._config.per_page

    @per_page.setter
    def per_page(self, value: int) -> None:
        if value < 1:
            raise ValueError("per_page must be at least 1")
        self._config.per_page = value

    @property
    def firewall_ttl_unit(self) -> float:
        """Seconds per unit of a firewall rule's ``ttl`` (60: the API's minutes)."""
        return self._config.firewall_ttl_unit

    @firewall_ttl_unit.setter
    def firewall_ttl_unit(self, value: float) -> None:
        self._config.firewall_ttl_unit = value

    @property
    def redeploy_async_action(self) -> bool:
        """Whether redeploy answers carry ``queued`` and ``async_action_id`` (newer servers)."""
        return self._config.redeploy_async_action

    @redeploy_async_action.setter
    def redeploy_async_action(self, value: bool) -> None:
        self._config.redeploy_async_action = value

    # -- state helpers ------------------------------------------------------------------------

    @property
    def state(self) -> State:
        """The raw in-memory state (advanced to now); for tests that need more than helpers."""
        self._state.advance()
        return self._state

    @property
    def stack_uids(self) -> list[str]:
        """The uids of the listed stacks, in list order."""
        return [record.uid for record in self.state.visible_stacks()]

    def stack(self, uid: str) -> dict[str, Any]:
        """Return a copy of stack ``uid`` as the API shows it (KeyError if unknown)."""
        state = self.state
        record = state.stacks.get(state.resolve("stack", uid))
        if record is None:
            raise KeyError(uid)
        return public(record.stack)

    def add_stack(self, name: str | None = None, **fields: Any) -> str:
        """Add a generated stack (servers, services, env vars...) and return its uid.

        ``fields`` override fields of the stack object, e.g. ``environment="staging"``.
        """
        record = self._seeder.generated_stack(name=name)
        record.stack.update(fields)
        return record.uid

    def remove_stack(self, uid: str) -> None:
        """Delete a stack and everything under it."""
        self._state.stacks.pop(uid, None)

    def peek(self, path: str) -> Any:
        """Return what ``GET path`` answers, unpaginated, with no auth, log or faults.

        ``path`` is relative to the API prefix (which may be included) and may carry a query
        string, e.g.
        ``fake.peek("/stacks/abc/containers?server_uid=x")``. A list endpoint returns all
        its items; errors raise :class:`~cloud66_async.testing._responses.ApiError`.
        """
        self._state.advance()
        parsed = parse_target(path, self.prefixes)
        target = Target(prefix=parsed.prefix or "", segments=parsed.segments)
        query = path.partition("?")[2]
        params = Params(decode_form(parse_qsl(query, keep_blank_values=True)))
        route, args = resolve("GET", target, params)
        result = route.handler(Call(state=self._state, args=args, params=params))
        if isinstance(result, Listing):
            render = result.render
            return [render(item) for item in result.items] if render else list(result.items)
        return result
