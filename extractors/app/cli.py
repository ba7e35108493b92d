"""mirsad command line: run the pipeline, inspect the ledger, debug one article, score, benchmark.

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

from extractors.ingest.config import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])
console = Console()

InboxOpt = Annotated[Path | None, typer.Option("--inbox", help="folder of article files [$MIRSAD_INBOX or ./inbox]")]
DataOpt = Annotated[Path | None, typer.Option("--data-dir", help="lake, warehouse, docs [$MIRSAD_DATA_DIR or ./data]")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="extraction processes [$MIRSAD_WORKERS or CPUs]")]


def fail(reason: Any, code: int = 1) -> typer.Exit:
    """Print the one-line error and return the Exit to raise."""
    message = " ".join(str(reason).split()) or type(reason).__name__
    print(f"mirsad: error: {message}", file=sys.stderr)
    return typer.Exit(code)


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
    try:
        settings = Settings.from_env(inbox, data_dir, workers=workers)
        with contextlib.redirect_stdout(sys.stderr if verbose else log):  # stdout stays the summary (or JSON)
            result = runner.run(settings, progress=progress, build_warehouse=not no_build)
        flows = summary.top_flows(settings.warehouse_path) if result.warehouse_counts else []
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
    gold: Annotated[Path, typer.Option("--gold", help="folder of gold JSON files (one per article)")],
    data_dir: DataOpt = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the figures to this file")] = None,
    min_f1: Annotated[float | None, typer.Option("--min-f1", help="exit 1 when macro F1 is below this")] = None,
) -> None:
    """Score the warehouse against your gold files (same figures and table as the project's scorer)."""
    from extractors.app import evaluate

    settings = Settings.from_env(data_dir=data_dir)
    try:
        result = evaluate.evaluate(settings.warehouse_path, gold, json_out)
    except Exception as exc:
        raise fail(exc) from None
    print(evaluate.format_table(result))
    if min_f1 is not None and result["macro_f1"] < min_f1:
        raise typer.Exit(1)


@app.command("bench")
def bench_cmd(
    articles: Annotated[int, typer.Option("--articles", min=1, help="synthetic articles to generate")] = 1000,
    workers: WorkersOpt = None,
    incremental: Annotated[int, typer.Option("--incremental", min=0, help="then add K files and run again")] = 0,
    keep: Annotated[bool, typer.Option("--keep", help="keep the temporary inbox and data dir")] = False,
    build_warehouse: Annotated[bool, typer.Option("--build/--no-build", help="include the dbt build")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """Benchmark the real pipeline on a generated corpus of distinct articles."""
    from extractors.app import bench

    try:
        with contextlib.redirect_stdout(sys.stderr):  # dbt's log lines
            report = bench.run_bench(articles, workers=workers, incremental=incremental, keep=keep,
                                     build_warehouse=build_warehouse)
    except Exception as exc:
        raise fail(exc) from None
    if as_json:
        print(dumps(report))
    else:
        bench.render(report, console)


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
