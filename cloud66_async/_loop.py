"""The running event loop, or a :class:`ConfigError` saying why there is none.

A leaf module: the transport asks it on every session it makes, and it must not load anyio
(which the task machinery in :mod:`._tasks` needs) with the package.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from ._exceptions import ConfigError

__all__ = ["running_loop"]


def running_loop() -> asyncio.AbstractEventLoop:
    """Return the running asyncio loop, or raise :class:`ConfigError` when there is none.

    aiohttp, and so the SDK, runs on asyncio (uvloop included); under trio (anyio's trio
    backend, for example) this says so instead of letting asyncio or aiohttp fail deep inside.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        where = "under trio" if _in_trio() else "outside an event loop"
        raise ConfigError(
            f"cloud66_async runs on asyncio (uvloop included), and this call was made {where}: "
            "run it with asyncio.run(), or anyio.run(..., backend='asyncio')"
        ) from None


def _in_trio() -> bool:
    trio: Any = sys.modules.get("trio")  # never imported here: only if the program runs it
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True
