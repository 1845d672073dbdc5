"""The SDK against the API Blueprint: every operation of ``cloud66-api-v3.apib`` is called through
the SDK and the request FakeCloud66 received is checked against the blueprint (method, path under
``/api/3``, parameters in the query string for GET and in a JSON body otherwise, a 2xx answer);
the endpoint table's scopes are checked against the blueprint's, scopes are enforced, and the
early edition (``/api/v3``) works for the operations it documents.

The blueprints are the copies vendored in ``cloud66_async/testing/spec``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
import pytest

from cloud66_async import Client, PermissionDeniedError
from cloud66_async.models import (
    Account,
    Action,
    Backup,
    BackupFile,
    Cloud,
    Container,
    Deployment,
    Device,
    EnvVar,
    FirewallRule,
    Notification,
    OperationResult,
    RedeployResult,
    Server,
    ServerGroup,
    ServerSetting,
    Service,
    Setting,
    Stack,
    User,
)
from cloud66_async.resources._endpoints import ENDPOINTS
from cloud66_async.testing import SCOPES, FakeCloud66, LoggedRequest
from cloud66_async.testing._blueprint import Operation, Parameter, blueprint

pytestmark = pytest.mark.anyio

V3_PREFIX = "/api/3"
EARLY_PREFIX = "/api/v3"

EXAMPLE = "5999b763474b0eafa5fafb64bff0ba80"
CARIBOU = "f8468fc145ea49bac474b30a8fea888d"
GAZELLE = "c6014897b8c8e9f2fc204a3a9efdae05"
EXAMPLE_CONTAINER = "cba44fa6b6acf57fb0ef6c2ce385f6a129867df544dae7181d2410e9f9cc32bc"

# Parameters the blueprint documents outside its "+ Parameters" lists: "Run Stack action" has
# `value` in its command table ("value=1 for enable, value=0 for disable").
EXTRA_PARAMS = {
    "Run Stack action": {"value"},
    # The live API's name for services_filter (its documentation and the official Go client).
    "Redeploy": {"services"},
}


# -- the blueprint, read by the package's reader ---------------------------------------------

V3: list[Operation] = list(blueprint("v3"))
EARLY: list[Operation] = list(blueprint("early"))
V3_BY_NAME = {op.name: op for op in V3}
EARLY_BY_NAME = {op.name: op for op in EARLY}


def body_params(op: Operation) -> dict[str, Parameter]:
    """The parameters that are not part of the path."""
    return {p.name: p for p in op.other_parameters}


def fill(template: str, args: dict[str, object]) -> str:
    """The blueprint template with its parameters filled in, each quoted as one segment."""

    def one(match: re.Match[str]) -> str:
        return quote(str(args[match[1]]), safe="")

    return re.sub(r"\{(\w+)\}", one, template)


def shape(template: str) -> str:
    """A template with its placeholder names dropped, for comparing templates."""
    return re.sub(r"\{\w+\}", "{}", template)


# -- ids of the fake's example data ----------------------------------------------------------


@dataclass
class Ids:
    """Real ids from the fake's seed data (the blueprint's example stack and its objects)."""

    action: int
    deployment: int
    env_var: int
    env_key: str
    deletable_env: str
    firewall: int
    notification: int
    server_group: int
    backup: int
    backup_file: str
    account: int
    user: int
    device: str
    stop_container: str
    live_deployment: int | None = None


def known_ids(fake: FakeCloud66) -> Ids:
    s = f"/stacks/{EXAMPLE}"
    envs = fake.peek(f"{s}/environments")
    backup = fake.peek(f"{s}/backups")[0]["id"]
    user = fake.peek("/users")[0]
    return Ids(
        action=fake.peek(f"{s}/actions")[0]["id"],
        deployment=fake.peek(f"{s}/deployments")[0]["id"],
        env_var=envs[1]["id"],
        env_key=next(e["key"] for e in envs if not e["readonly"]),
        deletable_env=next(e["key"] for e in envs if not e["readonly"] and not e["is_generated"]),
        firewall=fake.peek(f"{s}/firewalls")[0]["id"],
        notification=fake.peek(f"{s}/notifications")[0]["id"],
        server_group=fake.peek(f"{s}/server_groups")[0]["id"],
        backup=backup,
        backup_file=fake.peek(f"{s}/backups/{backup}/files")[0]["id"],
        account=fake.peek("/accounts")[0]["id"],
        user=user["id"],
        device=user["devices"][0]["token"],
        stop_container=fake.peek(f"{s}/containers")[-1]["uid"],
    )


async def start_live_deployment(fake: FakeCloud66, client: Client, ids: Ids) -> None:
    """Cancelling needs a deployment that is still running."""
    fake.deploy_duration = 60
    await client.deployments.redeploy(EXAMPLE)
    live = [d for d in fake.peek(f"/stacks/{EXAMPLE}/deployments") if d["is_deploying"]]
    ids.live_deployment = live[0]["id"]


# -- the table: every blueprint operation -> the SDK call that implements it ------------------

Call = Callable[[Client, Ids], Awaitable[Any]]
Args = Callable[[Ids], dict[str, object]]


@dataclass(frozen=True)
class Case:
    """How the SDK implements one blueprint operation.

    ``args`` fills the blueprint's path parameters; ``sent`` is what the request must carry
    besides them (the query string of a GET without ``page``, or the JSON body of a write);
    ``model`` is the type the call returns.
    """

    endpoint: str
    args: Args
    call: Call
    model: type[Any] | None
    sent: Callable[[Ids], dict[str, Any]] = lambda ids: {}
    prepare: Callable[[FakeCloud66, Client, Ids], Awaitable[None]] | None = None


def stack_args(ids: Ids) -> dict[str, object]:
    return {"id": EXAMPLE}


def in_stack(**more: Callable[[Ids], object]) -> Args:
    return lambda ids: {"stack_id": EXAMPLE, **{k: f(ids) for k, f in more.items()}}


SERVICE_YAML = "services:\n  web:\n    image: quay.io/cloud66/sample-rails\n"
REMOTE_URL = "https://s3.amazonaws.com/c66-managed-backup-non-prod/backups/redis_23.tar"

TABLE: dict[str, Case] = {
    # Stacks
    "Stack List": Case("stacks.list", lambda ids: {}, lambda c, i: c.stacks.list().first(), Stack),
    "Stack": Case("stacks.get", stack_args, lambda c, i: c.stacks.get(EXAMPLE), Stack),
    "Stack Create": Case(
        "stacks.create",
        lambda ids: {},
        lambda c, i: c.stacks.create(
            "new_stack_name",
            "production",
            SERVICE_YAML,
            cloud="aws",
            region="us-east-1",
            build_type="multi",
        ),
        Action,
        sent=lambda ids: {
            "name": "new_stack_name",
            "environment": "production",
            "service_yaml": SERVICE_YAML,
            "cloud": "aws",
            "region": "us-east-1",
            "build_type": "multi",
        },
    ),
    "Stack Action list": Case(
        "actions.list", stack_args, lambda c, i: c.actions.list(EXAMPLE).first(), Action
    ),
    "Stack Action": Case(
        "actions.get",
        in_stack(id=lambda i: i.action),
        lambda c, i: c.actions.get(EXAMPLE, i.action),
        Action,
    ),
    "Run Stack action": Case(
        "actions.run",
        in_stack(),
        lambda c, i: c.actions.run(EXAMPLE, "maintenance_mode", value=True),
        Action,
        sent=lambda ids: {"command": "maintenance_mode", "value": 1},
    ),
    # Deployments
    "Deployment list": Case(
        "deployments.list", stack_args, lambda c, i: c.deployments.list(EXAMPLE).first(), Deployment
    ),
    "Deployment": Case(
        "deployments.get",
        in_stack(id=lambda i: i.deployment),
        lambda c, i: c.deployments.get(EXAMPLE, i.deployment),
        Deployment,
    ),
    "Redeploy": Case(
        "deployments.redeploy",
        in_stack(),
        lambda c, i: c.deployments.redeploy(EXAMPLE, git_ref="main", services=["web", "api"]),
        RedeployResult,
        sent=lambda ids: {
            "git_ref": "main",
            "services": ["web", "api"],
            "services_filter": "web,api",
        },
    ),
    "Cancel deployment": Case(
        "deployments.cancel",
        in_stack(id=lambda i: i.live_deployment),
        lambda c, i: c.deployments.cancel(EXAMPLE, i.live_deployment or 0),
        OperationResult,
        prepare=start_live_deployment,
    ),
    # Services
    "Services list": Case(
        "services.list",
        stack_args,
        lambda c, i: c.services.list(EXAMPLE, server_uid=GAZELLE).first(),
        Service,
        sent=lambda ids: {"server_uid": GAZELLE},
    ),
    "Service show": Case(
        "services.get",
        in_stack(id=lambda i: "web"),
        lambda c, i: c.services.get(EXAMPLE, "web", server_uid=GAZELLE),
        Service,
        sent=lambda ids: {"server_uid": GAZELLE},
    ),
    "Service scale": Case(
        "services.scale",
        in_stack(),
        lambda c, i: c.services.scale(
            EXAMPLE, "web", server_count={CARIBOU: 2}, server_group_count={"web": 4}
        ),
        Action,
        sent=lambda ids: {
            "service_name": "web",
            "server_count": {CARIBOU: 2},
            "server_group_count": {"web": 4},
        },
    ),
    "Service stop": Case(
        "services.stop",
        in_stack(id=lambda i: "web"),
        lambda c, i: c.services.stop(EXAMPLE, "web", server_uid=GAZELLE),
        Action,
        sent=lambda ids: {"server_uid": GAZELLE},
    ),
    # Containers
    "Containers list": Case(
        "containers.list",
        stack_args,
        lambda c, i: c.containers.list(EXAMPLE, server_uid=GAZELLE).first(),
        Container,
        sent=lambda ids: {"server_uid": GAZELLE},
    ),
    "Container show": Case(
        "containers.get",
        in_stack(id=lambda i: EXAMPLE_CONTAINER),
        lambda c, i: c.containers.get(EXAMPLE, EXAMPLE_CONTAINER),
        Container,
    ),
    "Container stop": Case(
        "containers.stop",
        in_stack(id=lambda i: i.stop_container),
        lambda c, i: c.containers.stop(EXAMPLE, i.stop_container),
        Action,
    ),
    # Environment variables
    "Environment Variable list": Case(
        "env_vars.list", stack_args, lambda c, i: c.env_vars.list(EXAMPLE).first(), EnvVar
    ),
    "Environment Variable": Case(
        "env_vars.get",
        in_stack(id=lambda i: i.env_var),
        lambda c, i: c.env_vars.get(EXAMPLE, i.env_var),
        EnvVar,
    ),
    "Add Environment Variable": Case(
        "env_vars.add",
        in_stack(),
        lambda c, i: c.env_vars.add(EXAMPLE, "MY_ENVIRONMENT_VALUE", "SOME_VALUE"),
        Action,
        sent=lambda ids: {"key": "MY_ENVIRONMENT_VALUE", "value": "SOME_VALUE"},
    ),
    "Update Environment Variable": Case(
        "env_vars.update",
        in_stack(key=lambda i: i.env_key),
        lambda c, i: c.env_vars.update(EXAMPLE, i.env_key, "127.0.0.1"),
        Action,
        sent=lambda ids: {"value": "127.0.0.1"},
    ),
    "Delete Environment Variable": Case(
        "env_vars.delete",
        in_stack(key=lambda i: i.deletable_env),
        lambda c, i: c.env_vars.delete(EXAMPLE, i.deletable_env),
        None,
    ),
    # Firewall rules
    "Firewall rules list": Case(
        "firewalls.list", stack_args, lambda c, i: c.firewalls.list(EXAMPLE).first(), FirewallRule
    ),
    "Firewall rule": Case(
        "firewalls.get",
        in_stack(id=lambda i: i.firewall),
        lambda c, i: c.firewalls.get(EXAMPLE, i.firewall),
        FirewallRule,
    ),
    "Add Firewall rule": Case(
        "firewalls.add",
        in_stack(),
        lambda c, i: c.firewalls.add(
            EXAMPLE, protocol="tcp", port=80, from_ip="123.123.123.123", to_ip="10.0.0.1"
        ),
        FirewallRule,
        sent=lambda ids: {
            "protocol": 1,
            "port": 80,
            "from_ip": "123.123.123.123",
            "to_ip": "10.0.0.1",
        },
    ),
    # Notifications
    "Notifications list": Case(
        "notifications.list",
        stack_args,
        lambda c, i: c.notifications.list(EXAMPLE, alert_type="server.stopped").first(),
        Notification,
        sent=lambda ids: {"alert_type": "server.stopped"},
    ),
    "Notification": Case(
        "notifications.get",
        in_stack(id=lambda i: i.notification),
        lambda c, i: c.notifications.get(EXAMPLE, i.notification),
        Notification,
    ),
    "Update Notification": Case(
        "notifications.update",
        in_stack(id=lambda i: i.notification),
        lambda c, i: c.notifications.update(
            EXAMPLE, i.notification, channels=["email", "ios"], params={"hipchat_room": "test"}
        ),
        Notification,
        sent=lambda ids: {"channels": ["email", "ios"], "params": '{"hipchat_room": "test"}'},
    ),
    # Stack settings
    "Settings list": Case(
        "settings.list", stack_args, lambda c, i: c.settings.list(EXAMPLE).first(), Setting
    ),
    "Setting": Case(
        "settings.get",
        in_stack(id=lambda i: "git-branch"),
        lambda c, i: c.settings.get(EXAMPLE, "git-branch"),
        Setting,
    ),
    "Update Setting": Case(
        "settings.update",
        in_stack(id=lambda i: "git-branch"),
        lambda c, i: c.settings.update(EXAMPLE, "git.branch", "staging"),
        Action,
        sent=lambda ids: {"value": "staging"},
    ),
    # Server groups
    "Server Group List": Case(
        "server_groups.list",
        stack_args,
        lambda c, i: c.server_groups.list(EXAMPLE).first(),
        ServerGroup,
    ),
    "Server Group": Case(
        "server_groups.get",
        in_stack(id=lambda i: i.server_group),
        lambda c, i: c.server_groups.get(EXAMPLE, i.server_group),
        ServerGroup,
    ),
    # Servers
    "Server List": Case(
        "servers.list", stack_args, lambda c, i: c.servers.list(EXAMPLE).first(), Server
    ),
    "Server": Case(
        "servers.get",
        in_stack(id=lambda i: CARIBOU),
        lambda c, i: c.servers.get(EXAMPLE, CARIBOU, include_private_key=True),
        Server,
        sent=lambda ids: {"include_private_key": "1"},
    ),
    # Server settings
    "Server Settings list": Case(
        "server_settings.list",
        in_stack(server_id=lambda i: CARIBOU),
        lambda c, i: c.server_settings.list(EXAMPLE, CARIBOU).first(),
        ServerSetting,
    ),
    "Server Setting": Case(
        "server_settings.get",
        in_stack(server_id=lambda i: CARIBOU, id=lambda i: "server-name"),
        lambda c, i: c.server_settings.get(EXAMPLE, CARIBOU, "server-name"),
        ServerSetting,
    ),
    "Update Server Setting": Case(
        "server_settings.update",
        in_stack(server_id=lambda i: CARIBOU, id=lambda i: "passenger-pool-max"),
        lambda c, i: c.server_settings.update(EXAMPLE, CARIBOU, "passenger.pool.max", 8),
        Action,
        sent=lambda ids: {"value": 8},
    ),
    # Clouds
    "Cloud List": Case("clouds.list", lambda ids: {}, lambda c, i: c.clouds.list().first(), Cloud),
    "Cloud": Case(
        "clouds.get",
        lambda ids: {"cloud_id": "digitalocean"},
        lambda c, i: c.clouds.get("digitalocean"),
        Cloud,
    ),
    # Backups
    "Backups list": Case(
        "backups.list",
        stack_args,
        lambda c, i: c.backups.list(EXAMPLE, db_type="mysql").first(),
        Backup,
        sent=lambda ids: {"db_type": "mysql"},
    ),
    "Backup": Case(
        "backups.get",
        in_stack(id=lambda i: i.backup),
        lambda c, i: c.backups.get(EXAMPLE, i.backup),
        Backup,
    ),
    "New Backup": Case(
        "backups.create",
        in_stack(),
        lambda c, i: c.backups.create(
            EXAMPLE,
            db_type=["mysql", "redis"],
            frequency="0 */1 * * *",
            gzip=False,
            excluded_tables="my_log_table",
            run_on_replica_server=False,
        ),
        OperationResult,
        sent=lambda ids: {
            "db_type": "mysql,redis",
            "frequency": "0 */1 * * *",
            "gzip": False,
            "excluded_tables": "my_log_table",
            "run_on_replica_server": False,
        },
    ),
    "Import Backup": Case(
        "backups.import_backup",
        in_stack(),
        lambda c, i: c.backups.import_backup(
            EXAMPLE, group=5, db_type="mysql", remote_url=REMOTE_URL
        ),
        OperationResult,
        sent=lambda ids: {"group": 5, "db_type": "mysql", "remote_url": REMOTE_URL},
    ),
    "Backup files": Case(
        "backups.files",
        in_stack(backup_id=lambda i: i.backup),
        lambda c, i: c.backups.files(EXAMPLE, i.backup).first(),
        BackupFile,
    ),
    "Backup file": Case(
        "backups.file_url",
        in_stack(backup_id=lambda i: i.backup, id=lambda i: i.backup_file),
        lambda c, i: c.backups.file_url(EXAMPLE, i.backup, i.backup_file),
        str,
    ),
    # Accounts
    "Account List": Case(
        "accounts.list", lambda ids: {}, lambda c, i: c.accounts.list().first(), Account
    ),
    "Account": Case(
        "accounts.get",
        lambda ids: {"id": ids.account},
        lambda c, i: c.accounts.get(i.account),
        Account,
    ),
    # Users
    "User List": Case("users.list", lambda ids: {}, lambda c, i: c.users.list().first(), User),
    "User": Case("users.get", lambda ids: {"id": ids.user}, lambda c, i: c.users.get(i.user), User),
    "Add Device": Case(
        "users.add_device",
        lambda ids: {"id": ids.user},
        lambda c, i: c.users.add_device(
            i.user, token="htyukjbnnmshthkr", device_type="ios", sub_type="iphone"
        ),
        Device,
        sent=lambda ids: {"token": "htyukjbnnmshthkr", "device_type": 1, "sub_type": 1},
    ),
    "Update Device": Case(
        "users.update_device",
        lambda ids: {"id": ids.user},
        lambda c, i: c.users.update_device(i.user, token=i.device, device_type=1, sub_type=3),
        Device,
        sent=lambda ids: {"token": ids.device, "device_type": 1, "sub_type": 3},
    ),
    "Delete Device": Case(
        "users.delete_device",
        lambda ids: {"id": ids.user, "token": ids.device},
        lambda c, i: c.users.delete_device(i.user, i.device),
        None,
    ),
}

V3_NAMES = [op.name for op in V3]


# -- the blueprint and the tables agree --------------------------------------------------------


def test_blueprint_parses_to_its_53_operations() -> None:
    assert len(V3) == 53
    assert len(set(V3_NAMES)) == 53, "resource names must tell operations apart"
    assert all(op.scope in SCOPES for op in V3), [op.name for op in V3 if op.scope not in SCOPES]
    assert {op.method for op in V3} == {"GET", "POST", "PUT", "DELETE"}
    assert all(op.template.startswith("/") for op in V3)
    # A few spot checks of the parse.
    stacks = V3_BY_NAME["Stack List"]
    assert (stacks.name, stacks.title, stacks.method, stacks.template, stacks.scope) == (
        "Stack List",
        "List all stacks",
        "GET",
        "/stacks",
        "public",
    )
    assert stacks.parameters == () and stacks.paginated is True
    assert sum(op.paginated for op in V3) == 17
    assert V3_BY_NAME["Add Firewall rule"].scope == "admin"
    assert {p.name for p in V3_BY_NAME["Add Firewall rule"].parameters} == {
        "stack_id",
        "ttl",
        "from_ip",
        "from_group_id",
        "from_server_id",
        "to_ip",
        "to_group_id",
        "to_server_id",
        "protocol",
        "port",
    }
    assert V3_BY_NAME["Import Backup"].method == "POST"
    assert V3_BY_NAME["Import Backup"].template == V3_BY_NAME["New Backup"].template
    # The blueprint writes "Delete Device" as /users/{id}/devices/token; its curl example
    # (DELETE .../users/18/devices/wertqy.json) and its required `token` parameter show that
    # the device token is the last segment (see the comment in resources/_endpoints.py).
    delete = V3_BY_NAME["Delete Device"]
    assert (delete.template, delete.path) == (
        "/users/{id}/devices/token",
        "/users/{id}/devices/{token}",
    )
    assert all(op.path == op.template for op in V3 if op is not delete)


def test_every_blueprint_operation_is_in_the_table_and_nothing_else() -> None:
    assert set(V3_NAMES) == set(TABLE), (
        f"missing from the table: {sorted(set(V3_NAMES) - set(TABLE))}; "
        f"not in the blueprint: {sorted(set(TABLE) - set(V3_NAMES))}"
    )


def test_endpoint_table_is_the_blueprint() -> None:
    """``resources._endpoints.ENDPOINTS``: one entry per operation, same method, path, scope."""
    used = [case.endpoint for case in TABLE.values()]
    assert len(used) == len(set(used)), "two blueprint operations map to one endpoint"
    assert set(used) == set(ENDPOINTS)
    for name, case in TABLE.items():
        op = V3_BY_NAME[name]
        endpoint = ENDPOINTS[case.endpoint]
        assert endpoint.method == op.method, name
        assert endpoint.scope == op.scope, f"{name}: scope {endpoint.scope} != {op.scope}"
        assert shape(endpoint.path) == shape(op.path), name
        assert endpoint.many == op.paginated, f"{name}: paged list in the blueprint"


def test_early_edition_parses_to_a_subset_of_v3() -> None:
    assert [(op.name, op.method) for op in EARLY] == [
        ("Stack List", "GET"),
        ("Stack", "GET"),
        ("Account List", "GET"),
        ("Account", "GET"),
        ("User List", "GET"),
        ("User", "GET"),
    ]
    for op in EARLY:
        newer = V3_BY_NAME[op.name]
        assert (op.method, op.template, op.scope) == (newer.method, newer.template, newer.scope)


# -- every operation through the SDK ---------------------------------------------------------


def check_request(
    entry: LoggedRequest, op: Operation, case: Case, ids: Ids, prefix: str = V3_PREFIX
) -> None:
    """The request is the blueprint's: method, filled path, parameters where they belong."""
    expected_path = prefix + fill(op.path, case.args(ids))
    assert entry.method == op.method
    assert entry.prefix == prefix
    assert entry.raw_path.split("?", 1)[0] == expected_path
    assert entry.status is not None and 200 <= entry.status < 300, (entry.status, entry.body)
    sent = case.sent(ids)
    documented = set(body_params(op)) | EXTRA_PARAMS.get(op.name, set())
    assert set(sent) <= documented, f"undocumented parameters {set(sent) - documented}"
    required = {n for n, p in body_params(op).items() if p.required}
    if op.method == "GET":
        query = dict(entry.query)
        if op.paginated:
            assert query.pop("page") == "1"
        assert query == sent
        assert entry.body == b"" and entry.json is None and entry.form is None
    else:
        assert entry.query == {}, "write parameters belong in the JSON body"
        assert entry.form is None
        if sent:
            assert (entry.header("Content-Type") or "").startswith("application/json")
            assert entry.json == sent
        else:
            assert entry.json in (None, {})
    assert required <= set(sent) | set(entry.query), f"required parameters missing: {required}"


