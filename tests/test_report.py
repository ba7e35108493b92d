"""The analyst's report (`mirsad report`), the exports (`mirsad export`) and the read-only shell (`mirsad sql`).

Built once from examples/inbox (the ``demo_data`` fixture in conftest.py). The browser test loads every page in
headless Chromium and fails on any console error, failed load, request leaving the machine, or chart drawn
empty; its screenshots are kept under the test's temporary folder.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from extractors.app import report
from extractors.ingest.warehouse import MARTS
from tests.browser import Browser, find_chromium
from tests.conftest import mirsad

pytestmark = pytest.mark.slow

PAGES = ("index.html", "flows.html", "timeline.html", "transfers.html", "actors.html")


def _query(data: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _embedded_flows(page: Path) -> list[dict]:
    match = re.search(r"var FLOWS=(\[.*?\]);var MEASURE=(\".*?\");", page.read_text(encoding="utf-8"))
    assert match, "the flows page embeds its rows"
    return json.loads(match.group(1)), json.loads(match.group(2))


def test_report_has_every_page_and_traces_marks_to_sources(demo_data: Path) -> None:
    site = demo_data / "report"
    for name in PAGES:
        assert (site / name).is_file(), name
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000  # the library itself, not a CDN link
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "http://cdn" not in text and "https://cdn" not in text, page

    # one page per actor named in a transfer, linked from the actors index
    actors = {a for row in _query(demo_data, "select supplier_id, recipient_id from fct_transfers") for a in row}
    index = (site / "actors.html").read_text(encoding="utf-8")
    for actor in actors:
        assert (site / "actors" / f"{actor}.html").is_file(), actor
        assert f'href="actors/{actor}.html"' in index
    russia = (site / "actors" / "RUS.html").read_text(encoding="utf-8")
    for (evidence,) in _query(demo_data, "select evidence_text from fct_transfers where recipient_id = 'RUS'"):
        assert report._e(evidence) in russia  # what Russia received, sentence by sentence

    # the transfers table: every row's Arabic evidence and a link to its article
    table = (site / "transfers.html").read_text(encoding="utf-8")
    rows = _query(demo_data, "select t.evidence_text, a.url from fct_transfers t join dim_articles a using (article_id)")
    assert table.count("<tr>") == len(rows) + 1
    for evidence, url in rows:
        assert report._e(evidence) in table
        if url:
            assert f'href="{report._e(url)}"' in table

    # the flows: widths are independent sources (the deal register is built), each band's hover has its evidence
    flows, measure = _embedded_flows(site / "flows.html")
    assert measure == "independent sources"
    (origins,) = _query(demo_data, "select sum(n_origins) from fct_transfer_deals "
                                   "where supplier_id is not null and recipient_id is not null")[0]
    assert sum(f["w"] for f in flows) == origins
    deu_ukr = [f for f in flows if (f["s"], f["r"]) == ("DEU", "UKR")]
    assert deu_ukr and all(f["ev"] for f in deu_ukr)
    sample = _query(demo_data, "select evidence_text from fct_transfers where supplier_id = 'DEU' limit 1")[0][0]
    assert any(sample.split()[0] in f["ev"] for f in deu_ukr)

    # the overview: articles, outlets, date range and the ledger's counts
    overview = (site / "index.html").read_text(encoding="utf-8")
    n_articles, first, last = _query(demo_data, "select count(*), min(published_date), max(published_date) "
                                                "from dim_articles")[0]
    assert f"<b>{n_articles}</b>articles" in overview
    assert f"{first} → {last}" in overview
    assert "the ingestion ledger" in overview and "processed" in overview


def test_exports_hold_every_row_of_every_mart(demo_data: Path) -> None:
    exports = demo_data / "report" / "exports"
    overview = (demo_data / "report" / "index.html").read_text(encoding="utf-8")
    for mart in MARTS:
        (count,) = _query(demo_data, f"select count(*) from {mart}")[0]
        assert pq.read_table(exports / f"{mart}.parquet").num_rows == count, mart
        with (exports / f"{mart}.csv").open(encoding="utf-8", newline="") as f:
            assert sum(1 for _ in csv.reader(f)) == count + 1, mart
        assert f'href="exports/{mart}.csv"' in overview and f'href="exports/{mart}.parquet"' in overview


def test_export_command_writes_one_format(demo_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = mirsad("export", "--data-dir", demo_data, "--out", out, "--format", "parquet")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{m}.parquet" for m in MARTS)
    assert pq.read_table(out / "fct_transfers.parquet").column_names[:4] == [
        "row_id", "article_id", "supplier_id", "recipient_id"]
    bad = mirsad("export", "--data-dir", demo_data, "--out", out, "--format", "xlsx")
    assert bad.returncode != 0 and bad.stderr.strip().splitlines()[-1].startswith("mirsad: error: unknown export")


def test_flows_fall_back_to_mentions_without_the_register(demo_data: Path, tmp_path: Path) -> None:
    """A warehouse built before the register existed: band widths count mention rows instead."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_data / "warehouse.duckdb", data / "warehouse.duckdb")
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    (schema,) = con.execute("select table_schema from information_schema.tables "
                            "where table_name = 'fct_transfer_deals'").fetchone()
    con.execute(f'drop table "{schema}".fct_transfer_deals')
    (n_rows,) = con.execute(f'select count(*) from "{schema}".fct_transfers '
                            "where supplier_id is not null and recipient_id is not null").fetchone()
    con.close()
    result = report.build_report(data / "warehouse.duckdb", data / "report")
    assert result.edge_measure == "mentions"
    flows, measure = _embedded_flows(data / "report" / "flows.html")
    assert measure == "mentions"
    assert sum(f["w"] for f in flows) == n_rows
    assert (demo_data / "report" / "exports" / "fct_transfer_deals.parquet").is_file()


