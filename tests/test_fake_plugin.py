"""The pytest plugin's fixtures (``cloud66_fake``, ``cloud66_client``, ``anyio_backend``): here
under anyio's plugin, and in user projects run by pytest in a subprocess under each async setup
(anyio alone, pytest-asyncio strict, pytest-asyncio auto)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest

from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio


async def test_cloud66_fake_is_started(cloud66_fake: FakeCloud66, anyio_backend: str) -> None:
    assert anyio_backend == "asyncio"
    assert cloud66_fake.base_url.startswith("http://127.0.0.1:")
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(
            cloud66_fake.base_url + "/stacks",
            headers={"Authorization": f"Bearer {cloud66_fake.token}"},
        ) as response,
    ):
        assert response.status == 200
        assert (await response.json())["pagination"]["count"] == 75


@pytest.mark.cloud66(stacks=2, servers_per_stack=1)
async def test_cloud66_marker_configures_the_fake(cloud66_fake: FakeCloud66) -> None:
    assert len(cloud66_fake.stack_uids) == 2
    assert len(cloud66_fake.peek(f"/stacks/{cloud66_fake.stack_uids[1]}/servers")) == 1


@pytest.mark.cloud66(stacks=1)
async def test_cloud66_client_points_at_the_fake(
    cloud66_client: object, cloud66_fake: FakeCloud66
) -> None:
    assert cloud66_client is not None
    response = await cloud66_client.request("GET", "/stacks")  # type: ignore[attr-defined]
    assert [stack["uid"] for stack in response] == cloud66_fake.stack_uids
    assert cloud66_fake.request_log[-1].header("Authorization") == f"Bearer {cloud66_fake.token}"


# --- The plugin in a user's project: each async setup, run by pytest in a subprocess ---------

USER_TIMEOUT = 120  # seconds for one user project's pytest run (they take about 2 s)

# Every user test bounds its requests: a fixture on another loop than its test hangs, not fails.
USER_TESTS_ANYIO = """
import anyio
import pytest

pytestmark = pytest.mark.anyio


async def test_lists_every_stack(cloud66_client, cloud66_fake):
    with anyio.fail_after(10):
        stacks = await cloud66_client.stacks.list().collect()
    assert [s.uid for s in stacks] == cloud66_fake.stack_uids
    assert len(stacks) == 75


@pytest.mark.cloud66(stacks=2)
async def test_marker(cloud66_client, cloud66_fake):
    with anyio.fail_after(10):
        stacks = await cloud66_client.stacks.list().collect()
    assert [s.uid for s in stacks] == cloud66_fake.stack_uids
    assert len(stacks) == 2
"""

USER_TESTS_STRICT = """
import asyncio

import pytest


async def _stacks(client):
    return await asyncio.wait_for(client.stacks.list().collect(), 10)


@pytest.mark.asyncio
async def test_lists_every_stack(cloud66_client, cloud66_fake):
    assert [s.uid for s in await _stacks(cloud66_client)] == cloud66_fake.stack_uids


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.cloud66(stacks=3)
async def test_module_loop(cloud66_client, cloud66_fake):
    assert len(await _stacks(cloud66_client)) == 3


@pytest.mark.asyncio(loop_scope="class")
class TestClassLoop:
    @pytest.mark.cloud66(stacks=4)
    async def test_class_loop(self, cloud66_client):
        assert len(await _stacks(cloud66_client)) == 4


@pytest.mark.anyio
@pytest.mark.cloud66(stacks=5)
async def test_anyio_beside_asyncio(cloud66_client):
    assert len(await _stacks(cloud66_client)) == 5
"""

USER_TESTS_AUTO = """
import asyncio

import pytest


async def test_lists_every_stack(cloud66_client, cloud66_fake):
    stacks = await asyncio.wait_for(cloud66_client.stacks.list().collect(), 10)
    assert [s.uid for s in stacks] == cloud66_fake.stack_uids


@pytest.mark.cloud66(stacks=3)
async def test_marker(cloud66_client):
    assert len(await asyncio.wait_for(cloud66_client.stacks.list().collect(), 10)) == 3


@pytest.mark.asyncio(loop_scope="function")
async def test_function_loop(cloud66_client):
    assert len(await asyncio.wait_for(cloud66_client.stacks.list().collect(), 10)) == 75
"""

# Options: a module-level cloud66_fake_options override gives defaults; markers (module, class,
# test) add to them and the closest wins.
USER_TESTS_OPTIONS = """
import anyio
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.cloud66(stacks=5)]


@pytest.fixture
def cloud66_fake_options():
    return {"stacks": 9, "per_page": 2}


async def _count(client):
    with anyio.fail_after(10):
        return len(await client.stacks.list().collect())


async def test_module_marker_wins_over_the_override(cloud66_client, cloud66_fake):
    assert await _count(cloud66_client) == 5
    # per_page comes from the override, which no marker names: 5 stacks take 3 pages
    assert [r.query.get("page") for r in cloud66_fake.request_log] == ["1", "2", "3"]


@pytest.mark.cloud66(stacks=1)
async def test_test_marker_wins_over_the_module_marker(cloud66_client):
    assert await _count(cloud66_client) == 1


@pytest.mark.cloud66(stacks=2)
class TestClassMarker:
    async def test_class_marker(self, cloud66_client):
        assert await _count(cloud66_client) == 2

    @pytest.mark.cloud66(stacks=3)
    async def test_test_marker_wins_over_the_class_marker(self, cloud66_client):
        assert await _count(cloud66_client) == 3
"""

USER_TESTS_MISUSE = """
import pytest


def test_sync_test(cloud66_client):
    pass


