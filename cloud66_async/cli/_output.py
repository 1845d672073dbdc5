"""Rendering results: rich tables and detail views, JSON documents, ids, and secret masking.

Which columns a list shows is data (:data:`COLUMNS`, one entry per model type); one table
routine and one detail routine render every model. Code fields are shown by name (health
``ok``, backup status ``failed``) and each timestamp once (the ``*_iso`` one when the API sends
both), with its time zone. :class:`Output` owns the two streams, scrubs secrets from whatever goes
through them, and draws with rich: colour only on a terminal and never with ``NO_COLOR``; plain
text (no escape codes) anywhere else.
"""

from __future__ import annotations

import enum
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any, TextIO, cast

import attrs
import cattrs
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..models import (
    AccessLevel,
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
    RedeployResult,
    Server,
    ServerGroup,
    ServerSetting,
    ServerSize,
    Service,
    Setting,
    Stack,
    StackHealth,
    User,
    UserAccount,
)

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
    "ids_of",
    "is_terminal",
    "make_console",
    "mask_secrets",
    "printable",
    "render_detail",
    "render_human",
    "render_json",
    "render_table",
    "to_text",
]

MASK = "********"
_HIDDEN = "<hidden>"
_MAX_CELL = 60
_MAX_DETAIL = 200
_WHITESPACE = re.compile(r"\s+")
#: Control characters (C0 but newline and tab, DEL, C1): from the server, they could drive the
#: terminal (move the cursor, set the title, clear the screen), so they are never printed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Wide enough that a table written to a pipe or a file never wraps or clips a row.
_PLAIN_WIDTH = 10_000
#: A terminal reporting fewer columns than this is taken to be misreporting (some report 0).
_MIN_WIDTH = 20
_FALLBACK_WIDTH = 80


@attrs.frozen
class Message:
    """A result with no model behind it: ``text`` for people, ``data`` for ``--json``.

    ``ids`` is what ``-q/--quiet`` prints, one per line (nothing when empty).
    """

    text: str
    data: Any
    ids: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ code names

#: Backup, restore and verify status codes, as the official toolbelt names them.
BACKUP_STATUS: Mapping[int, str] = {0: "ok", 1: "failed"}
RESTORE_STATUS: Mapping[int, str] = {
    0: "not restored",
    1: "restoring",
    2: "restored",
    3: "failed",
}
VERIFY_STATUS: Mapping[int, str] = {
    0: "not verified",
    1: "verifying",
    2: "verified",
    3: "failed",
    4: "unable to verify",
}


#: Device codes, as the Device model documents them.
DEVICE_TYPE: Mapping[int, str] = {1: "ios", 2: "android"}
DEVICE_SUB_TYPE: Mapping[int, str] = {1: "iphone", 2: "ipad", 3: "ipod"}


def _named(names: Mapping[int, str]) -> Callable[[object], object]:
    def name(code: object) -> object:
        if isinstance(code, int) and not isinstance(code, bool):
            return names.get(code, f"code {code}")
        return code

    return name


def _health(code: object) -> object:
    """Servers and containers use the stacks' health codes (the blueprint's ``HLT_*``)."""
    if isinstance(code, int) and not isinstance(code, bool):
        return StackHealth(code)
    return code


#: Fields holding a bare code, and how to turn it into a name.
_CODE_FIELDS: Mapping[tuple[type, str], Callable[[object], object]] = {
    (Server, "health_state"): _health,
    (Container, "health_state"): _health,
    (Backup, "backup_status"): _named(BACKUP_STATUS),
    (Backup, "restore_status"): _named(RESTORE_STATUS),
    (Backup, "verify_status"): _named(VERIFY_STATUS),
    (Device, "device_type"): _named(DEVICE_TYPE),
    (Device, "sub_type"): _named(DEVICE_SUB_TYPE),
}

#: Words that get a colour on a terminal, wherever a state, status or health is shown.
_STYLES: Mapping[str, str] = {
    "success": "green",
    "ok": "green",
    "verified": "green",
    "restored": "green",
    "failed": "red",
    "broken": "red",
    "terminal_failure": "red",
    "running": "yellow",
    "deploying": "yellow",
    "building": "yellow",
    "partial": "yellow",
    "queued": "yellow",
    "analysing": "yellow",
    "queued_for_deploying": "yellow",
}


