"""Client settings as small frozen values: timeouts, the retry policy, the rate limit, and the
token, base URL and limit store lookup and validation. Everything here is pure or reads local
configuration only; it imports nothing of the package but the exceptions."""

from __future__ import annotations

import ipaddress
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from ._exceptions import ConfigError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "RateLimit",
    "RetryPolicy",
    "StoreAddress",
    "Timeout",
    "check_base_url",
    "check_max_response_bytes",
    "check_limit_store",
    "check_header_value",
    "resolve_base_url",
    "resolve_limit_store",
    "resolve_token",
]

DEFAULT_BASE_URL: Final = "https://app.cloud66.com/api/3"

#: The largest answer body a client reads (after decompression): far above any real answer
#: (a page of 30 servers is 26 kB), low enough that a broken or hostile server cannot make a
#: client hold hundreds of megabytes.
DEFAULT_MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
#: The longest token accepted: Cloud 66 tokens are 64 characters; this leaves room for other
#: formats while refusing a pasted file before it becomes an 8 KiB header a server rejects.
MAX_TOKEN: Final = 4096


def _is_number(value: object) -> bool:
    # bool is an int to Python, never a number of seconds or a count to a user.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive(_inst: object, attr: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not (_is_number(value) and value > 0):
        raise ConfigError(f"{attr.name} must be a positive number of seconds, got {value!r}")


def _timeout(_inst: object, attr: attrs.Attribute[Any], value: float | None) -> None:
    # inf is refused: None already means "no limit", and aiohttp cannot convert inf.
    if value is not None and not (_is_number(value) and 0 < value < float("inf")):
        raise ConfigError(
            f"{attr.name} must be a positive, finite number of seconds or None, got {value!r}"
        )


def _non_negative(_inst: object, attr: attrs.Attribute[Any], value: float) -> None:
    if not (_is_number(value) and value >= 0):
        raise ConfigError(f"{attr.name} must be a number >= 0, got {value!r}")


def _positive_finite(_inst: object, attr: attrs.Attribute[Any], value: float) -> None:
    if not (_is_number(value) and 0 < value < float("inf")):
        raise ConfigError(f"{attr.name} must be a positive number of seconds, got {value!r}")


