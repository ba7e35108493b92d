"""Longest-match phrase lookup over tokens, clitic-aware on the first token of a phrase.

Used for every lexicon: actor aliases, items, transfer triggers, reporting verbs, event triggers.
A phrase is a folded token tuple; the first token may carry a proclitic (و ف ب ل ك ال), later tokens
may carry the article or the conjunction و.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from extractors.text.textnorm import fold_token, tokenize
from extractors.text.tokens import FirstWords, Token, TokenList, can_start_in, start_positions
from extractors.values import Value


def phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(fold_token(t) for t in tokenize(phrase))


class Match(Value):
    """One lexicon entry found in a token list."""

    __slots__ = ("start", "end", "value", "prefix", "key")

    def __init__(self, start: int, end: int, value: Any, prefix: str, key: tuple[str, ...]) -> None:
        self.start = start  # token index, inclusive
        self.end = end  # token index, exclusive
        self.value = value
        self.prefix = prefix  # proclitic stripped from the first token ("" when none)
        self.key = key

    def _fields(self) -> tuple:
        return (self.start, self.end, self.value, self.prefix, self.key)


def _strip_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


class _Node:
    """A trie node over the words after a phrase's first one. A later word matches a child when it is the
    child's word exactly or carries it (article stripped) under a tail proclitic: ``Token.tailset``."""

    __slots__ = ("by_word", "by_stem", "children", "entry")

    def __init__(self) -> None:
        self.children: dict[tuple[str, str], _Node] = {}
        self.by_word: dict[str, list[_Node]] = {}  # child word -> children (exact form)
        self.by_stem: dict[str, list[_Node]] = {}  # child word without its article -> children
        self.entry: tuple[int, tuple[str, ...], Any] | None = None  # (listing order, key, value) ending here

    def child(self, word: str, stem: str) -> _Node:
        node = self.children.get((word, stem))
        if node is None:
            node = self.children[(word, stem)] = _Node()
            self.by_word.setdefault(word, []).append(node)
            self.by_stem.setdefault(stem, []).append(node)
        return node

    def longest(self, toks: list[Token], j: int, depth: int) -> tuple[int, int, tuple[str, ...], Any] | None:
        """(length, order, key, value) of the longest entry through this node matching ``toks[j:]``; among
        equally long ones the earliest listed. (The best is the largest (length, -order): unique, whatever
        order the children are tried in.)"""
        entry = self.entry
        best = None if entry is None else (depth, entry[0], entry[1], entry[2])
        if j >= len(toks):
            return best
        tok = toks[j]
        nodes = self.by_word.get(tok.folded)
        if nodes is not None:
            for node in nodes:
                best = node._better(toks, j, depth, best)
        by_stem = self.by_stem
        for stem in tok.tailset:
            more = by_stem.get(stem)
            if more:
                for node in more:
                    best = node._better(toks, j, depth, best)
        return best

    def _better(self, toks: list[Token], j: int, depth: int, best: tuple[int, int, tuple[str, ...], Any] | None
                ) -> tuple[int, int, tuple[str, ...], Any] | None:
        """``best``, or the longest entry through this child (which matched ``toks[j]``) when it is better."""
        if self.children:
            found = self.longest(toks, j + 1, depth + 1)
        else:
            entry = self.entry
            found = None if entry is None else (depth + 1, entry[0], entry[1], entry[2])
        if found is not None and (best is None or found[0] > best[0]
                                  or (found[0] == best[0] and found[1] < best[1])):
            return found
        return best


class PhraseMatcher:
    """Map folded phrases to values; find non-overlapping longest matches in a token list."""

    def __init__(self, entries: Iterable[tuple[str, Any]], *, allow_prefix: bool = True,
                 prefixes: frozenset[str] | None = None) -> None:
        self._roots: dict[str, _Node] = {}
        self.allow_prefix = allow_prefix
        self.prefixes = prefixes  # when set, the only proclitics a first token may carry (verbs: و، ف)
        self.entries = list(entries)  # as listed: the definition the trie indexes (tests check one against the other)
        for order, (phrase, value) in enumerate(self.entries):
            key = phrase_key(phrase)
            if not key:
                continue
            node = self._roots.setdefault(_strip_article(key[0]), _Node())
            for k in range(1, len(key)):
                node = node.child(key[k], _strip_article(key[k]))
            if node.entry is None:  # the same phrase twice: the first entry wins
                node.entry = (order, key, value)
        self._firsts = frozenset(self._roots)
        self._bit = FirstWords.bit(self._firsts)

    def could_match(self, toks: list[Token]) -> bool:
        """Cheap test: does any token start an entry?"""
        if isinstance(toks, TokenList):
            return can_start_in(toks, self._firsts, self._bit)
        firsts = self._firsts
        return any(not firsts.isdisjoint(t.keyset) for t in toks)

    def starts_in(self, toks: list[Token]) -> list[int]:
        """Positions where an entry can start (its first word is there); only these need ``match_at``."""
        if isinstance(toks, TokenList):  # a TokenList remembers where each matcher can start
            return start_positions(toks, self._firsts, self._bit)
        firsts = self._firsts
        return [i for i, t in enumerate(toks) if not firsts.isdisjoint(t.keyset)]

    def __contains__(self, word: str) -> bool:
        return _strip_article(fold_token(word)) in self._roots

    def match_at(self, toks: list[Token], i: int) -> Match | None:
        """The longest entry starting at token ``i`` (the earliest-listed one among equally long entries);
        a later reading of the first token (another proclitic split) wins only with a longer entry."""
        tok = toks[i]
        if self._firsts.isdisjoint(tok.keyset):
            return None
        best: tuple[int, int, tuple[str, ...], Any] | None = None
        best_prefix = ""
        keys = tok.keys if self.allow_prefix else tok.keys[:1]
        roots = self._roots
        allowed = self.prefixes
        for key0, prefix in keys:
            if allowed is not None and prefix not in allowed:
                continue
            node = roots.get(key0)
            if node is None:
                continue
            entry = node.entry
            found = node.longest(toks, i + 1, 1) if node.children else (
                (1, entry[0], entry[1], entry[2]) if entry is not None else None)
            if found is not None and (best is None or found[0] > best[0]):
                best, best_prefix = found, prefix
        if best is None:
            return None
        n, _, key, value = best
        if best_prefix.endswith("ال") and key[0].startswith("ال"):
            best_prefix = best_prefix[:-2]
        return Match(i, i + n, value, best_prefix, key)

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
