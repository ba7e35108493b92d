"""Score a warehouse against gold annotation files: the logic of ``/work/shared/eval/score.py`` as functions.

Same figures and the same printed table, so ``mirsad evaluate`` on a user's own gold files reads like the
project's scorer. Gold format: docs in the extraction contract, section 8.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from extractors.ingest import warehouse

DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
NON_WORD = re.compile(r"[^\w\s]", re.UNICODE)
FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})

KINDS = ("transfers", "transfers_with_status", "statements", "events")
ACCURACIES = ("transfer_quantity_accuracy", "speaker_accuracy", "event_date_accuracy", "published_date_accuracy")


class EvaluationError(RuntimeError):
    """Gold or warehouse missing what scoring needs."""


def tokens(text: Any) -> list[str]:
    """Tokens for comparison: no diacritics/tatweel, alef/ya/ta-marbuta/hamza-seat folding, no punctuation."""
    if not text:
        return []
    text = DIACRITICS.sub("", str(text)).translate(FOLD)
    return NON_WORD.sub(" ", text).split()


def token_f1(a: Any, b: Any) -> float:
    ta, tb = Counter(tokens(a)), Counter(tokens(b))
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    p, r = common / sum(ta.values()), common / sum(tb.values())
    return 2 * p * r / (p + r)


def containment(gold: Any, pred: Any) -> float:
    """Share of the gold text's tokens that the predicted text holds."""
    tg, tp = Counter(tokens(gold)), Counter(tokens(pred))
    if not tg:
        return 0.0
    return sum((tg & tp).values()) / sum(tg.values())


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, Any]:
    p = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp / n_gold if n_gold else (1.0 if not n_pred else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "pred": n_pred, "gold": n_gold, "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(f, 4)}


def find_table(con: duckdb.DuckDBPyConnection, name: str) -> str:
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ? order by table_schema", [name]
    ).fetchall()
    if not rows:
        raise EvaluationError(f"no table named {name} in the warehouse")
    return f'"{rows[0][0]}"."{name}"'