def _non_negative_or_none(_inst: object, attr: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None:
        _non_negative(_inst, attr, value)


def _count(low: int) -> Any:
    """A validator for an integer count of at least ``low``."""

    def check(_inst: object, attr: attrs.Attribute[Any], value: int) -> None:
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
            raise ConfigError(f"{attr.name} must be an integer >= {low}, got {value!r}")

    return check


@attrs.frozen
class Timeout:
    """How long one HTTP attempt may take, in seconds (``None`` means no limit for that part).

    ``total`` bounds the whole attempt: connecting, sending, reading the answer and decoding
    it (a body still arriving, or still being decoded, when it runs out ends in
    :class:`~cloud66_async.RequestTimeoutError`). ``connect`` bounds the wait for a connection
    (pool included), ``read`` the silence allowed between two chunks of the answer.
    """

    total: float | None = attrs.field(default=60.0, validator=_timeout)
    connect: float | None = attrs.field(default=10.0, validator=_timeout)
    read: float | None = attrs.field(default=None, validator=_timeout)


@attrs.frozen
class RetryPolicy:
    """What the SDK retries, and how patiently.

    - ``retries``: extra attempts after a connection error or a 5xx answer, for GET only (a POST,
      PUT or DELETE is never sent twice, except after ``503 throttled`` -- the server said it did
      not process it -- or when the connection was refused before anything was sent).
    - ``backoff`` / ``backoff_max``: the first retry delay and its cap; each retry doubles it,
      with jitter.
    - ``throttle_max_wait``: the total time one request may spend waiting for the rate budget
      (the client-side :class:`RateLimit`, the throttle gate, and ``503 throttled`` answers)
      before :class:`ThrottledError` is raised. Every throttled answer is charged the delay it
      imposes, whether or not the request ends up waiting all of it.
    - ``throttle_backoff``: the first delay after a ``503 throttled`` without a usable
      ``Retry-After``; it doubles with each throttled answer in a row.
    - ``throttle_min_delay``: the shortest time the client holds back after a ``503 throttled``,
      whatever ``Retry-After`` says (``0`` or ``0.001`` would otherwise make a storm of
      requests). Must be positive.
    """

    retries: int = attrs.field(default=2, validator=_count(0))
    backoff: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_max: float = attrs.field(default=8.0, validator=_non_negative)
    throttle_max_wait: float = attrs.field(default=300.0, validator=_non_negative)
    throttle_backoff: float = attrs.field(default=1.0, validator=_non_negative)
    throttle_min_delay: float = attrs.field(default=0.5, validator=_positive_finite)

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries and never waits out throttling."""
        return cls(retries=0, throttle_max_wait=0.0)


@attrs.frozen
class RateLimit:
    """A client-side limit: at most ``requests`` in any ``per``-second window (sliding).

    The default matches the API's documented 3,000 requests an hour. Pass ``rate_limit=None`` to
    :class:`Client` to turn it off (the throttle gate still protects you).

    A request that finds the window full waits until it has room: bulk work past the budget is
    paced, not failed. ``max_wait`` bounds that wait (seconds); a request that would wait longer
    raises :class:`ThrottledError` at once, before anything is sent. ``None`` (the default)
    waits as long as the window needs, which is never more than ``per`` seconds.
    """

    requests: int = attrs.field(default=3000, validator=_count(1))
    per: float = attrs.field(default=3600.0, validator=_positive)
    max_wait: float | None = attrs.field(default=None, validator=_non_negative_or_none)


# The scopes follow the endpoint table (resources/_endpoints.py); a test checks them against it.
_NO_TOKEN = (
    "no Cloud 66 token: pass token=..., set CLOUD66_ACCESS_TOKEN, or log in with cx so that "
    "~/.cloud66/cx.json holds an AccessToken. Create a personal access token in Cloud 66 under "
    "Account -> Apps, with the scopes your calls need: public to read; redeploy to deploy, run "
    "stack actions, create stacks and list clouds; admin for environment variables, services, "
    "containers, firewall rules, settings and backups; users for accounts and users"
)


def resolve_token(token: str | None, env: Mapping[str, str], home: Path | None) -> str:
    """Find the bearer token: the argument, ``CLOUD66_ACCESS_TOKEN``, then cx's token file.

    The token file is ``~/.cloud66/cx.json`` (the official toolbelt's), field ``AccessToken``.
    """
    found = _find_token(token, env, home)
    # The messages never repeat the token.
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in found):
        raise ConfigError("the token contains control characters (a pasting accident?)")
    if len(found) > MAX_TOKEN:
        raise ConfigError(f"the token is longer than {MAX_TOKEN} characters (a pasting accident?)")
    return found


def _find_token(token: str | None, env: Mapping[str, str], home: Path | None) -> str:
    if token is not None:
        if not isinstance(token, str) or not token.strip():
            raise ConfigError("token must be a non-empty string")
        return token.strip()
    from_env = env.get("CLOUD66_ACCESS_TOKEN", "").strip()
    if from_env:
        return from_env
    if home is not None:
        path = home / ".cloud66" / "cx.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the token file {path}: {exc}") from None
        else:
            found = data.get("AccessToken") if isinstance(data, dict) else None
            if isinstance(found, str) and found.strip():
                return found.strip()
    raise ConfigError(_NO_TOKEN)


def check_base_url(base_url: str) -> str:
    """Validate ``base_url`` and return it without a trailing slash.

    Only ``https://`` is accepted, except plain ``http://`` to a loopback host (FakeCloud66, a
    local proxy): a bearer token must never cross a network in clear text.
    """
    if not isinstance(base_url, str):
        raise ConfigError(f"base_url must be a string, got {type(base_url).__name__}")
    try:
        parts = urlsplit(base_url)
        hostname = parts.hostname
    except ValueError as exc:
        raise ConfigError(f"base_url {base_url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise ConfigError(f"base_url {base_url!r} must be an absolute http(s) URL")
    if parts.query or parts.fragment:
        raise ConfigError(f"base_url {base_url!r} must not have a query or fragment")
    if parts.scheme == "http" and not _is_loopback(hostname):
        raise ConfigError(
            f"base_url {base_url!r} uses plain http:// to a non-loopback host; "
            "use https:// so the token is never sent in clear text"
        )
    return base_url.rstrip("/")


def check_max_response_bytes(value: object) -> int:
    """Validate ``max_response_bytes``: a whole number of bytes, at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"max_response_bytes must be an integer >= 1 (bytes), got {value!r}")
    return value


def _is_loopback(host: str) -> bool:
    # An address, not a name that merely starts with "127." (127.evil.example is not loopback).
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: The longest header value the client sends of its own settings (User-Agent, X-Account); far
#: past any real one, far below the 8 KiB line limit of common servers and proxies.
MAX_HEADER_VALUE = 1024


