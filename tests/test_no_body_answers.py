"""Answers with no body (issue 14, item 6).

The blueprint documents no answer for add firewall rule, update notification, update device,
delete device and delete environment variable. A server that answers ``null`` there (as a
blueprint-driven mock does), an empty body, or ``{"response": null}`` made ``firewalls.add``,
``notifications.update`` and ``users.update_device`` raise ``DecodeError``; they return ``None``
now (typed ``Model | None``, so a type checker makes callers check). A 2xx body that is not
JSON, or JSON that is not the envelope, is still a ``DecodeError``. Each case is one request.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from cloud66_async import Client, DecodeError
from cloud66_async.cli._app import run
from cloud66_async.models import Device, FirewallRule, Notification
from cloud66_async.resources._endpoints import ENDPOINTS
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio

STACK = "5999b763474b0eafa5fafb64bff0ba80"

Call = Callable[[Client, FakeCloud66], Awaitable[Any]]


async def _add_rule(client: Client, fake: FakeCloud66) -> Any:
    return await client.firewalls.add(STACK, protocol="tcp", port=8080, from_ip="10.0.0.1/32")


async def _update_notification(client: Client, fake: FakeCloud66) -> Any:
    (first, *_) = fake.peek(f"/stacks/{STACK}/notifications")
    return await client.notifications.update(STACK, first["id"], channels=["email"])


async def _update_device(client: Client, fake: FakeCloud66) -> Any:
    user = fake.peek("/users")[0]
    token = user["devices"][0]["token"]
    return await client.users.update_device(
        user["id"], token=token, device_type="android", sub_type="iphone"
    )


async def _delete_device(client: Client, fake: FakeCloud66) -> Any:
    user = fake.peek("/users")[0]
    return await client.users.delete_device(user["id"], user["devices"][0]["token"])


async def _delete_env_var(client: Client, fake: FakeCloud66) -> Any:
    return await client.env_vars.delete(STACK, "SOME_KEY")


#: name -> (method, path under the API, the call, the model when there is an answer)
READ: dict[str, tuple[str, str, Call, type]] = {
    "firewalls.add": ("POST", f"/stacks/{STACK}/firewalls", _add_rule, FirewallRule),
    "notifications.update": (
        "PUT",
        f"/stacks/{STACK}/notifications/.*",
        _update_notification,
        Notification,
    ),
    "users.update_device": ("PUT", "/users/.*/devices", _update_device, Device),
}
IGNORED: dict[str, tuple[str, str, Call]] = {
    "users.delete_device": ("DELETE", "/users/.*/devices/.*", _delete_device),
    "env_vars.delete": ("DELETE", f"/stacks/{STACK}/environments/SOME_KEY", _delete_env_var),
}

EMPTY: dict[str, tuple[int, bytes]] = {
    "no body": (200, b""),
    "blanks": (200, b" \r\n "),
    "null": (200, b"null"),
    "response null": (200, b'{"response": null}'),
    "204": (204, b""),
}


def _arm(fake: FakeCloud66, method: str, path: str, status: int, body: bytes) -> None:
    fake.inject_fault(method, re.compile(path), "status", status=status, body=body)


def test_the_table_marks_exactly_the_undocumented_answers() -> None:
    nullable = {name for name, e in ENDPOINTS.items() if e.nullable}
    no_content = {name for name, e in ENDPOINTS.items() if e.model is type(None)}
    assert nullable == set(READ)
    assert no_content == set(IGNORED)


@pytest.mark.parametrize("form", sorted(EMPTY))
@pytest.mark.parametrize("name", sorted(READ))
async def test_an_empty_answer_is_none(
    fake: FakeCloud66, client: Client, name: str, form: str
) -> None:
    method, path, call, _ = READ[name]
    status, body = EMPTY[form]
    _arm(fake, method, path, status, body)
    fake.clear_log()
    with anyio.fail_after(5):
        assert await call(client, fake) is None
    assert [r.method for r in fake.request_log] == [method]  # one request, never resent


@pytest.mark.parametrize("name", sorted(READ))
async def test_an_answer_is_still_decoded(fake: FakeCloud66, client: Client, name: str) -> None:
    method, _, call, model = READ[name]
    fake.clear_log()
    with anyio.fail_after(5):
        assert isinstance(await call(client, fake), model)
    assert [r.method for r in fake.request_log] == [method]


@pytest.mark.parametrize(
    "body",
    [b"<html>OK</html>", b'{"response": [}', b"{}", b"[]", b'{"response": 5}', b"true"],
    ids=["html", "broken-json", "no-envelope", "list", "not-an-object", "true"],
)
@pytest.mark.parametrize("name", sorted(READ))
async def test_a_body_that_is_not_an_answer_stays_a_decode_error(
    fake: FakeCloud66, client: Client, name: str, body: bytes
) -> None:
    method, path, call, _ = READ[name]
    _arm(fake, method, path, 200, body)
    fake.clear_log()
    with anyio.fail_after(5), pytest.raises(DecodeError):
        await call(client, fake)
    assert [r.method for r in fake.request_log] == [method]


@pytest.mark.parametrize("form", [*sorted(EMPTY), "object"])
@pytest.mark.parametrize("name", sorted(IGNORED))
async def test_an_unread_answer_is_none_whatever_it_is(
    fake: FakeCloud66, client: Client, name: str, form: str
) -> None:
    method, path, call = IGNORED[name]
    status, body = EMPTY.get(form, (200, b'{"ok": true}'))
    _arm(fake, method, path, status, body)
    fake.clear_log()
    with anyio.fail_after(5):
        assert await call(client, fake) is None
    assert [r.method for r in fake.request_log] == [method]


@pytest.mark.parametrize("json_output", [True, False])
async def test_the_command_line_says_so_when_there_is_no_answer(
    fake: FakeCloud66, json_output: bool
) -> None:
    """``--json`` still prints one JSON document; people read a sentence."""
    _arm(fake, "POST", f"/stacks/{STACK}/firewalls", 200, b"null")
    argv = ["--base-url", fake.base_url, "--token", fake.token]
    argv += ["--json"] if json_output else []
    argv += ["firewalls", "add", STACK, "--protocol", "tcp", "--port", "8080"]
    argv += ["--from-ip", "10.0.0.1/32", "--yes"]
    out, err = io.StringIO(), io.StringIO()
    with anyio.fail_after(30):
        code = await anyio.to_thread.run_sync(lambda: run(argv, stdout=out, stderr=err))
    assert code == 0, err.getvalue()
    if json_output:
        assert json.loads(out.getvalue()) == {"ok": True}
    else:
        assert "no answer" in out.getvalue()
