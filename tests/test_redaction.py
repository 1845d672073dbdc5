"""The bearer token never survives into anything the SDK keeps from an answer (issue 14, item 4).

The unit tests pin :class:`Redactor` (every form the token takes inside text, a property test
that its output never holds the token); the loopback tests run a server that echoes the token
back in every place an error answer has, and check each field of the raised error.
"""

from __future__ import annotations

import html
import json
import re
import string
import traceback
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import anyio
import pytest
from _hostile import Conn, HostileServer, Request, head
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud66_async import (
    APIError,
    Client,
    Cloud66Warning,
    DecodeError,
    Hooks,
    ResponseEvent,
    RetryPolicy,
    ThrottledError,
    TransportError,
)
from cloud66_async._sansio import Redactor, error_for

TOKEN = "c66tok_" + "a1B2/c3+D4=e5" * 4  # has characters that percent/JSON escaping change


def _lower_escapes(token: str) -> str:
    """The token percent-encoded with lower-case hex digits (as some encoders write it)."""
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(token, safe=""))


def _forms(token: str) -> list[str]:
    return [
        token,
        quote(token, safe=""),
        _lower_escapes(token),
        json.dumps(token)[1:-1].replace("/", "\\/"),
        html.escape(token),
    ]


@pytest.mark.parametrize("form", _forms(TOKEN))
def test_every_form_of_the_token_is_replaced(form: str) -> None:
    r = Redactor(TOKEN)
    out = r.text(f"before {form} after")
    assert out == f"before {r.marker} after"
    assert TOKEN[:8] not in out


def test_a_token_cut_short_keeps_no_prefix() -> None:
    r = Redactor(TOKEN)
    out = r.text(f"got {TOKEN[:40]}...' in field x")
    assert TOKEN[:8] not in out
    assert out.startswith("got <redacted>")


def test_any_bearer_credential_is_replaced_but_challenges_stay() -> None:
    r = Redactor(TOKEN)
    assert (
        r.text("Authorization: Bearer someone-elses.tok3n==") == "Authorization: Bearer <redacted>"
    )
    challenge = 'Bearer realm="api", error="invalid_token"'
    assert r.text(challenge) == challenge


def test_values_are_redacted_at_any_depth_keys_included() -> None:
    r = Redactor(TOKEN)
    nested: object = {"k": [TOKEN]}
    for _ in range(150):
        nested = {"d": nested}
    data = {TOKEN: 1, "list": [{"x": ("t", TOKEN)}], "n": 3, "deep": nested}
    assert TOKEN not in repr(r.value(data))
    assert r.value({"n": 3, "b": None, "f": 1.5}) == {"n": 3, "b": None, "f": 1.5}


def test_short_or_missing_tokens_only_redact_bearer_credentials() -> None:
    assert Redactor("abc").text("abc abc") == "abc abc"
    assert Redactor(None).text("Bearer xyz123") == "Bearer <redacted>"


def test_repr_shows_nothing() -> None:
    assert TOKEN not in repr(Redactor(TOKEN))


def test_error_for_redacts_every_field() -> None:
    body = json.dumps(
        {
            "error": f"unauthenticated {TOKEN}",
            "error_description": f"token {TOKEN} is not valid",
            "details": {"echo": [{"auth": f"Bearer {TOKEN}"}, quote(TOKEN, safe="")]},
        }
    ).encode()
    err = error_for(
        status=401,
        headers={"X-Echo": TOKEN, f"X-{TOKEN[:10]}": "v"},
        body=body,
        method="GET",
        url="https://api/x",
        request_id="r",
        redactor=Redactor(TOKEN),
    )
    seen = " ".join([str(err), repr(err), repr(err.details), repr(dict(err.headers))])
    assert TOKEN[:8] not in seen
    assert "<redacted>" in seen


def test_error_for_redacts_an_html_page_before_cutting_it() -> None:
    body = f"<html><body><h1>{TOKEN}{'x' * 300}</h1></body></html>".encode()
    err = error_for(
        status=502,
        headers={},
        body=body,
        method="GET",
        url="https://api/x",
        request_id="r",
        redactor=Redactor(TOKEN),
    )
    assert TOKEN[:8] not in str(err)


