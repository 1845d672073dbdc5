"""The SDK runs on asyncio, and says so clearly otherwise (issue 12).

- Under anyio's trio backend, a call raises ConfigError naming asyncio, before anything is sent.
- A client whose session was made in one ``asyncio.run()`` and used in the next raises
  EventLoopError naming the cause, leaves no "unclosed session/connector/transport" warning
  behind, and works again in the new loop from the next call.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import Iterator

import anyio
import anyio.from_thread
import pytest

from cloud66_async import Client, ConfigError, EventLoopError
from cloud66_async.testing import FakeCloud66


@pytest.fixture(scope="module")
def fake_elsewhere() -> Iterator[FakeCloud66]:
    """A FakeCloud66 running in an event loop of its own thread, so tests can start and close
    their own event loops against it."""
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        fake = FakeCloud66(stacks=3)
        portal.call(fake.__aenter__)
        try:
            yield fake
        finally:
            portal.call(fake.__aexit__, None, None, None)


def test_under_trio_a_call_says_the_sdk_runs_on_asyncio(fake_elsewhere: FakeCloud66) -> None:
    client = Client(fake_elsewhere.token, base_url=fake_elsewhere.base_url, rate_limit=None)
    uid = fake_elsewhere.stack_uids[0]
    before = len(fake_elsewhere.request_log)

    async def main() -> None:
        with pytest.raises(ConfigError) as info:
            await client.stacks.get(uid)
        text = str(info.value)
        assert "asyncio" in text and "trio" in text

    anyio.run(main, backend="trio")
    assert len(fake_elsewhere.request_log) == before  # nothing was sent


def test_a_client_from_a_closed_event_loop_raises_a_clear_error_and_recovers(
    fake_elsewhere: FakeCloud66, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client(fake_elsewhere.token, base_url=fake_elsewhere.base_url, rate_limit=None)
    uid = fake_elsewhere.stack_uids[0]

    async def get() -> str:
        return (await client.stacks.get(uid)).uid

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(get()) == uid  # the session is made in this loop, then it closes
        with pytest.raises(EventLoopError) as info:
            asyncio.run(get())
        assert "asyncio.run()" in str(info.value) and "closed" in str(info.value)
        assert asyncio.run(get()) == uid  # reset: works in a new loop from the next call
        asyncio.run(client.close())
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []
    assert not [r for r in caplog.records if "nclosed" in r.getMessage()]


def test_a_client_used_from_another_running_loop_is_refused(
    fake_elsewhere: FakeCloud66,
) -> None:
    client = Client(fake_elsewhere.token, base_url=fake_elsewhere.base_url, rate_limit=None)
    uid = fake_elsewhere.stack_uids[0]
    home = asyncio.new_event_loop()
    try:
        assert home.run_until_complete(client.stacks.get(uid)).uid == uid

        async def elsewhere() -> None:
            with pytest.raises(EventLoopError) as info:
                await client.stacks.get(uid)
            assert "another event loop" in str(info.value)

        asyncio.run(elsewhere())
        assert home.run_until_complete(client.stacks.get(uid)).uid == uid  # still works there
        home.run_until_complete(client.close())
    finally:
        home.close()
