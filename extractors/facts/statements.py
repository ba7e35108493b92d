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
from typing import Final

from extractors.facts.context import SentenceView
from extractors.mentions.actors import actor_parent, actor_type
from extractors.mentions.persons import PersonRegister, is_role_head, role_heads_matcher
from extractors.schemas import StatementRow, row_id
from extractors.text.lexicon import load_csv, load_yaml
from extractors.text.matcher import PhraseMatcher
from extractors.text.textnorm import fold_token
from extractors.values import Value

OPEN_QUOTES: Final = {"\"": "\"", "«": "»", "“": "”", "”": "”"}
CLAUSE_MARKERS: Final = frozenset({"ان", "انه", "انها", "انهم", "بان", "بانه", "بانها", "بانهم", "لان"})
_SKIP_AFTER_VERB: Final = frozenset({"فيه", "فيها", "الي", "ايضا", "كذلك", "بالفعل"})
_CIRCUMSTANTIAL_HEADS: Final = frozenset({"في", "خلال", "عبر", "للصحافيين", "للصحفيين", "للصحافه", "لوسائل", "امام",
                                   "مساء", "صباح", "اليوم", "امس", "يوم", "الاربعاء", "الخميس", "الجمعه", "السبت",
                                   "الاحد", "الاثنين", "الثلاثاء"})


_PARTICIPLES: Final = frozenset(fold_token(w) for w in (
    "واصفا", "واصفة", "قائلا", "قائلة", "نافيا", "نافية", "داعيا", "داعية", "لافتا", "لافتة", "كاشفا", "كاشفة"))
_SOURCE_NOUNS: Final = frozenset(fold_token(w) for w in (
    "مصدر", "مصادر", "مسؤول", "مسؤولون", "مسؤولين", "دبلوماسي", "دبلوماسيون", "خبير", "خبراء", "محلل", "محللون",
    "مراقب", "مراقبون", "متحدث", "ناطق", "شهود", "سكان", "تقرير", "تقارير", "بيان", "وثيقة", "وثائق",
    "دراسة", "صحيفة", "وكالة", "قناة", "موقع", "رسالة", "مذكرة"))
_STATEMENT_VENUES: Final = frozenset(fold_token(w) for w in (
    "بيان", "تصريح", "تصريحات", "مقابلة", "كلمة", "مؤتمر", "حديث", "تغريدة", "منشور", "رسالة", "إفادة", "خطاب"))
_PRONOUN_MARKERS: Final = frozenset({"انه", "انها", "انهم", "بانه", "بانها", "بانهم"})
_ORG_OF_PERSON: Final = frozenset({"اداره", "حكومه", "وزاره", "مكتب", "فريق", "حمله"})


@dataclass(frozen=True)
class _Lex:
    verbs: PhraseMatcher
    exclusions: PhraseMatcher
    back_refs: frozenset[str]
    imperfect: frozenset[str]  # folded present-tense forms: a statement only with a subject of their own
    with_pronoun: frozenset[str]  # folded forms carrying an object pronoun (وصفته، أعلنها)


def inflections(form: str, lemma: str) -> list[str]:
    """The members of a reporting verb's family that ``form`` implies, by Arabic morphology.

    From the perfect (the lemma: 3rd person masculine singular): the feminine (+ت), plural (+وا) and
    feminine dual (+تا; the masculine +ا would read as an adverb: نقلا، وفقا), with an object pronoun (+ه، +ها), and the present tense (ي/ت + the imperfect stem: Form IV أوضح -> يوضح, hollow Form IV
    أشار -> يشير, Forms VII-X اعتبر -> يعتبر, Forms I-III/V-VI ذكر -> يذكر, تحدث -> يتحدث) with its plural.
    Weak-initial (وصف), weak-final (نفى، دعا), hollow Form I (قال) and hamza-initial triliteral (أكد) verbs
    have irregular stems: their forms are listed in the lexicon instead. From a listed present tense: the
    other person prefix and the plural. From an active participle (مشيرا، قائلا): its gender and number.
    """
    if " " in form or len(form) < 3:
        return []
    out: list[str] = []
    if form == lemma:
        if form[-1] in "ىا":
            fem = form[:-1] + "ت"
            out += [fem, form[:-1] + "وا"]
        else:
            fem = form + "ت"
            out += [fem, form + "وا", form + "تا"]
        if form[-1] not in "ىا":  # with an object pronoun: "فيما وصفته الإدارة بأنه ..."; not +ه, which
            out += [form + "ها", fem + "ه", fem + "ها"]  # folds like a noun's ة (أضافه = إضافة)
        stem = None
        if form[0] == "ا" and len(form) >= 4:
            stem = form[1:]
        elif form[0] == "أ" and len(form) == 4 and form[2] == "ا":
            stem = form[1] + "ي" + form[3]
        elif form[0] == "أ" and len(form) == 4:
            stem = form[1:]
        elif form[0] not in "وأإآ" and form[-1] not in "ىاي" and not (len(form) == 3 and form[1] in "اوي"):
            stem = form
        if stem is not None:
            out += ["ي" + stem, "ت" + stem, "ي" + stem + "ون"]
    elif form[0] in "يت" and form[-1] not in "يوى":
        stem = form[1:]
        out += ["ي" + stem, "ت" + stem, "ي" + stem + "ون"]
    elif form[0] in "مقنكدلو" and form[-1] in "اة" and len(form) >= 5 and form != lemma:
        base = form[:-1]
        out += [base + "ا", base + "ة", base + "ين", base + "ون"]
    return [f for f in out if f != form]


