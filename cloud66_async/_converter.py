"""The converter: every hook that turns JSON payloads into models and models back into JSON data.

Use :func:`make_converter` to build a :class:`ModelConverter` (build one per client; there is no
module-level converter), then decode with :func:`structure` / :func:`structure_list` (or the
methods of the same names) and encode with :meth:`ModelConverter.unstructure`::

    converter = make_converter()
    stack = structure(converter, payload["response"], Stack)
    stacks = structure_list(converter, payload["response"], Stack)
    data = converter.unstructure(stack)          # JSON-ready: str/int/float/bool/None/list/dict

Decoding is strict where it matters and tolerant where the API is known to drift:

- a field typed ``str`` only takes a string (no silent ``str(5)``); ``int`` takes an integer or an
  integral float (``5.0``), never a bool, a string or ``5.5``; ``bool`` only takes ``true`` and
  ``false``; ``float`` takes any number but a bool;
- timestamps are read by :func:`parse_timestamp` from every format the blueprints use;
- :class:`~cloud66_async.models.StackStatus` and :class:`~cloud66_async.models.StackHealth` take
  any integer, undocumented codes included;
- ``Action.resource_id`` is the one explicit exception to strictness: the API documents it as an
  int but sends a string, so both are accepted and it is always a ``str``;
- lists must be JSON arrays and objects JSON objects; unknown keys are ignored; a missing optional
  field is ``None``; a missing identifying field (``Stack.uid``, ...) is an error.

Every failure raises :class:`~cloud66_async.DecodeError` whose ``path`` names the field
(``status``, ``[3].status``, ``containers[0].ports[0].http``) and whose message names the model,
the field and what was wrong: ``Stack.status: expected int, got 'abc'``.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from ._exceptions import DecodeError
from ._sansio import short_repr
from ._timeparse import format_timestamp, parse_timestamp
from .models.actions import Action
from .models.stacks import _TolerantIntEnum

__all__ = [
    "ModelConverter",
    "OutOfTime",
    "checking",
    "format_timestamp",
    "make_converter",
    "parse_timestamp",
    "structure",
    "structure_list",
]

T = TypeVar("T")

Hook = Callable[[Any, Any], Any]

_NoneType = type(None)
_SCALARS = frozenset({str, int, float, bool, _NoneType})
_MAX_REPR = 60

# A decode error names the first failing items; looking for more stops after this many, so
# a hostile list of a million bad items fails in microseconds, not minutes.
_MAX_FAILURES = 10

# Sequences longer than this call the decode's deadline check every this many items.
_CHECK_EVERY = 256


class OutOfTime(BaseException):
    """Raised by a deadline check to stop a decode.

    A BaseException, so that it passes through the ``except Exception`` with which cattrs
    collects field errors; :class:`~cloud66_async._decode.Decoder` turns it into
    :class:`~cloud66_async.RequestTimeoutError`. It never reaches users.
    """


# The deadline check of the decode in progress (see :func:`checking`), or None.
_check: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "cloud66_async_decode_check", default=None
)


@contextlib.contextmanager
def checking(check: Callable[[], None]) -> Iterator[None]:
    """Call ``check()`` every few hundred items of every sequence decoded in this block.

    ``check`` raises :class:`OutOfTime` to stop the decode (the decoder's deadline); only long
    sequences pay for it, one call per :data:`_CHECK_EVERY` items.
    """
    token = _check.set(check)
    try:
        yield
    finally:
        _check.reset(token)


def _each(values: Any, hook: Hook, item_type: Any) -> list[Any]:
    """``[hook(v, item_type) for v in values]``, checking the deadline between batches."""
    check = _check.get() if len(values) > _CHECK_EVERY else None
    if check is None:
        return [hook(item, item_type) for item in values]
    out: list[Any] = []
    for start in range(0, len(values), _CHECK_EVERY):
        check()
        out += [hook(item, item_type) for item in values[start : start + _CHECK_EVERY]]
    return out


# --------------------------------------------------------------------------- leaf hooks
# Every hook takes (value, type) as cattrs expects. The common case is checked first with an
# exact type test; the slower checks only run for unusual input.


def _show(value: object) -> str:
    return short_repr(value, _MAX_REPR)


def _wrong(expected: str, value: object) -> TypeError:
    return TypeError(f"expected {expected}, got {_show(value)}")


def _s_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    raise _wrong("str", value)


def _s_opt_str(value: Any, _: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _wrong("str", value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _wrong("int", value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value.is_integer():  # False for nan and inf, too
            return int(value)
        raise ValueError(f"expected int, got {_show(value)} (not a whole number)")
    raise _wrong("int", value)


def _s_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    return _to_int(value)


def _s_opt_int(value: Any, _: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    return _to_int(value)


def _s_bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise _wrong("bool", value)


def _s_opt_bool(value: Any, _: Any) -> bool | None:
    if value is None or value is True or value is False:
        return value
    raise _wrong("bool", value)


def _to_float(value: Any) -> float:
    if type(value) is float:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong("float", value)
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"expected float, got {_show(value)} (out of range)") from None


def _s_float(value: Any, _: Any) -> float:
    return _to_float(value)


def _s_opt_float(value: Any, _: Any) -> float | None:
    if value is None:
        return None
    return _to_float(value)


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        return parse_timestamp(value)
    if isinstance(value, datetime):
        # Already decoded (data built in Python rather than read from JSON): normalise to UTC.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    raise _wrong("a timestamp string", value)


def _s_datetime(value: Any, _: Any) -> datetime:
    if type(value) is str:
        return parse_timestamp(value)
    return _to_datetime(value)


def _s_opt_datetime(value: Any, _: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is str:
        return parse_timestamp(value)
    return _to_datetime(value)


def _s_enum(value: Any, cls: Any) -> Any:
    # The enums' _missing_ turns undocumented codes into pseudo-members, so this never fails
    # for an integer.
    if type(value) is int:
        return cls(value)
    if isinstance(value, cls):
        return value
    return cls(_to_int(value))


def _s_scalar(value: Any, _: Any) -> str | int | float | bool | None:
    # bool is an int subclass, so this keeps true/false as bools.
    if value is None or isinstance(value, str | int | float):
        return value
    raise _wrong("a JSON scalar (string, number, boolean or null)", value)


def _s_json_object(value: Any, _: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return typing.cast(dict[str, Any], value)
    raise _wrong("a JSON object", value)


def _s_opt_str_or_int(value: Any, _: Any) -> str | None:
    """Structure ``Action.resource_id``: documented as int, sent as str; always kept as str."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong("str or int", value)
    return str(int(value))


_PRIMITIVE_HOOKS: dict[Any, Hook] = {
    str: _s_str,
    int: _s_int,
    float: _s_float,
    bool: _s_bool,
    datetime: _s_datetime,
}

_OPTIONAL_PRIMITIVE_HOOKS: dict[Any, Hook] = {
    str: _s_opt_str,
    int: _s_opt_int,
    float: _s_opt_float,
    bool: _s_opt_bool,
    datetime: _s_opt_datetime,
}

# Per-field exceptions to the type-driven hooks, kept in one visible place.
_FIELD_OVERRIDES: dict[type, dict[str, Hook]] = {
    Action: {"resource_id": _s_opt_str_or_int},
}


# --------------------------------------------------------------------------- type predicates


def _is_union(t: Any) -> bool:
    return get_origin(t) in (Union, types.UnionType)


def _optional_inner(t: Any) -> Any | None:
    """Return X for ``X | None``, else None."""
    if not _is_union(t):
        return None
    args = get_args(t)
    if len(args) != 2 or _NoneType not in args:
        return None
    return args[0] if args[1] is _NoneType else args[1]


def _is_optional(t: Any) -> bool:
    return _optional_inner(t) is not None


def _is_scalar_union(t: Any) -> bool:
    return _is_union(t) and frozenset(get_args(t)) == _SCALARS


def _sequence_item(t: Any) -> Any | None:
    """Return X for ``list[X]`` and ``tuple[X, ...]``, else None."""
    origin = get_origin(t)
    args = get_args(t)
    if origin is list and len(args) == 1:
        return args[0]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


def _is_sequence(t: Any) -> bool:
    return _sequence_item(t) is not None


def _is_json_object(t: Any) -> bool:
    return get_origin(t) is dict and get_args(t) == (str, Any)


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t)


