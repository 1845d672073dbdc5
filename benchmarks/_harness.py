"""What every benchmark shares: the fake's server process, ABAB timing, medians, result rows.

Each ``bench_*.py`` script runs alone (``python benchmarks/bench_pagination.py [--quick]``) and
prints its medians and ratio; ``run_all.py`` runs each in its own process with ``--json FILE``
and collects the rows into one table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _peer_sdk import PeerClient

HERE = Path(__file__).resolve().parent
SERVER_SCRIPT = HERE / "_server.py"
CHEAP_SERVER_SCRIPT = HERE / "_cheap_server.py"


# -- the server process ------------------------------------------------------------------------


class _Child:
    """A helper process that prints one JSON line when ready, then answers JSON lines on stdin."""

    def __init__(self, script: Path, options: dict[str, Any]) -> None:
        self.argv = [sys.executable, str(script)]
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
        self.ready: dict[str, Any] = {}
        self.startup_seconds = 0.0

    def _start(self) -> None:
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
            raise RuntimeError(
                f"{self.argv[1]} exited before it was ready ({self.proc.returncode})"
            )
        self.ready = json.loads(line)
        self.startup_seconds = time.perf_counter() - started

    def call(self, cmd: str, **args: Any) -> Any:
        """Send one control command; return its JSON answer (raise on an error answer)."""
        proc = self.proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the server process died during {cmd!r}")
        answer = json.loads(line)
        if isinstance(answer, dict) and "error" in answer:
            raise RuntimeError(f"server command {cmd!r} failed: {answer['error']}")
        return answer

    def _stop(self) -> None:
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


class Server(_Child):
    """A FakeCloud66 in its own process (``_server.py``), with a line-based control channel.

    >>> with Server(stacks=1, servers_per_stack=6000) as server:   # doctest: +SKIP
    ...     server.base_url, server.token, server.stack_uids[0]
    ...     server.call("clear_log")
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(SERVER_SCRIPT, options)
        self.base_url = ""
        self.token = ""
        self.stack_uids: list[str] = []

    def __enter__(self) -> Server:
        self._start()
        self.base_url = self.ready["base_url"]
        self.token = self.ready["token"]
        self.stack_uids = self.ready["stack_uids"]
        return self

    def log(self) -> list[LogRow]:
        """The fake's request log, in arrival order."""
        return [LogRow(*row) for row in self.call("log")["log"]]

    def __exit__(self, *exc_info: object) -> None:
        self._stop()


class CheapServer(_Child):
    """The near-free benchmark server (``_cheap_server.py``) in its own process.

    >>> with CheapServer(pages=200) as server:                      # doctest: +SKIP
    ...     server.base_url, server.stack_uid, server.stats()
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(CHEAP_SERVER_SCRIPT, options)
        self.base_url = ""
        self.token = ""
        self.stack_uid = ""
        self.pages = 0
        self.per_page = 0

    def __enter__(self) -> CheapServer:
        self._start()
        self.base_url = self.ready["base_url"]
        self.token = self.ready["token"]
        self.stack_uid = self.ready["stack_uid"]
        self.pages = self.ready["pages"]
        self.per_page = self.ready["per_page"]
        return self

    def stats(self) -> ServerStats:
        """What the server has done so far: requests, connections accepted, CPU seconds."""
        answer = self.call("stats")
        return ServerStats(int(answer["requests"]), int(answer["connections"]), answer["cpu"])

    def cpu_split(self) -> tuple[float, float]:
        """The server process's (user, kernel) CPU seconds so far."""
        answer = self.call("stats")
        return float(answer["user"]), float(answer["system"])

    def describe(self) -> str:
        """One line on what served the benchmark."""
        r = self.ready
        return (
            f"cheap server ({r['impl']} on {r['loop']}, own process): {r['pages']} pages of "
            f"{r['per_page']} servers, {r['page_bytes']:,} bytes a page, stack {r['stack_bytes']} "
            "bytes"
        )

    def __exit__(self, *exc_info: object) -> None:
        self._stop()


@dataclass(frozen=True)
class ServerStats:
    """The cheap server's counters (since it started) and its process's CPU seconds."""

    requests: int
    connections: int
    cpu: float


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


@dataclass
class Pass:
    """One timed pass of one side: wall and CPU seconds of this process, and the server's."""

    wall: float
    cpu: float
    server_cpu: float | None = None
    server_requests: int | None = None
    server_connections: int | None = None


async def alternate(
    sides: Mapping[str, Callable[[], Awaitable[object]]],
    *,
    rounds: int,
    max_rounds: int | None = None,
    budget: float = 0.0,
    warmup: int = 1,
    server: CheapServer | None = None,
) -> dict[str, list[Pass]]:
    """Run every side once a round, for ``rounds`` rounds (more up to ``max_rounds`` while the
    timed passes have taken less than ``budget`` seconds), after ``warmup`` untimed rounds.

    The order turns each round (A B C, B C A, C A B, ...), so no side always runs first, right
    after another's garbage. Each pass is timed in wall time (``perf_counter``) and in this
    process's CPU time (``process_time``, all threads): the server runs in another process, so
    the CPU time is the client's own cost whatever the server and the machine's other jobs do.
    With ``server``, the server's CPU seconds and request count over the pass are read too
    (outside the timed span). Garbage is collected before every pass.
    """
    names = list(sides)
    out: dict[str, list[Pass]] = {name: [] for name in names}
    for _ in range(warmup):
        for fn in sides.values():
            await fn()
    limit = max(rounds, max_rounds or rounds)
    spent = 0.0
    done = 0
    while done < rounds or (done < limit and spent < budget):
        shift = done % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            before = server.stats() if server is not None else None
            wall0, cpu0 = time.perf_counter(), time.process_time()
            await sides[name]()
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
            spent += wall
            sample = Pass(wall, cpu)
            if server is not None and before is not None:
                after = server.stats()
                sample.server_requests = after.requests - before.requests
                sample.server_connections = after.connections - before.connections
                sample.server_cpu = after.cpu - before.cpu
            out[name].append(sample)
        done += 1
    return out


