"""``stacks.find`` and ``stacks.list(name=..., environment=...)``: stacks by name.

The filters go to the server (``filter_name``, ``filter_environment``) and are also applied to
every item, so the answer is right whether or not a server honours them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from cloud66_async import AmbiguousStackError, Client, ConfigError, StackNotFoundError
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio


async def test_find_unique_name_costs_one_request(fake: FakeCloud66, client: Client) -> None:
    before = len(fake.request_log)
    stack = await client.stacks.find("Awesome App")
    assert stack.uid == fake.stack_uids[0]
    sent = fake.request_log[before:]
    assert len(sent) == 1
    assert sent[0].query["filter_name"] == "Awesome App"


async def test_find_unknown_name(fake: FakeCloud66, client: Client) -> None:
    with pytest.raises(StackNotFoundError) as info:
        await client.stacks.find("No Such App")
    assert info.value.name == "No Such App"
    assert "No Such App" in str(info.value)


async def test_find_ambiguous_then_chosen_by_environment(fake: FakeCloud66, client: Client) -> None:
    await client.stacks.create(
        "Awesome App", "staging", "services:\n  web:\n    image: nginx\n", manifest_yaml="x: 1"
    )
    with pytest.raises(AmbiguousStackError) as info:
        await client.stacks.find("Awesome App")
    envs = sorted(s.environment or "" for s in info.value.candidates)
    assert envs == ["production", "staging"]
    assert "environment=" in str(info.value)
    staging = await client.stacks.find("Awesome App", environment="staging")
    assert staging.environment == "staging"
    with pytest.raises(StackNotFoundError):
        await client.stacks.find("Awesome App", environment="qa")


async def test_list_filters(fake: FakeCloud66, client: Client) -> None:
    production = await client.stacks.list(environment="production").collect()
    assert production
    assert all(s.environment == "production" for s in production)
    named = await client.stacks.list(name="Awesome App").collect()
    assert [s.name for s in named] == ["Awesome App"]


@pytest.mark.parametrize(
    "kwargs",
    [{"name": ""}, {"name": 5}, {"name": "x", "environment": 3}, {"name": "x", "environment": " "}],
)
async def test_find_checks_arguments_before_sending(
    fake: FakeCloud66, client: Client, kwargs: dict[str, object]
) -> None:
    before = len(fake.request_log)
    name = kwargs.pop("name")
    with pytest.raises(ConfigError):
        await client.stacks.find(name, **kwargs)  # type: ignore[arg-type]
    assert len(fake.request_log) == before


@pytest.fixture
async def unfiltering_server() -> AsyncIterator[str]:
    """A server that ignores filter_name/filter_environment: three pages, names repeat."""
    named = [
        ("web", "production"),
        ("api", "staging"),
        ("db", "staging"),
        ("web", "qa"),
        ("api", "production"),
        ("db", "qa"),
    ]
    stacks = [{"uid": f"uid{i:02d}", "name": n, "environment": e} for i, (n, e) in enumerate(named)]

    async def handler(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        items = stacks[(page - 1) * 2 : page * 2]
        body = {
            "response": items,
            "count": len(stacks),
            "pagination": {
                "previous": None,
                "next": page + 1 if page < 3 else None,
                "current": page,
                "per_page": 2,
                "count": len(stacks),
                "pages": 3,
            },
        }
        return web.Response(body=json.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/3/stacks", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/api/3"
    finally:
        await runner.cleanup()


async def test_find_is_right_when_the_server_ignores_filters(unfiltering_server: str) -> None:
    async with Client("t", base_url=unfiltering_server, rate_limit=None) as client:
        found = await client.stacks.find("web", environment="qa")
        assert found.uid == "uid03"
        with pytest.raises(AmbiguousStackError) as info:
            await client.stacks.find("web")
        assert sorted(s.uid for s in info.value.candidates) == ["uid00", "uid03"]
        api = await client.stacks.list(name="api").collect()
        assert [s.uid for s in api] == ["uid01", "uid04"]
        assert await client.stacks.list(name="api", max_items=1).collect() == api[:1]
