"""Sphinx extension of the cloud66_async site: pages drawn from the code, and a coverage check.

Directives (each renders what the code says, so the page cannot drift from it):

- ``c66-exception-tree``: the exception tree drawn in ``cloud66_async._exceptions``' docstring
  (the one drawing; ``tests/test_docstrings.py`` checks it against the real class hierarchy).
- ``c66-scopes``: every SDK call with its HTTP method, path and the token scope it needs, from
  the endpoint table the resource managers use.
- ``c66-cli-commands``: every ``cloud66-async`` command with its scope, from the command table
  the command line is built from.

The check: once every page is read, every name in ``__all__`` of ``cloud66_async``,
``cloud66_async.models`` and ``cloud66_async.testing``, every public method of those classes and
every method of the resource managers reachable from :class:`cloud66_async.Client` must have
been documented on some reference page; a missing one is a warning, which ``-W`` makes an error.
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

PUBLIC_MODULES = ("cloud66_async", "cloud66_async.models", "cloud66_async.testing")
MANAGERS_MODULE = "cloud66_async.resources"


# -- what must be documented ---------------------------------------------------------------


def _own_members(cls: type) -> Iterator[str]:
    """Yield the public methods and properties ``cls`` defines itself (not inherited)."""
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod, property)) or inspect.isfunction(value):
            yield name


def manager_classes() -> dict[str, type]:
    """Return the resource manager classes ``Client`` exposes, by attribute name."""
    from cloud66_async import Client

    resources = importlib.import_module(MANAGERS_MODULE)
    # The annotations name the managers only under TYPE_CHECKING: resolve them with the names
    # of the resources package (each imported on first use, by getattr).
    names = {name: getattr(resources, name) for name in resources.__all__}
    hints = typing.get_type_hints(Client, localns=names)
    return {name: hint for name, hint in hints.items() if inspect.isclass(hint)}


def expected_objects() -> dict[str, str]:
    """Return every fully qualified name the reference must document, with what it is."""
    expected: dict[str, str] = {}
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            full = f"{modname}.{name}"
            expected[full] = "public name"
            if inspect.isclass(obj) and obj.__module__.startswith("cloud66_async"):
                for member in _own_members(obj):
                    expected[f"{full}.{member}"] = f"public member of {full}"
    for attr, cls in manager_classes().items():
        full = f"{MANAGERS_MODULE}.{cls.__name__}"
        expected[full] = f"the manager of Client.{attr}"
        for member in _own_members(cls):
            expected[f"{full}.{member}"] = f"method of Client.{attr}"
    return expected


def _check_coverage(app: Sphinx, env: Any) -> None:
    documented = set(env.get_domain("py").objects)
    for full, what in expected_objects().items():
        if full not in documented:
            logger.warning(
                "%s (%s) is not documented on any reference page: add it to docs/reference/",
                full,
                what,
                type="cloud66",
                subtype="coverage",
            )


def _tidy_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None] | None:
    """Tidy a signature: hide underscore parameters (test seams such as ``_env``), and show an
    attrs class's defaults as values (its generated ``__init__`` spells them
    ``attr_dict['name'].default``, which ``autodoc_preserve_defaults`` would print)."""
    if not signature:
        return None
    tidy = signature
    if inspect.isclass(obj) and attrs.has(obj):
        fields = attrs.fields_dict(obj)

        def value(match: re.Match[str]) -> str:
            default = fields[match.group(1)].default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                return f"{getattr(default.factory, '__name__', 'factory')}()"
            return repr(default)

        tidy = re.sub(r"attr_dict\['(\w+)'\]\.default", value, tidy)
        # A field with a factory has the sentinel NOTHING as its default in the signature.
        tidy = re.sub(
            r"\b(\w+)(: [^=]*)= NOTHING\b",
            lambda m: f"{m.group(1)}{m.group(2)}= {value(m)}" if m.group(1) in fields else m[0],
            tidy,
        )
    params = _split_params(tidy[1:-1])
    kept = [p for p in params if not re.match(r"\s*\*{0,2}_\w", p)]
    if len(kept) != len(params):
        tidy = "(" + ", ".join(p.strip() for p in kept) + ")"
    if tidy == signature:
        return None
    return tidy, return_annotation


def _drop_type_docstrings(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Drop a data value's docstring when it is only its type's (``tuple``'s, for a tuple).

    autodoc finds a module constant's ``#:`` comment only in the module that defines it, not in
    the public module that re-exports it; the reference page writes the description instead.
    """
    own_type_doc = (inspect.getdoc(type(obj)) or "").strip()
    if what == "data" and own_type_doc and "\n".join(lines).strip() == own_type_doc:
        lines.clear()


def _split_params(text: str) -> list[str]:
    """Split a signature's parameter list on its top-level commas."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:])
    return parts


# -- directives ------------------------------------------------------------------------------


def exception_tree() -> str:
    """Return the tree drawn in ``cloud66_async._exceptions``' docstring, dedented."""
    doc = importlib.import_module("cloud66_async._exceptions").__doc__ or ""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("::")) + 1
    block: list[str] = []
    for line in lines[start:]:
        if line.strip() and not line.startswith(" "):
            break
        block.append(line)
    return textwrap.dedent("\n".join(block)).strip("\n")


