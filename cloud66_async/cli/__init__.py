"""``cloud66-async``: the Cloud 66 API v3 from the command line.

``main()`` is the console script's entry point (``python -m cloud66_async`` calls it too)::

    cloud66-async stacks list
    cloud66-async env set STACK_UID LOG_LEVEL debug --wait
    cloud66-async --json redeploy STACK_UID --wait
    cloud66-async demo

Exit codes are the ``EXIT_*`` constants (also listed by ``cloud66-async --help``).
"""

from __future__ import annotations

import sys

from ._core import (
    EXIT_API_ERROR,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "main",
]


def main(argv: list[str] | None = None) -> int:
    """Run ``cloud66-async`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Results are printed on stdout (tables, or one JSON document with ``--json``); errors, as one
    ``error: ...`` line, and the progress display go to stderr.
    """
    from ._app import run

    return run(argv, stdout=sys.stdout, stderr=sys.stderr)
