"""Parse and format the API's timestamps. Pure functions, no I/O.

The blueprints use several formats for the same kind of value; all of them are read into
timezone-aware UTC datetimes:

- ``2014-08-14T01:46:53+00:00`` and other explicit offsets (converted to UTC)
- ``2014-08-29T17:21:25Z``
- ``2014-08-14 00:38:14 UTC``
- ``2015-02-10T17:41:36.988310784Z``: nanoseconds, rounded to microseconds on the seventh
  digit (as msgspec, the SDK's fast decoding path, does, so both paths agree)
- ``0001-01-01T00:00:00Z``: Go's zero time, kept as ``datetime(1, 1, 1, tzinfo=UTC)``
- ``2014-08-14 00:38:14``: naive, taken as UTC
- ``2014-08-14t00:38:14z``: RFC 3339 allows the ``T`` and ``Z`` in lower case (msgspec, the fast
  path, reads them, so this does too)
"""

import re
from datetime import UTC, datetime, timedelta

__all__ = ["format_timestamp", "parse_timestamp"]

_UTC_WORD = " UTC"
_fromisoformat = datetime.fromisoformat
_LONG_FRACTION = re.compile(r"\.(\d{6})(\d+)")
_ONE_MICROSECOND = timedelta(microseconds=1)


def parse_timestamp(value: str) -> datetime:
    """Parse one of the API's timestamp formats into an aware UTC datetime.

    Raises :class:`ValueError` if ``value`` is not a timestamp, and :class:`TypeError` if it is
    not a string at all.
    """
    if not isinstance(value, str):
        raise TypeError(f"expected a timestamp string, got {type(value).__name__}")
    text = value
    if text.endswith("z"):
        text = text[:-1] + "Z"
    if len(text) > 10 and text[10] == "t":
        text = text[:10] + "T" + text[11:]
    if text.endswith(_UTC_WORD):
        text = text[: -len(_UTC_WORD)] + "+00:00"
    round_up = False
    if "." in text:
        long_fraction = _LONG_FRACTION.search(text)
        if long_fraction is not None:
            round_up = long_fraction.group(2)[0] >= "5"
            text = (
                text[: long_fraction.start()]
                + "."
                + long_fraction.group(1)
                + text[long_fraction.end() :]
            )
    try:
        # Since Python 3.11 fromisoformat reads "Z" and "T" or " " separators.
        parsed = _fromisoformat(text)
        if round_up:
            parsed += _ONE_MICROSECOND
    except (ValueError, OverflowError):
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
