"""Argument checks run before any request is sent; each failure is a ConfigError naming the
argument."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._exceptions import ConfigError

__all__ = [
    "BACKUP_DB_TYPES",
    "ConfigError",
    "NOTIFICATION_CHANNELS",
    "check_choice",
    "check_id",
    "check_mapping_of_ints",
    "check_int",
    "check_str",
    "check_str_list",
    "device_sub_type",
    "device_type",
    "firewall_protocol",
    "optional",
    "setting_id",
]

NOTIFICATION_CHANNELS = frozenset({"email", "ios", "hipchat", "webhook", "slack"})
BACKUP_DB_TYPES = frozenset({"mysql", "postgresql", "redis", "mongodb"})
_PROTOCOLS = {"tcp": 1, "udp": 2, "icmp": 3}
_DEVICE_TYPES = {"ios": 1, "android": 2}
_DEVICE_SUB_TYPES = {"iphone": 1, "ipad": 2, "ipod": 3}


def check_str(name: str, value: object, *, allow_empty: bool = False) -> str:
    """A required string argument."""
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise ConfigError(f"{name} must not be empty")
    return value


def check_str_list(name: str, value: object, *, max_items: int = 1000) -> list[str]:
    """A non-empty list (or tuple) of non-empty strings; a lone string is refused, since it
    would otherwise be read as its letters."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(f"{name} must be a non-empty list of strings, got {type(value).__name__}")
    if len(value) > max_items:
        raise ConfigError(f"{name} must have at most {max_items} items, got {len(value)}")
    return [check_str(f"{name} item", item) for item in value]


def check_int(name: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """A required integer argument, optionally within ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if low is not None and high is not None and not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    if low is not None and value < low:
        raise ConfigError(f"{name} must be at least {low}, got {value}")
    if high is not None and value > high:
        raise ConfigError(f"{name} must be at most {high}, got {value}")
    return value


def check_id(name: str, value: object) -> str | int:
    """A path identifier: a non-empty string or an integer."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(f"{name} must be a string or an integer, got {value!r}")
    if isinstance(value, str) and not value:
        raise ConfigError(f"{name} must not be empty")
    return value


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """A string among documented values."""
    allowed = sorted(choices)
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def firewall_protocol(value: object) -> int:
    """``tcp``/``udp``/``icmp`` or 1/2/3, as the API's integer code."""
    if isinstance(value, str) and value.lower() in _PROTOCOLS:
        return _PROTOCOLS[value.lower()]
    if not isinstance(value, bool) and isinstance(value, int) and value in (1, 2, 3):
        return value
    raise ConfigError(f"protocol must be 'tcp', 'udp', 'icmp' or 1, 2, 3; got {value!r}")


def device_type(value: object) -> int:
    """``ios``/``android`` or 1/2."""
    return _coded("device_type", value, _DEVICE_TYPES)


def device_sub_type(value: object) -> int:
    """``iphone``/``ipad``/``ipod`` or 1/2/3."""
    return _coded("sub_type", value, _DEVICE_SUB_TYPES)


def _coded(name: str, value: object, codes: Mapping[str, int]) -> int:
    if isinstance(value, str) and value.lower() in codes:
        return codes[value.lower()]
    if not isinstance(value, bool) and isinstance(value, int) and value in codes.values():
        return value
    text = ", ".join(f"{k!r} ({v})" for k, v in codes.items())
    raise ConfigError(f"{name} must be one of {text}; got {value!r}")


def setting_id(value: object) -> str:
    """A setting id as the API's path wants it: ``git.branch`` and ``git-branch`` both work."""
    text = check_str("setting_id", value)
    return text.replace(".", "-")


def check_mapping_of_ints(name: str, value: object) -> dict[str, int]:
    """A ``{name: count}`` mapping with non-negative integer counts."""
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(f"{name} must be a non-empty mapping of name to count")
    out: dict[str, int] = {}
    for key, count in value.items():
        check_str(f"{name} key", key)
        out[key] = check_int(f"{name}[{key!r}]", count, low=0)
    return out


def optional(check: Any, name: str, value: object, *args: Any, **kwargs: Any) -> Any:
    """Run ``check`` unless ``value`` is ``None``."""
    return None if value is None else check(name, value, *args, **kwargs)
