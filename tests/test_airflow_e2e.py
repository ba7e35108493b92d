"""End to end through Airflow: mirsad_ingest then mirsad_warehouse, each run once with `airflow dags test`.

Uses scripts/airflow_local.sh exactly as `make demo` does, but with a temporary AIRFLOW_HOME (SQLite), inbox
and data dir. Needs the real extractors.ingest.runner and dbt; takes about a minute.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "inbox"
SCRIPT = ROOT / "scripts" / "airflow_local.sh"

pytestmark = pytest.mark.slow

# Written for this test (fallback when examples/inbox is absent).
OWN_ARTICLES = {
    "t1_drones.txt": (
        "روسيا تتسلم طائرات مسيرة جديدة من إيران\n"
        "تاريخ النشر: 3 فبراير 2024\n"
        "قالت وزارة الدفاع البريطانية إن إيران سلمت روسيا عشرات الطائرات المسيرة خلال الشهر الماضي.\n"
        "وأضاف المتحدث أن الشحنة وصلت عبر بحر قزوين.\n"
    ),
    "t2_air_defence.txt": (
        "ألمانيا ترسل منظومة دفاع جوي إلى أوكرانيا\n"
        "نشر في 14 مايو 2023\n"
        "أعلنت برلين يوم الجمعة أنها سترسل منظومة دفاع جوي ثانية إلى كييف ضمن حزمة مساعدات عسكرية.\n"
    ),
}


def _inbox(tmp: Path) -> tuple[Path, int]:
    """A fresh inbox: a copy of examples/inbox if present, else two articles of this test's own."""
    inbox = tmp / "inbox"
    if EXAMPLES.is_dir() and any(EXAMPLES.glob("*.txt")):
        shutil.copytree(EXAMPLES, inbox)
    else:
        inbox.mkdir()
        for name, text in OWN_ARTICLES.items():
            (inbox / name).write_text(text, encoding="utf-8")
    return inbox, len(list(inbox.glob("*.txt")))


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return proc


def _asset_events(airflow_home: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(airflow_home / "airflow.db")
    try:
        return con.execute("select source_dag_id, source_task_id from asset_event order by id").fetchall()
    finally:
        con.close()


def test_ingest_then_warehouse_dags(tmp_path):
    inbox, n_files = _inbox(tmp_path)
    data, home = tmp_path / "data", tmp_path / "airflow"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MIRSAD_"))},
        "MIRSAD_INBOX": str(inbox), "MIRSAD_DATA_DIR": str(data), "MIRSAD_AIRFLOW_HOME": str(home),
        "MIRSAD_SETTLE_SECONDS": "0",  # the files were just copied: do not defer them
        "MIRSAD_VENV": str(Path(sys.executable).parents[1]),  # the environment running this test
    }

    _run(env, "init")
    con = sqlite3.connect(home / "airflow.db")
    assert con.execute("select slots from slot_pool where pool = 'mirsad_duckdb'").fetchone() == (1,)
    con.close()

    _run(env, "test", "mirsad_ingest")
    assert _asset_events(home) == [("mirsad_ingest", "commit")]
    assert list((data / "lake" / "batches").iterdir())

    _run(env, "test", "mirsad_warehouse")
    warehouse = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        articles = warehouse.execute("select count(*), count(distinct source_file) from dim_articles").fetchone()
    finally:
        warehouse.close()
    assert 1 <= articles[0] <= n_files
    assert articles[0] == articles[1]
    assert (data / "docs" / "index.html").is_file()
    # the warehouse DAG's last task wrote the analyst's report of this build
    assert (data / "report" / "index.html").is_file()
    assert (data / "report" / "exports" / "fct_transfers.parquet").is_file()

    # what `make demo` prints after the DAGs: the same numbers the warehouse holds
    demo = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py")], env={**env, "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    assert re.search(rf"│ dim_articles\s+│\s+{articles[0]} │", demo.stdout), demo.stdout
    assert f"report:    {data / 'report' / 'index.html'}" in demo.stdout, demo.stdout

    # Nothing new in the inbox: the run succeeds, commits nothing and emits no asset event.
    _run(env, "test", "mirsad_ingest")
    assert _asset_events(home) == [("mirsad_ingest", "commit")]
