"""Pure functions at the heart of the SDK: no event loop, no sockets, no awaits.

URL building and quoting, the query string, request headers, status -> exception mapping,
envelope and pagination parsing, ``Retry-After`` and backoff arithmetic, rate-limit header
parsing, and :func:`decide`: what one attempt's answer (or failure) means for the request --
``Done``, ``Retry(delay)``, ``Throttled(retry_after)`` or ``Fail(error)``. Everything here is
tested without a network.
"""

from __future__ import annotations

import email.utils
import functools
import json
import math
import os
import platform
import random
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, Generic, NamedTuple, TypeAlias, TypeVar
from urllib.parse import quote, urlencode

import attrs

from ._exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ConflictError,
    DecodeError,
    NotFoundError,
    NotImplementedByAPIError,
    PermissionDeniedError,
    ResponseTooLargeError,
    ServerError,
    ServerTimeoutError,
    ThrottledError,
    TransportError,
    TrialExpiredError,
)
from ._options import DEFAULT_BASE_URL, RetryPolicy, check_base_url

__all__ = [
    "DEFAULT_BASE_URL",
    "DONE",
    "ERROR_PARSE_MAX",
    "Decision",
    "Done",
    "Fail",
    "HTTPResponse",
    "PageInfo",
    "RateLimitHeaders",
    "Redactor",
    "Reply",
    "Response",
    "Retry",
    "Throttled",
    "backoff_delay",
    "build_headers",
    "build_url",
    "check_base_url",
    "decide",
    "encode_query",
    "error_for",
    "is_throttled",
    "new_request_id",
    "page_info",
    "parse_body",
    "parse_page",
    "parse_rate_limit_headers",
    "rate_limit_figures",
    "parse_retry_after",
    "quote_segment",
    "redact_url",
    "short_repr",
    "throttle_delay",
    "unwrap",
    "user_agent",
]

T = TypeVar("T")

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

