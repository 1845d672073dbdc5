"""``stacks.create`` never invites a duplicate stack (issue 14, item 1).

The old ``create`` walked the whole stack list after the POST to find the new uid (1 POST + 11
GETs with 300 stacks, waiting or not), and when that walk failed (throttled, a 500, a dropped
connection) it raised with nothing that said the stack existed: a natural retry made a second
stack. Now the POST is the only request; the uid is looked up when someone waits, and a lookup
that fails raises :class:`StackLookupError`, which says the stack WAS created and how to find
it. Every test is bounded in requests and seconds.
"""

from __future__ import annotations

import re
import time
from typing import Any

import anyio
import attrs
import pytest
from _scripted import Reply, ScriptedServer, Seen, stack

from cloud66_async import (
    BadRequestError,
    Client,
    ConfigError,
    DecodeError,
    PermissionDeniedError,
    RetryPolicy,
    ServerError,
    StackLookupError,
    StackNotFoundError,
    ThrottledError,
    TransportError,
)
from cloud66_async._polling import MAX_CANDIDATES
from cloud66_async.models import Action
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

YAML = "services:\n  web:\n    image: nginx\n"
NAME, ENV = "shop", "staging"
STACKS_LIST = re.compile("/stacks")  # the list only: a full match, so no /stacks/... path


async def _create(client: Client, **kwargs: Any) -> Action:
    return await client.stacks.create(NAME, ENV, YAML, manifest_yaml="x: 1", **kwargs)


def _posts(fake: FakeCloud66) -> int:
    return len(fake.requests("POST", "/stacks"))


def _lookups(fake: FakeCloud66) -> int:
    return len(fake.requests("GET", "/stacks"))


def _says_created(error: StackLookupError, action_id: int | None = None) -> None:
    text = str(error)
    assert "WAS created" in text
    assert repr(NAME) in text and repr(ENV) in text
    assert "client.stacks.find('shop', environment='staging')" in text
    assert "cloud66-async stacks get shop -e staging" in text
    assert (error.name, error.environment) == (NAME, ENV)
    assert isinstance(error.action, Action) and error.action.action == "stack_create"
    if action_id is not None:
        assert error.action.id == action_id and f"action {action_id}" in text


# -- without wait: one request, never an error after it -----------------------------------------


async def test_create_sends_exactly_one_request_among_300_stacks() -> None:
    """Old create: 1 POST + 11 GETs (walking 300 stacks) on every call."""
    async with FakeCloud66(stacks=300, servers_per_stack=0) as fake, fake.client() as client:
        fake.clear_log()
        with anyio.fail_after(5):
            action = await _create(client)
        assert [(r.method, r.path) for r in fake.request_log] == [("POST", "/stacks")]
    assert action.stack_uid is None
    assert (action.stack_name, action.stack_environment) == (NAME, ENV)
    assert action.action == "stack_create"


@pytest.mark.parametrize("fault", ["status", "throttled", "reset_before"])
async def test_create_does_not_raise_when_the_stack_list_would_fail(
    fake: FakeCloud66, client: Client, fault: str
) -> None:
    fake.inject_fault("GET", STACKS_LIST, fault, times=None)
    with anyio.fail_after(5):
        action = await _create(client)
    assert action.stack_name == NAME
    assert _posts(fake) == 1 and _lookups(fake) == 0


# -- a later wait looks the stack up ------------------------------------------------------------


