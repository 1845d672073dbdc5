"""README.md: its two commands are the real ones, its links resolve, and its code blocks run.

The blocks run with the same runner as the documentation's (``tests/docblocks.py`` says how
each kind of block is run). The two setup commands are checked against ``.ci/run`` and the demo
is run.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from docblocks import (
    ROOT,
    cli_lines,
    fence_count,
    python_blocks,
    read_blocks,
    run,
    run_python_block,
)

pytestmark = pytest.mark.anyio

README = ROOT / "README.md"
BLOCKS = read_blocks(README)
PYTHON = python_blocks([README])
SHELL = [block.code for block in BLOCKS if block.lang == "sh"]
SETUP_DEMO, SETUP_TESTS = SHELL[0].strip(), SHELL[1].strip()


def test_readme_has_the_expected_blocks() -> None:
    # The two commands, a quickstart script and a test of one's own code with the fake.
    assert len(SHELL) == 2
    assert SETUP_DEMO.endswith("cloud66-async demo")
    assert SETUP_TESTS.endswith("-m tox")
    assert [b.pytest_file is None for b in PYTHON] == [True, False]
    assert fence_count(README) == 2 * len(BLOCKS)
    # The command line's lines live in the docs; the README's shell blocks are setup only.
    assert cli_lines([README]) == []


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert SETUP_TESTS in ci.splitlines()


def test_readme_links_point_at_files_and_every_guide() -> None:
    text = README.read_text(encoding="utf-8")
    targets = [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not t.startswith("http")]
    for target in targets:
        assert (ROOT / target.split("#")[0]).is_file(), target
    guides = {f"docs/guides/{p.name}" for p in (ROOT / "docs" / "guides").glob("*.md")}
    assert guides <= {t.split("#")[0] for t in targets}


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.where)
async def test_python_block(block, tmp_path: Path) -> None:
    await run_python_block(block, tmp_path)


async def test_demo_command_runs(tmp_path: Path) -> None:
    # The demo embeds its own fake: it needs no token, and must not use one from the shell.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUD66_")}
    env["HOME"] = str(tmp_path)
    result = await run([sys.executable, "-m", "cloud66_async", "demo"], env, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Summary" in result.stdout
