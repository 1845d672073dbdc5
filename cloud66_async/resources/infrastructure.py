"""Servers, server groups, clouds and backups."""

from __future__ import annotations

from collections.abc import Sequence

from .._exceptions import DecodeError
from .._paging import Paginator
from ..models import Backup, BackupFile, BackupFileURL, Cloud, OperationResult, Server, ServerGroup
from . import _validate as v
from ._base import Manager
from ._endpoints import E

__all__ = ["BackupsManager", "CloudsManager", "ServerGroupsManager", "ServersManager"]


class ServerGroupsManager(Manager):
    """``client.server_groups``."""

    def list(
        self, stack_uid: str, *, max_items: int | None = None, start_page: int = 1
    ) -> Paginator[ServerGroup]:
        """Iterate over a stack's server groups."""
        return self._stack_list(
            E.server_groups_list, stack_uid, max_items=max_items, start_page=start_page
        )

    async def get(self, stack_uid: str, group_id: int) -> ServerGroup:
        """Return one server group."""
        found: ServerGroup = await self._stack_get(
            E.server_groups_get, stack_uid, "group_id", group_id
        )
        return found


class ServersManager(Manager):
    """``client.servers``."""

    def list(
        self, stack_uid: str, *, max_items: int | None = None, start_page: int = 1
    ) -> Paginator[Server]:
        """Iterate over a stack's servers."""
        return self._stack_list(
            E.servers_list, stack_uid, max_items=max_items, start_page=start_page
        )

    async def get(
        self, stack_uid: str, server_uid: str, *, include_private_key: bool = False
    ) -> Server:
        """Return one server; ``include_private_key=True`` adds its SSH ``private_key``."""
        if not isinstance(include_private_key, bool):
            raise v.ConfigError("include_private_key must be True or False")
        found: Server = await self._one(
            E.servers_get,
            {
                "stack_uid": v.check_str("stack_uid", stack_uid),
                "server_uid": v.check_str("server_uid", server_uid),
            },
            params={"include_private_key": 1 if include_private_key else None},
        )
        return found


class CloudsManager(Manager):
    """``client.clouds``: the clouds of the account (needs ``redeploy``)."""

    def list(self, *, max_items: int | None = None, start_page: int = 1) -> Paginator[Cloud]:
        """Iterate over the account's clouds."""
        return self._list(E.clouds_list, {}, max_items=max_items, start_page=start_page)

    async def get(self, name: str) -> Cloud:
        """Return one cloud by name (``digitalocean``), with its regions and server sizes."""
        found: Cloud = await self._one(E.clouds_get, {"name": v.check_str("name", name)})
        return found


class BackupsManager(Manager):
    """``client.backups``: managed database backups."""

    def list(
        self,
        stack_uid: str,
        *,
        group: int | None = None,
        db_type: str | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[Backup]:
        """Iterate over a stack's backups, optionally of one backup ``group`` or ``db_type``."""
        return self._list(
            E.backups_list,
            {"stack_uid": v.check_str("stack_uid", stack_uid)},
            params={
                "group": v.optional(v.check_int, "group", group, low=1),
                "db_type": v.optional(v.check_choice, "db_type", db_type, v.BACKUP_DB_TYPES),
            },
            max_items=max_items,
            start_page=start_page,
        )

    async def get(self, stack_uid: str, backup_id: int) -> Backup:
        """Return one backup."""
        found: Backup = await self._stack_get(E.backups_get, stack_uid, "backup_id", backup_id)
        return found

    async def create(
        self,
        stack_uid: str,
        *,
        db_type: str | Sequence[str] | None = None,
        frequency: str | None = None,
        keep_count: int | None = None,
        gzip: bool | None = None,
        excluded_tables: str | None = None,
        run_on_replica_server: bool | None = None,
    ) -> OperationResult:
        """Create a backup task for a stack's databases.

        ``db_type`` is one or more of all, mysql, postgresql, redis, mongodb; ``frequency`` a cron
        schedule such as ``"0 */1 * * *"``.
        """
        types: str | None = None
        if db_type is not None:
            names = [db_type] if isinstance(db_type, str) else v.check_str_list("db_type", db_type)
            for name in names:
                v.check_choice("db_type", name, v.BACKUP_DB_TYPES | {"all"})
            types = ",".join(names)
        for flag_name, flag in (("gzip", gzip), ("run_on_replica_server", run_on_replica_server)):
            if flag is not None and not isinstance(flag, bool):
                raise v.ConfigError(f"{flag_name} must be True or False")
        if frequency is not None and len(v.check_str("frequency", frequency).split()) != 5:
            raise v.ConfigError(f"frequency must be a 5-field cron schedule, got {frequency!r}")
        found: OperationResult = await self._one(
            E.backups_create,
            {"stack_uid": v.check_str("stack_uid", stack_uid)},
            body={
                "db_type": types,
                "frequency": frequency,
                "keep_count": v.optional(v.check_int, "keep_count", keep_count, low=1),
                "gzip": gzip,
                "excluded_tables": v.optional(v.check_str, "excluded_tables", excluded_tables),
                "run_on_replica_server": run_on_replica_server,
            },
        )
        return found

    async def import_backup(
        self, stack_uid: str, *, group: int, db_type: str, remote_url: str
    ) -> OperationResult:
        """Import an external backup file from ``remote_url`` into backup ``group``."""
        url = v.check_str("remote_url", remote_url)
        if not url.startswith(("http://", "https://")):
            raise v.ConfigError(f"remote_url must be an http(s) URL, got {remote_url!r}")
        found: OperationResult = await self._one(
            E.backups_import_backup,
            {"stack_uid": v.check_str("stack_uid", stack_uid)},
            body={
                "group": v.check_int("group", group, low=1),
                "db_type": v.check_choice("db_type", db_type, v.BACKUP_DB_TYPES),
                "remote_url": url,
            },
        )
        return found

    def files(
        self,
        stack_uid: str,
        backup_id: int,
        *,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[BackupFile]:
        """Iterate over the files of a backup."""
        return self._list(
            E.backups_files,
            {
                "stack_uid": v.check_str("stack_uid", stack_uid),
                "backup_id": v.check_int("backup_id", backup_id, low=1),
            },
            max_items=max_items,
            start_page=start_page,
        )

    async def file_url(self, stack_uid: str, backup_id: int, file_id: str) -> str:
        """Return the public (pre-signed) URL of one backup file."""
        found: BackupFileURL = await self._one(
            E.backups_file_url,
            {
                "stack_uid": v.check_str("stack_uid", stack_uid),
                "backup_id": v.check_int("backup_id", backup_id, low=1),
                "file_id": v.check_str("file_id", file_id),
            },
        )
        if not found.public_url:
            raise DecodeError("the backup file answer has no public_url", path="public_url")
        return found.public_url
