"""Split a scraped page into paragraphs and sentences, and label each main or related.

Rules (contract section 2), in order:
- masthead/editor lines, share-button words, navigation crumbs and tags (lines of three words or fewer),
  publication-date lines and verbatim repeats of an earlier line (captions are often printed twice) are
  dropped from the text that is analysed; a "المصدر:" line before the body starts is a page header;
- the first kept line is the title; lines before the first body paragraph are title/captions (main);
- "عاجل.." lines are breaking-news tickers of other stories (related);
- an "اقرأ أيضا"-style marker opens a block of teasers of other articles (related); text after a tail line
  ("المصدر:", "كلمات دلالية") once the body has started is related to the end;
- inside the body, a run of headline-like lines (short, no closing full stop) followed by a paragraph that
  does not continue the text (no و/كما/ثم... connective) and talks about other actors than the article so
  far (or, with no actors at all, shares few content words with it) opens a related block (a teaser);
- the last line of a page that ends mid-sentence (it continues the text, or is long) is body, not a headline;
- a related block ends at a body paragraph that returns to the main story: one that shares at least two
  actors/persons only the main story had and none that only the teaser had, or, while the block is still a
  headline plus at most one paragraph, a continuation that shares one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import regex

from extractors.text.lexicon import load_yaml
from extractors.text.textnorm import edge_split, fold, fold_token
from extractors.values import Value

_TICKER: Final = "عاجل"
_COLON: Final = re.compile(r"[:：]")
_HAS_DIGIT: Final = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
_WORDS: Final = regex.compile(r"[\p{L}\p{M}\p{N}]+")
# a sentence end: the closing punctuation, then (group 1, the gap between two sentences) an optional closing
# quote and blanks. Starting with the punctuation class (not a lookbehind) lets the engine scan to it quickly.
_SENTENCE_END: Final = re.compile(r"[.!?؟]([\"”»’']?\s+)")
_HEADLINE_MAX_WORDS: Final = 22
# Longest stretch of text handed to the extractors as one sentence. Real sentences stay far below it (the longest
# in the seeds and the 36-page corpus: 650 characters); a run-on text with no full stop (a scraped list, a
# page of repeated verbs) is cut into windows of at most this size, so the rules, some of which look across
# the whole sentence for each trigger, cost linear time in the article's length.
MAX_SENTENCE_CHARS: Final = 1000
_CLOSERS: Final = (".", "!", "\u061f.", ".\"", ".”", ".»", "\".", "”.", "».", ":")


class Sentence(Value):
    """A sentence of a paragraph."""

    def __init__(self, index: int, text: str, start: int, end: int, paragraph: int, segment: str,
                 is_headline: bool) -> None:
        self.index = index
        self.text = text
        self.start = start
        self.end = end
        self.paragraph = paragraph
        self.segment = segment
        self.is_headline = is_headline

    def _fields(self) -> tuple:
        return (self.index, self.text, self.start, self.end, self.paragraph, self.segment, self.is_headline)


class Paragraph(Value):
    """A paragraph (one line of the file) with its segment and sentences."""

    def __init__(self, index: int, text: str, start: int, end: int, kind: str, segment: str = "main",
                 sentences: list[Sentence] | None = None) -> None:
        self.index = index
        self.text = text
        self.start = start
        self.end = end
        self.kind = kind  # title | headline | body
        self.segment = segment
        self.sentences: list[Sentence] = [] if sentences is None else sentences

    def _fields(self) -> tuple:
        return (self.index, self.text, self.start, self.end, self.kind, self.segment, self.sentences)

@dataclass
class Document:
    text: str
    title: str | None
    paragraphs: list[Paragraph]
    dropped: list[str]

    @property
    def sentences(self) -> list[Sentence]:
        return [s for p in self.paragraphs for s in p.sentences]

    @property
    def related_blocks(self) -> int:
        n, prev = 0, "main"
        for p in self.paragraphs:
            if p.segment == "related" and prev != "related":
                n += 1
            prev = p.segment
        return n


@dataclass(frozen=True)
class _Lexicon:
    drop: frozenset[str]
    editor: tuple[str, ...]
    tail: tuple[str, ...]
    related: tuple[str, ...]
    continuations: tuple[str, ...]
    waw_words: frozenset[str]

    editor_words: tuple[str, ...] = ()  # the editor prefixes followed by a blank
    continuation_words: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    data = load_yaml("boilerplate.yaml")

    def norm(x: str) -> str:
        return fold(x).replace(" :", ":")

    return _Lexicon(
        drop=frozenset(norm(x) for x in data["drop_lines"]),
        editor=tuple(norm(x) for x in data["editor_prefixes"]),
        tail=tuple(norm(x) for x in data["tail_prefixes"]),
        related=tuple(norm(x) for x in data["related_prefixes"]),
        continuations=tuple(norm(x) for x in data["continuations"]),
        waw_words=frozenset(fold_token(x) for x in data["waw_words"]),
        editor_words=tuple(norm(x) + " " for x in data["editor_prefixes"]),
        continuation_words=tuple(norm(x) + " " for x in data["continuations"]),
    )


def _folded_line(line: str) -> str:
    """Folded form of a line for marker checks: the first words are enough for the long ones."""
    head = line if len(line) <= 120 else line[:80]
    return fold(head).replace(" :", ":").strip(" .:-–—")


def is_headline_like(line: str) -> bool:
    chunks = line.split()
    if len(chunks) > _HEADLINE_MAX_WORDS + 8:
        return False
    # words: a blank-separated chunk of letters/digits is one; others are counted by the pattern
    if sum(1 if c.isalnum() else _word_count(c) for c in chunks) > _HEADLINE_MAX_WORDS:
        return False
    stripped = line.rstrip()
    return not stripped.endswith(_CLOSERS)


def _word_count(chunk: str) -> int:
    """Words (runs of letters, marks and digits) in a blank-free chunk: a word with punctuation at its edges
    ("قال:"، "«نعم»") is one, punctuation alone none, without running the pattern (see textnorm.tokenize)."""
    i, j = edge_split(chunk)
    if i == j:
        return 0
    if chunk[i:j].isalnum():
        return 1
    return len(_WORDS.findall(chunk))


def starts_with_continuation(line: str) -> bool:
    lex = _lexicon()
    folded = _folded_line(line)
    if folded in lex.continuations or folded.startswith(lex.continuation_words):
        return True
    first = folded.split(" ", 1)[0] if folded else ""
    if first.startswith("و") and len(first) >= 3 and first not in lex.waw_words:
        return True  # "ووقعت" is و + وقعت; "وقعت" (a verb whose root starts with و) is listed in waw_words
    return first.startswith("ف") and len(first) >= 5 and first[1:2] in "اأإيتن"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans; a full stop inside an open quotation does not end the sentence (up to 600 chars)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.start(1) + len(m.group(1).rstrip())
        chunk = text[pos:end]
        if _open_quote(chunk) and len(chunk) < 600:
            continue
        if chunk.strip():
            spans.append((pos, end))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text.rstrip())))
    return spans


def cap_spans(text: str, spans: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """``spans`` with every span longer than ``limit`` characters cut into consecutive windows of at most
    ``limit``, each cut at the last whitespace of its window (at the limit itself when the window has none)."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        while b - a > limit:
            cut = text.rfind(" ", a + 1, a + limit)
            cut = max(cut, text.rfind("\n", a + 1, a + limit), text.rfind("\t", a + 1, a + limit))
            if cut <= a:
                cut = a + limit
            if text[a:cut].strip():
                out.append((a, cut))
            a = cut
        if text[a:b].strip():
            out.append((a, b))
    return out


