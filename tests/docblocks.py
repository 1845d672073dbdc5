"""Read and run the code blocks of the README and of the documentation's Markdown pages.

One runner for both, so no page can show code that does not work. The rules, by fence:

- ``python``: a complete script, run in a subprocess with ``CLOUD66_ACCESS_TOKEN`` and
  ``CLOUD66_URL`` pointing at a fresh :class:`~cloud66_async.testing.FakeCloud66` and ``HOME``
  in an empty folder (and, when the block names ``CLOUD66_LIMIT_STORE``, that variable pointing
  at a real Redis server of its own). A block whose first line is ``# test_....py`` is a pytest
  file instead, run by pytest in a subprocess beside the ``# pyproject.toml`` (``toml``) and
  ``# conftest.py`` (``python``) blocks just before it, if any; a ``# conftest.py`` block runs
  only that way.
- ``text`` right after a ``python`` block (the next fence): what that block prints. Every line
  but ``...`` must appear in the output, in order, as part of a line.
- ``sh``: every line is a ``cloud66-async`` command, run against a fresh fake. (The README's two
  setup commands are the exception, checked by ``tests/test_readme.py``.)
- ``bash``, ``json``, ``text`` (elsewhere) and ``toml`` (elsewhere): shown, never run.

Every run must exit 0 and never print the token.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from cloud66_async.testing import FakeCloud66

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LANGUAGES = frozenset({"python", "sh", "toml", "text", "bash", "json"})
_FENCE = re.compile(r"^```(\w+)[ \t]*\n(.*?)^```[ \t]*$", flags=re.DOTALL | re.MULTILINE)
_ANY_FENCE = re.compile(r"^```", flags=re.MULTILINE)
# Generous: a block starts a Python process and a fake, and the machine is shared.
RUN_TIMEOUT = 120


@dataclass
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int
    lang: str
    code: str
    config: str | None = None  # the pyproject.toml of a pytest block
    conftest: str | None = None  # the conftest.py of a pytest block
    output: list[str] = field(default_factory=list)  # lines the block must print

    @property
    def where(self) -> str:
        """``file:line`` of the block, for test ids and messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def pytest_file(self) -> str | None:
        """The file name a pytest block asks for, or ``None`` for a script."""
        first = self.code.splitlines()[0] if self.code else ""
        match = re.fullmatch(r"# (test_\w+\.py)", first.strip())
        return match.group(1) if match else None

    @property
    def is_conftest(self) -> bool:
        """Whether this block is the ``conftest.py`` of the pytest block after it."""
        return self.code.startswith("# conftest.py")


def doc_pages() -> list[Path]:
    """Return the documentation's Markdown pages (not what a build left in ``_build``)."""
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.relative_to(DOCS).parts)


def read_blocks(path: Path) -> list[Block]:
    """Return the fenced blocks of ``path``, outputs and configs attached to their blocks."""
    text = path.read_text(encoding="utf-8")
    found: list[Block] = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(path, line, match.group(1), match.group(2)))
    blocks: list[Block] = []
    for before, block in zip([None, *found], found, strict=False):
        if block.lang == "text" and before is not None and before.lang == "python":
            before.output = [line.strip() for line in block.code.splitlines() if line.strip()]
        if block.lang == "python" and block.pytest_file and before is not None:
            if before.lang == "toml" and before.code.startswith("# pyproject.toml"):
                block.config = before.code
            if before.lang == "python" and before.is_conftest:
                block.conftest = before.code
                # A conftest may itself follow the pyproject.toml of the same project.
                index = found.index(before)
                earlier = found[index - 1] if index else None
                if earlier is not None and earlier.code.startswith("# pyproject.toml"):
                    block.config = earlier.code
        blocks.append(block)
    return blocks


def fence_count(path: Path) -> int:
    """Return how many fence lines ``path`` has (two per block when every block is closed)."""
    return len(_ANY_FENCE.findall(path.read_text(encoding="utf-8")))


def python_blocks(paths: list[Path]) -> list[Block]:
    """Return the runnable Python blocks (scripts and pytest files) of ``paths``."""
    return [
        block
        for path in paths
        for block in read_blocks(path)
        if block.lang == "python" and not block.is_conftest
    ]


