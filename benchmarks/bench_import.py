"""10. Import time: ``import cloud66_async`` vs ``import aiohttp``, in fresh interpreters.

Each sample is a fresh ``python -c`` that reads ``time.perf_counter()`` around the statement and
prints the seconds (interpreter start-up is not counted; ``-X importtime`` is not used for the
timing). The sides take turns going first in each round, after a warm-up that fills the OS's file
cache and the ``__pycache__``: the children run without ``PYTHONDONTWRITEBYTECODE``, so the SDK's
modules are read from bytecode as in an installed copy (pip compiles them when it installs) rather
than compiled from source at every import, as aiohttp's already are. For information, one ``-X
importtime`` run of each lists the modules that ``import cloud66_async`` loads beyond what ``import
aiohttp`` loads, the slowest first (cumulative microseconds, as ``-X importtime`` reports them).
Target: the SDK's import <= 1.05x aiohttp's (the SDK imports aiohttp, so 1.0 is the floor).

A note gives the SDK's own share with less noise: ``import cloud66_async`` timed alone in an
interpreter that has imported aiohttp already, against what the target allows.

Row 10f, for information, times the first use as well: the import, then ``Client(...)``, the
``client.stacks`` manager and the ``Stack`` model, which load what the import defers (the
resource managers and the models), against the same ``import aiohttp``. Row 10g adds the first
real request: ``await client.stacks.get(uid)`` in ``asyncio.run``, against the cheap server
(``_cheap_server.py``, the blueprint's stack) in its own process; its notes split the child's
time into the import and ``Client(...)``, the first ``client.stacks``, the first get and a second
get (which loads nothing: what every later request costs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

from _harness import CheapServer, Row, bench_main, median, spread

TARGET = 1.05
TIMER = "{setup}import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
FIRST_USE = (
    "import cloud66_async; "
    "client = cloud66_async.Client('t', base_url='http://127.0.0.1:9/api/3', _env={}); "
    "client.stacks; from cloud66_async.models import Stack"
)
# The first request (row 10g). Prints [import to first answer, import + Client, client.stacks,
# first get, second get] in seconds.
FIRST_REQUEST = """
import time
t0 = time.perf_counter()
import asyncio, json
import cloud66_async
client = cloud66_async.Client({token!r}, base_url={base_url!r}, _env={{}})
t1 = time.perf_counter()
stacks = client.stacks
t2 = time.perf_counter()

async def main():
    async with client:
        a = time.perf_counter()
        await stacks.get({uid!r})
        b = time.perf_counter()
        await stacks.get({uid!r})
        return a, b, time.perf_counter()

a, b, c = asyncio.run(main())
print(json.dumps([b - t0, t1 - t0, t2 - t1, b - a, c - b]))
"""
# Bytecode as an installed copy has it: with PYTHONDONTWRITEBYTECODE set (some shells and CI
# images set it) every sample would compile the checkout's modules from source, ~80 ms that no
# pip-installed user pays, while aiohttp's bytecode was written when it was installed.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_seconds(statement: str, setup: str = "") -> float:
    """Seconds ``statement`` (``import module``, say) takes in a fresh interpreter, after
    ``setup`` (untimed)."""
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(setup=setup, statement=statement)],
        check=True,
        capture_output=True,
        text=True,
        env=CHILD_ENV,
    )
    return float(out.stdout.strip().splitlines()[-1])


def first_request_seconds(code: str) -> list[float]:
    """Row 10g's parts, from one fresh interpreter running ``code`` (:data:`FIRST_REQUEST`)."""
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=CHILD_ENV
    )
    parts: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
    return parts


def ms(values: list[float]) -> str:
    """A median in milliseconds, with its spread."""
    return f"{median(values) * 1e3:.2f} ms ({spread([x * 1e3 for x in values])})"


