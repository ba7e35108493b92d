"""``mirsad register``: the deal register (fct_transfer_deals) as a table, optionally as known on a day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from extractors.ingest import warehouse
from extractors.ingest.config import Settings

_COLUMNS = (
    "deal_id", "supplier_id", "recipient_id", "item_category", "item_models", "latest_status", "status_history",
    "first_reported", "last_reported", "first_reported_by", "n_mentions", "n_articles", "n_outlets", "n_origins",
    "quantity_low", "quantity_best", "quantity_high", "quantity_unit", "claimed_by", "denied_by", "contested",
    "confidence", "sources", "mention_row_ids",
)


class RegisterError(RuntimeError):
    """No warehouse, or no register in it."""


def deal_register(settings: Settings, as_of: date | None = None, ingested_by: str | None = None) -> list[dict[str, Any]]:
    """Rows of fct_transfer_deals, most reported first. With ``as_of`` (and/or ``ingested_by``), the model's SQL is
    compiled with those vars and run read-only on the warehouse: the register as known then, same deal ids."""
    where = warehouse.describe_warehouse(settings)
    if not settings.uses_catalog and not Path(settings.warehouse_path).exists():  # before dbt could create it
        raise RegisterError(f"warehouse not found: {where} (run `mirsad run` first)")
    try:
        if as_of is None and ingested_by is None:
            source = "fct_transfer_deals"
        else:  # compiled before the reader opens: dbt's own connection is closed by then
            dbt_vars = {k: v for k, v in (("as_of", as_of.isoformat() if as_of else None),
                                          ("ingested_by", ingested_by)) if v}
            source = f"({warehouse.compile_model(settings, 'fct_transfer_deals', dbt_vars)})"
        con = warehouse.open_marts(settings)
    except warehouse.WarehouseMissing as exc:
        raise RegisterError(f"warehouse not found: {exc}") from None
    try:
        if not con.execute("select count(*) from duckdb_tables() where table_name = 'fct_transfer_deals' "
                           "and schema_name = current_schema()").fetchall()[0][0]:
            raise RegisterError(f"no fct_transfer_deals in {where}: rebuild the warehouse (`mirsad run`)")
        return con.sql(
            f"select {', '.join(_COLUMNS)} from {source} as deals "
            "order by n_origins desc, n_articles desc, first_reported nulls last, deal_id").to_arrow_table().to_pylist()
    finally:
        con.close()


def render(rows: list[dict[str, Any]], console: Console, title: str) -> None:
    table = Table(title=title)
    for name in ("supplier → recipient", "item", "status", "first reported", "sources", "contested"):
        table.add_column(name)
    for r in rows:
        item = r["item_category"] + (f" ({', '.join(r['item_models'])})" if r["item_models"] else "")
        if r["quantity_best"] is not None or r["quantity_low"] is not None:
            low, high, best = r["quantity_low"], r["quantity_high"], r["quantity_best"]
            item += f" ×{best}" if best is not None and low == high else f" ×{low}-{high}"
        status = " → ".join(h.split(":")[0] for h in r["status_history"] or []) or (r["latest_status"] or "")
        status += f" [{r['latest_status']}]" if r["latest_status"] else ""
        sources = f"{r['n_origins']} origins / {r['n_outlets']} outlets / {r['n_articles']} articles"
        contested = ("yes: denied by " + ", ".join(r["denied_by"]) if r["denied_by"] else "yes") if r["contested"] else ""
        first = f"{r['first_reported'] or '?'} {r['first_reported_by'] or ''}".strip()
        table.add_row(f"{r['supplier_id']} → {r['recipient_id']}", item, status, first, sources, contested)
    console.print(table)
