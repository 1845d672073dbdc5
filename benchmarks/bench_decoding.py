"""2. Decoding: a 30-server page body into models, the SDK vs pydantic v2, in-process.

The body is captured once from a FakeCloud66 (started in this process only for that; the
timing needs no server). The SDK side is its fast path, ``client._shared.decoder.fast.page(body,
Server)`` (msgspec straight into the frozen attrs models, then the aware-timestamp check);
for information the careful path, ``converter.structure_list(json.loads(body)["response"],
Server)``, is timed too. The baseline is ``Page.model_validate_json(body)`` on pydantic v2
models with the same fields, nested types and aware datetimes (``AwareDatetime``), frozen like
the SDK's. Target: SDK objects/s >= 2x pydantic's.
"""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
from _harness import Row, abab, bench_main, median, paired_ratio, spread
from pydantic import AwareDatetime, BaseModel, ConfigDict

from cloud66_async import Client
from cloud66_async.models import Server
from cloud66_async.testing import FakeCloud66

PER_PAGE = 30


class PServer(BaseModel):
    """``cloud66_async.models.Server`` as a pydantic v2 model."""

    model_config = ConfigDict(frozen=True)

    uid: str
    vendor_uid: str | None = None
    name: str | None = None
    address: str | None = None
    distro: str | None = None
    distro_version: str | None = None
    dns_record: str | None = None
    user_name: str | None = None
    server_type: str | None = None
    server_roles: tuple[str, ...] | None = None
    server_group_id: int | None = None
    stack_uid: str | None = None
    has_agent: bool | None = None
    params: dict[str, Any] | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    region: str | None = None
    availability_zone: str | None = None
    ext_ipv4: str | None = None
    health_state: int | None = None
    int_ipv4: str | None = None
    int_ipv6: str | None = None
    ext_ipv6: str | None = None
    private_key: str | None = None


class PPagination(BaseModel):
    """The list envelope's ``pagination`` block (the fields the SDK's fast path reads)."""

    model_config = ConfigDict(frozen=True)

    next: int | None = None
    current: int | None = None
    pages: int | None = None
    count: int | None = None
    per_page: int | None = None


class PPage(BaseModel):
    """A list answer: ``{"response": [...], "pagination": {...}}``."""

    model_config = ConfigDict(frozen=True)

    response: list[PServer]
    pagination: PPagination | None = None


async def capture_page() -> bytes:
    """One real page body of 30 servers, as the fake serves it."""
    async with FakeCloud66(stacks=1, servers_per_stack=PER_PAGE, per_page=PER_PAGE) as fake:
        url = f"{fake.base_url}/stacks/{fake.stack_uids[0]}/servers"
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers={"Authorization": f"Bearer {fake.token}"}) as resp,
        ):
            resp.raise_for_status()
            return await resp.read()


def _check_equal(sdk: list[Server], careful: list[Server], pyd: PPage) -> None:
    """All three decoders read the same page the same way (so the race is fair)."""
    assert len(sdk) == len(careful) == len(pyd.response) == PER_PAGE
    assert sdk == careful
    for ours, theirs in zip(sdk, pyd.response, strict=True):
        assert ours.uid == theirs.uid and ours.created_at == theirs.created_at
        assert ours.created_at is not None and ours.created_at.tzinfo is not None
        assert ours.params == theirs.params and ours.server_roles == theirs.server_roles


async def run(quick: bool) -> list[Row]:
    body = await capture_page()
    client = Client("not-used", base_url="http://127.0.0.1:9")  # sends nothing
    fast = client._shared.decoder.fast
    converter = client._shared.decoder.converter

    quick_page = fast.page(body, Server)
    assert quick_page is not None, "the fast path declined the fake's page"
    careful_items = converter.structure_list(json.loads(body)["response"], Server)
    _check_equal(quick_page.items, careful_items, PPage.model_validate_json(body))

    # Small batches (10-70 ms each) alternated many times: on a shared machine the noise comes
    # in bursts, and fine alternation spreads each burst over all three sides alike.
    loops = 100
    reps = 11 if quick else 61

    def batch(decode: Any) -> Any:
        async def timed() -> float:
            started = time.perf_counter()
            for _ in range(loops):
                decode()
            return time.perf_counter() - started

        return timed

    times = await abab(
        {
            "sdk": batch(lambda: fast.page(body, Server)),
            "pydantic": batch(lambda: PPage.model_validate_json(body)),
            "cattrs": batch(lambda: converter.structure_list(json.loads(body)["response"], Server)),
        },
        reps=reps,
    )
    objects = loops * PER_PAGE
    rate = {name: objects / median(t) for name, t in times.items()}
    ratio = rate["sdk"] / rate["pydantic"]
    detail = [
        f"body {len(body):,} bytes, {PER_PAGE} servers; {loops} pages per batch, {reps} batches "
        "ABAB(C); median of the per-round ratios (pydantic time / SDK time): "
        f"{paired_ratio(times['pydantic'], times['sdk']):.3f}",
        *(
            f"{name}: {rate[name]:,.0f} objects/s (batch seconds median "
            f"{median(times[name]):.4f}, {spread(times[name])})"
            for name in ("sdk", "pydantic", "cattrs")
        ),
    ]
    await client.close()
    return [
        Row(
            "2",
            "decoding, 30-server page -> models (objects/s)",
            rate["sdk"],
            rate["pydantic"],
            "objects/s",
            ratio,
            ">= 2.0",
            ratio >= 2.0,
            detail,
        ),
        Row(
            "2i",
            "decoding, careful cattrs path (information)",
            rate["cattrs"],
            rate["pydantic"],
            "objects/s",
            rate["cattrs"] / rate["pydantic"],
            "-",
            None,
        ),
    ]


if __name__ == "__main__":
    bench_main(run, __doc__.splitlines()[0])
