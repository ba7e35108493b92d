"""Persons: a title/role phrase followed by a name ("المتحدث باسم ...، جون كيربي"), and the article's
register of full names so a later short reference ("كيربي", "الجنرال حيدري") gets the full form.

Hand-written because no offline Arabic NER is available (camel-tools' NER needs a model download);
``MIRSAD_NER=camel`` adds its mentions where installed (see ``extractors.mentions.ner``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from extractors.mentions.actors import ActorMention, actor_type
from extractors.text.lexicon import load_csv, load_yaml
from extractors.text.matcher import PhraseMatcher
from extractors.text.textnorm import fold_token
from extractors.text.tokens import Token
from extractors.values import Value

MAX_NAME_TOKENS: Final = 3
NOT_NAME_NOUNS: Final = frozenset(fold_token(w) for w in (
    "صحيفة", "قناة", "وكالة", "موقع", "مجلة", "شبكة", "إذاعة", "تلفزيون", "منصة", "بيان", "تصريحات", "مقابلة",
    "تقرير", "مصدر", "مصادر", "مسؤول", "مسؤولون", "وزارة", "حكومة", "شركة", "الشركة"))
_JOINERS_NEXT: Final = frozenset(fold_token(w) for w in ("عبد", "أبو", "ابو", "بن", "ابن", "آل", "أم"))
_NAME_JOINERS: Final = frozenset({"عبد", "بن", "ابن", "ابو", "أبو", "دي", "دو", "فان", "فون", "ال"})


@dataclass(frozen=True)
class _Roles:
    heads: PhraseMatcher
    continuers: frozenset[str]
    back_refs: frozenset[str]
    stoppers: frozenset[str]
    verbs: frozenset[str]
    ranks: frozenset[str]


@lru_cache(maxsize=1)
def _roles() -> _Roles:
    data = load_yaml("roles.yaml")
    verbs = {fold_token(r["form"].split()[0]) for r in load_csv("reporting_verbs.csv")}
    verbs |= {fold_token(r["form"].split()[0]) for r in load_csv("transfer_triggers.csv")}
    return _Roles(
        heads=PhraseMatcher([(h, h) for h in data["heads"]]),
        continuers=frozenset(fold_token(x) for x in data["continuers"]),
        back_refs=frozenset(fold_token(x) for x in data["back_references"]),
        stoppers=frozenset(fold_token(x) for x in data["name_stoppers"]),
        verbs=frozenset(verbs),
        ranks=frozenset(fold_token(w) for x in data.get("ranks", []) for w in x.split()),
    )


class PersonMention(Value):
    """A person named in a sentence, with the role and the actor they speak for."""

    def __init__(self, start: int, end: int, name: str | None, role: str | None, actor_id: str | None,
                 name_start: int = -1) -> None:
        self.start = start  # token index of the whole mention (role or name, whichever first)
        self.end = end
        self.name = name  # name as written here
        self.role = role
        self.actor_id = actor_id
        self.name_start = name_start

    def _fields(self) -> tuple:
        return (self.start, self.end, self.name, self.role, self.actor_id, self.name_start)

def is_role_head(toks: list[Token], i: int) -> int:
    """Length in tokens of a role head starting at i (0 if none)."""
    m = _roles().heads.match_at(toks, i)
    return (m.end - m.start) if m else 0


def role_heads_matcher() -> PhraseMatcher:
    return _roles().heads


def role_heads(toks: list[Token]) -> dict[int, int]:
    """Token index -> length of the role head starting there, for a whole sentence in one pass."""
    return {m.start: m.end - m.start for m in _roles().heads.find(toks)}


def is_name_token(tok: Token) -> bool:
    r = _roles()
    f = tok.folded
    if tok.is_punct or not any(c.isalpha() for c in tok.text) or len(f) < 2:
        return False
    if tok.text in ("علي", "عليّ"):
        return True  # the name "علي" folds like the preposition "على"; as written, with ي, it is the name
    if f in r.stoppers or f in r.verbs or f in r.continuers:
        return False
    if f.startswith(("ال", "لل", "بال", "وال")) and f not in _NAME_JOINERS:
        return False
    if any(stem in NOT_NAME_NOUNS for stem, _ in tok.variants):
        return False  # "لصحيفة", "وكالة": media and institution nouns are never part of a name
    return not any(f == fold_token(w) for w in ("و", "أو", "ثم", "كل", "هذا", "هذه", "ذلك", "تلك"))


def _text(toks: list[Token], a: int, b: int, source: str) -> str:
    return source[toks[a].start - toks[0].start:toks[b - 1].end - toks[0].start] if b > a else ""


def scan_name(toks: list[Token], i: int, hi: int, actors_at: dict[int, ActorMention],
              heads: dict[int, int] | None = None) -> int:
    """End index of a name starting at i (== i when there is none)."""
    heads = role_heads(toks) if heads is None else heads
    j = i
    extra = 0  # tokens that do not count as words (hyphens, the word after a joiner)
    while j < hi and j - i - extra < MAX_NAME_TOKENS + 1 and is_name_token(toks[j]) and j not in heads:
        m = actors_at.get(j)
        if m is not None and m.kind != "person":
            break
        j += 1
        if toks[j - 1].folded in _JOINERS_NEXT and j < hi and not toks[j].is_punct:
            j += 1  # "عبد الله", "أبو علي": the joiner takes the next word, article and all
            extra += 1
        elif j + 1 < hi and toks[j].text == "-" and toks[j].start == toks[j - 1].end and toks[j + 1].start == toks[j].end:
            j += 2  # "كوسينياك-كاميش": a hyphenated family name
            extra += 2
    if j - i - extra > MAX_NAME_TOKENS:
        j = i + MAX_NAME_TOKENS + extra
    # a family name with the article (خالد الأمين، بشار الأسد) closes a name before punctuation or a clause word
    fam = actors_at.get(j)
    if i < j < hi and j - i < MAX_NAME_TOKENS and toks[j].folded.startswith("ال") \
            and (fam is None or fam.kind not in ("capital", "seat", "formal_name") and fam.end == j + 1
                 and j - i >= 2) \
            and j not in heads and toks[j].folded not in _roles().continuers:
        after = toks[j + 1] if j + 1 < hi else None
        if (after is None or after.is_punct or after.folded in _roles().stoppers or after.folded in _roles().verbs
                or (after.folded.startswith("ل") and len(after.folded) <= 2)):
            j += 1
    return j


def find_persons(toks: list[Token], text: str, actors: list[ActorMention]) -> list[PersonMention]:
    """Role + name patterns and lexicon persons in a sentence (``text`` is the sentence the tokens index)."""
    actors_at = {m.start: m for m in actors}
    heads = role_heads(toks)
    out: list[PersonMention] = []
    if not heads and not any(m.kind == "person" for m in actors):
        return out
    i, n = 0, len(toks)
    while i < n:
        h = heads.get(i, 0)
        if not h:
            m = actors_at.get(i)
            if m is not None and m.kind == "person":
                end = max(m.end, scan_name(toks, m.end, n, actors_at, heads)) if m.end - m.start == 1 else m.end
                out.append(PersonMention(i, end, _text(toks, i, end, text), None, m.actor_id, i))
                i = end
                continue
            i += 1
            continue
        start = i
        j = i + h
        role_actor: str | None = None
        while j < n:
            tok = toks[j]
            f = tok.folded
            hh = heads.get(j, 0)
            m = actors_at.get(j)
            if hh:
                j += hh
            elif m is not None and m.kind != "person":
                if role_actor is None and actor_type(m.actor_id) != "media":
                    role_actor = m.actor_id
                j = m.end
            elif f in _roles().continuers or (f.startswith("ال") and f not in _roles().stoppers) or (
                    f.startswith(("بال", "لل")) and j > start + h) or (
                    j > start + h - 1 and any(p.startswith("ل") and st in NOT_NAME_NOUNS for st, p in tok.variants[1:])):
                j += 1  # "الرئيس التنفيذي لشركة ..."
                if j < n and toks[j].text in ("\"", "«", "“"):
                    close = next((x for x in range(j + 1, min(n, j + 6)) if toks[x].text in ("\"", "»", "”")), None)
                    if close is not None:
                        j = close + 1  # a quoted organisation name inside the role
            else:
                break
        role_end = j
        k = j
        if k < n and toks[k].text in ("،", ","):
            k += 1
        name_end = scan_name(toks, k, n, actors_at, heads)
        if name_end == k and k == role_end and k < n and not toks[k].is_punct:
            # "قائد القيادة الأميركية في المحيطين الهندي والهادئ، الأدميرال ...": a place phrase, then the name
            p = k + 1 if toks[k].folded in ("في", "لدي") else k
            while p < min(n, k + 7) and not toks[p].is_punct and (
                    toks[p].folded.startswith(("ال", "وال")) or p in actors_at):
                p += 1
            if p > k and p + 1 < n and toks[p].text in ("،", ",") and toks[p + 1].folded in _roles().ranks:
                role_end, k, name_end = p, p + 1, p + 1
        if name_end == k and k > role_end:
            # "المتحدث باسم وزارة الدفاع، العقيد الركن فهد العنزي": a rank after the title's comma opens the
            # name's apposition; the title is the role (and names the actor), the rank is not
            r = k
            while r < n and toks[r].folded in _roles().ranks:
                r += 1
            if r > k:
                end_r = scan_name(toks, r, n, actors_at, heads)
                if end_r > r and (end_r >= n or toks[end_r].is_punct or toks[end_r].folded in _roles().stoppers):
                    k, name_end = r, end_r
        if name_end > k and name_end + 1 < n and toks[name_end].text in ("،", ","):
            k2 = name_end + 1
            end2 = scan_name(toks, k2, n, actors_at, heads)
            if end2 - k2 >= 2 and (end2 >= n or toks[end2].is_punct or toks[end2].folded in _roles().stoppers):
                role_end, k, name_end = name_end, k2, end2  # "مساعد وزيرة الخزانة لشؤون تمويل الإرهاب، جيمس أوكونور"
        name = None
        if name_end > k:
            name = _text(toks, k, name_end, text)
            pm = actors_at.get(k)
            if role_actor is None and pm is not None and pm.kind == "person":
                role_actor = pm.actor_id
        role = _text(toks, start, role_end, text).strip(" ،,")
        out.append(PersonMention(start, max(role_end, name_end) if name else role_end, name, role or None,
                                 role_actor, k if name else -1))
        i = max(role_end, name_end, i + 1)
    return out


@dataclass
class PersonRegister:
    """Full names seen so far in an article, by folded last name."""

    by_last: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)

    def add(self, name: str, role: str | None, actor_id: str | None) -> None:
        parts = name.split()
        if not parts:
            return
        last = fold_token(parts[-1])
        known = self.by_last.get(last)
        if known is None or len(known[0].split()) < len(parts):
            self.by_last[last] = (name, role or (known[1] if known else None), actor_id or (known[2] if known else None))
        elif known and (role or actor_id):
            self.by_last[last] = (known[0], known[1] or role, known[2] or actor_id)

    def resolve(self, name: str) -> tuple[str, str | None, str | None]:
        parts = name.split()
        if not parts:
            return name, None, None
        known = self.by_last.get(fold_token(parts[-1]))
        if known and len(known[0].split()) >= len(parts):
            return known
        return name, None, None
