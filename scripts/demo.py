"""Print what the demo run left behind: files by status, rows per table, top flows, where things are.

Called by ``make demo`` after the two Airflow DAGs ran; reads MIRSAD_INBOX / MIRSAD_DATA_DIR like they do.
The numbers come from the library (the ledger in the lake, the built warehouse); this only lays them out.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table


def main() -> int:
    from extractors.ingest import summary, warehouse
    from extractors.ingest.runner import Settings

    settings = Settings.from_env()
    console = Console()
    console.rule("Mirsad demo")
    if not settings.lake_dir.is_dir():
        console.print(f"no lake in {settings.data_dir}: the ingest DAG did not run")
        return 1

    status = summary.ledger_status(settings.lake_dir)
    files = Table(title=f"files in {settings.inbox}")
    for name in status["counts"]:
        files.add_column(name, justify="right")
    files.add_row(*(str(n) for n in status["counts"].values()))
    console.print(files)
    for q in status["quarantined"]:
        console.print(f"  quarantined {q['file_path']}: {q['reason']}")

    if not settings.warehouse_path.exists():
        console.print(f"no warehouse at {settings.warehouse_path}: the warehouse DAG did not run")
        return 1
    rows = Table(title="rows in the warehouse")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for name, count in warehouse.warehouse_counts(settings.warehouse_path).items():
        rows.add_row(name, str(count))
    console.print(rows)

    flows = summary.top_flows(settings, n=10)
    if flows:
        table = Table(title="top supplier → recipient flows")
        for col in ("supplier", "recipient", "articles", "mentions", "categories"):
            table.add_column(col)
        for f in flows:
            table.add_row(f["supplier_id"], f["recipient_id"], str(f["articles"]), str(f["mentions"]),
                          f["categories"] or "")
        console.print(table)

    docs = settings.docs_dir / "index.html"
    report = settings.data_dir / "report" / "index.html"
    console.print(f"lake:      {settings.lake_dir}", soft_wrap=True)
    console.print(f"warehouse: {settings.warehouse_path}  (query it: mirsad sql 'select …')", soft_wrap=True)
    console.print(f"dbt docs:  {docs}  (serve with `make docs`)" if docs.exists() else "dbt docs:  not generated",
                  soft_wrap=True)
    if not report.exists():
        console.print(f"no report at {report}: the warehouse DAG's analyst_report task did not run")
        return 1
    # last line: the report, which opens from disk (file://) in any browser
    console.print(f"report:    {report}  (open it in a browser, or `make report`)", soft_wrap=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