_alphabet = st.sampled_from(string.ascii_letters + string.digits + "+/=_-.~%\\\"<>&' \u00e9\u2603")


@settings(max_examples=300, deadline=None)
@given(
    secret=st.text(_alphabet, min_size=6, max_size=24),
    pieces=st.lists(st.text(_alphabet, max_size=12), max_size=8),
    data=st.data(),
)
def test_redacted_text_never_contains_the_token(
    secret: str, pieces: list[str], data: st.DataObject
) -> None:
    # Text built from the token's forms, fragments of it, and noise, in any order.
    half = len(secret) // 2
    forms = [*_forms(secret), secret[:half], secret[half:]]
    chosen = data.draw(st.lists(st.sampled_from(forms), max_size=6))
    parts = data.draw(st.permutations(pieces + chosen))
    r = Redactor(secret)
    out = r.text("".join(parts))
    assert secret not in out
    assert secret[:8] not in out


# ------------------------------------------------------------------ a server that echoes it

# A token with characters that percent-encoding and JSON escaping change, so every form differs.
SECRET = "Zq9/xK+7" + "0f3e8a1b" * 7


def _auth(request: Request) -> str:
    return request.headers["authorization"].split(" ", 1)[1]


def _echo_everywhere(status: int) -> Callable[[Request, Conn], Awaitable[bool]]:
    """An error answer with the token in the description, nested details (raw, percent-encoded,
    JSON-escaped, HTML-escaped), a cut-short value and the headers."""

    async def handle(request: Request, conn: Conn) -> bool:
        token = _auth(request)
        body = json.dumps(
            {
                "error": "unauthenticated",
                "error_description": f"the token {token} is not valid",
                "details": {
                    "echo": [{"authorization": f"Bearer {token}"}],
                    "deep": {"a": {"b": [quote(token, safe=""), _lower_escapes(token)]}},
                    token: "as a key",
                    "html": html.escape(token),
                    "cut": token[:20] + "...",
                },
            }
        ).encode()
        # json.dumps leaves "/" alone; a Rails answer may escape it.
        body = body.replace(b"the token", b"the token " + token.replace("/", "\\/").encode())
        await conn.send(
            head(
                status,
                {
                    "Content-Length": str(len(body)),
                    "X-Request-Id": token,
                    "WWW-Authenticate": f'Bearer realm="api", error_description="{token}"',
                    "X-Echo-Authorization": f"Bearer {token}",
                    "Retry-After": "100",
                },
            )
            + body
        )
        return True

    return handle


def _shown(exc: BaseException) -> str:
    """Everything an error shows, however it is printed or inspected."""
    parts = ["".join(traceback.format_exception(exc)), repr(exc.args)]
    link: BaseException | None = exc
    while link is not None:
        parts += [str(link), repr(link), repr(getattr(link, "details", None))]
        headers = getattr(link, "headers", None)
        if headers is not None:
            parts.append(repr(dict(headers)))
        parts += [str(v) for v in vars(link).values()]
        link = link.__cause__ or link.__context__
    return "\n".join(parts)


def _assert_clean(text: str) -> None:
    assert SECRET not in text
    assert SECRET[:8] not in text
    assert quote(SECRET, safe="")[:12] not in text
    assert _lower_escapes(SECRET)[:12] not in text


@pytest.mark.anyio
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500, 502])
async def test_an_error_answer_that_echoes_the_token_leaks_nothing(status: int) -> None:
    with HostileServer(_echo_everywhere(status)) as server:
        async with Client(
            SECRET, base_url=server.base_url, rate_limit=None, retry=RetryPolicy.none()
        ) as client:
            with anyio.fail_after(10), pytest.raises(APIError) as caught:
                await client.stacks.get("stack-1")
    err = caught.value
    assert err.status == status
    _assert_clean(_shown(err))
    assert "<redacted>" in str(err)  # the description is kept, the token replaced
    assert err.details["echo"] == [{"authorization": "Bearer <redacted>"}]
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


