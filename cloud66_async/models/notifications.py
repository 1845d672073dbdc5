"""Notification settings of a stack."""

from datetime import datetime
from typing import Any

import attrs

__all__ = ["Notification"]


@attrs.frozen(kw_only=True)
class Notification:
    """A notification (an alert type and the channels it goes to), identified by ``id``.

    ``channels`` names the channels (``email``, ``ios``, ``hipchat``, ``webhook``, ``slack``);
    ``params`` holds the channels' settings as a plain dict. ``stack_id`` is the stack's uid.
    """

    id: int
    user_id: int | None = None
    alert_type: str | None = None
    channels: tuple[str, ...] | None = None
    stack_id: str | None = None
    params: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
