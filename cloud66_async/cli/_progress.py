"""A live progress display on stderr (rich), shown only when stderr is a terminal.

One line per piece of work (``label  state  done/total  elapsed``, with a bar when the total is
known), redrawn by rich a few times a second so the elapsed time keeps moving between polls,
and wiped when the work ends. When the display is off nothing is written at all.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import (
    Progress as RichProgress,
)
from rich.text import Text

from ..models import Action, Deployment
from ._output import action_state, deployment_state, printable

__all__ = ["Progress", "Status", "render_status"]


class Status:
    """What the progress line shows; callers update it and the display redraws it."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        on_change: Callable[[Status], None] | None = None,
    ) -> None:
        self.started = time.monotonic()
        self._label = printable(label)
        self._state = ""
        self._done: int | None = None
        self._total = total
        self._on_change = on_change

    def _changed(self) -> None:
        self._state = printable(self._state)
        self._label = printable(self._label)
        if self._on_change is not None:
            self._on_change(self)

    @property
    def label(self) -> str:
        """What is being done (``waiting for restart 12``)."""
        return self._label

    @property
    def state(self) -> str:
        """Where the work is (``page 2/5``, ``action 12 running``)."""
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        self._state = value
        self._changed()

    @property
    def done(self) -> int | None:
        """Items done so far, if counted."""
        return self._done

    @done.setter
    def done(self, value: int | None) -> None:
        self._done = value
        self._changed()

    @property
    def total(self) -> int | None:
        """Items in all, when known."""
        return self._total

    @total.setter
    def total(self, value: int | None) -> None:
        self._total = value
        self._changed()

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


def render_status(status: Status, *, now: float) -> str:
    """Return the progress text for ``status`` (what the live line shows, without the bar)."""
    parts = [status.label]
    if status.state:
        parts.append(status.state)
    if status.done is not None:
        parts.append(
            f"{status.done}/{status.total}" if status.total is not None else f"{status.done}"
        )
    parts.append(f"{max(0.0, now - status.started):.1f}s")
    return "  ".join(parts)


class _Count(ProgressColumn):
    """``done/total``, or ``done`` while the total is unknown, or nothing before any count."""

    def render(self, task: Task) -> Text:
        status: Status = task.fields["status"]
        if status.done is None:
            return Text("")
        if status.total is None:
            return Text(str(status.done))
        return Text(f"{status.done}/{status.total}")


class Progress:
    """Draws :class:`Status` lines on ``console`` while ``enabled``; otherwise does nothing."""

    def __init__(self, console: Console, *, enabled: bool, refresh_per_second: float = 10) -> None:
        self.console = console
        self.enabled = enabled
        self.refresh_per_second = refresh_per_second

    @classmethod
    def for_console(cls, console: Console, *, disabled: bool = False) -> Progress:
        """A display on ``console``, enabled only when it is a terminal and not ``disabled``."""
        return cls(console, enabled=not disabled and console.is_terminal)

    @contextlib.asynccontextmanager
    async def track(self, label: str, *, total: int | None = None) -> AsyncIterator[Status]:
        """Show a live line for the work done inside the ``async with``; wipe it at the end."""
        if not self.enabled:
            yield Status(label, total=total)
            return
        display = RichProgress(
            SpinnerColumn(),
            # Never markup: labels and states carry server text (action names, outcomes).
            TextColumn("{task.description}", markup=False),
            TextColumn("{task.fields[status].state}", markup=False),
            BarColumn(bar_width=20),
            _Count(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            refresh_per_second=self.refresh_per_second,
        )

        def update(status: Status) -> None:
            display.update(
                task_id,
                completed=status.done or 0,
                total=status.total,
                description=status.label,
            )

        status = Status(label, total=total)
        with display:
            task_id = display.add_task(status.label, total=total, status=status)
            status._on_change = update
            yield status
