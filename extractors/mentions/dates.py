"""Arabic date mentions: find them and resolve them against a publication date (contract section 6).

Matching runs on a *folded* copy of the text (no diacritics/tatweel, alef/ya/ta-marbuta/hamza-seat
variants unified, Arabic-Indic digits -> ASCII) built with one ``str.translate`` call; the positions of the
few removed characters are kept so every offset returned indexes the ORIGINAL string (``FoldedText.orig``).

Why hand-written: ``dateparser`` is ~1000x too slow per sentence and does not know relative Arabic news
forms (``أمس الخميس``, ``مايو الماضي``, ``8 و5 تموز/يوليو``). All word lists are CSV files in
``extractors/lexicons``; the patterns are compiled once at import into a single alternation.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Final

from extractors.text.regexguard import branch_guard
from extractors.values import FrozenValue

# ---------------------------------------------------------------------------------------------------------
# Offset-keeping fold
# ---------------------------------------------------------------------------------------------------------

_REMOVED_CHARS = "\u064b-\u065f\u0670\u0640\u06d6-\u06ed\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_REMOVED_RE: Final = re.compile(f"[{_REMOVED_CHARS}]")


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for lo, hi in ((0x064B, 0x065F), (0x0670, 0x0670), (0x0640, 0x0640), (0x06D6, 0x06ED), (0x200B, 0x200F),
                   (0x202A, 0x202E), (0x2066, 0x2069), (0xFEFF, 0xFEFF)):
        for cp in range(lo, hi + 1):
            table[cp] = None
    for src, dst in (("أإآٱ", "ا"), ("ى", "ي"), ("ة", "ه"), ("ؤ", "و"), ("ئ", "ي"), ("ی", "ي"), ("ک", "ك"),
                     ("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u3000", " "),
                     ("٫", "."), ("٬", ","), ("٪", "%")):
        for ch in src:
            table[ord(ch)] = dst
    for i, ch in enumerate("٠١٢٣٤٥٦٧٨٩"):
        table[ord(ch)] = str(i)
    for i, ch in enumerate("۰۱۲۳۴۵۶۷۸۹"):
        table[ord(ch)] = str(i)
    return table


_FOLD_TABLE = _fold_table()


class FoldedText(FrozenValue):
    """``folded`` is ``text`` with diacritics/tatweel/zero-width marks deleted and letters unified.

    ``removed`` holds, for every deleted character, the folded index it sat before; ``orig(i)`` maps a folded
    index (start or exclusive end) back to the original string. An end offset keeps the diacritics that
    follow the last letter, a start offset skips the ones that belong to the previous letter.
    """

    def __init__(self, text: str, folded: str, removed: tuple[int, ...]) -> None:
        self.text = text
        self.folded = folded
        self.removed = removed

    def _fields(self) -> tuple:
        return (self.text, self.folded, self.removed)

    def orig(self, i: int) -> int:
        return i + bisect_right(self.removed, i) if self.removed else i

_FOLD_PAIRS: Final = tuple((chr(k), v) for k, v in _FOLD_TABLE.items() if v is not None)


_COMMON_SOURCES = "أإآٱىةؤئ"  # the replaced characters of ordinary Arabic text
_COMMON_PAIRS: Final = tuple((src, dst) for src, dst in _FOLD_PAIRS if src in _COMMON_SOURCES)
_RARE_PAIRS: Final = tuple((src, dst) for src, dst in _FOLD_PAIRS if src not in _COMMON_SOURCES)
_RARE_RE: Final = re.compile("[" + "".join(re.escape(src) for src, _ in _RARE_PAIRS) + "]")


def _fold_chars(text: str) -> str:
    # str.translate with a dict is ~8x slower than a chain of C-level replaces on Arabic text (measured). The
    # rare characters (Arabic-Indic digits, Persian letters, special blanks ...) are looked for with one scan
    # first. No replacement character is itself replaced, so the order of the replacements does not matter
    # (tests/test_dates.py checks both).
    if _REMOVED_RE.search(text):
        text = _REMOVED_RE.sub("", text)
    for src, dst in _COMMON_PAIRS:
        if src in text:
            text = text.replace(src, dst)
    if _RARE_RE.search(text):
        for src, dst in _RARE_PAIRS:
            if src in text:
                text = text.replace(src, dst)
    return text


@lru_cache(maxsize=512)
def fold_with_offsets(text: str) -> FoldedText:
    """Fold ``text`` for matching, remembering where characters were deleted. Cached: the date and the
    quantity scans of a sentence, and the publication-date and segmentation checks of a head line, fold
    the same text."""
    folded = _fold_chars(text)
    if len(folded) == len(text):
        return FoldedText(text, folded, ())
    removed = tuple(m.start() - k for k, m in enumerate(_REMOVED_RE.finditer(text)))
    return FoldedText(text, folded, removed)


def fold_plain(text: str) -> str:
    """Fold a lexicon entry the same way (lower-cased for Latin words)."""
    return _fold_chars(text).lower()


def trie_regex(words: list[str] | set[str]) -> str:
    """Alternation of literal words factored by common prefix: fails after 1-3 comparisons on non-matches."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [(r"[^\S\n]+" if ch == " " else re.escape(ch)) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


