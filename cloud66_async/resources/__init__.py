"""Resource managers: one per API group. They build requests and name models, nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import Endpoint, Manager
from .configuration import (
    EnvVarsManager,
    FirewallsManager,
    NotificationsManager,
    ServerSettingsManager,
    SettingsManager,
)
from .deployments import DeploymentsManager
from .infrastructure import BackupsManager, CloudsManager, ServerGroupsManager, ServersManager
from .people import AccountsManager, UsersManager
from .services import ContainersManager, ServicesManager
from .stacks import ActionsManager, StacksManager

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "AccountsManager",
    "ActionsManager",
    "BackupsManager",
    "CloudsManager",
    "ContainersManager",
    "DeploymentsManager",
    "Endpoint",
    "EnvVarsManager",
    "FirewallsManager",
    "Manager",
    "NotificationsManager",
    "ServerGroupsManager",
    "ServerSettingsManager",
    "ServersManager",
    "ServicesManager",
    "SettingsManager",
    "StacksManager",
    "UsersManager",
    "attach_managers",
]

MANAGERS: dict[str, type[Manager]] = {
    "stacks": StacksManager,
    "actions": ActionsManager,
    "deployments": DeploymentsManager,
    "services": ServicesManager,
    "containers": ContainersManager,
    "env_vars": EnvVarsManager,
    "firewalls": FirewallsManager,
    "notifications": NotificationsManager,
    "settings": SettingsManager,
    "server_groups": ServerGroupsManager,
    "servers": ServersManager,
    "server_settings": ServerSettingsManager,
    "clouds": CloudsManager,
    "backups": BackupsManager,
    "accounts": AccountsManager,
    "users": UsersManager,
}


def attach_managers(client: Client) -> None:
    """Give ``client`` (or a view of it) one manager per API group."""
    for name, cls in MANAGERS.items():
        setattr(client, name, cls(client))
