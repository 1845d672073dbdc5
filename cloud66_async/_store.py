"""The rate budget and the throttle gate kept in Redis (or Valkey): one budget and one gate for
every client, in any process on any host, that uses the same token and the same store.

:class:`SharedRateLimiter` and :class:`SharedThrottleGate` stand in for the in-process
:class:`~cloud66_async._throttle.RateLimiter` and :class:`~cloud66_async._throttle.ThrottleGate`
behind the same interface (see that module's docstring), chosen when the client is built
(``Client(limit_store="redis://...")``). What they keep, and how:

- **One key prefix per token**: ``cloud66_async:{<sha256(token)[:32]>}:``, so the token itself
  never reaches the store. The braces make a Redis Cluster keep the four keys in one slot.
  ``window`` (a sorted set: one member per request that may still count in the API's window,
  scored at its lease's end while it is in flight and at its end once over, and dropped a
  window after its score: the API counts a request when it arrives, any time up to its end),
  ``inflight`` (a sorted set: requests not yet over, scored by when their lease ends),
  ``budget`` (a hash: the server's last ``X-RateLimit-Limit`` / ``-Remaining``, our count
  against them, and who holds the one request allowed past them) and ``gate`` (a hash: until
  when it is closed, who probes, the throttled answers in a row and in all). Every key has a
  TTL, so an abandoned store empties itself: the window's is a lease and a window, the others'
  an hour past their last change.
- **Atomic steps on the server**: each step is one Lua script (sent once, then run by its SHA1
  with ``EVALSHA``; redis-py loads it again after a ``NOSCRIPT``, e.g. when the server was
  restarted). A request's admission checks and updates the window, the server's budget and
  the over-budget slot, and reads the gate, in one step, so no interleaving of processes lets
  more than the window through.
- **The server's clock**: every script reads ``TIME`` on the server (microseconds, integers, so
  Lua's doubles are exact), so hosts whose clocks disagree still share one window. Leases and
  deadlines are instants on that clock; TTLs only clean up.
- **Leases** where a process may die holding something: the over-budget slot, the probe and
  the in-flight entries end after ``lease`` seconds (a request's longest time, from the client's
  timeout), so a process killed mid-probe hands the probe on when its lease ends.
- **Waiting**: by polling. A request that has to wait sleeps until the instant the store named
  (the oldest send leaving the window, the gate's reopening), at most :data:`POLL_MAX` seconds
  (so a place given back by another process is seen), and waits of unknown length (the probe's
  verdict, the over-budget request's answer: one request's time) poll with a backoff from
  :data:`POLL_MIN` to :data:`POLL_UNKNOWN_MAX` (20 ms: a budget of 100 a second loses little
  to the news of another process's answer); every wait is bounded by its deadline. One task
  per process polls for each of the two, the others wait for it locally; whatever it finds,
  and every release or verdict in this process, wakes them all at once, and they try again
  together (their admissions in one exchange), not one after the other.
- **At most one round trip per request, shared by concurrent requests**: the admission script
  also returns the gate's state, so the gate lets the same request through without a round
  trip of its own when it was open at admission; a request's answer headers (``observe``) go
  with its release; a release waits for the next admission of this process, which carries it,
  or is sent on its own :data:`FLUSH_AFTER` seconds later (never held back: one that refunds a
  send, ends an over-budget request, or reports that the server's budget is nearly spent); and
  the admissions a process asks for while one of its admission exchanges is under way wait for
  it, then go together in the next (the script admits them one after the other, as that many
  calls at one instant would). Ten tasks at a time thus cost about two round trips per ten
  requests, and no admission waits longer than the exchange under way plus its own. And each
  admission exchange admits one more member, a spare, for this process's next request, while
  the gate is open, the window at most half full and the server's budget above 32 (the script
  decides, in the same step): that request takes it without a round trip while it is fresh
  (:data:`SPARE_FRESH`, 5 ms: a throttle another process saw reaches this one at most that
  much later than through an exchange of its own; never once this process saw one), and one
  nobody took is given back with the next exchange or by the timer. One task sending requests
  back to back thus costs one round trip per two requests; the spare's place is held from its
  admission, before its request goes, so the window still never lets more through.
- **Failures**: every exchange is bounded (connect + answer timeouts of the store URL, one
  second each by default); a store that is down or too slow raises
  :class:`~cloud66_async.LimitStoreError` from ``acquire`` and ``enter``, before the request
  is sent, and never falls back to a budget of this process alone (only the spare the store
  admitted before it failed may still carry one request, within :data:`SPARE_FRESH`). Reports
  after the answer
  (``release``, ``succeeded``, ...) log the failure and do not raise: the request is over, and
  the leases and TTLs clean up what the store did not hear.

``limits`` (whose moving-window Redis strategy was looked at) counts with the client's clock and
has no refund, no server budget and no gate, so the scripts here are our own.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import importlib
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

import anyio
import anyio.lowlevel
import attrs

from ._exceptions import ConfigError, LimitStoreError
from ._options import RateLimit, RetryPolicy, StoreAddress
from ._sansio import RateLimitHeaders, throttle_delay
from ._throttle import (
    FREE,
    Clock,
    GateState,
    LimiterState,
    Permit,
    Ticket,
    WaitTooLong,
    _Wakeup,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = [
    "KEY_PREFIX",
    "POLL_MAX",
    "POLL_MIN",
    "POLL_UNKNOWN_MAX",
    "SEEN_FRESH",
    "SPARE_FRESH",
    "LimitStore",
    "SharedLimits",
    "SharedRateLimiter",
    "SharedThrottleGate",
    "key_prefix",
    "open_limit_store",
]

logger = logging.getLogger("cloud66_async")

_Found = TypeVar("_Found", Permit, Ticket)

KEY_PREFIX: Final = "cloud66_async"
#: The longest sleep of a wait whose end the store named; the shortest and the longest pause
#: between two polls of a wait of unknown length (it lasts about one request).
POLL_MAX: Final = 0.25
POLL_MIN: Final = 0.005
POLL_UNKNOWN_MAX: Final = 0.02
#: How long the budget and the gate are kept after their last change (seconds).
KEEP: Final = 3600.0
#: Releases held back for the next exchange, at most (then they are sent on their own).
MAX_PENDING: Final = 64
#: How long a release waits for the next exchange before it is sent on its own (seconds).
FLUSH_AFTER: Final = 0.05
#: A release whose answer says no more than this is left is sent at once, not deferred.
URGENT_REMAINING: Final = 32
#: How long the gate's state seen at a request's admission stands for that request's entry.
SEEN_FRESH: Final = 0.05
#: How long a spare (an admission made ahead for this process's next request) may be used: a
#: throttle another process saw meanwhile reaches this one only with its next exchange, so
#: this bounds how late the news can be for the one request the spare carries.
SPARE_FRESH: Final = 0.005

_INSTALL = (
    'limit_store needs the redis package: pip install "cloud66_async[redis]" '
    "(redis-py 5.0.1 or later; it works with Redis and Valkey servers)"
)

# ---------------------------------------------------------------------------------- scripts
# KEYS: window, inflight, budget, gate (one prefix). ARGV[1] is always "now" in microseconds,
# empty for the server's TIME (tests pass their own clock). Integers go out through int(): Lua
# turns a number into a string with 14 significant digits, too few for microseconds since 1970.

_PRELUDE = """
if redis.replicate_commands ~= nil then redis.replicate_commands() end
local function int(n) return string.format('%.0f', n) end
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- The gate: 0 open, 1 closed (for wait us), 2 a probe is out (its lease ends in wait us),
-- 3 closed, and the next request goes as the probe; and the throttled answers in all.
local function gate_status(now)
  local g = redis.call('HMGET', KEYS[4], 'open_at', 'probe', 'probe_until', 'throttled')
  if not g[1] then return 0, 0, g[4] end
  local open_at = tonumber(g[1])
  if now < open_at then return 1, open_at - now, g[4] end
  if g[2] and tonumber(g[3]) > now then return 2, tonumber(g[3]) - now, g[4] end
  return 3, 0, g[4]
