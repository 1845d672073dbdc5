"""The sdist and the wheel: what each carries, and that nothing reads the shared/ beside us.

The sdist must let a user run the README's test command with nothing beside it (the tests, the
spec inside the package, tox.ini, .ci/run, the benchmarks, README, LICENSE, CHANGELOG); the wheel
must carry py.typed, the spec, the LICENSE in its metadata and the project URLs. Both are built
here offline (``python -m build --no-isolation``, with hatchling from the test extra).
"""

from __future__ import annotations

import email.message
import email.parser
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import cloud66_async

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 120  # seconds; the build takes about 2
# Never part of the project, whatever lies in the working tree.
LOCAL_DIRS = {".git", ".venv", ".venv-test", ".tox", "__pycache__", ".hypothesis", "dist", "build"}
LOCAL_DIRS |= {".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _project_files(top: Path) -> list[Path]:
    """Return the project's files under ``top``, relative to ROOT, without local clutter."""
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d not in LOCAL_DIRS and not d.endswith(".egg-info")]
        found += [
            (Path(dirpath) / name).relative_to(ROOT)
            for name in filenames
            if not name.endswith(".pyc")
        ]
    return sorted(found)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the sdist and the wheel (the wheel from the sdist, as ``build`` does)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def sdist_names(dists: tuple[Path, Path]) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(dists[0]) as tar:
        members = tar.getmembers()
    top = members[0].name.split("/")[0]
    assert all(m.name == top or m.name.startswith(top + "/") for m in members)
    return {m.name[len(top) + 1 :]: m for m in members if m.name != top}


@pytest.fixture(scope="module")
def wheel_names(dists: tuple[Path, Path]) -> set[str]:
    with zipfile.ZipFile(dists[1]) as whl:
        return set(whl.namelist())