def check_header_value(name: str, value: object) -> str:
    """Validate a setting sent as a header value: a string without control characters.

    CR, LF or NUL would let a value add headers of its own (aiohttp refuses them later, with a
    ``ValueError``, at the first request); a lone surrogate cannot be encoded at all.
    """
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ConfigError(f"{name} must not be empty or blank")
    if len(value) > MAX_HEADER_VALUE:
        raise ConfigError(f"{name} must be at most {MAX_HEADER_VALUE} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ConfigError(f"{name} must not contain control characters (CR, LF, NUL, ...)")
    return value


def resolve_base_url(base_url: str | None, env: Mapping[str, str]) -> str:
    """The base URL: the argument, ``CLOUD66_URL``, then the public API's."""
    chosen = base_url or env.get("CLOUD66_URL", "").strip() or DEFAULT_BASE_URL
    return check_base_url(chosen)


# ------------------------------------------------------------------------------ limit store

STORE_SCHEMES: Final = ("redis", "rediss", "unix")
#: Seconds allowed for connecting to the limit store, and for each of its answers, unless the
#: URL says otherwise (``?socket_connect_timeout=``, ``?socket_timeout=``); one exchange is
#: bounded by their sum (:attr:`StoreAddress.bound`).
STORE_CONNECT_TIMEOUT: Final = 1.0
STORE_COMMAND_TIMEOUT: Final = 1.0
_STORE_OPTIONS: Final = (
    "db",
    "socket_timeout",
    "socket_connect_timeout",
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_check_hostname",
)
_CERT_REQS: Final = ("none", "optional", "required")
_TRUE: Final = ("1", "true", "yes", "on")
# StoreAddress's fields, in order; the credentials are left out of its repr.
_STORE_FIELDS: Final = (
    "scheme",
    "shown",
    "host",
    "port",
    "path",
    "db",
    "username",
    "password",
    "connect_timeout",
    "command_timeout",
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_check_hostname",
)
_SECRET: Final = frozenset({"username", "password"})
_FALSE: Final = ("0", "false", "no", "off")


class StoreAddress:
    """A limit store URL, checked and taken apart (see :func:`check_limit_store`).

    ``shown`` is the URL with its password replaced by ``***``: the form every message uses.
    """

    # A frozen value as an attrs class would be (equality, hash, a repr without the credentials,
    # FrozenInstanceError on assignment), written out: as an attrs class it cost ~1 ms of every
    # ``import cloud66_async``, for a value only a client with a limit store makes.
    __slots__ = _STORE_FIELDS

    def __init__(
        self,
        scheme: str,
        shown: str,
        host: str | None = None,
        port: int = 6379,
        path: str | None = None,  # the socket of a unix:// URL
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        connect_timeout: float = STORE_CONNECT_TIMEOUT,
        command_timeout: float = STORE_COMMAND_TIMEOUT,
        ssl_cert_reqs: str | None = None,
        ssl_ca_certs: str | None = None,
        ssl_check_hostname: bool | None = None,
    ) -> None:
        # Final: type checkers refuse an assignment, as they do to an attrs frozen field.
        self.scheme: Final = scheme
        self.shown: Final = shown
        self.host: Final = host
        self.port: Final = port
        self.path: Final = path
        self.db: Final = db
        self.username: Final = username
        self.password: Final = password
        self.connect_timeout: Final = connect_timeout
        self.command_timeout: Final = command_timeout
        self.ssl_cert_reqs: Final = ssl_cert_reqs
        self.ssl_ca_certs: Final = ssl_ca_certs
        self.ssl_check_hostname: Final = ssl_check_hostname

    if not TYPE_CHECKING:  # hidden from type checkers: they would allow any attribute name

        def __setattr__(self, name: str, value: object) -> None:
            # Each field is set once, by __init__; after that (or for another name) it is frozen.
            if name not in _STORE_FIELDS or hasattr(self, name):
                raise attrs.exceptions.FrozenInstanceError
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _STORE_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, StoreAddress)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in _STORE_FIELDS if name not in _SECRET
        )
        return f"StoreAddress({shown})"

    @property
    def bound(self) -> float:
        """The longest one exchange with the store may take: a connection, then an answer."""
        return self.connect_timeout + self.command_timeout


def _bad_store(url: str, why: str) -> ConfigError:
    return ConfigError(f"limit_store {_hide_password(url)!r} {why}")


def _hide_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<not a URL>"
    if not password:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return parts._replace(netloc=f"{name}:***@{host}").geturl()


