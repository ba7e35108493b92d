"""Arabic text normalisation and tokenisation, built on camel-tools' offline utilities.

``clean`` keeps the text readable (for ``evidence_text``); ``fold`` is the matching form:
no diacritics or tatweel, alef variants -> ا, ى -> ي, ة -> ه, ؤ -> و, ئ -> ي, Arabic-Indic digits -> ASCII.
``fold`` preserves length only roughly, so matching is done on tokens, never on character offsets of
the folded string.
"""

from __future__ import annotations

import re
from typing import Final

import regex
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
    normalize_unicode,
)

from extractors.schemas import safe_nfc

_DIGITS: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_HAMZA_SEATS: Final = str.maketrans({"ؤ": "و", "ئ": "ي", "ٱ": "ا"})
_TATWEEL = "\u0640"
# camel-tools' AR_DIAC_CHARSET (tanwin, short vowels, shadda, sukun, dagger alef), deleted with the tatweel in
# one str.translate. Not camel's dediac_ar: importing camel_tools.utils.dediac (or .tokenizers.word) builds
# its Unicode tables by walking all 1.1M code points, 0.3 s in every process that extracts (each pool worker,
# each small in-process run). tests/test_textnorm.py checks this equals dediac_ar on every Arabic character.
AR_DIACRITICS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"
_DEDIAC: Final = str.maketrans(dict.fromkeys(AR_DIACRITICS + _TATWEEL))
_ZERO_WIDTH: Final = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES: Final = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
ARABIC_LETTER = re.compile("[\u0621-\u064a]")


def clean(text: str) -> str:
    """Readable cleaned text: Unicode NFKC-compatible Arabic forms, no zero-width marks, single spaces."""
    text = normalize_unicode(text)
    text = _ZERO_WIDTH.sub("", text)
    return _SPACES.sub(" ", text)


_FOLDED: Final[dict[str, str]] = {}  # token -> fold_token(token)
_FOLDED_MAX: Final = 200_000  # distinct tokens kept (emptied when full: a bound on memory, not an LRU)


def fold_token(token: str) -> str:
    """Matching form of one token (cached: news vocabulary repeats heavily). A plain dict, not lru_cache: a
    compiled caller then calls this function directly and a hit is one dict lookup."""
    found = _FOLDED.get(token)
    if found is None:
        if len(_FOLDED) >= _FOLDED_MAX:
            _FOLDED.clear()
        found = _FOLDED[token] = _fold_token(token)
    return found


def fold_steps(token: str) -> str:
    """The folding of a token step by step: diacritics and tatweel deleted, camel-tools' alef, alef maksura
    and teh marbuta normalisations, hamza seats, Arabic-Indic digits (then ``lower``, in fold_token)."""
    token = token.translate(_DEDIAC)
    token = normalize_alef_ar(token)
    token = normalize_alef_maksura_ar(token)
    token = normalize_teh_marbuta_ar(token)
    return token.translate(_HAMZA_SEATS).translate(_DIGITS)


def _composed_table() -> dict[int, str]:
    """``fold_steps`` as one str.translate table. Every step maps each character on its own (a deletion or
    one character), so their composition is a character map: the steps applied to each character any of
    them changes (tests/test_textnorm.py checks the two agree on every character)."""
    changed = AR_DIACRITICS + _TATWEEL + "إأٱآىة" + "".join(chr(k) for k in (*_HAMZA_SEATS, *_DIGITS))
    return {ord(c): fold_steps(c) for c in changed if fold_steps(c) != c}


_FOLD_TABLE: Final = _composed_table()


def _fold_token(token: str) -> str:
    if token.isascii():  # digits, Latin: no step changes an ASCII character
        return token.lower()
    return token.translate(_FOLD_TABLE).lower()


def fold(text: str) -> str:
    """Matching form of a text: every token folded, joined by single spaces."""
    return " ".join([fold_token(t) for t in tokenize(text)])


# The same split as camel-tools' simple_word_tokenize (runs of letters/marks/digits, or one other
# non-space character), as one compiled pattern: camel's per-character loop cost 30% of extraction time.
# tests/test_textnorm.py checks both agree.
WORD_RE: Final = regex.compile(r"[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]")


# Punctuation that sticks to the edges of words ("قال:"، "(رويترز)"، "«نعم»،"): none of it is a word character
# or a blank of WORD_RE (checked here and in tests/test_textnorm.py), so each is a token of its own.
EDGE_PUNCT: Final = frozenset(".,،؛;:!?؟\"'«»“”‘’()[]{}-–—…/\\|*")


def edge_split(chunk: str) -> tuple[int, int]:
    """(i, j): ``chunk[:i]`` and ``chunk[j:]`` are the EDGE_PUNCT characters at its start and end."""
    n = len(chunk)
    i = 0
    while i < n and chunk[i] in EDGE_PUNCT:
        i += 1
    j = n
    while j > i and chunk[j - 1] in EDGE_PUNCT:
        j -= 1
    return i, j


def tokenize(text: str) -> list[str]:
    """Word tokenisation equal to camel-tools' ``simple_word_tokenize`` (punctuation split off words).

    Most blank-separated chunks are a single word: ``str.isalnum`` (every character a letter or a number,
    tested in tests/test_textnorm.py to imply a WORD_RE word character) passes them through at C speed.
    Most others are a word with punctuation at its edges ("قال:"، "«نعم»،"): the punctuation characters are
    tokens one by one and the word between them is one token, as the pattern would split them. Only the
    rest (marks, inner punctuation: "2,5"، "إس-400") go to the pattern. Splitting on str.isspace first also
    treats U+001C-U+001F as blanks, as camel-tools does (the pattern alone would keep them as tokens)."""
    out: list[str] = []
    for chunk in text.split():
        if chunk.isalnum():
            out.append(chunk)
            continue
        i, j = edge_split(chunk)
        if i == j or chunk[i:j].isalnum():
            for k in range(i):
                out.append(chunk[k])
            if i < j:
                out.append(chunk[i:j])
            for k in range(j, len(chunk)):
                out.append(chunk[k])
        elif not _split_simple(chunk, out):
            out.extend(WORD_RE.findall(chunk))
    return out


def _split_simple(chunk: str, out: list[str]) -> bool:
    """Append the tokens of a chunk made only of alnum and EDGE_PUNCT characters ("آذار/مارس"، "إف-16"،
    "2,5"): each run of the former is a token, each of the latter one, as the pattern splits them. False,
    appending nothing, when another character (a mark, a symbol) is in it."""
    n = len(chunk)
    for k in range(n):
        c = chunk[k]
        if c not in EDGE_PUNCT and not c.isalnum():
            return False
    start = 0
    for k in range(n):
        c = chunk[k]
        if c in EDGE_PUNCT:
            if start < k:
                out.append(chunk[start:k])
            out.append(c)
            start = k + 1
    if start < n:
        out.append(chunk[start:])
    return True


def camel_tokenize(text: str) -> list[str]:
    """camel-tools' own tokenizer (the reference for ``tokenize``; imported on first use, see AR_DIACRITICS)."""
    from camel_tools.tokenizers.word import simple_word_tokenize

    return simple_word_tokenize(text)


def nfc(text: str) -> str:
    return safe_nfc(text)


def arabic_ratio(text: str) -> float:
    """Share of letters that are Arabic letters (used to refuse non-Arabic input)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if "\u0600" <= c <= "\u06ff") / len(letters)