@lru_cache(maxsize=1)
def _lex() -> _Lex:
    rows = load_csv("reporting_verbs.csv")
    verbs = [(r["form"], (r["lemma"], r["kind"], r["content"])) for r in rows]
    listed = {fold_token(r["form"]) for r in rows}
    for r in rows:
        if r["kind"] == "verb":
            verbs += [(f, (r["lemma"], r["kind"], r["content"])) for f in inflections(r["form"], r["lemma"])
                      if fold_token(f) not in listed]
    imperfect = frozenset(fold_token(f) for f, v in verbs
                          if v[1] == "verb" and f[0] in "يت" and " " not in f and f != v[0])
    with_pronoun = frozenset(fold_token(f) for f, v in verbs if v[1] == "verb" and " " not in f
                             and f.endswith(("ه", "ها")) and f != v[0])
    excl = [(r["phrase"], True) for r in load_csv("reporting_exclusions.csv")]
    roles = load_yaml("roles.yaml")
    # verbs take the conjunctions و/ف only: "التابع لـ" is not "تابع", "القائل" is not "قال"
    verb_prefixes = frozenset({"", "و", "ف"})
    return _Lex(PhraseMatcher(verbs, prefixes=verb_prefixes), PhraseMatcher(excl),
                frozenset(fold_token(x) for x in roles["back_references"]), imperfect, with_pronoun)


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
    # institution noun (folded, no article: "وزاره الخزانه", "قياده", "وزاره") -> the actor it was last
    # named with in this article, so "وكيل وزارة الخزانة" or "المتحدث باسم الوزارة" speaks for that state
    bodies: dict[str, str] = field(default_factory=dict)
    # named persons with a role, latest last: "الوزير" / "رئيس الوزراء التشيكي" alone refer back to them
    recent: list[Speaker] = field(default_factory=list)
    pending_quote: str | None = None  # the previous sentence, when it was a quotation nobody was said to say


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
        seat = _seat(view, x.end, len(view.toks))
        role_end = seat if seat <= b else x.end
        role = view.span(a, role_end).strip(" ،,") if kind in ("media", "organisation", "institution") or x.start > a else None
        actor = x.actor_id if kind != "media" else actor_parent(x.actor_id)
        return Speaker(None, role, actor)
    words = [t for t in view.toks[a:b] if not t.is_punct]
    if len(words) == 1 and words[0].folded.startswith("ال") and len(words[0].folded) > 4:
        return Speaker(None, words[0].text, None)  # "وأضافت القيادة"، "وأفاد المرصد": a definite noun subject
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


_CLAUSE_ENDS: Final = _ClauseEnds()


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
    rows = _extract_statements(view, article_id, state)
    # a sentence that is one quotation and said by nobody yet: "صرح بذلك X" in the next one attributes it
    state.pending_quote = _standalone_quote(view) if not rows else None
    return rows


def _standalone_quote(view: SentenceView) -> str | None:
    toks = view.toks
    if len(toks) < 4 or toks[0].text not in OPEN_QUOTES:
        return None
    qa, qb = _quote_span(view, 0)  # type: ignore[misc]  # an opening mark always gives a span
    if qb >= len(toks) or any(not t.is_punct for t in toks[qb + 1:]):
        return None
    return view.span(qa, qb).strip(" ،,.:") or None


