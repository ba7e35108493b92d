"""The cross-article register's assignments: which story, deal and event cluster each new row belongs to.

Run once per commit, on the merged batch before it is renamed into the lake (``runner.commit_batches``): the
new articles, transfer and event rows are compared with the clusters the lake already holds, and one
``clusters`` row per new member is written into the same batch, so the batch and its assignments appear
together. A member's cluster is decided once and never changed, and a new cluster's id is derived from its
first member (``story`` ids are article ids, ``deal-<row_id>``, ``event-<row_id>``): reruns, re-deliveries
(duplicates carry no rows) and later articles never change an id; a new article that joins a cluster changes
its counts in the dbt marts, not its id. New members are taken in published order (then article, sentence),
so a fresh run over a whole corpus gives the same clusters as the same articles committed run by run in that
order. Only the existing members that can match are read (same actors and category, dates around the new
ones), so a +50-file run stays cheap on a large lake.

- story: an article is a copy of an older one when their MinHash fingerprints match (ingest/stories.py); it
  joins that article's story.
- deal: a transfer mention joins the most recent compatible deal with the same supplier, recipient and
  category: no different named model, quantities that overlap (a delivery may be part of the number
  ordered), reported within ``DEAL_WINDOW_DAYS`` of the deal's latest mention. Denials join like claims.
- event: an event mention joins a cluster of the same type whose actors overlap its own and whose anchor
  dates lie within ``EVENT_WINDOW_DAYS`` of its anchor. The anchor is the event date when it is known to the
  day, else the article's published date (a report of the happening); with neither, or with no actors, the
  mention stays a cluster of its own (NULL dates never match each other).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from extractors.ingest import lake, stories
from extractors.schemas import ClusterRow, to_table
from extractors.text import textnorm

DEAL_WINDOW_DAYS = 730
EVENT_WINDOW_DAYS = 1
PARTIAL_STATUSES = frozenset({"delivered", "ongoing"})  # may report part of the number ordered
_FAR = date(9999, 12, 31)
Relation = Callable[[str], str]  # lake table name -> a SQL relation of its rows (files or a catalog table)


# ---------------------------------------------------------------- stories


@dataclass
class Article:
    article_id: str
    published_date: date | None
    minhash: bytes
    bands: list[int]
    n_shingles: int


def assign_stories(new: list[Article], existing: list[Article], story_of: dict[str, str],
                   batch_id: str = "") -> list[ClusterRow]:
    """Story rows of ``new`` articles; ``existing`` are the lake's candidates (sharing a band key) with
    ``story_of`` their stories. Earlier-published new articles are placed first and can be matched by later ones.

    Articles are held by index (one per article id): a band key's bucket is a list of indices; per new article
    the candidates sharing band keys are counted, ranked (most shared keys, then article id) and the
    ``MAX_CHECKS`` first compared on their signatures, each step one numpy operation over all candidates (at
    100,000 generated articles, whose buckets are all full, the per-candidate Python loop took most of the
    commit)."""
    every = sorted({a.article_id for a in existing} | {a.article_id for a in new})
    rank_of = {article_id: r for r, article_id in enumerate(every)}
    ranks = np.empty(len(every), dtype=np.int64)  # index -> rank of its article id (the tie-break)
    sigs = np.empty((len(every), stories.NUM_PERM), dtype="<u4")
    arts: list[Article] = []
    position: dict[str, int] = {}
    buckets: dict[int, list[int]] = {}

    def add(art: Article) -> int:
        i = position.get(art.article_id)
        if i is not None:  # the same article twice (one fingerprint per content): counted once
            return i
        i = position[art.article_id] = len(arts)
        arts.append(art)
        ranks[i] = rank_of[art.article_id]
        sigs[i] = np.frombuffer(art.minhash, dtype="<u4")
        return i

    def index(i: int) -> None:
        for key in arts[i].bands:
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [i]
            elif len(bucket) < stories.BUCKET_CAP:
                bucket.append(i)

    for art in sorted(existing, key=lambda a: (a.published_date or _FAR, a.article_id)):
        index(add(art))
    story_of = dict(story_of)
    rows = []
    for art in sorted(new, key=lambda a: (a.published_date or _FAR, a.article_id)):
        me = add(art)
        best: tuple[float, float, str] | None = None
        best_art: Article | None = None
        found = [bucket for key in art.bands if (bucket := buckets.get(key))]
        if found:
            candidates, shared = np.unique(np.fromiter(chain.from_iterable(found), dtype=np.int64),
                                           return_counts=True)
            keep = candidates != me
            candidates, shared = candidates[keep], shared[keep]
            top = candidates[np.lexsort((ranks[candidates], -shared))[: stories.MAX_CHECKS]]
            # stories.jaccard of every candidate at once: the share of equal MinHash values
            equal = np.count_nonzero(sigs[top] == sigs[me], axis=1).tolist()
            for i, n_equal in zip(top.tolist(), equal, strict=True):
                other = arts[i]
                j = float(n_equal) / stories.NUM_PERM
                if not stories.is_copy(j, art.n_shingles, other.n_shingles):
                    continue
                c = stories.containment(j, art.n_shingles, other.n_shingles)
                cand = (c, j, other.article_id)
                if best is None or cand[:2] > best[:2] or (cand[:2] == best[:2] and cand[2] < best[2]):
                    best, best_art = cand, other
        if best_art is None or best is None:
            story_of[art.article_id] = art.article_id
            rows.append(ClusterRow("story", art.article_id, art.article_id, None, None, batch_id))
        else:
            story_of[art.article_id] = story_of.get(best_art.article_id, best_art.article_id)
            rows.append(ClusterRow("story", art.article_id, story_of[art.article_id], best_art.article_id,
                                   round(best[0], 4), batch_id))
        index(me)
    return rows


# ---------------------------------------------------------------- deals


@dataclass
class Mention:
    """A transfer row as the deal matcher sees it."""

    row_id: str
    article_id: str
    sentence_index: int
    published_date: date | None
    supplier_id: str
    recipient_id: str
    item_category: str
    item_model: str | None
    quantity_min: int | None
    quantity_max: int | None
    quantity_unit: str | None
    status: str
    item_text: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.supplier_id, self.recipient_id, self.item_category)

    def quantity(self) -> tuple[int, int] | None:
        if self.quantity_min is None and self.quantity_max is None:
            return None
        low = self.quantity_min if self.quantity_min is not None else self.quantity_max
        high = self.quantity_max if self.quantity_max is not None else self.quantity_min
        return (int(low), int(high))  # type: ignore[arg-type]


@dataclass
class Deal:
    deal_id: str
    models: set[str] = field(default_factory=set)
    quantities: dict[str, tuple[int, int]] = field(default_factory=dict)  # unit -> (low, high) of claims
    last_date: date | None = None
    words: set[str] = field(default_factory=set)  # folded words of the mentions' item texts

    def add(self, m: Mention) -> None:
        self.words.update(item_words(m.item_text))
        if m.item_model:
            self.models.add(m.item_model)
        q = m.quantity()
        if q is not None and m.status != "denied":
            unit = m.quantity_unit or "unit"
            old = self.quantities.get(unit)
            self.quantities[unit] = q if old is None else (min(old[0], q[0]), max(old[1], q[1]))
        if m.published_date is not None and (self.last_date is None or m.published_date > self.last_date):
            self.last_date = m.published_date

    def score(self, m: Mention) -> tuple[int, int, float] | None:
        """None when ``m`` cannot belong to this deal, else (model agreement, quantity agreement: 2 when the
        ranges overlap, 1 for a delivery of part of the number claimed, 0 when unknown, share of the
        mention's item words the deal's mentions used): a mention naming no model ("صواريخ مضادة للسفن") goes
        to the deal described in the same words rather than to any deal of the pair."""
        model = 0
        if m.item_model and self.models:
            if m.item_model not in self.models:
                return None
            model = 1
        quantity = 0
        q = m.quantity()
        known = self.quantities.get(m.quantity_unit or "unit")
        if q is not None and known is not None and m.status != "denied":
            overlaps = q[0] <= known[1] and known[0] <= q[1]
            part = m.status in PARTIAL_STATUSES and q[1] <= known[1]
            if not (overlaps or part):
                return None
            quantity = 2 if overlaps else 1
        if m.published_date is not None and self.last_date is not None:
            if abs((m.published_date - self.last_date).days) > DEAL_WINDOW_DAYS:
                return None
        words = item_words(m.item_text)
        overlap = round(len(words & self.words) / len(words), 3) if words else 0.0
        return (model, quantity, overlap)


def item_words(text: str | None) -> set[str]:
    """Folded words of an item text, without numbers and one-letter tokens."""
    if not text:
        return set()
    return {w for w in (textnorm.fold_token(t) for t in textnorm.tokenize(text)) if len(w) > 1 and not w.isdigit()}


def _mention_order(m: Mention) -> tuple:
    return (m.published_date or _FAR, m.article_id, m.sentence_index, m.row_id)


def assign_deals(new: list[Mention], existing: list[tuple[Mention, str]], batch_id: str = "") -> list[ClusterRow]:
    """Deal rows of ``new`` transfer mentions; ``existing`` are the lake's mentions (same keys) with their deal ids."""
    deals: dict[str, Deal] = {}
    by_key: dict[tuple[str, str, str], list[Deal]] = {}
    for m, deal_id in sorted(existing, key=lambda e: _mention_order(e[0])):
        deal = deals.get(deal_id)
        if deal is None:
            deal = deals[deal_id] = Deal(deal_id)
            by_key.setdefault(m.key, []).append(deal)
        deal.add(m)
    rows = []
    for m in sorted(new, key=_mention_order):
        best: tuple | None = None
        best_deal: Deal | None = None
        for deal in by_key.get(m.key, ()):
            s = deal.score(m)
            if s is None:
                continue
            cand = (*s, deal.last_date or date.min, deal.deal_id)
            if best is None or cand > best:
                best, best_deal = cand, deal
        if best_deal is None:
            best_deal = deals[f"deal-{m.row_id}"] = Deal(f"deal-{m.row_id}")
            by_key.setdefault(m.key, []).append(best_deal)
            rows.append(ClusterRow("deal", m.row_id, best_deal.deal_id, None, None, batch_id))
        else:
            rows.append(ClusterRow("deal", m.row_id, best_deal.deal_id, None,
                                   float(best[0] + best[1] + best[2]), batch_id))  # type: ignore[index]
        best_deal.add(m)
    return rows


