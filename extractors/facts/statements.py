"""Attributed statements (contract section 5).

A reporting verb (or بحسب/وفق/نقلا عن) starts a statement. The speaker is the noun phrase after the verb
(Arabic is mostly verb-first), else the nearest actor before it in the clause, else — a verb with no
subject (وأضاف أن ...) — the previous speaker. The content is a quotation when one opens right after the
speaker or after إن/أن/":"; otherwise the clause after إن/أن (or, for verbs that take an object such as
نفى/ندد/اتهم, the rest of the clause), up to the next reporting verb that starts a new clause.
Hand-written because this is the domain's core grammar and no offline Arabic parser is available.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from extractors.facts.context import SentenceView
from extractors.mentions.actors import actor_parent, actor_type
from extractors.mentions.persons import PersonRegister, is_role_head
from extractors.schemas import StatementRow, row_id
from extractors.text.lexicon import load_csv, load_yaml
from extractors.text.matcher import PhraseMatcher
from extractors.text.textnorm import fold_token
from extractors.values import Value

OPEN_QUOTES = {"\"": "\"", "«": "»", "“": "”", "”": "”"}
CLAUSE_MARKERS = frozenset({"ان", "انه", "انها", "انهم", "بان", "بانه", "بانها", "بانهم", "لان"})
_SKIP_AFTER_VERB = frozenset({"فيه", "فيها", "الي", "ايضا", "كذلك", "بالفعل"})
_CIRCUMSTANTIAL_HEADS = frozenset({"في", "خلال", "عبر", "للصحافيين", "للصحفيين", "للصحافه", "لوسائل", "امام",
                                   "مساء", "صباح", "اليوم", "امس", "يوم", "الاربعاء", "الخميس", "الجمعه", "السبت",
                                   "الاحد", "الاثنين", "الثلاثاء"})


_PARTICIPLES = frozenset(fold_token(w) for w in (
    "واصفا", "واصفة", "قائلا", "قائلة", "نافيا", "نافية", "داعيا", "داعية", "لافتا", "لافتة", "كاشفا", "كاشفة"))
_SOURCE_NOUNS = frozenset(fold_token(w) for w in (
    "مصدر", "مصادر", "مسؤول", "مسؤولون", "مسؤولين", "دبلوماسي", "دبلوماسيون", "خبير", "خبراء", "محلل", "محللون",
    "مراقب", "مراقبون", "متحدث", "ناطق", "شهود", "سكان", "تقرير", "تقارير", "بيان", "وثيقة", "وثائق",
    "دراسة", "صحيفة", "وكالة", "قناة", "موقع", "رسالة", "مذكرة"))
_STATEMENT_VENUES = frozenset(fold_token(w) for w in (
    "بيان", "تصريح", "تصريحات", "مقابلة", "كلمة", "مؤتمر", "حديث", "تغريدة", "منشور", "رسالة", "إفادة", "خطاب"))
_PRONOUN_MARKERS = frozenset({"انه", "انها", "انهم", "بانه", "بانها", "بانهم"})
_ORG_OF_PERSON = frozenset({"اداره", "حكومه", "وزاره", "مكتب", "فريق", "حمله"})


@dataclass(frozen=True)
class _Lex:
    verbs: PhraseMatcher
    exclusions: PhraseMatcher
    back_refs: frozenset[str]


@lru_cache(maxsize=1)
def _lex() -> _Lex:
    verbs = [(r["form"], (r["lemma"], r["kind"], r["content"])) for r in load_csv("reporting_verbs.csv")]
    excl = [(r["phrase"], True) for r in load_csv("reporting_exclusions.csv")]
    roles = load_yaml("roles.yaml")
    # verbs take the conjunctions و/ف only: "التابع لـ" is not "تابع", "القائل" is not "قال"
    verb_prefixes = frozenset({"", "و", "ف"})
    return _Lex(PhraseMatcher(verbs, prefixes=verb_prefixes), PhraseMatcher(excl),
                frozenset(fold_token(x) for x in roles["back_references"]))


class Speaker(Value):
    """Who a statement is attributed to."""

    def __init__(self, name: str | None, role: str | None, actor_id: str | None) -> None:
        self.name = name
        self.role = role
        self.actor_id = actor_id

    def _fields(self) -> tuple:
        return (self.name, self.role, self.actor_id)

@dataclass
class StatementState:
    """Discourse state carried across the sentences of one article."""

    last: Speaker | None = None
    register: PersonRegister = field(default_factory=PersonRegister)


def _quote_span(view: SentenceView, i: int) -> tuple[int, int] | None:
    """If a quotation opens at token i, the token span inside it (end exclusive) and its closing index."""
    t = view.toks[i].text
    if t not in OPEN_QUOTES:
        return None
    close = OPEN_QUOTES[t]
    for k in range(i + 1, len(view.toks)):
        if view.toks[k].text == close or (close == "”" and view.toks[k].text == "\""):
            return i + 1, k
    return i + 1, len(view.toks)


def _speaker_from_span(view: SentenceView, a: int, b: int, state: StatementState) -> Speaker | None:
    """Speaker named in tokens [a, b): a person (role + name), an actor (state, body, medium), or a role."""
    if b <= a:
        return None
    persons = [p for p in view.persons if a <= p.start < b]
    said = next((k for k in range(a, b) if view.toks[k].folded in ("قوله", "قولها", "قولهم", "قولهما")), None)
    if said is not None and said > a and not persons and view.toks[a].folded not in _SOURCE_NOUNS:
        name = view.span(a, said).strip(" ،,")  # "عن ناكاتاني قوله": the one whose words are reported
        return Speaker(*state.register.resolve(name)) if name else None
    first_stem = view.toks[a].folded[2:] if view.toks[a].folded.startswith("ال") else view.toks[a].folded
    if ((view.toks[a].folded in _SOURCE_NOUNS or first_stem in _SOURCE_NOUNS) and not any(p.name for p in persons)
            and view.toks[a].folded not in _lex().back_refs):  # "المتحدث" alone refers back; "متحدث" is new
        actor = next((x.actor_id for x in view.actors if a < x.start < b and actor_type(x.actor_id) != "media"), None)
        return Speaker(None, view.span(a, b).strip(" ،,"), actor)  # "مصدر في وزارة ...": unnamed source
    if view.toks[a].folded in _ORG_OF_PERSON:
        x = next((x for x in view.actors if a < x.start < b), None)
        return Speaker(None, view.span(a, b).strip(" ،,"), x.actor_id if x else None)
    for p in persons:
        if p.name:
            name, role, actor = state.register.resolve(p.name)
            role = p.role or role
            actor = p.actor_id or actor
            state.register.add(name, role, actor)
            return Speaker(name, role, actor)
    # a name then its role: "وقال يوري كوفال، نائب وزير ..."
    from extractors.mentions.persons import scan_name
    k = scan_name(view.toks, a, b, {x.start: x for x in view.actors})
    if k > a and k < b and (view.toks[k].text in ("،", ",") or is_role_head(view.toks, k)):
        name = view.span(a, k)
        resolved = state.register.resolve(name)
        role_p = next((p for p in persons if p.start >= k), None)
        role = role_p.role if role_p else resolved[1]
        actor = (role_p.actor_id if role_p else None) or resolved[2]
        state.register.add(resolved[0], role, actor)
        return Speaker(resolved[0], role, actor)
    # a bare name right after the verb: "وأضاف كيربي", "وصرح جون كيربي المتحدث ..."
    first = view.toks[a]
    if not first.is_punct and first.folded not in CLAUSE_MARKERS:
        resolved = state.register.resolve(first.text)
        if resolved[0] != first.text or (resolved[1] or resolved[2]):
            state.register.add(*resolved)
            return Speaker(*resolved)
        if a + 1 < b:
            two = view.span(a, a + 2)
            resolved2 = state.register.resolve(two)
            if resolved2[0] != two or resolved2[1] or resolved2[2]:
                return Speaker(*resolved2)
    lx = _lex()
    for p in persons:
        head = view.toks[p.start].folded
        stem = next((s for s, _ in view.toks[p.start].variants if s in lx.back_refs), None)
        if (head in lx.back_refs or stem) and state.last is not None and p.role and not view.toks[p.start].folded.startswith(("م", "ن")):
            # "المتحدث باسم ..." / "المسؤول الأميركي" refer back to the last speaker
            return Speaker(state.last.name, state.last.role or p.role, state.last.actor_id or p.actor_id)
        if p.role:
            return Speaker(None, p.role, p.actor_id)
    actors = [x for x in view.actors if a <= x.start < b]
    if actors:
        x = actors[0]
        if x.kind == "person":
            resolved = state.register.resolve(x.person or view.span(x.start, x.end))
            if resolved[0] == (x.person or ""):
                resolved = (view.span(x.start, x.end), None, x.actor_id)
            return Speaker(resolved[0], resolved[1], resolved[2] or x.actor_id)
        kind = actor_type(x.actor_id)
        role = view.span(a, x.end).strip(" ،,") if kind in ("media", "organisation", "institution") or x.start > a else None
        actor = x.actor_id if kind != "media" else actor_parent(x.actor_id)
        return Speaker(None, role, actor)
    words = [t for t in view.toks[a:b] if not t.is_punct]
    if words and words[0].folded.endswith(("ون", "ين", "ات")) and len(words[0].folded) > 4:
        return Speaker(None, view.span(a, b).strip(" ،,") or None, None)  # "مسؤولون غربيون", "محللون"
    return None


def _content(view: SentenceView, i: int, end_limit: int, object_verb: bool) -> tuple[int, int, bool] | None:
    """Find the content starting at or after token i: (start, end, is_direct)."""
    toks = view.toks
    k = i
    n = end_limit
    while k < n and (toks[k].is_punct and toks[k].text not in OPEN_QUOTES and toks[k].text != ":"):
        k += 1
    if k >= n:
        return None
    if toks[k].text == ":":
        k += 1
        if k >= n:
            return None  # 'قال: ' at the very end: nothing was said
    q = _quote_span(view, k) if k < n else None
    if q is not None:
        qa, qb = q
        after = qb + 1
        trailing_words = after < len(toks) and not toks[after].is_punct and toks[after].folded not in ("و",)
        if not trailing_words or qb - qa >= 6:
            return qa, qb, True
        return k, _clause_end(view, after, len(toks)), False
    if toks[k].folded in CLAUSE_MARKERS or toks[k].folded in ("ان", "إن"):
        k += 1
        q = _quote_span(view, k) if k < n else None
        if q is not None:
            qa, qb = q
            after = qb + 1
            nxt = toks[after] if after < len(toks) else None
            if nxt is None or nxt.is_punct:
                return qa, qb, True
            return qa, _clause_end(view, after, len(toks)), False
        return k, _clause_end(view, k, len(toks)), False
    if object_verb:
        return k, _clause_end(view, k, len(toks)), False
    return None


class _ClauseEnds:
    """Where clause scans stop in one token list, computed once per sentence (see ``_clause_end``)."""

    def __init__(self) -> None:
        self.toks: list | None = None
        self.stop_from: list[int] = []  # stop_from[p]: where a scan that reached p (outside quotes) stops, -1 = end
        self.close_of: list[int] = []  # close_of[j]: the closing mark of a quotation opened at j (len = unclosed)
        self.trailing_punct: int = 0  # start of the run of punctuation that ends the token list


_CLAUSE_ENDS = _ClauseEnds()


def _stop_at(view: SentenceView, j: int, verb_at: set[int], n: int) -> int:
    """Where a clause scan standing at token j (outside quotes, past the clause's first token) ends, else -1."""
    lx = _lex()
    toks = view.toks
    t = toks[j]
    if j == 0:
        return -1
    m = lx.verbs.match_at(toks, j) if j in verb_at else None
    if m is not None and (toks[j - 1].text in ("،", ",") or t.folded.startswith("و") or t.folded.startswith(("م",))):
        return j - 1 if toks[j - 1].text in ("،", ",") else j
    if m is not None and j >= 2 and toks[j - 2].text in ("،", ",") and \
            toks[j - 1].folded in ("اذ", "حيث", "بينما", "فيما", "كما", "ثم"):
        return j - 2  # "...، إذ قالت المتحدثة ...": a new statement starts
    if t.text in ("،", ",") and j + 1 < n and toks[j + 1].folded in ("لكن", "لكنه", "لكنها", "بينما", "فيما"):
        return j
    return -1


def _clause_ends(view: SentenceView) -> _ClauseEnds:
    """One right-to-left pass over the sentence: every later ``_clause_end`` is O(1), so a sentence with many
    reporting verbs or quotation marks costs linear time, not one scan to the sentence end per verb."""
    cache = _CLAUSE_ENDS
    toks = view.toks
    if cache.toks is toks:
        return cache
    n = len(toks)
    verb_at = set(_lex().verbs.starts_in(toks))
    stop_from = [-1] * (n + 2)
    close_of = [n] * n
    next_at: dict[str, int] = {}  # token text -> its next occurrence to the right of j
    for j in range(n - 1, -1, -1):
        text = toks[j].text
        if text in OPEN_QUOTES and text != "”":
            close = next_at.get(OPEN_QUOTES[text], n)
            close_of[j] = close
            stop_from[j] = stop_from[close + 1] if close < n else -1
        else:
            stop = _stop_at(view, j, verb_at, n)
            stop_from[j] = stop if stop >= 0 else stop_from[j + 1]
        next_at[text] = j
    trailing = n
    while trailing > 0 and toks[trailing - 1].is_punct:
        trailing -= 1
    cache.toks, cache.stop_from, cache.close_of, cache.trailing_punct = toks, stop_from, close_of, trailing
    return cache


def _clause_end(view: SentenceView, k: int, n: int) -> int:
    """End of an indirect clause: sentence end, or a comma/و followed by a new reporting verb. A quotation that
    opens in the clause is skipped whole; with none, the trailing punctuation is not part of the clause."""
    if n != len(view.toks) or k >= n:
        return k if k >= n else _clause_end_scan(view, k, n)
    ends = _clause_ends(view)
    text = view.toks[k].text
    if text in OPEN_QUOTES and text != "”":
        close = ends.close_of[k]
        stop = ends.stop_from[close + 1] if close < n else -1
    else:
        stop = ends.stop_from[k + 1]
    if stop >= 0:
        return stop
    return max(k, ends.trailing_punct)


def _clause_end_scan(view: SentenceView, k: int, n: int) -> int:
    """``_clause_end`` for a prefix of the sentence (tokens before n): the plain left-to-right scan."""
    verb_at = set(_lex().verbs.starts_in(view.toks))
    j = k
    depth_quote = None
    while j < n:
        t = view.toks[j]
        if depth_quote is None and t.text in OPEN_QUOTES and t.text != "”":
            depth_quote = OPEN_QUOTES[t.text]
        elif depth_quote is not None and t.text == depth_quote:
            depth_quote = None
        elif depth_quote is None and j > k:
            stop = _stop_at(view, j, verb_at, n)
            if stop >= 0:
                return stop
        j += 1
    while j > k and view.toks[j - 1].is_punct:
        j -= 1
    return j


def extract_statements(view: SentenceView, article_id: str, state: StatementState) -> list[StatementRow]:
    """Statement rows of one sentence (a paragraph-long quotation is one sentence for this purpose)."""
    lx = _lex()
    toks = view.toks
    _register_names(view, state)
    matches = lx.verbs.find(toks)
    if not matches:
        return []
    excluded: set[int] = set()
    for m in lx.exclusions.find(toks):
        excluded.update(range(m.start, m.end))
    matches = [m for m in matches if m.start not in excluded]
    # quoted regions: a verb inside a quotation is part of the quote, not a new statement
    inside: set[int] = set()
    i = 0
    while i < len(toks):
        if toks[i].text in ("«", "“"):
            qa, qb = _quote_span(view, i)  # type: ignore[misc]  # an opening mark always gives a span
            inside.update(range(qa, qb))
            i = qb + 1
            continue
        i += 1
    rows: list[StatementRow] = []
    verbs = [m for m in matches if m.start not in inside and m.value[1] == "verb"]
    first_verb_at = verbs[0].start if verbs else None
    for m in matches:
        if m.start in inside:
            continue
        lemma, kind, content_kind = m.value
        if kind == "attribution":
            row = _attribution(view, m, article_id, state, first_verb_at)
            if row is not None:
                rows.append(row)
            continue
        if view.sentence.is_headline and m.start > 0 and toks[m.start - 1].text == ":":
            continue
        if m.start > 0 and toks[m.start - 1].folded in ("لم", "ولم", "لن", "ولن", "لا", "ولا"):
            continue  # "ولم تعلن الوزارة ...": nothing was said
        if lemma == "تابع" and m.end < len(toks) and toks[m.end].folded.startswith("ل"):
            continue  # "تابع لوزارة الدفاع": affiliated to, not "went on to say"
        if m.start > 0 and toks[m.start - 1].folded in _PRONOUN_MARKERS and not toks[m.start].folded.startswith("و"):
            continue  # "قال بوتين إنه رأى ...": the verb is inside another statement's content
        row = _statement_at(view, m, verbs, article_id, state, first_in_sentence=not rows)
        if row is not None:
            rows.append(row)
    return rows


def _register_names(view: SentenceView, state: StatementState) -> None:
    """Register the full names a sentence introduces (for later short references such as "كيربي")."""
    if not view.may_name_persons:
        return
    for p in view.persons:
        if p.name and len(p.name.split()) >= 2:
            name, role, actor = state.register.resolve(p.name)
            state.register.add(p.name if len(p.name.split()) >= len(name.split()) else name, p.role or role,
                               p.actor_id or actor)


def _statement_at(view: SentenceView, m, verbs, article_id: str, state: StatementState,
                  first_in_sentence: bool) -> StatementRow | None:
    toks = view.toks
    lemma, kind, content_kind = m.value
    object_verb = content_kind == "object"
    next_start = next((x.start for x in verbs if x.start > m.start), len(toks))
    skip = m.end
    while skip < next_start and toks[skip].folded in _SKIP_AFTER_VERB and toks[skip].folded != "عن":
        skip += 1
    # a true content marker (إن/أن, a quotation, a colon) within reach of the verb; for verbs that also
    # take an object (نفى، ندد، اتهم) only right after the subject noun phrase
    j = skip
    if object_verb:
        j = _skip_venue(view, _skip_punct_dates(view, _np_end(view, skip, next_start)), next_start)
        if j + 1 < next_start and toks[j].folded in ("من", "عن", "علي", "الي") and (
                toks[j + 1].folded in CLAUSE_MARKERS or toks[j + 1].text in OPEN_QUOTES):
            j += 1  # "حذر ... من أن"، "أشار ... إلى أن"
        if j < next_start and not (toks[j].folded in CLAUSE_MARKERS or toks[j].text in OPEN_QUOTES or toks[j].text == ":"):
            j = next_start
    while j < next_start and j - skip <= 18:
        t = toks[j]
        if t.text in OPEN_QUOTES and j > 0 and (_is_media_word(toks[j - 1]) or toks[j - 1].folded == "ل"):
            q = _quote_span(view, j)  # 'لصحيفة "يديعوت أحرونوت"': a name in quotes, not the content
            j = (q[1] + 1) if q else j + 1
            continue
        if t.folded in CLAUSE_MARKERS or t.text in OPEN_QUOTES or t.text == ":":
            break
        j += 1
    marker = j if j < next_start and j - skip <= 18 else None
    if marker is not None:
        sp_end = _trim_circumstantial(view, skip, marker)
        content = _content(view, marker, len(toks), object_verb)
        if content is None:
            return None
    elif object_verb:
        sp_end = _np_end(view, skip, next_start)
        ca = _skip_punct_dates(view, sp_end)
        content = (ca, _clause_end(view, ca, len(toks)), False)
    else:
        return None
    ca, cb, direct = content
    if cb - ca < 2:
        return None
    if view.sentence.is_headline and not direct:
        return None  # a title such as "واشنطن تعلن حزمة ..." announces news; it attributes no content
    if lemma == "نقل" and not any(t.folded == "عن" for t in toks[m.end:content[0]]):
        return None  # "نقلت روسيا الأسلحة ..." moves things; only "نقلت X عن Y" reports
    pronoun_subject = toks[m.end - 1].folded.endswith(("ها", "ه")) and lemma in ("وصف", "اتهم")
    speaker = None
    if lemma == "نقل":
        an = next((k for k in range(skip, sp_end) if toks[k].folded == "عن"), None)
        if an is not None and an + 1 < sp_end:
            skip = an + 1  # "نقلت وكالة كيودو عن ناكاتاني قوله": the one quoted is the speaker
    head = toks[m.start].folded
    participle = len(head) > 3 and ((head.startswith("م") and head.endswith(("ا", "ه"))) or head in _PARTICIPLES)
    svo = _aux_subject(view, m.start, state)
    if svo is not None:
        speaker = svo  # "وكان الرئيس ... إلهام علييف قد وصف ...": subject, auxiliary, verb
    elif participle and state.last is not None:
        speaker = state.last  # "..., مؤكدا أن ...": the same speaker goes on
    elif sp_end > skip and not pronoun_subject:
        speaker = _speaker_from_span(view, skip, sp_end, state)
    if speaker is None:
        speaker = _speaker_before(view, m.start, state)
    if speaker is None:
        speaker = _subject_noun_before(view, m.start)
    if speaker is None:
        speaker = state.last or Speaker(None, None, None)
    quote = view.span(ca, cb).strip(" ،,.:\"«»“”")
    if not quote:
        return None
    if speaker.name or first_in_sentence:
        state.last = speaker
    date_text, statement_date = _date_near(view, m.start, ca)
    return StatementRow(
        row_id=row_id(article_id, view.sentence.index, str(m.start), lemma),
        article_id=article_id, speaker_name=speaker.name, speaker_role=speaker.role,
        speaker_actor_id=speaker.actor_id, reporting_verb=lemma, quote_text=quote, is_direct=direct,
        date_text=date_text, statement_date=statement_date, segment=view.sentence.segment,
        sentence_index=view.sentence.index, evidence_text=view.text,
        confidence=0.9 if direct else (0.8 if content_kind == "clause" else 0.65),
        rule=f"statement.{kind}.{content_kind}",
    )


_MEDIA_WORDS = frozenset({"صحيفه", "قناه", "وكاله", "موقع", "مجله", "شبكه", "اذاعه", "تلفزيون", "منصه", "برنامج"})


def _is_media_word(tok) -> bool:
    return tok.folded in _MEDIA_WORDS or any(s in _MEDIA_WORDS for s, _ in tok.variants)


def _skip_venue(view: SentenceView, k: int, hi: int) -> int:
    """'في بيان أن ...', 'في تصريحات للصحفيين إن ...': the occasion of a statement, up to its content marker."""
    toks = view.toks
    if k + 1 < hi and toks[k].folded in ("في", "خلال", "عبر") and any(
            s in _STATEMENT_VENUES for s, _ in toks[k + 1].variants):
        for j in range(k + 2, min(hi, k + 10)):
            if toks[j].folded in CLAUSE_MARKERS or toks[j].text in OPEN_QUOTES or toks[j].text == ":":
                return j
    return k


_AUXILIARIES = frozenset({"قد", "كان", "كانت", "وكان", "وكانت", "قدر"})


def _aux_subject(view: SentenceView, verb_at: int, state: StatementState) -> Speaker | None:
    """A person named before the verb with only auxiliaries between (وكان X قد أكد)."""
    k = verb_at - 1
    n_aux = 0
    while k >= 0 and view.toks[k].folded in _AUXILIARIES:
        k -= 1
        n_aux += 1
    if n_aux == 0 or k < 0:
        return None
    person = next((p for p in view.persons if p.end == k + 1 and p.name), None)
    if person is not None:
        if person.start > 0 and view.toks[person.start - 1].folded in _ORG_OF_PERSON:
            return _speaker_from_span(view, person.start - 1, person.end, state)  # "إدارة بايدن"
        return _speaker_from_span(view, person.start, person.end, state)
    actor = next((a for a in view.actors if a.end == k + 1 and not a.is_adjective), None)
    if actor is not None:
        resolved = state.register.resolve(view.span(actor.start, actor.end))
        if resolved[1] or resolved[2] or actor.kind == "person":
            return _speaker_from_span(view, actor.start, actor.end, state)
        return _speaker_from_span(view, actor.start, actor.end, state)
    return None


def _speaker_before(view: SentenceView, verb_at: int, state: StatementState) -> Speaker | None:
    """SVO: a person or actor right before the verb in its clause ("الجنرال حيدري قال"، "وكانت طهران قد أقرت")."""
    lo = _clause_lo(view, verb_at)
    persons = [p for p in view.persons if lo <= p.start and p.end <= verb_at and p.name]
    if persons and persons[-1].end >= verb_at - 3:
        p = persons[-1]
        if p.start > 0 and view.toks[p.start - 1].folded in _ORG_OF_PERSON:
            return _speaker_from_span(view, p.start - 1, p.end, state)  # "إدارة بايدن": the administration
        return _speaker_from_span(view, p.start, p.end, state)
    before = [a for a in view.actors if lo <= a.start and a.end <= verb_at and not a.is_adjective
              and a.prefix[:1] not in ("ب", "ل")]
    if not before:
        return None
    last = before[-1]
    if not view.toks[verb_at].folded.startswith(("و", "ف")) and not _is_continuation(view, verb_at):
        return _speaker_from_span(view, last.start, last.end, state)
    if _subject_in_clause(view, last, verb_at):
        return _speaker_from_span(view, last.start, last.end, state)
    return None


def _is_continuation(view: SentenceView, i: int) -> bool:
    return view.toks[i].folded.startswith(("و", "ف", "ثم"))


def _subject_in_clause(view: SentenceView, a, verb_at: int) -> bool:
    """SVO: 'وكانت طهران قد أقرت' — the actor is the subject when only auxiliaries separate it from the verb."""
    between = [t.folded for t in view.toks[a.end:verb_at]]
    return all(w in ("قد", "قدر", "كانت", "كان", "التي", "الذي", "،") for w in between) and len(between) <= 3


def _subject_noun_before(view: SentenceView, verb_at: int) -> Speaker | None:
    """'لكن محللين قالوا إن ...' / 'ما يقول المسؤولون' — a plural noun subject next to the verb."""
    if verb_at >= 1:
        t = view.toks[verb_at - 1]
        if not t.is_punct and (t.folded.endswith(("ين", "ون")) and len(t.folded) > 4):
            return Speaker(None, t.text, None)
    if verb_at + 1 < len(view.toks):
        t = view.toks[verb_at + 1]
        if t.folded.startswith("ال") and t.folded.endswith(("ون", "ين")):
            return Speaker(None, t.text, None)
    return None


def _clause_lo(view: SentenceView, i: int) -> int:
    k = i - 1
    while k >= 0:
        t = view.toks[k]
        if t.text in OPEN_QUOTES or t.text in (":", "؛") or t.folded in CLAUSE_MARKERS:
            return k + 1
        k -= 1
    return 0


def _np_end(view: SentenceView, a: int, b: int) -> int:
    """End of the subject noun phrase starting at a (an actor or person mention, or a role phrase)."""
    if a >= len(view.toks):
        return a  # the verb ends the sentence ("... وأكد"): no subject follows
    for x in view.actors:
        if x.start == a:
            end = x.end
            while end < b and view.toks[end].folded.startswith("ال") and _is_adj(view, end):
                end += 1
            return end
    for p in view.persons:
        if p.start == a:
            end = p.end
            if p.name is None and end + 1 < b and view.toks[end].text in ("،", ","):
                nxt = next((q for q in view.persons if q.start == end + 1 and q.name), None)
                if nxt is not None:  # "المتحدث باسم الوزارة، العقيد لي هوا"
                    end = nxt.end
            return end
    if is_role_head(view.toks, a):
        for p in view.persons:
            if p.start == a:
                return p.end
    # an organisation named by a construct chain: "وزارة الدفاع الأمريكية (البنتاغون)"
    end = a + 1
    while end < b:
        t = view.toks[end]
        if t.text == "(":
            close = next((k for k in range(end + 1, min(b, end + 6)) if view.toks[k].text == ")"), None)
            if close is None:
                break
            end = close + 1
            continue
        if t.folded.startswith("ال") and not any(d.start <= t.start < d.end for d in view.dates):
            end += 1
            continue
        break
    return end


def _is_adj(view: SentenceView, i: int) -> bool:
    return any(x.start == i and x.is_adjective for x in view.actors)


def _skip_punct_dates(view: SentenceView, k: int) -> int:
    toks = view.toks
    while k < len(toks):
        if toks[k].is_punct and toks[k].text not in OPEN_QUOTES:
            k += 1
            continue
        if k + 1 < len(toks) and toks[k].folded in ("في", "خلال", "منذ", "مساء", "صباح") and any(
                d.start <= toks[k + 1].start < d.end for d in view.dates):
            k += 1  # the lead of a date: "في وقت سابق"
            continue
        d = next((d for d in view.dates if d.start <= toks[k].start < d.end), None)
        if d is not None:
            while k < len(toks) and toks[k].start < d.end:
                k += 1
            continue
        break
    return k


def _trim_circumstantial(view: SentenceView, a: int, b: int) -> int:
    """Drop trailing 'للصحافيين', 'في بيان', dates and commas from a speaker region."""
    end = b
    for k in range(a, b):
        t = view.toks[k]
        if k > a and t.folded.startswith("ل") and _is_media_word(t):
            end = k  # "مسؤول أمني إسرائيلي لصحيفة ...": to whom it was said, not who said it
            break
        if t.folded in _CIRCUMSTANTIAL_HEADS and (k <= a + 1 or view.toks[k - 1].text in ("،", ",", "-")
                                                 or t.folded not in ("في",)):
            if t.folded == "في" and k + 1 < b and view.toks[k + 1].folded.startswith("ال") and \
                    any(x.start == k + 1 for x in view.actors) and view.toks[k - 1].text not in ("،", ","):
                continue  # "المتحدث باسم مجلس الأمن القومي في البيت الأبيض"
            end = k
            break
    while end > a and view.toks[end - 1].is_punct:
        end -= 1
    return end


def _date_near(view: SentenceView, verb_at: int, content_at: int):
    for d in view.dates:
        tok_i = view.token_at_char(d.start)
        if verb_at - 3 <= tok_i <= content_at and d.value is not None or verb_at <= tok_i <= content_at:
            return d.text, d.value
    return None, None


def _attribution(view: SentenceView, m, article_id: str, state: StatementState, first_verb_at: int | None):
    """'بحسب X، <clause>' or '<clause>، وفق X' -> a statement of X."""
    toks = view.toks
    lemma = m.value[0]
    if first_verb_at is not None and first_verb_at < m.start:
        # "قالت الوزارة، وفقا لما نشرته الصحيفة، إن ..." — part of another statement's frame
        return None
    # speaker: up to the next comma / end
    j = m.end
    while j < len(toks) and toks[j].folded in ("ما", "لما", "ل") :
        j += 1
    k = j
    while k < len(toks) and toks[k].text not in ("،", ",", ".", ":"):
        k += 1
    fa = next((x for x in range(j, min(len(toks), j + 25)) if toks[x].folded in ("فان", "فانه", "فانها")), None)
    if fa is not None:
        k = fa  # "وبحسب قائد ...، الأدميرال ...، فإن الصين ..."
        while k > j and toks[k - 1].text in ("،", ","):
            k -= 1
    if k == j:
        return None
    speaker = _speaker_from_span(view, j, k, state) or Speaker(None, view.span(j, k), None)
    before = m.start
    while before > 0 and toks[before - 1].is_punct:
        before -= 1
    if before >= 3:  # clause before the attribution
        ca = 0
        while ca < before and (toks[ca].is_punct or toks[ca].folded == "و"):
            ca += 1
        cb = before
    else:
        ca = k + 1
        while ca < len(toks) and (toks[ca].text in ("،", ",") or toks[ca].folded in ("فان", "فانه", "فانها")):
            ca += 1
        cb = len(toks)
        while cb > ca and toks[cb - 1].is_punct:
            cb -= 1
    quote = view.span(ca, cb).strip(" ،,.:\"«»“”")
    if not quote:
        return None
    if speaker.name:
        state.last = speaker
    return StatementRow(
        row_id=row_id(article_id, view.sentence.index, str(m.start), lemma),
        article_id=article_id, speaker_name=speaker.name, speaker_role=speaker.role,
        speaker_actor_id=speaker.actor_id, reporting_verb=lemma, quote_text=quote, is_direct=False,
        date_text=None, statement_date=None, segment=view.sentence.segment, sentence_index=view.sentence.index,
        evidence_text=view.text, confidence=0.7, rule="statement.attribution",
    )