_STATUS_ERRORS: Final[Mapping[int, type[APIError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: TrialExpiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: ServerTimeoutError,
    409: ConflictError,
}


# --------------------------------------------------------------------------------------- URLs


def quote_segment(value: object) -> str:
    """Quote one path argument so that it stays exactly one path segment.

    ``/``, ``?``, ``#`` and ``%`` are percent-encoded, and a segment made only of dots gets its
    dots encoded too, so ``".."`` can never be normalised into a parent directory.
    """
    if type(value) is str and value.isascii() and value.isalnum():
        return value  # the common case (a uid, a name): nothing to quote, and not only dots
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(f"path argument {value!r} must be a string or an integer")
    text = str(value)
    if not text.strip():
        raise ConfigError("path argument must not be empty or blank")
    quoted = quote(_utf8("path argument", text), safe="")
    if set(text) == {"."}:
        quoted = "%2E" * len(text)
    return quoted


def build_url(base_url: str, template: str, path_params: Mapping[str, object]) -> str:
    """Fill a path template such as ``/stacks/{stack_uid}/servers`` and join it to ``base_url``.

    Every argument is quoted with :func:`quote_segment`; a missing one is a :class:`ConfigError`.
    """
    literals, names = _split_template(template)
    if len(names) == 1 and names[0] in path_params:
        # The commonest shape (``/stacks/{stack_uid}``), in one f-string.
        value = path_params[names[0]]
        if not (type(value) is str and value.isascii() and value.isalnum()):
            value = quote_segment(value)  # quote_segment's own fast case, tested first here
        return f"{base_url}{literals[0]}{value}{literals[1]}"
    parts = [base_url, literals[0]]
    for name, literal in zip(names, literals[1:], strict=True):
        if name not in path_params:
            raise ConfigError(f"missing path argument {name!r} for {template}")
        parts.append(quote_segment(path_params[name]))
        parts.append(literal)
    return "".join(parts)


@functools.lru_cache(maxsize=512)
def _split_template(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A path template's literal pieces and, between them, its placeholders' names (parsed once
    per template: the SDK's templates are a fixed set)."""
    pieces = _PLACEHOLDER.split(template)
    return tuple(pieces[0::2]), tuple(pieces[1::2])


def redact_url(url: str) -> str:
    """Return ``url`` without its query string, for logs, errors and hook events."""
    return url.split("?", 1)[0]


# ----------------------------------------------------------------------------------- secrets

# A credential after "Bearer" (RFC 6750's b64token), unless it is an auth-param of a
# WWW-Authenticate challenge (Bearer realm="...", error="...").
_BEARER = (
    r"(?P<bearer>(?i:\bbearer)\s+)"
    r"(?!(?i:realm|error|error_description|error_uri|scope)=)[\w.~+/-]+=*"
)
# What may follow the token's first characters when a value was cut short (short_repr's 60).
_TOKEN_TAIL = r"[^\s\"'<>,;]*"
_MIN_SECRET = 6  # shorter "tokens" would match ordinary words (the CLI's rule too)
_PREFIX = 8  # a value cut short keeps no more than this much of the token
_MAX_DEPTH = 100


class Redactor:
    """Removes the bearer token from text and data an answer brought.

    A server that echoes the request (a debugging proxy, a buggy API release, an attacker) can
    put the token in an error's description, details, headers or HTML page. Whatever the SDK
    keeps from an answer that is not the answer's data (errors, log lines, warnings, hook
    events) goes through :meth:`text` or :meth:`value` first. Replaced with a marker:

    - the token, and the forms it takes inside other text: percent-encoded (either case of
      hex digits), JSON-escaped (``\\/``, ``\\uXXXX``) and HTML-escaped;
    - the token's first 8 characters and whatever follows them up to a delimiter, so a value
      cut short for a message keeps no usable part of it;
    - any ``Bearer <credential>``, whoever's it is.

    The marker starts and ends with characters that are not in the token, so no replacement
    can form a new occurrence: the token is nowhere in what comes out (a property test checks
    it). Tokens shorter than 6 characters are not looked for (they would match ordinary words);
    a real Cloud 66 token has 64.
    """

    __slots__ = ("_pattern", "marker")

    def __init__(self, secret: str | None) -> None:
        pieces: list[str] = []
        self.marker = "<redacted>"
        if secret is not None and len(secret) >= _MIN_SECRET:
            if "<" in secret or ">" in secret or secret in self.marker:
                spare = next(chr(c) for c in range(0x21, 0x110000) if chr(c) not in secret)
                self.marker = spare * 3
            forms = sorted(_forms(secret), key=len, reverse=True)
            pieces += [_escape_form(form) for form in forms]
            pieces.append(re.escape(secret[:_PREFIX]) + _TOKEN_TAIL)
        self._pattern = re.compile("|".join([*pieces, _BEARER]))

    def _sub(self, match: re.Match[str]) -> str:
        # Only the credential goes: "Bearer " stays as the server wrote it.
        bearer = match.group("bearer")
        return self.marker if bearer is None else bearer + self.marker

    def text(self, text: str) -> str:
        """Return ``text`` with every form of the token (and any bearer credential) replaced."""
        return self._pattern.sub(self._sub, text)

    def value(self, value: Any, _depth: int = 0) -> Any:
        """Return parsed JSON with the token removed from every string in it, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (dict, list, tuple)) and _depth > _MAX_DEPTH:
            return self.marker  # deeper than any real error's details
        if isinstance(value, dict):
            return {self.value(k, _depth + 1): self.value(v, _depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(v, _depth + 1) for v in value)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Return header names and values with the token removed."""
        return {self.text(k): self.text(v) for k, v in headers.items()}

    def __repr__(self) -> str:
        return "<Redactor>"


def _forms(secret: str) -> set[str]:
    """The token as it may appear inside other text."""
    # Imported here, once per client: html loads its table of entities (~2 ms), which a
    # program that imports the SDK without making a client should not pay for.
    import html

    forms = {secret, html.escape(secret), html.escape(secret, quote=False)}
    for safe in ("", "/"):
        quoted = quote(secret, safe=safe)
        forms |= {quoted, quoted.replace("%20", "+")}
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        forms |= {escaped, escaped.replace("/", "\\/")}
    return forms


def _escape_form(form: str) -> str:
    """A regex for ``form`` in which percent-escapes and \\u escapes match either case."""
    out: list[str] = []
    for part in re.split(r"(%[0-9A-F]{2}|\\u[0-9a-f]{4})", form):
        if re.fullmatch(r"%[0-9A-F]{2}|\\u[0-9a-f]{4}", part):
            lead, digits = (part[:1], part[1:]) if part[0] == "%" else (part[:2], part[2:])
            out.append(re.escape(lead) + "".join(f"[{c.lower()}{c.upper()}]" for c in digits))
        else:
            out.append(re.escape(part))
    return "".join(out)


def encode_query(params: Mapping[str, Any]) -> str:
    """Encode query parameters: ``None`` is left out, booleans are ``true``/``false``, lists and
    tuples are joined with commas."""
    flat: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            flat.append((key, "true" if value else "false"))
        elif isinstance(value, (list, tuple)):
            flat.append((key, ",".join(str(v) for v in value)))
        else:
            flat.append((key, str(value)))
    return urlencode([(_utf8("query parameter", k), _utf8(k, v)) for k, v in flat])


def _utf8(name: str, text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (which no URL can carry) is a ConfigError."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"{name} is not valid Unicode text (a lone surrogate?)") from None


# ----------------------------------------------------------------------------------- headers


def user_agent(sdk_version: str, aiohttp_version: str) -> str:
    """The default ``User-Agent``: the SDK, Python and aiohttp versions."""
    return (
        f"cloud66_async/{sdk_version} Python/{platform.python_version()} aiohttp/{aiohttp_version}"
    )


# Request ids only need to be unique, not secret: 128 bits from a generator of its own (seeded
# from os.urandom, and again in a forked child so that parent and child never share ids), at a
# fraction of the cost of a system call for os.urandom on every request.
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)
_id_bits = _ids.getrandbits


def new_request_id() -> str:
    """A fresh ``Request-Id`` for one request (kept on errors, sent to the server)."""
    return _id_bits(128).to_bytes(16, "big").hex()  # 32 hex digits, as f"{n:032x}" gives


def fixed_headers(*, token: str, user_agent: str) -> dict[str, str]:
    """The headers every request of a client starts with (built once per client)."""
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "User-Agent": user_agent,
    }


def add_headers(
    fixed: Mapping[str, str], *, request_id: str, account_id: str | None, has_body: bool
) -> dict[str, str]:
    """A fresh dict of one request's headers: ``fixed`` (:func:`fixed_headers`), then its own."""
    headers = {**fixed, "Request-Id": request_id}
    if account_id is not None:
        headers["X-Account"] = account_id
    if has_body:
        headers["Content-Type"] = "application/json"
    return headers


def build_headers(
    *, token: str, user_agent: str, request_id: str, account_id: str | None, has_body: bool
) -> dict[str, str]:
    """Headers for one request."""
    return add_headers(
        fixed_headers(token=token, user_agent=user_agent),
        request_id=request_id,
        account_id=account_id,
        has_body=has_body,
    )


# ---------------------------------------------------------------------------------- responses


class _NotLoaded(Exception):
    """Stands for msgspec's ``DecodeError`` until msgspec is loaded (never raised)."""


#: Parses plain UTF-8 JSON into Python values 3-4x faster than ``json.loads``, giving the same
#: values; what it refuses, ``json.loads`` decides (see :func:`parse_body`). Made by the first
#: parse (:func:`_load_json`): msgspec costs ~7 ms of every program's start-up otherwise.
_any_json: Callable[[bytes], Any] | None = None
#: msgspec's ``DecodeError`` once :func:`_load_json` has run.
_json_error: type[Exception] = _NotLoaded


def _load_json() -> Callable[[bytes], Any]:
    """Load msgspec, make the decoder :func:`parse_body` uses and keep it; return its
    ``decode``."""
    global _any_json, _json_error
    import msgspec  # deferred: see _any_json

    _json_error = msgspec.DecodeError
    _any_json = msgspec.json.Decoder().decode
    return _any_json


def parse_body(body: bytes) -> Any:
    """Parse a JSON body; raise ``ValueError`` when it is not JSON (or absurdly deep).

    What ``json.loads`` gives, faster: msgspec parses first, and whatever it refuses (``NaN``,
    ``1e400``, a lone surrogate, UTF-16 or a byte-order mark, deep nesting, and text that is
    not JSON at all) is parsed by ``json.loads``, whose answer or error stands.
    """
    decode = _any_json or _load_json()
    try:
        return decode(body)
    except (_json_error, RecursionError):
        pass
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def is_throttled(status: int, payload: Any) -> bool:
    """Whether a response is the API's ``503 throttled`` (as opposed to ``not_implemented``)."""
    return status == 503 and isinstance(payload, dict) and payload.get("error") == "throttled"


#: Error answers larger than this are not parsed as JSON (none is, but a hostile one could be
#: 32 MiB of nesting that takes seconds to parse): the first line of text describes them.
ERROR_PARSE_MAX = 1024 * 1024


def error_for(
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    method: str,
    url: str,
    request_id: str | None,
    retry_after: float | None = None,
    redactor: Redactor | None = None,
) -> APIError:
    """Build the typed error for a non-2xx answer.

    Reads ``error``, ``error_description`` and ``details`` from a JSON body; a body that is not
    JSON (an HTML page from a proxy) keeps its first line as the description. With a
    ``redactor``, the token is removed from every field before the error holds it (the
    description, the details at any depth, the headers).
    """
    payload: Any
    try:
        payload = parse_body(body) if body and len(body) <= ERROR_PARSE_MAX else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    error: str | None = None
    description: str | None = None
    details: Any = None
    if isinstance(payload, dict):
        raw_error = payload.get("error")
        error = raw_error if isinstance(raw_error, str) else None
        raw_desc = payload.get("error_description", payload.get("message"))
        description = raw_desc if isinstance(raw_desc, str) else None
        details = payload.get("details")
    elif body:
        description = _first_text_line(body, redactor)
    if redactor is not None:
        error = None if error is None else redactor.text(error)
        description = None if description is None else redactor.text(description)
        details = redactor.value(details)
        headers = redactor.headers(headers)
    kwargs: dict[str, Any] = {
        "status": status,
        "error": error,
        "description": description,
        "details": details,
        "request_id": request_id,
        "method": method,
        "url": redact_url(url),
        "headers": headers,
    }
    if status == 503 and error == "throttled":
        return ThrottledError(retry_after=retry_after, **kwargs)
    if status == 503 and error == "not_implemented":
        return NotImplementedByAPIError(**kwargs)
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIError
    return cls(**kwargs)


def _first_text_line(body: bytes, redactor: Redactor | None = None) -> str:
    text = body[:2048].decode("utf-8", "replace")
    text = re.sub(r"<[^>]*>", " ", text)
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            # On the line as shown (its marker is not a tag to strip), before the cut.
            return (line if redactor is None else redactor.text(line))[:200]
    return ""


def unwrap(payload: Any, *, url: str) -> Any:
    """Return the ``response`` member of the API's envelope."""
    if not isinstance(payload, dict) or "response" not in payload:
        raise DecodeError(
            f"expected an object with a 'response' member from {redact_url(url)}, "
            f"got {_describe(payload)}",
            path="response",
        )
    return payload["response"]


class PageInfo(NamedTuple, Generic[T]):
    """What a list answer says about its page: the items and the ``pagination`` object.

    A named tuple, not an attrs class: it is on the import path, where attrs would compile its
    methods at every start-up.
    """

    items: list[T]
    current: int
    next: int | None
    pages: int | None
    total: int | None
    per_page: int | None


def parse_page(payload: Any, *, requested: int, url: str) -> PageInfo[Any]:
    """Parse a list answer's envelope.

    ``pagination.next`` decides whether another page follows; ``count`` is only reported (the
    blueprint's own examples give inconsistent counts).
    """
    items = unwrap(payload, url=url)
    if not isinstance(items, list):
        raise DecodeError(
            f"expected a list in 'response' from {redact_url(url)}, got {_describe(items)}",
            path="response",
        )
    pagination = payload.get("pagination")
    if pagination is None:
        return page_info(items, requested=requested)
    if not isinstance(pagination, dict):
        raise DecodeError(
            f"expected an object in 'pagination', got {_describe(pagination)}", path="pagination"
        )
    return page_info(
        items,
        requested=requested,
        current=_opt_int(pagination, "current"),
        next=_opt_int(pagination, "next"),
        pages=_opt_int(pagination, "pages"),
        total=_opt_int(pagination, "count"),
        per_page=_opt_int(pagination, "per_page"),
        has_pagination=True,
    )


def page_info(
    items: list[T],
    *,
    requested: int,
    current: int | None = None,
    next: int | None = None,
    pages: int | None = None,
    total: int | None = None,
    per_page: int | None = None,
    has_pagination: bool = False,
) -> PageInfo[T]:
    """Check a page's pagination figures and bundle them with its items.

    Both decode paths call this, so they apply the same checks. An answer without pagination is
    one complete page. The answer must be the page asked for (``current``, when given, equals
    ``requested``) and its ``next`` must be ``requested + 1`` or ``null``: a ``next`` that
    does not move forward would loop, one that jumps ahead would skip items silently. The
    figures are never negative. Each failure is a :class:`DecodeError` naming the page.
    The checks that need more than one page (runaway lists) are the paginator's.
    """
    if not has_pagination:
        return PageInfo(items, requested, None, 1, len(items), None)
    if current is not None and current != requested:
        raise DecodeError(
            f"page {requested} was asked for, but the answer says it is page {current}",
            path="pagination.current",
        )
    if next is not None and next != requested + 1:
        what = "does not advance" if next <= requested else "skips pages"
        raise DecodeError(
            f"page {requested} announces page {next} as the next one ({what}; "
            f"expected {requested + 1} or null)",
            path="pagination.next",
        )
    for key, value in (("pages", pages), ("count", total), ("per_page", per_page)):
        if value is not None and value < 0:
            raise DecodeError(
                f"page {requested} announces a negative pagination.{key} ({value})",
                path=f"pagination.{key}",
            )
    return PageInfo(items, requested, next, pages, total, per_page)


def _opt_int(obj: Mapping[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        raise DecodeError(
            f"expected an integer in pagination.{key}, got {_describe(value)}",
            path=f"pagination.{key}",
        )
    return value


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {short_repr(value, 63)}"


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (a cut ends in ``...``).

    Only as much of a string or container is rendered as the cut shows: a hostile answer's
    30 MB list costs microseconds to describe in an error, not seconds and megabytes.
    """
    text = _bounded_repr(value, limit + 1, 0)
    if len(text) > limit:
        text = text[: max(0, limit - 3)] + "..."
    return text


def _bounded_repr(value: object, budget: int, depth: int) -> str:
    if isinstance(value, (str, bytes, bytearray)):
        return repr(value[:budget])
    if isinstance(value, (list, tuple, dict)):
        if depth > 8:
            return "..."
        if isinstance(value, dict):
            opening, closing = "{", "}"
            items: Any = value.items()
        else:
            opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
            items = value
        out = [opening]
        size = 1
        for index, item in enumerate(items):
            if size > budget:
                break
            if index:
                out.append(", ")
                size += 2
            if isinstance(value, dict):
                key, val = item
                part = f"{_bounded_repr(key, budget - size, depth + 1)}: "
                part += _bounded_repr(val, budget - size - len(part), depth + 1)
            else:
                part = _bounded_repr(item, budget - size, depth + 1)
            out.append(part)
            size += len(part)
        else:
            if isinstance(value, tuple) and len(value) == 1:
                out.append(",")
            out.append(closing)
        return "".join(out)
    return repr(value)


# ------------------------------------------------------------------------ retries and limits


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Returns ``None`` when the header is absent or unreadable; never a negative number.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if math.isnan(seconds) or math.isinf(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, float((when - current).total_seconds()))


def backoff_delay(
    attempt: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with "equal jitter" for the ``attempt``-th retry (1-based).

    The delay is uniform in ``[d/2, d]`` where ``d = min(cap, base * 2 ** (attempt - 1))``: half
    of it is kept so that a retry never fires at once (full jitter, uniform in ``[0, d]``, would
    sometimes retry immediately), the other half spreads clients apart. ``rand`` returns a
    number in ``[0, 1)``.
    """
    # The exponent is capped so that a long run of attempts cannot overflow a float.
    d = min(cap, base * 2.0 ** min(max(0, attempt - 1), 64))
    return d / 2 + rand() * d / 2


def throttle_delay(
    retry_after: float | None,
    *,
    episode: int,
    policy: RetryPolicy,
    rand: Callable[[], float] = random.random,
) -> float:
    """How long to hold every request back after the ``episode``-th throttled answer in a row.

    The server's ``Retry-After`` when it gave a positive one, else a backoff that doubles from
    ``policy.throttle_backoff``; never less than ``policy.throttle_min_delay``, so that
    ``Retry-After: 0`` (or ``0.001``) cannot turn into a storm of requests.
    """
    if retry_after is not None and retry_after > 0:
        delay = retry_after
    else:
        base = policy.throttle_backoff
        delay = backoff_delay(episode, base=base, cap=max(base, 60.0), rand=rand)
    return max(policy.throttle_min_delay, delay)


class RateLimitHeaders(NamedTuple):
    """The rate-limit headers of one answer.

    A named tuple, not an attrs class: it is on the import path, where attrs would compile its
    methods at every start-up.
    """

    limit: int | None
    remaining: int | None


def parse_rate_limit_headers(headers: Mapping[str, str]) -> RateLimitHeaders | None:
    """Read ``X-RateLimit-Limit`` / ``X-RateLimit-Remaining``; ``None`` when neither is there."""
    figures = rate_limit_figures(headers)
    return None if figures is None else RateLimitHeaders(*figures)


def rate_limit_figures(headers: Mapping[str, str]) -> tuple[int | None, int | None] | None:
    """:func:`parse_rate_limit_headers` as a plain ``(limit, remaining)`` pair (the pipeline
    reads it on every answer, and needs the object only for a client-side limiter)."""
    get = headers.get
    raw_limit, raw_remaining = get("X-RateLimit-Limit"), get("X-RateLimit-Remaining")
    if raw_limit is None and raw_remaining is None:
        return None
    # The usual "3000" / "2999" are read here; anything else as _header_int reads it.
    if raw_limit is not None and raw_limit.isdigit() and raw_limit.isascii():
        limit: int | None = int(raw_limit)
    else:
        limit = _header_int(raw_limit)
    if raw_remaining is not None and raw_remaining.isdigit() and raw_remaining.isascii():
        remaining: int | None = int(raw_remaining)
    else:
        remaining = _header_int(raw_remaining)
    if limit is None and remaining is None:
        return None
    return limit, remaining


# ------------------------------------------------------------------------------ decisions


@attrs.frozen
class HTTPResponse:
    """Status, headers and the whole body of one answer, as a transport returns it.

    ``headers`` should be case-insensitive (aiohttp's ``CIMultiDictProxy``); the pipeline makes
    a plain mapping so before reading it.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes


class Reply(NamedTuple):
    """An answer as the SDK's own transport hands it to the pipeline: the fields of an
    :class:`HTTPResponse`, without making one.

    One is made for every request, at a fraction of the cost of a frozen attrs instance (see
    ``AiohttpTransport.exchange``); everything that reads an answer reads these three fields.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes


#: What the pipeline reads an answer from.
Response: TypeAlias = HTTPResponse | Reply


class Done:
    """The answer is a success: decode it.

    This and the three decisions below are not attrs classes: they are on the import path,
    where attrs would compile their methods at every start-up. They compare, hash and print as
    the attrs classes did (the others are named tuples; this one, without fields, is written
    out, as an empty named tuple would be false).
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True if other.__class__ is self.__class__ else NotImplemented

    def __hash__(self) -> int:
        return hash((Done,))

    def __repr__(self) -> str:
        return "Done()"


class Retry(NamedTuple):
    """Send the request again after ``delay`` seconds: a GET after a 5xx or a connection
    error, or any request that certainly never reached the server."""

    delay: float
    reason: str
    status: int | None


class Throttled(NamedTuple):
    """The server answered ``503 throttled``, so it did not process the request: close the
    throttle gate and send again once it opens. ``retry_after`` is the server's word in
    seconds, when it gave one."""

    retry_after: float | None


class Fail(NamedTuple):
    """Give up and raise ``error``."""

    error: Exception


DONE: Final = Done()

Decision: TypeAlias = Done | Retry | Throttled | Fail


def decide(
    result: Response | TransportError,
    *,
    method: str,
    url: str,
    request_id: str,
    retries_used: int,
    policy: RetryPolicy,
    rand: Callable[[], float] = random.random,
    now: datetime | None = None,
    redactor: Redactor | None = None,
) -> Decision:
    """Decide what one attempt's ``result`` (an answer, or the transport's failure) means.

    ``retries_used`` counts the retries already spent on this request (throttled attempts are
    not retries). Nothing that may have changed state is sent twice: a POST, PUT or DELETE is
    retried only after ``503 throttled`` (the server did not process it) or a failure the
    transport reports as certainly unsent (``sent=False``: a refused connection, a kept-alive
    connection found closed at the request's first write). ``503 not_implemented`` and an
    answer over ``max_response_bytes`` are never retried.
    """
    if isinstance(result, TransportError):
        if (
            retries_used < policy.retries
            and (method == "GET" or not result.sent)
            # The same server would send the same oversized answer again.
            and not isinstance(result, ResponseTooLargeError)
        ):
            cause = result.__cause__
            reason = type(cause).__name__ if cause is not None else "connection failed"
            delay = _retry_delay(retries_used, policy, rand)
            return Retry(delay, f"connection error: {reason}", None)
        return Fail(result)
    status = result.status
    if 200 <= status < 300:
        return DONE
    if status == 503 and _throttled_body(result.body):
        return Throttled(parse_retry_after(result.headers.get("Retry-After"), now=now))
    error = error_for(
        status=status,
        headers=result.headers,
        body=result.body,
        method=method,
        url=url,
        request_id=request_id,
        redactor=redactor,
    )
    if (
        method == "GET"
        and status >= 500
        and retries_used < policy.retries
        and not isinstance(error, NotImplementedByAPIError)
    ):
        return Retry(_retry_delay(retries_used, policy, rand), f"status {status}", status)
    return Fail(error)


def _retry_delay(retries_used: int, policy: RetryPolicy, rand: Callable[[], float]) -> float:
    return backoff_delay(retries_used + 1, base=policy.backoff, cap=policy.backoff_max, rand=rand)


def _throttled_body(body: bytes) -> bool:
    if len(body) > ERROR_PARSE_MAX:
        return False
    try:
        payload = parse_body(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return is_throttled(503, payload)


def _header_int(value: str | None) -> int | None:
    if value is None:
        return None
    if value.isdigit() and value.isascii():
        return int(value)  # the usual "2999": no stripping, no exception to catch
    try:
        return int(value.strip())
    except ValueError:
        return None
