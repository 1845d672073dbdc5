"""The data models of cloud66_async: frozen, slotted attrs classes, one per API resource.

Fields are named as the API's JSON keys and are all optional (``None`` when the API leaves them
out) except the one that identifies the resource. Timestamps are timezone-aware UTC datetimes,
lists are tuples, and free-form JSON objects stay dicts. Decode payloads with the converter from
``cloud66_async._converter.make_converter()``; unknown JSON keys are ignored.
"""

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
