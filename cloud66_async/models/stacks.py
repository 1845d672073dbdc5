"""Stacks: the stack object and its status and health codes."""

import enum
from datetime import datetime
from typing import Self

import attrs

__all__ = ["Stack", "StackHealth", "StackStatus"]


class _TolerantIntEnum(enum.IntEnum):
    """An IntEnum that turns an undocumented integer code into a pseudo-member.

    ``StackStatus(9)`` returns a member named ``UNDOCUMENTED_9`` whose value is 9 (and which equals
    9), instead of raising, so a code the API adds later never breaks decoding. Pseudo-members are
    cached, so ``StackStatus(9) is StackStatus(9)``; they are not listed when iterating the enum.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, int) and not isinstance(value, bool):
            member = int.__new__(cls, value)
            member._name_ = f"UNDOCUMENTED_{value}"
            member._value_ = value
            # setdefault keeps one pseudo-member per code even when two threads race here.
            return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]
        return None

    @property
    def is_documented(self) -> bool:
        """Tell whether this code is one the blueprint documents."""
        return self._name_ in type(self).__members__


class StackStatus(_TolerantIntEnum):
    """The stack's status code (the blueprint's ``STK_*`` values); undocumented codes are kept."""

    QUEUED = 0
    SUCCESS = 1
    FAILED = 2
    ANALYSING = 3
    ANALYSED = 4
    QUEUED_FOR_DEPLOYING = 5
    DEPLOYING = 6
    TERMINAL_FAILURE = 7


class StackHealth(_TolerantIntEnum):
    """The stack's health code (the blueprint's ``HLT_*`` values); undocumented codes are kept."""

    UNKNOWN = 0
    BUILDING = 1
    PARTIAL = 2
    OK = 3
    BROKEN = 4


@attrs.frozen(kw_only=True)
class Stack:
    """A stack (an application environment on Cloud 66), identified by ``uid``.

    ``status`` is a :class:`StackStatus` and ``health`` a :class:`StackHealth`. Every timestamp
    (``last_activity``, ``created_at``, ``created_at_iso``, ...) is a timezone-aware UTC datetime;
    the API sends the same instants twice, in two formats.
    """

    uid: str
    name: str | None = None
    git: str | None = None
    git_branch: str | None = None
    environment: str | None = None
    cloud: str | None = None
    fqdn: str | None = None
    language: str | None = None
    framework: str | None = None
    status: StackStatus | None = None
    health: StackHealth | None = None
    last_activity: datetime | None = None
    last_activity_iso: datetime | None = None
    maintenance_mode: bool | None = None
    has_loadbalancer: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deploy_directory: str | None = None
    cloud_status: str | None = None
    created_at_iso: datetime | None = None
    updated_at_iso: datetime | None = None
    redeploy_hook: str | None = None
