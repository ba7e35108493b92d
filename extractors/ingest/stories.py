"""Near-duplicate articles (the same story copied, re-headlined, cut or reordered) and the agency a text credits.

Every article gets a fingerprint at extraction time (``fingerprint``): a MinHash signature (datasketch) of the
word 3-grams of its folded text, its LSH band keys and the number of distinct shingles. The register step at
commit time (``ingest.register``) looks up a new article's band keys among the lake's fingerprints: an older
article sharing any band key is a candidate, kept when its estimated *containment* (the share of the shorter
text's shingles the longer one also has) reaches ``CONTAINMENT_MIN`` and its estimated Jaccard similarity
``JACCARD_MIN``. Containment, not Jaccard alone, because republications cut paragraphs: a copy keeping half
of a wire story shares half of the shingles of the original but nearly all of its own.

Band keys: 63 bands of 2 MinHash values, so a pair with Jaccard 0.3 is a candidate with probability 0.997,
0.2 with 0.92, 0.1 with 0.47 (1 - (1 - J^2)^63): a copy keeping a third of the original is still found;
candidates are then checked on the whole signature. A band shared by very many articles (a story copied
hundreds of times, a stock paragraph) keeps only its first ``BUCKET_CAP`` members: a new copy still meets the
story through them, and a new article costs at most ``MAX_CHECKS`` signature comparisons, those sharing the
most band keys first. The thresholds were chosen on a generated corpus (tests/near_duplicates.py, seed 1) and
are tested on another (seed 15): 2,000 copies and 2,000 distinct articles on the same topics.
"""

from __future__ import annotations

import zlib
from functools import cache

import numpy as np
from datasketch import MinHash

from extractors.schemas import FingerprintRow
from extractors.text import textnorm
from extractors.text.lexicon import load_csv

NUM_PERM = 126
BANDS = 63
ROWS = NUM_PERM // BANDS
SHINGLE = 3
SEED = 7
CONTAINMENT_MIN = 0.6  # share of the shorter text's shingles found in the other
JACCARD_MIN = 0.3  # and at least this Jaccard (a short text inside a long unrelated one is no copy)
BUCKET_CAP = 16  # members kept per band key
MAX_CHECKS = 16  # candidates compared per new article, those sharing the most band keys first


class Fingerprint:
    """An article's MinHash signature (uint32 values as bytes), its LSH band keys and its shingle count."""

    __slots__ = ("bands", "minhash", "n_shingles")

    def __init__(self, minhash: bytes, bands: list[int], n_shingles: int) -> None:
        self.minhash = minhash
        self.bands = bands
        self.n_shingles = n_shingles


@cache
def _template() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32", hashfunc=zlib.crc32)


_FOLDED: dict[str, str] = {}  # token -> folded form: news vocabulary repeats (a third of the time of _read)
_FOLDED_MAX = 200_000  # entries before the cache starts over (bounded memory per worker)


def _fold(token: str) -> str:
    folded = _FOLDED.get(token)
    if folded is None:
        if len(_FOLDED) >= _FOLDED_MAX:
            _FOLDED.clear()
        folded = _FOLDED[token] = textnorm.fold_token(token)
    return folded


def _read(text: str) -> tuple[list[str], list[list[str]]]:
    """One tokenisation for both uses: the folded words of the text (tokens that are letters or numbers) and the
    folded tokens of each non-blank paragraph. ``textnorm.tokenize`` splits on blanks first, so no token spans a
    line break and the words equal those of the whole text tokenised at once."""
    words: list[str] = []
    paragraphs: list[list[str]] = []
    for paragraph in text.split("\n"):
        tokens = textnorm.tokenize(paragraph)
        if not tokens:
            continue
        folded = [_fold(t) for t in tokens]
        paragraphs.append(folded)
        words.extend(f for t, f in zip(tokens, folded, strict=True) if t.isalnum())
    return words, paragraphs


def shingles(text: str) -> set[bytes]:
    """Distinct word 3-grams of the folded text (the whole text as one shingle when it has fewer words)."""
    return _shingles(_read(text)[0])


def _shingles(words: list[str]) -> set[bytes]:
    if len(words) < SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


_BAND_SALT = (np.arange(BANDS, dtype=np.uint64) + np.uint64(1)) * np.uint64(0xBF58476D1CE4E5B9)


