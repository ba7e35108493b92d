"""Dated events (contract section 6).

A trigger word gives the event type. Strong triggers (a verb or a fixed phrase such as "مكالمة هاتفية",
"حزمة مساعدات") make an event by themselves; weak ones (nouns such as "العقوبات", "غزو", "زيارة") only with a
date of their own in the sentence, since without one they usually name a state of affairs. A negated or
state-of-affairs context (لم، عدم، المستمر، تخفيف) cancels a trigger. Each date expression belongs to the
nearest trigger. A title or caption restating a body event is the same happening: one row.
"""

from __future__ import annotations

from functools import lru_cache

from extractors.facts.context import BOUNDARY_WORDS, SentenceView
from extractors.mentions.dates import DateMention
from extractors.schemas import EventRow, row_id
from extractors.text.lexicon import load_csv
from extractors.text.matcher import PhraseMatcher
from extractors.text.textnorm import fold_token
from extractors.values import Value

_LOCATION_PREPS = ("في", "داخل", "الي", "قرب", "بالقرب", "عند")
_NEED_DATE = frozenset({"invasion"})
# before any trigger: negation, continuation of a state, capability, or "تأتي العقوبات ..." (refers back)
_HARD_BLOCKERS = frozenset({"لم", "لن", "عدم", "دون", "استمرار", "مواصله", "قادره", "قادر", "قدره", "بامكانها",
                            "تاتي", "ياتي", "جاءت", "جاء"})


class EventCandidate(Value):
    """An event trigger in a sentence."""

    def __init__(self, start: int, end: int, event_type: str, strong: bool, date: DateMention | None = None,
                 requires: frozenset[str] = frozenset()) -> None:
        self.start = start
        self.end = end
        self.event_type = event_type
        self.strong = strong
        self.date = date
        self.requires = requires

    def _fields(self) -> tuple:
        return (self.start, self.end, self.event_type, self.strong, self.date, self.requires)


@lru_cache(maxsize=1)
def _triggers() -> PhraseMatcher:
    return PhraseMatcher([(r["phrase"], (r["event_type"], r["strength"] == "strong",
                                         frozenset(fold_token(w) for w in (r.get("requires") or "").split())))
                          for r in load_csv("event_triggers.csv")])


@lru_cache(maxsize=1)
def _blockers() -> PhraseMatcher:
    return PhraseMatcher([(r["phrase"], True) for r in load_csv("event_blockers.csv")])


def _blocked(view: SentenceView, c: EventCandidate) -> bool:
    lo, hi = max(0, c.start - 2), min(len(view.toks), c.end + 3)
    for m in _blockers().find(view.toks, lo, hi):
        stems = {st for st, _ in view.toks[m.start].variants}
        if stems & _HARD_BLOCKERS and m.start < c.start:
            return True
        if not c.strong:
            return True
    return False


_ORDINALS = {fold_token(w): n for n, w in enumerate(
    ["الأولى", "الثانية", "الثالثة", "الرابعة", "الخامسة", "السادسة", "السابعة", "الثامنة", "التاسعة", "العاشرة"], 1)}


def anniversaries(view: SentenceView) -> list[tuple[EventCandidate, DateMention]]:
    """'في الذكرى الثانية للغزو' published P: the invasion was on P minus two years (exact, day)."""
    out: list[tuple[EventCandidate, DateMention]] = []
    if view.pub is None:
        return out
    toks = view.toks
    for i, t in enumerate(toks[:-2]):
        if "ذكري" not in t.folded:
            continue
        n = _ORDINALS.get(toks[i + 1].folded)
        if n is None:
            word = toks[i + 1].folded
            n = int(word) if word.isdigit() else None
        if n is None:
            continue
        try:
            when = view.pub.replace(year=view.pub.year - n)
        except ValueError:
            continue
        span_end = min(len(toks), i + 4)
        text = view.span(i, span_end)
        mention = DateMention(toks[i].start, toks[span_end - 1].end, text, None, when, "day", "relative")
        for m in _triggers().find(toks, i + 2, span_end):
            etype, strong, requires = m.value
            out.append((EventCandidate(m.start, m.end, etype, True, mention, requires), mention))
        # the anniversary itself is a day too (P): it dates what else happens in the sentence
        on_day = DateMention(toks[i].start, toks[span_end - 1].end, text, None, view.pub, "day", "relative")
        out.append((EventCandidate(-1, -1, "", False, on_day), on_day))
    return out


