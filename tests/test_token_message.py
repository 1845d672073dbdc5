"""The SDK's no-token message: where a token comes from, where Cloud 66 makes one, which scopes.

The scopes the message names are checked against the endpoint table, so a change of scope there
fails here until the message follows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cloud66_async import Client, ConfigError
from cloud66_async.resources._endpoints import ENDPOINTS

# What the message calls each operation that needs more than the public scope.
WORDS = {
    "stacks.create": "create stacks",
    "actions.run": "run stack actions",
    "deployments.redeploy": "deploy",
    "deployments.cancel": "deploy",
    "clouds.list": "list clouds",
    "clouds.get": "list clouds",
    "services.scale": "services",
    "services.stop": "services",
    "containers.get": "containers",
    "containers.stop": "containers",
    "env_vars.list": "environment variables",
    "env_vars.get": "environment variables",
    "env_vars.add": "environment variables",
    "env_vars.update": "environment variables",
    "env_vars.delete": "environment variables",
    "firewalls.add": "firewall rules",
    "settings.update": "settings",
    "server_settings.update": "settings",
    "backups.create": "backups",
    "backups.import_backup": "backups",
    "accounts.list": "accounts",
    "accounts.get": "accounts",
    "users.list": "users",
    "users.get": "users",
    "users.add_device": "users",
    "users.update_device": "users",
    "users.delete_device": "users",
}


@pytest.fixture
def message(tmp_path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        Client(_env={}, _home=tmp_path)  # no argument, no variable, no cx.json
    return str(caught.value)


def _clauses(message: str) -> dict[str, str]:
    """Split ``...: public to read; redeploy to ...; admin for ...`` into scope -> its text."""
    scopes_part = message.split("the scopes your calls need:", 1)[1]
    clauses = {}
    for clause in scopes_part.split(";"):
        scope, _, text = clause.strip().partition(" ")
        clauses[scope] = text
    return clauses


def test_names_every_source_of_a_token_for_sdk_users(message: str) -> None:
    assert message.startswith("no Cloud 66 token: ")
    assert "token=" in message
    assert "CLOUD66_ACCESS_TOKEN" in message
    assert "~/.cloud66/cx.json" in message
    assert "--token" not in message  # the CLI's option belongs to the CLI's message


def test_says_where_cloud66_makes_a_token(message: str) -> None:
    assert "personal access token" in message
    assert "Account -> Apps" in message


def test_scopes_follow_the_endpoint_table(message: str) -> None:
    clauses = _clauses(message)
    scopes = {endpoint.scope for endpoint in ENDPOINTS.values()}
    assert set(clauses) == scopes == {"public", "redeploy", "admin", "users"}
    assert clauses["public"] == "to read"
    for key, endpoint in ENDPOINTS.items():
        if endpoint.scope == "public":
            assert endpoint.method == "GET" or key == "notifications.update", key
            continue
        assert key in WORDS, f"{key} needs {endpoint.scope}: say so in the message"
        assert re.search(rf"\b{WORDS[key]}\b", clauses[endpoint.scope]), (key, endpoint.scope)
    # and no operation is filed under a scope it does not need
    for key, word in WORDS.items():
        owners = [s for s, text in clauses.items() if re.search(rf"\b{word}\b", text)]
        assert owners == [ENDPOINTS[key].scope], (key, owners)


def test_message_is_the_same_for_an_empty_token_file(tmp_path: Path) -> None:
    (tmp_path / ".cloud66").mkdir()
    (tmp_path / ".cloud66" / "cx.json").write_text(json.dumps({"AccessToken": "  "}))
    with pytest.raises(ConfigError, match=r"^no Cloud 66 token: .*Account -> Apps"):
        Client(_env={"CLOUD66_ACCESS_TOKEN": " "}, _home=tmp_path)
