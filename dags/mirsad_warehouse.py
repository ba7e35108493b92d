"""Mirsad warehouse: rebuild the dbt-duckdb warehouse whenever the ingest DAG commits lake batches.

dbt_build (``dbt seed`` + ``dbt build`` + ``dbt docs generate``, in the 1-slot pool ``mirsad_duckdb``)
-> warehouse_report (rows per mart, read-only) -> analyst_report (the static report site, DATA_DIR/report),
one run at a time.

Why one ``dbt build`` task and not astronomer-cosmos (a task per model): DuckDB allows a single
writer per database file. ``extractors.ingest.runner.build`` runs the whole project against a copy of
``warehouse.duckdb`` and swaps it in with one atomic ``os.replace``, so readers never see a half
built warehouse and a failed build leaves the old one in place. Cosmos would run each model as
its own dbt invocation, each opening the database for writing: with one writer they would only
queue on the file lock (or fail on it), lose the build-a-copy-then-swap atomicity, and pay dbt's
start-up cost once per model. The pool and ``max_active_runs=1`` make sure that even several
queued asset events never start two writers at once.

``dbt docs generate`` runs inside the same task, in the same dbt session, against the copy before it is
swapped in, so the docs always describe exactly the warehouse that went live (a separate docs task would
open the live file again and could describe a newer or older build).

Scheduled on the ``mirsad_lake`` Asset, so runs have no logical date; nothing here needs one.
Paths come from MIRSAD_INBOX / MIRSAD_DATA_DIR, read inside the tasks.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset, dag, task

# Same name/uri as in mirsad_ingest.py: Airflow matches assets by name and uri.
LAKE_ASSET = Asset(name="mirsad_lake", uri="mirsad://lake/batches", group="mirsad")

DUCKDB_POOL = "mirsad_duckdb"
# A dbt build that hangs (a damaged file is set aside before dbt starts; this is the backstop) fails the task.
TASK_TIMEOUT = timedelta(minutes=float(os.environ.get("MIRSAD_TASK_TIMEOUT_MINUTES", "60")))


@dag(
    dag_id="mirsad_warehouse",
    schedule=[LAKE_ASSET],
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"execution_timeout": TASK_TIMEOUT},
    tags=["mirsad"],
    doc_md=__doc__,
)
def mirsad_warehouse() -> None:
    @task(pool=DUCKDB_POOL)
    def dbt_build() -> dict[str, Any]:
        """dbt seed + build (models and tests) + docs generate into a copy of the warehouse, then swap it in."""
        from extractors.ingest.runner import Settings, build

        settings = Settings.from_env()
        result = build(settings, docs=True)
        if not result.ok:  # build() raises on dbt failures; this guards a result that only says so
            raise RuntimeError(f"dbt build failed: {result.failures}")
        maintenance = None
        if settings.uses_catalog:  # DuckLake: merge small files, expire old snapshots, still in the one slot
            from extractors.ingest import catalog

            maintenance = catalog.maintain(settings)
        return {
            "maintenance": maintenance,
            "seconds": round(result.seconds, 2),
            "n_models": result.n_models,
            "n_tests": result.n_tests,
            "warnings": list(result.warnings),
            "docs_path": str(result.docs_path) if result.docs_path else None,
        }

    @task  # read-only on the live file, which nothing writes in place: no pool slot needed
    def warehouse_report(built: dict[str, Any]) -> dict[str, int]:
        """Rows per mart of the warehouse that just went live (read-only); fails if dim_articles is missing."""
        from extractors.ingest.runner import Settings
        from extractors.ingest.warehouse import MARTS, warehouse_counts

        settings = Settings.from_env()
        if settings.uses_catalog:  # the last published DuckLake snapshot
            from extractors.ingest import catalog

            counts = catalog.warehouse_counts(settings, MARTS)
        else:
            counts = warehouse_counts(settings.warehouse_path)
        if "dim_articles" not in counts:
            raise RuntimeError(f"warehouse has no dim_articles after the build: {sorted(counts)}")
        return counts

    @task  # reads the live warehouse read-only and writes DATA_DIR/report (built beside, then swapped in)
    def analyst_report(counts: dict[str, int]) -> dict[str, Any]:
        """The analyst's static report (overview, flows, timeline, actors, transfers, exports) of this build."""
        from extractors.app.report import build_report
        from extractors.ingest.runner import Settings
        from extractors.ingest.summary import ledger_status_of

        settings = Settings.from_env()
        result = build_report(settings, settings.data_dir / "report", ledger=ledger_status_of(settings))
        return {"index": str(result.index), "pages": len(result.pages), "charts": result.charts,
                "exports": len(result.exports), "rows": counts}

    analyst_report(warehouse_report(dbt_build()))


mirsad_warehouse()