def _extract_statements(view: SentenceView, article_id: str, state: StatementState) -> list[StatementRow]:
    lx = _lex()
    toks = view.toks
    _register_names(view, state)
    _learn_bodies(view, state)
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
            verb_row_before = any(not r.rule.startswith("statement.attribution") for r in rows)
            row = _attribution(view, m, article_id, state, first_verb_at if verb_row_before else None,
                               own_source_only=verb_row_before)
            if row is None and lemma == "نقلا عن" and rows:
                row = _own_source(view, m, rows[-1], state)
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
        if m.start > 0 and toks[m.start - 1].folded in ("ما", "لما") and any(
                a.value[1] == "attribution" and a.end in (m.start - 1, m.start - 2) for a in matches):
            continue  # "بحسب ما أعلنت الوزارة"، "وفقا لما أوردت": the relative clause names a source, said nothing
        if any(a.value[1] == "attribution" and a.end <= m.start
               and not any(t.is_punct or t.folded in CLAUSE_MARKERS for t in toks[a.end:m.start])
               for a in matches):
            continue  # "وبحسب مصادر عسكرية تحدثت لـRT، فإن ...": the verb describes the attributed source
        if rows and _bare(toks[m.start].folded) in lx.imperfect and any(_inside_quote(view, m, r) for r in rows):
            continue  # "نفت الوزارة صحة تقارير تفيد بأن ...": a verb inside content already reported
        if toks[m.start].folded in lx.with_pronoun and m.start > 0 and not toks[m.start - 1].is_punct \
                and toks[m.start - 1].folded not in ("ما", "فيما", "كما", "بينما", "حيث", "مما"):
            continue  # "حزمة مساعدات أعلنها المستشار": a relative clause describing the noun before it
        bare = _bare(toks[m.start].folded)
        if bare in lx.imperfect and any(v.start < m.start and v.value[1] == "verb" and _bare(toks[v.start].folded)
                                        not in lx.imperfect and any(toks[k].folded in CLAUSE_MARKERS
                                                                    and toks[k - 1].folded not in ("قبل", "بعد")
                                                                    for k in range(v.end, m.start))
                                        for v in verbs):
            continue  # "... بأن لدى الأجهزة معلومات تشير إلى أن ...": a present tense inside reported content
        if _is_participle(toks[m.start].folded) and m.start > 0 and not toks[m.start - 1].is_punct \
                and not toks[m.start].folded.startswith("و"):
            continue  # "عملية أسر معلنة": a participle after a noun is its adjective; a ḥāl follows a comma
        row = _statement_at(view, m, verbs, article_id, state, first_in_sentence=not rows,
                            prev=rows[-1] if rows else None)
        if row is not None:
            rows.append(row)
    return rows


_OWN_SOURCES: Final = frozenset(fold_token(w) for w in (
    "تقديرات", "تقدير", "بيانات", "أرقام", "إحصاءات", "إحصائيات", "خبراء", "خبير", "محللين", "محللون", "مصادر",
    "مصدر", "مسؤولين", "مسؤول", "دراسة", "تقرير", "تقارير", "معهد", "مركز"))


def _postposed_source(view: SentenceView, m, article_id: str, state: StatementState) -> StatementRow | None:
    """'<clause>، بحسب تقديرات خبراء' after another statement: the clause before it, from the last comma."""
    toks = view.toks
    j = m.end
    if j >= len(toks) or m.start < 3:
        return None
    first = toks[j].folded
    if first not in _OWN_SOURCES and not any(st in _OWN_SOURCES for st, _ in toks[j].variants):
        return None
    k = j
    while k < len(toks) and not toks[k].is_punct:
        k += 1
    if any(not t.is_punct for t in toks[k:]):
        return None  # the source opens a frame ("، نقلا عن بيانات ...، أن ..."): it closes no clause
    cb = m.start - 1 if toks[m.start - 1].text in ("،", ",") else m.start
    ca = cb - 1
    while ca > 0 and toks[ca - 1].text not in ("،", ",", ":", "؛"):
        ca -= 1
    if cb - ca < 3:
        return None
    speaker = _finish_speaker(view, Speaker(None, view.span(j, k).strip(" ،,"), None), state)
    quote = _balance_quotes(view.span(ca, cb))
    return StatementRow(
        row_id=row_id(article_id, view.sentence.index, str(m.start), m.value[0]),
        article_id=article_id, speaker_name=None, speaker_role=speaker.role, speaker_actor_id=speaker.actor_id,
        reporting_verb=m.value[0], quote_text=quote, is_direct=False, date_text=None, statement_date=None,
        segment=view.sentence.segment, sentence_index=view.sentence.index, evidence_text=view.text,
        confidence=0.6, rule="statement.attribution.postposed",
    )


def _inside_quote(view: SentenceView, m, row: StatementRow) -> bool:
    """Is the verb at ``m`` (with the two words after it) part of ``row``'s reported content?"""
    if m.start == 0 or row.rule.startswith("statement.attribution"):
        return False
    probe = view.span(m.start, min(len(view.toks), m.end + 2))
    return len(probe.split()) >= 2 and probe in row.quote_text


def _is_participle(folded: str) -> bool:
    return len(folded) > 3 and ((folded.startswith("م") and folded.endswith(("ا", "ه", "ين")))
                                or folded in _PARTICIPLES or folded.endswith(("لين", "لون")) and "ائ" in folded)


