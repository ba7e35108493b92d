"""Dated events (contract section 6).

A trigger word gives the event type. Strong triggers (a verb or a fixed phrase such as "مكالمة هاتفية",
"حزمة مساعدات") make an event by themselves; weak ones (nouns such as "العقوبات", "غزو", "زيارة") only with a
date of their own in the sentence, since without one they usually name a state of affairs. The lexicon lists
a word once: its dual/accusative ا and pronoun endings are generated (``trigger_forms``). A weak noun names one
specific happening, and counts as strong, with its other party ("لقاء مع"، "زيارته إلى الإمارات"), as a time
anchor ("عقب لقاء"، "بعد محادثات"), or, for a signing verb, with its instrument ("وقّع ... اتفاقاً"). A
negated, habitual, intended or state-of-affairs context (لم، مراراً، تسعى إلى، من أجل، المستمر) or a purpose
ل before a verbal noun ("لتدريب") cancels a trigger. Each date expression belongs to the nearest trigger in
its clause; a day named only in the reporting clause ("قالت الوزارة، الاثنين، إن ...") dates the reported
happening. An event's actors are the parties of its own clause (``event_clause``): not the topic of a call,
not a state in another clause. Second mentions of one happening are one row (``deduplicate_events``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from extractors.facts.context import BOUNDARY_WORDS, QUOTE_CHARS, SentenceView
from extractors.mentions.actors import actor_type
from extractors.mentions.dates import DateMention
from extractors.schemas import EventRow, row_id
from extractors.text.lexicon import load_csv
from extractors.text.matcher import PhraseMatcher, phrase_key
from extractors.text.textnorm import fold, fold_token, tokenize
from extractors.text.tokens import Token
from extractors.values import Value

_LOCATION_PREPS: Final = ("في", "داخل", "الي", "قرب", "بالقرب", "عند")
_NEED_DATE: Final = frozenset({"invasion"})
# before any trigger: negation, continuation of a state, capability, or "تأتي العقوبات ..." (refers back)
_HARD_BLOCKERS: Final = frozenset({"لم", "لن", "عدم", "دون", "استمرار", "مواصله", "قادره", "قادر", "قدره", "بامكانها",
                            "تاتي", "ياتي", "جاءت", "جاء",
                            # purpose and capability: what is meant to happen or could happen
                            "اجل", "لاجل", "لاجراء", "امكانيه", "بامكان", "بهدف",
                            "تسعي", "يسعي", "تعتزم", "يعتزم", "تخطط", "يخطط", "تهدف", "يهدف", "ترغب", "يرغب"})
# a topic marker cancels a weak trigger after it ("مفاوضات بشأن وقف إطلاق النار"), not one before it
_TOPIC_BEFORE: Final = frozenset({"بشان", "حول", "بخصوص"})
# on either side of any trigger: a repeated act ("نفت مرارا") is a habit, not one happening
_REPEATED: Final = frozenset({"مرارا", "تكرارا"})


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
        self.refers_back = False  # the sentence names this type with a definite noun ("الهجوم"، "الاعتراض")
        self.definite = False  # this trigger is such a noun

    def _fields(self) -> tuple:
        return (self.start, self.end, self.event_type, self.strong, self.date, self.requires, self.refers_back)


# object/possessive pronoun endings: "زيارته"، "لقائهما"، "استهدفها"
_ENCLITICS: Final = ("ه", "ها", "هم", "هما")


def trigger_forms(raw: str) -> list[str]:
    """Inflected forms of a one-word trigger that the lexicon need not list (folded): the ending ا (a verb's
    dual "اتفقا"، a noun's indefinite accusative "اعتراضا") and the pronoun endings. A noun in ة takes them
    on ت ("زيارة" -> "زيارته"); a final hamza is written on a seat before an ending ("لقاء" -> "لقائه").
    Words with the article, with a pronoun already, or of three letters (زار+ه would be "وزارة" after و) get
    no pronoun ending."""
    word = fold_token(raw)
    if len(word) < 3 or word.endswith("ا") or word.startswith("ال"):
        return []
    if raw.endswith("ة"):
        base = word[:-1] + "ت"
        return [base + e for e in _ENCLITICS]
    if word.endswith(("ه", "هم", "ها", "هما")):
        return []
    out = [word + "ا"] if not word.endswith(("ي", "و", "ات")) else []
    if len(word) >= 4:
        bases = [word, word[:-1] + "ي"] if word.endswith("اء") else [word]  # لقاء -> لقائه (folded ئ -> ي)
        out += [b + e for b in bases for e in _ENCLITICS]
    return out


@lru_cache(maxsize=1)
def _triggers() -> PhraseMatcher:
    entries: list[tuple[str, tuple[str, bool, frozenset[str]]]] = []
    for r in load_csv("event_triggers.csv"):
        entries.append((r["phrase"], (r["event_type"], r["strength"] == "strong",
                                      frozenset(fold_token(w) if not w.startswith("@") else w
                                                for w in (r.get("requires") or "").split()))))
    listed = {phrase_key(p) for p, _ in entries}
    generated: list[tuple[str, tuple[str, bool, frozenset[str]]]] = []
    for phrase, value in entries:
        words = tokenize(phrase)
        if len(words) != 1:
            continue
        for form in trigger_forms(words[0]):
            if (form,) not in listed:
                listed.add((form,))
                generated.append((form, value))
    return PhraseMatcher(entries + generated)  # listed entries first: a listed form keeps its own row


@lru_cache(maxsize=1)
def _blockers() -> PhraseMatcher:
    return PhraseMatcher([(r["phrase"], True) for r in load_csv("event_blockers.csv")])


def _blocked(view: SentenceView, c: EventCandidate) -> bool:
    lo, hi = max(0, c.start - 2), min(len(view.toks), c.end + 3)
    for m in _blockers().find(view.toks, lo, hi):
        stems = {st for st, _ in view.toks[m.start].variants}
        if stems & _HARD_BLOCKERS and m.start < c.start or stems & _REPEATED:
            return True
        if stems & _TOPIC_BEFORE and m.start >= c.start:
            continue  # "التفاهم حول ..." names what was agreed; only "بشأن وقف إطلاق النار" makes a topic
        if not c.strong:
            return True
    return False


_ORDINALS: Final = {fold_token(w): n for n, w in enumerate(
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


# a preposition that dates something by a happening ("عقب لقاء"، "خلال زيارته"، "بعد محادثات") names one
# specific occasion; so does an occasion noun with its other party ("لقاء مع"، "محادثات بين")
_ANCHORS: Final = frozenset({"عقب", "بعد", "اثر", "خلال", "اثناء", "قبيل", "اعقاب", "ختام", "اختتام", "هامش"})
_PARTY_PREPS: Final = frozenset({"مع", "بين", "الي", "لدي"})
_SIGN_VERBS: Final = frozenset({"وقع", "وقعت", "وقعوا", "وقعتا", "وافق", "وافقت", "وافقوا"})
_DEALS: Final = frozenset({"اتفاق", "اتفاقا", "اتفاقيه", "اتفاقيات", "عقد", "عقدا", "عقدين", "عقود", "صفقه", "صفقات",
                    "مذكره", "معاهده", "بيع"})
_OCCASIONS: Final = frozenset({"meeting", "visit", "phone_call"})
# arrival of anything (cargo too) and a verb of discussing are not occasion nouns
# holding or conducting a meeting (root ع-ق-د "to convene", form IV of ج-ر-ي), any tense
_HOLD_VERBS: Final = frozenset({"عقد", "عقدت", "عقدا", "عقدوا", "يعقد", "تعقد", "سيعقد", "ستعقد", "يعقدان", "اجري", "اجرت",
                         "اجريا", "اجروا", "يجري", "تجري", "سيجري", "ستجري"})
_NOT_OCCASION_NOUNS: Final = frozenset({"وصل", "وصلت", "وصلا"})
# past verbs of forms V/VI whose verbal noun is the same letters with the article (توصل/التوصل، تعاقد/التعاقد)
_FORM_V_VI: Final = frozenset({"توصل", "تعاقد"})
_TALK: Final = frozenset({"بحث", "بحثا", "ناقش", "ناقشا", "تباحث", "تباحثا"})
# types whose verbal noun after ل ("لتدريب"، "لاعتراض"، "للاجتماع") is a purpose; an attack or a ceasefire
# after ل is the object of another word ("تعرضت لهجوم"، "اتفاق لوقف إطلاق النار")
_PURPOSE_TYPES: Final = frozenset({"training", "interception", "meeting", "visit", "production", "agreement", "publication"})
_TRAINEES: Final = frozenset({"الطيارين", "القوات", "الجنود", "العسكريين", "الجيش", "الطواقم", "الضباط", "المقاتلين",
                       "الكوادر", "الفنيين", "عناصر", "جنود", "قوات", "طيارين", "ضباط", "مقاتلين", "عسكريين"})


def _has_required(view: SentenceView, start: int, end: int, requires: frozenset[str]) -> bool:
    """One of the words a trigger needs follows within 10 tokens or precedes within 3 ("رسالة نشرتها");
    "@item" is met by materiel named after the trigger."""
    toks = view.toks
    for t in toks[max(0, start - 3):start] + toks[end:end + 10]:
        if t.folded in requires or any(s in requires for s, _ in t.variants):
            return True
    return "@item" in requires and view.items_cheap and any(end <= it.start < end + 10 for it in view.items)


def _specific(view: SentenceView, start: int, end: int, etype: str, key: tuple[str, ...]) -> bool:
    """A weak (noun) trigger that names one particular happening rather than a kind of activity."""
    toks = view.toks
    if etype == "meeting" and key[0] in _TALK and (start == 0 or toks[start - 1].text in ("،", ",")
                                                   or toks[start - 1].folded in BOUNDARY_WORDS):
        return True  # "وبحث وزيرا الخارجية ...": a talk verb opening its clause is the verb, not "research"
    if etype in _OCCASIONS and key[0] not in _NOT_OCCASION_NOUNS:
        prev = toks[start - 1].variants if start > 0 else ()
        if etype != "visit" and any(st in _ANCHORS for st, _ in prev):
            return True  # "عقب لقاء"، "بعد محادثات" (a visit used as a time frame, "خلال زيارة", is not dated news)
        if etype == "visit" and start > 0 and toks[start - 1].folded == "في":
            return True  # "في زيارة رسمية"
        if etype == "meeting" and any(st in _HOLD_VERBS for t in toks[max(0, start - 7):start] for st, _ in t.variants):
            return True  # "عقد الرئيسان اجتماعات"، "أجرى الوزير لقاء"، "من المقرر أن تعقد القمة"
        party_at = {a.start for a in view.actors}
        for k in range(end, min(len(toks), end + 4)):
            t = toks[k]
            if t.folded in ("بينهما", "بينهم", "معه", "معها", "معهم", "معهما") or (
                    (t.folded in _PARTY_PREPS or t.folded.startswith("بين")) and (
                    party_at & {k, k + 1, k + 2} or any(w.folded.startswith("نظير") for w in toks[k + 1:k + 3]))):
                return True  # "لقاء مع الرئيس الكوري"، "زيارته إلى الإمارات"
    if etype == "agreement" and any(st in _SIGN_VERBS for st, _ in toks[start].variants):
        # "وقّع ... اتفاقاً"، "وافقت على صفقة": a signing or approval with its instrument named
        return any(st in _DEALS for t in toks[end:end + 20] for st, _ in t.variants)
    if etype == "training":  # "تدريب الطيارين": training of a named group of people
        return end < len(toks) and any(st in _TRAINEES for st, _ in toks[end].variants)
    return False


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
        if requires and not _has_required(view, m.start, m.end, requires):
            continue
        if m.key[0] in _FORM_V_VI and view.toks[m.start].variants[-1][1].endswith("ال"):
            continue  # "التوصل إلى اتفاق"، "التعاقد": the verbal noun of these verbs names no happening
        if etype in _PURPOSE_TYPES and "ل" in m.prefix:
            continue  # "لتدريب الجيش"، "مصمم لاعتراض": ل before a verbal noun states a purpose, not a happening
        if etype == "visit" and any(st.startswith("جول") for st, _ in view.toks[m.start].variants) and any(
                t.folded == "من" for t in view.toks[m.end:m.end + 2]):
            continue  # "جولة جديدة من العقوبات": a round of something else, not a tour
        c = EventCandidate(m.start, m.end, etype, strong, requires=requires)
        c.definite = _is_definite(view.toks[m.start], m.key[0])
        if _blocked(view, c):
            continue
        if not strong and _specific(view, m.start, m.end, etype, m.key):
            c.strong = True
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
    reporting_day: tuple[int, DateMention] | None = None
    for d in view.dates:
        if d.lead and fold_token(d.lead) == "منذ":
            continue  # "منذ عام 2014": the start of a period, not the date of a happening
        di = view.token_at_char(d.start)
        dj = view.token_at_char(max(d.start, d.end - 1))
        near = [c for c in cands if not _separated(view, di, c.start)]
        if not near:
            if d.kind != "vague" and d.granularity == "day":
                reporting_day = reporting_day or (di, d)
            continue
        def distance(c: EventCandidate, di: int = di, dj: int = dj) -> int:
            lead = -2 if c.start <= 1 else 0  # the sentence's own verb ("وصل وفد ...") owns its date
            return (di - c.end if di >= c.end else c.start - dj if c.start > dj else 0) + (0 if c.strong else 3) + lead

        best = min(near, key=distance)
        if best.date is None or (best.date.value is None and d.value is not None) or (
                (best.date.value is None) == (d.value is None) and distance(best) < _date_distance(view, best)):
            best.date = d

    # "قالت الوزارة، الاثنين، إن شركة حصلت على عقد": a day named only in the reporting clause dates the
    # reported happening that has no date of its own (news reports what happened that day)
    if reporting_day is not None:
        rk, rd = reporting_day
        for c in cands:
            if c.date is None and c.strong and c.start > rk:
                c.date = rd
    # a diplomatic occasion is one date: a visit dated in the sentence dates the meeting held during it
    occasion = {"meeting", "visit", "phone_call", "agreement"}
    occasion_dates = [c.date for c in cands
                      if c.event_type in occasion and c.date is not None and c.date.kind != "vague"]
    if len({d.start for d in occasion_dates}) == 1:
        for c in cands:
            if c.event_type in occasion and c.date is None and c.strong:
                c.date = occasion_dates[0]
    # "اتفاق لوقف إطلاق النار"، "اتفاق الهدنة": the agreement is the ceasefire itself (one row, its date)
    for c in [c for c in cands if c.event_type == "agreement" and not c.strong]:
        truce = next((x for x in cands if x.event_type == "ceasefire" and c.end <= x.start <= c.end + 2), None)
        if truce is not None:
            truce.strong = True
            truce.date = truce.date or c.date
            cands.remove(c)
    # "بحث الرئيس هاتفيا مع نظيره": the talk was the call, not a meeting; "بحثا عن" is a search
    talk = [c for c in cands if c.event_type == "meeting" and any(st in _TALK for st, _ in view.toks[c.start].variants)]
    if any(c.event_type == "phone_call" for c in cands):
        cands = [c for c in cands if c not in talk]
    cands = [c for c in cands if not (c in talk and c.end < len(view.toks) and view.toks[c.end].folded == "عن")]
    definite = [c for c in cands if c.definite]
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
    for c in out.values():  # named in its own clause by a definite noun ("الهجوم الجوي استهدف"): a known happening
        c.refers_back = any(d.event_type == c.event_type and not any(
            _opens_clause(view, k) for k in range(min(d.start, c.start), max(d.end, c.end))) for d in definite)
    return sorted(out.values(), key=lambda c: c.start)


def _is_definite(tok: Token, listed: str) -> bool:
    """A noun with the article ("الهجوم"، "والاعتراض") refers to a happening the reader already knows. A
    listed word in الت- written as in the text is a verb of form VIII ("التقى"), not a noun with the article."""
    if listed.startswith("الت") and any(st == listed for st, _ in tok.variants):
        return False
    return any(st.startswith("ال") or p.endswith("ال") for st, p in tok.variants[:2])


def _location(view: SentenceView, c: EventCandidate) -> str | None:
    for m in view.ner:
        if m.label == "LOC" and m.start > c.start:
            return view.span(m.start, m.end)
    for a in view.party_actors:
        if a.start <= c.start or actor_type(a.actor_id) != "state":
            continue  # a place is a state's land, its capital or a city; "إلى حزب الله" names a party
        k = a.start - 1
        if k >= 0 and (view.toks[k].folded in _LOCATION_PREPS or a.prefix.endswith("ب") is False and
                       view.toks[a.start].folded.startswith(("في", "داخل"))):
            return view.span(k, a.end)
    return None


# words that open another clause: what follows is not the event's party ("فيما"، "بينما"), or the topic of a
# meeting or call rather than its participants ("لبحث"، "ناقشا"، "حول"، "بشأن")
_CLAUSE_OPENERS: Final = frozenset({"فيما", "بينما", "حيث", "حين", "بسبب", "ردا"})
_PRONOUN_THAT: Final = frozenset({"انه", "انها", "بانه", "بانها", "انهم", "بانهم"})
_SAYING: Final = frozenset({"denial", "publication"})
_CONTENT_WORDS: Final = frozenset({"صحه", "عن", "تقرير", "تقريرا", "تقارير", "اتهامات", "انباء", "وجود", "صور", "صورا",
                            "مقطعا", "مقطع", "بيانا"})
_TOPIC_MARKERS: Final = frozenset({"لبحث", "بحث", "بحثا", "بحثت", "ناقش", "ناقشا", "ناقشت", "لمناقشه", "حول", "بشان",
                            "بخصوص", "تناول", "تناولا", "تناولت", "تناولها", "خلاله", "خلالها", "استعرض", "استعرضا"})


def event_clause(view: SentenceView, c: EventCandidate, starts: frozenset[int] = frozenset()) -> tuple[int, int]:
    """Token span [lo, hi) of the clause holding a trigger: back to the last clause marker (إن/أن, a quotation
    mark, a colon, فيما ..., a comma before another event's trigger in ``starts``) and on to the next one or to
    the topic of a meeting or call (بحثا خلاله ...)."""
    toks = view.toks
    lo = c.start
    while lo > 0 and not _opens_clause(view, lo - 1) and not (
            toks[lo - 1].text in ("،", ",") and lo in starts and any(k < lo - 1 for k in starts)):
        lo -= 1
    hi = c.end
    # a denial or a publication names its author right after the verb; then comes what is denied or told
    stop = c.end + 10 if c.event_type in _SAYING else len(toks)
    while hi < min(stop, len(toks)) and not _opens_clause(view, hi) and not (
            toks[hi].text in ("،", ",") and hi + 1 in starts) and not (
            c.event_type in _OCCASIONS and any(st in _TOPIC_MARKERS for st, _ in toks[hi].variants[:2])) and not (
            c.event_type in _SAYING and hi > c.end and any(st in _CONTENT_WORDS for st, _ in toks[hi].variants[:2])):
        hi += 1
    return lo, hi


def _participant(view: SentenceView, c: EventCandidate, k: int) -> bool:
    """After a meeting or call trigger, a party named after "في" is where it happened or what was discussed
    ("اجتماعا في بروكسل"، "الأوضاع في السودان"), not a participant; a visit's place is the host."""
    return c.event_type == "visit" or k == 0 or view.toks[k - 1].folded != "في"


def _opens_clause(view: SentenceView, k: int) -> bool:
    tok = view.toks[k]
    if tok.text in QUOTE_CHARS:  # quotation marks around a short name ("إف-35") do not open a clause
        near = view.toks[max(0, k - 6):k] + view.toks[k + 1:k + 7]
        return not any(t.text in QUOTE_CHARS for t in near)
    return view.is_boundary(k) or tok.text in (";", "؛") or any(st in _CLAUSE_OPENERS for st, _ in tok.variants[:2])


def extract_events(view: SentenceView, article_id: str) -> list[EventRow]:
    rows = []
    cands = find_event_candidates(view)
    starts = frozenset(c.start for c in cands)
    for c in cands:
        lo, hi = event_clause(view, c, starts)
        parties = [a for a in view.actors if a in view.party_actors or a.kind == "person"
                   or (c.event_type == "publication" and actor_type(a.actor_id) == "media")]
        actors: list[str] = []
        for a in parties:
            if a.actor_id not in actors and lo <= a.start < hi \
                    and (c.event_type not in _OCCASIONS or a.start < c.end or _participant(view, c, a.start)):
                actors.append(a.actor_id)
        if lo > 0 and (not actors or view.toks[lo - 1].folded in _PRONOUN_THAT):
            # the clause names no party ("أعلن الكرملين أن الرئيسين تحادثا") or its subject is a pronoun for the
            # one reporting it ("قالت القيادة الأمريكية إنها دعمت اعتراضاً"): that party is the subject
            for a in parties:
                if a.actor_id not in actors and a.start < lo:
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
            rule=f"event.{'strong' if c.strong else 'weak'}:{view.span(c.start, c.end)}"
                 + (REFERS_BACK if c.refers_back else ""),
        ))
    return rows


