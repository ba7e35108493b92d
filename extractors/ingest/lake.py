"""The Parquet lake: staged and committed batches, and the ingestion ledger read from them.

Layout (docs/DESIGN.md): ``lake/batches/<batch_id>/<table>.parquet`` for every table of
``schemas.LAKE_TABLES``. Work is written under ``lake/_staging/<batch_id>/`` (files fsynced) and becomes
visible by ONE ``os.rename`` of that directory into ``lake/batches/``. Anything left in ``_staging`` by a
crashed run is deleted by ``recover``; its files are not in the ledger, so the next run redoes them.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from extractors.schemas import INGESTIONS_SCHEMA, LAKE_TABLES

INIT_BATCH_ID = "00000000T000000000000Z-init"
BATCHES = "batches"
STAGING = "_staging"

StatKey = tuple[str, int, int]  # (file_path, size_bytes, mtime_ns)


def batches_dir(lake_dir: Path) -> Path:
    return Path(lake_dir) / BATCHES


def staging_dir(lake_dir: Path) -> Path:
    return Path(lake_dir) / STAGING


def new_batch_id(now: datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSSffffffZ-<8 hex>``: sorts by creation time (UTC), unique by its random suffix."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{now:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(4)}"


def empty_table(name: str) -> pa.Table:
    return LAKE_TABLES[name][1].empty_table()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def stage_batch(lake_dir: Path, batch_id: str, tables: dict[str, pa.Table]) -> Path:
    """Write ``tables`` (missing ones empty) as ``_staging/<batch_id>/<name>.parquet``, fsynced; return the dir."""
    unknown = set(tables) - set(LAKE_TABLES)
    if unknown:
        raise ValueError(f"unknown lake tables: {sorted(unknown)}")
    target = staging_dir(lake_dir) / batch_id
    target.mkdir(parents=True, exist_ok=False)
    for name, (_, schema) in LAKE_TABLES.items():
        table = tables.get(name)
        table = schema.empty_table() if table is None else table.select(schema.names).cast(schema)
        _write_parquet(table, target / f"{name}.parquet")
    _fsync_dir(target)
    return target


def commit_batch(lake_dir: Path, batch_id: str) -> Path:
    """Make a staged batch visible: one atomic rename into ``batches/``."""
    source = staging_dir(lake_dir) / batch_id
    target = batches_dir(lake_dir) / batch_id
    batches_dir(lake_dir).mkdir(parents=True, exist_ok=True)
    os.rename(source, target)
    _fsync_dir(target.parent)
    return target


def discard_staged(lake_dir: Path, batch_ids: Iterable[str]) -> None:
    for batch_id in batch_ids:
        shutil.rmtree(staging_dir(lake_dir) / batch_id, ignore_errors=True)


def recover(lake_dir: Path) -> list[str]:
    """Delete leftover staged (uncommitted) batches; return their ids."""
    root = staging_dir(lake_dir)
    if not root.is_dir():
        return []
    removed = sorted(p.name for p in root.iterdir())
    for name in removed:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def init_lake(lake_dir: Path) -> None:
    """Create the lake with its empty init batch (so every table's glob matches) if it is not there."""
    if (batches_dir(lake_dir) / INIT_BATCH_ID).is_dir():
        return
    discard_staged(lake_dir, [INIT_BATCH_ID])
    stage_batch(lake_dir, INIT_BATCH_ID, {})
    commit_batch(lake_dir, INIT_BATCH_ID)


def committed_batches(lake_dir: Path) -> list[str]:
    """Committed batch ids, oldest first (the init batch sorts first)."""
    root = batches_dir(lake_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def lake_head(lake_dir: Path) -> str | None:
    """The newest committed batch id (None for a lake that does not exist yet)."""
    batches = committed_batches(lake_dir)
    return batches[-1] if batches else None


def read_table(lake_dir: Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """All committed rows of lake table ``name`` (Arrow), optionally only some columns."""
    schema = LAKE_TABLES[name][1]
    files = [str(batches_dir(lake_dir) / b / f"{name}.parquet") for b in committed_batches(lake_dir)]
    for f in files:
        if not os.path.exists(f):
            raise LakeDamaged(f"lake file missing from a committed batch: {f} (restore it from a backup, or move "
                              "the whole batch folder out of the lake and re-ingest its files)")
    if not files:
        table = schema.empty_table()
        return table.select(columns) if columns else table
    dataset = ds.dataset(files, format="parquet", schema=schema)
    return dataset.to_table(columns=columns)


class LakeDamaged(RuntimeError):
    """A committed batch lacks one of its table files: the lake is not what the ledger says."""


def check_batches(lake_dir: Path) -> None:
    """Raise ``LakeDamaged`` naming the first missing ``<batch>/<table>.parquet`` of a committed batch."""
    for batch_id in committed_batches(lake_dir):
        for name in LAKE_TABLES:
            path = batches_dir(lake_dir) / batch_id / f"{name}.parquet"
            if not path.is_file():
                raise LakeDamaged(f"lake file missing from a committed batch: {path} (restore it from a backup, or "
                                  "move the whole batch folder out of the lake and re-ingest its files)")


def read_ledger(lake_dir: Path) -> pa.Table:
    """The ingestion ledger: every committed ``ingestions.parquet`` row."""
    return read_table(lake_dir, "ingestions")


@dataclass(frozen=True)
class LedgerIndex:
    """What discovery and commit need from the ledger."""

    seen: dict[StatKey, str] = field(default_factory=dict)  # (path, size, mtime_ns) -> status
    transient: frozenset[StatKey] = frozenset()  # quarantined for a passing reason (permission denied): retried
    sha256: frozenset[str] = frozenset()  # content already processed or recorded as duplicate
    article_ids: frozenset[str] = frozenset()  # articles already in the lake

    def status_of(self, path: str, size_bytes: int, mtime_ns: int) -> str | None:
        return self.seen.get((path, size_bytes, mtime_ns))


TRANSIENT_REASONS = ("unreadable: Permission denied", "read_error: PermissionError")


def is_transient(reason: str | None) -> bool:
    """A quarantine reason that may pass by itself (a permission fixed later): such files are tried again."""
    return bool(reason) and reason.startswith(TRANSIENT_REASONS)


_INDEX_CACHE: dict[tuple[str, tuple[str, ...]], LedgerIndex] = {}


def ledger_index(lake_dir: Path) -> LedgerIndex:
    """Index of the ledger, cached for as long as the set of committed batches does not change."""
    key = (str(Path(lake_dir).absolute()), tuple(committed_batches(lake_dir)))
    cached = _INDEX_CACHE.get(key)
    if cached is not None:
        return cached
    cols = ["file_path", "size_bytes", "mtime_ns", "status", "sha256", "article_id", "reason"]
    table = read_table(lake_dir, "ingestions", cols).to_pydict()
    seen: dict[StatKey, str] = {}
    shas: set[str] = set()
    articles: set[str] = set()
    transient: set[StatKey] = set()
    for path, size, mtime, status, sha, article_id, reason in zip(*(table[c] for c in cols), strict=True):
        seen[(path, size, mtime)] = status
        if status == "quarantined" and is_transient(reason):
            transient.add((path, size, mtime))
        else:
            transient.discard((path, size, mtime))
        if status in ("processed", "duplicate") and sha:
            shas.add(sha)
        if status == "processed" and article_id:
            articles.add(article_id)
    index = LedgerIndex(seen=seen, transient=frozenset(transient), sha256=frozenset(shas),
                        article_ids=frozenset(articles))
    _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = index
    return index


def read_staged(lake_dir: Path, batch_id: str, name: str) -> pa.Table:
    return pq.read_table(staging_dir(lake_dir) / batch_id / f"{name}.parquet", schema=LAKE_TABLES[name][1])


def write_batch_streaming(lake_dir: Path, batch_id: str, parts: dict[str, Iterable[pa.Table]]) -> Path:
    """Stage a batch whose tables arrive as streams of Arrow tables (one Parquet writer per table)."""
    target = staging_dir(lake_dir) / batch_id
    target.mkdir(parents=True, exist_ok=False)
    for name, (_, schema) in LAKE_TABLES.items():
        path = target / f"{name}.parquet"
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            wrote = False
            for part in parts.get(name, ()):
                writer.write_table(part.select(schema.names).cast(schema))
                wrote = True
            if not wrote:
                writer.write_table(schema.empty_table())
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(target)
    return target


__all__ = [
    "INGESTIONS_SCHEMA", "INIT_BATCH_ID", "LedgerIndex", "batches_dir", "commit_batch", "committed_batches",
    "discard_staged", "empty_table", "init_lake", "lake_head", "ledger_index", "new_batch_id", "read_ledger",
    "read_staged", "read_table", "recover", "stage_batch", "staging_dir", "write_batch_streaming",
]
