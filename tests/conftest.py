"""Shared fixtures: the demo warehouse (examples/inbox through `mirsad run` and `mirsad report`), built once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_INBOX = ROOT / "examples" / "inbox"
STORIES_INBOX = ROOT / "examples" / "stories" / "inbox"


def mirsad(*args: object, env: dict[str, str] | None = None, timeout: float = 600,
           stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command line as a user runs it (a separate process), from this checkout."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "extractors.app.cli", *map(str, args)], env=full_env,
                          input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir built from examples/inbox with `mirsad run`, then `mirsad report` (DATA/report)."""
    data = tmp_path_factory.mktemp("demo") / "data"
    run = mirsad("run", "--inbox", EXAMPLES_INBOX, "--data-dir", data, env={"MIRSAD_SETTLE_SECONDS": "0"})
    assert run.returncode == 0, run.stderr[-3000:]
    report = mirsad("report", "--data-dir", data)
    assert report.returncode == 0, report.stderr[-3000:]
    return data


@pytest.fixture(scope="session")
def stories_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir built from the self-written story set (examples/stories/inbox) with `mirsad run`."""
    data = tmp_path_factory.mktemp("stories") / "data"
    run = mirsad("run", "--inbox", STORIES_INBOX, "--data-dir", data, env={"MIRSAD_SETTLE_SECONDS": "0"})
    assert run.returncode == 0, run.stderr[-3000:]
    return data
