"""The lake's commit protocol: init batch, staging invisible until one rename, recover, sortable batch ids."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq

from extractors.ingest import lake
from extractors.schemas import LAKE_TABLES, IngestionRow, to_table


def _ingestion(path: str, status: str = "processed", article_id: str | None = "a1", sha: str = "s1") -> IngestionRow:
    return IngestionRow(
        file_name=path.rsplit("/", 1)[-1], file_path=path, sha256=sha, size_bytes=10, mtime_ns=123, status=status,
        reason=None, article_id=article_id, duplicate_of=None, run_id="run-x", batch_id="b",
        ingested_at=datetime.now(UTC),
    )


def test_init_lake_writes_empty_tables_with_schemas(tmp_path):
    lake.init_lake(tmp_path)
    init = tmp_path / "batches" / lake.INIT_BATCH_ID
    for name, (_, schema) in LAKE_TABLES.items():
        table = pq.read_table(init / f"{name}.parquet")
        assert table.num_rows == 0
        assert table.schema.equals(schema, check_metadata=False)
    lake.init_lake(tmp_path)  # idempotent
    assert lake.committed_batches(tmp_path) == [lake.INIT_BATCH_ID]
    assert lake.ledger_index(tmp_path).seen == {}


def test_staged_batch_is_invisible_until_committed(tmp_path):
    lake.init_lake(tmp_path)
    batch_id = lake.new_batch_id()
    lake.stage_batch(tmp_path, batch_id, {"ingestions": to_table("ingestions", [_ingestion("/in/a.txt")])})
    assert lake.ledger_index(tmp_path).status_of("/in/a.txt", 10, 123) is None
    assert lake.read_ledger(tmp_path).num_rows == 0

    lake.commit_batch(tmp_path, batch_id)
    index = lake.ledger_index(tmp_path)
    assert index.status_of("/in/a.txt", 10, 123) == "processed"
    assert index.article_ids == {"a1"}
    assert index.sha256 == {"s1"}
    assert not (tmp_path / "_staging" / batch_id).exists()
    assert lake.lake_head(tmp_path) == batch_id


def test_recover_removes_uncommitted_work_only(tmp_path):
    lake.init_lake(tmp_path)
    kept = lake.new_batch_id()
    lake.stage_batch(tmp_path, kept, {"ingestions": to_table("ingestions", [_ingestion("/in/a.txt")])})
    lake.commit_batch(tmp_path, kept)
    crashed = lake.new_batch_id()
    lake.stage_batch(tmp_path, crashed, {"ingestions": to_table("ingestions", [_ingestion("/in/b.txt")])})

    assert lake.recover(tmp_path) == [crashed]
    assert list((tmp_path / "_staging").iterdir()) == []
    assert lake.committed_batches(tmp_path) == [lake.INIT_BATCH_ID, kept]
    assert lake.ledger_index(tmp_path).status_of("/in/b.txt", 10, 123) is None


def test_quarantined_and_duplicate_rows_do_not_count_as_articles(tmp_path):
    lake.init_lake(tmp_path)
    batch_id = lake.new_batch_id()
    rows = [_ingestion("/in/a.txt"), _ingestion("/in/b.txt", "duplicate", None),
            _ingestion("/in/c.txt", "quarantined", None, sha="s3")]
    lake.stage_batch(tmp_path, batch_id, {"ingestions": to_table("ingestions", rows)})
    lake.commit_batch(tmp_path, batch_id)
    index = lake.ledger_index(tmp_path)
    assert index.article_ids == {"a1"}
    assert "s3" not in index.sha256
    assert index.status_of("/in/c.txt", 10, 123) == "quarantined"


def test_batch_ids_sort_by_time_and_are_unique():
    t0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    ids = [lake.new_batch_id(t0 + timedelta(microseconds=k * 37_000_001)) for k in range(50)]
    assert sorted(ids) == ids
    assert ids[0].startswith("20240506T070809123456Z-")
    live = []
    for _ in range(5):
        live.append(lake.new_batch_id())
        time.sleep(0.001)
    assert sorted(live) == live and len(set(live)) == 5
    assert lake.INIT_BATCH_ID < ids[0]


def test_stage_batch_refuses_unknown_table(tmp_path):
    import pytest

    with pytest.raises(ValueError):
        lake.stage_batch(tmp_path, lake.new_batch_id(), {"nope": to_table("ingestions", [])})
