"""Rich tables of a run summary and of the ledger status, for the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from extractors.ingest.summary import FACT_TABLES, RunSummary
from extractors.schemas import INGESTION_STATUSES


def plain(value: object) -> str:
    """Text for a rich table or line, shown as written: markup brackets escaped (a file named ``a[/]b.txt``
    or ``[link=...]x.txt`` is a name, not markup) and control characters (terminal escape sequences) shown
    as ``\\x1b`` rather than sent to the terminal."""
    text = "" if value is None else str(value)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return escape(text)


def render_run(summary: RunSummary, flows: list[dict[str, Any]], console: Console) -> None:
    files = Table(title=f"mirsad run {summary.run_id}", show_header=True)
    for col in ("processed", "duplicate", "quarantined", "deferred", "unchanged (skipped)"):
        files.add_column(col, justify="right")
    c = summary.counts
    files.add_row(*(str(x) for x in (c.get("processed", 0), c.get("duplicate", 0), c.get("quarantined", 0),
                                     len(summary.deferred), summary.skipped_known)))
    console.print(files)

    rows = Table(title="rows", show_header=True)
    rows.add_column("table")
    rows.add_column("added this run", justify="right")
    rows.add_column("in warehouse", justify="right")
    for name in FACT_TABLES:
        total = summary.warehouse_counts.get(f"dim_{name}" if name == "articles" else f"fct_{name}", "")
        rows.add_row(name, str(summary.rows.get(name, 0)), str(total))
    console.print(rows)

    if flows:
        ft = Table(title="top supplier → recipient flows", show_header=True)
        for col in ("supplier", "recipient", "articles", "mentions", "categories"):
            ft.add_column(col)
        for f in flows:
            ft.add_row(*(plain(f[k]) for k in ("supplier_id", "recipient_id", "articles", "mentions", "categories")))
        console.print(ft)

    timing = "  ".join(f"{k} {v:.2f}s" for k, v in summary.timings.items())
    console.print(f"timings: {timing}")
    if summary.deferred:
        console.print(f"deferred (still being written, picked up next run): {len(summary.deferred)}")
    if summary.built:
        console.print(f"warehouse: {plain(summary.warehouse_path)}")
    elif summary.build_skipped_reason:
        console.print(f"warehouse: {plain(summary.warehouse_path)} (not rebuilt: {plain(summary.build_skipped_reason)})")
    if summary.docs_path:
        console.print(f"dbt docs: {plain(summary.docs_path)}")


def render_status(status: dict[str, Any], console: Console) -> None:
    c = status["counts"]
    console.print(f"ledger: {status['files']} file events in {status['batches']} batches ({plain(status['lake_dir'])})")
    console.print("  ".join(f"{k} {c[k]}" for k in INGESTION_STATUSES))
    last = status["last_run"]
    if last:
        console.print(f"last run: {plain(last['run_id'])} at {plain(last['ingested_at'])} (batch {plain(last['batch_id'])})")
    if status["quarantined"]:
        qt = Table(title="quarantined files", show_header=True)
        qt.add_column("file", no_wrap=True)
        qt.add_column("reason")
        qt.add_column("path", overflow="fold")
        for q in status["quarantined"]:
            qt.add_row(plain(Path(q["file_path"]).name), plain(q["reason"]), plain(q["file_path"]))
        console.print(qt)
