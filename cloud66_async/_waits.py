"""Every wait the SDK makes goes through here, so tests can shrink them.

The model is stamina's ``set_testing``: one switch, no monkeypatching of ``asyncio.sleep``.
Waits imposed by the server (``Retry-After`` through the throttle gate) are *not* scaled, since
the server would simply answer ``503`` again; backoff delays and poll intervals are.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import anyio

# anyio is imported by the functions that wait, not here: a client whose requests never wait
# (no retry, no throttle, no full window) never loads it (~1.3 ms of every start-up).

__all__ = ["is_testing", "monotonic", "scaled_sleep", "set_testing", "shielded", "sleep"]

_scale: float = 1.0


def set_testing(testing: bool, *, scale: float = 0.0) -> None:
    """Scale the SDK's backoff and polling waits by ``scale`` while ``testing`` is true.

    ``set_testing(True)`` makes retry backoff and poll intervals instant, so tests of retries and
    waits run in milliseconds; ``set_testing(False)`` restores real waits.
    """
    global _scale
    if scale < 0:
        raise ValueError("scale must not be negative")
    _scale = scale if testing else 1.0


def is_testing() -> bool:
    """Whether :func:`set_testing` is in effect."""
    return _scale != 1.0


def monotonic() -> float:
    """The clock every deadline in the SDK is measured on."""
    return time.monotonic()


async def scaled_sleep(seconds: float) -> None:
    """Sleep for a backoff or poll interval (shrunk under :func:`set_testing`)."""
    await sleep(seconds * _scale)


async def sleep(seconds: float) -> None:
    """Sleep for a wait the server imposed (never scaled)."""
    import anyio

    if seconds > 0:
        await anyio.sleep(seconds)
    else:
        # Still a checkpoint, so loops that wait zero seconds can be cancelled.
        await anyio.lowlevel.checkpoint()


def shielded() -> anyio.CancelScope:
    """A cancel scope shielded from cancellation, for the clean-up after a request that was
    cancelled (handing its place in the window and the gate back)."""
    import anyio

    return anyio.CancelScope(shield=True)
