"""Sentence splitting: the sentence-end pattern starts with the closing punctuation (fast to scan for) instead
of a lookbehind; the spans must be those of the lookbehind form."""

from __future__ import annotations

import re
from pathlib import Path

from extractors.text import segments

ROOT = Path(__file__).resolve().parents[1]
LOOKBEHIND = re.compile(r"(?<=[.!?؟])[\"”»’']?\s+")


def _split_with(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """split_sentences as it was written with the lookbehind pattern."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in pattern.finditer(text):
        end = m.start() + len(m.group(0).rstrip())
        chunk = text[pos:end]
        if segments._open_quote(chunk) and len(chunk) < 600:
            continue
        if chunk.strip():
            spans.append((pos, end))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text.rstrip())))
    return spans


def test_sentence_spans_equal_the_lookbehind_form() -> None:
    texts = ["قال الوزير. وأضاف: «نعم.» ثم غادر!  وانتهى؟ نعم", "a..  b. .c ?  \"d.\" e.’  f", ". ", "  .", "x.\n.\t y",
             "«قال. ثم.» بعد. “هنا.” هناك؟\u00a0نعم", "!!! ??؟ ..", ""]
    for path in sorted((ROOT / "examples" / "inbox").glob("*.txt")):
        texts += path.read_text(encoding="utf-8").split("\n")
    for text in texts:
        assert segments.split_sentences(text) == _split_with(LOOKBEHIND, text), text
        assert [m.start(1) for m in segments._SENTENCE_END.finditer(text)] == [
            m.start() for m in LOOKBEHIND.finditer(text)]
