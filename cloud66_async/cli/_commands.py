"""Every command of ``cloud66-async``, as data: one :class:`Command` per ``group name`` pair.

Most handlers are built by three small factories -- :func:`lister` (a paginated list),
:func:`getter` (one call, one result) and :func:`starter` (a call that starts an action, which
``--wait`` waits for) -- from a function of the client and the parsed arguments. The few
commands with logic of their own (``env set``, ``redeploy``, ``stacks create``...) have a
handler here too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from .. import Client
from .._paging import Paginator
from ..models import Action, EnvVar
from ._core import (
    EXIT_API_ERROR,
    EXIT_USAGE,
    Arg,
    CliError,
    Command,
    Context,
    Handler,
    arg,
    closing,
)
from ._output import Message

__all__ = ["COMMANDS", "getter", "lister", "starter"]

Namespace = argparse.Namespace


# ------------------------------------------------------------------------------ argument types


def positive_int(text: str) -> int:
    """An integer >= 1 (an argparse ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A number of seconds > 0 (an argparse ``type``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def key_count(text: str) -> tuple[str, int]:
    """``NAME=COUNT`` with a count >= 0 (an argparse ``type``)."""
    name, sep, count = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=COUNT, got {text!r}")
    try:
        number = int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number after '=', got {text!r}"
        ) from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"the count must not be negative, got {text!r}")
    return name, number


