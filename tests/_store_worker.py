"""One worker process of the multi-process tests and of ``benchmarks/bench_shared_budget.py``.

    python _store_worker.py BASE_URL TOKEN --uids UID,UID,... --store URL|none --requests N
        --concurrency T --rate REQUESTS/SECONDS|default|none --start MONOTONIC --out FILE.json

Waits until ``--start`` (``time.monotonic()``, one clock for every process of a Linux machine),
then sends ``N`` ``stacks.get`` with ``T`` at a time through one client, and writes what each
attempt did: when it was sent and answered (hooks, by request id), its status, when the client
had closed its throttle gate after a 503 (hook ``on_throttle``), and the errors.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import anyio

from cloud66_async import Client, Cloud66Error, Hooks, RateLimit, RetryPolicy


async def main(options: argparse.Namespace) -> dict[str, Any]:
    sent: dict[str, float] = {}
    answered: dict[str, list[float]] = {}
    throttles: list[float] = []  # when this client had closed the gate after a 503

    def on_request(event: Any) -> None:
        sent[event.request_id] = time.monotonic()

    def on_response(event: Any) -> None:
        answered[event.request_id] = [time.monotonic(), event.status]

    def on_throttle(event: Any) -> None:
        throttles.append(time.monotonic())

    rate: RateLimit | None = None
    if options.rate == "default":
        rate = RateLimit()
    elif options.rate != "none":
        requests, seconds = options.rate.split("/")
        rate = RateLimit(int(requests), per=float(seconds))
    store = None if options.store == "none" else options.store
    errors: list[str] = []
    ok = 0
    async with Client(
        options.token,
        base_url=options.base_url,
        limit_store=store,
        rate_limit=rate,
        max_concurrency=options.concurrency,
        retry=RetryPolicy(throttle_max_wait=120),
        hooks=Hooks(on_request=on_request, on_response=on_response, on_throttle=on_throttle),
        _env={},
    ) as client:
        uids = options.uids.split(",")
        await anyio.sleep(max(0.0, options.start - time.monotonic()))
        started = time.monotonic()

        async def one(index: int) -> None:
            nonlocal ok
            try:
                await client.stacks.get(uids[index % len(uids)])
                ok += 1
            except Cloud66Error as err:
                errors.append(f"{type(err).__name__}: {err}")

        limiter = anyio.CapacityLimiter(options.concurrency)

        async def bounded(index: int) -> None:
            async with limiter:
                await one(index)

        async with anyio.create_task_group() as tg:
            for index in range(options.requests):
                tg.start_soon(bounded, index)
        finished = time.monotonic()
    return {
        "ok": ok,
        "errors": errors,
        "sent": sent,
        "answered": answered,
        "throttles": throttles,
        "started": started,
        "finished": finished,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("--uids", required=True)
    parser.add_argument("--store", default="none")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate", default="none")
    parser.add_argument("--start", type=float, default=0.0)
    parser.add_argument("--out", type=Path, required=True)
    opts = parser.parse_args()
    opts.out.write_text(json.dumps(anyio.run(main, opts)))
