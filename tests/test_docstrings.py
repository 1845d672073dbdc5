"""Every public name has a docstring a user can read, since the API reference is made of them.

Public means: every class and function in ``__all__`` of ``cloud66_async``,
``cloud66_async.models`` and ``cloud66_async.testing``; the public methods and properties those
classes define; and every resource manager reachable from ``Client`` (``client.stacks``...) with
its public methods. A failure lists every name that lacks one, so they can be fixed at once.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Iterator

import pytest

import cloud66_async

MODULES = ("cloud66_async", "cloud66_async.models", "cloud66_async.testing")


def _own_doc(obj: object) -> str | None:
    """The docstring ``obj`` has itself: a class's is never inherited from its base."""
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__")
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    return getattr(obj, "__doc__", None)


def _members(cls: type) -> Iterator[tuple[str, object]]:
    """Yield the public methods and properties ``cls`` defines itself."""
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod, property)) or inspect.isfunction(value):
            yield name, value


def _managers() -> dict[str, type]:
    resources = importlib.import_module("cloud66_async.resources")
    # Client names its managers only under TYPE_CHECKING: resolve them with the resources
    # package's names (each imported on first use, by getattr).
    names = {name: getattr(resources, name) for name in resources.__all__}
    hints = typing.get_type_hints(cloud66_async.Client, localns=names)
    return {name: hint for name, hint in hints.items() if inspect.isclass(hint)}


def public_callables() -> dict[str, object]:
    """Return every public class, function, method and property, by qualified name."""
    found: dict[str, object] = {}
    classes: list[tuple[str, type]] = []
    for modname in MODULES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                classes.append((f"{modname}.{name}", obj))
            elif callable(obj):
                found[f"{modname}.{name}"] = obj
    for attr, cls in _managers().items():
        classes.append((f"Client.{attr} ({cls.__name__})", cls))
    for qualname, cls in classes:
        found[qualname] = cls
        if not cls.__module__.startswith("cloud66_async"):
            continue
        for name, member in _members(cls):
            found[f"{qualname}.{name}"] = member
    return found


PUBLIC = public_callables()


def test_the_public_surface_is_found() -> None:
    assert len(PUBLIC) > 150
    assert "cloud66_async.Client.fan_out" in PUBLIC
    assert "Client.stacks (StacksManager).find" in PUBLIC
    assert "cloud66_async.testing.FakeCloud66.inject_fault" in PUBLIC
    assert "cloud66_async.models.Action.is_finished" in PUBLIC


def test_every_public_name_has_a_docstring() -> None:
    missing = sorted(name for name, obj in PUBLIC.items() if not (_own_doc(obj) or "").strip())
    assert missing == [], "public names without a docstring:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_the_docstring_opens_with_a_one_line_summary(name: str) -> None:
    doc = inspect.cleandoc(_own_doc(PUBLIC[name]) or "")
    if not doc:
        pytest.skip("no docstring (reported by test_every_public_name_has_a_docstring)")
    first, _, rest = doc.partition("\n")
    # One sentence on the first line, then a blank line before anything more.
    assert first.rstrip().endswith((".", ":", "::")), first
    assert not rest or rest.startswith("\n"), f"the summary runs over two lines: {first!r}"
