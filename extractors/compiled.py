"""Which extraction modules run compiled, and the guard that never lets a stale build run.

``setup.py`` compiles the modules in ``COMPILED`` to C extensions with mypyc (the same typed Python source,
no hand-written C): the build puts ``extractors/<layer>/<name>.cpython-311-*.so`` beside ``<name>.py`` and Python
imports the extension first. Two things would make that wrong, and ``select_modules`` (run by
``extractors/__init__.py`` before any other module loads) guards against both:

- a source edited after the build: the extension would run the old code. The build records the SHA-256 of
  every compiled source (``BUILD_STAMP``); when a source no longer matches, every module in ``COMPILED``
  loads from its ``.py`` instead, with a warning that says how to rebuild.
- ``MIRSAD_PURE_PYTHON=1``: load the sources on purpose (profilers that sample Python frames, debugging).

Value classes in the compiled modules are plain classes with an ``__init__``, not dataclasses: mypyc builds a
dataclass through its generated, interpreted ``__init__`` (an argument tuple and dict per object), a plain
class with one direct call. ``values.Value`` gives them a dataclass's equality and ``repr``.

This file itself is never compiled: it must run before anything else in the package.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

# extraction modules compiled by mypyc (setup.py reads this tuple): the per-sentence hot path
# (dotted names under the package: "text.tokens" is extractors/text/tokens.py)
COMPILED = (
    "values", "schemas",
    "text.textnorm", "text.tokens", "text.matcher", "text.segments",
    "mentions.actors", "mentions.persons", "mentions.items", "mentions.quantities", "mentions.dates",
    "mentions.pubdate",
    "facts.context", "facts.transfers", "facts.statements", "facts.events", "facts.pipeline",
)
GROUP = "native"  # mypyc's group: the shared library extractors/native__mypyc.*.so holds the compiled code
BUILD_STAMP = "compiled_from.json"  # written by the build beside the extensions: module -> source SHA-256
PACKAGE_DIR = Path(__file__).resolve().parent


def module_file(name: str, suffix: str = ".py", package_dir: Path = PACKAGE_DIR) -> Path:
    """The file of a dotted module name under the package: ``text.tokens`` -> ``<package_dir>/text/tokens.py``."""
    return package_dir.joinpath(*name.split(".")).with_name(name.rsplit(".", 1)[-1] + suffix)


def source_digest(name: str, package_dir: Path = PACKAGE_DIR) -> str:
    return hashlib.sha256(module_file(name, ".py", package_dir).read_bytes()).hexdigest()


def extension_path(name: str, package_dir: Path = PACKAGE_DIR) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = module_file(name, suffix, package_dir)
        if path.exists():
            return path
    return None


def build_state(package_dir: Path = PACKAGE_DIR) -> tuple[str, list[str]]:
    """('compiled' | 'not_built' | 'stale', the modules whose source changed since the build)."""
    built = [name for name in COMPILED if extension_path(name, package_dir) is not None]
    if not built:
        return "not_built", []
    if len(built) < len(COMPILED):  # a partial build (extensions deleted): compiled and interpreted would mix
        return "stale", [f"{name} (no extension)" for name in COMPILED if name not in built]
    try:
        stamp = json.loads((package_dir / BUILD_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "stale", ["(no build record)"]
    changed = [name for name in COMPILED if stamp.get(name) != source_digest(name, package_dir)]
    return ("stale", changed) if changed else ("compiled", [])


class _SourceFirst:
    """Import finder placed first on ``sys.meta_path``: the ``COMPILED`` modules load from their ``.py``."""

    def __init__(self, package: str, package_dir: Path) -> None:
        self.names = {f"{package}.{name}": module_file(name, ".py", package_dir) for name in COMPILED}

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        source = self.names.get(fullname)
        return None if source is None else importlib.util.spec_from_file_location(fullname, source)


def select_modules(package: str = "extractors", package_dir: Path = PACKAGE_DIR) -> str:
    """Decide, once per process, whether the compiled modules run. Returns what runs: ``compiled (mypyc)``,
    ``pure Python (...)`` with the reason."""
    state, changed = build_state(package_dir)
    if os.environ.get("MIRSAD_PURE_PYTHON", "") not in ("", "0"):
        mode = "pure Python (MIRSAD_PURE_PYTHON is set)"
    elif state == "compiled":
        try:  # built for another interpreter (a mounted host build in a container, say): the sources run
            importlib.import_module(f"{package}.{GROUP}__mypyc")
            return "compiled (mypyc)"
        except ImportError as exc:
            mode = f"pure Python (compiled modules do not load here: {exc})"
            warnings.warn(f"mirsad: {mode}", stacklevel=2)
    elif state == "not_built":
        return "pure Python (not compiled: MIRSAD_COMPILE=0 or no C compiler at install)"
    else:
        mode = f"pure Python (sources changed since the build: {', '.join(changed)}; `make compile` rebuilds)"
        warnings.warn(f"mirsad: compiled extraction modules are out of date; running {mode}", stacklevel=2)
    if state != "not_built" and not any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst(package, package_dir))
    return mode