def _open_quote(chunk: str) -> bool:
    if chunk.count("«") > chunk.count("»") or chunk.count("“") > chunk.count("”"):
        return True
    return chunk.count('"') % 2 == 1


class _MainTopic:
    """Actors/persons and content words of the main story so far, computed only when a teaser is suspected
    (most pages have none, so most lines are never looked up)."""

    def __init__(self, keys_of: Callable[[str], set[str]]) -> None:
        self._keys_of = keys_of
        self._lines: list[str] = []
        self._keys: set[str] = set()
        self._words: set[str] = set()
        self._done = 0

    def add(self, line: str) -> None:
        self._lines.append(line)

    def _update(self) -> None:
        for line in self._lines[self._done:]:
            self._keys |= self._keys_of(line)
            self._words |= _content_words(line)
        self._done = len(self._lines)

    def keys(self) -> set[str]:
        self._update()
        return self._keys

    def words(self) -> set[str]:
        self._update()
        return self._words


def _content_words(text: str) -> set[str]:
    words = set()
    for w in fold(text).split():
        w = w[2:] if w.startswith("ال") else w
        w = w[1:] if w[:1] in "وفبل" and len(w) > 4 else w
        if len(w) >= 4:
            words.add(w)
    return words


def _word_overlap(text: str, words: set[str]) -> float:
    mine = _content_words(text)
    return len(mine & words) / len(mine) if mine else 1.0


