"""One article in, its rows out: segmentation, then transfers, statements and events per sentence."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from extractors import EXTRACTOR_VERSION
from extractors.facts.context import SentenceView
from extractors.facts.events import deduplicate_events, extract_events
from extractors.facts.statements import StatementState, extract_statements
from extractors.facts.transfers import extract_transfers, headline_transfers
from extractors.mentions.actors import actor_keys, actor_type
from extractors.mentions.pubdate import find_publication_date, is_date_line
from extractors.schemas import ArticleExtraction, ArticleRow, Sidecar, content_article_id
from extractors.text.segments import segment_document, split_sentences
from extractors.text.tokens import sentence_tokens

# Invisible format characters: zero-width space/non-joiner/joiner, LRM/RLM, bidi embeddings, isolates and
# overrides, word joiner, BOM. Soft hyphen too. None of them is part of a word a lexicon lists.
_INVISIBLE: Final = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _keys_of(line: str) -> set[str]:
    """Topic keys of a line, computed sentence by sentence so extraction reuses the same token lists."""
    keys: set[str] = set()
    for a, b in split_sentences(line):
        keys |= actor_keys(sentence_tokens(line[a:b].strip()))
    return keys


def extract_article(
    text: str,
    *,
    source_file: str,
    sidecar: Sidecar | None = None,
    sha256: str = "",
    encoding: str = "utf-8",
    ingested_at: datetime | None = None,
    batch_id: str = "",
    warnings: Iterable[str] = (),
    article_id: str | None = None,
) -> ArticleExtraction:
    """All rows one article yields. ``text`` is the decoded article (see ``reading.read_article_file``);
    ``article_id``, when the caller already has it, must be ``content_article_id(text)``."""
    ingested_at = ingested_at or datetime.now().astimezone()
    sentence_tokens.cache_clear()  # reuse is only within one article
    article_id = article_id or content_article_id(text)  # of the text as given
    char_count = len(text)
    if _INVISIBLE.search(text):  # scraped pages carry ZWNJ/ZWJ/RLM/LRM inside and between words: matching
        text = _INVISIBLE.sub("", text)  # ignores them, as a reader does (rows quote the text without them)
    pub, pub_source = find_publication_date(text, sidecar.published_at if sidecar else None,
                                            sidecar.url if sidecar else None)
    doc = segment_document(text, _keys_of, is_date_line)
    out = ArticleExtraction(article=ArticleRow(
        article_id=article_id, source_file=source_file, title=doc.title, published_date=pub,
        published_date_source=pub_source, source_name=sidecar.source_name if sidecar else None,
        url=sidecar.url if sidecar else None, char_count=char_count, ingested_at=ingested_at,
        extractor_version=EXTRACTOR_VERSION, sha256=sha256, encoding=encoding,
        main_char_count=sum(len(p.text) for p in doc.paragraphs if p.segment == "main"),
        related_segment_count=doc.related_blocks, warnings=list(warnings), batch_id=batch_id,
    ))
    state = StatementState()
    flow: dict = {}
    article_flows: dict = {}
    article_by_supplier: dict = {}
    carried: dict = {}  # the article's last transfer frame: a package itemised sentences later (transfers.py)
    last_paragraph, last_segment = -1, "main"
    headline_sentences: set[int] = set()
    events = []
    views = [SentenceView(s, pub if s.segment == "main" else None) for s in doc.sentences]
    strong = frozenset(a.actor_id for v in views for a in v.actors if not a.is_weak and a.kind != "person")
    group_id: str | None = None
    for view in views:
        sentence = view.sentence
        view.context_ids, view.group_id = strong, group_id
        view.speaker_id = next((r.speaker_actor_id for r in reversed(out.statements) if r.speaker_actor_id), None)
        if sentence.paragraph != last_paragraph:
            flow = {"article": article_flows, "article_by_supplier": article_by_supplier, "carried": carried}
            last_paragraph = sentence.paragraph
        if sentence.segment != last_segment:
            state.last = None
            last_segment = sentence.segment
        if sentence.is_headline or sentence.index == 0:  # the first line is the title even with a full stop
            headline_sentences.add(sentence.index)
        out.transfers.extend(extract_transfers(view, article_id, flow))
        out.statements.extend(extract_statements(view, article_id, state))
        events.extend(extract_events(view, article_id))
        for d in view.dates_if_found():  # only where an extractor needed the dates
            if d.warning and sentence.segment == "main":
                out.article.warnings.append(f"date_warning: {d.warning} ({d.text})")
        groups = [a.actor_id for a in view.party_actors if actor_type(a.actor_id) == "armed_group"]
        group_id = groups[-1] if groups else group_id
    out.transfers.extend(headline_transfers(flow))  # headline rows whose other party the body names
    out.events = deduplicate_events(events, headline_sentences)
    for rows in (out.transfers, out.statements, out.events):
        for r in rows:
            r.batch_id = batch_id
    return out
