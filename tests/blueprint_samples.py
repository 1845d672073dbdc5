"""The blueprints' example answers as test samples, read from the vendored blueprints.

Every example body of both blueprints is a sample (48 of v3, 6 of the early edition), keyed
``"<edition>/<resource name>"``, e.g. ``"v3/Stack List"``. The bodies come from
``cloud66_async.testing._blueprint`` (its ``BODY_FIXES`` repair the five that are not JSON as
written; ``tests/samples/FIXES.md`` explains them); :data:`MODELS` says which model each
one's ``response`` decodes into.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from cloud66_async.testing._blueprint import EDITIONS, Operation, blueprint

__all__ = ["MODELS", "SAMPLES", "Sample"]

#: The model each operation's example ``response`` decodes into (by resource name; the early
#: edition's six operations have the names and models of their v3 counterparts).
MODELS: dict[str, str] = {
    "Stack List": "Stack",
    "Stack": "Stack",
    "Stack Create": "Action",
    "Stack Action list": "Action",
    "Stack Action": "Action",
    "Run Stack action": "Action",
    "Deployment list": "Deployment",
    "Deployment": "Deployment",
    "Redeploy": "RedeployResult",
    "Cancel deployment": "OperationResult",
    "Services list": "Service",
    "Service show": "Service",
    "Service scale": "Action",
    "Service stop": "Action",
    "Containers list": "Container",
    "Container show": "Container",
    "Container stop": "Action",
    "Environment Variable list": "EnvVar",
    "Environment Variable": "EnvVar",
    "Add Environment Variable": "Action",
    "Update Environment Variable": "Action",
    "Firewall rules list": "FirewallRule",
    "Firewall rule": "FirewallRule",
    "Notifications list": "Notification",
    "Notification": "Notification",
    "Settings list": "Setting",
    "Setting": "Setting",
    "Update Setting": "Action",
    "Server Group List": "ServerGroup",
    "Server Group": "ServerGroup",
    "Server List": "Server",
    "Server": "Server",
    "Server Settings list": "ServerSetting",
    "Server Setting": "ServerSetting",
    "Update Server Setting": "Action",
    "Cloud List": "Cloud",
    "Cloud": "Cloud",
    "Backups list": "Backup",
    "Backup": "Backup",
    "New Backup": "OperationResult",
    "Import Backup": "OperationResult",
    "Backup files": "BackupFile",
    "Backup file": "BackupFileURL",
    "Account List": "Account",
    "Account": "Account",
    "User List": "User",
    "User": "User",
    "Add Device": "Device",
}


@dataclass(frozen=True)
class Sample:
    """One example answer of a blueprint, and the model its ``response`` decodes into."""

    key: str
    operation: Operation
    model: str

    @property
    def body(self) -> Any:
        """The whole example body (envelope included), a private copy."""
        return copy.deepcopy(self.operation.body)

    @property
    def response(self) -> Any:
        """The example's ``response``, a private copy."""
        return self.body["response"]

    @property
    def raw(self) -> bytes:
        """The body as the blueprint writes it (repaired when it needed a fix), as bytes."""
        text = self.operation.json_text
        assert text is not None
        return text.encode()

    @property
    def is_list(self) -> bool:
        """Whether the ``response`` is a list of objects."""
        return isinstance(self.operation.response, list)

    @property
    def fixed(self) -> bool:
        """Whether the body needed one of the blueprint reader's fixes."""
        return self.operation.fix is not None


SAMPLES: dict[str, Sample] = {
    f"{edition}/{op.name}": Sample(f"{edition}/{op.name}", op, MODELS[op.name])
    for edition in EDITIONS
    for op in blueprint(edition)
    if op.body is not None
}
