"""The laptop path on DuckLake (issue 17): a catalog file and a data folder instead of Parquet folders and a DuckDB
warehouse file. Two settings change (``MIRSAD_CATALOG``, ``MIRSAD_LAKE_URI``); the commands, the rows and the
guarantees stay the same. The reference is the demo warehouse of the file path (conftest ``demo_data``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from extractors.ingest import catalog
from extractors.ingest.config import Settings
from extractors.ingest.warehouse import MARTS
from tests.conftest import EXAMPLES_INBOX, ROOT, STORIES_INBOX, mirsad

pytestmark = pytest.mark.slow

# where or when a row was ingested, not what it says
VOLATILE = {"batch_id", "ingested_at", "file_path", "run_id", "duplicate_of", "ingestion_key", "mtime_ns",
            "first_ingested_at", "last_ingested_at", "last_batch_id"}


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    cols = [c for (c,) in con.execute(f"select column_name from (describe {table})").fetchall() if c not in VOLATILE]
    quoted = ", ".join(f'"{c}"' for c in cols)
    return sorted(con.execute(f"select {quoted} from {table}").fetchall(), key=repr)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """examples/inbox through `mirsad run` and `mirsad report` on a local DuckLake (catalog file + folder)."""
    root = tmp_path_factory.mktemp("ducklake-laptop")
    env = {"MIRSAD_CATALOG": str(root / "catalog.ducklake"), "MIRSAD_LAKE_URI": str(root / "lake-data"),
           "MIRSAD_SETTLE_SECONDS": "0"}
    inbox = root / "inbox"
    shutil.copytree(EXAMPLES_INBOX, inbox)
    data = root / "data"
    run = mirsad("run", "--json", "--inbox", inbox, "--data-dir", data, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    report = mirsad("report", "--data-dir", data, env=env)
    assert report.returncode == 0, report.stderr[-3000:]
    return {"root": root, "env": env, "inbox": inbox, "data": data, "run": json.loads(run.stdout)}


def _settings(lake: dict) -> Settings:
    env = lake["env"]
    return Settings(inbox=lake["inbox"], data_dir=lake["data"], catalog=env["MIRSAD_CATALOG"],
                    lake_uri=env["MIRSAD_LAKE_URI"], settle_seconds=0)


def test_the_catalog_holds_the_same_marts_as_the_file_path(lake, demo_data):
    assert lake["run"]["built"]
    assert not (lake["data"] / "warehouse.duckdb").exists()  # the warehouse lives in the catalog, no file
    reader = catalog.connect_reader(_settings(lake))
    files = duckdb.connect(str(demo_data / "warehouse.duckdb"), read_only=True)
    try:
        for mart in MARTS:
            ours, theirs = _rows(reader, f"lake.main.{mart}"), _rows(files, f"main.{mart}")
            assert ours == theirs, mart
            assert ours or mart == "fct_event_clusters", f"{mart} is empty: the comparison proves nothing"
        # the register really clustered: fewer deals than transfer mentions
        assert len(_rows(reader, "lake.main.fct_transfer_deals")) < len(_rows(reader, "lake.main.fct_transfers"))
    finally:
        reader.close()
        files.close()


def test_every_command_reads_the_catalog_like_the_file(lake, demo_data):
    env = lake["env"]
    query = "select supplier_id, recipient_id, count(*) as n from fct_transfers group by all order by all"
    on_lake = mirsad("sql", "--format", "json", "--data-dir", lake["data"], query, env=env)
    on_file = mirsad("sql", "--format", "json", "--data-dir", demo_data, query)
    assert on_lake.returncode == 0, on_lake.stderr[-2000:]
    assert json.loads(on_lake.stdout) == json.loads(on_file.stdout) != []

    status = mirsad("status", "--json", "--data-dir", lake["data"], env=env)
    assert status.returncode == 0, status.stderr[-2000:]
    n_files = len(list(EXAMPLES_INBOX.glob("*.txt")))
    assert json.loads(status.stdout)["counts"] == {"processed": n_files, "duplicate": 0, "quarantined": 0}

    scores = {}
    for name, data, extra in (("lake", lake["data"], env), ("file", demo_data, {})):
        out = lake["root"] / f"scores-{name}.json"
        ran = mirsad("evaluate", "--gold", ROOT / "examples" / "gold", "--json", out, "--data-dir", data, env=extra)
        assert ran.returncode == 0, ran.stderr[-2000:]
        scores[name] = json.loads(out.read_text(encoding="utf-8"))
    assert scores["lake"]["macro_f1"] == scores["file"]["macro_f1"] > 0.8

    registers = [mirsad("register", "--json", "--as-of", "2024-02-01", "--data-dir", data, env=extra)
                 for data, extra in ((lake["data"], env), (demo_data, {}))]
    assert all(r.returncode == 0 for r in registers), [r.stderr[-2000:] for r in registers]
    as_of = [json.loads(r.stdout) for r in registers]
    assert as_of[0] == as_of[1] != []

    index = lake["data"] / "report" / "index.html"
    assert index.is_file() and "DuckLake" in index.read_text(encoding="utf-8")  # built from the catalog
    exported = mirsad("export", "--data-dir", lake["data"], "--out", lake["root"] / "exports", "--format", "csv",
                      env=env)
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert (lake["root"] / "exports" / "fct_transfer_deals.csv").is_file()


def test_a_rerun_adds_nothing_and_a_new_article_joins_without_moving_ids(lake):
    env, settings = lake["env"], _settings(lake)

    def snapshot() -> dict[str, list[tuple]]:
        con = catalog.connect_reader(settings)
        try:
            return {m: _rows(con, f"lake.main.{m}") for m in ("dim_articles", "fct_transfers", "fct_transfer_deals")}
        finally:
            con.close()

    before = snapshot()
    again = mirsad("run", "--json", "--inbox", lake["inbox"], "--data-dir", lake["data"], env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["counts"] == {"processed": 0, "duplicate": 0, "quarantined": 0}
    assert snapshot() == before

    story = sorted(STORIES_INBOX.glob("*.txt"))[0]
    shutil.copy2(story, lake["inbox"] / ("new_" + story.name))
    os.utime(lake["inbox"] / ("new_" + story.name), (time.time() - 60,) * 2)
    grown = mirsad("run", "--json", "--inbox", lake["inbox"], "--data-dir", lake["data"], env=env)
    assert grown.returncode == 0, grown.stderr[-2000:]
    assert json.loads(grown.stdout)["counts"]["processed"] == 1
    after = snapshot()
    assert len(after["dim_articles"]) == len(before["dim_articles"]) + 1
    old_ids = {r[0] for r in before["fct_transfer_deals"]}
    assert old_ids <= {r[0] for r in after["fct_transfer_deals"]}  # deal ids never move


def test_a_commit_killed_on_the_laptop_leaves_nothing(tmp_path):
    env = {"MIRSAD_CATALOG": str(tmp_path / "catalog.ducklake"), "MIRSAD_LAKE_URI": str(tmp_path / "lake-data"),
           "MIRSAD_SETTLE_SECONDS": "0"}
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("ex04_hezbollah_drone.txt", "ex07_egypt_india_rafale.txt"):
        shutil.copy2(EXAMPLES_INBOX / name, inbox / name)
        os.utime(inbox / name, (time.time() - 60,) * 2)
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env, "MIRSAD_TEST_PAUSE_AT": "catalog_commit",
                "MIRSAD_TEST_PAUSE_SECONDS": "120"}
    proc = subprocess.Popen([sys.executable, "-m", "extractors.app.cli", "run", "--no-build", "--inbox", str(inbox),
                             "--data-dir", str(tmp_path / "data")], env=full_env, cwd=ROOT, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line, "the run exited before its commit"
            if line.startswith("MIRSAD_TEST_PAUSED"):
                break
        os.killpg(proc.pid, signal.SIGKILL)  # inside the commit transaction: rows inserted, not committed
    finally:
        proc.wait(30)
    settings = Settings(inbox=inbox, data_dir=tmp_path / "data", catalog=env["MIRSAD_CATALOG"],
                        lake_uri=env["MIRSAD_LAKE_URI"])
    with catalog.open_lake(settings) as con:
        assert con.execute("select count(*) from lake.lake.ingestions").fetchone()[0] == 0
        assert con.execute("select count(*) from lake.lake.articles").fetchone()[0] == 0
        assert con.execute("select count(*) from lake.lake.clusters").fetchone()[0] == 0
    rerun = mirsad("run", "--json", "--inbox", inbox, "--data-dir", tmp_path / "data", env=env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert json.loads(rerun.stdout)["counts"]["processed"] == 2  # committed once, on the next run
    with catalog.open_lake(settings) as con:
        assert con.execute("select count(*) from lake.lake.articles").fetchone()[0] == 2