def key_value(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` (an argparse ``type``)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


# ------------------------------------------------------------------------------ handler factories


def lister(label: str, fn: Callable[[Client, Namespace], Paginator[Any]]) -> Handler:
    """A handler that fetches every page of ``fn(client, args)`` (up to ``--limit`` items)."""

    async def handle(ctx: Context) -> object:
        return await ctx.collect(fn(ctx.client, ctx.ns), label)

    return handle


def getter(fn: Callable[[Client, Namespace], Awaitable[object]]) -> Handler:
    """A handler that awaits ``fn(client, args)`` and shows its result."""

    async def handle(ctx: Context) -> object:
        return await fn(ctx.client, ctx.ns)

    return handle


def starter(fn: Callable[[Client, Namespace], Awaitable[Action]]) -> Handler:
    """A handler that starts an action with ``fn(client, args)``; ``--wait`` waits for it."""

    async def handle(ctx: Context) -> object:
        return await ctx.finish_action(await fn(ctx.client, ctx.ns))

    return handle


# ------------------------------------------------------------------------------ handlers with logic


def _read_text(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", EXIT_USAGE) from None


async def _stacks_create(ctx: Context) -> object:
    ns = ctx.ns
    action = await ctx.client.stacks.create(
        ns.name,
        ns.environment,
        _read_text(ns.service_yaml) or "",
        manifest_yaml=_read_text(ns.manifest_yaml),
        cloud=ns.cloud,
        region=ns.region,
        build_type=ns.build_type,
    )
    return await ctx.finish_action(action)


async def _actions_wait(ctx: Context) -> object:
    return await ctx.finish_action(Action(id=ctx.ns.id, stack_uid=ctx.ns.stack))


async def _redeploy(ctx: Context) -> object:
    ns = ctx.ns
    started = datetime.now(UTC)
    result = await ctx.client.deployments.redeploy(
        ns.stack, git_ref=ns.git_ref, services=ns.service
    )
    if not ns.wait:
        return result
    deployment = await ctx.wait_deployment(ns.stack, result=result, since=started)
    return attrs.evolve(result, deployment=deployment)


async def _deployments_wait(ctx: Context) -> object:
    return await ctx.wait_deployment(ctx.ns.stack)


async def _find_env(client: Client, stack: str, key: str) -> EnvVar | None:
    found: EnvVar | None = None
    variables = client.env_vars.list(stack).__aiter__()
    async with closing(variables):
        async for variable in variables:
            if variable.key == key:
                found = variable
                break
    return found


async def _env_get(ctx: Context) -> object:
    ns = ctx.ns
    wanted: str = ns.id_or_key
    if wanted.isdigit():
        return await ctx.client.env_vars.get(ns.stack, int(wanted))
    found = await _find_env(ctx.client, ns.stack, wanted)
    if found is None:
        raise CliError(f"stack {ns.stack} has no environment variable {wanted}", EXIT_API_ERROR)
    return found


async def _env_set(ctx: Context) -> object:
    ns = ctx.ns
    client = ctx.client
    if await _find_env(client, ns.stack, ns.key) is not None:
        action = await client.env_vars.update(ns.stack, ns.key, ns.value)
    else:
        action = await client.env_vars.add(ns.stack, ns.key, ns.value)
    return await ctx.finish_action(action)


async def _env_delete(ctx: Context) -> object:
    ns = ctx.ns
    await ctx.client.env_vars.delete(ns.stack, ns.key)
    return Message(
        f"Deleted environment variable {ns.key} of stack {ns.stack}.",
        {"ok": True, "stack_uid": ns.stack, "key": ns.key},
    )


def _scale(client: Client, ns: Namespace) -> Awaitable[Action]:
    return client.services.scale(
        ns.stack,
        ns.name,
        server_group_count=dict(ns.group) if ns.group else None,
        server_count=dict(ns.server) if ns.server else None,
    )


def _firewall_add(client: Client, ns: Namespace) -> Awaitable[object]:
    return client.firewalls.add(
        ns.stack,
        protocol=ns.protocol,
        port=ns.port,
        from_ip=ns.from_ip,
        from_group_id=ns.from_group,
        from_server_id=ns.from_server,
        to_ip=ns.to_ip,
        to_group_id=ns.to_group,
        to_server_id=ns.to_server,
        ttl=ns.ttl,
    )


def _notification_update(client: Client, ns: Namespace) -> Awaitable[object]:
    return client.notifications.update(
        ns.stack,
        ns.id,
        channels=ns.channel,
        params=dict(ns.param) if ns.param else None,
    )


def _backup_create(client: Client, ns: Namespace) -> Awaitable[object]:
    return client.backups.create(
        ns.stack,
        db_type=ns.db_type,
        frequency=ns.frequency,
        keep_count=ns.keep_count,
        gzip=ns.gzip,
        excluded_tables=ns.excluded_tables,
        run_on_replica_server=ns.run_on_replica,
    )


async def _file_url(ctx: Context) -> object:
    ns = ctx.ns
    url = await ctx.client.backups.file_url(ns.stack, ns.id, ns.file)
    return Message(url, {"url": url})


async def _delete_device(ctx: Context) -> object:
    ns = ctx.ns
    await ctx.client.users.delete_device(ns.user_id, ns.device_token)
    return Message(
        f"Deleted device {ns.device_token} of user {ns.user_id}.",
        {"ok": True, "user_id": ns.user_id, "token": ns.device_token},
    )


def _device_call(update: bool) -> Callable[[Client, Namespace], Awaitable[object]]:
    def call(client: Client, ns: Namespace) -> Awaitable[object]:
        method = client.users.update_device if update else client.users.add_device
        return method(ns.user_id, token=ns.device_token, device_type=ns.type, sub_type=ns.sub_type)

    return call


async def _demo(ctx: Context) -> object:
    from ._demo import run_demo

    return await run_demo(ctx)


async def _fake_server(ctx: Context) -> object:
    from ._fakeserver import serve

    await serve(ctx)
    return None


# ------------------------------------------------------------------------------ the table

STACK = arg("stack", metavar="STACK", help="the stack's uid")
SERVER_FILTER = arg("--server", dest="server_uid", metavar="UID", help="only on this server")
_DEVICE_ARGS: tuple[Arg, ...] = (
    arg("user_id", metavar="USER_ID", type=positive_int, help="the user's id"),
    arg("device_token", metavar="DEVICE_TOKEN", help="the device's push token"),
    arg("--type", required=True, choices=("ios", "android"), help="the device type"),
    arg("--sub-type", required=True, choices=("iphone", "ipad", "ipod"), help="the device model"),
)
_DB_TYPES = ("mysql", "postgresql", "redis", "mongodb")


def _id(what: str, name: str = "id", metavar: str = "ID") -> Arg:
    return arg(name, metavar=metavar, type=positive_int, help=f"the {what}'s id")


C = Command

#: Every command, in the order ``--help`` lists them.
COMMANDS: tuple[Command, ...] = (
    # --- stacks
    C(
        "stacks",
        "list",
        "list every stack",
        lister("stacks", lambda c, ns: c.stacks.list()),
        list=True,
    ),
    C(
        "stacks",
        "get",
        "show one stack",
        getter(lambda c, ns: c.stacks.get(ns.uid)),
        (arg("uid", metavar="UID", help="the stack's uid"),),
    ),
    C(
        "stacks",
        "create",
        "create and build a Docker stack",
        _stacks_create,
        (
            arg("name", metavar="NAME", help="the new stack's name"),
            arg("environment", metavar="ENVIRONMENT", help="production, staging, development..."),
            arg(
                "--service-yaml", required=True, metavar="FILE", help="the service.yml ('-': stdin)"
            ),
            arg("--manifest-yaml", metavar="FILE", help="the manifest.yml ('-': stdin)"),
            arg(
                "--cloud",
                help="the cloud to build on (with --region and --build-type, "
                "unless --manifest-yaml is given)",
            ),
            arg("--region", help="the cloud region"),
            arg("--build-type", choices=("single", "multi"), help="single or multi server"),
        ),
        wait="flag",
    ),
    # --- stack actions
    C(
        "actions",
        "list",
        "list a stack's actions, newest first",
        lister("actions", lambda c, ns: c.actions.list(ns.stack)),
        (STACK,),
        list=True,
    ),
    C(
        "actions",
        "get",
        "show one action",
        getter(lambda c, ns: c.actions.get(ns.stack, ns.id)),
        (STACK, _id("action")),
    ),
    C(
        "actions",
        "run",
        "run a stack action (restart, clear_caches, maintenance_mode)",
        starter(lambda c, ns: c.actions.run(ns.stack, ns.command, value=ns.value)),
        (
            STACK,
            arg(
                "command",
                metavar="COMMAND",
                choices=("restart", "clear_caches", "maintenance_mode"),
                help="restart, clear_caches or maintenance_mode",
            ),
            arg(
                "--value",
                type=int,
                choices=(0, 1),
                help="maintenance_mode: 1 to enable, 0 to disable",
            ),
        ),
        wait="flag",
    ),
    C(
        "actions",
        "wait",
        "wait for an action to finish",
        _actions_wait,
        (STACK, _id("action")),
        wait="always",
    ),
    # --- deployments
    C(
        "deployments",
        "list",
        "list a stack's deployments, newest first",
        lister("deployments", lambda c, ns: c.deployments.list(ns.stack)),
        (STACK,),
        list=True,
    ),
    C(
        "deployments",
        "get",
        "show one deployment",
        getter(lambda c, ns: c.deployments.get(ns.stack, ns.id)),
        (STACK, _id("deployment")),
    ),
    C(
        "deployments",
        "cancel",
        "cancel a live deployment",
        getter(lambda c, ns: c.deployments.cancel(ns.stack, ns.id)),
        (STACK, _id("deployment")),
    ),
    C(
        "deployments",
        "wait",
        "wait for a stack's newest deployment to finish",
        _deployments_wait,
        (STACK,),
        wait="always",
    ),
    C(
        "redeploy",
        None,
        "redeploy a stack",
        _redeploy,
        (
            STACK,
            arg("--git-ref", metavar="REF", help="the branch, tag or commit to deploy"),
            arg(
                "--service",
                action="append",
                metavar="NAME",
                help="deploy only this service (Docker stacks; repeatable)",
            ),
        ),
        wait="flag",
    ),
    # --- services and containers
    C(
        "services",
        "list",
        "list a stack's services",
        lister("services", lambda c, ns: c.services.list(ns.stack, server_uid=ns.server_uid)),
        (STACK, SERVER_FILTER),
        list=True,
    ),
    C(
        "services",
        "get",
        "show one service",
        getter(lambda c, ns: c.services.get(ns.stack, ns.name, server_uid=ns.server_uid)),
        (STACK, arg("name", metavar="NAME", help="the service's name"), SERVER_FILTER),
    ),
    C(
        "services",
        "scale",
        "scale a service",
        starter(_scale),
        (
            STACK,
            arg("name", metavar="NAME", help="the service's name"),
            arg(
                "--group",
                action="append",
                type=key_count,
                metavar="GROUP=COUNT",
                help="containers per server group, e.g. web=4 (repeatable)",
            ),
            arg(
                "--server",
                action="append",
                type=key_count,
                metavar="UID=COUNT",
                help="containers on one server (repeatable)",
            ),
        ),
        wait="flag",
    ),
    C(
        "services",
        "stop",
        "stop a service's containers",
        starter(lambda c, ns: c.services.stop(ns.stack, ns.name, server_uid=ns.server_uid)),
        (STACK, arg("name", metavar="NAME", help="the service's name"), SERVER_FILTER),
        wait="flag",
    ),
    C(
        "containers",
        "list",
        "list a stack's containers",
        lister("containers", lambda c, ns: c.containers.list(ns.stack, server_uid=ns.server_uid)),
        (STACK, SERVER_FILTER),
        list=True,
    ),
    C(
        "containers",
        "get",
        "show one container",
        getter(lambda c, ns: c.containers.get(ns.stack, ns.uid)),
        (STACK, arg("uid", metavar="UID", help="the container's uid")),
    ),
    C(
        "containers",
        "stop",
        "stop a container",
        starter(lambda c, ns: c.containers.stop(ns.stack, ns.uid)),
        (STACK, arg("uid", metavar="UID", help="the container's uid")),
        wait="flag",
    ),
    # --- environment variables
    C(
        "env",
        "list",
        "list a stack's environment variables",
        lister("environment variables", lambda c, ns: c.env_vars.list(ns.stack)),
        (STACK,),
        list=True,
        secrets=True,
    ),
    C(
        "env",
        "get",
        "show one environment variable (by id or by key)",
        _env_get,
        (STACK, arg("id_or_key", metavar="ID_OR_KEY", help="the variable's numeric id or key")),
        secrets=True,
    ),
    C(
        "env",
        "set",
        "set an environment variable (update it, or add it when new)",
        _env_set,
        (STACK, arg("key", metavar="KEY"), arg("value", metavar="VALUE")),
        wait="flag",
    ),
    C(
        "env",
        "delete",
        "delete an environment variable",
        _env_delete,
        (STACK, arg("key", metavar="KEY")),
    ),
    # --- firewall rules
    C(
        "firewalls",
        "list",
        "list a stack's firewall rules",
        lister("firewall rules", lambda c, ns: c.firewalls.list(ns.stack)),
        (STACK,),
        list=True,
    ),
    C(
        "firewalls",
        "get",
        "show one firewall rule",
        getter(lambda c, ns: c.firewalls.get(ns.stack, ns.id)),
        (STACK, _id("rule")),
    ),
    C(
        "firewalls",
        "add",
        "add a firewall rule",
        getter(_firewall_add),
        (
            STACK,
            arg("--protocol", required=True, choices=("tcp", "udp", "icmp")),
            arg("--port", required=True, type=positive_int),
            arg(
                "--from-ip",
                metavar="IP",
                help="source address or CIDR ('AUTO': yours, needs --ttl)",
            ),
            arg("--from-group", type=positive_int, metavar="ID", help="source server group"),
            arg("--from-server", type=positive_int, metavar="ID", help="source server"),
            arg("--to-ip", metavar="IP", help="target address or CIDR"),
            arg("--to-group", type=positive_int, metavar="ID", help="target server group"),
            arg("--to-server", type=positive_int, metavar="ID", help="target server"),
            arg("--ttl", type=positive_int, metavar="N", help="make the rule expire"),
        ),
    ),
    # --- notifications
    C(
        "notifications",
        "list",
        "list a stack's notifications",
        lister(
            "notifications", lambda c, ns: c.notifications.list(ns.stack, alert_type=ns.alert_type)
        ),
        (STACK, arg("--alert-type", metavar="TYPE", help="only this alert type")),
        list=True,
    ),
    C(
        "notifications",
        "get",
        "show one notification",
        getter(lambda c, ns: c.notifications.get(ns.stack, ns.id)),
        (STACK, _id("notification")),
    ),
    C(
        "notifications",
        "update",
        "change a notification's channels or parameters",
        getter(_notification_update),
        (
            STACK,
            _id("notification"),
            arg(
                "--channel",
                action="append",
                choices=("email", "ios", "hipchat", "webhook", "slack"),
                help="a channel to send to (repeatable; replaces the list)",
            ),
            arg(
                "--param",
                action="append",
                type=key_value,
                metavar="KEY=VALUE",
                help="a channel parameter such as slack_url=... (repeatable)",
            ),
        ),
    ),
    # --- stack settings
    C(
        "settings",
        "list",
        "list a stack's settings",
        lister("settings", lambda c, ns: c.settings.list(ns.stack)),
        (STACK,),
        list=True,
    ),
    C(
        "settings",
        "get",
        "show one setting",
        getter(lambda c, ns: c.settings.get(ns.stack, ns.id)),
        (STACK, arg("id", metavar="ID", help="the setting, e.g. git.branch")),
    ),
    C(
        "settings",
        "set",
        "change a setting",
        starter(lambda c, ns: c.settings.update(ns.stack, ns.id, ns.value)),
        (
            STACK,
            arg("id", metavar="ID", help="the setting, e.g. git.branch"),
            arg("value", metavar="VALUE"),
        ),
        wait="flag",
    ),
    # --- servers
    C(
        "server-groups",
        "list",
        "list a stack's server groups",
        lister("server groups", lambda c, ns: c.server_groups.list(ns.stack)),
        (STACK,),
        list=True,
    ),
    C(
        "server-groups",
        "get",
        "show one server group",
        getter(lambda c, ns: c.server_groups.get(ns.stack, ns.id)),
        (STACK, _id("server group")),
    ),
    C(
        "servers",
        "list",
        "list a stack's servers",
        lister("servers", lambda c, ns: c.servers.list(ns.stack)),
        (STACK,),
        list=True,
    ),
    C(
        "servers",
        "get",
        "show one server",
        getter(lambda c, ns: c.servers.get(ns.stack, ns.uid)),
        (STACK, arg("uid", metavar="UID", help="the server's uid")),
    ),
    C(
        "server-settings",
        "list",
        "list a server's settings",
        lister("server settings", lambda c, ns: c.server_settings.list(ns.stack, ns.server)),
        (STACK, arg("server", metavar="SERVER", help="the server's uid")),
        list=True,
    ),
    C(
        "server-settings",
        "get",
        "show one server setting",
        getter(lambda c, ns: c.server_settings.get(ns.stack, ns.server, ns.id)),
        (
            STACK,
            arg("server", metavar="SERVER", help="the server's uid"),
            arg("id", metavar="ID", help="the setting, e.g. server.name"),
        ),
    ),
    C(
        "server-settings",
        "set",
        "change a server setting",
        starter(lambda c, ns: c.server_settings.update(ns.stack, ns.server, ns.id, ns.value)),
        (
            STACK,
            arg("server", metavar="SERVER", help="the server's uid"),
            arg("id", metavar="ID", help="the setting, e.g. server.name"),
            arg("value", metavar="VALUE"),
        ),
        wait="flag",
    ),
    # --- clouds
    C(
        "clouds",
        "list",
        "list the account's clouds",
        lister("clouds", lambda c, ns: c.clouds.list()),
        list=True,
    ),
    C(
        "clouds",
        "get",
        "show one cloud with its regions and server sizes",
        getter(lambda c, ns: c.clouds.get(ns.name)),
        (arg("name", metavar="NAME", help="the cloud's name, e.g. aws"),),
    ),
    # --- backups
    C(
        "backups",
        "list",
        "list a stack's database backups",
        lister(
            "backups", lambda c, ns: c.backups.list(ns.stack, group=ns.group, db_type=ns.db_type)
        ),
        (
            STACK,
            arg("--group", type=positive_int, metavar="N", help="only this backup group"),
            arg("--db-type", choices=_DB_TYPES, help="only this database type"),
        ),
        list=True,
    ),
    C(
        "backups",
        "get",
        "show one backup",
        getter(lambda c, ns: c.backups.get(ns.stack, ns.id)),
        (STACK, _id("backup")),
    ),
    C(
        "backups",
        "create",
        "create a backup task",
        getter(_backup_create),
        (
            STACK,
            arg(
                "--db-type",
                action="append",
                choices=("all", *_DB_TYPES),
                help="the database type to back up (repeatable)",
            ),
            arg("--frequency", metavar="CRON", help="a 5-field cron schedule, e.g. '0 */1 * * *'"),
            arg("--keep-count", type=positive_int, metavar="N", help="backups to keep"),
            arg(
                "--gzip",
                action=argparse.BooleanOptionalAction,
                default=None,
                help="compress the backups",
            ),
            arg("--excluded-tables", metavar="TABLES", help="tables to leave out"),
            arg(
                "--run-on-replica",
                action=argparse.BooleanOptionalAction,
                default=None,
                help="run on a replica server",
            ),
        ),
    ),
    C(
        "backups",
        "import",
        "import an external backup file",
        getter(
            lambda c, ns: c.backups.import_backup(
                ns.stack, group=ns.group, db_type=ns.db_type, remote_url=ns.remote_url
            )
        ),
        (
            STACK,
            arg("--group", required=True, type=positive_int, metavar="N"),
            arg("--db-type", required=True, choices=_DB_TYPES),
            arg("--remote-url", required=True, metavar="URL", help="where to fetch the file"),
        ),
    ),
    C(
        "backups",
        "files",
        "list the files of a backup",
        lister("backup files", lambda c, ns: c.backups.files(ns.stack, ns.id)),
        (STACK, _id("backup")),
        list=True,
    ),
    C(
        "backups",
        "file-url",
        "print the download URL of a backup file",
        _file_url,
        (STACK, _id("backup"), arg("file", metavar="FILE", help="the file's id, e.g. tar")),
    ),
    # --- accounts and users
    C(
        "accounts",
        "list",
        "list your accounts",
        lister("accounts", lambda c, ns: c.accounts.list()),
        list=True,
    ),
    C(
        "accounts",
        "get",
        "show one account",
        getter(lambda c, ns: c.accounts.get(ns.id)),
        (_id("account"),),
    ),
    C(
        "users",
        "list",
        "list the users you can see",
        lister("users", lambda c, ns: c.users.list()),
        list=True,
    ),
    C("users", "get", "show one user", getter(lambda c, ns: c.users.get(ns.id)), (_id("user"),)),
    C(
        "users",
        "add-device",
        "register a user's mobile device",
        getter(_device_call(False)),
        _DEVICE_ARGS,
    ),
    C(
        "users",
        "update-device",
        "change a user's mobile device",
        getter(_device_call(True)),
        _DEVICE_ARGS,
    ),
    C("users", "delete-device", "remove a user's mobile device", _delete_device, _DEVICE_ARGS[:2]),
    # --- local tools
    C(
        "fake-server",
        None,
        "run an in-memory fake Cloud 66 API on loopback until Ctrl-C",
        _fake_server,
        (
            arg("--port", type=int, default=8066, help="the port (0: any free one; default 8066)"),
            arg("--host", default="127.0.0.1", help="the loopback address to listen on"),
            arg("--stacks", type=positive_int, default=75, metavar="N", help="stacks to seed"),
            arg(
                "--action-delay",
                type=float,
                default=2.0,
                metavar="SECONDS",
                help="how long stack actions take (default 2)",
            ),
            arg(
                "--deploy-duration",
                type=float,
                default=5.0,
                metavar="SECONDS",
                help="how long deployments take (default 5)",
            ),
            arg("--seed", type=int, default=66, help="the seed of the generated data"),
        ),
        client=False,
    ),
    C(
        "demo",
        None,
        "tour the SDK against an embedded fake Cloud 66 API",
        _demo,
        (
            arg(
                "--stacks",
                type=positive_int,
                default=150,
                metavar="N",
                help="stacks in the fake (default 150: several pages)",
            ),
        ),
        client=False,
        description="Start an in-memory FakeCloud66 and tour the SDK against it: auto-pagination, "
        "bulk work with fan_out, waiting on an action and a deployment, and a throttling episode "
        "absorbed by the shared throttle gate. With --json, print one JSON summary instead.",
    ),
)
