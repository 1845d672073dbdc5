"""The programs in ``examples/``, run as users run them: child processes against a fake API.

Each example runs with ``python -W error`` (a warning in the child, an unclosed session say,
shows on its stderr, which the tests check) against a :class:`FakeCloud66` served by this test
on a free loopback port, so the tests can shape the fake (faults, timings) and read its request
log. One test runs them against ``cloud66-async fake-server`` itself, unchanged. Every wait is
bounded and every child is stopped by its PID.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import csv
import importlib.util
import io
import json
import os
import pty
import re
import select
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from types import ModuleType

import aiohttp
import anyio
import pytest
from _signals import ignoring_sigint, sigint_as_in_a_terminal

from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = ("service.py", "inventory.py", "deploy_bot.py")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "examples.md"
PIPE = asyncio.subprocess.PIPE


# -- helpers -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(base_url: str | None = None, token: str | None = None) -> dict[str, str]:
    """This process's environment without Cloud 66 settings, then the fake's URL and token."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLOUD66_") and k != "SERVICE_RATE_LIMIT"
    }
    env["PYTHONUNBUFFERED"] = "1"
    if base_url is not None and token is not None:
        env.update(CLOUD66_URL=base_url, CLOUD66_ACCESS_TOKEN=token)
    return env


@contextlib.asynccontextmanager
async def _child(
    args: Sequence[str], env: dict[str, str], *, stdin: int | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A child process that is killed by PID, and its pipes drained, when the block ends.

    It starts with SIGINT at its default action, as from a terminal, even when this test run
    inherited SIGINT ignored (a background run): the tests interrupt children with Ctrl-C.
    """
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=stdin,
        stdout=PIPE,
        stderr=PIPE,
        env=env,
        preexec_fn=sigint_as_in_a_terminal,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
        with anyio.fail_after(15):
            await proc.communicate()  # reads the pipes to EOF so their transports close


def _example(script: str, *args: str) -> list[str]:
    return [sys.executable, "-W", "error", str(EXAMPLES / script), *args]


async def _line(proc: asyncio.subprocess.Process, seconds: float = 10.0) -> str:
    assert proc.stdout is not None
    with anyio.fail_after(seconds):
        raw = await proc.stdout.readline()
    assert raw, "the child closed its stdout"
    return raw.decode().rstrip("\n")


async def _send(proc: asyncio.subprocess.Process, line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line.encode() + b"\n")
    await proc.stdin.drain()


async def _finish(proc: asyncio.subprocess.Process, seconds: float = 15.0) -> tuple[int, str, str]:
    """Wait for the child to end; return its exit code and the rest of stdout and stderr."""
    with anyio.fail_after(seconds):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _run(
    script: str, *args: str, env: dict[str, str], seconds: float = 30.0
) -> tuple[int, str, str]:
    async with _child(_example(script, *args), env) as proc:
        return await _finish(proc, seconds)


@contextlib.asynccontextmanager
async def _service(
    env: dict[str, str], *args: str
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """``examples/service.py`` on a free port; yields its root URL once it serves."""
    port = _free_port()
    async with _child(_example("service.py", "--port", str(port), *args), env) as proc:
        line = await _line(proc, 20)
        assert f"http://127.0.0.1:{port}" in line, line
        yield f"http://127.0.0.1:{port}", proc


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _busiest(times: Sequence[float], width: float) -> int:
    """The most requests in any window ``width`` seconds long."""
    ordered = sorted(times)
    most = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - width:
            start += 1
        most = max(most, end - start + 1)
    return most


#: Call a URL N times at once (no connection limit); print the statuses and list lengths.
_BURST = """
import asyncio, json, sys
import aiohttp

async def main(url, n):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async def call():
            async with http.get(url) as resp:
                return resp.status, len(await resp.json())
        print(json.dumps(await asyncio.gather(*(call() for _ in range(n)))))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def _clean(stderr: str) -> None:
    """Nothing went wrong quietly in the child: no traceback, warning or leaked task."""
    for bad in ("Traceback", "Warning", "Unclosed", "unclosed", "destroyed", "never retrieved"):
        assert bad not in stderr, stderr


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    """Twelve stacks of three servers; quick actions; deployments that take a second."""
    async with FakeCloud66(stacks=12, action_delay=0.05, deploy_duration=1.0) as server:
        yield server


@pytest.fixture
def env(fake: FakeCloud66) -> dict[str, str]:
    return _env(fake.base_url, fake.token)


async def _servers_by_stack(fake: FakeCloud66) -> dict[str, list[str]]:
    """What the fake holds: each stack uid's server uids."""
    async with fake.client(rate_limit=None) as client:
        stacks = await client.stacks.list().collect()
        return {s.uid: [v.uid for v in await client.servers.list(s.uid).collect()] for s in stacks}


async def _make_ambiguous(fake: FakeCloud66, name: str) -> None:
    """Create a second stack called ``name``, in staging."""
    async with fake.client(rate_limit=None) as client:
        await client.stacks.create(
            name, "staging", "services:\n  web:\n    image: nginx\n", manifest_yaml="x: 1"
        )


# -- all three -----------------------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS)
def test_examples_use_only_the_public_api(script: str) -> None:
    source = (EXAMPLES / script).read_text(encoding="utf-8")
    assert not re.search(r"cloud66_async\._|c66\._", source)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cloud66_async"):
            assert node.module in ("cloud66_async", "cloud66_async.models"), node.module
            assert not any(alias.name.startswith("_") for alias in node.names)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cloud66_async"):
                    assert alias.name == "cloud66_async", alias.name


@pytest.mark.parametrize("script", SCRIPTS)
def test_examples_are_documented_with_their_command(script: str) -> None:
    assert f"python examples/{script}" in DOCS.read_text(encoding="utf-8")
    assert script in (EXAMPLES / "README.md").read_text(encoding="utf-8")


async def test_a_missing_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {**_env(), "HOME": str(tmp_path)}  # no ~/.cloud66/cx.json either

    async def run(script: str) -> tuple[int, str, str]:
        args = ("--port", str(_free_port())) if script == "service.py" else ()
        async with _child(_example(script, *args), env, stdin=PIPE) as proc:
            return await _finish(proc)

    # The three at once: each is mostly Python starting up.
    async with asyncio.TaskGroup() as tg:
        runs = [tg.create_task(run(script)) for script in SCRIPTS]
    for script, done in zip(SCRIPTS, runs, strict=True):
        code, _, err = done.result()
        assert code == 2, script
        assert "CLOUD66_ACCESS_TOKEN" in err
        assert len(err.splitlines()) == 1, err
        _clean(err)


async def test_examples_run_against_the_fake_server_command() -> None:
    """`cloud66-async fake-server` as the docs run it, and each example unchanged against it."""
    server = [sys.executable, "-W", "error", "-m", "cloud66_async", "fake-server"]
    args = [*server, "--port", "0", "--stacks", "4", "--json"]
    async with _child(args, _env()) as fake_server:
        announced = json.loads(await _line(fake_server, 20))
        env = _env(announced["base_url"], announced["token"])

        async def inventory() -> None:
            code, out, err = await _run("inventory.py", env=env)
            assert code == 0, err
            assert len(list(csv.DictReader(io.StringIO(out)))) == 4 * 3

        async def bot() -> None:
            async with _child(_bot(), env, stdin=PIPE) as proc:
                await _send(proc, "status Magic Shop")
                assert (await _line(proc)).startswith("Magic Shop (development): success")
                assert proc.stdin is not None
                proc.stdin.close()
                code, _, err = await _finish(proc)
            assert code == 0
            assert err == ""

        async def service() -> None:
            async with _service(env) as (root, proc), aiohttp.ClientSession() as http:
                async with http.get(f"{root}/stacks") as resp:
                    assert resp.status == 200
                    assert len(await resp.json()) == 4
                proc.send_signal(signal.SIGINT)
                code, _, err = await _finish(proc)
            assert code == 0
            _clean(err)

        # The three at once: each is mostly Python starting up.
        async with asyncio.TaskGroup() as tg:
            for example in (inventory, bot, service):
                tg.create_task(example())

        fake_server.send_signal(signal.SIGTERM)
        code, _, _ = await _finish(fake_server)
        assert code == 0


# -- service.py ----------------------------------------------------------------------------------


async def test_service_routes(fake: FakeCloud66, env: dict[str, str]) -> None:
    await _make_ambiguous(fake, "Lunar Studio")
    servers = await _servers_by_stack(fake)
    async with fake.client(rate_limit=None) as client:
        stacks = await client.stacks.list().collect()
        magic = await client.stacks.find("Magic Shop")
        services = [s.name for s in await client.services.list(magic.uid).collect()]

    async with _service(env) as (root, proc), aiohttp.ClientSession() as http:
        async with http.get(f"{root}/healthz") as resp:
            assert resp.status == 200

        async with http.get(f"{root}/stacks") as resp:
            assert resp.status == 200
            listed = await resp.json()
        assert [(s["uid"], s["name"], s["environment"]) for s in listed] == [
            (s.uid, s.name, s.environment) for s in stacks
        ]

        # Servers and services are asked for at once: with each answer held back 0.6 s, the
        # second request reaches the API well before the first could have been answered.
        for path in (f"/stacks/{magic.uid}/servers", f"/stacks/{magic.uid}/services"):
            fake.inject_fault("GET", path, "latency", delay=0.6)
        async with http.get(f"{root}/stacks/Magic%20Shop") as resp:
            assert resp.status == 200
            shown = await resp.json()
        assert shown["stack"]["uid"] == magic.uid
        assert shown["stack"]["environment"] == "development"
        assert [s["uid"] for s in shown["servers"]] == servers[magic.uid]
        assert [s["name"] for s in shown["services"]] == services
        arrived = [
            fake.requests("GET", f"/stacks/{magic.uid}/{what}")[-1].time
            for what in ("servers", "services")
        ]
        assert abs(arrived[0] - arrived[1]) < 0.4

        async with http.get(f"{root}/stacks/No%20Such%20App") as resp:
            assert resp.status == 404
            assert resp.content_type == "application/json"
            assert (await resp.json())["error"] == "not_found"

        async with http.get(f"{root}/stacks/Lunar%20Studio") as resp:
            assert resp.status == 409
            body = await resp.json()
        assert body["error"] == "ambiguous"
        assert sorted(c["environment"] for c in body["candidates"]) == ["production", "staging"]
        assert all(c["name"] == "Lunar Studio" and c["uid"] for c in body["candidates"])

        async with http.get(f"{root}/stacks/Lunar%20Studio?environment=staging") as resp:
            assert resp.status == 200
            chosen = await resp.json()
        assert chosen["stack"]["environment"] == "staging"
        assert chosen["stack"]["uid"] in {c["uid"] for c in body["candidates"]}

        before = len(fake.request_log)
        async with http.get(f"{root}/stacks/Magic%20Shop?environment=") as resp:
            assert resp.status == 400  # refused before any request
        assert len(fake.request_log) == before

        # Ctrl-C: run_app stops, the Client closes, nothing leaks.
        proc.send_signal(signal.SIGINT)
        code, _, err = await _finish(proc)
    assert code == 0
    _clean(err)


async def test_service_burst_stays_under_the_rate_limit(
    fake: FakeCloud66, env: dict[str, str]
) -> None:
    # Two windows' worth: half the callers must wait for the second window.
    limit, per, callers = 100, 2.0, 200
    async with _service(env, "--rate-limit", f"{limit}/{per}") as (root, proc):
        fake.clear_log()
        # The callers run in a process of their own, so that this one, which logs what the
        # API sees, is not busy with them.
        burst = [sys.executable, "-W", "error", "-c", _BURST, f"{root}/stacks", str(callers)]
        async with _child(burst, env) as callers_proc:
            code, out, err = await _finish(callers_proc, 30)
        assert code == 0, err
        answers = [tuple(answer) for answer in json.loads(out)]
        proc.send_signal(signal.SIGTERM)
        code, _, err = await _finish(proc)
    assert answers == [(200, 12)] * callers
    assert code == 0
    _clean(err)
    times = [entry.time for entry in fake.request_log]
    assert len(times) == callers  # one API request per call: nothing retried, nothing lost
    assert all(entry.status == 200 for entry in fake.request_log)
    # The limiter counts a request just before sending it; the fake logs it when its handler
    # runs. Both processes are busiest at the start of the burst, so the first requests are
    # logged late (0.1 s measured on an idle machine, more under load) and the next window's
    # seem early: a quarter of the window is allowed for that. No window that much shorter
    # than the limiter's holds more than the limit (without the limiter, all 200 arrive
    # within half a second)...
    jitter = per / 4
    assert _busiest(times, per - jitter) <= limit
    # ...and the burst was spread over the windows it needs, not sent at once.
    assert max(times) - min(times) >= (callers / limit - 1) * per - jitter


async def test_service_answers_503_while_throttled_and_504_past_its_deadline(
    fake: FakeCloud66, env: dict[str, str]
) -> None:
    async with _service(env, "--throttle-wait", "1.5", "--deadline", "2") as (root, proc):
        async with aiohttp.ClientSession() as http:

            async def get(path: str) -> tuple[int, dict[str, str], float]:
                started = time.monotonic()
                with anyio.fail_after(10):
                    async with http.get(root + path) as resp:
                        await resp.read()
                        return resp.status, dict(resp.headers), time.monotonic() - started

            # An API that does not answer in time: 504 at the deadline, not a hang.
            fake.inject_fault("GET", "/stacks", "latency", delay=5.0)
            status, _, took = await get("/stacks")
            assert status == 504
            assert 2.0 <= took < 4.0

            # A short throttle (Retry-After: 1) is waited out within the request.
            fake.inject_fault("GET", "/stacks", "throttled", retry_after=1)
            status, _, took = await get("/stacks")
            assert status == 200
            assert 1.0 <= took < 2.0

            # A long one is passed on at once: 503 with the API's Retry-After.
            fake.clear_log()
            fake.inject_fault("GET", "/stacks", "throttled", retry_after=30, times=None)
            for _ in range(3):
                status, headers, took = await get("/stacks")
                assert status == 503
                assert 1 <= int(headers["Retry-After"]) <= 30
                assert took < 1.0
            # The client's throttle gate holds the later calls back: the API saw one request.
            assert len(fake.request_log) == 1

            # The service itself stays responsive.
            status, _, _ = await get("/healthz")
            assert status == 200
        proc.send_signal(signal.SIGTERM)
        code, _, err = await _finish(proc)
    assert code == 0
    _clean(err)


# -- inventory.py --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_inventory_writes_one_row_per_server(
    fake: FakeCloud66, env: dict[str, str], fmt: str, tmp_path: Path
) -> None:
    servers = await _servers_by_stack(fake)
    output = tmp_path / f"servers.{fmt}"
    args = ["--format", fmt] + (["--output", str(output)] if fmt == "jsonl" else [])
    code, out, err = await _run("inventory.py", *args, env=env)
    assert code == 0, err
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(out))
        rows = list(reader)
        assert {"stack", "environment", "server", "server_uid"} <= set(reader.fieldnames or ())
    else:
        assert out == ""
        rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(rows) == sum(len(v) for v in servers.values()) == 36
    assert sorted(r["server_uid"] for r in rows) == sorted(u for v in servers.values() for u in v)
    for row in rows:
        assert row["server_uid"] in servers[row["stack_uid"]]
    # Not a terminal: no progress bar, only the summary.
    assert re.fullmatch(r"inventory: 12 stacks, 36 servers, 13 requests, \d+\.\d+s\n", err), err


