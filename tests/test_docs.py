"""The documentation site's pages (``docs/``): every example runs, every link and name is real.

The examples run with the same runner as the README's (``tests/docblocks.py``). The site itself
is built by ``tox -e docs`` with warnings as errors; these tests need no Sphinx.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from docblocks import (
    DOCS,
    LANGUAGES,
    ROOT,
    cli_lines,
    doc_pages,
    fence_count,
    python_blocks,
    read_blocks,
    run_cli_line,
    run_python_block,
)

import cloud66_async
from cloud66_async import _exceptions

pytestmark = pytest.mark.anyio

PAGES = doc_pages()
GUIDES = sorted((DOCS / "guides").glob("*.md"))
BLOCKS = python_blocks(PAGES)
CLI = cli_lines(PAGES)
REFERENCE = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.rst"))


def test_every_guide_has_a_runnable_example() -> None:
    assert len(GUIDES) >= 9
    runnable = {block.path for block in BLOCKS} | {ROOT / where.split(":")[0] for where, _ in CLI}
    assert [g.name for g in GUIDES if g not in runnable] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_blocks_are_closed_and_of_known_languages(page: Path) -> None:
    blocks = read_blocks(page)
    directives = len(re.findall(r"^```\{", page.read_text(encoding="utf-8"), re.MULTILINE))
    # Every fence is read as a block or is a MyST directive: a block nested in a directive, or
    # one left open, would be silently skipped.
    assert fence_count(page) == 2 * (len(blocks) + directives)
    assert {block.lang for block in blocks} <= LANGUAGES
    for block in blocks:
        if block.lang == "sh":
            # Every sh line is run; commands that must not run are shown as bash.
            assert all(line.startswith("cloud66-async ") for line in block.code.splitlines())


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.where)
async def test_python_block(block, tmp_path: Path) -> None:
    await run_python_block(block, tmp_path)


@pytest.mark.parametrize(("where", "line"), CLI, ids=[where for where, _ in CLI])
async def test_cli_line(where: str, line: str, tmp_path: Path) -> None:
    await run_cli_line(line, tmp_path)


def test_the_opentelemetry_example_prints_real_spans() -> None:
    """The observability guide's console exporter must show spans of the SDK's requests."""
    (block,) = [b for b in BLOCKS if "create_trace_config" in b.code]
    assert "ConsoleSpanExporter" in block.code
    # Its shown output (checked by test_python_block) is a client span of a GET to the API.
    shown = "\n".join(block.output)
    assert '"kind": "SpanKind.CLIENT"' in shown
    assert '"http.response.status_code": 200' in shown or '"http.status_code": 200' in shown


def _tree_names(tree: str) -> list[tuple[int, str]]:
    """Return ``(depth, class name)`` for each line of a drawn tree."""
    found = []
    for line in tree.splitlines():
        if not line.strip():
            continue  # between two trees (a warning class has its own root)
        match = re.match(r"^((?:│   |    )*)(?:├── |└── )?(\w+)", line)
        assert match, line
        depth = len(match.group(1)) // 4 + (1 if ("├── " in line or "└── " in line) else 0)
        found.append((depth, match.group(2)))
    return found


def _drawn_tree() -> str:
    doc = _exceptions.__doc__ or ""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("::")) + 1
    block = []
    for line in lines[start:]:
        if line.strip() and not line.startswith(" "):
            break
        block.append(line[4:])
    return "\n".join(block).strip("\n")


def _real_tree(cls: type, depth: int = 0) -> list[tuple[int, str]]:
    public = set(cloud66_async.__all__)
    out = [(depth, cls.__name__)]
    for sub in cls.__subclasses__():
        if sub.__name__ in public:
            out += _real_tree(sub, depth + 1)
    return out


def test_the_exception_tree_drawn_once_is_the_real_one() -> None:
    """The tree in ``_exceptions``' docstring (which the errors guide shows) is the hierarchy."""
    drawn = _tree_names(_drawn_tree())
    roots = [name for depth, name in drawn if depth == 0]
    assert roots[0] == "Cloud66Error"
    real = [entry for root in roots for entry in _real_tree(getattr(cloud66_async, root))]
    assert sorted(drawn) == sorted(real)
    # And every public exception is in it.
    exceptions = {
        name
        for name in cloud66_async.__all__
        if isinstance(getattr(cloud66_async, name), type)
        and issubclass(getattr(cloud66_async, name), BaseException)
    }
    assert exceptions <= {name for _, name in drawn}


def test_the_tree_is_drawn_in_one_place_only() -> None:
    """Pages link to the errors guide's tree instead of drawing their own."""
    for path in [*PAGES, ROOT / "README.md"]:
        assert "├── " not in path.read_text(encoding="utf-8"), path
    assert "c66-exception-tree" in (DOCS / "guides" / "errors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "module", ["cloud66_async", "cloud66_async.models", "cloud66_async.testing"]
)
def test_the_reference_names_every_public_name(module: str) -> None:
    """Every name in ``__all__`` appears in a reference page (the build checks it resolves)."""
    names = importlib.import_module(module).__all__
    missing = [n for n in names if not re.search(rf"\b{re.escape(n)}\b", REFERENCE)]
    if module == "cloud66_async.models":
        # automodule documents the models module's __all__ as a whole.
        assert ".. automodule:: cloud66_async.models\n   :members:" in REFERENCE
        missing = []
    assert missing == []


_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files(page: Path) -> None:
    for target in _LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_the_cli_guide_lists_every_exit_code() -> None:
    from cloud66_async import cli

    codes = {getattr(cli, name) for name in cli.__all__ if name.startswith("EXIT_")}
    text = (DOCS / "guides" / "cli.md").read_text(encoding="utf-8")
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    assert {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)} == codes


def test_the_sdist_ships_the_docs() -> None:
    """The test command (tox, docs env included) must pass from an unpacked sdist."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    sdist = config["tool"]["hatch"]["build"]["targets"]["sdist"]
    assert "/docs" in sdist["include"]
    assert "docs" in config["project"]["optional-dependencies"]


def test_the_layout_names_modules_that_exist() -> None:
    text = (DOCS / "development.md").read_text(encoding="utf-8")
    layout = text.split("## Layout", 1)[1]
    package = ROOT / "cloud66_async"
    named = re.findall(r"`(_?\w+\.py|\w+/)`", layout)
    assert len(named) >= 10
    assert [n for n in named if not (package / n).exists()] == []
