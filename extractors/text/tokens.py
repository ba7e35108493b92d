"""Tokens with character offsets and clitic-stripped matching variants.

Arabic attaches conjunctions, prepositions and the article to the word (وموسكو، لإيران، بالمسيرات).
Every token carries the folded forms it may stand for once such proclitics are removed, so lexicon
lookups (actors, items, verbs, triggers) hit all of them. camel-tools' ``simple_word_tokenize`` does the
splitting; we only align its tokens back to character offsets so evidence keeps the original text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from mypy_extensions import mypyc_attr

from extractors.text.textnorm import fold_token, tokenize

# proclitic sequences, longest first; "ال" handled separately so "لل" (ل + ال) works too.
_PREFIXES: Final = ("وبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")
PUNCT: Final = set(".,،؛;:!?؟\"'«»“”‘’()[]{}-–—…/\\|*")
QUOTES_OPEN = set("\"«“‘'")
QUOTES_CLOSE = set("\"»”’'")


class Token:
    """One token of a sentence: its text, offsets, and what its text decides (shared ``_Analysis`` values).
    A plain class (compiled: a native class, built with one direct call; see compiled.py)."""

    __slots__ = ("text", "start", "end", "folded", "variants", "keys", "keyset", "tailset", "is_punct", "lexicons")

    def __init__(self, text: str, start: int, end: int, folded: str, variants: tuple[tuple[str, str], ...],
                 keys: tuple[tuple[str, str], ...], keyset: frozenset[str], tailset: frozenset[str], is_punct: bool,
                 lexicons: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.folded = folded
        self.variants = variants  # (stem, stripped prefix), exact form first
        self.keys = keys  # variants with a leading article removed: the lexicon lookup keys
        self.keyset = keyset  # the keys alone, for a fast "could any lexicon entry start here" test
        self.tailset = tailset  # keys a later word of a phrase may match (bare, or with ال / و / وال)
        self.is_punct = is_punct  # every character is punctuation (decided once per distinct token text)
        self.lexicons = lexicons  # bits of the registered lexicons one of whose entries can start here (FirstWords)

    def __repr__(self) -> str:
        return f"Token({self.text!r}, {self.start}, {self.end})"


@mypyc_attr(native_class=False)
class FirstWords:
    """Registry of the lexicons' first words. Each distinct first-word set gets a bit; a token carries the
    bits of the lexicons it can start an entry of, so "where can this lexicon start" is an integer test per
    token instead of a set intersection. Registering a lexicon invalidates the bits computed so far:
    ``version`` tells a token list whether its bits are current."""

    version = 0
    _bits: dict[frozenset[str], int] = {}
    _key_bits: dict[str, int] = {}

    @classmethod
    def bit(cls, firsts: frozenset[str]) -> int:
        bit = cls._bits.get(firsts)
        if bit is None:
            bit = cls._bits[firsts] = 1 << len(cls._bits)
            key_bits = cls._key_bits
            for key in firsts:
                key_bits[key] = key_bits.get(key, 0) | bit
            cls.version += 1
            _ANALYSED.clear()
        return bit

    @classmethod
    def of(cls, keys: frozenset[str]) -> int:
        get, bits = cls._key_bits.get, 0
        for key in keys:
            bits |= get(key, 0)
        return bits


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


class _Analysis:
    """What a token's text alone decides (everything in a Token but its offsets), computed once per distinct text."""

    def __init__(self, raw: str) -> None:
        folded = fold_token(raw)
        keys: tuple[tuple[str, str], ...]
        variants: tuple[tuple[str, str], ...]
        if folded.isascii() and folded.isdigit():  # a number (mostly new ones): no proclitic, no article
            keys = variants = ((folded, ""),)
        else:
            keys = keys_of(folded)
            variants = variants_of(folded)
        self.folded = folded
        self.variants = variants
        self.keys = keys
        self.keyset = frozenset(k for k, _ in keys)
        self.tailset = frozenset(k for k, p in keys if p in ("", "ال", "و", "وال"))
        self.is_punct = all(c in PUNCT for c in raw)
        self.lexicons = FirstWords.of(self.keyset)