@pytest.mark.parametrize("name", V3_NAMES)
async def test_operation_through_the_sdk(fake: FakeCloud66, client: Client, name: str) -> None:
    op = V3_BY_NAME[name]
    case = TABLE[name]
    ids = known_ids(fake)
    with anyio.fail_after(10):
        if case.prepare is not None:
            await case.prepare(fake, client, ids)
        fake.clear_log()
        result = await case.call(client, ids)
    if case.model is None:
        assert result is None
    else:
        assert isinstance(result, case.model), type(result)
    if isinstance(result, Action) and op.method != "GET":
        # Started work: the SDK fills in the stack, so the action can be waited on (a new
        # stack's uid is looked up by its name and environment when a wait starts).
        if name == "Stack Create":
            assert result.stack_uid is None
            assert result.stack_name is not None and result.stack_environment is not None
        else:
            assert result.stack_uid == EXAMPLE
    log = fake.request_log
    # Exactly the operation's own request: no follow-up (stacks.create no longer walks the
    # stack list).
    assert len(log) == 1, [(e.method, e.path) for e in log]
    check_request(log[0], op, case, ids)


# -- scopes ------------------------------------------------------------------------------------

BLUEPRINT_SCOPES = sorted({op.scope for op in V3 if op.scope is not None})


def test_blueprint_scopes_are_known_to_the_fake() -> None:
    assert BLUEPRINT_SCOPES == ["admin", "public", "redeploy", "users"]
    assert set(BLUEPRINT_SCOPES) <= set(SCOPES)


