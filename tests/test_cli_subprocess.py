"""The command line as users run it: ``python -m cloud66_async`` in child processes."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import queue
import re
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _signals import ignoring_sigint, sigint_as_in_a_terminal

from cloud66_async.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE

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


@contextlib.contextmanager
def _serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """A ``fake-server`` child process, with the base URL and token it printed."""
    port = _free_port()
    proc = subprocess.Popen(
        [*PYTHON, "fake-server", "--port", str(port), *args],
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


@pytest.fixture
def fake_server() -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """A fake-server child whose actions take a minute (so a wait can be interrupted)."""
    with _serve("--stacks", "40", "--action-delay", "60") as served:
        yield served


@pytest.fixture(scope="module")
def quick_server() -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """A fake-server child whose actions finish quickly, shared by the tests that only add to
    its state (each checks what it changed, not absolute counts)."""
    with _serve("--stacks", "5", "--action-delay", "0.3") as served:
        yield served


def _cli(
    base_url: str, token: str, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PYTHON, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**_env(), "CLOUD66_URL": base_url, "CLOUD66_ACCESS_TOKEN": token},
        check=False,
    )


def _in_pty(
    args: list[str],
    env: dict[str, str],
    *,
    answer: bytes | None = None,
    cols: int = 0,
    seconds: float = 60,
) -> tuple[int, str]:
    """Run a child with a pseudo-terminal as stdin, stdout and stderr; return (code, output).

    ``answer`` is typed once the confirmation prompt shows. The terminal reports ``cols``
    columns (0 by default, as some terminals do).
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                if answer is not None and b"Go on?" in output:
                    os.write(master, answer)
                    answer = None
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)
    return code, output.decode("utf-8", "replace")


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
    assert summary["list"] == {"stacks": 150, "pages": 5, "requests": 5}
    assert summary["fan_out"]["servers"] > 0 and summary["fan_out"]["failures"] == 0
    assert summary["env_var"]["state"] == "success"
    assert summary["env_var"]["read_back"] == "hello from cloud66-async"
    assert summary["redeploy"]["outcome"] == "success"
    throttle = summary["throttle"]
    assert throttle["succeeded"] == throttle["requests"] == 150
    assert throttle["fake_answered_503"] > 0
    assert throttle["throttled_total"] == throttle["fake_answered_503"]
    assert summary["seconds"] < 60
    assert done.stderr == ""  # stderr is a pipe: no progress line


def test_ctrl_c_during_a_wait_exits_130_and_says_how_to_resume(
    fake_server: tuple[subprocess.Popen[str], str, str],
) -> None:
    _, base_url, token = fake_server
    # Started as a background test run starts it (SIGINT ignored, inherited): the child must
    # still hear Ctrl-C, as it does from a terminal.
    with ignoring_sigint():
        waiting = subprocess.Popen(
            [
                *PYTHON,
                "--base-url",
                base_url,
                "--token",
                token,
                "actions",
                "run",
                "Awesome App",
                "restart",
                "--wait",
                "--poll-interval",
                "0.1",
                "--yes",
                "--debug",  # each request is logged on stderr: the test sees the wait begin
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            preexec_fn=sigint_as_in_a_terminal,
        )
    seen: list[str] = []
    try:
        # Interrupt once the action was started and its first poll answered.
        pending = _lines(waiting.stderr)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = pending.get(timeout=30)
            assert line is not None, "".join(seen)
            seen.append(line)
            if re.search(r"GET \S+/actions/\d+", line):
                break
        waiting.send_signal(signal.SIGINT)
        # Bounded: a child deaf to the signal would otherwise poll until the action ends.
        waiting.wait(timeout=30)
        assert waiting.stdout is not None
        out = waiting.stdout.read()
        while (line := pending.get(timeout=30)) is not None:
            seen.append(line)
        err = "".join(seen)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait(timeout=10)
        for stream in (waiting.stdout, waiting.stderr):
            if stream is not None:
                stream.close()
    assert waiting.returncode == EXIT_INTERRUPTED, err
    lines = err.strip().splitlines()
    assert lines[-1] == "error: interrupted"
    assert "Traceback" not in err
    assert out == ""
    # The work goes on on the server, and the exact command that waits for it is printed.
    assert "goes on on the Cloud 66 server" in err
    resume = shlex.split(lines[-2])
    action_id = int(re.findall(r"GET \S+/actions/(\d+)", err)[0])
    assert resume == [
        "cloud66-async",
        "--base-url",
        base_url,
        "actions",
        "wait",
        "5999b763474b0eafa5fafb64bff0ba80",
        str(action_id),
    ]
    again = _cli(base_url, token, "--json", *resume[1:], "--wait-timeout", "0.5")
    assert again.returncode == EXIT_TIMEOUT, again.stderr
    assert json.loads(again.stdout)["id"] == action_id  # the same action, still running


def test_confirmation_prompt_in_a_terminal(
    quick_server: tuple[subprocess.Popen[str], str, str],
) -> None:
    _, base_url, token = quick_server
    env = {**_env(), "CLOUD66_URL": base_url, "CLOUD66_ACCESS_TOKEN": token}

    def actions() -> int:
        listed = _cli(base_url, token, "-q", "actions", "list", "Awesome App")
        return len(listed.stdout.splitlines())

    before = actions()
    command = [*PYTHON, "actions", "run", "Awesome App", "clear_caches"]
    code, shown = _in_pty(command, env, answer=b"n\n")
    assert code == EXIT_USAGE, shown
    assert "changes the production stack 'Awesome App'" in shown and "Go on?" in shown
    assert "not confirmed: nothing was changed" in shown
    code, shown = _in_pty(command, env, answer=b"y\n")
    assert code == EXIT_OK, shown
    assert re.search(r"action:\s+clear_caches", shown)
    assert actions() == before + 1  # one action: the "n" sent nothing, the "y" one


SGR_COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7])(?:;[0-9]+)*m")


