"""What each layer of the request path costs: ``stacks.get`` through cut-down pipelines.

An investigation, not a target: four sides send ``GET /stacks/{uid}`` to the cheap server
(``_cheap_server.py``, own process) in turn, request by request (``interleave`` from benchmark 8:
each request timed alone in client CPU time, the order turning each step, in blocks), and each
is compared with the first:

* ``raw_typed``: raw aiohttp (the SDK's headers, a fresh ``Request-Id``, ``await resp.read()``)
  then the SDK's fast decoder into ``Stack``: the least a client can do to return the model;
* ``sdk``: ``client.stacks.get(uid)``, the whole pipeline;
* ``minimal``: ``stacks.get`` on a client whose ``Requester.send`` is cut down to a request id,
  the headers, the SDK's transport (``AiohttpTransport.exchange``) and the answer object: no
  concurrency slot, gate, limiter, size cap, rate-limit headers, hooks or retries;
* ``direct``: the same, calling the aiohttp session directly instead of the transport.

So ``sdk - minimal`` is what the attempt loop's guarantees cost, ``minimal - direct`` what the
transport layer costs, and ``direct - raw_typed`` what the resources and the decoder's call path
cost beyond decoding. The cut-down sides replace a method on their own client instance (an
experiment: the SDK never runs them).

    python benchmarks/bench_layers.py [--blocks 24] [--steps 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import types
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from _harness import CheapServer, sdk_headers
from bench_requests import interleave
from yarl import URL

from cloud66_async import Client
from cloud66_async._pipeline import Answer, Requester
from cloud66_async._sansio import add_headers, new_request_id
from cloud66_async.models import Stack


def headers_of(self: Requester, body: bytes | None) -> tuple[str, dict[str, str]]:
    """A fresh request id and the request's headers, as the pipeline makes them."""
    engine = self.engine
    request_id = new_request_id()
    headers = add_headers(
        engine.fixed_headers,
        request_id=request_id,
        account_id=engine.account_id,
        has_body=body is not None,
    )
    return request_id, headers


async def minimal_send(self: Requester, method: str, url: str, body: bytes | None) -> Answer:
    """The pipeline's send, cut down to what every request needs."""
    engine = self.engine
    request_id, headers = headers_of(self, body)
    assert engine.exchange is not None
    reply = await engine.exchange(method, url, headers, body, self.timeout)
    return Answer(reply.status, reply.headers, reply.body, request_id, method, url, None)


async def direct_send(self: Requester, method: str, url: str, body: bytes | None) -> Answer:
    """The same, with the aiohttp session the SDK's transport made, called directly."""
    request_id, headers = headers_of(self, body)
    session = self.engine.transport.session  # type: ignore[attr-defined]
    async with session.request(
        method, URL(url, encoded=True), headers=headers, data=body, allow_redirects=False
    ) as resp:
        data = await resp.read()
        return Answer(resp.status, resp.headers, data, request_id, method, url, None)


async def measure(blocks: int, steps: int) -> dict[str, list[float]]:
    with CheapServer(pages=2) as server:
        uid = server.stack_uid
        url = f"{server.base_url}/stacks/{uid}"
        headers = await sdk_headers(server.base_url, server.token)
        async with contextlib.AsyncExitStack() as exits:
            clients: dict[str, Client] = {}
            for name in ("sdk", "minimal", "direct"):
                clients[name] = await exits.enter_async_context(
                    Client(server.token, base_url=server.base_url, rate_limit=None)
                )
                await clients[name].stacks.get(uid)  # the session exists before the swap
            replace: Any = clients["minimal"]._requester
            replace.send = types.MethodType(minimal_send, replace)
            replace = clients["direct"]._requester
            replace.send = types.MethodType(direct_send, replace)
            session = await exits.enter_async_context(aiohttp.ClientSession())
            fast = clients["sdk"]._shared.decoder.fast

            async def raw_typed() -> Stack:
                async with session.get(
                    url, headers={**headers, "Request-Id": os.urandom(16).hex()}
                ) as resp:
                    resp.raise_for_status()
                    stack = fast.one(await resp.read(), Stack)
                assert stack is not None
                return stack

            expected = await clients["sdk"].stacks.get(uid)
            assert await raw_typed() == expected
            for client in clients.values():
                assert await client.stacks.get(uid) == expected

            def get(client: Client) -> Callable[[], Awaitable[object]]:
                return lambda: client.stacks.get(uid)

            sides: dict[str, Callable[[], Awaitable[object]]] = {"raw_typed": raw_typed}
            sides |= {name: get(client) for name, client in clients.items()}
            return await interleave(sides, blocks=blocks, steps=steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=24)
    parser.add_argument("--steps", type=int, default=200)
    options = parser.parse_args()
    out = asyncio.run(measure(options.blocks, options.steps))
    print(f"{options.blocks} blocks of {options.steps} steps; client CPU us per request")
    base = out["raw_typed"]
    for name, values in out.items():
        diffs = [a - b for a, b in zip(values, base, strict=True)]
        print(
            f"{name:10s} {statistics.median(values):7.1f} us; - raw_typed "
            f"{statistics.median(diffs):+.1f} [{min(diffs):+.1f}..{max(diffs):+.1f}] us"
        )


if __name__ == "__main__":
    main()
