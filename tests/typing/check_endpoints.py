"""The endpoint table's types, pinned: ``mypy --strict tests/typing`` checks that each entry of
``E`` is the ``Endpoint[Model]`` written here (the type of its model function), and
``tests/test_endpoint_table.py`` checks at run time that each entry decodes into that model.

Never run (no ``test_`` prefix, and everything sits inside ``_usage``): it only has to type-check.
"""

from __future__ import annotations

from typing import assert_type

from cloud66_async.models import (
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
from cloud66_async.resources._endpoints import E, Endpoint


def _usage() -> None:
    assert_type(E.stacks_list, Endpoint[Stack])
    assert_type(E.stacks_get, Endpoint[Stack])
    assert_type(E.stacks_create, Endpoint[Action])
    assert_type(E.actions_list, Endpoint[Action])
    assert_type(E.actions_get, Endpoint[Action])
    assert_type(E.actions_run, Endpoint[Action])
    assert_type(E.deployments_list, Endpoint[Deployment])
    assert_type(E.deployments_get, Endpoint[Deployment])
    assert_type(E.deployments_redeploy, Endpoint[RedeployResult])
    assert_type(E.deployments_cancel, Endpoint[OperationResult])
    assert_type(E.services_list, Endpoint[Service])
    assert_type(E.services_get, Endpoint[Service])
    assert_type(E.services_scale, Endpoint[Action])
    assert_type(E.services_stop, Endpoint[Action])
    assert_type(E.containers_list, Endpoint[Container])
    assert_type(E.containers_get, Endpoint[Container])
    assert_type(E.containers_stop, Endpoint[Action])
    assert_type(E.env_vars_list, Endpoint[EnvVar])
    assert_type(E.env_vars_get, Endpoint[EnvVar])
    assert_type(E.env_vars_add, Endpoint[Action])
    assert_type(E.env_vars_update, Endpoint[Action])
    assert_type(E.env_vars_delete, Endpoint[None])
    assert_type(E.firewalls_list, Endpoint[FirewallRule])
    assert_type(E.firewalls_get, Endpoint[FirewallRule])
    assert_type(E.firewalls_add, Endpoint[FirewallRule | None])
    assert_type(E.notifications_list, Endpoint[Notification])
    assert_type(E.notifications_get, Endpoint[Notification])
    assert_type(E.notifications_update, Endpoint[Notification | None])
    assert_type(E.settings_list, Endpoint[Setting])
    assert_type(E.settings_get, Endpoint[Setting])
    assert_type(E.settings_update, Endpoint[Action])
    assert_type(E.server_groups_list, Endpoint[ServerGroup])
    assert_type(E.server_groups_get, Endpoint[ServerGroup])
    assert_type(E.servers_list, Endpoint[Server])
    assert_type(E.servers_get, Endpoint[Server])
    assert_type(E.server_settings_list, Endpoint[ServerSetting])
    assert_type(E.server_settings_get, Endpoint[ServerSetting])
    assert_type(E.server_settings_update, Endpoint[Action])
    assert_type(E.clouds_list, Endpoint[Cloud])
    assert_type(E.clouds_get, Endpoint[Cloud])
    assert_type(E.backups_list, Endpoint[Backup])
    assert_type(E.backups_get, Endpoint[Backup])
    assert_type(E.backups_create, Endpoint[OperationResult])
    assert_type(E.backups_import_backup, Endpoint[OperationResult])
    assert_type(E.backups_files, Endpoint[BackupFile])
    assert_type(E.backups_file_url, Endpoint[BackupFileURL])
    assert_type(E.accounts_list, Endpoint[Account])
    assert_type(E.accounts_get, Endpoint[Account])
    assert_type(E.users_list, Endpoint[User])
    assert_type(E.users_get, Endpoint[User])
    assert_type(E.users_add_device, Endpoint[Device])
    assert_type(E.users_update_device, Endpoint[Device | None])
    assert_type(E.users_delete_device, Endpoint[None])