# ---------------------------------------------------------------- events


@dataclass
class EventMention:
    row_id: str
    article_id: str
    sentence_index: int
    event_type: str
    actor_ids: list[str]
    anchor: date | None  # event date known to the day, else the published date, else None

    def order(self) -> tuple:
        return (self.anchor or _FAR, self.article_id, self.sentence_index, self.row_id)


@dataclass
class EventCluster:
    cluster_id: str
    event_type: str
    actors: set[str] = field(default_factory=set)
    anchors: set[date] = field(default_factory=set)


def anchor_date(event_date: date | None, granularity: str | None, published_date: date | None) -> date | None:
    return event_date if event_date is not None and granularity == "day" else published_date


def assign_events(new: list[EventMention], existing: list[tuple[EventMention, str]],
                  batch_id: str = "") -> list[ClusterRow]:
    """Event-cluster rows of ``new`` event mentions; ``existing`` are the lake's candidates with their cluster ids."""
    clusters: dict[str, EventCluster] = {}
    by_day: dict[tuple[str, date], set[str]] = {}

    def add(cluster: EventCluster, e: EventMention) -> None:
        cluster.actors.update(e.actor_ids)
        if e.anchor is not None:
            cluster.anchors.add(e.anchor)
            by_day.setdefault((cluster.event_type, e.anchor), set()).add(cluster.cluster_id)

    for e, cid in sorted(existing, key=lambda x: x[0].order()):
        cluster = clusters.setdefault(cid, EventCluster(cid, e.event_type))
        add(cluster, e)
    rows = []
    for e in sorted(new, key=EventMention.order):
        best: tuple | None = None
        best_cluster: EventCluster | None = None
        if e.anchor is not None and e.actor_ids:
            near: set[str] = set()
            for delta in range(-EVENT_WINDOW_DAYS, EVENT_WINDOW_DAYS + 1):
                near |= by_day.get((e.event_type, e.anchor + timedelta(days=delta)), set())
            for cid in sorted(near):
                cluster = clusters[cid]
                overlap = len(cluster.actors & set(e.actor_ids))
                if not overlap:
                    continue
                closest = min(abs((a - e.anchor).days) for a in cluster.anchors)
                cand = (overlap, -closest, cid)
                if best is None or cand > best:
                    best, best_cluster = cand, cluster
        if best_cluster is None:
            best_cluster = clusters[f"event-{e.row_id}"] = EventCluster(f"event-{e.row_id}", e.event_type)
            rows.append(ClusterRow("event", e.row_id, best_cluster.cluster_id, None, None, batch_id))
        else:
            rows.append(ClusterRow("event", e.row_id, best_cluster.cluster_id, None, float(best[0]), batch_id))  # type: ignore[index]
        add(best_cluster, e)
    return rows


