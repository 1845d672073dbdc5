"""Database backups of a stack."""

from datetime import datetime

import attrs

__all__ = ["Backup", "BackupFile", "BackupFileURL"]


@attrs.frozen(kw_only=True)
class Backup:
    """A database backup, identified by ``id``.

    Timestamps come only in their ``*_iso`` form. ``backup_status``, ``restore_status`` and
    ``verify_status`` are the API's undocumented integer codes.
    """

    id: int
    server_uid: str | None = None
    db_type: str | None = None
    database_name: str | None = None
    file_base: str | None = None
    backup_date_iso: datetime | None = None
    backup_status: int | None = None
    backup_result: str | None = None
    restore_status: int | None = None
    restore_result: str | None = None
    created_at_iso: datetime | None = None
    updated_at_iso: datetime | None = None
    verify_status: int | None = None
    verify_result: str | None = None
    storage_path: str | None = None
    skip_tables: str | None = None
    backup_size: int | None = None


@attrs.frozen(kw_only=True)
class BackupFile:
    """A file of a backup, identified by ``id`` (a string such as ``tar`` or ``tar-aa``)."""

    id: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class BackupFileURL:
    """The answer to a backup-file request: ``ok`` and a time-limited ``public_url``."""

    ok: bool | None = None
    public_url: str | None = None