# --------------------------------------------------------------------------- hook factories


def _optional_factory(t: Any, conv: Converter) -> Hook:
    inner = _optional_inner(t)
    fast = _OPTIONAL_PRIMITIVE_HOOKS.get(inner)
    if fast is not None:
        return fast
    inner_hook = conv.get_structure_hook(inner)

    def structure_optional(value: Any, _: Any) -> Any:
        if value is None:
            return None
        return inner_hook(value, inner)

    return structure_optional


def _sequence_factory(t: Any, conv: Converter) -> Hook:
    item_type = _sequence_item(t)
    make: Callable[[Iterable[Any]], Any] = tuple if get_origin(t) is tuple else list
    item_hook = conv.get_structure_hook(item_type)

    if not conv.detailed_validation:
        if item_type is str:

            def structure_strings(value: Any, _: Any) -> Any:
                if not isinstance(value, list | tuple):
                    raise _wrong("a JSON array", value)
                for item in value:
                    if not isinstance(item, str):
                        raise _wrong("str", item)
                return make(value)

            return structure_strings

        def structure_sequence(value: Any, _: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise _wrong("a JSON array", value)
            return make(_each(value, item_hook, item_type))

        return structure_sequence

    def structure_sequence_detailed(value: Any, _: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _wrong("a JSON array", value)
        result: list[Any] = []
        errors: list[Exception] = []
        check = _check.get() if len(value) > _CHECK_EVERY else None
        for index, item in enumerate(value):
            if check is not None and index % _CHECK_EVERY == 0:
                check()
            try:
                result.append(item_hook(item, item_type))
            except Exception as exc:  # collected, as cattrs does
                note = IterableValidationNote(f"Structuring {t} @ index {index}", index, item_type)
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                errors.append(exc)
                if len(errors) >= _MAX_FAILURES:
                    break
        if errors:
            raise IterableValidationError(f"While structuring {t}", errors, t)
        return make(result)

    return structure_sequence_detailed


def _json_object_factory(t: Any) -> Hook:
    return _s_json_object


def _scalar_factory(t: Any) -> Hook:
    return _s_scalar


def _model_factory(cls: Any, conv: Converter) -> Hook:
    overrides = {
        name: override(struct_hook=hook) for name, hook in _FIELD_OVERRIDES.get(cls, {}).items()
    }
    # (cast: the stubs cannot tell **overrides apart from the positional _cattrs_* flags)
    generated = typing.cast(Any, make_dict_structure_fn)(cls, conv, **overrides)
    wanted = f"a JSON object for {cls.__name__}"

    def structure_model(value: Any, _: Any) -> Any:
        # Without this check a string would pass cattrs' "'key' in o" tests and give an empty model.
        if isinstance(value, dict):
            return generated(value, cls)
        raise _wrong(wanted, value)

    return structure_model


# --------------------------------------------------------------------------- unstructure hooks


def _u_datetime(value: datetime) -> str:
    return format_timestamp(value)


def _configure(conv: Converter) -> Converter:
    for cls, hook in _PRIMITIVE_HOOKS.items():
        conv.register_structure_hook(cls, hook)
    # Single dispatch finds the most specific registered class, so the enums' base beats int.
    conv.register_structure_hook(_TolerantIntEnum, _s_enum)
    # Predicates registered later are tried first; these never overlap.
    conv.register_structure_hook_factory(_is_model, _model_factory)
    conv.register_structure_hook_factory(_is_json_object, _json_object_factory)
    conv.register_structure_hook_factory(_is_sequence, _sequence_factory)
    conv.register_structure_hook_factory(_is_optional, _optional_factory)
    conv.register_structure_hook_factory(_is_scalar_union, _scalar_factory)
    conv.register_unstructure_hook(datetime, _u_datetime)
    return conv


# --------------------------------------------------------------------------- error reporting


def _leaves(
    exc: BaseException, path: str, owner: type | None, out: list[tuple[str, type | None, Any]]
) -> None:
    """Flatten a detailed cattrs error into (path, model owning the field, leaf exception)."""
    if isinstance(exc, ClassValidationError):
        for sub in exc.exceptions:
            name = None
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    name = note.name
            sub_path = path if name is None else (f"{path}.{name}" if path else name)
            _leaves(sub, sub_path, exc.cl, out)
    elif isinstance(exc, IterableValidationError):
        for sub in exc.exceptions:
            index: int | str | None = None
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, IterableValidationNote):
                    index = note.index
            sub_path = path if index is None else f"{path}[{index}]"
            _leaves(sub, sub_path, owner, out)
    else:
        out.append((path, owner, exc))


def _describe_leaf(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return "required field is missing"
    if isinstance(exc, TypeError | ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


# Fields whose wrong values must not be repeated in an error message.
_SECRET_FIELDS = frozenset(
    {("EnvVar", "value"), ("EnvVarHistory", "value"), ("Server", "private_key")}
)


def _decode_error(
    root: Any, leaves: list[tuple[str, type | None, Any]], *, partial: bool = False
) -> DecodeError:
    path, owner, leaf = leaves[0]
    root_name = _type_name(root)
    where = root_name
    if path:
        where += path if path.startswith("[") else f".{path}"
    field = path.rpartition(".")[2].partition("[")[0] if path else ""
    if owner is not None and owner is not root and field:
        where += f" ({owner.__name__}.{field})"
    secret = (getattr(owner or root, "__name__", ""), field) in _SECRET_FIELDS
    message = f"{where}: {'wrong type (value hidden)' if secret else _describe_leaf(leaf)}"
    if len(leaves) > 1:
        others = ", ".join(p or "<root>" for p, _, _ in leaves[1:4])
        more = "" if len(leaves) <= 4 and not partial else ", ..."
        count = f"at least {len(leaves) - 1}" if partial else f"{len(leaves) - 1}"
        message += f" (and {count} more: {others}{more})"
    return DecodeError(message, path=path, model=root_name)


_DECODE_FAILURES = (
    BaseValidationError,
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    OverflowError,
)


# --------------------------------------------------------------------------- the converter


class ModelConverter:
    """Decode JSON payloads into models and encode models into JSON-ready data.

    It wraps two cattrs converters carrying the same hooks: :attr:`fast`, built with
    ``detailed_validation=False``, does every decode; only when it fails is the payload decoded
    again by :attr:`detailed` (``detailed_validation=True``), whose error tree gives the failing
    field's path for the :class:`~cloud66_async.DecodeError`. Good payloads therefore pay nothing
    for error reporting.

    Build it with :func:`make_converter`. To add a hook, register it on both converters.
    """

    __slots__ = ("_hooks", "detailed", "fast")

    def __init__(self, fast: Converter, detailed: Converter) -> None:
        self.fast = fast
        self.detailed = detailed
        self._hooks: dict[Any, Hook] = {}

    def __repr__(self) -> str:
        return "<ModelConverter>"

    def _fast_hook(self, cls: Any) -> Hook:
        hook = self._hooks.get(cls)
        if hook is None:
            hook = self._hooks[cls] = self.fast.get_structure_hook(cls)
        return hook

    def structure(self, data: object, cls: type[T]) -> T:
        """Decode ``data`` (parsed JSON) into ``cls``, or raise :class:`DecodeError`."""
        try:
            return typing.cast(T, self._fast_hook(cls)(data, cls))
        except Exception:  # decoded again below, to find the failing field
            pass
        try:
            return self.detailed.structure(data, cls)
        except _DECODE_FAILURES as exc:
            leaves: list[tuple[str, type | None, Any]] = []
            _leaves(exc, "", cls if _is_model(cls) else None, leaves)
            raise _decode_error(cls, leaves) from exc

    def structure_list(self, data: object, cls: type[T]) -> list[T]:
        """Decode a JSON array into a list of ``cls``, or raise :class:`DecodeError`.

        The error's path starts with the item's index: ``[3].status``.
        """
        if isinstance(data, list):
            hook = self._fast_hook(cls)
            try:
                return _each(data, hook, cls)
            except Exception:  # decoded again below, to find the failing field
                pass
        else:
            raise DecodeError(
                f"list[{_type_name(cls)}]: expected a JSON array, got {_show(data)}",
                path="",
                model=_type_name(cls),
            )
        detailed = self.detailed.get_structure_hook(cls)
        result: list[T] = []
        leaves: list[tuple[str, type | None, Any]] = []
        first: BaseException | None = None
        failures = 0
        check = _check.get() if len(data) > _CHECK_EVERY else None
        for index, item in enumerate(data):
            if check is not None and index % _CHECK_EVERY == 0:
                check()
            try:
                result.append(detailed(item, cls))
            except _DECODE_FAILURES as exc:
                first = first or exc
                _leaves(exc, f"[{index}]", cls if _is_model(cls) else None, leaves)
                failures += 1
                if failures >= _MAX_FAILURES and index + 1 < len(data):
                    raise _decode_error(cls, leaves, partial=True) from first
        if first is not None:
            raise _decode_error(cls, leaves) from first
        return result

    def unstructure(self, obj: object) -> Any:
        """Encode a model (or a list of models) as JSON-ready data.

        Timestamps become ISO 8601 strings with a ``Z``, enums their integer code, tuples lists.
        ``structure(unstructure(model), type(model)) == model``.
        """
        return self.fast.unstructure(obj)


def _type_name(cls: Any) -> str:
    if isinstance(cls, type):
        return cls.__name__
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", str(cls))  # list[a.b.Stack] -> list[Stack]


def _new_cattrs_converter(*, detailed: bool) -> Converter:
    conv = Converter(
        detailed_validation=detailed,
        forbid_extra_keys=False,
        unstruct_collection_overrides={tuple: list},
    )
    return _configure(conv)


def make_converter() -> ModelConverter:
    """Build the SDK's converter: one object holding every decode and encode hook."""
    return ModelConverter(
        fast=_new_cattrs_converter(detailed=False),
        detailed=_new_cattrs_converter(detailed=True),
    )


def structure(converter: ModelConverter, data: object, cls: type[T]) -> T:
    """Decode ``data`` into ``cls`` with ``converter``; raise :class:`DecodeError` on failure."""
    return converter.structure(data, cls)


def structure_list(converter: ModelConverter, data: object, cls: type[T]) -> list[T]:
    """Decode a JSON array into a list of ``cls``; raise :class:`DecodeError` on failure."""
    return converter.structure_list(data, cls)
