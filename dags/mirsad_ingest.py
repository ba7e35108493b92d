"""Mirsad ingest: inbox files -> staged Parquet batches -> one atomic commit into the lake.

discover -> plan_batches -> extract_batch (dynamic task mapping, one task per batch) -> commit.

* Every 10 minutes, no catch-up, one run at a time: the library's lake lock and ingestion
  ledger make a rerun safe, but overlapping runs would only fight over the same new files.
* Asset-triggered and manual runs have no logical date, so nothing here uses one: runs are
  keyed on the task context's ``run_id`` and the library's own batch ids.
* ``commit`` is the only task that declares the lake Asset as an outlet. Airflow registers
  outlet asset events only for tasks that end in *success* (a skipped task sends none); when there is
  nothing new, ``discover`` short-circuits (every downstream task is skipped) or ``commit`` raises
  ``AirflowSkipException``, so an empty run never triggers ``mirsad_warehouse``.
* Paths come from MIRSAD_INBOX / MIRSAD_DATA_DIR, read inside the tasks, and ``extractors``
  is imported inside the tasks too, so parsing this file stays cheap.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

# Same name/uri as in mirsad_warehouse.py: Airflow matches assets by name and uri.
LAKE_ASSET = Asset(name="mirsad_lake", uri="mirsad://lake/batches", group="mirsad")

log = logging.getLogger(__name__)
# No task may hang a run: one slow batch fails (and is retried) after this. Every article also has its own
# CPU budget inside the task (MIRSAD_EXTRACT_TIMEOUT, quarantined as extract_timeout), so this is a backstop.
TASK_TIMEOUT = timedelta(minutes=float(os.environ.get("MIRSAD_TASK_TIMEOUT_MINUTES", "60")))


@dag(
    dag_id="mirsad_ingest",
    schedule=timedelta(minutes=10),
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30), "execution_timeout": TASK_TIMEOUT},
    tags=["mirsad"],
    doc_md=__doc__,
)
def mirsad_ingest() -> None:
    @task.short_circuit
    def discover() -> list[str]:
        """New inbox files (the ledger already knows the rest); an empty list skips the rest of the run.

        First, under the data dir lock, creates the lake if needed and deletes staged batches that a failed
        earlier run left behind (max_active_runs=1, so none of them belongs to a live run of this DAG).
        """
        from extractors.ingest import lake
        from extractors.ingest.locking import data_dir_lock
        from extractors.ingest.runner import Settings, clean_partial_copies
        from extractors.ingest.runner import discover as discover_new

        settings = Settings.from_env()
        settings.check_layout()  # a data dir inside the inbox: one clear error, nothing ingested
        with data_dir_lock(settings.data_dir, settings.lock_timeout):
            lake.init_lake(settings.lake_dir)
            stale = lake.recover(settings.lake_dir)
            clean_partial_copies(settings)
            if settings.inbox_uri:  # an S3 inbox: objects a killed extract task left in the local cache
                from extractors.ingest import s3inbox

                s3inbox.clear_cache(settings)
        if stale:
            log.info("removed %d stale staged batch(es): %s", len(stale), ", ".join(stale))
        return discover_new(settings)

    @task
    def plan_batches(paths: list[str]) -> list[list[str]]:
        """Split into batches of Settings.batch_size files (MIRSAD_BATCH_SIZE); one mapped task each."""
        from extractors.ingest.runner import Settings
        from extractors.ingest.runner import plan_batches as plan

        return plan(list(paths), Settings.from_env().batch_size)

    @task(max_active_tis_per_dagrun=2)
    def extract_batch(paths: list[str]) -> str:
        """Extract one batch into lake/_staging and return its batch id.

        With a DuckLake catalog (MIRSAD_CATALOG) the worker that extracted the batch also commits it, in one
        catalog transaction: its staged files are on its own disk, which the commit task's worker (maybe on
        another machine) cannot read. It then returns "" and ``commit`` has nothing left to merge.
        """
        from extractors.ingest.runner import Settings, commit_batches
        from extractors.ingest.runner import extract_batch as extract

        run_id = get_current_context()["run_id"]
        settings = Settings.from_env()
        batch_id = extract(settings, list(paths), run_id)
        if settings.uses_catalog:
            result = commit_batches(settings, [batch_id], run_id)
            log.info("committed to the catalog: %s", result)
            return ""
        return batch_id

    @task(outlets=[LAKE_ASSET])
    def commit(batch_ids: list[str]) -> dict[str, Any]:
        """Merge this run's staged batches into one committed lake batch (atomic rename).

        Skipped (so no asset event) when nothing was staged, or when the commit added nothing and the
        warehouse is already built from the current lake head (e.g. a retry of a commit that had landed).
        """
        from extractors.ingest.locking import data_dir_lock
        from extractors.ingest.runner import Settings, commit_batches, warehouse_is_current

        ids = [batch_id for batch_id in batch_ids if batch_id]
        settings = Settings.from_env()
        if settings.uses_catalog:  # the batches were committed by their extract tasks
            if warehouse_is_current(settings):
                raise AirflowSkipException("nothing new in the catalog since the last build: no asset event")
            return {"batch_id": None, "committed_by": "extract_batch"}
        if not ids:
            raise AirflowSkipException("nothing staged: no asset event")
        with data_dir_lock(settings.data_dir, settings.lock_timeout):  # never beside a `mirsad run` commit
            result = commit_batches(settings, ids, get_current_context()["run_id"])
        if result.get("batch_id") is None and warehouse_is_current(settings):
            raise AirflowSkipException("nothing new committed and the warehouse is current: no asset event")
        return result

    batches = plan_batches(discover())
    commit(extract_batch.expand(paths=batches))


mirsad_ingest()
