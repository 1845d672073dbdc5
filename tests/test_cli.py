"""The command line, run in a worker thread against FakeCloud66 over loopback.

``main()`` runs its own event loop, so every call goes through ``anyio.to_thread.run_sync``
while the fake serves from the test's loop. :func:`invoke` checks, on every call, that the
token never appears in stdout or stderr.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest

from cloud66_async import (
    ActionFailedError,
    ConfigError,
    DeploymentFailedError,
    NotFoundError,
    TransportError,
    WaitTimeoutError,
)
from cloud66_async.cli import (
    EXIT_API_ERROR,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    main,
)
from cloud66_async.cli._app import exit_code_for, run
from cloud66_async.cli._commands import COMMANDS
from cloud66_async.cli._output import (
    MASK,
    format_table,
    format_value,
    mask_secrets,
    render_detail,
    render_table,
    to_text,
)
from cloud66_async.cli._progress import Status, render_status
from cloud66_async.models import Action, EnvVar, EnvVarHistory, Stack, StackStatus
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    """A small FakeCloud66 (10 stacks: seeding 75 would cost a quarter second per test)."""
    async with FakeCloud66(stacks=10, action_delay=0.05, deploy_duration=0.2) as server:
        yield server


STACK = "5999b763474b0eafa5fafb64bff0ba80"
SECRET_KEY, SECRET_VALUE = "POSTGRESQL_PASSWORD", "tjena"
DATETIME = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\b")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class TTY(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@attrs.frozen
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


async def call(
    argv: list[str], *, tty: bool = False, seconds: float = 30, secret: str | None = None
) -> Result:
    """Run the command line in a worker thread with its own streams."""
    stdout, stderr = io.StringIO(), (TTY() if tty else io.StringIO())
    with anyio.fail_after(seconds):
        code = await anyio.to_thread.run_sync(
            lambda: run(argv, stdout=stdout, stderr=stderr), abandon_on_cancel=True
        )
    result = Result(code, stdout.getvalue(), stderr.getvalue())
    if secret is not None:
        assert secret not in result.out + result.err, "the token was printed"
    return result


async def invoke(fake: FakeCloud66, *args: str, tty: bool = False, seconds: float = 30) -> Result:
    """Run ``cloud66-async --base-url ... --token ... *args`` against ``fake``."""
    argv = ["--base-url", fake.base_url, "--token", fake.token, *args]
    return await call(argv, tty=tty, seconds=seconds, secret=fake.token)


def one_error_line(result: Result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.err
    return lines[0]


# ------------------------------------------------------------------------------ usage


async def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code = await anyio.to_thread.run_sync(lambda: main(["--help"]))
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "exit codes:" in out
    for number in ("0", "1", "2", "3", "4", "5", "130"):
        assert re.search(rf"^  {number}\s", out, re.MULTILINE), number
    for group in {c.group for c in COMMANDS}:
        assert group in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["stacks"],
        ["stacks", "frobnicate"],
        ["servers", "list"],
        ["actions", "run", STACK, "explode"],
        ["actions", "get", STACK, "not-a-number"],
        ["services", "scale", STACK, "web", "--group", "web"],
        ["--timeout", "-1", "stacks", "list"],
        ["stacks", "list", "--limit", "0"],
    ],
)
async def test_usage_errors_exit_2(argv: list[str]) -> None:
    result = await call(argv)
    assert result.code == EXIT_USAGE
    assert "usage:" in result.err
    assert result.out == ""


async def test_missing_token_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CLOUD66_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    result = await call(["stacks", "list"])
    assert result.code == EXIT_USAGE
    assert result.out == "" and "Traceback" not in result.err
    first, *details = result.err.strip().splitlines()
    assert first.startswith("error: no Cloud 66 token")
    assert "--token" in first and "CLOUD66_ACCESS_TOKEN" in first
    help_text = " ".join(details)
    assert "Account -> Apps" in help_text and "personal access token" in help_text
    assert "cx.json" in help_text
    for scope in ("public", "redeploy", "admin", "users"):
        assert scope in help_text


async def test_token_and_url_from_the_environment(
    fake: FakeCloud66, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUD66_ACCESS_TOKEN", fake.token)
    monkeypatch.setenv("CLOUD66_URL", fake.base_url)
    result = await call(["--json", "stacks", "get", STACK], secret=fake.token)
    assert result.code == EXIT_OK
    assert result.json()["uid"] == STACK


async def test_plain_http_to_a_remote_host_is_refused() -> None:
    result = await call(
        ["--token", "x" * 40, "--base-url", "http://example.com/api/3", "clouds", "list"]
    )
    assert result.code == EXIT_USAGE
    assert "https" in one_error_line(result)
    assert "x" * 40 not in result.err


# ------------------------------------------------------------------------------ tables and JSON


async def test_stacks_list_table(fake: FakeCloud66) -> None:
    result = await invoke(fake, "stacks", "list")
    assert result.code == EXIT_OK
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "UID",
        "NAME",
        "ENVIRONMENT",
        "STATUS",
        "HEALTH",
        "LAST",
        "ACTIVITY",
    ]
    assert len(lines) == 1 + len(fake.stack_uids)
    first = lines[1]
    assert first.startswith(STACK)
    assert "Awesome App" in first and "production" in first and "success" in first
    assert DATETIME.search(first)
    # The columns line up: every row starts its NAME where the header does.
    name_at = lines[0].index("NAME")
    assert all(line[name_at - 2 : name_at] == "  " for line in lines[1:])
    assert result.err == ""  # stderr is not a terminal: no progress line


async def test_stacks_list_json_has_every_stack_across_pages() -> None:
    async with FakeCloud66(stacks=75, per_page=20) as fake:
        result = await invoke(fake, "stacks", "list", "--json")  # a global option after
        assert result.code == EXIT_OK
        stacks = result.json()
        assert [s["uid"] for s in stacks] == fake.stack_uids
        assert len(stacks) == 75
        assert len(fake.requests("GET", "/stacks")) == 4  # 20 + 20 + 20 + 15


async def test_limit_stops_fetching(fake: FakeCloud66) -> None:
    result = await invoke(fake, "--json", "stacks", "list", "--limit", "3")
    assert [s["uid"] for s in result.json()] == fake.stack_uids[:3]
    assert len(fake.requests("GET", "/stacks")) == 1


async def test_detail_view(fake: FakeCloud66) -> None:
    result = await invoke(fake, "stacks", "get", STACK)
    assert result.code == EXIT_OK
    fields = dict(re.split(r":\s+", line, maxsplit=1) for line in result.out.splitlines())
    assert fields["uid"] == STACK
    assert fields["status"] == "success"
    assert fields["health"] == "ok"
    assert fields["maintenance_mode"] == "no"
    assert DATETIME.fullmatch(fields["created_at"])
    # One row per timestamp: created_at shows created_at_iso, which has no row of its own.
    assert "created_at_iso" not in fields and "last_activity_iso" not in fields


async def test_sub_tables_in_detail_view(fake: FakeCloud66) -> None:
    result = await invoke(fake, "clouds", "get", "aws")
    assert result.code == EXIT_OK
    assert "regions:" in result.out and "us-east-1" in result.out
    assert "server_sizes:" in result.out and "t2.micro" in result.out


async def test_account_header_is_sent(fake: FakeCloud66) -> None:
    result = await invoke(fake, "--account", "139", "clouds", "list")
    assert result.code == EXIT_OK
    assert fake.request_log[-1].header("X-Account") == "139"


async def test_main_prints_to_sys_stdout(
    fake: FakeCloud66, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--base-url", fake.base_url, "--token", fake.token, "--json", "servers", "list", STACK]
    code = await anyio.to_thread.run_sync(lambda: main(argv))
    captured = capsys.readouterr()
    assert code == EXIT_OK
    servers = json.loads(captured.out)
    assert {s["uid"] for s in servers} == {s["uid"] for s in fake.peek(f"/stacks/{STACK}/servers")}
    assert captured.err == ""


# ------------------------------------------------------------------------------ passwords


async def test_passwords_masked_in_tables(fake: FakeCloud66) -> None:
    result = await invoke(fake, "env", "list", STACK)
    assert result.code == EXIT_OK
    row = next(line for line in result.out.splitlines() if SECRET_KEY in line)
    assert MASK in row and SECRET_VALUE not in row
    shown = await invoke(fake, "env", "list", STACK, "--show-passwords")
    row = next(line for line in shown.out.splitlines() if SECRET_KEY in line)
    assert SECRET_VALUE in row


async def test_passwords_masked_in_json(fake: FakeCloud66) -> None:
    masked = (await invoke(fake, "--json", "env", "list", STACK)).json()
    secrets = [e for e in masked if e["is_password"]]
    assert secrets
    assert all(e["value"] == MASK for e in secrets)
    assert all(h["value"] == MASK for e in secrets for h in e["history"] or [])
    assert any(e["value"] not in (MASK, None) for e in masked if not e["is_password"])
    shown = (await invoke(fake, "--json", "env", "list", STACK, "--show-passwords")).json()
    assert next(e["value"] for e in shown if e["key"] == SECRET_KEY) == SECRET_VALUE


async def test_env_get_by_key_or_id_is_masked(fake: FakeCloud66) -> None:
    by_key = await invoke(fake, "--json", "env", "get", STACK, SECRET_KEY)
    assert by_key.json()["value"] == MASK
    env_id = str(by_key.json()["id"])
    by_id = await invoke(fake, "env", "get", STACK, env_id, "--show-passwords")
    assert re.search(rf"^value:\s+{SECRET_VALUE}$", by_id.out, re.MULTILINE)
    missing = await invoke(fake, "env", "get", STACK, "NO_SUCH_KEY")
    assert missing.code == EXIT_API_ERROR
    assert "NO_SUCH_KEY" in one_error_line(missing)


# ------------------------------------------------------------------------------ errors


async def test_not_found_exits_3_with_status_and_request_id(fake: FakeCloud66) -> None:
    result = await invoke(fake, "servers", "get", STACK, "no-such-server")
    assert result.code == EXIT_API_ERROR
    line = one_error_line(result)
    assert "404" in line
    request_id = fake.request_log[-1].header("Request-Id")  # the id the SDK sent
    assert request_id and f"request id {request_id}" in line
    assert result.out == ""


async def test_json_errors_leave_stdout_empty(fake: FakeCloud66) -> None:
    result = await invoke(fake, "--json", "servers", "get", STACK, "nope")
    assert result.code == EXIT_API_ERROR
    assert result.out == ""


async def test_bad_token_never_shown(fake: FakeCloud66) -> None:
    token = "0123456789abcdef" * 3
    result = await call(
        ["--debug", "--base-url", fake.base_url, "--token", token, "stacks", "list"], secret=token
    )
    assert result.code == EXIT_API_ERROR
    assert "401" in result.err


async def test_debug_logs_without_the_token(fake: FakeCloud66) -> None:
    result = await invoke(fake, "--debug", "stacks", "get", STACK)
    assert result.code == EXIT_OK
    assert "GET" in result.err and "200" in result.err


async def test_connection_refused_exits_3() -> None:
    async with FakeCloud66() as fake:
        url, token = fake.base_url, fake.token
    result = await call(["--base-url", url, "--token", token, "stacks", "list"], secret=token)
    assert result.code == EXIT_API_ERROR
    one_error_line(result)


# ------------------------------------------------------------------------------ actions and waits


async def test_env_set_wait_adds_then_updates(fake: FakeCloud66) -> None:
    added = await invoke(
        fake,
        "--json",
        "env",
        "set",
        STACK,
        "GREETING",
        "hi",
        "--wait",
        "--poll-interval",
        "0.05",
        "--yes",
    )
    assert added.code == EXIT_OK, added.err
    action = added.json()
    assert action["finished_success"] is True and action["finished_at"]
    assert action["action"] == "env-var-new"
    updated = await invoke(
        fake, "env", "set", STACK, "GREETING", "hello", "--wait", "--poll-interval", "0.05", "-y"
    )
    assert updated.code == EXIT_OK
    assert re.search(r"^state:\s+success$", updated.out, re.MULTILINE)
    assert "env-var-update" in updated.out
    values = {e["key"]: e["value"] for e in fake.peek(f"/stacks/{STACK}/environments")}
    assert values["GREETING"] == "hello"
    deleted = await invoke(fake, "env", "delete", STACK, "GREETING", "--yes")
    assert deleted.code == EXIT_OK
    assert "GREETING" not in {e["key"] for e in fake.peek(f"/stacks/{STACK}/environments")}


async def test_action_without_wait_returns_at_once() -> None:
    async with FakeCloud66(action_delay=30) as fake:
        result = await invoke(fake, "--json", "-y", "actions", "run", STACK, "restart", seconds=10)
        assert result.code == EXIT_OK
        assert result.json()["finished_at"] is None


async def test_failed_action_exits_4(fake: FakeCloud66) -> None:
    fake.set_action_outcome(False, "restart refused")
    result = await invoke(
        fake,
        "--json",
        "-y",
        "actions",
        "run",
        STACK,
        "restart",
        "--wait",
        "--poll-interval",
        "0.05",
    )
    assert result.code == EXIT_FAILED
    assert result.json()["finished_success"] is False  # the failed action, as the result
    line = one_error_line(result)
    assert "failed" in line and "restart refused" in line


async def test_failed_env_set_exits_4(fake: FakeCloud66) -> None:
    fake.set_action_outcome(False)
    result = await invoke(
        fake, "env", "set", STACK, "X_FAILS", "1", "--wait", "--poll-interval", "0.05", "--yes"
    )
    assert result.code == EXIT_FAILED
    assert re.search(r"^state:\s+failed$", result.out, re.MULTILINE)


async def test_wait_timeout_exits_5() -> None:
    async with FakeCloud66(action_delay=60) as fake:
        result = await invoke(
            fake,
            "actions",
            "run",
            STACK,
            "clear_caches",
            "--wait",
            "--wait-timeout",
            "0.3",
            "--poll-interval",
            "0.05",
            "--yes",
            seconds=20,
        )
        assert result.code == EXIT_TIMEOUT
        *hint, error = result.err.strip().splitlines()
        assert error.startswith("error: ") and "did not finish within 0.3s" in error
        assert re.search(r"^state:\s+running$", result.out, re.MULTILINE)
        action_id = result.out.split("id:")[1].split()[0]
        # The work goes on on the server, and the exact command that waits again is printed.
        assert "goes on on the Cloud 66 server" in hint[0]
        resume = shlex.split(hint[-1])
        assert resume == [
            "cloud66-async",
            "--base-url",
            fake.base_url,
            "actions",
            "wait",
            STACK,
            action_id,
        ]
        # It works (--timeout bounds waits too when --wait-timeout is not given).
        waited = await invoke(fake, "--timeout", "0.3", *resume[3:], seconds=20)
        assert waited.code == EXIT_TIMEOUT
        assert re.search(rf"^id:\s+{action_id}$", waited.out, re.MULTILINE)


async def test_actions_wait_for_a_known_action(fake: FakeCloud66) -> None:
    started = await invoke(fake, "--json", "actions", "run", STACK, "clear_caches", "--yes")
    action_id = str(started.json()["id"])
    result = await invoke(
        fake, "--json", "actions", "wait", STACK, action_id, "--poll-interval", "0.05"
    )
    assert result.code == EXIT_OK
    assert result.json()["finished_success"] is True


async def test_redeploy_wait_success(fake: FakeCloud66) -> None:
    result = await invoke(
        fake, "--json", "redeploy", STACK, "--wait", "--poll-interval", "0.05", "--yes"
    )
    assert result.code == EXIT_OK, result.err
    deployment = result.json()["deployment"]
    assert deployment["outcome"]["meaning"] == "success"
    assert deployment["is_deploying"] is False
    table = await invoke(
        fake, "redeploy", STACK, "--git-ref", "main", "--wait", "--poll-interval", "0.05", "-y"
    )
    assert table.code == EXIT_OK
    assert re.search(r"^\s+state:\s+success$", table.out, re.MULTILINE)


async def test_redeploy_wait_failure_exits_4(fake: FakeCloud66) -> None:
    fake.set_deploy_outcome(False)
    result = await invoke(
        fake, "--json", "redeploy", STACK, "--wait", "--poll-interval", "0.05", "--yes"
    )
    assert result.code == EXIT_FAILED
    assert result.json()["outcome"]["meaning"] != "success"  # the failed deployment
    assert "deployment" in one_error_line(result)


async def test_deployment_cancel() -> None:
    async with FakeCloud66(deploy_duration=60) as fake:
        assert (await invoke(fake, "redeploy", STACK, "--yes")).code == EXIT_OK
        newest = (await invoke(fake, "--json", "deployments", "list", STACK, "--limit", "1")).json()
        assert newest[0]["is_deploying"] is True
        result = await invoke(
            fake, "--json", "deployments", "cancel", STACK, str(newest[0]["id"]), "--yes"
        )
        assert result.code == EXIT_OK, result.err
        assert result.json()["ok"] is True


# ------------------------------------------------------------------------------ progress


async def test_progress_drawn_only_on_a_terminal(fake: FakeCloud66) -> None:
    args = ("actions", "run", STACK, "restart", "--wait", "--poll-interval", "0.05", "--yes")
    fake.action_delay = 0.5
    shown = await invoke(fake, *args, tty=True)
    assert shown.code == EXIT_OK
    plain = ANSI.sub("", shown.err)
    assert "waiting for restart" in plain and "running" in plain
    assert re.search(r"\d:\d\d:\d\d", plain)  # the elapsed time
    # The display hides the cursor while drawing, shows it again and wipes its line at the end.
    assert shown.err.startswith("\x1b[?25l")
    assert "\x1b[?25h" in shown.err and shown.err.endswith("\x1b[2K")
    assert "\x1b" not in shown.out and "\r" not in shown.out
    quiet = await invoke(fake, "--no-progress", *args, tty=True)
    assert quiet.code == EXIT_OK and quiet.err == ""
    piped = await invoke(fake, *args)
    assert piped.code == EXIT_OK and piped.err == ""


async def test_list_progress_counts_items(fake: FakeCloud66) -> None:
    result = await invoke(fake, "stacks", "list", tty=True)
    assert result.code == EXIT_OK
    plain = ANSI.sub("", result.err)
    # Rich draws at least once when it stops: the last frame has the count of every page.
    assert "stacks" in plain and f"{len(fake.stack_uids)}/{len(fake.stack_uids)}" in plain


# ------------------------------------------------------------------------------ every command


async def test_every_command_answers_json(fake: FakeCloud66) -> None:
    """Each command of the table runs against the fake and prints one JSON document."""
    peek = fake.peek
    s = STACK
    server = peek(f"/stacks/{s}/servers")[0]["uid"]
    container = peek(f"/stacks/{s}/containers")[0]["uid"]
    env = peek(f"/stacks/{s}/environments")[0]["id"]
    action = peek(f"/stacks/{s}/actions")[0]["id"]
    deployment = peek(f"/stacks/{s}/deployments")[0]["id"]
    rule = peek(f"/stacks/{s}/firewalls")[0]["id"]
    notification = peek(f"/stacks/{s}/notifications")[0]["id"]
    group = peek(f"/stacks/{s}/server_groups")[0]["id"]
    backup = peek(f"/stacks/{s}/backups")[0]["id"]
    backup_file = peek(f"/stacks/{s}/backups/{backup}/files")[0]["id"]
    account = peek("/accounts")[0]["id"]
    user = peek("/users")[0]["id"]
    wait = ("--wait", "--poll-interval", "0.05")
    commands: list[tuple[str, ...]] = [
        ("stacks", "list"),
        ("stacks", "get", s),
        (
            "stacks",
            "create",
            "cli-made",
            "staging",
            "--service-yaml",
            "-",
            "--cloud",
            "aws",
            "--region",
            "us-east-1",
            "--build-type",
            "single",
            *wait,
        ),
        ("actions", "list", s),
        ("actions", "get", s, str(action)),
        ("actions", "run", s, "maintenance_mode", "--value", "1", *wait),
        ("deployments", "list", s),
        ("deployments", "get", s, str(deployment)),
        ("deployments", "wait", s, "--poll-interval", "0.05"),
        ("redeploy", s, "--service", "web", "--service", "api"),
        ("services", "list", s),
        ("services", "list", s, "--server", server),
        ("services", "get", s, "web"),
        ("services", "scale", s, "web", "--group", "web=2", *wait),
        ("services", "stop", s, "worker", *wait),
        ("containers", "list", s),
        ("containers", "get", s, container),
        ("containers", "stop", s, container, *wait),
        ("env", "list", s),
        ("env", "get", s, str(env)),
        ("env", "set", s, "SMOKE", "1", *wait),
        ("env", "delete", s, "SMOKE"),
        ("firewalls", "list", s),
        ("firewalls", "get", s, str(rule)),
        ("firewalls", "add", s, "--protocol", "tcp", "--port", "8080", "--from-ip", "10.1.2.3/32"),
        ("notifications", "list", s),
        ("notifications", "list", s, "--alert-type", "stack.provision.ok"),
        ("notifications", "get", s, str(notification)),
        (
            "notifications",
            "update",
            s,
            str(notification),
            "--channel",
            "email",
            "--channel",
            "slack",
            "--param",
            "slack_url=https://hooks.example.com/x",
        ),
        ("settings", "list", s),
        ("settings", "get", s, "git.branch"),
        ("settings", "set", s, "git-branch", "develop", *wait),
        ("server-groups", "list", s),
        ("server-groups", "get", s, str(group)),
        ("servers", "list", s),
        ("servers", "get", s, server),
        ("server-settings", "list", s, server),
        ("server-settings", "get", s, server, "swap.size"),
        ("server-settings", "set", s, server, "swap.size", "2048", *wait),
        ("clouds", "list"),
        ("clouds", "get", "aws"),
        ("backups", "list", s),
        ("backups", "list", s, "--db-type", "redis"),
        ("backups", "get", s, str(backup)),
        ("backups", "create", s, "--db-type", "mysql", "--frequency", "0 */1 * * *", "--gzip"),
        (
            "backups",
            "import",
            s,
            "--group",
            "1",
            "--db-type",
            "mysql",
            "--remote-url",
            "https://example.com/dump.gz",
        ),
        ("backups", "files", s, str(backup)),
        ("backups", "file-url", s, str(backup), str(backup_file)),
        ("accounts", "list"),
        ("accounts", "get", str(account)),
        ("users", "list"),
        ("users", "get", str(user)),
        ("users", "add-device", str(user), "device-xyz", "--type", "ios", "--sub-type", "ipad"),
        (
            "users",
            "update-device",
            str(user),
            "device-xyz",
            "--type",
            "android",
            "--sub-type",
            "iphone",
        ),
        ("users", "delete-device", str(user), "device-xyz"),
    ]
    covered = {(c[0], c[1] if c[0] != "redeploy" else None) for c in commands}
    writes = {(c.group, c.name) for c in COMMANDS if c.writes}
    expected = {(c.group, c.name) for c in COMMANDS if c.client}
    expected -= {("actions", "wait"), ("deployments", "cancel")}  # tested on their own
    assert expected <= covered, expected - covered
    failures = []
    for argv in commands:
        if (argv[0], argv[1] if argv[0] != "redeploy" else None) in writes:
            argv = (*argv, "--yes")  # the stack is a production one
        if argv[:2] == ("stacks", "create"):
            result = await _with_stdin("name: web\n", invoke(fake, "--json", *argv))
        else:
            result = await invoke(fake, "--json", *argv)
        if result.code != EXIT_OK:
            failures.append(f"{' '.join(argv)} -> {result.code}: {result.err.strip()}")
            continue
        json.loads(result.out)  # exactly one JSON document
        if argv[1] in ("list", "get", "files", "file-url"):
            human = await invoke(fake, *argv)
            if human.code != EXIT_OK or not human.out.strip():
                failures.append(f"{' '.join(argv)} (table) -> {human.code}: {human.err.strip()}")
    assert not failures, "\n".join(failures)


async def _with_stdin(text: str, coro: Any) -> Result:
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        result: Result = await coro
    finally:
        sys.stdin = saved
    return result


# ------------------------------------------------------------------------------ demo


async def test_demo_in_process_narrates() -> None:
    result = await call(["demo"], seconds=60)
    assert result.code == EXIT_OK, result.err
    for step in range(1, 7):
        assert f"[{step}]" in result.out
    assert "150 stacks in 5 pages, 5 requests" in result.out
    assert result.err == ""


# ------------------------------------------------------------------------------ pure parts


def test_format_value() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert format_value(when) == "2024-05-06 07:08:09 UTC"
    assert format_value(None) == "-"
    assert format_value(True) == "yes"
    assert format_value(StackStatus.SUCCESS) == "success"
    assert format_value(StackStatus(42)) == "undocumented_42"
    assert format_value(("a", "b")) == "a, b"


def test_format_table_aligns_columns() -> None:
    text = to_text(format_table(["A", "LONGER"], [["xyz", "1"], ["x", "22"]]))
    assert text.splitlines() == ["A    LONGER", "xyz  1", "x    22"]


def test_render_table_and_detail() -> None:
    stacks = [Stack(uid="u1", name="one\nline", status=StackStatus.FAILED)]
    table = render_table(stacks)
    assert "one line" in table and "failed" in table
    assert render_table([]) == "(none)"
    detail = render_detail(Action(id=3, action="restart"))
    assert detail.splitlines()[0].split() == ["state:", "running"]


def test_mask_secrets() -> None:
    history = (EnvVarHistory(key=1, value="old"),)
    secret = EnvVar(key="K", value="v", is_password=True, history=history)
    plain = EnvVar(key="P", value="v", is_password=False)
    masked = mask_secrets([secret, plain])
    assert masked[0].value == MASK and masked[0].history[0].value == MASK
    assert masked[1] is plain
    assert mask_secrets("text") == "text"


def test_render_status() -> None:
    status = Status("waiting", total=10)
    status.state, status.done, status.started = "running", 3, 100.0
    assert render_status(status, now=102.5) == "waiting  running  3/10  2.5s"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("x"), EXIT_USAGE),
        (NotFoundError(status=404, error="not_found", description=None), EXIT_API_ERROR),
        (TransportError("x", method="GET", url="u"), EXIT_API_ERROR),
        (ActionFailedError("x", action=None), EXIT_FAILED),
        (DeploymentFailedError("x", deployment=None), EXIT_FAILED),
        (WaitTimeoutError("x"), EXIT_TIMEOUT),
        (KeyboardInterrupt(), EXIT_INTERRUPTED),
        (RuntimeError("bug"), EXIT_INTERNAL),
    ],
)
def test_exit_codes(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


def test_command_table_is_consistent() -> None:
    seen: set[tuple[str, str | None]] = set()
    for command in COMMANDS:
        key = (command.group, command.name)
        assert key not in seen, key
        seen.add(key)
        assert command.help and callable(command.handler)
    groups: dict[str, list[str | None]] = {}
    for group, name in seen:
        groups.setdefault(group, []).append(name)
    # A group is either one command without sub-commands, or sub-commands only.
    assert all(names == [None] or None not in names for names in groups.values())