def import_tree(module: str) -> dict[str, tuple[int, int]]:
    """``-X importtime``'s view: {module: (self us, cumulative us)} for ``import module``."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
        env=CHILD_ENV,
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
    # (setup, statement). "own": the SDK's own share, with less noise than the difference of two
    # medians: aiohttp is imported first, untimed, then cloud66_async alone is timed.
    statements = {
        "sdk": ("", "import cloud66_async"),
        "first": ("", FIRST_USE),
        "aiohttp": ("", "import aiohttp"),
        "own": ("import aiohttp; ", "import cloud66_async"),
    }
    with CheapServer(pages=1) as server:
        code = FIRST_REQUEST.format(
            token=server.token, base_url=server.base_url, uid=server.stack_uid
        )
        parts: list[list[float]] = []  # row 10g's, one list a round

        def request() -> float:
            parts.append(first_request_seconds(code))
            return parts[-1][0]

        samplers: dict[str, Callable[[], float]] = {
            side: (lambda s=setup, t=statement: import_seconds(t, s))
            for side, (setup, statement) in statements.items()
        }
        samplers["request"] = request
        samples: dict[str, list[float]] = {side: [] for side in samplers}
        for sample in samplers.values():  # warm-up: file cache and __pycache__
            sample()
        parts.clear()
        sides = list(samplers)
        for r in range(rounds):
            order = sides[r % len(sides) :] + sides[: r % len(sides)]  # each side first in turn
            for side in order:
                samples[side].append(samplers[side]())
    sdk, first, base, alone = (samples[side] for side in ("sdk", "first", "aiohttp", "own"))
    request_total = samples["request"]
    request_per_round = [x / y for x, y in zip(request_total, base, strict=True)]
    _, client_made, manager, first_get, second_get = (list(c) for c in zip(*parts, strict=True))
    ratio = median(sdk) / median(base)
    per_round = [x / y for x, y in zip(sdk, base, strict=True)]
    first_per_round = [x / y for x, y in zip(first, base, strict=True)]

    sdk_tree, base_tree = import_tree("cloud66_async"), import_tree("aiohttp")
    extra = sorted(
        ((name, cum) for name, (_, cum) in sdk_tree.items() if name not in base_tree),
        key=lambda item: -item[1],
    )
    top = [name for name, _ in extra if name.split(".")[0] != "cloud66_async"][:12]
    own = [name for name, _ in extra if name.split(".")[0] == "cloud66_async"][:8]
    notes = [
        f"{rounds} rounds of fresh interpreters, sides rotated: cloud66_async "
        f"{median(sdk) * 1e3:.1f} ms ({spread([x * 1e3 for x in sdk])}), aiohttp "
        f"{median(base) * 1e3:.1f} ms ({spread([x * 1e3 for x in base])}); SDK - aiohttp "
        f"{(median(sdk) - median(base)) * 1e3:+.1f} ms",
        f"the SDK's own share, import cloud66_async after import aiohttp in the same interpreter: "
        f"{median(alone) * 1e3:.1f} ms ({spread([x * 1e3 for x in alone])}); the target allows "
        f"{(TARGET - 1) * median(base) * 1e3:.1f} ms ({TARGET - 1:.0%} of aiohttp's median)",
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
        ),
        Row(
            "10f",
            "first use: import, Client(...), client.stacks, models.Stack vs import aiohttp (ms)",
            median(first) * 1e3,
            median(base) * 1e3,
            "ms",
            median(first) / median(base),
            "-",
            None,
            [
                f"first use {median(first) * 1e3:.1f} ms ({spread([x * 1e3 for x in first])}); "
                f"first use - import cloud66_async {(median(first) - median(sdk)) * 1e3:+.1f} ms"
            ],
            f"per round {median(first_per_round):.3f} "
            f"[{min(first_per_round):.3f}..{max(first_per_round):.3f}]",
        ),
        Row(
            "10g",
            "first request: import, Client(...), client.stacks, first stacks.get (cheap server) "
            "vs import aiohttp (ms)",
            median(request_total) * 1e3,
            median(base) * 1e3,
            "ms",
            median(request_total) / median(base),
            "-",
            None,
            [
                f"import to first answer {ms(request_total)}; first request - first use "
                f"{(median(request_total) - median(first)) * 1e3:+.1f} ms",
                f"split, same children: import + Client(...) {ms(client_made)}, first "
                f"client.stacks {ms(manager)}, first get {ms(first_get)}, second get "
                f"{ms(second_get)}",
            ],
            f"per round {median(request_per_round):.3f} "
            f"[{min(request_per_round):.3f}..{max(request_per_round):.3f}]",
        ),
    ]


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
