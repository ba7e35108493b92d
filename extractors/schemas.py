"""Data shapes, declared once: row dataclasses and the pyarrow schemas of the lake tables.

Every lake table is a list of dataclass rows turned into an Arrow table with ``to_table``.
The dbt sources read exactly these columns; ``tests/test_schemas.py`` keeps both in step.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

import pyarrow as pa
import regex

SEGMENTS = ("main", "related")

ITEM_CATEGORIES = (
    "drones", "combat_aircraft", "helicopters", "trainer_aircraft", "ballistic_missiles", "missiles",
    "air_defense", "radars", "ammunition", "armored_vehicles", "artillery", "naval_vessels", "electronics",
    "technology",
    "raw_materials", "military_equipment", "weapons",
)
TRANSFER_STATUSES = ("delivered", "ongoing", "planned", "considered", "sought", "offered", "intercepted", "denied")
EVENT_TYPES = (
    "meeting", "visit", "phone_call", "agreement", "sanctions", "aid_package", "attack", "interception",
    "publication", "production", "training", "ceasefire", "inauguration", "invasion", "denial",
)
DATE_GRANULARITIES = ("day", "week", "month", "year")
PUBLISHED_DATE_SOURCES = ("sidecar", "text", "url")
INGESTION_STATUSES = ("processed", "duplicate", "quarantined")
CLUSTER_KINDS = ("story", "deal", "event")  # what a `clusters` lake row groups: articles, transfer or event rows

_BLANK_RUNS: Final = re.compile(r"\n{3,}")
# Stream-Safe Text Format (Unicode UAX #15, section 13): after 30 combining marks in a row a COMBINING
# GRAPHEME JOINER (U+034F, a starter) is inserted. Canonical reordering sorts each run of marks, and
# CPython's NFC sorts by insertion (quadratic in the run): one letter carrying 400,000 marks would never
# finish. Real text never has more than a few marks on a letter, so it is untouched.
STREAM_SAFE_MAX_MARKS = 30
_LONG_MARK_RUN: Final = regex.compile(r"\p{M}{" + str(STREAM_SAFE_MAX_MARKS) + r"}(?=\p{M})")


def safe_nfc(text: str) -> str:
    """NFC of the Stream-Safe form of ``text``: linear time whatever runs of combining marks it holds."""
    return unicodedata.normalize("NFC", _LONG_MARK_RUN.sub(lambda m: m.group(0) + "\u034f", text))


@dataclass(frozen=True)
class Sidecar:
    """What ``NAME.meta.json`` beside an article may say about it (every key optional; see ingest.reading)."""

    url: str | None = None
    published_at: str | None = None
    source_name: str | None = None
    language: str | None = None


def normalise_for_id(text: str) -> str:
    """Canonical content: NFC, no BOM, LF endings, no trailing spaces on lines, blank-line runs collapsed, stripped."""
    text = safe_nfc(text.lstrip("\ufeff"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if "\n\n\n" in text:  # a C-level substring search; the pattern's scan costs ~70 instructions a character
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def content_article_id(text: str) -> str:
    """Stable article id: first 16 hex chars of sha256 of the normalised content (same across encodings/EOLs)."""
    return hashlib.sha256(normalise_for_id(text).encode("utf-8")).hexdigest()[:16]




@dataclass
class ArticleRow:
    article_id: str
    source_file: str
    title: str | None
    published_date: date | None
    published_date_source: str | None
    source_name: str | None
    url: str | None
    char_count: int
    ingested_at: datetime
    extractor_version: str
    sha256: str
    encoding: str
    main_char_count: int
    related_segment_count: int
    warnings: list[str] = field(default_factory=list)
    batch_id: str = ""


@dataclass
class TransferRow:
    row_id: str
    article_id: str
    supplier_id: str
    recipient_id: str
    item_category: str
    item_text: str
    item_model: str | None
    quantity_min: int | None
    quantity_max: int | None
    quantity_unit: str | None
    status: str
    time_text: str | None
    segment: str
    sentence_index: int
    evidence_text: str
    confidence: float
    rule: str
    batch_id: str = ""


@dataclass
class StatementRow:
    row_id: str
    article_id: str
    speaker_name: str | None
    speaker_role: str | None
    speaker_actor_id: str | None
    reporting_verb: str
    quote_text: str
    is_direct: bool
    date_text: str | None
    statement_date: date | None
    segment: str
    sentence_index: int
    evidence_text: str
    confidence: float
    rule: str
    batch_id: str = ""


@dataclass
class EventRow:
    row_id: str
    article_id: str
    event_type: str
    actor_ids: list[str]
    location_text: str | None
    date_text: str | None
    event_date: date | None
    date_granularity: str | None
    segment: str
    sentence_index: int
    evidence_text: str
    confidence: float
    rule: str
    batch_id: str = ""


@dataclass
class IngestionRow:
    file_name: str
    file_path: str
    sha256: str
    size_bytes: int
    mtime_ns: int
    status: str
    reason: str | None
    article_id: str | None
    duplicate_of: str | None
    run_id: str
    batch_id: str
    ingested_at: datetime


@dataclass
class FingerprintRow:
    """An article's near-duplicate fingerprint and credited agency (ingest/stories.py)."""

    article_id: str
    minhash: bytes
    bands: list[int]
    n_shingles: int
    origin: str | None
    batch_id: str = ""


