"""Read the vendored API Blueprints: every operation with its parameters and example answer.

The two Cloud 66 blueprints use a small, regular part of API Blueprint 1A, and this reader
understands exactly that part:

* ``# Group Name`` starts a group (a ``#`` heading without ``Group`` is prose);
* ``## Name [/path/{param}]`` starts a resource; ``- Scope: _scope_`` names its OAuth scope;
* ``+ Parameters`` lists ``+ name (required|optional, type, `example`) ... description``;
* ``+ Model (application/json)`` holds ``+ Headers`` and ``+ Body`` (the example answer);
* ``### Title [METHOD]`` is the resource's one action, and its ``+ Response 200`` names the
  resource's model (``[Name][]``).

Five example bodies of the two files are not JSON as written. Each repair is one row of
:data:`BODY_FIXES` (which example, what is wrong, the edit); ``tests/samples/FIXES.md`` explains
them for humans. A repair that is no longer needed, or that does not give JSON, is an error, so
a corrected blueprint cannot go unnoticed. :data:`PATH_FIXES` records the one path whose
placeholder the blueprint forgot to brace.

:func:`blueprint` reads a vendored file once per process; the parsed bodies it shares are
read-only (use :meth:`Operation.example` for a private copy).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from . import _spec

__all__ = [
    "BODY_FIXES",
    "EDITIONS",
    "PATH_FIXES",
    "Blueprint",
    "BlueprintError",
    "BodyFix",
    "Edition",
    "Operation",
    "Parameter",
    "PathFix",
    "blueprint",
    "read_blueprint",
]

Edition = Literal["v3", "early"]

_File = Literal["cloud66-api-v3.apib", "cloud66-api-v3-early.apib"]

#: The two editions: the API v3 (base path ``/api/3``) and its early edition (``/api/v3``).
EDITIONS: Final[tuple[Edition, ...]] = ("v3", "early")
_FILES: Final[dict[Edition, _File]] = {"v3": _spec.V3, "early": _spec.EARLY}


class BlueprintError(Exception):
    """The blueprint does not read the way this reader (or one of its fixes) expects."""


# -- the fixes, as data ----------------------------------------------------------------------


@dataclass(frozen=True)
class BodyFix:
    """One repair of a malformed example body: which example, what is wrong, the edit.

    The edit works on the body with surrounding whitespace stripped: ``drop_end`` must end it
    and is removed, then ``add_start`` and ``add_end`` are put around it.
    """

    edition: Edition
    example: str
    wrong: str
    drop_end: str = ""
    add_start: str = ""
    add_end: str = ""

    @property
    def change(self) -> str:
        """Say in words what the edit does."""
        parts = []
        if self.drop_end:
            parts.append(f"dropped the last `{self.drop_end}`")
        if self.add_start:
            parts.append(f"added `{self.add_start.strip()}` at the start")
        if self.add_end:
            parts.append(f"added `{self.add_end.strip()}` at the end")
        return ", ".join(parts)

    def apply(self, text: str) -> str:
        """Return the repaired body text."""
        body = text.strip()
        if self.drop_end:
            if not body.endswith(self.drop_end):
                raise BlueprintError(
                    f"{self.edition} {self.example!r}: the body no longer ends with "
                    f"{self.drop_end!r}; review BODY_FIXES"
                )
            body = body[: -len(self.drop_end)].rstrip()
        return self.add_start + body + self.add_end


#: The repairs of the blueprints' malformed example bodies (no key, value or nesting changes).
BODY_FIXES: Final[tuple[BodyFix, ...]] = (
    BodyFix(
        "v3",
        "Deployment",
        "one closing brace too many after the object (`} } }`)",
        drop_end="}",
    ),
    BodyFix(
        "v3",
        "Server Settings list",
        "the body ends after the `pagination` object: the outer object is never closed",
        add_end="\n}",
    ),
    BodyFix(
        "v3",
        "Cloud",
        'the body starts with `"response":`: the opening `{` of the outer object is missing '
        "(the closing one is there)",
        add_start="{\n",
    ),
    BodyFix("v3", "User", "one closing brace too many at the end", drop_end="}"),
    BodyFix("early", "User", "the same extra closing brace as the v3 edition", drop_end="}"),
)


@dataclass(frozen=True)
class PathFix:
    """A resource path whose placeholder the blueprint wrote without braces."""

    edition: Edition
    example: str
    written: str
    meant: str
    why: str


PATH_FIXES: Final[tuple[PathFix, ...]] = (
    PathFix(
        "v3",
        "Delete Device",
        "/users/{id}/devices/token",
        "/users/{id}/devices/{token}",
        "its curl example deletes /users/18/devices/wertqy.json and `token` is a documented, "
        "required parameter: the device token is the last path segment",
    ),
)


# -- the parsed form -------------------------------------------------------------------------

_TYPES: Final = ("string", "integer", "number", "boolean")


@dataclass(frozen=True)
class Parameter:
    """One documented parameter: its name, whether it is required, its type and example."""

    name: str
    required: bool
    type: str | None
    example: str | None
    description: str

    @property
    def value(self) -> str | int | float | bool | None:
        """Return the example as a JSON value of the documented type (text when untyped)."""
        text = self.example
        if text is None:
            return None
        if self.type == "integer":
            return int(text)
        if self.type == "number":
            return float(text)
        if self.type == "boolean":
            if text not in ("true", "false"):
                raise BlueprintError(f"parameter {self.name}: {text!r} is not a boolean")
            return text == "true"
        return text


@dataclass(frozen=True)
class Operation:
    """One action of a blueprint, with everything its resource documents.

    ``template`` is the path as written, ``path`` the path meant (see :data:`PATH_FIXES`);
    ``body`` is the example answer parsed (None when the blueprint shows none), shared and
    read-only; ``fix`` is the repair its body needed, if any.
    """

    edition: Edition
    group: str
    name: str
    title: str
    method: str
    template: str
    path: str
    scope: str | None
    parameters: tuple[Parameter, ...]
    status: int
    headers: tuple[tuple[str, str], ...]
    body_text: str | None
    body: Any = field(compare=False, repr=False)
    fix: BodyFix | None = None

    @property
    def path_names(self) -> tuple[str, ...]:
        """The names of the path's placeholders, in order."""
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    @property
    def path_parameters(self) -> tuple[Parameter, ...]:
        """The parameters that fill the path."""
        names = set(self.path_names)
        return tuple(p for p in self.parameters if p.name in names)

    @property
    def other_parameters(self) -> tuple[Parameter, ...]:
        """The parameters that are not part of the path (query string or body)."""
        names = set(self.path_names)
        return tuple(p for p in self.parameters if p.name not in names)

    @property
    def json_text(self) -> str | None:
        """The example body as JSON text: as written, or repaired by :attr:`fix`."""
        if self.body_text is None or self.fix is None:
            return self.body_text
        return self.fix.apply(self.body_text)

    @property
    def paginated(self) -> bool:
        """Whether the example answer is a page of a list (it has a ``pagination`` object)."""
        return isinstance(self.body, dict) and "pagination" in self.body

    @property
    def response(self) -> Any:
        """The example's ``response`` (shared, read-only); None without an example."""
        return self.body.get("response") if isinstance(self.body, dict) else None

    def example(self) -> Any:
        """Return a private deep copy of the example's ``response``."""
        return copy.deepcopy(self.response)

    def example_path(self) -> str:
        """Return :attr:`path` filled with the parameters' documented examples (unquoted)."""
        values = {p.name: p.value for p in self.path_parameters}

        def one(match: re.Match[str]) -> str:
            value = values.get(match[1])
            if value is None:
                raise BlueprintError(f"{self.name}: no example for path parameter {match[1]}")
            return str(value)

        return re.sub(r"\{(\w+)\}", one, self.path)


