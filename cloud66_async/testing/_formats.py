"""Timestamp formats and identifiers as the Cloud 66 API prints them.

The blueprint's examples use several timestamp formats side by side; each field of a generated
object uses the format its example uses, so clients are exercised on all of them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

__all__ = [
    "hex_id",
    "iso_offset",
    "iso_z",
    "jitter",
    "nanos_z",
    "parse_z",
    "utc_words",
]


def iso_z(moment: datetime) -> str:
    """Format as ``2014-08-29T17:21:25Z`` (most fields)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(moment: datetime) -> str:
    """Format as ``2014-08-14T01:46:53+00:00`` (a stack's ``last_activity``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def utc_words(moment: datetime) -> str:
    """Format as ``2014-08-14 00:38:14 UTC`` (a stack's ``created_at``, a device's)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def nanos_z(moment: datetime, nanos: int) -> str:
    """Format as ``2015-02-10T17:41:36.988310784Z`` (Docker's runtime timestamps)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def parse_z(text: str) -> datetime:
    """Parse a ``...Z`` timestamp of the blueprint's examples."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def hex_id(rng: random.Random, nbytes: int = 16) -> str:
    """Return a lowercase hex identifier of ``nbytes`` random bytes (32 hex digits by default)."""
    return f"{rng.getrandbits(nbytes * 8):0{nbytes * 2}x}"


def jitter(rng: random.Random, start: datetime, *, days: float) -> datetime:
    """Return a moment up to ``days`` after ``start``, at whole seconds."""
    return start + timedelta(seconds=rng.randrange(int(days * 86400) + 1))
