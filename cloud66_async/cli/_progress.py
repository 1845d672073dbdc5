"""A live, one-line progress display on stderr, shown only when stderr is a terminal.

The line (``label  state  done/total  elapsed``) is redrawn in place with ``\\r`` a few times a
second by a small task, so the elapsed time keeps moving between polls, and it is wiped when
the work ends. When the display is off nothing is written at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import AsyncIterator
from typing import Any, TextIO

import attrs

from ..models import Action, Deployment
from ._output import action_state, deployment_state

__all__ = ["Progress", "Status", "is_terminal", "render_status"]


@attrs.define
class Status:
    """What the progress line shows; callers update it and the display redraws it."""

    label: str
    state: str = ""
    done: int | None = None
    total: int | None = None
    started: float = attrs.field(factory=time.monotonic)

    def observe(self, polled: Any) -> None:
        """Take in a polled :class:`Action` or :class:`Deployment` (an ``on_progress`` callback)."""
        if isinstance(polled, Action):
            self.state = f"action {polled.id} {action_state(polled)}"
        elif isinstance(polled, Deployment):
            self.state = f"deployment {polled.id} {deployment_state(polled)}"

    @property
    def elapsed(self) -> float:
        """Seconds since the work started."""
        return time.monotonic() - self.started


def render_status(status: Status, *, now: float, width: int) -> str:
    """Return the progress line for ``status``, cut to fit ``width`` columns."""
    parts = [status.label]
    if status.state:
        parts.append(status.state)
    if status.done is not None:
        parts.append(
            f"{status.done}/{status.total}" if status.total is not None else f"{status.done}"
        )
    parts.append(f"{max(0.0, now - status.started):.1f}s")
    line = "  ".join(parts)
    # Never reach the last column: a wrapped line cannot be rewritten with \r.
    return line[: max(1, width - 1)]


def _width(stream: TextIO) -> int:
    """The width of the terminal ``stream`` is drawn on (not stdout's, which may be a pipe)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return shutil.get_terminal_size((80, 24)).columns


def is_terminal(stream: TextIO) -> bool:
    """Tell whether ``stream`` is an open terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


class Progress:
    """Draws :class:`Status` lines on ``stream`` while ``enabled``; otherwise does nothing."""

    def __init__(self, stream: TextIO, *, enabled: bool, interval: float = 0.1) -> None:
        self.stream = stream
        self.enabled = enabled
        self.interval = interval
        self._shown = 0

    @classmethod
    def for_stream(cls, stream: TextIO, *, disabled: bool = False) -> Progress:
        """A display on ``stream``, enabled only when it is a terminal and not ``disabled``."""
        return cls(stream, enabled=not disabled and is_terminal(stream))

    @contextlib.asynccontextmanager
    async def track(self, label: str, *, total: int | None = None) -> AsyncIterator[Status]:
        """Show a live line for the work done inside the ``async with``; wipe it at the end."""
        status = Status(label, total=total)
        if not self.enabled:
            yield status
            return
        self._draw(status)
        task = asyncio.create_task(self._refresh(status))
        try:
            yield status
        finally:
            task.cancel()
            # asyncio.wait never raises the task's CancelledError, only our own cancellation.
            await asyncio.wait([task])
            self.clear()

    async def _refresh(self, status: Status) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._draw(status)

    def _draw(self, status: Status) -> None:
        width = _width(self.stream)
        line = render_status(status, now=time.monotonic(), width=width)
        padding = " " * max(0, self._shown - len(line))
        self._write("\r" + line + padding)
        self._shown = len(line)

    def clear(self) -> None:
        """Wipe the line if one is shown."""
        if self._shown:
            self._write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not stop the work
            self.enabled = False
