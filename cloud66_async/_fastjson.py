"""The fast decoding path: answer bytes straight into the frozen attrs models with msgspec.

msgspec builds attrs instances directly from JSON bytes in C, several times faster than
``json.loads`` followed by cattrs. It is stricter and knows fewer timestamp formats than the
cattrs converter, so it is only ever an accelerator: when it declines a payload (an undocumented
enum code, a timestamp format it does not read, a naive timestamp, an integer where a string is
documented, anything malformed) the caller decodes the same bytes again the careful way, which
accepts what the SDK accepts and names the failing field when it must fail. Both paths give equal
results for every payload the fast one accepts; the contract tests check that on every example
of the blueprint.

The one rewrite done before decoding: the blueprint's ``"2014-08-14 00:38:14 UTC"`` timestamps
become ``"2014-08-14T00:38:14Z"``, but only as the value of a key that is a timestamp field of
the model, and only for models with no free-form JSON objects (where such a key could be data).
"""

from __future__ import annotations

import operator
import re
import types
import typing
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs
import msgspec

from ._sansio import PageInfo, page_info

__all__ = ["FastDecoder"]

T = TypeVar("T")

_UTC_SUFFIX = b' UTC"'


class _Pagination(msgspec.Struct):
    next: int | None = None
    current: int | None = None
    pages: int | None = None
    count: int | None = None
    per_page: int | None = None


class _ListEnvelope(msgspec.Struct, Generic[T]):
    response: list[T]
    pagination: _Pagination | None = None


class _OneEnvelope(msgspec.Struct, Generic[T]):
    response: T


@attrs.frozen
class _ModelInfo:
    """What the fast path needs to know about one model class."""

    rewrite: re.Pattern[bytes] | None  # rewrites " UTC" timestamps, or None if not allowed
    check: Callable[[Any], bool]  # True when every timestamp in an instance is aware
    list_decoder: msgspec.json.Decoder[Any]
    one_decoder: msgspec.json.Decoder[Any]


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _strip_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _walk(cls: type, seen: set[type]) -> Iterator[tuple[type, str, Any]]:
    """Yield (owner, field name, field type without Optional) for a model and nested models."""
    if cls in seen:
        return
    seen.add(cls)
    for name, tp in _hints(cls).items():
        inner = _strip_optional(tp)
        yield cls, name, inner
        for arg in (inner, *typing.get_args(inner)):
            if attrs.has(arg):
                yield from _walk(arg, seen)


def _is_free_form(tp: Any) -> bool:
    if tp is Any or tp is dict:
        return True
    return typing.get_origin(tp) is dict


def _make_check(cls: type) -> Callable[[Any], bool]:
    """A function telling whether every timestamp of an instance (nested ones too) is aware."""
    stamps: list[str] = []
    nested: list[tuple[str, Callable[[Any], bool], bool]] = []
    for name, tp in _hints(cls).items():
        inner = _strip_optional(tp)
        if inner is datetime:
            stamps.append(name)
        elif attrs.has(inner):
            nested.append((name, _make_check(inner), False))
        else:
            args = typing.get_args(inner)
            if args and attrs.has(args[0]):
                nested.append((name, _make_check(args[0]), True))

    get_stamps = operator.attrgetter(*stamps) if stamps else None
    single = len(stamps) == 1

    def check(obj: Any) -> bool:
        if get_stamps is not None:
            values = (get_stamps(obj),) if single else get_stamps(obj)
            for value in values:
                if value is not None and value.tzinfo is None:
                    return False
        for name, sub, many in nested:
            value = getattr(obj, name)
            if value is None:
                continue
            if many:
                if not all(sub(v) for v in value):
                    return False
            elif not sub(value):
                return False
        return True

    return check


def _make_info(cls: type) -> _ModelInfo:
    fields = list(_walk(cls, set()))
    free_form = any(_is_free_form(tp) for _, _, tp in fields)
    stamp_keys = sorted({name for _, name, tp in fields if tp is datetime})
    rewrite = None
    if stamp_keys and not free_form:
        keys = b"|".join(re.escape(k.encode()) for k in stamp_keys)
        rewrite = re.compile(
            rb'("(?:' + keys + rb')"\s*:\s*")(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?) UTC"'
        )
    return _ModelInfo(
        rewrite=rewrite,
        check=_make_check(cls),
        list_decoder=msgspec.json.Decoder(_ListEnvelope[cls]),  # type: ignore[valid-type]
        one_decoder=msgspec.json.Decoder(_OneEnvelope[cls]),  # type: ignore[valid-type]
    )


def _rewrite(match: re.Match[bytes]) -> bytes:
    return match.group(1) + match.group(2) + b"T" + match.group(3) + b'Z"'


class FastDecoder:
    """Decode answer bodies into models with msgspec; ``None`` means "use the careful path"."""

    def __init__(self) -> None:
        self._infos: dict[type, _ModelInfo] = {}

    def _info(self, cls: type) -> _ModelInfo | None:
        info = self._infos.get(cls)
        if info is None:
            if not attrs.has(cls):
                return None
            info = self._infos[cls] = _make_info(cls)
        return info

    @staticmethod
    def _decode(info: _ModelInfo, decoder: msgspec.json.Decoder[Any], body: bytes) -> Any:
        """Decode as is; only if that fails, rewrite " UTC" timestamps (when allowed) and retry.

        Trying first keeps the common case free of a scan over the whole body.
        """
        try:
            return decoder.decode(body)
        except (msgspec.DecodeError, ValueError, TypeError):
            if info.rewrite is None or _UTC_SUFFIX not in body:
                return None
        try:
            return decoder.decode(info.rewrite.sub(_rewrite, body))
        except (msgspec.DecodeError, ValueError, TypeError):
            return None

    def page(self, body: bytes, cls: type[T], *, requested: int = 1) -> PageInfo | None:
        """Decode a list answer (page ``requested``) into models, or return ``None`` to let the
        careful path decide. Pagination figures are checked as :func:`page_info` does."""
        info = self._info(cls)
        if info is None:
            return None
        env = self._decode(info, info.list_decoder, body)
        if env is None:
            return None
        items: list[T] = env.response
        check = info.check
        for item in items:
            if not check(item):
                return None
        p = env.pagination
        if p is None:
            return page_info(items, requested=requested)
        return page_info(
            items,
            requested=requested,
            current=p.current,
            next=p.next,
            pages=p.pages,
            total=p.count,
            per_page=p.per_page,
            has_pagination=True,
        )

    def one(self, body: bytes, cls: type[T]) -> T | None:
        """Decode a one-object answer, or return ``None`` to let the careful path decide."""
        info = self._info(cls)
        if info is None:
            return None
        env = self._decode(info, info.one_decoder, body)
        if env is None:
            return None
        value: T = env.response
        return value if info.check(value) else None
