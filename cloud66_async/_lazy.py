"""Module attributes imported on first use (PEP 562), for the package and its models.

A leaf: it imports nothing of the package, so any module may use it without a cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping

__all__ = ["lazy_attributes"]


def lazy_attributes(
    module: str, table: Mapping[str, str], namespace: MutableMapping[str, object]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return a module's ``__getattr__`` and ``__dir__`` for names imported on first use.

    ``table`` maps each lazy name to the module (relative to ``module``) that defines it;
    ``namespace`` is the module's ``globals()``, where a name is kept once imported, so later
    lookups never come back here.
    """

    def __getattr__(name: str) -> object:
        where = table.get(name)
        if where is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}", name=name)
        value = getattr(importlib.import_module(where, module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
