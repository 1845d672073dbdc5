"""``import cloud66_async`` loads what a plain client needs and defers the rest (issue 15).

What the import defers, each proved in a fresh interpreter (this process has long imported
everything): the models (each on first use, from its own module), the resource managers (built
on first access to ``client.<group>``), the shared limit store, the waits, the paginator (first
list), fan_out's machinery (first fan_out), the careful cattrs decoder, the command line, the
testing package, the hook events (the first hook called), and anyio (the first wait, cancelled
request, prefetch or fan_out loads it). And every
name deferred still resolves, lists in ``dir()`` and ``__all__``, and is the object its module
defines.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import typing

import attrs
import pytest

import cloud66_async
import cloud66_async.models
from cloud66_async import Client, HTTPRequest, HTTPResponse, MockTransport, resources
from cloud66_async._client import MANAGER_NAMES
from cloud66_async._options import StoreAddress, check_limit_store
from cloud66_async.resources import MANAGERS, Manager

MODEL_MODULES = tuple(
    sorted(f"cloud66_async.models{module}" for module in set(cloud66_async.models._LAZY.values()))
)
# Loaded by `import cloud66_async` before this work; a plain client has no use for them at import.
DEFERRED = (
    *MODEL_MODULES,
    "cloud66_async.resources",
    "cloud66_async._polling",
    "cloud66_async._bulk",
    "cloud66_async._paging",
    "cloud66_async._store",
    "cloud66_async._converter",
    "cloud66_async.cli",
    "cloud66_async.testing",
    "cloud66_async._tasks",
    "cloud66_async._events",  # the hook events: loaded with the first hook called
    "cattrs",
    "anyio",  # loaded with the first wait, cancelled request, list or fan_out
    "html",  # for the redactor's forms of the token: loaded when a client is made
    "msgspec",  # the fast JSON path: loaded by the first parse or decode
    "cloud66_async._envelopes",
)


def run_child(code: str) -> typing.Any:
    """Run ``code`` in a fresh interpreter; return what it printed last, read as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def loaded(names: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


def test_import_loads_none_of_what_a_plain_client_defers() -> None:
    new = run_child(
        "import json, sys\n"
        "import aiohttp\n"
        "before = set(sys.modules)\n"
        "import cloud66_async\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    assert "cloud66_async._client" in new  # the client itself is imported, with aiohttp
    assert "cloud66_async.models" in new  # the table of model names: c66.models.Stack works
    assert loaded(new, DEFERRED) == []


def test_models_are_reachable_from_a_plain_import() -> None:
    found = run_child(
        "import json\n"
        "import cloud66_async as c66\n"
        "print(json.dumps([c66.models.Stack.__module__, c66.models.User.__name__]))\n"
    )
    assert found == ["cloud66_async.models.stacks", "User"]


def test_fan_out_signature_resolves_without_loading_its_machinery() -> None:
    # get_type_hints(Client.fan_out) needs Outcome at run time: the base class Success and
    # Failure share, defined outside _bulk so that resolving it loads nothing.
    found = run_child(
        "import json, pickle, sys, typing\n"
        "import cloud66_async as c\n"
        "hints = typing.get_type_hints(c.Client.fan_out)\n"
        "before = 'cloud66_async._bulk' in sys.modules\n"
        "outcome = typing.get_args(hints['return'])[0]\n"
        "same = typing.get_origin(outcome) is c.Outcome\n"
        "print(json.dumps([before, str(hints['return']), same,"
        " pickle.loads(pickle.dumps(c.Outcome)) is c.Outcome,"
        " isinstance(c.Success(1, 2), c.Outcome),"
        " isinstance(c.Failure(1, ValueError()), c.Outcome),"
        " repr(c.Outcome), 'cloud66_async._bulk' in sys.modules]))\n"
    )
    before, shown, same, pickled, success, failure, name, after = found
    assert before is False  # resolving the signature loaded nothing
    assert shown == "cloud66_async._streams.Stream[cloud66_async._bulk.Outcome[~I, ~R]]"
    assert same and pickled and success and failure
    assert name == "<class 'cloud66_async._bulk.Outcome'>" and after is True
    assert cloud66_async.Outcome is cloud66_async._bulk.Outcome


def test_building_a_client_loads_no_manager_until_one_is_used() -> None:
    found = run_child(
        "import json, sys\n"
        "import cloud66_async\n"
        "client = cloud66_async.Client('t', base_url='http://127.0.0.1:9/api/3', _env={})\n"
        "built = sorted(sys.modules)\n"
        "client.stacks\n"
        "print(json.dumps([built, sorted(sys.modules)]))\n"
    )
    built, used = found
    assert loaded(built, ("cloud66_async.resources", *MODEL_MODULES)) == []
    assert "cloud66_async.resources.stacks" in used
    assert "cloud66_async.models.stacks" in used


def test_a_model_import_loads_its_own_module_only() -> None:
    new = run_child(
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "from cloud66_async.models import Stack\n"
        "assert Stack.__module__ == 'cloud66_async.models.stacks'\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    assert loaded(new, ("cloud66_async.models",)) == [
        "cloud66_async.models",
        "cloud66_async.models.stacks",
    ]


def test_every_model_name_resolves_in_a_fresh_interpreter() -> None:
    # Fresh: each name goes through the lazy lookup, star import included (it reads __all__).
    found = run_child(
        "import importlib, json\n"
        "import cloud66_async.models as m\n"
        "names = {n: getattr(m, n) is getattr(importlib.import_module(m._LAZY[n], m.__name__), n)"
        " for n in m.__all__}\n"
        "star = {}\n"
        "exec('from cloud66_async.models import *', star)\n"
        "print(json.dumps([names, sorted(k for k in star if not k.startswith('__')), dir(m)]))\n"
    )
    names, star, listed = found
    public = cloud66_async.models.__all__
    assert sorted(names) == sorted(public)
    assert all(names.values())  # each is the object its own module defines
    assert star == sorted(public)
    assert set(public) <= set(listed)


def test_every_name_of_the_package_resolves_in_a_fresh_interpreter() -> None:
    # The names the package itself defers (PEP 562) go through the lazy lookup here, star import
    # included; each is the object its own module defines.
    found = run_child(
        "import importlib, json\n"
        "import cloud66_async as c\n"
        "lazy = {n: getattr(c, n) is getattr(importlib.import_module(m, 'cloud66_async'), n)"
        " for n, m in c._LAZY.items()}\n"
        "star = {}\n"
        "exec('from cloud66_async import *', star)\n"
        "print(json.dumps([lazy, sorted(k for k in star if k != '__builtins__'), dir(c)]))\n"
    )
    lazy, star, listed = found
    assert set(lazy) == set(cloud66_async._LAZY) and all(lazy.values())
    assert set(cloud66_async._LAZY) <= set(cloud66_async.__all__)
    assert star == sorted(cloud66_async.__all__)
    assert set(cloud66_async.__all__) <= set(listed)
    with pytest.raises(AttributeError, match="has no attribute 'Pagintor'"):
        cloud66_async.Pagintor  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError, match="Pagintor"):
        exec("from cloud66_async import Pagintor", {})


@pytest.mark.parametrize("name", cloud66_async.models.__all__)
def test_each_model_name_is_the_class_its_module_defines(name: str) -> None:
    module = importlib.import_module(cloud66_async.models._LAZY[name], "cloud66_async.models")
    defined = getattr(module, name)
    assert getattr(cloud66_async.models, name) is defined
    assert name in dir(cloud66_async.models)


def test_the_lazy_table_names_every_model_and_nothing_else() -> None:
    assert set(cloud66_async.models._LAZY) == set(cloud66_async.models.__all__)
    assert len(cloud66_async.models.__all__) == len(set(cloud66_async.models.__all__))


def test_an_unknown_model_name_raises_the_usual_errors() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Stak'"):
        cloud66_async.models.Stak  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError, match="Stak"):
        exec("from cloud66_async.models import Stak", {})


