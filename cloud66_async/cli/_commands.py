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

from .. import Client, Paginator
from ..models import Action, EnvVar
from ._core import (
    EXIT_API_ERROR,
    EXIT_USAGE,
    STACK,
    Arg,
    CliError,
    Command,
    Context,
    Handler,
    arg,
    closing,
)
from ._output import Message
from ._stacks import looks_like_uid

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


def timestamp(text: str) -> datetime:
    """An ISO 8601 time such as ``2024-05-06T07:08:09Z`` (UTC when no zone is given)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a time such as 2024-05-06T07:08:09Z, got {text!r}"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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
        result = await fn(ctx.client, ctx.ns)
        if result is None:
            # An answer the blueprint leaves undocumented, and the server sent none.
            return Message("Done (the server sent no answer).", {"ok": True})
        return result

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


async def _stacks_get(ctx: Context) -> object:
    stack = ctx.stack
    if stack is not None and looks_like_uid(ctx.ns.stack_given) and stack.uid == ctx.ns.stack_given:
        return stack  # found with the same GET this command makes
    return await ctx.client.stacks.get(ctx.ns.stack)


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
    return await ctx.wait_deployment(ctx.ns.stack, since=ctx.ns.since)


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
        name = ctx.stack.name if ctx.stack is not None else ns.stack
        raise CliError(f"stack {name!r} has no environment variable {wanted}", EXIT_API_ERROR)
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
    name = ctx.stack.name if ctx.stack is not None else ns.stack
    return Message(
        f"Deleted environment variable {ns.key} of stack {name!r}.",
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
    return Message(url, {"url": url}, ids=(url,))


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


async def _completion(ctx: Context) -> object:
    from ._completion import script

    ctx.out.line(script(ctx.ns.shell))
    return None


async def _fake_server(ctx: Context) -> object:
    from ._fakeserver import serve

    await serve(ctx)
    return None


# ------------------------------------------------------------------------------ the table

SERVER_FILTER = arg("--server", dest="server_uid", metavar="UID", help="only on this server")
_DEVICE_ARGS: tuple[Arg, ...] = (
    arg("user_id", metavar="USER_ID", type=positive_int, help="the user's id"),
    arg("device_token", metavar="DEVICE_TOKEN", help="the device's push token"),
    arg("--type", required=True, choices=("ios", "android"), help="the device type"),
    arg("--sub-type", required=True, choices=("iphone", "ipad", "ipod"), help="the device model"),
)
_DB_TYPES = ("mysql", "postgresql", "redis", "mongodb")
#: The stack the examples name (the fake's first stack, a production one).
APP = '"Awesome App"'


def _id(what: str, name: str = "id", metavar: str = "ID") -> Arg:
    return arg(name, metavar=metavar, type=positive_int, help=f"the {what}'s id")


C = Command

#: Every command, in the order ``--help`` lists them.
COMMANDS: tuple[Command, ...] = (
    # --- stacks
    C(
        "stacks",
        "list",
        "list every stack (or those of one name or environment)",
        lister(
            "stacks",
            lambda c, ns: c.stacks.list(name=ns.name, environment=ns.environment),
        ),
        (
            arg("--name", metavar="NAME", help="only the stacks with exactly this name"),
            arg(
                "-e",
                "--environment",
                metavar="ENV",
                help="only the stacks of this environment (production, staging...)",
            ),
        ),
        list=True,
        example="stacks list -e production",
    ),
    C(
        "stacks",
        "get",
        "show one stack",
        _stacks_get,
        (STACK,),
        example=f"stacks get {APP}",
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
        scope="redeploy",
        example="stacks create shop staging --service-yaml service.yml --manifest-yaml "
        "manifest.yml --wait",
    ),
    # --- stack actions
    C(
        "actions",
        "list",
        "list a stack's actions, newest first",
        lister("actions", lambda c, ns: c.actions.list(ns.stack)),
        (STACK,),
        list=True,
        example=f"actions list {APP} --limit 5",
    ),
    C(
        "actions",
        "get",
        "show one action",
        getter(lambda c, ns: c.actions.get(ns.stack, ns.id)),
        (STACK, _id("action")),
        example=f"actions get {APP} 4242",
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
        scope="redeploy",
        writes=True,
        example=f"actions run {APP} restart --wait",
    ),
    C(
        "actions",
        "wait",
        "wait for an action to finish (one started earlier, or whose wait was interrupted)",
        _actions_wait,
        (STACK, _id("action")),
        wait="always",
        example=f"actions wait {APP} 4242 --wait-timeout 600",
    ),
    # --- deployments
    C(
        "deployments",
        "list",
        "list a stack's deployments, newest first",
        lister("deployments", lambda c, ns: c.deployments.list(ns.stack)),
        (STACK,),
        list=True,
        example=f"deployments list {APP} --limit 5",
    ),
    C(
        "deployments",
        "get",
        "show one deployment",
        getter(lambda c, ns: c.deployments.get(ns.stack, ns.id)),
        (STACK, _id("deployment")),
        example=f"deployments get {APP} 12",
    ),
    C(
        "deployments",
        "cancel",
        "cancel a live deployment",
        getter(lambda c, ns: c.deployments.cancel(ns.stack, ns.id)),
        (STACK, _id("deployment")),
        scope="redeploy",
        writes=True,
        example=f"deployments cancel {APP} 12 --yes",
    ),
    C(
        "deployments",
        "wait",
        "wait for a stack's deployment to finish (the newest, or the newest since a time)",
        _deployments_wait,
        (
            STACK,
            arg(
                "--since",
                type=timestamp,
                metavar="TIME",
                help="wait for the newest deployment started at or after this time "
                "(ISO 8601, e.g. 2024-05-06T07:08:09Z); by default the newest one",
            ),
        ),
        wait="always",
        example=f"deployments wait {APP} --since 2024-05-06T07:08:09Z",
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
        scope="redeploy",
        writes=True,
        example=f"redeploy {APP} --git-ref main --wait",
    ),
    # --- services and containers
    C(
        "services",
        "list",
        "list a stack's services",
        lister("services", lambda c, ns: c.services.list(ns.stack, server_uid=ns.server_uid)),
        (STACK, SERVER_FILTER),
        list=True,
        example=f"services list {APP}",
    ),
    C(
        "services",
        "get",
        "show one service",
        getter(lambda c, ns: c.services.get(ns.stack, ns.name, server_uid=ns.server_uid)),
        (STACK, arg("name", metavar="NAME", help="the service's name"), SERVER_FILTER),
        example=f"services get {APP} web",
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
        scope="admin",
        writes=True,
        example=f"services scale {APP} web --group web=4 --wait",
    ),
    C(
        "services",
        "stop",
        "stop a service's containers",
        starter(lambda c, ns: c.services.stop(ns.stack, ns.name, server_uid=ns.server_uid)),
        (STACK, arg("name", metavar="NAME", help="the service's name"), SERVER_FILTER),
        wait="flag",
        scope="admin",
        writes=True,
        example=f"services stop {APP} worker --wait",
    ),
    C(
        "containers",
        "list",
        "list a stack's containers",
        lister("containers", lambda c, ns: c.containers.list(ns.stack, server_uid=ns.server_uid)),
        (STACK, SERVER_FILTER),
        list=True,
        example=f"containers list {APP}",
    ),
    C(
        "containers",
        "get",
        "show one container",
        getter(lambda c, ns: c.containers.get(ns.stack, ns.uid)),
        (STACK, arg("uid", metavar="UID", help="the container's uid")),
        scope="admin",
        example=f"containers get {APP} 4a5b6c7d8e9f",
    ),
    C(
        "containers",
        "stop",
        "stop a container",
        starter(lambda c, ns: c.containers.stop(ns.stack, ns.uid)),
        (STACK, arg("uid", metavar="UID", help="the container's uid")),
        wait="flag",
        scope="admin",
        writes=True,
        example=f"containers stop {APP} 4a5b6c7d8e9f --wait",
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
        scope="admin",
        aliases=("env-vars",),
        example=f"env list {APP}",
    ),
    C(
        "env",
        "get",
        "show one environment variable (by id or by key)",
        _env_get,
        (STACK, arg("id_or_key", metavar="ID_OR_KEY", help="the variable's numeric id or key")),
        secrets=True,
        scope="admin",
        aliases=("env-vars",),
        example=f"env get {APP} RAILS_ENV",
    ),
    C(
        "env",
        "set",
        "set an environment variable (update it, or add it when new)",
        _env_set,
        (STACK, arg("key", metavar="KEY"), arg("value", metavar="VALUE")),
        wait="flag",
        scope="admin",
        writes=True,
        aliases=("env-vars",),
        example=f"env set {APP} FEATURE_X on --wait",
    ),
    C(
        "env",
        "delete",
        "delete an environment variable",
        _env_delete,
        (STACK, arg("key", metavar="KEY")),
        scope="admin",
        writes=True,
        aliases=("env-vars",),
        example=f"env delete {APP} FEATURE_X --yes",
    ),
    # --- firewall rules
    C(
        "firewalls",
        "list",
        "list a stack's firewall rules",
        lister("firewall rules", lambda c, ns: c.firewalls.list(ns.stack)),
        (STACK,),
        list=True,
        example=f"firewalls list {APP}",
    ),
    C(
        "firewalls",
        "get",
        "show one firewall rule",
        getter(lambda c, ns: c.firewalls.get(ns.stack, ns.id)),
        (STACK, _id("rule")),
        example=f"firewalls get {APP} 7",
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
        scope="admin",
        writes=True,
        example=f"firewalls add {APP} --protocol tcp --port 8080 --from-ip 10.1.2.3/32",
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
        example=f"notifications list {APP}",
    ),
    C(
        "notifications",
        "get",
        "show one notification",
        getter(lambda c, ns: c.notifications.get(ns.stack, ns.id)),
        (STACK, _id("notification")),
        example=f"notifications get {APP} 3",
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
        writes=True,
        example=f"notifications update {APP} 3 --channel email --channel slack",
    ),
    # --- stack settings
    C(
        "settings",
        "list",
        "list a stack's settings",
        lister("settings", lambda c, ns: c.settings.list(ns.stack)),
        (STACK,),
        list=True,
        example=f"settings list {APP}",
    ),
    C(
        "settings",
        "get",
        "show one setting",
        getter(lambda c, ns: c.settings.get(ns.stack, ns.id)),
        (STACK, arg("id", metavar="ID", help="the setting, e.g. git.branch")),
        example=f"settings get {APP} git.branch",
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
        scope="admin",
        writes=True,
        example=f"settings set {APP} git.branch develop --wait",
    ),
    # --- servers
    C(
        "server-groups",
        "list",
        "list a stack's server groups",
        lister("server groups", lambda c, ns: c.server_groups.list(ns.stack)),
        (STACK,),
        list=True,
        example=f"server-groups list {APP}",
    ),
    C(
        "server-groups",
        "get",
        "show one server group",
        getter(lambda c, ns: c.server_groups.get(ns.stack, ns.id)),
        (STACK, _id("server group")),
        example=f"server-groups get {APP} 5",
    ),
    C(
        "servers",
        "list",
        "list a stack's servers",
        lister("servers", lambda c, ns: c.servers.list(ns.stack)),
        (STACK,),
        list=True,
        example=f"servers list {APP}",
    ),
    C(
        "servers",
        "get",
        "show one server",
        getter(lambda c, ns: c.servers.get(ns.stack, ns.uid)),
        (STACK, arg("uid", metavar="UID", help="the server's uid")),
        example=f"servers get {APP} 9b8a7c6d5e4f",
    ),
    C(
        "server-settings",
        "list",
        "list a server's settings",
        lister("server settings", lambda c, ns: c.server_settings.list(ns.stack, ns.server)),
        (STACK, arg("server", metavar="SERVER", help="the server's uid")),
        list=True,
        example=f"server-settings list {APP} 9b8a7c6d5e4f",
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
        example=f"server-settings get {APP} 9b8a7c6d5e4f swap.size",
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
        scope="admin",
        writes=True,
        example=f"server-settings set {APP} 9b8a7c6d5e4f swap.size 2048 --wait",
    ),
    # --- clouds
    C(
        "clouds",
        "list",
        "list the account's clouds",
        lister("clouds", lambda c, ns: c.clouds.list()),
        list=True,
        scope="redeploy",
        example="clouds list",
    ),
    C(
        "clouds",
        "get",
        "show one cloud with its regions and server sizes",
        getter(lambda c, ns: c.clouds.get(ns.name)),
        (arg("name", metavar="NAME", help="the cloud's name, e.g. aws"),),
        scope="redeploy",
        example="clouds get aws",
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
        example=f"backups list {APP} --db-type postgresql",
    ),
    C(
        "backups",
        "get",
        "show one backup",
        getter(lambda c, ns: c.backups.get(ns.stack, ns.id)),
        (STACK, _id("backup")),
        example=f"backups get {APP} 34",
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
        scope="admin",
        writes=True,
        example=f"backups create {APP} --db-type postgresql --frequency '0 3 * * *' --gzip",
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
        scope="admin",
        writes=True,
        example=f"backups import {APP} --group 1 --db-type mysql "
        "--remote-url https://example.com/dump.gz",
    ),
    C(
        "backups",
        "files",
        "list the files of a backup",
        lister("backup files", lambda c, ns: c.backups.files(ns.stack, ns.id)),
        (STACK, _id("backup")),
        list=True,
        example=f"backups files {APP} 34",
    ),
    C(
        "backups",
        "file-url",
        "print the download URL of a backup file",
        _file_url,
        (STACK, _id("backup"), arg("file", metavar="FILE", help="the file's id, e.g. tar")),
        example=f"backups file-url {APP} 34 rdb",
    ),
    # --- accounts and users
    C(
        "accounts",
        "list",
        "list your accounts",
        lister("accounts", lambda c, ns: c.accounts.list()),
        list=True,
        scope="users",
        example="accounts list",
    ),
    C(
        "accounts",
        "get",
        "show one account",
        getter(lambda c, ns: c.accounts.get(ns.id)),
        (_id("account"),),
        scope="users",
        example="accounts get 139",
    ),
    C(
        "users",
        "list",
        "list the users you can see",
        lister("users", lambda c, ns: c.users.list()),
        list=True,
        scope="users",
        example="users list --limit 10",
    ),
    C(
        "users",
        "get",
        "show one user",
        getter(lambda c, ns: c.users.get(ns.id)),
        (_id("user"),),
        scope="users",
        example="users get 18",
    ),
    C(
        "users",
        "add-device",
        "register a user's mobile device",
        getter(_device_call(False)),
        _DEVICE_ARGS,
        scope="users",
        example="users add-device 18 DEVICE_TOKEN --type ios --sub-type iphone",
    ),
    C(
        "users",
        "update-device",
        "change a user's mobile device",
        getter(_device_call(True)),
        _DEVICE_ARGS,
        scope="users",
        example="users update-device 18 DEVICE_TOKEN --type ios --sub-type ipad",
    ),
    C(
        "users",
        "delete-device",
        "remove a user's mobile device",
        _delete_device,
        _DEVICE_ARGS[:2],
        scope="users",
        example="users delete-device 18 DEVICE_TOKEN",
    ),
    # --- local tools
    C(
        "completion",
        None,
        "print the shell completion script for bash, zsh or fish",
        _completion,
        (arg("shell", choices=("bash", "zsh", "fish"), help="the shell: bash, zsh or fish"),),
        client=False,
        scope=None,
        description="Print the script that makes the shell complete cloud66-async's commands,\n"
        "options and stack names. Load it from the shell's start-up file:\n\n"
        '  bash (~/.bashrc):                  eval "$(cloud66-async completion bash)"\n'
        '  zsh (~/.zshrc, after compinit):    eval "$(cloud66-async completion zsh)"\n'
        "  fish (~/.config/fish/config.fish): cloud66-async completion fish | source\n\n"
        "Stack names are completed from the API (with the same token as the commands),\n"
        "when it answers within two seconds.",
        example="completion bash",
    ),
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
        scope=None,
        example="fake-server --port 8066 --stacks 10",
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
        scope=None,
        description="Start an in-memory FakeCloud66 and tour the SDK against it: auto-pagination, "
        "bulk work with fan_out, waiting on an action and a deployment, and a throttling episode "
        "absorbed by the shared throttle gate. With --json, print one JSON summary instead.",
        example="demo --stacks 40",
    ),
)