def check_limit_store(url: str) -> StoreAddress:
    """Validate a limit store URL and take it apart.

    Accepted: ``redis://[user:password@]host[:port][/db]``, ``rediss://...`` (TLS) and
    ``unix://[user:password@]/path/to/socket``, with the query options ``db``,
    ``socket_timeout`` and ``socket_connect_timeout`` (seconds), and for ``rediss://``
    ``ssl_cert_reqs`` (``none``, ``optional``, ``required``), ``ssl_ca_certs`` (a file) and
    ``ssl_check_hostname``. Anything else is a :class:`ConfigError`, raised before any I/O.
    """
    if not isinstance(url, str):
        raise ConfigError(f"limit_store must be a URL string, got {type(url).__name__}")
    if not url.strip() or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise _bad_store(url, "is empty or has whitespace or control characters")
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port
        username, password = parts.username, parts.password
    except ValueError as exc:
        raise _bad_store(url, f"is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in STORE_SCHEMES:
        raise _bad_store(
            url,
            "must start with redis://, rediss:// (TLS) or unix:// (a socket), "
            'e.g. "redis://localhost:6379/0"',
        )
    if parts.fragment:
        raise _bad_store(url, "must not have a fragment")
    options: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in _STORE_OPTIONS:
            raise _bad_store(
                url, f"has the unknown option {name!r} (known: {', '.join(_STORE_OPTIONS)})"
            )
        if name in options:
            raise _bad_store(url, f"gives the option {name!r} twice")
        options[name] = value
    shown = _hide_password(url)
    fields: dict[str, Any] = {
        "scheme": scheme,
        "shown": shown,
        "username": unquote(username) if username else None,
        "password": unquote(password) if password is not None else None,
    }
    if scheme == "unix":
        if hostname:
            raise _bad_store(url, "must name a socket path: unix:///path/to/redis.sock")
        if not parts.path or not parts.path.startswith("/") or parts.path == "/":
            raise _bad_store(url, "must name a socket path: unix:///path/to/redis.sock")
        fields["path"] = unquote(parts.path)
        db_text = options.get("db", "0")
    else:
        if not hostname:
            raise _bad_store(url, "has no host")
        if port == 0:
            raise _bad_store(url, "has port 0; give the port the store listens on")
        fields["host"] = hostname
        fields["port"] = 6379 if port is None else port
        path = parts.path.strip("/")
        if path and "db" in options:
            raise _bad_store(url, "gives the database twice (in the path and as ?db=)")
        db_text = options.get("db", path or "0")
    if not db_text.isdigit():
        raise _bad_store(url, f"names the database {db_text!r}; it must be a number >= 0")
    fields["db"] = int(db_text)
    for name, field in (
        ("socket_connect_timeout", "connect_timeout"),
        ("socket_timeout", "command_timeout"),
    ):
        if name in options:
            try:
                seconds = float(options[name])
            except ValueError:
                seconds = math.nan
            if not 0 < seconds < math.inf:
                raise _bad_store(url, f"has {name}={options[name]!r}: a positive number of seconds")
            fields[field] = seconds
    tls_options = [n for n in options if n.startswith("ssl_")]
    if tls_options and scheme != "rediss":
        raise _bad_store(url, f"has {tls_options[0]}, which only a rediss:// (TLS) URL takes")
    if "ssl_cert_reqs" in options:
        reqs = options["ssl_cert_reqs"].lower()
        if reqs not in _CERT_REQS:
            raise _bad_store(url, f"has ssl_cert_reqs={reqs!r}: one of {', '.join(_CERT_REQS)}")
        fields["ssl_cert_reqs"] = reqs
    if "ssl_ca_certs" in options:
        if not options["ssl_ca_certs"]:
            raise _bad_store(url, "has an empty ssl_ca_certs")
        fields["ssl_ca_certs"] = options["ssl_ca_certs"]
    if "ssl_check_hostname" in options:
        flag = options["ssl_check_hostname"].lower()
        if flag not in _TRUE + _FALSE:
            raise _bad_store(url, f"has ssl_check_hostname={flag!r}: true or false")
        fields["ssl_check_hostname"] = flag in _TRUE
    return StoreAddress(**fields)


def resolve_limit_store(limit_store: str | None, env: Mapping[str, str]) -> StoreAddress | None:
    """The limit store: the argument, ``CLOUD66_LIMIT_STORE``, else ``None`` (in this process)."""
    if limit_store is not None:
        return check_limit_store(limit_store)
    from_env = env.get("CLOUD66_LIMIT_STORE", "").strip()
    return check_limit_store(from_env) if from_env else None


def default_home() -> Path | None:
    """The user's home directory, or ``None`` when there is none (some containers)."""
    try:
        return Path.home()
    except (RuntimeError, KeyError):
        return None


def environ() -> Mapping[str, str]:
    """The process environment (a seam so tests can pass their own mapping)."""
    return os.environ
