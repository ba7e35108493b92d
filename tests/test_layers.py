"""The package's layers hold: import-linter's contracts (pyproject.toml) pass on the tree and catch a violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (make venv installs it)")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def _copy_tree(tmp_path: Path) -> Path:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(REPO / "extractors", tmp_path / "extractors", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    return tmp_path


def test_layer_contracts_hold_on_the_tree(tmp_path: Path) -> None:
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("text/segments.py", "from extractors.mentions import pubdate"),
        ("mentions/items.py", "from extractors.facts import context"),
        ("facts/pipeline.py", "from extractors.ingest import reading"),
        ("ingest/runner.py", "from extractors.app import cli"),
        ("schemas.py", "from extractors.text import textnorm"),
    ],
)
def test_an_upward_import_breaks_the_contracts(tmp_path: Path, module: str, upward: str) -> None:
    tree = _copy_tree(tmp_path)
    target = tree / "extractors" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{upward}  # noqa\n", encoding="utf-8")
    result = _lint(tree)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
