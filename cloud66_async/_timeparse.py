"""Parse and format the API's timestamps. Pure functions, no I/O.

The blueprints use several formats for the same kind of value; all of them are read into
timezone-aware UTC datetimes:

- ``2014-08-14T01:46:53+00:00`` and other explicit offsets (converted to UTC)
- ``2014-08-29T17:21:25Z``
- ``2014-08-14 00:38:14 UTC``
- ``2015-02-10T17:41:36.988310784Z``: nanoseconds, truncated to microseconds
- ``0001-01-01T00:00:00Z``: Go's zero time, kept as ``datetime(1, 1, 1, tzinfo=UTC)``
- ``2014-08-14 00:38:14``: naive, taken as UTC
"""

from datetime import UTC, datetime

__all__ = ["format_timestamp", "parse_timestamp"]

_UTC_WORD = " UTC"
_fromisoformat = datetime.fromisoformat


def parse_timestamp(value: str) -> datetime:
    """Parse one of the API's timestamp formats into an aware UTC datetime.

    Raises :class:`ValueError` if ``value`` is not a timestamp, and :class:`TypeError` if it is
    not a string at all.
    """
    if not isinstance(value, str):
        raise TypeError(f"expected a timestamp string, got {type(value).__name__}")
    text = value
    if text.endswith(_UTC_WORD):
        text = text[: -len(_UTC_WORD)] + "+00:00"
    try:
        # Since Python 3.11 fromisoformat reads "Z" and "T" or " " separators, and truncates
        # fractional seconds beyond six digits (documented), which covers Go's nanoseconds.
        parsed = _fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    tz = parsed.tzinfo
    if tz is UTC:
        return parsed
    if tz is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # e.g. 0001-01-01T00:00:00+05:00 lies before the first representable instant.
        raise ValueError(f"timestamp out of range: {value!r}") from None


def format_timestamp(value: datetime) -> str:
    """Format a datetime as ISO 8601 in UTC with a ``Z`` suffix (naive values are taken as UTC).

    ``parse_timestamp(format_timestamp(dt)) == dt`` for every aware ``dt``.
    """
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"