def test_the_client_names_the_same_managers_as_the_resources_and_its_annotations() -> None:
    names = {name: getattr(resources, name) for name in resources.__all__}
    hints = typing.get_type_hints(Client, localns=names)
    annotated = {n for n, t in hints.items() if isinstance(t, type) and issubclass(t, Manager)}
    assert set(MANAGERS) == MANAGER_NAMES == annotated
    assert all(hints[name] is getattr(resources, MANAGERS[name]) for name in MANAGER_NAMES)


async def never_called(request: HTTPRequest) -> HTTPResponse:
    raise AssertionError("no request is sent")


@pytest.mark.anyio
async def test_each_manager_is_built_on_first_access_then_kept() -> None:
    async with Client("t", transport=MockTransport(never_called), _env={}) as client:
        assert not set(vars(client)) & MANAGER_NAMES  # none built yet
        assert set(dir(client)) >= MANAGER_NAMES
        for name in sorted(MANAGER_NAMES):
            manager = getattr(client, name)
            assert type(manager) is getattr(resources, MANAGERS[name])
            assert manager._requester is client._requester
            assert getattr(client, name) is manager  # kept, not rebuilt
        view = client.with_options(timeout=5)
        assert view.stacks is not client.stacks
        assert view.stacks._requester is view._requester
        assert view._requester.timeout.total == 5
        raw = client.with_raw_response.stacks
        assert type(raw).__name__ == "_RawManager"
        with pytest.raises(AttributeError, match="'Client' object has no attribute 'stack'"):
            client.stack  # type: ignore[attr-defined]  # noqa: B018
        with pytest.raises(AttributeError, match="has no attribute 'nope'"):
            client.with_raw_response.nope  # noqa: B018