async def test_inventory_reports_a_failing_stack_and_finishes_the_others(
    fake: FakeCloud66, env: dict[str, str]
) -> None:
    servers = await _servers_by_stack(fake)
    broken = fake.stack_uids[4]
    fake.inject_fault("GET", f"/stacks/{broken}/servers", "status", status=403, times=None)
    code, out, err = await _run("inventory.py", env=env)
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 36 - len(servers[broken])
    assert broken not in {r["stack_uid"] for r in rows}
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert broken in lines[0] and "failed" in lines[0]
    assert lines[1].startswith("inventory: 12 stacks, 33 servers, ")
    assert lines[1].endswith("; 1 stack failed")
    _clean(err)


@pytest.mark.parametrize("with_rich", [True, False])
async def test_inventory_shows_progress_on_a_terminal(
    fake: FakeCloud66, env: dict[str, str], with_rich: bool, tmp_path: Path
) -> None:
    # Slow answers keep the bar up long enough to be drawn.
    fake.inject_fault("GET", re.compile(r"/stacks/\w+/servers"), "latency", delay=0.1, times=None)
    master, slave = pty.openpty()
    term_env = {**env, "TERM": "xterm", "COLUMNS": "100"}
    term_env.pop("NO_COLOR", None)
    if not with_rich:
        # A `rich` first on the path that cannot be imported, as when the extra is missing.
        (tmp_path / "rich").mkdir()
        (tmp_path / "rich" / "__init__.py").write_text("raise ImportError('no rich here')\n")
        term_env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(tmp_path), env.get("PYTHONPATH")])
        )
    try:
        proc = await asyncio.create_subprocess_exec(
            *_example("inventory.py", "--concurrency", "2"),
            stdout=PIPE,
            stderr=slave,
            env=term_env,
        )
    finally:
        os.close(slave)

    def drain() -> bytes:
        seen, deadline = b"", time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child's end is closed
                    break
                if not chunk:
                    break
                seen += chunk
        return seen

    try:
        shown = (await anyio.to_thread.run_sync(drain)).decode("utf-8", "replace")
        with anyio.fail_after(15):
            stdout, _ = await proc.communicate()
        code, out = proc.returncode, stdout.decode()
    finally:
        os.close(master)
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGKILL)
            with anyio.fail_after(15):
                await proc.communicate()
    assert code == 0
    if with_rich:
        assert "stacks" in shown and "\x1b[" in shown  # rich drew a bar with terminal codes
        assert "inventory: 12 stacks, 36 servers" in shown
    else:  # no bar, just the summary
        assert re.fullmatch(r"inventory: 12 stacks, 36 servers, 13 requests, \S+s\r?\n", shown)
    assert len(list(csv.DictReader(io.StringIO(out)))) == 36  # stdout kept clean


