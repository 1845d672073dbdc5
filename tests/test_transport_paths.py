"""The SDK's own transport is called without the protocol's objects; every other one through
``send`` (issue 15).

``AiohttpTransport.exchange`` is ``send`` without the :class:`HTTPRequest` and
:class:`HTTPResponse` instances, and the pipeline calls it only when the transport is exactly
the SDK's own: a subclass (which may override ``send``) and any user transport still go through
``send``. Both paths are checked end to end against FakeCloud66 over loopback.
"""

from __future__ import annotations

import pytest
from multidict import CIMultiDictProxy

from cloud66_async import Client, HTTPRequest, HTTPResponse, NotFoundError, Timeout
from cloud66_async._sansio import Reply
from cloud66_async._transport import AiohttpTransport
from cloud66_async.testing import FakeCloud66

pytestmark = pytest.mark.anyio


class Recording(AiohttpTransport):
    """The SDK's transport with ``send`` overridden: every request must come through it."""

    def __init__(self) -> None:
        super().__init__(max_response_bytes=1 << 20)
        self.sent: list[str] = []

    async def send(self, request: HTTPRequest, *, timeout: Timeout) -> HTTPResponse:
        self.sent.append(f"{request.method} {request.url}")
        return await super().send(request, timeout=timeout)


async def test_send_and_exchange_read_the_same_answer() -> None:
    async with FakeCloud66(stacks=1) as fake:
        transport = AiohttpTransport(max_response_bytes=1 << 20)
        url = f"{fake.base_url}/stacks/{fake.stack_uids[0]}"
        headers = {"Authorization": f"Bearer {fake.token}", "Accept": "application/json"}
        try:
            response = await transport.send(HTTPRequest("GET", url, headers), timeout=Timeout())
            reply = await transport.exchange("GET", url, headers, None, Timeout())
        finally:
            await transport.close()
    assert type(response) is HTTPResponse and type(reply) is Reply
    assert (response.status, response.body) == (reply.status, reply.body) == (200, reply.body)
    assert isinstance(response.headers, CIMultiDictProxy)
    assert response.headers["content-type"] == reply.headers["Content-Type"]


async def test_a_subclass_of_the_sdk_transport_is_called_through_its_send() -> None:
    async with FakeCloud66(stacks=2) as fake:
        transport = Recording()
        async with (
            Client(fake.token, base_url=fake.base_url, transport=transport, _env={}) as ours,
            Client(fake.token, base_url=fake.base_url, _env={}) as plain,
        ):
            uid = fake.stack_uids[0]
            assert await ours.stacks.get(uid) == await plain.stacks.get(uid)
            listed = [s.uid async for s in ours.stacks.list()]
            assert listed == [s.uid async for s in plain.stacks.list()]
            with pytest.raises(NotFoundError) as theirs_error:
                await ours.stacks.get("no-such-stack")
            with pytest.raises(NotFoundError) as plain_error:
                await plain.stacks.get("no-such-stack")
    # The same error, but for the request ids (each request has its own).
    theirs, plain_one = theirs_error.value, plain_error.value
    assert (theirs.status, theirs.error, theirs.url) == (
        plain_one.status,
        plain_one.error,
        plain_one.url,
    )
    assert transport.sent == [
        f"GET {fake.base_url}/stacks/{uid}",
        f"GET {fake.base_url}/stacks?page=1",
        f"GET {fake.base_url}/stacks/no-such-stack",
    ]
