"""Every operation of the Cloud 66 API v3 blueprint, as data.

Keys are ``"<group>.<operation>"``; the managers look their endpoints up here, and the contract
tests check this table (and the requests the managers send) against the blueprint.
"""

from __future__ import annotations

from typing import Final

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
from ._base import Endpoint

__all__ = ["ENDPOINTS"]

_S = "/stacks/{stack_uid}"

ENDPOINTS: Final[dict[str, Endpoint]] = {
    # Stacks
    "stacks.list": Endpoint("GET", "/stacks", "public", Stack, many=True),
    "stacks.get": Endpoint("GET", _S, "public", Stack),
    "stacks.create": Endpoint("POST", "/stacks", "redeploy", Action),
    "actions.list": Endpoint("GET", f"{_S}/actions", "public", Action, many=True),
    "actions.get": Endpoint("GET", f"{_S}/actions/{{action_id}}", "public", Action),
    "actions.run": Endpoint("POST", f"{_S}/actions", "redeploy", Action),
    # Deployments
    "deployments.list": Endpoint("GET", f"{_S}/deployments", "public", Deployment, many=True),
    "deployments.get": Endpoint("GET", f"{_S}/deployments/{{deployment_id}}", "public", Deployment),
    "deployments.redeploy": Endpoint("POST", f"{_S}/deployments", "redeploy", RedeployResult),
    "deployments.cancel": Endpoint(
        "DELETE", f"{_S}/deployments/{{deployment_id}}", "redeploy", OperationResult
    ),
    # Services
    "services.list": Endpoint("GET", f"{_S}/services", "public", Service, many=True),
    "services.get": Endpoint("GET", f"{_S}/services/{{name}}", "public", Service),
    "services.scale": Endpoint("POST", f"{_S}/services", "admin", Action),
    "services.stop": Endpoint("DELETE", f"{_S}/services/{{name}}", "admin", Action),
    # Containers
    "containers.list": Endpoint("GET", f"{_S}/containers", "public", Container, many=True),
    "containers.get": Endpoint("GET", f"{_S}/containers/{{uid}}", "admin", Container),
    "containers.stop": Endpoint("DELETE", f"{_S}/containers/{{uid}}", "admin", Action),
    # Environment variables
    "env_vars.list": Endpoint("GET", f"{_S}/environments", "admin", EnvVar, many=True),
    "env_vars.get": Endpoint("GET", f"{_S}/environments/{{env_id}}", "admin", EnvVar),
    "env_vars.add": Endpoint("POST", f"{_S}/environments", "admin", Action),
    "env_vars.update": Endpoint("PUT", f"{_S}/environments/{{key}}", "admin", Action),
    "env_vars.delete": Endpoint("DELETE", f"{_S}/environments/{{key}}", "admin", None),
    # Firewall rules
    "firewalls.list": Endpoint("GET", f"{_S}/firewalls", "public", FirewallRule, many=True),
    "firewalls.get": Endpoint("GET", f"{_S}/firewalls/{{rule_id}}", "public", FirewallRule),
    "firewalls.add": Endpoint("POST", f"{_S}/firewalls", "admin", FirewallRule),
    # Notifications
    "notifications.list": Endpoint("GET", f"{_S}/notifications", "public", Notification, many=True),
    "notifications.get": Endpoint(
        "GET", f"{_S}/notifications/{{notification_id}}", "public", Notification
    ),
    "notifications.update": Endpoint(
        "PUT", f"{_S}/notifications/{{notification_id}}", "public", Notification
    ),
    # Stack settings
    "settings.list": Endpoint("GET", f"{_S}/settings", "public", Setting, many=True),
    "settings.get": Endpoint("GET", f"{_S}/settings/{{setting_id}}", "public", Setting),
    "settings.update": Endpoint("PUT", f"{_S}/settings/{{setting_id}}", "admin", Action),
    # Server groups
    "server_groups.list": Endpoint("GET", f"{_S}/server_groups", "public", ServerGroup, many=True),
    "server_groups.get": Endpoint("GET", f"{_S}/server_groups/{{group_id}}", "public", ServerGroup),
    # Servers
    "servers.list": Endpoint("GET", f"{_S}/servers", "public", Server, many=True),
    "servers.get": Endpoint("GET", f"{_S}/servers/{{server_uid}}", "public", Server),
    # Server settings
    "server_settings.list": Endpoint(
        "GET", f"{_S}/servers/{{server_uid}}/settings", "public", ServerSetting, many=True
    ),
    "server_settings.get": Endpoint(
        "GET", f"{_S}/servers/{{server_uid}}/settings/{{setting_id}}", "public", ServerSetting
    ),
    "server_settings.update": Endpoint(
        "PUT", f"{_S}/servers/{{server_uid}}/settings/{{setting_id}}", "admin", Action
    ),
    # Clouds
    "clouds.list": Endpoint("GET", "/clouds", "redeploy", Cloud, many=True),
    "clouds.get": Endpoint("GET", "/clouds/{name}", "redeploy", Cloud),
    # Backups
    "backups.list": Endpoint("GET", f"{_S}/backups", "public", Backup, many=True),
    "backups.get": Endpoint("GET", f"{_S}/backups/{{backup_id}}", "public", Backup),
    "backups.create": Endpoint("POST", f"{_S}/backups", "admin", OperationResult),
    "backups.import_backup": Endpoint("POST", f"{_S}/backups", "admin", OperationResult),
    "backups.files": Endpoint(
        "GET", f"{_S}/backups/{{backup_id}}/files", "public", BackupFile, many=True
    ),
    "backups.file_url": Endpoint(
        "GET", f"{_S}/backups/{{backup_id}}/files/{{file_id}}", "public", BackupFileURL
    ),
    # Accounts
    "accounts.list": Endpoint("GET", "/accounts", "users", Account, many=True),
    "accounts.get": Endpoint("GET", "/accounts/{account_id}", "users", Account),
    # Users
    "users.list": Endpoint("GET", "/users", "users", User, many=True),
    "users.get": Endpoint("GET", "/users/{user_id}", "users", User),
    "users.add_device": Endpoint("POST", "/users/{user_id}/devices", "users", Device),
    "users.update_device": Endpoint("PUT", "/users/{user_id}/devices", "users", Device),
    # The blueprint writes this path as /users/{id}/devices/token; its curl example and its
    # `token` parameter show the device token is the last segment.
    "users.delete_device": Endpoint("DELETE", "/users/{user_id}/devices/{token}", "users", None),
}
