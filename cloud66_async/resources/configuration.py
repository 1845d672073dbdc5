"""A stack's configuration: environment variables, settings, server settings, firewall rules and
notifications."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .._paging import Paginator
from ..models import Action, EnvVar, FirewallRule, Notification, ServerSetting, Setting
from . import _validate as v
from ._base import Manager
from ._endpoints import E

__all__ = [
    "EnvVarsManager",
    "FirewallsManager",
    "NotificationsManager",
    "ServerSettingsManager",
    "SettingsManager",
]

SettingValue = str | int | float | bool


def _setting_value(value: object) -> SettingValue:
    if not isinstance(value, (str, int, float, bool)):
        raise v.ConfigError(f"value must be a string, number or boolean, got {value!r}")
    return value


class EnvVarsManager(Manager):
    """``client.env_vars``: a stack's environment variables (needs ``admin``)."""

    def list(
        self, stack_uid: str, *, max_items: int | None = None, start_page: int = 1
    ) -> Paginator[EnvVar]:
        """Iterate over a stack's environment variables."""
        return self._stack_list(
            E.env_vars_list, stack_uid, max_items=max_items, start_page=start_page
        )

    async def get(self, stack_uid: str, env_id: int) -> EnvVar:
        """Return one environment variable by its numeric id."""
        found: EnvVar = await self._stack_get(E.env_vars_get, stack_uid, "env_id", env_id)
        return found

    async def add(
        self,
        stack_uid: str,
        key: str,
        value: str,
        *,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Add an environment variable; it appears once the returned action finishes."""
        uid = v.check_str("stack_uid", stack_uid)
        body = {
            "key": v.check_str("key", key),
            "value": v.check_str("value", value, allow_empty=True),
        }
        return await self._action(
            E.env_vars_add,
            {"stack_uid": uid},
            uid,
            body=body,
            wait=wait,
            wait_timeout=wait_timeout,
        )

    async def update(
        self,
        stack_uid: str,
        key: str,
        value: str,
        *,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Change an environment variable's value (readonly ones are refused by the API)."""
        uid = v.check_str("stack_uid", stack_uid)
        return await self._action(
            E.env_vars_update,
            {"stack_uid": uid, "key": v.check_str("key", key)},
            uid,
            body={"value": v.check_str("value", value, allow_empty=True)},
            wait=wait,
            wait_timeout=wait_timeout,
        )

    async def delete(self, stack_uid: str, key: str) -> None:
        """Delete an environment variable (not readonly or generated ones)."""
        await self._no_content(
            E.env_vars_delete,
            {"stack_uid": v.check_str("stack_uid", stack_uid), "key": v.check_str("key", key)},
        )


class SettingsManager(Manager):
    """``client.settings``: stack settings. Ids are accepted as ``git.branch`` or ``git-branch``."""

    def list(
        self, stack_uid: str, *, max_items: int | None = None, start_page: int = 1
    ) -> Paginator[Setting]:
        """Iterate over a stack's settings."""
        return self._stack_list(
            E.settings_list, stack_uid, max_items=max_items, start_page=start_page
        )

    async def get(self, stack_uid: str, setting_id: str) -> Setting:
        """Return one setting."""
        found: Setting = await self._one(
            E.settings_get,
            {
                "stack_uid": v.check_str("stack_uid", stack_uid),
                "setting_id": v.setting_id(setting_id),
            },
        )
        return found

    async def update(
        self,
        stack_uid: str,
        setting_id: str,
        value: SettingValue,
        *,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Change a setting; it takes its new value when the returned action finishes."""
        uid = v.check_str("stack_uid", stack_uid)
        return await self._action(
            E.settings_update,
            {"stack_uid": uid, "setting_id": v.setting_id(setting_id)},
            uid,
            body={"value": _setting_value(value)},
            wait=wait,
            wait_timeout=wait_timeout,
        )


class ServerSettingsManager(Manager):
    """``client.server_settings``: settings of one server."""

    def list(
        self,
        stack_uid: str,
        server_uid: str,
        *,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[ServerSetting]:
        """Iterate over a server's settings."""
        return self._list(
            E.server_settings_list,
            {
                "stack_uid": v.check_str("stack_uid", stack_uid),
                "server_uid": v.check_str("server_uid", server_uid),
            },
            max_items=max_items,
            start_page=start_page,
        )

    async def get(self, stack_uid: str, server_uid: str, setting_id: str) -> ServerSetting:
        """Return one server setting."""
        found: ServerSetting = await self._one(
            E.server_settings_get,
            {
                "stack_uid": v.check_str("stack_uid", stack_uid),
                "server_uid": v.check_str("server_uid", server_uid),
                "setting_id": v.setting_id(setting_id),
            },
        )
        return found

    async def update(
        self,
        stack_uid: str,
        server_uid: str,
        setting_id: str,
        value: SettingValue,
        *,
        wait: bool = False,
        wait_timeout: float | None = None,
    ) -> Action:
        """Change a server setting; it takes effect when the returned action finishes."""
        uid = v.check_str("stack_uid", stack_uid)
        return await self._action(
            E.server_settings_update,
            {
                "stack_uid": uid,
                "server_uid": v.check_str("server_uid", server_uid),
                "setting_id": v.setting_id(setting_id),
            },
            uid,
            body={"value": _setting_value(value)},
            wait=wait,
            wait_timeout=wait_timeout,
        )


class FirewallsManager(Manager):
    """``client.firewalls``: a stack's firewall rules."""

    def list(
        self, stack_uid: str, *, max_items: int | None = None, start_page: int = 1
    ) -> Paginator[FirewallRule]:
        """Iterate over a stack's firewall rules."""
        return self._stack_list(
            E.firewalls_list, stack_uid, max_items=max_items, start_page=start_page
        )

    async def get(self, stack_uid: str, rule_id: int) -> FirewallRule:
        """Return one firewall rule."""
        found: FirewallRule = await self._stack_get(E.firewalls_get, stack_uid, "rule_id", rule_id)
        return found

    async def add(
        self,
        stack_uid: str,
        *,
        protocol: str | int,
        port: int,
        from_ip: str | None = None,
        from_group_id: int | None = None,
        from_server_id: int | None = None,
        to_ip: str | None = None,
        to_group_id: int | None = None,
        to_server_id: int | None = None,
        ttl: int | None = None,
    ) -> FirewallRule | None:
        """Add a firewall rule; at least one ``from_*``/``to_*`` is needed.

        ``protocol`` is ``"tcp"``, ``"udp"``, ``"icmp"`` or 1, 2, 3; ``port`` 1-65535. With a
        ``ttl`` the rule expires, and ``from_ip="AUTO"`` means the caller's address.
        Returns the new rule, or ``None`` when the server answers nothing (the blueprint
        documents no answer; list the rules to see it).
        """
        ends = {
            "from_ip": v.optional(v.check_str, "from_ip", from_ip),
            "from_group_id": v.optional(v.check_int, "from_group_id", from_group_id, low=1),
            "from_server_id": v.optional(v.check_int, "from_server_id", from_server_id, low=1),
            "to_ip": v.optional(v.check_str, "to_ip", to_ip),
            "to_group_id": v.optional(v.check_int, "to_group_id", to_group_id, low=1),
            "to_server_id": v.optional(v.check_int, "to_server_id", to_server_id, low=1),
        }
        if all(value is None for value in ends.values()):
            raise v.ConfigError("a firewall rule needs at least one of the from_*/to_* arguments")
        if from_ip is not None and from_ip.upper() == "AUTO" and ttl is None:
            raise v.ConfigError("from_ip='AUTO' is only allowed together with ttl")
        body: dict[str, Any] = {
            "protocol": v.firewall_protocol(protocol),
            "port": v.check_int("port", port, low=1, high=65535),
            "ttl": v.optional(v.check_int, "ttl", ttl, low=1),
            **ends,
        }
        return await self._one_or_none(
            E.firewalls_add, {"stack_uid": v.check_str("stack_uid", stack_uid)}, body=body
        )


class NotificationsManager(Manager):
    """``client.notifications``: a stack's alert notifications."""

    def list(
        self,
        stack_uid: str,
        *,
        alert_type: str | None = None,
        max_items: int | None = None,
        start_page: int = 1,
    ) -> Paginator[Notification]:
        """Iterate over a stack's notifications, optionally of one ``alert_type``."""
        return self._stack_list(
            E.notifications_list,
            stack_uid,
            params={"alert_type": v.optional(v.check_str, "alert_type", alert_type)},
            max_items=max_items,
            start_page=start_page,
        )

    async def get(self, stack_uid: str, notification_id: int) -> Notification:
        """Return one notification."""
        found: Notification = await self._stack_get(
            E.notifications_get, stack_uid, "notification_id", notification_id
        )
        return found

    async def update(
        self,
        stack_uid: str,
        notification_id: int,
        *,
        channels: Sequence[str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Notification | None:
        """Change a notification's channels (email, ios, hipchat, webhook, slack) or params.

        ``params`` keys are hipchat_token, hipchat_room, slack_url, slack_channel, webhook_url;
        they are sent as the JSON string the blueprint asks for. Returns the notification, or
        ``None`` when the server answers nothing (the blueprint documents no answer).
        """
        if channels is None and params is None:
            raise v.ConfigError("update needs channels or params")
        if channels is not None:
            # An empty list is allowed: it turns every channel off.
            if not isinstance(channels, (list, tuple)):
                raise v.ConfigError(
                    f"channels must be a list of channel names, got {type(channels).__name__}"
                )
            for channel in channels:
                v.check_choice("channels item", channel, v.NOTIFICATION_CHANNELS)
        if params is not None:
            if not isinstance(params, Mapping):
                raise v.ConfigError("params must be a mapping of strings to strings")
            for key, text in params.items():
                v.check_str("params key", key)
                v.check_str(f"params[{key!r}]", text, allow_empty=True)
        body = {
            "channels": list(channels) if channels is not None else None,
            "params": json.dumps(dict(params)) if params is not None else None,
        }
        return await self._one_or_none(
            E.notifications_update,
            {
                "stack_uid": v.check_str("stack_uid", stack_uid),
                "notification_id": v.check_int("notification_id", notification_id, low=1),
            },
            body=body,
        )
