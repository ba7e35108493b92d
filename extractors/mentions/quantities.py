"""Quantities in Arabic news text: numbers, number words, vague plurals, ranges and their counted noun
(contract section 4).

Matching runs on the offset-keeping fold of ``extractors.mentions.dates`` (diacritics-, alef- and digit-tolerant) with
one regex compiled at import from the CSV lexicons ``number_words.csv``, ``quantity_units.csv``,
``quantity_modifiers.csv`` and ``quantity_blockers.csv``. Hand-written because no maintained library parses
Arabic number words, vague plurals (مئات، عشرات الآلاف) and the approximation/bound phrases used in news.
"""

from __future__ import annotations

import math
import re
from typing import Final

from extractors.mentions.dates import (
    BOUNDARY,
    MONTH_RE_SOURCE,
    MONTHS,
    S0,
    FoldedText,
    S,
    alternation,
    fold_plain,
    fold_with_offsets,
    load_lexicon,
)
from extractors.values import FrozenValue


class Quantity(FrozenValue):
    """A number read from a text, with its range and unit (the contract's quantity rules)."""

    def __init__(self, start: int, end: int, text: str, min: int | None, max: int | None, unit: str | None,
                 noun: str | None, approximate: bool = False) -> None:
        self.start = start  # offsets into the text given (modifier and counted noun included)
        self.end = end
        self.text = text
        self.min = min
        self.max = max
        self.unit = unit  # unit | container | shell | round | usd | eur | gbp | rub | ton | person | ...
        self.noun = noun  # the counted noun as written
        self.approximate = approximate

    def _fields(self) -> tuple:
        return (self.start, self.end, self.text, self.min, self.max, self.unit, self.noun, self.approximate)

# ---------------------------------------------------------------------------------------------------------
# Lexicons
# ---------------------------------------------------------------------------------------------------------

_WORDS: dict[str, tuple[str, int, int | None]] = {}  # folded word -> (kind, value, max)
for _r in load_lexicon("number_words.csv"):
    if _r["kind"] == "ordinal":
        continue
    _WORDS[" ".join(fold_plain(_r["word"]).split())] = (_r["kind"], int(_r["value"]),
                                                         int(_r["max"]) if _r["max"] else None)

_NOUN_UNITS: Final[dict[str, str]] = {}  # folded noun form (with and without ال) -> unit
_DUALS: dict[str, str] = {}
for _r in load_lexicon("quantity_units.csv"):
    _unit = _r["unit"]
    _sing = fold_plain(_r["singular"])
    _forms = [_sing, *(fold_plain(p) for p in _r["plurals"].split("|") if p)]
    if not _sing.endswith(("ه", "ا", "و")):
        _forms.append(_sing + "ا")  # accusative tanween: صاروخا، دولارا، جنديا
    for _f in _forms:
        _NOUN_UNITS.setdefault(_f, _unit)
        _NOUN_UNITS.setdefault("ال" + _f, _unit)
    for _d in _r["duals"].split("|"):
        if _d:
            _DUALS[fold_plain(_d)] = _unit
            _NOUN_UNITS.setdefault(fold_plain(_d), _unit)


def unit_forms(unit: str) -> frozenset[str]:
    """Folded noun forms (no article) of one quantity unit: a quick "could this sentence count it" test."""
    return frozenset(f.removeprefix("ال") for f, u in _NOUN_UNITS.items() if u == unit)


_MODIFIERS: Final[dict[str, str]] = {" ".join(fold_plain(r["phrase"]).split()): r["effect"]
                              for r in load_lexicon("quantity_modifiers.csv")}
_BLOCKERS: Final[set[str]] = {fold_plain(r["word"]) for r in load_lexicon("quantity_blockers.csv")}

