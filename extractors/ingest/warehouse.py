"""Build the DuckDB warehouse from the Parquet lake with the dbt project in ``dbt_project/``.

dbt runs in-process (``dbt.cli.main.dbtRunner``). The build never touches the live warehouse file:
the current warehouse is copied to ``<warehouse>.building``, dbt builds there (incremental marts only
load new batches), and the finished file is swapped in with one ``os.replace``. A reader holding the
old warehouse open (read-only DuckDB CLI, a notebook) keeps its snapshot and never meets the build's
lock; a failed build leaves the old warehouse untouched and raises ``WarehouseBuildError``.

Usage::

    result = build_warehouse(lake_dir, data_dir / "warehouse.duckdb", docs_dir=data_dir / "docs")
    counts = warehouse_counts(data_dir / "warehouse.duckdb")   # {"fct_transfers": 12, ...}
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

REGISTER_MODELS = ("stg_fingerprints", "stg_clusters", "fct_claims", "fct_transfer_deals", "fct_event_clusters")
MARTS = (
    "dim_articles", "dim_actors", "fct_transfers", "fct_statements", "fct_events",
    "fct_file_ingestions", "fct_transfer_flows", "fct_claims", "fct_transfer_deals", "fct_event_clusters",
)
_FAILED_STATUSES = {"error", "fail", "runtime error"}
_WARN_STATUSES = {"warn"}


@dataclass
class BuildResult:
    ok: bool
    seconds: float
    n_models: int
    n_tests: int
    failures: list[str] = field(default_factory=list)
    docs_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    seeded: bool = False  # the seeds were (re)loaded: first build, full refresh, or a seed file changed
    views_rebuilt: bool = False  # the view models were re-created: first build, full refresh, project changed
    node_seconds: dict[str, float] = field(default_factory=dict)  # model name -> seconds dbt took to build it


class WarehouseBuildError(RuntimeError):
    """dbt failed; ``failures`` names the failing nodes, ``result`` holds the counts."""

    def __init__(self, message: str, failures: list[str], result: BuildResult | None = None) -> None:
        super().__init__(message)
        self.failures = failures
        self.result = result


def dbt_project_dir() -> Path:
    """The dbt project: env ``MIRSAD_DBT_PROJECT``, else ``dbt_project/`` beside ``extractors/``."""
    env = os.environ.get("MIRSAD_DBT_PROJECT")
    return Path(env).resolve() if env else Path(__file__).resolve().parents[2] / "dbt_project"


def build_warehouse(
    lake_dir: Path,
    warehouse_path: Path,
    *,
    docs_dir: Path | None = None,
    full_refresh: bool = False,
    target_dir: Path | None = None,
) -> BuildResult:
    """Seed + build (models and tests) the warehouse from ``lake_dir``; swap it in atomically.

    ``full_refresh`` rebuilds from an empty file (incremental marts reloaded from every batch).
    ``docs_dir`` also writes the dbt docs site there as a single ``index.html``.
    ``target_dir`` keeps dbt's target/ and logs/ there (default: a temporary folder per build).
    Raises ``WarehouseBuildError`` naming the failing nodes; the old warehouse is then unchanged.
    """
    start = time.monotonic()
    lake_dir = Path(lake_dir).resolve()
    warehouse_path = Path(warehouse_path).resolve()
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    project = dbt_project_dir()
    building = warehouse_path.with_name(warehouse_path.name + ".building")
    docs_stamp = _project_fingerprint(project) if docs_dir is not None else ""
    docs_current = docs_dir is not None and _docs_current(Path(docs_dir), docs_stamp)

    with _build_lock(warehouse_path), tempfile.TemporaryDirectory(prefix="mirsad-dbt-") as tmp:
        work = Path(target_dir).resolve() if target_dir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        _remove_db(building)
        if warehouse_path.exists() and not full_refresh:
            shutil.copy2(warehouse_path, building)
            wal = _wal(warehouse_path)
            if wal.exists():
                shutil.copy2(wal, _wal(building))
        try:
            with _env(MIRSAD_LAKE_DIR=_sql_safe_dir(lake_dir, Path(tmp)), MIRSAD_WAREHOUSE=str(building)), \
                    _quiet_log_failures():
                result, docs_html = _run_dbt(project, work, building, full_refresh=full_refresh,
                                             docs=docs_dir is not None and not docs_current)
            result.seconds = time.monotonic() - start
            if not result.ok:
                raise WarehouseBuildError(
                    f"dbt build failed: {', '.join(result.failures) or 'see dbt log in ' + str(work)}",
                    result.failures, result,
                )
            _checkpoint(building)
            os.replace(building, warehouse_path)
        except BaseException:
            _remove_db(building)
            raise
        if docs_dir is not None and docs_html is not None:
            docs_dir = Path(docs_dir)
            docs_dir.mkdir(parents=True, exist_ok=True)
            result.docs_path = docs_dir / "index.html"
            shutil.copyfile(docs_html, result.docs_path)
            (docs_dir / _DOCS_STAMP).write_text(docs_stamp, encoding="utf-8")
        elif docs_current:
            result.docs_path = Path(docs_dir) / "index.html"  # type: ignore[arg-type]
    result.seconds = time.monotonic() - start
    return result


def build_catalog_warehouse(settings: Any, *, docs_dir: Path | None = None, full_refresh: bool = False,
                            target_dir: Path | None = None) -> BuildResult:
    """Build the warehouse models into the DuckLake catalog of ``settings`` (dbt target ``ducklake``) from the
    lake at the snapshot current when the build starts, then publish the snapshot the build reached
    (``catalog.publish_build``): readers keep the last published build while this one runs, and a failed build
    publishes nothing. One build at a time per machine (a lock beside DATA_DIR's warehouse path); run builds from
    one place (the warehouse DAG) when several machines share the catalog."""
    from extractors.ingest import catalog

    start = time.monotonic()
    project = dbt_project_dir()
    docs_stamp = _project_fingerprint(project) if docs_dir is not None else ""
    docs_current = docs_dir is not None and _docs_current(Path(docs_dir), docs_stamp)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(settings.warehouse_path), tempfile.TemporaryDirectory(prefix="mirsad-dbt-") as tmp:
        with catalog.open_lake(settings) as con:
            lake_snapshot = catalog.current_snapshot(con)
            head = catalog.lake_head(con)
        work = Path(target_dir).resolve() if target_dir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        # MIRSAD_LAKE_DIR names the snapshot: the views' fingerprint changes with it, so they are re-created
        env = {**catalog.dbt_env(settings, lake_snapshot), "MIRSAD_LAKE_DIR": f"ducklake-snapshot-{lake_snapshot}"}
        with _env(**env):
            result, docs_html = _run_dbt(
                project, work, None, full_refresh=full_refresh, docs=docs_dir is not None and not docs_current,
                target="ducklake", stamps_io=(lambda: _catalog_stamps(settings), lambda s: _catalog_stamp(settings, s)))
        if not result.ok:
            result.seconds = time.monotonic() - start
            raise WarehouseBuildError(
                f"dbt build failed: {', '.join(result.failures) or 'see dbt log in ' + str(work)}",
                result.failures, result)
        catalog.publish_build(settings, lake_snapshot, head)
        if docs_dir is not None and docs_html is not None:
            docs_dir = Path(docs_dir)
            docs_dir.mkdir(parents=True, exist_ok=True)
            result.docs_path = docs_dir / "index.html"
            shutil.copyfile(docs_html, result.docs_path)
            (docs_dir / _DOCS_STAMP).write_text(docs_stamp, encoding="utf-8")
        elif docs_current:
            result.docs_path = Path(docs_dir) / "index.html"  # type: ignore[arg-type]
    result.seconds = time.monotonic() - start
    return result


def _catalog_stamps(settings: Any) -> dict[str, str]:
    from extractors.ingest import catalog

    with catalog.open_lake(settings, read_only=True) as con:
        rows = con.execute(_RELATIONS_SQL.replace("schema_name = 'main'",
                                                  f"schema_name = 'main' and database_name = '{catalog.ALIAS}'"))
        return {name: comment[len(_STAMP_PREFIX):] for name, _, comment in rows.fetchall()
                if comment and comment.startswith(_STAMP_PREFIX)}


def _catalog_stamp(settings: Any, stamps: dict[str, str]) -> None:
    from extractors.ingest import catalog

    with catalog.open_lake(settings) as con:
        sql = _RELATIONS_SQL.replace("schema_name = 'main'", f"schema_name = 'main' and database_name = '{catalog.ALIAS}'")
        kinds = {name: kind for name, kind, _ in con.execute(sql).fetchall()}
        for name, stamp in stamps.items():
            if name in kinds:
                con.execute(f"comment on {kinds[name]} {catalog.ALIAS}.main.\"{name}\" is '{_STAMP_PREFIX}{stamp}'")


_DOCS_STAMP = ".project-fingerprint"


def _project_fingerprint(project: Path) -> str:
    """Hash of the dbt project's own files and the dbt version: the docs site (models, columns, lineage,
    column types) changes only when this does, not when new rows arrive."""
    return _hash_files(_project_files(project), project)


def _project_files(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*")
                  if p.relative_to(project).parts[0] not in ("target", "logs", "dbt_packages"))


def _docs_current(docs_dir: Path, stamp: str) -> bool:
    marker = docs_dir / _DOCS_STAMP
    return (docs_dir / "index.html").is_file() and marker.is_file() and marker.read_text(encoding="utf-8") == stamp


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse file open read-write."""


