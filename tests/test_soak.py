"""Soak: thousands of requests through ``fan_out`` with 5% of them faulted at random.

Every item ends once, as a value or a typed error; the fake sees exactly the requests the faults
call for; traced memory is flat between 2,000 items and the end. The test runs 4,000 items (the
memory check traces every allocation, which is slow); ``benchmarks/soak.py`` runs 10,000 and more
and prints counts, time and memory.
"""

from __future__ import annotations

import collections
import gc
import random
import tracemalloc
from collections.abc import AsyncIterator

import anyio
import pytest

from cloud66_async import NotFoundError, RetryPolicy
from cloud66_async.models import Stack
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

ITEMS = 4_000
CHECKPOINT = 2_000
CONCURRENCY = 20
STACKS = 1_000  # items sharing a path are 1,000 apart: never in flight together
FAULT_RATE = 0.05
MEMORY_MARGIN = 128 * 1024  # bytes: a leak of 64 bytes per request would show

# kind -> (extra requests the fake sees, outcome expected)
KINDS = {
    "500": (1, "value"),
    "reset_before": (1, "value"),
    "reset_during": (1, "value"),
    "throttled": (1, "value"),
    "404": (0, "NotFoundError"),
}


def arm(fake: FakeCloud66, kind: str, path: str) -> None:
    if kind == "500":
        fake.inject_fault("GET", path, "status", status=500, body={"error": "soak"})
    elif kind == "404":
        fake.inject_fault("GET", path, "status", status=404, body={"error": "not_found"})
    elif kind == "throttled":
        fake.inject_fault("GET", path, "throttled", headers={"Retry-After": "0.01"})
    else:
        fake.inject_fault("GET", path, kind)


@pytest.mark.slow
async def test_soak_fan_out_with_random_faults(fast_waits: None) -> None:
    rng = random.Random(2024)
    plan = {
        item: rng.choice(sorted(KINDS))
        for item in rng.sample(range(ITEMS), k=round(ITEMS * FAULT_RATE))
    }
    kinds = collections.Counter(plan.values())
    assert set(kinds) == set(KINDS)  # every kind of fault is in the mix
    expected_requests = ITEMS + sum(KINDS[kind][0] for kind in plan.values())
    counts = bytearray(ITEMS)  # outcomes per item, allocated before any measurement
    outcomes: collections.Counter[str] = collections.Counter()
    wrong: list[str] = []

    async with FakeCloud66(stacks=STACKS, servers_per_stack=0) as fake:
        uids = fake.stack_uids
        async with fake.client(
            rate_limit=None, max_concurrency=CONCURRENCY, retry=RetryPolicy(retries=2)
        ) as client:

            async def get(item: int) -> Stack:
                uid = uids[item % STACKS]
                if item in plan:
                    arm(fake, plan[item], f"/stacks/{uid}")
                return await client.stacks.get(uid)

            resume = anyio.Event()

            async def items() -> AsyncIterator[int]:
                # Hold the items after the checkpoint back until it is measured, so that both
                # measurements see the same quiet state: nothing in flight, the pool idle.
                for item in range(ITEMS):
                    if item == CHECKPOINT:
                        await resume.wait()
                    yield item

            seen_by_fake = 0
            done = 0
            memory_at_checkpoint = 0
            tracemalloc.start()
            try:
                with anyio.fail_after(120):
                    async for outcome in client.fan_out(items(), get, concurrency=CONCURRENCY):
                        item = outcome.item
                        counts[item] += 1
                        expected = KINDS[plan[item]][1] if item in plan else "value"
                        if outcome.ok:
                            got = "value"
                            value = outcome.value
                            if not (isinstance(value, Stack) and value.uid == uids[item % STACKS]):
                                wrong.append(f"item {item}: wrong value {value!r}")
                        else:
                            got = type(outcome.error).__name__
                            if not isinstance(outcome.error, NotFoundError):
                                wrong.append(f"item {item}: {outcome.error!r}")
                        if got != expected:
                            wrong.append(f"item {item}: expected {expected}, got {got}")
                        outcomes[got] += 1
                        done += 1
                        if done % 500 == 0:
                            # The fake logs every request: count and drop the entries so that
                            # the memory measured is the SDK's and the fake's working set.
                            seen_by_fake += len(fake.request_log)
                            fake.clear_log()
                        if done == CHECKPOINT:
                            gc.collect()
                            memory_at_checkpoint = tracemalloc.get_traced_memory()[0]
                            resume.set()
                gc.collect()
                memory_at_end, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            seen_by_fake += len(fake.request_log)
            sent = client.requests_sent
            throttled = client.rate_limit_state.throttled_total

    assert not wrong, wrong[:10]
    assert counts.count(0) == 0, "lost items"
    assert all(c == 1 for c in counts), "items with more than one outcome"
    assert outcomes == {"value": ITEMS - kinds["404"], "NotFoundError": kinds["404"]}
    assert seen_by_fake == expected_requests
    # aiohttp may resend a GET itself after a reset on a reused connection: the SDK then
    # counts one attempt where the fake saw two.
    assert expected_requests - kinds["reset_before"] <= sent <= expected_requests
    assert throttled == kinds["throttled"]
    growth = memory_at_end - memory_at_checkpoint
    assert growth <= MEMORY_MARGIN, (
        f"traced memory grew by {growth / 1024:.0f} KiB between item {CHECKPOINT} and "
        f"item {ITEMS} (at the checkpoint {memory_at_checkpoint / 1024:.0f} KiB, "
        f"peak {peak / 1024:.0f} KiB)"
    )
