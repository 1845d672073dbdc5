"""Users the caller can see, their access rights and their mobile devices."""

from datetime import datetime

import attrs

__all__ = ["AccessLevel", "AccessRight", "Device", "User", "UserAccount"]


@attrs.frozen(kw_only=True)
class AccessLevel:
    """A user's access level on a stack: a ``code`` (60) and its ``meaning`` (``"admin"``)."""

    code: int | None = None
    meaning: str | None = None


@attrs.frozen(kw_only=True)
class AccessRight:
    """A user's right on one stack: ``user`` id, ``stack`` uid and an :class:`AccessLevel`."""

    user: int | None = None
    stack: str | None = None
    access_level: AccessLevel | None = None


@attrs.frozen(kw_only=True)
class UserAccount:
    """A user's membership of an account: the ``account`` id, the ``role`` and its permissions."""

    account: int | None = None
    user: int | None = None
    role: str | None = None
    can_create_stack: bool | None = None
    can_admin_users: bool | None = None
    default_permission_level: int | None = None


@attrs.frozen(kw_only=True)
class Device:
    """A user's mobile device, identified by its push ``token``.

    ``device_type`` is 1 for iOS and 2 for Android; ``sub_type`` 1 iPhone, 2 iPad, 3 iPod.
    """

    token: str
    device_type: int | None = None
    sub_type: int | None = None
    enabled: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_at_iso: datetime | None = None
    updated_at_iso: datetime | None = None


@attrs.frozen(kw_only=True)
class User:
    """A user, identified by ``id``.

    ``accounts`` is a tuple of :class:`UserAccount`, ``access_rights`` of :class:`AccessRight` and
    ``devices`` of :class:`Device`.
    """

    id: int
    email: str | None = None
    primary_account_id: int | None = None
    accounts: tuple[UserAccount, ...] | None = None
    access_rights: tuple[AccessRight, ...] | None = None
    locked: bool | None = None
    uses_tfa: bool | None = None
    timezone: str | None = None
    has_valid_phone: bool | None = None
    developer_program: bool | None = None
    github_login: bool | None = None
    last_login: datetime | None = None
    devices: tuple[Device, ...] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    cloud_status: str | None = None