class TestTrio:
    @pytest.fixture
    def anyio_backend(self):
        return "trio"

    @pytest.mark.anyio
    async def test_trio(self, cloud66_fake):
        pass


@pytest.mark.anyio
@pytest.mark.cloud66(3)
async def test_positional_marker(cloud66_fake):
    pass
"""


NO_PYTEST_ASYNCIO = "raise ImportError('not installed')\n"
# pytest-asyncio before 0.24: no is_async_test, no loop_scope.
OLD_PYTEST_ASYNCIO = """
__version__ = "0.21.2"


def fixture(fixture_function=None, **kwargs):
    raise AssertionError("the plugin must not use an old pytest-asyncio")
"""


def _run_user_project(
    tmp_path: Path, files: dict[str, str], *, pytest_asyncio_shim: str | None = None
) -> tuple[pytest.RunResult, str]:
    """Write a user's project into ``tmp_path`` and run pytest on it as the user would."""
    project = tmp_path / "project"
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(textwrap.dedent(text), encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLOUD66_", "PYTEST_", "PYTHONPATH"))
    }
    env["HOME"] = str(tmp_path)
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA"]
    if pytest_asyncio_shim is not None:
        # Another pytest-asyncio than the installed one (none, or an old one): its entry point
        # is not loaded and importing it gives the shim.
        shim = tmp_path / "shim" / "pytest_asyncio"
        shim.mkdir(parents=True)
        (shim / "__init__.py").write_text(textwrap.dedent(pytest_asyncio_shim))
        env["PYTHONPATH"] = str(shim.parent)
        args += ["-p", "no:asyncio"]
    started = time.monotonic()
    done = subprocess.run(
        args, cwd=project, env=env, capture_output=True, text=True, timeout=USER_TIMEOUT
    )
    output = done.stdout + done.stderr
    result = pytest.RunResult(
        done.returncode,
        done.stdout.splitlines(),
        done.stderr.splitlines(),
        time.monotonic() - started,
    )
    return result, output


def test_user_project_with_anyio_alone(tmp_path: Path) -> None:
    user_tests = USER_TESTS_ANYIO + (
        "\n\ndef test_pytest_asyncio_is_absent():\n"
        "    with pytest.raises(ImportError):\n"
        "        import pytest_asyncio  # noqa: F401\n"
    )
    result, output = _run_user_project(
        tmp_path,
        {"pytest.ini": "[pytest]\nfilterwarnings = error\n", "test_user.py": user_tests},
        pytest_asyncio_shim=NO_PYTEST_ASYNCIO,
    )
    assert result.parseoutcomes() == {"passed": 3}, output
    assert "asyncio: mode=" not in output  # pytest-asyncio's header line: it was not loaded


def test_user_project_with_pytest_asyncio_strict(tmp_path: Path) -> None:
    config = """
    [pytest]
    filterwarnings = error
    asyncio_default_fixture_loop_scope = function
    """
    result, output = _run_user_project(
        tmp_path, {"pytest.ini": config, "test_user.py": USER_TESTS_STRICT}
    )
    assert re.search(r"^asyncio: mode=(Mode\.)?strict,", output, re.I | re.M), output
    assert result.parseoutcomes() == {"passed": 4}, output


def test_user_project_with_pytest_asyncio_auto(tmp_path: Path) -> None:
    # Tests on one loop for the whole session, as many projects choose: the fixtures follow.
    config = """
    [tool.pytest.ini_options]
    asyncio_mode = "auto"
    asyncio_default_fixture_loop_scope = "function"
    asyncio_default_test_loop_scope = "session"
    filterwarnings = ["error"]
    """
    result, output = _run_user_project(
        tmp_path, {"pyproject.toml": config, "test_user.py": USER_TESTS_AUTO}
    )
    assert re.search(r"^asyncio: mode=(Mode\.)?auto,", output, re.I | re.M), output
    assert result.parseoutcomes() == {"passed": 3}, output


def test_user_project_markers_win_over_the_options_fixture(tmp_path: Path) -> None:
    config = "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"
    result, output = _run_user_project(
        tmp_path, {"pytest.ini": config, "test_user.py": USER_TESTS_OPTIONS}
    )
    assert result.parseoutcomes() == {"passed": 4}, output


def test_user_project_misuse_gets_clear_errors(tmp_path: Path) -> None:
    config = "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"
    result, output = _run_user_project(
        tmp_path, {"pytest.ini": config, "test_user.py": USER_TESTS_MISUSE}
    )
    assert result.parseoutcomes() == {"errors": 3}, output
    assert "cloud66_client needs an event loop: mark the test with @pytest.mark.anyio" in output
    assert "cloud66_fake runs on asyncio (aiohttp does), not on anyio_backend 'trio'" in output
    assert "@pytest.mark.cloud66 takes keyword arguments only" in output
    assert "Traceback" not in output


def test_user_project_with_an_old_pytest_asyncio(tmp_path: Path) -> None:
    # An old pytest-asyncio must not break the plugin's import: anyio tests still run, and an
    # asyncio test gets a one-line error naming the version needed.
    user_tests = USER_TESTS_ANYIO + (
        "\n\n@pytest.mark.asyncio\nasync def test_asyncio(cloud66_client):\n    pass\n"
    )
    config = "[pytest]\nfilterwarnings = error\nmarkers = asyncio: pytest-asyncio's\n"
    result, output = _run_user_project(
        tmp_path,
        {"pytest.ini": config, "test_user.py": user_tests},
        pytest_asyncio_shim=OLD_PYTEST_ASYNCIO,
    )
    assert result.parseoutcomes() == {"passed": 2, "errors": 1}, output
    assert "cloud66_client needs pytest-asyncio 0.24 or later (this is 0.21.2)" in output
