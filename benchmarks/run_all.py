"""Run the side-by-side benchmarks and print one summary table.

    python benchmarks/run_all.py                 # all of them, about 4-5 minutes
    python benchmarks/run_all.py --quick         # a smoke run (small sizes, few rounds)
    python benchmarks/run_all.py --only 8 --only 9 --json results.json

Three kinds: *client cost* (0, 1, 8, 9, 10: against ``_cheap_server.py``, a server in its own
process answering from prebuilt bytes, so the client's own work is what differs), *in-process*
(2: decoding, no server), and *end-to-end* (3-7 and 11: against ``FakeCloud66`` in its own
process, with its latency, rate limits and actions; 11 with worker processes sharing a Redis
store). Each benchmark runs in its own process (so one
cannot skew another's memory or event loop) and prints its own medians and notes; this script
collects the rows into one table. It exits 0 when targets are missed (the table is a report) and
1 when a benchmark crashed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import HERE, fmt, machine

# key -> (script, kind)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "0": ("bench_server.py", "client cost"),
    "1": ("bench_pagination.py", "client cost"),
    "8": ("bench_requests.py", "client cost"),
    "9": ("bench_inflight.py", "client cost"),
    "10": ("bench_import.py", "client cost"),
    "2": ("bench_decoding.py", "in-process"),
    "3": ("bench_fanout.py", "end-to-end"),
    "4": ("bench_prefetch.py", "end-to-end"),
    "5": ("bench_memory.py", "end-to-end"),
    "6": ("bench_throttle.py", "end-to-end"),
    "7": ("bench_polling.py", "end-to-end"),
    "11": ("bench_shared_budget.py", "end-to-end"),
}
LIMIT_SECONDS = 60.0


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The summary as a Markdown table."""
    out = [
        "| # | kind | benchmark | SDK median | baseline median | ratio | spread | target | met? |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        met = {True: "yes", False: "**no**", None: "(info)"}[row["met"]]
        unit = row["unit"]
        baseline = row["baseline"]
        out.append(
            f"| {row['bench']} | {row['kind']} | {row['name']} | {fmt(row['sdk'])} {unit} | "
            f"{fmt(baseline)}{f' {unit}' if baseline is not None else ''} | "
            f"{fmt(row['ratio'], 3)} | {row.get('spread') or '-'} | {row['target']} | {met} |"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write the rows and the machine here")
    options = parser.parse_args()
    chosen = [key for key in BENCHMARKS if options.only is None or key in options.only]

    info = machine()
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"{info['platform']}; aiohttp {info['aiohttp']}, msgspec {info['msgspec']}, "
        f"pydantic {info['pydantic']}, httpx {info['httpx']}, uvloop {info['uvloop']}"
        + ("  [--quick: smoke sizes, not comparable]" if options.quick else "")
    )
    rows: list[dict[str, Any]] = []
    crashed: list[str] = []
    durations: dict[str, float] = {}
    started_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for key in chosen:
            script, kind = BENCHMARKS[key]
            out = Path(tmp) / f"{key}.json"
            command = [sys.executable, str(HERE / script), "--json", str(out)]
            if options.quick:
                command.append("--quick")
            print(f"\n== {key} ({kind}): {script}", flush=True)
            started = time.perf_counter()
            done = subprocess.run(command, check=False)
            durations[key] = time.perf_counter() - started
            if done.returncode != 0 or not out.exists():
                crashed.append(key)
                print(f"!! benchmark {key} crashed (exit status {done.returncode})", flush=True)
                continue
            rows.extend({**row, "kind": kind} for row in json.loads(out.read_text()))

    print()
    print("\n".join(table(rows)))
    for key in crashed:
        print(f"| {key} | {BENCHMARKS[key][1]} | {BENCHMARKS[key][0]} | crashed | | | | | |")
    slow = {k: v for k, v in durations.items() if v > LIMIT_SECONDS}
    total = time.perf_counter() - started_all
    print(
        f"\nseconds per benchmark: {', '.join(f'{k}: {v:.0f}' for k, v in durations.items())}"
        f"; in all {total:.0f}"
        + (f"  (over {LIMIT_SECONDS:.0f}s: {', '.join(slow)})" if slow else "")
    )
    if options.json is not None:
        options.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "quick": options.quick,
                    "rows": rows,
                    "crashed": crashed,
                    "seconds": durations,
                },
                indent=1,
            )
        )
    if crashed:
        print(f"crashed: {', '.join(crashed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