def style_for(text: str) -> str | None:
    """Return the colour of a state word (``success`` green, ``failed`` red...), if it has one."""
    return _STYLES.get(text)


@attrs.frozen
class Column:
    """One column of a list table: its ``header`` and how to read the cell from an item.

    ``get`` is an attribute path (``"status"``, ``"outcome.meaning"``) or a function; ``styled``
    colours state words.
    """

    header: str
    get: str | Callable[[Any], object]
    max_width: int = _MAX_CELL
    styled: bool = False

    def value(self, item: object) -> object:
        """Return the raw value of this column for ``item`` (codes turned into names)."""
        if callable(self.get):
            return self.get(item)
        value: object = item
        for name in self.get.split("."):
            owner = value
            value = getattr(value, name, None)
            if value is None:
                return None
            named = _CODE_FIELDS.get((type(owner), name))
            if named is not None:
                value = named(value)
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


def format_time(value: datetime) -> str:
    """Format a timestamp to the second with its zone: ``2024-05-06 07:08:09 UTC``."""
    if value.tzinfo is None or value.utcoffset() == UTC.utcoffset(None):
        return value.strftime("%Y-%m-%d %H:%M:%S") + " UTC"
    return value.strftime("%Y-%m-%d %H:%M:%S %z")


def format_value(value: object) -> str:
    """Format one value for a person: ``-`` for none, ``yes``/``no``, times with their zone."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, datetime):
        return format_time(value)
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
            f"{name}={format_value(shown_value)}"
            for name, shown_value in _shown_fields(value)
            if shown_value is not None
        )
        return ", ".join(shown)
    return str(value)


def _fields(kind: type) -> tuple[attrs.Attribute[Any], ...]:
    return tuple(attrs.fields(cast(Any, kind)))


def _shown_fields(item: object) -> list[tuple[str, object]]:
    """The fields a person sees: codes named, one row per timestamp (``x_iso`` preferred)."""
    kind = type(item)
    names = {a.name for a in _fields(kind)}
    shown: list[tuple[str, object]] = []
    for field in _fields(kind):
        name = field.name
        value = getattr(item, name)
        if name.endswith("_iso"):
            base = name[: -len("_iso")]
            if base in names:
                continue  # shown in the base field's row
            name = base
        elif f"{name}_iso" in names:
            iso = getattr(item, f"{name}_iso")
            value = iso if iso is not None else value
        named = _CODE_FIELDS.get((kind, field.name))
        if named is not None and value is not None:
            value = named(value)
        shown.append((name, value))
    return shown


def printable(text: str) -> str:
    """Return ``text`` without control characters (newlines and tabs kept)."""
    return _CONTROL.sub("", text)


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", printable(text)).strip()


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
        C("STATUS", "status", styled=True),
        C("HEALTH", "health", styled=True),
        C("LAST ACTIVITY", lambda s: s.last_activity_iso or s.last_activity),
    ),
    Action: (
        C("ID", "id"),
        C("ACTION", "action"),
        C("STATE", action_state, styled=True),
        C("STARTED", "started_at"),
        C("FINISHED", "finished_at"),
        C("BY", "user", 30),
        C("MESSAGE", "finished_message", 40),
    ),
    Deployment: (
        C("ID", "id"),
        C("STATE", deployment_state, styled=True),
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
        C("HEALTH", "health_state", styled=True),
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
        C("HEALTH", "health_state", styled=True),
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
        C("STATUS", "backup_status", styled=True),
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
    Action: (C("state", action_state, styled=True),),
    Deployment: (C("state", deployment_state, styled=True),),
}

#: Detail rows whose value gets a state colour.
_STYLED_ROWS = frozenset({"state", "status", "health", "health_state", "backup_status"})


def columns_for(kind: type) -> tuple[Column, ...]:
    """Return the table columns for a model type (its first six fields when not listed)."""
    found = COLUMNS.get(kind)
    if found is not None:
        return found
    if attrs.has(kind):
        return tuple(C(a.name.upper(), a.name) for a in _fields(kind)[:6])
    return (C("VALUE", lambda v: v),)


# ------------------------------------------------------------------------------ quiet mode

#: The attribute ``-q/--quiet`` prints for each model, first found wins.
_ID_FIELDS = ("uid", "id", "name", "token", "key")


def ids_of(value: object) -> list[str]:
    """Return what ``-q/--quiet`` prints for a result: the ids of its items, one per line."""
    if isinstance(value, Message):
        return list(value.ids)
    if isinstance(value, (list, tuple)):
        return [i for item in value for i in ids_of(item)]
    if isinstance(value, RedeployResult):
        if value.deployment is not None:
            return ids_of(value.deployment)
        return [] if value.async_action_id is None else [str(value.async_action_id)]
    if attrs.has(type(value)):
        names = {a.name for a in _fields(type(value))}
        for name in _ID_FIELDS:
            if name in names and getattr(value, name) is not None:
                return [str(getattr(value, name))]
    return []


# ------------------------------------------------------------------------------ rendering


def _cell(text: str, styled: bool) -> Text:
    # Text, never markup: a "[red]" in a stack name stays literal; control codes are dropped.
    text = printable(text)
    return Text(text, style=(style_for(text) or "") if styled else "")


def format_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    """Lay out ``rows`` under ``headers``: left-aligned columns two spaces apart, no borders."""
    table = Table(
        box=None,
        pad_edge=False,
        padding=(0, 1),
        show_edge=False,
        header_style="bold",
        expand=False,
    )
    for header in headers:
        table.add_column(header, no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*(Text(printable(c)) for c in row))
    return table


def table_of(items: Sequence[object]) -> RenderableType:
    """A list of models as a rich table (``(none)`` when empty)."""
    if not items:
        return Text("(none)")
    cols = columns_for(type(items[0]))
    table = format_table([c.header for c in cols], [])
    for item in items:
        table.add_row(*(_cell(c.cell(item), c.styled) for c in cols))
    return table


def _detail_value(value: object) -> str:
    text = format_value(value)
    if isinstance(value, dict) and len(text) > _MAX_DETAIL:
        return f"{{...{len(value)} keys; see --json}}"
    return text


def detail_of(item: object) -> RenderableType:
    """One model as ``field: value`` rows, then a table for each list of sub-models."""
    kind = type(item)
    rows: list[tuple[str, str, bool]] = [
        (c.header, c.cell(item), c.styled) for c in _DETAIL_EXTRAS.get(kind, ())
    ]
    sections: list[RenderableType] = []
    for name, value in _shown_fields(item):
        if isinstance(value, tuple) and value and all(attrs.has(type(v)) for v in value):
            rows.append((name, f"{len(value)} (below)", False))
            sections.append(_section(name, table_of(value)))
        elif attrs.has(type(value)) and type(value) in COLUMNS:
            rows.append((name, "(below)", False))
            sections.append(_section(name, detail_of(value)))
        else:
            rows.append((name, _detail_value(value), name in _STYLED_ROWS))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for name, text, styled in rows:
        grid.add_row(Text(name + ":"), _cell(text, styled))
    if not sections:
        return grid
    parts: list[RenderableType] = [grid]
    for section in sections:
        parts.extend((Text(""), section))
    return Group(*parts)


def _section(title: str, body: RenderableType) -> RenderableType:
    return Group(Text(title + ":"), Padding(body, (0, 0, 0, 2)))


def render_human(value: object) -> RenderableType:
    """Render any command result for a person."""
    if isinstance(value, Message):
        return Text(printable(value.text))
    if isinstance(value, (list, tuple)):
        return table_of(value)
    if attrs.has(type(value)):
        return detail_of(value)
    return Text(format_value(value))


def to_text(renderable: RenderableType, width: int = _PLAIN_WIDTH) -> str:
    """Render to plain text (no colour, no escape codes), trailing spaces removed."""
    console = Console(
        width=width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        markup=False,
        no_color=True,
    )
    with console.capture() as captured:
        console.print(renderable)
    return "\n".join(line.rstrip() for line in captured.get().rstrip("\n").splitlines())


def render_table(items: Sequence[object]) -> str:
    """Render a list of models as a plain-text table (``(none)`` when empty)."""
    return to_text(table_of(items))


def render_detail(item: object) -> str:
    """Render one model as plain-text ``field: value`` lines and sub-tables."""
    return to_text(detail_of(item))


def _datetime_to_json(value: datetime) -> str:
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


def json_converter() -> cattrs.Converter:
    """The converter that turns models into ``--json`` data (timestamps ISO 8601 with ``Z``,
    enums their integer code, tuples lists), the same encoding as the SDK's own."""
    converter = cattrs.Converter(unstruct_collection_overrides={tuple: list})
    converter.register_unstructure_hook(datetime, _datetime_to_json)
    return converter


