"""The API's ``X-Cloud66-Warning`` answer header (issue 16): a Cloud66Warning through Python's
warnings (pointing at the caller's line), a log line, and the response hook's event."""

from __future__ import annotations

import logging
import warnings

import pytest
from _scripted import Reply, ScriptedServer, Seen, stack

from cloud66_async import Client, Cloud66Warning, Hooks, ResponseEvent

pytestmark = pytest.mark.anyio

NOTICE = "API v3 endpoint /stacks is deprecated; use /v4/stacks"


def answer(seen: Seen) -> Reply:
    headers = {"X-Cloud66-Warning": f"  {NOTICE}  "} if "warn" in seen.path else {}
    return Reply(body={"response": stack(seen.path.rsplit("/", 1)[-1])}, headers=headers)


async def test_the_warning_header_is_a_warning_a_log_line_and_an_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="cloud66_async")
    events: list[ResponseEvent] = []
    async with ScriptedServer(answer) as server:
        client = Client(
            "t", base_url=server.base_url, rate_limit=None, hooks=Hooks(on_response=events.append)
        )
        async with client:
            with pytest.warns(Cloud66Warning, match="deprecated") as record:
                stack = await client.stacks.get("warn")
            assert stack.uid == "warn"
            quiet = await client.stacks.get("quiet")
            assert quiet.uid == "quiet"
    assert len(record) == 1
    warning = record[0]
    assert str(warning.message) == f"Cloud 66 API: {NOTICE}"
    assert warning.filename == __file__  # it points at the caller's line, not the SDK's
    assert [e.warning for e in events] == [NOTICE, None]
    logged = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(logged) == 1 and NOTICE in logged[0].getMessage()
    assert "/stacks/warn" in logged[0].getMessage()


async def test_the_warning_is_filtered_like_any_warning() -> None:
    async with ScriptedServer(answer) as server:
        async with Client("t", base_url=server.base_url, rate_limit=None) as client:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Cloud66Warning)
                assert (await client.stacks.get("warn")).uid == "warn"
            with warnings.catch_warnings(), pytest.raises(Cloud66Warning):
                warnings.simplefilter("error", Cloud66Warning)
                await client.stacks.get("warn")
            # An error made of the warning left nothing held: the next call goes through.
            assert (await client.stacks.get("quiet")).uid == "quiet"


def test_cloud66_warning_is_a_public_warning() -> None:
    import cloud66_async

    assert issubclass(cloud66_async.Cloud66Warning, Warning)
    assert "Cloud66Warning" in cloud66_async.__all__
