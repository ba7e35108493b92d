"""The analyst's report: a static site built from the warehouse, and CSV/Parquet exports of its marts.

``build_report(warehouse, out_dir, lake_dir=...)`` writes one folder that opens from disk (``file://``, no
server, no network): ``index.html`` (overview and ingestion health), ``flows.html`` (supplier -> recipient
Sankey, filterable by category and status), ``timeline.html`` (dated events by type), ``transfers.html`` (every
transfer with its Arabic evidence sentence and a link to the article), ``actors.html`` and one page per actor
under ``actors/``, and ``exports/`` (every mart as CSV and Parquet). Charts are plotly figures drawn by
plotly.js, which is copied into the folder (``assets/plotly.min.js``) rather than fetched from a CDN.

Every mark traces back to its sources: a flow's or a point's hover lists evidence sentences with their outlet
and date; clicking a timeline point opens the article. Edge width is the number of independent sources per
flow when the warehouse has the deal register (``fct_transfer_deals`` with ``n_origins``), else mentions.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from extractors.ingest import summary, warehouse
from extractors.ingest.warehouse import MARTS

EXPORT_FORMATS = ("csv", "parquet")
MARKER = ".mirsad-report"  # marks a folder the report may replace as a whole
DEALS_TABLE = "fct_transfer_deals"
MAX_EVIDENCE = 4  # evidence sentences shown in one hover
STATUS_COLOURS = {
    "delivered": "#1b9e77", "ongoing": "#66a61e", "planned": "#7570b3", "considered": "#a6761d",
    "sought": "#e6ab02", "offered": "#e7298a", "intercepted": "#d95f02", "denied": "#666666",
}
COLOURWAY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
             "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
             "#756bb1", "#636363"]  # 20 distinct colours: event types do not share one
RLI, PDI = "\u2067", "\u2069"  # right-to-left isolate: an Arabic line keeps its order inside an LTR hover box


class ReportError(RuntimeError):
    """The warehouse cannot be read for a report (missing, or not built by mirsad)."""


@dataclass
class ReportResult:
    out_dir: Path
    index: Path
    pages: list[Path] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    charts: int = 0
    edge_measure: str = "mentions"

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "index": str(self.index), "pages": [str(p) for p in self.pages],
                "exports": [str(p) for p in self.exports], "charts": self.charts, "edge_measure": self.edge_measure}


# --------------------------------------------------------------------------------------------- warehouse access

def connect(source: Any) -> duckdb.DuckDBPyConnection:
    """A read-only connection whose search path starts with the schema holding the marts: a warehouse file, or
    ``Settings`` (its file, or the last published build of its DuckLake catalog; ``warehouse.open_marts``)."""
    try:
        return warehouse.open_marts(source)
    except warehouse.WarehouseMissing as exc:
        raise ReportError(str(exc)) from None


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    cols: dict[str, set[str]] = defaultdict(set)
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = current_schema()"
    ).fetchall():
        cols[table].add(column)
    return dict(cols)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_marts(source: Any, out_dir: Path, formats: tuple[str, ...] = EXPORT_FORMATS) -> list[Path]:
    """Write every mart of the warehouse (and the deal register when built) as ``out_dir/<mart>.<format>``."""
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        raise ReportError(f"unknown export format {unknown[0]!r} (use {' or '.join(EXPORT_FORMATS)})")
    con = connect(source)
    try:
        present = _tables(con)
        marts = [m for m in (*MARTS, DEALS_TABLE) if m in present]
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for mart in marts:
            for fmt in formats:
                target = out_dir / f"{mart}.{fmt}"
                options = "format csv, header true" if fmt == "csv" else "format parquet, compression zstd"
                con.execute(f"copy (select * from {mart}) to {_sql_path(target)} ({options})")
                written.append(target)
        return written
    finally:
        con.close()


# --------------------------------------------------------------------------------------------- formatting

def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _hover_lines(text: str, width: int = 70) -> str:
    """Escaped hover text, wrapped at ``width``; Arabic lines isolated right-to-left so they read correctly."""
    lines = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    return "<br>".join(f"{RLI}{html.escape(ln, quote=False)}{PDI}" if _is_arabic(ln) else html.escape(ln, quote=False)
                     for ln in lines)


def _quantity(row: dict[str, Any]) -> str:
    qmin, qmax, unit = row.get("quantity_min"), row.get("quantity_max"), row.get("quantity_unit")
    if qmin is None and qmax is None:
        return ""
    if qmin == qmax or qmax is None:
        text = f"{qmin:,}" if qmin is not None else f"≤ {qmax:,}"
    elif qmin is None:
        text = f"≤ {qmax:,}"
    else:
        text = f"{qmin:,}–{qmax:,}"
    return f"{text} {unit}" if unit and unit != "units" else text


def _slug(actor_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", actor_id)


def _json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    def default(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        raise TypeError(type(v).__name__)
    text = json.dumps(value, ensure_ascii=False, default=default)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


CSS = """
body{font-family:"DejaVu Sans","Noto Sans Arabic","Segoe UI",Tahoma,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3b4d;color:#fff;padding:.6em 1.2em}
header a{color:#fff;margin-right:1.2em;text-decoration:none}header a.here{text-decoration:underline}
header .brand{font-weight:bold;margin-right:2em}
main{padding:1em 1.5em;max-width:1400px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;background:#fff}
th,td{border:1px solid #ddd;padding:.3em .55em;vertical-align:top;font-size:.92em}
th{background:#eef2f5;text-align:left}
td.ar,span.ar{direction:rtl;text-align:right;unicode-bidi:isolate;font-size:1.02em}
.num{text-align:right}.muted{color:#777}.cards{display:flex;gap:1em;flex-wrap:wrap}
.card{background:#fff;border:1px solid #ddd;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.5em}
.chart{width:100%;background:#fff;border:1px solid #ddd}
label{margin-right:1em}select,input{font-size:1em}
.status{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-size:.85em}
"""

NAV = (("index.html", "Overview"), ("flows.html", "Flows"), ("timeline.html", "Timeline"),
       ("transfers.html", "Transfers"), ("actors.html", "Actors"))


def _page(title: str, body: str, here: str, *, depth: int = 0, charts: bool = False) -> str:
    up = "../" * depth
    links = "".join(f'<a href="{up}{href}"{" class=here" if href == here else ""}>{name}</a>' for href, name in NAV)
    script = f'<script src="{up}assets/plotly.min.js"></script>' if charts else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)} · Mirsad</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style>{script}</head>'
        f'<body><header><span class="brand">Mirsad مرصد</span>{links}</header><main><h1>{_e(title)}</h1>'
        f"{body}</main></body></html>"
    )


def _chart(div_id: str, figure: dict[str, Any], *, height: int = 460, click_opens_url: bool = False) -> str:
    """A plotly figure drawn by plotly.js from the bundled file; ``customdata[0]`` of a point is its URL."""
    layout = {"height": height, "margin": {"l": 60, "r": 30, "t": 40, "b": 50},
              "font": {"family": "DejaVu Sans, Noto Sans Arabic, sans-serif"},
              "hoverlabel": {"align": "right", "font": {"size": 13}}, "colorway": COLOURWAY,
              **figure.get("layout", {})}
    click = (f"document.getElementById({_json(div_id)}).on('plotly_click',function(ev){{"
             "var p=ev.points[0];var u=p.customdata&&p.customdata[0];if(u){window.open(u,'_blank');}});"
             if click_opens_url else "")
    return (f'<div class="chart" id="{div_id}" data-chart="1"></div><script>'
            f"Plotly.newPlot({_json(div_id)},{_json(figure['data'])},{_json(layout)},"
            f'{{"responsive":true,"displaylogo":false}});{click}</script>')


def _status(value: str | None) -> str:
    colour = STATUS_COLOURS.get(value or "", "#444")
    return f'<span class="status" style="background:{colour}">{_e(value)}</span>'


def _source_link(row: dict[str, Any], depth: int = 0) -> str:
    label = f"<bdi>{_e(row.get('source_name') or row.get('source_file') or row['article_id'])}</bdi>"
    when = f' <span class="muted">{_e(row.get("published_date"))}</span>' if row.get("published_date") else ""
    if row.get("url"):
        return f'<a href="{_e(row["url"])}" target="_blank" rel="noopener">{label}</a>{when}'
    return f'{label}{when} <span class="muted">(no URL)</span>'


def _actor_link(actor_id: str | None, names: dict[str, str], depth: int = 0, pages: set[str] | None = None) -> str:
    if not actor_id:
        return ""
    name = names.get(actor_id, actor_id)
    if pages is not None and actor_id not in pages:
        return _e(name)
    return f'<a href="{"../" * depth}actors/{_slug(actor_id)}.html">{_e(name)}</a>'


def _table(headers: list[str], rows: list[list[str]], *, table_id: str = "") -> str:
    if not rows:
        return '<p class="muted">none</p>'
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(rows_cell for rows_cell in r) + "</tr>" for r in rows)
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value: Any, cls: str = "") -> str:
    return f'<td class="{cls}">{value}</td>' if cls else f"<td>{value}</td>"


def _ar(text: Any) -> str:
    return f'<td class="ar" dir="rtl" lang="ar">{_e(text)}</td>'


# --------------------------------------------------------------------------------------------- the report

class _Data:
    """What the pages show, read once from the warehouse."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        present = _tables(con)
        self.articles = _rows(con, "select article_id, source_file, title, published_date, source_name, url "
                                   "from dim_articles order by published_date, source_file")
        self.by_article = {a["article_id"]: a for a in self.articles}
        self.actors = {a["actor_id"]: a for a in _rows(con, "select * from dim_actors")}
        self.names = {k: (a["name_en"] or a["name_ar"] or k) for k, a in self.actors.items()}
        src = "a.source_name, a.title, a.url, a.source_file"
        self.transfers = _rows(con, f"select t.*, {src} from fct_transfers t left join dim_articles a using "
                                    "(article_id) order by t.published_date, a.source_file, t.sentence_index")
        self.statements = _rows(con, f"select s.*, {src} from fct_statements s left join dim_articles a using "
                                     "(article_id) order by s.published_date, a.source_file, s.sentence_index")
        self.events = _rows(con, f"select e.*, {src} from fct_events e left join dim_articles a using "
                                 "(article_id) order by e.event_date nulls last, a.source_file, e.sentence_index")
        self.ingestions = _rows(con, "select status, reason, file_name, file_path from fct_file_ingestions")
        self.counts = {m: con.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS if m in present}
        self.deals: list[dict[str, Any]] = []
        deal_cols = present.get(DEALS_TABLE, set())
        if {"supplier_id", "recipient_id", "n_origins"} <= deal_cols:
            cat = "item_category" if "item_category" in deal_cols else "null"
            status = next((c for c in ("latest_status", "status") if c in deal_cols), "null")
            self.deals = _rows(con, f"select supplier_id, recipient_id, {cat} as item_category, {status} as status, "
                                    f"n_origins from {DEALS_TABLE}")
            self.counts[DEALS_TABLE] = len(self.deals)

    def actor_ids(self) -> list[str]:
        ids: set[str] = set()
        for t in self.transfers:
            ids.update(x for x in (t["supplier_id"], t["recipient_id"]) if x)
        ids.update(s["speaker_actor_id"] for s in self.statements if s["speaker_actor_id"])
        for e in self.events:
            ids.update(e["actor_ids"] or ())
        return sorted(ids, key=lambda k: self.names.get(k, k).lower())


def _evidence_hover(rows: list[dict[str, Any]]) -> str:
    parts = []
    for r in rows[:MAX_EVIDENCE]:
        where = " · ".join(str(x) for x in (r.get("source_name") or r.get("source_file"), r.get("published_date")) if x)
        parts.append(f"{_hover_lines(r['evidence_text'])}<br><i>{html.escape(where)}</i>")
    more = f"<br>… and {len(rows) - MAX_EVIDENCE} more" if len(rows) > MAX_EVIDENCE else ""
    return "<br>".join(parts) + more


def _overview(d: _Data, ledger: dict[str, Any] | None, exports: list[Path], out_dir: Path) -> tuple[str, int]:
    dates = [a["published_date"] for a in d.articles if a["published_date"]]
    outlets: dict[str, int] = defaultdict(int)
    for a in d.articles:
        outlets[a["source_name"] or "(outlet unknown)"] += 1
    cards = "".join(
        f'<div class="card"><b>{v}</b>{k}</div>' for k, v in (
            ("articles", len(d.articles)), ("outlets", len([o for o in outlets if o != "(outlet unknown)"])),
            ("transfers", len(d.transfers)), ("statements", len(d.statements)), ("events", len(d.events)),
            ("actors named", len(d.actor_ids())),
            ("published", f"{min(dates)} → {max(dates)}" if dates else "no dates"),
        )
    )
    body = [f'<div class="cards">{cards}</div>']

    if ledger is not None:
        counts, quarantined = ledger["counts"], ledger["quarantined"]
        health_src = f"the ingestion ledger in {_e(ledger['lake_dir'])}"
    else:  # no lake beside the warehouse: the warehouse's copy of the ledger
        counts = defaultdict(int)
        for r in d.ingestions:
            counts[r["status"]] += 1
        quarantined = [r for r in d.ingestions if r["status"] == "quarantined"]
        health_src = "fct_file_ingestions"
    body.append(f'<h2>Ingestion health</h2><p class="muted">from {health_src}</p>')
    body.append(_table([_e(k) for k in counts], [[_td(v, "num") for v in counts.values()]], table_id="health"))
    if quarantined:
        body.append("<p>Quarantined files, with the reason each was set aside:</p>")
        body.append(_table(["file", "reason"], [[_td(_e(q.get("file_path") or q.get("file_name"))),
                                                  _td(_e(q["reason"]))] for q in quarantined]))

    charts = 0
    if d.transfers:
        by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for t in d.transfers:
            by[(t["status"], t["item_category"])].append(t)
        categories = sorted({c for _, c in by})
        traces = [{"type": "bar", "name": s, "x": categories, "y": [len(by.get((s, c), [])) or None for c in categories],
                   "marker": {"color": STATUS_COLOURS.get(s, "#444")},
                   "hovertext": [_evidence_hover(by.get((s, c), [])) for c in categories],
                   "hovertemplate": f"<b>{s} · %{{x}}: %{{y}} mentions</b><br>%{{hovertext}}<extra></extra>"}
                  for s in sorted({s for s, _ in by})]
        body.append("<h2>Transfers by category and status</h2>")
        body.append(_chart("chart-categories", {"data": traces, "layout": {
            "barmode": "stack", "yaxis": {"title": {"text": "mentions"}}, "xaxis": {"tickangle": -30, "automargin": True},
            "margin": {"b": 120}}}))
        charts += 1

    body.append("<h2>Outlets</h2>")
    body.append(_table(["outlet", "articles"], [[_td(_e(k)), _td(v, "num")] for k, v in
                                               sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))]))
    body.append("<h2>Articles</h2>")
    body.append(_table(["published", "outlet", "title"], [
        [_td(_e(a["published_date"])), _td(_source_link(a)), _ar(a["title"] or a["source_file"])]
        for a in d.articles]))
    body.append("<h2>Exports</h2><p>Every mart of the warehouse, as CSV and Parquet:</p>")
    marts: dict[str, list[Path]] = defaultdict(list)
    for p in exports:
        marts[p.stem].append(p)
    body.append(_table(["mart", "rows", "files"], [
        [_td(_e(m)), _td(d.counts.get(m, ""), "num"),
         _td(" · ".join(f'<a href="{_e(p.relative_to(out_dir).as_posix())}">{p.suffix[1:]}</a>' for p in ps))]
        for m, ps in marts.items()]))
    return "".join(body), charts


def _flows(d: _Data) -> tuple[str, str]:
    """The Sankey page and the edge measure it uses."""
    evidence: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for t in d.transfers:
        evidence[(t["supplier_id"], t["recipient_id"], t["item_category"], t["status"])].append(t)
    measure = "independent sources" if d.deals else "mentions"
    weights: dict[tuple[str, str, str, str], int] = defaultdict(int)
    if d.deals:
        for deal in d.deals:
            weights[(deal["supplier_id"], deal["recipient_id"], deal["item_category"], deal["status"])] += \
                int(deal["n_origins"] or 0)
    else:
        for key, rows in evidence.items():
            weights[key] = len(rows)
    rows = []
    for (s, r, cat, status), w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
        if w <= 0 or not s or not r:
            continue
        ev = evidence.get((s, r, cat, status)) or [  # a register without category/status: the pair's evidence
            t for (ts, tr, tc, tst), rows_ in evidence.items() if (ts, tr) == (s, r)
            and cat in (None, tc) and status in (None, tst) for t in rows_]
        rows.append({"s": s, "r": r, "sl": d.names.get(s, s), "rl": d.names.get(r, r), "cat": cat or "(any)",
                     "status": status or "(any)", "w": w, "colour": STATUS_COLOURS.get(status or "", "#888"),
                     "ev": _evidence_hover(ev) if ev else ""})
    cats = sorted({x["cat"] for x in rows})
    statuses = sorted({x["status"] for x in rows})

    def options(values: list[str]) -> str:
        return '<option value="">all</option>' + "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)

    body = (
        f"<p>Who supplies whom: suppliers on the left, recipients on the right; a band's width is the number of "
        f"<b>{measure}</b> behind it{'' if d.deals else ' (transfer rows, main and related segments)'}. "
        "A band's colour is its main status (" + ", ".join(
            f'<span class="status" style="background:{c}">{s}</span>' for s, c in STATUS_COLOURS.items())
        + "). Hover a band for its evidence sentences and their sources; the list below links each actor's page.</p>"
        f'<label>category <select id="f-cat">{options(cats)}</select></label>'
        f'<label>status <select id="f-status">{options(statuses)}</select></label>'
        '<span id="f-count" class="muted"></span>'
        '<div class="chart" id="chart-flows" data-chart="1"></div>'
        f"<script>var FLOWS={_json(rows)};var MEASURE={_json(measure)};"
        + _FLOWS_JS + "</script>"
    )
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for x in rows:
        pairs[(x["s"], x["r"])] += x["w"]
    body += "<h2>Flows</h2>" + _table(["supplier", "recipient", measure], [
        [_td(_actor_link(s, d.names)), _td(_actor_link(r, d.names)), _td(w, "num")]
        for (s, r), w in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))])
    return body, measure


_FLOWS_JS = """
function drawFlows(){
  var cat=document.getElementById('f-cat').value, st=document.getElementById('f-status').value;
  var agg={}, order=[];
  FLOWS.forEach(function(f){
    if((cat&&f.cat!==cat)||(st&&f.status!==st)) return;
    var k=f.s+'|'+f.r;
    if(!agg[k]){agg[k]={s:f.s,r:f.r,sl:f.sl,rl:f.rl,w:0,ev:[],colour:f.colour,top:0,by:{},kinds:[]};order.push(k);}
    var a=agg[k]; a.w+=f.w; a.kinds.push(f.cat+' · '+f.status+': '+f.w); if(f.ev) a.ev.push(f.ev);
    a.by[f.status]=(a.by[f.status]||0)+f.w; if(a.by[f.status]>a.top){a.top=a.by[f.status];a.colour=f.colour;}
  });
  var nodes=[], idx={};
  function node(key,label){if(!(key in idx)){idx[key]=nodes.length;nodes.push(label);}return idx[key];}
  var src=[],tgt=[],val=[],col=[],hover=[];
  order.forEach(function(k){var a=agg[k];
    src.push(node('s:'+a.s,a.sl)); tgt.push(node('r:'+a.r,a.rl)); val.push(a.w);
    col.push(a.colour+'99');  // the status with the most weight in the band
    hover.push(a.kinds.join('<br>')+'<br><br>'+a.ev.join('<br><br>'));});
  document.getElementById('f-count').textContent=' '+order.length+' supplier → recipient pairs';
  var data=[{type:'sankey',arrangement:'snap',node:{label:nodes,pad:14,thickness:16,
      hovertemplate:'%{label}: %{value} '+MEASURE+'<extra></extra>'},
    link:{source:src,target:tgt,value:val,color:col,customdata:hover,
      hovertemplate:'<b>%{source.label} → %{target.label}</b>: %{value} '+MEASURE+'<br>%{customdata}<extra></extra>'}}];
  var layout={height:Math.max(420,26*nodes.length),margin:{l:20,r:20,t:20,b:20},
    font:{family:'DejaVu Sans, Noto Sans Arabic, sans-serif',size:12},hoverlabel:{align:'right'}};
  if(!order.length){Plotly.purge('chart-flows');
    document.getElementById('chart-flows').textContent='no transfer for this category and status';return;}
  Plotly.react('chart-flows',data,layout,{responsive:true,displaylogo:false});
}
document.getElementById('f-cat').addEventListener('change',drawFlows);
document.getElementById('f-status').addEventListener('change',drawFlows);
drawFlows();
"""


def _event_points(events: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e["event_date"] is not None:
            by_type[e["event_type"]].append(e)
    traces = []
    for etype, rows in sorted(by_type.items()):
        hover = []
        for e in rows:
            actors = ", ".join(names.get(a, a) for a in (e["actor_ids"] or [])) or "no actor named"
            where = " · ".join(str(x) for x in (e["source_name"] or e["source_file"], e["published_date"]) if x)
            hover.append(f"<b>{html.escape(etype)}</b> {e['event_date']} ({html.escape(e['date_granularity'] or '')})"
                         f"<br>{html.escape(actors)}<br>{_hover_lines(e['evidence_text'])}<br><i>{html.escape(where)}</i>")
        traces.append({"type": "scatter", "mode": "markers", "name": etype,
                       "x": [e["event_date"] for e in rows], "y": [etype] * len(rows),
                       "marker": {"size": 12, "opacity": 0.8, "line": {"width": 1, "color": "#fff"}},
                       "customdata": [[e["url"] or ""] for e in rows],
                       "hovertext": hover, "hovertemplate": "%{hovertext}<extra></extra>"})
    return traces


def _events_table(events: list[dict[str, Any]], names: dict[str, str], depth: int, pages: set[str]) -> str:
    return _table(["date", "type", "actors", "evidence", "source"], [
        [_td(_e(f"{e['event_date']} ({e['date_granularity']})" if e["event_date"] else e["date_text"] or "")),
         _td(_e(e["event_type"])),
         _td(", ".join(_actor_link(a, names, depth, pages) for a in (e["actor_ids"] or []))),
         _ar(e["evidence_text"]), _td(_source_link(e, depth))]
        for e in events])


def _timeline(d: _Data, pages: set[str]) -> tuple[str, int]:
    traces = _event_points(d.events, d.names)
    undated = sum(1 for e in d.events if e["event_date"] is None)
    body = ("<p>Dated events by type (a point per event, at the day, week, month or year the article gives). "
            "Hover a point for its actors, evidence sentence and source; click it to open the article.</p>")
    charts = 0
    if traces:
        body += _chart("chart-timeline", {"data": traces, "layout": {
            "xaxis": {"type": "date", "title": {"text": "event date"}}, "yaxis": {"type": "category"},
            "legend": {"orientation": "h", "y": -0.2}, "margin": {"l": 110, "t": 20}}}, height=480, click_opens_url=True)
        charts = 1
    else:
        body += '<p class="muted">no dated event in the warehouse</p>'
    if undated:
        body += f'<p class="muted">{undated} event(s) without a resolvable date are listed in the table only.</p>'
    body += "<h2>Events</h2>" + _events_table(d.events, d.names, 0, pages)
    return body, charts


def _transfer_rows(rows: list[dict[str, Any]], names: dict[str, str], depth: int, pages: set[str]) -> list[list[str]]:
    return [[_td(_e(t["published_date"])), _td(_actor_link(t["supplier_id"], names, depth, pages)),
             _td(_actor_link(t["recipient_id"], names, depth, pages)), _td(_e(t["item_category"])),
             _ar(t["item_model"] or t["item_text"] or ""), _td(_e(_quantity(t)), "num"), _td(_status(t["status"])),
             _ar(t["evidence_text"]), _td(_source_link(t, depth))] for t in rows]


TRANSFER_HEADERS = ["published", "supplier", "recipient", "category", "item", "quantity", "status", "evidence",
                    "source"]


def _transfers(d: _Data, pages: set[str]) -> str:
    return ("<p>Every transfer row, with the Arabic sentence it was read from and a link to its article. "
            'Type to filter: <input id="q" size="30" placeholder="actor, category, status, word…"> '
            '<span id="q-count" class="muted"></span></p>'
            + _table(TRANSFER_HEADERS, _transfer_rows(d.transfers, d.names, 0, pages), table_id="transfers")
            + "<script>(function(){var q=document.getElementById('q'),rows=document.querySelectorAll("
              "'#transfers tbody tr'),n=document.getElementById('q-count');function f(){var v=q.value.toLowerCase(),"
              "k=0;rows.forEach(function(r){var s=r.textContent.toLowerCase().indexOf(v)>=0;r.style.display=s?'':"
              "'none';if(s)k++;});n.textContent=k+' of '+rows.length+' rows';}q.addEventListener('input',f);f();})()"
              "</script>")


def _actor_page(actor_id: str, d: _Data, pages: set[str]) -> tuple[str, str, int]:
    info = d.actors.get(actor_id, {})
    name = d.names.get(actor_id, actor_id)
    supplied = [t for t in d.transfers if t["supplier_id"] == actor_id]
    received = [t for t in d.transfers if t["recipient_id"] == actor_id]
    said = [s for s in d.statements if s["speaker_actor_id"] == actor_id]
    events = [e for e in d.events if actor_id in (e["actor_ids"] or [])]
    body = (f'<p><span class="ar" dir="rtl" lang="ar">{_e(info.get("name_ar") or "")}</span> · '
            f"<code>{_e(actor_id)}</code> · {_e(info.get('actor_type') or 'not in the lexicon')}</p>")
    body += (f'<div class="cards"><div class="card"><b>{len(supplied)}</b>supplied</div><div class="card">'
             f'<b>{len(received)}</b>received</div><div class="card"><b>{len(said)}</b>statements</div>'
             f'<div class="card"><b>{len(events)}</b>events</div></div>')
    charts = 0
    traces = _event_points(events, d.names)
    if traces:
        body += "<h2>Its dated events</h2>" + _chart("chart-actor-events", {"data": traces, "layout": {
            "xaxis": {"type": "date"}, "yaxis": {"type": "category"}, "showlegend": False,
            "margin": {"l": 110}}}, height=300, click_opens_url=True)
        charts = 1
    body += "<h2>What it supplied</h2>" + _table(TRANSFER_HEADERS, _transfer_rows(supplied, d.names, 1, pages))
    body += "<h2>What it received</h2>" + _table(TRANSFER_HEADERS, _transfer_rows(received, d.names, 1, pages))
    body += "<h2>What its officials said</h2>" + _table(
        ["published", "speaker", "role", "verb", "quote", "source"],
        [[_td(_e(s["published_date"])), _ar(s["speaker_name"] or ""), _ar(s["speaker_role"] or ""),
          _ar(s["reporting_verb"] or ""), _ar(s["quote_text"] or ""), _td(_source_link(s, 1))] for s in said])
    body += "<h2>Its events</h2>" + _events_table(events, d.names, 1, pages)
    return name, body, charts


def build_report(source: Any, out_dir: Path, *, lake_dir: Path | None = None,
                 ledger: dict[str, Any] | None = None) -> ReportResult:
    """Write the report site for the warehouse of ``source`` (a file or ``Settings``, see ``connect``) into
    ``out_dir`` (replacing a previous report there). The ledger's health comes from ``ledger`` (as
    ``summary.ledger_status`` returns it) or is read from ``lake_dir``."""
    import plotly.offline  # the bundled plotly.js (imported here: the DAG file parses without plotly loaded)

    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists())):
        raise ReportError(f"{out_dir} exists and is not a Mirsad report: choose an empty or new folder for --out")
    con = connect(source)
    try:
        data = _Data(con)
    finally:
        con.close()
    if ledger is None and lake_dir is not None and Path(lake_dir).is_dir():
        ledger = summary.ledger_status(lake_dir)

    # build beside, then swap: a reader never sees half a report and a failure leaves the old one
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.building")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "assets").mkdir(parents=True)
    (tmp / "actors").mkdir()
    (tmp / "assets" / "plotly.min.js").write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    exports = export_marts(source, tmp / "exports")

    actor_ids = data.actor_ids()
    pages_set = set(actor_ids)
    written: dict[str, str] = {}
    charts = 0
    body, n = _overview(data, ledger, exports, tmp)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body += f'<p class="muted">Built {stamp} from {_e(warehouse.describe_warehouse(source))}.</p>'
    written["index.html"] = _page("Overview", body, "index.html", charts=bool(n))
    charts += n
    body, measure = _flows(data)
    written["flows.html"] = _page("Supplier → recipient flows", body, "flows.html", charts=True)
    charts += 1 if data.transfers else 0
    body, n = _timeline(data, pages_set)
    written["timeline.html"] = _page("Timeline of dated events", body, "timeline.html", charts=bool(n))
    charts += n
    written["transfers.html"] = _page("Transfers", _transfers(data, pages_set), "transfers.html")
    counts: dict[str, list[int]] = {a: [0, 0, 0, 0] for a in actor_ids}
    for t in data.transfers:
        for i, key in ((0, "supplier_id"), (1, "recipient_id")):
            if t[key] in counts:
                counts[t[key]][i] += 1
    for s in data.statements:
        if s["speaker_actor_id"] in counts:
            counts[s["speaker_actor_id"]][2] += 1
    for e in data.events:
        for a in set(e["actor_ids"] or []):
            counts[a][3] += 1
    written["actors.html"] = _page("Actors", "<p>Every actor named in a transfer, a statement or an event.</p>"
                                   + _table(["actor", "Arabic", "type", "supplied", "received", "statements",
                                             "events"], [
        [_td(_actor_link(a, data.names)), _ar(data.actors.get(a, {}).get("name_ar") or ""),
         _td(_e(data.actors.get(a, {}).get("actor_type") or ""))] + [_td(c, "num") for c in counts[a]]
        for a in actor_ids]), "actors.html")
    for actor_id in actor_ids:
        name, body, n = _actor_page(actor_id, data, pages_set)
        written[f"actors/{_slug(actor_id)}.html"] = _page(name, body, "", depth=1, charts=bool(n))
        charts += n
    for rel, text in written.items():
        (tmp / rel).write_text(text, encoding="utf-8")

    (tmp / MARKER).write_text("a Mirsad report: `mirsad report` replaces this folder as a whole\n", encoding="utf-8")
    old = out_dir.with_name(f".{out_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return ReportResult(out_dir=out_dir, index=out_dir / "index.html", pages=[out_dir / p for p in written],
                        exports=[out_dir / p.relative_to(tmp) for p in exports], charts=charts,
                        edge_measure=measure)