@dataclass
class ClusterRow:
    """One member's cluster, assigned once when its batch is committed (ingest/register.py) and never changed:
    a story (member = article_id), a deal (member = transfer row_id) or an event (member = event row_id)."""

    kind: str
    member_id: str
    cluster_id: str
    matched_id: str | None
    score: float | None
    batch_id: str = ""


_TS = pa.timestamp("us", tz="UTC")

ARTICLES_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("source_file", pa.string()), ("title", pa.string()),
    ("published_date", pa.date32()), ("published_date_source", pa.string()), ("source_name", pa.string()),
    ("url", pa.string()), ("char_count", pa.int64()), ("ingested_at", _TS), ("extractor_version", pa.string()),
    ("sha256", pa.string()), ("encoding", pa.string()), ("main_char_count", pa.int64()),
    ("related_segment_count", pa.int64()), ("warnings", pa.list_(pa.string())), ("batch_id", pa.string()),
])
TRANSFERS_SCHEMA = pa.schema([
    ("row_id", pa.string()), ("article_id", pa.string()), ("supplier_id", pa.string()), ("recipient_id", pa.string()),
    ("item_category", pa.string()), ("item_text", pa.string()), ("item_model", pa.string()),
    ("quantity_min", pa.int64()), ("quantity_max", pa.int64()), ("quantity_unit", pa.string()),
    ("status", pa.string()), ("time_text", pa.string()), ("segment", pa.string()), ("sentence_index", pa.int64()),
    ("evidence_text", pa.string()), ("confidence", pa.float64()), ("rule", pa.string()), ("batch_id", pa.string()),
])
STATEMENTS_SCHEMA = pa.schema([
    ("row_id", pa.string()), ("article_id", pa.string()), ("speaker_name", pa.string()),
    ("speaker_role", pa.string()), ("speaker_actor_id", pa.string()), ("reporting_verb", pa.string()),
    ("quote_text", pa.string()), ("is_direct", pa.bool_()), ("date_text", pa.string()),
    ("statement_date", pa.date32()), ("segment", pa.string()), ("sentence_index", pa.int64()),
    ("evidence_text", pa.string()), ("confidence", pa.float64()), ("rule", pa.string()), ("batch_id", pa.string()),
])
EVENTS_SCHEMA = pa.schema([
    ("row_id", pa.string()), ("article_id", pa.string()), ("event_type", pa.string()),
    ("actor_ids", pa.list_(pa.string())), ("location_text", pa.string()), ("date_text", pa.string()),
    ("event_date", pa.date32()), ("date_granularity", pa.string()), ("segment", pa.string()),
    ("sentence_index", pa.int64()), ("evidence_text", pa.string()), ("confidence", pa.float64()),
    ("rule", pa.string()), ("batch_id", pa.string()),
])
INGESTIONS_SCHEMA = pa.schema([
    ("file_name", pa.string()), ("file_path", pa.string()), ("sha256", pa.string()), ("size_bytes", pa.int64()),
    ("mtime_ns", pa.int64()), ("status", pa.string()), ("reason", pa.string()), ("article_id", pa.string()),
    ("duplicate_of", pa.string()), ("run_id", pa.string()), ("batch_id", pa.string()), ("ingested_at", _TS),
])
FINGERPRINTS_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("minhash", pa.binary()), ("bands", pa.list_(pa.int64())),
    ("n_shingles", pa.int64()), ("origin", pa.string()), ("batch_id", pa.string()),
])
CLUSTERS_SCHEMA = pa.schema([
    ("kind", pa.string()), ("member_id", pa.string()), ("cluster_id", pa.string()), ("matched_id", pa.string()),
    ("score", pa.float64()), ("batch_id", pa.string()),
])


def row_id(article_id: str, sentence_index: int, *parts: str) -> str:
    """Stable key of a fact row: the article, the sentence and what identifies the row within it."""
    return hashlib.sha256("|".join([article_id, str(sentence_index), *parts]).encode()).hexdigest()[:20]


# lake table name -> (row class, schema)
LAKE_TABLES: Final[dict[str, tuple[type, pa.Schema]]] = {
    "articles": (ArticleRow, ARTICLES_SCHEMA),
    "transfers": (TransferRow, TRANSFERS_SCHEMA),
    "statements": (StatementRow, STATEMENTS_SCHEMA),
    "events": (EventRow, EVENTS_SCHEMA),
    "ingestions": (IngestionRow, INGESTIONS_SCHEMA),
    "fingerprints": (FingerprintRow, FINGERPRINTS_SCHEMA),
    "clusters": (ClusterRow, CLUSTERS_SCHEMA),
}


def to_table(name: str, rows: list) -> pa.Table:
    """Turn dataclass rows of lake table ``name`` into an Arrow table with its declared schema."""
    cls, schema = LAKE_TABLES[name]
    for row in rows:
        if not isinstance(row, cls):
            raise TypeError(f"{name}: expected {cls.__name__}, got {type(row).__name__}")
    # getattr per field, not dataclasses.asdict: asdict deep-copies every row (18x slower on big batches)
    cols = {f.name: [getattr(row, f.name) for row in rows] for f in schema}
    return pa.Table.from_pydict(cols, schema=schema)


@dataclass
class ArticleExtraction:
    """Everything one article yields."""

    article: ArticleRow
    transfers: list[TransferRow] = field(default_factory=list)
    statements: list[StatementRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    fingerprint: FingerprintRow | None = None
