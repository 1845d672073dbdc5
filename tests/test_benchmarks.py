"""The benchmark tools keep working: the near-free server answers the SDK correctly, and a quick
run of a client-cost benchmark completes with figures (the benchmarks themselves are reports, not
tests; this only keeps the scripts from rotting)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import anyio
import pytest

from cloud66_async import Client, Hooks, NotFoundError

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
PAGES = 4

pytestmark = pytest.mark.anyio


class CheapServer:
    """``benchmarks/_cheap_server.py`` in its own process (the asyncio loop: no uvloop needed)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(BENCHMARKS / "_cheap_server.py"),
                "--pages",
                str(PAGES),
                "--loop",
                "asyncio",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.ready: dict[str, Any] = json.loads(self.proc.stdout.readline())

    def call(self, cmd: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def cheap() -> Iterator[CheapServer]:
    server = CheapServer()
    try:
        yield server
    finally:
        server.close()


async def test_cheap_server_answers_the_sdk_like_the_fake(cheap: CheapServer) -> None:
    uid = cheap.ready["stack_uid"]
    sent: list[str] = []
    hooks = Hooks(on_response=lambda event: sent.append(event.url))
    before = cheap.call("stats")
    with anyio.fail_after(20):
        async with Client(
            cheap.ready["token"], base_url=cheap.ready["base_url"], rate_limit=None, hooks=hooks
        ) as client:
            stack = await client.stacks.get(uid)
            # The blueprint's example stack, its " UTC" timestamps read as aware datetimes.
            assert stack.uid == uid and stack.name == "Awesome App"
            assert stack.created_at is not None and stack.created_at.tzinfo is UTC
            assert stack.created_at == stack.created_at_iso

            numbers, uids = [], set()
            async for page in client.servers.list(uid).pages():
                numbers.append(page.number)
                assert page.pages == PAGES and page.total == PAGES * 30 and len(page.items) == 30
                uids.update(server.uid for server in page.items)
            assert numbers == list(range(1, PAGES + 1))
            assert len(uids) == PAGES * 30  # every server its own uid

            assert len(await client.stacks.list().collect()) == 3
            with pytest.raises(NotFoundError):
                await client.servers.get(uid, "no-such-server")
    after = cheap.call("stats")
    assert after["requests"] - before["requests"] == len(sent) == 1 + PAGES + 1 + 1
    assert after["connections"] - before["connections"] == 1  # one kept-alive connection


def _exchange(port: int, data: bytes, responses: int) -> bytes:
    """Send raw bytes; read until ``responses`` whole answers arrived or the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        got = b""
        while got.count(b"HTTP/1.1 ") < responses or not _complete(got):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def _complete(data: bytes) -> bool:
    """Whether the last answer in ``data`` has all of its body."""
    start = data.rfind(b"HTTP/1.1 ")
    head_end = data.find(b"\r\n\r\n", start)
    if head_end < 0:
        return False
    head = data[start:head_end].lower()
    at = head.find(b"content-length:")
    length = int(head[at + 15 :].split(b"\r\n", 1)[0])
    return len(data) - (head_end + 4) >= length


def test_cheap_server_parses_pipelined_split_and_bad_requests(cheap: CheapServer) -> None:
    port = int(cheap.ready["base_url"].rsplit(":", 1)[1].split("/", 1)[0])
    uid = cheap.ready["stack_uid"]
    get = f"GET /api/3/stacks/{uid} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    # Two requests in one packet: two answers, in order.
    page = f"GET /api/3/stacks/{uid}/servers?page={PAGES} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    both = _exchange(port, get + page, 2)
    assert both.count(b"HTTP/1.1 200 OK") == 2
    assert both.index(b'"name":"Awesome App"') < both.index(f'"current":{PAGES}'.encode())
    # A request split across packets is answered once, when it is whole.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(get[:10])
        sock.settimeout(0.2)
        with pytest.raises(TimeoutError):
            sock.recv(100)
        sock.settimeout(5)
        sock.sendall(get[10:])
        assert sock.recv(100).startswith(b"HTTP/1.1 200 OK")
    # Out-of-range pages and unknown paths: a JSON 404; a broken request line: 400, closed.
    missing = f"GET /api/3/stacks/{uid}/servers?page={PAGES + 1} HTTP/1.1\r\n\r\n".encode()
    assert _exchange(port, missing, 1).startswith(b"HTTP/1.1 404")
    assert _exchange(port, b"GET /elsewhere HTTP/1.1\r\n\r\n", 1).startswith(b"HTTP/1.1 404")
    assert _exchange(port, b"NONSENSE\r\n\r\n", 1).startswith(b"HTTP/1.1 400")
    # A body announced with Content-Length is skipped, and the next request still answered.
    post = b"POST /api/3/stacks HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
    answers = _exchange(port, post + get, 2)
    assert answers.count(b"HTTP/1.1 ") == 2 and answers.rstrip().endswith(b"}}")


@pytest.mark.slow  # 4-13 s: a child run_all.py starting the server and three clients
def test_quick_run_of_the_overhead_benchmark_completes(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run_all.py"),
            "--quick",
            "--only",
            "8",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    overhead = [r for r in rows if r["bench"] == "8"]
    assert len(overhead) == 2
    for row in overhead:
        assert row["sdk"] > 0 and row["baseline"] > 0 and row["spread"].startswith("blocks")
    assert {r["bench"] for r in rows} >= {"8", "8a", "8i", "8s"}
    assert "| 8 | client cost | per-request overhead" in done.stdout


@pytest.mark.slow  # 15-30 s: three worker processes, a fake and a Redis server, four times
def test_quick_run_of_the_shared_budget_benchmark_completes(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_shared_budget.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())
    names = " ".join(row["name"] for row in rows)
    assert "throughput as a fraction of the budget" in names
    assert "store cost per request" in names
    assert all(row["sdk"] is not None for row in rows)


@pytest.mark.slow  # 3-8 s each: a git export, the cheap server, two clients
@pytest.mark.parametrize(
    ("options", "shape"),
    [
        (["--steps", "5"], "2 blocks of 5 steps"),
        (
            ["--steps", "20", "--inflight", "10"],
            "2 blocks of 5 batches of 20 requests, 10 in flight",
        ),
    ],
    ids=["one-at-a-time", "in-flight"],
)
def test_ab_sdk_compares_a_revision_with_the_checkout(options: list[str], shape: str) -> None:
    if not (BENCHMARKS.parent / ".git").exists():
        pytest.skip("not a git checkout: nothing to export a revision from")
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "ab_sdk.py"), "HEAD", "--blocks", "2", *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == f"{shape}; client CPU us per request"
    assert lines[2].startswith("stacks.get: new - base ") and lines[3].startswith("request(): ")


@pytest.mark.slow  # 2-5 s: the cheap server and three clients
def test_the_layers_benchmark_runs_its_cut_down_pipelines() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_layers.py"), "--blocks", "2", "--steps", "5"],
        capture_output=True,
        text=True,
        cwd=BENCHMARKS,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    names = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert names == ["raw_typed", "sdk", "minimal", "direct"]