def _representative(scope: str) -> str:
    """The first operation of the blueprint that needs ``scope`` and sends one request."""
    return next(
        op.name for op in V3 if op.scope == scope and TABLE[op.name].endpoint != "stacks.create"
    )


@pytest.mark.parametrize("scope", BLUEPRINT_SCOPES)
async def test_scope_is_enforced(fake: FakeCloud66, scope: str) -> None:
    name = _representative(scope)
    case = TABLE[name]
    ids = known_ids(fake)
    others = [s for s in SCOPES if s != scope]
    with anyio.fail_after(10):
        async with fake.client(token=fake.issue_token(others), rate_limit=None) as denied:
            with pytest.raises(PermissionDeniedError) as info:
                await case.call(denied, ids)
        assert info.value.status == 403 and info.value.error == "forbidden"
        assert fake.request_log[-1].status == 403
        async with fake.client(token=fake.issue_token([scope]), rate_limit=None) as allowed:
            result = await case.call(allowed, ids)
    assert result is not None
    assert fake.request_log[-1].status == 200


@pytest.mark.parametrize("name", V3_NAMES)
async def test_operation_needs_exactly_its_blueprint_scope(
    fake: FakeCloud66, client: Client, name: str
) -> None:
    """A token lacking the operation's scope is refused; one holding only it is enough."""
    op = V3_BY_NAME[name]
    assert op.scope is not None
    case = TABLE[name]
    ids = known_ids(fake)
    with anyio.fail_after(10):
        if case.prepare is not None:
            await case.prepare(fake, client, ids)
        lacking = fake.issue_token([s for s in SCOPES if s != op.scope])
        async with fake.client(token=lacking, rate_limit=None) as denied:
            fake.clear_log()
            with pytest.raises(PermissionDeniedError):
                await case.call(denied, ids)
            assert [e.status for e in fake.request_log] == [403]
        only = fake.issue_token([op.scope])
        async with fake.client(token=only, rate_limit=None) as allowed:
            fake.clear_log()
            await case.call(allowed, ids)  # no PermissionDeniedError
    # The operation's own request, alone, was allowed.
    assert [(e.method, e.status) for e in fake.request_log] == [(op.method, 200)]


