"""Settings of a stack and of a server."""

import attrs

__all__ = ["ServerSetting", "Setting", "SettingValue"]

SettingValue = str | int | float | bool | None
"""A setting's value: any JSON scalar, kept as the JSON type the API sent."""


@attrs.frozen(kw_only=True)
class Setting:
    """A stack setting, identified by ``key`` (``git.branch``); ``id`` is its URL form.

    ``value`` keeps its JSON type: a string, a number, a boolean or ``None``.
    """

    key: str
    id: str | None = None
    value: SettingValue = None
    readonly: bool | None = None
    warning_text: str | None = None


@attrs.frozen(kw_only=True)
class ServerSetting:
    """A server setting, identified by ``key`` (``server.name``); ``id`` is its URL form.

    ``value`` keeps its JSON type: a string, a number, a boolean or ``None``.
    """

    key: str
    id: str | None = None
    value: SettingValue = None
    readonly: bool | None = None
    warning_text: str | None = None
