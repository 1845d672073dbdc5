"""Running the command line in process against FakeCloud66 (shared by the CLI test files).

``run()`` has its own event loop, so each call goes through ``anyio.to_thread.run_sync`` while
the fake serves from the test's loop; every call checks the token never reached the output.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import anyio
import attrs

from cloud66_async.cli._app import run
from cloud66_async.testing import FakeCloud66

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class TTY(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@attrs.frozen
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error(self) -> str:
        """The one ``error:`` line (there must be exactly one)."""
        lines = [line for line in self.err.splitlines() if line.startswith("error: ")]
        assert len(lines) == 1, self.err
        assert "Traceback" not in self.err
        return lines[0]


async def call(
    argv: list[str],
    *,
    tty: bool = False,
    stdin: io.StringIO | None = None,
    seconds: float = 30,
    secret: str | None = None,
) -> Result:
    """Run the command line in a worker thread with its own streams."""
    stdout, stderr = io.StringIO(), (TTY() if tty else io.StringIO())
    with anyio.fail_after(seconds):
        code = await anyio.to_thread.run_sync(
            lambda: run(argv, stdout=stdout, stderr=stderr, stdin=stdin or io.StringIO()),
            abandon_on_cancel=True,
        )
    result = Result(code, stdout.getvalue(), stderr.getvalue())
    if secret is not None:
        assert secret not in result.out + result.err, "the token was printed"
    return result


async def invoke(
    fake: FakeCloud66,
    *args: str,
    tty: bool = False,
    stdin: io.StringIO | None = None,
    seconds: float = 30,
) -> Result:
    """Run ``cloud66-async --base-url ... --token ... *args`` against ``fake``."""
    argv = ["--base-url", fake.base_url, "--token", fake.token, *args]
    return await call(argv, tty=tty, stdin=stdin, seconds=seconds, secret=fake.token)


def writes_sent(fake: FakeCloud66, since: int = 0) -> list[tuple[str, str]]:
    """The requests that change state the fake received after ``since``."""
    return [(r.method, r.path) for r in fake.request_log[since:] if r.method in WRITES]
