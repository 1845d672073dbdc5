"""Firewall rules of a stack."""

from datetime import datetime

import attrs

__all__ = ["FirewallRule"]


@attrs.frozen(kw_only=True)
class FirewallRule:
    """A firewall rule of a stack, identified by ``id``.

    ``protocol`` is the name the API returns (``"tcp"``); a rule's source is one of ``from_ip``,
    ``from_group_id`` and ``from_server_id``, its target one of the ``to_*`` fields.
    """

    id: int
    from_ip: str | None = None
    from_group_id: int | None = None
    from_server_id: int | None = None
    to_ip: str | None = None
    to_group_id: int | None = None
    to_server_id: int | None = None
    protocol: str | None = None
    port: int | None = None
    rule_type: str | None = None
    comments: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
