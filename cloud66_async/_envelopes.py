"""The msgspec shapes of the API's answer envelopes, for the fast decoding path.

A module of its own so that msgspec loads with the first decode, not with the package: only
:func:`cloud66_async._decode._make_info` imports it.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

__all__ = ["decoders"]

T = TypeVar("T")


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


def decoders(cls: type) -> tuple[msgspec.json.Decoder[Any], msgspec.json.Decoder[Any]]:
    """Return decoders of a list answer and a one-object answer of ``cls``."""
    return (
        msgspec.json.Decoder(_ListEnvelope[cls]),  # type: ignore[valid-type]
        msgspec.json.Decoder(_OneEnvelope[cls]),  # type: ignore[valid-type]
    )
