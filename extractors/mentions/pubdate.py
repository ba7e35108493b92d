"""Publication date of an article (contract section 1): sidecar, then a date line in the text, then the URL.

Never falls back to a file time or today's date: no evidence -> (None, None).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final
from urllib.parse import urlsplit

from extractors.mentions.dates import S0, WEEKDAYS, DateMention, S, alternation, find_dates, fold_plain

HEAD_LINES: Final = 20  # a date line is looked for in the first lines only
MIN_YEAR, MAX_YEAR = 1990, 2100

# "published" labels (folded). ``نشر`` alone also covers نُشر / نشر في / نشر بتاريخ / نشرت.
_PUB_LABEL = (
    rf"(?:تاريخ{S}(?:النشر|الخبر|المقال)|(?:تم{S})?نشر(?:ت|ه)?(?:{S}(?:في|بتاريخ|يوم))?|بتاريخ|التاريخ"
    rf"|(?i:published(?:{S}on)?|posted(?:{S}on)?|publish(?:ed)?{S}date|date(?:{S}published)?))"
)
_UPD_LABEL = rf"(?:اخر{S}تحديث|تاريخ{S}التحديث|تم{S}التحديث|تحديث|محدث|(?i:last{S}updated|updated(?:{S}on)?|modified))"
_PUB_LINE_RE: Final = re.compile(rf"^{S0}[-•|*]?{S0}{_PUB_LABEL}{S0}[:：\-–|]?{S0}")
_UPD_RE: Final = re.compile(_UPD_LABEL)
_UPD_LINE_RE: Final = re.compile(rf"^{S0}[-•|*]?{S0}{_UPD_LABEL}{S0}[:：\-–|]?{S0}")
_LABEL_ONLY_RE: Final = re.compile(rf"^{S0}(?:{_PUB_LABEL}|{_UPD_LABEL}){S0}[:：\-–|]?{S0}$")
# what may surround a date on a date-only line: times, am/pm, GMT/UTC, weekday names are part of the mention
_DATE_LINE_NOISE_RE: Final = re.compile(
    rf"\d{{1,2}}:\d{{2}}(?::\d{{2}})?|(?<!\w)(?:ص|م|صباحا|مساء|(?i:am|pm|gmt|utc)|بتوقيت{S}\S+|الساعه)(?!\w)"
    r"|[\s\-–|,،.:()+/]"
)
_MAX_LABEL_LINE: Final = 120
_GAP_RE: Final = re.compile(
    rf"(?:{S0}(?:في|يوم|الساعه|{alternation(list(WEEKDAYS))})(?!\w)|\d{{1,2}}:\d{{2}}(?::\d{{2}})?|(?<!\w)(?:ص|م|(?i:am|pm))(?!\w)"
    rf"|[\s:：\-–|,،])*"
)  # between a label and its date: weekday, في/يوم, a time of day ("نُشر: 11:05-11 أبريل 2022"), punctuation

_URL_PATTERNS: Final = (
    re.compile(r"/((?:19|20)\d\d)/(\d{1,2})/(\d{1,2})(?=/|$|[^\d])"),
    re.compile(r"(?<!\d)((?:19|20)\d\d)-(\d{2})-(\d{2})(?!\d)"),
    re.compile(r"(?<![\d])((?:19|20)\d\d)(\d{2})(\d{2})(?!\d)"),
)


def parse_iso_date(value: str | None) -> date | None:
    """ISO date or datetime (``2023-02-24``, ``2023-02-24T10:00:00Z``) -> date; anything else -> None."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


# An absolute day date always has a year, and a year is digits (Arabic-Indic ones fold to ASCII): a line
# without any decimal digit cannot hold one, and the date scan is skipped.
_ANY_DIGIT: Final = re.compile(r"\d")


_LINE_DATES: Final[dict[str, list[DateMention]]] = {}  # a line (times blanked) -> find_dates(line, None)


def _line_dates(line: str) -> list[DateMention]:
    """``find_dates(line, None)``, remembered for the last lines: find_publication_date and segmentation's
    is_date_line read the same head lines (callers never change the list)."""
    found = _LINE_DATES.get(line)
    if found is None:
        if len(_LINE_DATES) >= 64:
            _LINE_DATES.clear()
        found = _LINE_DATES[line] = find_dates(line, None)
    return found