def test_report_replaces_its_own_folder_only(demo_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = report.build_report(demo_data / "warehouse.duckdb", out)
    (out / "stale.html").write_text("old")
    report.build_report(demo_data / "warehouse.duckdb", out)  # a rebuild replaces the whole report
    assert first.index.is_file() and not (out / "stale.html").exists()
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    result = mirsad("report", "--data-dir", demo_data, "--out", mine)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("mirsad: error: ")
    assert "not a Mirsad report" in result.stderr and (mine / "keep.txt").read_text() == "mine"
    missing = mirsad("report", "--data-dir", tmp_path / "nothing-here")
    assert missing.returncode == 1 and "no warehouse at" in missing.stderr.strip().splitlines()[-1]


def test_sql_reads_the_marts_by_name_in_three_formats(demo_data: Path) -> None:
    query = "select supplier_id, count(*) as n from fct_transfers group by 1 order by 2 desc, 1 limit 3"
    expected = _query(demo_data, query)
    as_json = mirsad("sql", query, "--data-dir", demo_data, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert [(r["supplier_id"], r["n"]) for r in json.loads(as_json.stdout)] == expected
    as_csv = mirsad("sql", query, "--data-dir", demo_data, "--format", "csv")
    assert as_csv.stdout.splitlines() == ["supplier_id,n", *(f"{s},{n}" for s, n in expected)]
    table = mirsad("sql", "--data-dir", demo_data, stdin=query)  # the query on stdin, drawn as a table
    assert table.returncode == 0, table.stderr
    assert expected[0][0] in table.stdout and "3 row(s)" in table.stdout


def test_sql_is_read_only(demo_data: Path) -> None:
    result = mirsad("sql", "delete from fct_transfers", "--data-dir", demo_data)
    assert result.returncode == 1
    assert "read-only" in result.stderr.strip().splitlines()[-1]
    assert _query(demo_data, "select count(*) from fct_transfers")[0][0] > 0


# ------------------------------------------------------------------------------------------ the real browser

CHARTS_DRAWN = """
new Promise(function(done){
  var t0=Date.now();
  (function poll(){
    var charts=Array.from(document.querySelectorAll('[data-chart]')).map(function(d){
      return {id:d.id, drawn:d.classList.contains('js-plotly-plot'),
              marks:d.querySelectorAll('.sankey-link, .scatterlayer .point, .barlayer .point path').length};});
    if(charts.every(function(c){return c.drawn && c.marks>0;}) || Date.now()-t0>10000){done(charts);}
    else{setTimeout(poll,100);}
  })();
})
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must check the report in a browser: chromium is missing (.ci/run installs it)")
        pytest.skip("no chromium on PATH (apt-get install chromium; CI installs it and never skips this)")
    return path


@pytest.mark.browser
def test_every_page_draws_in_chromium_without_errors(demo_data: Path, chromium: str, tmp_path: Path) -> None:
    site = demo_data / "report"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > len(PAGES)  # the five pages and one per actor
    started = time.monotonic()
    with Browser(chromium, tmp_path / "profile") as browser:
        for page in pages:
            name = page.relative_to(site).as_posix()
            browser.load(page.as_uri())
            charts = browser.evaluate(CHARTS_DRAWN)
            browser.screenshot(shots / (name.replace("/", "_")[:-5] + ".png"))
            assert not browser.problems, (name, browser.problems)
            assert not browser.offsite_requests(), (name, browser.offsite_requests())
            for chart in charts:
                assert chart["drawn"] and chart["marks"] > 0, (name, chart)
            if name in ("index.html", "flows.html", "timeline.html"):
                assert charts, f"{name} draws no chart"
            assert browser.evaluate("getComputedStyle(document.querySelector('td.ar')||document.body)"
                                    ".direction") == ("rtl" if "td class=\"ar\"" in page.read_text() else "ltr")

        # hovering a timeline point shows its evidence sentence and source
        browser.load((site / "timeline.html").as_uri())
        browser.evaluate(CHARTS_DRAWN)
        browser.evaluate("Plotly.Fx.hover('chart-timeline',[{curveNumber:0,pointNumber:0}])")
        hover = browser.evaluate("document.querySelector('#chart-timeline .hoverlayer').textContent")
        first = browser.evaluate("document.getElementById('chart-timeline').data[0]")
        date = first["x"][0]
        (evidence,) = _query(demo_data, f"select evidence_text from fct_events where event_type = "
                                        f"'{first['name']}' and event_date = '{date}' limit 1")[0]
        assert evidence.split()[0] in hover and date in hover
        browser.screenshot(shots / "timeline_hover.png")

        # filtering the flows by a category redraws only that category's bands
        browser.load((site / "flows.html").as_uri())
        browser.evaluate(CHARTS_DRAWN)
        pairs = _query(demo_data, "select count(distinct (supplier_id, recipient_id)) from fct_transfers "
                                  "where item_category = 'drones'")[0][0]
        links = browser.evaluate("var s=document.getElementById('f-cat');s.value='drones';"
                                 "s.dispatchEvent(new Event('change'));"
                                 "document.getElementById('chart-flows').data[0].link.source.length")
        assert links == pairs > 0
        assert not browser.problems, browser.problems
    print(f"{len(pages)} pages checked in {time.monotonic() - started:.1f} s; screenshots in {shots}")
