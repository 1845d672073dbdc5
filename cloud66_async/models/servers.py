"""Server groups and servers of a stack."""

from datetime import datetime
from typing import Any

import attrs

__all__ = ["Server", "ServerGroup"]


def _secret_repr(value: str | None) -> str:
    return "None" if value is None else "'********'"


@attrs.frozen(kw_only=True)
class ServerGroup:
    """A group of servers with one role (``rails``, ``postgresql``, ...), identified by ``id``."""

    id: int
    name: str | None = None
    type: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Server:
    """A server of a stack, identified by ``uid``.

    ``params`` holds the cloud-specific details as a plain dict. ``private_key`` is only sent when
    asked for (``include_private_key``); ``repr()`` never shows it.
    """

    uid: str
    vendor_uid: str | None = None
    name: str | None = None
    address: str | None = None
    distro: str | None = None
    distro_version: str | None = None
    dns_record: str | None = None
    user_name: str | None = None
    server_type: str | None = None
    server_roles: tuple[str, ...] | None = None
    server_group_id: int | None = None
    stack_uid: str | None = None
    has_agent: bool | None = None
    params: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    region: str | None = None
    availability_zone: str | None = None
    ext_ipv4: str | None = None
    health_state: int | None = None
    int_ipv4: str | None = None
    int_ipv6: str | None = None
    ext_ipv6: str | None = None
    private_key: str | None = attrs.field(default=None, repr=_secret_repr)