def _own_source(view: SentenceView, m, prev: StatementRow, state: StatementState) -> StatementRow | None:
    """'قالت وسائل إعلام نقلا عن مصدر عسكري إن ...': the source quoted by the speaker is a speaker too.

    Only for sources of their own (a named person, an official, a source, officials); a medium relaying
    the one already named (بحسب رويترز) and information (نقلا عن معلومات) add no row.
    """
    toks = view.toks
    j = m.end
    k = j
    while k < len(toks) and not toks[k].is_punct and toks[k].folded not in CLAUSE_MARKERS:
        k += 1
    if k == j:
        return None
    first = toks[j].folded[2:] if toks[j].folded.startswith("ال") else toks[j].folded
    person = any(p.start == j and p.name for p in view.persons)
    if not person and (first not in _SOURCE_NOUNS or first in _MEDIA_WORDS or _is_media_word(toks[j])
                       or first in ("تقرير", "تقارير", "بيان", "وثيقه", "وثايق", "دراسه", "رساله", "مذكره")):
        return None
    speaker = _speaker_from_span(view, j, k, state) or Speaker(None, view.span(j, k), None)
    speaker = _finish_speaker(view, speaker, state)
    return StatementRow(
        row_id=row_id(prev.article_id, view.sentence.index, str(m.start), "نقلا عن"),
        article_id=prev.article_id, speaker_name=speaker.name, speaker_role=speaker.role,
        speaker_actor_id=speaker.actor_id, reporting_verb="نقلا عن", quote_text=prev.quote_text,
        is_direct=prev.is_direct, date_text=prev.date_text, statement_date=prev.statement_date,
        segment=view.sentence.segment, sentence_index=view.sentence.index, evidence_text=view.text,
        confidence=0.65, rule="statement.attribution.source",
    )


def _register_names(view: SentenceView, state: StatementState) -> None:
    """Register the full names a sentence introduces (for later short references such as "كيربي")."""
    if not view.may_name_persons:
        return
    for p in view.persons:
        if p.name and len(p.name.split()) >= 2:
            name, role, actor = state.register.resolve(p.name)
            full = p.name if len(p.name.split()) >= len(name.split()) else name
            state.register.add(full, p.role or role, p.actor_id or actor)
            if p.role or role:
                state.recent.append(Speaker(full, p.role or role, p.actor_id or actor))


_PREPOSITIONS: Final = frozenset({"الي", "من", "عن", "علي"})


def _statement_at(view: SentenceView, m, verbs, article_id: str, state: StatementState,
                  first_in_sentence: bool, prev: StatementRow | None = None) -> StatementRow | None:
    toks = view.toks
    lemma, kind, content_kind = m.value
    participle = _is_participle(toks[m.start].folded)
    object_verb = content_kind == "object" or participle
    next_start = next((x.start for x in verbs if x.start > m.start), len(toks))
    if m.end < len(toks) and toks[m.end].folded in ("بذلك", "ذلك") and state.pending_quote:
        return _said_that(view, m, article_id, state)  # «...». صرح بذلك رئيس الوزراء ...
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
        naql = next((k for k in range(skip + 1, sp_end) if toks[k].folded in ("نقلا", "ونقلا")), None)
        if naql is not None and lemma != "نقل":
            sp_end = naql  # "قالت صحيفة محلية نقلا عن مصدر": the speaker ends where its source begins
            while sp_end > skip and toks[sp_end - 1].is_punct:
                sp_end -= 1
        content = _content(view, marker, len(toks), object_verb)
        if content is None:
            return None
    elif object_verb:
        sp_end = skip if participle else _np_end(view, skip, next_start)
        ca = _skip_punct_dates(view, sp_end)
        if ca + 1 < len(toks) and toks[ca].folded in _PREPOSITIONS:
            ca += 1  # "مشيرة إلى اعتراض ...": the content is the preposition's object
        cb = _object_end(view, ca, _clause_end(view, ca, len(toks)))
        if cb + 1 < len(toks) and toks[cb].text in ("،", ",") and toks[cb + 1].folded in CLAUSE_MARKERS:
            # "أعلن الجيش المصري ورئاسة كوريا الجنوبية امس الثلاثاء، أن ...": the subject ran to the comma
            sp_end = cb
            content = _content(view, cb + 1, len(toks), object_verb)
            if content is None:
                return None
        else:
            content = (ca, cb, False)
    else:
        return None
    ca, cb, direct = content
    if cb - ca < 2:
        return None
    if view.sentence.is_headline and not direct:
        return None  # a title such as "واشنطن تعلن حزمة ..." announces news; it attributes no content
    if lemma == "نقل" and not any(t.folded == "عن" for t in toks[m.start:content[0]]):
        return None  # "نقلت روسيا الأسلحة ..." moves things; only "نقلت X عن Y" reports
    # "وصفه بأنه ..." (no subject after the pronoun-carrying verb) vs "وصفته الحكومة بأنه ...": a subject follows
    pronoun_subject = toks[m.end - 1].folded.endswith(("ها", "ه")) and lemma in ("وصف", "اتهم") and (
        m.end >= len(toks) or toks[m.end].folded in CLAUSE_MARKERS or toks[m.end].text in OPEN_QUOTES
        or toks[m.end].folded.startswith("ب") or toks[m.end].is_punct)
    speaker = None
    if lemma == "نقل":
        an = next((k for k in range(skip, sp_end) if toks[k].folded == "عن"), None)
        if an is not None and an + 1 < sp_end:
            skip = an + 1  # "نقلت وكالة كيودو عن ناكاتاني قوله": the one quoted is the speaker
    svo = _aux_subject(view, m.start, state)
    if svo is not None:
        speaker = svo  # "وكان الرئيس ... إلهام علييف قد وصف ...": subject, auxiliary, verb
    elif participle and prev is not None:
        # "..., مؤكدا أن ...": the ḥāl goes on with the speaker of the sentence's statement
        speaker = Speaker(prev.speaker_name, prev.speaker_role, prev.speaker_actor_id)
    elif participle and _sentence_subject(view, m.start) is not None:
        speaker = _sentence_subject(view, m.start)  # "وهو ما نفته الصين، معتبرة أن ...": the clause's subject
    elif participle and state.last is not None:
        speaker = state.last
    elif sp_end > skip and not pronoun_subject:
        speaker = _speaker_from_span(view, skip, sp_end, state)
    if speaker is None:
        speaker = _speaker_before(view, m.start, state)
    if speaker is None:
        speaker = _subject_noun_before(view, m.start)
    if speaker is None:
        if _bare(toks[m.start].folded) in lx_imperfect():
            return None  # "يُعتبر"، "تُذكر": a present tense with no subject of its own is passive or generic
        speaker = state.last or Speaker(None, None, None)
    quote = _balance_quotes(view.span(ca, cb).strip(" ،,.:\"«»“”") if direct else view.span(ca, cb))
    if not quote:
        return None
    speaker = _finish_speaker(view, speaker, state)
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