def walls(passes: Sequence[Pass]) -> list[float]:
    return [p.wall for p in passes]


def cpus(passes: Sequence[Pass]) -> list[float]:
    return [p.cpu for p in passes]


@dataclass(frozen=True)
class Comparison:
    """Side A against side B over the same rounds, as rates (higher is better)."""

    a: float  # A's median, in the unit given
    b: float
    ratio: float  # a / b: the ratio of medians
    round_median: float  # the median of the per-round ratios
    round_min: float
    round_max: float

    def spread(self) -> str:
        """The per-round ratios: median [min..max]."""
        return f"per round {self.round_median:.3f} [{self.round_min:.3f}..{self.round_max:.3f}]"


def compare_rates(
    a: Sequence[float], b: Sequence[float], work: float, work_b: float | None = None
) -> Comparison:
    """A's rate against B's, from seconds per pass (``work`` units per pass; ``work_b`` for B
    when its passes do a different amount)."""
    wb = work if work_b is None else work_b
    per_round = [(work / x) / (wb / y) for x, y in zip(a, b, strict=True)]
    rate_a, rate_b = work / median(a), wb / median(b)
    return Comparison(
        rate_a, rate_b, rate_a / rate_b, median(per_round), min(per_round), max(per_round)
    )


def us_per(seconds: Sequence[float], count: int) -> list[float]:
    """Seconds per pass -> microseconds per unit."""
    return [s / count * 1e6 for s in seconds]


def difference_note(a: Sequence[float], b: Sequence[float], unit: str = "us") -> str:
    """The per-round differences a - b: median [min..max]."""
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    return f"per round {median(diffs):+.1f} [{min(diffs):+.1f}..{max(diffs):+.1f}] {unit}"


def side_note(name: str, passes: Sequence[Pass], count: int, unit: str = "request") -> str:
    """A side's wall and CPU microseconds per unit (median and min..max), and the server's."""
    wall, cpu = us_per(walls(passes), count), us_per(cpus(passes), count)
    text = (
        f"{name}: wall {median(wall):.1f} us/{unit} ({spread(wall)}), "
        f"client CPU {median(cpu):.1f} us/{unit} ({spread(cpu)})"
    )
    per = [
        p.server_cpu / p.server_requests * 1e6
        for p in passes
        if p.server_cpu is not None and p.server_requests
    ]
    if per:
        opened = sum(p.server_connections or 0 for p in passes)
        text += f", server CPU {median(per):.1f} us/request, {opened} connections opened"
    return text


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
    spread: str = ""  # the per-round spread of the compared figure (see Comparison.spread)


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
            + f", ratio {fmt(row.ratio, 3)}"
            + (f" ({row.spread})" if row.spread else "")
            + f" (target {row.target}) -> {met}"
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
    for name in ("pydantic", "httpx", "uvloop"):
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


PEER_MISSING = (
    "the peer SDK is left out: httpx or pydantic is not installed (tox -e bench has them)"
)


def peer_installed() -> bool:
    """Whether the peer SDK (``_peer_sdk.py``: httpx + pydantic) can run here."""
    return all(importlib.util.find_spec(name) is not None for name in ("httpx", "pydantic"))


async def open_peer(
    stack: contextlib.AsyncExitStack, token: str, base_url: str, headers: dict[str, str]
) -> PeerClient | None:
    """The peer SDK's client, closed with ``stack``; ``None`` when httpx or pydantic is missing
    (the benchmarks then leave the peer's side out and say so)."""
    if not peer_installed():
        return None
    from _peer_sdk import PeerClient

    return await stack.enter_async_context(PeerClient(token, base_url, headers))


async def sdk_headers(base_url: str, token: str) -> dict[str, str]:
    """The headers the SDK sends on a GET, as aiohttp saw them (minus its ``Request-Id``).

    Captured through the client's public ``trace_configs``, so the raw baselines send what the
    SDK sends (``Authorization``, ``Accept``, ``User-Agent``, ...) whatever its internals are;
    the baselines add a fresh ``Request-Id`` per request, as the SDK does.
    """
    import aiohttp

    from cloud66_async import Client, Cloud66Error

    seen: list[dict[str, str]] = []

    async def on_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        seen.append(dict(params.headers))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with Client(token, base_url=base_url, rate_limit=None, trace_configs=[trace]) as client:
        with contextlib.suppress(Cloud66Error):  # the headers were sent all the same
            await client.request("GET", "/stacks", params={"page": 1})
    if not seen:
        raise RuntimeError("the SDK sent no request to capture its headers from")
    headers = seen[0]
    for key in [k for k in headers if k.lower() == "request-id"]:
        del headers[key]
    return headers