# ---------------------------------------------------------------- the commit step


def _files(paths: Iterable[Path]) -> list[str]:
    return [str(p) for p in paths if p.exists()]


def _scan(files: list[str], empty: str) -> str:
    if not files:  # no file of this table yet: the table's empty Arrow form, registered under ``empty``
        return empty
    return "read_parquet([" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "], union_by_name=true)"


def compute_clusters(con: duckdb.DuckDBPyConnection, new: Relation, old: Relation, batch_id: str) -> list[ClusterRow]:
    """The ``clusters`` rows of one commit: its new articles, transfers and events (``new(name)``: a relation of
    the commit's rows of lake table ``name``) placed among the clusters already committed (``old(name)``).

    The storage decides what the relations are: Parquet files of the folder lake (``assign_clusters``) or the
    tables of a DuckLake catalog read inside the committing transaction (``catalog.commit_batches``). Nothing
    is written through ``con`` (arrow tables are registered as views), so it may sit in a transaction."""
    return _stories(con, new, old, batch_id) + _deals(con, new, old, batch_id) + _events(con, new, old, batch_id)


def assign_clusters(lake_dir: Path, batch_id: str) -> int:
    """Write ``clusters.parquet`` of the staged (not yet committed) batch ``batch_id``; return its row count."""
    lake_dir = Path(lake_dir)
    staged = lake.staging_dir(lake_dir) / batch_id
    committed = [lake.batches_dir(lake_dir) / b for b in lake.committed_batches(lake_dir)]

    con = duckdb.connect()
    for name in ("articles", "transfers", "events", "fingerprints", "clusters"):
        con.register(f"empty_{name}", lake.empty_table(name))

    def old(name: str) -> str:
        return _scan(_files(b / f"{name}.parquet" for b in committed), f"empty_{name}")

    def new(name: str) -> str:
        return _scan(_files([staged / f"{name}.parquet"]), f"empty_{name}")

    try:
        rows = compute_clusters(con, new, old, batch_id)
    finally:
        con.close()
    path = staged / "clusters.parquet"
    tmp = staged / ".clusters.parquet.tmp"
    pq.write_table(to_table("clusters", rows), tmp, compression="zstd")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return len(rows)


