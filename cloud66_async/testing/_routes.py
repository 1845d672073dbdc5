"""The route table: every operation of the blueprint as data, and the path matching.

Paths are matched on the *raw* request target: it is split on ``/`` first and each segment is
percent-decoded on its own afterwards. A stack uid ``../users`` sent as ``..%2Fusers`` therefore
stays one segment (an unknown stack, 404) and can never reach ``/users``; ``%2E%2E`` is the
literal id ``..``. Nothing is normalised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from . import _handlers as h
from ._params import Params
from ._responses import ApiError

__all__ = ["ROUTES", "SCOPES", "Route", "Target", "parse_target", "resolve"]

#: Every scope a token can hold. ``admin`` implies none of the others.
SCOPES: tuple[str, ...] = ("public", "redeploy", "jobs", "users", "admin")


@dataclass(frozen=True)
class Route:
    """One operation: method, path template, required scope and handler.

    ``when`` tells apart operations that share method and path (the blueprint's "New Backup"
    and "Import Backup" are both ``POST /stacks/{id}/backups``). A list operation's handler
    returns a :class:`~._responses.Listing`, which the dispatcher paginates.
    """

    method: str
    template: str
    scope: str
    handler: h.Handler
    name: str
    when: Callable[[Params], bool] | None = None
    segments: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.template.strip("/").split("/")))

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        """Return the path arguments if ``segments`` fit the template, else None."""
        if len(segments) != len(self.segments):
            return None
        args: dict[str, str] = {}
        for pattern, segment in zip(self.segments, segments, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                if segment == "":
                    return None
                args[pattern[1:-1]] = segment
            elif pattern != segment:
                return None
        return args


_S = "/stacks/{stack_id}"

ROUTES: tuple[Route, ...] = (
    # Stacks
    Route("GET", "/stacks", "public", h.list_stacks, "stacks.list"),
    Route("GET", _S, "public", h.get_stack, "stacks.get"),
    Route("POST", "/stacks", "redeploy", h.create_stack, "stacks.create"),
    Route("GET", f"{_S}/actions", "public", h.list_actions, "actions.list"),
    Route("GET", f"{_S}/actions/{{id}}", "public", h.get_action, "actions.get"),
    Route("POST", f"{_S}/actions", "redeploy", h.run_stack_action, "actions.run"),
    # Deployments
    Route("GET", f"{_S}/deployments", "public", h.list_deployments, "deployments.list"),
    Route("GET", f"{_S}/deployments/{{id}}", "public", h.get_deployment, "deployments.get"),
    Route("POST", f"{_S}/deployments", "redeploy", h.redeploy, "deployments.redeploy"),
    Route(
        "DELETE", f"{_S}/deployments/{{id}}", "redeploy", h.cancel_deployment, "deployments.cancel"
    ),
    # Services
    Route("GET", f"{_S}/services", "public", h.list_services, "services.list"),
    Route("GET", f"{_S}/services/{{id}}", "public", h.get_service, "services.get"),
    Route("POST", f"{_S}/services", "admin", h.scale_service, "services.scale"),
    Route("DELETE", f"{_S}/services/{{id}}", "admin", h.stop_service, "services.stop"),
    # Containers
    Route("GET", f"{_S}/containers", "public", h.list_containers, "containers.list"),
    Route("GET", f"{_S}/containers/{{id}}", "admin", h.get_container, "containers.get"),
    Route("DELETE", f"{_S}/containers/{{id}}", "admin", h.stop_container, "containers.stop"),
    # Environment variables
    Route("GET", f"{_S}/environments", "admin", h.list_env_vars, "env_vars.list"),
    Route("GET", f"{_S}/environments/{{id}}", "admin", h.get_env_var, "env_vars.get"),
    Route("POST", f"{_S}/environments", "admin", h.add_env_var, "env_vars.add"),
    Route("PUT", f"{_S}/environments/{{key}}", "admin", h.update_env_var, "env_vars.update"),
    Route("DELETE", f"{_S}/environments/{{key}}", "admin", h.delete_env_var, "env_vars.delete"),
    # Firewall rules
    Route("GET", f"{_S}/firewalls", "public", h.list_firewalls, "firewalls.list"),
    Route("GET", f"{_S}/firewalls/{{id}}", "public", h.get_firewall, "firewalls.get"),
    Route("POST", f"{_S}/firewalls", "admin", h.add_firewall, "firewalls.add"),
    # Notifications
    Route("GET", f"{_S}/notifications", "public", h.list_notifications, "notifications.list"),
    Route("GET", f"{_S}/notifications/{{id}}", "public", h.get_notification, "notifications.get"),
    Route(
        "PUT", f"{_S}/notifications/{{id}}", "public", h.update_notification, "notifications.update"
    ),
    # Stack settings
    Route("GET", f"{_S}/settings", "public", h.list_settings, "settings.list"),
    Route("GET", f"{_S}/settings/{{id}}", "public", h.get_setting, "settings.get"),
    Route("PUT", f"{_S}/settings/{{id}}", "admin", h.update_setting, "settings.update"),
    # Server groups
    Route("GET", f"{_S}/server_groups", "public", h.list_server_groups, "server_groups.list"),
    Route("GET", f"{_S}/server_groups/{{id}}", "public", h.get_server_group, "server_groups.get"),
    # Servers
    Route("GET", f"{_S}/servers", "public", h.list_servers, "servers.list"),
    Route("GET", f"{_S}/servers/{{id}}", "public", h.get_server, "servers.get"),
    # Server settings
    Route(
        "GET",
        f"{_S}/servers/{{server_id}}/settings",
        "public",
        h.list_server_settings,
        "server_settings.list",
    ),
    Route(
        "GET",
        f"{_S}/servers/{{server_id}}/settings/{{id}}",
        "public",
        h.get_server_setting,
        "server_settings.get",
    ),
    Route(
        "PUT",
        f"{_S}/servers/{{server_id}}/settings/{{id}}",
        "admin",
        h.update_server_setting,
        "server_settings.update",
    ),
    # Clouds
    Route("GET", "/clouds", "redeploy", h.list_clouds, "clouds.list"),
    Route("GET", "/clouds/{cloud_id}", "redeploy", h.get_cloud, "clouds.get"),
    # Backups
    Route("GET", f"{_S}/backups", "public", h.list_backups, "backups.list"),
    Route("GET", f"{_S}/backups/{{id}}", "public", h.get_backup, "backups.get"),
    Route("POST", f"{_S}/backups", "admin", h.import_backup, "backups.import", when=h.is_import),
    Route("POST", f"{_S}/backups", "admin", h.create_backup, "backups.create"),
    Route(
        "GET", f"{_S}/backups/{{backup_id}}/files", "public", h.list_backup_files, "backups.files"
    ),
    Route(
        "GET",
        f"{_S}/backups/{{backup_id}}/files/{{id}}",
        "public",
        h.get_backup_file,
        "backups.file",
    ),
    # Accounts
    Route("GET", "/accounts", "users", h.list_accounts, "accounts.list"),
    Route("GET", "/accounts/{id}", "users", h.get_account, "accounts.get"),
    # Users
    Route("GET", "/users", "users", h.list_users, "users.list"),
    Route("GET", "/users/{user_id}", "users", h.get_user, "users.get"),
    Route("POST", "/users/{user_id}/devices", "users", h.add_device, "devices.add"),
    Route("PUT", "/users/{user_id}/devices", "users", h.update_device, "devices.update"),
    Route("DELETE", "/users/{user_id}/devices/{token}", "users", h.delete_device, "devices.delete"),
    # Not operations of their own: the blueprint's curl examples put the device token in the
    # path for PUT, and its "Delete Device" path leaves it in the body.
    Route("PUT", "/users/{user_id}/devices/{token}", "users", h.update_device, "devices.update"),
    Route("DELETE", "/users/{user_id}/devices", "users", h.delete_device, "devices.delete"),
)


@dataclass(frozen=True)
class Target:
    """A request target split into decoded segments, with the API prefix and ``.json`` removed."""

    prefix: str | None
    segments: tuple[str, ...]

    @property
    def path(self) -> str:
        """The decoded path without the prefix, e.g. ``/stacks/abc/actions`` (for matching)."""
        return "/" + "/".join(self.segments)


def parse_target(raw_path: str, prefixes: Sequence[str]) -> Target:
    """Split a raw request target; segments are decoded one by one, never normalised.

    An optional ``.json`` suffix of the last segment is dropped when it is literal (not
    percent-encoded), so an id that really ends in ``.json`` can be sent as ``x%2Ejson``.
    """
    raw = raw_path.split("?", 1)[0].split("#", 1)[0]
    parts = raw.split("/")[1:] if raw.startswith("/") else raw.split("/")
    matched: str | None = None
    for prefix in prefixes:
        head = prefix.strip("/").split("/")
        if parts[: len(head)] == head:
            parts, matched = parts[len(head) :], prefix
            break
    if parts and parts[-1].endswith(".json"):
        parts[-1] = parts[-1][: -len(".json")]
    return Target(matched, tuple(unquote(part, errors="replace") for part in parts))


def resolve(method: str, target: Target, params: Params) -> tuple[Route, dict[str, str]]:
    """Find the route for a request, or raise 404 (no route has this method and path)."""
    if target.prefix is not None:
        for route in ROUTES:
            if route.method != method:
                continue
            args = route.match(target.segments)
            if args is not None and (route.when is None or route.when(params)):
                return route, args
    raise ApiError(404, "not_found", f"no such endpoint: {method} {target.path}")
