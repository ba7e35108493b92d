"""Tokens with character offsets and clitic-stripped matching variants.

Arabic attaches conjunctions, prepositions and the article to the word (وموسكو، لإيران، بالمسيرات).
Every token carries the folded forms it may stand for once such proclitics are removed, so lexicon
lookups (actors, items, verbs, triggers) hit all of them. camel-tools' ``simple_word_tokenize`` does the
splitting; we only align its tokens back to character offsets so evidence keeps the original text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from extractors.textnorm import fold_token, tokenize

# proclitic sequences, longest first; "ال" handled separately so "لل" (ل + ال) works too.
_PREFIXES = ("وبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")
PUNCT = set(".,،؛;:!?؟\"'«»“”‘’()[]{}-–—…/\\|*")
QUOTES_OPEN = set("\"«“‘'")
QUOTES_CLOSE = set("\"»”’'")


@dataclass(slots=True, eq=False)  # not frozen: frozen dataclasses pay object.__setattr__ per field
class Token:
    text: str
    start: int
    end: int
    folded: str
    variants: tuple[tuple[str, str], ...]  # (stem, stripped prefix), exact form first
    keys: tuple[tuple[str, str], ...]  # variants with a leading article removed: the lexicon lookup keys
    keyset: frozenset[str]  # the keys alone, for a fast "could any lexicon entry start here" test
    tailset: frozenset[str]  # keys a later word of a phrase may match (bare, or with ال / و / وال)
    is_punct: bool  # every character is punctuation (decided once per distinct token text)


@lru_cache(maxsize=200_000)
def variants_of(folded: str) -> tuple[tuple[str, str], ...]:
    """Folded token -> possible stems after removing proclitics (and the article), exact form first."""
    out: list[tuple[str, str]] = [(folded, "")]
    seen = {folded}

    def add(stem: str, prefix: str) -> None:
        if len(stem) >= 2 and stem not in seen:
            seen.add(stem)
            out.append((stem, prefix))

    if folded.startswith("ال"):
        add(folded[2:], "ال")
    for p in _PREFIXES:
        if folded.startswith(p) and len(folded) - len(p) >= 2:
            rest = folded[len(p):]
            if p.endswith("لل"):  # ل + ال: لللقاء -> اللقاء -> لقاء
                add("ال" + rest, p[:-1])
                add(rest, p[:-1] + "ال")
                continue
            add(rest, p)
            if rest.startswith("ال"):
                add(rest[2:], p + "ال")
    return tuple(out)


@lru_cache(maxsize=200_000)
def keys_of(folded: str) -> tuple[tuple[str, str], ...]:
    return tuple((s[2:] if s.startswith("ال") and len(s) > 3 else s, p) for s, p in variants_of(folded))


@lru_cache(maxsize=200_000)
def _analyse(raw: str) -> tuple:
    folded = fold_token(raw)
    keys = keys_of(folded)
    tails = frozenset(k for k, p in keys if p in ("", "ال", "و", "وال"))
    return folded, variants_of(folded), keys, frozenset(k for k, _ in keys), tails, all(c in PUNCT for c in raw)


class TokenList(list):
    """A sentence's tokens plus, per lexicon, the positions where one of its entries can start: computed on
    first use and kept, since several extractors look up the same lexicon in the same sentence."""

    _keys: frozenset[str] | None = None
    _starts: dict[frozenset[str], list[int]] | None = None
    actors_cache: list | None = None  # find_actors over the whole list, computed once

    @property
    def all_keys(self) -> frozenset[str]:
        keys = self._keys
        if keys is None:
            keys = self._keys = frozenset().union(*[t.keyset for t in self])
        return keys

    def starts(self, firsts: frozenset[str]) -> list[int]:
        """Positions of the tokens with a lookup key in ``firsts`` (a lexicon's first words)."""
        cache = self._starts
        if cache is None:
            cache = self._starts = {}
        found = cache.get(firsts)
        if found is None:
            common = firsts & self.all_keys
            found = [i for i, t in enumerate(self) if not common.isdisjoint(t.keyset)] if common else []
            cache[firsts] = found
        return found


@lru_cache(maxsize=256)
def sentence_tokens(text: str) -> TokenList:
    """Tokens of a text with offsets from 0, cached within one article (the pipeline clears the cache per
    article): a one-sentence paragraph is tokenised once for segmentation and extraction. Callers must not
    mutate the list."""
    return tokens_of(text)


def tokens_of(text: str, base: int = 0) -> TokenList:
    """Tokenise ``text`` (the camel-tools split, see ``textnorm.tokenize``) with offsets relative to ``base``
    and matching variants."""
    out = TokenList()
    append, find, analyse = out.append, text.find, _analyse
    end = 0
    for raw in tokenize(text):
        # only blanks lie between tokens (the pattern takes every other character), so the next occurrence
        # is the token itself: one C-level find instead of a match object per token
        start = find(raw, end)
        end = start + len(raw)
        append(Token(raw, base + start, base + end, *analyse(raw)))
    return out
