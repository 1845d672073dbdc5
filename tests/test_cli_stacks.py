"""Stacks by name, production confirmation, ``-q``, help and tables, in process against the fake.

The fake's first stack is "Awesome App" in production; "Magic Shop" is a development stack.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from _cli_helpers import ANSI, TTY, call, invoke, writes_sent

from cloud66_async.cli import EXIT_API_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE
from cloud66_async.cli._app import build_parser
from cloud66_async.cli._commands import COMMANDS
from cloud66_async.cli._output import Output, make_console
from cloud66_async.cli._stacks import looks_like_uid, suggest
from cloud66_async.models import Stack
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    """A small FakeCloud66 (8 stacks: seeding 75 would cost a quarter second per test)."""
    async with FakeCloud66(stacks=8, action_delay=0.05, deploy_duration=0.2) as server:
        yield server


APP = "Awesome App"
STACK = "5999b763474b0eafa5fafb64bff0ba80"
GOLDEN = Path(__file__).with_name("cli_golden")
SERVICE_YAML = "services:\n  web:\n    image: nginx\n"
URL = "https://example.com/dump.gz"


async def _add_stack(fake: FakeCloud66, name: str, environment: str) -> str:
    async with fake.client() as client:
        await client.stacks.create(name, environment, SERVICE_YAML, manifest_yaml="x: 1")
        return (await client.stacks.find(name, environment=environment)).uid


# ------------------------------------------------------------------------------ resolution


async def test_a_name_gives_the_same_json_as_the_uid() -> None:
    async with FakeCloud66() as fake:
        by_name = await invoke(fake, "--json", "servers", "list", APP)
        by_option = await invoke(fake, "--json", "servers", "list", "-s", APP, "-e", "production")
        got = await invoke(fake, "--json", "stacks", "get", APP)
    pinned = (GOLDEN / "servers-list.json").read_text(encoding="utf-8")
    assert by_name.code == by_option.code == EXIT_OK
    assert by_name.out == by_option.out == pinned
    assert got.out == (GOLDEN / "stacks-get.json").read_text(encoding="utf-8")


async def test_a_uid_costs_one_lookup_and_stacks_get_reuses_it(fake: FakeCloud66) -> None:
    before = len(fake.request_log)
    result = await invoke(fake, "--json", "stacks", "get", STACK)
    assert result.code == EXIT_OK
    sent = [(r.method, r.path) for r in fake.request_log[before:]]
    assert sent == [("GET", f"/stacks/{STACK}")]


async def test_several_stacks_of_one_name_exit_2_listing_them(fake: FakeCloud66) -> None:
    staging = await _add_stack(fake, APP, "staging")
    result = await invoke(fake, "servers", "list", APP)
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert "2 stacks are named 'Awesome App'" in result.error
    assert "-e/--environment" in result.error
    listed = [line.split() for line in result.err.splitlines()[1:]]
    assert sorted(listed) == sorted(
        [["Awesome", "App", "production", STACK], ["Awesome", "App", "staging", staging]]
    )
    chosen = await invoke(fake, "--json", "stacks", "get", APP, "-e", "staging")
    assert chosen.code == EXIT_OK
    assert chosen.json()["uid"] == staging


async def test_no_match_exits_3_with_suggestions_and_changes_nothing(fake: FakeCloud66) -> None:
    before = len(fake.request_log)
    result = await invoke(fake, "redeploy", "awesome ap", "--yes")
    assert result.code == EXIT_API_ERROR
    assert "no stack has the name 'awesome ap'" in result.error
    assert "did you mean" in result.error
    offered = result.err.splitlines()[1:]
    assert offered[0].split() == ["Awesome", "App", "production", STACK]  # the closest first
    assert writes_sent(fake, before) == []  # a near miss is offered, never acted on


async def test_right_name_wrong_environment_suggests_the_other_environment(
    fake: FakeCloud66,
) -> None:
    result = await invoke(fake, "servers", "list", APP, "-e", "qa")
    assert result.code == EXIT_API_ERROR
    assert "in environment 'qa'" in result.error
    assert STACK in result.err.splitlines()[1]


async def test_no_match_and_nothing_close(fake: FakeCloud66) -> None:
    result = await invoke(fake, "servers", "list", "zzzz qqqq")
    assert result.code == EXIT_API_ERROR
    assert "no stack has the name 'zzzz qqqq'" in result.error
    assert "stacks list" in result.error


async def test_a_name_that_looks_like_a_uid(fake: FakeCloud66) -> None:
    odd = "0123456789abcdef0123456789abcdef"
    uid = await _add_stack(fake, odd, "development")
    result = await invoke(fake, "--json", "stacks", "get", odd)
    assert result.code == EXIT_OK
    assert result.json()["uid"] == uid  # tried as a uid (404), then found by name
    unknown = await invoke(fake, "servers", "list", "f" * 32)
    assert unknown.code == EXIT_API_ERROR
    assert "no stack has the uid or name" in unknown.error


async def test_a_uid_in_another_environment_is_refused(fake: FakeCloud66) -> None:
    result = await invoke(fake, "servers", "list", STACK, "-e", "staging")
    assert result.code == EXIT_USAGE
    assert "is not in environment 'staging'" in result.error


@pytest.mark.parametrize(
    "args",
    [
        ("servers", "list"),
        ("servers", "list", APP, "-s", APP),
        ("servers", "list", ""),
    ],
)
async def test_the_stack_given_once(fake: FakeCloud66, args: tuple[str, ...]) -> None:
    result = await invoke(fake, *args)
    assert result.code == EXIT_USAGE
    assert result.out == ""


async def test_env_vars_is_an_alias_of_env(fake: FakeCloud66) -> None:
    env = await invoke(fake, "--json", "env", "list", APP)
    alias = await invoke(fake, "--json", "env-vars", "list", "-s", APP)
    assert alias.code == EXIT_OK
    assert alias.out == env.out


def test_uid_shape_and_suggestions() -> None:
    assert looks_like_uid(STACK) and looks_like_uid(STACK.upper())
    assert not looks_like_uid(STACK[:-1]) and not looks_like_uid(STACK + "0")
    assert not looks_like_uid("g" * 32)
    stacks = [
        Stack(uid="1", name="Awesome App", environment="production"),
        Stack(uid="2", name="Awesome App", environment="staging"),
        Stack(uid="3", name="Magic Shop", environment="development"),
    ]
    assert [s.uid for s in suggest("awesome", stacks, None)] == ["1", "2"]
    assert [s.uid for s in suggest("Awesome App", stacks, "qa")] == ["1", "2"]
    assert [s.uid for s in suggest("magik shop", stacks, None)] == ["3"]
    assert suggest("zzz", stacks, None) == []


# ------------------------------------------------------------------------------ confirmation


async def test_production_change_without_a_terminal_needs_yes(fake: FakeCloud66) -> None:
    before = len(fake.request_log)
    result = await invoke(fake, "env", "set", APP, "FEATURE_X", "on")
    assert result.code == EXIT_USAGE
    assert "production stack 'Awesome App'" in result.error
    assert "-y/--yes" in result.error and "no terminal" in result.error
    assert writes_sent(fake, before) == []
    confirmed = await invoke(fake, "-y", "env", "set", APP, "FEATURE_X", "on")
    assert confirmed.code == EXIT_OK
    assert writes_sent(fake, before) == [("POST", f"/stacks/{STACK}/environments")]


async def test_other_environments_need_no_confirmation(fake: FakeCloud66) -> None:
    result = await invoke(fake, "--json", "actions", "run", "Magic Shop", "clear_caches")
    assert result.code == EXIT_OK
    assert result.json()["action"] == "clear_caches"


async def test_every_write_asks_on_a_production_stack(fake: FakeCloud66) -> None:
    """Each command marked as a write stops before sending anything without -y."""
    arguments = {
        ("actions", "run"): ("restart",),
        ("deployments", "cancel"): ("1",),
        ("redeploy", None): (),
        ("services", "scale"): ("web", "--group", "web=2"),
        ("services", "stop"): ("web",),
        ("containers", "stop"): ("abc",),
        ("env", "set"): ("K", "V"),
        ("env", "delete"): ("K",),
        ("firewalls", "add"): ("--protocol", "tcp", "--port", "80"),
        ("notifications", "update"): ("1", "--channel", "email"),
        ("settings", "set"): ("git.branch", "x"),
        ("server-settings", "set"): ("srv", "swap.size", "1"),
        ("backups", "create"): (),
        ("backups", "import"): ("--group", "1", "--db-type", "mysql", "--remote-url", "u"),
    }
    writes = {(c.group, c.name) for c in COMMANDS if c.writes}
    assert writes == set(arguments)
    before = len(fake.request_log)
    for (group, name), rest in arguments.items():
        words = (group,) if name is None else (group, name)
        result = await invoke(fake, *words, APP, *rest)
        assert result.code == EXIT_USAGE, (words, result.err)
        assert "pass -y/--yes" in result.error
    assert writes_sent(fake, before) == []


@pytest.mark.parametrize(
    ("answer", "code"),
    [("y\n", EXIT_OK), ("n\n", EXIT_USAGE), ("\n", EXIT_USAGE), ("", EXIT_USAGE)],
)
async def test_the_prompt_on_a_terminal(fake: FakeCloud66, answer: str, code: int) -> None:
    stdin = TTY(answer)
    before = len(fake.request_log)
    result = await invoke(fake, "actions", "run", APP, "clear_caches", tty=True, stdin=stdin)
    assert result.code == code, result.err
    plain = ANSI.sub("", result.err)
    assert "'cloud66-async actions run' changes the production stack 'Awesome App'" in plain
    assert "Go on? [y/n] (n)" in plain
    sent = writes_sent(fake, before)
    if code == EXIT_OK:
        assert sent == [("POST", f"/stacks/{STACK}/actions")]
    else:
        assert sent == []
        assert "not confirmed: nothing was changed" in plain


async def test_the_prompt_shows_a_hostile_name_as_text(fake: FakeCloud66) -> None:
    hostile = "[bold red]prod[/]\x1b]0;pwned\x07"
    await _add_stack(fake, hostile, "production")
    result = await invoke(fake, "redeploy", hostile, tty=True, stdin=TTY("n\n"))
    assert result.code == EXIT_USAGE
    assert "[bold red]prod[/]" in result.err.replace("\n", "")  # literal, however wrapped
    assert "\x1b]" not in result.err and "\x07" not in result.err


async def test_interrupted_prompt_exits_130(fake: FakeCloud66) -> None:
    class Interrupting(TTY):
        def readline(self, size: int | None = -1) -> str:
            raise KeyboardInterrupt

    before = len(fake.request_log)
    result = await invoke(fake, "redeploy", APP, tty=True, stdin=Interrupting())
    assert result.code == EXIT_INTERRUPTED
    assert writes_sent(fake, before) == []


# ------------------------------------------------------------------------------ quiet


async def test_quiet_prints_ids_one_per_line(fake: FakeCloud66) -> None:
    stacks = await invoke(fake, "-q", "stacks", "list")
    assert stacks.code == EXIT_OK
    assert stacks.out.splitlines() == fake.stack_uids
    production = await invoke(fake, "stacks", "list", "-e", "production", "--quiet")
    expected = [s["uid"] for s in fake.peek("/stacks") if s["environment"] == "production"]
    assert production.out.splitlines() == expected
    servers = await invoke(fake, "-q", "servers", "list", APP)
    assert servers.out.splitlines() == [s["uid"] for s in fake.peek(f"/stacks/{STACK}/servers")]
    one = await invoke(fake, "-q", "stacks", "get", APP)
    assert one.out == f"{STACK}\n"
    action = await invoke(fake, "-q", "-y", "actions", "run", APP, "restart")
    newest = fake.peek(f"/stacks/{STACK}/actions")[0]
    assert action.out == f"{newest['id']}\n"
    services = await invoke(fake, "-q", "services", "list", APP)
    assert services.out.splitlines() == [s["name"] for s in fake.peek(f"/stacks/{STACK}/services")]


async def test_quiet_and_json_together_are_a_usage_error(fake: FakeCloud66) -> None:
    result = await invoke(fake, "--json", "-q", "stacks", "list")
    assert result.code == EXIT_USAGE
    assert "not both" in result.err


# ------------------------------------------------------------------------------ tables


async def test_codes_are_shown_by_name(fake: FakeCloud66) -> None:
    servers = await invoke(fake, "servers", "list", APP)
    header, *rows = servers.out.splitlines()
    assert header.split()[-1] == "HEALTH"
    assert rows and all(
        row.split()[-1] in {"ok", "building", "partial", "broken", "unknown"} for row in rows
    )
    backups = await invoke(fake, "backups", "list", APP)
    header, *rows = backups.out.splitlines()
    assert header.split()[-1] == "STATUS"
    assert rows and all(row.split()[-1] in {"ok", "failed"} for row in rows)
    backup_id = fake.peek(f"/stacks/{STACK}/backups")[0]["id"]
    detail = await invoke(fake, "backups", "get", APP, str(backup_id))
    fields = dict(re.split(r":\s*", line.strip(), maxsplit=1) for line in detail.out.splitlines())
    assert fields["backup_status"] in {"ok", "failed"}
    assert fields["restore_status"] in {"not restored", "restoring", "restored", "failed"}
    assert fields["verify_status"].startswith(("not verified", "verif", "failed", "unable"))
    assert "created_at" in fields and "created_at_iso" not in fields
    assert fields["created_at"].endswith(" UTC")
    user = await invoke(fake, "users", "get", "18")
    device = next(line for line in user.out.splitlines() if "wertqy" in line)
    assert device.split()[:3] == ["wertqy", "ios", "ipad"]  # device_type 1, sub_type 2


async def test_server_data_cannot_drive_the_terminal(fake: FakeCloud66) -> None:
    """Markup and control codes in a stack name are shown as text, never interpreted."""
    hostile = "[red]evil[/red]\x1b]0;pwned\x07\x1b[2J"
    await _add_stack(fake, hostile, "staging")
    for tty in (False, True):
        result = await invoke(fake, "stacks", "list", "-e", "staging", tty=tty)
        assert result.code == EXIT_OK
        assert "[red]evil[/red]" in result.out
        assert "\x1b]" not in result.out and "\x07" not in result.out
        assert "\x1b[2J" not in result.out


def test_plain_output_off_a_terminal_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = make_console(io.StringIO(), environ={})
    assert not plain.is_terminal and plain.color_system is None
    coloured = make_console(TTY(), environ={})
    assert coloured.is_terminal and coloured.color_system is not None
    no_color = make_console(TTY(), environ={"NO_COLOR": "1"})
    assert no_color.is_terminal and no_color.color_system is None


def test_a_terminal_reporting_width_0_is_drawn_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "0")
    assert make_console(TTY(), environ={}).width == 80
    monkeypatch.setenv("COLUMNS", "3")
    assert make_console(TTY(), environ={}).width == 80
    monkeypatch.setenv("COLUMNS", "132")
    assert make_console(TTY(), environ={}).width == 132


async def test_colour_on_a_terminal_only(
    fake: FakeCloud66, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    failed = await invoke(fake, "servers", "list", "nope nope", tty=True)
    assert "\x1b[1;31merror:" in failed.err  # stderr is the "terminal" here
    monkeypatch.setenv("NO_COLOR", "1")
    plain = await invoke(fake, "servers", "list", "nope nope", tty=True)
    assert "\x1b[" not in plain.err.replace("\x1b[1m", "")  # bold may stay; colour does not
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", plain.err)


# ------------------------------------------------------------------------------ help


def _help(*words: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    parser = build_parser(Output(out, err), named=words)
    with pytest.raises(SystemExit):
        parser.parse_args([*words, "--help"])
    return out.getvalue()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.words)
def test_every_help_has_an_example_that_parses(command: object) -> None:
    from cloud66_async.cli._core import Command

    assert isinstance(command, Command)
    text = _help(*command.words.split())
    example = text.split("example:\n", 1)[1].splitlines()[0].strip()
    words = shlex.split(example)
    assert words[0] == "cloud66-async"
    assert " ".join(words[1 : 1 + len(command.words.split())]) == command.words
    parser = build_parser(Output(io.StringIO(), io.StringIO()))
    ns = parser.parse_args(words[1:])  # the example is a valid command line
    assert ns._command is command
    # The parser built for these words only parses them the same way.
    lazy = build_parser(Output(io.StringIO(), io.StringIO()), named=words[1:])
    lazy_ns = lazy.parse_args(words[1:])
    assert {k: v for k, v in vars(lazy_ns).items() if k != "_parser"} == {
        k: v for k, v in vars(ns).items() if k != "_parser"
    }
    if command.scope is not None:
        assert f"token: needs the {command.scope!r} scope" in text
    if command.takes_stack:
        assert "tried as a uid first, then as a name" in text
    if command.writes:
        assert 'environment "production"' in text and "-y/--yes" in text


@pytest.mark.parametrize("group", sorted({c.group for c in COMMANDS if c.name is not None}))
def test_every_group_help_has_examples(group: str) -> None:
    text = _help(group)
    examples = text.split("examples:\n", 1)[1].splitlines()
    members = [c for c in COMMANDS if c.group == group]
    assert [line.strip() for line in examples if line.strip()] == [
        f"cloud66-async {c.example}" for c in members
    ]


def test_fake_server_help_lists_only_its_own_options() -> None:
    text = _help("fake-server")
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
    assert options == {
        "--help",
        "--port",
        "--host",
        "--stacks",
        "--action-delay",
        "--deploy-duration",
        "--seed",
        "--json",
    }


def test_top_level_help_documents_the_rules() -> None:
    text = _help()
    assert "tried as a uid first, then as a name" in text
    assert 'environment is "production"' in text
    assert "-q/--quiet" in text
    assert "completion bash" in text and "completion fish" in text
    assert "Account -> Apps" in text


async def test_completion_scripts() -> None:
    for shell, marker in (
        ("bash", "complete -o nospace -o default -o bashdefault -F"),
        ("zsh", "compdef _python_argcomplete"),
        ("fish", "complete --command cloud66-async"),
    ):
        result = await call(["completion", shell])
        assert result.code == EXIT_OK
        assert marker in result.out and "cloud66-async" in result.out
    bad = await call(["completion", "tcsh"])
    assert bad.code == EXIT_USAGE


def test_stack_name_completer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The completer lists the names the API has; nothing when the API cannot be reached."""
    import argparse

    from cloud66_async.cli._completion import stack_names

    async def names_from_the_fake() -> list[str]:
        async with FakeCloud66(stacks=5) as fake:
            ns = argparse.Namespace(token=fake.token, base_url=fake.base_url, account=None)
            return await anyio.to_thread.run_sync(lambda: stack_names("M", ns))

    got = anyio.run(names_from_the_fake)
    assert got and all(name.startswith("M") for name in got)
    assert "Magic Shop" in got
    unreachable = argparse.Namespace(
        token="x" * 20, base_url="http://127.0.0.1:9/api/3", account=None
    )
    assert stack_names("", unreachable) == []


