"""The operations: one small function per endpoint, over the in-memory state.

A handler takes a :class:`Call` and returns the ``response`` payload (a :class:`Listing` for list
endpoints, which the dispatcher paginates) or raises :class:`ApiError`. Handlers know nothing of
HTTP, tokens, rate limits or envelopes.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from ._formats import iso_z, utc_words
from ._params import Params, to_bool
from ._responses import Listing, bad_request, conflict, not_found
from ._seed import (
    backup_file_url,
    container_runtime,
    new_container,
    new_stack_record,
    private_key,
)
from ._state import StackRecord, State, find, public

__all__ = ["Call", "Handler"]

SERVICE_CONTAINER_FIELDS = (
    "uid",
    "server_uid",
    "server_name",
    "service_name",
    "image",
    "port_list",
    "command",
    "started_at",
    "web_ports",
    "created_at",
    "updated_at",
)
CONTAINER_FIELDS = (
    "uid",
    "server_uid",
    "server_name",
    "service_name",
    "image",
    "command",
    "started_at",
    "ports",
    "private_ip",
    "docker_ip",
    "health_state",
    "health_message",
    "health_source",
    "capture_output",
    "restart_on_deploy",
    "created_at",
    "updated_at",
)
STACK_COMMANDS = ("clear_caches", "maintenance_mode", "restart")
PROTOCOLS = {"1": "tcp", "2": "udp", "3": "icmp", "tcp": "tcp", "udp": "udp", "icmp": "icmp"}
CHANNELS = ("email", "ios", "hipchat", "webhook", "slack")
CHANNEL_PARAMS = ("hipchat_token", "hipchat_room", "slack_url", "slack_channel", "webhook_url")
DB_TYPES = ("mysql", "postgresql", "redis", "mongodb")
BUILD_TYPES = ("single", "multi")
DEVICE_TYPES = (1, 2)  # 1 = iOS, 2 = Android
DEVICE_SUB_TYPES = (1, 2, 3)  # 1 = iPhone, 2 = iPad, 3 = iPod
_BACKUP_BUCKET = "https://c66-managed-backup-non-prod.s3.amazonaws.com"
_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CRON_FIELD = re.compile(r"[0-9*/,\-]+")


@dataclass
class Call:
    """One request as the handlers see it: decoded path arguments and merged parameters."""

    state: State
    args: dict[str, str]
    params: Params
    remote: str | None = None

    def stack(self, *, include_hidden: bool = False) -> StackRecord:
        """Return the stack named by the path, or raise 404."""
        return self.state.stack(self.args["stack_id"], include_hidden=include_hidden)

    def int_arg(self, name: str, what: str) -> int:
        """Return an integer path argument; a non-integer names nothing, so it is a 404."""
        raw = self.args[name]
        if not raw.isascii() or not raw.isdigit():
            raise not_found(what, raw)
        return int(raw)


Handler = Callable[[Call], Any]


def _project(obj: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    # Containers are stored once with the fields of both views; each view picks its own.
    shown = public(obj)
    return {name: shown[name] for name in fields if name in shown}


def _action(entry: dict[str, Any]) -> dict[str, Any]:
    return public(entry)


# -- stacks and stack actions -------------------------------------------------------------------


def list_stacks(call: Call) -> Listing:
    # The live API (and the official Go client) filter the list on the server with
    # filter_name / filter_environment: exact matches, as the fake does.
    name = call.params.opt_str("filter_name")
    environment = call.params.opt_str("filter_environment")
    records = [
        record
        for record in call.state.visible_stacks()
        if (name is None or record.stack.get("name") == name)
        and (environment is None or record.stack.get("environment") == environment)
    ]
    return Listing(records, render=lambda record: public(record.stack))


def get_stack(call: Call) -> Any:
    return public(call.stack().stack)


def _service_names(service_yaml: str) -> list[str]:
    # Just enough YAML to list the services of a service.yml: the keys under "services:".
    names: list[str] = []
    inside = False
    indent: int | None = None
    for line in service_yaml.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            inside = line.strip() == "services:"
            continue
        if inside and line.rstrip().endswith(":"):
            indent = depth if indent is None else indent
            if depth == indent:
                names.append(line.strip()[:-1].strip("'\""))
    return names


def create_stack(call: Call) -> Any:
    state, params = call.state, call.params
    name = params.req_str("name")
    environment = params.req_str("environment")
    service_yaml = params.req_str("service_yaml")
    manifest = params.opt_str("manifest_yaml")
    cloud_name = params.opt_str("cloud")
    region = params.opt_str("region")
    build_type = params.opt_str("build_type")
    if build_type is not None and build_type not in BUILD_TYPES:
        raise bad_request("build_type must be single or multi", {"build_type": "is invalid"})
    cloud = None
    if cloud_name is not None:
        cloud = state.clouds.get(cloud_name)
        if cloud is None:
            raise bad_request(f"unknown cloud {cloud_name!r}", {"cloud": "is not a known cloud"})
        if region is not None and region not in {r["id"] for r in cloud["regions"]}:
            raise bad_request(f"unknown region {region!r}", {"region": "is not a region of cloud"})
    if not manifest and not (cloud_name and region and build_type):
        missing = {
            k: "is required without manifest_yaml" for k in ("cloud", "region", "build_type")
        }
        missing = {k: v for k, v in missing.items() if k not in params}
        raise bad_request(
            "either manifest_yaml, or cloud, region and build_type are required", missing
        )
    moment = state.wall()
    record = new_stack_record(
        state,
        state.rng,
        uid=f"{state.rng.getrandbits(128):032x}",
        name=name,
        environment=environment,
        moment=moment,
        cloud=str(cloud["display_name"]) if cloud else "DigitalOcean",
        language="docker",
        framework="docker",
    )
    record.stack["status"] = 0
    record.services = _service_names(service_yaml)
    # Like the dashboard, the new stack is listed at once, queued (status 0), so a client can
    # find it by name and follow its stack_create action; the build's success deploys it.
    state.stacks[record.uid] = record

    def effect(at: datetime) -> None:
        record.stack["status"] = 1
        state.touch(record, at)

    return _action(state.run_action(record, "stack_create", effect))


def list_actions(call: Call) -> Listing:
    return Listing(call.stack(include_hidden=True).actions, render=_action)


def get_action(call: Call) -> Any:
    record = call.stack(include_hidden=True)
    action_id = record.resolve("action", call.int_arg("id", "action"))
    return _action(find(record.actions, "id", action_id, "action"))


def run_stack_action(call: Call) -> Any:
    state, params = call.state, call.params
    record = call.stack()
    command = params.req_str("command")
    if command not in STACK_COMMANDS:
        raise bad_request(
            f"command must be one of {', '.join(STACK_COMMANDS)}", {"command": "is invalid"}
        )
    effect = None
    if command == "maintenance_mode":
        value = to_bool(params.raw("value"))
        if value is None:
            raise bad_request("maintenance_mode needs value=1 or value=0", {"value": "is invalid"})

        def effect(at: datetime) -> None:
            record.stack["maintenance_mode"] = value
            for setting in record.settings:
                if setting["key"] == "maintenance.mode":
                    setting["value"] = value

    return _action(state.run_action(record, command, effect))


# -- deployments --------------------------------------------------------------------------------


def list_deployments(call: Call) -> Listing:
    return Listing(call.stack().deployments, render=public)


def get_deployment(call: Call) -> Any:
    record = call.stack()
    return public(find(record.deployments, "id", call.int_arg("id", "deployment"), "deployment"))


def _known_services(record: StackRecord, names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in record.services]
    if unknown:
        raise bad_request(
            f"unknown services: {', '.join(unknown)}", {"services": "has unknown names"}
        )
    return names


def redeploy(call: Call) -> Any:
    state, params = call.state, call.params
    record = call.stack()
    git_ref = params.opt_str("git_ref")
    # The live API and the official Go client send ``services`` (a list, or comma-separated);
    # the blueprint names ``services_filter``. Both name services of the stack, and an unknown
    # name is a 400, with one exception: the blueprint documents git_ref as "non-docker only"
    # and services_filter as "docker only", and its own example sends both (for services
    # service1 and service2 that no example stack has). A deploy with a git_ref is taken for a
    # non-docker one, where the filter does not apply: it is accepted and ignored.
    services = params.opt_str_list("services")
    if services is not None:
        _known_services(record, services)
    else:
        services = params.opt_str_list("services_filter")
        if services is not None:
            services = None if git_ref is not None else _known_services(record, services)
    _, tracking = state.start_deployment(record, git_ref=git_ref, services=services)
    answer: dict[str, Any] = {"ok": True, "message": "Stack queued for redeployment"}
    if tracking is not None:
        answer.update(queued=True, async_action_id=tracking["id"])
    return answer


def cancel_deployment(call: Call) -> Any:
    record = call.stack()
    deployment = find(record.deployments, "id", call.int_arg("id", "deployment"), "deployment")
    if not deployment["is_deploying"]:
        raise conflict(f"deployment {deployment['id']} is not live")
    call.state.cancel_deployment(record, deployment)
    return {"ok": True, "message": "Cancelling deployment"}


# -- services and containers --------------------------------------------------------------------


def _service(record: StackRecord, name: str, server_uid: str | None) -> dict[str, Any]:
    containers = [
        _project(c, SERVICE_CONTAINER_FIELDS)
        for c in record.containers
        if c["service_name"] == name and server_uid in (None, c["server_uid"])
    ]
    return {"name": name, "containers": containers}


def _server_uid(call: Call, record: StackRecord) -> str | None:
    # A server_uid filter may name a server by another uid the blueprint gives it.
    server_uid = call.params.opt_str("server_uid")
    return None if server_uid is None else str(record.resolve("server", server_uid))


def list_services(call: Call) -> Listing:
    record = call.stack()
    server_uid = _server_uid(call, record)
    services = [_service(record, name, server_uid) for name in record.services]
    if server_uid is not None:
        services = [service for service in services if service["containers"]]
    return Listing(services)


def get_service(call: Call) -> Any:
    record = call.stack()
    name = call.args["id"]
    if name not in record.services:
        raise not_found("service", name)
    return _service(record, name, _server_uid(call, record))


def _counts(params: Params, name: str) -> dict[str, int] | None:
    mapping = params.opt_mapping(name)
    if mapping is None:
        return None
    counts: dict[str, int] = {}
    for key, value in mapping.items():
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.strip().isdigit():
            number = int(value)
        if number is None or number < 0:
            raise bad_request(f"{name}[{key}] must be a non-negative integer", {name: "is invalid"})
        counts[str(key)] = number
    return counts


def _group_servers(record: StackRecord, key: str) -> list[dict[str, Any]]:
    groups = {
        int(g["id"]) for g in record.server_groups if key in (g["name"], g["type"], str(g["id"]))
    }
    matched = [
        s for s in record.servers if s["server_group_id"] in groups or key in s["server_roles"]
    ]
    # A key naming no group spreads over the whole stack, as docker stacks have one group.
    return matched or list(record.servers)


def scale_service(call: Call) -> Any:
    state, params = call.state, call.params
    record = call.stack()
    name = params.req_str("service_name")
    if name not in record.services:
        raise not_found("service", name)
    server_count = _counts(params, "server_count")
    group_count = _counts(params, "server_group_count")
    if server_count is None and group_count is None:
        raise bad_request(
            "server_count or server_group_count is required",
            {"server_count": "is required", "server_group_count": "is required"},
        )
    targets: dict[str, int] = {}
    for group, total in (group_count or {}).items():
        servers = _group_servers(record, group)
        if not servers:
            raise bad_request(
                "the stack has no servers to scale on", {"server_group_count": "is invalid"}
            )
        for i, server in enumerate(servers):
            targets[server["uid"]] = total // len(servers) + (1 if i < total % len(servers) else 0)
    for named, count in (server_count or {}).items():
        server_uid = str(record.resolve("server", named))
        if server_uid not in {s["uid"] for s in record.servers}:
            raise bad_request(
                f"unknown server {named!r}", {"server_count": "names an unknown server"}
            )
        targets[server_uid] = count

    def effect(at: datetime) -> None:
        for server_uid, count in targets.items():
            server = state.server(record, server_uid)
            mine = [
                c
                for c in record.containers
                if c["service_name"] == name and c["server_uid"] == server_uid
            ]
            for extra in mine[count:]:
                record.containers.remove(extra)
            for _ in range(count - len(mine)):
                record.containers.append(new_container(state.rng, server, name, at))

    return _action(state.run_action(record, "service_scale", effect))


def stop_service(call: Call) -> Any:
    state = call.state
    record = call.stack()
    name = call.args["id"]
    if name not in record.services:
        raise not_found("service", name)
    server_uid = _server_uid(call, record)
    if server_uid is not None:
        state.server(record, server_uid)

    def effect(at: datetime) -> None:
        record.containers = [
            c
            for c in record.containers
            if not (c["service_name"] == name and server_uid in (None, c["server_uid"]))
        ]

    return _action(state.run_action(record, "service_stop", effect))


def list_containers(call: Call) -> Listing:
    record = call.stack()
    server_uid = _server_uid(call, record)
    return Listing(
        [
            _project(c, CONTAINER_FIELDS)
            for c in record.containers
            if server_uid in (None, c["server_uid"])
        ]
    )


def get_container(call: Call) -> Any:
    record = call.stack()
    container = find(record.containers, "uid", call.args["id"], "container")
    shown = _project(container, CONTAINER_FIELDS)
    shown["docker_ip"] = container["_docker_ip"]
    shown["runtime"] = container_runtime(container)
    return shown


def stop_container(call: Call) -> Any:
    state = call.state
    record = call.stack()
    uid = call.args["id"]
    find(record.containers, "uid", uid, "container")

    def effect(at: datetime) -> None:
        record.containers.remove(find(record.containers, "uid", uid, "container"))

    return _action(state.run_action(record, "container_stop", effect))


# -- environment variables ----------------------------------------------------------------------


def list_env_vars(call: Call) -> Listing:
    return Listing(call.stack().env_vars, render=public)


def get_env_var(call: Call) -> Any:
    record = call.stack()
    return public(
        find(
            record.env_vars,
            "id",
            call.int_arg("id", "environment variable"),
            "environment variable",
        )
    )


def add_env_var(call: Call) -> Any:
    state, params = call.state, call.params
    record = call.stack()
    key = params.req_str("key")
    value = params.req_str("value", allow_empty=True)
    params.opt_str("apply_strategy")  # the Go client sends it; accepted, no effect here
    if not _ENV_KEY.fullmatch(key):
        raise bad_request("key must be letters, digits and underscores", {"key": "is invalid"})
    if any(e["key"] == key for e in record.env_vars):
        raise conflict(f"environment variable {key} already exists")

    def effect(at: datetime) -> None:
        if any(e["key"] == key for e in record.env_vars):
            raise conflict(f"environment variable {key} already exists")
        record.env_vars.append(
            {
                "id": state.allocate("env_var"),
                "key": key,
                "value": value,
                "readonly": False,
                "created_at": iso_z(at),
                "updated_at": iso_z(at),
                "is_password": False,
                "is_generated": False,
                "history": [],
            }
        )

    return _action(state.run_action(record, "env-var-new", effect))


def _env_by_key(record: StackRecord, key: str) -> dict[str, Any]:
    return find(record.env_vars, "key", key, "environment variable")


def update_env_var(call: Call) -> Any:
    state, params = call.state, call.params
    record = call.stack()
    key = call.args["key"]
    value = params.req_str("value", allow_empty=True)
    params.opt_str("apply_strategy")
    env = _env_by_key(record, key)
    if env["readonly"]:
        raise conflict(f"environment variable {key} is readonly")

    def effect(at: datetime) -> None:
        current = _env_by_key(record, key)
        history = current.setdefault("history", [])
        number = max((int(h["key"]) for h in history), default=0) + 1
        history.append(
            {
                "key": number,
                "value": current["value"],
                "created_at": iso_z(at),
                "updated_at": iso_z(at),
            }
        )
        current["value"] = value
        current["updated_at"] = iso_z(at)

    return _action(state.run_action(record, "env-var-update", effect))


def delete_env_var(call: Call) -> Any:
    record = call.stack()
    key = call.args["key"]
    env = _env_by_key(record, key)
    if env["readonly"]:
        raise conflict(f"environment variable {key} is readonly")
    if env["is_generated"]:
        raise conflict(f"environment variable {key} is generated by Cloud 66")
    record.env_vars.remove(env)
    return {"ok": True, "message": f"Environment variable {key} deleted"}


# -- firewall rules -----------------------------------------------------------------------------


def list_firewalls(call: Call) -> Listing:
    record = call.stack()
    return Listing(call.state.live_firewalls(record), render=public)


def get_firewall(call: Call) -> Any:
    record = call.stack()
    rules = call.state.live_firewalls(record)
    rule_id = record.resolve("firewall", call.int_arg("id", "firewall rule"))
    return public(find(rules, "id", rule_id, "firewall rule"))


def _ip(params: Params, name: str, *, auto: str | None) -> str | None:
    value = params.opt_str(name)
    if value is None or value == "":
        return None
    if value.upper() == "AUTO" and auto is not None:
        return auto
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise bad_request(f"{name} is not an IP address or network", {name: "is invalid"}) from None
    return value


def add_firewall(call: Call) -> Any:
    state, params = call.state, call.params
    record = call.stack()
    raw_protocol = params.req_str("protocol").strip().lower()
    protocol = PROTOCOLS.get(raw_protocol)
    if protocol is None:
        raise bad_request(
            "protocol must be 1 (tcp), 2 (udp) or 3 (icmp)", {"protocol": "is invalid"}
        )
    port = params.req_int("port", minimum=1, maximum=65535)
    ttl = params.opt_int("ttl", minimum=1)
    if (params.opt_str("from_ip") or "").upper() == "AUTO" and ttl is None:
        raise bad_request("from_ip AUTO needs a ttl", {"from_ip": "AUTO needs ttl"})
    rule: dict[str, Any] = {
        "id": 0,
        "from_ip": _ip(params, "from_ip", auto=call.remote if ttl is not None else None),
        "from_group_id": params.opt_int("from_group_id"),
        "from_server_id": params.opt_int("from_server_id"),
        "to_ip": _ip(params, "to_ip", auto=None),
        "to_group_id": params.opt_int("to_group_id"),
        "to_server_id": params.opt_int("to_server_id"),
        "protocol": protocol,
        "port": port,
        "rule_type": "user",
        "comments": None,
    }
    ends = ("from_ip", "from_group_id", "from_server_id", "to_ip", "to_group_id", "to_server_id")
    if all(rule[end] is None for end in ends):
        raise bad_request(
            "one of the from/to parameters is required", {end: "one is required" for end in ends}
        )
    groups = {int(g["id"]) for g in record.server_groups}
    for end in ("from_group_id", "to_group_id"):
        if rule[end] is not None:
            rule[end] = record.resolve("server_group", rule[end])
        if rule[end] is not None and rule[end] not in groups:
            raise bad_request(f"{end} is not a server group of the stack", {end: "is unknown"})
    moment = state.wall()
    rule.update(id=state.allocate("firewall"), created_at=iso_z(moment), updated_at=iso_z(moment))
    if ttl is not None:
        rule["_expires_at"] = state.now() + ttl * state.config.firewall_ttl_unit
    record.firewalls.append(rule)
    return public(rule)


# -- notifications ------------------------------------------------------------------------------


def list_notifications(call: Call) -> Listing:
    record = call.stack()
    alert_type = call.params.opt_str("alert_type")
    return Listing(
        [public(n) for n in record.notifications if alert_type in (None, n["alert_type"])]
    )


def _notification(call: Call) -> dict[str, Any]:
    record = call.stack()
    note_id = record.resolve("notification", call.int_arg("id", "notification"))
    return find(record.notifications, "id", note_id, "notification")


def get_notification(call: Call) -> Any:
    return public(_notification(call))


def update_notification(call: Call) -> Any:
    params = call.params
    notification = _notification(call)
    channels = params.opt_str_list("channels")
    settings = params.opt_mapping("params")
    if channels is None and settings is None:
        raise bad_request("channels or params is required", {"channels": "is required"})
    if channels is not None:
        bad = [c for c in channels if c not in CHANNELS]
        if bad:
            raise bad_request(
                f"invalid channels: {', '.join(bad)} (valid: {', '.join(CHANNELS)})",
                {"channels": "has invalid values"},
            )
        notification["channels"] = list(dict.fromkeys(channels))
    if settings is not None:
        bad = [k for k in settings if k not in CHANNEL_PARAMS]
        if bad:
            raise bad_request(
                f"invalid params keys: {', '.join(bad)}", {"params": "has invalid keys"}
            )
        notification["params"] = {str(k): v for k, v in settings.items()}
    notification["updated_at"] = iso_z(call.state.wall())
    return public(notification)


# -- stack settings -----------------------------------------------------------------------------


def _by_id_or_key(
    items: list[dict[str, Any]], ident: str, id_field: str, what: str
) -> dict[str, Any]:
    # Settings are named by id ("git-branch"); the key ("git.branch") is accepted too.
    for item in items:
        if item.get(id_field) == ident:
            return item
    for item in items:
        if item.get("key") == ident:
            return item
    raise not_found(what, ident)


def _coerce_setting(current: Any, value: Any) -> Any:
    if isinstance(current, bool):
        flag = to_bool(value)
        if flag is None:
            raise bad_request("value must be true or false", {"value": "must be a boolean"})
        return flag
    if isinstance(current, int) and not isinstance(current, bool):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise bad_request("value must be an integer", {"value": "must be an integer"})
    if value is None or isinstance(value, dict | list):
        raise bad_request("value is required", {"value": "is required"})
    return value if isinstance(value, str) else Params({"v": value}).opt_str("v")


def list_settings(call: Call) -> Listing:
    return Listing(call.stack().settings, render=public)


def get_setting(call: Call) -> Any:
    setting = _by_id_or_key(call.stack().settings, call.args["id"], "id", "setting")
    return {"key": setting["key"], "value": setting["value"]}


def update_setting(call: Call) -> Any:
    state = call.state
    record = call.stack()
    setting = _by_id_or_key(record.settings, call.args["id"], "id", "setting")
    if "value" not in call.params:
        raise bad_request("value is required", {"value": "is required"})
    if setting["readonly"]:
        raise conflict(f"setting {setting['key']} is readonly")
    value = _coerce_setting(setting["value"], call.params.raw("value"))

    def effect(at: datetime) -> None:
        setting["value"] = value
        if setting["key"] == "git.branch":
            record.stack["git_branch"] = value
        elif setting["key"] == "maintenance.mode":
            record.stack["maintenance_mode"] = value

    return _action(state.run_action(record, f"stack-set: {setting['key']}", effect))


# -- server groups, servers, server settings ----------------------------------------------------


def list_server_groups(call: Call) -> Listing:
    return Listing(call.stack().server_groups, render=public)


def get_server_group(call: Call) -> Any:
    record = call.stack()
    group_id = record.resolve("server_group", call.int_arg("id", "server group"))
    return public(find(record.server_groups, "id", group_id, "server group"))


def list_servers(call: Call) -> Listing:
    return Listing(call.stack().servers, render=public)


def get_server(call: Call) -> Any:
    server = call.state.server(call.stack(), call.args["id"])
    shown = public(server)
    if call.params.opt_bool("include_private_key"):
        shown["private_key"] = private_key(server)
    return shown


def _server_settings(call: Call) -> tuple[StackRecord, dict[str, Any], list[dict[str, Any]]]:
    record = call.stack()
    server = call.state.server(record, call.args["server_id"])
    return record, server, server["_settings"]


def list_server_settings(call: Call) -> Listing:
    _, _, settings = _server_settings(call)
    return Listing(settings, render=public)


def get_server_setting(call: Call) -> Any:
    _, _, settings = _server_settings(call)
    setting = _by_id_or_key(settings, call.args["id"], "_id", "server setting")
    return {"key": setting["key"], "value": setting["value"]}


def update_server_setting(call: Call) -> Any:
    state = call.state
    record, server, settings = _server_settings(call)
    setting = _by_id_or_key(settings, call.args["id"], "_id", "server setting")
    if "value" not in call.params:
        raise bad_request("value is required", {"value": "is required"})
    # _writable: a read-only setting the blueprint documents an update of (see the seed).
    if setting["readonly"] and not setting.get("_writable"):
        raise conflict(f"server setting {setting['key']} is readonly")
    value = _coerce_setting(setting["value"], call.params.raw("value"))

    def effect(at: datetime) -> None:
        setting["value"] = value

    return _action(
        state.run_action(
            record,
            f"server-set: {setting['key']}",
            effect,
            resource_type="server",
            resource_id=server["_id"],
        )
    )


# -- clouds -------------------------------------------------------------------------------------


def list_clouds(call: Call) -> Listing:
    return Listing(list(call.state.clouds.values()), render=public)


def get_cloud(call: Call) -> Any:
    name = call.args["cloud_id"]
    cloud = call.state.clouds.get(name)
    if cloud is None:
        raise not_found("cloud", name)
    return public(cloud)


# -- backups ------------------------------------------------------------------------------------


def _db_type(params: Params, name: str, *, allow_all: bool) -> str | None:
    value = params.opt_str(name)
    if value is None:
        return None
    valid = (*DB_TYPES, "all") if allow_all else DB_TYPES
    parts = [p.strip() for p in value.split(",")] if allow_all else [value.strip()]
    bad = [p for p in parts if p not in valid]
    if bad or not parts:
        raise bad_request(
            f"{name} must be one of {', '.join(valid)}", {name: f"invalid: {', '.join(bad)}"}
        )
    return ",".join(parts)


def list_backups(call: Call) -> Listing:
    record = call.stack()
    group = call.params.opt_int("group")
    db_type = _db_type(call.params, "db_type", allow_all=False)
    return Listing(
        [
            public(b)
            for b in record.backups
            if group in (None, b["_group"]) and db_type in (None, b["db_type"])
        ]
    )


def _backup(call: Call, name: str) -> dict[str, Any]:
    record = call.stack()
    backup_id = record.resolve("backup", call.int_arg(name, "backup"))
    return find(record.backups, "id", backup_id, "backup")


def get_backup(call: Call) -> Any:
    return public(_backup(call, "id"))


def create_backup(call: Call) -> Any:
    params = call.params
    record = call.stack()
    frequency = params.opt_str("frequency")
    if frequency is not None:
        fields = frequency.split()
        if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
            raise bad_request("frequency must be a cron schedule", {"frequency": "is invalid"})
    task = {
        "db_type": _db_type(params, "db_type", allow_all=True) or "all",
        "frequency": frequency,
        "keep_count": params.opt_int("keep_count", minimum=1),
        "gzip": params.opt_bool("gzip"),
        "excluded_tables": params.opt_str("excluded_tables"),
        "run_on_replica_server": params.opt_bool("run_on_replica_server"),
    }
    record.backup_tasks.append({"kind": "new", **task})
    return {"ok": True, "message": "queued for creation"}


def import_backup(call: Call) -> Any:
    params = call.params
    record = call.stack()
    group = params.req_int("group", minimum=1)
    if _db_type(params, "db_type", allow_all=False) is None:
        raise bad_request("db_type is required", {"db_type": "is required"})
    remote_url = params.req_str("remote_url")
    if not re.match(r"https?://[^/\s]+", remote_url):
        raise bad_request("remote_url must be an http(s) URL", {"remote_url": "is invalid"})
    record.backup_tasks.append(
        {
            "kind": "import",
            "group": group,
            "db_type": params.opt_str("db_type"),
            "remote_url": remote_url,
        }
    )
    return {"ok": True, "message": "Your external backup queued for upload"}


def list_backup_files(call: Call) -> Listing:
    return Listing([dict(f) for f in _backup(call, "backup_id")["_files"]])


def get_backup_file(call: Call) -> Any:
    backup = _backup(call, "backup_id")
    file_id = backup.get("_file_aliases", {}).get(call.args["id"], call.args["id"])
    file = find(backup["_files"], "id", file_id, "backup file")
    url = f"{_BACKUP_BUCKET}/{backup['storage_path']}/{file['name']}"
    example = backup_file_url()
    if example.startswith(url + "?"):
        return {"ok": True, "public_url": example}
    expires = int((call.state.wall() + timedelta(hours=1)).timestamp())
    digest = hashlib.sha1(f"{url}:{expires}".encode(), usedforsecurity=False).digest()
    # S3 presigned-URL style, doubly quoted like the blueprint's example.
    signature = quote(quote(base64.b64encode(digest).decode(), safe=""), safe="")
    query = f"AWSAccessKeyId=AKIAIKCYITLQBEJDIETQ&Expires={expires}&Signature={signature}"
    return {"ok": True, "public_url": f"{url}?{query}"}


# -- accounts and users -------------------------------------------------------------------------


def list_accounts(call: Call) -> Listing:
    return Listing(list(call.state.accounts.values()), render=public)


def get_account(call: Call) -> Any:
    state = call.state
    account = state.accounts.get(state.resolve("account", call.int_arg("id", "account")))
    if account is None:
        raise not_found("account", call.args["id"])
    return public(account)


def list_users(call: Call) -> Listing:
    return Listing(list(call.state.users.values()), render=public)


def _user(call: Call) -> dict[str, Any]:
    state = call.state
    user = state.users.get(state.resolve("user", call.int_arg("user_id", "user")))
    if user is None:
        raise not_found("user", call.args["user_id"])
    return user


def get_user(call: Call) -> Any:
    return public(_user(call))


def _device_kind(params: Params, *, required: bool) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, valid in (("device_type", DEVICE_TYPES), ("sub_type", DEVICE_SUB_TYPES)):
        value = params.req_int(name) if required else params.opt_int(name)
        if value is None:
            continue
        if value not in valid:
            raise bad_request(f"{name} must be one of {valid}", {name: "is invalid"})
        out[name] = value
    return out


def add_device(call: Call) -> Any:
    user = _user(call)
    token = call.params.req_str("token")
    kind = _device_kind(call.params, required=True)
    if any(d["token"] == token for d in user["devices"]):
        raise conflict(f"device {token} already exists")
    moment = call.state.wall()
    device = {
        "device_type": kind["device_type"],
        "sub_type": kind["sub_type"],
        "token": token,
        "enabled": True,
        "created_at": utc_words(moment),
        "updated_at": utc_words(moment),
        "created_at_iso": iso_z(moment),
        "updated_at_iso": iso_z(moment),
    }
    user["devices"].append(device)
    return dict(device)


def _device_token(call: Call) -> str:
    token = call.args.get("token") or call.params.opt_str("token")
    if not token:
        raise bad_request("token is required", {"token": "is required"})
    return token


def update_device(call: Call) -> Any:
    user = _user(call)
    device = find(user["devices"], "token", _device_token(call), "device")
    kind = _device_kind(call.params, required=False)
    if not kind:
        raise bad_request(
            "device_type or sub_type is required",
            {"device_type": "is required", "sub_type": "is required"},
        )
    moment = call.state.wall()
    device.update(kind, updated_at=utc_words(moment), updated_at_iso=iso_z(moment))
    return dict(device)


def delete_device(call: Call) -> Any:
    user = _user(call)
    token = _device_token(call)
    device = find(user["devices"], "token", token, "device")
    user["devices"].remove(device)
    return {"ok": True, "message": f"Device {token} deleted"}


def is_import(params: Params) -> bool:
    """Tell an "Import Backup" POST from a "New Backup" POST (same path): it has a remote_url."""
    return "remote_url" in params
