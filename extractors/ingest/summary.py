"""What a run did and what the ledger holds, as plain data (for JSON / XCom); ``app.render`` draws it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.compute as pc

from extractors.ingest import lake
from extractors.schemas import INGESTION_STATUSES

FACT_TABLES = ("articles", "transfers", "statements", "events")


@dataclass
class RunSummary:
    run_id: str
    started_at: str
    inbox: str
    data_dir: str
    candidates: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INGESTION_STATUSES, 0))
    deferred: list[str] = field(default_factory=list)
    skipped_known: int = 0
    batch_id: str | None = None
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACT_TABLES, 0))
    timings: dict[str, float] = field(default_factory=dict)
    built: bool = False
    build_skipped_reason: str | None = None
    warehouse_path: str | None = None
    docs_path: str | None = None
    warehouse_counts: dict[str, int] = field(default_factory=dict)
    recovered_staged: list[str] = field(default_factory=list)
    workers: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ledger_status_of(settings: Any) -> dict[str, Any] | None:
    """``ledger_status`` of the settings' ledger (the DuckLake catalog's or the folder lake's); None without one."""
    if settings.uses_catalog:
        return catalog_ledger_status(settings)
    return ledger_status(settings.lake_dir) if Path(settings.lake_dir).is_dir() else None


def catalog_ledger_status(settings: Any) -> dict[str, Any]:
    """``ledger_status`` of the ledger in a DuckLake catalog (``MIRSAD_CATALOG``), shared by every machine."""
    from extractors.ingest import catalog

    ledger = catalog.read_ledger(settings)
    status = ledger_status(settings.lake_dir, ledger=ledger)
    status["lake_dir"] = catalog.lake_of(settings).describe()
    status["batches"] = len(set(ledger["batch_id"].to_pylist()))
    return status


def ledger_status(lake_dir: Path, ledger: Any = None) -> dict[str, Any]:
    """Counts by status, quarantined files with reasons, and the last run of the ledger."""
    ledger = lake.read_ledger(lake_dir) if ledger is None else ledger
    counts = dict.fromkeys(INGESTION_STATUSES, 0)
    for row in ledger.group_by("status").aggregate([("status", "count")]).to_pylist():
        counts[row["status"]] = row["status_count"]
    quarantined = ledger.filter(pc.equal(ledger["status"], "quarantined"))
    quarantined = quarantined.select(["file_path", "reason", "sha256", "ingested_at", "run_id"]).to_pylist()
    last = None
    if ledger.num_rows:
        idx = pc.index(ledger["ingested_at"], pc.max(ledger["ingested_at"])).as_py()
        row = ledger.slice(idx, 1).to_pylist()[0]
        last = {"run_id": row["run_id"], "batch_id": row["batch_id"], "ingested_at": row["ingested_at"].isoformat()}
    for q in quarantined:
        q["ingested_at"] = q["ingested_at"].isoformat() if q["ingested_at"] else None
    return {
        "lake_dir": str(lake_dir),
        "files": ledger.num_rows,
        "counts": counts,
        "quarantined": quarantined,
        "last_run": last,
        "batches": max(len(lake.committed_batches(lake_dir)) - 1, 0),
    }


def _find_table(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ? order by table_schema", [name]
    ).fetchall()
    return f'"{rows[0][0]}"."{name}"' if rows else None


def top_flows(source: Any, n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` supplier -> recipient pairs with the most articles behind them (main + related rows); ``source``
    is a warehouse file or ``Settings`` (``warehouse.open_marts``). No warehouse yet: no flows."""
    from extractors.ingest import warehouse

    try:
        con = warehouse.open_marts(source)
    except warehouse.WarehouseMissing:
        return []
    try:
        table = _find_table(con, "fct_transfers")
        if table is None:
            return []
        cur = con.execute(
            f"select supplier_id, recipient_id, count(distinct article_id) as articles, count(*) as mentions, "
            f"string_agg(distinct item_category, ', ' order by item_category) as categories "
            f"from {table} group by 1, 2 order by articles desc, mentions desc, 1, 2 limit ?",
            [n],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
