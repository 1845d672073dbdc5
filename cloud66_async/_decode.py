"""The one decoder: answer bytes into models, by a fast path and a careful path that agree.

The fast path (:class:`FastPath`) is msgspec: it builds the frozen attrs models straight from
the JSON bytes in C, several times faster than ``json.loads`` followed by cattrs. It is only ever
an accelerator: it returns a value only when that value is, by construction, the one the careful
path would give, and declines (returns ``None``) otherwise, and the :class:`Decoder` then
decodes the same bytes the careful way (``json.loads`` + the cattrs converter of
:mod:`~cloud66_async._converter`), which accepts what the SDK accepts and names the failing
field when it must fail.

What makes them agree:

- Timestamps: the careful path reads every format of the blueprints and converts to UTC
  (``tzinfo is datetime.timezone.utc``, offsets converted). msgspec reads RFC 3339 only, and
  keeps offsets; so the fast path returns a model only when every timestamp in it came out as
  UTC exactly. A naive timestamp, an offset such as ``+05:00``, or a format msgspec does not
  read sends the answer down the careful path, so a value never depends on which path (or on
  which other items of the same page) decoded it.
- Everything msgspec is stricter about (an integer where a string is documented, ``5.0`` for
  an int, a numeric string in ``pagination``) makes it decline; the careful path then decides.
- Pagination figures go through one check, :func:`~cloud66_async._sansio.page_info`, on both
  paths, and the :class:`Page` is built once, by the caller.

The one rewrite done before the fast path decodes: the blueprint's
``"2014-08-14 00:38:14 UTC"`` timestamps become ``"2014-08-14T00:38:14Z"``, but only as the
value of a key that is a timestamp field of the model, and only for models with no free-form
JSON objects (where such a key could be data). It is done before the one decode, and only when
the body holds a ``' UTC"'`` at all (a fast search). The compact form the API sends
(``"created_at":"2014-08-14 00:38:14 UTC"``) is rewritten by one substitution in C (only the
``' UTC"'`` becomes ``'Z"'``: msgspec reads a space between date and time); when any
``' UTC"'`` is left after it (spaces around the colon, fractions of a second, a string that
only looks like one), the general pattern is tried once for each ``' UTC"'``, where its key
must start, on the original body.
A model whose timestamp keys are also the names of other (non-timestamp) fields, in it or in a
nested model, gets no rewrite either: there the rewrite could change a string field's value.

The decoder is where timestamp handling lives; the tests compare both paths on every example of
the blueprint and on generated payloads (values, ``tzinfo`` and ``isoformat()``).

Decoding runs inside the attempt's ``Timeout.total`` (its ``deadline``). An answer of at most
:data:`ONE_STEP_MAX` bytes is decoded in one step, as above: whatever it holds, that takes
milliseconds. A larger one (never a real page: 30 servers are 26 kB) is decoded by the careful
path, which checks the deadline every few hundred items, at every level, and stops with
:class:`~cloud66_async.RequestTimeoutError` once it has passed: msgspec would build a million
tiny models in one call nothing can interrupt (13 us each: 38 s for 32 MiB of ``{"uid":"a"}``).
What cannot be split is parsing the JSON text itself (``json.loads``, in C): for the largest
answer ``max_response_bytes`` allows, that is ~1 s for real data and up to ~6 s for a hostile
32 MiB of empty arrays, on a slow machine.
"""

from __future__ import annotations

import contextlib
import re
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._exceptions import DecodeError, RequestTimeoutError
from ._sansio import PageInfo, page_info, parse_body, parse_page, redact_url, unwrap

if TYPE_CHECKING:
    import msgspec

    from ._converter import ModelConverter

__all__ = ["ONE_STEP_MAX", "Decoder", "FastPath"]

T = TypeVar("T")

#: Answers up to this many bytes are decoded in one step (no deadline checks: at most about
#: 0.1 s whatever they hold); larger ones in steps that check the deadline.
ONE_STEP_MAX = 128 * 1024

_UTC_SUFFIX = b' UTC"'


class _ModelInfo:
    """What the fast path needs to know about one model class.

    A plain slotted class, not attrs: it is on the import path, and attrs would compile its
    methods at every start-up (nothing compares, hashes or prints these).
    """

    __slots__ = ("check", "compact", "list_decoder", "one_decoder", "rewrite")

    def __init__(
        self,
        *,
        rewrite: re.Pattern[bytes] | None,
        compact: re.Pattern[bytes] | None,
        check: Callable[[Iterable[Any]], bool],
        list_decoder: msgspec.json.Decoder[Any],
        one_decoder: msgspec.json.Decoder[Any],
    ) -> None:
        self.rewrite = rewrite  # rewrites " UTC" timestamps, or None if not allowed
        self.compact = compact  # the same for compact JSON, by one substitution in C
        self.check = check  # True when every timestamp in them is in UTC
        self.list_decoder = list_decoder
        self.one_decoder = one_decoder


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


