"""`make airflow-ui` (scripts/airflow_local.sh standalone): DAGs unpaused, parallelism sized, password file named.

Runs the script against a stand-in `airflow` executable that records how it was called, so the test checks
what the script asks of Airflow without starting it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_AIRFLOW = """#!/bin/sh
echo "$* | parallelism=$AIRFLOW__CORE__PARALLELISM paused_at_creation=$AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION \
api_workers=$AIRFLOW__API__WORKERS" >> "$CALLS"
"""


def _standalone(tmp_path: Path, **env: str) -> tuple[str, list[str]]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "airflow"
    fake.write_text(FAKE_AIRFLOW)
    fake.chmod(0o755)
    calls = tmp_path / "calls.txt"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MIRSAD_"))}
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "airflow_local.sh"), "standalone"], capture_output=True, text=True,
        timeout=60, env={**base, "MIRSAD_VENV": str(venv), "MIRSAD_AIRFLOW_HOME": str(tmp_path / "home"),
                         "MIRSAD_DATA_DIR": str(tmp_path / "data"), "CALLS": str(calls), **env})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, calls.read_text().splitlines()


def test_standalone_unpauses_the_dags_and_sizes_parallelism(tmp_path: Path) -> None:
    out, calls = _standalone(tmp_path)
    cores = os.cpu_count() or 2
    assert any(c.startswith("dags unpause --treat-dag-id-as-regex -y ^mirsad_ ") for c in calls), calls
    last = calls[-1]
    assert last.startswith("standalone |"), calls
    assert f"parallelism={max(cores, 2)}" in last and "paused_at_creation=False" in last and "api_workers=1" in last
    assert "are unpaused" in out
    assert f"password in {tmp_path / 'home' / 'simple_auth_manager_passwords.json.generated'}" in out


def test_standalone_can_keep_the_dags_paused_and_honours_a_set_parallelism(tmp_path: Path) -> None:
    out, calls = _standalone(tmp_path, MIRSAD_UNPAUSE="0", AIRFLOW__CORE__PARALLELISM="7")
    assert not any(c.startswith("dags unpause") for c in calls)
    assert "parallelism=7" in calls[-1] and "paused_at_creation= " in calls[-1]
    assert "start paused" in out and "dags unpause mirsad_ingest" in out
