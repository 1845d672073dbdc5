"""Our own Dredd: every operation of both blueprints, replayed as documented against FakeCloud66.

Each edition gets one fresh fake, and its operations are replayed in document order (like Dredd,
so "Add Device" creates the device that "Update Device" and "Delete Device" then use). Every
request is built from the blueprint alone: the path filled with its parameters' documented
examples, every other documented parameter with its example value (its documented type), in
the query string of a GET and in a JSON body otherwise. It is sent with plain aiohttp over
loopback (not the SDK), and the answer must have the documented status and carry every field
of the documented example: keys and JSON types, recursively; values may differ.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import anyio
import pytest

from cloud66_async.testing import FakeCloud66
from cloud66_async.testing._blueprint import EDITIONS, Edition, Operation, Parameter, blueprint

pytestmark = pytest.mark.anyio

TIMEOUT = 10


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- the documented request --------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # under the edition's base path, quoted
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _value(parameter: Parameter) -> Any:
    value = parameter.value
    assert value is not None, f"parameter {parameter.name} has no documented example"
    return value


def documented_request(operation: Operation) -> Request:
    """Build the request the blueprint documents for ``operation``, from the blueprint alone."""
    values = {p.name: _value(p) for p in operation.path_parameters}
    path = re.sub(r"\{(\w+)\}", lambda m: quote(_text(values[m[1]]), safe=""), operation.path)
    others = {p.name: _value(p) for p in operation.other_parameters}
    if operation.method == "GET":
        return Request("GET", path, query={k: _text(v) for k, v in others.items()})
    return Request(operation.method, path, body=others or None)


# -- "carries every field of the documented example" -------------------------------------------


def _json_type(value: Any) -> str:
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string")):
        if isinstance(value, kind):
            return name
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    assert value is None, type(value)
    return "null"


@dataclass
class Shape:
    """What the documented values at one place of an example say the answer must carry.

    Several documented values (the items of a list, say) are merged: a key is required when
    every documented object has it, and a type is allowed when some documented value has it.
    The answer may hold null anywhere (a running deployment has no outcome yet, a rule between
    server groups no from_ip), and a list may be empty (a user without devices); but every
    place documented with a value must show one (non-null, and for a list non-empty) at least
    once in the answer, so that each documented field is checked somewhere. The exceptions:
    the paging links (``pagination.next`` is null on a last page), and places documented
    only as null, which take anything. ``any_type`` places (see ANY_TYPE) may hold any JSON
    type.
    """

    types: set[str]
    keys: dict[str, Shape]
    required: set[str]
    items: Shape | None
    any_type: bool = False
    visits: int = 0
    shown: int = 0  # visits with a value: non-null, and for a list non-empty

    @classmethod
    def of(cls, values: list[Any], loose: frozenset[str] = frozenset(), where: str = "$") -> Shape:
        objects = [v for v in values if isinstance(v, dict)]
        elements = [item for v in values if isinstance(v, list) for item in v]
        names = {k for o in objects for k in o}
        return cls(
            types={_json_type(v) for v in values if v is not None},
            keys={
                k: cls.of([o[k] for o in objects if k in o], loose, f"{where}.{k}") for k in names
            },
            required=set.intersection(*(set(o) for o in objects)) if objects else set(),
            items=cls.of(elements, loose, f"{where}[]") if elements else None,
            any_type=where in loose,
        )

    def check(self, answer: Any, where: str) -> list[str]:
        self.visits += 1
        if answer is None or not self.types:
            return []  # null is no value yet; a place documented only as null takes anything
        kind = _json_type(answer)
        if kind not in self.types and not self.any_type:
            return [f"{where}: {kind}, documented as {sorted(self.types)}"]
        self.shown += kind != "array" or bool(answer)
        found: list[str] = []
        if kind == "object":
            for key in sorted(self.required - set(answer)):
                found.append(f"{where}.{key}: missing")
            for key, value in answer.items():
                if key in self.keys:
                    found += self.keys[key].check(value, f"{where}.{key}")
        elif kind == "array" and self.items is not None:
            for index, item in enumerate(answer):
                found += self.items.check(item, f"{where}[{index}]")
        return found

    def unshown(self, where: str) -> list[str]:
        """Name the places documented with a value that the answer reached but never showed."""
        if not self.visits or where in PAGING_LINKS:
            return []
        # A list documented empty ([]) has no items to show; any other documented value does.
        documented = self.types - {"array"} or self.items is not None
        if documented and not self.shown:
            return [f"{where}: never shown with a value (documented as {sorted(self.types)})"]
        found = [p for k, s in sorted(self.keys.items()) for p in s.unshown(f"{where}.{k}")]
        if self.items is not None:
            found += self.items.unshown(f"{where}[]")
        return found


#: The paging envelope's links: null on the first and last pages, whatever the example shows.
PAGING_LINKS = frozenset({"$.pagination.previous", "$.pagination.next"})

#: Places whose JSON type varies with the object: a setting's ``value`` has the type of the
#: setting (the "Settings list" example shows null, a string and booleans; the fake's server
#: settings add integers, as the pool size and worker count are).
ANY_TYPE: dict[str, frozenset[str]] = {
    name: frozenset({where})
    for name, where in (
        ("Settings list", "$.response[].value"),
        ("Setting", "$.response.value"),
        ("Server Settings list", "$.response[].value"),
        ("Server Setting", "$.response.value"),
    )
}


def carries(answer: Any, documented: Any, loose: frozenset[str] = frozenset()) -> list[str]:
    """Return how ``answer`` fails to carry the fields of the documented example (or [])."""
    shape = Shape.of([documented], loose)
    found = shape.check(answer, "$")
    return found + shape.unshown("$")


def test_carries_accepts_more_and_other_values() -> None:
    documented = {"response": [{"id": 1, "name": "a", "tags": ["x"], "at": None}], "count": 1}
    answer = {
        "response": [
            {"id": 7, "name": "b", "tags": ["y", "z"], "at": "2014", "more": 1},
            {"id": 8, "name": None, "tags": [], "at": None},  # null and [] are values too
        ],
        "count": 2,
        "pagination": {},
    }
    assert carries(answer, documented) == []


DOCUMENTED = {"response": [{"id": 1, "name": "a", "tags": ["x"], "o": {"k": 1}}], "count": 1}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"name": "a", "tags": ["x"], "o": {"k": 1}}, "$.response[0].id: missing"),
        ({"id": "1", "name": "a", "tags": ["x"], "o": {"k": 1}}, "$.response[0].id: string"),
        ({"id": True, "name": "a", "tags": ["x"], "o": {"k": 1}}, "$.response[0].id: boolean"),
        ({"id": 1, "name": "a", "tags": [3], "o": {"k": 1}}, "$.response[0].tags[0]: integer"),
        ({"id": 1, "name": "a", "tags": ["x"], "o": {}}, "$.response[0].o.k: missing"),
        ({"id": 1, "name": "a", "tags": [], "o": {"k": 1}}, "$.response[].tags: never shown"),
        ({"id": 1, "name": "a", "tags": ["x"], "o": None}, "$.response[].o: never shown"),
        ({"id": 1, "name": None, "tags": ["x"], "o": {"k": 1}}, "$.response[].name: never shown"),
    ],
)
def test_carries_names_what_is_missing_or_mistyped(answer: Any, problem: str) -> None:
    found = carries({"response": [answer], "count": 1}, DOCUMENTED)
    assert found and found[0].startswith(problem), found


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"response": [], "count": 0}, "$.response: never shown"),
        ({"response": {"id": 1}, "count": 1}, "$.response: object"),
        ({"count": 1}, "$.response: missing"),
        ({"response": None, "count": 1}, "$.response: never shown"),
    ],
)
def test_carries_wants_the_documented_response(answer: Any, problem: str) -> None:
    found = carries(answer, DOCUMENTED)
    assert found and found[0].startswith(problem), found


def test_paging_links_may_be_null() -> None:
    documented = {"response": [1], "pagination": {"previous": None, "next": 2, "pages": 2}}
    assert (
        carries(
            {"response": [5], "pagination": {"previous": None, "next": None, "pages": 1}},
            documented,
        )
        == []
    )
    assert carries(
        {"response": [5], "pagination": {"previous": None, "next": None, "pages": None}}, documented
    ) == ["$.pagination.pages: never shown with a value (documented as ['integer'])"]


def test_list_items_are_merged() -> None:
    documented = [{"id": "a", "name": "A"}, {"id": "b", "name": "B", "old_id": "2", "h": []}]
    assert carries([{"id": "c", "name": "C"}], documented) == []  # old_id is not in every item
    assert carries([{"id": "c", "name": "C", "old_id": 2}], documented)  # but typed when there
    assert carries([{"id": "c", "name": "C", "h": []}], documented) == []  # [] was documented


def test_any_type_places_are_named_exactly() -> None:
    documented = {"response": [{"key": "k", "value": "v"}]}
    answer = {"response": [{"key": "k", "value": 4}]}
    assert (
        carries(answer, documented)[0] == "$.response[0].value: integer, documented as ['string']"
    )
    assert carries(answer, documented, ANY_TYPE["Server Settings list"]) == []
    assert carries({"response": [{"key": 4, "value": 4}]}, documented, ANY_TYPE["Setting"])


def test_documented_requests_come_from_the_blueprint() -> None:
    v3 = blueprint("v3")
    assert documented_request(v3["Stack Action"]) == Request(
        "GET", "/stacks/5999b763474b0eafa5fafb64bff0ba80/actions/4153"
    )
    assert documented_request(v3["Backups list"]).query == {"group": "15", "db_type": "mysql"}
    assert documented_request(v3["Server"]).query == {"include_private_key": "1"}
    new_backup = documented_request(v3["New Backup"])
    assert new_backup.body == {
        "db_type": "mysql,redis",
        "frequency": "0 */1 * * *",
        "keep_count": 10,
        "gzip": False,
        "excluded_tables": "my_log_table",
        "run_on_replica_server": False,
    }
    assert documented_request(v3["Delete Device"]) == Request(
        "DELETE", "/users/1/devices/htyukjbnnmshthkr"
    )
    assert documented_request(v3["Stack List"]) == Request("GET", "/stacks")


# -- the replay --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    operation: Operation
    request: Request
    status: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


async def replay(fake: FakeCloud66, edition: Edition) -> list[Outcome]:
    """Send every documented request of ``edition``, in document order; judge each answer."""
    plan = blueprint(edition)
    headers = {"Authorization": f"Bearer {fake.token}"}
    outcomes = []
    async with aiohttp.ClientSession(headers=headers) as session:
        for operation in plan:
            request = documented_request(operation)
            url = fake.url + plan.base_path + request.path
            with anyio.fail_after(TIMEOUT):
                async with session.request(
                    request.method, url, params=request.query, json=request.body
                ) as response:
                    status, raw = response.status, await response.read()
            problems = []
            if status != operation.status:
                problems.append(f"status {status}, documented {operation.status}: {raw[:300]!r}")
            elif operation.body is not None:
                loose = ANY_TYPE.get(operation.name, frozenset())
                problems = carries(json.loads(raw), operation.body, loose)
            outcomes.append(Outcome(operation, request, status, problems))
    return outcomes


@pytest.fixture
async def fake() -> AsyncIterator[FakeCloud66]:
    async with FakeCloud66() as server:
        yield server


def _report(outcomes: list[Outcome]) -> str:
    return "\n".join(
        f"{o.operation.name} ({o.request.method} {o.request.path}): " + "; ".join(o.problems[:5])
        for o in outcomes
        if not o.ok
    )


@pytest.mark.parametrize("edition", EDITIONS)
async def test_every_documented_request_gets_the_documented_answer(
    fake: FakeCloud66, edition: Edition
) -> None:
    outcomes = await replay(fake, edition)
    passed = [o for o in outcomes if o.ok]
    assert len(passed) == len(outcomes), _report(outcomes)
    # What README.md reports: 53/53 (52 method+path pairs) and 6/6.
    expected = {"v3": (53, 52), "early": (6, 6)}[edition]
    pairs = {(o.request.method, o.operation.path) for o in passed}
    assert (len(passed), len(pairs)) == expected
    # Each request reached the edition it was meant for.
    prefix = blueprint(edition).base_path
    assert [entry.prefix for entry in fake.request_log] == [prefix] * len(outcomes)


async def test_the_replay_fails_where_the_fake_does_not_serve_the_example(
    fake: FakeCloud66,
) -> None:
    """The judge is not vacuous: an unknown id is a failure, and so is a missing field."""
    fake.remove_stack("5999b763474b0eafa5fafb64bff0ba80")
    outcomes = await replay(fake, "v3")
    failed = {o.operation.name for o in outcomes if not o.ok}
    assert "Stack" in failed and "Server List" in failed
    assert "Cloud List" not in failed  # clouds belong to no stack
    fake.inject_fault("GET", "/clouds", "status", status=200, body={"response": [{"name": "x"}]})
    (clouds,) = [o for o in await replay(fake, "v3") if o.operation.name == "Cloud List"]
    assert "$.response[0].display_name: missing" in clouds.problems