def test_colour_and_progress_in_a_terminal_of_width_0(
    quick_server: tuple[subprocess.Popen[str], str, str],
) -> None:
    _, base_url, token = quick_server
    env = {**_env(), "CLOUD66_URL": base_url, "CLOUD66_ACCESS_TOKEN": token}
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)
    command = [
        *PYTHON,
        "actions",
        "run",
        "Magic Shop",
        "restart",
        "--wait",
        "--poll-interval",
        "0.1",
    ]
    code, shown = _in_pty(command, env, cols=0)
    assert code == EXIT_OK, shown
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    # The terminal says it has 0 columns: the display is drawn at 80, not cut to 1 character.
    assert "waiting for restart" in plain
    assert re.search(r"state:\s+success", plain)
    assert SGR_COLOUR.search(shown)  # colour on a terminal
    assert "\x1b[?25l" in shown  # the live display hid the cursor while drawing
    code, shown = _in_pty(command, {**env, "NO_COLOR": "1"}, cols=100)
    assert code == EXIT_OK, shown
    assert "waiting for restart" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert not SGR_COLOUR.search(shown)  # NO_COLOR: no colour, progress still drawn


def test_without_the_cli_extra_it_says_how_to_install_it() -> None:
    block = (
        "import sys, runpy; sys.modules['rich'] = None; sys.modules['argcomplete'] = None; "
        "import cloud66_async, cloud66_async.cli, cloud66_async.testing; "
        "sys.argv = ['cloud66-async', 'stacks', 'list']; "
        "runpy.run_module('cloud66_async', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", block],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        check=False,
    )
    assert done.returncode == EXIT_USAGE, done.stderr
    assert done.stdout == ""
    assert "rich and argcomplete" in done.stderr
    assert 'pip install "cloud66_async[cli]"' in done.stderr
    assert "Traceback" not in done.stderr


def test_bash_completes_commands_and_stack_names(
    quick_server: tuple[subprocess.Popen[str], str, str], tmp_path: Path
) -> None:
    _, base_url, token = quick_server
    program = tmp_path / "cloud66-async"
    program.write_text(f'#!/bin/sh\nexec {shlex.join(PYTHON)} "$@"\n', encoding="utf-8")
    program.chmod(0o755)
    env = {
        **_env(),
        "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}",
        "CLOUD66_URL": base_url,
        "CLOUD66_ACCESS_TOKEN": token,
    }
    script = """
source <(cloud66-async completion bash)
complete_line() {
    COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<< "$1"
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
    _python_argcomplete cloud66-async
    printf '%s\\n' "${COMPREPLY[@]}"; echo ---
}
complete_line "cloud66-async ser"
complete_line "cloud66-async env-vars set Aw"
"""
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    commands, names, _ = done.stdout.split("---\n")
    assert set(commands.split()) == {"services", "server-groups", "servers", "server-settings"}
    assert names.strip() in ("Awesome\\ App", "Awesome App")


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
