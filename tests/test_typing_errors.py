"""What must NOT type-check: mypy --strict is run on small snippets that misuse the API, and
each must fail with the error that proves the type is carried (a control snippet that uses the
API rightly must pass, so a failure is about the misuse, not the set-up).

- ``x: int = await client.stacks.get(uid)``: the manager returns ``Stack``, not ``Any``.
- an endpoint of the table with the wrong model: ``Endpoint[T]`` carries the model to the
  manager's return type.
- ``outcome.value`` of a fan_out is ``R | None`` until ``if outcome.ok:`` narrows it to ``R``.
- the answers the blueprint leaves undocumented (``firewalls.add`` ...) are ``Model | None``:
  using one without checking for ``None`` fails.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest

ROOT = Path(__file__).resolve().parent.parent

SNIPPETS = {
    "wrong_result_type": """
import cloud66_async as c66

async def main(client: c66.Client, uid: str) -> None:
    x: int = await client.stacks.get(uid)
    print(x)
""",
    "wrong_model_in_table": """
from cloud66_async.models import Action, Stack
from cloud66_async.resources._base import Manager
from cloud66_async.resources._endpoints import Endpoint

WRONG = Endpoint("stacks.get", "GET", "/stacks/{stack_uid}", "public", Action)

class StacksLike(Manager):
    async def get(self, uid: str) -> Stack:
        return await self._one(WRONG, {"stack_uid": uid})
""",
    "outcome_not_narrowed": """
import cloud66_async as c66

async def main(client: c66.Client) -> None:
    async def count(stack: c66.models.Stack) -> int:
        return 1

    total = 0
    async for outcome in client.fan_out(client.stacks.list(), count):
        total += outcome.value
""",
    "undocumented_answer_not_checked": """
import cloud66_async as c66

async def main(client: c66.Client, uid: str) -> None:
    rule = await client.firewalls.add(uid, protocol="tcp", port=443, from_ip="10.0.0.1")
    print(rule.id)
""",
    "control": """
import cloud66_async as c66
from cloud66_async.models import Stack
from cloud66_async.resources._base import Manager
from cloud66_async.resources._endpoints import Endpoint

RIGHT = Endpoint("stacks.get", "GET", "/stacks/{stack_uid}", "public", Stack)

class StacksLike(Manager):
    async def get(self, uid: str) -> Stack:
        return await self._one(RIGHT, {"stack_uid": uid})

async def main(client: c66.Client, uid: str) -> None:
    stack: c66.models.Stack = await client.stacks.get(uid)
    async def count(s: c66.models.Stack) -> int:
        return 1

    total = 0
    async for outcome in client.fan_out(client.stacks.list(), count):
        if outcome.ok:
            total += outcome.value
        else:
            print(outcome.item.name, outcome.error)
    print(stack, total)
""",
}

EXPECTED = {
    "wrong_result_type": r'Incompatible types in assignment \(expression has type "Stack", '
    r'variable has type "int"\)',
    "wrong_model_in_table": r'Incompatible return value type \(got "Action", expected "Stack"\)'
    r'|incompatible type "Endpoint\[Action\]"; expected "Endpoint\[Stack\]"',
    "outcome_not_narrowed": r'Unsupported operand types for \+ \("int" and "None"\)',
    "undocumented_answer_not_checked": r'Item "None" of "FirewallRule \| None" '
    r'has no attribute "id"',
}


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("snippets")
    for name, source in SNIPPETS.items():
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            *(str(folder / f"{name}.py") for name in SNIPPETS),
        ],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=600,
        check=False,
    )
    assert "error: Cannot find implementation or library stub" not in result.stdout, result.stdout
    by_file: dict[str, str] = {name: "" for name in SNIPPETS}
    for line in result.stdout.splitlines():
        name = Path(line.split(":", 1)[0]).stem
        if name in by_file:
            by_file[name] += line + "\n"
    return by_file


def test_the_control_snippet_type_checks(mypy_output: dict[str, str]) -> None:
    assert mypy_output["control"] == ""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_misuse_fails_mypy_strict(mypy_output: dict[str, str], name: str) -> None:
    assert re.search(EXPECTED[name], mypy_output[name]), mypy_output[name]


# Where Any is the honest type: JSON payloads of the escape hatch, and the untyped raw view
# (its typed twin is Client.raw_response).
ANY_ALLOWED = {
    ("Client", "request", "params"),
    ("Client", "request", "json"),
    ("Client", "request", "return"),
    ("Client", "with_raw_response", "return"),
}


def _has_any(annotation: object) -> bool:
    return annotation is Any or any(_has_any(arg) for arg in get_args(annotation))


def test_public_signatures_carry_no_any() -> None:
    import cloud66_async as c66
    from cloud66_async import resources

    classes: list[type] = [
        c66.Client,
        c66.Paginator,
        c66.Page,
        c66.Hooks,
        c66.RawResponse,
        c66.Success,
        c66.Failure,
        c66.MockTransport,
        c66.RateLimitState,
        *(getattr(resources, n) for n in resources.__all__ if n.endswith("Manager")),
    ]
    # The hook events load with the first hook called: type hints that name them resolve with
    # the names in localns (the recipe the CHANGELOG gives).
    events = {n: getattr(c66, n) for n in ("RequestEvent", "ResponseEvent", "RetryEvent")}
    events["ThrottleEvent"] = c66.ThrottleEvent
    found = []
    for cls in classes:
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") and name != "__init__":
                continue
            fn = member.fget if isinstance(member, property) else member
            if not callable(fn):
                continue
            for param, annotation in get_type_hints(fn, localns=events).items():
                if _has_any(annotation) and (cls.__name__, name, param) not in ANY_ALLOWED:
                    found.append(f"{cls.__name__}.{name}: {param}: {annotation}")
    assert found == []
