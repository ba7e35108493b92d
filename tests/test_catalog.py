"""The DuckLake path on one machine (a catalog file and a data folder): extensions, commits, ledger, versions.

The multi-machine path (Postgres + S3) is tests/test_ducklake_distributed.py.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from extractors.ingest import catalog, runner
from extractors.ingest.config import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "inbox"


@pytest.fixture
def ext_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("MIRSAD_DUCKDB_EXTENSION_DIR", str(tmp_path / "ext"))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "ext"


def _settings(tmp_path: Path, inbox: Path) -> Settings:
    return Settings(inbox=inbox, data_dir=tmp_path / "data", workers=1, settle_seconds=0,
                    catalog=str(tmp_path / "catalog.ducklake"), lake_uri=str(tmp_path / "lake-data"))


def _inbox(tmp_path: Path, names: list[str], folder: str = "inbox") -> Path:
    inbox = tmp_path / folder
    inbox.mkdir(exist_ok=True)
    old = time.time() - 60
    for name in names:
        shutil.copy2(EXAMPLES / name, inbox / name)
        os.utime(inbox / name, (old, old))
    return inbox


def test_extensions_come_from_the_packages_and_nothing_is_downloaded(ext_dir):
    directory = catalog.install_extensions()
    assert directory == ext_dir
    installed = {p.name for p in ext_dir.rglob("*.duckdb_extension")}
    assert {"ducklake.duckdb_extension", "httpfs.duckdb_extension", "postgres_scanner.duckdb_extension"} <= installed
    con = catalog.connect()
    try:
        assert con.execute("select current_setting('autoinstall_known_extensions')").fetchone()[0] is False
        assert con.execute("select current_setting('extension_directory')").fetchone()[0] == str(ext_dir)
        with pytest.raises(duckdb.Error):  # not installed here and never fetched
            con.execute("LOAD spatial")
    finally:
        con.close()
    stamp = next(ext_dir.glob(".installed-*")).stat().st_mtime_ns
    catalog.install_extensions()  # once: a second call installs nothing again
    assert next(ext_dir.glob(".installed-*")).stat().st_mtime_ns == stamp


def test_local_catalog_commits_the_ledger_and_never_records_a_file_twice(tmp_path, ext_dir):
    inbox = _inbox(tmp_path, ["ex01_kuwait_bayraktar.txt", "ex01_kuwait_bayraktar.meta.json",
                              "ex04_hezbollah_drone.txt"])
    settings = _settings(tmp_path, inbox)
    first = runner.run(settings, build_warehouse=False)
    assert first.counts["processed"] == 2 and first.batch_id
    # the same article under another name: a duplicate; the known files are skipped without reading
    shutil.copy2(inbox / "ex04_hezbollah_drone.txt", inbox / "again.txt")
    os.utime(inbox / "again.txt", (time.time() - 60,) * 2)
    second = runner.run(settings, build_warehouse=False)
    assert second.skipped_known == 2
    assert second.counts == {"processed": 0, "duplicate": 1, "quarantined": 0}
    assert second.batch_id > first.batch_id
    with catalog.open_lake(settings) as con:
        assert con.execute("select count(*) from lake.lake.ingestions").fetchone()[0] == 3
        assert con.execute("select count(*) from lake.lake.articles").fetchone()[0] == 2
        assert catalog.lake_head(con) == second.batch_id
        # rows are Parquet files in the data folder, none inlined in the catalog
        assert con.execute("select value from lake.options() where option_name = 'data_inlining_row_limit'"
                           ).fetchone()[0] == "0"
    assert list((tmp_path / "lake-data").rglob("*.parquet"))
    assert not list((settings.lake_dir / "_staging").iterdir())  # staged batches deleted once committed
    status_ledger = catalog.read_ledger(settings)
    assert sorted(status_ledger["status"].to_pylist()) == ["duplicate", "processed", "processed"]


def test_batch_ids_rise_even_when_this_clock_is_behind_the_head():
    ahead = "29991231T235959999999Z-abcdef01"
    later = catalog._next_batch_id(ahead)
    assert later > ahead
    assert catalog._next_batch_id(None) < ahead


def test_s3_settings_from_the_standard_aws_variables(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert catalog.s3_settings() == {"key_id": "key", "secret": "secret", "region": "eu-west-1",
                                     "endpoint": "127.0.0.1:8333", "use_ssl": "false", "url_style": "path"}
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert catalog.s3_settings()["url_style"] == "vhost" and catalog.s3_settings()["use_ssl"] == "true"
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    assert catalog.s3_settings() == {}


def test_settings_choose_the_deployment_from_two_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("MIRSAD_CATALOG", "postgres:dbname=d host=h port=5432 user=u password=secret")
    monkeypatch.setenv("MIRSAD_LAKE_URI", "s3://bucket/prefix")
    settings = Settings.from_env(tmp_path / "in", tmp_path / "data")
    assert settings.uses_catalog
    lake = catalog.lake_of(settings)
    assert lake.is_postgres and lake.is_s3 and lake.data_path == "s3://bucket/prefix/"
    assert "secret" not in lake.describe()
    monkeypatch.delenv("MIRSAD_CATALOG")
    assert not Settings.from_env(tmp_path / "in", tmp_path / "data").uses_catalog


def test_maintenance_merges_files_expires_snapshots_and_keeps_the_published_build(tmp_path, ext_dir):
    names = ["ex01_kuwait_bayraktar.txt", "ex04_hezbollah_drone.txt", "ex06_prk_russia_shells.txt"]
    inbox = _inbox(tmp_path, [])
    settings = _settings(tmp_path, inbox)
    for name in names:  # three commits: three small files per table
        _inbox(tmp_path, [name])
        assert runner.run(settings, build_warehouse=name == names[-1]).counts["processed"] == 1

    def state() -> tuple[int, int, list[tuple]]:
        with catalog.open_lake(settings) as con:
            files = con.execute("select count(*) from ducklake_list_files('lake', 'transfers', schema => 'lake')"
                                ).fetchone()[0]
            snapshots = con.execute("select count(*) from lake.snapshots()").fetchone()[0]
        reader = catalog.connect_reader(settings)
        try:
            rows = reader.execute("select row_id, supplier_id, recipient_id from fct_transfers order by 1").fetchall()
        finally:
            reader.close()
        return files, snapshots, rows

    files, snapshots, rows = state()
    assert files == 3 and rows
    done = catalog.maintain(settings, keep_hours=0)
    assert done["merged"] >= 1 and done["expired_snapshots"] >= 1 and done["deleted_files"] >= 1
    files_after, snapshots_after, rows_after = state()
    assert files_after == 1 and snapshots_after < snapshots
    assert rows_after == rows  # the published build still reads, with the same rows
