"""Print every mart row of a warehouse as sorted text, without run-dependent columns, so that two warehouses
built from the same inbox by two versions of the code can be compared with diff (behaviour-preserving changes
such as a module move must give no difference).

    .venv/bin/python scripts/warehouse_rows.py data/warehouse.duckdb > before.txt
"""

from __future__ import annotations

import sys

import duckdb

RUN_DEPENDENT = {"ingestion_key", "ingestion_id", "ingested_at", "run_id", "batch_id", "loaded_at", "extracted_at"}


def main(warehouse: str) -> None:
    con = duckdb.connect(warehouse, read_only=True)
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_name like 'fct\\_%' escape '\\' or table_name like 'dim\\_%' escape '\\' order by 2"
    ).fetchall()
    for schema, table in tables:
        cols = [c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [schema, table]).fetchall() if c not in RUN_DEPENDENT]
        rows = con.execute(f'select {", ".join(chr(34) + c + chr(34) for c in cols)} from "{schema}"."{table}"').fetchall()
        print(f"## {table} {cols}")
        for line in sorted(map(repr, rows)):
            print(line)


if __name__ == "__main__":
    main(sys.argv[1])
