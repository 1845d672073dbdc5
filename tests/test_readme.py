"""Every code block of README.md runs against FakeCloud66, so the README cannot rot.

Python blocks are complete scripts, run in a subprocess with CLOUD66_ACCESS_TOKEN and
CLOUD66_URL pointing at a fresh fake; a block that starts with ``# test_...py`` is a pytest file,
run by pytest in a subprocess (beside the ``# pyproject.toml`` block just before it, if any);
shell blocks run their ``cloud66-async`` lines the same way. The two setup commands are checked
against ``.ci/run`` and the demo is run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [
    (m.group(1), m.group(2))
    for m in re.finditer(r"^```(\w+)\n(.*?)^```", README, flags=re.DOTALL | re.MULTILINE)
]
PYTHON: list[str] = []
# A ``toml`` block starting with ``# pyproject.toml`` is the config of the pytest block after it.
CONFIGS: dict[int, str] = {}  # index in PYTHON -> that config
for (before_lang, before), (lang, code) in zip([("", ""), *BLOCKS], BLOCKS, strict=False):
    if lang == "python":
        if before_lang == "toml" and before.startswith("# pyproject.toml"):
            CONFIGS[len(PYTHON)] = before
        PYTHON.append(code)
SHELL = [code for lang, code in BLOCKS if lang == "sh"]
SETUP_DEMO, SETUP_TESTS = SHELL[0].strip(), SHELL[1].strip()
CLI_LINES = [line for code in SHELL[2:] for line in code.strip().splitlines()]


def _env(fake: FakeCloud66, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUD66_")}
    env.update(
        CLOUD66_ACCESS_TOKEN=fake.token,
        CLOUD66_URL=fake.base_url,
        HOME=str(home),  # never read a real ~/.cloud66/cx.json
        PYTHONWARNINGS="error",
    )
    return env


async def _run(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[bytes]:
    with anyio.fail_after(120):
        return await anyio.run_process(args, env=env, cwd=cwd, check=False)


def test_readme_has_the_expected_blocks() -> None:
    assert len(PYTHON) >= 8
    # the pytest plugin under anyio, pytest-asyncio strict and pytest-asyncio auto
    pytest_blocks = [i for i, code in enumerate(PYTHON) if code.startswith("# test_")]
    assert len(pytest_blocks) >= 3
    assert sum(i in CONFIGS for i in pytest_blocks) >= 2
    assert any('asyncio_mode = "auto"' in CONFIGS.get(i, "") for i in pytest_blocks)
    assert len(SHELL) == 3
    assert SETUP_DEMO.endswith("cloud66-async demo")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert SETUP_TESTS in ci.splitlines()


@pytest.mark.parametrize("index", range(len(PYTHON)))
async def test_python_block(index: int, tmp_path: Path) -> None:
    code = PYTHON[index]
    async with FakeCloud66(stacks=40, action_delay=0.05, deploy_duration=0.2) as fake:
        env = _env(fake, tmp_path)
        first = code.splitlines()[0]
        if first.startswith("# test_"):
            name = first[2:].strip()
            (tmp_path / name).write_text(code, encoding="utf-8")
            args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name]
            if index in CONFIGS:
                (tmp_path / "pyproject.toml").write_text(CONFIGS[index], encoding="utf-8")
            else:
                # A pytest block without a config is a project using anyio's plugin alone:
                # pytest-asyncio (installed here for the plugin's tests) is not loaded.
                args += ["-p", "no:asyncio"]
        else:
            (tmp_path / "block.py").write_text(code, encoding="utf-8")
            args = [sys.executable, "block.py"]
        result = await _run(args, env, tmp_path)
    out = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, f"README block {index} failed:\n{code}\n---\n{out}"
    assert fake.token not in out


@pytest.mark.parametrize("line", CLI_LINES)
async def test_cli_line(line: str, tmp_path: Path) -> None:
    words = shlex.split(line)
    assert words[0] == "cloud66-async"
    async with FakeCloud66(stacks=5, action_delay=0.05, deploy_duration=0.2) as fake:
        result = await _run(
            [sys.executable, "-m", "cloud66_async", *words[1:]], _env(fake, tmp_path), tmp_path
        )
    out = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, f"{line}\n---\n{out}"
    assert fake.token not in out


async def test_demo_command_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUD66_")}
    env["HOME"] = str(tmp_path)
    result = await _run([sys.executable, "-m", "cloud66_async", "demo"], env, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Summary" in result.stdout
