"""DuckLake: the lake and the warehouse as tables of one catalog that several machines commit to side by side.

Two settings choose the deployment (``extractors.ingest.config``):

* ``MIRSAD_CATALOG``: where DuckLake keeps its metadata. A file path (``catalog.ducklake``: one machine, one
  writer at a time) or ``postgres:dbname=… host=… port=… user=… password=…`` (libpq key/values: any number of
  machines). Unset: the laptop path of ``extractors.ingest.lake`` (Parquet folders + a DuckDB warehouse file).
* ``MIRSAD_LAKE_URI``: where the Parquet data files go: a folder or ``s3://bucket/prefix``. S3 is configured by
  the standard ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL`` and ``AWS_REGION``.

Layout inside the catalog: schema ``lake`` holds the lake tables of ``schemas.LAKE_TABLES`` plus two of our own,
``commit_head`` (one row: the newest batch id) and ``builds`` (one row per published warehouse build); dbt
builds the warehouse models into schema ``main``.

* Extraction is unchanged: each worker stages its batches as Parquet in its own data dir. ``commit_batches``
  then inserts them in ONE DuckLake transaction which also moves ``commit_head`` forward. Two committers
  touching that one row conflict, so commits are serialised and batch ids rise in commit order (what dbt's
  incremental models rely on); a conflict rolls the transaction back whole and it is retried from the start.
* A build reads the lake at one snapshot (``MIRSAD_LAKE_SNAPSHOT``), writes the models, then publishes the
  catalog snapshot it reached in ``builds``. Readers (``connect_reader``) attach that published snapshot, so a
  build in progress, or one that failed half-way, is never seen.

DuckDB extensions never come from the network: the PyPI packages ``duckdb-extension-{ducklake,postgres,httpfs}``
(same version as duckdb) are installed once from their files into a fixed ``extension_directory`` and every
connection opens with that directory and ``autoinstall_known_extensions`` off.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import logging
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from extractors.schemas import INGESTION_STATUSES, LAKE_TABLES

ALIAS = "lake"  # the catalog's name in every connection (and in dbt's profile)
LAKE_SCHEMA = "lake"  # schema of the lake tables; dbt's models go to "main"
EXTENSIONS = ("ducklake", "postgres", "httpfs")  # PyPI packages duckdb-extension-<name>
FACT_TABLES = ("articles", "transfers", "statements", "events")
COMMIT_RETRIES = 20
_LOG = logging.getLogger(__name__)
_CONFLICT = re.compile(r"conflict|concurrent|serializ|could not serialize", re.I)


class CatalogError(RuntimeError):
    """The DuckLake catalog cannot be used as configured."""


# ---------------------------------------------------------------- where things are


@dataclass(frozen=True)
class Lake:
    """Where a DuckLake lives: the catalog (``postgres:…`` or a file path) and the data path (folder or s3://)."""

    catalog: str
    data_uri: str

    @property
    def is_postgres(self) -> bool:
        return self.catalog.startswith("postgres:")

    @property
    def is_s3(self) -> bool:
        return self.data_uri.startswith("s3://")

    @property
    def attach_path(self) -> str:
        return f"ducklake:{self.catalog}"

    @property
    def data_path(self) -> str:
        """The data path with the trailing slash DuckLake wants (a folder is made absolute)."""
        if self.is_s3:
            return self.data_uri.rstrip("/") + "/"
        return str(Path(self.data_uri).absolute()) + "/"

    def describe(self) -> str:
        """For messages: the catalog without its password."""
        where = re.sub(r"password=\S+", "password=***", self.catalog)
        return f"DuckLake {where} (data {self.data_path})"


def lake_of(settings) -> Lake:
    """The ``Lake`` of settings whose ``catalog`` is set (``settings.lake_uri`` defaults to DATA_DIR/lake-data)."""
    if not settings.catalog:
        raise CatalogError("no DuckLake catalog configured (set MIRSAD_CATALOG)")
    catalog = settings.catalog
    if not catalog.startswith("postgres:"):
        catalog = str(Path(catalog).absolute())
    return Lake(catalog=catalog, data_uri=settings.lake_uri or str(settings.data_dir / "lake-data"))


# ---------------------------------------------------------------- extensions


def extension_dir() -> Path:
    """``$MIRSAD_DUCKDB_EXTENSION_DIR``, else a per-user folder under the temp dir (containers have no home)."""
    env = os.environ.get("MIRSAD_DUCKDB_EXTENSION_DIR")
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / f"mirsad-duckdb-extensions-{os.getuid()}"


def _package_file(name: str) -> Path:
    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError as exc:
        raise CatalogError(f"the DuckDB extension package duckdb-extension-{name}=={duckdb.__version__} "
                           "is not installed") from exc
    folder = Path(module.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    found = sorted(folder.glob("*.duckdb_extension"))
    if not found:
        shipped = sorted(p.parent.name for p in Path(module.__file__).parent.rglob("*.duckdb_extension"))
        raise CatalogError(f"duckdb-extension-{name} ships {shipped or 'nothing'} but duckdb is "
                           f"v{duckdb.__version__}: install the same version of both")
    return found[0]


def _config(directory: Path) -> dict[str, str | bool]:
    return {"extension_directory": str(directory), "autoinstall_known_extensions": False,
            "autoload_known_extensions": True}


def install_extensions() -> Path:
    """Install the extensions from their package files into ``extension_dir()`` once; return the directory.

    Idempotent and safe between processes (a file lock); a package upgrade (another file size) reinstalls.
    """
    directory = extension_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = directory / f".installed-{duckdb.__version__}"
    want = "\n".join(f"{n} {_package_file(n).stat().st_size}" for n in EXTENSIONS)
    if stamp.is_file() and stamp.read_text() == want:
        return directory
    with open(directory / ".install.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if not (stamp.is_file() and stamp.read_text() == want):
            con = duckdb.connect(config=_config(directory))
            try:
                for name in EXTENSIONS:
                    con.execute(f"FORCE INSTALL '{_package_file(name)}'")
            finally:
                con.close()
            stamp.write_text(want)
    return directory


def s3_settings() -> dict[str, str]:
    """The S3 secret's fields from the standard AWS_* variables ({} when AWS_ACCESS_KEY_ID is not set)."""
    key = os.environ.get("AWS_ACCESS_KEY_ID", "")
    if not key:
        return {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    parsed = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}") if endpoint else None
    return {
        "key_id": key,
        "secret": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        "region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        "endpoint": parsed.netloc if parsed else "",
        "use_ssl": "false" if parsed and parsed.scheme == "http" else "true",
        # a self-hosted endpoint (SeaweedFS) serves buckets as paths; AWS itself as host names
        "url_style": "path" if parsed else "vhost",
    }


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(lake: Lake | None = None, *, snapshot: int | None = None, read_only: bool = False
            ) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the extensions loaded from ``extension_dir()``, the S3 secret from AWS_*, and
    ``lake`` attached as ``lake`` (at ``snapshot`` when given, which also makes it read-only)."""
    con = duckdb.connect(config=_config(install_extensions()))
    try:
        s3 = s3_settings()
        # only what this lake needs: loading an extension costs ~0.3 s per connection
        needed = ["ducklake"] if lake is not None else []
        if lake is not None and lake.is_postgres:
            needed.append("postgres")
        if s3 or (lake is not None and lake.is_s3):
            needed.append("httpfs")
        for name in needed:
            con.execute(f"LOAD {name}")
        if s3:
            fields = ", ".join(f"{k.upper()} {_quote(v) if k not in ('use_ssl',) else v}" for k, v in s3.items()
                               if v != "")
            con.execute(f"CREATE OR REPLACE SECRET mirsad_s3 (TYPE s3, {fields})")
        if lake is not None:
            options = [f"DATA_PATH {_quote(lake.data_path)}"]
            if snapshot is not None:
                options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
            if read_only or snapshot is not None:
                options.append("READ_ONLY")
            con.execute(f"ATTACH {_quote(lake.attach_path)} AS {ALIAS} ({', '.join(options)})")
    except duckdb.Error as exc:
        con.close()
        raise CatalogError(f"cannot open {lake.describe() if lake else 'DuckDB'}: {exc}") from exc
    return con


# ---------------------------------------------------------------- the lake tables


def _duck_type_table(name: str) -> pa.Table:
    return LAKE_TABLES[name][1].empty_table()


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the lake's schema and tables (and columns a newer ``schemas.py`` added); no data inlining."""
    # DuckLake 1.5 reserves the column name row_id while inlining small inserts into the catalog: keep every row
    # in Parquet files (which is also what the S3 layout wants).
    if con.execute(f"select value from {ALIAS}.options() where option_name = 'data_inlining_row_limit'"
                   ).fetchone() != ("0",):
        con.execute(f"CALL {ALIAS}.set_option('data_inlining_row_limit', 0)")
    con.execute("BEGIN TRANSACTION")  # all or nothing: two machines creating the lake at once, one retries
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {ALIAS}.{LAKE_SCHEMA}")
    existing = {(t, c) for t, c in con.execute(
        "select table_name, column_name from duckdb_columns() where database_name = ? and schema_name = ?",
        [ALIAS, LAKE_SCHEMA]).fetchall()}
    tables = {t for t, _ in existing}
    for name in LAKE_TABLES:
        if name not in tables:
            empty = _duck_type_table(name)  # noqa: F841 - read by DuckDB's replacement scan
            con.execute(f"CREATE TABLE IF NOT EXISTS {ALIAS}.{LAKE_SCHEMA}.{name} AS SELECT * FROM empty")
            continue
        for fld in LAKE_TABLES[name][1]:
            if (name, fld.name) not in existing:  # a column added to schemas.py since the table was made
                typed = pa.table({fld.name: pa.array([], fld.type)})  # noqa: F841 - read by DuckDB
                duck_type = con.execute("describe select * from typed").fetchone()[1]
                con.execute(f'ALTER TABLE {ALIAS}.{LAKE_SCHEMA}.{name} ADD COLUMN IF NOT EXISTS "{fld.name}" '
                            f"{duck_type}")
    if "commit_head" not in tables:  # one row from the start: every commit rewrites it (see commit_batches)
        con.execute(f"CREATE TABLE IF NOT EXISTS {ALIAS}.{LAKE_SCHEMA}.commit_head (batch_id VARCHAR)")
        con.execute(f"INSERT INTO {ALIAS}.{LAKE_SCHEMA}.commit_head SELECT '' "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {ALIAS}.{LAKE_SCHEMA}.commit_head)")
    if "builds" not in tables:
        con.execute(f"CREATE TABLE IF NOT EXISTS {ALIAS}.{LAKE_SCHEMA}.builds (built_at TIMESTAMPTZ, "
                    "lake_snapshot BIGINT, warehouse_snapshot BIGINT, lake_head VARCHAR)")
    con.execute("COMMIT")


@contextlib.contextmanager
def open_lake(settings, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection with the settings' lake attached and its tables made (retried on a DDL conflict)."""
    lake = lake_of(settings)
    if not lake.is_s3:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    if not lake.is_postgres:
        Path(lake.catalog).parent.mkdir(parents=True, exist_ok=True)
    con = connect(lake, read_only=read_only)
    try:
        if not read_only:
            _retry(lambda: ensure_tables(con), con, "create the lake tables")
        yield con
    finally:
        con.close()


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) or bool(_CONFLICT.search(str(exc)))


def _retry(work, con: duckdb.DuckDBPyConnection, what: str):
    """Run ``work()`` (its own transaction); on a commit conflict roll back and run it again from the start."""
    delay = 0.05
    for attempt in range(COMMIT_RETRIES):
        try:
            return work()
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            if not _is_conflict(exc) or attempt == COMMIT_RETRIES - 1:
                raise
            _LOG.warning("DuckLake %s: commit conflict with another writer, retrying the whole transaction "
                         "(attempt %d): %s", what, attempt + 2, " ".join(str(exc).split()))
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- ledger


def _ledger_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    cols = ["file_path", "size_bytes", "mtime_ns", "status", "sha256", "article_id"]
    return con.execute(f"select {', '.join(cols)} from {ALIAS}.{LAKE_SCHEMA}.ingestions").to_arrow_table() \
        .to_pydict()


def ledger_index(settings):
    """The ingestion ledger's index (``lake.LedgerIndex``) read from the catalog's ``ingestions`` table."""
    from extractors.ingest.lake import LedgerIndex

    with open_lake(settings) as con:
        return _index_from(_ledger_rows(con), LedgerIndex)


def _index_from(table: dict[str, list], cls):
    seen: dict = {}
    shas: set[str] = set()
    articles: set[str] = set()
    for path, size, mtime, status, sha, article_id in zip(
            table["file_path"], table["size_bytes"], table["mtime_ns"], table["status"], table["sha256"],
            table["article_id"], strict=True):
        seen[(path, size, mtime)] = status
        if status in ("processed", "duplicate") and sha:
            shas.add(sha)
        if status == "processed" and article_id:
            articles.add(article_id)
    return cls(seen=seen, sha256=frozenset(shas), article_ids=frozenset(articles))


def read_ledger(settings) -> pa.Table:
    """Every row of the catalog's ingestion ledger."""
    with open_lake(settings, read_only=True) as con:
        return con.execute(f"select * from {ALIAS}.{LAKE_SCHEMA}.ingestions").to_arrow_table()


def lake_head(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(f"select max(batch_id) from {ALIAS}.{LAKE_SCHEMA}.commit_head").fetchone()
    return row[0] if row and row[0] else None


def _next_batch_id(head: str | None) -> str:
    """A new batch id that sorts after ``head`` even when this machine's clock is behind the one that wrote it."""
    from extractors.ingest.lake import new_batch_id

    candidate = new_batch_id()
    if head is None or candidate > head:
        return candidate
    stamp = datetime.strptime(head[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return new_batch_id(stamp + timedelta(microseconds=1))


# ---------------------------------------------------------------- commit


_PAUSED: set[str] = set()


def _test_pause(stage: str) -> None:
    """The runner's crash-test hook (MIRSAD_TEST_PAUSE_AT, MIRSAD_TEST_PAUSE_SECONDS), at most once per process
    and stage, ended early when the file MIRSAD_TEST_RESUME_FILE appears (tests only; unset in normal use)."""
    if os.environ.get("MIRSAD_TEST_PAUSE_AT") != stage or stage in _PAUSED:
        return
    import sys

    _PAUSED.add(stage)
    print(f"MIRSAD_TEST_PAUSED {stage}", file=sys.stderr, flush=True)
    resume = os.environ.get("MIRSAD_TEST_RESUME_FILE")
    deadline = time.monotonic() + float(os.environ.get("MIRSAD_TEST_PAUSE_SECONDS", "60"))
    while time.monotonic() < deadline and not (resume and os.path.exists(resume)):
        time.sleep(0.1)


def commit_batches(settings, batch_ids: list[str], run_id: str) -> dict:
    """Insert staged batches into the catalog as ONE batch, in one DuckLake transaction retried on a conflict.

    Same rules and result as ``runner.commit_batches``: a file already in the ledger is not recorded again, an
    article already in the lake (or earlier in this commit) becomes ``duplicate``; the register's clusters of
    the new rows are assigned in the same transaction; the staged dirs are deleted once it has committed. The
    ledger is read inside the transaction, so a retry after another machine's commit sees that commit's files,
    articles and clusters. The staged fact tables are inserted one batch at a time (memory bounded by a batch,
    not by the commit); the register then reads the commit's rows back from the catalog.
    """
    from extractors.ingest import lake as lake_files

    staging = lake_files.staging_dir(settings.lake_dir)
    batch_ids = [b for b in batch_ids if (staging / b).is_dir()]
    ledgers = {b: lake_files.read_staged(settings.lake_dir, b, "ingestions") for b in batch_ids}
    result: dict = {"batch_id": None, **dict.fromkeys(INGESTION_STATUSES, 0),
                    "rows": dict.fromkeys(FACT_TABLES, 0)}

    with open_lake(settings) as con:
        def insert(name: str, table: pa.Table) -> None:
            if table.num_rows:
                con.register("mirsad_part", table)
                con.execute(f"INSERT INTO {ALIAS}.{LAKE_SCHEMA}.{name} BY NAME SELECT * FROM mirsad_part")
                con.unregister("mirsad_part")

        def attempt() -> dict:
            con.execute("BEGIN TRANSACTION")
            head = lake_head(con)
            index = _index_from(_ledger_rows(con), lake_files.LedgerIndex)
            commit_id = _next_batch_id(head)
            plan = _plan(ledgers, index, commit_id)
            out = {"batch_id": None, **plan["counts"], "rows": dict.fromkeys(FACT_TABLES, 0)}
            if plan["ingestions"].num_rows == 0:
                con.execute("ROLLBACK")
                return out
            insert("ingestions", plan["ingestions"])
            for batch_id, keep in plan["keep"].items():
                if not keep:
                    continue
                ids = pa.array(sorted(keep), pa.string())
                for name in (*FACT_TABLES, "fingerprints"):
                    table = lake_files.read_staged(settings.lake_dir, batch_id, name)
                    table = table.filter(pc.is_in(table["article_id"], value_set=ids))
                    col = table.schema.get_field_index("batch_id")
                    insert(name, table.set_column(col, "batch_id", pa.array([commit_id] * table.num_rows,
                                                                             pa.string())))
                    if name in FACT_TABLES:
                        out["rows"][name] += table.num_rows
            t = time.perf_counter()
            insert("clusters", _clusters(con, commit_id))
            out["register_seconds"] = time.perf_counter() - t
            # the one row every commit rewrites: concurrent commits conflict here and are retried, in order
            con.execute(f"UPDATE {ALIAS}.{LAKE_SCHEMA}.commit_head SET batch_id = ?", [commit_id])
            _test_pause("catalog_commit")
            con.execute("COMMIT")
            out["batch_id"] = commit_id
            return out

        if batch_ids:
            result = _retry(attempt, con, "commit")
    lake_files.discard_staged(settings.lake_dir, batch_ids)
    return result


def _plan(ledgers: dict[str, pa.Table], index, commit_id: str) -> dict:
    """The ledger rows one commit records (files not yet recorded) and, per staged batch, the articles new to
    the lake whose fact rows it inserts."""
    known = set(index.article_ids)
    recorded: set = set()
    counts = Counter(dict.fromkeys(INGESTION_STATUSES, 0))
    keep: dict[str, set[str]] = {}
    ledger_rows: list[dict] = []
    for batch_id, ledger in ledgers.items():
        keep[batch_id] = set()
        for row in ledger.to_pylist():
            key = (row["file_path"], row["size_bytes"], row["mtime_ns"])
            if key in index.seen or key in recorded:
                continue
            recorded.add(key)
            if row["status"] == "processed":
                if row["article_id"] in known:
                    row.update(status="duplicate", duplicate_of=row["article_id"], article_id=None)
                else:
                    known.add(row["article_id"])
                    keep[batch_id].add(row["article_id"])
            row["batch_id"] = commit_id
            counts[row["status"]] += 1
            ledger_rows.append(row)
    ingestions = pa.Table.from_pylist(ledger_rows, schema=LAKE_TABLES["ingestions"][1])
    return {"counts": dict(counts), "keep": keep, "ingestions": ingestions}


def _clusters(con: duckdb.DuckDBPyConnection, commit_id: str) -> pa.Table:
    """The register's assignments of one commit (``register.compute_clusters``), read inside the committing
    transaction from the rows it just inserted (``batch_id`` = the commit's id) and those committed before: a
    retry after another machine's commit places the rows among that commit's clusters too, so the catalog's
    clusters are those of the same batches committed one after another on one machine."""
    from extractors.ingest import register
    from extractors.schemas import to_table

    quoted = "'" + commit_id.replace("'", "''") + "'"

    def new(name: str) -> str:
        return f"(select * from {ALIAS}.{LAKE_SCHEMA}.{name} where batch_id = {quoted})"

    def old(name: str) -> str:
        return f"(select * from {ALIAS}.{LAKE_SCHEMA}.{name} where batch_id <> {quoted})"

    return to_table("clusters", register.compute_clusters(con, new, old, commit_id))


# ---------------------------------------------------------------- build and readers


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute(f"select id from {ALIAS}.current_snapshot()").fetchone()[0])


def last_build(con: duckdb.DuckDBPyConnection) -> dict | None:
    cur = con.execute(f"select * from {ALIAS}.{LAKE_SCHEMA}.builds order by warehouse_snapshot desc limit 1")
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def dbt_env(settings, lake_snapshot: int) -> dict[str, str]:
    """The variables dbt's ``ducklake`` target (dbt_project/profiles.yml) reads."""
    lake = lake_of(settings)
    s3 = s3_settings()
    return {
        "MIRSAD_DUCKLAKE": lake.attach_path,
        "MIRSAD_DUCKLAKE_DATA_PATH": lake.data_path,
        "MIRSAD_LAKE_SNAPSHOT": str(lake_snapshot),
        "MIRSAD_DUCKDB_EXTENSION_DIR": str(install_extensions()),
        "MIRSAD_S3_KEY_ID": s3.get("key_id", ""),
        "MIRSAD_S3_SECRET": s3.get("secret", ""),
        "MIRSAD_S3_REGION": s3.get("region", "us-east-1"),
        "MIRSAD_S3_ENDPOINT": s3.get("endpoint", ""),
        "MIRSAD_S3_USE_SSL": s3.get("use_ssl", "true"),
        "MIRSAD_S3_URL_STYLE": s3.get("url_style", "vhost"),
    }


def publish_build(settings, lake_snapshot: int, head: str | None) -> int:
    """Record a finished build: readers attach the catalog snapshot it reached. Returns that snapshot id."""
    with open_lake(settings) as con:
        def attempt() -> int:
            con.execute("BEGIN TRANSACTION")
            reached = current_snapshot(con)
            con.execute(f"INSERT INTO {ALIAS}.{LAKE_SCHEMA}.builds VALUES (now(), ?, ?, ?)",
                        [lake_snapshot, reached, head])
            con.execute("COMMIT")
            return reached

        return _retry(attempt, con, "publish the build")


def published_build(settings) -> dict:
    """The last published build's ``builds`` row (lake_snapshot: the lake it read; warehouse_snapshot: what
    readers attach). Raises CatalogError when no build was published yet."""
    lake = lake_of(settings)
    con = connect(lake, read_only=True)
    try:
        build = last_build(con)
    except duckdb.Error as exc:
        raise CatalogError(f"no warehouse in {lake.describe()} yet: {exc}") from exc
    finally:
        con.close()
    if build is None:
        raise CatalogError(f"no warehouse build published in {lake.describe()} yet (run `mirsad run`)")
    return build


def connect_reader(settings, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection at the last published build's snapshot (or ``snapshot``): the warehouse models
    are ``lake.main.<model>``, first on the search path. Raises CatalogError when no build was published yet."""
    if snapshot is None:
        snapshot = int(published_build(settings)["warehouse_snapshot"])
    con = connect(lake_of(settings), snapshot=snapshot)
    con.execute(f"USE {ALIAS}.main")
    return con


def warehouse_counts(settings, marts: tuple[str, ...]) -> dict[str, int]:
    """Rows per mart at the last published build."""
    con = connect_reader(settings)
    try:
        present = {n for (n,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = 'main'",
            [ALIAS]).fetchall()}
        return {m: con.execute(f'select count(*) from {ALIAS}.main."{m}"').fetchone()[0] for m in marts
                if m in present}
    finally:
        con.close()


def maintain(settings, keep_hours: float = 24.0) -> dict[str, int]:
    """Merge small files, expire snapshots older than ``keep_hours`` (never the last published build's) and
    delete the files no snapshot needs any more. Run it from one place (it rewrites the catalog)."""
    with open_lake(settings) as con:
        build = last_build(con)
        cutoff = datetime.now(UTC) - timedelta(hours=keep_hours)
        if build is not None:
            made = con.execute(f"select snapshot_time from {ALIAS}.snapshots() where snapshot_id = ?",
                               [int(build["warehouse_snapshot"])]).fetchone()
            if made is not None and made[0] is not None:
                cutoff = min(cutoff, made[0])
        merged = con.execute(f"CALL ducklake_merge_adjacent_files('{ALIAS}')").fetchall()
        expired = con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', older_than => ?)", [cutoff]).fetchall()
        cleaned = con.execute(f"CALL ducklake_cleanup_old_files('{ALIAS}', cleanup_all => true)").fetchall()
    return {"merged": len(merged), "expired_snapshots": len(expired), "deleted_files": len(cleaned)}