# -- deploy_bot.py -------------------------------------------------------------------------------


def _bot(*args: str) -> list[str]:
    return _example("deploy_bot.py", "--poll-interval", "0.1", *args)


async def test_bot_session(fake: FakeCloud66, env: dict[str, str]) -> None:
    await _make_ambiguous(fake, "Lunar Studio")
    async with fake.client(rate_limit=None) as client:
        magic = (await client.stacks.find("Magic Shop")).uid
    fake.deploy_duration = 1.0
    async with _child(_bot(), env, stdin=PIPE) as bot:
        await _send(bot, "help")
        assert (await _line(bot)).startswith("commands: status NAME | redeploy NAME")

        await _send(bot, "status Magic Shop")
        status = await _line(bot)
        assert status.startswith("Magic Shop (development): success, health ok; last deployment #")

        await _send(bot, "status No Such App")
        assert await _line(bot) == "No Such App: not found"

        await _send(bot, "status Lunar Studio")
        reply = await _line(bot)
        assert "several stacks" in reply
        assert '"Lunar Studio@production"' in reply and '"Lunar Studio@staging"' in reply
        await _send(bot, "status Lunar Studio@staging")
        assert (await _line(bot)).startswith("Lunar Studio (staging): ")

        await _send(bot, "frobnicate the servers")
        assert (await _line(bot)).startswith("unknown command: 'frobnicate the servers'")
        await _send(bot, 'redeploy "Magic Shop')
        assert (await _line(bot)).startswith("cannot read that command")
        await _send(bot, "x" * 100_000)  # longer than a line may be
        await _send(bot, "help")
        replies = [await _line(bot)]
        while not replies[-1].startswith("commands:"):
            replies.append(await _line(bot))
        assert replies[0] == "that line is too long; ignored"
        assert all(len(r) < 300 for r in replies)

        await _send(bot, 'redeploy "Magic Shop" web')
        started = await _line(bot)
        assert started.startswith("redeploy Magic Shop (development): started")
        # Answered while the redeploy waits, so before it reports the end.
        await _send(bot, "status Magic Shop")
        during = await _line(bot)
        assert during.startswith("Magic Shop (development): ")
        assert "running since" in during

        # End of input: the bot waits for the redeploy, then exits 0.
        assert bot.stdin is not None
        bot.stdin.close()
        code, out, err = await _finish(bot)
    assert code == 0
    assert err == ""
    assert re.fullmatch(r"redeploy Magic Shop \(development\): finished \(deployment #\d+\)\n", out)
    posted = fake.requests("POST", f"/stacks/{magic}/deployments")
    assert len(posted) == 1
    sent = posted[0].json or posted[0].form or {}
    assert sent.get("services_filter") == "web"