def fetch(con: duckdb.DuckDBPyConnection, table: str, article_ids: list[str],
          columns: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Main-segment rows of ``table`` for ``article_ids``, grouped by article.

    A column the table lacks reads as NULL (``evidence_text`` only feeds the list of differences)."""
    schema, name = (part.strip('"') for part in table.split("."))
    present = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                         "where table_schema = ? and table_name = ?", [schema, name]).fetchall()}
    selected = [c if c in present else f"null as {c}" for c in columns]
    sql = f"select article_id, {', '.join(selected)} from {table} where segment = 'main'"
    by_article: dict[str, list[dict[str, Any]]] = {a: [] for a in article_ids}
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    for row in cursor.fetchall():
        rec = dict(zip(names, row, strict=True))
        if rec["article_id"] in by_article:
            by_article[rec["article_id"]].append(rec)
    return by_article


def greedy(gold_rows: list[dict], pred_rows: list[dict], score: Callable[[dict, dict], float],
           threshold: float) -> list[tuple[dict, dict]]:
    """One-to-one matching, best-scoring pairs first, pairs under ``threshold`` never."""
    pairs = []
    for gi, g in enumerate(gold_rows):
        for pi, p in enumerate(pred_rows):
            s = score(g, p)
            if s >= threshold:
                pairs.append((s, gi, pi))
    pairs.sort(reverse=True)
    used_g: set[int] = set()
    used_p: set[int] = set()
    matches = []
    for _s, gi, pi in pairs:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            matches.append((gold_rows[gi], pred_rows[pi]))
    return matches


def norm_date(d: Any) -> str | None:
    return None if d is None else str(d)[:10]


def load_gold(gold_dir: Path) -> dict[str, dict]:
    """Gold annotations by article file name."""
    gold = {}
    for path in sorted(Path(gold_dir).glob("*.json")):
        g = json.loads(path.read_text(encoding="utf-8"))
        gold[g["file"]] = g
    if not gold:
        raise EvaluationError(f"no gold files in {gold_dir}")
    return gold


def _open(source: Any) -> duckdb.DuckDBPyConnection:
    try:
        return warehouse.open_marts(source)
    except warehouse.WarehouseMissing as exc:
        raise EvaluationError(f"warehouse not found: {exc}") from None


def score_warehouse(source: Any, gold: dict[str, dict]) -> dict[str, Any]:
    """All figures of the scorer for ``gold`` (as returned by ``load_gold``) against a warehouse: a file, or
    ``Settings`` (its file or its DuckLake catalog's last build; ``warehouse.open_marts``)."""
    con = _open(source)
    try:
        return _score(con, gold)
    finally:
        con.close()


def _score(con: duckdb.DuckDBPyConnection, gold: dict[str, dict]) -> dict[str, Any]:
    arts = con.execute(f"select source_file, article_id, published_date from {find_table(con, 'dim_articles')}")
    file_to_article: dict[str, str] = {}
    pub_dates: dict[str, str | None] = {}
    for source_file, article_id, published in arts.fetchall():
        name = Path(str(source_file)).name
        file_to_article[name] = article_id
        pub_dates[name] = norm_date(published)
    missing = [f for f in gold if f not in file_to_article]
    ids = [file_to_article[f] for f in gold if f in file_to_article]

    transfers = fetch(con, find_table(con, "fct_transfers"), ids,
                      ["supplier_id", "recipient_id", "item_category", "status", "quantity_min", "quantity_max",
                       "evidence_text"])
    statements = fetch(con, find_table(con, "fct_statements"), ids, ["speaker_name", "quote_text", "evidence_text"])
    events = fetch(con, find_table(con, "fct_events"), ids,
                   ["event_type", "event_date", "date_granularity", "evidence_text"])

    t: Counter = Counter()
    s: Counter = Counter()
    e: Counter = Counter()
    per_file = {}
    diffs: list[dict[str, Any]] = []
    for f, g in gold.items():
        aid = file_to_article.get(f)
        pt = transfers.get(aid, [])
        _score_transfers(g.get("transfers", []), pt, t)
        diffs.extend(_transfer_diffs(f, g.get("transfers", []), pt))
        gs, ps = g.get("statements", []), statements.get(aid, [])
        diffs.extend(_statement_diffs(f, gs, ps, _score_statements(gs, ps, s)))
        ge, pe = g.get("events", []), events.get(aid, [])
        diffs.extend(_event_diffs(f, ge, pe, _score_events(ge, pe, e)))
        if "published_date" in g:
            t["pub_total"] += 1
            t["pub_ok"] += norm_date(g["published_date"]) == pub_dates.get(f)
        per_file[f] = {"transfers": len(pt), "statements": len(ps), "events": len(pe)}

    result: dict[str, Any] = {
        "articles": len(gold),
        "articles_missing": missing,
        "transfers": prf(t["tp3"], t["pred3"], t["gold3"]),
        "transfers_with_status": prf(t["tp4"], t["pred4"], t["gold4"]),
        "transfer_quantity_accuracy": _ratio(t["qty_ok"], t["qty_gold"]),
        "statements": prf(s["tp"], s["pred"], s["gold"]),
        "speaker_accuracy": _ratio(s["speaker_ok"], s["tp"]),
        "events": prf(e["tp"], e["pred"], e["gold"]),
        "event_date_accuracy": _ratio(e["date_ok"], e["tp"]),
        "published_date_accuracy": _ratio(t["pub_ok"], t["pub_total"]),
        "per_file_rows": per_file,
        "diffs": diffs,
    }
    result["macro_f1"] = round((result["transfers"]["f1"] + result["statements"]["f1"] + result["events"]["f1"]) / 3, 4)
    return result


def _ratio(ok: int, total: int) -> float | None:
    return round(ok / total, 4) if total else None


def _score_transfers(gold_rows: list[dict], pt: list[dict], t: Counter) -> None:
    g3 = {(x["supplier_id"], x["recipient_id"], x["item_category"]) for x in gold_rows}
    p3 = {(x["supplier_id"], x["recipient_id"], x["item_category"]) for x in pt}
    g4 = {(x["supplier_id"], x["recipient_id"], x["item_category"], x["status"]) for x in gold_rows}
    p4 = {(x["supplier_id"], x["recipient_id"], x["item_category"], x["status"]) for x in pt}
    t["tp3"] += len(g3 & p3)
    t["pred3"] += len(p3)
    t["gold3"] += len(g3)
    t["tp4"] += len(g4 & p4)
    t["pred4"] += len(p4)
    t["gold4"] += len(g4)
    for x in gold_rows:
        if x.get("quantity_min") is None and x.get("quantity_max") is None:
            continue
        key = (x["supplier_id"], x["recipient_id"], x["item_category"])
        if key not in p3:
            continue
        t["qty_gold"] += 1
        if any((p["supplier_id"], p["recipient_id"], p["item_category"]) == key
               and p["quantity_min"] == x.get("quantity_min") and p["quantity_max"] == x.get("quantity_max")
               for p in pt):
            t["qty_ok"] += 1


def _statement_score(a: dict, b: dict) -> float:
    return token_f1(a["quote"], b["quote_text"])


def _speaker_ok(gold_name: Any, pred_name: Any) -> bool:
    """The scorer's speaker test: both unnamed, or the gold name's last token among the predicted name's."""
    gn, pn = tokens(gold_name), tokens(pred_name)
    return (not gn and not pn) or (bool(gn) and gn[-1] in pn)


def _score_statements(gs: list[dict], ps: list[dict], s: Counter) -> list[tuple[dict, dict]]:
    m = greedy(gs, ps, _statement_score, 0.5)
    s["tp"] += len(m)
    s["pred"] += len(ps)
    s["gold"] += len(gs)
    for a, b in m:
        s["speaker_ok"] += _speaker_ok(a.get("speaker_name"), b.get("speaker_name"))
    return m


def _event_score(a: dict, b: dict) -> float:
    return containment(a["evidence"], b["evidence_text"]) if a["event_type"] == b["event_type"] else 0.0


def _score_events(ge: list[dict], pe: list[dict], e: Counter) -> list[tuple[dict, dict]]:
    m = greedy(ge, pe, _event_score, 0.6)
    e["tp"] += len(m)
    e["pred"] += len(pe)
    e["gold"] += len(ge)
    for a, b in m:
        e["date_ok"] += (norm_date(a.get("date")) == norm_date(b["event_date"])
                         and (a.get("date_granularity") or None) == (b["date_granularity"] or None))
    return m


# --- what to fix: unmatched gold rows (misses) and unmatched predicted rows (false positives) ---------------

def _nearest(row: dict, candidates: list[dict], score: Callable[[dict, dict], float]) -> tuple[dict | None, float]:
    """The candidate scoring highest against ``row`` (any score above zero), with its score."""
    best: dict | None = None
    best_score = 0.0
    for c in candidates:
        sc = score(row, c)
        if sc > best_score:
            best, best_score = c, sc
    return best, round(best_score, 3)


def _diff(file: str, kind: str, what: str, gold: str | None, predicted: str | None, score: float | None,
          evidence: str | None) -> dict[str, Any]:
    return {"file": file, "kind": kind, "what": what, "gold": gold, "predicted": predicted, "score": score,
            "evidence": evidence}


def _triple(x: dict, status: bool = True) -> str:
    out = f"{x['supplier_id']}->{x['recipient_id']} {x['item_category']}"
    return f"{out} [{x.get('status')}]" if status else out


def _triple_overlap(a: dict, b: dict) -> float:
    keys = ("supplier_id", "recipient_id", "item_category")
    same = sum(a.get(k) == b.get(k) for k in keys)
    return same / len(keys) + 0.01 * containment(a.get("evidence"), b.get("evidence_text"))


def _transfer_diffs(file: str, gold_rows: list[dict], pt: list[dict]) -> list[dict[str, Any]]:
    """Gold triples nobody predicted and predicted triples not in gold, each beside the closest other side."""
    def key(x: dict) -> tuple:
        return (x["supplier_id"], x["recipient_id"], x["item_category"])
    pred_keys = {key(p) for p in pt}
    gold_keys = {key(g) for g in gold_rows}
    out = []
    seen: set[tuple] = set()
    for g in gold_rows:
        if key(g) in pred_keys or key(g) in seen:
            continue
        seen.add(key(g))
        near, sc = _nearest(g, pt, _triple_overlap)
        out.append(_diff(file, "transfers", "miss", _triple(g), _triple(near) if near else None, sc,
                         g.get("evidence")))
    seen = set()
    for p in pt:
        if key(p) in gold_keys or key(p) in seen:
            continue
        seen.add(key(p))
        near, sc = _nearest(p, gold_rows, lambda a, b: _triple_overlap(b, a))
        out.append(_diff(file, "transfers", "false_positive", _triple(near) if near else None, _triple(p), sc,
                         p.get("evidence_text")))
    return out


def _said(speaker: Any, quote: Any) -> str:
    return f"{speaker or '-'}: {quote or ''}"


def _statement_diffs(file: str, gs: list[dict], ps: list[dict],
                     matches: list[tuple[dict, dict]]) -> list[dict[str, Any]]:
    """Missed quotes, predicted quotes gold lacks, and matched quotes whose speaker the scorer rejects."""
    matched_g = {id(a) for a, _ in matches}
    matched_p = {id(b) for _, b in matches}
    out = []
    for g in gs:
        if id(g) in matched_g:
            continue
        near, sc = _nearest(g, ps, _statement_score)
        out.append(_diff(file, "statements", "miss", _said(g.get("speaker_name"), g.get("quote")),
                         _said(near.get("speaker_name"), near.get("quote_text")) if near else None, sc,
                         g.get("evidence")))
    for p in ps:
        if id(p) in matched_p:
            continue
        near, sc = _nearest(p, gs, lambda a, b: _statement_score(b, a))
        out.append(_diff(file, "statements", "false_positive",
                         _said(near.get("speaker_name"), near.get("quote")) if near else None,
                         _said(p.get("speaker_name"), p.get("quote_text")), sc, p.get("evidence_text")))
    for g, p in matches:
        if not _speaker_ok(g.get("speaker_name"), p.get("speaker_name")):
            out.append(_diff(file, "statements", "wrong_speaker", _said(g.get("speaker_name"), g.get("quote")),
                             _said(p.get("speaker_name"), p.get("quote_text")), round(_statement_score(g, p), 3),
                             g.get("evidence")))
    return out


def _event_any_type(a: dict, b: dict) -> float:
    return containment(a["evidence"], b["evidence_text"])


def _event_diffs(file: str, ge: list[dict], pe: list[dict],
                 matches: list[tuple[dict, dict]]) -> list[dict[str, Any]]:
    """Missed events and predicted events gold lacks; the nearest row on the other side may differ in type."""
    matched_g = {id(a) for a, _ in matches}
    matched_p = {id(b) for _, b in matches}
    out = []
    for g in ge:
        if id(g) in matched_g:
            continue
        near, sc = _nearest(g, pe, _event_any_type)
        out.append(_diff(file, "events", "miss", f"{g['event_type']} {g.get('date') or ''}".strip(),
                         f"{near['event_type']} {norm_date(near['event_date']) or ''}".strip() if near else None,
                         sc, g.get("evidence")))
    for p in pe:
        if id(p) in matched_p:
            continue
        near, sc = _nearest(p, ge, lambda a, b: _event_any_type(b, a))
        out.append(_diff(file, "events", "false_positive",
                         f"{near['event_type']} {near.get('date') or ''}".strip() if near else None,
                         f"{p['event_type']} {norm_date(p['event_date']) or ''}".strip(), sc,
                         p.get("evidence_text")))
    return out


def format_table(result: dict[str, Any]) -> str:
    """The scorer's printed table, line for line."""
    lines = [f"{'kind':<24}{'P':>8}{'R':>8}{'F1':>8}{'tp/pred/gold':>18}"]
    for k in KINDS:
        r = result[k]
        lines.append(f"{k:<24}{r['precision']:>8.3f}{r['recall']:>8.3f}{r['f1']:>8.3f}{r['tp']:>8}/{r['pred']}/{r['gold']}")
    for k in ACCURACIES:
        lines.append(f"{k:<24}{'' if result[k] is None else result[k]:>8}")
    if result["articles_missing"]:
        lines.append(f"articles missing from dim_articles: {', '.join(result['articles_missing'])}")
    lines.append(f"macro_f1 {result['macro_f1']}")
    return "\n".join(lines)


def _clip(text: Any, width: int) -> str:
    text = " ".join(str(text or "-").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_diffs(result: dict[str, Any], width: int = 70) -> str:
    """Per file and kind: each miss, false positive and wrong speaker, gold beside the nearest predicted row.

    ``score`` is the scorer's similarity between the two (quote token F1 for statements, evidence containment
    for events, share of the triple's fields for transfers); the evidence line is the gold sentence for a miss,
    the predicted row's sentence otherwise.
    """
    diffs = result.get("diffs") or []
    if not diffs:
        return "no misses or false positives"
    lines = [f"{len(diffs)} differences (miss = gold row not found; false_positive = predicted row not in gold)"]
    current = None
    for d in sorted(diffs, key=lambda x: (x["file"], KINDS.index(x["kind"]), x["what"])):
        if (d["file"], d["kind"]) != current:
            current = (d["file"], d["kind"])
            lines.append(f"\n{d['file']} · {d['kind']}")
        score = "" if d["score"] is None else f" ({d['score']})"
        lines.append(f"  {d['what']:<15} gold: {_clip(d['gold'], width)}")
        lines.append(f"  {'':<15} pred: {_clip(d['predicted'], width)}{score}")
        lines.append(f"  {'':<15} evidence: {_clip(d['evidence'], width)}")
    return "\n".join(lines)


def evaluate(source: Any, gold_dir: Path, json_out: Path | None = None) -> dict[str, Any]:
    """Load gold, score the warehouse of ``source`` (a file or ``Settings``), optionally write the figures as
    JSON; return them."""
    result = score_warehouse(source, load_gold(gold_dir))
    if json_out is not None:
        Path(json_out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


# ---------------------------------------------------------------- clusters (the cross-article register)


def pairwise_prf(gold: dict[Any, Any], pred: dict[Any, Any]) -> dict[str, Any]:
    """Pairwise precision/recall/F1 of two clusterings of the same elements (element -> cluster label):
    a pair is predicted when both elements share a predicted cluster, gold when they share a gold one."""
    elements = sorted(gold, key=str)
    tp = n_pred = n_gold = 0
    for i, a in enumerate(elements):
        for b in elements[i + 1:]:
            same_gold = gold[a] == gold[b]
            same_pred = pred[a] == pred[b]
            tp += same_gold and same_pred
            n_gold += same_gold
            n_pred += same_pred
    return {**prf(tp, n_pred, n_gold), "elements": len(elements)}


def _gold_mentions(con: duckdb.DuckDBPyConnection, kind: str, clusters: list[dict[str, Any]]
                   ) -> tuple[dict[Any, Any], dict[Any, Any], list[str]]:
    """Gold and predicted labels of every gold mention's rows; a gold mention without a row is an element of
    its own (a missed mention: it can only lower recall)."""
    if kind == "deals":
        table, mart, label, filt = "fct_transfers", "fct_transfer_deals", "deal_id", "item_category"
    else:
        table, mart, label, filt = "fct_events", "fct_event_clusters", "cluster_id", "event_type"
    facts, marts, articles = find_table(con, table), find_table(con, mart), find_table(con, "dim_articles")
    rows = con.execute(
        f"select a.source_file, f.sentence_index, f.{filt}, f.row_id, m.{label} "
        f"from {facts} f join {articles} a using (article_id) "
        f"left join (select {label}, unnest(mention_row_ids) as row_id from {marts}) m using (row_id)"
    ).fetchall()
    by_place: dict[tuple[str, int], list[tuple[str, str, str | None]]] = {}
    for source_file, sentence, value, row_id, cluster in rows:
        by_place.setdefault((source_file, sentence), []).append((value, row_id, cluster))
    gold: dict[Any, Any] = {}
    pred: dict[Any, Any] = {}
    missed: list[str] = []
    for n, cluster in enumerate(clusters):
        for m in cluster["mentions"]:
            want = m.get(filt)
            found = [r for r in by_place.get((m["file"], int(m["sentence"])), []) if want in (None, r[0])]
            if not found:
                key = f"missed:{m['file']}#{m['sentence']}"
                gold[key], pred[key] = n, key
                missed.append(f"{m['file']}#{m['sentence']}")
            for _value, row_id, label_value in found:
                gold[row_id], pred[row_id] = n, label_value or f"unclustered:{row_id}"
    return gold, pred, missed


def evaluate_clusters(source: Any, gold_file: Path) -> dict[str, Any]:
    """Score the register against a gold clusters file (examples/stories/gold_clusters.json is one):
    pairwise precision/recall/F1 of the mentions in deals and event clusters, and of the articles in stories."""
    gold_file = Path(gold_file)
    if not gold_file.is_file():
        raise EvaluationError(f"gold clusters file not found: {gold_file}")
    spec = json.loads(gold_file.read_text(encoding="utf-8"))
    con = _open(source)
    try:
        result: dict[str, Any] = {}
        for kind in ("deals", "events"):
            if kind not in spec:
                continue
            gold, pred, missed = _gold_mentions(con, kind, spec[kind])
            result[kind] = {**pairwise_prf(gold, pred), "missed_mentions": missed}
        if "stories" in spec:
            articles = dict(con.execute(
                f"select source_file, story_id from {find_table(con, 'dim_articles')}").fetchall())
            group = {f: n for n, files in enumerate(spec["stories"]) for f in files}
            gold = {f: group.get(f, f"alone:{f}") for f in articles}
            result["stories"] = pairwise_prf(gold, articles)
    finally:
        con.close()
    return result


def format_cluster_table(result: dict[str, Any]) -> str:
    lines = [f"{'clusters':<10} {'pairs tp':>8} {'pred':>6} {'gold':>6} {'P':>7} {'R':>7} {'F1':>7}"]
    for kind, r in result.items():
        lines.append(f"{kind:<10} {r['tp']:>8} {r['pred']:>6} {r['gold']:>6} "
                     f"{r['precision']:>7.3f} {r['recall']:>7.3f} {r['f1']:>7.3f}")
        if r.get("missed_mentions"):
            lines.append(f"  missed mentions (no extracted row): {', '.join(r['missed_mentions'])}")
    return "\n".join(lines)
