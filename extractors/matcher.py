"""Longest-match phrase lookup over tokens, clitic-aware on the first token of a phrase.

Used for every lexicon: actor aliases, items, transfer triggers, reporting verbs, event triggers.
A phrase is a folded token tuple; the first token may carry a proclitic (و ف ب ل ك ال), later tokens
may carry the article or the conjunction و.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from extractors.textnorm import fold_token, tokenize
from extractors.tokens import Token


def phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(fold_token(t) for t in tokenize(phrase))


@dataclass(slots=True)
class Match:
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    value: Any
    prefix: str  # proclitic stripped from the first token ("" when none)
    key: tuple[str, ...]


def _strip_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


class PhraseMatcher:
    """Map folded phrases to values; find non-overlapping longest matches in a token list."""

    def __init__(self, entries: Iterable[tuple[str, Any]], *, allow_prefix: bool = True,
                 prefixes: frozenset[str] | None = None) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], Any]]] = defaultdict(list)
        self.allow_prefix = allow_prefix
        self.prefixes = prefixes  # when set, the only proclitics a first token may carry (verbs: و، ف)
        for phrase, value in entries:
            key = phrase_key(phrase)
            if not key:
                continue
            first = _strip_article(key[0])
            self._by_first[first].append((key, value, tuple(_strip_article(k) for k in key)))
        for lst in self._by_first.values():
            lst.sort(key=lambda kv: -len(kv[0]))
        self._firsts = frozenset(self._by_first)

    def could_match(self, toks: list[Token]) -> bool:
        """Cheap test: does any token start an entry?"""
        if hasattr(toks, "starts"):
            return bool(toks.starts(self._firsts))
        firsts = self._firsts
        return any(not firsts.isdisjoint(t.keyset) for t in toks)

    def starts_in(self, toks: list[Token]) -> list[int]:
        """Positions where an entry can start (its first word is there); only these need ``match_at``."""
        starts = getattr(toks, "starts", None)
        if starts is not None:  # a TokenList remembers where each matcher can start
            return starts(self._firsts)
        firsts = self._firsts
        return [i for i, t in enumerate(toks) if not firsts.isdisjoint(t.keyset)]

    def __contains__(self, word: str) -> bool:
        return _strip_article(fold_token(word)) in self._by_first

    def match_at(self, toks: list[Token], i: int) -> Match | None:
        if self._firsts.isdisjoint(toks[i].keyset):
            return None
        best: Match | None = None
        keys = toks[i].keys if self.allow_prefix else toks[i].keys[:1]
        by_first = self._by_first
        allowed = self.prefixes
        for key0, prefix in keys:
            if allowed is not None and prefix not in allowed:
                continue
            cands = by_first.get(key0)
            if not cands:
                continue
            ntoks = len(toks)
            for key, value, stripped in cands:
                n = len(key)
                if best is not None and n <= best.end - best.start:
                    break
                if i + n > ntoks:
                    continue
                ok = True
                for k in range(1, n):
                    tok = toks[i + k]
                    if tok.folded != key[k] and stripped[k] not in tok.tailset:
                        ok = False
                        break
                if ok:
                    if prefix.endswith("ال") and key[0].startswith("ال"):
                        prefix = prefix[:-2]
                    best = Match(i, i + n, value, prefix, key)
                    break
        return best

    def find(self, toks: list[Token], lo: int = 0, hi: int | None = None) -> list[Match]:
        n = len(toks)
        hi = n if hi is None else hi
        out: list[Match] = []
        positions = self.starts_in(toks)
        if not positions:
            return out
        if lo > 0 or hi < n:
            positions = [i for i in positions if lo <= i < hi]
        covered = lo
        for i in positions:
            if i < covered:
                continue
            m = self.match_at(toks, i)
            if m is not None and m.end <= hi:
                out.append(m)
                covered = m.end
        return out
