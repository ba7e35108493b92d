"""End-to-end tests of the dbt project and ``extractors.ingest.warehouse`` on a small hand-made lake."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from extractors import schemas
from extractors.ingest.warehouse import MARTS, WarehouseBuildError, build_warehouse, dbt_project_dir, warehouse_counts
from extractors.schemas import ArticleRow, EventRow, IngestionRow, StatementRow, TransferRow, to_table

PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
INIT_BATCH = "00000000T000000000000Z-init"
BATCH_1 = "20250301T100000000000Z-aaaaaaaa"
BATCH_2 = "20250302T100000000000Z-bbbbbbbb"
BATCH_3 = "20250303T100000000000Z-cccccccc"
TS = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)

# A test lexicon of our own, so the tests do not depend on the real one's content.
TEST_ACTORS = (
    "actor_id,name_ar,name_en,actor_type,parent_id\n"
    "IRN,إيران,Iran,state,\n"
    "RUS,روسيا,Russia,state,\n"
    "UKR,أوكرانيا,Ukraine,state,\n"
    "USA,الولايات المتحدة,United States,state,\n"
)

CONTRACT_COLUMNS = {
    "dim_articles": {"article_id", "source_file", "title", "published_date", "published_date_source",
                     "source_name", "url", "char_count", "ingested_at", "extractor_version"},
    "fct_transfers": {"article_id", "supplier_id", "recipient_id", "item_category", "item_text", "item_model",
                      "quantity_min", "quantity_max", "quantity_unit", "status", "time_text", "segment",
                      "sentence_index", "evidence_text", "row_id", "confidence", "rule", "batch_id",
                      "published_date"},
    "fct_statements": {"article_id", "speaker_name", "speaker_role", "speaker_actor_id", "reporting_verb",
                       "quote_text", "is_direct", "date_text", "statement_date", "segment", "sentence_index",
                       "evidence_text", "row_id", "confidence", "rule"},
    "fct_events": {"article_id", "event_type", "actor_ids", "location_text", "date_text", "event_date",
                   "date_granularity", "segment", "sentence_index", "evidence_text", "row_id", "confidence", "rule"},
    "fct_file_ingestions": {"file_name", "sha256", "size_bytes", "status", "reason", "article_id", "run_id",
                            "ingested_at", "duplicate_of", "file_path", "batch_id"},
    "dim_actors": {"actor_id", "name_ar", "name_en", "actor_type", "parent_id"},
    "fct_transfer_flows": {"supplier_id", "recipient_id", "item_category", "status", "n_rows", "n_articles",
                           "first_published_date", "last_published_date"},
    "fct_transfer_deals": {"deal_id", "supplier_id", "recipient_id", "item_category", "item_models", "first_reported",
                           "last_reported", "n_mentions", "n_articles", "n_outlets", "n_origins", "latest_status",
                           "status_history", "quantity_low", "quantity_best", "quantity_high", "claimed_by",
                           "denied_by", "contested", "confidence", "mention_row_ids"},
    "fct_event_clusters": {"cluster_id", "event_type", "actor_ids", "event_date", "first_reported", "n_mentions",
                           "n_outlets", "n_origins", "mention_row_ids"},
    "fct_claims": {"claim_id", "mention_table", "row_id", "cluster_id", "polarity", "claimant_actor_id",
                   "statement_row_id"},
}


# --- lake helpers ------------------------------------------------------------------------------

def write_batch(lake: Path, batch_id: str, **rows: list) -> None:
    """Write one committed batch: every lake table, empty unless rows are given."""
    folder = lake / "batches" / batch_id
    folder.mkdir(parents=True)
    for name in schemas.LAKE_TABLES:
        pq.write_table(to_table(name, rows.get(name, [])), folder / f"{name}.parquet")


def article(aid: str, batch: str, *, title: str = "عنوان", published: date | None = date(2025, 2, 20)) -> ArticleRow:
    return ArticleRow(
        article_id=aid, source_file=f"{aid}.txt", title=title, published_date=published,
        published_date_source="sidecar" if published else None, source_name="صحيفة المثال", url=None,
        char_count=420, ingested_at=TS, extractor_version="test", sha256=f"sha-{aid}", encoding="utf-8",
        main_char_count=400, related_segment_count=0, warnings=[], batch_id=batch,
    )


def transfer(rid: str, aid: str, batch: str, supplier: str, recipient: str, *,
             category: str = "drones", qmin: int | None = None, qmax: int | None = None) -> TransferRow:
    return TransferRow(
        row_id=rid, article_id=aid, supplier_id=supplier, recipient_id=recipient, item_category=category,
        item_text="طائرات مسيرة", item_model=None, quantity_min=qmin, quantity_max=qmax,
        quantity_unit="unit" if qmin or qmax else None, status="delivered", time_text=None, segment="main",
        sentence_index=1, evidence_text="أرسلت الدولة الأولى طائرات مسيرة إلى الدولة الثانية.", confidence=0.8,
        rule="verb_delivered", batch_id=batch,
    )


def statement(rid: str, aid: str, batch: str) -> StatementRow:
    return StatementRow(
        row_id=rid, article_id=aid, speaker_name="سمير الحداد", speaker_role="المتحدث باسم الوزارة",
        speaker_actor_id="UKR", reporting_verb="قال", quote_text="لن نقبل بذلك", is_direct=True,
        date_text="الجمعة", statement_date=date(2025, 2, 14), segment="main", sentence_index=2,
        evidence_text='وقال سمير الحداد "لن نقبل بذلك".', confidence=0.9, rule="verb_quote", batch_id=batch,
    )


def event(rid: str, aid: str, batch: str, actors: list[str], *, when: date | None = date(2025, 2, 1),
          granularity: str | None = "month", kind: str = "meeting") -> EventRow:
    return EventRow(
        row_id=rid, article_id=aid, event_type=kind, actor_ids=actors, location_text="العاصمة",
        date_text="الشهر الماضي", event_date=when, date_granularity=granularity, segment="main",
        sentence_index=3, evidence_text="والتقى الوفدان الشهر الماضي في العاصمة.", confidence=0.7,
        rule="trigger_meeting", batch_id=batch,
    )


def ingestion(name: str, batch: str, status: str, aid: str | None, *, duplicate_of: str | None = None,
              reason: str | None = None) -> IngestionRow:
    return IngestionRow(
        file_name=name, file_path=f"/inbox/{name}", sha256=f"sha-{aid or name}", size_bytes=1234,
        mtime_ns=1_700_000_000_000_000_000, status=status, reason=reason, article_id=aid,
        duplicate_of=duplicate_of, run_id="run-1", batch_id=batch, ingested_at=TS,
    )


def first_batch() -> dict[str, list]:
    return {
        "articles": [article("a1", BATCH_1), article("a2", BATCH_1, published=None)],
        "transfers": [
            transfer("t1", "a1", BATCH_1, "IRN", "RUS", qmin=200, qmax=999),
            transfer("t2", "a2", BATCH_1, "wagner_group", "RUS", category="ammunition"),
        ],
        "statements": [statement("s1", "a1", BATCH_1)],
        "events": [
            event("e1", "a1", BATCH_1, ["IRN", "RUS"]),
            event("e2", "a2", BATCH_1, ["USA", "houthis"], when=date(2025, 1, 1), granularity="year", kind="attack"),
        ],
        "ingestions": [
            ingestion("a1.txt", BATCH_1, "processed", "a1"),
            ingestion("a2.txt", BATCH_1, "processed", "a2"),
            ingestion("a1-copy.txt", BATCH_1, "duplicate", None, duplicate_of="a1"),
            ingestion("broken.txt", BATCH_1, "quarantined", None, reason="empty"),
        ],
    }


@pytest.fixture()
def dbt_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the dbt project with the test lexicon as its actors seed."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("target", "logs", "actors.csv"))
    (copy / "seeds" / "actors.csv").write_text(TEST_ACTORS, encoding="utf-8")
    monkeypatch.setenv("MIRSAD_DBT_PROJECT", str(copy))
    return copy


@pytest.fixture()
def lake(tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    write_batch(lake, INIT_BATCH)
    write_batch(lake, BATCH_1, **first_batch())
    return lake


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- tests -------------------------------------------------------------------------------------

def test_accepted_values_match_schema_vocabularies() -> None:
    marts = yaml.safe_load((PROJECT / "models" / "marts" / "_marts.yml").read_text(encoding="utf-8"))
    accepted: dict[tuple[str, str], list[str]] = {}
    for model in marts["models"]:
        for column in model.get("columns", []):
            for test in column.get("data_tests", []):
                if isinstance(test, dict) and "accepted_values" in test:
                    accepted[(model["name"], column["name"])] = test["accepted_values"]["arguments"]["values"]
    assert accepted[("fct_transfers", "item_category")] == list(schemas.ITEM_CATEGORIES)
    assert accepted[("fct_transfers", "status")] == list(schemas.TRANSFER_STATUSES)
    assert accepted[("fct_events", "event_type")] == list(schemas.EVENT_TYPES)
    assert accepted[("fct_events", "date_granularity")] == list(schemas.DATE_GRANULARITIES)
    assert accepted[("dim_articles", "published_date_source")] == list(schemas.PUBLISHED_DATE_SOURCES)
    assert accepted[("fct_file_ingestions", "status")] == list(schemas.INGESTION_STATUSES)
    for table in ("fct_transfers", "fct_statements", "fct_events"):
        assert accepted[(table, "segment")] == list(schemas.SEGMENTS)


def test_project_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MIRSAD_DBT_PROJECT", raising=False)
    assert dbt_project_dir() == PROJECT
    monkeypatch.setenv("MIRSAD_DBT_PROJECT", str(tmp_path))
    assert dbt_project_dir() == tmp_path.resolve()


@pytest.mark.slow
def test_parse_has_no_warnings(dbt_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("MIRSAD_LAKE_DIR", str(tmp_path / "lake"))
    monkeypatch.setenv("MIRSAD_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    warnings: list[str] = []

    def collect(event) -> None:
        if event.info.level in ("warn", "error"):
            warnings.append(f"{event.info.name}: {event.info.msg}")

    result = dbtRunner(callbacks=[collect]).invoke([
        "parse", "--project-dir", str(dbt_project), "--profiles-dir", str(dbt_project),
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
    ])
    assert result.success
    assert warnings == []


@pytest.mark.slow
def test_build_creates_marts_with_contract_columns(dbt_project: Path, lake: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    result = build_warehouse(lake, warehouse, docs_dir=tmp_path / "docs")

    assert result.ok and result.failures == []
    assert result.n_models >= len(MARTS) and result.n_tests > 30
    assert warehouse_counts(warehouse) == {
        "dim_articles": 2, "dim_actors": 6, "fct_transfers": 2, "fct_statements": 1, "fct_events": 2,
        "fct_file_ingestions": 4, "fct_transfer_flows": 2, "fct_claims": 4, "fct_transfer_deals": 2,
        "fct_event_clusters": 2,
    }
    for mart, expected in CONTRACT_COLUMNS.items():
        columns = {name for (name,) in query(warehouse, f"select column_name from information_schema.columns "
                                                        f"where table_name = '{mart}'")}
        assert expected <= columns, (mart, expected - columns)
    types = dict(query(warehouse, "select column_name, data_type from information_schema.columns "
                                  "where table_name = 'fct_events'"))
    assert types["actor_ids"] == "VARCHAR[]" and types["event_date"] == "DATE"
    # actors referenced by facts but absent from the lexicon are added as 'unknown'
    assert query(warehouse, "select actor_id, actor_type from dim_actors where not is_in_lexicon order by 1") == [
        ("houthis", "unknown"), ("wagner_group", "unknown")]
    assert query(warehouse, "select published_date from fct_transfers where row_id = 't1'") == [(date(2025, 2, 20),)]
    # no build leftovers; the docs site is one static page
    assert not warehouse.with_name(warehouse.name + ".building").exists()
    assert result.docs_path is not None and "fct_transfer_flows" in result.docs_path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_second_build_loads_only_new_batches(dbt_project: Path, lake: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(lake, warehouse)
    # mark an existing row: an incremental build keeps it, a full rebuild would not
    con = duckdb.connect(str(warehouse))
    con.execute("update fct_transfers set item_text = 'marker' where row_id = 't1'")
    con.close()

    write_batch(lake, BATCH_2,
                articles=[article("a3", BATCH_2, title="خبر جديد")],
                transfers=[transfer("t3", "a3", BATCH_2, "RUS", "IRN", category="combat_aircraft"),
                           transfer("t2", "a2", BATCH_2, "wagner_group", "RUS", category="weapons")],
                ingestions=[ingestion("a3.txt", BATCH_2, "processed", "a3")])
    build_warehouse(lake, warehouse)

    counts = warehouse_counts(warehouse)
    assert counts["fct_transfers"] == 3 and counts["dim_articles"] == 3 and counts["fct_file_ingestions"] == 5
    rows = dict(query(warehouse, "select row_id, item_text || ':' || item_category || ':' || batch_id "
                                 "from fct_transfers"))
    assert rows["t1"].startswith("marker:")                      # untouched: not rebuilt
    assert rows["t2"] == f"طائرات مسيرة:weapons:{BATCH_2}"         # re-delivered row replaced
    assert rows["t3"].endswith(BATCH_2)

    build_warehouse(lake, warehouse, full_refresh=True)
    assert query(warehouse, "select item_text from fct_transfers where row_id = 't1'") == [("طائرات مسيرة",)]
    # one load holding both batches keeps only the latest row of t2 (and its references)
    assert query(warehouse, "select item_category, batch_id from fct_transfers where row_id = 't2'") == [
        ("weapons", BATCH_2)]
    assert query(warehouse, "select count(*) from int_actor_references where row_id = 't2'") == [(2,)]
    assert query(warehouse, "select count(*) from stg_transfers where row_id = 't2'") == [(2,)]  # the lake's rows


@pytest.mark.slow
def test_incremental_intermediates_add_only_new_batches(dbt_project: Path, lake: Path, tmp_path: Path) -> None:
    """int_event_actors and int_actor_references are incremental tables: a build unnests and unions only the
    new batches (an old row is left as it is), and a fact row re-delivered replaces its earlier rows."""
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(lake, warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("update int_event_actors set segment = 'marker' where row_id = 'e1'")
    con.execute("update int_actor_references set article_id = 'marker' where row_id = 's1'")
    con.close()

    write_batch(lake, BATCH_2,
                articles=[article("a3", BATCH_2)],
                transfers=[transfer("t2", "a2", BATCH_2, "IRN", "UKR")],  # t2 re-delivered: new parties
                events=[event("e3", "a3", BATCH_2, ["UKR", "USA", "UKR"])],
                ingestions=[ingestion("a3.txt", BATCH_2, "processed", "a3")])
    build_warehouse(lake, warehouse)

    assert set(query(warehouse, "select segment from int_event_actors where row_id = 'e1'")) == {("marker",)}
    assert query(warehouse, "select article_id from int_actor_references where row_id = 's1'") == [("marker",)]
    assert query(warehouse, "select actor_id, actor_position from int_event_actors where row_id = 'e3' "
                            "order by actor_position") == [("UKR", 1), ("USA", 2)]
    assert query(warehouse, "select role, actor_id, batch_id from int_actor_references where row_id = 't2' "
                            "order by role") == [("recipient", "UKR", BATCH_2), ("supplier", "IRN", BATCH_2)]
    # wagner_group (not in the lexicon) was referenced only by the old t2: no longer an actor
    assert query(warehouse, "select count(*) from dim_actors where actor_id = 'wagner_group'") == [(0,)]
    # UKR: speaker of s1 (a1), recipient of t2 (a2), in e3 once (a3)
    assert query(warehouse, "select n_references, n_articles from dim_actors where actor_id = 'UKR'") == [(3, 3)]


@pytest.mark.slow
def test_seeds_load_only_when_their_files_change(dbt_project: Path, lake: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    assert build_warehouse(lake, warehouse).seeded
    write_batch(lake, BATCH_2, articles=[article("a3", BATCH_2)],
                ingestions=[ingestion("a3.txt", BATCH_2, "processed", "a3")])
    second = build_warehouse(lake, warehouse)
    assert not second.seeded and second.ok
    assert query(warehouse, "select count(*) from actors") == [(4,)]

    seed = dbt_project / "seeds" / "actors.csv"
    seed.write_text(seed.read_text(encoding="utf-8") + "houthis,الحوثيون,Houthis,armed_group,YEM\n", encoding="utf-8")
    third = build_warehouse(lake, warehouse)
    assert third.seeded
    assert query(warehouse, "select actor_type, is_in_lexicon from dim_actors where actor_id = 'houthis'") == [
        ("armed_group", True)]
    assert build_warehouse(lake, warehouse, full_refresh=True).seeded


@pytest.mark.slow
def test_views_recreated_only_when_project_or_lake_place_changes(dbt_project: Path, lake: Path,
                                                                  tmp_path: Path) -> None:
    """The staging views are SQL over the lake: a build with new rows keeps them (their tests still run on
    the new rows); a changed project file or a moved lake re-creates them."""
    warehouse = tmp_path / "warehouse.duckdb"
    first = build_warehouse(lake, warehouse)
    assert first.views_rebuilt
    con = duckdb.connect(str(warehouse))  # a view a re-creation would overwrite, keeping the stamp
    stamp = con.execute("select comment from duckdb_views() where view_name = 'stg_articles'").fetchone()[0]
    con.execute("create or replace view stg_articles as select *, 'kept' as marker from "
                f"read_parquet('{lake}/batches/*/articles.parquet', union_by_name = true)")
    con.execute(f"comment on view stg_articles is '{stamp}'")
    con.close()

    write_batch(lake, BATCH_2, articles=[article("a3", BATCH_2)],
                ingestions=[ingestion("a3.txt", BATCH_2, "processed", "a3")])
    second = build_warehouse(lake, warehouse)
    assert not second.views_rebuilt and second.n_tests == first.n_tests
    assert second.n_models == first.n_models - 7  # the 7 staging views
    assert query(warehouse, "select distinct marker from stg_articles") == [("kept",)]
    assert warehouse_counts(warehouse)["dim_articles"] == 3

    yml = dbt_project / "models" / "staging" / "_staging.yml"
    yml.write_text(yml.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert build_warehouse(lake, warehouse).views_rebuilt
    columns = {c for (c,) in query(warehouse, "select column_name from information_schema.columns "
                                              "where table_name = 'stg_articles'")}
    assert "marker" not in columns
    assert not build_warehouse(lake, warehouse).views_rebuilt

    moved = tmp_path / "moved-lake"
    shutil.copytree(lake, moved)
    assert build_warehouse(moved, warehouse).views_rebuilt
    assert query(warehouse, "select count(*) from stg_articles") == [(3,)]


@pytest.mark.slow
def test_null_key_in_a_mart_fails_the_build_and_keeps_old_warehouse(dbt_project: Path, lake: Path,
                                                                    tmp_path: Path) -> None:
    """Mart columns declared not null are contract constraints DuckDB enforces on insert: a NULL there fails
    the model (no separate not_null test), and the old warehouse stays."""
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(lake, warehouse)
    before = warehouse_counts(warehouse)
    write_batch(lake, BATCH_2, articles=[article("a6", BATCH_2)],
                ingestions=[ingestion("a6.txt", BATCH_2, "processed", "a6")])
    rows = to_table("transfers", [transfer("t6", "a6", BATCH_2, "IRN", "RUS")])  # then blank the supplier
    column = rows.schema.get_field_index("supplier_id")
    rows = rows.set_column(column, rows.schema.field(column), pa.array([None], pa.string()))
    pq.write_table(rows, lake / "batches" / BATCH_2 / "transfers.parquet")
    with pytest.raises(WarehouseBuildError) as caught:
        build_warehouse(lake, warehouse)
    assert "fct_transfers" in caught.value.failures
    assert warehouse_counts(warehouse) == before


@pytest.mark.slow
def test_docs_regenerate_only_when_the_project_changes(dbt_project: Path, lake: Path, tmp_path: Path) -> None:
    """New rows do not change the docs site (models, columns, lineage): a rebuild keeps it; a changed model
    description regenerates it."""
    warehouse, docs = tmp_path / "warehouse.duckdb", tmp_path / "docs"
    first = build_warehouse(lake, warehouse, docs_dir=docs)
    assert first.docs_path == docs / "index.html"
    stamp = first.docs_path.stat().st_mtime_ns
    write_batch(lake, BATCH_2, articles=[article("a3", BATCH_2, title="خبر جديد")],
                ingestions=[ingestion("a3.txt", BATCH_2, "processed", "a3")])
    second = build_warehouse(lake, warehouse, docs_dir=docs)
    assert second.docs_path == first.docs_path and second.docs_path.stat().st_mtime_ns == stamp
    assert warehouse_counts(warehouse)["dim_articles"] == 3  # the data did move on

    yml = next(dbt_project.glob("models/marts/*.yml"))
    yml.write_text(yml.read_text(encoding="utf-8").replace("description:", "description: (v2)", 1), encoding="utf-8")
    third = build_warehouse(lake, warehouse, docs_dir=docs)
    assert third.docs_path is not None and "(v2)" in third.docs_path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_failing_test_raises_and_keeps_old_warehouse(dbt_project: Path, lake: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(lake, warehouse)
    before = warehouse_counts(warehouse)

    # one batch breaking several data tests at once
    write_batch(lake, BATCH_2,
                articles=[article("a4", BATCH_2)],
                transfers=[transfer("t4", "a4", BATCH_2, "IRN", "RUS", category="spaceships"),
                           transfer("t5", "a4", BATCH_2, "RUS", "RUS")],
                events=[event("e4", "a4", BATCH_2, ["RUS"], when=date(2025, 2, 17), granularity="month")],
                ingestions=[ingestion("ghost.txt", BATCH_2, "processed", "no-such-article"),
                            ingestion("copy.txt", BATCH_2, "duplicate", None, duplicate_of="no-such-article")])
    with pytest.raises(WarehouseBuildError) as caught:
        build_warehouse(lake, warehouse)

    failures = caught.value.failures
    assert any(name.startswith("accepted_values_fct_transfers_item_category") for name in failures), failures
    for singular in ("assert_transfer_supplier_differs_from_recipient", "assert_coarse_event_dates_on_period_start",
                     "assert_processed_ingestions_have_article", "assert_duplicate_ingestions_point_at_article"):
        assert singular in failures
    assert warehouse_counts(warehouse) == before
    assert not warehouse.with_name(warehouse.name + ".building").exists()


@pytest.mark.slow
def test_build_while_reader_holds_warehouse_open(dbt_project: Path, lake: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(lake, warehouse)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        write_batch(lake, BATCH_3, articles=[article("a5", BATCH_3)],
                    statements=[statement("s5", "a5", BATCH_3)],
                    ingestions=[ingestion("a5.txt", BATCH_3, "processed", "a5")])
        result = build_warehouse(lake, warehouse)
        assert result.ok
        # the open reader keeps its snapshot; a new connection sees the new build
        assert reader.execute("select count(*) from fct_statements").fetchone() == (1,)
    finally:
        reader.close()
    assert warehouse_counts(warehouse)["fct_statements"] == 2


def test_warehouse_counts_skips_missing_marts(tmp_path: Path) -> None:
    warehouse = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create table dim_articles as select 1 as article_id union all select 2")
    con.close()
    assert warehouse_counts(warehouse) == {"dim_articles": 2}
    assert os.path.exists(warehouse)


@pytest.mark.slow
def test_stories_near_duplicate_of_follows_the_earliest_copy(dbt_project: Path, lake: Path, tmp_path: Path) -> None:
    """A story's near_duplicate_of names its earliest copy, also when that copy is delivered in a later batch
    (the older members' rows are rewritten); the story id and the deal id stay those first assigned."""
    from extractors.schemas import ClusterRow

    warehouse = tmp_path / "warehouse.duckdb"
    write_batch(lake, BATCH_2,
                articles=[article("c1", BATCH_2, published=date(2025, 2, 21))],
                transfers=[transfer("t4", "c1", BATCH_2, "IRN", "RUS", qmin=200, qmax=999)],
                clusters=[ClusterRow("story", "c1", "c1", None, None, BATCH_2),
                          ClusterRow("deal", "t4", "deal-t4", None, None, BATCH_2)],
                ingestions=[ingestion("c1.txt", BATCH_2, "processed", "c1")])
    build_warehouse(lake, warehouse)
    assert query(warehouse, "select story_id, near_duplicate_of from dim_articles where article_id = 'c1'") == [
        ("c1", None)]
    # an earlier-published copy of c1 arrives later and joins its story (and its deal)
    write_batch(lake, BATCH_3,
                articles=[article("c0", BATCH_3, published=date(2025, 2, 19))],
                transfers=[transfer("t5", "c0", BATCH_3, "IRN", "RUS", qmin=200, qmax=999)],
                clusters=[ClusterRow("story", "c0", "c1", "c1", 0.9, BATCH_3),
                          ClusterRow("deal", "t5", "deal-t4", None, 2.0, BATCH_3)],
                ingestions=[ingestion("c0.txt", BATCH_3, "processed", "c0")])
    build_warehouse(lake, warehouse)
    rows = dict(query(warehouse, "select article_id, story_id || ':' || coalesce(near_duplicate_of, '-') "
                                 "from dim_articles where article_id in ('c0', 'c1')"))
    assert rows == {"c0": "c1:-", "c1": "c1:c0"}
    deals = query(warehouse, "select deal_id, n_articles, n_origins from fct_transfer_deals where deal_id = 'deal-t4'")
    assert deals == [("deal-t4", 2, 1)]  # two copies of one story: one origin
    # a mention without a clusters row (a lake from before the register) is a deal of its own
    assert query(warehouse, "select deal_id from fct_transfer_deals where deal_id = 'deal-t1'") == [("deal-t1",)]