def _make_check(cls: type) -> Callable[[Iterable[Any]], bool]:
    """A function telling whether every timestamp of some instances (nested ones too) came out
    in UTC exactly (``tzinfo is UTC``): a naive one, or one with another offset, is left to the
    careful path, which converts it.

    It takes a whole page at once and is generated as straight-line code per model (as attrs
    generates ``__init__``): one attribute load and one identity test per timestamp, no call
    per item. Field names come from the attrs class, so they are identifiers.
    """
    lines = ["def check(objs):", "    for obj in objs:"]
    namespace: dict[str, Any] = {"UTC": UTC}
    for name, tp in _hints(cls).items():
        inner = _strip_optional(tp)
        if inner is datetime:
            lines.append(f"        value = obj.{name}")
            lines.append("        if value is not None and value.tzinfo is not UTC:")
            lines.append("            return False")
            continue
        many = not attrs.has(inner)
        if many:
            args = typing.get_args(inner)
            if not (args and attrs.has(args[0])):
                continue
            inner = args[0]
        namespace[f"check_{name}"] = _make_check(inner)
        lines.append(f"        value = obj.{name}")
        wrapped = "value" if many else "(value,)"  # None or empty: nothing to check
        lines.append(f"        if value and not check_{name}({wrapped}):")
        lines.append("            return False")
    if len(lines) == 2:  # no timestamp anywhere in this model
        lines.append("        break")
    lines.append("    return True")
    exec("\n".join(lines), namespace)  # our own source, built from the model's field names
    check: Callable[[Iterable[Any]], bool] = namespace["check"]
    return check


def _make_info(cls: type) -> _ModelInfo:
    fields = list(_walk(cls, set()))
    free_form = any(_is_free_form(tp) for _, _, tp in fields)
    stamp_keys = sorted({name for _, name, tp in fields if tp is datetime})
    other_keys = {name for _, name, tp in fields if tp is not datetime}
    rewrite = compact = None
    if stamp_keys and not free_form and not other_keys.intersection(stamp_keys):
        keys = b"|".join(re.escape(k.encode()) for k in stamp_keys)
        rewrite = re.compile(
            rb'("(?:' + keys + rb')"\s*:\s*"\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?) UTC"'
        )
        # The commonest form, "key":"2014-08-14 00:38:14 UTC" (compact JSON, whole seconds):
        # the pattern starts with the literal ' UTC"' (found by re's fast literal search), and
        # a fixed-width look-behind per key checks what precedes it; the match is only the
        # ' UTC"', replaced by 'Z"' (msgspec reads a space between date and time).
        behind = b"|".join(
            rb'(?<="' + re.escape(k.encode()) + rb'":"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d UTC")'
            for k in stamp_keys
        )
        compact = re.compile(rb' UTC"(?:' + behind + rb")")
    # Imported here, once per model class: msgspec loads with the first decode, not with the
    # package (~7 ms of every program's start-up).
    from ._envelopes import decoders

    list_decoder, one_decoder = decoders(cls)
    return _ModelInfo(
        rewrite=rewrite,
        compact=compact,
        check=_make_check(cls),
        list_decoder=list_decoder,
        one_decoder=one_decoder,
    )


def _rewrite(match: re.Match[bytes]) -> bytes:
    return match[1] + b"T" + match[2] + b'Z"'


def _without_utc(info: _ModelInfo, body: bytes) -> bytes:
    """The body with its blueprint ``" UTC"`` timestamps made RFC 3339, for msgspec.

    One substitution in C when every ``' UTC"'`` is in the compact form; otherwise (spaces
    around the colon, fractions, a string that only ends like one) the general rewrite,
    :func:`_rewrite_utc`, on the original body. The two differ only in the date-time
    separator they leave (a space or ``T``), which msgspec reads alike.
    """
    if _UTC_SUFFIX not in body:
        return body
    assert info.compact is not None and info.rewrite is not None
    out = info.compact.sub(b'Z"', body)
    if _UTC_SUFFIX in out:
        return _rewrite_utc(info.rewrite, body)
    return out