# ---------------------------------------------------------------------------------------------------------
# Lexicons
# ---------------------------------------------------------------------------------------------------------


@cache
def load_lexicon(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``extractors/lexicons/<name>`` (CSV with a header) as dicts."""
    with resources.files("extractors.lexicons").joinpath(name).open(encoding="utf-8") as fh:
        return tuple(dict(r) for r in csv.DictReader(fh))


def alternation(words: list[str] | set[str]) -> str:
    """Regex alternation of folded phrases (prefix-factored, longest alternative first at every branch point);
    inner spaces match any run of blanks. Callers add ``(?!\\w)`` after it for whole words."""
    return trie_regex({" ".join(w.split()) for w in words if w.strip()})


S = r"[^\S\n]+"  # at least one blank, same line
S0 = r"[^\S\n]*"

MONTHS: dict[str, tuple[int, str]] = {}  # folded month name -> (month number, ambiguity)
for _r in load_lexicon("months.csv"):
    MONTHS[" ".join(fold_plain(_r["name"]).split())] = (int(_r["month"]), _r["ambiguity"])
_MONTHS: Final = MONTHS
_MONTH_AR = alternation([fold_plain(r["name"]) for r in load_lexicon("months.csv") if r["lang"] == "ar"])
_MONTH_EN = alternation([fold_plain(r["name"]) for r in load_lexicon("months.csv") if r["lang"] == "en"])
MONTH_AR_RE_SOURCE = rf"(?:{_MONTH_AR})(?!\w)"
MONTH_EN_RE_SOURCE = rf"(?i:(?:{_MONTH_EN})(?![a-z])\.?)"
MONTH_RE_SOURCE = rf"(?:{MONTH_AR_RE_SOURCE}|{MONTH_EN_RE_SOURCE})"

WEEKDAYS: dict[str, int] = {fold_plain(r["name"]): int(r["weekday"]) for r in load_lexicon("weekdays.csv")}
_WEEKDAYS: Final = WEEKDAYS  # folded name -> date.weekday() number
_WD = rf"(?:{alternation(list(_WEEKDAYS))})(?!\w)"

_NUMBER_WORDS: dict[str, int] = {}  # exact small numbers (for "قبل ثلاثة أيام")
_VAGUE_NUMBER_WORDS: list[str] = []  # بضعة، عشرات: never exact
_ORDINALS: dict[str, int] = {}
for _r in load_lexicon("number_words.csv"):
    _key = " ".join(fold_plain(_r["word"]).split())
    if _r["kind"] == "ordinal":
        _ORDINALS[_key] = int(_r["value"])
    elif _r["kind"] == "number" and int(_r["value"]) < 100:
        _NUMBER_WORDS[_key] = int(_r["value"])
    elif _r["kind"] == "vague" and int(_r["value"]) < 100:
        _VAGUE_NUMBER_WORDS.append(_key)
_ORD = rf"(?:{alternation(list(_ORDINALS))})(?!\w)"
_NUMWORD = rf"(?:{alternation(list(_NUMBER_WORDS) + _VAGUE_NUMBER_WORDS)})(?!\w)"

_VAGUE: Final[dict[str, list[str]]] = {}
_DURATIONS: dict[str, tuple[str, int]] = {}
for _r in load_lexicon("vague_times.csv"):
    _VAGUE.setdefault(_r["part"], []).append(fold_plain(_r["form"]))
    if _r["part"] == "duration":
        _DURATIONS[fold_plain(_r["form"])] = (_r["unit"], int(_r["count"]))


def _alt(part: str) -> str:
    return rf"(?:{alternation(_VAGUE[part])})(?!\w)"


STRONG_LEADS: Final = ("منذ", "حتي", "في", "خلال", "قبل", "بعد", "مطلع", "اواخر", "اوائل", "اواسط", "منتصف", "نهايه",
                "بدايه", "بحلول", "طيله", "طوال", "مستهل", "اخر", "غضون", *_VAGUE["prep"])
WEAK_LEADS = ("من", "الي", "بين", "مع")
_LEAD_RE: Final = re.compile(rf"(?<!\w)[وف]?(?P<lead>{alternation(list(STRONG_LEADS + WEAK_LEADS))}){S}$")

# ---------------------------------------------------------------------------------------------------------
# Patterns (on folded text). Every branch's group names get a branch prefix in the master regex.
# ---------------------------------------------------------------------------------------------------------

_YEAR = r"(?<!\d)(?:19|20)\d\d(?!\d)(?:[^\S\n]?م(?!\w))?"
_YEARWORD = r"(?:عام|العام|لعام|للعام|بعام|عامي|سنه|السنه|لسنه)"
_DAY = r"(?<![\d.,])\d{1,2}(?i:st|nd|rd|th)?(?!\d)"
_MPAIR = rf"(?:{S0}[/\\|]{S0}(?P<m2>{MONTH_RE_SOURCE})|{S0}\({S0}(?P<m3>{MONTH_RE_SOURCE}){S0}\))"
_MONTHP = rf"(?P<m1>{MONTH_RE_SOURCE}){_MPAIR}?"
_YEAR_TAIL = rf"(?:{S0}[,،]?{S0}(?:من{S})?(?:{_YEARWORD}{S0})?(?P<y>{_YEAR}))"
_WD_PREFIX = rf"(?:(?:يوم{S})?(?P<wd>{_WD}){S0}[,،]?{S0})"
_PART = r"(?:صباح|مساء|ليله|فجر|ظهر|عصر|ظهيره|صبيحه|ليل)"
_RELCORE = rf"(?:اول{S}(?:من{S})?امس|امس{S}الاول|اليوم|امس|الامس|البارحه|غدا|بعد{S}غد)"
_QUAL_M = r"(?:الماضي|المنصرم|الفائت|السابق|المقبل|القادم|الجاري|الحالي)(?!\w)"
_QUAL_W = r"(?:الماضيه|الماضي|المنصرمه|المنصرم|الفائته|الفائت|السابقه|السابق|المقبله|المقبل|القادمه|القادم)(?!\w)"
_QUAL_P = (r"(?:الماضيه|الماضي|المنصرمه|المنصرم|الفائته|الفائت|السابقه|السابق|المقبله|المقبل|القادمه|القادم"
           r"|الجاريه|الجاري|الحاليه|الحالي|المنقضي)(?!\w)")
_PERIOD = r"(?:الشهر|الاسبوع|العام|السنه)"
# "اليوم التالي / الأول / ذاته" is "the day", not today
_NOT_TODAY = (r"(?:التالي|السابق|الاول|الثاني|الثالث|الرابع|الخامس|الاخير|الذي|التي|الوطني|العالمي|الدولي|المحدد"
              r"|المقرر|الموعود|المشهود|نفسه|ذاته)(?!\w)")
_APPROX = (rf"(?:حوالي|نحو|قرابه|زهاء|اكثر{S}من|اقل{S}من|ما{S}يزيد{S}(?:عن|علي)|ما{S}يقرب{S}من|ما{S}يقارب"
           rf"|ما{S}لا{S}يقل{S}عن|اكثر{S}قليلا{S}من|ما{S}يناهز)")
_DUR = rf"(?:{alternation(list(_DURATIONS))})(?!\w)"

_BRANCHES: list[tuple[str, str]] = [
    ("numeric", r"(?<![\d/.\-])(?:(?P<y1>(?:19|20)\d\d)(?P<s1>[/.\-])(?P<mo1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
                r"|(?P<d2>\d{1,2})(?P<s2>[/.\-])(?P<mo2>\d{1,2})(?P=s2)(?P<y2>(?:19|20)\d\d))(?![\d/])"),
    ("daymonth", rf"{_WD_PREFIX}?(?:يوم{S})?(?P<d>{_DAY})(?:{S0}(?:و|-|–|الي|حتي|او){S0}{_DAY})*{S0}[,،]?{S0}"
                 rf"(?:من{S})?(?:of{S})?(?:شهر{S})?{_MONTHP}{_YEAR_TAIL}?"),
    ("ordmonth", rf"{_WD_PREFIX}?(?:يوم{S})?(?P<od>{_ORD}){S}من{S}(?:شهر{S})?{_MONTHP}{_YEAR_TAIL}?"),
    ("monthday", rf"(?P<m1>{MONTH_EN_RE_SOURCE}){S0}(?P<d>{_DAY})(?:{S0},?{S0}(?P<y>{_YEAR}))?"),
    # "في 3 من الشهر الجاري"، "الثالث من الشهر الماضي": a day of the month P is in (or the one before/after)
    ("dayofmonth", rf"{_WD_PREFIX}?(?:يوم{S})?(?:(?P<d>{_DAY})|(?P<od>{_ORD})){S}من{S}"
                   rf"(?:الشهر{S}(?P<q>{_QUAL_M})|هذا{S}الشهر(?!\w))"),
    ("monthyear", rf"(?:شهر{S})?{_MONTHP}{_YEAR_TAIL}"),
    ("monthqual", rf"(?P<sh>شهر{S})?{_MONTHP}{S}(?P<q>{_QUAL_M})"),
    ("earlier", rf"وقت{S}(?:سابق|مبكر){S}(?:من{S})?(?P<tgt>اليوم|هذا{S}{_PERIOD}|هذه{S}السنه"
                rf"|{_PERIOD}{S}(?:الجاري|الحالي))(?!\w)"),
    ("relwd", rf"(?:(?P<part>{_PART}){S})?(?:يوم{S})?(?P<rel>{_RELCORE}){S0}[,،]?{S0}(?:يوم{S})?(?P<wd>{_WD})"),
    ("relday", rf"(?<!ذلك )(?<!ذات )(?<!نفس )(?<!قد )(?:(?P<part>{_PART}){S})?(?:يوم{S})?"
               rf"(?P<rel>{_RELCORE})(?!{S}{_NOT_TODAY})"),
    ("weekday", rf"(?<!صلاه )(?<!خطبه )(?<!صلوات )(?<!بين )(?<!كلا )(?<!مسجد )(?<!جامع )"
                rf"(?:(?P<part>{_PART}){S})?(?:يوم{S})?(?P<wd>{_WD})(?:{S}(?P<q>{_QUAL_W}))?(?!{S}معا)"),
    ("periodrel", rf"(?<!المدعي )(?<!الامين )(?<!المدير )(?<!النائب )(?<!المفتش )(?<!المنسق )(?<!المراقب )"
                  rf"(?:(?P<per>{_PERIOD}){S}(?P<q>{_QUAL_P})|(?:هذا|هذه){S}(?P<per2>{_PERIOD}))"),
    ("periodmark", rf"(?P<mk>مطلع|بدايه|اوائل|منتصف|اواسط|اواخر|نهايه|اخر|مستهل){S}(?P<per>{_PERIOD})"
                   rf"(?!{S}{_QUAL_P})"),
    ("ago", rf"(?P<pre>قبل|منذ|علي{S}مدي|علي{S}مدار|طوال|طيله|لمده|بعد){S}(?:(?P<appr>{_APPROX}){S0})?"
            rf"(?:(?P<num>\d{{1,3}}|{_NUMWORD}){S0})?(?P<unit>{_DUR})"
            rf"(?!{S0}(?:\d|{MONTH_RE_SOURCE}|{_WD}|ال))"),
    ("vperiod", rf"(?:{_alt('period')}){S}(?:{_alt('qualifier')})"),
    ("vphrase", _alt("phrase")),
    ("yearword", rf"{_YEARWORD}{S0}(?P<y>{_YEAR})"),
    ("baremonth", rf"(?P<sh>شهر{S})?(?P<m1>{MONTH_AR_RE_SOURCE}){_MPAIR}?"),
    ("bareyear", rf"(?P<y>{_YEAR})(?!{S0}(?:%|[/.\-]\d|\d))"),
]

_GROUP_RE: Final = re.compile(r"\(\?P([<=])(\w+)")


def _prefix_groups(branch: str, pattern: str) -> str:
    return _GROUP_RE.sub(lambda m: f"(?P{m.group(1)}{branch}__{m.group(2)}", pattern)


# The master regex starts by consuming the blank/punctuation character before a mention (the text is searched
# with a leading blank), so the regex engine fast-scans to word starts instead of trying every branch
# everywhere. An explicit character set scans ~3x faster than [^\w] (measured).
BOUNDARY = "[ \n\t\r()«»\"'“”‘’\\[\\]{},،؛;:.!?؟\\-–—/\\\\|*•…]"
_ANCHOR_WORDS: Final = {
    *(k.split()[0] for k in _MONTHS if not k.isascii()), *_WEEKDAYS, *(k.split()[0] for k in _ORDINALS),
    *(w.split()[0] for part in ("period", "phrase") for w in _VAGUE[part]),
    *"""يوم شهر وقت اول امس اليوم الامس البارحه غدا بعد الشهر الاسبوع العام السنه هذا هذه مطلع بدايه اوائل
    منتصف اواسط اواخر نهايه اخر مستهل قبل منذ علي طوال طيله لمده عام لعام للعام بعام عامي سنه لسنه صباح مساء
    ليله فجر ظهر عصر ظهيره صبيحه ليل""".split(),
}
_ANCHOR = rf"(?=\d|[A-Za-z]|(?:{trie_regex(_ANCHOR_WORDS)})(?!\w))"



def _master_source(guards: bool) -> str:
    """The master pattern. With ``guards``, each branch is preceded by a lookahead listing its possible first
    three characters (``regexguard``): it matches exactly the same, and where a word passes the anchor the
    branches that cannot start with it fail after one test instead of entering their optional parts
    (weekday, يوم, a part of the day ...). tests/test_dates.py compares both on the samples."""
    branches = []
    for name, pat in _BRANCHES:
        body = _prefix_groups(name, pat)
        branches.append(f"{branch_guard(body) if guards else ''}(?P<{name}>{body})")
    return BOUNDARY + r"(?:[وفبل](?=\w))?" + _ANCHOR + r"(?:" + "|".join(branches) + r")(?!\w)"


_MASTER: Final = re.compile(_master_source(guards=True))

_GROUP_NAMES: Final = frozenset(_MASTER.groupindex)  # Pattern.groupindex builds a new mapping on every access

# ---------------------------------------------------------------------------------------------------------
# Result type and resolution helpers
# ---------------------------------------------------------------------------------------------------------


class DateMention(FrozenValue):
    """A date expression in a text, resolved where the contract allows."""

    def __init__(self, start: int, end: int, text: str, lead: str | None, value: date | None,
                 granularity: str | None, kind: str, warning: str | None = None) -> None:
        self.start = start  # offsets into the text given
        self.end = end
        self.text = text  # original substring, without a leading preposition
        self.lead = lead  # preposition/marker written just before it (منذ، حتى، في، خلال، مطلع ...)
        self.value = value
        self.granularity = granularity  # day | week | month | year | None (None whenever value is None)
        self.kind = kind  # absolute | relative | vague
        self.warning = warning

    def _fields(self) -> tuple:
        return (self.start, self.end, self.text, self.lead, self.value, self.granularity, self.kind, self.warning)

def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _add_months(d: date, k: int) -> date:
    idx = d.year * 12 + d.month - 1 + k
    return date(idx // 12, idx % 12 + 1, 1)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _latest_day_le(p: date, m: int, d: int) -> date | None:
    for y in range(p.year, p.year - 8, -1):
        v = _safe_date(y, m, d)
        if v is not None and v <= p:
            return v
    return None


def _month_value(p: date, m: int, qual: str | None) -> date:
    if qual in ("الماضي", "المنصرم", "الفائت", "السابق"):
        return date(p.year if m < p.month else p.year - 1, m, 1)
    if qual in ("المقبل", "القادم"):
        return date(p.year if m > p.month else p.year + 1, m, 1)
    if qual in ("الجاري", "الحالي"):
        return date(p.year, m, 1)
    return date(p.year if m <= p.month else p.year - 1, m, 1)


def _weekday_value(p: date, wd: int, qual: str | None) -> date:
    back = (p.weekday() - wd) % 7
    if qual is None:
        return p - timedelta(days=back)
    if qual.startswith(("المقبل", "القادم")):
        return p + timedelta(days=(wd - p.weekday()) % 7 or 7)
    return p - timedelta(days=back or 7)


def _period_value(p: date, per: str, direction: int) -> tuple[date, str]:
    if per == "الشهر":
        return _add_months(p, direction), "month"
    if per == "الاسبوع":
        return _monday(p) + timedelta(weeks=direction), "week"
    return date(p.year + direction, 1, 1), "year"


def _qual_direction(q: str | None) -> int:
    if q is None or q.startswith(("الجاري", "الحالي")):
        return 0
    if q.startswith(("المقبل", "القادم")):
        return 1
    return -1


def _month_of(token: str | None) -> tuple[int, str] | None:
    if not token:
        return None
    return _MONTHS.get(" ".join(token.lower().rstrip(".").split()))


def _year_of(token: str) -> int:
    return int(token[:4])


def _day_of(token: str) -> int:
    return int(token.rstrip("stndrhSTNDRH"))


def _wd_check(value: date | None, wd_token: str | None) -> str | None:
    if value is None or not wd_token:
        return None
    wd = _WEEKDAYS[wd_token]
    if value.weekday() != wd:
        return f"weekday mismatch: {wd_token} but {value.isoformat()} is weekday {value.weekday()}"
    return None


# ---------------------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------------------


def _lead_before(ft: FoldedText, start: int) -> tuple[str | None, bool]:
    """(lead as written in the original, is_strong) for the word just before folded offset ``start``."""
    m = _LEAD_RE.search(ft.folded, max(0, start - 18), start)
    if m is None:
        return None, False
    lead = ft.text[ft.orig(m.start("lead")):ft.orig(m.end("lead"))]
    return lead, " ".join(m.group("lead").split()) in STRONG_LEADS


_ONE_LETTER_PROCLITICS: Final = frozenset("وفبل")


def may_hold_date(folded_tokens: Iterable[str]) -> bool:
    """Cheap necessary condition for ``find_dates`` to find anything, from a sentence's folded tokens: every
    branch of the master regex starts at a token (after at most one of و ف ب ل) that is a digit, a Latin
    letter or one of ``_ANCHOR_WORDS``. False means the regex scan can be skipped."""
    anchors = _ANCHOR_WORDS
    for f in folded_tokens:
        c = f[:1]
        if c.isdecimal() or (c.isascii() and c.isalpha()) or f in anchors:
            return True
        if c in _ONE_LETTER_PROCLITICS and len(f) > 1:
            c = f[1]
            if c.isdecimal() or (c.isascii() and c.isalpha()) or f[1:] in anchors:
                return True
    return False


def find_dates(text: str, pub: date | None) -> list[DateMention]:
    """Date mentions in text order, non-overlapping (longest first), resolved against ``pub`` when given."""
    ft = fold_with_offsets(text)
    out: list[DateMention] = []
    for m in _MASTER.finditer(" " + ft.folded):
        branch = m.lastgroup
        if branch is None:
            continue
        s, e = m.start(branch) - 1, m.end(branch) - 1
        lead, strong = _lead_before(ft, s)
        res = _resolve(branch, m, pub, lead, strong, ft)
        if res is None:
            continue
        value, gran, kind, warning = res
        os_, oe = ft.orig(s), ft.orig(e)
        # keep trailing diacritics but not trailing blanks/marks the fold removed after a separator
        out.append(DateMention(os_, oe, text[os_:oe], lead, value, gran if value is not None else None, kind,
                               warning))
    return out


def _g(m: re.Match[str], branch: str, name: str) -> str | None:
    key = f"{branch}__{name}"
    return m.group(key) if key in _GROUP_NAMES else None


def _resolve(branch: str, m: re.Match[str], p: date | None, lead: str | None, strong: bool,
             ft: FoldedText) -> tuple[date | None, str | None, str, str | None] | None:
    def g(name: str) -> str | None:
        return _g(m, branch, name)

    if branch == "numeric":
        if g("y1"):
            y, mo, d = int(g("y1") or 0), int(g("mo1") or 0), int(g("d1") or 0)
        else:
            y, mo, d = int(g("y2") or 0), int(g("mo2") or 0), int(g("d2") or 0)
        v = _safe_date(y, mo, d)
        return None if v is None else (v, "day", "absolute", None)

    if branch in ("daymonth", "ordmonth", "monthday"):
        mon = _month_of(g("m1"))
        if mon is None:
            return None
        day = _ORDINALS[" ".join((g("od") or "").split())] if branch == "ordmonth" else _day_of(g("d") or "")
        if not 1 <= day <= 31:
            return None
        if g("y"):
            v = _safe_date(_year_of(g("y") or ""), mon[0], day)
            return None if v is None else (v, "day", "absolute", _wd_check(v, g("wd")))
        if _safe_date(2000, mon[0], day) is None:
            return None
        v = _latest_day_le(p, mon[0], day) if p else None
        return (v, "day", "relative", _wd_check(v, g("wd")))

    if branch == "dayofmonth":
        day = _ORDINALS[" ".join((g("od") or "").split())] if g("od") else _day_of(g("d") or "")
        if not 1 <= day <= 31 or p is None:
            return (None, None, "relative", None)
        first = _add_months(p.replace(day=1), _qual_direction(g("q")))
        v = _safe_date(first.year, first.month, day)
        return None if v is None else (v, "day", "relative", _wd_check(v, g("wd")))

    if branch == "monthyear":
        mon = _month_of(g("m1"))
        if mon is None:
            return None
        if mon[1] == "strict" and not (g("m2") or g("m3")) and not _has_madda(ft, m, branch) \
                and not m.group(branch).startswith("شهر"):
            return None
        return (date(_year_of(g("y") or ""), mon[0], 1), "month", "absolute", None)

    if branch in ("monthqual", "baremonth"):
        mon = _month_of(g("m1"))
        if mon is None:
            return None
        paired = bool(g("m2") or g("m3")) or bool(g("sh"))
        if not paired:
            if mon[1] == "strict" and not (branch == "monthqual" and _has_madda(ft, m, branch)):
                return None
            if branch == "baremonth" and not (lead and (strong or mon[1] == "none")):
                return None
        q = g("q") if branch == "monthqual" else None
        return (_month_value(p, mon[0], q) if p else None, "month", "relative", None)

    if branch == "earlier":
        tgt = " ".join((g("tgt") or "").split())
        if p is None:
            return (None, None, "relative", None)
        if tgt == "اليوم":
            return (p, "day", "relative", None)
        per = tgt.split()[-1] if tgt.startswith(("هذا", "هذه")) else tgt.split()[0]
        v, gran = _period_value(p, "العام" if per == "السنه" else per, 0)
        return (v, gran, "relative", None)

    if branch in ("relwd", "relday"):
        rel = " ".join((g("rel") or "").split())
        offset = {"اليوم": 0, "امس": -1, "الامس": -1, "البارحه": -1, "غدا": 1, "بعد غد": 2}.get(rel, -2)
        v = p + timedelta(days=offset) if p else None
        warning = _wd_check(v, g("wd")) if branch == "relwd" else None
        return (v, "day", "relative", warning)

    if branch == "weekday":
        wd = _WEEKDAYS[g("wd") or ""]
        return (_weekday_value(p, wd, g("q")) if p else None, "day", "relative", None)

    if branch == "periodrel":
        per = g("per") or g("per2") or ""
        per = "العام" if per == "السنه" else per
        if p is None:
            return (None, None, "relative", None)
        v, gran = _period_value(p, per, _qual_direction(g("q")))
        return (v, gran, "relative", None)

    if branch == "periodmark":
        per = g("per") or ""
        if p is None:
            return (None, None, "relative", None)
        v, gran = _period_value(p, "العام" if per == "السنه" else per, 0)
        return (v, gran, "relative", None)

    if branch == "ago":
        return _resolve_ago(g, p, ft, m.end(branch) - 1)

    if branch in ("vperiod", "vphrase"):
        return (None, None, "vague", None)

    if branch == "yearword":
        return (date(_year_of(g("y") or ""), 1, 1), "year", "absolute", None)

    if branch == "bareyear":
        if not (lead and strong):
            return None
        return (date(_year_of(g("y") or ""), 1, 1), "year", "absolute", None)
    return None


def _has_madda(ft: FoldedText, m: re.Match[str], branch: str) -> bool:
    s = m.start(f"{branch}__m1") - 1  # the master regex runs on " " + folded
    return ft.text[ft.orig(s):ft.orig(s) + 1] == "آ"


_FOLLOWS_REF: Final = re.compile(rf"{S}(?:من|علي)(?!\w)")


def _resolve_ago(g: Callable[[str], str | None], p: date | None, ft: FoldedText, end: int
                 ) -> tuple[date | None, str | None, str, str | None]:
    """قبل 3 أيام / قبل عامين resolve; approximations (حوالي)، plurals (قبل أيام)، منذ/على مدى stay vague."""
    unit, count = _DURATIONS[g("unit") or ""]
    num = g("num")
    if num:
        if count != 1 and count != 0:
            return (None, None, "vague", None)
        n = int(num) if num.isdigit() else _NUMBER_WORDS.get(" ".join(num.split()))
        count = n or 0
    follows_ref = _FOLLOWS_REF.match(ft.folded, end) is not None  # "قبل عام من الحرب": not relative to P
    exact = g("pre") == "قبل" and not g("appr") and count > 0 and not follows_ref and unit in (
        "day", "week", "month", "year")
    if not exact or p is None:
        return (None, None, "vague" if not exact else "relative", None)
    if unit == "day":
        return (p - timedelta(days=count), "day", "relative", None)
    if unit == "week":
        return (_monday(p - timedelta(weeks=count)), "week", "relative", None)
    if unit == "month":
        return (_add_months(p, -count), "month", "relative", None)
    return (date(p.year - count, 1, 1), "year", "relative", None)
