"""Run the side-by-side benchmarks and print a summary table.

    python benchmarks/run_all.py             # all seven, about 3 minutes
    python benchmarks/run_all.py --quick     # a fast smoke run (small sizes, few repetitions)
    python benchmarks/run_all.py --only 2 --only 6

Each benchmark runs in its own process (so one cannot skew another's memory or event loop) and
prints its own medians; this script collects them into one table. It exits 0 when targets are
missed (the table is a report) and 1 when a benchmark crashed.
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

BENCHMARKS = {
    "1": "bench_pagination.py",
    "2": "bench_decoding.py",
    "3": "bench_fanout.py",
    "4": "bench_prefetch.py",
    "5": "bench_memory.py",
    "6": "bench_throttle.py",
    "7": "bench_polling.py",
}
LIMIT_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        help="run only this benchmark (repeatable)",
    )
    options = parser.parse_args()
    chosen = options.only or sorted(BENCHMARKS)

    info = machine()
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"{info['platform']}; aiohttp {info['aiohttp']}, msgspec {info['msgspec']}, "
        f"pydantic {info['pydantic']}, orjson {info['orjson']}"
        + ("  [--quick: smoke sizes, not comparable]" if options.quick else "")
    )
    rows: list[dict[str, Any]] = []
    crashed: list[str] = []
    durations: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key in chosen:
            script = BENCHMARKS[key]
            out = Path(tmp) / f"{key}.json"
            command = [sys.executable, str(HERE / script), "--json", str(out)]
            if options.quick:
                command.append("--quick")
            print(f"\n== {key}: {script}", flush=True)
            started = time.perf_counter()
            done = subprocess.run(command, check=False)
            durations[key] = time.perf_counter() - started
            if done.returncode != 0 or not out.exists():
                crashed.append(key)
                print(f"!! benchmark {key} crashed (exit status {done.returncode})", flush=True)
                continue
            rows.extend(json.loads(out.read_text()))

    print("\n| # | benchmark | SDK median | baseline median | ratio | target | met? |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        met = {True: "yes", False: "**no**", None: "(info)"}[row["met"]]
        unit = row["unit"]
        baseline = row["baseline"]
        print(
            f"| {row['bench']} | {row['name']} | {fmt(row['sdk'])} {unit} | "
            f"{fmt(baseline)}{f' {unit}' if baseline is not None else ''} | "
            f"{fmt(row['ratio'], 3)} | {row['target']} | {met} |"
        )
    for key in crashed:
        print(f"| {key} | {BENCHMARKS[key]} | crashed | | | | |")
    slow = {k: v for k, v in durations.items() if v > LIMIT_SECONDS}
    print(
        "\nseconds per benchmark: "
        + ", ".join(f"{k}: {v:.0f}" for k, v in durations.items())
        + (f"  (over {LIMIT_SECONDS:.0f}s: {', '.join(slow)})" if slow else "")
    )
    if crashed:
        print(f"crashed: {', '.join(crashed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
