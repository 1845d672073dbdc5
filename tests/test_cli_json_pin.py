"""``--json`` output pinned byte for byte: what scripts parse must not change under them.

Each command runs in process against a fresh ``FakeCloud66`` (its default seed) and its stdout is
compared with ``tests/cli_golden/<name>.json``. The files were written by the command line as it
was before the rich/stack-name rework, and that rework keeps them green.

When the fake's seed data changes on purpose, rewrite the files with
``CLOUD66_UPDATE_GOLDEN=1 pytest tests/test_cli_json_pin.py`` and check in the diff: it must touch
data only, never the layout (indentation, key order, escaping, masking).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import anyio
import pytest

from cloud66_async.cli import EXIT_OK
from cloud66_async.cli._app import run
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

GOLDEN = Path(__file__).with_name("cli_golden")
UPDATE = os.environ.get("CLOUD66_UPDATE_GOLDEN") == "1"
STACK = "5999b763474b0eafa5fafb64bff0ba80"

#: name -> arguments after ``--json``. Read-only commands, whose answers depend on the seed only.
PINNED: dict[str, tuple[str, ...]] = {
    "stacks-list": ("stacks", "list", "--limit", "3"),
    "stacks-get": ("stacks", "get", STACK),
    "servers-list": ("servers", "list", STACK),
    "env-list": ("env", "list", STACK),
    "env-get-shown": ("env", "get", STACK, "POSTGRESQL_PASSWORD", "--show-passwords"),
    "backups-list": ("backups", "list", STACK),
    "clouds-get": ("clouds", "get", "aws"),
    "deployments-list": ("deployments", "list", STACK, "--limit", "2"),
    "services-list": ("services", "list", STACK),
    "containers-list": ("containers", "list", STACK, "--limit", "2"),
    "settings-list": ("settings", "list", STACK),
    "firewalls-list": ("firewalls", "list", STACK),
    "accounts-list": ("accounts", "list"),
    "users-list": ("users", "list"),
    "users-delete-device": ("users", "delete-device", "18", "wertqy"),
}


async def _stdout(fake: FakeCloud66, args: tuple[str, ...]) -> str:
    argv = ["--base-url", fake.base_url, "--token", fake.token, "--json", *args]
    stdout, stderr = io.StringIO(), io.StringIO()
    with anyio.fail_after(30):
        code = await anyio.to_thread.run_sync(
            lambda: run(argv, stdout=stdout, stderr=stderr), abandon_on_cancel=True
        )
    assert code == EXIT_OK, stderr.getvalue()
    return stdout.getvalue()


@pytest.mark.parametrize("name", sorted(PINNED))
async def test_json_output_is_pinned(name: str) -> None:
    async with FakeCloud66() as fake:
        out = await _stdout(fake, PINNED[name])
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(out.encode("utf-8"))
    assert out.encode("utf-8") == path.read_bytes()