_MEDIA_WORDS: Final = frozenset({"صحيفه", "قناه", "وكاله", "موقع", "مجله", "شبكه", "اذاعه", "تلفزيون", "منصه", "برنامج"})


def _is_media_word(tok) -> bool:
    return tok.folded in _MEDIA_WORDS or any(s in _MEDIA_WORDS for s, _ in tok.variants)


_NEW_CLAUSE: Final = frozenset({"قبل", "بينما", "فيما", "حيث", "لكن", "لكنه", "لكنها", "وسط", "في حين"})


def _said_that(view: SentenceView, m, article_id: str, state: StatementState) -> StatementRow | None:
    """'صرح بذلك X' right after a sentence that is one quotation: X said it."""
    toks = view.toks
    a = m.end + 1
    b = a
    while b < len(toks) and toks[b].text not in ("،", ",", ".", ":"):
        b += 1
    sp_end = _trim_circumstantial(view, a, b)
    speaker = _speaker_from_span(view, a, sp_end, state) if sp_end > a else None
    if speaker is None:
        return None
    speaker = _finish_speaker(view, speaker, state)
    if speaker.name:
        state.last = speaker
    quote = state.pending_quote or ""
    date_text, statement_date = _date_near(view, m.start, len(toks) - 1)
    return StatementRow(
        row_id=row_id(article_id, view.sentence.index, str(m.start), m.value[0]),
        article_id=article_id, speaker_name=speaker.name, speaker_role=speaker.role,
        speaker_actor_id=speaker.actor_id, reporting_verb=m.value[0], quote_text=quote, is_direct=True,
        date_text=date_text, statement_date=statement_date, segment=view.sentence.segment,
        sentence_index=view.sentence.index, evidence_text=view.text, confidence=0.8,
        rule="statement.verb.demonstrative",
    )


def _object_end(view: SentenceView, ca: int, cb: int) -> int:
    """A nominal object ends where a new clause opens after a comma: "نفى الكرملين وجود قوات ...، قبل أن
    يقول ..."، "أعلن الجيش ... الثلاثاء، أن ..."; a comma inside the object ("حزمة مساعدات، بقيمة ...") does not
    end it."""
    depth = None
    toks = view.toks
    for j in range(ca + 1, cb - 1):
        t = toks[j].text
        if depth is None and t in OPEN_QUOTES and t != "”":
            depth = OPEN_QUOTES[t]
        elif depth is not None and t == depth:
            depth = None
        elif depth is None and t in ("،", ",", "؛") and j - ca >= 2:
            nxt = toks[j + 1].folded
            if nxt in _NEW_CLAUSE or nxt in CLAUSE_MARKERS or _bare(nxt) in _lex().imperfect:
                return j
    return cb