# StoreAddress, built only with a limit store, is a plain slotted class (an attrs class cost ~1 ms
# of every import): it keeps the attrs value behaviour the store code and messages rely on.
def test_a_store_address_is_a_frozen_value_whose_repr_hides_the_credentials() -> None:
    address = check_limit_store("redis://user:s3cret@cache:6390/2?socket_timeout=3")
    again = check_limit_store("redis://user:s3cret@cache:6390/2?socket_timeout=3")
    assert not attrs.has(StoreAddress)  # the point: no attrs class built at import
    assert address == again and hash(address) == hash(again) and address is not again
    assert address != check_limit_store("redis://user:s3cret@cache:6390/3?socket_timeout=3")
    assert address != check_limit_store("redis://user:other@cache:6390/2?socket_timeout=3")
    assert address.__eq__(("redis",)) is NotImplemented
    assert (address.username, address.password, address.host, address.port) == (
        "user",
        "s3cret",
        "cache",
        6390,
    )
    assert (address.db, address.command_timeout, address.bound) == (2, 3.0, 4.0)
    assert repr(address) == (
        "StoreAddress(scheme='redis', shown='redis://user:***@cache:6390/2?socket_timeout=3', "
        "host='cache', port=6390, path=None, db=2, connect_timeout=1.0, command_timeout=3.0, "
        "ssl_cert_reqs=None, ssl_ca_certs=None, ssl_check_hostname=None)"
    )
    assert "s3cret" not in repr(address) and "user=" not in repr(address)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        address.db = 0  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del address.host
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        address.extra = 1  # type: ignore[attr-defined]
    unix = StoreAddress(scheme="unix", shown="unix:///tmp/r.sock", path="/tmp/r.sock")
    assert (unix.host, unix.port, unix.db, unix.ssl_check_hostname) == (None, 6379, 0, None)
    assert unix == check_limit_store("unix:///tmp/r.sock")


def test_msgspec_loads_with_the_first_parse_and_decode_and_is_kept() -> None:
    found = run_child(
        "import json, sys\n"
        "import cloud66_async\n"
        "from cloud66_async import _sansio\n"
        "from cloud66_async._decode import Decoder\n"
        "from cloud66_async.models import Stack\n"
        "before = 'msgspec' in sys.modules\n"
        "value = _sansio.parse_body(b'{\"a\": [1, 2.5, null]}')\n"
        "decode, error = _sansio._any_json, _sansio._json_error.__name__\n"
        "nan = _sansio.parse_body(b'NaN') != 0\n"  # refused by msgspec: json.loads decides
        "try:\n"
        "    _sansio.parse_body(b'{')\n"
        "    bad = None\n"
        "except ValueError as e:\n"
        "    bad = type(e).__name__\n"
        "kept = _sansio._any_json is decode\n"
        "parsed = 'cloud66_async._envelopes' in sys.modules\n"
        'stack = Decoder().fast.one(b\'{"response": {"uid": "s1", "name": "n"}}\', Stack)\n'
        "print(json.dumps([before, value, error, nan, bad, kept, parsed,"
        " stack is not None and stack.uid, 'cloud66_async._envelopes' in sys.modules]))\n"
    )
    assert found == [
        False,
        {"a": [1, 2.5, None]},
        "DecodeError",
        True,
        "JSONDecodeError",
        True,
        False,
        "s1",
        True,
    ]


def test_the_fast_path_catches_msgspec_errors_as_value_errors() -> None:
    # _decode catches (ValueError, TypeError) without naming msgspec's DecodeError, so that it
    # need not import msgspec: that is the same only while DecodeError is a ValueError.
    import msgspec

    assert issubclass(msgspec.DecodeError, ValueError)
    assert issubclass(msgspec.ValidationError, ValueError)