@pytest.mark.parametrize(
    "words",
    [
        ("env", "set", APP, "-e", "production", "K", "V"),
        ("env", "set", "-e", "production", "K", "-s", APP, "V"),
        ("env", "set", "--stack=Awesome App", "K", "V"),
        ("env-vars", "set", "-sAwesome App", "K", "--environment", "production", "V"),
        ("--yes", "env", "set", "K", "V", "--stack", APP),
    ],
)
def test_options_anywhere_among_the_positionals(words: tuple[str, ...]) -> None:
    parser = build_parser(Output(io.StringIO(), io.StringIO()))
    ns = parser.parse_args(list(words))
    assert (ns.stack_given, ns.key, ns.value) == (APP, "K", "V")


async def test_deployment_wait_timeout_prints_a_resume_command_that_works() -> None:
    async with FakeCloud66(stacks=3, deploy_duration=60) as fake:
        result = await invoke(
            fake,
            "redeploy",
            APP,
            "--yes",
            "--wait",
            "--wait-timeout",
            "0.5",
            "--poll-interval",
            "0.05",
        )
        assert result.code == EXIT_TIMEOUT
        *hint, _error = result.err.strip().splitlines()
        assert "The deployment goes on on the Cloud 66 server" in hint[0]
        resume = shlex.split(hint[-1])
        assert resume[:6] == [
            "cloud66-async",
            "--base-url",
            fake.base_url,
            "deployments",
            "wait",
            STACK,
        ]
        assert resume[6] == "--since" and re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", resume[7]
        )
        newest = fake.peek(f"/stacks/{STACK}/deployments")[0]
        again = await invoke(
            fake, "--json", *resume[3:], "--wait-timeout", "0.3", "--poll-interval", "0.05"
        )
        assert again.code == EXIT_TIMEOUT
        assert again.json()["id"] == newest["id"]  # the deployment the redeploy started
        # A time after that deployment started finds nothing newer: it waits for a new one.
        later = await invoke(
            fake,
            "deployments",
            "wait",
            APP,
            "--since",
            "2999-01-01T00:00:00Z",
            "--wait-timeout",
            "0.3",
            "--poll-interval",
            "0.05",
        )
        assert later.code == EXIT_TIMEOUT
        assert "the new deployment" in later.error


