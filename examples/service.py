"""A small aiohttp web service in front of the Cloud 66 API.

    export CLOUD66_ACCESS_TOKEN=... CLOUD66_URL=...    # CLOUD66_URL only for another API
    python examples/service.py --port 8080

    GET /healthz             200 while the service runs
    GET /stacks              every stack, in the API's order: [{"uid", "name", "environment", ...}]
    GET /stacks/{name}       one stack with its servers and services (?environment=... when the
                             name is used in several environments): 404 unknown, 409 ambiguous

What it shows: one ``Client`` for the whole life of the application, so every handler shares
one connection pool, one rate budget and one throttle gate; a client-side rate limit that holds
however many callers arrive at once; and API trouble turned into quick, honest HTTP answers
(503 with ``Retry-After`` while the API throttles us) instead of callers left hanging.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web

import cloud66_async as c66
from cloud66_async.models import Server, Service, Stack


@attrs.frozen
class Settings:
    """What the service needs to know besides the token and base URL (read by the Client)."""

    rate_limit: c66.RateLimit | None
    throttle_wait: float  # longest a request may wait out API throttling before a 503
    deadline: float  # longest any request to this service may take before a 504


SETTINGS = web.AppKey("settings", Settings)
CLIENT = web.AppKey("client", c66.Client)


async def cloud66_client(app: web.Application) -> AsyncIterator[None]:
    """Open one Client when the app starts and close it when the app stops."""
    settings = app[SETTINGS]
    # Callers are waiting for an answer: a request that would have to wait out a long
    # throttle fails fast with ThrottledError (a 503 below) instead of waiting minutes.
    retry = c66.RetryPolicy(throttle_max_wait=settings.throttle_wait)
    async with c66.Client(rate_limit=settings.rate_limit, retry=retry) as client:
        app[CLIENT] = client
        yield


# -- what the service answers --------------------------------------------------------------------


def stack_json(stack: Stack) -> dict[str, Any]:
    """Pick the stack fields this service shows (its callers should not see everything)."""
    return {
        "uid": stack.uid,
        "name": stack.name,
        "environment": stack.environment,
        "status": stack.status.name.lower() if stack.status is not None else None,
        "health": stack.health.name.lower() if stack.health is not None else None,
        "fqdn": stack.fqdn,
        "cloud": stack.cloud,
    }


def server_json(server: Server) -> dict[str, Any]:
    return {
        "uid": server.uid,
        "name": server.name,
        "address": server.address,
        "server_type": server.server_type,
        "roles": list(server.server_roles or ()),
    }


def service_json(service: Service) -> dict[str, Any]:
    containers = service.containers or ()
    return {
        "name": service.name,
        "containers": len(containers),
        "images": sorted({c.image for c in containers if c.image}),
    }


async def healthz(request: web.Request) -> web.Response:
    # Liveness only: it must not spend the API's rate budget every time a probe calls it.
    return web.json_response({"ok": True})


async def list_stacks(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    # The paginator fetches page after page in the API's order.
    stacks = await client.stacks.list().collect()
    return web.json_response([stack_json(s) for s in stacks])


async def show_stack(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    name = request.match_info["name"]
    environment = request.query.get("environment")
    stack = await client.stacks.find(name, environment=environment)
    # Servers and services do not depend on each other: ask for both at once. A TaskGroup
    # cancels the other request as soon as one fails, so nothing is left running.
    try:
        async with asyncio.TaskGroup() as tg:
            servers = tg.create_task(client.servers.list(stack.uid).collect())
            services = tg.create_task(client.services.list(stack.uid).collect())
    except ExceptionGroup as group:
        # Report the first failure as itself, so the error middleware can map it.
        raise group.exceptions[0] from None
    return web.json_response(
        {
            "stack": stack_json(stack),
            "servers": [server_json(s) for s in servers.result()],
            "services": [service_json(s) for s in services.result()],
        }
    )


# -- errors: one place that turns SDK exceptions into HTTP answers -------------------------------


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def cloud66_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every request within the deadline, with a JSON error when the API call failed."""
    try:
        # A caller should never wait forever, whatever the API or the rate budget does.
        async with asyncio.timeout(request.app[SETTINGS].deadline):
            return await handler(request)
    except c66.StackNotFoundError as exc:
        return error(404, "not_found", str(exc))
    except c66.AmbiguousStackError as exc:
        candidates: list[Stack] = exc.candidates
        return error(409, "ambiguous", str(exc), candidates=[stack_json(s) for s in candidates])
    except c66.ConfigError as exc:  # bad input (an empty ?environment=), caught before sending
        return error(400, "bad_request", str(exc))
    except c66.ThrottledError as exc:
        # Pass the API's back-off on: the caller knows when trying again is worth it.
        wait = max(1, math.ceil(exc.retry_after or 1))
        resp = error(503, "throttled", "the Cloud 66 API is throttling this service")
        resp.headers["Retry-After"] = str(wait)
        return resp
    except (c66.RequestTimeoutError, TimeoutError):
        return error(504, "timeout", "the Cloud 66 API did not answer in time")
    except c66.Cloud66Error as exc:
        # Anything else (401, 5xx, a connection failure) is the upstream's fault, not the caller's.
        return error(502, "upstream", f"{type(exc).__name__}: {exc}")


def build_app(settings: Settings) -> web.Application:
    """Return the application; the Client opens when it starts and closes when it stops."""
    app = web.Application(middlewares=[cloud66_errors])
    app[SETTINGS] = settings
    app.cleanup_ctx.append(cloud66_client)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/stacks", list_stacks)
    app.router.add_get("/stacks/{name}", show_stack)
    return app


# -- the command line ----------------------------------------------------------------------------


def rate_limit(text: str) -> c66.RateLimit | None:
    """Parse ``REQUESTS/SECONDS`` (``3000/3600``) or ``off``."""
    if text.strip().lower() == "off":
        return None
    requests, sep, per = text.partition("/")
    try:
        return c66.RateLimit(int(requests), float(per if sep else 1))
    except (ValueError, c66.ConfigError):
        raise argparse.ArgumentTypeError(
            f"expected REQUESTS/SECONDS such as 3000/3600, or off; got {text!r}"
        ) from None


def seconds(text: str) -> float:
    """Parse a finite, non-negative number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a small JSON view of your Cloud 66 stacks.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument(
        "--rate-limit",
        type=rate_limit,
        metavar="REQUESTS/SECONDS",
        # The environment lets a deployment share one budget between several replicas.
        # argparse parses a string default like an argument, so a bad variable is a usage error.
        default=os.environ.get("SERVICE_RATE_LIMIT", "3000/3600"),
        help="most API requests per window, REQUESTS/SECONDS or off "
        "(default: $SERVICE_RATE_LIMIT, else 3000/3600, the API's own limit)",
    )
    parser.add_argument(
        "--throttle-wait",
        type=seconds,
        metavar="SECONDS",
        default=5.0,
        help="seconds a request may wait out API throttling before answering 503 (default 5)",
    )
    parser.add_argument(
        "--deadline",
        type=seconds,
        metavar="SECONDS",
        default=30.0,
        help="seconds any request may take before answering 504 (default 30)",
    )
    args = parser.parse_args()
    settings = Settings(args.rate_limit, args.throttle_wait, args.deadline)
    try:
        # run_app stops cleanly on Ctrl-C and SIGTERM, running cleanup_ctx (closing the Client).
        web.run_app(
            build_app(settings),
            host=args.host,
            port=args.port,
            print=lambda text: print(text, flush=True),
        )
    except c66.ConfigError as exc:  # no token, a bad CLOUD66_URL: say so in one line
        print(f"service: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
