"""Run the construction cases of tests/fixtures/cases against the extractor (shared by tests and `make cases`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from extractors.facts.pipeline import extract_article
from extractors.ingest.reading import Sidecar
from extractors.text.textnorm import fold

CASES = Path(__file__).parent / "fixtures" / "cases"


def _tokens(text: str | None) -> list[str]:
    return [t for t in fold(text or "").split() if any(c.isalnum() for c in t)]


def token_f1(a: str | None, b: str | None) -> float:
    from collections import Counter

    ta, tb = Counter(_tokens(a)), Counter(_tokens(b))
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    p, r = common / sum(ta.values()), common / sum(tb.values())
    return 2 * p * r / (p + r)


def load_cases(kind: str) -> list[dict]:
    return yaml.safe_load((CASES / f"{kind}.yaml").read_text(encoding="utf-8"))


def extract_case(case: dict):
    pub = case.get("published")
    sidecar = Sidecar(published_at=str(pub)) if pub else None
    return extract_article(case["text"], source_file=f"{case['id']}.txt", sidecar=sidecar)


@dataclass
class CaseResult:
    case_id: str
    ok: bool
    problems: list[str] = field(default_factory=list)


def check_transfers(case: dict) -> CaseResult:
    ex = extract_case(case)
    want_segment = {(e.get("segment") or "main") for e in case["expect"]} or {"main"}
    got = {(t.supplier_id, t.recipient_id, t.item_category, t.status): t for t in ex.transfers
           if t.segment in want_segment}
    want = {(e["supplier_id"], e["recipient_id"], e["item_category"], e["status"]): e for e in case["expect"]}
    problems = [f"missing {k}" for k in want if k not in got] + [f"extra {k}" for k in got if k not in want]
    for k, e in want.items():
        t = got.get(k)
        if t is not None and (e.get("quantity_min"), e.get("quantity_max")) != (t.quantity_min, t.quantity_max):
            problems.append(f"quantity {k}: want {e.get('quantity_min')}/{e.get('quantity_max')} "
                            f"got {t.quantity_min}/{t.quantity_max}")
    return CaseResult(case["id"], not problems, problems)


def _unbalanced(text: str | None) -> bool:
    t = text or ""
    return t.count('"') % 2 == 1 or t.count("«") != t.count("»") or t.count("“") != t.count("”")


def check_statements(case: dict) -> CaseResult:
    ex = extract_case(case)
    want_segment = {(e.get("segment") or "main") for e in case["expect"]} or {"main"}
    got = [s for s in ex.statements if s.segment in want_segment]
    problems = []
    used: set[int] = set()
    for e in case["expect"]:
        best, best_f = None, 0.5
        for i, s in enumerate(got):
            f = token_f1(e.get("quote"), s.quote_text)
            if i not in used and (f > best_f or (best is None and f >= best_f)):
                best, best_f = i, f  # among equal quotes, rows pair in text order
        if best is None:
            problems.append(f"missing {e.get('reporting_verb')}: {e.get('quote')}")
            continue
        used.add(best)
        s = got[best]
        want_name = _tokens(e.get("speaker_name"))
        if (want_name and want_name[-1] not in _tokens(s.speaker_name)) or (not want_name and s.speaker_name):
            problems.append(f"speaker {e.get('speaker_name')!r} got {s.speaker_name!r}")
        if e.get("reporting_verb") and fold(e["reporting_verb"]) != fold(s.reporting_verb):
            problems.append(f"verb {e['reporting_verb']} got {s.reporting_verb}")
        if e.get("is_direct") is not None and bool(e["is_direct"]) != s.is_direct:
            problems.append(f"is_direct {e['is_direct']} got {s.is_direct}")
        if "speaker_actor_id" in e and e["speaker_actor_id"] != s.speaker_actor_id:
            problems.append(f"speaker_actor_id {e['speaker_actor_id']} got {s.speaker_actor_id}")
        if "speaker_role" in e and _tokens(e["speaker_role"]) != _tokens(s.speaker_role):
            problems.append(f"speaker_role {e['speaker_role']!r} got {s.speaker_role!r}")
        if _unbalanced(s.quote_text):
            problems.append(f"unbalanced quotation marks in {s.quote_text!r}")
    problems += [f"extra {s.reporting_verb}: {s.quote_text}" for i, s in enumerate(got) if i not in used]
    return CaseResult(case["id"], not problems, problems)


def check_events(case: dict) -> CaseResult:
    ex = extract_case(case)
    want_segment = {(e.get("segment") or "main") for e in case["expect"]} or {"main"}
    got = [e for e in ex.events if e.segment in want_segment]
    problems = []
    used: set[int] = set()
    for e in case["expect"]:
        idx = next((i for i, g in enumerate(got) if i not in used and g.event_type == e["event_type"]), None)
        if idx is None:
            problems.append(f"missing {e['event_type']}")
            continue
        used.add(idx)
        g = got[idx]
        want_date = e.get("date")
        want_date = date.fromisoformat(str(want_date)) if want_date else None
        if want_date != g.event_date or (e.get("date_granularity") or None) != g.date_granularity:
            problems.append(f"date {e['event_type']}: want {want_date} {e.get('date_granularity')} "
                            f"got {g.event_date} {g.date_granularity}")
    problems += [f"extra {g.event_type}" for i, g in enumerate(got) if i not in used]
    return CaseResult(case["id"], not problems, problems)


CHECKS = {"transfers": check_transfers, "statements": check_statements, "events": check_events}


def run_kind(kind: str) -> list[CaseResult]:
    return [CHECKS[kind](c) for c in load_cases(kind)]


def check_segments(case: dict) -> CaseResult:
    ex_doc = _segment(case["text"])
    problems = []
    if case.get("title") and fold(ex_doc.title or "") != fold(case["title"]):
        problems.append(f"title {ex_doc.title!r}")
    for e in case["expect"]:
        para = next((p for p in ex_doc.paragraphs if fold(e["contains"]) in fold(p.text)), None)
        if para is None:
            problems.append(f"line not kept: {e['contains']}")
        elif para.segment != e["segment"]:
            problems.append(f"{e['contains']!r}: want {e['segment']} got {para.segment}")
    return CaseResult(case["id"], not problems, problems)


def _segment(text: str):
    from extractors.facts.pipeline import _keys_of
    from extractors.mentions.pubdate import is_date_line
    from extractors.text.segments import segment_document

    return segment_document(text, _keys_of, is_date_line)


def check_dates(case: dict) -> CaseResult:
    from extractors.mentions.dates import find_dates

    pub = case.get("published")
    got = find_dates(case["text"], date.fromisoformat(str(pub)) if pub else None)
    problems = []
    for e in case["expect"]:
        m = next((d for d in got if fold(e["date_text"]) in fold(d.text) or fold(d.text) in fold(e["date_text"])), None)
        want = date.fromisoformat(str(e["date"])) if e.get("date") else None
        if m is None:
            problems.append(f"missing {e['date_text']}")
        elif m.value != want or m.granularity != (e.get("date_granularity") or None):
            problems.append(f"{e['date_text']}: want {want} {e.get('date_granularity')} got {m.value} {m.granularity}")
    return CaseResult(case["id"], not problems, problems)


CHECKS.update({"segments": check_segments, "dates": check_dates})


if __name__ == "__main__":
    import sys

    for kind in sys.argv[1:] or list(CHECKS):
        results = run_kind(kind)
        ok = sum(r.ok for r in results)
        print(f"== {kind}: {ok}/{len(results)} cases pass")
        for r in results:
            if not r.ok:
                print(f"  {r.case_id}: " + "; ".join(r.problems))
