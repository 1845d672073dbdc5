"""The command line as users run it: ``python -m cloud66_async`` in child processes."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from cloud66_async.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

# -W error: a warning in the child (an unclosed session...) fails it, as it would here.
PYTHON = [sys.executable, "-W", "error", "-m", "cloud66_async"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUD66_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _lines(stream: object) -> queue.Queue[str | None]:
    """Read a pipe's lines on a thread, so the test can wait for them with a timeout."""
    found: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            found.put(line)
        found.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return found


@pytest.fixture
def fake_server() -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """A ``fake-server`` child process, with the base URL and token it printed."""
    port = _free_port()
    proc = subprocess.Popen(
        [*PYTHON, "fake-server", "--port", str(port), "--stacks", "40", "--action-delay", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        lines = _lines(proc.stdout)
        printed: dict[str, str] = {}
        while "token" not in printed:
            line = lines.get(timeout=30)
            assert line is not None, f"fake-server ended early: {proc.communicate()[1]}"
            key, sep, value = line.partition(":")
            if sep and key in ("base URL", "token"):
                printed[key] = value.strip()
        assert printed["base URL"] == f"http://127.0.0.1:{port}/api/3"
        yield proc, printed["base URL"], printed["token"]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_fake_server_serves_another_process(
    fake_server: tuple[subprocess.Popen[str], str, str],
) -> None:
    proc, base_url, token = fake_server
    listed = subprocess.run(
        [*PYTHON, "--base-url", base_url, "--token", token, "stacks", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        check=False,
    )
    assert listed.returncode == EXIT_OK, listed.stderr
    stacks = json.loads(listed.stdout)
    assert len(stacks) == 40
    assert stacks[0]["uid"] == "5999b763474b0eafa5fafb64bff0ba80"
    assert token not in listed.stdout + listed.stderr

    # The same through the environment, and a usage error's exit code.
    env = {**_env(), "CLOUD66_URL": base_url, "CLOUD66_ACCESS_TOKEN": token}
    bad = subprocess.run(
        [*PYTHON, "stacks", "get"], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert bad.returncode == EXIT_USAGE

    # SIGTERM stops the server cleanly.
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == EXIT_OK


def test_demo_json_as_a_subprocess() -> None:
    done = subprocess.run(
        [*PYTHON, "demo", "--json"],
        capture_output=True,
        text=True,
        timeout=90,
        env=_env(),
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    summary = json.loads(done.stdout)  # the whole of stdout is one JSON document
    assert summary["ok"] is True
    assert summary["list"]["stacks"] == 150
    assert summary["list"]["pages"] >= 5
    assert summary["throttle"]["succeeded"] == 150
    assert summary["seconds"] < 60
    assert done.stderr == ""  # stderr is a pipe: no progress line


def test_ctrl_c_exits_130(fake_server: tuple[subprocess.Popen[str], str, str]) -> None:
    _, base_url, token = fake_server
    waiting = subprocess.Popen(
        [
            *PYTHON,
            "--base-url",
            base_url,
            "--token",
            token,
            "actions",
            "run",
            "5999b763474b0eafa5fafb64bff0ba80",
            "restart",
            "--wait",
            "--poll-interval",
            "0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        # Wait until the action was started (the fake logs it), then interrupt the wait.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and waiting.poll() is None:
            probe = subprocess.run(
                [
                    *PYTHON,
                    "--base-url",
                    base_url,
                    "--token",
                    token,
                    "--json",
                    "actions",
                    "list",
                    "5999b763474b0eafa5fafb64bff0ba80",
                    "--limit",
                    "1",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                env=_env(),
                check=False,
            )
            if json.loads(probe.stdout)[0]["action"] == "restart":
                break
        waiting.send_signal(signal.SIGINT)
        out, err = waiting.communicate(timeout=30)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.communicate(timeout=10)
    assert waiting.returncode == EXIT_INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "error: interrupted"
    assert "Traceback" not in err
    assert out == ""


def test_fake_server_port_in_use() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        done = subprocess.run(
            [*PYTHON, "fake-server", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env=_env(),
            check=False,
        )
    assert done.returncode == EXIT_USAGE
    assert done.stderr.startswith("error: cannot listen on")