@dataclass(frozen=True)
class Blueprint:
    """One parsed blueprint: its edition, base path and operations in document order."""

    edition: Edition
    base_path: str
    operations: tuple[Operation, ...]

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations)

    def __len__(self) -> int:
        return len(self.operations)

    def __getitem__(self, name: str) -> Operation:
        """Return the operation of resource ``name`` (KeyError if none)."""
        return self._by_name[name]

    @functools.cached_property
    def _by_name(self) -> dict[str, Operation]:
        return {operation.name: operation for operation in self.operations}

    @property
    def names(self) -> list[str]:
        """The resource names, in document order."""
        return [operation.name for operation in self.operations]


# -- the reader --------------------------------------------------------------------------------

_HOST = re.compile(r"^HOST:\s*(?P<url>\S+)\s*$")
_GROUP = re.compile(r"^#\s+Group\s+(?P<name>.+?)\s*$")
_RESOURCE = re.compile(r"^##\s+(?P<name>[^#\[\n]+?)\s*\[(?P<path>/[^\]]*)\]\s*$")
_ACTION = re.compile(r"^###\s+(?P<title>[^\[\n]+?)\s*\[(?P<method>GET|POST|PUT|PATCH|DELETE)\]\s*$")
_SCOPE = re.compile(r"^\s*-\s*Scope:\s*_(?P<scope>\w+)_")
_SECTION = re.compile(
    r"^\s*\+\s+(?P<kind>Parameters|Model|Headers|Body|Response|Request)\b(?P<rest>.*)$"
)
_PARAMETER = re.compile(
    r"^\s*\+\s+(?P<name>\w+)\s*\((?P<attrs>[^`)]*(?:`[^`]*`)?[^)]*)\)\s*(?:\.\.\.\s*(?P<text>.*))?$"
)
_REFERENCE = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\[\]\s*$")
_HEADER = re.compile(r"^\s*(?P<name>[A-Za-z0-9-]+):\s*(?P<value>.*?)\s*$")


@dataclass
class _Resource:
    group: str
    name: str
    template: str
    scope: str | None = None
    parameters: list[Parameter] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    body_lines: list[str] | None = None
    action: tuple[str, str] | None = None
    status: int | None = None
    reference: str | None = None


