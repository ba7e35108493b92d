"""Bounded time per article (issue 14, item 1; repro F06 quadratic statements, F07 IndexError).

Extraction must be linear in the article's length whatever it repeats: reporting verbs, quotation marks,
transfer verbs, event words, separators, combining marks. The property test below generates repetitions of
lexicon trigger words joined to quote marks and separators, times each at 1 KB and at 64 KB, and requires
the 64 KB run to cost less than 4 x 64 times the 1 KB one (linear: ~64). A fixed-seed sample of the trigger
words keeps it to a few seconds; ``MIRSAD_LINEARITY_ALL=1`` sweeps every word of every lexicon (minutes).
"""

from __future__ import annotations

import os
import random
import time
import unicodedata

import pytest

from extractors.facts import events, pipeline, statements
from extractors.facts.context import SentenceView
from extractors.ingest.reading import decode_bytes
from extractors.schemas import EventRow
from extractors.text.lexicon import load_csv
from extractors.text.segments import MAX_SENTENCE_CHARS, Sentence, cap_spans

QUOTES = ['"', "«", "»", "“", "”"]
SEPARATORS = [":", "،", ",", ".", "؛", "\n", " - ", "(", ")", "!", "؟", "/", "|", "\t", "..."]
JOINERS = [" ", ": ", ': "', " «", "، ", " إن ", ". ", "\n"]
SLACK = 4  # the 64 KB text may cost up to SLACK * 64 times the 1 KB one
FLOOR = 0.002  # s: below this a 1 KB timing is noise, not a per-byte cost


def _trigger_words() -> list[str]:
    words = {r["form"] for r in load_csv("reporting_verbs.csv")}
    words |= {r["form"] for r in load_csv("transfer_triggers.csv")}
    words |= {r["phrase"] for r in load_csv("event_triggers.csv")}
    return sorted(words)


def _units() -> list[str]:
    words = _trigger_words()
    units = QUOTES + SEPARATORS + [q + s for q in QUOTES for s in (" ", ": ")]
    if os.environ.get("MIRSAD_LINEARITY_ALL"):
        return units + [w + j for w in words for j in (" ", ': "')]
    rng = random.Random(14)
    # the known worst shapes, then a sample of every lexicon word joined to a sampled separator/quote
    units += ['قال: "', "قال إن ", "زودت ", "وأكد ", "بحسب ", "التقى بوتين وشي. "]
    units += [w + rng.choice(JOINERS) for w in rng.sample(words, 10)]
    return units


def _text(unit: str, size: int) -> str:
    data = (unit * (size // len(unit.encode("utf-8")) + 1)).encode("utf-8")[:size]
    return data.decode("utf-8", "ignore")


def _cpu(text: str, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        decoded, _ = decode_bytes(text.encode("utf-8")) if text.strip() else (text, "utf-8")
        pipeline.extract_article(decoded, source_file="x.txt")
        best = min(best, time.process_time() - start)
    return best


def test_repeated_triggers_quotes_and_separators_cost_linear_time():
    pipeline.extract_article("قال المتحدث: نعم.", source_file="warm.txt")  # lexicons loaded before timing
    slow = []
    for unit in _units():
        small = max(_cpu(_text(unit, 1024), repeat=3), FLOOR)
        large = _cpu(_text(unit, 64 * 1024))
        if large > SLACK * 64 * small:
            slow.append(f"{unit!r}: 1 KB {small * 1000:.1f} ms, 64 KB {large:.2f} s ({large / small:.0f}x)")
    assert not slow, "super-linear extraction:\n" + "\n".join(slow)


def test_one_letter_with_400k_combining_marks_normalises_in_linear_time():
    # CPython's NFC sorts a run of marks by insertion: 40,000 alternating marks took 2.5 s, 400,000 never ended
    text = "ب" + "\u064e\u0651" * 200_000
    start = time.process_time()
    decoded, _ = decode_bytes(text.encode("utf-8"))
    pipeline.extract_article("خبر " + decoded[:5000], source_file="x.txt")
    assert time.process_time() - start < 3.0
    assert unicodedata.is_normalized("NFC", decoded)
    assert decoded.count("\u034f") == (len(text) - 1) // 30 - ((len(text) - 1) % 30 == 0)
    # ordinary vowelled text is left exactly as it was
    plain = "قَالَ المُتَحَدِّثُ"
    assert decode_bytes(plain.encode("utf-8"))[0] == unicodedata.normalize("NFC", plain)


@pytest.mark.parametrize("text", ["قال البيت الأبيض. وأكد", "قال البيت الأبيض: وأكد", "قال:", 'قال: "', "وأكد"])
def test_a_reporting_verb_at_the_very_end_is_not_an_error(text):
    """F07: IndexError in statement extraction quarantined the whole article."""
    out = pipeline.extract_article(text, source_file="x.txt")
    assert out.article.char_count == len(text)


def test_clause_ends_computed_once_equal_the_plain_scan():
    """The one-pass table behind ``_clause_end`` gives what the left-to-right scan gives, from every token."""
    rng = random.Random(7)
    vocab = ["قال", "وقال", "أضاف", "مضيفا", "،", ",", "إذ", "لكن", "روسيا", "إيران", "إن", '"', "«", "»", "“", "”",
             "صواريخ", "."]
    for _ in range(300):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 40)))
        view = SentenceView(Sentence(0, text, 0, len(text), 0, "main", False), None)
        n = len(view.toks)
        for k in range(n):
            assert statements._clause_end(view, k, n) == statements._clause_end_scan(view, k, n), (text, k)


