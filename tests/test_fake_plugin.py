"""The pytest plugin's fixtures (``cloud66_fake``, ``cloud66_client``, ``anyio_backend``)."""

from __future__ import annotations

import aiohttp
import pytest

from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio


async def test_cloud66_fake_is_started(cloud66_fake: FakeCloud66, anyio_backend: str) -> None:
    assert anyio_backend == "asyncio"
    assert cloud66_fake.base_url.startswith("http://127.0.0.1:")
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(
            cloud66_fake.base_url + "/stacks",
            headers={"Authorization": f"Bearer {cloud66_fake.token}"},
        ) as response,
    ):
        assert response.status == 200
        assert (await response.json())["pagination"]["count"] == 75


@pytest.mark.cloud66(stacks=2, servers_per_stack=1)
async def test_cloud66_marker_configures_the_fake(cloud66_fake: FakeCloud66) -> None:
    assert len(cloud66_fake.stack_uids) == 2
    assert len(cloud66_fake.peek(f"/stacks/{cloud66_fake.stack_uids[1]}/servers")) == 1


@pytest.mark.cloud66(stacks=1)
async def test_cloud66_client_points_at_the_fake(
    cloud66_client: object, cloud66_fake: FakeCloud66
) -> None:
    assert cloud66_client is not None
    response = await cloud66_client.request("GET", "/stacks")  # type: ignore[attr-defined]
    assert [stack["uid"] for stack in response] == cloud66_fake.stack_uids
    assert cloud66_fake.request_log[-1].header("Authorization") == f"Bearer {cloud66_fake.token}"
