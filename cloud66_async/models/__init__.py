"""The data models of cloud66_async: frozen, slotted attrs classes, one per API resource.

Fields are named as the API's JSON keys and are all optional (``None`` when the API leaves them
out) except the one that identifies the resource. Timestamps are timezone-aware UTC datetimes,
lists are tuples, and free-form JSON objects stay dicts. Decode payloads with the converter from
``cloud66_async._converter.make_converter()``; unknown JSON keys are ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .accounts import Account
    from .actions import Action
    from .backups import Backup, BackupFile, BackupFileURL
    from .clouds import Cloud, CloudRegion, ServerSize
    from .common import CodeMeaning, OperationResult
    from .deployments import Deployment, RedeployResult
    from .env_vars import EnvVar, EnvVarHistory
    from .firewalls import FirewallRule
    from .notifications import Notification
    from .servers import Server, ServerGroup
    from .services import Container, ContainerPort, Service
    from .settings import ServerSetting, Setting, SettingValue
    from .stacks import Stack, StackHealth, StackStatus
    from .users import AccessLevel, AccessRight, Device, User, UserAccount

__all__ = [
    "AccessLevel",
    "AccessRight",
    "Account",
    "Action",
    "Backup",
    "BackupFile",
    "BackupFileURL",
    "Cloud",
    "CloudRegion",
    "CodeMeaning",
    "Container",
    "ContainerPort",
    "Deployment",
    "Device",
    "EnvVar",
    "EnvVarHistory",
    "FirewallRule",
    "Notification",
    "OperationResult",
    "RedeployResult",
    "Server",
    "ServerGroup",
    "ServerSetting",
    "ServerSize",
    "Service",
    "Setting",
    "SettingValue",
    "Stack",
    "StackHealth",
    "StackStatus",
    "User",
    "UserAccount",
]

# Each model is imported on first use (PEP 562), from its own module: ``import cloud66_async``
# loads none of them, and ``from cloud66_async.models import Stack`` loads the stacks module only
# (building an attrs class costs ~1 ms; all of them, ~30 ms).
_LAZY: dict[str, str] = {
    "AccessLevel": ".users",
    "AccessRight": ".users",
    "Account": ".accounts",
    "Action": ".actions",
    "Backup": ".backups",
    "BackupFile": ".backups",
    "BackupFileURL": ".backups",
    "Cloud": ".clouds",
    "CloudRegion": ".clouds",
    "CodeMeaning": ".common",
    "Container": ".services",
    "ContainerPort": ".services",
    "Deployment": ".deployments",
    "Device": ".users",
    "EnvVar": ".env_vars",
    "EnvVarHistory": ".env_vars",
    "FirewallRule": ".firewalls",
    "Notification": ".notifications",
    "OperationResult": ".common",
    "RedeployResult": ".deployments",
    "Server": ".servers",
    "ServerGroup": ".servers",
    "ServerSetting": ".settings",
    "ServerSize": ".clouds",
    "Service": ".services",
    "Setting": ".settings",
    "SettingValue": ".settings",
    "Stack": ".stacks",
    "StackHealth": ".stacks",
    "StackStatus": ".stacks",
    "User": ".users",
    "UserAccount": ".users",
}

if not TYPE_CHECKING:  # type checkers read the imports above, not a catch-all __getattr__
    __getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