def test_private_classes_on_the_import_path_are_plain_and_behave_as_attrs_ones_did() -> None:
    from cloud66_async import _decode, _pipeline, _sansio, _throttle

    plain = [
        _sansio.Done,
        _sansio.Retry,
        _sansio.Throttled,
        _sansio.Fail,
        _sansio.PageInfo,
        _sansio.RateLimitHeaders,
        _throttle.Ticket,
        _throttle.LimiterState,
        _throttle.GateState,
        _decode._ModelInfo,
        _pipeline._Capture,
    ]
    assert [c.__name__ for c in plain if attrs.has(c)] == []
    # Equal by value, hashable, true, printed as attrs printed them; Done only equals a Done.
    assert _sansio.Done() == _sansio.DONE and hash(_sansio.Done()) == hash(_sansio.DONE)
    assert _sansio.Throttled(None) != _sansio.DONE and _sansio.DONE != () and bool(_sansio.DONE)
    assert repr(_sansio.DONE) == "Done()"
    retry = _sansio.Retry(1.5, "status 502", 502)
    assert retry == _sansio.Retry(1.5, "status 502", 502) != _sansio.Retry(1.5, "status 502", 503)
    assert repr(retry) == "Retry(delay=1.5, reason='status 502', status=502)"
    assert hash(retry) == hash(_sansio.Retry(1.5, "status 502", 502))
    error = ValueError("x")
    assert _sansio.Fail(error) == _sansio.Fail(error) != _sansio.Fail(ValueError("x"))
    assert repr(_throttle.FREE) == "Ticket(probe=False, generation=0)"
    assert repr(_sansio.RateLimitHeaders(10, None)) == "RateLimitHeaders(limit=10, remaining=None)"
    with pytest.raises(AttributeError):
        retry.delay = 2.0  # type: ignore[misc]
    capture = _pipeline._Capture()
    assert capture.answer is None and bool(capture)


# -- the first use of a manager and of a method (issue 15) ----------------------------------------

# What every manager's first access loads: the base all managers share (and the paginator its
# list methods return). Beyond it, each manager module brings only the models its signatures name:
# typing.get_type_hints on a manager's methods resolves them in the module, so they are imported
# with it (StacksManager.create returns an Action: the stacks module loads the actions model).
FIRST_ACCESS_BASE = {
    "cloud66_async._paging",
    "cloud66_async.resources",
    "cloud66_async.resources._base",
    "cloud66_async.resources._endpoints",
    "cloud66_async.resources._validate",
}
FIRST_ACCESS = {
    "stacks": ({"resources.stacks", "resources._lookup"}, {"stacks", "actions"}),
    "actions": ({"resources.stacks", "resources._lookup"}, {"stacks", "actions"}),
    "deployments": ({"resources.deployments"}, {"deployments", "actions", "common"}),
    "services": ({"resources.services"}, {"services", "actions"}),
    "env_vars": (
        {"resources.configuration"},
        {"env_vars", "firewalls", "notifications", "settings", "actions"},
    ),
    "server_groups": ({"resources.infrastructure"}, {"servers", "clouds", "backups", "common"}),
    "users": ({"resources.people"}, {"users", "accounts"}),
}
# Loaded by the waits alone.
WAITS = ("cloud66_async._polling", "cloud66_async.resources._polls")

STACK = {"uid": "s1", "name": "web", "created_at": "2024-01-02 03:04:05 UTC"}
ACTION = {"id": 7, "action": "restart", "finished_at": "2024-01-02T03:04:06Z"}
FIRST_CALLS = (
    "import asyncio, json, sys\n"
    "import cloud66_async as c\n"
    "from cloud66_async import HTTPResponse, MockTransport\n"
    "from cloud66_async.models import Action\n"
    f"STACK, ACTION = {STACK!r}, {{**{ACTION!r}, 'finished_success': True}}\n"
    "async def answer(request):\n"
    "    body = ACTION if '/actions/' in request.url else STACK\n"
    "    return HTTPResponse(200, {'Content-Type': 'application/json'},"
    " json.dumps({'response': body}).encode())\n"
    "def new(before):\n"
    "    return sorted(n for n in set(sys.modules) - before if n.startswith('cloud66_async'))\n"
    "async def main():\n"
    "    async with c.Client('t', transport=MockTransport(answer), _env={}) as client:\n"
    "        stacks = client.stacks\n"
    "        before = set(sys.modules)\n"
    "        stack = await stacks.get('s1')\n"
    "        got = new(before)\n"
    "        before = set(sys.modules)\n"
    "        again = await stacks.get('s1')\n"
    "        second = new(before)\n"
    "        before = set(sys.modules)\n"
    "        done = await client.actions.wait(Action(id=7, stack_uid='s1'), timeout=5)\n"
    "        waited = new(before)\n"
    "        return [got, second, waited, stack.name, again == stack, done.finished_success]\n"
    "print(json.dumps(asyncio.run(main())))\n"
)