def _first_day_date(text: str) -> date | None:
    if _ANY_DIGIT.search(text) is None:
        return None
    for mention in _line_dates(_blank_times(text)):
        if mention.kind == "absolute" and mention.granularity == "day" and mention.value is not None:
            return mention.value
    return None


_TIME_RE: Final = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")


def _blank_times(line: str) -> str:
    """Times of day blanked out (same length): "11:05-11 أبريل" must not read as the 5th-11th."""
    return _TIME_RE.sub(lambda m: " " * len(m.group()), line)


def _date_after_label(line: str, label_end: int) -> date | None:
    """The absolute day date that directly follows a label ending at folded offset ``label_end`` (only a
    weekday, يوم, في or punctuation may sit between): "نشرت روسيا ... في 12 يوليو" is a sentence, not a label."""
    if _ANY_DIGIT.search(line) is None:
        return None
    line = _blank_times(line)
    for mention in _line_dates(line):
        if mention.kind != "absolute" or mention.granularity != "day" or mention.value is None:
            continue
        gap = fold_plain(line[:mention.start])[label_end:]
        return mention.value if _GAP_RE.fullmatch(gap) else None
    return None


def _is_date_only(line: str) -> bool:
    """The line holds one absolute day date and nothing else but times/weekdays/punctuation."""
    if _ANY_DIGIT.search(line) is None:
        return False
    line = _blank_times(line)
    mentions = _line_dates(line)
    if not mentions or mentions[0].granularity != "day" or mentions[0].kind != "absolute":
        return False
    rest = fold_plain(line[:mentions[0].start] + " " + line[mentions[0].end:])
    return len(_DATE_LINE_NOISE_RE.sub("", rest)) <= 3


def date_from_line(line: str) -> date | None:
    """Publication date stated on one line (label + date, or a date-only line); update lines give None."""
    if len(line) > _MAX_LABEL_LINE:
        return None  # a paragraph, not a date line
    folded = fold_plain(line)
    # every update label holds "حد" (تحديث، محدث) or, in English, a "d" (updated, modified; folded lines are
    # lower case): without either the search cannot match, and is skipped
    upd = _UPD_RE.search(folded) if "حد" in folded or "d" in folded else None
    if upd is not None and upd.start() <= 2:
        return None
    head = line[:upd.start()] if upd is not None else line  # "نشر في X | آخر تحديث Y" -> X
    folded_head = folded[:upd.start()] if upd is not None else folded
    m = _PUB_LINE_RE.match(folded_head)
    if m is not None:
        return _date_after_label(head, m.end())
    if _is_date_only(head):
        return _first_day_date(head)
    return None


def is_date_line(line: str) -> bool:
    """True for lines segmentation should drop from the body: publication/update date lines, date-only
    lines and a bare label (``نشر``، ``تاريخ النشر:``)."""
    if len(line) > _MAX_LABEL_LINE or not line.strip():
        return False
    folded = fold_plain(line)
    if _LABEL_ONLY_RE.match(folded):
        return True
    m = _PUB_LINE_RE.match(folded) or _UPD_LINE_RE.match(folded)
    if m is not None and _date_after_label(line, m.end()) is not None:
        return True
    return _is_date_only(line)


def date_from_url(url: str | None) -> date | None:
    """A date in the URL path: /2022/7/12/, /2022/07/16/, /20220716/, -2022-07-16."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for pattern in _URL_PATTERNS:
        for m in pattern.finditer(path):
            y, mo, d = (int(x) for x in m.groups())
            if MIN_YEAR <= y <= MAX_YEAR:
                try:
                    return date(y, mo, d)
                except ValueError:
                    continue
    return None


def find_publication_date(text: str, sidecar_published_at: str | None, url: str | None
                          ) -> tuple[date | None, str | None]:
    """(date, source) with source in sidecar / text / url, or (None, None)."""
    d = parse_iso_date(sidecar_published_at)
    if d is not None and MIN_YEAR <= d.year <= MAX_YEAR:
        return d, "sidecar"
    for line in text.splitlines()[:HEAD_LINES]:
        if not line.strip():
            continue
        d = date_from_line(line)
        if d is not None:
            return d, "text"
    d = date_from_url(url)
    if d is not None:
        return d, "url"
    return None, None


__all__ = ["date_from_line", "date_from_url", "find_publication_date", "is_date_line", "parse_iso_date"]
