"""Scoring a tiny hand-built warehouse against hand-written gold gives the hand-computed figures."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from extractors.app import evaluate

SCORER = Path(__file__).resolve().parents[2] / "shared" / "eval" / "score.py"

GOLD_A = {
    "file": "a.txt",
    "published_date": "2024-03-02",
    "transfers": [
        {"supplier_id": "IRN", "recipient_id": "RUS", "item_category": "drones", "status": "delivered",
         "quantity_min": 200, "quantity_max": 999, "evidence": "..."},
        {"supplier_id": "RUS", "recipient_id": "IRN", "item_category": "combat_aircraft", "status": "considered",
         "quantity_min": None, "quantity_max": None, "evidence": "..."},
    ],
    "statements": [
        {"speaker_name": "سامي العلي", "reporting_verb": "قال", "quote": "إن الشحنات وصلت إلى الميناء",
         "is_direct": False, "evidence": "..."},
        {"speaker_name": None, "reporting_verb": "قال", "quote": "لا تعليق على التقارير", "is_direct": True,
         "evidence": "..."},
    ],
    "events": [
        {"event_type": "meeting", "actor_ids": ["RUS", "IRN"], "date": "2024-03-01", "date_granularity": "day",
         "evidence": "التقى الوزيران في موسكو يوم الجمعة"},
        {"event_type": "visit", "actor_ids": ["IRN"], "date": None, "date_granularity": None,
         "evidence": "زار الوفد طهران"},
    ],
}
GOLD_B = {  # not in the warehouse at all
    "file": "b.txt",
    "transfers": [{"supplier_id": "USA", "recipient_id": "UKR", "item_category": "air_defense",
                   "status": "delivered", "quantity_min": None, "quantity_max": None, "evidence": "..."}],
    "statements": [],
    "events": [],
}


def _warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create table dim_articles (article_id varchar, source_file varchar, published_date date)")
    con.execute("insert into dim_articles values (?, ?, ?)", ["A", "a.txt", date(2024, 3, 2)])
    con.execute("create table fct_transfers (article_id varchar, supplier_id varchar, recipient_id varchar, "
                "item_category varchar, status varchar, quantity_min bigint, quantity_max bigint, segment varchar)")
    con.executemany("insert into fct_transfers values (?, ?, ?, ?, ?, ?, ?, ?)", [
        ["A", "IRN", "RUS", "drones", "delivered", 200, 999, "main"],
        ["A", "RUS", "IRN", "combat_aircraft", "planned", None, None, "main"],
        ["A", "PRK", "RUS", "ammunition", "delivered", None, None, "main"],
        ["A", "USA", "UKR", "missiles", "delivered", None, None, "related"],
    ])
    con.execute("create table fct_statements (article_id varchar, speaker_name varchar, quote_text varchar, "
                "evidence_text varchar, segment varchar)")
    con.executemany("insert into fct_statements values (?, ?, ?, ?, ?)", [
        ["A", "العلي", "الشحنات وصلت الى الميناء", "...", "main"],
        ["A", "مسؤول", "كلام مختلف تماما", "...", "main"],
    ])
    con.execute("create table fct_events (article_id varchar, event_type varchar, event_date date, "
                "date_granularity varchar, evidence_text varchar, segment varchar)")
    con.executemany("insert into fct_events values (?, ?, ?, ?, ?, ?)", [
        ["A", "meeting", date(2024, 3, 1), "day", "التقى الوزيران في موسكو يوم الجمعة الماضي", "main"],
        ["A", "visit", None, None, "وصل الوفد إلى القاهرة", "main"],
        ["A", "meeting", None, None, "التقى الوزيران في موسكو يوم الجمعة", "related"],
    ])
    con.close()
    return path


@pytest.fixture
def setup(tmp_path):
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    for g in (GOLD_A, GOLD_B):
        (gold_dir / g["file"].replace(".txt", ".json")).write_text(json.dumps(g, ensure_ascii=False), "utf-8")
    return _warehouse(tmp_path / "w.duckdb"), gold_dir


def test_figures_match_hand_computation(setup):
    warehouse, gold_dir = setup
    r = evaluate.evaluate(warehouse, gold_dir)
    # triples: gold {IRN>RUS drones, RUS>IRN aircraft, USA>UKR air_defense}; main preds add PRK>RUS ammunition
    assert r["transfers"] == {"tp": 2, "pred": 3, "gold": 3, "precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
    assert r["transfers_with_status"] == {"tp": 1, "pred": 3, "gold": 3, "precision": 0.3333, "recall": 0.3333,
                                          "f1": 0.3333}
    assert r["transfer_quantity_accuracy"] == 1.0
    # statements: quote token-F1 0.89 matches; the other predicted quote shares no token
    assert r["statements"] == {"tp": 1, "pred": 2, "gold": 2, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert r["speaker_accuracy"] == 1.0
    # events: the meeting matches (related-segment rows are not read); the visit holds 1/3 of gold tokens
    assert r["events"] == {"tp": 1, "pred": 2, "gold": 2, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert r["event_date_accuracy"] == 1.0
    assert r["published_date_accuracy"] == 1.0
    assert r["articles_missing"] == ["b.txt"]
    assert r["macro_f1"] == round((0.6667 + 0.5 + 0.5) / 3, 4)
    assert r["per_file_rows"]["a.txt"] == {"transfers": 3, "statements": 2, "events": 2}


def test_token_helpers_fold_arabic_variants():
    assert evaluate.tokens("إلى الْمِيناءِ، ") == ["الي", "الميناء"]
    assert evaluate.token_f1("ذهب إلى المدرسة", "ذهب الى المدرسه") == 1.0
    assert evaluate.containment("a b c d", "a b x") == 0.5
    assert evaluate.prf(0, 0, 0)["f1"] == 1.0  # nothing to find, nothing found
    assert evaluate.prf(0, 2, 0)["f1"] == 0.0


def test_json_output_written(setup, tmp_path):
    warehouse, gold_dir = setup
    out = tmp_path / "r.json"
    result = evaluate.evaluate(warehouse, gold_dir, out)
    assert json.loads(out.read_text(encoding="utf-8"))["macro_f1"] == result["macro_f1"]


def test_missing_warehouse_is_a_clear_error(tmp_path, setup):
    _, gold_dir = setup
    with pytest.raises(evaluate.EvaluationError, match="warehouse not found"):
        evaluate.evaluate(tmp_path / "nope.duckdb", gold_dir)


@pytest.mark.skipif(not SCORER.exists(), reason="project scorer ../shared/eval/score.py not available")
def test_same_figures_and_table_as_project_scorer(setup, tmp_path):
    warehouse, gold_dir = setup
    out = tmp_path / "scorer.json"
    proc = subprocess.run([sys.executable, str(SCORER), "--warehouse", str(warehouse), "--gold", str(gold_dir),
                           "--json", str(out)], capture_output=True, text=True, check=True)
    ours = evaluate.evaluate(warehouse, gold_dir)
    figures = {k: v for k, v in ours.items() if k != "diffs"}  # the list of differences is ours alone
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(figures, ensure_ascii=False))
    assert proc.stdout.rstrip("\n") == evaluate.format_table(ours)


def test_differences_list_each_miss_and_false_positive_beside_the_nearest_row(setup, tmp_path):
    warehouse, gold_dir = setup
    out = tmp_path / "r.json"
    r = evaluate.evaluate(warehouse, gold_dir, out)
    diffs = {(d["file"], d["kind"], d["what"], d["gold"], d["predicted"]) for d in r["diffs"]}
    # transfers: the PRK triple is not in gold; a.txt's air_defense triple was never predicted (b.txt absent)
    assert ("a.txt", "transfers", "false_positive", "IRN->RUS drones [delivered]",
            "PRK->RUS ammunition [delivered]") in diffs
    assert ("b.txt", "transfers", "miss", "USA->UKR air_defense [delivered]", None) in diffs
    # statements: the unquoted gold line is missed; its nearest predicted quote shares nothing, so none is shown
    assert ("a.txt", "statements", "miss", "-: لا تعليق على التقارير", None) in diffs
    assert ("a.txt", "statements", "false_positive", None, "مسؤول: كلام مختلف تماما") in diffs
    # events: the visit's evidence is too far from gold's to match; gold and prediction are shown side by side
    assert ("a.txt", "events", "miss", "visit", "visit") in diffs
    assert ("a.txt", "events", "false_positive", "visit", "visit") in diffs
    assert len(r["diffs"]) == 6  # matched rows (the meeting, the drones, the first quote) are not listed
    assert json.loads(out.read_text(encoding="utf-8"))["diffs"] == r["diffs"]
    table = evaluate.format_diffs(r)
    assert "a.txt · statements" in table and "b.txt · transfers" in table
    assert table.index("a.txt · transfers") < table.index("a.txt · statements") < table.index("a.txt · events")


def test_wrong_speaker_is_listed_on_a_matched_quote(tmp_path):
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    gold = {"file": "c.txt", "transfers": [], "events": [], "statements": [
        {"speaker_name": "سامي العلي", "quote": "الشحنة وصلت أمس", "evidence": "قال سامي العلي إن الشحنة وصلت أمس"}]}
    (gold_dir / "c.json").write_text(json.dumps(gold, ensure_ascii=False), "utf-8")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create table dim_articles (article_id varchar, source_file varchar, published_date date)")
    con.execute("insert into dim_articles values ('C', 'c.txt', null)")
    con.execute("create table fct_transfers (article_id varchar, supplier_id varchar, recipient_id varchar, "
                "item_category varchar, status varchar, quantity_min bigint, quantity_max bigint, segment varchar)")
    con.execute("create table fct_statements (article_id varchar, speaker_name varchar, quote_text varchar, "
                "evidence_text varchar, segment varchar)")
    con.execute("insert into fct_statements values ('C', 'كريم حداد', 'الشحنة وصلت أمس', 'قال ...', 'main')")
    con.execute("create table fct_events (article_id varchar, event_type varchar, event_date date, "
                "date_granularity varchar, evidence_text varchar, segment varchar)")
    con.close()
    r = evaluate.evaluate(tmp_path / "w.duckdb", gold_dir)
    assert r["statements"]["tp"] == 1 and r["speaker_accuracy"] == 0.0
    assert [(d["what"], d["gold"], d["predicted"]) for d in r["diffs"]] == [
        ("wrong_speaker", "سامي العلي: الشحنة وصلت أمس", "كريم حداد: الشحنة وصلت أمس")]
