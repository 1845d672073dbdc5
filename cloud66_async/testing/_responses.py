"""What the fake answers: the envelope, the one pagination function, the one error type.

Handlers return plain JSON values (or a :class:`Listing` for list endpoints) and raise
:class:`ApiError`; the dispatcher turns both into bodies here, so the envelope and the error
shape are written once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiError",
    "Listing",
    "bad_request",
    "conflict",
    "envelope",
    "error_body",
    "not_found",
    "paginate",
    "parse_page",
]


def error_body(error: str, description: str, details: Mapping[str, Any] | None = None) -> Any:
    """Build the live API's error shape: ``{"error", "error_description"[, "details"]}``."""
    body: dict[str, Any] = {"error": error, "error_description": description}
    if details is not None:
        body["details"] = dict(details)
    return body


class ApiError(Exception):
    """An error answer: raised by handlers and by the dispatcher, rendered by one function."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.details = details
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> Any:
        """Return the JSON body of this error."""
        return error_body(self.error, self.description, self.details)


def not_found(what: str, ident: object) -> ApiError:
    """Return a 404 ``not_found`` naming the missing thing (``repr`` shows odd ids plainly)."""
    return ApiError(404, "not_found", f"{what} {str(ident)!r} not found")


def bad_request(description: str, details: Mapping[str, Any] | None = None) -> ApiError:
    """Return a 400 ``bad_request``; ``details`` maps each bad parameter to a message."""
    return ApiError(400, "bad_request", description, details=details or {})


def conflict(description: str) -> ApiError:
    """Return a 409 ``conflict``."""
    return ApiError(409, "conflict", description)


@dataclass(frozen=True)
class Listing:
    """The full, unpaginated result of a list endpoint; the dispatcher cuts the page."""

    items: Sequence[Any] = field(default_factory=list)
    #: Turns a stored record into what the API shows; applied to the page's items only, so a
    #: long list costs one page of copies per request, not the whole list.
    render: Callable[[Any], Any] | None = None


def envelope(payload: Any) -> Any:
    """Wrap a single object (or any non-list answer) as ``{"response": payload}``."""
    return {"response": payload}


def parse_page(raw: str | None) -> int:
    """Parse the 1-based ``page`` query parameter; absent means 1, anything else bad is 400."""
    if raw is None or raw == "":
        return 1
    try:
        page = int(raw.strip(), 10)
    except ValueError:
        raise bad_request(
            "page must be a positive integer", {"page": "is not an integer"}
        ) from None
    if page < 1:
        raise bad_request("page must be a positive integer", {"page": "must be at least 1"})
    return page


def paginate(
    items: Sequence[Any], page: int, per_page: int, render: Callable[[Any], Any] | None = None
) -> Any:
    """Cut one page out of ``items`` and wrap it in the list envelope with its pagination block.

    A page past the end is an empty list with ``next`` null; ``pages`` is at least 1.
    """
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    chunk = list(items[start : start + per_page])
    if render is not None:
        chunk = [render(item) for item in chunk]
    return {
        "response": chunk,
        "count": len(chunk),
        "pagination": {
            "previous": page - 1 if page > 1 else None,
            "next": page + 1 if page < pages else None,
            "current": page,
            "per_page": per_page,
            "count": total,
            "pages": pages,
        },
    }
