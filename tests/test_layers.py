"""The package's layering, read from its source: the import graph of every module, with the
imports inside functions and under ``if TYPE_CHECKING:`` counted too.

- no import cycle, of any length;
- data flows one way: ``_client`` (the composition root) is imported by ``__init__`` only, the
  resource managers never reach the client or the network, the pipeline knows nothing of the
  resources, the sans-I/O core has no awaits and imports no I/O library, and aiohttp is imported
  by the transport alone (outside the fake and the command line, which are separate programs).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import cloud66_async

ROOT = Path(cloud66_async.__file__).parent
PACKAGE = "cloud66_async"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``from ... import`` names."""
    if node.level == 0:
        return node.module or ""
    package = importer if is_package(importer) else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports(name: str, source: str | None = None) -> Iterator[str]:
    """Every module of the package (or third-party module) ``name`` imports, at any depth of
    its code. ``from pkg import sub`` counts as importing ``pkg.sub`` only, unless a name it
    takes is defined in ``pkg/__init__``."""
    if source is None:
        source = MODULES[name].read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            target = resolve(name, node)
            submodules = [f"{target}.{a.name}" for a in node.names]
            found = [m for m in submodules if m in MODULES]
            yield from found
            if len(found) < len(submodules):
                yield target


def graph() -> dict[str, set[str]]:
    return {name: {t for t in imports(name) if t in MODULES and t != name} for name in MODULES}


EDGES = graph()


def external(name: str) -> set[str]:
    return {t.split(".")[0] for t in imports(name) if not t.startswith(PACKAGE)}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_scanner_sees_every_kind_of_import() -> None:
    """Imports inside functions and under TYPE_CHECKING are edges; ``from . import sub`` is an
    edge to the submodule, ``from . import name`` to the package."""
    source = """
from typing import TYPE_CHECKING
from . import _sansio
if TYPE_CHECKING:
    from ._pipeline import Requester
def later() -> None:
    from . import Client
    import cloud66_async._waits
"""
    found = set(imports(f"{PACKAGE}._paging", source))
    assert {
        f"{PACKAGE}._sansio",
        f"{PACKAGE}._pipeline",
        PACKAGE,
        f"{PACKAGE}._waits",
    } <= found
    assert "cloud66_async._client" in EDGES[PACKAGE]


def test_no_import_cycles() -> None:
    cycle = find_cycle(EDGES)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_only_the_package_imports_the_composition_root() -> None:
    importers = sorted(n for n, targets in EDGES.items() if f"{PACKAGE}._client" in targets)
    assert importers == [PACKAGE]


CORE = [n for n in MODULES if not n.startswith((f"{PACKAGE}.testing", f"{PACKAGE}.cli"))]


def test_aiohttp_is_imported_by_the_transport_only() -> None:
    users = sorted(n for n in CORE if {"aiohttp", "yarl"} & external(n))
    assert users == [f"{PACKAGE}._transport"]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(f"{PACKAGE}.resources")))
def test_resources_depend_on_the_requester_only(name: str) -> None:
    forbidden = {f"{PACKAGE}._client", f"{PACKAGE}._transport", f"{PACKAGE}._throttle"}
    assert not (EDGES[name] & forbidden), EDGES[name] & forbidden
    assert PACKAGE not in EDGES[name]  # not even the package's re-exports
    assert "aiohttp" not in external(name)


def test_the_pipeline_knows_nothing_of_resources_or_the_client() -> None:
    reached = set()
    todo = [f"{PACKAGE}._pipeline"]
    while todo:
        node = todo.pop()
        for nxt in EDGES[node]:
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    assert not {n for n in reached if n.startswith(f"{PACKAGE}.resources")}
    assert f"{PACKAGE}._client" not in reached and PACKAGE not in reached


def test_the_sans_io_core_is_pure() -> None:
    name = f"{PACKAGE}._sansio"
    assert not {"asyncio", "anyio", "aiohttp", "socket", "time"} & external(name)
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    awaiting = [
        type(node).__name__
        for node in ast.walk(tree)
        if isinstance(node, ast.AsyncFunctionDef | ast.Await | ast.AsyncFor | ast.AsyncWith)
    ]
    assert awaiting == []
    assert EDGES[name] <= {f"{PACKAGE}._exceptions", f"{PACKAGE}._options"}


def test_exceptions_import_nothing_of_the_package() -> None:
    assert EDGES[f"{PACKAGE}._exceptions"] == set()


def test_the_lazy_attribute_helper_imports_nothing_of_the_package() -> None:
    assert EDGES[f"{PACKAGE}._lazy"] == set()


def test_models_never_reach_the_client() -> None:
    for name in MODULES:
        if name.startswith(f"{PACKAGE}.models"):
            allowed = {n for n in MODULES if n.startswith(f"{PACKAGE}.models")}
            allowed.add(f"{PACKAGE}._timeparse")
            allowed.add(f"{PACKAGE}._lazy")  # a leaf: see the test below
            assert EDGES[name] <= allowed, (name, EDGES[name] - allowed)


def test_redis_is_imported_by_the_limit_store_only() -> None:
    """The redis extra is optional: only the store's module imports it, and only when a client
    is given a limit_store (inside a function, so ``import cloud66_async`` never needs it)."""
    users = sorted(n for n in MODULES if "redis" in external(n))
    assert users == [f"{PACKAGE}._store"]
    tree = ast.parse(MODULES[f"{PACKAGE}._store"].read_text(encoding="utf-8"))
    top_level = [
        node
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            (alias.name if isinstance(node, ast.Import) else node.module or "").startswith("redis")
            for alias in node.names
        )
    ]
    assert top_level == []
