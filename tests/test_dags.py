"""The Airflow DAGs parse, have the shape the pipeline relies on, and stay cheap to parse."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"

# Airflow reads its home and config when first imported: keep it away from ~/airflow.
if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="mirsad-airflow-home-")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS), known_pools={"default_pool", "mirsad_duckdb"})


def test_every_dag_file_imports(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == {"mirsad_ingest", "mirsad_warehouse"}


def test_ingest_dag_shape(dagbag):
    dag = dagbag.dags["mirsad_ingest"]
    assert dag.schedule == timedelta(minutes=10)
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert {t.task_id for t in dag.tasks} == {"discover", "plan_batches", "extract_batch", "commit"}
    assert dag.get_task("plan_batches").upstream_task_ids == {"discover"}
    assert dag.get_task("extract_batch").upstream_task_ids == {"plan_batches"}
    assert dag.get_task("commit").upstream_task_ids == {"extract_batch"}
    # one extract task per batch, decided at run time
    assert type(dag.get_task("extract_batch")).__name__ == "DecoratedMappedOperator"
    # only the commit announces new lake data
    outlets = {t.task_id: [a.name for a in t.outlets] for t in dag.tasks}
    assert outlets == {"discover": [], "plan_batches": [], "extract_batch": [], "commit": ["mirsad_lake"]}


def test_warehouse_dag_runs_on_the_ingest_asset_single_writer(dagbag):
    ingest, warehouse = dagbag.dags["mirsad_ingest"], dagbag.dags["mirsad_warehouse"]
    produced = ingest.get_task("commit").outlets[0]
    consumed = list(warehouse.timetable.asset_condition.objects)
    assert [(a.name, a.uri) for a in consumed] == [(produced.name, produced.uri)]
    assert warehouse.max_active_runs == 1
    assert warehouse.catchup is False
    assert {t.task_id for t in warehouse.tasks} == {"dbt_build", "warehouse_report", "analyst_report"}
    assert warehouse.get_task("dbt_build").pool == "mirsad_duckdb"
    assert warehouse.get_task("warehouse_report").upstream_task_ids == {"dbt_build"}
    assert warehouse.get_task("analyst_report").upstream_task_ids == {"warehouse_report"}


@pytest.mark.parametrize("path", sorted(DAGS.glob("*.py")), ids=lambda p: p.name)
def test_dag_files_import_nothing_heavy_at_top_level(path):
    """The DAG processor re-parses these files constantly: extractors (camel-tools, dbt) load inside tasks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_modules = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_modules.add(node.module.split(".")[0])
    assert top_modules <= {"__future__", "datetime", "logging", "os", "typing", "airflow"}, top_modules


def test_dags_are_airflow3_clean():
    ruff = Path(sys.executable).with_name("ruff")
    cmd = [str(ruff)] if ruff.exists() else [sys.executable, "-m", "ruff"]
    proc = subprocess.run([*cmd, "check", "--select", "AIR3", "--no-cache", str(DAGS)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
