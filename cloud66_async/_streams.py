"""What background work hands back, as the client's signatures name it: :class:`Stream` and
``Outcome`` (:class:`OutcomeBase`).

A leaf module: ``Client.fan_out``'s signature names both, and ``typing.get_type_hints`` must
resolve them without loading :mod:`._tasks` (and with it anyio) or :mod:`._bulk`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Generic, Protocol, TypeVar

__all__ = ["OutcomeBase", "Stream"]

T_co = TypeVar("T_co", covariant=True)
I = TypeVar("I")  # noqa: E741 - the item type of fan_out
R = TypeVar("R")


class Stream(Protocol[T_co]):
    """An async iterator that can be closed early: ``async with aclosing(stream): ...``."""

    def __aiter__(self) -> AsyncIterator[T_co]: ...

    def __anext__(self) -> Awaitable[T_co]: ...

    def aclose(self) -> Awaitable[object]: ...


class OutcomeBase(Generic[I, R]):
    """The result of one item of :meth:`Client.fan_out`.

    Either a :class:`Success` or a :class:`Failure`. At run time ``Outcome`` is this class, so
    ``isinstance(o, Outcome)`` works; for a type checker it is ``Success[I, R] | Failure[I, R]``,
    so ``if outcome.ok:`` narrows it.
    """

    __slots__ = ()


# Defined here rather than in _bulk (which defines Success and Failure on it): the client names
# it in fan_out's signature, and typing.get_type_hints(Client.fan_out) must resolve without
# importing _bulk, whose attrs classes cost ~2 ms of every import. Named, and placed, as
# cloud66_async.Outcome always was (cloud66_async._bulk.Outcome is this object).
OutcomeBase.__name__ = OutcomeBase.__qualname__ = "Outcome"
OutcomeBase.__module__ = "cloud66_async._bulk"
