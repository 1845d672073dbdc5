"""What every benchmark shares: the fake's server process, ABAB timing, medians, result rows.

Each ``bench_*.py`` script runs alone (``python benchmarks/bench_pagination.py [--quick]``) and
prints its medians and ratio; ``run_all.py`` runs each in its own process with ``--json FILE``
and collects the rows into one table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SERVER_SCRIPT = HERE / "_server.py"


# -- the server process ------------------------------------------------------------------------


class Server:
    """A FakeCloud66 in its own process (``_server.py``), with a line-based control channel.

    >>> with Server(stacks=1, servers_per_stack=6000) as server:   # doctest: +SKIP
    ...     server.base_url, server.token, server.stack_uids[0]
    ...     server.call("clear_log")
    """

    def __init__(self, **options: Any) -> None:
        self.argv = [sys.executable, str(SERVER_SCRIPT)]
        for key, value in options.items():
            flag = "--" + key.replace("_", "-")
            if value is None or value is False:
                continue
            if value is True:
                self.argv.append(flag)
            elif isinstance(value, (list, tuple)):
                self.argv += [flag, *map(str, value)]
            else:
                self.argv += [flag, str(value)]
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.token = ""
        self.stack_uids: list[str] = []
        self.startup_seconds = 0.0

    def __enter__(self) -> Server:
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(10)
            raise RuntimeError(f"the fake's server process exited ({self.proc.returncode})")
        ready = json.loads(line)
        self.base_url = ready["base_url"]
        self.token = ready["token"]
        self.stack_uids = ready["stack_uids"]
        self.startup_seconds = time.perf_counter() - started
        return self

    def call(self, cmd: str, **args: Any) -> Any:
        """Send one control command; return its JSON answer (raise on an error answer)."""
        proc = self.proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fake's server process died during {cmd!r}")
        answer = json.loads(line)
        if isinstance(answer, dict) and "error" in answer:
            raise RuntimeError(f"server command {cmd!r} failed: {answer['error']}")
        return answer

    def log(self) -> list[LogRow]:
        """The fake's request log, in arrival order."""
        return [LogRow(*row) for row in self.call("log")["log"]]

    def __exit__(self, *exc_info: object) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                proc.stdin.flush()
                proc.stdin.close()
            proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


@dataclass(frozen=True)
class LogRow:
    """One request as the fake logged it (``time`` is the server's ``time.monotonic()``)."""

    time: float
    method: str
    path: str
    page: str | None
    status: int | None
    request_id: str | None
    fault: str | None


# -- timing --------------------------------------------------------------------------------------


async def abab(
    sides: dict[str, Callable[[], Awaitable[float | None]]],
    *,
    reps: int,
    warmup: int = 1,
    max_reps: int | None = None,
    budget: float = 0.0,
) -> dict[str, list[float]]:
    """Run the sides alternately (A B A B ...) after ``warmup`` untimed rounds.

    At least ``reps`` timed rounds; then more, up to ``max_reps``, while the timed rounds have
    taken less than ``budget`` seconds (more samples when the machine is quick, a bounded run
    when it is slow). Each side returns its own measured seconds (or ``None`` to be timed here
    as a whole). Alternating within one run spreads the machine's noise over all sides alike.
    """
    times: dict[str, list[float]] = {name: [] for name in sides}
    limit = max(reps, max_reps or reps)
    spent = 0.0
    for _ in range(warmup):
        for fn in sides.values():
            await fn()
    done = 0
    while done < reps or (done < limit and spent < budget):
        for name, fn in sides.items():
            started = time.perf_counter()
            measured = await fn()
            wall = time.perf_counter() - started
            spent += wall
            times[name].append(wall if measured is None else measured)
        done += 1
    return times


def paired_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """The median of the per-round ratios a[i] / b[i] (each pair ran back to back)."""
    return median([x / y for x, y in zip(a, b, strict=True)])


def sdk_vs_raw_notes(times: dict[str, list[float]], prefix: str = "") -> list[str]:
    """The detail lines of an SDK-vs-raw pass benchmark: medians, spreads, paired ratio."""
    sdk, raw = times["sdk"], times["raw"]
    return [
        f"{prefix}seconds per pass, {len(sdk)} rounds ABAB: SDK median {median(sdk):.3f} "
        f"({spread(sdk)}), raw median {median(raw):.3f} ({spread(raw)})",
        f"median of the per-round ratios (raw time / SDK time): {paired_ratio(raw, sdk):.3f}",
    ]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[float]) -> str:
    """``min..max`` of a sample, for the reader to judge the noise."""
    return f"{min(values):.4g}..{max(values):.4g}"


# -- results --------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the summary table."""

    bench: str
    name: str
    sdk: float | None
    baseline: float | None
    unit: str
    ratio: float | None
    target: str
    met: bool | None  # None: reported for information, no target
    notes: list[str] = field(default_factory=list)


def fmt(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def print_rows(rows: Sequence[Row]) -> None:
    for row in rows:
        met = {True: "MET", False: "MISSED", None: "info"}[row.met]
        print(
            f"  [{row.bench}] {row.name}: SDK {fmt(row.sdk)} {row.unit}, "
            f"baseline {fmt(row.baseline)} {row.unit if row.baseline is not None else ''}".rstrip()
            + f", ratio {fmt(row.ratio, 3)} (target {row.target}) -> {met}"
        )
        for note in row.notes:
            print(f"      {note}")


def bench_main(run: Callable[[bool], Coroutine[Any, Any, list[Row]]], description: str) -> None:
    """The command line of one benchmark script: ``[--quick] [--json FILE]``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (small sizes)")
    parser.add_argument("--json", type=Path, help="also write the result rows to this file")
    options = parser.parse_args()
    started = time.perf_counter()
    rows = asyncio.run(run(options.quick))
    print_rows(rows)
    print(f"  ({time.perf_counter() - started:.1f}s)")
    if options.json is not None:
        options.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))


def machine() -> dict[str, str]:
    """The machine the numbers come from."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import aiohttp
    import msgspec

    versions = {"aiohttp": aiohttp.__version__, "msgspec": msgspec.__version__}
    for name in ("pydantic", "orjson"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = "not installed"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


def raw_headers(token: str) -> dict[str, str]:
    """The headers the SDK sends on a GET (a fresh ``Request-Id`` is added per request)."""
    import aiohttp

    from cloud66_async import __version__
    from cloud66_async._sansio import user_agent

    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "User-Agent": user_agent(__version__, aiohttp.__version__),
    }