end
-- One request is over (age us ago): take in its answer's headers, free its lease and its
-- over-budget slot, and refund it when it was never sent (sent = '0'); when it was sent, its
-- place in the window moves to when it ended, after the API counted it (XX: a place the
-- window already dropped, or refunded, is not made again).
local function finish(now, member, sent, over, limit, remaining, age)
  if limit ~= '' then redis.call('HSET', KEYS[3], 'limit', limit) end
  if remaining ~= '' then
    local r = tonumber(remaining)
    local before = redis.call('HGET', KEYS[3], 'budget')
    local b
    if (not before) or over == '1' then
      -- What the server allows, less what the other requests in flight will use.
      local others = redis.call('ZCOUNT', KEYS[2], '(' .. int(now), '+inf')
      local mine = redis.call('ZSCORE', KEYS[2], member)
      if mine and tonumber(mine) > now then others = others - 1 end
      b = r - others
    else
      b = math.min(tonumber(before), r)
    end
    redis.call('HSET', KEYS[3], 'remaining', remaining, 'budget', int(b))
  end
  redis.call('ZREM', KEYS[2], member)
  if over == '1' and redis.call('HGET', KEYS[3], 'over') == member then
    redis.call('HDEL', KEYS[3], 'over', 'over_until')
  end
  if sent == '0' then
    redis.call('ZREM', KEYS[1], member)
    if redis.call('HEXISTS', KEYS[3], 'budget') == 1 then
      redis.call('HINCRBY', KEYS[3], 'budget', 1)
    end
  else
    redis.call('ZADD', KEYS[1], 'XX', int(now - math.max(0, tonumber(age) or 0)), member)
  end
end
-- Each finished request is one argument: "member,sent,over,limit,remaining,age".
local function finish_all(now, first, keep)
  for i = first, #ARGV do
    local m, s, o, l, r, a = string.match(
      ARGV[i], '^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$')
    finish(now, m, s, o, l, r, a)
  end
  if first <= #ARGV then redis.call('PEXPIRE', KEYS[3], keep) end
end
"""

# ARGV: now, "requests,per (us),lease (us),keep (ms)", n, n members, then finished requests.
# Admits the n members one after the other, as n calls at one instant would, so a process's
# concurrent requests share one round trip. The window holds one member per request that may
# still reach the API, scored by when its place starts counting down: a request in flight is
# scored at the end of its lease (its place is held until it ends), a finished one at when it
# ended; a member leaves the window per us after its score. So the API, which counts a request
# when it arrives (between its admission and its end), never sees more than the window in any
# span of per us. A full window frees a place at its lowest score + per, or, when every place
# is held by a request in flight, per after the first of them ends (the wait named is per).
# Returns one string of comma-separated fields (one bulk reply costs the client far less to
# read than an array): gate, gate us, limit, remaining, throttled, then status, us, count, over
# for each member: status 0 admitted (us: now), 1 the window is full (us: until a place frees),
# 2 the over-budget slot is taken (us: until its lease ends), 4 a spare not admitted. A field
# the store does not hold is empty. ARGV[3] is "n,s" when the last s of the n members are
# spares: admitted, as the others, only while the gate is open, the window at most half full
# and the server's known budget above 32, so that holding one for a while takes a place
# nobody lacks.
_ACQUIRE = (
    _PRELUDE
    + """