def _rewrite_utc(pattern: re.Pattern[bytes], body: bytes) -> bytes:
    """Return ``pattern.sub(_rewrite, body)``, found from each ``' UTC"'`` in ``body`` instead of
    by trying the pattern at every quote of the body.

    A match of ``pattern`` is ``"key"``, whitespace, ``:``, whitespace, ``"``, then digits and
    separators up to the ``' UTC"'`` that ends it: exactly four quotes, none in between. So the
    only place a match ending at a given ``' UTC"'`` can start is the third quote before that
    one's own, and one anchored ``match`` there decides it (not before the end of the previous
    match, as with ``sub``).
    """
    end = body.find(_UTC_SUFFIX)
    if end < 0:
        return body
    parts: list[bytes] = []
    done = 0  # body[:done] is in parts (the end of the previous match)
    find, rfind, match = body.find, body.rfind, pattern.match
    while end >= 0:
        stop = end + len(_UTC_SUFFIX)
        start = rfind(b'"', done, rfind(b'"', done, rfind(b'"', done, end)))
        if start >= 0:
            found = match(body, start, stop)
            if found is not None:
                parts += (body[done:start], found[1], b"T", found[2], b'Z"')  # as _rewrite
                done = stop
        end = find(_UTC_SUFFIX, stop)
    if not parts:
        return body
    parts.append(body[done:])
    return b"".join(parts)


class FastPath:
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
        """Decode once, with the " UTC" timestamps rewritten first (when allowed and present)."""
        if info.rewrite is not None:
            body = _without_utc(info, body)
        try:
            return decoder.decode(body)
        except (ValueError, TypeError):  # msgspec's DecodeError is a ValueError
            return None

    def page(self, body: bytes, cls: type[T], *, requested: int = 1) -> PageInfo[T] | None:
        """Decode a list answer (page ``requested``) into models, or return ``None`` to let the
        careful path decide. Pagination figures are checked as :func:`page_info` does."""
        info = self._info(cls)
        if info is None:
            return None
        env = self._decode(info, info.list_decoder, body)
        if env is None:
            return None
        items: list[T] = env.response
        if not info.check(items):
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
        info = self._infos.get(cls) or self._info(cls)
        if info is None:
            return None
        # _decode, written out: this runs for every one-object answer.
        if info.rewrite is not None:
            body = _without_utc(info, body)
        try:
            value: T = info.one_decoder.decode(body).response
        except (ValueError, TypeError):  # msgspec's DecodeError is a ValueError
            return None
        return value if info.check((value,)) else None