@pytest.mark.parametrize("attribute", sorted(FIRST_ACCESS))
def test_the_first_access_of_a_manager_loads_its_group_only(attribute: str) -> None:
    new = run_child(
        "import json, sys\n"
        "import cloud66_async\n"
        "client = cloud66_async.Client('t', base_url='http://127.0.0.1:9/api/3', _env={})\n"
        "before = set(sys.modules)\n"
        f"manager = client.{attribute}\n"
        "assert type(manager).__module__.startswith('cloud66_async.resources.')\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    modules, models = FIRST_ACCESS[attribute]
    expected = FIRST_ACCESS_BASE | {f"cloud66_async.{m}" for m in modules}
    expected |= {f"cloud66_async.models.{m}" for m in models}
    assert loaded(new, ("cloud66_async",)) == sorted(expected)
    # Nothing else either: not the decoder's msgspec or cattrs, not the waits' anyio machinery.
    assert [n for n in new if not n.startswith("cloud66_async")] == []


def test_the_first_call_of_a_method_loads_what_that_method_needs_only() -> None:
    got, second, waited, name, same, success = run_child(FIRST_CALLS)
    assert (name, same, success) == ("web", True, True)
    # The first get decodes: the envelope decoders (msgspec) load, and no model, manager or wait.
    assert got == ["cloud66_async._envelopes"]
    assert second == []
    # The first wait loads the waits and what they read: the deployment models the waits name
    # (the stacks and actions models came with client.stacks).
    assert set(WAITS) <= set(waited)
    assert loaded(waited, ("cloud66_async.resources",)) == ["cloud66_async.resources._polls"]
    assert loaded(waited, ("cloud66_async.models",)) == [
        "cloud66_async.models.common",
        "cloud66_async.models.deployments",
    ]


FIRST_EXTRAS = (
    "import asyncio, json, sys\n"
    "import cloud66_async as c\n"
    "from cloud66_async import HTTPResponse, MockTransport, RetryPolicy\n"
    f"STACK = {STACK!r}\n"
    "calls = []\n"
    "async def answer(request):\n"
    "    calls.append(request.url)\n"
    "    if len(calls) == 3:  # one 502, retried once after a (zero) backoff\n"
    "        return HTTPResponse(502, {}, b'')\n"
    "    return HTTPResponse(200, {'Content-Type': 'application/json'},"
    " json.dumps({'response': STACK}).encode())\n"
    "def new(before):\n"
    "    return sorted(n for n in set(sys.modules) - before"
    " if n.startswith(('cloud66_async', 'anyio')) and n != 'anyio._backends._asyncio')\n"
    "events = []\n"
    "async def main():\n"
    "    hooks = c.Hooks(on_response=lambda e: events.append(type(e).__name__))\n"
    "    retry = RetryPolicy(backoff=0, backoff_max=0)\n"
    "    transport = MockTransport(answer)\n"
    "    async with c.Client('t', transport=transport, retry=retry, _env={}) as client:\n"
    "        stacks = client.stacks\n"
    "        await stacks.get('s1')\n"
    "        before = set(sys.modules)\n"
    "        await stacks.get('s1')\n"
    "        plain = new(before)\n"
    "        before = set(sys.modules)\n"
    "        await stacks.get('s1')\n"
    "        retried = new(before)\n"
    "        async with c.Client('t', transport=MockTransport(answer), hooks=hooks,"
    " _env={}) as hooked:\n"
    "            hooked.stacks\n"
    "            before = set(sys.modules)\n"
    "            await hooked.stacks.get('s1')\n"
    "            hook = new(before)\n"
    "        before = set(sys.modules)\n"
    "        raw = await client.raw_response(stacks.get('s1'))\n"
    "        state = client.rate_limit_state\n"
    "        reports = new(before)\n"
    "        return [plain, retried, hook, events, reports, raw.parsed.name,\n"
    "                type(raw) is c.RawResponse, type(state) is c.RateLimitState, len(calls)]\n"
    "print(json.dumps(asyncio.run(main())))\n"
)


def test_hooks_and_waits_load_their_modules_on_first_use() -> None:
    # A plain GET (no hook, no wait) loads nothing; a wait loads anyio, a hook its events.
    plain, retried, hook, events, reports, name, raw_ok, state_ok, calls = run_child(FIRST_EXTRAS)
    assert plain == []
    assert "anyio" in retried  # the backoff's sleep, even a zero one, is anyio's checkpoint
    assert loaded(retried, ("cloud66_async",)) == []
    assert hook == ["cloud66_async._events"] and events == ["ResponseEvent"]
    assert reports == []  # RawResponse and RateLimitState are on the import path
    assert (name, raw_ok, state_ok, calls) == ("web", True, True, 6)
