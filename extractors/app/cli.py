"""mirsad command line: run the pipeline, inspect the ledger, query, report and export, debug one article, score, bench.

Every command fails with ONE line ``mirsad: error: <reason>`` on stderr and a non-zero exit status.
Defaults: ``--inbox`` $MIRSAD_INBOX or ./inbox, ``--data-dir`` $MIRSAD_DATA_DIR or ./data.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer import Abort
from typer.core import TyperGroup

from extractors.ingest.config import Settings

try:  # typer >= 0.2x carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - typer on the installed click
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError


class OneLineErrors(TyperGroup):
    """Usage errors (unknown flag, missing or bad argument) as one ``mirsad: error:`` line, not a box."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name="mirsad", complete_var=complete_var,
                              standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:  # bare `mirsad`: the help, as before
            exc.show()
            rv = 2
        except UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "mirsad"
            print(f"mirsad: error: {' '.join(exc.format_message().split())} (see `{where} --help`)", file=sys.stderr)
            rv = exc.exit_code
        except ClickException as exc:
            print(f"mirsad: error: {' '.join(exc.format_message().split())}", file=sys.stderr)
            rv = exc.exit_code
        except Abort:
            print("mirsad: error: aborted", file=sys.stderr)
            rv = 1
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(cls=OneLineErrors, add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])
console = Console()

# a str, not a Path: an S3 inbox (s3://bucket/prefix) must reach Settings as written
InboxOpt = Annotated[str | None, typer.Option("--inbox", help="folder of article files, or s3://bucket/prefix "
                                                             "[$MIRSAD_INBOX or ./inbox]")]
DataOpt = Annotated[Path | None, typer.Option("--data-dir", help="lake, warehouse, docs [$MIRSAD_DATA_DIR or ./data]")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="extraction processes [$MIRSAD_WORKERS or CPUs]")]


def fail(reason: Any, code: int = 1) -> typer.Exit:
    """Print the one-line error and return the Exit to raise."""
    message = " ".join(str(reason).split()) or type(reason).__name__
    print(f"mirsad: error: {message}", file=sys.stderr)
    return typer.Exit(code)


def check_dirs(inbox: Path | None = None, data_dir: Path | None = None) -> None:
    """Wrong paths named plainly before anything runs: an inbox must be a folder, a data dir a folder or new."""
    if inbox is not None:
        if inbox.is_file():
            raise fail(f"--inbox {inbox} is a file; give the folder that holds the article files")
        if not inbox.exists():
            raise fail(f"inbox not found: {inbox} (create it, or point --inbox / $MIRSAD_INBOX at your articles)")
    if data_dir is not None and data_dir.exists() and not data_dir.is_dir():
        raise fail(f"--data-dir {data_dir} is a file; give a folder (it is created when missing)")


def _paths(inbox: str | Path | None, data_dir: Path | None) -> tuple[Path | None, Path]:
    """The inbox and data dir a command will use (flags, then $MIRSAD_INBOX / $MIRSAD_DATA_DIR, then defaults);
    the inbox is None when it is an S3 prefix (no folder to check: the run says when it cannot be listed)."""
    try:
        settings = Settings.from_env(inbox, data_dir)
    except Exception as exc:  # e.g. a malformed MIRSAD_ variable
        raise fail(exc) from None
    return (None if settings.inbox_uri else settings.inbox), settings.data_dir


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, default=_json_default)


@app.command("run")
def run_cmd(
    inbox: InboxOpt = None,
    data_dir: DataOpt = None,
    workers: WorkersOpt = None,
    no_build: Annotated[bool, typer.Option("--no-build", help="commit to the lake, skip the dbt build")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="progress bar on stderr")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="stream dbt's log on stderr")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the run summary as JSON")] = False,
) -> None:
    """Ingest new files of the inbox into the lake and rebuild the warehouse.

    dbt's log is kept in DATA_DIR/logs/last-run.log (and streamed to stderr with --verbose).
    """
    from extractors.app import render
    from extractors.ingest import runner, summary

    log = io.StringIO()
    settings = None
    check_dirs(*_paths(inbox, data_dir))
    try:
        settings = Settings.from_env(inbox, data_dir, workers=workers)
        with contextlib.redirect_stdout(sys.stderr if verbose else log):  # stdout stays the summary (or JSON)
            result = runner.run(settings, progress=progress, build_warehouse=not no_build)
        flows = summary.top_flows(settings) if result.warehouse_counts else []
    except Exception as exc:  # one line, whatever went wrong (lock busy, dbt failure, inbox missing)
        saved = _save_log(settings, log)
        raise fail(f"{exc} (dbt log: {saved})" if saved else exc) from None
    _save_log(settings, log)
    if as_json:
        print(dumps({**result.to_dict(), "top_flows": flows}))
    else:
        render.render_run(result, flows, console)