def band_keys(values: np.ndarray) -> list[int]:
    """One signed 64-bit key per band: the band's two 32-bit MinHash values as one 64-bit word, mixed with the
    band's number (so equal values in different bands do not collide)."""
    pairs = values.astype("<u4").reshape(BANDS, ROWS).copy().view("<u8").reshape(BANDS)
    with np.errstate(over="ignore"):
        keys = pairs * np.uint64(0x9E3779B97F4A7C15) + _BAND_SALT
    return keys.view("<i8").tolist()


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of an article's text (empty text: no bands, so it matches nothing)."""
    return _fingerprint(shingles(text))


def _fingerprint(grams: set[bytes]) -> Fingerprint:
    template = _template()
    # CRC-32 hashes a shingle (a few words) as well as SHA-1 for MinHash and costs a third of the time
    mh = MinHash(seed=SEED, scheme="affine32", permutations=template.permutations,
                 hashvalues=template.hashvalues.copy(), hashfunc=zlib.crc32)
    if not grams:
        return Fingerprint(mh.hashvalues.astype("<u4").tobytes(), [], 0)
    mh.update_batch(grams)
    values = mh.hashvalues.astype("<u4")
    return Fingerprint(values.tobytes(), band_keys(values), len(grams))


def jaccard(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal MinHash values)."""
    va = np.frombuffer(a, dtype="<u4")
    vb = np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(va == vb)) / len(va)


def containment(j: float, n_a: int, n_b: int) -> float:
    """Estimated share of the smaller shingle set inside the other, from the Jaccard estimate and set sizes."""
    if n_a <= 0 or n_b <= 0:
        return 0.0
    inter = j / (1.0 + j) * (n_a + n_b)
    return min(1.0, inter / min(n_a, n_b))


def is_copy(j: float, n_a: int, n_b: int) -> bool:
    return j >= JACCARD_MIN and containment(j, n_a, n_b) >= CONTAINMENT_MIN


# ---------------------------------------------------------------- origin (credited agency)

_CREDIT_WORDS = frozenset(textnorm.fold_token(w) for w in ("وكالة", "لوكالة", "بوكالة", "وكالات", "المصدر"))


@cache
def _agencies() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """First folded token -> ((folded phrase tokens, agency id), ...), longest phrases first."""
    rows = [(tuple(textnorm.fold_token(t) for t in textnorm.tokenize(r["phrase"])), r["agency_id"])
            for r in load_csv("agencies.csv")]
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, agency in sorted(rows, key=lambda r: -len(r[0])):
        by_first.setdefault(phrase[0], []).append((phrase, agency))
    return {first: tuple(v) for first, v in by_first.items()}


def _credited_at(tokens: list[str], start: int, end: int) -> bool:
    """Is the phrase at tokens[start:end] in a credit position: (X), وكالة X, a dateline "CITY - X", المصدر: X."""
    before = tokens[start - 1] if start > 0 else ""
    after = tokens[end] if end < len(tokens) else ""
    if before == "(" and after == ")":
        return True
    if before in _CREDIT_WORDS or (before == "وكاله" or (start > 1 and tokens[start - 2] in _CREDIT_WORDS)):
        return True
    if before == "-" and start <= 6:  # dateline: "واشنطن - رويترز:" at the head of a paragraph
        return True
    return before == ":" and start > 1 and tokens[start - 2] in _CREDIT_WORDS


def credited_origin(text: str) -> str | None:
    """The agency the text credits (first credit in reading order, paragraph by paragraph), or None."""
    return _credited_origin(_read(text)[1])


def _credited_origin(paragraphs: list[list[str]]) -> str | None:
    agencies = _agencies()
    for tokens in paragraphs:
        for i, token in enumerate(tokens):
            for phrase, agency in agencies.get(token, ()):
                end = i + len(phrase)
                if tuple(tokens[i:end]) == phrase and _credited_at(tokens, i, end):
                    return agency
    return None


def fingerprint_row(article_id: str, text: str, batch_id: str = "") -> FingerprintRow:
    """The lake row of an article's fingerprint and credited agency."""
    words, paragraphs = _read(text)  # tokenised and folded once for both
    fp = _fingerprint(_shingles(words))
    return FingerprintRow(article_id=article_id, minhash=fp.minhash, bands=fp.bands, n_shingles=fp.n_shingles,
                          origin=_credited_origin(paragraphs), batch_id=batch_id)