# ------------------------------------------------------------------------------ scopes


def _arguments(
    fake: FakeCloud66, service_yaml: Path
) -> dict[tuple[str, str | None], tuple[str, ...]]:
    """Arguments that reach the API for every command that talks to it."""
    peek = fake.peek
    server = peek(f"/stacks/{STACK}/servers")[0]["uid"]
    container = peek(f"/stacks/{STACK}/containers")[0]["uid"]
    backup = str(peek(f"/stacks/{STACK}/backups")[0]["id"])
    return {
        ("stacks", "list"): (),
        ("stacks", "get"): (APP,),
        ("stacks", "create"): (
            "made",
            "staging",
            "--service-yaml",
            str(service_yaml),
            "--manifest-yaml",
            str(service_yaml),
        ),
        ("actions", "list"): (APP,),
        ("actions", "get"): (APP, "1"),
        ("actions", "run"): (APP, "restart"),
        ("actions", "wait"): (APP, "1", "--wait-timeout", "0.01"),
        ("deployments", "list"): (APP,),
        ("deployments", "get"): (APP, "1"),
        ("deployments", "cancel"): (APP, "1"),
        ("deployments", "wait"): (APP, "--wait-timeout", "0.01"),
        ("redeploy", None): (APP,),
        ("services", "list"): (APP,),
        ("services", "get"): (APP, "web"),
        ("services", "scale"): (APP, "web", "--group", "web=2"),
        ("services", "stop"): (APP, "web"),
        ("containers", "list"): (APP,),
        ("containers", "get"): (APP, container),
        ("containers", "stop"): (APP, container),
        ("env", "list"): (APP,),
        ("env", "get"): (APP, "1"),
        ("env", "set"): (APP, "K", "V"),
        ("env", "delete"): (APP, "K"),
        ("firewalls", "list"): (APP,),
        ("firewalls", "get"): (APP, "1"),
        ("firewalls", "add"): (APP, "--protocol", "tcp", "--port", "80", "--from-ip", "1.2.3.4"),
        ("notifications", "list"): (APP,),
        ("notifications", "get"): (APP, "1"),
        ("notifications", "update"): (APP, "1", "--channel", "email"),
        ("settings", "list"): (APP,),
        ("settings", "get"): (APP, "git.branch"),
        ("settings", "set"): (APP, "git.branch", "x"),
        ("server-groups", "list"): (APP,),
        ("server-groups", "get"): (APP, "1"),
        ("servers", "list"): (APP,),
        ("servers", "get"): (APP, server),
        ("server-settings", "list"): (APP, server),
        ("server-settings", "get"): (APP, server, "swap.size"),
        ("server-settings", "set"): (APP, server, "swap.size", "1"),
        ("clouds", "list"): (),
        ("clouds", "get"): ("aws",),
        ("backups", "list"): (APP,),
        ("backups", "get"): (APP, backup),
        ("backups", "create"): (APP,),
        ("backups", "import"): (APP, "--group", "1", "--db-type", "mysql", "--remote-url", URL),
        ("backups", "files"): (APP, backup),
        ("backups", "file-url"): (APP, backup, "tar"),
        ("accounts", "list"): (),
        ("accounts", "get"): ("1",),
        ("users", "list"): (),
        ("users", "get"): ("1",),
        ("users", "add-device"): ("1", "tok", "--type", "ios", "--sub-type", "ipad"),
        ("users", "update-device"): ("1", "tok", "--type", "ios", "--sub-type", "ipad"),
        ("users", "delete-device"): ("1", "tok"),
    }