def _records(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    table: pa.Table = con.sql(sql).to_arrow_table()
    return table.to_pylist()


def _stories(con, new, old, batch_id: str) -> list[ClusterRow]:
    fresh = _records(con, f"""
        select f.article_id, a.published_date, f.minhash, f.bands, f.n_shingles
        from {new('fingerprints')} f left join {new('articles')} a using (article_id)""")
    if not fresh:
        return []
    bands = con.sql(f"select distinct unnest(bands) as band from {new('fingerprints')}").to_arrow_table()
    con.register("new_bands", bands)
    known = _records(con, f"""
        with cand as (
            -- the first BUCKET_CAP articles of each band key the new ones share (see stories.BUCKET_CAP)
            select distinct article_id from (
                select f.article_id from (
                    select article_id, batch_id, unnest(bands) as band from {old('fingerprints')}
                ) f
                join new_bands using (band)
                qualify row_number() over (partition by band order by batch_id, article_id) <= {stories.BUCKET_CAP}
            )
        )
        select f.article_id, a.published_date, f.minhash, f.bands, f.n_shingles, c.cluster_id as story_id
        from {old('fingerprints')} f
        join cand using (article_id)
        left join (select article_id, max(published_date) as published_date from {old('articles')}
                   group by article_id) a using (article_id)
        left join (select member_id as article_id, cluster_id from {old('clusters')} where kind = 'story') c
            using (article_id)""")

    def art(r: dict) -> Article:
        return Article(r["article_id"], r["published_date"], r["minhash"], list(r["bands"] or ()), r["n_shingles"])

    return assign_stories([art(r) for r in fresh], [art(r) for r in known],
                          {r["article_id"]: r["story_id"] or r["article_id"] for r in known}, batch_id)


_TRANSFER_COLS = ("row_id, t.article_id, sentence_index, a.published_date, supplier_id, recipient_id, item_category, "
                  "item_model, quantity_min, quantity_max, quantity_unit, status, item_text")


def _mention(r: dict) -> Mention:
    return Mention(r["row_id"], r["article_id"], r["sentence_index"], r["published_date"], r["supplier_id"],
                   r["recipient_id"], r["item_category"], r["item_model"], r["quantity_min"], r["quantity_max"],
                   r["quantity_unit"], r["status"], r["item_text"] or "")


def _deals(con, new, old, batch_id: str) -> list[ClusterRow]:
    fresh = _records(con, f"""
        select {_TRANSFER_COLS} from {new('transfers')} t left join {new('articles')} a using (article_id)""")
    if not fresh:
        return []
    known = _records(con, f"""
        with keys as (select distinct supplier_id, recipient_id, item_category from {new('transfers')})
        select {_TRANSFER_COLS}, c.cluster_id as deal_id
        from {old('transfers')} t
        join keys using (supplier_id, recipient_id, item_category)
        join (select member_id as row_id, cluster_id from {old('clusters')} where kind = 'deal') c using (row_id)
        left join (select article_id, max(published_date) as published_date from {old('articles')}
                   group by article_id) a on a.article_id = t.article_id""")
    return assign_deals([_mention(r) for r in fresh], [(_mention(r), r["deal_id"]) for r in known], batch_id)


def _events(con, new, old, batch_id: str) -> list[ClusterRow]:
    fresh = _records(con, f"""
        select row_id, e.article_id, sentence_index, event_type, actor_ids, event_date, date_granularity,
               a.published_date
        from {new('events')} e left join {new('articles')} a using (article_id)""")
    if not fresh:
        return []

    def mention(r: dict) -> EventMention:
        return EventMention(r["row_id"], r["article_id"], r["sentence_index"], r["event_type"],
                            [a for a in (r["actor_ids"] or ()) if a],
                            anchor_date(r["event_date"], r["date_granularity"], r["published_date"]))

    mentions = [mention(r) for r in fresh]
    days = sorted({m.anchor + timedelta(days=d) for m in mentions if m.anchor
                   for d in range(-2 * EVENT_WINDOW_DAYS, 2 * EVENT_WINDOW_DAYS + 1)})
    types = sorted({m.event_type for m in mentions})
    if not days:
        return assign_events(mentions, [], batch_id)
    con.register("near_days", pa.table({"day": pa.array(days, pa.date32())}))
    known = _records_params(con, f"""
        select row_id, e.article_id, sentence_index, event_type, actor_ids, event_date, date_granularity,
               a.published_date, c.cluster_id
        from {old('events')} e
        join (select member_id as row_id, cluster_id from {old('clusters')} where kind = 'event') c using (row_id)
        left join (select article_id, max(published_date) as published_date from {old('articles')}
                   group by article_id) a on a.article_id = e.article_id
        where e.event_type in (select unnest($types::varchar[]))
          and coalesce(case when e.date_granularity = 'day' then e.event_date end, a.published_date)
              in (select day from near_days)""", {"types": types})
    return assign_events(mentions, [(mention(r), r["cluster_id"]) for r in known], batch_id)


def _records_params(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    return con.sql(sql, params=params).to_arrow_table().to_pylist()
