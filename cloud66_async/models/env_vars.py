"""Environment variables of a stack."""

from datetime import datetime

import attrs

__all__ = ["EnvVar", "EnvVarHistory"]

_MASK = "********"


@attrs.frozen(kw_only=True)
class EnvVarHistory:
    """A previous value of an environment variable.

    ``key`` is what the API calls it, though it holds a version number, not the variable's name.
    """

    key: int | None = None
    value: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class EnvVar:
    """An environment variable of a stack, identified by ``key``.

    When ``is_password`` is true, ``repr()`` shows ``value`` and every ``history`` value as
    ``'********'``; the attributes themselves hold the real values.
    """

    key: str
    id: int | None = None
    value: str | None = None
    readonly: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    is_password: bool | None = None
    is_generated: bool | None = None
    history: tuple[EnvVarHistory, ...] | None = None

    def __repr__(self) -> str:
        shown = self
        if self.is_password:
            history = self.history
            if history is not None:
                history = tuple(
                    h if h.value is None else attrs.evolve(h, value=_MASK) for h in history
                )
            value = None if self.value is None else _MASK
            shown = attrs.evolve(self, value=value, history=history)
        fields = ", ".join(f"{a.name}={getattr(shown, a.name)!r}" for a in attrs.fields(EnvVar))
        return f"EnvVar({fields})"