# words that end a clause rather than name what is counted (for the fallback noun after a bare number)
_STOPWORDS: Final = set(
    "من في علي الي عن مع او و ثم ان انه التي الذي الذين حتي منذ قبل بعد خلال عند لدي بين ضد نحو حول كما "
    "كان كانت قد لا لم لن ما هذا هذه ذلك تلك هو هي هم صباحا مساء ظهرا فجرا ليلا عصرا ص م فوق تحت داخل خارج "
    "امام خلف عبر ضمن لدي الف اخري اخرين".split()
)

_DIGITS = r"(?<![\-/.:,\d])\d+(?:[.,]\d+)*(?![\d/:A-Za-z])"
_W = rf"(?:{alternation(list(_WORDS))})(?!\w)"
_SCALES = alternation([w for w, (k, _, _) in _WORDS.items() if k in ("scale", "plural_scale")])
_NUM = rf"(?:{_DIGITS}(?:{S0}(?:{_SCALES})(?!\w))?|{_W}(?:{S}(?:و{S0})?{_W})*)"
_NOUN = rf"(?:{alternation(list(_NOUN_UNITS))})(?!\w)"
_MOD = rf"(?:{alternation([m for m, e in _MODIFIERS.items() if e != 'approx_after'])})(?!\w)"
_ANCHOR = rf"(?=\d|(?:{alternation(list(_WORDS) + [m.split()[0] for m in _MODIFIERS] + list(_DUALS))})(?!\w)|(?:من|بين){S}\S)"

_QTY_RE: Final = re.compile(
    BOUNDARY + r"(?:[وفبل](?=\w))?" + _ANCHOR + r"(?:"
    rf"(?P<range>(?:بين|من){S}(?P<r1>{_NUM}){S0}(?:و|الي|حتي|-|–){S0}(?P<r2>{_NUM}))"
    rf"|(?:(?P<mod>{_MOD}){S0})?(?P<num>{_NUM})"
    rf"|(?P<dual>{alternation(list(_DUALS))})(?!\w)"
    r")"
    rf"(?P<np>{S}(?:من{S})?(?P<noun>{_NOUN})|{S}(?P<noun2>[^\W\d_A-Za-z]{{2,}}))?"
)
_NUM_ONLY: Final = re.compile(rf"(?:{_NUM})")
_SPACE: Final = re.compile(r"\s")
_NUMTOK: Final = re.compile(rf"\d+(?:[.,]\d+)*|{_W}")
_PERCENT = alternation([fold_plain(p) for p in ("في المئة", "في المائة", "بالمئة", "بالمائة", "المئة", "%")])
_AFTER_BLOCK: Final = re.compile(rf"{S0}(?:(?:{_PERCENT})|[:/\-]{S0}\d|م(?!\w)|{MONTH_RE_SOURCE})")
_APPROX_AFTER: Final = re.compile(rf"(?:{S}[^\W\d_]+)?{S}تقريبا(?!\w)")  # one adjective may come between

# ---------------------------------------------------------------------------------------------------------
# Number parsing
# ---------------------------------------------------------------------------------------------------------


def _parse_digits(s: str) -> float | None:
    for sep in (",", "."):
        if sep in s:
            parts = s.split(sep)
            if len(parts) == 2 and len(parts[1]) in (1, 2):  # decimal: 2,5 / 1.5 / 2,50
                return float(f"{parts[0]}.{parts[1]}")
            if all(len(p) == 3 for p in parts[1:]) and "," not in s.replace(sep, "").replace(".", ""):
                s = s.replace(sep, "")
            elif sep == "." and len(parts) == 2:
                return float(s)
            else:
                return None
    try:
        return float(s)
    except ValueError:
        return None


class _Parsed(FrozenValue):
    """A number phrase parsed: its range, scale and how it was written."""

    def __init__(self, lo: float | None, hi: float | None, vague: bool, scaled: float | None, words_only: bool,
                 plain_word: bool) -> None:
        self.lo = lo
        self.hi = hi
        self.vague = vague
        self.scaled = scaled  # the last scale used (for "بين 200 و300 ألف")
        self.words_only = words_only
        self.plain_word = plain_word  # a single ordinary number word (ست، خمس ...) that needs a counted noun

    def _fields(self) -> tuple:
        return (self.lo, self.hi, self.vague, self.scaled, self.words_only, self.plain_word)

