"""The vendored API Blueprints: the one copy that FakeCloud66 and the contract tests read.

``spec/cloud66-api-v3.apib`` is the API v3 (53 operations, base path ``/api/3``) and
``spec/cloud66-api-v3-early.apib`` its earlier edition (base path ``/api/v3``). They ship in the
wheel and the sdist, so the fake and the tests need nothing beside the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

__all__ = ["EARLY", "V3", "blueprint_path", "blueprint_text"]

V3: Final = "cloud66-api-v3.apib"
EARLY: Final = "cloud66-api-v3-early.apib"

_SPEC_DIR: Final = Path(__file__).resolve().parent / "spec"


def blueprint_path(name: Literal["cloud66-api-v3.apib", "cloud66-api-v3-early.apib"]) -> Path:
    """The path of one vendored blueprint."""
    return _SPEC_DIR / name


def blueprint_text(name: Literal["cloud66-api-v3.apib", "cloud66-api-v3-early.apib"]) -> str:
    """The text of one vendored blueprint."""
    return blueprint_path(name).read_text(encoding="utf-8")