def _is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _lock_message(warehouse_path: Path, exc: BaseException) -> str:
    holder = re.search(r"PID (\d+)", str(exc))
    who = f"process {holder.group(1)}" if holder else "another process"
    return (f"{warehouse_path} is held open read-write by {who}; close that connection or open the warehouse "
            "read-only (duckdb -readonly, duckdb.connect(path, read_only=True))")


def warehouse_problem(warehouse_path: Path) -> str | None:
    """Why an existing warehouse file cannot be used (truncated, emptied, not a DuckDB file, written by another
    DuckDB version), in one line; None when it opens (or does not exist, or another process holds it)."""
    path = Path(warehouse_path)
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if _is_lock_conflict(exc):
            return None  # busy, not damaged
        return " ".join(str(exc).split())
    try:
        con.execute("select count(*) from information_schema.tables").fetchone()
    except duckdb.Error as exc:
        return " ".join(str(exc).split())
    finally:
        con.close()
    return None


def set_aside(warehouse_path: Path) -> Path:
    """Move a damaged warehouse (and its WAL) to ``<name>.damaged-<UTC time>``; return the new path."""
    path = Path(warehouse_path)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, aside)
    wal = _wal(path)
    if wal.exists():
        os.replace(wal, _wal(aside))
    return aside


def warehouse_counts(warehouse_path: Path) -> dict[str, int]:
    """Rows per mart of a built warehouse (read-only connection; marts not built are left out).
    Raises ``WarehouseLocked`` (one clear line) when another process holds the file read-write."""
    try:
        con = duckdb.connect(str(warehouse_path), read_only=True)
    except duckdb.Error as exc:
        if _is_lock_conflict(exc):
            raise WarehouseLocked(_lock_message(Path(warehouse_path), exc)) from None
        raise
    try:
        present = {
            name for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        return {m: con.execute(f'select count(*) from "{m}"').fetchone()[0] for m in MARTS if m in present}
    finally:
        con.close()


class WarehouseMissing(RuntimeError):
    """No warehouse to read yet (never built), or a file that is not a Mirsad warehouse."""


def open_marts(source: Any) -> duckdb.DuckDBPyConnection:
    """A read-only connection whose search path starts at the warehouse's marts.

    ``source`` is a warehouse file (a ``Path``) or ``Settings``: with a DuckLake catalog (``MIRSAD_CATALOG``),
    the last published build of that catalog (``catalog.connect_reader``: a build in progress is not seen),
    else the settings' warehouse file. Every reader (``mirsad sql``, report, evaluate, register) opens here."""
    if not isinstance(source, (str, Path)):
        if getattr(source, "uses_catalog", False):
            from extractors.ingest import catalog

            try:
                return catalog.connect_reader(source)
            except catalog.CatalogError as exc:
                raise WarehouseMissing(str(exc)) from exc
        source = source.warehouse_path
    path = Path(source)
    if not path.is_file():
        raise WarehouseMissing(f"no warehouse at {path} (run `mirsad run` first)")
    con = duckdb.connect(str(path), read_only=True)
    row = con.execute(
        "select table_schema from information_schema.tables where table_name = 'dim_articles' "
        "order by table_schema = 'main' desc, table_schema limit 1"
    ).fetchone()
    if row is None:
        con.close()
        raise WarehouseMissing(f"{path} has no dim_articles: not a mirsad warehouse, or its build never finished")
    con.execute(f"set search_path = '{row[0]},main'")
    return con


def describe_warehouse(source: Any) -> str:
    """Where ``open_marts(source)`` reads, for messages (no password)."""
    if not isinstance(source, (str, Path)):
        if getattr(source, "uses_catalog", False):
            from extractors.ingest import catalog

            return catalog.lake_of(source).describe()
        source = source.warehouse_path
    return str(Path(source).resolve())


# --- dbt ---------------------------------------------------------------------------------------

def _run_dbt(project: Path, work: Path, building: Path | None, *, full_refresh: bool, docs: bool,
             target: str | None = None, stamps_io: tuple[Any, Any] | None = None) -> tuple[BuildResult, Path | None]:
    """dbt parse, seed (when needed) and build; ``target`` picks a profile output (default: the DuckDB file
    ``building``), ``stamps_io`` the (read, write) functions of the stamps when they do not live in ``building``."""
    from dbt.cli.main import dbtRunner

    read_stamps, write_stamps = stamps_io or (lambda: _stamps_in(building), lambda s: _stamp(building, s))
    common = [
        "--project-dir", str(project), "--profiles-dir", str(project), *(["--target", target] if target else []),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--quiet",  # the full log goes to --log-path; the console shows errors only (results are summarised)
    ]
    # The results come back in-process (summarised below; logs/dbt.log has every query), so parse, seed and
    # build skip writing manifest.json, run_results.json and graph.gpickle: about 0.3 s per command of JSON
    # and pickling that nothing reads. `docs generate` still writes its artefacts.
    quiet = [*common, "--no-write-json"]
    parsed = dbtRunner().invoke(["parse", *quiet])
    if not parsed.success:
        raise WarehouseBuildError(f"dbt parse failed: {parsed.exception}", ["parse"])
    runner = dbtRunner(manifest=parsed.result)
    seeds = _seed_tables(project)
    views, other_models = _models_split_by_view(parsed.result)
    seeds_stamp = "seeds:" + _seeds_fingerprint(project)
    views_stamp = "views:" + _views_fingerprint(project)
    stamps = {} if full_refresh else read_stamps()
    try:
        runs = []
        # Seeds are reloaded from scratch (so a lexicon that gains a column never breaks the build), but only
        # when their files or dbt changed since this warehouse last loaded them (a stamp kept in the warehouse).
        seeded = not all(stamps.get(t) == seeds_stamp for t in seeds)
        if seeded:
            runs.append(runner.invoke(["seed", "--full-refresh", *quiet]))
        # The staging views only hold SQL over the lake: re-created only when the project, dbt or the lake's
        # place changed. Their tests run every time (they read the new rows).
        views_current = bool(views) and all(stamps.get(v) == views_stamp for v in views)
        select = ["--select", "resource_type:test", *other_models] if views_current else []
        runs.append(runner.invoke(["build", *select, "--exclude", "resource_type:seed", *quiet,
                                   *(["--full-refresh"] if full_refresh else [])]))
        result = _summarise(runs)
        result.seeded = seeded
        result.views_rebuilt = not views_current
        docs_html = None
        if docs and result.ok:
            generated = runner.invoke(["docs", "generate", "--static", *common])
            if not generated.success:
                result.ok = False
                result.failures.append(f"docs generate: {generated.exception}")
            else:
                docs_html = work / "target" / "static_index.html"
    finally:
        _close_dbt_duckdb()
    if result.ok and (seeded or not views_current):
        write_stamps({**{t: seeds_stamp for t in seeds}, **{v: views_stamp for v in views}})
    return result, docs_html


def compile_model(source: Any, model: str, dbt_vars: dict[str, str] | None = None) -> str:
    """The SQL of ``model`` compiled with ``dbt_vars`` (e.g. ``{"as_of": "2024-03-01"}``) for the warehouse of
    ``source`` (``Settings``): a query a connection from ``open_marts(source)`` can run, leaving the built table
    as it is (``mirsad register --as-of`` uses it to rebuild the register as known on a day without touching it).
    With a DuckLake catalog it reads the lake at the snapshot of the last published build."""
    import json

    from dbt.cli.main import dbtRunner

    project = dbt_project_dir()
    target: list[str] = []
    if getattr(source, "uses_catalog", False):
        from extractors.ingest import catalog

        try:
            snapshot = int(catalog.published_build(source)["lake_snapshot"])
        except catalog.CatalogError as exc:
            raise WarehouseMissing(str(exc)) from exc
        env = {**catalog.dbt_env(source, snapshot), "MIRSAD_LAKE_DIR": f"ducklake-snapshot-{snapshot}"}
        target = ["--target", "ducklake"]
    else:
        env = {"MIRSAD_LAKE_DIR": str(Path(source.lake_dir).resolve()),
               "MIRSAD_WAREHOUSE": str(Path(source.warehouse_path).resolve())}
    with tempfile.TemporaryDirectory(prefix="mirsad-dbt-") as tmp, _env(**env):
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # compile prints the SQL it made
                result = dbtRunner().invoke([
                    "compile", "--select", model, "--vars", json.dumps(dbt_vars or {}), *target,
                    "--project-dir", str(project), "--profiles-dir", str(project), "--target-path", f"{tmp}/target",
                    "--log-path", f"{tmp}/logs", "--quiet", "--no-write-json",
                ])
        finally:
            _close_dbt_duckdb()
    if not result.success or not result.result:
        raise WarehouseBuildError(f"dbt compile of {model} failed: {result.exception}", [model])
    return str(result.result.results[0].node.compiled_code)


# --- stamps: what a warehouse file was last built with -----------------------------------------
# A comment on a seed table or view ("mirsad:<what>:<hash>") says which project files it was made from; it
# lives in the warehouse file itself, so it moves, is copied and is swapped together with what it describes.

_STAMP_PREFIX = "mirsad:"
_RELATIONS_SQL = (  # name, kind (as COMMENT ON names it), comment of every table and view of the warehouse
    "select table_name, 'table', comment from duckdb_tables() where schema_name = 'main' "
    "union all select view_name, 'view', comment from duckdb_views() where schema_name = 'main'")


def _hash_files(paths: list[Path], root: Path, *extra: str) -> str:
    import hashlib

    from dbt.version import __version__ as dbt_version

    h = hashlib.sha256("\0".join([dbt_version, *extra]).encode())
    for path in paths:
        if path.is_file():
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _seeds_fingerprint(project: Path) -> str:
    """What a seed load depends on: the seed files (symlinks followed), dbt_project.yml (column types), dbt."""
    return _hash_files([project / "dbt_project.yml", *sorted((project / "seeds").rglob("*"))], project)


def _views_fingerprint(project: Path) -> str:
    """What the view models' SQL depends on: every project file, dbt and dbt-duckdb, and the lake folder the
    sources read (``MIRSAD_LAKE_DIR`` is written into the views)."""
    from dbt.adapters.duckdb.__version__ import version as adapter_version

    return _hash_files(_project_files(project), project, adapter_version, os.environ.get("MIRSAD_LAKE_DIR", ""))


def _seed_tables(project: Path) -> list[str]:
    return sorted(p.stem for p in (project / "seeds").glob("*.csv"))


def _models_split_by_view(manifest: Any) -> tuple[list[str], list[str]]:
    """(view models, every other model) of the parsed project, names sorted."""
    views: list[str] = []
    others: list[str] = []
    for node in manifest.nodes.values():
        if str(node.resource_type).endswith("model"):
            (views if node.config.materialized == "view" else others).append(node.name)
    return sorted(views), sorted(others)


def _stamps_in(db: Path) -> dict[str, str]:
    """Stamps of the tables and views of ``db`` ({} when it does not exist or cannot be read)."""
    if not db.exists():
        return {}
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return {}
    try:
        rows = con.execute(_RELATIONS_SQL).fetchall()
    finally:
        con.close()
    return {name: comment[len(_STAMP_PREFIX):] for name, _, comment in rows
            if comment and comment.startswith(_STAMP_PREFIX)}


def _stamp(db: Path, stamps: dict[str, str]) -> None:
    con = duckdb.connect(str(db))
    try:
        kinds = {name: kind for name, kind, _ in con.execute(_RELATIONS_SQL).fetchall()}
        for name, stamp in stamps.items():
            if name in kinds:
                con.execute(f"comment on {kinds[name]} main.\"{name}\" is '{_STAMP_PREFIX}{stamp}'")
    finally:
        con.close()


def _summarise(runs: list[Any]) -> BuildResult:
    result = BuildResult(ok=all(r.success for r in runs), seconds=0.0, n_models=0, n_tests=0)
    for run in runs:
        if run.exception is not None:
            result.failures.append(f"dbt: {run.exception}")
        for node_result in getattr(run.result, "results", None) or []:
            node = node_result.node
            kind = str(node.resource_type)
            status = str(node_result.status).lower()
            if kind.endswith("model"):
                result.n_models += 1
                result.node_seconds[node.name] = float(getattr(node_result, "execution_time", 0.0) or 0.0)
            elif kind.endswith("test"):
                result.n_tests += 1
            if status in _FAILED_STATUSES:
                result.failures.append(node.name)
            elif status in _WARN_STATUSES:
                result.warnings.append(node.name)
    result.ok = result.ok and not result.failures
    return result


def _close_dbt_duckdb() -> None:
    """Close the DuckDB handle dbt-duckdb caches at class level, so the built file can be moved.

    dbt-duckdb keeps one environment per process (``DuckDBConnectionManager._ENV``) and only drops it
    at interpreter exit; in-process runs must close it themselves (private attribute, no public API).
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            with contextlib.suppress(Exception):
                env.close()
            DuckDBConnectionManager._ENV = None


# --- files -------------------------------------------------------------------------------------

_SQL_SAFE_PATH = re.compile(r"[A-Za-z0-9_./+=,@:-]+")


def _sql_safe_dir(folder: Path, scratch: Path) -> str:
    """``folder`` as the dbt sources paste it into ``read_parquet('<folder>/batches/*/x.parquet')``: a quote
    would end the SQL string, and ``*``, ``?``, ``[`` would make the glob match other folders. A path with any
    such character is reached through a symbolic link with a plain name in ``scratch``."""
    if _SQL_SAFE_PATH.fullmatch(str(folder)):
        return str(folder)
    alias = scratch / "lake"
    if not _SQL_SAFE_PATH.fullmatch(str(alias)):
        raise ValueError(f"cannot give dbt a plain path to the lake {folder}: temporary folder {scratch} has odd "
                         "characters too (set TMPDIR to a plain path)")
    alias.unlink(missing_ok=True)
    alias.symlink_to(folder, target_is_directory=True)
    return str(alias)


def _wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def _remove_db(db: Path) -> None:
    for path in (db, _wal(db)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _checkpoint(db: Path) -> None:
    """Fold any WAL into the file so the single ``os.replace`` carries the whole database."""
    con = duckdb.connect(str(db))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


@contextlib.contextmanager
def _build_lock(warehouse_path: Path) -> Iterator[None]:
    """One build per warehouse at a time (flock on ``<warehouse>.build.lock``)."""
    lock_path = warehouse_path.with_name(warehouse_path.name + ".build.lock")
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _quiet_log_failures() -> Iterator[None]:
    """A log handler that cannot write (dbt's log file on a full disk) drops the record instead of printing
    "--- Logging error ---" and a traceback for every line dbt logs (10,000 lines on a full disk): the build's
    own error is what the user sees, in one line."""
    previous = logging.raiseExceptions
    logging.raiseExceptions = False
    try:
        yield
    finally:
        logging.raiseExceptions = previous


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    """Set environment variables for the in-process dbt run, restoring them afterwards."""
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