def _parse_phrase(phrase: str) -> _Parsed | None:
    total = 0.0
    current = 0.0
    vague: tuple[float, float] | None = None
    scale: float | None = None
    words_only = True
    n_tokens = 0
    only_kind = ""
    for m in _NUMTOK.finditer(phrase):
        tok = " ".join(m.group().split())
        n_tokens += 1
        if tok[0].isdigit():
            words_only = False
            v = _parse_digits(tok)
            if v is None:
                return None
            current += v
            continue
        kind, value, vmax = _WORDS[tok]
        only_kind = kind
        if kind == "number":
            current += value
        elif kind == "hundred":
            current = current * value if 0 < current < 10 else current + value
        elif kind == "scale":
            current = (current or 1) * value
            total += current
            current = 0.0
            scale = value
        elif kind == "plural_scale":
            scale = value
            if vague is not None:
                vague = (vague[0] * value, (vague[1] + 1) * value - 1)
            elif current > 0:
                total += current * value
                current = 0.0
            else:
                vague = (2 * value, 10 * value - 1)
        elif kind == "vague":
            vague = (value, vmax if vmax is not None else value)
    if n_tokens == 0:
        return None
    if vague is not None:
        return _Parsed(vague[0], vague[1], True, scale, words_only, False)
    amount = total + current
    plain = words_only and n_tokens == 1 and only_kind in ("number", "hundred")
    return _Parsed(amount, amount, False, scale, words_only, plain)


def parse_number(text: str) -> float | None:
    """Value of a number written in digits or words: '2,5' -> 2.5, '1,000' -> 1000, '٢٥' -> 25, 'ألف' -> 1000,
    'ثلاثة' -> 3, 'مئتي' -> 200, '2,5 مليون' -> 2500000. Vague plurals (مئات) and non-numbers -> None."""
    folded = " ".join(fold_plain(text).split())
    if not folded or not _NUM_ONLY.fullmatch(folded):
        return None
    parsed = _parse_phrase(folded)
    if parsed is None or parsed.vague or parsed.lo is None:
        return None
    return parsed.lo


def _int(v: float) -> int:
    return int(round(v))


# ---------------------------------------------------------------------------------------------------------
# Finding quantities
# ---------------------------------------------------------------------------------------------------------


def _looks_like_year(num: str) -> bool:
    return len(num) == 4 and num.isdigit() and 1900 <= int(num) <= 2100


def _blocked_before(folded: str, start: int) -> bool:
    """Year words, labels (رقم، القرار), model prefixes (إس، إف), a month name or a Latin word just before."""
    window = folded[max(0, start - 24):start]
    if window.endswith(("ال", "-")):
        return True
    words = window.split()
    if not words or window[-1:] not in (" ", "\t"):
        return False
    prev = words[-1].rstrip(",،.")
    if prev in _BLOCKERS or prev in MONTHS or " ".join(words[-2:]).rstrip(",،") in MONTHS:
        return True
    return prev.isascii() and any(c.isalpha() for c in prev)


def find_quantities(text: str) -> list[Quantity]:
    """Quantities in text order: exact numbers, bounds (أكثر من/حتى/أقل من), ranges (بين ... و...),
    approximations (نحو/حوالي/قرابة), vague plurals (مئات/آلاف/عشرات الآلاف) and dual nouns (طائرتين)."""
    ft = fold_with_offsets(text)
    out: list[Quantity] = []
    padded = " " + ft.folded  # leading blank: the regex consumes the char before a match
    pos = 0
    while True:
        m = _QTY_RE.search(padded, pos)
        if m is None:
            break
        q = _build(m, ft)
        if q is not None:
            out.append(q)
            # resume after the counted noun, or after the number when the word after it was only looked at
            # ("سفينتان أكثر من ألف طن": أكثر is not what the dual counts)
            pos = m.end() if m.group("noun") else max(m.end("dual"), m.end("num"), m.end("range"), m.start() + 1)
        else:  # a rejected match (a year: "منذ عام 2019 عشرات الطائرات") must not swallow the number after it
            pos = (m.end("num") if m.group("num") else m.start() + 1) if m.end("num") > m.start() + 1 else m.start() + 1
    return out