def _save_log(settings: Settings | None, log: io.StringIO) -> Path | None:
    """Keep what dbt printed in DATA_DIR/logs/last-run.log; None when there is nothing (or nowhere) to keep."""
    text = log.getvalue()
    if settings is None or not text or not settings.data_dir.is_dir():
        return None
    path = settings.data_dir / "logs" / "last-run.log"
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return path


@app.command("status")
def status_cmd(
    data_dir: DataOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """The ingestion ledger: counts by status, quarantined files with reasons, the last run."""
    from extractors.app import render
    from extractors.ingest import summary

    check_dirs(data_dir=_paths(None, data_dir)[1])
    settings = Settings.from_env(data_dir=data_dir)
    if not settings.uses_catalog and not settings.lake_dir.is_dir():
        raise fail(f"no lake in {settings.data_dir} (run `mirsad run` first)")
    try:
        status = (summary.catalog_ledger_status(settings) if settings.uses_catalog
                  else summary.ledger_status(settings.lake_dir))
    except Exception as exc:
        raise fail(exc) from None
    if as_json:
        print(dumps(status))
    else:
        render.render_status(status, console)


@app.command("extract")
def extract_cmd(
    file: Annotated[Path, typer.Argument(help="one article file (its NAME.meta.json sidecar is read too)")],
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="size limit")] = Settings.max_bytes,
) -> None:
    """The rows one article yields, as JSON (for debugging; writes nothing)."""
    from extractors.facts import pipeline
    from extractors.ingest import reading

    if file.is_dir():
        raise fail(f"{file} is a folder; `mirsad extract` reads one article file (use `mirsad run --inbox {file}` "
                   "for a folder)")
    if not file.is_file():
        raise fail(f"no such file: {file}")
    rr = reading.read_article_file(file, max_bytes=max_bytes)
    if rr.status != "ok":
        print(dumps({"file": str(file), "status": rr.status, "reason": rr.reason, "warnings": rr.warnings}))
        raise typer.Exit(1)
    try:
        ex = pipeline.extract_article(
            rr.text, source_file=rr.file_name, sidecar=rr.sidecar, sha256=rr.sha256 or "", encoding=rr.encoding,
            ingested_at=datetime.now(UTC), warnings=tuple(rr.warnings or ()),
        )
    except Exception as exc:
        raise fail(f"extract_error: {type(exc).__name__}: {exc}") from None
    print(dumps(dataclasses.asdict(ex)))


@app.command("evaluate")
def evaluate_cmd(
    gold: Annotated[Path | None, typer.Option("--gold", help="folder of gold JSON files (one per article)")] = None,
    data_dir: DataOpt = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the figures to this file")] = None,
    min_f1: Annotated[float | None, typer.Option("--min-f1", help="exit 1 when macro F1 is below this")] = None,
    diffs: Annotated[bool, typer.Option("--diffs/--no-diffs",
                                        help="after the figures, list each miss and false positive per file")] = True,
    clusters: Annotated[Path | None, typer.Option(
        "--clusters", help="gold clusters JSON (deals, events, stories): score the register pairwise")] = None,
    min_cluster_f1: Annotated[float | None, typer.Option(
        "--min-cluster-f1", help="exit 1 when a cluster F1 is below this")] = None,
) -> None:
    """Score the warehouse against your gold files (same figures and table as the project's scorer).

    Then, per file and kind, every gold row not found (miss) and every predicted row not in gold (false
    positive), beside the nearest row on the other side; the JSON file holds the same list under "diffs".
    """
    from extractors.app import evaluate

    if gold is None and clusters is None:
        raise fail("give --gold (per-article gold files), --clusters (gold clusters file) or both", 2)
    settings = Settings.from_env(data_dir=data_dir)
    failed = False
    if gold is not None:
        try:
            result = evaluate.evaluate(settings, gold, json_out)
        except Exception as exc:
            raise fail(exc) from None
        print(evaluate.format_table(result))
        if diffs:
            print()
            print(evaluate.format_diffs(result))
        failed = min_f1 is not None and result["macro_f1"] < min_f1
    if clusters is not None:
        failed = _evaluate_clusters(settings, clusters, min_cluster_f1) or failed
    if failed:
        raise typer.Exit(1)


def _evaluate_clusters(source: Settings, clusters: Path, min_f1: float | None) -> bool:
    """Print the register's cluster scores; True when one is below ``min_f1``."""
    from extractors.app import evaluate

    try:
        scores = evaluate.evaluate_clusters(source, clusters)
    except Exception as exc:
        raise fail(exc) from None
    print(evaluate.format_cluster_table(scores))
    return min_f1 is not None and any(r["f1"] < min_f1 for r in scores.values())


