"""Injected faults: what can go wrong between a client and the API, on demand.

A fault matches requests by method and decoded path (the path without the API prefix and
``.json``) and applies to the next ``times`` of them, before authentication and rate limiting.
Two families:

* *replacing* faults answer instead of the API and change no state: ``status``, ``html``,
  ``throttled``, ``not_implemented``, ``invalid_json``, ``reset_before``;
* *delivery* faults let the request through (auth, rate limit, handler, state changes) and
  spoil how the answer travels: ``latency``, ``slow_body``, ``reset_during``, ``truncated_json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ._responses import error_body

__all__ = [
    "DELIVERY_FAULTS",
    "JSON_TYPE",
    "WARNING_HEADER",
    "Answer",
    "Fault",
    "FaultKind",
    "FaultRegistry",
    "ScheduledWarning",
    "WarningRegistry",
    "fault_answer",
    "json_answer",
]


class FaultKind(StrEnum):
    """The kinds of fault :meth:`FakeCloud66.inject_fault` accepts.

    * ``status``: answer ``status`` (default 500) with ``body`` (a dict or list is sent as JSON;
      default: an error body named after the status) and ``headers``.
    * ``latency``: sleep ``delay`` seconds, then answer normally.
    * ``slow_body``: send the status line and headers (with the right ``Content-Length``) at
      once, sleep ``delay``, then send the body.
    * ``reset_before``: reset the connection (TCP RST) without answering anything.
    * ``reset_during``: send the headers with the full ``Content-Length`` and half the body,
      then close the connection.
    * ``truncated_json``: the normal status and headers with the body cut in half (its
      ``Content-Length`` matches the cut body).
    * ``invalid_json``: a 200 ``application/json`` answer whose body is ``{"response": [}``.
    * ``html``: a proxy's ``502 Bad Gateway`` HTML page (``text/html``).
    * ``throttled``: 503 ``{"error": "throttled", ...}`` with ``Retry-After`` for
      ``retry_after`` seconds, in the fake's ``retry_after`` format.
    * ``not_implemented``: 503 ``{"error": "not_implemented", ...}`` (never worth retrying).
    """

    STATUS = "status"
    LATENCY = "latency"
    SLOW_BODY = "slow_body"
    RESET_BEFORE = "reset_before"
    RESET_DURING = "reset_during"
    TRUNCATED_JSON = "truncated_json"
    INVALID_JSON = "invalid_json"
    HTML = "html"
    THROTTLED = "throttled"
    NOT_IMPLEMENTED = "not_implemented"


DELIVERY_FAULTS = frozenset(
    {FaultKind.LATENCY, FaultKind.SLOW_BODY, FaultKind.RESET_DURING, FaultKind.TRUNCATED_JSON}
)

_DEFAULT_STATUS = {
    FaultKind.STATUS: 500,
    FaultKind.HTML: 502,
    FaultKind.THROTTLED: 503,
    FaultKind.NOT_IMPLEMENTED: 503,
    FaultKind.INVALID_JSON: 200,
}
_ERROR_NAMES = {
    400: "bad_request",
    401: "unauthenticated",
    402: "trial_expired",
    403: "forbidden",
    404: "not_found",
    408: "time_out",
    409: "conflict",
    429: "throttled",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer before delivery."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> Answer:
    """Render a JSON answer."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return Answer(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


@dataclass
class Fault:
    """One injected fault and how many more requests it applies to (None: all of them)."""

    method: str
    path: str | re.Pattern[str]
    kind: FaultKind
    remaining: int | None = 1
    status: int | None = None
    body: bytes | str | dict[str, Any] | list[Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    retry_after: float = 1.0

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this fault applies to a request."""
        if self.method != "*" and self.method != method.upper():
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return self.path == path


class FaultRegistry:
    """The injected faults, oldest first; the first that matches a request applies."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Register a fault."""
        if fault.remaining is None or fault.remaining > 0:
            self.faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """Return the fault for this request, counting it against the fault's ``times``."""
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Forget every fault."""
        self.faults.clear()


#: The header the live API warns in (the official client prints it).
WARNING_HEADER = "X-Cloud66-Warning"


@dataclass
class ScheduledWarning:
    """A warning the next ``remaining`` matching answers carry (None: all of them)."""

    text: str
    method: str = "*"
    path: str | re.Pattern[str] | None = None
    remaining: int | None = 1

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this warning goes on the answer to a request."""
        if self.method != "*" and self.method != method.upper():
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return self.path is None or self.path == path


class WarningRegistry:
    """The scheduled warnings, oldest first; the first that matches an answer is used."""

    def __init__(self) -> None:
        self.warnings: list[ScheduledWarning] = []

    def add(self, warning: ScheduledWarning) -> None:
        """Schedule a warning."""
        if warning.remaining is None or warning.remaining > 0:
            self.warnings.append(warning)

    def take(self, method: str, path: str) -> str | None:
        """Return the warning text for this answer, counting it against its ``times``."""
        for warning in self.warnings:
            if warning.matches(method, path):
                if warning.remaining is not None:
                    warning.remaining -= 1
                    if warning.remaining <= 0:
                        self.warnings.remove(warning)
                return warning.text
        return None


def _body_bytes(body: bytes | str | dict[str, Any] | list[Any]) -> tuple[bytes, str]:
    if isinstance(body, dict | list):
        return json.dumps(body).encode(), JSON_TYPE
    raw = body.encode() if isinstance(body, str) else body
    try:
        json.loads(raw)
    except (ValueError, RecursionError):
        return raw, "text/plain; charset=utf-8"
    return raw, JSON_TYPE


def _html_page(status: int) -> bytes:
    title = f"{status} {_REASONS.get(status, 'Bad Gateway')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


def fault_answer(fault: Fault, retry_after: str | None) -> Answer:
    """Build the answer of a replacing fault (``retry_after``: the formatted header, if any)."""
    kind = fault.kind
    status = fault.status if fault.status is not None else _DEFAULT_STATUS.get(kind, 500)
    headers: dict[str, str] = {}
    if kind is FaultKind.HTML:
        body, content_type = _html_page(status), "text/html"
        if fault.body is not None:
            body, _ = _body_bytes(fault.body)
    elif kind is FaultKind.INVALID_JSON:
        body, content_type = b'{"response": [}', JSON_TYPE
    elif fault.body is not None:
        body, content_type = _body_bytes(fault.body)
    elif kind is FaultKind.THROTTLED:
        payload = error_body("throttled", "Rate limit exceeded; retry later")
        body, content_type = json.dumps(payload).encode(), JSON_TYPE
    elif kind is FaultKind.NOT_IMPLEMENTED:
        payload = error_body(
            "not_implemented", "This resource is not implemented in this version of the API"
        )
        body, content_type = json.dumps(payload).encode(), JSON_TYPE
    else:
        name = _ERROR_NAMES.get(status, "error")
        payload = error_body(name, f"injected fault: HTTP {status}")
        body, content_type = json.dumps(payload).encode(), JSON_TYPE
    if kind is FaultKind.THROTTLED and retry_after is not None:
        headers["Retry-After"] = retry_after
    headers["Content-Type"] = content_type
    headers.update(fault.headers)
    return Answer(status, body, headers)