def _build(m: re.Match[str], ft: FoldedText) -> Quantity | None:
    """One regex match -> Quantity, or None when a guard says it is a year, date, percentage, time, model
    number or a lone ambiguous number word. Group offsets are into " " + folded, hence the -1s."""
    folded = ft.folded
    body_start = (m.start("range") if m.group("range") else m.start("mod") if m.group("mod")
                  else m.start("num") if m.group("num") else m.start("dual")) - 1
    noun = m.group("noun")
    noun2 = m.group("noun2")
    unit = _NOUN_UNITS.get(noun) if noun else None
    approximate = False

    if m.group("dual"):
        lo: float | None = 2.0
        hi: float | None = 2.0
        unit = _DUALS[m.group("dual")]
        end = m.end("dual") - 1
        noun_span = (m.start("dual") - 1, end)
    else:
        num_start = (m.start("r1") if m.group("range") else m.start("num")) - 1
        num_end = (m.end("r2") if m.group("range") else m.end("num")) - 1
        if _blocked_before(folded, num_start if not (m.group("mod") or m.group("range")) else body_start):
            return None
        if _AFTER_BLOCK.match(folded, num_end):
            return None
        if m.group("range"):
            p1, p2 = _parse_phrase(m.group("r1")), _parse_phrase(m.group("r2"))
            if p1 is None or p2 is None or p1.lo is None or p2.hi is None:
                return None
            lo, hi = p1.lo, p2.hi
            if unit is None and _looks_like_year(m.group("r1")) and _looks_like_year(m.group("r2")):
                return None  # "بين 2022 و2023": a span of years
            if p2.scaled and not p1.scaled and lo < p2.scaled:
                lo *= p2.scaled
            if lo > hi:
                return None
        else:
            parsed = _parse_phrase(m.group("num"))
            if parsed is None or parsed.lo is None:
                return None
            lo, hi = parsed.lo, parsed.hi
            approximate = parsed.vague
            effect = _MODIFIERS.get(" ".join(m.group("mod").split())) if m.group("mod") else None
            if parsed.words_only and not parsed.vague and unit is None and effect is None:
                if parsed.plain_word or not _SPACE.search(m.group("num")):
                    return None  # ست، خمس، ألف alone: too ambiguous without a counted noun
            if unit is None and _looks_like_year(m.group("num")):
                return None  # a year
            if not parsed.vague and effect is not None and hi is not None:
                if effect == "more":
                    lo, hi = math.floor(lo) + 1, None
                elif effect == "atleast":
                    hi = None
                elif effect == "less":
                    lo, hi = None, math.ceil(hi) - 1
                elif effect == "upto":
                    lo = None
                elif effect == "approx":
                    approximate = True
        if unit == "duration":
            return None
        end = num_end
        noun_span = None
        if noun:
            end = m.end("noun") - 1
            noun_span = (m.start("noun") - 1, end)
        elif noun2 and noun2 not in _STOPWORDS and noun2 not in MONTHS and m.group("num") \
                and any(c.isdigit() for c in m.group("num")):
            end = m.end("noun2") - 1
            noun_span = (m.start("noun2") - 1, end)
    if _APPROX_AFTER.match(folded, end):
        approximate = True
    start_o, end_o = ft.orig(body_start), ft.orig(end)
    noun_text = ft.text[ft.orig(noun_span[0]):ft.orig(noun_span[1])] if noun_span else None
    return Quantity(start_o, end_o, ft.text[start_o:end_o], None if lo is None else _int(lo),
                    None if hi is None else _int(hi), unit if unit != "duration" else None, noun_text, approximate)
