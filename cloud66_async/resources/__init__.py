"""Resource managers: one per API group. They check arguments, name an endpoint of the table
and hand both to the Requester; they know nothing of the Client."""

from __future__ import annotations

from .._pipeline import Requester
from ._base import Manager
from ._endpoints import Endpoint
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
    "build_manager",
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


def build_manager(name: str, requester: Requester) -> Manager:
    """Build the manager the client gives the attribute ``name``."""
    return MANAGERS[name](requester)