_ANALYSED: Final[dict[str, _Analysis]] = {}  # token text -> analysis; emptied when a lexicon registers (new bits)
_ANALYSED_MAX: Final = 200_000  # distinct token texts kept (emptied when full: a bound on memory, not an LRU)


def _analyse(raw: str) -> _Analysis:
    found = _ANALYSED.get(raw)
    if found is None:
        if len(_ANALYSED) >= _ANALYSED_MAX:
            _ANALYSED.clear()
        found = _ANALYSED[raw] = _Analysis(raw)
    return found


@mypyc_attr(native_class=False)
class TokenList(list[Token]):
    """A sentence's tokens plus, per lexicon, the positions where one of its entries can start: computed on
    first use and kept, since several extractors look up the same lexicon in the same sentence."""

    version = -1  # FirstWords.version when the tokens were analysed
    _lexicons: int | None = None
    _token_bits: list[int] | None = None  # each token's lexicons bits (set by tokens_of, with _lexicons)
    _keys: frozenset[str] | None = None
    _starts: dict[frozenset[str], list[int]] | None = None
    actors_cache: list | None = None  # find_actors over the whole list, computed once

    @property
    def all_keys(self) -> frozenset[str]:
        return all_keys(self)

    @property
    def lexicons(self) -> int:
        """Bits of the lexicons that can start an entry somewhere in the list."""
        return lexicon_bits(self)

    def may_start(self, firsts: frozenset[str], bit: int) -> bool:
        return can_start_in(self, firsts, bit)

    def starts(self, firsts: frozenset[str], bit: int = 0) -> list[int]:
        return start_positions(self, firsts, bit)


# The TokenList operations as functions: compiled (see compiled.py), a call to one is a direct C call, where a
# method of TokenList (a list subclass, so an ordinary Python class) is looked up and bound on every call.


def all_keys(toks: TokenList) -> frozenset[str]:
    keys = toks._keys
    if keys is None:
        keys = toks._keys = frozenset().union(*[t.keyset for t in toks])
    return keys


def lexicon_bits(toks: TokenList) -> int:
    bits = toks._lexicons
    if bits is None:
        bits = 0
        for t in toks:
            bits |= t.lexicons
        toks._lexicons = bits
    return bits


def can_start_in(toks: TokenList, firsts: frozenset[str], bit: int) -> bool:
    """Whether a token has a lookup key in ``firsts``, the first words of the lexicon with bit ``bit``."""
    if toks.version == FirstWords.version:
        return bool(lexicon_bits(toks) & bit)
    return not firsts.isdisjoint(all_keys(toks))


def start_positions(toks: TokenList, firsts: frozenset[str], bit: int = 0) -> list[int]:
    """Positions of the tokens with a lookup key in ``firsts`` (a lexicon's first words; ``bit`` its
    FirstWords bit, when it has one), kept per list."""
    cache = toks._starts
    if cache is None:
        cache = toks._starts = {}
    found = cache.get(firsts)
    if found is None:
        if bit and toks.version == FirstWords.version:
            token_bits = toks._token_bits
            if not lexicon_bits(toks) & bit:
                found = []
            elif token_bits is not None:
                found = [i for i, b in enumerate(token_bits) if b & bit]
            else:
                found = [i for i, t in enumerate(toks) if t.lexicons & bit]
        else:
            common = firsts & all_keys(toks)
            found = [i for i, t in enumerate(toks) if not common.isdisjoint(t.keyset)] if common else []
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
    version = FirstWords.version
    tokens: list[Token] = []
    token_bits: list[int] = []
    bits = 0
    end = 0
    for raw in tokenize(text):
        # only blanks lie between tokens (the pattern takes every other character), so the next occurrence
        # is the token itself: one C-level find instead of a match object per token
        start = text.find(raw, end)
        end = start + len(raw)
        a = _analyse(raw)
        tokens.append(Token(raw, base + start, base + end, a.folded, a.variants, a.keys, a.keyset, a.tailset,
                            a.is_punct, a.lexicons))
        token_bits.append(a.lexicons)
        bits |= a.lexicons
    # built as a plain list (TokenList.append is a generic method call from compiled code), with the lexicon
    # bits lexicon_bits and start_positions would otherwise compute from the tokens
    out = TokenList(tokens)
    out.version = version
    out._lexicons = bits
    out._token_bits = token_bits
    return out
