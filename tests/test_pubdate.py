"""Publication date: sidecar, then a date line in the text head, then the URL; never a guess."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.mentions.pubdate import date_from_url, find_publication_date, is_date_line

BODY = "وزير الدفاع يزور العاصمة\nقال الوزير أمس إن التعاون مستمر.\n"


@pytest.mark.parametrize("value,expected", [
    ("2023-02-24", date(2023, 2, 24)),
    ("2023-02-24T22:15:00Z", date(2023, 2, 24)),
    ("2023-02-24T10:00:00+03:00", date(2023, 2, 24)),
    ("2023-02-24 10:00", date(2023, 2, 24)),
])
def test_sidecar_iso_date_or_datetime(value: str, expected: date) -> None:
    text = "عنوان\nتاريخ النشر: 21st, August 2023 GMT\n"
    assert find_publication_date(text, value, "https://example.com/2022/07/16/a") == (expected, "sidecar")


@pytest.mark.parametrize("bad", ["yesterday", "2023-13-45", "", "24/02/2023x"])
def test_invalid_sidecar_falls_through_to_text(bad: str) -> None:
    text = "عنوان\nتاريخ النشر: 21st, August 2023 GMT\n"
    assert find_publication_date(text, bad, None) == (date(2023, 8, 21), "text")


@pytest.mark.parametrize("line,expected", [
    ("تاريخ النشر: 21st, August 2023 GMT", date(2023, 8, 21)),
    ("نشر في 12 يوليو 2022", date(2022, 7, 12)),
    ("نُشر بتاريخ 2022/07/12", date(2022, 7, 12)),
    ("Published: August 21, 2023", date(2023, 8, 21)),
    ("تاريخ النشر : الثلاثاء 12 يوليو 2022 - 10:30 م", date(2022, 7, 12)),
    ("نُشِرَ في: الأحد، ١٠ تموز ٢٠٢٢", date(2022, 7, 10)),
    ("الثلاثاء 12 يوليو 2022 - 10:30 مساءً", date(2022, 7, 12)),
    ("نشر في 12 يوليو 2022 | آخر تحديث 13 يوليو 2022", date(2022, 7, 12)),
])
def test_text_date_lines(line: str, expected: date) -> None:
    text = f"عنوان الخبر\n{line}\n{BODY}"
    assert find_publication_date(text, None, None) == (expected, "text")
    assert is_date_line(line)


def test_update_line_is_not_a_publication_date() -> None:
    text = f"عنوان\nآخر تحديث: 13 يوليو 2022 - 09:00\n{BODY}"
    assert find_publication_date(text, None, None) == (None, None)
    assert is_date_line("آخر تحديث: 13 يوليو 2022 - 09:00")


def test_sentence_with_a_date_is_not_a_date_line() -> None:
    line = "نشرت روسيا قوات إضافية في 12 يوليو 2022 على الحدود"
    assert find_publication_date(f"عنوان\n{line}\n", None, None) == (None, None)
    assert not is_date_line(line)


def test_relative_dates_never_become_the_publication_date() -> None:
    text = "عنوان\nنشر اليوم\nقال الوزير أمس إن"
    assert find_publication_date(text, None, None) == (None, None)


def test_date_line_must_be_in_the_head() -> None:
    text = "\n".join(["سطر من النص"] * 25 + ["تاريخ النشر: 12 يوليو 2022"])
    assert find_publication_date(text, None, None) == (None, None)


@pytest.mark.parametrize("url,expected", [
    ("https://news.example.com/world/2022/7/12/russia-iran", date(2022, 7, 12)),
    ("https://news.example.com/2022/07/16/", date(2022, 7, 16)),
    ("https://news.example.com/a/20220716/story.html", date(2022, 7, 16)),
    ("https://news.example.com/story-title-2022-07-16", date(2022, 7, 16)),
])
def test_url_dates(url: str, expected: date) -> None:
    assert date_from_url(url) == expected
    assert find_publication_date(BODY, None, url) == (expected, "url")


@pytest.mark.parametrize("url", [None, "https://news.example.com/story/123456", "https://x.com/2022/13/45/a",
                                 "not a url"])
def test_url_without_a_valid_date(url: str | None) -> None:
    assert date_from_url(url) is None


def test_text_beats_url_and_nothing_means_none() -> None:
    text = "عنوان\nنشر في 12 يوليو 2022\n"
    assert find_publication_date(text, None, "https://x.com/2021/01/01/a") == (date(2022, 7, 12), "text")
    assert find_publication_date(BODY, None, None) == (None, None)


@pytest.mark.parametrize("line,expected", [
    ("نشر", True),
    ("تاريخ النشر:", True),
    ("12/07/2022 10:30", True),
    ("قال المتحدث إن الشحنة وصلت", False),
    ("", False),
])
def test_is_date_line(line: str, expected: bool) -> None:
    assert is_date_line(line) is expected


def test_time_of_day_next_to_the_date_is_not_a_day() -> None:
    from extractors.mentions.pubdate import date_from_line

    assert date_from_line("نُشر: 11:05-11 أبريل 2022 م ـ 10 رمضان 1443 هـ") == date(2022, 4, 11)
    assert date_from_line("12:30 - 3 مارس 2024") == date(2024, 3, 3)


def test_lines_without_digits_never_hold_an_absolute_day_date() -> None:
    """The date-line checks skip the date scan on lines with no digit: every absolute day date found in the
    bundled texts (and in these spellings) has one."""
    from pathlib import Path

    from extractors.mentions.dates import find_dates
    from extractors.mentions.pubdate import _ANY_DIGIT

    root = Path(__file__).resolve().parents[1]
    lines = ["الثالث من مارس ٢٠٢٣", "۲۱ أغسطس ۲۰۲۳", "الخميس 3 آذار/مارس 2023", "21st, August 2023 GMT",
             "الثالث من مارس", "يوم الجمعة الماضي", "مطلع العام المقبل"]
    for path in sorted((root / "examples").rglob("*.txt")) + sorted((root / "tests" / "fixtures").rglob("*.txt")) \
            + sorted((root.parent / "shared" / "corpus" / "inbox").glob("*.txt")):  # real pages where present
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    found = 0
    for line in lines:
        day_dates = [m for m in find_dates(line, None) if m.kind == "absolute" and m.granularity == "day"]
        if day_dates:
            found += 1
            assert _ANY_DIGIT.search(line), line
    assert found >= 20
