"""4. Page prefetch: a 100-page list with 20 ms latency per request, prefetched vs page by page.

One stack with 3,000 servers, 30 a page; the fake's process adds 20 ms to every
``GET /stacks/{id}/servers`` (fault ``latency``, ``times=None``). Both sides are the same SDK
client (``rate_limit=None``, ``max_concurrency`` 10): ``client.servers.list(uid)
.with_prefetch(10)`` (10 = the client's max_concurrency, so prefetching never queues behind
its own cap) vs plain page-by-page iteration. Target: prefetch time <= 0.3x page-by-page.
"""

from __future__ import annotations

from _harness import Row, Server, abab, bench_main, median, paired_ratio, spread

from cloud66_async import Client

PAGES = 100
PER_PAGE = 30
LATENCY = 0.020
PREFETCH = 10


async def run(quick: bool) -> list[Row]:
    pages = 30 if quick else PAGES
    reps, max_reps, budget = (2, 2, 0.0) if quick else (5, 9, 20.0)
    servers = pages * PER_PAGE
    with Server(stacks=1, servers_per_stack=servers, per_page=PER_PAGE, latency=LATENCY) as server:
        uid = server.stack_uids[0]
        async with Client(server.token, base_url=server.base_url, rate_limit=None) as client:
            assert client.max_concurrency == PREFETCH

            async def prefetched() -> None:
                count = 0
                async for _server in client.servers.list(uid).with_prefetch(PREFETCH):
                    count += 1
                assert count == servers, count

            async def sequential() -> None:
                count = 0
                async for _server in client.servers.list(uid):
                    count += 1
                assert count == servers, count

            server.call("clear_log")
            await prefetched()
            log = server.log()
            assert len(log) == pages and all(r.fault == "latency" for r in log), len(log)
            times = await abab(
                {"prefetch": prefetched, "sequential": sequential},
                reps=reps,
                max_reps=max_reps,
                budget=budget,
            )
    ratio = median(times["prefetch"]) / median(times["sequential"])
    per_round = [a / b for a, b in zip(times["prefetch"], times["sequential"], strict=True)]
    floor = pages * LATENCY
    return [
        Row(
            "4",
            f"prefetch({PREFETCH}), {pages} pages, {LATENCY * 1000:.0f} ms latency (seconds)",
            median(times["prefetch"]),
            median(times["sequential"]),
            "s",
            ratio,
            "<= 0.3",
            ratio <= 0.3,
            [
                f"{len(times['prefetch'])} rounds ABAB: prefetch {spread(times['prefetch'])} s, "
                f"page-by-page {spread(times['sequential'])} s; page-by-page cannot beat "
                f"{floor:.2f} s ({pages} x {LATENCY * 1000:.0f} ms), prefetch's floor is about "
                f"{(1 + -(-(pages - 1) // PREFETCH)) * LATENCY:.2f} s",
            ],
            f"per round {paired_ratio(times['prefetch'], times['sequential']):.3f} "
            f"[{min(per_round):.3f}..{max(per_round):.3f}]",
        )
    ]


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
