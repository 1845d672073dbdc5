"""Run one hostile-answer case in a process of its own, with a cap on its address space.

``python tests/_hostile_child.py CASE [MAX_RESPONSE_BYTES]`` starts a :class:`HostileServer`
answering ``GET /api/3/big`` the way CASE says, lowers ``RLIMIT_AS`` to what the process uses
plus 256 MiB (so a client that buffered a 500 MB answer dies of MemoryError instead of eating
the machine), makes one ``client.request("GET", "/big")`` and prints one JSON line: the error
(type, message, ``limit``), the seconds the call took, the peak RSS (``VmHWM``) before and after
the call, and the bytes the server managed to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _hostile import Conn, HostileServer, Request, chunk, gzip_spaces, head

from cloud66_async import Client, Cloud66Error, Timeout

MB = 1 << 20
BLOCK = b" " * (64 * 1024)
HEADROOM = 256 * MB


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak measured is this call's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


async def stream(conn: Conn, total: int | None, chunked: bool) -> None:
    sent = 0
    while total is None or sent < total:
        data = BLOCK if total is None else BLOCK[: total - sent]
        await conn.send(chunk(data) if chunked else data)
        sent += len(data)
    if chunked:
        await conn.send(chunk(b""))


def handler_for(case: str, cap: int) -> object:
    first, again = gzip_spaces()
    bomb_blocks = 1023  # first + 1023 more: 1 GiB of spaces, ~1 MB compressed

    async def handle(request: Request, conn: Conn) -> bool:
        if request.path.endswith("/warm"):
            await conn.send(head(200, {"Content-Length": "2"}) + b"{}")
            return True
        if case == "content_length_500mb":
            await conn.send(head(200, {"Content-Length": str(500 * MB)}))
            await stream(conn, 500 * MB, chunked=False)
        elif case == "chunked_500mb":
            await conn.send(head(200, {"Transfer-Encoding": "chunked"}))
            await stream(conn, 500 * MB, chunked=True)
        elif case == "endless_chunked":
            await conn.send(head(200, {"Transfer-Encoding": "chunked"}))
            await stream(conn, None, chunked=True)
        elif case == "endless_no_length":
            await conn.send(head(200, {"Connection": "close"}))
            await stream(conn, None, chunked=False)
        elif case == "gzip_bomb":
            size = len(first) + bomb_blocks * len(again)
            await conn.send(head(200, {"Content-Encoding": "gzip", "Content-Length": str(size)}))
            await conn.send(first)
            for _ in range(bomb_blocks):
                await conn.send(again)
        elif case == "gzip_bomb_chunked":
            await conn.send(head(200, {"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"}))
            await conn.send(chunk(first))
            while True:  # endless
                await conn.send(chunk(again * 16))
        elif case == "lying_length_short":
            # Says 64 bytes, sends 500 MB: the client must read 64 and stop.
            await conn.send(head(200, {"Content-Length": "64"}))
            await stream(conn, 500 * MB, chunked=False)
        elif case == "error_500mb":
            await conn.send(head(500, {"Transfer-Encoding": "chunked"}))
            await stream(conn, 500 * MB, chunked=True)
        else:
            raise SystemExit(f"unknown case {case}")
        return False

    return handle


async def main(case: str, cap: int) -> dict[str, object]:
    with HostileServer(handler_for(case, cap)) as server:  # type: ignore[arg-type]
        async with Client(
            "hostile-token",
            base_url=server.base_url,
            rate_limit=None,
            timeout=Timeout(total=30),
            max_response_bytes=cap,
        ) as client:
            # Warm up (imports, the session, the first connection) before measuring.
            with contextlib.suppress(Cloud66Error):
                await client.request("GET", "/warm")
            vm = status_kb("VmSize") * 1024
            resource.setrlimit(resource.RLIMIT_AS, (vm + HEADROOM, vm + HEADROOM))
            reset_peak()
            before = status_kb("VmHWM")
            sent_before = server.bytes_sent
            started = time.monotonic()
            result: dict[str, object] = {"case": case, "cap": cap}
            try:
                await client.request("GET", "/big")
                result["error"] = None
            except Cloud66Error as exc:
                result["error"] = type(exc).__name__
                result["message"] = str(exc)
                result["limit"] = getattr(exc, "limit", None)
                result["sent"] = getattr(exc, "sent", None)
            except MemoryError:
                result["error"] = "MemoryError"
            result["seconds"] = time.monotonic() - started
            result["peak_growth_mb"] = (status_kb("VmHWM") - before) / 1024
            result["server_sent_mb"] = (server.bytes_sent - sent_before) / MB
            return result


if __name__ == "__main__":
    cap = int(sys.argv[2]) if len(sys.argv) > 2 else 32 * MB
    print(json.dumps(asyncio.run(main(sys.argv[1], cap))))