local now = clock(ARGV[1])
local requests, per, lease, keep = string.match(ARGV[2], '^(%d+),(%d+),(%d+),(%d+)$')
requests, per, lease, keep = tonumber(requests), tonumber(per), tonumber(lease), tonumber(keep)
local n, spare = string.match(ARGV[3], '^(%d+),?(%d*)$')
n, spare = tonumber(n), tonumber(spare) or 0
finish_all(now, 4 + n, keep)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now - per))
local count = redis.call('ZCARD', KEYS[1])
local gate, gate_wait, throttled = gate_status(now)
local b = redis.call('HMGET', KEYS[3], 'limit', 'remaining', 'budget', 'over', 'over_until')
local out = {gate, int(gate_wait), b[1] or '', b[2] or '', throttled or ''}
local budget = b[3] and tonumber(b[3])
local over_until = (b[4] and tonumber(b[5])) or 0
local oldest, admitted, took_over = nil, 0, false
for i = 1, n do
  local member = ARGV[3 + i]
  local status, value, over = 0, now, 0
  if i > n - spare and (gate ~= 0 or count >= math.floor(requests / 2)
      or (budget and budget <= 32)) then
    status, value = 4, 0
  elseif count >= requests then
    if not oldest then
      oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
      if oldest > now then oldest = now end
    end
    status, value = 1, oldest + per - now
  elseif budget and budget <= 0 and over_until > now then
    status, value = 2, over_until - now
  else
    if budget and budget <= 0 then
      redis.call('HSET', KEYS[3], 'over', member, 'over_until', int(now + lease))
      over_until, over, took_over = now + lease, 1, true
    end
    if admitted == 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', int(now)) end
    redis.call('ZADD', KEYS[1], int(now + lease), member)
    redis.call('ZADD', KEYS[2], int(now + lease), member)
    count, admitted = count + 1, admitted + 1
    if budget then budget = budget - 1 end
  end
  out[#out + 1] = status
  out[#out + 1] = int(value)
  out[#out + 1] = count
  out[#out + 1] = over
end
if admitted > 0 then
  redis.call('PEXPIRE', KEYS[1], int(math.ceil((lease + per) / 1000) + 1000))
  redis.call('PEXPIRE', KEYS[2], int(math.ceil(lease / 1000) + 1000))
  if budget then redis.call('HSET', KEYS[3], 'budget', int(budget)) end
  if budget or took_over then redis.call('PEXPIRE', KEYS[3], keep) end
end
return table.concat(out, ',')
"""
)

# ARGV: now, keep (ms), per (us), then finished requests. Returns {limit, remaining, gate,
# gate us, throttled, sends in the window}.
_RELEASE = (
    _PRELUDE
    + """
local now = clock(ARGV[1])
finish_all(now, 4, tonumber(ARGV[2]))
local b = redis.call('HMGET', KEYS[3], 'limit', 'remaining')
local gate, gate_wait, throttled = gate_status(now)
local count = redis.call('ZCOUNT', KEYS[1], '(' .. int(now - tonumber(ARGV[3])), '+inf')
return {b[1], b[2], gate, gate_wait, throttled, count}
"""
)

# ARGV: now, probe id, lease (us), keep (ms). Returns {gate, gate us, throttled}; gate 3 means
# this caller is the probe now.
_ENTER = (
    _PRELUDE
    + """
local now = clock(ARGV[1])
local gate, gate_wait, throttled = gate_status(now)
if gate == 3 then
  local lease = tonumber(ARGV[3])
  redis.call('HSET', KEYS[4], 'probe', ARGV[2], 'probe_until', int(now + lease))
  local want = math.ceil(lease / 1000) + tonumber(ARGV[4])
  if redis.call('PTTL', KEYS[4]) < want then redis.call('PEXPIRE', KEYS[4], int(want)) end
end
return {gate, gate_wait, throttled}
"""
)

# ARGV: now, delay (us), keep (ms). One more throttled answer: close the gate for delay from
# now (or longer, when it was already closed for longer), in the same step as counting it, so
# that no request of any process starts in between. Returns {in a row, in all, closed for us}.
_THROTTLED = (
    _PRELUDE
    + """
local now = clock(ARGV[1])
local episodes = redis.call('HINCRBY', KEYS[4], 'episodes', 1)
local total = redis.call('HINCRBY', KEYS[4], 'throttled', 1)
local open_at = now + tonumber(ARGV[2])
local before = redis.call('HGET', KEYS[4], 'open_at')
if before and tonumber(before) > open_at then open_at = tonumber(before) end
redis.call('HSET', KEYS[4], 'open_at', int(open_at))
redis.call('HDEL', KEYS[4], 'probe', 'probe_until')
redis.call('PEXPIRE', KEYS[4], int(math.ceil((open_at - now) / 1000) + tonumber(ARGV[3])))
return {episodes, total, open_at - now}
"""
)

# ARGV: now, delay (us), keep (ms). Close the gate for delay from now (or longer, when it was
# already closed for longer); returns how long it stays closed (us).
_CLOSE = (
    _PRELUDE
    + """
local now = clock(ARGV[1])
local open_at = now + tonumber(ARGV[2])
local before = redis.call('HGET', KEYS[4], 'open_at')
if before and tonumber(before) > open_at then open_at = tonumber(before) end
redis.call('HSET', KEYS[4], 'open_at', int(open_at))
redis.call('HDEL', KEYS[4], 'probe', 'probe_until')
redis.call('PEXPIRE', KEYS[4], int(math.ceil((open_at - now) / 1000) + tonumber(ARGV[3])))
return {open_at - now}
"""
)

# ARGV: now, probe id. The probe succeeded: open the gate, when it is still the probe.
_SUCCEEDED = (
    _PRELUDE
    + """
if redis.call('HGET', KEYS[4], 'probe') == ARGV[2] then
  redis.call('HDEL', KEYS[4], 'open_at', 'probe', 'probe_until')
  redis.call('HSET', KEYS[4], 'episodes', 0)
  return {1}
end
return {0}
"""
)

# ARGV: now, probe id. The probe ended without an answer: the next request probes, now.
_ABANDONED = (
    _PRELUDE
    + """
local now = clock(ARGV[1])
if redis.call('HGET', KEYS[4], 'probe') == ARGV[2] then
  redis.call('HDEL', KEYS[4], 'probe', 'probe_until')
  redis.call('HSET', KEYS[4], 'open_at', int(now))
  return {1}
end
return {0}
"""
)

# ARGV: now, per (us). Read only: {sends in the window, limit, remaining, budget, gate,
# gate us, throttled, episodes}.
_STATE = (
    _PRELUDE
    + """
local now = clock(ARGV[1])
local count = redis.call('ZCOUNT', KEYS[1], '(' .. int(now - tonumber(ARGV[2])), '+inf')
local b = redis.call('HMGET', KEYS[3], 'limit', 'remaining', 'budget')
local gate, gate_wait = gate_status(now)
local g = redis.call('HMGET', KEYS[4], 'throttled', 'episodes')
return {count, b[1], b[2], b[3], gate, gate_wait, g[1], g[2]}
"""
)

# The gate as this task's last admission saw it, and in which store: read by the gate's
# enter() right after, so the common request needs no round trip of its own.
_seen: contextvars.ContextVar[tuple[str, _GateView] | None] = contextvars.ContextVar(
    "cloud66_async_gate_seen", default=None
)

GATE_OPEN: Final = 0
GATE_CLOSED: Final = 1
GATE_PROBING: Final = 2
GATE_PROBE_DUE: Final = 3


def key_prefix(token: str) -> str:
    """The prefix of a token's keys: a hash of it, never the token."""
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]
    return f"{KEY_PREFIX}:{{{digest}}}:"


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)


def _int_or_none(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _num(value: object) -> int:
    found = _int_or_none(value)
    return 0 if found is None else found


@attrs.frozen
class _GateView:
    """The gate as the store last described it, and when (on the client's clock)."""

    status: int
    wait: float
    at: float
    throttled: int | None


# One admission's answer: (status, seconds, permit when admitted, the gate as it saw it).
_Admitted = tuple[int, float, "Permit | None", _GateView]


class LimitStore:
    """The connection to the store, the scripts, and the keys of one token.

    ``server_clock``, for tests only, replaces the server's ``TIME`` in every script.
    """

    def __init__(
        self,
        redis: Redis,
        errors: tuple[type[Exception], ...],
        address: StoreAddress,
        *,
        token: str,
        lease: float,
        clock: Clock = time.monotonic,
        server_clock: Clock | None = None,
    ) -> None:
        self.redis = redis
        self._errors = errors
        self._close_errors: tuple[type[Exception], ...] = (RuntimeError, *errors)
        self.address = address
        self.prefix = key_prefix(token)
        self.keys = [self.prefix + name for name in ("window", "inflight", "budget", "gate")]
        self.lease = lease
        self.keep_ms = round(KEEP * 1000)
        self.clock = clock
        self._server_clock = server_clock
        self.instance = secrets.token_hex(6)  # names this client's members and probes
        self._count = 0
        self.acquire_script = redis.register_script(_ACQUIRE)
        self.release_script = redis.register_script(_RELEASE)
        self.enter_script = redis.register_script(_ENTER)
        self.throttled_script = redis.register_script(_THROTTLED)
        self.close_script = redis.register_script(_CLOSE)
        self.succeeded_script = redis.register_script(_SUCCEEDED)
        self.abandoned_script = redis.register_script(_ABANDONED)
        self.state_script = redis.register_script(_STATE)
        self.gate_view = _GateView(GATE_OPEN, 0.0, clock(), None)
        self.closed = False

    def now_arg(self) -> str:
        """ARGV[1] of every script: empty (the server's TIME), or the test clock."""
        if self._server_clock is None:
            return ""
        return str(_us(self._server_clock()))

    def new_id(self) -> str:
        """A name unique across processes, for one request's entries or one probe."""
        self._count += 1
        return f"{self.instance}:{self._count}"

    def note_gate(self, status: int, wait_us: int, throttled: object) -> _GateView:
        """Remember the gate as a script just described it."""
        view = _GateView(status, wait_us / 1_000_000, self.clock(), _int_or_none(throttled))
        self.gate_view = view
        return view

    def saw_at_admission(self, view: _GateView) -> None:
        """Remember, for this task, the gate as its request's admission saw it."""
        _seen.set((self.instance, view))

    def seen_at_admission(self) -> _GateView | None:
        """Return (and forget) the gate as this task's last admission saw it."""
        seen = _seen.get()
        if seen is None:
            return None
        _seen.set(None)
        return seen[1] if seen[0] == self.instance else None

    async def run(self, script: AsyncScript, args: Sequence[str | int]) -> list[Any]:
        """Run one script on the keys of this token; translate every failure.

        A script's reply is a list, or one string of comma-separated fields (returned split).

        Raises :class:`LimitStoreError` when the store cannot be reached, refuses, or does not
        answer within ``address.bound`` seconds.
        """
        shown = self.address.shown
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise ConfigError(
                "limit_store works under asyncio only (through redis.asyncio); this code runs "
                "under another event loop"
            ) from None
        if self.closed:
            raise self.closed_error()
        try:
            async with asyncio.timeout(self.address.bound):  # asyncio only, and cheaper
                result = await script(keys=self.keys, args=list(args))
        except TimeoutError:
            raise LimitStoreError(
                f"the limit store {shown} did not answer within {self.address.bound:g}s",
                store=shown,
            ) from None
        except self._errors as exc:
            raise LimitStoreError(
                f"the limit store {shown} failed: {type(exc).__name__}: {exc}", store=shown
            ) from exc
        except RuntimeError as exc:  # e.g. its connections belong to another event loop
            raise LimitStoreError(
                f"the limit store {shown} cannot be used here: {exc}", store=shown
            ) from exc
        if isinstance(result, bytes):  # one string of comma-separated fields
            return result.split(b",")
        if not isinstance(result, list):
            raise LimitStoreError(
                f"the limit store {shown} answered {type(result).__name__}, not a list",
                store=shown,
            )
        return result

    def closed_error(self) -> LimitStoreError:
        """The error of an exchange asked for after :meth:`aclose`."""
        shown = self.address.shown
        return LimitStoreError(f"the limit store {shown} was closed", store=shown)

    async def state(self, per: float) -> list[Any]:
        """Read what the store holds now (tests and diagnostics)."""
        return await self.run(self.state_script, [self.now_arg(), _us(per)])

    async def aclose(self) -> None:
        """Close the connections (once)."""
        if self.closed:
            return
        self.closed = True
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # not asyncio: run() refused every exchange, so nothing was connected
        try:
            with anyio.move_on_after(self.address.bound):
                await self.redis.aclose()
        except self._close_errors as exc:
            logger.warning("closing the limit store %s: %s", self.address.shown, exc)


class _Poller:
    """Let one task of this process poll the store for a wait while the others wait locally.

    Every waiting task would otherwise ask the store at the same instant (when the window's
    oldest send leaves it, when the gate reopens), once per task instead of once per process.
    """

    __slots__ = ("busy", "wakeup")

    def __init__(self) -> None:
        self.busy = False
        self.wakeup = _Wakeup()

    async def wait_for(
        self,
        first: tuple[int, float, _Found | None],
        attempt: Callable[[], Awaitable[tuple[int, float, _Found | None]]],
        *,
        known: int,
        refuse: Callable[[int, float, float], None],
        what: Callable[[int], str],
        deadline: float,
        clock: Clock,
    ) -> _Found:
        """Poll with ``attempt`` until it finds something, after ``first`` found nothing.

        An attempt answers ``(status, seconds, found)``: for status ``known`` the seconds are
        the wait the store named, for any other an upper bound of a wait of unknown length.
        ``refuse`` raises :class:`WaitTooLong` when the wait cannot end before ``deadline``.
        """
        status, value, _ = first
        refuse(status, value, deadline)
        while self.busy:
            # Another task of this process polls: wait for news (its poll found what it
            # waited for, a release, a verdict), then try at once, with every other waiter
            # woken (admissions share one exchange), instead of one after the other.
            now = clock()
            if now >= deadline:
                raise WaitTooLong(None, what(status))
            await self.wakeup.wait(deadline - now)
            status, value, found = await attempt()
            if found is not None:
                return found
            refuse(status, value, deadline)
        self.busy = True
        try:
            backoff = POLL_MIN
            while True:
                now = clock()
                if status == known:
                    pause = min(value, POLL_MAX)
                else:
                    pause = min(backoff * (0.5 + random.random() / 2), value)
                    backoff = min(backoff * 2, POLL_UNKNOWN_MAX)
                await self.wakeup.wait(min(pause, max(0.0, deadline - now)))
                status, value, found = await attempt()
                if found is not None:
                    return found
                refuse(status, value, deadline)
        finally:
            self.busy = False
            self.wakeup.notify()


class SharedRateLimiter:
    """A sliding-window limiter kept in the store: at most ``limit.requests`` sends in any
    ``limit.per`` seconds across every client of the token, and no more than one request at a
    time past the server's stated budget (see the module docstring)."""

    def __init__(self, limit: RateLimit, store: LimitStore, *, defer: bool = True) -> None:
        self.limit = limit
        self._store = store
        self._clock = store.clock
        self._defer = defer
        self._poller = _Poller()
        self._outstanding: dict[str, RateLimitHeaders | None] = {}
        # Releases held back: "member,sent,over,limit,remaining" and when (on the client's
        # clock), made one script argument with how long ago when they are sent.
        self._pending: list[tuple[str, float]] = []
        # The timer that sends them FLUSH_AFTER after the first (on the loop's clock), left
        # armed when an exchange takes them: re-armed when it fires, not made anew per request.
        self._flush_timer: asyncio.TimerHandle | None = None
        self._pending_since = 0.0
        # One admission made ahead for this process's next request, with the gate as the
        # store described it then; used while fresh (SPARE_FRESH), else given back.
        self._spare: tuple[Permit, _GateView] | None = None
        self._spares = True
        self._flushing: asyncio.Task[None] | None = None
        # The admission script's constants, in one argument.
        self._settings = f"{limit.requests},{_us(limit.per)},{_us(store.lease)},{store.keep_ms}"
        # Admissions waiting for the exchange under way to end, to go together in the next.
        self._sending = False
        self._queue: list[tuple[str, asyncio.Future[_Admitted]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.server_limit: int | None = None
        self.server_remaining: int | None = None
        self._count = 0

    # -------------------------------------------------------------------- acquire

    async def acquire(self, deadline: float) -> Permit:
        """Wait until one more request fits the shared window, then count it; raise
        :class:`WaitTooLong` when that cannot happen before ``deadline`` and
        :class:`LimitStoreError` when the store fails."""
        first = await self._try()
        if first[2] is not None:
            return first[2]
        return await self._poller.wait_for(
            first,
            self._try,
            known=1,
            refuse=self._refuse_past,
            what=self._what,
            deadline=deadline,
            clock=self._clock,
        )

    def _what(self, status: int) -> str:
        return "the client-side rate limit" if status == 1 else "the server's rate budget"

    def _refuse_past(self, status: int, wait: float, deadline: float) -> None:
        now = self._clock()
        if status == 1:
            if now + wait > deadline:
                raise WaitTooLong(wait, self._what(status))
        elif now >= deadline:
            raise WaitTooLong(None, self._what(status))

    async def _try(self) -> tuple[int, float, Permit | None]:
        """One admission attempt: (status, seconds, permit).

        The first attempt while no exchange of admissions is under way sends its own; the
        attempts made meanwhile wait, and go together in the next one (see :meth:`_drain`),
        so ten tasks cost one round trip per ten admissions, not ten.
        """
        store = self._store
        spare = self._take_spare()
        if spare is not None:
            store.saw_at_admission(spare[1])
            return 0, 0.0, spare[0]
        member = store.new_id()
        if self._sending:
            waiter: asyncio.Future[_Admitted] = asyncio.get_running_loop().create_future()
            self._queue.append((member, waiter))
            try:
                status, value, permit, view = await waiter
            except asyncio.CancelledError:
                # Answered, then cancelled before this task resumed: give the place back. (A
                # waiter cancelled before its answer is handled by whoever reads the answer.)
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    late = waiter.result()[2]
                    if late is not None:
                        with anyio.CancelScope(shield=True):
                            await self.release(late, sent=False)
                raise
        else:
            self._sending = True
            try:
                # Shielded: once the script has run, its answer must be read, or an admitted
                # request would hold its place in the window with nobody to give it back.
                with anyio.CancelScope(shield=True):
                    answers = await self._exchange([member])
            finally:
                self._hand_on()
            status, value, permit, view = answers[0]
        if permit is None:
            return status, value, None
        store.saw_at_admission(view)
        try:
            await anyio.lowlevel.checkpoint_if_cancelled()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.release(permit, sent=False)
            raise
        return 0, 0.0, permit

    def _hand_on(self) -> None:
        """After an exchange: send the admissions that waited for it, or stop sending."""
        if self._queue and not self._store.closed:
            self._drainer = asyncio.get_running_loop().create_task(self._drain())
        else:
            self._sending = False
            for _, waiter in self._take_queue():  # the store was closed meanwhile
                waiter.set_exception(self._store.closed_error())

    def _take_queue(self) -> list[tuple[str, asyncio.Future[_Admitted]]]:
        queue, self._queue = self._queue, []
        return [(member, waiter) for member, waiter in queue if not waiter.cancelled()]

    async def _drain(self) -> None:
        """Send the waiting admissions, a batch per exchange, until none waits."""
        try:
            while batch := self._take_queue():
                try:
                    answers = await self._exchange([member for member, _ in batch])
                except BaseException as exc:
                    for _, waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(self._failure(exc))
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, waiter), answer in zip(batch, answers, strict=True):
                    if not waiter.cancelled():
                        waiter.set_result(answer)
                    elif answer[2] is not None:  # its task gave up while it was on its way
                        await self.release(answer[2], sent=False)
        finally:
            self._drainer = None
            self._sending = False
            for _, waiter in self._take_queue():
                waiter.set_exception(self._store.closed_error())

    def _failure(self, exc: BaseException) -> BaseException:
        """What a waiting admission raises when the exchange that carried it failed with
        ``exc``: an error of its own (one exception object is not raised in two tasks)."""
        own: LimitStoreError | ConfigError
        if isinstance(exc, LimitStoreError):
            own = LimitStoreError(str(exc), store=exc.store)
        elif isinstance(exc, ConfigError):
            own = ConfigError(str(exc))
        elif isinstance(exc, Exception):
            return exc
        else:  # the exchange was cancelled: the loop is going away
            return self._store.closed_error()
        own.__cause__ = exc.__cause__
        return own

    async def _exchange(self, members: list[str]) -> list[_Admitted]:
        """Admit ``members`` in one script call, carrying the releases held back."""
        store = self._store
        pending = self._take_pending()
        wanted: str | int = len(members)
        if self._spares and self._defer and self._spare is None and not store.closed:
            # One more, for this process's next request: with it, that request needs no round
            # trip of its own (admitted only while the window is at most half full).
            members = [*members, store.new_id()]
            wanted = f"{len(members)},1"
        args: list[str | int] = [store.now_arg(), self._settings, wanted, *members]
        args.extend(pending)
        raw = await store.run(store.acquire_script, args)
        try:  # int() reads each field's bytes; an empty one is a figure the store lacks
            head = [int(v) if v else None for v in raw[:5]]
            fields = [int(v) for v in raw[5:]]
        except (TypeError, ValueError):
            head, fields = [], []
        if len(head) != 5 or len(fields) != 4 * len(members):
            raise LimitStoreError(
                f"the limit store {store.address.shown} answered {raw[:12]!r} to an "
                f"admission of {len(members)}",
                store=store.address.shown,
            )
        view = store.note_gate(head[0] or 0, head[1] or 0, head[4])
        self.server_limit, self.server_remaining = head[2], head[3]
        answers: list[_Admitted] = []
        for at in range(0, len(fields), 4):
            status, value, count, over = fields[at : at + 4]
            self._count = count
            if status != 0:
                answers.append((status, value / 1_000_000, None, view))
                continue
            member = members[len(answers)]
            permit = Permit(stamp=value / 1_000_000, over_budget=bool(over), member=member)
            self._outstanding[member] = None
            answers.append((0, 0.0, permit, view))
        if isinstance(wanted, str):  # the last one is the spare
            spare = answers.pop()[2]
            if spare is not None:
                if self._spare is None:
                    self._spare = (spare, view)
                    if self._flush_timer is None:  # gives it back when no request takes it
                        loop = asyncio.get_running_loop()
                        self._flush_timer = loop.call_later(FLUSH_AFTER, self._flush_soon)
                else:
                    self._give_back(spare)
        return answers

    def _note_budget(self, limit: object, remaining: object) -> None:
        self.server_limit = _int_or_none(limit)
        self.server_remaining = _int_or_none(remaining)

    # -------------------------------------------------------------------- reports

    async def observe(self, permit: Permit, headers: RateLimitHeaders) -> None:
        """Note the rate-limit headers of ``permit``'s answer; they reach the store with its
        release (one round trip for both)."""
        if not permit.member or permit.member not in self._outstanding:
            return
        self._outstanding[permit.member] = headers
        # What this client saw last, until the store says what every client saw.
        if headers.limit is not None:
            self.server_limit = headers.limit
        if headers.remaining is not None:
            self.server_remaining = headers.remaining

    async def release(self, permit: Permit, *, sent: bool) -> None:
        """Mark ``permit``'s request as over; ``sent=False`` gives its place back.

        Never raises: a store failure is logged (the leases and TTLs clean up).
        """
        if not permit.member or permit.member not in self._outstanding:
            return  # stale, or not ours
        headers = self._outstanding.pop(permit.member)
        limit = remaining = ""
        if headers is not None:
            limit = "" if headers.limit is None else str(headers.limit)
            remaining = "" if headers.remaining is None else str(headers.remaining)
        sent_, over = "1" if sent else "0", "1" if permit.over_budget else "0"
        self._pending.append((f"{permit.member},{sent_},{over},{limit},{remaining}", self._clock()))
        nearly_spent = (
            headers is not None
            and headers.remaining is not None
            and headers.remaining <= URGENT_REMAINING
        )
        urgent = not sent or permit.over_budget or nearly_spent
        if self._defer and not urgent and len(self._pending) < MAX_PENDING:
            self._held_back()  # the next admission of this process carries it, or a timer
            return
        await self.flush()
        self._poller.wakeup.notify()

    def _held_back(self) -> None:
        """A release was held back: make sure the timer sends it within FLUSH_AFTER."""
        if len(self._pending) == 1:
            loop = asyncio.get_running_loop()
            self._pending_since = loop.time()
            if self._flush_timer is None:
                self._flush_timer = loop.call_at(
                    self._pending_since + FLUSH_AFTER, self._flush_soon
                )

    # -------------------------------------------------------------------- the spare

    def _take_spare(self) -> tuple[Permit, _GateView] | None:
        """The spare admitted with this process's last exchange, while it is fresh (it is
        given back, with the next exchange, when it is not)."""
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        latest = self._store.gate_view
        # Not when this process has heard since that the gate is not open (a 503 it saw).
        news = latest is not spare[1] and latest.status != GATE_OPEN
        if not news and self._clock() - spare[1].at <= SPARE_FRESH:
            return spare
        self._give_back(spare[0])
        return None

    def _give_back(self, permit: Permit) -> None:
        """Refund an admission no request used, with the next exchange (its place was taken
        while the window was at most half full: nobody lacks it meanwhile)."""
        if self._outstanding.pop(permit.member, 0) is None:
            self._pending.append((f"{permit.member},0,0,,", self._clock()))
            self._held_back()

    def _take_pending(self) -> list[str]:
        """The releases held back, as script arguments; each says how long ago it ended, so the
        store moves its place to then (the store's clock is later still when the script runs,
        so the place is never moved to before the request ended)."""
        pending, self._pending = self._pending, []
        if not pending:
            return []
        now = self._clock()
        return [f"{text},{_us(max(0.0, now - at))}" for text, at in pending]

    def _flush_soon(self) -> None:
        self._flush_timer = None
        if self._store.closed:
            return
        loop = asyncio.get_running_loop()
        if self._spare is not None:
            spare = self._take_spare()  # given back when stale
            self._spare = spare
            if spare is not None and self._flush_timer is None:
                self._flush_timer = loop.call_later(FLUSH_AFTER, self._flush_soon)
        if not self._pending:
            return
        due = self._pending_since + FLUSH_AFTER
        if loop.time() < due:  # taken by an exchange since, and held back again later
            self._flush_timer = loop.call_at(due, self._flush_soon)
        elif self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush_in_background())

    async def _flush_in_background(self) -> None:
        try:
            await self.flush()
        finally:
            self._flushing = None

    async def aclose(self) -> None:
        """Send the releases held back, and wait for a send under way (never raises)."""
        spare, self._spare = self._spare, None
        if spare is not None:
            self._give_back(spare[0])
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._drainer is not None:
            await asyncio.wait([self._drainer])
        if self._flushing is not None:
            await asyncio.wait([self._flushing])
        await self.flush()

    async def flush(self) -> None:
        """Send the releases held back (never raises)."""
        pending = self._take_pending()
        if not pending:
            return
        store = self._store
        args: list[str | int] = [store.now_arg(), store.keep_ms, _us(self.limit.per)]
        args.extend(pending)
        try:
            raw = await store.run(store.release_script, args)
        except (LimitStoreError, ConfigError) as exc:
            logger.warning(
                "could not report %d request(s) to the limit store: %s", len(pending), exc
            )
            return
        self._note_budget(raw[0], raw[1])
        store.note_gate(_num(raw[2]), _num(raw[3]), raw[4])
        self._count = _num(raw[5])

    def snapshot(self) -> LimiterState:
        """What the store said at this client's last exchange with it."""
        return LimiterState(
            self.server_limit, self.server_remaining, max(0, self.limit.requests - self._count)
        )


class SharedThrottleGate:
    """The throttle gate kept in the store: a ``503 throttled`` seen by any client of the token
    closes it for all, and one probe, from any of them, reopens it."""

    def __init__(self, store: LimitStore, *, rand: Callable[[], float] = random.random) -> None:
        self._store = store
        self._clock = store.clock
        self._rand = rand
        self._poller = _Poller()
        self.reset_at: datetime | None = None

    async def enter(self, deadline: float) -> Ticket:
        """Wait until this request may go; the ticket says whether it goes as the probe.

        Raises :class:`WaitTooLong` as the in-process gate does, and
        :class:`LimitStoreError` when the store fails.
        """
        store = self._store
        seen = store.seen_at_admission()
        if seen is not None and self._clock() - seen.at <= SEEN_FRESH:
            if seen.status == GATE_OPEN:
                return FREE  # open when this request was admitted, in the same step
            if seen.status == GATE_CLOSED:
                self._refuse_past(GATE_CLOSED, seen.wait - (self._clock() - seen.at), deadline)
        first = await self._try()
        if first[2] is not None:
            return first[2]
        return await self._poller.wait_for(
            first,
            self._try,
            known=GATE_CLOSED,
            refuse=self._refuse_past,
            what=self._what,
            deadline=deadline,
            clock=self._clock,
        )

    def _what(self, status: int) -> str:
        return "the throttle gate" if status == GATE_CLOSED else "the throttle gate's probe"

    def _refuse_past(self, status: int, wait: float, deadline: float) -> None:
        now = self._clock()
        if status == GATE_CLOSED:
            if now + wait > deadline:
                raise WaitTooLong(wait, self._what(status))
        elif now >= deadline:
            raise WaitTooLong(None, self._what(status))

    async def _try(self) -> tuple[int, float, Ticket | None]:
        store = self._store
        generation = secrets.randbits(62) + 1
        with anyio.CancelScope(shield=True):
            raw = await store.run(
                store.enter_script,
                [store.now_arg(), str(generation), _us(store.lease), store.keep_ms],
            )
        status, wait = _num(raw[0]), _num(raw[1])
        view = store.note_gate(status, wait, raw[2])
        if status == GATE_OPEN:
            return status, 0.0, FREE
        if status != GATE_PROBE_DUE:
            if status == GATE_CLOSED:
                self._note_reset(view.wait)
            return status, view.wait, None
        ticket = Ticket(probe=True, generation=generation)
        store.gate_view = _GateView(GATE_PROBING, store.lease, view.at, view.throttled)
        try:
            await anyio.lowlevel.checkpoint_if_cancelled()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.abandoned(ticket)
            raise
        return status, 0.0, ticket

    def _note_reset(self, seconds: float) -> None:
        try:
            self.reset_at = datetime.now(UTC) + timedelta(seconds=seconds)
        except OverflowError:  # a Retry-After beyond the year 9999
            self.reset_at = datetime.max.replace(tzinfo=UTC)

    async def throttled(
        self, ticket: Ticket, retry_after: float | None, policy: RetryPolicy
    ) -> float:
        """Close the gate for every client of the token after a ``503 throttled``; return how
        long it stays closed from now.

        The delay follows the throttled answers in a row across all of them. When the store
        fails, the delay is this answer's own, and the next ``acquire`` raises.
        """
        store = self._store
        # Closed at once for the delay this answer alone asks for (its Retry-After, or the
        # shortest backoff); the backoff's growth needs the count in a row, which comes back
        # from the same step, and lengthens it when it is longer.
        first = throttle_delay(retry_after, episode=1, policy=policy, rand=self._rand)
        try:
            raw = await store.run(
                store.throttled_script, [store.now_arg(), _us(first), store.keep_ms]
            )
            episodes, total, closed_us = _num(raw[0]), _num(raw[1]), _num(raw[2])
            if episodes > 1:
                delay = throttle_delay(
                    retry_after, episode=episodes, policy=policy, rand=self._rand
                )
                if _us(delay) > closed_us:
                    raw = await store.run(
                        store.close_script, [store.now_arg(), _us(delay), store.keep_ms]
                    )
                    closed_us = _num(raw[0])
        except (LimitStoreError, ConfigError) as exc:
            logger.warning("could not close the shared throttle gate: %s", exc)
            self._note_reset(first)
            return first
        closed_for = closed_us / 1_000_000
        store.gate_view = _GateView(GATE_CLOSED, closed_for, self._clock(), total)
        self._note_reset(closed_for)
        self._poller.wakeup.notify()
        return closed_for

    async def succeeded(self, ticket: Ticket) -> None:
        """Report an answer that was not throttled; only the probe's reopens the gate."""
        if not ticket.probe:
            return
        store = self._store
        try:
            raw = await store.run(store.succeeded_script, [store.now_arg(), str(ticket.generation)])
        except (LimitStoreError, ConfigError) as exc:
            logger.warning("could not reopen the shared throttle gate: %s", exc)
            return
        if _num(raw[0]):
            store.gate_view = _GateView(GATE_OPEN, 0.0, self._clock(), store.gate_view.throttled)
        self._poller.wakeup.notify()

    async def abandoned(self, ticket: Ticket) -> None:
        """Report that a request ended without an answer; a probe hands the gate on at once."""
        if not ticket.probe:
            return
        store = self._store
        try:
            await store.run(store.abandoned_script, [store.now_arg(), str(ticket.generation)])
        except (LimitStoreError, ConfigError) as exc:
            logger.warning("could not hand on the shared throttle gate's probe: %s", exc)
            return
        self._poller.wakeup.notify()

    def snapshot(self) -> GateState:
        """What the store said of the gate at this client's last exchange with it."""
        view = self._store.gate_view
        opens_in = 0.0
        if view.status == GATE_CLOSED:
            opens_in = max(0.0, view.wait - (self._clock() - view.at))
        return GateState(
            closed=view.status != GATE_OPEN,
            opens_in=opens_in,
            reset_at=self.reset_at,
            throttled_total=view.throttled or 0,
        )


@attrs.define
class SharedLimits:
    """The store, and the limiter (None when ``rate_limit=None``) and gate kept in it."""

    store: LimitStore
    limiter: SharedRateLimiter | None
    gate: SharedThrottleGate

    async def aclose(self) -> None:
        """Send what is held back, then close the connections (never raises)."""
        try:
            if self.limiter is not None:
                with anyio.CancelScope(shield=True):
                    await self.limiter.aclose()
        finally:
            await self.store.aclose()


def open_limit_store(
    address: StoreAddress,
    *,
    token: str,
    rate_limit: RateLimit | None,
    lease: float,
    clock: Clock = time.monotonic,
    server_clock: Clock | None = None,
) -> SharedLimits:
    """Make the shared limiter and gate for ``token`` in the store at ``address``.

    Nothing is sent until the first request. Raises :class:`ConfigError` when redis-py is not
    installed (it comes with the ``redis`` extra).
    """
    try:
        import redis.asyncio as redis_asyncio
        import redis.exceptions
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
    except ImportError:
        raise ConfigError(_INSTALL) from None
    if not hasattr(redis_asyncio.Redis, "aclose"):  # redis-py before 5.0.1
        raise ConfigError(_INSTALL)
    # The store's steps shield themselves with anyio cancel scopes, whose first use imports
    # anyio's asyncio backend (~30 ms): here, with redis-py, rather than in the first request.
    importlib.import_module("anyio._backends._asyncio")
    options: dict[str, Any] = {
        "db": address.db,
        "username": address.username,
        "password": address.password,
        "socket_connect_timeout": address.connect_timeout,
        # No socket_timeout: every exchange is bounded by LimitStore.run (asyncio.timeout of
        # address.bound) and closing by aclose's own bound, and redis-py would wrap every
        # write in asyncio.wait_for, which on Python 3.11 makes a task per command: ~100 us of
        # each round trip here (benchmark 11's cost rows). A cancelled read disconnects its
        # connection (redis-py does that on any BaseException), so none is reused mid-answer.
        "socket_timeout": None,
        # One more try on a fresh connection (a pooled one the server closed); the whole
        # exchange stays bounded by LimitStore.run.
        "retry": Retry(NoBackoff(), 1),
        "client_name": "cloud66_async",
    }
    if address.scheme == "unix":
        options["unix_socket_path"] = address.path
    else:
        options["host"] = address.host
        options["port"] = address.port
    if address.scheme == "rediss":
        options["ssl"] = True
        if address.ssl_cert_reqs is not None:
            options["ssl_cert_reqs"] = address.ssl_cert_reqs
        if address.ssl_ca_certs is not None:
            options["ssl_ca_certs"] = address.ssl_ca_certs
        if address.ssl_check_hostname is not None:
            options["ssl_check_hostname"] = address.ssl_check_hostname
    client = redis_asyncio.Redis(**options)
    store = LimitStore(
        client,
        (redis.exceptions.RedisError, OSError),
        address,
        token=token,
        lease=lease,
        clock=clock,
        server_clock=server_clock,
    )
    limiter = SharedRateLimiter(rate_limit, store) if rate_limit is not None else None
    return SharedLimits(store, limiter, SharedThrottleGate(store))
