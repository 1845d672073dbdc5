"""Every operation of the Cloud 66 API v3 blueprint, as data: the endpoint table.

Each entry of :class:`E` is an :class:`Endpoint` typed by the model its answer decodes into
(``E.stacks_get`` is an ``Endpoint[Stack]``), so a manager that returns the wrong model for an
endpoint, or an entry with the wrong model, fails ``mypy --strict``. :data:`ENDPOINTS` indexes
the same entries by ``"<group>.<operation>"`` for the contract tests, which check the table (and
the requests the managers send) against the blueprint.

An entry names its model through a function (``lambda: models.Stack``), called the first time
the entry is read: the first use of a manager imports the models of the endpoints it uses, not
all of them (~30 ms). mypy reads the model's type from that function as it would from the class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, NamedTuple, TypeVar

from .. import models

if TYPE_CHECKING:
    from ..models import Device, FirewallRule, Notification

__all__ = ["ENDPOINTS", "NO_CONTENT", "E", "Endpoint"]

T = TypeVar("T")

#: The "model" of an endpoint whose answer the blueprint leaves undocumented.
NO_CONTENT: Final = type(None)


class Endpoint(NamedTuple, Generic[T]):
    """One operation of the API, as data: its name, method, path template, the scope it needs,
    and the model its answer decodes into (``T``).

    ``path`` uses ``{name}`` placeholders filled from the call's path arguments (always
    quoted). ``many`` marks a paginated list of ``T``. An endpoint whose answer the blueprint
    leaves undocumented has ``model=NO_CONTENT`` (an ``Endpoint[None]``) when nothing is
    read from it; ``nullable`` marks one that answers a model when it answers at all: its
    ``T`` is ``Model | None`` (``model`` stays the class), and an empty body, ``null`` or
    ``{"response": null}`` is ``None``.
    """

    # A named tuple rather than an attrs class: immutable, compared and hashed by value, and
    # building the class costs nothing at the first use of a manager (attrs: ~1.3 ms).
    name: str
    method: str
    path: str
    scope: str
    model: type[T]
    many: bool = False
    nullable: bool = False


class _Entry(Generic[T]):
    """An entry of :class:`E`: an :class:`Endpoint` built, and its model imported, when first read.

    The first read replaces the entry in the class with the :class:`Endpoint` it built, so every
    later ``E.<entry>`` is a plain class attribute and a request resolves nothing.
    """

    __slots__ = ("_attr", "_many", "_model", "_nullable", "method", "name", "path", "scope")

    def __init__(
        self,
        name: str,
        method: str,
        path: str,
        scope: str,
        model: Callable[[], type[T]],
        *,
        many: bool = False,
        nullable: bool = False,
    ) -> None:
        self.name, self.method, self.path, self.scope = name, method, path, scope
        self._model, self._many, self._nullable = model, many, nullable
        self._attr = ""

    def __set_name__(self, owner: type[object], attr: str) -> None:
        self._attr = attr

    def __get__(self, instance: object, owner: type[object]) -> Endpoint[T]:
        endpoint = Endpoint(
            self.name,
            self.method,
            self.path,
            self.scope,
            self._model(),
            many=self._many,
            nullable=self._nullable,
        )
        # Two first reads at once (threads) build two equal endpoints; either one is kept.
        setattr(owner, self._attr, endpoint)
        return endpoint


_S = "/stacks/{stack_uid}"


class E:
    """The endpoint table (a namespace: never instantiated)."""

    stacks_list = _Entry("stacks.list", "GET", "/stacks", "public", lambda: models.Stack, many=True)
    stacks_get = _Entry("stacks.get", "GET", _S, "public", lambda: models.Stack)
    stacks_create = _Entry("stacks.create", "POST", "/stacks", "redeploy", lambda: models.Action)

    actions_list = _Entry(
        "actions.list", "GET", f"{_S}/actions", "public", lambda: models.Action, many=True
    )
    actions_get = _Entry(
        "actions.get", "GET", f"{_S}/actions/{{action_id}}", "public", lambda: models.Action
    )
    actions_run = _Entry("actions.run", "POST", f"{_S}/actions", "redeploy", lambda: models.Action)

    deployments_list = _Entry(
        "deployments.list",
        "GET",
        f"{_S}/deployments",
        "public",
        lambda: models.Deployment,
        many=True,
    )
    deployments_get = _Entry(
        "deployments.get",
        "GET",
        f"{_S}/deployments/{{deployment_id}}",
        "public",
        lambda: models.Deployment,
    )
    deployments_redeploy = _Entry(
        "deployments.redeploy",
        "POST",
        f"{_S}/deployments",
        "redeploy",
        lambda: models.RedeployResult,
    )
    deployments_cancel = _Entry(
        "deployments.cancel",
        "DELETE",
        f"{_S}/deployments/{{deployment_id}}",
        "redeploy",
        lambda: models.OperationResult,
    )

    services_list = _Entry(
        "services.list", "GET", f"{_S}/services", "public", lambda: models.Service, many=True
    )
    services_get = _Entry(
        "services.get", "GET", f"{_S}/services/{{name}}", "public", lambda: models.Service
    )
    services_scale = _Entry(
        "services.scale", "POST", f"{_S}/services", "admin", lambda: models.Action
    )
    services_stop = _Entry(
        "services.stop", "DELETE", f"{_S}/services/{{name}}", "admin", lambda: models.Action
    )

    containers_list = _Entry(
        "containers.list", "GET", f"{_S}/containers", "public", lambda: models.Container, many=True
    )
    containers_get = _Entry(
        "containers.get", "GET", f"{_S}/containers/{{uid}}", "admin", lambda: models.Container
    )
    containers_stop = _Entry(
        "containers.stop", "DELETE", f"{_S}/containers/{{uid}}", "admin", lambda: models.Action
    )

    env_vars_list = _Entry(
        "env_vars.list", "GET", f"{_S}/environments", "admin", lambda: models.EnvVar, many=True
    )
    env_vars_get = _Entry(
        "env_vars.get", "GET", f"{_S}/environments/{{env_id}}", "admin", lambda: models.EnvVar
    )
    env_vars_add = _Entry(
        "env_vars.add", "POST", f"{_S}/environments", "admin", lambda: models.Action
    )
    env_vars_update = _Entry(
        "env_vars.update", "PUT", f"{_S}/environments/{{key}}", "admin", lambda: models.Action
    )
    env_vars_delete = _Entry(
        "env_vars.delete", "DELETE", f"{_S}/environments/{{key}}", "admin", lambda: NO_CONTENT
    )

    firewalls_list = _Entry(
        "firewalls.list", "GET", f"{_S}/firewalls", "public", lambda: models.FirewallRule, many=True
    )
    firewalls_get = _Entry(
        "firewalls.get", "GET", f"{_S}/firewalls/{{rule_id}}", "public", lambda: models.FirewallRule
    )
    # The blueprint documents no answer for these three: a blueprint-driven server answers
    # null, the live API the object.
    firewalls_add: _Entry[FirewallRule | None] = _Entry(
        "firewalls.add",
        "POST",
        f"{_S}/firewalls",
        "admin",
        lambda: models.FirewallRule,
        nullable=True,
    )

    notifications_list = _Entry(
        "notifications.list",
        "GET",
        f"{_S}/notifications",
        "public",
        lambda: models.Notification,
        many=True,
    )
    notifications_get = _Entry(
        "notifications.get",
        "GET",
        f"{_S}/notifications/{{notification_id}}",
        "public",
        lambda: models.Notification,
    )
    notifications_update: _Entry[Notification | None] = _Entry(
        "notifications.update",
        "PUT",
        f"{_S}/notifications/{{notification_id}}",
        "public",
        lambda: models.Notification,
        nullable=True,
    )

    settings_list = _Entry(
        "settings.list", "GET", f"{_S}/settings", "public", lambda: models.Setting, many=True
    )
    settings_get = _Entry(
        "settings.get", "GET", f"{_S}/settings/{{setting_id}}", "public", lambda: models.Setting
    )
    settings_update = _Entry(
        "settings.update", "PUT", f"{_S}/settings/{{setting_id}}", "admin", lambda: models.Action
    )

    server_groups_list = _Entry(
        "server_groups.list",
        "GET",
        f"{_S}/server_groups",
        "public",
        lambda: models.ServerGroup,
        many=True,
    )
    server_groups_get = _Entry(
        "server_groups.get",
        "GET",
        f"{_S}/server_groups/{{group_id}}",
        "public",
        lambda: models.ServerGroup,
    )

    servers_list = _Entry(
        "servers.list", "GET", f"{_S}/servers", "public", lambda: models.Server, many=True
    )
    servers_get = _Entry(
        "servers.get", "GET", f"{_S}/servers/{{server_uid}}", "public", lambda: models.Server
    )

    server_settings_list = _Entry(
        "server_settings.list",
        "GET",
        f"{_S}/servers/{{server_uid}}/settings",
        "public",
        lambda: models.ServerSetting,
        many=True,
    )
    server_settings_get = _Entry(
        "server_settings.get",
        "GET",
        f"{_S}/servers/{{server_uid}}/settings/{{setting_id}}",
        "public",
        lambda: models.ServerSetting,
    )
    server_settings_update = _Entry(
        "server_settings.update",
        "PUT",
        f"{_S}/servers/{{server_uid}}/settings/{{setting_id}}",
        "admin",
        lambda: models.Action,
    )

    clouds_list = _Entry(
        "clouds.list", "GET", "/clouds", "redeploy", lambda: models.Cloud, many=True
    )
    clouds_get = _Entry("clouds.get", "GET", "/clouds/{name}", "redeploy", lambda: models.Cloud)

    backups_list = _Entry(
        "backups.list", "GET", f"{_S}/backups", "public", lambda: models.Backup, many=True
    )
    backups_get = _Entry(
        "backups.get", "GET", f"{_S}/backups/{{backup_id}}", "public", lambda: models.Backup
    )
    backups_create = _Entry(
        "backups.create", "POST", f"{_S}/backups", "admin", lambda: models.OperationResult
    )
    backups_import_backup = _Entry(
        "backups.import_backup", "POST", f"{_S}/backups", "admin", lambda: models.OperationResult
    )
    backups_files = _Entry(
        "backups.files",
        "GET",
        f"{_S}/backups/{{backup_id}}/files",
        "public",
        lambda: models.BackupFile,
        many=True,
    )
    backups_file_url = _Entry(
        "backups.file_url",
        "GET",
        f"{_S}/backups/{{backup_id}}/files/{{file_id}}",
        "public",
        lambda: models.BackupFileURL,
    )

    accounts_list = _Entry(
        "accounts.list", "GET", "/accounts", "users", lambda: models.Account, many=True
    )
    accounts_get = _Entry(
        "accounts.get", "GET", "/accounts/{account_id}", "users", lambda: models.Account
    )

    users_list = _Entry("users.list", "GET", "/users", "users", lambda: models.User, many=True)
    users_get = _Entry("users.get", "GET", "/users/{user_id}", "users", lambda: models.User)
    users_add_device = _Entry(
        "users.add_device", "POST", "/users/{user_id}/devices", "users", lambda: models.Device
    )
    users_update_device: _Entry[Device | None] = _Entry(
        "users.update_device",
        "PUT",
        "/users/{user_id}/devices",
        "users",
        lambda: models.Device,
        nullable=True,
    )
    # The blueprint writes this path as /users/{id}/devices/token; its curl example and its
    # `token` parameter show the device token is the last segment.
    users_delete_device = _Entry(
        "users.delete_device",
        "DELETE",
        "/users/{user_id}/devices/{token}",
        "users",
        lambda: NO_CONTENT,
    )


class _Table(Mapping[str, Endpoint[Any]]):
    """The entries of :class:`E` by endpoint name; an entry's model is imported when it is read."""

    def __init__(self, attributes: Mapping[str, str]) -> None:
        self._attributes = attributes  # endpoint name -> its attribute of E

    def __getitem__(self, name: str) -> Endpoint[Any]:
        endpoint: Endpoint[Any] = getattr(E, self._attributes[name])
        return endpoint

    def __contains__(self, name: object) -> bool:
        return name in self._attributes  # Mapping's would read (and resolve) the entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._attributes)

    def __len__(self) -> int:
        return len(self._attributes)


ENDPOINTS: Final[Mapping[str, Endpoint[Any]]] = _Table(
    {entry.name: attr for attr, entry in vars(E).items() if isinstance(entry, _Entry)}
)
