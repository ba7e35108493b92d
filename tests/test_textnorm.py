"""Normalisation and tokenisation: our compiled tokenizer must split exactly like camel-tools'
simple_word_tokenize (it replaces it for speed), and folding must make clitic-carrying spellings meet."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex

from extractors.text.textnorm import camel_tokenize, fold, fold_token, tokenize
from extractors.text.tokens import tokens_of

ROOT = Path(__file__).resolve().parents[1]
# the bundled samples, plus the real pages of ../shared/corpus where present (CI; absent in a user's clone)
SAMPLES = sorted((ROOT / "examples" / "inbox").glob("*.txt")) + sorted(
    (ROOT.parent / "shared" / "corpus" / "inbox").glob("*.txt"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_tokenize_equals_camel_tools(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert tokenize(text) == camel_tokenize(text)


def test_tokenize_equals_camel_tools_on_marks_digits_and_latin() -> None:
    text = 'قالَ الوزيرُ: "سنزوّد كييف بـ١٢٠ صاروخاً من طراز (إس-400) و2,5 مليون قذيفة"، بحسب AP-News.'
    assert tokenize(text) == camel_tokenize(text)


def test_tokenize_fast_path_keeps_the_pattern_split() -> None:
    """tokenize passes blank-separated chunks with str.isalnum straight through; that shortcut is exact only if
    every such character is a word character of WORD_RE; blanks are str.isspace, as in camel-tools."""
    import sys

    from extractors.text.textnorm import WORD_RE

    word = regex.compile(r"[\p{L}\p{M}\p{N}]")  # the word class of WORD_RE, not the whole pattern
    not_word = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isalnum() and not word.fullmatch(c)]
    assert not_word == []
    assert WORD_RE.pattern.startswith(word.pattern[:-1])
    for text in ("a\x1cb \x1fقال", "وقال\u00a0الوزير\u2003«نعم»", "  ", "", "٣٠٠\tمسيّرة\n(إس-400)"):
        assert tokenize(text) == camel_tokenize(text)


def test_tokenize_edge_punctuation_path_keeps_the_pattern_split() -> None:
    """A word with EDGE_PUNCT characters at its edges is split without the pattern: exact only if none of them
    is a word character or a blank of WORD_RE."""
    from extractors.text.textnorm import EDGE_PUNCT, WORD_RE

    assert all(regex.fullmatch(r"[^\s\p{L}\p{M}\p{N}]", c) for c in EDGE_PUNCT)
    texts = ["قال:", "(رويترز)", "«نعم»،", "...", "-", "«", "((موسكو))،", "(2022)", "\"أ\".", "ـ", "ب-", "-ب",
             "قالَ:", "«مسيّرة»", "2,5،", "(إس-400)", "a.b.", ".a.b", "؟!", "x*y", "*x*", "…وقال…", "آذار/مارس",
             "\"إف-16\"،", "10:30", "أ-ب-ج", "ب/ُج", "a+b", "+", "١٬٥", "x--y", "-x-"]
    for text in [*texts, " ".join(texts), "".join(texts)]:
        assert tokenize(text) == WORD_RE.findall(text) == camel_tokenize(text)


def test_fold_token_table_equals_the_steps() -> None:
    """fold_token translates with one table composed from the steps; on every character (and on words) the
    table must give what the steps give one after the other."""
    import sys

    from extractors.text.textnorm import _fold_token, fold_steps

    for c in map(chr, range(sys.maxunicode + 1)):
        if not 0xD800 <= ord(c) <= 0xDFFF:
            assert _fold_token(c) == fold_steps(c).lower(), hex(ord(c))
    for word in ("أُوكرانيّة", "إيرانى", "مسؤولـــون", "ٱلقائد", "٣٠٠", "F-16", "İstanbul", "ﻻ", "آلاف"):
        assert _fold_token(word) == fold_steps(word).lower()


def test_fold_meets_spelling_variants() -> None:
    assert fold_token("أُوكرانيّة") == fold_token("اوكرانيه")
    assert fold_token("إيرانى") == fold_token("ايراني")
    assert fold("٣٠٠ مسيّرة") == "300 مسيره"


def test_token_offsets_point_into_the_original_text() -> None:
    text = "وأرسلت موسكو، أمس، «مئات» المسيّرات"
    for tok in tokens_of(text):
        assert text[tok.start:tok.end] == tok.text


def test_clitic_variants_reach_the_bare_word() -> None:
    stems = {stem for tok in tokens_of("وموسكو لإيران بالمسيرات") for stem, _ in tok.variants}
    assert {"موسكو", "ايران", "مسيرات"} <= stems


def test_diacritics_removed_exactly_as_camel_tools_dediac() -> None:
    """fold_token drops what camel-tools' dediac_ar drops (plus tatweel), on every character of the Arabic
    blocks and on a vocalised sentence."""
    from camel_tools.utils.charsets import AR_DIAC_CHARSET
    from camel_tools.utils.dediac import dediac_ar

    from extractors.text.textnorm import _DEDIAC, AR_DIACRITICS

    assert frozenset(AR_DIACRITICS) == AR_DIAC_CHARSET
    arabic = "".join(chr(c) for c in [*range(0x0600, 0x0700), *range(0x0750, 0x0780), *range(0x08A0, 0x0900)])
    sentence = "وَقَالَ المُتَحَدِّثُ إِنَّ الطَّائِرَاتِ وَصَلَتْ قَبْلَ أُسْبُوعٍ"
    for text in (arabic, sentence):
        assert text.translate(_DEDIAC) == dediac_ar(text).replace("\u0640", "")
    assert fold_token("المُتَحَدِّثُ") == "المتحدث"


def test_extraction_does_not_import_camel_unicode_tables() -> None:
    """camel_tools.utils.charsets costs 0.3 s at import (a walk over every code point); extraction must not
    need it, so a pool worker or a small incremental run starts without paying it."""
    import subprocess
    import sys

    code = ("import sys; from extractors.facts import pipeline; "
            "pipeline.extract_article('قال المتحدث إن روسيا تسلمت طائرات مسيرة.', source_file='a.txt'); "
            "print('camel_tools.utils.charsets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
