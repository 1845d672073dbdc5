"""Request parameters: one merged view of query string and body, with typed accessors.

The live API takes parameters from the query string, from form bodies (its curl examples send
``-d key=value`` even with GET) and from JSON bodies (what SDKs send). Every accessor accepts
the shapes those carry (``"4"`` and ``4``, ``"true"`` and ``true``, a JSON object or a JSON
string holding one) and raises a 400 ``bad_request`` naming the parameter otherwise.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._responses import bad_request

__all__ = ["Params", "decode_form", "to_bool"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_FORM_KEY = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<sub>[^\[\]]*)\]$")


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decode form pairs Rails-style: ``a[]=x`` builds a list, ``a[k]=v`` a mapping."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        match = _FORM_KEY.match(key)
        if match is None:
            out[key] = value
            continue
        name, sub = match["name"], match["sub"]
        if sub == "":
            current = out.get(name)
            if isinstance(current, list):
                current.append(value)
            else:
                out[name] = [value]
        else:
            current = out.get(name)
            if isinstance(current, dict):
                current[sub] = value
            else:
                out[name] = {sub: value}
    return out


def _missing(name: str) -> Exception:
    return bad_request(f"{name} is required", {name: "is required"})


def _invalid(name: str, message: str) -> Exception:
    return bad_request(f"{name} {message}", {name: message})


class Params:
    """The request's parameters, query string and body merged (the body wins)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._values.get(name) is not None

    def raw(self, name: str) -> Any:
        """Return the parameter as received, or None."""
        return self._values.get(name)

    def as_dict(self) -> dict[str, Any]:
        """Return a copy of all parameters."""
        return dict(self._values)

    # -- strings ------------------------------------------------------------------------------

    def opt_str(self, name: str) -> str | None:
        """Return a string parameter; numbers and booleans are accepted in their text form."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise _invalid(name, "must be a string")

    def req_str(self, name: str, *, allow_empty: bool = False) -> str:
        """Return a required string parameter."""
        value = self.opt_str(name)
        if value is None or (not allow_empty and value.strip() == ""):
            raise _missing(name)
        return value

    # -- integers -----------------------------------------------------------------------------

    def opt_int(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """Return an integer parameter, optionally range-checked."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        number = _to_int(value)
        if number is None:
            raise _invalid(name, "must be an integer")
        if minimum is not None and number < minimum:
            raise _invalid(name, f"must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise _invalid(name, f"must be at most {maximum}")
        return number

    def req_int(self, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """Return a required integer parameter."""
        number = self.opt_int(name, minimum=minimum, maximum=maximum)
        if number is None:
            raise _missing(name)
        return number

    # -- booleans -----------------------------------------------------------------------------

    def opt_bool(self, name: str) -> bool | None:
        """Return a boolean parameter (``true``/``false``, ``1``/``0``, ``yes``/``no``)."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        result = to_bool(value)
        if result is None:
            raise _invalid(name, "must be a boolean")
        return result

    # -- structured ---------------------------------------------------------------------------

    def opt_mapping(self, name: str) -> dict[str, Any] | None:
        """Return an object parameter: a JSON object, or a string holding one."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, dict):
            return dict(value)
        if isinstance(value, str):
            parsed = _parse_literal(value)
            if isinstance(parsed, dict):
                return parsed
        raise _invalid(name, "must be an object")

    def opt_str_list(self, name: str) -> list[str] | None:
        """Return a list of strings: a JSON list, ``"[a,b]"``, ``'["a","b"]'`` or ``"a,b"``."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, list):
            if all(isinstance(item, str) for item in value):
                return list(value)
            raise _invalid(name, "must be a list of strings")
        if isinstance(value, str):
            text = value.strip()
            parsed = _parse_literal(text) if text.startswith("[") else None
            if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
                return parsed
            text = text.removeprefix("[").removesuffix("]")
            return [part.strip().strip("'\"") for part in text.split(",") if part.strip()]
        raise _invalid(name, "must be a list of strings")


def to_bool(value: Any) -> bool | None:
    """Interpret a JSON or text value as a boolean; None when it is not one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _parse_literal(text: str) -> Any:
    # JSON first; then Python-literal syntax, because the blueprint documents
    # ``{'hipchat_room' : 'test'}`` (single quotes) as a valid ``params`` value.
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