_ALSO: Final = frozenset({"ايضا", "كذلك"})
REFERS_BACK: Final = " (refers back)"  # rule suffix: the sentence names the happening with a definite noun


def _second_mention(f: EventRow, r: EventRow) -> bool:
    """Same-type rows of one article that report one happening: a definite noun referring back ("الاعتراض تم
    في ...") to an earlier mention, or an undated mention of a diplomatic occasion among the parties of a
    recorded one ("بعد أن التقى الرئيس" beside the dated meeting)."""
    if f.sentence_index < r.sentence_index and r.rule.endswith(REFERS_BACK) and r.event_date is None:
        return True
    if r.event_type in _OCCASIONS and r.actor_ids and f.actor_ids:
        undated, other = (r, f) if r.event_date is None else (f, r)
        if undated.event_date is not None or _ALSO & set(fold(undated.evidence_text).split()):
            return False  # "وزار أيضاً ...": another occasion of the same kind
        return set(undated.actor_ids) <= set(other.actor_ids)
    return False


_DEDUP_SCAN: Final = 64  # rows of one type compared with a title/caption mention (articles hold a handful)


def _may_restate(r: EventRow) -> bool:
    """A body row that may restate an earlier one of its type (compared with the first ``_DEDUP_SCAN`` kept
    rows): a definite noun referring back, a diplomatic occasion, a dated happening."""
    return r.rule.endswith(REFERS_BACK) or r.event_type in _OCCASIONS or r.event_date is not None