def _parameter(match: re.Match[str]) -> Parameter:
    attrs = match["attrs"]
    example_match = re.search(r"`([^`]*)`", attrs)
    words = re.findall(r"[a-z]+", re.sub(r"`[^`]*`", "", attrs).lower())
    if not words or words[0] not in ("required", "optional"):
        raise BlueprintError(f"parameter {match['name']}: no required/optional in ({attrs})")
    kind = next((w for w in words[1:] if w in _TYPES), None)
    return Parameter(
        name=match["name"],
        required=words[0] == "required",
        type=kind,
        example=example_match[1] if example_match else None,
        description=(match["text"] or "").strip(),
    )


def _resources(text: str) -> tuple[str, list[_Resource]]:
    host = ""
    group = ""
    resources: list[_Resource] = []
    current: _Resource | None = None
    section: str | None = None  # Parameters, Headers, Body, Response
    for line in text.splitlines():
        if line.startswith("#"):
            section = None
            if (found := _GROUP.match(line)) is not None:
                group, current = found["name"], None
            elif (found := _RESOURCE.match(line)) is not None:
                current = _Resource(group, found["name"].strip(), found["path"])
                resources.append(current)
            elif (found := _ACTION.match(line)) is not None and current is not None:
                if current.action is not None:
                    raise BlueprintError(f"{current.name}: a second action; one is supported")
                current.action = (found["title"], found["method"])
            elif line.startswith(("# ", "## ")):
                current = None  # prose outside any resource
            continue
        if (found := _HOST.match(line)) is not None:
            host = found["url"]
            continue
        if current is None:
            continue
        if (found := _SECTION.match(line)) is not None:
            section = found["kind"]
            if section == "Body":
                current.body_lines = []
            elif section == "Response":
                current.status = int(found["rest"].split()[0])
            elif section == "Request":
                raise BlueprintError(f"{current.name}: request sections are not supported")
            continue
        if section == "Body" and current.body_lines is not None:
            if line.lstrip().startswith("+ "):
                section = None
            else:
                current.body_lines.append(line)
            continue
        if (found := _SCOPE.match(line)) is not None:
            current.scope = found["scope"]
        elif section == "Parameters" and (found := _PARAMETER.match(line)) is not None:
            current.parameters.append(_parameter(found))
        elif section == "Headers" and (found := _HEADER.match(line)) is not None:
            current.headers.append((found["name"], found["value"]))
        elif section == "Response" and (found := _REFERENCE.match(line)) is not None:
            current.reference = found["name"]
    return host, resources


def _body(
    edition: Edition, name: str, lines: list[str] | None
) -> tuple[str | None, Any, BodyFix | None]:
    text = "\n".join(lines).strip() if lines is not None else ""
    fix = next((f for f in BODY_FIXES if (f.edition, f.example) == (edition, name)), None)
    if not text:
        if fix is not None:
            raise BlueprintError(f"{edition} {name!r}: BODY_FIXES repairs a body it does not have")
        return None, None, None
    if fix is None:
        try:
            return text, json.loads(text), None
        except ValueError as exc:
            raise BlueprintError(
                f"{edition} {name!r}: the example body is not JSON: {exc}"
            ) from None
    try:
        json.loads(text)
    except ValueError:
        pass
    else:
        raise BlueprintError(f"{edition} {name!r}: the body is JSON as written; drop its fix")
    try:
        return text, json.loads(fix.apply(text)), fix
    except ValueError as exc:
        raise BlueprintError(f"{edition} {name!r}: still not JSON after its fix: {exc}") from None


def read_blueprint(text: str, edition: Edition) -> Blueprint:
    """Parse the text of one blueprint (pure: no file is read)."""
    host, resources = _resources(text)
    base_path = "/" + host.split("://", 1)[-1].partition("/")[2].strip("/")
    operations: list[Operation] = []
    for resource in resources:
        if resource.action is None:
            continue  # a heading with a path but no action (the introduction's tables)
        title, method = resource.action
        if resource.status is None:
            raise BlueprintError(f"{resource.name}: the action has no response")
        if resource.reference not in (None, resource.name):
            raise BlueprintError(f"{resource.name}: the response names {resource.reference!r}")
        path = resource.template
        for quirk in PATH_FIXES:
            if (quirk.edition, quirk.example) == (edition, resource.name):
                if resource.template != quirk.written:
                    raise BlueprintError(f"{resource.name}: now written {resource.template}")
                path = quirk.meant
        body_text, body, fix = _body(edition, resource.name, resource.body_lines)
        operations.append(
            Operation(
                edition=edition,
                group=resource.group,
                name=resource.name,
                title=title,
                method=method,
                template=resource.template,
                path=path,
                scope=resource.scope,
                parameters=tuple(resource.parameters),
                status=resource.status,
                headers=tuple(resource.headers),
                body_text=body_text,
                body=body,
                fix=fix,
            )
        )
    names = [operation.name for operation in operations]
    if len(set(names)) != len(names):
        raise BlueprintError(f"{edition}: two resources share a name")
    return Blueprint(edition=edition, base_path=base_path, operations=tuple(operations))


@functools.cache
def blueprint(edition: Edition) -> Blueprint:
    """Return the vendored blueprint of ``edition``, parsed once per process."""
    return read_blueprint(_spec.blueprint_text(_FILES[edition]), edition)
