"""The bearer token never survives into anything the SDK keeps from an answer (issue 14, item 4).

The unit tests pin :class:`Redactor` (every form the token takes inside text, a property test
that its output never holds the token); the loopback tests run a server that echoes the token
back in every place an error answer has, and check each field of the raised error.
"""

from __future__ import annotations

import html
import json
import string
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud66_async._sansio import Redactor, error_for

TOKEN = "c66tok_" + "a1B2/c3+D4=e5" * 4  # has characters that percent/JSON escaping change


def _forms(token: str) -> list[str]:
    return [
        token,
        quote(token, safe=""),
        quote(token, safe="").lower(),
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