# -- the early edition -------------------------------------------------------------------------

EARLY_TABLE: dict[str, tuple[Args, Call, type[Any]]] = {
    "Stack List": (lambda ids: {}, lambda c, i: c.stacks.list().collect(), list),
    "Stack": (stack_args, lambda c, i: c.stacks.get(EXAMPLE), Stack),
    "Account List": (lambda ids: {}, lambda c, i: c.accounts.list().collect(), list),
    "Account": (lambda ids: {"id": ids.account}, lambda c, i: c.accounts.get(i.account), Account),
    "User List": (lambda ids: {}, lambda c, i: c.users.list().collect(), list),
    "User": (lambda ids: {"id": ids.user}, lambda c, i: c.users.get(i.user), User),
}


def test_early_table_covers_the_early_blueprint() -> None:
    assert set(EARLY_TABLE) == {op.name for op in EARLY}


@pytest.mark.parametrize("name", [op.name for op in EARLY])
async def test_early_edition_operation(fake: FakeCloud66, name: str) -> None:
    op = EARLY_BY_NAME[name]
    args, call, kind = EARLY_TABLE[name]
    ids = known_ids(fake)
    async with Client(fake.token, base_url=fake.url + EARLY_PREFIX, rate_limit=None) as early:
        assert early.base_url == fake.url + EARLY_PREFIX
        fake.clear_log()
        with anyio.fail_after(10):
            result = await call(early, ids)
    assert isinstance(result, kind)
    expected = EARLY_PREFIX + fill(op.template, args(ids))
    assert fake.request_log
    for entry in fake.request_log:
        assert entry.method == op.method
        assert entry.prefix == EARLY_PREFIX
        assert entry.raw_path.split("?", 1)[0] == expected
        assert entry.status == 200
    if isinstance(result, list):
        assert result, "the early edition listed nothing"
        if name == "Stack List":
            assert [s.uid for s in result] == fake.stack_uids
        elif name == "Account List":
            assert [a.id for a in result] == [a["id"] for a in fake.peek("/accounts")]
        else:
            assert [u.id for u in result] == [u["id"] for u in fake.peek("/users")]
    elif isinstance(result, Stack):
        assert result.uid == EXAMPLE and result.name == "Awesome App"
    elif isinstance(result, Account):
        assert result.id == ids.account and result.owner == "test@cloud66.com"
    else:
        assert result.id == ids.user and result.email == "test@cloud66.com"


async def test_fake_client_takes_the_early_base_url(fake: FakeCloud66) -> None:
    """``fake.client(**kw)`` passes ``kw`` to ``Client``: ``base_url`` selects the edition."""
    async with fake.client(base_url=fake.url + EARLY_PREFIX, rate_limit=None) as early:
        with anyio.fail_after(10):
            stack = await early.stacks.get(EXAMPLE)
    assert stack.uid == EXAMPLE
    assert fake.request_log[-1].prefix == EARLY_PREFIX
