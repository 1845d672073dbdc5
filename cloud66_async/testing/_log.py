"""The request log: one immutable record per request the fake received."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["LoggedRequest"]

_SECRET_HEADERS = frozenset({"authorization", "cookie"})


def _redacted(headers: dict[str, str]) -> str:
    shown = {k: ("<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}
    return repr(shown)


@attrs.frozen
class LoggedRequest:
    """A request as the fake received it, and the status it answered.

    ``raw_path`` is the request target exactly as sent (percent-encoding and query string
    kept); ``path`` is the decoded path without the API prefix and without a ``.json`` suffix,
    e.g. ``/stacks/abc/actions`` (what faults and :meth:`FakeCloud66.requests` match on).
    ``status`` is None when the fake reset the connection instead of answering, and while the
    answer is still being produced; ``warning`` is the ``X-Cloud66-Warning`` the answer carried
    (see :meth:`FakeCloud66.set_warning`). The ``repr`` never shows the ``Authorization`` header.
    """

    method: str
    raw_path: str
    path: str
    query: dict[str, str]
    json: Any
    form: dict[str, Any] | None
    headers: dict[str, str] = attrs.field(repr=_redacted)
    status: int | None
    time: float
    body: bytes = attrs.field(default=b"", repr=False)
    prefix: str | None = None
    fault: str | None = None
    request_id: str | None = None
    warning: str | None = None

    def header(self, name: str) -> str | None:
        """Return a request header by case-insensitive name."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None
