"""``cloud66-async``: the Cloud 66 API v3 from the command line.

``main()`` is the console script's entry point (``python -m cloud66_async`` calls it too)::

    cloud66-async stacks list
    cloud66-async env set "Awesome App" LOG_LEVEL debug --wait --yes
    cloud66-async --json redeploy "Awesome App" --wait
    cloud66-async demo

The command line needs the ``cli`` extra (``pip install "cloud66_async[cli]"``: rich and
argcomplete); without it, ``main()`` says so and returns 2. Exit codes are the ``EXIT_*``
constants (also listed by ``cloud66-async --help``).
"""

from __future__ import annotations

import importlib
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
    "REQUIREMENTS",
    "main",
    "missing_requirements",
]

#: The modules the command line needs beyond the SDK: the ``cli`` extra.
REQUIREMENTS = ("rich", "argcomplete")


def missing_requirements() -> list[str]:
    """Return the command line's dependencies that cannot be imported."""
    missing = []
    for name in REQUIREMENTS:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def main(argv: list[str] | None = None) -> int:
    """Run ``cloud66-async`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Results are printed on stdout (tables, ids with ``-q``, or one JSON document with
    ``--json``); errors, as one ``error: ...`` line, and the progress display go to stderr.
    """
    missing = missing_requirements()
    if missing:
        sys.stderr.write(
            f"error: the cloud66-async command line needs {' and '.join(missing)}, "
            "which are not installed; install them with:\n"
            '  pip install "cloud66_async[cli]"\n'
        )
        sys.stderr.flush()
        return EXIT_USAGE
    from ._app import run

    return run(argv, stdout=sys.stdout, stderr=sys.stderr)