def _reference_dedup(rows, headline_sentences):
    """The quadratic original of ``events.deduplicate_events`` (kept here as its specification)."""
    def info(r):
        return int(r.event_date is not None), int(r.sentence_index not in headline_sentences), \
            len(r.actor_ids) + (r.location_text is not None)

    out = []
    for r in rows:
        twin = None
        for f in out:
            if f.event_type != r.event_type or f.segment != r.segment:
                continue
            headline_pair = f.sentence_index in headline_sentences or r.sentence_index in headline_sentences
            same_date = f.event_date is not None and f.event_date == r.event_date and set(f.actor_ids) == set(r.actor_ids)
            if (headline_pair and set(f.actor_ids) & set(r.actor_ids)
                    and (f.event_date is None or r.event_date is None or f.event_date == r.event_date)) or same_date:
                twin = f
                break
        if twin is None:
            out.append(r)
        elif info(r) > info(twin):
            out[out.index(twin)] = r
    return out


def test_event_dedup_is_the_original_rule_on_article_sized_inputs():
    from datetime import date

    rng = random.Random(3)
    for trial in range(400):
        rows = []
        for i in range(rng.randint(0, 30)):
            rows.append(EventRow(
                row_id=f"r{trial}-{i}", article_id="a", event_type=rng.choice(["meeting", "attack"]),
                actor_ids=rng.sample(["RUS", "IRN", "USA"], rng.randint(0, 2)),
                location_text=rng.choice([None, "طهران"]), date_text=None,
                event_date=rng.choice([None, date(2024, 3, 1), date(2024, 3, 2)]), date_granularity=None,
                segment=rng.choice(["main", "related"]), sentence_index=rng.randint(0, 8), evidence_text="e",
                confidence=0.8, rule="r",
            ))
        heads = set(rng.sample(range(9), rng.randint(0, 3)))
        assert [r.row_id for r in events.deduplicate_events(rows, heads)] == \
            [r.row_id for r in _reference_dedup(rows, heads)]


def test_long_run_on_text_is_cut_into_bounded_windows_covering_it():
    text = ("كلمة " * 3000) + "x" * 2500
    spans = cap_spans(text, [(0, len(text))], MAX_SENTENCE_CHARS)
    assert all(b - a <= MAX_SENTENCE_CHARS for a, b in spans)
    assert "".join(text[a:b] for a, b in spans).replace(" ", "") == text.replace(" ", "")
    short = [(0, 40)]
    assert cap_spans(text, short, MAX_SENTENCE_CHARS) == short
