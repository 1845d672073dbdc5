"""The msgspec fast path gives exactly what the careful cattrs path gives, or declines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import cloud66_async.models as M
from cloud66_async._converter import make_converter
from cloud66_async._decode import FastPath as FastDecoder

SAMPLES = Path(__file__).parent / "samples"
MANIFEST: dict[str, dict[str, Any]] = json.loads((SAMPLES / "manifest.json").read_text())

converter = make_converter()


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_fast_path_equals_careful_path_on_every_sample(name: str) -> None:
    spec = MANIFEST[name]
    raw = (SAMPLES / name).read_bytes()
    model = getattr(M, spec["model"])
    data = json.loads(raw)["response"]
    fast = FastDecoder()
    if spec["list"]:
        page = fast.page(raw, model)
        assert page is not None, "every blueprint example takes the fast path"
        assert page.items == converter.structure_list(data, model)
    else:
        one = fast.one(raw, model)
        assert one is not None, "every blueprint example takes the fast path"
        assert one == converter.structure(data, model)


def _stack(**fields: Any) -> dict[str, Any]:
    return {"uid": "u1", "name": "n", **fields}


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"created_at": "2014-08-14 00:38:14"}, "a naive timestamp (read as UTC)"),
        ({"created_at": "2014-08-14T00:38:14"}, "a naive ISO timestamp"),
        ({"name": 5}, "a wrong type (the careful path names the field)"),
    ],
)
def test_fast_path_declines_what_only_the_careful_path_handles(
    fields: dict[str, Any], why: str
) -> None:
    body = json.dumps({"response": [_stack(**fields)]}).encode()
    assert FastDecoder().page(body, M.Stack) is None, why


def test_undocumented_enum_codes_agree() -> None:
    body = json.dumps({"response": [_stack(status=9, health=42)]}).encode()
    page = FastDecoder().page(body, M.Stack)
    assert page is not None
    assert page.items == converter.structure_list(json.loads(body)["response"], M.Stack)
    assert page.items[0].status == 9 and page.items[0].status.name == "UNDOCUMENTED_9"


def test_utc_timestamps_are_rewritten_only_for_timestamp_keys() -> None:
    body = json.dumps(
        {"response": _stack(created_at="2014-08-14 00:38:14 UTC", name="2014-08-14 00:38:14 UTC")}
    ).encode()
    stack = FastDecoder().one(body, M.Stack)
    assert stack is not None
    assert stack == converter.structure(json.loads(body)["response"], M.Stack)
    assert stack.name == "2014-08-14 00:38:14 UTC"  # a string field keeps its text


def test_free_form_models_never_get_rewritten() -> None:
    server = {
        "uid": "s1",
        "created_at": "2014-08-14 00:38:14 UTC",
        "params": {"created_at": "2014-08-14 00:38:14 UTC"},
    }
    body = json.dumps({"response": server}).encode()
    # Server.params is free-form JSON: the fast path declines rather than touch it.
    assert FastDecoder().one(body, M.Server) is None
    careful = converter.structure(server, M.Server)
    assert careful.params == {"created_at": "2014-08-14 00:38:14 UTC"}


def test_rewrite_skips_escaped_keys_inside_strings() -> None:
    text = json.dumps({"created_at": "2014-08-14 00:38:14 UTC"})
    body = json.dumps(
        {"response": _stack(created_at="2014-08-14T00:38:14Z", deploy_directory=text)}
    ).encode()
    stack = FastDecoder().one(body, M.Stack)
    assert stack is not None and stack.deploy_directory == text
