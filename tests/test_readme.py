"""The README works as written on the demo data: its SQL returns rows, its commands exist, its counts are current."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from extractors.app import report
from extractors.app.cli import app
from extractors.ingest.warehouse import warehouse_counts
from tests.conftest import ROOT, mirsad

README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(README) if kind == lang]


STORY_SET = "-- on the story set"  # a block opening with this line runs on examples/stories, not the demo inbox


def sql_statements() -> list[tuple[str, str]]:
    """(statement, data set) for every statement of the README's SQL blocks: "demo" or "stories"."""
    statements = []
    for block in blocks("sql"):
        data_set = "stories" if block.lstrip().startswith(STORY_SET) else "demo"
        for stmt in block.split(";"):
            code = "\n".join(ln for ln in stmt.splitlines() if not ln.strip().startswith("--")).strip()
            if code:
                statements.append((code, data_set))
    return statements


def test_readme_has_example_queries() -> None:
    assert len(sql_statements()) >= 4


@pytest.mark.slow
@pytest.mark.parametrize(("sql", "data_set"), sql_statements(), ids=lambda s: " ".join(s.split())[:50])
def test_readme_query_returns_rows_on_the_demo_warehouse(request: pytest.FixtureRequest, sql: str,
                                                         data_set: str) -> None:
    data = request.getfixturevalue("stories_data" if data_set == "stories" else "demo_data")
    con = report.connect(data / "warehouse.duckdb")  # what `mirsad sql` opens
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert rows, f"the README's query returns nothing on the {data_set} data:\n{sql}"


def mirsad_sql_lines() -> list[str]:
    return [ln.strip() for block in blocks("bash") for ln in block.splitlines() if ln.strip().startswith("mirsad sql")]


@pytest.mark.slow
@pytest.mark.parametrize("line", mirsad_sql_lines(), ids=lambda s: s[:50])
def test_readme_mirsad_sql_commands_run(demo_data: Path, line: str) -> None:
    args = shlex.split(line.split(">")[0])[1:]  # drop `mirsad` and any redirection
    result = mirsad(*args, "--data-dir", demo_data)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) >= 2, result.stdout  # a header and at least one row


@pytest.mark.slow
def test_readme_demo_counts_are_current(demo_data: Path) -> None:
    shown = dict(re.findall(r"\b((?:dim|fct)_\w+) (\d+)\b", README.split("rows in the warehouse:", 1)[1][:400]))
    actual = {k: str(v) for k, v in warehouse_counts(demo_data / "warehouse.duckdb").items()}
    assert shown == actual, f"update the README's demo summary to: {' · '.join(f'{k} {v}' for k, v in actual.items())}"


def test_readme_commands_name_what_exists() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for service in re.findall(r"--scale (\S+?)=", README):
        assert re.search(rf"^  {re.escape(service)}:", compose, re.M), f"no compose service {service!r}"
    assert "duckdb -readonly" not in README  # no DuckDB shell is installed: `mirsad sql` is
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in set(re.findall(r"`make ([a-z-]+)", README)):
        assert re.search(rf"^{target}:", makefile, re.M), f"README names `make {target}`, the Makefile has none"
    commands = set(typer.main.get_command(app).commands)
    for name in set(re.findall(r"`mirsad ([a-z]+)", README)):
        assert name in commands, f"README names `mirsad {name}`, the CLI has no such command"
