"""0. The benchmark server's own cost per request, so readers see the client is what is measured.

A tight blocking-socket client (no event loop, no HTTP library: send the request bytes, read
exactly the response's length) sends keep-alive GETs one after another to three servers, each
in its own process, serving the same prebuilt bodies: ``_cheap_server.py`` (an
``asyncio.Protocol`` writing whole prebuilt responses) on uvloop, the same on the standard
asyncio loop, and ``aiohttp.web`` (a handler returning the prebuilt body) on asyncio. Each
server reports its own CPU seconds (``time.process_time`` in its process) before and after each
pass: CPU microseconds per request are what the server costs; the client-cost benchmarks use the
first (or the second when uvloop is not installed) and print the server's CPU per request too.
Passes alternate between the servers, the order turning each round. For information, no target.
"""

from __future__ import annotations

import importlib.util
import socket
import time

from _harness import CheapServer, Row, bench_main, median, spread

STACK_REQUESTS = 2000
PAGE_REQUESTS = 500


def _split(base_url: str) -> tuple[str, int, str]:
    """``http://host:port/prefix`` -> (host, port, "/prefix")."""
    hostport, _, prefix = base_url.split("//", 1)[1].partition("/")
    host, port = hostport.rsplit(":", 1)
    return host, int(port), "/" + prefix


def _connect(base_url: str) -> socket.socket:
    host, port, _ = _split(base_url)
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_response(sock: socket.socket, buf: bytearray) -> int:
    """Read one whole response (head + Content-Length body); return its length."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buf[:end]).lower()
            at = head.find(b"content-length:")
            stop = head.find(b"\r\n", at)
            length = end + 4 + int(head[at + 15 : stop if stop >= 0 else None])
            while len(buf) < length:
                chunk = sock.recv(262144)
                if not chunk:
                    raise ConnectionError("the server closed the connection")
                buf += chunk
            if not buf.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(bytes(buf[:200]).decode(errors="replace"))
            del buf[:length]
            return length
        chunk = sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buf += chunk


def _drive(server: CheapServer, requests: list[bytes]) -> tuple[float, float, float]:
    """Send the requests one after another; (server CPU s, its kernel share s, client wall s)."""
    sock = _connect(server.base_url)
    try:
        buf = bytearray()
        cpu0 = server.stats().cpu
        _, sys0 = server.cpu_split()
        started = time.perf_counter()
        for request in requests:
            sock.sendall(request)
            _read_response(sock, buf)
        wall = time.perf_counter() - started
        _, sys1 = server.cpu_split()
        cpu1 = server.stats().cpu
        return cpu1 - cpu0, sys1 - sys0, wall
    finally:
        sock.close()


def _requests(server: CheapServer, stacks: int, pages: int) -> list[bytes]:
    host, port, prefix = _split(server.base_url)
    head = (
        f"Host: {host}:{port}\r\nAuthorization: Bearer {server.token}\r\n"
        "Accept: application/json\r\n"
    )
    out = []
    for _ in range(stacks):
        out.append(f"GET {prefix}/stacks/{server.stack_uid} HTTP/1.1\r\n{head}\r\n".encode())
    for i in range(pages):
        target = f"{prefix}/stacks/{server.stack_uid}/servers?page={i % server.pages + 1}"
        out.append(f"GET {target} HTTP/1.1\r\n{head}\r\n".encode())
    return out


async def run(quick: bool) -> list[Row]:
    stacks, pages, rounds = (300, 100, 2) if quick else (STACK_REQUESTS, PAGE_REQUESTS, 3)
    configs: dict[str, dict[str, str]] = {}
    if importlib.util.find_spec("uvloop") is not None:
        configs["protocol/uvloop"] = {"loop": "uvloop"}
    configs["protocol/asyncio"] = {"loop": "asyncio"}
    configs["aiohttp.web/asyncio"] = {"loop": "asyncio", "impl": "aiohttp"}
    servers = {name: CheapServer(pages=20, **options) for name, options in configs.items()}
    for s in servers.values():
        s.__enter__()
    try:
        kinds = {
            "stack": {n: _requests(s, stacks, 0) for n, s in servers.items()},
            "page": {n: _requests(s, 0, pages) for n, s in servers.items()},
        }
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        names = list(servers)
        for kind, by_server in kinds.items():
            for name in names:  # warm-up
                _drive(servers[name], by_server[name][:100])
            for r in range(rounds):
                shift = r % len(names)
                for name in names[shift:] + names[:shift]:
                    cpu, kernel, wall = _drive(servers[name], by_server[name])
                    n = len(by_server[name])
                    results.setdefault((kind, name), []).append(
                        (cpu / n * 1e6, kernel / n * 1e6, wall / n * 1e6)
                    )
        sizes = {name: s.ready for name, s in servers.items()}
    finally:
        for s in servers.values():
            s.__exit__(None, None, None)

    first = names[0]
    rows = []
    for kind, label in (("stack", "GET a stack (790 B)"), ("page", "GET a 30-server page")):
        ours = [c for c, _, _ in results[(kind, first)]]
        web = [c for c, _, _ in results[(kind, "aiohttp.web/asyncio")]]
        notes = []
        for name in names:
            cpu_us = [c for c, _, _ in results[(kind, name)]]
            kernel_us = [k for _, k, _ in results[(kind, name)]]
            wall_us = [w for _, _, w in results[(kind, name)]]
            notes.append(
                f"{name}: server CPU {median(cpu_us):.1f} us/request ({spread(cpu_us)}; in the "
                f"kernel {median(kernel_us):.0f}, at 100 Hz tick resolution), round trip "
                f"{median(wall_us):.1f} us ({spread(wall_us)}) as seen by the socket client"
            )
        if kind == "page":
            notes.append(f"page body {sizes[first]['page_bytes']:,} bytes")
        rows.append(
            Row(
                "0",
                f"benchmark server's own CPU per request, {label}: {first} vs aiohttp.web",
                median(ours),
                median(web),
                "us",
                median(ours) / median(web),
                "-",
                None,
                [f"{rounds} rounds x {len(kinds[kind][first])} requests per server", *notes],
                f"{first} {spread(ours)} us, aiohttp.web {spread(web)} us",
            )
        )
    return rows


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