class ExceptionTree(SphinxDirective):
    """Draw the exception tree of ``_exceptions``' docstring as a literal block."""

    def run(self) -> list[nodes.Node]:
        tree = exception_tree()
        return [nodes.literal_block(tree, tree, language="text")]


class Scopes(SphinxDirective):
    """Render every SDK call with its method, path and token scope as a table."""

    def run(self) -> list[nodes.Node]:
        endpoints = importlib.import_module(f"{MANAGERS_MODULE}._endpoints").ENDPOINTS
        managers = manager_classes()
        rows = ["| call | request | scope |", "|---|---|---|"]
        for key, endpoint in endpoints.items():
            group, operation = key.split(".")
            cls = managers[group]
            target = f"{MANAGERS_MODULE}.{cls.__name__}.{operation}"
            path = endpoint.path.replace("{", "\\{").replace("}", "\\}")
            rows.append(
                f"| {{meth}}`client.{group}.{operation} <{target}>` "
                f"| `{endpoint.method}` {path} | `{endpoint.scope}` |"
            )
        return self.parse_text_to_nodes("\n".join(rows))


class CliCommands(SphinxDirective):
    """Render every ``cloud66-async`` command, its scope and whether it confirms, as a table."""

    def run(self) -> list[nodes.Node]:
        commands = importlib.import_module("cloud66_async.cli._commands").COMMANDS
        rows = [
            "| command | what it does | scope | waits | asks on production |",
            "|---|---|---|---|---|",
        ]
        for command in commands:
            waits = {"no": "", "flag": "`--wait`", "always": "always"}[command.wait]
            scope = f"`{command.scope}`" if command.scope else "none"
            writes = "yes" if command.writes else ""
            rows.append(
                f"| `{command.words}` | {_escape(command.help)} | {scope} | {waits} | {writes} |"
            )
        return self.parse_text_to_nodes("\n".join(rows))


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


class ClientManagers(SphinxDirective):
    """Document ``Client``'s manager attributes (``client.stacks``...), one per API group."""

    def run(self) -> list[nodes.Node]:
        text = []
        for attr, cls in manager_classes().items():
            summary = (inspect.getdoc(cls) or "").splitlines()[0]
            text += [
                f".. py:attribute:: Client.{attr}",
                f"   :type: {MANAGERS_MODULE}.{cls.__name__}",
                "",
                f"   {summary}",
                "",
            ]
        return self.parse_text_to_nodes("\n".join(text))


def _resolve_unqualified(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a docstring's bare ``:class:`Client``` to the one public object of that name.

    Docstrings name their neighbours without the module (``:class:`ActionFailedError``` in a
    manager's docstring); Sphinx looks only in the current module, so this tries the public
    modules (and the managers' module) and resolves when exactly one of them has the name.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    if target.startswith("cloud66_async."):
        return None
    domain = env.get_domain("py")
    found = [
        f"{module}.{target}"
        for module in (*PUBLIC_MODULES, MANAGERS_MODULE)
        if f"{module}.{target}" in domain.objects
    ]
    if len(found) != 1:
        return None
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], found[0], node, contnode
    )


_MD_LINK = re.compile(r"(\]\()([^)\s#]+)((?:#[^)\s]*)?\))")


def _changelog_as_page(
    app: Sphinx, relative_path: Any, parent_docname: str, content: list[str]
) -> None:
    """Make the included CHANGELOG.md a page whatever it says.

    It is written for the repository, not for the site: a link to a repository file (the
    README, a test) becomes a link to that file in the repository, since the site has no page
    for it (links into ``docs/`` stay pages); and a title is added when it has none.
    """
    if Path(str(relative_path)).name != "CHANGELOG.md":
        return
    repository = app.config.cloud66_repository_url.rstrip("/")

    def link(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("docs/", "/")):
            return match.group(0)
        return f"{match.group(1)}{repository}/blob/main/{target}{match.group(3)}"

    text = _MD_LINK.sub(link, content[0])
    if not re.match(r"\s*# ", text):
        text = "# Changelog\n\n" + text
    content[0] = text


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives and the coverage check."""
    app.add_directive("c66-exception-tree", ExceptionTree)
    app.add_directive("c66-scopes", Scopes)
    app.add_directive("c66-cli-commands", CliCommands)
    app.add_directive("c66-client-managers", ClientManagers)
    app.connect("missing-reference", _resolve_unqualified)
    app.connect("include-read", _changelog_as_page)
    app.add_config_value("cloud66_repository_url", "", "env", types=frozenset({str}))
    app.connect("autodoc-process-signature", _tidy_signature)
    app.connect("autodoc-process-docstring", _drop_type_docstrings)
    app.connect("env-check-consistency", _check_coverage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