async def test_each_command_needs_exactly_the_scope_its_help_names(
    fake: FakeCloud66, tmp_path: Path
) -> None:
    """With 'public' and the named scope a command is never refused (403); without the named
    scope, it is (every STACK argument needs 'public' to find the stack)."""
    service_yaml = tmp_path / "service.yml"
    service_yaml.write_text(SERVICE_YAML, encoding="utf-8")
    arguments = _arguments(fake, service_yaml)
    assert set(arguments) == {(c.group, c.name) for c in COMMANDS if c.client}
    by_scope: dict[frozenset[str], str] = {}
    failures = []
    for command in (c for c in COMMANDS if c.client):
        assert command.scope is not None
        words = command.words.split()
        checks: list[tuple[set[str], bool]] = [({"public", command.scope}, False)]
        if command.scope != "public":
            checks.append(({"public"}, True))
        for scopes, refused in checks:
            key = frozenset(scopes)
            if key not in by_scope:
                by_scope[key] = fake.issue_token(key)
            argv = ["--base-url", fake.base_url, "--token", by_scope[key], "--yes", *words]
            result = await call([*argv, *arguments[(command.group, command.name)]])
            if bool(re.search(r"^error: 403 ", result.err, re.MULTILINE)) != refused:
                failures.append(f"{command.words} with {sorted(scopes)}: {result.err.strip()}")
    assert not failures, "\n".join(failures)


async def test_progress_shows_server_text_as_text() -> None:
    """An action name full of markup and control codes cannot break or drive the display."""
    from cloud66_async.cli._output import make_console
    from cloud66_async.cli._progress import Progress
    from cloud66_async.models import Action

    stream = TTY()
    progress = Progress(make_console(stream, environ={}), enabled=True, refresh_per_second=50)
    async with progress.track("waiting for [/oops] \x1b]0;t\x07") as status:
        status.observe(Action(id=1, action="[/broken markup]\x1b[2J"))
        await anyio.sleep(0.1)
    drawn = stream.getvalue()
    assert "[/oops]" in drawn and "\x1b]0;" not in drawn and "\x1b[2J" not in drawn
