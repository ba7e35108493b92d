"""Finding actors (states, organisations, media, known persons) in tokens, via the gazetteer.

Demonyms in the singular (إيراني، الروسية) are adjectives: they say whose a thing is (مسيرات إيرانية) but
are not the subject of a verb; names, capitals, seats of power and plural demonyms (الروس) can be.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from extractors.mentions.gazetteer import ambiguous_aliases, blocking_phrases, load_actors, load_aliases, load_persons
from extractors.text.matcher import PhraseMatcher
from extractors.text.tokens import Token
from extractors.values import Value

ADJECTIVE_KINDS: Final = frozenset({"demonym_m", "demonym_f"})
# actors whose mention means "the West" as a bloc only in the plural/adjective sense are handled by data.


class ActorMention(Value):
    """An actor named in a sentence."""

    __slots__ = ("start", "end", "actor_id", "kind", "prefix", "person", "organ")

    def __init__(self, start: int, end: int, actor_id: str, kind: str, prefix: str, person: str | None = None,
                 organ: bool = False) -> None:
        self.start = start  # token index
        self.end = end
        self.actor_id = actor_id
        self.kind = kind  # alias kind from the gazetteer, or "person"
        self.prefix = prefix  # proclitic on the first token (و، ب، ل، ...)
        self.person = person  # the person's name as in the lexicon, for kind == "person"
        self.organ = organ  # "الجيش السوداني", "وزارة الدفاع الروسية": the demonym names the state acting

    def _fields(self) -> tuple:
        return (self.start, self.end, self.actor_id, self.kind, self.prefix, self.person, self.organ)

    @property
    def is_adjective(self) -> bool:
        return self.kind in ADJECTIVE_KINDS and not self.organ

    @property
    def is_weak(self) -> bool:
        return self.kind.startswith("weak_")

    @property
    def governed_by(self) -> str:
        """The preposition attached to the mention, if any: 'ل', 'ب', 'ك' or ''."""
        p = self.prefix.lstrip("وف")
        return p[:1] if p[:1] in ("ل", "ب", "ك") else ""

@lru_cache(maxsize=1)
def _matcher() -> PhraseMatcher:
    entries: list[tuple[str, tuple[str, str, str | None] | None]] = []
    ambiguous = ambiguous_aliases()
    accusatives: list[tuple[str, tuple[str, str, str | None] | None]] = []
    for alias in load_aliases():
        kind = alias.kind
        if ambiguous.get(alias.folded) == "common_word":
            kind = "weak_" + kind  # also an everyday word (مالي، سيول، غربية): only trusted as an item's owner
        entries.append((alias.alias, (alias.actor_id, kind, None)))
        if alias.kind == "demonym_m" and " " not in alias.alias:
            # the indefinite accusative "عدواناً إسرائيلياً": the adjective takes ا (listed forms come first)
            accusatives.append((alias.alias + "ا", (alias.actor_id, kind, None)))
    entries += accusatives
    for person in load_persons():
        entries.append((person.name_ar, (person.actor_id, "person", person.name_ar)))
    for phrase in blocking_phrases():
        entries.append((" ".join(phrase), None))  # consumes "مجلس الأمن القومي" before "مجلس الأمن" can hit
    return PhraseMatcher(entries)


_TYPE_OF: Final[dict[str, str]] = {}  # actor id -> type, filled from load_actors on first use


def actor_type(actor_id: str) -> str | None:
    """The actor's type (None for an unknown id). A dict of plain strings: called for every mention, and
    load_actors (an lru_cache call) plus the Actor attribute were generic Python calls from compiled code."""
    if not _TYPE_OF:
        _TYPE_OF.update({actor.actor_id: actor.actor_type for actor in load_actors().values()})
    return _TYPE_OF.get(actor_id)


def actor_parent(actor_id: str) -> str | None:
    actor = load_actors().get(actor_id)
    return actor.parent_id if actor else None


@lru_cache(maxsize=1)
def _organs() -> frozenset[str]:
    from extractors.text.lexicon import load_yaml
    from extractors.text.textnorm import fold_token

    return frozenset(fold_token(w) for w in load_yaml("transfer_context.yaml")["state_organs"])


def find_actors(toks: list[Token], lo: int = 0, hi: int | None = None) -> list[ActorMention]:
    whole = lo == 0 and hi is None and hasattr(toks, "actors_cache")
    if whole and toks.actors_cache is not None:  # type: ignore[attr-defined]
        return toks.actors_cache  # type: ignore[attr-defined]
    out = _find_actors(toks, lo, hi)
    if whole:
        toks.actors_cache = out  # type: ignore[attr-defined]
    return out


def _find_actors(toks: list[Token], lo: int, hi: int | None) -> list[ActorMention]:
    out: list[ActorMention] = []
    organs = _organs()
    for m in _matcher().find(toks, lo, hi):
        if m.value is None:
            continue
        actor_id, kind, person = m.value
        if kind in ADJECTIVE_KINDS and _bracketed(toks, m.start, m.end):
            continue  # "(روسي)" after an institute's name is its acronym (RUSI), not an adjective of Russia
        organ = False
        if kind in ADJECTIVE_KINDS and m.start > 0 and not m.prefix:
            prev = toks[m.start - 1]
            organ = prev.folded in organs or any(st in organs for st, _ in prev.variants[1:])
            if not organ and m.start > 1 and prev.folded.startswith("ال"):
                prev2 = toks[m.start - 2]  # "القوات المسلحة المالية"
                organ = prev2.folded in organs or any(st in organs for st, _ in prev2.variants[1:])
        out.append(ActorMention(m.start, m.end, actor_id, kind, m.prefix, person, organ))
    return out


def _bracketed(toks: list[Token], start: int, end: int) -> bool:
    """The mention is all that stands between an opening and a closing bracket."""
    return 0 < start and end < len(toks) and toks[start - 1].text == "(" and toks[end].text == ")"


def actor_keys(toks: list[Token]) -> set[str]:
    """Topic keys of a text: actor ids and the persons named (used to tell teasers from the main story)."""
    keys: set[str] = set()
    for m in find_actors(toks):
        if actor_type(m.actor_id) == "media":
            continue
        keys.add(m.actor_id)
        if m.person:
            keys.add("person:" + toks[m.end - 1].folded)
    return keys
