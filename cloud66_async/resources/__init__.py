"""Resource managers: one per API group. They check arguments, name an endpoint of the table
and hand both to the Requester; they know nothing of the Client."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from .._pipeline import Requester
from ._base import Manager
from ._endpoints import Endpoint

if TYPE_CHECKING:
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

# Each manager class is imported on first use, from its own module (PEP 562), with the models
# its signatures name: ``client.stacks`` loads the stacks module, not the other five.
# typing.get_type_hints(Client) needs the classes in its localns: pass
# ``{name: getattr(resources, name) for name in resources.__all__}``, which imports them all.
_LAZY: dict[str, str] = {
    "AccountsManager": ".people",
    "ActionsManager": ".stacks",
    "BackupsManager": ".infrastructure",
    "CloudsManager": ".infrastructure",
    "ContainersManager": ".services",
    "DeploymentsManager": ".deployments",
    "EnvVarsManager": ".configuration",
    "FirewallsManager": ".configuration",
    "NotificationsManager": ".configuration",
    "ServerGroupsManager": ".infrastructure",
    "ServerSettingsManager": ".configuration",
    "ServersManager": ".infrastructure",
    "ServicesManager": ".services",
    "SettingsManager": ".configuration",
    "StacksManager": ".stacks",
    "UsersManager": ".people",
}

# The client's attribute for each manager -> the manager's class name (the class is imported
# on first use, by the package's __getattr__ above).
MANAGERS: dict[str, str] = {
    "stacks": "StacksManager",
    "actions": "ActionsManager",
    "deployments": "DeploymentsManager",
    "services": "ServicesManager",
    "containers": "ContainersManager",
    "env_vars": "EnvVarsManager",
    "firewalls": "FirewallsManager",
    "notifications": "NotificationsManager",
    "settings": "SettingsManager",
    "server_groups": "ServerGroupsManager",
    "servers": "ServersManager",
    "server_settings": "ServerSettingsManager",
    "clouds": "CloudsManager",
    "backups": "BackupsManager",
    "accounts": "AccountsManager",
    "users": "UsersManager",
}


def build_manager(name: str, requester: Requester) -> Manager:
    """Build the manager the client gives the attribute ``name``."""
    cls: type[Manager] = getattr(sys.modules[__name__], MANAGERS[name])
    return cls(requester)


if not TYPE_CHECKING:  # type checkers read the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
