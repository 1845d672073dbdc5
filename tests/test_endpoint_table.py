"""The endpoint table names each model through a function called when the entry is first read
(issue 15: the first use of a manager imports only the models its endpoints use).

- each entry decodes into the model ``tests/typing/check_endpoints.py`` pins for it, and mypy
  checks the same pins against the entries' types: what the managers are typed with and what
  they decode into cannot differ;
- an entry's model is imported when the entry is first read, and never again: the first read
  puts a plain :class:`Endpoint` in the table, so a request resolves nothing;
- ``ENDPOINTS`` lists every entry without importing a model.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from test_import_laziness import loaded, run_child

import cloud66_async.models
from cloud66_async.resources._endpoints import ENDPOINTS, NO_CONTENT, E, Endpoint, _Entry

PINS = Path(__file__).parent / "typing" / "check_endpoints.py"


def pinned() -> dict[str, tuple[str | None, bool]]:
    """``{attribute of E: (model name or None for NO_CONTENT, nullable)}`` as the pins say."""
    found: dict[str, tuple[str | None, bool]] = {}
    for node in ast.walk(ast.parse(PINS.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "assert_type"):
            continue
        entry, annotation = node.args
        assert isinstance(entry, ast.Attribute) and ast.unparse(entry.value) == "E", entry
        assert isinstance(annotation, ast.Subscript), ast.unparse(annotation)
        assert ast.unparse(annotation.value) == "Endpoint"
        model = annotation.slice
        if isinstance(model, ast.Constant) and model.value is None:
            pin: tuple[str | None, bool] = (None, False)
        elif isinstance(model, ast.Name):
            pin = (model.id, False)
        else:
            assert isinstance(model, ast.BinOp) and isinstance(model.op, ast.BitOr)
            assert isinstance(model.left, ast.Name), ast.unparse(model)
            assert isinstance(model.right, ast.Constant) and model.right.value is None
            pin = (model.left.id, True)
        assert entry.attr not in found, f"{entry.attr} is pinned twice"
        found[entry.attr] = pin
    return found


def entries() -> list[str]:
    """Every attribute of E that is an entry, read or not yet."""
    return [name for name, value in vars(E).items() if isinstance(value, _Entry | Endpoint)]


def test_every_entry_is_pinned_once_and_the_pins_name_every_endpoint() -> None:
    pins = pinned()
    assert sorted(pins) == sorted(entries())
    assert len(ENDPOINTS) == len(pins) == 53


@pytest.mark.parametrize("attribute", sorted(pinned()))
def test_each_entry_decodes_into_its_pinned_model(attribute: str) -> None:
    name, nullable = pinned()[attribute]
    endpoint = getattr(E, attribute)
    assert isinstance(endpoint, Endpoint)
    if name is None:
        assert endpoint.model is NO_CONTENT
    else:
        assert endpoint.model is getattr(cloud66_async.models, name)
    assert endpoint.nullable is nullable
    assert ENDPOINTS[endpoint.name] is endpoint
    assert endpoint.name == attribute.replace("_", ".", 1) or attribute.startswith(
        ("env_vars_", "server_groups_", "server_settings_")
    )


def test_the_model_function_runs_once_and_a_read_entry_is_a_plain_class_attribute() -> None:
    calls: list[int] = []

    def model() -> type[cloud66_async.models.Stack]:
        calls.append(1)
        return cloud66_async.models.Stack

    class Table:
        get = _Entry("stacks.get", "GET", "/stacks/{stack_uid}", "public", model)

    assert isinstance(vars(Table)["get"], _Entry) and calls == []  # nothing runs until read
    first = Table.get
    assert calls == [1]
    assert vars(Table)["get"] is first  # the class now holds the Endpoint itself
    assert Table.get is first and Table.get is first
    assert calls == [1]
    assert first == Endpoint("stacks.get", "GET", "/stacks/{stack_uid}", "public", model())


def test_listing_the_table_imports_no_model_and_reading_an_entry_imports_its_own() -> None:
    found = run_child(
        "import json, sys\n"
        "from cloud66_async.resources import _endpoints as t\n"
        "listed = [len(t.ENDPOINTS), 'users.get' in t.ENDPOINTS, sorted(t.ENDPOINTS)[:2]]\n"
        "models = lambda: sorted(n for n in sys.modules if n.startswith('cloud66_async.models.'))\n"
        "before = models()\n"
        "users_get = t.E.users_get\n"
        "after_one = models()\n"
        "same = t.ENDPOINTS['users.get'] is users_get is t.E.users_get\n"
        "plain = type(vars(t.E)['users_get']).__name__, type(vars(t.E)['users_list']).__name__\n"
        "everything = [e.model.__name__ for e in t.ENDPOINTS.values()]\n"
        "print(json.dumps([listed, before, after_one, same, plain, len(everything), models()]))\n"
    )
    listed, before, after_one, same, plain, count, after_all = found
    assert listed == [53, True, ["accounts.get", "accounts.list"]]
    assert before == []
    assert after_one == ["cloud66_async.models.users"]
    assert same is True
    assert plain == ["Endpoint", "_Entry"]  # the entry read is resolved, the others are not
    assert count == 53
    model_modules = {f"cloud66_async.models{m}" for m in cloud66_async.models._LAZY.values()}
    assert set(loaded(after_all, ("cloud66_async.models",))) <= model_modules
    assert "cloud66_async.models.stacks" in after_all


def test_an_unknown_endpoint_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        ENDPOINTS["stacks.gte"]
    assert "stacks.gte" not in ENDPOINTS


def test_an_endpoint_is_a_frozen_value() -> None:
    # A named tuple rather than an attrs class (which cost ~1.3 ms of the first client.stacks).
    stack = cloud66_async.models.Stack
    one = Endpoint("stacks.get", "GET", "/stacks/{stack_uid}", "public", stack)
    same = Endpoint("stacks.get", "GET", "/stacks/{stack_uid}", "public", stack)
    assert one == same and hash(one) == hash(same) and one is not same
    assert one != Endpoint("stacks.get", "GET", "/stacks/{stack_uid}", "public", stack, many=True)
    assert one != Endpoint("stacks.get", "GET", "/stacks/{stack_uid}", "admin", stack)
    assert (one.many, one.nullable) == (False, False)
    assert repr(one) == (
        "Endpoint(name='stacks.get', method='GET', path='/stacks/{stack_uid}', scope='public', "
        "model=<class 'cloud66_async.models.stacks.Stack'>, many=False, nullable=False)"
    )
    with pytest.raises(AttributeError):
        one.model = cloud66_async.models.Action  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del one.path  # type: ignore[misc]
    with pytest.raises(AttributeError):
        one.extra = 1  # type: ignore[attr-defined]
    assert one == same