def _sentence_subject(view: SentenceView, before: int) -> Speaker | None:
    """The last state or organisation before ``before`` that is no preposition's object: a clause's subject."""
    cands = [a for a in view.actors if a.end <= before and not a.is_adjective and a.prefix[:1] not in ("ب", "ل")
             and (a.start == 0 or view.toks[a.start - 1].folded not in _PREPOSITIONS | {"في", "مع", "ضد"})
             and actor_type(a.actor_id) in ("state", "organisation", "armed_group", "institution")]
    if not cands:
        return None
    return Speaker(None, None, cands[-1].actor_id)


def _skip_venue(view: SentenceView, k: int, hi: int) -> int:
    """'في بيان أن ...', 'في تصريحات للصحفيين إن ...': the occasion of a statement, up to its content marker."""
    toks = view.toks
    if k + 1 < hi and toks[k].folded in ("في", "خلال", "عبر") and any(
            s in _STATEMENT_VENUES for s, _ in toks[k + 1].variants):
        for j in range(k + 2, min(hi, k + 10)):
            if toks[j].folded in CLAUSE_MARKERS or toks[j].text in OPEN_QUOTES or toks[j].text == ":":
                return j
    return k


_AUXILIARIES: Final = frozenset({"قد", "كان", "كانت", "وكان", "وكانت", "قدر"})


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
            return _seat(view, end, b)
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
            if _is_adj(view, end - 1) or any(x.start == end - 1 and actor_type(x.actor_id) == "state"
                                             and x.kind.startswith("demonym") for x in view.actors):
                if not t.folded.endswith(("ي", "يه", "يين", "يون")):
                    break  # "وزارة الخارجية الهندية التقاريرَ": a nationality closes the name; a noun follows
            end += 1
            continue
        break
    return _seat(view, end, b)


def _seat(view: SentenceView, end: int, b: int) -> int:
    """'السفارة الروسية في برلين الحكومةَ ...': a place right after the subject, before the object, is its seat."""
    if end + 2 < b and view.toks[end].folded == "في":
        place = next((y for y in view.actors if y.start == end + 1 and not y.is_adjective), None)
        if place is not None and place.end < b and not view.toks[place.end].is_punct \
                and view.toks[place.end].folded not in CLAUSE_MARKERS:
            return place.end
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


_BODY_NOUNS: Final = frozenset(fold_token(w) for w in (
    "وزارة", "وزارات", "وزير", "وزيرة", "هيئة", "قيادة", "القيادة", "الوزارة", "الهيئة", "حكومة", "الحكومة",
    "سفارة", "السفارة", "رئاسة", "الرئاسة", "الجيش", "جيش", "القوات", "قوات", "البحرية", "الخارجية", "الدفاع",
    "مجلس", "المجلس", "الأركان", "أركان"))


def _body_keys(words: list[str]) -> list[str]:
    """Keys under which a role's institution is remembered: "وزارة/وزير X" -> "وزاره X", and the bare noun."""
    keys = []
    for i, w in enumerate(words):
        stem = w[2:] if w.startswith("ال") and len(w) > 3 else w
        if stem in ("وزاره", "وزير", "وزيره") and i + 1 < len(words):
            keys.append("وزاره " + words[i + 1])
        if w in _BODY_NOUNS or stem in _BODY_NOUNS:
            keys.append(stem)
    return keys


def lx_imperfect() -> frozenset[str]:
    return _lex().imperfect


def _bare(folded: str) -> str:
    """A verb token without its conjunction (و/ف)."""
    return folded[1:] if folded[:1] in ("و", "ف") and len(folded) > 3 else folded


_MINISTRY: Final = frozenset({"وزاره", "وزير", "وزيره"})


def _learn_bodies(view: SentenceView, state: StatementState) -> None:
    """Remember the state each institution is named with ("وزارة الخزانة الأميركية" -> USA) in this article."""
    toks = view.toks
    at = [i for i, t in enumerate(toks) if not t.keyset.isdisjoint(_BODY_NOUNS)]
    if not at:
        return
    starts = {x.start: x.actor_id for x in view.actors if actor_type(x.actor_id) == "state"}
    if not starts:
        return
    for i in at:
        stems = toks[i].keyset  # clitic- and article-free readings
        if not stems.isdisjoint(_MINISTRY) and i + 2 < len(toks) and not toks[i + 1].is_punct:
            actor = starts.get(i + 2)
            if actor is not None:
                state.bodies["وزاره " + toks[i + 1].folded] = actor
        found = stems & _BODY_NOUNS
        if found:
            body = min(found, key=lambda x: (-len(x), x))  # deterministic: the longest reading
            actor = next((starts[k] for k in range(i + 1, min(len(toks), i + 4)) if k in starts), None)
            if actor is not None:
                state.bodies[body] = actor


