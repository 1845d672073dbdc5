"""Soak: many requests through ``Client.fan_out`` against FakeCloud66 with random faults.

Every item must end as a value or a typed error, exactly once; the fake must see exactly the
requests the faults call for (one retry per 500, reset or throttle; none per 404); and traced
memory must stay flat between an early checkpoint and the end.

    python benchmarks/soak.py                       # 10,000 requests, 5% faulted, concurrency 20
    python benchmarks/soak.py --requests 50000 --concurrency 50 --no-tracemalloc

Prints the counts, the time, the rate and the memory; exits 1 when an invariant fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from cloud66_async import NotFoundError, RetryPolicy
from cloud66_async.models import Stack
from cloud66_async.testing import FakeCloud66, set_testing

# What each kind of fault costs: the extra requests the fake sees, and the outcome expected.
KINDS = {
    "500": (1, "value"),
    "reset_before": (1, "value"),
    "reset_during": (1, "value"),
    "throttled": (1, "value"),
    "404": (0, "NotFoundError"),
}


@dataclass
class Report:
    requests: int
    faulted: collections.Counter[str]
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    seen_by_fake: int = 0
    expected_by_fake: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong: list[str] = field(default_factory=list)
    seconds: float = 0.0
    memory_checkpoint: int | None = None
    memory_end: int | None = None
    memory_peak: int | None = None

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and not self.wrong
            and self.seen_by_fake == self.expected_by_fake
        )


def arm(fake: FakeCloud66, kind: str, path: str) -> None:
    """Inject one fault of ``kind`` for the next request to ``path``."""
    if kind == "500":
        fake.inject_fault("GET", path, "status", status=500, body={"error": "soak"})
    elif kind == "404":
        fake.inject_fault("GET", path, "status", status=404, body={"error": "not_found"})
    elif kind == "throttled":
        fake.inject_fault("GET", path, "throttled", headers={"Retry-After": "0.01"})
    else:
        fake.inject_fault("GET", path, kind)


async def soak(
    *,
    requests: int,
    concurrency: int,
    fault_rate: float,
    stacks: int,
    seed: int,
    checkpoint: int,
    trace: bool,
) -> Report:
    """Run the soak and return its report (the caller decides what to assert or print)."""
    rng = random.Random(seed)
    planned = rng.sample(range(requests), k=round(requests * fault_rate))
    plan = {item: rng.choice(sorted(KINDS)) for item in planned}
    report = Report(requests=requests, faulted=collections.Counter(plan.values()))
    report.expected_by_fake = requests + sum(KINDS[kind][0] for kind in plan.values())
    counts = bytearray(requests)  # outcomes per item, allocated before any measurement

    async with FakeCloud66(stacks=stacks, servers_per_stack=0) as fake:
        uids = fake.stack_uids
        # Items sharing a path are `stacks` apart, so never in flight together: the fault armed
        # for an item is met by that item's first attempt and by nothing else.
        assert stacks > concurrency * 10
        async with fake.client(
            rate_limit=None, max_concurrency=concurrency, retry=RetryPolicy(retries=2)
        ) as client:

            async def get(item: int) -> Stack:
                uid = uids[item % stacks]
                kind = plan.get(item)
                if kind is not None:
                    arm(fake, kind, f"/stacks/{uid}")
                return await client.stacks.get(uid)

            resume = asyncio.Event()

            async def items() -> AsyncIterator[int]:
                # Hold the items after the checkpoint back until it is measured, so that both
                # measurements see the same quiet state: nothing in flight, the pool idle.
                for item in range(requests):
                    if item == checkpoint:
                        await resume.wait()
                    yield item

            seen_by_fake = 0
            done = 0
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            async for outcome in client.fan_out(items(), get, concurrency=concurrency):
                item = outcome.item
                counts[item] += 1
                expected = KINDS[plan[item]][1] if item in plan else "value"
                if outcome.ok:
                    got = "value"
                    if not (
                        isinstance(outcome.value, Stack)
                        and outcome.value.uid == uids[item % stacks]
                    ):
                        report.wrong.append(f"item {item}: wrong value {outcome.value!r}")
                else:
                    got = type(outcome.error).__name__
                    if not isinstance(outcome.error, NotFoundError):
                        report.wrong.append(f"item {item}: {outcome.error!r}")
                if got != expected:
                    report.wrong.append(f"item {item}: expected {expected}, got {got}")
                report.outcomes[got] += 1
                done += 1
                if done % 500 == 0:
                    # The fake logs every request; count and drop them so only the SDK's memory
                    # (and the fake's working set) is measured.
                    seen_by_fake += len(fake.request_log)
                    fake.clear_log()
                if done == checkpoint:
                    if trace:
                        gc.collect()
                        report.memory_checkpoint = tracemalloc.get_traced_memory()[0]
                    resume.set()
            report.seconds = time.perf_counter() - started
            if trace:
                gc.collect()
                report.memory_end, report.memory_peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            report.seen_by_fake = seen_by_fake + len(fake.request_log)
    report.lost = counts.count(0)
    report.duplicated = sum(1 for c in counts if c > 1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--stacks", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=66)
    parser.add_argument("--checkpoint", type=int, default=2_000)
    parser.add_argument("--no-tracemalloc", dest="trace", action="store_false")
    args = parser.parse_args(argv)

    set_testing(True)  # instant backoff; Retry-After waits stay real
    report = asyncio.run(
        soak(
            requests=args.requests,
            concurrency=args.concurrency,
            fault_rate=args.fault_rate,
            stacks=args.stacks,
            seed=args.seed,
            checkpoint=args.checkpoint,
            trace=args.trace,
        )
    )
    rate = report.requests / report.seconds if report.seconds else 0.0
    print(f"items            {report.requests:>10,}")
    faulted = dict(sorted(report.faulted.items()))
    print(f"faulted          {sum(report.faulted.values()):>10,}  {faulted}")
    print(f"outcomes         {dict(sorted(report.outcomes.items()))}")
    print(f"lost/duplicated  {report.lost:>10,} / {report.duplicated:,}")
    print(f"fake saw         {report.seen_by_fake:>10,}  (expected {report.expected_by_fake:,})")
    print(f"time             {report.seconds:>10.2f} s  ({rate:,.0f} items/s)")
    if report.memory_checkpoint is not None and report.memory_end is not None:
        growth = report.memory_end - report.memory_checkpoint
        print(
            f"traced memory    {report.memory_checkpoint / 1024:>10,.0f} KiB after "
            f"{args.checkpoint:,} items, {report.memory_end / 1024:,.0f} KiB at the end "
            f"({growth / 1024:+,.0f} KiB), peak {(report.memory_peak or 0) / 1024:,.0f} KiB"
        )
    for line in report.wrong[:10]:
        print("WRONG", line)
    print("OK" if report.ok else "FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