async def test_bot_reports_a_failed_deployment(fake: FakeCloud66, env: dict[str, str]) -> None:
    fake.set_deploy_outcome(False, times=1)
    fake.deploy_duration = 0.3
    async with _child(_bot(), env, stdin=PIPE) as bot:
        await _send(bot, 'redeploy "Magic Shop"')
        assert bot.stdin is not None
        bot.stdin.close()
        code, out, err = await _finish(bot)
    assert code == 0
    assert err == ""
    first, last = out.splitlines()
    assert "started" in first
    assert re.fullmatch(
        r"redeploy Magic Shop \(development\): failed: deployment #\d+ ended failed", last
    )


@pytest.mark.parametrize(("sig", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_bot_stops_cleanly_during_a_redeploy(
    fake: FakeCloud66, env: dict[str, str], sig: signal.Signals, exit_code: int
) -> None:
    fake.deploy_duration = 60.0
    # Started as a background test run starts it (SIGINT ignored, inherited): the bot must
    # still hear Ctrl-C, as it does from a terminal.
    with ignoring_sigint():
        async with _child(_bot(), env, stdin=PIPE) as bot:
            await _send(bot, 'redeploy "Magic Shop"')
            assert "started" in await _line(bot)
            await anyio.sleep(0.3)  # the deployment poller is waiting now
            bot.send_signal(sig)
            code, out, err = await _finish(bot, 10)
    assert code == exit_code
    assert out == (
        "redeploy Magic Shop (development): no longer watched"
        " (the deployment goes on in Cloud 66)\n"
    )
    assert err == ""  # no traceback, no unclosed session, no pending task


async def test_bot_core_takes_any_pair_of_read_and_reply_functions(fake: FakeCloud66) -> None:
    """The two-function seam a chat adapter uses, driven by a scripted conversation."""
    bot = _load("deploy_bot")
    fake.deploy_duration = 0.5
    inbox: asyncio.Queue[str | None] = asyncio.Queue()
    replies: list[str] = []

    async def read_command() -> str | None:
        return await inbox.get()

    async def send_reply(text: str) -> None:
        replies.append(text)
        if "started" in text:
            await inbox.put("status Magic Shop")  # asked while the deployment runs
        elif text.startswith("Magic Shop"):
            await inbox.put(None)  # the chat connection ends

    await inbox.put("redeploy 'Magic Shop'")
    async with fake.client(rate_limit=None) as client:
        with anyio.fail_after(15):
            await bot.run_bot(client, read_command, send_reply, poll_interval=0.05)
    assert len(replies) == 3
    assert "started" in replies[0]
    assert replies[1].startswith("Magic Shop (development): deploying")
    assert replies[2].startswith("redeploy Magic Shop (development): finished")


def test_busiest_window_helper() -> None:
    assert _busiest([0.0, 0.1, 0.2, 1.0, 1.05], 0.5) == 3
    assert _busiest([0.0, 0.5, 1.0], 0.5) == 1
    assert _busiest([], 1.0) == 0