_PRESS: Final = frozenset(fold_token(w) for w in ("صحيفة", "الصحيفة", "صحف", "موقع", "قناة", "مجلة", "وسائل", "شبكة"))


_INDEPENDENT_ROLES: Final = frozenset(fold_token(w) for w in (
    "باحث", "باحثة", "خبير", "خبيرة", "محلل", "محللة", "أستاذ", "أستاذة", "كاتب", "كاتبة", "صحفي", "صحفية",
    "صحافي", "صحافية", "ناشط", "ناشطة", "مراقب", "مراقبون", "محللون", "خبراء", "باحثون"))


def _named_by_role(role: str, state: StatementState) -> Speaker | None:
    """'الوزير'، 'رئيس الوزراء التشيكي' with no name: the latest named person whose title holds those words.

    Only for a title (its first word a role head such as وزير، رئيس، المتحدث), never for an institution
    ("وزارة الدفاع" is not its spokesman).
    """
    words = [fold_token(w) for w in role.split()]
    if not words or len(words) > 5 or not words[0].startswith("ال") and len(words) < 2:
        return None
    head = words[0][2:] if words[0].startswith("ال") else words[0]
    if head in _BODY_NOUNS or not (head in role_heads_matcher() or words[0] in role_heads_matcher()):
        return None
    wanted = {w[2:] if w.startswith("ال") else w for w in words}
    for sp in reversed(state.recent):
        have = {w[2:] if w.startswith("ال") else w for w in (fold_token(x) for x in (sp.role or "").split())}
        if wanted <= have:
            return sp
    return None


def _finish_speaker(view: SentenceView, speaker: Speaker, state: StatementState) -> Speaker:
    """Clean the role (no leading preposition) and give it the actor its institution was named with earlier.

    "وفقا لوزارة الدفاع" has the role "وزارة الدفاع"; "وكيل وزارة الخزانة" after "وزارة الخزانة الأميركية"
    speaks for USA; "المتحدث باسم الوزارة" for the ministry last named with a state.
    """
    role = _balance_marks(_strip_preposition(speaker.role))
    actor = speaker.actor_id
    if role and speaker.name is None:
        named = _named_by_role(role, state)
        if named is not None:
            return named
    if role:
        words = [fold_token(w) for w in role.split()]
        if len(words) > 1 and words[-1] in ("قوله", "قولها", "قولهم", "قولهما"):
            role = role.rsplit(None, 1)[0]  # "عن دبلوماسي غربي قوله": the source, not the saying
            words = words[:-1]
        if words[0] in _INDEPENDENT_ROLES or words[0][2:] in _INDEPENDENT_ROLES:
            actor = None  # a researcher or an analyst speaks for nobody, whatever institute employs them
        elif words[0] in _PRESS and not any(w in ("رسمي", "رسميه", "الرسمي", "الرسميه") for w in words) \
                and actor is not None and actor_type(actor) == "state":
            actor = None  # "صحيفة بريطانية"، "وسائل إعلام سورية": the press does not speak for its state
        if actor is None and any(w in ("رسمي", "رسميه", "الرسمي", "الرسميه") for w in words):
            # official media speak for their state ("وكالة الأنباء الكويتية الرسمية"); other media do not
            named_ids = [x.actor_id for x in view.actors if view.span(x.start, x.end) in role]
            actor = next((a if actor_type(a) == "state" else actor_parent(a) for a in named_ids
                          if actor_type(a) == "state" or actor_parent(a)), None)
        keys = _body_keys(words)
        if actor is not None and actor_type(actor) == "state":
            for key in keys:
                state.bodies[key] = actor
        elif actor is None:
            actor = next((state.bodies[k] for k in keys if " " in k and k in state.bodies), None)
            if actor is None and len(words) <= 4 and words and words[-1].startswith("ال") \
                    and words[-1][2:] in _BODY_NOUNS:
                actor = state.bodies.get(words[-1][2:])  # "المتحدث باسم الوزارة": the one named before
    if role == speaker.role and actor == speaker.actor_id:
        return speaker
    return Speaker(speaker.name, role, actor)


def _strip_preposition(role: str | None) -> str | None:
    """'لوزارة الدفاع' -> 'وزارة الدفاع': a role is a noun phrase, not the preposition that introduced it."""
    if not role:
        return role
    for lead in ("لـ", "ل"):
        if role.startswith(lead) and len(role) > len(lead) + 2 and not role.startswith("لل"):
            rest = role[len(lead):].lstrip()
            head = fold_token(rest.split()[0]) if rest.split() else ""
            if head and not head.startswith("ال") and (head in _SOURCE_NOUNS or head in _MEDIA_WORDS
                                                       or head in _ORG_OF_PERSON or head in _BODY_NOUNS
                                                       or is_role_word(head)):
                return rest
    return role