def render_json(value: object, converter: cattrs.Converter) -> str:
    """Render any command result as one JSON document."""
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


def is_terminal(stream: object) -> bool:
    """Tell whether ``stream`` is an open terminal."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (OSError, ValueError):  # a closed file
        return False


class _Scrubbed:
    """A text stream that replaces every registered secret before writing (rich writes here)."""

    def __init__(self, stream: TextIO, output: Output) -> None:
        self._stream = stream
        self._output = output

    def write(self, text: str) -> int:
        self._stream.write(self._output.scrub(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return is_terminal(self._stream)

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", None) or "utf-8"


def make_console(stream: IO[str], *, environ: Mapping[str, str] | None = None) -> Console:
    """A rich console on ``stream``: colour on a terminal unless ``NO_COLOR`` is set; plain text
    (no escape codes, rows never wrapped) when ``stream`` is not a terminal."""
    env = os.environ if environ is None else environ
    terminal = is_terminal(stream)
    no_color = bool(env.get("NO_COLOR"))
    if not terminal:
        return Console(
            file=stream,
            width=_PLAIN_WIDTH,
            force_terminal=False,
            color_system=None,
            highlight=False,
            emoji=False,
            markup=False,
            no_color=True,
            soft_wrap=False,
        )
    console = Console(
        file=stream,
        force_terminal=True,
        color_system=None if no_color else "auto",
        no_color=no_color,
        highlight=False,
        emoji=False,
        markup=False,
    )
    if console.width < _MIN_WIDTH:  # a terminal that reports 0 (or nearly) columns
        console.width = _FALLBACK_WIDTH
    return console


class Output:
    """The command's two streams: results on ``stdout``, errors and notes on ``stderr``.

    Every write is scrubbed of the registered secrets (the API token), so no code path can
    print one by accident. ``json_mode`` prints one JSON document per result; ``quiet`` prints
    only ids, one per line.
    """

    def __init__(
        self,
        stdout: TextIO,
        stderr: TextIO,
        *,
        json_mode: bool = False,
        quiet: bool = False,
    ) -> None:
        self._secrets: list[str] = []
        self.stdout = cast(TextIO, _Scrubbed(stdout, self))
        self.stderr = cast(TextIO, _Scrubbed(stderr, self))
        self.json_mode = json_mode
        self.quiet = quiet
        self.converter = json_converter()
        self.console = make_console(self.stdout)
        self.err_console = make_console(self.stderr)

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
        """Print a command's result: a table or detail view, its ids, or one JSON document."""
        shown = value if show_passwords else mask_secrets(value)
        if self.json_mode:
            self.line(render_json(shown, self.converter))
        elif self.quiet:
            for ident in ids_of(shown):
                self.line(_one_line(ident))
        else:
            self.show(render_human(shown))

    def show(self, renderable: RenderableType) -> None:
        """Draw a rich renderable on stdout (plain text when stdout is not a terminal)."""
        with self.console.capture() as captured:
            self.console.print(renderable)
        text = captured.get()
        if not self.console.is_terminal:
            text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
        self.stdout.write(text)
        self.stdout.flush()

    def line(self, text: str = "") -> None:
        """Print ``text`` and a newline on stdout, as is."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def note(self, text: str, *, style: str | None = None) -> None:
        """Print a line for the user on stderr (never mixed into results)."""
        text = printable(text)
        if style and self.err_console.is_terminal:
            self.err_console.print(Text(text, style=style), soft_wrap=True)
        else:
            self.stderr.write(text + "\n")
        self.stderr.flush()

    def error(self, message: str, details: Sequence[str] = ()) -> None:
        """Print ``error: <message>`` as one line on stderr, then any ``details`` lines."""
        line = "error: " + _one_line(message)
        if self.err_console.is_terminal:
            self.err_console.print(
                Text.assemble(("error:", "bold red"), line[len("error:") :]), soft_wrap=True
            )
        else:
            self.stderr.write(line + "\n")
        for detail in details:
            self.stderr.write(printable(detail) + "\n")
        self.stderr.flush()
