"""The compiled extraction modules (mypyc, see extractors/compiled.py): the build guard and identical results.

What a user relies on: the compiled build gives exactly the rows the Python sources give, an edited source is
never shadowed by an extension built from an older one, and MIRSAD_PURE_PYTHON=1 runs the sources.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import extractors
from extractors import compiled

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "extractors"
IS_COMPILED = extractors.RUNTIME.startswith("compiled")
needs_build = pytest.mark.skipif(
    compiled.build_state()[0] != "compiled",
    reason=f"the extraction modules do not run compiled here: {extractors.RUNTIME}")


def _fake_package(tmp_path: Path, *, extensions: bool, stamp: bool) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir(parents=True)
    suffix = compiled.importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in compiled.COMPILED:
        source = compiled.module_file(name, ".py", pkg)
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"NAME = {name!r}\n", encoding="utf-8")
        if extensions:
            compiled.module_file(name, suffix, pkg).write_bytes(b"\x7fELF")
    if stamp:
        digests = {name: compiled.source_digest(name, pkg) for name in compiled.COMPILED}
        (pkg / compiled.BUILD_STAMP).write_text(json.dumps(digests), encoding="utf-8")
    return pkg


def test_build_state_follows_the_sources(tmp_path: Path) -> None:
    assert compiled.build_state(_fake_package(tmp_path / "a", extensions=False, stamp=False)) == ("not_built", [])
    pkg = _fake_package(tmp_path / "b", extensions=True, stamp=True)
    assert compiled.build_state(pkg) == ("compiled", [])
    (pkg / "mentions" / "dates.py").write_text("NAME = 'edited'\n", encoding="utf-8")
    assert compiled.build_state(pkg) == ("stale", ["mentions.dates"])
    # extensions without a record of what they were built from (a partial or foreign build) are not trusted
    assert compiled.build_state(_fake_package(tmp_path / "c", extensions=True, stamp=False))[0] == "stale"
    # some extensions deleted (a checkout that removed build products): never a mix of compiled and interpreted
    pkg = _fake_package(tmp_path / "d", extensions=True, stamp=True)
    compiled.extension_path("text.tokens", pkg).unlink()
    assert compiled.build_state(pkg) == ("stale", ["text.tokens (no extension)"])


def _runtime_of(pythonpath: Path, **env: str) -> dict:
    code = ("import json, warnings, extractors, extractors.text.tokens as t, extractors.facts.pipeline as p\n"
            "print(json.dumps({'runtime': extractors.RUNTIME, 'tokens': t.__file__, 'pipeline': p.__file__}))")
    out = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(pythonpath), **env}, cwd=pythonpath)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["stderr"] = out.stderr
    return result


@needs_build
def test_pure_python_on_request() -> None:
    got = _runtime_of(REPO, MIRSAD_PURE_PYTHON="1")
    assert got["runtime"] == "pure Python (MIRSAD_PURE_PYTHON is set)"
    assert got["tokens"].endswith("tokens.py") and got["pipeline"].endswith("pipeline.py")
    got = _runtime_of(REPO, MIRSAD_PURE_PYTHON="0")
    assert got["runtime"] == "compiled (mypyc)"
    assert not got["tokens"].endswith(".py")


@needs_build
def test_an_edited_source_runs_instead_of_its_stale_extension(tmp_path: Path) -> None:
    copy = tmp_path / "extractors"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert _runtime_of(tmp_path)["runtime"] == "compiled (mypyc)"
    with (copy / "mentions" / "dates.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited after the build\n")
    got = _runtime_of(tmp_path)
    assert got["runtime"].startswith("pure Python (sources changed since the build: mentions.dates;")
    assert "compiled extraction modules are out of date" in got["stderr"]
    assert got["tokens"] == str(copy / "text" / "tokens.py")  # all or nothing: no mix of old and new code


@needs_build
def test_a_build_that_does_not_load_here_falls_back_to_the_sources(tmp_path: Path) -> None:
    """A compiled library made for another interpreter (a host build mounted into a container)."""
    copy = tmp_path / "extractors"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (native,) = copy.glob(f"{compiled.GROUP}__mypyc.*")
    native.write_bytes(b"not a shared library")
    got = _runtime_of(tmp_path)
    assert got["runtime"].startswith("pure Python (compiled modules do not load here:")
    assert got["tokens"] == str(copy / "text" / "tokens.py")


_ROWS_OF_SAMPLES = """
import json, sys
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
import extractors
from extractors.ingest import reading
from extractors.facts.pipeline import extract_article
at = datetime(2026, 1, 1, tzinfo=timezone.utc)
rows = []
for path in sorted(Path(sys.argv[1]).glob("*.txt")):
    rr = reading.read_article_file(path)
    if rr.status != "ok":
        continue
    ex = extract_article(rr.text, source_file=rr.file_name, sidecar=rr.sidecar, ingested_at=at)
    for kind in ("transfers", "statements", "events"):
        rows += [[kind, asdict(r)] for r in getattr(ex, kind)]
    rows.append(["article", asdict(ex.article)])
print(json.dumps({"runtime": extractors.RUNTIME, "rows": rows}, default=str, ensure_ascii=False))
"""


@needs_build
def test_compiled_and_pure_python_give_the_same_rows(tmp_path: Path) -> None:
    inbox = REPO / "examples" / "inbox"
    outputs = []
    for pure in ("0", "1"):
        out = subprocess.run([sys.executable, "-c", _ROWS_OF_SAMPLES, str(inbox)], capture_output=True, text=True,
                             check=True, env={**os.environ, "MIRSAD_PURE_PYTHON": pure}, cwd=REPO)
        outputs.append(json.loads(out.stdout))
    assert outputs[0]["runtime"] == "compiled (mypyc)" and outputs[1]["runtime"].startswith("pure Python")
    assert len(outputs[0]["rows"]) > 50
    assert outputs[0]["rows"] == outputs[1]["rows"]


@pytest.mark.skipif(os.environ.get("CI", "") != "true", reason="CI checks that the install compiled the hot path")
def test_ci_runs_the_compiled_extraction() -> None:
    assert IS_COMPILED, f"CI should test the compiled build, but this process runs {extractors.RUNTIME}"
