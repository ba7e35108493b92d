"""Validity of the bundled examples and construction fixtures (not of the extractor).

Checks that the YAML construction cases, the sample inbox and its gold files are well-formed and consistent
with the vocabularies of ``extractors/schemas.py`` and the contract, so that tests and ``mirsad evaluate``
built on them measure the extractor and not a typo in the data.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pycountry
import pytest
import yaml

from extractors import schemas
from extractors.text.textnorm import arabic_ratio, fold

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "fixtures" / "cases"
INBOX = ROOT / "examples" / "inbox"
GOLD = ROOT / "examples" / "gold"
SHARED_GOLD = ROOT.parent / "shared" / "gold"

QUOTE_MARKS = str.maketrans("", "", '"«»“”')
SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IQRA = re.compile(r"^\s*إ?اقرأ\s+أيض[اًا]+ً?")
PUB_LINE = re.compile(r"^\s*(تاريخ النشر|نشر في)\s*:?")

TRANSFER_KEYS = {"supplier_id", "recipient_id", "item_category", "status", "quantity_min", "quantity_max",
                 "quantity_unit", "item_model"}
STATEMENT_KEYS = {"speaker_name", "speaker_role", "speaker_actor_id", "reporting_verb", "is_direct", "quote"}
EVENT_KEYS = {"event_type", "actor_ids", "date", "date_granularity"}
DATE_KEYS = {"date_text", "date", "date_granularity"}
SEGMENT_KEYS = {"contains", "segment"}
CASE_KEYS = {"id", "text", "expect", "published", "note", "title"}

GOLD_TOP = ["file", "published_date", "transfers", "statements", "events"]
GOLD_TRANSFER = {"supplier_id", "recipient_id", "item_category", "item_text", "item_model", "quantity_min",
                 "quantity_max", "quantity_unit", "status", "time_text", "evidence"}
GOLD_STATEMENT = {"speaker_name", "speaker_role", "speaker_actor_id", "reporting_verb", "quote", "is_direct", "evidence"}
GOLD_EVENT = {"event_type", "actor_ids", "location_text", "date_text", "date", "date_granularity", "evidence"}


def load_cases(name: str) -> list[dict]:
    return yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))


def contained(needle: str, haystack: str) -> bool:
    """needle occurs in haystack after removing quotation marks and folding both (diacritics, alef, tatweel...)."""
    return fold(needle.translate(QUOTE_MARKS)) in fold(haystack.translate(QUOTE_MARKS))


def valid_actor(actor_id: str) -> bool:
    if re.fullmatch(r"[A-Z]{3}", actor_id):
        return pycountry.countries.get(alpha_3=actor_id) is not None
    return bool(SLUG.match(actor_id))


def check_date(value: str | None, granularity: str | None) -> None:
    assert (value is None) == (granularity is None), "date and granularity are both set or both null"
    if value is None:
        return
    assert ISO_DAY.match(value), value
    day = date.fromisoformat(value)
    assert granularity in schemas.DATE_GRANULARITIES
    if granularity == "month":
        assert day.day == 1, f"month granularity must point at the first day: {value}"
    if granularity == "year":
        assert (day.month, day.day) == (1, 1), f"year granularity must point at 1 January: {value}"
    if granularity == "week":
        assert day.weekday() == 0, f"week granularity must point at a Monday: {value}"


def check_quantity(row: dict) -> None:
    qmin, qmax, unit = row["quantity_min"], row["quantity_max"], row["quantity_unit"]
    for q in (qmin, qmax):
        assert q is None or (isinstance(q, int) and not isinstance(q, bool) and q > 0), row
    if qmin is not None and qmax is not None:
        assert qmin <= qmax, row
    assert (unit is None) == (qmin is None and qmax is None), f"unit iff a quantity: {row}"
    assert unit is None or SLUG.match(unit), unit


# ----------------------------------------------------------------------------------------------- YAML cases

ALL_CASE_FILES = ["transfers", "statements", "events", "dates", "segments"]


@pytest.mark.parametrize("name", ALL_CASE_FILES)
def test_case_file_shape(name: str) -> None:
    cases = load_cases(name)
    assert 25 <= len(cases) <= 90, f"{name}: {len(cases)} cases"
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids are unique"
    for case in cases:
        assert {"id", "text", "expect"} <= set(case), case.get("id")
        assert set(case) <= CASE_KEYS, (case["id"], set(case) - CASE_KEYS)
        assert isinstance(case["text"], str) and case["text"].strip()
        assert arabic_ratio(case["text"]) >= 0.5, case["id"]  # Arabic text (one case is a Latin-dated line)
        assert isinstance(case["expect"], list)
        if "published" in case:
            date.fromisoformat(str(case["published"]))
    negatives = [c for c in cases if not c["expect"]]
    if name in ("transfers", "statements", "events"):
        assert negatives, f"{name}: at least one negative case"


def test_transfer_cases() -> None:
    for case in load_cases("transfers"):
        for row in case["expect"]:
            assert TRANSFER_KEYS <= set(row) <= TRANSFER_KEYS | {"segment"}, case["id"]
            assert row["item_category"] in schemas.ITEM_CATEGORIES, case["id"]
            assert row["status"] in schemas.TRANSFER_STATUSES, case["id"]
            assert valid_actor(row["supplier_id"]) and valid_actor(row["recipient_id"]), case["id"]
            assert row["supplier_id"] != row["recipient_id"], case["id"]
            assert row.get("segment", "main") in schemas.SEGMENTS
            check_quantity(row)
            assert row["item_model"] is None or isinstance(row["item_model"], str)
        keys = [(r["supplier_id"], r["recipient_id"], r["item_category"], r["status"]) for r in case["expect"]]
        assert len(keys) == len(set(keys)), f"{case['id']}: one row per (supplier, recipient, category, status)"


def test_transfer_cases_cover_every_category_and_status() -> None:
    rows = [r for c in load_cases("transfers") for r in c["expect"]]
    assert {r["item_category"] for r in rows} == set(schemas.ITEM_CATEGORIES)
    assert {r["status"] for r in rows} == set(schemas.TRANSFER_STATUSES)


def test_statement_cases() -> None:
    verbs = set()
    for case in load_cases("statements"):
        for row in case["expect"]:
            assert STATEMENT_KEYS <= set(row) <= STATEMENT_KEYS | {"statement_date"}, case["id"]
            assert isinstance(row["is_direct"], bool)
            assert row["reporting_verb"] and arabic_ratio(row["reporting_verb"]) == 1.0
            assert row["speaker_actor_id"] is None or valid_actor(row["speaker_actor_id"]), case["id"]
            assert contained(row["quote"], case["text"]), f"{case['id']}: quote not in text"
            for field in ("speaker_name", "speaker_role"):
                if row[field] is not None:
                    assert contained(row[field], case["text"]), f"{case['id']}: {field} not in text"
            if "statement_date" in row:
                date.fromisoformat(row["statement_date"])
            verbs.add(row["reporting_verb"])
    assert {"قال", "أضاف", "أكد", "أوضح", "نفى", "حذر", "اتهم", "بحسب", "وفق", "نقلا عن"} <= verbs


def test_event_cases() -> None:
    types = set()
    for case in load_cases("events"):
        for row in case["expect"]:
            assert EVENT_KEYS <= set(row) <= EVENT_KEYS | {"segment"}, case["id"]
            assert row["event_type"] in schemas.EVENT_TYPES, case["id"]
            assert row["actor_ids"] and all(valid_actor(a) for a in row["actor_ids"]), case["id"]
            check_date(row["date"], row["date_granularity"])
            if row["date"] is not None and row["date_granularity"] in ("day", "week") and "published" not in case:
                # with P unknown only absolute dates resolve: the year must be written in the text
                assert row["date"][:4] in case["text"], case["id"]
            types.add(row["event_type"])
    assert types == set(schemas.EVENT_TYPES)


def test_date_cases() -> None:
    for case in load_cases("dates"):
        assert case["expect"], case["id"]
        for row in case["expect"]:
            assert set(row) == DATE_KEYS, case["id"]
            assert contained(row["date_text"], case["text"]), f"{case['id']}: date_text not in text"
            check_date(row["date"], row["date_granularity"])


def test_segment_cases() -> None:
    for case in load_cases("segments"):
        assert case["expect"], case["id"]
        kinds = set()
        for row in case["expect"]:
            assert set(row) == SEGMENT_KEYS, case["id"]
            assert row["segment"] in schemas.SEGMENTS
            assert row["contains"] in case["text"], f"{case['id']}: {row['contains']!r} not in text"
            kinds.add(row["segment"])
        assert "main" in kinds, case["id"]
        if "title" in case:
            assert case["title"] in case["text"].splitlines() or case["title"] + "\r" in case["text"].splitlines()


# ---------------------------------------------------------------------------------------- sample inbox


def inbox_articles() -> list[Path]:
    return sorted(INBOX.glob("*.txt"))


def sidecar(path: Path) -> dict | None:
    meta = path.with_suffix(".meta.json")
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else None


def test_inbox_articles_are_utf8_arabic() -> None:
    articles = inbox_articles()
    assert len(articles) >= 6
    for path in articles:
        text = path.read_bytes().decode("utf-8")  # raises on invalid UTF-8
        assert arabic_ratio(text) > 0.9, path.name
        assert 1000 <= len(path.read_bytes()) <= 6000, path.name


def test_inbox_sidecars() -> None:
    metas = {p.name: sidecar(p) for p in inbox_articles()}
    present = {k: v for k, v in metas.items() if v is not None}
    assert present, "at least one sidecar"
    for name, meta in present.items():
        assert set(meta) <= {"url", "published_at", "source_name", "language"}, name
        if "published_at" in meta:
            date.fromisoformat(meta["published_at"][:10])
    for meta_path in INBOX.glob("*.meta.json"):
        assert meta_path.with_name(meta_path.name.replace(".meta.json", ".txt")).exists(), meta_path.name
    url_only = [m for m in present.values() if "published_at" not in m and re.search(r"/20\d\d/\d{1,2}/\d{1,2}/", m["url"])]
    assert url_only, "one article dates only through its sidecar URL"


def test_inbox_layout_requirements() -> None:
    texts = {p.name: p.read_text(encoding="utf-8") for p in inbox_articles()}
    head_lines = {n: t.splitlines()[:5] for n, t in texts.items()}
    assert any(PUB_LINE.match(ln) and "تاريخ النشر" in ln for lines in head_lines.values() for ln in lines)
    assert any(IQRA.match(ln) for t in texts.values() for ln in t.splitlines())
    undated = [n for n, t in texts.items() if sidecar(INBOX / n) is None and not any(PUB_LINE.match(ln) for ln in t.splitlines())]
    assert undated, "one article has no publication date anywhere"


# ----------------------------------------------------------------------------------------- example gold


def gold_files() -> list[Path]:
    return sorted(GOLD.glob("*.json"))


def test_every_inbox_article_has_gold() -> None:
    assert {p.stem for p in gold_files()} == {p.stem for p in inbox_articles()}


@pytest.mark.parametrize("path", gold_files(), ids=lambda p: p.stem)
def test_gold_file(path: Path) -> None:
    g = json.loads(path.read_text(encoding="utf-8"))
    assert list(g) == GOLD_TOP
    article = INBOX / g["file"]
    assert article.exists() and path.stem == article.stem
    text = article.read_text(encoding="utf-8")
    lines = {ln.strip() for ln in text.splitlines() if ln.strip()}
    if g["published_date"] is not None:
        date.fromisoformat(g["published_date"])
        meta = sidecar(article)
        if meta and meta.get("published_at"):
            assert g["published_date"] == meta["published_at"][:10]
    for row in g["transfers"]:
        assert set(row) == GOLD_TRANSFER
        assert row["evidence"] in lines
        assert row["item_text"] in row["evidence"]
        assert row["item_category"] in schemas.ITEM_CATEGORIES and row["status"] in schemas.TRANSFER_STATUSES
        assert valid_actor(row["supplier_id"]) and valid_actor(row["recipient_id"])
        check_quantity(row)
    for row in g["statements"]:
        assert set(row) == GOLD_STATEMENT
        assert row["evidence"] in lines
        assert contained(row["quote"], row["evidence"])
        assert isinstance(row["is_direct"], bool)
        assert row["speaker_actor_id"] is None or valid_actor(row["speaker_actor_id"])
    for row in g["events"]:
        assert set(row) == GOLD_EVENT
        assert row["evidence"] in lines
        assert row["event_type"] in schemas.EVENT_TYPES
        assert row["actor_ids"] and all(valid_actor(a) for a in row["actor_ids"])
        check_date(row["date"], row["date_granularity"])
        if row["date_text"] is not None:
            assert row["date_text"] in row["evidence"]
        if g["published_date"] is None and row["date"] is not None:
            assert row["date"][:4] in row["date_text"], "with P unknown only absolute dates resolve"


def test_gold_format_matches_shared_gold() -> None:
    shared = sorted(SHARED_GOLD.glob("*.json")) if SHARED_GOLD.is_dir() else []
    if not shared:
        pytest.skip("../shared/gold is not available")
    ref = json.loads(shared[0].read_text(encoding="utf-8"))
    for path in gold_files():
        g = json.loads(path.read_text(encoding="utf-8"))
        assert list(g) == list(ref)
        for table in ("transfers", "events"):
            if ref[table] and g[table]:
                assert set(g[table][0]) == set(ref[table][0]), (path.name, table)
        for row in g["statements"]:
            assert set(row) >= {"speaker_name", "reporting_verb", "quote", "is_direct", "evidence"}
