"""The blueprint reader: both vendored blueprints in full, the documented fixes, the grammar.

``cloud66_async.testing._blueprint`` is the one place the blueprints are parsed: the samples of
the contract tests, the fake's example objects and the replay all come from it.
"""

from __future__ import annotations

import json
import re

import pytest

from cloud66_async.testing import _spec
from cloud66_async.testing._blueprint import (
    BODY_FIXES,
    EDITIONS,
    PATH_FIXES,
    BlueprintError,
    BodyFix,
    blueprint,
    read_blueprint,
)

V3 = blueprint("v3")
EARLY = blueprint("early")


def test_v3_has_its_53_operations_on_52_method_and_path_pairs() -> None:
    assert len(V3) == 53
    assert len(set(V3.names)) == 53
    pairs = {(op.method, op.path) for op in V3}
    assert len(pairs) == 52
    # The one shared pair: "New Backup" and "Import Backup" (told apart by remote_url).
    shared = [
        op.name for op in V3 if (op.method, op.path) == ("POST", "/stacks/{stack_id}/backups")
    ]
    assert shared == ["New Backup", "Import Backup"]
    assert V3.base_path == "/api/3"
    assert {op.method for op in V3} == {"GET", "POST", "PUT", "DELETE"}
    assert {op.scope for op in V3} == {"public", "redeploy", "admin", "users"}
    assert {op.status for op in V3} == {200}
    groups = list(dict.fromkeys(op.group for op in V3))
    assert groups == [
        "Stacks",
        "Deployments",
        "Services",
        "Containers",
        "Environment Variables",
        "Firewall rules",
        "Notifications",
        "Stack settings",
        "Server Groups",
        "Servers",
        "Server settings",
        "Clouds",
        "Backups",
        "Accounts",
        "Users",
    ]


