"""Sphinx configuration of the cloud66_async documentation site.

Build it with ``tox -e docs`` (warnings are errors, every cross-reference must resolve), or by
hand: ``sphinx-build -n -W --keep-going -b html docs docs/_build/html``. The build reads nothing
from the network: no intersphinx (its inventories would be downloaded), so references to other
projects' objects are listed in ``nitpick_ignore_regex`` below instead.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))

import cloud66_async  # noqa: E402  (after the path set-up above, like the extension)

project = "cloud66_async"
author = "cloud66_async developers"
copyright = "cloud66_async developers"
release = cloud66_async.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "cloud66_docs",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "README.md"]
# The changelog page includes the repository's CHANGELOG.md when it exists and is left out
# when it does not; the index's "Project" toctree is a glob of the top-level pages, so it lists
# the changelog (and the example programs' page) exactly when they are there.
if not (ROOT / "CHANGELOG.md").is_file():
    exclude_patterns.append("changelog.md")
# Where links of CHANGELOG.md to repository files (not pages of this site) point.
with (ROOT / "pyproject.toml").open("rb") as _f:
    cloud66_repository_url = tomllib.load(_f)["project"]["urls"]["Homepage"]
# The changelog's heading levels are its own business (it is written for the repository).
suppress_warnings = ["myst.header"]

myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
# Anchors for the headings of every page, so a guide can link to a section of another one:
# [the rate budget](bulk-and-rate-limits.md#the-rate-budget-in-one-process).
myst_heading_anchors = 3

# Every cross-reference must resolve (-n); these are the targets this site cannot document:
# other projects' objects (no intersphinx offline) and the package's private modules, whose
# names appear in a few signatures but which users never import.
nitpicky = True
nitpick_ignore_regex = [
    ("py:.*", r"(aiohttp|multidict|yarl|datetime|enum|types|pathlib|re|collections\.abc)\..*"),
    ("py:.*", r"(Self|TracebackType|Pattern|Mapping|Iterable|AsyncIterable|Awaitable)"),
    ("py:.*", r"(Callable|Sequence|AsyncIterator|AsyncGenerator|Iterator|Generator)"),
    ("py:.*", r"attrs\..*"),
    ("py:.*", r"(.*\.)?_\w+(\.\w+)*"),
    ("py:.*", r"(T|U|I|R)"),
]

autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
autodoc_typehints = "signature"
# Long signatures (a model has a parameter per field) get one parameter per line.
maximum_signature_line_length = 88
autodoc_class_signature = "mixed"
python_use_unqualified_type_names = True
add_module_names = False

html_theme = "furo"
html_title = f"cloud66_async {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
# The site is read from the built folder as well as from a server: search (searchindex.js) and
# every page work from file:// without any network request.
html_copy_source = False
