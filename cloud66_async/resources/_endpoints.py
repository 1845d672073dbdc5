"""Every operation of the Cloud 66 API v3 blueprint, as data: the endpoint table.

Each entry of :class:`E` is an :class:`Endpoint` typed by the model its answer decodes into
(``E.stacks_get`` is an ``Endpoint[Stack]``), so a manager that returns the wrong model for an
endpoint, or an entry with the wrong model, fails ``mypy --strict``. :data:`ENDPOINTS` indexes
the same entries by ``"<group>.<operation>"`` for the contract tests, which check the table (and
the requests the managers send) against the blueprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Generic, TypeVar

import attrs

from ..models import (
    Account,
    Action,
    Backup,
    BackupFile,
    BackupFileURL,
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

__all__ = ["ENDPOINTS", "NO_CONTENT", "E", "Endpoint"]

T = TypeVar("T")

#: The "model" of an endpoint whose answer the blueprint leaves undocumented.
NO_CONTENT: Final = type(None)


@attrs.frozen
class Endpoint(Generic[T]):
    """One operation of the API, as data: its name, method, path template, the scope it needs,
    and the model its answer decodes into (``T``).

    ``path`` uses ``{name}`` placeholders filled from the call's path arguments (always
    quoted). ``many`` marks a paginated list of ``T``. An endpoint whose answer the blueprint
    leaves undocumented has ``model=NO_CONTENT`` (an ``Endpoint[None]``) when nothing is
    read from it; ``nullable`` marks one that answers a model when it answers at all: its
    ``T`` is ``Model | None`` (``model`` stays the class), and an empty body, ``null`` or
    ``{"response": null}`` is ``None``.
    """

    name: str
    method: str
    path: str
    scope: str
    model: type[T]
    many: bool = False
    nullable: bool = False


_S = "/stacks/{stack_uid}"


class E:
    """The endpoint table (a namespace: never instantiated)."""

    stacks_list = Endpoint("stacks.list", "GET", "/stacks", "public", Stack, many=True)
    stacks_get = Endpoint("stacks.get", "GET", _S, "public", Stack)
    stacks_create = Endpoint("stacks.create", "POST", "/stacks", "redeploy", Action)

    actions_list = Endpoint("actions.list", "GET", f"{_S}/actions", "public", Action, many=True)
    actions_get = Endpoint("actions.get", "GET", f"{_S}/actions/{{action_id}}", "public", Action)
    actions_run = Endpoint("actions.run", "POST", f"{_S}/actions", "redeploy", Action)

    deployments_list = Endpoint(
        "deployments.list", "GET", f"{_S}/deployments", "public", Deployment, many=True
    )
    deployments_get = Endpoint(
        "deployments.get", "GET", f"{_S}/deployments/{{deployment_id}}", "public", Deployment
    )
    deployments_redeploy = Endpoint(
        "deployments.redeploy", "POST", f"{_S}/deployments", "redeploy", RedeployResult
    )
    deployments_cancel = Endpoint(
        "deployments.cancel",
        "DELETE",
        f"{_S}/deployments/{{deployment_id}}",
        "redeploy",
        OperationResult,
    )

    services_list = Endpoint("services.list", "GET", f"{_S}/services", "public", Service, many=True)
    services_get = Endpoint("services.get", "GET", f"{_S}/services/{{name}}", "public", Service)
    services_scale = Endpoint("services.scale", "POST", f"{_S}/services", "admin", Action)
    services_stop = Endpoint("services.stop", "DELETE", f"{_S}/services/{{name}}", "admin", Action)

    containers_list = Endpoint(
        "containers.list", "GET", f"{_S}/containers", "public", Container, many=True
    )
    containers_get = Endpoint(
        "containers.get", "GET", f"{_S}/containers/{{uid}}", "admin", Container
    )
    containers_stop = Endpoint(
        "containers.stop", "DELETE", f"{_S}/containers/{{uid}}", "admin", Action
    )

    env_vars_list = Endpoint(
        "env_vars.list", "GET", f"{_S}/environments", "admin", EnvVar, many=True
    )
    env_vars_get = Endpoint("env_vars.get", "GET", f"{_S}/environments/{{env_id}}", "admin", EnvVar)
    env_vars_add = Endpoint("env_vars.add", "POST", f"{_S}/environments", "admin", Action)
    env_vars_update = Endpoint(
        "env_vars.update", "PUT", f"{_S}/environments/{{key}}", "admin", Action
    )
    env_vars_delete = Endpoint(
        "env_vars.delete", "DELETE", f"{_S}/environments/{{key}}", "admin", NO_CONTENT
    )

    firewalls_list = Endpoint(
        "firewalls.list", "GET", f"{_S}/firewalls", "public", FirewallRule, many=True
    )
    firewalls_get = Endpoint(
        "firewalls.get", "GET", f"{_S}/firewalls/{{rule_id}}", "public", FirewallRule
    )
    # The blueprint documents no answer for these three: a blueprint-driven server answers
    # null, the live API the object.
    firewalls_add: Endpoint[FirewallRule | None] = Endpoint(
        "firewalls.add", "POST", f"{_S}/firewalls", "admin", FirewallRule, nullable=True
    )

    notifications_list = Endpoint(
        "notifications.list", "GET", f"{_S}/notifications", "public", Notification, many=True
    )
    notifications_get = Endpoint(
        "notifications.get",
        "GET",
        f"{_S}/notifications/{{notification_id}}",
        "public",
        Notification,
    )
    notifications_update: Endpoint[Notification | None] = Endpoint(
        "notifications.update",
        "PUT",
        f"{_S}/notifications/{{notification_id}}",
        "public",
        Notification,
        nullable=True,
    )

    settings_list = Endpoint("settings.list", "GET", f"{_S}/settings", "public", Setting, many=True)
    settings_get = Endpoint(
        "settings.get", "GET", f"{_S}/settings/{{setting_id}}", "public", Setting
    )
    settings_update = Endpoint(
        "settings.update", "PUT", f"{_S}/settings/{{setting_id}}", "admin", Action
    )

    server_groups_list = Endpoint(
        "server_groups.list", "GET", f"{_S}/server_groups", "public", ServerGroup, many=True
    )
    server_groups_get = Endpoint(
        "server_groups.get", "GET", f"{_S}/server_groups/{{group_id}}", "public", ServerGroup
    )

    servers_list = Endpoint("servers.list", "GET", f"{_S}/servers", "public", Server, many=True)
    servers_get = Endpoint("servers.get", "GET", f"{_S}/servers/{{server_uid}}", "public", Server)

    server_settings_list = Endpoint(
        "server_settings.list",
        "GET",
        f"{_S}/servers/{{server_uid}}/settings",
        "public",
        ServerSetting,
        many=True,
    )
    server_settings_get = Endpoint(
        "server_settings.get",
        "GET",
        f"{_S}/servers/{{server_uid}}/settings/{{setting_id}}",
        "public",
        ServerSetting,
    )
    server_settings_update = Endpoint(
        "server_settings.update",
        "PUT",
        f"{_S}/servers/{{server_uid}}/settings/{{setting_id}}",
        "admin",
        Action,
    )

    clouds_list = Endpoint("clouds.list", "GET", "/clouds", "redeploy", Cloud, many=True)
    clouds_get = Endpoint("clouds.get", "GET", "/clouds/{name}", "redeploy", Cloud)

    backups_list = Endpoint("backups.list", "GET", f"{_S}/backups", "public", Backup, many=True)
    backups_get = Endpoint("backups.get", "GET", f"{_S}/backups/{{backup_id}}", "public", Backup)
    backups_create = Endpoint("backups.create", "POST", f"{_S}/backups", "admin", OperationResult)
    backups_import_backup = Endpoint(
        "backups.import_backup", "POST", f"{_S}/backups", "admin", OperationResult
    )
    backups_files = Endpoint(
        "backups.files", "GET", f"{_S}/backups/{{backup_id}}/files", "public", BackupFile, many=True
    )
    backups_file_url = Endpoint(
        "backups.file_url",
        "GET",
        f"{_S}/backups/{{backup_id}}/files/{{file_id}}",
        "public",
        BackupFileURL,
    )

    accounts_list = Endpoint("accounts.list", "GET", "/accounts", "users", Account, many=True)
    accounts_get = Endpoint("accounts.get", "GET", "/accounts/{account_id}", "users", Account)

    users_list = Endpoint("users.list", "GET", "/users", "users", User, many=True)
    users_get = Endpoint("users.get", "GET", "/users/{user_id}", "users", User)
    users_add_device = Endpoint(
        "users.add_device", "POST", "/users/{user_id}/devices", "users", Device
    )
    users_update_device: Endpoint[Device | None] = Endpoint(
        "users.update_device", "PUT", "/users/{user_id}/devices", "users", Device, nullable=True
    )
    # The blueprint writes this path as /users/{id}/devices/token; its curl example and its
    # `token` parameter show the device token is the last segment.
    users_delete_device = Endpoint(
        "users.delete_device", "DELETE", "/users/{user_id}/devices/{token}", "users", NO_CONTENT
    )


ENDPOINTS: Final[Mapping[str, Endpoint[Any]]] = {
    entry.name: entry for entry in vars(E).values() if isinstance(entry, Endpoint)
}