def is_role_word(folded: str) -> bool:
    return folded in _ROLE_WORDS


_ROLE_WORDS: Final = frozenset(fold_token(w) for w in (
    "رئيس", "رئيسة", "وزير", "وزيرة", "متحدث", "متحدثة", "مسؤول", "قائد", "سفير", "مدير", "نائب", "مستشار", "شركة",
    "مجموعة", "معهد", "مركز", "منظمة", "جماعة", "حركة", "بيانات", "أرقام", "تقديرات", "إحصاءات", "مسؤولين"))


_QUOTE_PAIRS: Final = (("«", "»"), ("“", "”"))


def _balance_marks(role: str | None) -> str | None:
    """A role cut right before its closing mark ('شركة "داسو للطيران') gets the mark back."""
    if not role:
        return role
    for a, b in _QUOTE_PAIRS:
        if role.count(a) > role.count(b):
            role += b
    return role + "\"" if role.count("\"") % 2 else role


def _balance_quotes(text: str) -> str:
    """Quote text with its quotation marks paired: an outer pair comes off, a mark left open is closed.

    The content of 'حذر من أن بلاده "سترد بقوة"' is 'بلاده "سترد بقوة"', never 'بلاده "سترد بقوة'.
    """
    q = text.strip(" ،,.:؛")
    for a, b in _QUOTE_PAIRS + (("\"", "\""),):
        if len(q) > 2 and q[0] == a and q[-1] == b and a not in q[1:-1] and b not in q[1:-1]:
            q = q[1:-1].strip(" ،,.:؛")
    for a, b in _QUOTE_PAIRS:
        opens, closes = q.count(a), q.count(b)
        if opens > closes:
            q = q.rstrip(" ،,.:؛") + b * (opens - closes)
        elif closes > opens:
            q = q[1:].lstrip() if q.startswith(b) else a + q  # content that began inside a quotation
    if q.count("\"") % 2:
        if q.startswith("\""):
            q = q[1:].lstrip()
        elif q.endswith("\"") and q.rfind("\"", 0, len(q) - 1) == -1:
            q = q[:-1].rstrip()
        else:
            q = q.rstrip(" ،,.:؛") + "\""
    return q.strip()


def _attribution(view: SentenceView, m, article_id: str, state: StatementState, first_verb_at: int | None,
                 own_source_only: bool = False):
    """'بحسب X، <clause>' or '<clause>، وفق X' -> a statement of X.

    After a reporting verb's statement in the same sentence, only a postposed source of its own (experts,
    estimates, data: "...، وهي كمية تكفي لـ ...، بحسب تقديرات خبراء") adds a row, for the clause it closes; a
    medium relaying the speaker ("بحسب رويترز") or a frame ("قالت الوزارة، وفقا لما نشرته الصحيفة، إن") does not.
    """
    toks = view.toks
    lemma = m.value[0]
    if own_source_only:
        return _postposed_source(view, m, article_id, state) if lemma != "نقلا عن" else None
    if first_verb_at is not None and first_verb_at < m.start:
        # "قالت الوزارة، وفقا لما نشرته الصحيفة، إن ..." — part of another statement's frame
        return None
    # speaker: up to the next comma / end
    j = m.end
    relative = False
    while j < len(toks) and toks[j].folded in ("ما", "لما", "ل"):
        relative = relative or toks[j].folded in ("ما", "لما")
        j += 1
    if relative and j + 1 < len(toks) and not toks[j].is_punct:
        # "بحسب ما أفادت به وكالة ..."، "وفقا لما نشرته الصحيفة": ما opens a relative clause whose verb
        # (and its pronoun-carrying preposition) precede the source
        j += 1
        while j < len(toks) and toks[j].folded in ("به", "بها", "عنه", "عنها", "فيه", "فيها"):
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
    quote = _balance_quotes(view.span(ca, cb))
    if not quote:
        return None
    speaker = _finish_speaker(view, speaker, state)
    if speaker.name:
        state.last = speaker
    return StatementRow(
        row_id=row_id(article_id, view.sentence.index, str(m.start), lemma),
        article_id=article_id, speaker_name=speaker.name, speaker_role=speaker.role,
        speaker_actor_id=speaker.actor_id, reporting_verb=lemma, quote_text=quote, is_direct=False,
        date_text=None, statement_date=None, segment=view.sentence.segment, sentence_index=view.sentence.index,
        evidence_text=view.text, confidence=0.7, rule="statement.attribution",
    )
