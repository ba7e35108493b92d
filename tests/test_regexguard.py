"""Branch guards (extractors/text/regexguard.py): a guard put before a pattern must never change what it
matches, only make failing attempts cheaper."""

from __future__ import annotations

import re

import pytest

from extractors.text.regexguard import branch_guard

PATTERNS = [
    r"abc", r"a?b", r"(?:يوم\s+)?(?:الاحد|الاثنين)", r"\d{1,2}(?:st|nd)?", r"(?i:jan|feb)\.?", r"x*y", r"(?:ab){2,3}c",
    r"(?<!ذلك )(?:صباح\s+)?امس", r"[^\S\n]*z", r"(?P<a>\d)(?P=a)", r"(?:a|)b", r"(?:a|b?)", r"[a-c][^d]\w", r"(?i:[a-f])9",
    r"(?:19|20)\d\d(?!\d)", r"(?:عام|العام)\s*\d{4}", r".ب", r"a{0}b", r"(?:ab)*", r"(?:a*)*b",
]
SUBJECTS = ["abc", "b", "ab", "يوم الاحد", "الاثنين", "12nd", "3", "Jan.", "FEB", "ﬀ", "xxy", "y", "ababc", "abababc",
            "امس", "صباح امس", "  z", "z", "11", "12", "b", "", "bcd", "a-z", "F9", "2023", "1999x", "عام 2020",
            "العام2021", "xب", "\nب", "b", "abab", "aab", "İ", "K", "ſ"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_guard_never_changes_a_match(pattern: str) -> None:
    guard = branch_guard(pattern)
    plain, guarded = re.compile(pattern), re.compile(guard + pattern)
    for subject in SUBJECTS:
        for pos in range(len(subject) + 1):
            a, b = plain.match(subject, pos), guarded.match(subject, pos)
            assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), (pattern, subject, pos)


def test_guards_list_first_characters() -> None:
    assert branch_guard("abc") == "(?=abc)"
    assert branch_guard(r"(?:يوم\s+)?(?:الاحد|الاثنين)") == "(?=(?:الا|يوم))"
    assert re.fullmatch(r"\(\?=.*\)", branch_guard(r"(?i:jan|feb)\.?"))


def test_no_guard_where_the_analysis_cannot_tell() -> None:
    assert branch_guard("a?") == ""  # may match the empty string
    assert branch_guard(r"(?P<a>x)?(?P=a)yz") == ""  # a back reference before the third character
    assert branch_guard("(?s:.)bc") == ""  # a flag other than IGNORECASE
