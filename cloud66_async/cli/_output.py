"""Rendering results: aligned tables, detail views, JSON documents, and secret masking.

Which columns a list shows is data (:data:`COLUMNS`, one entry per model type); one table
routine and one detail routine render every model. Everything here is pure except
:class:`Output`, which owns the two streams and scrubs secrets from whatever goes through it.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO, cast

import attrs

from .._converter import ModelConverter, make_converter
from ..models import (
    AccessRight,
    Account,
    Action,
    Backup,
    BackupFile,
    Cloud,
    CloudRegion,
    CodeMeaning,
    Container,
    ContainerPort,
    Deployment,
    Device,
    EnvVar,
    EnvVarHistory,
    FirewallRule,
    Notification,
    OperationResult,
    Server,
    ServerGroup,
    ServerSetting,
    ServerSize,
    Service,
    Setting,
    Stack,
    User,
    UserAccount,
)
from ..models.users import AccessLevel

__all__ = [
    "COLUMNS",
    "MASK",
    "Column",
    "Message",
    "Output",
    "action_state",
    "deployment_state",
    "format_table",
    "format_value",
    "mask_secrets",
    "render_detail",
    "render_human",
    "render_json",
    "render_table",
]

MASK = "********"
_HIDDEN = "<hidden>"
_MAX_CELL = 60
_MAX_DETAIL = 200
_WHITESPACE = re.compile(r"\s+")


@attrs.frozen
class Message:
    """A result with no model behind it: ``text`` for people, ``data`` for ``--json``."""

    text: str
    data: Any


@attrs.frozen
class Column:
    """One column of a list table: its ``header`` and how to read the cell from an item.

    ``get`` is an attribute path (``"status"``, ``"outcome.meaning"``) or a function.
    """

    header: str
    get: str | Callable[[Any], object]
    max_width: int = _MAX_CELL

    def value(self, item: object) -> object:
        """Return the raw value of this column for ``item``."""
        if callable(self.get):
            return self.get(item)
        value: object = item
        for name in self.get.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    def cell(self, item: object) -> str:
        """Return the formatted, single-line, width-limited cell for ``item``."""
        return _clip(_one_line(format_value(self.value(item))), self.max_width)


# ------------------------------------------------------------------------------ formatting


def action_state(action: Action) -> str:
    """Say where an action is: ``running``, ``success`` or ``failed``."""
    if action.finished_at is None:
        return "running"
    return "success" if action.finished_success else "failed"


def deployment_state(deployment: Deployment) -> str:
    """Say where a deployment is: ``deploying``, or its outcome (``success``, ``failed``...)."""
    if deployment.is_deploying or deployment.finished_at is None:
        return "deploying"
    outcome = deployment.outcome
    if outcome is None:
        return "finished"
    return outcome.meaning or f"outcome {outcome.code}"


def format_value(value: object) -> str:
    """Format one value for a person: ``-`` for none, ``yes``/``no``, ``YYYY-MM-DD HH:MM:SS``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (CodeMeaning, AccessLevel)):
        if value.meaning:
            return value.meaning
        return "-" if value.code is None else str(value.code)
    if isinstance(value, (tuple, list)):
        if value and all(attrs.has(type(v)) for v in value):
            return f"{len(value)} item{'s' if len(value) != 1 else ''}"
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    if attrs.has(type(value)):
        shown = (
            f"{a.name}={format_value(getattr(value, a.name))}"
            for a in _fields(type(value))
            if getattr(value, a.name) is not None
        )
        return ", ".join(shown)
    return str(value)


def _fields(kind: type) -> tuple[attrs.Attribute[Any], ...]:
    return tuple(attrs.fields(cast(Any, kind)))


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _clip(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(1, width - 3)] + "..."


