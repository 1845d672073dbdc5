"""Child processes that Ctrl-C reaches, however the test run itself was started.

A shell without job control (a script, ``sh -c``, CI) starts a background command with SIGINT
and SIGQUIT ignored (POSIX, "asynchronous lists"), and an ignored signal stays ignored across
``fork`` and ``exec``. Python started that way installs no ``KeyboardInterrupt`` handler, so
``asyncio.run`` installs no handler that cancels the main task either: a child of a suite run
as ``(pytest ... &)`` never hears the SIGINT a test sends it. A user pressing Ctrl-C in a
terminal runs the program with SIGINT at its default action, so that is what the children the
tests interrupt get, whatever the test process inherited.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

__all__ = ["ignoring_sigint", "sigint_as_in_a_terminal"]


def sigint_as_in_a_terminal() -> None:
    """Give SIGINT its default action in a child (a ``preexec_fn``, run between fork and exec)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def ignoring_sigint() -> Iterator[None]:
    """Ignore SIGINT in this (the test) process inside the block, as a background run does.

    Children started inside the block inherit the ignored SIGINT unless they reset it; tests
    that interrupt a child start it in here, so they prove it hears Ctrl-C in any case.
    """
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
