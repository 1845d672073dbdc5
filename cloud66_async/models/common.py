"""Small value objects shared by several API groups."""

import attrs

__all__ = ["CodeMeaning", "OperationResult"]


@attrs.frozen(kw_only=True)
class CodeMeaning:
    """A numeric code with its documented meaning, e.g. a deployment's ``outcome``.

    The API sends these as ``{"code": 1, "meaning": "success"}``; both parts may be missing.
    """

    code: int | None = None
    meaning: str | None = None


@attrs.frozen(kw_only=True)
class OperationResult:
    """The ``{"ok": true, "message": ...}`` answer of operations that start work without an action.

    Returned by cancelling a deployment and by creating or importing a backup.
    """

    ok: bool | None = None
    message: str | None = None
