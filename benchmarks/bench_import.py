"""10. Import time: ``import cloud66_async`` vs ``import aiohttp``, in fresh interpreters.

Each sample is a fresh ``python -c`` that reads ``time.perf_counter()`` around the one import
statement and prints the seconds (interpreter start-up is not counted; ``-X importtime`` is not
used for the timing). The two imports alternate (A B A B ...) after a warm-up pair that fills the
OS's file cache and the ``__pycache__``. For information, one ``-X importtime`` run of each lists
the modules that ``import cloud66_async`` loads beyond what ``import aiohttp`` loads, the slowest
first (cumulative microseconds, as ``-X importtime`` reports them). Target: the SDK's import
<= 1.05x aiohttp's (the SDK imports aiohttp, so 1.0 is the floor).
"""

from __future__ import annotations

import subprocess
import sys

from _harness import Row, bench_main, median, spread

TARGET = 1.05
TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    """Seconds ``import module`` takes in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(module=module)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def import_tree(module: str) -> dict[str, tuple[int, int]]:
    """``-X importtime``'s view: {module: (self us, cumulative us)} for ``import module``."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
    )
    tree = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = line[len("import time:") :].split("|")
        try:
            own, cumulative = int(fields[0]), int(fields[1])
        except ValueError:
            continue  # the header line
        tree[fields[2].strip()] = (own, cumulative)
    return tree


async def run(quick: bool) -> list[Row]:
    rounds = 5 if quick else 11
    samples: dict[str, list[float]] = {"cloud66_async": [], "aiohttp": []}
    for module in samples:  # warm-up: file cache and __pycache__
        import_seconds(module)
    for r in range(rounds):
        order = list(samples) if r % 2 == 0 else list(reversed(samples))
        for module in order:
            samples[module].append(import_seconds(module))
    sdk, base = samples["cloud66_async"], samples["aiohttp"]
    ratio = median(sdk) / median(base)
    per_round = [x / y for x, y in zip(sdk, base, strict=True)]

    sdk_tree, base_tree = import_tree("cloud66_async"), import_tree("aiohttp")
    extra = sorted(
        ((name, cum) for name, (_, cum) in sdk_tree.items() if name not in base_tree),
        key=lambda item: -item[1],
    )
    top = [name for name, _ in extra if name.split(".")[0] != "cloud66_async"][:12]
    own = [name for name, _ in extra if name.split(".")[0] == "cloud66_async"][:8]
    notes = [
        f"{rounds} pairs of fresh interpreters, ABAB: cloud66_async {median(sdk) * 1e3:.1f} ms "
        f"({spread([x * 1e3 for x in sdk])}), aiohttp {median(base) * 1e3:.1f} ms "
        f"({spread([x * 1e3 for x in base])}); SDK - aiohttp "
        f"{(median(sdk) - median(base)) * 1e3:+.1f} ms",
        f"-X importtime, one run: {len(extra)} modules beyond aiohttp's; the slowest outside "
        "the package (cumulative us): "
        + ", ".join(f"{name} {sdk_tree[name][1]:,}" for name in top),
        "the package's own, slowest first (cumulative us): "
        + ", ".join(f"{name} {sdk_tree[name][1]:,}" for name in own),
    ]
    return [
        Row(
            "10",
            "import time, import cloud66_async vs import aiohttp (ms, fresh interpreters)",
            median(sdk) * 1e3,
            median(base) * 1e3,
            "ms",
            ratio,
            f"<= {TARGET}",
            ratio <= TARGET,
            notes,
            f"per round {median(per_round):.3f} [{min(per_round):.3f}..{max(per_round):.3f}]",
        )
    ]


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