@pytest.mark.anyio
async def test_a_throttled_answer_that_echoes_the_token_leaks_nothing() -> None:
    async def handle(request: Request, conn: Conn) -> bool:
        token = _auth(request)
        body = json.dumps({"error": "throttled", "error_description": token}).encode()
        headers = {"Content-Length": str(len(body)), "Retry-After": "100", "X-Echo": token}
        await conn.send(head(503, headers) + body)
        return True

    with HostileServer(handle) as server:
        async with Client(
            SECRET,
            base_url=server.base_url,
            rate_limit=None,
            retry=RetryPolicy(throttle_max_wait=1),
        ) as client:
            with anyio.fail_after(10), pytest.raises(ThrottledError) as caught:
                await client.stacks.get("stack-1")
    _assert_clean(_shown(caught.value))


@pytest.mark.anyio
async def test_an_html_page_that_echoes_the_token_leaks_nothing() -> None:
    async def handle(request: Request, conn: Conn) -> bool:
        token = _auth(request)
        page = f"<html><body><pre>Authorization: Bearer {token}</pre><p>{token}</p></body></html>"
        body = page.encode()
        headers = {"Content-Type": "text/html", "Content-Length": str(len(body))}
        await conn.send(head(502, headers) + body)
        return True

    with HostileServer(handle) as server:
        async with Client(
            SECRET, base_url=server.base_url, rate_limit=None, retry=RetryPolicy.none()
        ) as client:
            with anyio.fail_after(10), pytest.raises(APIError) as caught:
                await client.stacks.get("stack-1")
    assert "Authorization: Bearer <redacted>" in str(caught.value)
    _assert_clean(_shown(caught.value))


@pytest.mark.anyio
async def test_a_decode_error_on_an_echoed_value_leaks_nothing() -> None:
    async def handle(request: Request, conn: Conn) -> bool:
        token = _auth(request)
        body = json.dumps({"response": {"uid": ["x"], "name": {token: token}}}).encode()
        await conn.send(head(200, {"Content-Length": str(len(body))}) + body)
        return True

    with HostileServer(handle) as server:
        async with Client(SECRET, base_url=server.base_url, rate_limit=None) as client:
            with anyio.fail_after(10), pytest.raises(DecodeError) as caught:
                await client.stacks.get("stack-1")
    _assert_clean(_shown(caught.value))


@pytest.mark.anyio
async def test_a_garbled_answer_quoting_the_token_leaks_nothing() -> None:
    """aiohttp's parse error quotes the bytes it could not parse; the TransportError and the
    chain behind it must not carry the token."""

    async def handle(request: Request, conn: Conn) -> bool:
        await conn.send(f"HTTP/1.1 2{_auth(request)} OK\r\n\r\n".encode())
        return False

    with HostileServer(handle) as server:
        async with Client(
            SECRET, base_url=server.base_url, rate_limit=None, retry=RetryPolicy.none()
        ) as client:
            with anyio.fail_after(10), pytest.raises(TransportError) as caught:
                await client.stacks.get("stack-1")
    _assert_clean(_shown(caught.value))


@pytest.mark.anyio
async def test_a_warning_header_that_echoes_the_token_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[ResponseEvent] = []

    async def handle(request: Request, conn: Conn) -> bool:
        body = b'{"response": {"ok": true}}'
        headers = {
            "Content-Length": str(len(body)),
            "X-Cloud66-Warning": f"token {_auth(request)} is deprecated",
        }
        await conn.send(head(200, headers) + body)
        return True

    with HostileServer(handle) as server:
        async with Client(
            SECRET,
            base_url=server.base_url,
            rate_limit=None,
            hooks=Hooks(on_response=events.append),
        ) as client:
            with anyio.fail_after(10), pytest.warns(Cloud66Warning) as warned:
                await client.request("GET", "/x")
    shown = [str(w.message) for w in warned] + [repr(e) for e in events]
    shown += [r.getMessage() for r in caplog.records]
    assert any("token <redacted> is deprecated" in text for text in shown)
    _assert_clean("\n".join(shown))