async def test_a_later_wait_finds_the_stack_and_follows_its_build(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    with anyio.fail_after(10):
        action = await _create(client)
        done = await client.actions.wait(action)
        found = await client.stacks.find(NAME, environment=ENV)
    assert done.stack_uid == found.uid
    assert done.is_finished and done.finished_success
    assert done == attrs.evolve(done, stack_name="other")  # not part of equality
    # The lookup was one filtered GET, then the action was polled on the new stack.
    lookup, _find = fake.requests("GET", "/stacks")  # the wait's lookup, then the test's find
    assert lookup.query["filter_name"] == NAME and lookup.query["filter_environment"] == ENV
    assert fake.requests("GET", f"/stacks/{found.uid}/actions/{action.id}")
    assert _posts(fake) == 1


async def test_another_process_waits_knowing_the_id_name_and_environment(
    fake: FakeCloud66, fast_waits: None
) -> None:
    async with fake.client(rate_limit=None) as one:
        action = await _create(one)
    async with fake.client(rate_limit=None) as other:
        with anyio.fail_after(10):
            done = await other.actions.wait(
                Action(id=action.id, stack_name=NAME, stack_environment=ENV)
            )
    assert done.finished_success and done.stack_uid is not None


async def test_wait_true_looks_up_then_waits(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    with anyio.fail_after(10):
        done = await _create(client, wait=True)
    assert done.finished_success and done.stack_uid is not None
    assert _posts(fake) == 1 and _lookups(fake) == 1


async def test_wait_many_looks_up_new_stacks_too(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    uid = fake.stack_uids[0]
    with anyio.fail_after(10):
        created = await _create(client)
        restart = await client.actions.run(uid, "restart")
        finished = await client.actions.wait_many([created, restart], poll_interval=0.01)
    assert [a.id for a in finished] == [created.id, restart.id]
    assert finished[0].stack_uid == (await client.stacks.find(NAME, environment=ENV)).uid
    assert all(a.finished_success for a in finished)


async def test_a_passing_failure_of_the_lookup_is_looked_again(
    fake: FakeCloud66, client: Client
) -> None:
    fake.inject_fault("GET", STACKS_LIST, "status", status=500, times=3)  # the GET retries twice
    with anyio.fail_after(10):
        action = await _create(client)
        done = await client.actions.wait(action, poll_interval=0.05)
    assert done.finished_success
    assert _posts(fake) == 1 and _lookups(fake) == 4


# -- a lookup that fails: the error says the stack exists ---------------------------------------

LOOKUP_FAULTS = {
    "throttled": ("throttled", ThrottledError),
    "500": ("status", ServerError),
    "dropped": ("reset_before", TransportError),
}


@pytest.mark.parametrize("case", sorted(LOOKUP_FAULTS))
async def test_a_failed_lookup_says_the_stack_was_created(fake: FakeCloud66, case: str) -> None:
    kind, cause = LOOKUP_FAULTS[case]
    fake.inject_fault("GET", STACKS_LIST, kind, times=None)
    policy = RetryPolicy(retries=1, backoff=0.01, throttle_max_wait=0.2)
    started = time.monotonic()
    async with fake.client(rate_limit=None, retry=policy) as client:
        with anyio.fail_after(10), pytest.raises(StackLookupError) as info:
            await _create(client, wait=True, wait_timeout=1.5)
    assert time.monotonic() - started < 5
    assert _posts(fake) == 1  # never a second stack
    assert _lookups(fake) <= 12  # a few lookups, at the wait's ticks
    _says_created(info.value)
    assert isinstance(info.value.__cause__, cause)
    assert "not found within 1.5s" in str(info.value)


async def test_a_lookup_cut_short_by_the_deadline_says_so(fake: FakeCloud66) -> None:
    """A lookup still held back by throttling when the wait's time runs out."""
    fake.inject_fault("GET", STACKS_LIST, "throttled", times=None, retry_after=30)
    async with fake.client(rate_limit=None) as client:
        with anyio.fail_after(10), pytest.raises(StackLookupError) as info:
            await _create(client, wait=True, wait_timeout=1)
    assert _posts(fake) == 1 and _lookups(fake) == 1
    _says_created(info.value)
    assert "held back by the rate limit or throttling" in str(info.value)


async def test_a_token_without_the_public_scope_fails_at_once(fake: FakeCloud66) -> None:
    """Creating needs redeploy, looking up needs public: no point waiting for the deadline."""
    token = fake.issue_token(["redeploy"])
    async with fake.client(token=token, rate_limit=None) as client:
        with anyio.fail_after(5):
            action = await _create(client)  # no wait: fine without public
            assert action.stack_uid is None
            started = time.monotonic()
            with pytest.raises(StackLookupError) as info:
                await client.actions.wait(action, timeout=600)
    assert time.monotonic() - started < 2
    _says_created(info.value, action.id)
    assert "'public' scope" in str(info.value)
    assert isinstance(info.value.__cause__, PermissionDeniedError)
    assert _posts(fake) == 1 and _lookups(fake) == 1


async def test_a_stack_never_listed_is_looked_for_until_the_deadline(
    fake: FakeCloud66, client: Client
) -> None:
    action = await _create(client)
    lost = attrs.evolve(action, stack_name="never-made")
    with anyio.fail_after(10), pytest.raises(StackLookupError) as info:
        await client.actions.wait(lost, timeout=1, poll_interval=0.2)
    assert isinstance(info.value.__cause__, StackNotFoundError)
    assert "not found within 1s" in str(info.value)
    assert 2 <= _lookups(fake) <= 6


# -- several stacks with that name and environment ----------------------------------------------


async def test_the_action_tells_apart_stacks_created_twice(
    fake: FakeCloud66, client: Client, fast_waits: None
) -> None:
    """An old retry made a second 'shop' in staging: the wait follows the stack this action
    created, even though the other one is newer."""
    with anyio.fail_after(10):
        first = await _create(client)
        await anyio.sleep(1.1)  # the API's timestamps have whole seconds
        second = await _create(client)
        done = await client.actions.wait(first)
        other = await client.actions.wait(second)
    assert done.stack_uid != other.stack_uid
    listed = {s.uid: s for s in await client.stacks.list(name=NAME, environment=ENV).collect()}
    assert set(listed) == {done.stack_uid, other.stack_uid}
    assert fake.requests("GET", f"/stacks/{done.stack_uid}/actions/{first.id}")


async def test_stacks_that_cannot_be_told_apart_are_named_in_the_error() -> None:
    """A server listing more than MAX_CANDIDATES namesakes, none of which has the action."""
    twins = [stack(f"twin{i}", name=NAME, environment=ENV) for i in range(MAX_CANDIDATES + 2)]

    def answer(seen: Seen) -> Reply:
        if seen.method == "POST":
            return Reply(body={"response": {"id": 77, "action": "stack_create"}})
        if seen.path.endswith("/stacks"):
            return Reply(body={"response": twins})
        return Reply(status=404, body={"error": "not_found"})

    async with ScriptedServer(answer) as server:
        async with Client("t", base_url=server.base_url, rate_limit=None) as client:
            with anyio.fail_after(10), pytest.raises(StackLookupError) as info:
                await _create(client, wait=True)
    _says_created(info.value, 77)
    assert [s.uid for s in info.value.candidates] == [t["uid"] for t in twins]
    posts = [s for s in server.seen if s.method == "POST"]
    action_reads = [s for s in server.seen if "/actions/" in s.path]
    assert len(posts) == 1
    assert len(action_reads) == MAX_CANDIDATES  # bounded, one per candidate asked


# -- the POST itself failed: say when the stack may exist anyway --------------------------------


async def test_an_accepted_post_whose_answer_does_not_decode_says_the_stack_exists(
    fake: FakeCloud66, client: Client
) -> None:
    fake.inject_fault("POST", "/stacks", "status", status=200, body=b"<html>ok</html>")
    with anyio.fail_after(5), pytest.raises(DecodeError) as info:
        await _create(client)
    assert "probably created" in str(info.value)
    assert "client.stacks.find('shop', environment='staging')" in str(info.value)
    assert _posts(fake) == 1


@pytest.mark.parametrize("kind", ["status", "reset_during"])
async def test_a_post_that_may_have_arrived_says_so(
    fake: FakeCloud66, client: Client, kind: str
) -> None:
    fake.inject_fault("POST", "/stacks", kind, status=502 if kind == "status" else None)
    with anyio.fail_after(5), pytest.raises((ServerError, TransportError)) as info:
        await _create(client)
    assert "may have been created" in str(info.value)
    assert _posts(fake) == 1


async def test_a_refused_post_says_nothing_of_the_kind(fake: FakeCloud66, client: Client) -> None:
    fake.inject_fault("POST", "/stacks", "status", status=400)
    with anyio.fail_after(5), pytest.raises(BadRequestError) as info:
        await _create(client)
    assert "created" not in str(info.value)


# -- arguments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        Action(id=1),
        Action(id=1, stack_name=NAME),
        Action(id=1, stack_name=" ", stack_environment=ENV),
        Action(id=0, stack_uid="abc"),
        Action(id=1, stack_uid=""),
    ],
)
async def test_an_action_that_cannot_be_waited_on_is_a_config_error(
    fake: FakeCloud66, client: Client, action: Action
) -> None:
    fake.clear_log()
    with pytest.raises(ConfigError):
        await client.actions.wait(action)
    with pytest.raises(ConfigError):
        await client.actions.wait_many([action])
    assert fake.request_log == []
