"""One sentence, analysed once: tokens, actors, persons, items, dates and quantities.

Every fact extractor (transfers, statements, events) reads these views instead of re-scanning text.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from extractors.mentions.actors import ActorMention, actor_parent, actor_type, find_actors
from extractors.mentions.dates import DateMention, find_dates, may_hold_date
from extractors.mentions.items import ItemMention, find_items, item_words_matcher
from extractors.mentions.ner import NerMention
from extractors.mentions.ner import enabled as ner_enabled
from extractors.mentions.ner import mentions as ner_mentions
from extractors.mentions.persons import PersonMention, find_persons, role_heads_matcher
from extractors.mentions.quantities import Quantity, find_quantities
from extractors.text.segments import Sentence
from extractors.text.tokens import Token, sentence_tokens

GROUP_ANAPHORS: Final = frozenset({"الجماعه", "الحركه", "الميليشيا", "المليشيا", "التنظيم"})
BOUNDARY_WORDS: Final = frozenset({"ان", "انه", "انها", "بان", "بانه", "بانها", "انهم", "لان"})
HOME_PRONOUNS: Final = frozenset({"بلاده", "بلادها", "بلادنا", "بلادي", "بلادهم"})
QUOTE_CHARS: Final = frozenset("\"«»“”")


class SentenceView:
    """One sentence and its analyses, each computed on first use and kept (several extractors read the same
    ones). A plain class with one slot per analysis: mypyc compiles it to a native class (see compiled.py)."""

    def __init__(self, sentence: Sentence, pub: date | None, context_ids: frozenset[str] = frozenset(),
                 group_id: str | None = None) -> None:
        self.sentence = sentence
        self.pub = pub  # publication date usable for resolving (None in related segments)
        # actor ids the article names unambiguously: an ambiguous alias of one of them counts ("مالي" with "باماكو")
        self.context_ids = context_ids
        # the armed group the article last named: what "الجماعة"/"الحركة" refer back to
        self.group_id = group_id
        # the state of the article's last speaker: what "بلاده"/"بلادنا" refer to when the sentence names no one
        self.speaker_id: str | None = None
        self.toks: list[Token] = sentence_tokens(sentence.text)
        self._actors: list[ActorMention] | None = None
        self._party_actors: list[ActorMention] | None = None
        self._owner_actors: list[ActorMention] | None = None
        self._may_name_persons: bool | None = None
        self._persons: list[PersonMention] | None = None
        self._ner: list[NerMention] | None = None
        self._quantities: list[Quantity] | None = None
        self._items: list[ItemMention] | None = None
        self._dates: list[DateMention] | None = None

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def actors(self) -> list[ActorMention]:
        found = self._actors
        if found is None:
            found = self._actors = self._find_actors()
        return found

    def _find_actors(self) -> list[ActorMention]:
        return find_actors(self.toks)

    @property
    def party_actors(self) -> list[ActorMention]:
        found = self._party_actors
        if found is None:
            found = self._party_actors = self._find_party_actors()
        return found

    def _find_party_actors(self) -> list[ActorMention]:
        """Actors that can be a party (supplier, recipient, event actor): no media, no persons; ambiguous aliases
        only when the article names the same actor unambiguously; group anaphora resolved."""
        out = []
        for a in self.actors:
            kind = actor_type(a.actor_id)
            if a.kind == "person" or kind == "media" or (a.is_weak and a.actor_id not in self.context_ids):
                continue
            if kind == "company":  # a state-owned maker acts for its state; a private one is not a party
                parent = actor_parent(a.actor_id)
                if not parent:
                    continue
                a = ActorMention(a.start, a.end, parent, a.kind, a.prefix, a.person, a.organ)
            out.append(a)
        if self.group_id is not None:
            taken = {i for a in out for i in range(a.start, a.end)}
            for i, tok in enumerate(self.toks):
                if i not in taken and any(stem in GROUP_ANAPHORS for stem, _ in tok.variants):
                    prefix = next((p for stem, p in tok.variants if stem in GROUP_ANAPHORS), "")
                    out.append(ActorMention(i, i + 1, self.group_id, "anaphor", prefix.removesuffix("ال")))
            out.sort(key=lambda a: a.start)
        out = self._with_home_pronouns(out)
        return out

    def _with_home_pronouns(self, out: list[ActorMention]) -> list[ActorMention]:
        """"بلاده"، "بلادنا"، "لبلادها": the speaker's own state, i.e. the nearest person, state or demonym
        before it in the sentence, else the state of the article's last speaker."""
        found = False
        for i, tok in enumerate(self.toks):
            if "بلاد" not in tok.folded:
                continue  # cheap test first: most sentences name no home country
            prefix = next((p for stem, p in tok.variants if stem in HOME_PRONOUNS), None)
            if prefix is None:
                continue
            before = [a for a in self.actors if a.end <= i and actor_type(a.actor_id) != "media"]
            home = before[-1].actor_id if before else self.speaker_id
            if home is not None and actor_type(home) == "state":
                out.append(ActorMention(i, i + 1, home, "anaphor", prefix))
                found = True
        if found:
            out.sort(key=lambda a: a.start)
        return out

    @property
    def owner_actors(self) -> list[ActorMention]:
        found = self._owner_actors
        if found is None:
            found = self._owner_actors = self._find_owner_actors()
        return found

    def _find_owner_actors(self) -> list[ActorMention]:
        """Actors that may own an item (مكونات إلكترونية غربية): parties plus ambiguous demonyms."""
        return [a for a in self.actors if a.kind != "person" and actor_type(a.actor_id) != "media"]

    @property
    def may_name_persons(self) -> bool:
        found = self._may_name_persons
        if found is None:
            found = self._may_name_persons = self._find_may_name_persons()
        return found

    def _find_may_name_persons(self) -> bool:
        """Cheap test before the person scan: a title/role word, a known person, or NER is on."""
        return role_heads_matcher().could_match(self.toks) or any(a.kind == "person" for a in self.actors) \
            or ner_enabled()

    @property
    def persons(self) -> list[PersonMention]:
        found = self._persons
        if found is None:
            found = self._persons = self._find_persons()
        return found

    def _find_persons(self) -> list[PersonMention]:
        found = find_persons(self.toks, self.text, self.actors)
        for m in self.ner:
            if m.label == "PERS" and not any(p.start <= m.start < p.end for p in found):
                found.append(PersonMention(m.start, m.end, self.span(m.start, m.end), None, None, m.start))
        return sorted(found, key=lambda p: p.start)

    @property
    def ner(self) -> list[NerMention]:
        found = self._ner
        if found is None:
            found = self._ner = self._find_ner()
        return found

    def _find_ner(self) -> list[NerMention]:
        """Neural NER mentions when MIRSAD_NER is set (see extractors.mentions.ner), else none."""
        return ner_mentions(self.toks)

    @property
    def quantities(self) -> list[Quantity]:
        found = self._quantities
        if found is None:
            found = self._quantities = self._find_quantities()
        return found

    def _find_quantities(self) -> list[Quantity]:
        return find_quantities(self.text)

    @property
    def items_cheap(self) -> bool:
        """Whether looking for items is worth it here (some item word occurs)."""
        return item_words_matcher().could_match(self.toks)

    @property
    def items(self) -> list[ItemMention]:
        found = self._items
        if found is None:
            found = self._items = self._find_items()
        return found

    def _find_items(self) -> list[ItemMention]:
        return find_items(self.toks, self.text, 0, self.owner_actors, self.quantities_now)

    def quantities_now(self) -> list[Quantity]:
        """The sentence's quantities, computed on first call: find_items calls it only when an item needs a
        number. A bound method, not ``lambda: self.quantities``: mypyc 2.4.1 stops with an internal error on
        a lambda that closes over ``self`` inside a method of a native class."""
        return self.quantities

    def dates_if_found(self) -> list[DateMention]:
        """The dates when an extractor needed them, else none (never computes them)."""
        return self._dates or []

    @property
    def dates(self) -> list[DateMention]:
        found = self._dates
        if found is None:
            found = self._dates = self._find_dates()
        return found

    def _find_dates(self) -> list[DateMention]:
        if not may_hold_date(t.folded for t in self.toks):
            return []
        return find_dates(self.text, self.pub)

    def span(self, a: int, b: int) -> str:
        """Original text of tokens [a, b)."""
        if b <= a:
            return ""
        return self.text[self.toks[a].start:self.toks[b - 1].end]

    def token_at_char(self, offset: int) -> int:
        for i, t in enumerate(self.toks):
            if t.end > offset:
                return i
        return len(self.toks)

    def is_boundary(self, i: int) -> bool:
        tok = self.toks[i]
        return tok.folded in BOUNDARY_WORDS or tok.text in QUOTE_CHARS or tok.text == ":"