def segment_document(
    text: str, keys_of: Callable[[str], set[str]], is_date_line: Callable[[str], bool]
) -> Document:
    """Paragraphs and sentences of ``text``, each labelled main/related (see module doc).

    ``keys_of(text)`` names the actors of a passage (for the teaser test); ``is_date_line(line)`` says whether a
    line is a publication/update date line to drop. Both are date and actor knowledge, which lives in
    ``extractors.mentions``: the caller (``facts.pipeline``) passes them in, so text analysis imports nothing above it."""
    lex = _lexicon()
    lines: list[tuple[int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lines.append((pos + raw.index(stripped[0]), stripped))
        pos += len(raw) + 1

    kept: list[tuple[int, str, str]] = []  # (offset, line, role) role: text | related_marker | tail
    dropped: list[str] = []
    seen: set[str] = set()
    skip_name_line = False
    for off, line in lines:
        folded = _folded_line(line)
        n_words = len(folded.split())
        if skip_name_line and n_words <= 4 and not line.endswith("."):
            dropped.append(line)
            skip_name_line = False
            continue
        skip_name_line = False
        if folded.startswith(lex.related):
            rest = _COLON.split(line, maxsplit=1)
            if len(rest) == 2 and rest[1].strip() and len(rest[1].split()) >= 3:
                # "اقرأ أيضا: <headline of another article>" on one line: a one-line teaser
                head = rest[1].strip()
                kept.append((off + line.index(head), head, "inline_teaser"))
            else:
                kept.append((off, line, "related_marker"))
            continue
        if folded.startswith(lex.tail):
            kept.append((off, line, "tail"))
            continue
        if folded in lex.drop or not folded:
            dropped.append(line)
            continue
        if (folded in lex.editor or folded.startswith(lex.editor_words)) and n_words <= 6:
            dropped.append(line)
            skip_name_line = folded in lex.editor
            continue
        if (len(line) < 40 or _HAS_DIGIT.search(line)) and is_date_line(line):
            dropped.append(line)
            continue
        if folded in seen and n_words <= _HEADLINE_MAX_WORDS:
            dropped.append(line)
            continue
        seen.add(folded)
        if n_words <= 3 and not line.rstrip().endswith((".", "؟", "?", "!")):
            dropped.append(line)  # navigation crumbs, share buttons, tags, photo credits
            continue
        if folded.startswith(_TICKER) and n_words > 2:
            kept.append((off, line, "ticker"))  # "عاجل.. ..." a breaking-news line of another story
            continue
        kept.append((off, line, "text"))

    paragraphs: list[Paragraph] = []
    body_started = False
    mode = "main"  # main | related | related_to_end
    main = _MainTopic(keys_of)
    block_keys: set[str] = set()
    block_paragraphs = 0
    i = 0
    while i < len(kept):
        off, line, role = kept[i]
        if role == "inline_teaser" and mode != "related_to_end":
            paragraphs.append(Paragraph(len(paragraphs), line, off, off + len(line), "headline", "related"))
            mode, block_keys, block_paragraphs = "related", keys_of(line), 0
            i += 1
            continue
        if role == "ticker":
            paragraphs.append(Paragraph(len(paragraphs), line, off, off + len(line), "headline", "related"))
            i += 1
            continue
        if role == "tail" and not body_started:
            dropped.append(line)  # "المصدر: ..." in a page header, before the article starts
            i += 1
            continue
        if role == "related_marker" and mode != "related_to_end":
            # "اقرأ أيضا": teasers of other articles follow; the main story may resume after them
            mode, block_keys, block_paragraphs = "related", set(), 0
            dropped.append(line)
            i += 1
            continue
        if role in ("related_marker", "tail", "inline_teaser"):
            mode = "related_to_end"
            dropped.append(line)
            i += 1
            continue
        headline = is_headline_like(line)
        if headline and body_started and i == len(kept) - 1 and role == "text" and (
                starts_with_continuation(line) or len(line.split()) >= 15):
            headline = False  # the page ends mid-sentence: a cut-off body paragraph, not a teaser headline
        if not paragraphs:
            kind = "title" if headline else "body"  # a page may start straight with the lead paragraph
        elif not body_started and headline:
            kind = "headline"
        else:
            kind = "headline" if headline else "body"
        if mode == "related_to_end":
            paragraphs.append(Paragraph(len(paragraphs), line, off, off + len(line), kind, "related"))
            i += 1
            continue
        if kind == "body" and not headline:
            body_started = True
        if body_started and kind == "headline" and mode in ("main", "related"):
            # a run of headline lines; look at the paragraph that follows it
            j = i
            while j < len(kept) and kept[j][2] == "text" and is_headline_like(kept[j][1]):
                j += 1
            run = [kept[k][1] for k in range(i, j)]
            follower = kept[j][1] if j < len(kept) and kept[j][2] == "text" else None
            opens_block = False
            if follower is not None and not starts_with_continuation(follower):
                p_keys = set().union(*(keys_of(x) for x in [*run, follower]))
                main_keys = main.keys()
                new = p_keys - main_keys
                if p_keys:
                    opens_block = len(new) >= max(1, len(p_keys & main_keys))
                else:  # no actors at all: judge by shared content words
                    opens_block = _word_overlap(" ".join([*run, follower]), main.words()) < 0.15
            elif follower is None and mode == "main":
                opens_block = j >= len(kept) or kept[j][2] != "text"
            if opens_block:
                mode = "related"
                block_keys = set()
                block_paragraphs = 1 if follower is not None else 0
                for k in range(i, j + (1 if follower is not None else 0)):
                    koff, kline, _ = kept[k]
                    kkind = "headline" if k < j else "body"
                    paragraphs.append(Paragraph(len(paragraphs), kline, koff, koff + len(kline), kkind, "related"))
                    block_keys |= keys_of(kline)
                i = j + (1 if follower is not None else 0)
                continue
        if mode == "related":
            p_keys = keys_of(line)
            main_keys = main.keys()
            only_main = p_keys & (main_keys - block_keys)
            only_block = p_keys & (block_keys - main_keys)
            # a teaser is a headline and at most one paragraph; a block that has grown longer is a whole
            # other article and only a paragraph clearly about the main story ends it
            continues = starts_with_continuation(line)
            short_block = block_paragraphs <= 1 and continues
            # after teaser headlines with no paragraph of their own, a paragraph that continues ("وبحسب ...")
            # is the main story resuming unless it talks about the teasers' actors
            headlines_only = block_paragraphs == 0 and continues
            if kind == "body" and not only_block and (
                    len(only_main) >= 2 or (short_block and only_main) or headlines_only):
                mode = "main"
            else:
                block_keys |= p_keys
                block_paragraphs += kind == "body"
                paragraphs.append(Paragraph(len(paragraphs), line, off, off + len(line), kind, "related"))
                i += 1
                continue
        main.add(line)
        paragraphs.append(Paragraph(len(paragraphs), line, off, off + len(line), kind, "main"))
        i += 1

    if len(paragraphs) == 1:
        paragraphs[0].kind = "body"  # a one-paragraph text has no title line: it is all body
    n = 0
    for p in paragraphs:
        spans = [(0, len(p.text))] if p.kind != "body" else split_sentences(p.text)
        for a, b in cap_spans(p.text, spans, MAX_SENTENCE_CHARS):
            p.sentences.append(Sentence(n, p.text[a:b].strip(), p.start + a, p.start + b, p.index, p.segment,
                                        p.kind != "body"))
            n += 1
    title = paragraphs[0].text if paragraphs else None
    return Document(text, title, paragraphs, dropped)