def cli_lines(paths: list[Path]) -> list[tuple[str, str]]:
    """Return ``(where, line)`` for every ``cloud66-async`` line of the ``sh`` blocks."""
    lines = []
    for path in paths:
        for block in read_blocks(path):
            if block.lang != "sh":
                continue
            for offset, line in enumerate(block.code.splitlines(), start=1):
                if line.startswith("cloud66-async "):
                    lines.append((f"{block.path.relative_to(ROOT)}:{block.line + offset}", line))
    return lines


def environment(fake: FakeCloud66, home: Path) -> dict[str, str]:
    """Return the environment a block runs in: the fake's URL and token, an empty home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUD66_")}
    env.update(
        CLOUD66_ACCESS_TOKEN=fake.token,
        CLOUD66_URL=fake.base_url,
        HOME=str(home),  # never read a real ~/.cloud66/cx.json
        PYTHONWARNINGS="error",
    )
    return env


async def run(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[bytes]:
    """Run ``args`` within :data:`RUN_TIMEOUT` seconds; return the finished process."""
    with anyio.fail_after(RUN_TIMEOUT):
        return await anyio.run_process(args, env=env, cwd=cwd, check=False)


async def run_python_block(block: Block, tmp_path: Path) -> str:
    """Run a Python block against a fresh fake; return its output, failing on any error.

    A block that names ``CLOUD66_LIMIT_STORE`` also gets a real Redis (or Valkey) server of its
    own there, started from the test extra's wheels and stopped by its PID afterwards.
    """
    store = None
    if "CLOUD66_LIMIT_STORE" in block.code:
        from _redis_server import any_kind, start_server

        store = start_server(any_kind())
    try:
        return await _run_python_block(block, tmp_path, store.url if store else None)
    finally:
        if store is not None:
            store.stop()


async def _run_python_block(block: Block, tmp_path: Path, store: str | None) -> str:
    async with FakeCloud66(stacks=40, action_delay=0.05, deploy_duration=0.2) as fake:
        env = environment(fake, tmp_path)
        if store is not None:
            env["CLOUD66_LIMIT_STORE"] = store
        name = block.pytest_file
        if name is not None:
            (tmp_path / name).write_text(block.code, encoding="utf-8")
            if block.conftest is not None:
                (tmp_path / "conftest.py").write_text(block.conftest, encoding="utf-8")
            args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name]
            if block.config is not None:
                (tmp_path / "pyproject.toml").write_text(block.config, encoding="utf-8")
            else:
                # A pytest block without a config is a project using anyio's plugin alone:
                # pytest-asyncio (installed here for the plugin's tests) is not loaded.
                args += ["-p", "no:asyncio"]
        else:
            (tmp_path / "block.py").write_text(block.code, encoding="utf-8")
            args = [sys.executable, "block.py"]
        result = await run(args, env, tmp_path)
    out = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, f"{block.where} failed:\n{block.code}\n---\n{out}"
    assert fake.token not in out, f"{block.where} printed the token"
    check_output(block, result.stdout.decode())
    return out


def check_output(block: Block, out: str) -> None:
    """Check that every line of the block's shown output appears in ``out``, in order."""
    lines = out.splitlines()
    position = 0
    for wanted in block.output:
        if wanted == "...":
            continue
        for index in range(position, len(lines)):
            if wanted in lines[index]:
                position = index + 1
                break
        else:
            raise AssertionError(
                f"{block.where}: the output shown has {wanted!r}, which the run did not print "
                f"(after line {position}):\n{out}"
            )


async def run_cli_line(line: str, tmp_path: Path) -> str:
    """Run one ``cloud66-async`` line against a fresh fake; return its output."""
    words = shlex.split(line)
    assert words[0] == "cloud66-async"
    async with FakeCloud66(stacks=5, action_delay=0.05, deploy_duration=0.2) as fake:
        result = await run(
            [sys.executable, "-m", "cloud66_async", *words[1:]],
            environment(fake, tmp_path),
            tmp_path,
        )
    out = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, f"{line}\n---\n{out}"
    assert fake.token not in out
    return out
