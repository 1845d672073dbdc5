"""Accounts the caller belongs to."""

from datetime import datetime

import attrs

__all__ = ["Account"]


@attrs.frozen(kw_only=True)
class Account:
    """An account (organisation), identified by ``id``.

    ``id`` may be ``None``: the early edition of the API did not send it.
    """

    id: int | None = None
    owner: str | None = None
    created_at_iso: datetime | None = None
    updated_at_iso: datetime | None = None
    stack_count: int | None = None
    used_clouds: tuple[str, ...] | None = None