def _short(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


def _endpoint(ip: str | None, group: int | None, server: int | None) -> str | None:
    if ip:
        return ip
    if group is not None:
        return f"group {group}"
    if server is not None:
        return f"server {server}"
    return None


def _distro(server: Server) -> str | None:
    parts = [p for p in (server.distro, server.distro_version) if p]
    return " ".join(parts) or None


def _size(value: int | None) -> str | None:
    if value is None:
        return None
    size = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return None  # pragma: no cover - the loop always returns


def _count(value: Sequence[object] | None) -> int | None:
    return None if value is None else len(value)


C = Column

#: The columns of each model's list table. A model missing here gets its first fields.
COLUMNS: Mapping[type, tuple[Column, ...]] = {
    Stack: (
        C("UID", "uid"),
        C("NAME", "name", 30),
        C("ENVIRONMENT", "environment"),
        C("STATUS", "status"),
        C("HEALTH", "health"),
        C("LAST ACTIVITY", lambda s: s.last_activity_iso or s.last_activity),
    ),
    Action: (
        C("ID", "id"),
        C("ACTION", "action"),
        C("STATE", action_state),
        C("STARTED", "started_at"),
        C("FINISHED", "finished_at"),
        C("BY", "user", 30),
        C("MESSAGE", "finished_message", 40),
    ),
    Deployment: (
        C("ID", "id"),
        C("STATE", deployment_state),
        C("TYPE", "deploy_type"),
        C("TRIGGERED BY", "triggered_by", 30),
        C("STARTED", "started_at"),
        C("FINISHED", "finished_at"),
        C("GIT", lambda d: _short(d.git_hash, 10)),
        C("LIVE", "is_live"),
    ),
    Service: (
        C("NAME", "name"),
        C("CONTAINERS", lambda s: _count(s.containers)),
    ),
    Container: (
        C("UID", "uid", 64),
        C("SERVICE", "service_name"),
        C("SERVER", "server_name"),
        C("IMAGE", "image", 40),
        C("STARTED", "started_at"),
        C("HEALTH", "health_state"),
    ),
    ContainerPort: (C("CONTAINER", "container"), C("HTTP", "http"), C("HTTPS", "https")),
    EnvVar: (
        C("ID", "id"),
        C("KEY", "key", 40),
        C("VALUE", "value", 50),
        C("READONLY", "readonly"),
        C("PASSWORD", "is_password"),
        C("UPDATED", "updated_at"),
    ),
    EnvVarHistory: (C("VERSION", "key"), C("VALUE", "value"), C("CREATED", "created_at")),
    FirewallRule: (
        C("ID", "id"),
        C("PROTOCOL", "protocol"),
        C("PORT", "port"),
        C("FROM", lambda r: _endpoint(r.from_ip, r.from_group_id, r.from_server_id)),
        C("TO", lambda r: _endpoint(r.to_ip, r.to_group_id, r.to_server_id)),
        C("TYPE", "rule_type"),
        C("CREATED", "created_at"),
    ),
    Notification: (
        C("ID", "id"),
        C("ALERT TYPE", "alert_type", 40),
        C("CHANNELS", "channels"),
        C("UPDATED", "updated_at"),
    ),
    Setting: (
        C("ID", "id", 40),
        C("KEY", "key", 40),
        C("VALUE", "value", 50),
        C("READONLY", "readonly"),
    ),
    ServerSetting: (
        C("ID", "id", 40),
        C("KEY", "key", 40),
        C("VALUE", "value", 50),
        C("READONLY", "readonly"),
    ),
    ServerGroup: (C("ID", "id"), C("NAME", "name"), C("TYPE", "type"), C("CREATED", "created_at")),
    Server: (
        C("UID", "uid"),
        C("NAME", "name"),
        C("ADDRESS", "address"),
        C("ROLES", "server_roles", 40),
        C("DISTRO", _distro),
        C("HEALTH", "health_state"),
    ),
    Cloud: (
        C("NAME", "name"),
        C("DISPLAY NAME", "display_name"),
        C("REGIONS", lambda c: _count(c.regions)),
        C("SERVER SIZES", lambda c: _count(c.server_sizes)),
    ),
    CloudRegion: (C("ID", "id"), C("NAME", "name")),
    ServerSize: (C("ID", "id"), C("NAME", "name")),
    Backup: (
        C("ID", "id"),
        C("DB TYPE", "db_type"),
        C("DATABASE", "database_name", 30),
        C("DATE", "backup_date_iso"),
        C("SIZE", lambda b: _size(b.backup_size)),
        C("STATUS", "backup_status"),
    ),
    BackupFile: (C("ID", "id"), C("NAME", "name")),
    Account: (
        C("ID", "id"),
        C("OWNER", "owner", 40),
        C("STACKS", "stack_count"),
        C("CLOUDS", "used_clouds"),
        C("CREATED", "created_at_iso"),
    ),
    User: (
        C("ID", "id"),
        C("EMAIL", "email", 40),
        C("TIMEZONE", "timezone"),
        C("TFA", "uses_tfa"),
        C("LOCKED", "locked"),
        C("LAST LOGIN", "last_login"),
    ),
    UserAccount: (
        C("ACCOUNT", "account"),
        C("ROLE", "role"),
        C("CREATE STACKS", "can_create_stack"),
        C("ADMIN USERS", "can_admin_users"),
    ),
    AccessRight: (C("STACK", "stack"), C("ACCESS", "access_level")),
    Device: (
        C("TOKEN", "token", 40),
        C("TYPE", "device_type"),
        C("SUB TYPE", "sub_type"),
        C("ENABLED", "enabled"),
        C("UPDATED", lambda d: d.updated_at_iso or d.updated_at),
    ),
    OperationResult: (C("OK", "ok"), C("MESSAGE", "message")),
}

#: Derived rows shown first in a model's detail view.
_DETAIL_EXTRAS: Mapping[type, tuple[Column, ...]] = {
    Action: (C("state", action_state),),
    Deployment: (C("state", deployment_state),),
}


def columns_for(kind: type) -> tuple[Column, ...]:
    """Return the table columns for a model type (its first six fields when not listed)."""
    found = COLUMNS.get(kind)
    if found is not None:
        return found
    if attrs.has(kind):
        return tuple(C(a.name.upper(), a.name) for a in _fields(kind)[:6])
    return (C("VALUE", lambda v: v),)


# ------------------------------------------------------------------------------ rendering


def format_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Lay out ``rows`` under ``headers`` in left-aligned columns two spaces apart."""
    body = [list(row) for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [list(headers), *body]:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def render_table(items: Sequence[object]) -> str:
    """Render a list of models as a table (``(none)`` when empty)."""
    if not items:
        return "(none)"
    cols = columns_for(type(items[0]))
    return format_table([c.header for c in cols], ([c.cell(i) for c in cols] for i in items))


def _detail_value(value: object) -> str:
    text = format_value(value)
    if isinstance(value, dict) and len(text) > _MAX_DETAIL:
        return f"{{...{len(value)} keys; see --json}}"
    return text


def render_detail(item: object) -> str:
    """Render one model as ``field: value`` lines, then a table for each list of sub-models."""
    kind = type(item)
    rows: list[tuple[str, str]] = [(c.header, c.cell(item)) for c in _DETAIL_EXTRAS.get(kind, ())]
    sections: list[str] = []
    for field in _fields(kind):
        value = getattr(item, field.name)
        if isinstance(value, tuple) and value and all(attrs.has(type(v)) for v in value):
            rows.append((field.name, f"{len(value)} (below)"))
            sections.append(f"{field.name}:\n" + _indent(render_table(value)))
        elif attrs.has(type(value)) and type(value) in COLUMNS:
            rows.append((field.name, "(below)"))
            sections.append(f"{field.name}:\n" + _indent(render_detail(value)))
        else:
            rows.append((field.name, _detail_value(value)))
    width = max(len(name) for name, _ in rows) + 1
    text = "\n".join(f"{(name + ':').ljust(width)}  {value}".rstrip() for name, value in rows)
    return "\n\n".join([text, *sections])


def _indent(text: str) -> str:
    return "\n".join(("  " + line).rstrip() for line in text.splitlines())


def render_human(value: object) -> str:
    """Render any command result for a person."""
    if isinstance(value, Message):
        return value.text
    if isinstance(value, (list, tuple)):
        return render_table(value)
    if attrs.has(type(value)):
        return render_detail(value)
    return format_value(value)


def render_json(value: object, converter: ModelConverter) -> str:
    """Render any command result as one JSON document (models through the SDK's converter)."""
    data = value.data if isinstance(value, Message) else converter.unstructure(value)
    return json.dumps(data, indent=2, ensure_ascii=False)


def mask_secrets(value: Any) -> Any:
    """Return ``value`` with the values of password environment variables replaced by a mask.

    Works on an :class:`EnvVar`, a list of them, or anything else (returned unchanged).
    """
    if isinstance(value, EnvVar):
        if not value.is_password:
            return value
        history = value.history
        if history is not None:
            history = tuple(h if h.value is None else attrs.evolve(h, value=MASK) for h in history)
        return attrs.evolve(value, value=None if value.value is None else MASK, history=history)
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


# ------------------------------------------------------------------------------ the streams


class Output:
    """The command's two streams: results on ``stdout``, errors and notes on ``stderr``.

    Every write is scrubbed of the registered secrets (the API token), so no code path can
    print one by accident.
    """

    def __init__(self, stdout: TextIO, stderr: TextIO, *, json_mode: bool = False) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json_mode = json_mode
        self.converter = make_converter()
        self._secrets: list[str] = []

    def add_secret(self, secret: str | None) -> None:
        """Never show ``secret`` (ignored when too short to be told apart from text)."""
        if secret and len(secret) >= 6 and secret not in self._secrets:
            self._secrets.append(secret)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every registered secret replaced by ``<hidden>``."""
        for secret in self._secrets:
            text = text.replace(secret, _HIDDEN)
        return text

    def result(self, value: object, *, show_passwords: bool = False) -> None:
        """Print a command's result: a table or detail view, or one JSON document."""
        shown = value if show_passwords else mask_secrets(value)
        if self.json_mode:
            self.line(render_json(shown, self.converter))
        else:
            self.line(render_human(shown))

    def line(self, text: str = "") -> None:
        """Print ``text`` and a newline on stdout."""
        self.stdout.write(self.scrub(text) + "\n")
        self.stdout.flush()

    def note(self, text: str) -> None:
        """Print a line for the user on stderr (never mixed into results)."""
        self.stderr.write(self.scrub(text) + "\n")
        self.stderr.flush()

    def error(self, message: str) -> None:
        """Print ``error: <message>`` as one line on stderr."""
        self.note("error: " + _one_line(message))