def _date_distance(view: SentenceView, c: EventCandidate) -> int:
    """Token distance from a candidate to the date it holds (same measure as the assignment)."""
    if c.date is None:
        return 10**6
    di = view.token_at_char(c.date.start)
    dj = view.token_at_char(max(c.date.start, c.date.end - 1))
    return (di - c.end if di >= c.end else c.start - dj if c.start > dj else 0) + (0 if c.strong else 3)


def _separated(view: SentenceView, a: int, b: int) -> bool:
    """True when a clause marker (إن/أن, a quotation mark, a colon) stands between token a and token b."""
    lo, hi = min(a, b), max(a, b)
    return any(view.toks[k].folded in BOUNDARY_WORDS or view.toks[k].text == ":" for k in range(lo + 1, hi))


def find_event_candidates(view: SentenceView) -> list[EventCandidate]:
    cands = []
    matches = _triggers().find(view.toks)
    item_tokens = {i for it in view.items for i in range(it.start, it.end)} if matches and view.items_cheap else set()
    for m in matches:
        etype, strong, requires = m.value
        if m.start in item_tokens:
            continue  # "طائرات تدريب": part of an item's name, not a training event
        if etype == "visit" and any(it.start in range(m.end, m.end + 3) for it in view.items):
            continue  # "وصلت أربع طائرات": materiel arriving is not a visit
        if requires and not any(t.folded in requires or any(s in requires for s, _ in t.variants)
                                for t in view.toks[m.end:m.end + 10]):
            continue
        c = EventCandidate(m.start, m.end, etype, strong, requires=requires)
        if not _blocked(view, c):
            cands.append(c)
    anniv_day: DateMention | None = None
    for c, d in anniversaries(view):
        if c.start < 0:
            anniv_day = d
            continue
        cands = [x for x in cands if not (x.start == c.start)] + [c]
    if not cands:
        return []
    if anniv_day is not None:
        for c in cands:
            if c.date is None and c.event_type != "invasion":
                c.date = anniv_day
    # each date belongs to the nearest trigger in its own clause
    for d in view.dates:
        if d.lead and fold_token(d.lead) == "منذ":
            continue  # "منذ عام 2014": the start of a period, not the date of a happening
        di = view.token_at_char(d.start)
        dj = view.token_at_char(max(d.start, d.end - 1))
        near = [c for c in cands if not _separated(view, di, c.start)]
        if not near:
            continue
        def distance(c: EventCandidate, di: int = di, dj: int = dj) -> int:
            lead = -2 if c.start <= 1 else 0  # the sentence's own verb ("وصل وفد ...") owns its date
            return (di - c.end if di >= c.end else c.start - dj if c.start > dj else 0) + (0 if c.strong else 3) + lead

        best = min(near, key=distance)
        if best.date is None or (best.date.value is None and d.value is not None) or (
                (best.date.value is None) == (d.value is None) and distance(best) < _date_distance(view, best)):
            best.date = d

    # a diplomatic occasion is one date: a visit dated in the sentence dates the meeting held during it
    occasion = {"meeting", "visit", "phone_call", "agreement"}
    occasion_dates = [c.date for c in cands
                      if c.event_type in occasion and c.date is not None and c.date.kind != "vague"]
    if len({d.start for d in occasion_dates}) == 1:
        for c in cands:
            if c.event_type in occasion and c.date is None and c.strong:
                c.date = occasion_dates[0]
    out: dict[str, EventCandidate] = {}
    for c in cands:
        dated = c.date is not None and (c.date.kind != "vague" or c.event_type in _NEED_DATE)
        if not c.strong and not dated:
            continue
        if c.event_type in _NEED_DATE and c.date is None:
            continue
        prev = out.get(c.event_type)
        if prev is None or (prev.date is None and c.date is not None):
            out[c.event_type] = c
    return sorted(out.values(), key=lambda c: c.start)