def deduplicate_events(rows: list[EventRow], headline_sentences: set[int]) -> list[EventRow]:
    """One row per happening. A title/caption event restating another mention of the same type and actors is
    dropped (the mention with most date/actors/place is kept, body before headline); repeated body mentions
    with the same type, date and actors are one row.

    Linear in the rows: same-date twins are found by hash; title/caption pairs compare at most the first
    ``_DEDUP_SCAN`` kept rows of the type (a page of thousands of repeated mentions must not cost n**2)."""
    def info(r: EventRow) -> tuple[int, int, int]:
        return (int(r.event_date is not None), int(r.sentence_index not in headline_sentences),
                int(r.location_text is not None))  # then the first mention (the lead tells it most fully)

    def is_twin(f: EventRow, r: EventRow) -> bool:
        headline_pair = f.sentence_index in headline_sentences or r.sentence_index in headline_sentences
        # same type on the same day among the same parties (one list holding the other): one happening
        small, big = sorted((set(f.actor_ids), set(r.actor_ids)), key=len)
        same_date = f.event_date is not None and f.event_date == r.event_date and f.date_granularity == "day" \
            and small <= big and (len(small) >= 2 or small == big)
        return bool((headline_pair and set(f.actor_ids) & set(r.actor_ids)
                     and (f.event_date is None or r.event_date is None or f.event_date == r.event_date))
                    or same_date or _second_mention(f, r))

    out: list[EventRow] = []
    kept: dict[tuple[str, str], list[int]] = {}  # (type, segment) -> positions in out, in order
    titles: dict[tuple[str, str], list[int]] = {}  # positions that held a headline row (checked again on use)
    dated: dict[tuple, list[int]] = {}  # (type, segment, date, actors) -> positions (checked again on use)
    for r in rows:
        group = (r.event_type, r.segment)
        if r.sentence_index in headline_sentences or _may_restate(r):
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