class Decoder:
    """Decode answer bodies into models: the fast path first, the careful path when it declines.

    One per client (shared by its views). ``converter`` is the careful path's cattrs converter.
    """

    def __init__(self, converter: ModelConverter | None = None) -> None:
        self.fast = FastPath()
        self._converter = converter

    @property
    def converter(self) -> ModelConverter:
        """The careful path's cattrs converter, made the first time an answer needs it."""
        if self._converter is None:
            # Imported here: cattrs is only needed once the fast path declines, and importing
            # it with the package would add to every program's start-up.
            from ._converter import make_converter

            self._converter = make_converter()
        return self._converter

    def json(
        self,
        body: bytes,
        *,
        method: str,
        url: str,
        request_id: str,
        deadline: float | None = None,
    ) -> Any:
        """Parse a body as JSON, or raise :class:`DecodeError` naming the request.

        With a ``deadline`` (``time.monotonic()``), a large body is not parsed once it has
        passed (:class:`RequestTimeoutError`).
        """
        if deadline is not None and len(body) > ONE_STEP_MAX and time.monotonic() > deadline:
            raise _timed_out(body, method, url, request_id)
        try:
            return parse_body(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise DecodeError(
                f"the answer to {method} {redact_url(url)} is not valid "
                f"JSON ({exc}; {len(body)} bytes; request id {request_id})",
                path="",
            ) from None

    def one(
        self,
        body: bytes,
        model: type[T],
        *,
        method: str,
        url: str,
        request_id: str,
        deadline: float | None = None,
    ) -> T:
        """Decode a ``{"response": {...}}`` answer into one ``model``.

        With a ``deadline`` (``time.monotonic()``), a large body is decoded in steps that stop
        with :class:`RequestTimeoutError` once it has passed.
        """
        if deadline is not None and len(body) > ONE_STEP_MAX:
            with _steps(deadline, body, method, url, request_id) as check:
                parsed = self.json(body, method=method, url=url, request_id=request_id)
                check()
                return self._structure(unwrap(parsed, url=url), model, method, url, request_id)
        fast = self.fast.one(body, model)
        if fast is not None:
            return fast
        payload = unwrap(self.json(body, method=method, url=url, request_id=request_id), url=url)
        return self._structure(payload, model, method, url, request_id)

    def one_or_none(
        self,
        body: bytes,
        model: type[T],
        *,
        method: str,
        url: str,
        request_id: str,
        deadline: float | None = None,
    ) -> T | None:
        """Decode an answer the blueprint leaves undocumented: ``None`` when it is empty
        (no body, blanks only), ``null`` or ``{"response": null}``; otherwise as :meth:`one`.

        A body that is not JSON is still a :class:`DecodeError`; a ``deadline`` works as in
        :meth:`one`.
        """
        if not body.strip():
            return None
        if deadline is not None and len(body) > ONE_STEP_MAX:
            with _steps(deadline, body, method, url, request_id) as check:
                parsed = self.json(body, method=method, url=url, request_id=request_id)
                check()
                value = None if parsed is None else unwrap(parsed, url=url)
                if value is None:
                    return None
                return self._structure(value, model, method, url, request_id)
        fast = self.fast.one(body, model)
        if fast is not None:
            return fast
        payload = self.json(body, method=method, url=url, request_id=request_id)
        if payload is None:
            return None
        value = unwrap(payload, url=url)
        if value is None:
            return None
        return self._structure(value, model, method, url, request_id)

    def _structure(self, payload: Any, model: type[T], method: str, url: str, request_id: str) -> T:
        try:
            return self.converter.structure(payload, model)
        except DecodeError as exc:
            _in_answer(exc, method, url, request_id)
            raise

    def page(
        self,
        body: bytes,
        model: type[T],
        *,
        requested: int,
        method: str,
        url: str,
        request_id: str,
        deadline: float | None = None,
    ) -> PageInfo[T]:
        """Decode a list answer (page ``requested``) into its items and pagination figures.

        With a ``deadline`` (``time.monotonic()``), a large body is decoded in steps that stop
        with :class:`RequestTimeoutError` once it has passed. Both paths check the figures with
        :func:`~cloud66_async._sansio.page_info`.
        """
        if deadline is not None and len(body) > ONE_STEP_MAX:
            with _steps(deadline, body, method, url, request_id) as check:
                return self._careful_page(body, model, requested, method, url, request_id, check)
        try:
            info = self.fast.page(body, model, requested=requested)
        except DecodeError as exc:  # the figures are wrong: name the request
            _in_answer(exc, method, url, request_id)
            raise
        if info is not None:
            return info
        return self._careful_page(body, model, requested, method, url, request_id, None)

    def _careful_page(
        self,
        body: bytes,
        model: type[T],
        requested: int,
        method: str,
        url: str,
        request_id: str,
        check: Callable[[], None] | None,
    ) -> PageInfo[T]:
        """The careful path: the same bytes, decoded with every tolerance and check."""
        payload = self.json(body, method=method, url=url, request_id=request_id)
        if check is not None:
            check()
        try:
            raw = parse_page(payload, requested=requested, url=url)
            items = self.converter.structure_list(raw.items, model)
        except DecodeError as exc:
            _in_answer(exc, method, url, request_id)
            raise
        return raw._replace(items=items)


@contextlib.contextmanager
def _steps(
    deadline: float, body: bytes, method: str, url: str, request_id: str
) -> Iterator[Callable[[], None]]:
    """Decode in steps: check the deadline now, after parsing (call the check yielded), and
    every few hundred items of every sequence."""
    # Imported here, as the converter is (Decoder.converter): only large answers need it.
    from ._converter import OutOfTime, checking

    def check() -> None:
        if time.monotonic() > deadline:
            raise OutOfTime

    try:
        check()
        with checking(check):
            yield check
    except OutOfTime:
        raise _timed_out(body, method, url, request_id) from None


def _timed_out(body: bytes, method: str, url: str, request_id: str) -> RequestTimeoutError:
    short = redact_url(url)
    return RequestTimeoutError(
        f"{method} {short} timed out while decoding its answer ({len(body):,} bytes): "
        f"Timeout.total ran out (request id {request_id})",
        method=method,
        url=short,
        request_id=request_id,
        sent=True,
    )


def _in_answer(exc: DecodeError, method: str, url: str, request_id: str) -> None:
    """Say which answer a decode error was found in."""
    exc.message = (
        f"{exc.message} (in the answer to {method} {redact_url(url)}, request id {request_id})"
    )