@pytest.fixture(scope="module")
def wheel_metadata(dists: tuple[Path, Path]) -> email.message.Message:
    with zipfile.ZipFile(dists[1]) as whl:
        (name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(whl.read(name).decode("utf-8"))


def test_sdist_has_everything_the_test_command_needs(
    sdist_names: dict[str, tarfile.TarInfo],
) -> None:
    needed = [
        ".ci/run",
        "tox.ini",
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "cloud66_async/py.typed",
        "cloud66_async/testing/spec/cloud66-api-v3.apib",
        "cloud66_async/testing/spec/cloud66-api-v3-early.apib",
        "tests/conftest.py",
        "benchmarks/run_all.py",
    ]
    # CHANGELOG.md is in the sdist's include list; it must be shipped once it exists.
    needed += ["CHANGELOG.md"] if (ROOT / "CHANGELOG.md").is_file() else []
    missing = [name for name in needed if name not in sdist_names]
    assert not missing, f"missing from the sdist: {missing}"
    # Every file of the package, the tests and the benchmarks, not just a few.
    for top in ("cloud66_async", "tests", "benchmarks"):
        files = [str(p) for p in _project_files(ROOT / top)]
        assert files
        assert not [f for f in files if f not in sdist_names], f"{top}/ files missing"
    assert sdist_names[".ci/run"].mode & 0o111, ".ci/run lost its executable bit"


def test_sdist_has_no_local_clutter(sdist_names: dict[str, tarfile.TarInfo]) -> None:
    clutter = [
        name
        for name in sdist_names
        if set(Path(name).parts) & LOCAL_DIRS or name.endswith((".pyc", ".egg-info"))
    ]
    assert not clutter


def test_wheel_has_types_spec_and_license(wheel_names: set[str]) -> None:
    for name in (
        "cloud66_async/py.typed",
        "cloud66_async/testing/spec/cloud66-api-v3.apib",
        "cloud66_async/testing/spec/cloud66-api-v3-early.apib",
        "cloud66_async/testing/pytest_plugin.py",
    ):
        assert name in wheel_names
    assert [n for n in wheel_names if n.endswith(".dist-info/licenses/LICENSE")]
    package = {str(p) for p in _project_files(ROOT / "cloud66_async")}
    assert package <= wheel_names
    # The wheel is the package alone: no tests, benchmarks or clutter.
    assert not [n for n in wheel_names if not n.startswith("cloud66_async")]
    assert not [n for n in wheel_names if "__pycache__" in n or n.endswith(".pyc")]


def test_wheel_metadata(wheel_metadata: email.message.Message, wheel_names: set[str]) -> None:
    assert wheel_metadata["License-Expression"] == "MIT"
    assert wheel_metadata.get_all("License-File") == ["LICENSE"]
    urls = {}
    for url in wheel_metadata.get_all("Project-URL") or []:
        label, _, address = url.partition(",")
        urls[label.strip()] = address.strip()
    assert set(urls) == {"Homepage", "Documentation", "Changelog", "Issues"}
    assert all(url.startswith("https://") for url in urls.values())
    assert wheel_metadata["Requires-Python"] == ">=3.11"
    # the version is written once, in the package, and the build reads it from there
    assert wheel_metadata["Version"] == cloud66_async.__version__
    assert wheel_metadata["Version"] != "0+unknown"
    # the pytest plugin's and the CLI's entry points
    (entry_points,) = [n for n in wheel_names if n.endswith(".dist-info/entry_points.txt")]
    assert entry_points


def test_license_is_mit() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


@pytest.mark.slow  # about 10 s: it collects the whole suite once more
def test_tests_collect_from_the_unpacked_sdist_alone(
    dists: tuple[Path, Path], tmp_path: Path
) -> None:
    # Nothing beside the unpacked sdist (no shared/, no checkout): collection reads the spec
    # and the samples, so this fails if the sdist leaves any of them out.
    with tarfile.open(dists[0]) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(tmp_path, filter="data")
        else:  # pragma: no cover
            tar.extractall(tmp_path)  # our own sdist
    (unpacked,) = tmp_path.iterdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CLOUD66_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert re.search(r"^\d{3,} tests collected", out, re.M), out
    # the package came from the unpacked sdist, not from this checkout
    check = subprocess.run(
        [sys.executable, "-c", "import cloud66_async; print(cloud66_async.__file__)"],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=True,
    )
    assert Path(check.stdout.strip()).is_relative_to(unpacked)


def test_nothing_reads_the_shared_directory() -> None:
    # shared/ exists only beside our own checkout, never beside a user's clone or sdist. Every
    # file but Markdown is searched, this one included (the pattern does not match itself).
    pattern = re.compile(r"\.\./shared\b|[\"']shared[\"']|[\"']shared/")
    offenders = []
    for path in _project_files(ROOT):
        if path.suffix == ".md":
            continue
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [
            f"{path}:{n}" for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)
        ]
    assert not offenders


def test_the_test_command_installs_into_its_own_ignored_venv() -> None:
    # Debian and Ubuntu refuse `pip install` outside a virtual environment
    # ("externally-managed-environment"): the README's test command makes its own venv first.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^```sh\n(.*?)\n```", readme, flags=re.DOTALL | re.MULTILINE)
    command = commands[1]
    found = re.fullmatch(
        r"python3 -m venv (\S+) && (\S+)/bin/python -m pip install -q tox && "
        r"(\S+)/bin/python -m tox",
        command,
    )
    assert found, command
    venv = found[1]
    assert found[2] == found[3] == venv
    assert venv != ".venv"  # the demo command's
    assert venv in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # never committed, linted, type-checked, collected or shipped
    assert f"{venv}/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert re.search(rf"extend-exclude = \[[^]]*\"{re.escape(venv)}\"", _text("pyproject.toml"))
    assert venv.startswith(".")  # pytest's default norecursedirs skip ".*"
    assert venv in LOCAL_DIRS  # test_sdist_has_no_local_clutter


def _text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")