def _location(view: SentenceView, c: EventCandidate) -> str | None:
    for m in view.ner:
        if m.label == "LOC" and m.start > c.start:
            return view.span(m.start, m.end)
    for a in view.party_actors:
        if a.start <= c.start:
            continue
        k = a.start - 1
        if k >= 0 and (view.toks[k].folded in _LOCATION_PREPS or a.prefix.endswith("ب") is False and
                       view.toks[a.start].folded.startswith(("في", "داخل"))):
            return view.span(k, a.end)
    return None


def extract_events(view: SentenceView, article_id: str) -> list[EventRow]:
    rows = []
    for c in find_event_candidates(view):
        actors: list[str] = []
        for a in view.actors:
            if a.actor_id not in actors and (a in view.party_actors or a.kind == "person"):
                actors.append(a.actor_id)
        d = c.date
        value = d.value if d is not None and view.pub is not None or (d is not None and d.kind == "absolute") else None
        rows.append(EventRow(
            row_id=row_id(article_id, view.sentence.index, c.event_type),
            article_id=article_id, event_type=c.event_type, actor_ids=actors,
            location_text=_location(view, c),
            date_text=d.text if d is not None else None,
            event_date=value, date_granularity=d.granularity if value is not None and d is not None else None,
            segment=view.sentence.segment, sentence_index=view.sentence.index, evidence_text=view.text,
            confidence=(0.8 if c.strong else 0.6) + (0.1 if value is not None else 0.0),
            rule=f"event.{'strong' if c.strong else 'weak'}:{view.span(c.start, c.end)}",
        ))
    return rows


_DEDUP_SCAN = 64  # rows of one type compared with a title/caption mention (articles hold a handful)


def deduplicate_events(rows: list[EventRow], headline_sentences: set[int]) -> list[EventRow]:
    """One row per happening. A title/caption event restating another mention of the same type and actors is
    dropped (the mention with most date/actors/place is kept, body before headline); repeated body mentions
    with the same type, date and actors are one row.

    Linear in the rows: same-date twins are found by hash; title/caption pairs compare at most the first
    ``_DEDUP_SCAN`` kept rows of the type (a page of thousands of repeated mentions must not cost n**2)."""
    def info(r: EventRow) -> tuple[int, int, int]:
        score = len(r.actor_ids) + (r.location_text is not None)
        return int(r.event_date is not None), int(r.sentence_index not in headline_sentences), score

    def is_twin(f: EventRow, r: EventRow) -> bool:
        headline_pair = f.sentence_index in headline_sentences or r.sentence_index in headline_sentences
        same_date = f.event_date is not None and f.event_date == r.event_date and set(f.actor_ids) == set(r.actor_ids)
        return bool((headline_pair and set(f.actor_ids) & set(r.actor_ids)
                     and (f.event_date is None or r.event_date is None or f.event_date == r.event_date)) or same_date)

    out: list[EventRow] = []
    kept: dict[tuple[str, str], list[int]] = {}  # (type, segment) -> positions in out, in order
    titles: dict[tuple[str, str], list[int]] = {}  # positions that held a headline row (checked again on use)
    dated: dict[tuple, list[int]] = {}  # (type, segment, date, actors) -> positions (checked again on use)
    for r in rows:
        group = (r.event_type, r.segment)
        if r.sentence_index in headline_sentences:
            candidates = kept.get(group, [])[:_DEDUP_SCAN]
        else:
            candidates = titles.get(group, [])[:_DEDUP_SCAN]
        if r.event_date is not None:
            candidates = candidates + dated.get((group, r.event_date, frozenset(r.actor_ids)), [])
        twin_at = min((p for p in set(candidates) if is_twin(out[p], r)), default=-1)
        if twin_at < 0:
            twin_at = len(out)
            out.append(r)
            kept.setdefault(group, []).append(twin_at)
        elif info(r) > info(out[twin_at]):
            out[twin_at] = r
        else:
            continue
        if r.sentence_index in headline_sentences and twin_at not in titles.get(group, [])[-1:]:
            titles.setdefault(group, []).append(twin_at)
        if r.event_date is not None:
            dated.setdefault((group, r.event_date, frozenset(r.actor_ids)), []).append(twin_at)
    return out
