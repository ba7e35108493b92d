"""Crash safety: SIGKILL ``mirsad run`` during extraction, the lake commit and dbt, run again, and the
warehouse equals a clean single run. Also: a second concurrent run gets the lock message.

The kill points use the runner's test hook ``MIRSAD_TEST_PAUSE_AT`` (see ``extractors/ingest/runner.py``): the
runner prints ``MIRSAD_TEST_PAUSED <stage>`` and sleeps there, and the test kills the whole process group.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from extractors.ingest import lake
from tests.test_runner import ART_1, ART_2, ART_3, ART_4, put

ART_5 = """إسرائيل تعترض طائرة مسيرة أطلقت من لبنان

قال الجيش الإسرائيلي إن منظومة الدفاع الجوي اعترضت طائرة مسيرة أطلقها حزب الله فوق الجليل يوم الأحد.
"""
ART_6 = """الهند تتسلم دفعة جديدة من طائرات رافال الفرنسية

أعلنت وزارة الدفاع الهندية أنها تسلمت ثلاث طائرات رافال من فرنسا، ليرتفع عدد الطائرات المسلمة إلى ستة وعشرين.
"""
FIRST = {"a1.txt": ART_1, "a2.txt": ART_2, "a3.txt": ART_3}
LATER = {"b4.txt": ART_4, "b5.txt": ART_5, "b6.txt": ART_6, "b7_copy.txt": ART_2, "b8_bad.txt": b"\x00\x01\x02\x03"}


def fill(inbox: Path, files: dict) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        put(inbox, name, text)


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MIRSAD_")}
    return {**base, "MIRSAD_SETTLE_SECONDS": "0", "MIRSAD_WORKERS": "1", "MIRSAD_BATCH_SIZE": "2", **extra}


def cmd(inbox: Path, data: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "extractors.app.cli", "run", "--inbox", str(inbox), "--data-dir", str(data), *extra]


def run_ok(inbox: Path, data: Path) -> None:
    proc = subprocess.run(cmd(inbox, data), env=env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def start_paused(inbox: Path, data: Path, stage: str, seconds: str = "120") -> subprocess.Popen:
    """Start a run that stops at ``stage``; return once it says so."""
    proc = subprocess.Popen(cmd(inbox, data), env=env(MIRSAD_TEST_PAUSE_AT=stage, MIRSAD_TEST_PAUSE_SECONDS=seconds),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    seen = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1.0)
        if ready:
            line = proc.stderr.readline()
            seen += line
            if line.startswith(f"MIRSAD_TEST_PAUSED {stage}"):
                return proc
            if not line and proc.poll() is not None:
                break
    kill(proc)
    raise AssertionError(f"run never reached {stage}: {seen[-2000:]}")


def kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: a crash of the machine, not a polite stop
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def snapshot(warehouse: Path) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        def col(sql: str) -> list:
            return sorted(con.execute(sql).fetchall())

        return {
            "articles": col("select article_id, source_file from dim_articles"),
            "transfers": col("select row_id from fct_transfers"),
            "statements": col("select row_id from fct_statements"),
            "events": col("select row_id from fct_events"),
            "ingestions": col("select file_name, status, coalesce(duplicate_of, '') from fct_file_ingestions"),
            "flows": col("select flow_key, n_rows, n_articles from fct_transfer_flows"),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("clean")
    fill(root / "inbox", {**FIRST, **LATER})
    run_ok(root / "inbox", root / "data")
    snap = snapshot(root / "data" / "warehouse.duckdb")
    assert len(snap["articles"]) == 6 and len(snap["ingestions"]) == 8
    return snap


def staged(data: Path) -> list[str]:
    folder = lake.staging_dir(data / "lake")
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["extract", "commit", "commit_after_rename"])
def test_kill_during_extract_or_commit_then_rerun_equals_clean_run(tmp_path, clean, stage):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    fill(inbox, {**FIRST, **LATER})
    kill(start_paused(inbox, data, stage))
    assert staged(data), "the crash should leave staged work behind"
    committed = lake.committed_batches(data / "lake")
    assert len(committed) == (2 if stage == "commit_after_rename" else 1)
    assert not (data / "warehouse.duckdb").exists()

    run_ok(inbox, data)
    assert staged(data) == []
    assert len(lake.committed_batches(data / "lake")) == 2  # exactly one batch of facts, never two
    assert snapshot(data / "warehouse.duckdb") == clean


@pytest.mark.slow
def test_kill_during_dbt_keeps_old_warehouse_and_rerun_equals_clean_run(tmp_path, clean):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    fill(inbox, FIRST)
    run_ok(inbox, data)
    warehouse = data / "warehouse.duckdb"
    before = snapshot(warehouse)
    assert len(before["articles"]) == 3

    fill(inbox, LATER)
    proc = start_paused(inbox, data, "build", seconds="0")
    building = warehouse.with_name(warehouse.name + ".building")
    deadline = time.monotonic() + 120
    while not building.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "dbt finished before it could be killed"
    time.sleep(0.5)  # well inside dbt's seed/build
    kill(proc)
    assert snapshot(warehouse) == before  # the live warehouse is never half-built

    run_ok(inbox, data)
    assert snapshot(warehouse) == clean


def test_second_concurrent_run_gets_the_lock_message(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    fill(inbox, {"a1.txt": ART_1})
    holder = start_paused(inbox, data, "extract")
    try:
        proc = subprocess.run(cmd(inbox, data, "--no-build"), env=env(MIRSAD_LOCK_TIMEOUT="0.5"),
                              capture_output=True, text=True, timeout=120)
    finally:
        kill(holder)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("mirsad: error: another mirsad run holds ")
    assert f"(pid {holder.pid}," in lines[0] and lines[0].endswith("try again later")