def test_the_early_edition_has_its_6_operations() -> None:
    assert [(op.name, op.method, op.path) for op in EARLY] == [
        ("Stack List", "GET", "/stacks"),
        ("Stack", "GET", "/stacks/{id}"),
        ("Account List", "GET", "/accounts"),
        ("Account", "GET", "/accounts/{id}"),
        ("User List", "GET", "/users"),
        ("User", "GET", "/users/{id}"),
    ]
    assert EARLY.base_path == "/api/v3"
    assert [op.scope for op in EARLY] == ["public", "public", "users", "users", "users", "users"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_body_parses_as_json_after_the_fixes(edition: str) -> None:
    plan = blueprint(edition)  # type: ignore[arg-type]
    with_body = [op for op in plan if op.body_text is not None]
    assert len(with_body) == {"v3": 48, "early": 6}[edition]
    for op in with_body:
        assert op.json_text is not None
        assert json.loads(op.json_text) == op.body
        assert isinstance(op.body, dict) and "response" in op.body, op.name
        if op.fix is None:
            json.loads(op.body_text)  # as written
        else:
            with pytest.raises(ValueError):
                json.loads(op.body_text)  # the fix was needed
    fixed = {op.name for op in plan if op.fix is not None}
    assert fixed == {f.example for f in BODY_FIXES if f.edition == edition}


def test_the_five_fixes_are_the_documented_ones() -> None:
    assert [(f.edition, f.example, f.change) for f in BODY_FIXES] == [
        ("v3", "Deployment", "dropped the last `}`"),
        ("v3", "Server Settings list", "added `}` at the end"),
        ("v3", "Cloud", "added `{` at the start"),
        ("v3", "User", "dropped the last `}`"),
        ("early", "User", "dropped the last `}`"),
    ]


def test_operations_without_a_body() -> None:
    assert [op.name for op in V3 if op.body is None] == [
        "Delete Environment Variable",
        "Add Firewall rule",
        "Update Notification",
        "Update Device",
        "Delete Device",
    ]
    assert all(op.response is None and op.example() is None for op in V3 if op.body is None)


def test_parameters_with_their_documented_examples() -> None:
    action = V3["Stack Action"]
    assert [(p.name, p.required, p.type, p.value) for p in action.parameters] == [
        ("stack_id", True, "string", "5999b763474b0eafa5fafb64bff0ba80"),
        ("id", True, "integer", 4153),
    ]
    assert action.example_path() == "/stacks/5999b763474b0eafa5fafb64bff0ba80/actions/4153"
    backup = {p.name: p for p in V3["New Backup"].parameters}
    assert backup["gzip"].value is False and backup["keep_count"].value == 10
    assert backup["frequency"].value == "0 */1 * * *"
    # Written without the comma before the example: `(optional, string `a_git_tag_or_hash`)`.
    redeploy = {p.name: p for p in V3["Redeploy"].parameters}
    assert (redeploy["git_ref"].type, redeploy["git_ref"].value) == ("string", "a_git_tag_or_hash")
    assert redeploy["services_filter"].value == "service1,service2"
    # Tab-indented, and `(required,integer, ...)` without a space.
    firewall = {p.name: p for p in V3["Add Firewall rule"].parameters}
    assert (firewall["port"].required, firewall["port"].value) == (True, 80)
    assert firewall["from_ip"].value == "123.123.123.123"
    scale = {p.name: p for p in V3["Service scale"].parameters}
    assert json.loads(str(scale["server_count"].value)) == {"123123cfcb7d3d2b54614b19e2a6c673": 2}
    assert [p.name for p in V3["Server"].other_parameters] == ["include_private_key"]
    assert V3["Server"].path_names == ("stack_id", "id")


def test_delete_device_path_is_read_as_meant() -> None:
    (fix,) = PATH_FIXES
    delete = V3[fix.example]
    assert (delete.template, delete.path) == (fix.written, fix.meant)
    assert delete.example_path() == "/users/1/devices/htyukjbnnmshthkr"
    assert [op.name for op in V3 if op.template != op.path] == ["Delete Device"]


def test_headers_and_paging() -> None:
    assert dict(V3["Stack List"].headers) == {
        "X-RateLimit-Limit": "3600",
        "X-RateLimit-Remaining": "3597",
    }
    assert sum(op.paginated for op in V3) == 17
    assert V3["Stack List"].paginated and not V3["Stack"].paginated


def test_parsed_once_per_process_and_examples_are_private_copies() -> None:
    assert blueprint("v3") is V3
    first = V3["Stack"].example()
    first["name"] = "changed"
    assert V3["Stack"].response["name"] == "Awesome App"
    assert V3["Stack"].example()["name"] == "Awesome App"


def test_the_reader_reads_nothing_but_the_vendored_files() -> None:
    text = _spec.blueprint_text(_spec.V3)
    again = read_blueprint(text, "v3")
    assert again.names == V3.names
    assert [op.body for op in again] == [op.body for op in V3]


# -- the grammar, on small blueprints ---------------------------------------------------------

MINI = """FORMAT: 1A
HOST: https://example.com/api/9

# Group Things

## Thing [/things/{id}]
- Scope: _public_

+ Parameters

    + id (required, integer, `7`) ... The id

+ Model (application/json)

    + Body

        {"response": {"id": 7}}

### Get Thing [GET]

+ Response 200

    [Thing][]
"""


def test_a_small_blueprint() -> None:
    plan = read_blueprint(MINI, "v3")
    (op,) = plan
    assert plan.base_path == "/api/9"
    assert (op.group, op.name, op.title, op.method, op.path, op.scope) == (
        "Things",
        "Thing",
        "Get Thing",
        "GET",
        "/things/{id}",
        "public",
    )
    assert op.example_path() == "/things/7"
    assert op.response == {"id": 7}


def test_a_fix_that_is_no_longer_needed_is_an_error() -> None:
    # "Deployment" is repaired by BODY_FIXES; a blueprint where it is valid JSON must say so.
    text = MINI.replace("## Thing [", "## Deployment [").replace("[Thing][]", "[Deployment][]")
    with pytest.raises(BlueprintError, match="JSON as written; drop its fix"):
        read_blueprint(text, "v3")


def test_a_fix_that_does_not_repair_is_an_error() -> None:
    text = MINI.replace("## Thing [", "## Deployment [").replace("[Thing][]", "[Deployment][]")
    with pytest.raises(BlueprintError, match="no longer ends with"):
        read_blueprint(text.replace('{"response": {"id": 7}}', '{"response": {"id": 7'), "v3")
    with pytest.raises(BlueprintError, match="still not JSON"):
        read_blueprint(text.replace('{"response": {"id": 7}}', '{"response": {"id": [}}'), "v3")


def test_a_malformed_body_without_a_fix_is_an_error() -> None:
    with pytest.raises(BlueprintError, match="'Thing': the example body is not JSON"):
        read_blueprint(MINI.replace('{"response": {"id": 7}}', '{"response": }'), "v3")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[Thing][]", "[Other][]"), "the response names 'Other'"),
        (("+ Response 200\n", ""), "the action has no response"),
        (("(required, integer,", "(integer,"), "no required/optional"),
        (("+ Parameters", "+ Request"), "request sections are not supported"),
        (("### Get Thing [GET]", "### Get Thing [GET]\n\n### Again [PUT]"), "a second action"),
    ],
)
def test_what_the_reader_does_not_understand_is_an_error(
    edit: tuple[str, str], message: str
) -> None:
    with pytest.raises(BlueprintError, match=re.escape(message)):
        read_blueprint(MINI.replace(*edit), "v3")


def test_body_fix_edits() -> None:
    fix = BodyFix("v3", "X", "wrong", drop_end="}", add_start="[", add_end="]")
    assert fix.apply("  {1}}  ") == "[{1}]"
    assert fix.change == "dropped the last `}`, added `[` at the start, added `]` at the end"
    with pytest.raises(BlueprintError):
        fix.apply("{1")