@app.command("register")
def register_cmd(
    data_dir: DataOpt = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="the register as known on this day (YYYY-MM-DD): articles published by then")] = None,
    ingested_by: Annotated[str | None, typer.Option(
        "--ingested-by", help="also only articles ingested by this time (ISO date or timestamp)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the deals as JSON")] = False,
) -> None:
    """Print the deal register (fct_transfer_deals): supplier -> recipient, item, status, sources, contested."""
    from extractors.app import register

    settings = Settings.from_env(data_dir=data_dir)
    try:
        day = date.fromisoformat(as_of) if as_of else None
        if ingested_by:
            datetime.fromisoformat(ingested_by)
        rows = register.deal_register(settings, day, ingested_by)
    except ValueError as exc:
        raise fail(f"not an ISO date: {exc}") from None
    except Exception as exc:
        raise fail(exc) from None
    if as_json:
        print(dumps(rows))
    else:
        title = f"deal register as of {as_of}" if as_of else "deal register"
        register.render(rows, console, f"{title} ({len(rows)} deals)")


@app.command("bench")
def bench_cmd(
    articles: Annotated[int, typer.Option("--articles", min=1, help="synthetic articles to generate")] = 1000,
    workers: WorkersOpt = None,
    incremental: Annotated[int, typer.Option("--incremental", min=0, help="then add K files and run again")] = 0,
    keep: Annotated[bool, typer.Option("--keep", help="keep the temporary inbox and data dir")] = False,
    build_warehouse: Annotated[bool, typer.Option("--build/--no-build", help="include the dbt build")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
    corpus_cache: Annotated[Path | None, typer.Option(
        "--corpus-cache", help="keep the generated articles in this folder and reuse them next time")] = None,
) -> None:
    """Benchmark the real pipeline on a generated corpus of distinct articles."""
    from extractors.app import bench

    try:
        with contextlib.redirect_stdout(sys.stderr):  # dbt's log lines
            report = bench.run_bench(articles, workers=workers, incremental=incremental, keep=keep,
                                     build_warehouse=build_warehouse, corpus_cache=corpus_cache)
    except Exception as exc:
        raise fail(exc) from None
    if as_json:
        print(dumps(report))
    else:
        bench.render(report, console)


@app.command("report")
def report_cmd(
    data_dir: DataOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="folder for the site [DATA_DIR/report]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print what was written as JSON")] = False,
) -> None:
    """Write the report: a static site (overview, flows, timeline, actors, transfers, exports) that opens offline."""
    from extractors.app import report
    from extractors.ingest import summary

    check_dirs(data_dir=_paths(None, data_dir)[1])
    settings = Settings.from_env(data_dir=data_dir)
    try:
        result = report.build_report(settings, out or settings.data_dir / "report",
                                     ledger=summary.ledger_status_of(settings))
    except Exception as exc:
        raise fail(exc) from None
    if as_json:
        print(dumps(result.to_dict()))
    else:
        print(f"report: {result.index.resolve()}  ({len(result.pages)} pages, {result.charts} charts, "
              f"{len(result.exports)} exports; open it in a browser, or `make report`)")


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="folder for the files (created)")],
    data_dir: DataOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or parquet [both]")] = None,
) -> None:
    """Write every mart of the warehouse as CSV and/or Parquet files."""
    from extractors.app import report

    check_dirs(data_dir=_paths(None, data_dir)[1])
    settings = Settings.from_env(data_dir=data_dir)
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out} is a file; give a folder")
    try:
        written = report.export_marts(settings, out, (fmt,) if fmt else report.EXPORT_FORMATS)
    except Exception as exc:
        raise fail(exc) from None
    for path in written:
        print(path)


@app.command("sql")
def sql_cmd(
    query: Annotated[str | None, typer.Argument(help="SQL to run [read from stdin when omitted]")] = None,
    data_dir: DataOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    limit: Annotated[int, typer.Option("--max-rows", min=1, help="rows shown in a table")] = 200,
) -> None:
    """Query the warehouse read-only (DuckDB SQL; the marts are on the search path)."""
    import csv

    from extractors.app import report

    if fmt not in ("table", "csv", "json"):
        raise fail(f"--format {fmt!r}: use table, csv or json")
    if query is None:
        if sys.stdin.isatty():
            raise fail("no query: give one, e.g. mirsad sql 'select * from fct_transfers limit 5', or pipe it in")
        query = sys.stdin.read()
    check_dirs(data_dir=_paths(None, data_dir)[1])
    settings = Settings.from_env(data_dir=data_dir)
    try:
        con = report.connect(settings)
        try:
            cur = con.execute(query)
            names = [d[0] for d in cur.description] if cur.description else []
            rows = cur.fetchall() if names else []
        finally:
            con.close()
    except Exception as exc:
        raise fail(exc) from None
    if fmt == "json":
        print(dumps([dict(zip(names, r, strict=True)) for r in rows]))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(["" if v is None else v for v in r] for r in rows)
    else:
        from rich.table import Table

        table = Table(*names, caption=f"{len(rows)} row(s)" + (f", first {limit} shown" if len(rows) > limit else ""))
        for r in rows[:limit]:
            table.add_row(*("" if v is None else str(v) for v in r))
        console.print(table)


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
