"""Extraction quality floors, measured end to end (mirsad's runner + the dbt warehouse + the scorer).

- The bundled sample inbox against its own gold (examples/gold, written independently of the rules):
  always runs.
- The project's seed articles against ../shared/gold with ../shared/eval/score.py: runs where ../shared is
  present (CI), skips with the reason in a user's clone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from extractors.app.evaluate import evaluate
from extractors.ingest.config import Settings
from extractors.ingest.runner import run

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

pytestmark = pytest.mark.slow


def _warehouse_for(inbox: Path, tmp: Path) -> Path:
    data = tmp / "data"
    settings = Settings.from_env(inbox=inbox, data_dir=data, settle_seconds=0, workers=1)
    run(settings)
    return settings.warehouse_path


def _assert_floors(result: dict, *, macro: float, each: float, dates: float, speaker: float) -> None:
    figures = {k: result[k]["f1"] for k in ("transfers", "statements", "events")}
    assert result["macro_f1"] >= macro, (result["macro_f1"], figures)
    for kind, f1 in figures.items():
        assert f1 >= each, (kind, f1)
    assert result["event_date_accuracy"] >= dates, result["event_date_accuracy"]
    assert result["speaker_accuracy"] >= speaker, result["speaker_accuracy"]
    assert not result["articles_missing"], result["articles_missing"]


def test_sample_inbox_meets_floors(tmp_path: Path) -> None:
    warehouse = _warehouse_for(ROOT / "examples" / "inbox", tmp_path)
    result = evaluate(warehouse, ROOT / "examples" / "gold")
    _assert_floors(result, macro=0.90, each=0.85, dates=0.85, speaker=0.85)
    assert result["published_date_accuracy"] == 1.0


def test_heldout_pages_meet_floors(tmp_path: Path) -> None:
    """Eight pages in other outlets' layouts (tests/fixtures/heldout), annotated independently."""
    held = ROOT / "tests" / "fixtures" / "heldout"
    warehouse = _warehouse_for(held / "inbox", tmp_path)
    result = evaluate(warehouse, held / "gold")
    _assert_floors(result, macro=0.88, each=0.85, dates=0.9, speaker=0.9)


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="../shared (seed articles and gold) is not present")
def test_seed_articles_meet_contract_floors(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SHARED / "seeds", inbox)
    warehouse = _warehouse_for(inbox, tmp_path)
    out = tmp_path / "score.json"
    proc = subprocess.run([sys.executable, str(SHARED / "eval" / "score.py"), "--warehouse", str(warehouse),
                           "--gold", str(SHARED / "gold"), "--json", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    print(proc.stdout)
    _assert_floors(json.loads(out.read_text(encoding="utf-8")), macro=0.90, each=0.85, dates=0.90, speaker=0.90)
