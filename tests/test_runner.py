"""The runner end to end with the real reader and extractor: incremental, idempotent, duplicates, quarantine."""

from __future__ import annotations

import os
import time

import pyarrow.compute as pc
import pytest

from extractors.ingest import lake, runner
from extractors.ingest.config import Settings

ART_1 = """موسكو تتسلم شحنة جديدة من الطائرات المسيرة

قال مسؤول في وزارة الدفاع إن روسيا تسلمت مئات الطائرات المسيرة من إيران خلال الشهر الماضي.

وأضاف المسؤول أن الشحنة وصلت عبر بحر قزوين قبل أن تنقل إلى قاعدة جوية قرب الحدود.
"""
ART_2 = """كوريا الشمالية ترسل قذائف مدفعية إلى روسيا

ذكرت وكالة أنباء محلية أن بيونغ يانغ أرسلت آلاف القذائف المدفعية إلى موسكو عبر سكك الحديد.

وأكد المتحدث باسم الخارجية أن بلاده لن تقبل بهذه الصفقة، مشيرا إلى أن العقوبات ستشدد.
"""
ART_3 = """واشنطن تعلن حزمة مساعدات عسكرية جديدة لكييف

أعلنت الولايات المتحدة يوم الثلاثاء حزمة مساعدات تشمل صواريخ دفاع جوي وذخائر لأوكرانيا.

وقال الوزير إن الحزمة الجديدة ستصل خلال أسابيع قليلة إلى الجبهة الشرقية.
"""
ART_4 = """الصين تدرس بيع طائرات تدريب إلى دولة أفريقية

أفادت تقارير صحفية بأن بكين تدرس بيع عشر طائرات تدريب إلى نيجيريا في العام المقبل.
"""

_mtime_seq = [0]


def put(folder, name, text, *, age=120.0, encoding="utf-8"):
    """Write an article file whose mtime is ``age`` s in the past (so it counts as settled); unique mtimes."""
    path = folder / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    _mtime_seq[0] += 1
    ts = time.time() - age + _mtime_seq[0] * 1e-3
    os.utime(path, (ts, ts))
    return path


@pytest.fixture
def settings(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return Settings(inbox=inbox, data_dir=tmp_path / "data", workers=1, settle_seconds=0.5)


def run(settings, **kw):
    return runner.run(settings, build_warehouse=False, **kw)


def ledger(settings):
    return lake.read_ledger(settings.lake_dir).to_pylist()


def articles(settings):
    return lake.read_table(settings.lake_dir, "articles").to_pylist()


def test_rerun_with_nothing_new_commits_nothing(settings):
    for i, text in enumerate((ART_1, ART_2, ART_3)):
        put(settings.inbox, f"{i}.txt", text)
    first = run(settings)
    assert first.counts == {"processed": 3, "duplicate": 0, "quarantined": 0}
    assert first.batch_id is not None and first.rows["articles"] == 3
    batches = lake.committed_batches(settings.lake_dir)

    second = run(settings)
    assert second.batch_id is None
    assert second.counts == {"processed": 0, "duplicate": 0, "quarantined": 0}
    assert second.skipped_known == 3 and second.candidates == 0
    assert lake.committed_batches(settings.lake_dir) == batches
    assert not list((settings.lake_dir / "_staging").iterdir())


def test_adding_one_file_adds_only_its_rows(settings):
    put(settings.inbox, "a.txt", ART_1)
    put(settings.inbox, "b.txt", ART_2)
    run(settings)
    before = {t: lake.read_table(settings.lake_dir, t).num_rows for t in ("articles", "transfers", "events")}

    put(settings.inbox, "c.txt", ART_3)
    second = run(settings)
    assert second.counts["processed"] == 1 and second.candidates == 1
    new_batch = settings.lake_dir / "batches" / second.batch_id
    import pyarrow.parquet as pq

    new_articles = pq.read_table(new_batch / "articles.parquet").to_pylist()
    assert [a["source_file"] for a in new_articles] == ["c.txt"]
    assert all(a["batch_id"] == second.batch_id for a in new_articles)
    for table in ("transfers", "events"):
        added = pq.read_table(new_batch / f"{table}.parquet")
        assert set(added["article_id"].to_pylist()) <= {new_articles[0]["article_id"]}
        assert lake.read_table(settings.lake_dir, table).num_rows == before[table] + added.num_rows
    assert lake.read_table(settings.lake_dir, "articles").num_rows == before["articles"] + 1


def test_same_content_under_two_names_is_one_article(settings):
    put(settings.inbox, "a.txt", ART_1)
    put(settings.inbox, "a_copy.txt", ART_1.replace("\n", "\r\n"), encoding="utf-8-sig")  # same text, other bytes
    summary = run(settings)
    assert summary.counts == {"processed": 1, "duplicate": 1, "quarantined": 0}
    rows = {r["file_name"]: r for r in ledger(settings)}
    assert rows["a.txt"]["status"] == "processed"
    assert rows["a_copy.txt"]["status"] == "duplicate"
    assert rows["a_copy.txt"]["duplicate_of"] == rows["a.txt"]["article_id"]
    assert len(articles(settings)) == 1

    put(settings.inbox, "later_copy.txt", ART_1)  # delivered again in a later run
    later = run(settings)
    assert later.counts == {"processed": 0, "duplicate": 1, "quarantined": 0}
    assert later.rows["articles"] == 0
    assert len(articles(settings)) == 1


def test_redelivered_name_with_new_content_is_a_new_version(settings):
    put(settings.inbox, "news.txt", ART_1)
    run(settings)
    put(settings.inbox, "news.txt", ART_2)
    second = run(settings)
    assert second.counts["processed"] == 1
    arts = articles(settings)
    assert len(arts) == 2 and len({a["article_id"] for a in arts}) == 2
    assert {a["source_file"] for a in arts} == {"news.txt"}
    statuses = [r["status"] for r in ledger(settings) if r["file_name"] == "news.txt"]
    assert statuses == ["processed", "processed"]


def test_quarantined_file_recorded_with_reason_copied_and_kept(settings):
    bad = put(settings.inbox, "scan.txt", b"%PDF-1.7\n\x00\x01binary junk")
    english = put(settings.inbox, "english.txt", "This is an English press release about trade fairs. " * 5)
    put(settings.inbox, "good.txt", ART_3)
    summary = run(settings)
    assert summary.counts == {"processed": 1, "duplicate": 0, "quarantined": 2}
    rows = {r["file_name"]: r for r in ledger(settings)}
    assert rows["scan.txt"]["status"] == "quarantined" and rows["scan.txt"]["reason"].startswith("binary")
    assert rows["english.txt"]["reason"].startswith("not_arabic")
    assert bad.exists() and english.exists()  # originals never deleted
    copies = sorted(p.name for p in settings.quarantine_dir.iterdir())
    assert len(copies) == 2 and any(c.endswith("-scan.txt") for c in copies)
    assert all(r["article_id"] is None for r in rows.values() if r["status"] == "quarantined")
    # an unchanged quarantined file is not read or recorded again
    again = run(settings)
    assert again.skipped_known == 3 and again.batch_id is None


def test_file_being_written_is_deferred_then_picked_up(settings):
    put(settings.inbox, "done.txt", ART_1)
    growing = put(settings.inbox, "growing.txt", ART_2, age=0)  # mtime = now
    first = run(settings)
    assert first.deferred == [str(growing)]
    assert first.counts["processed"] == 1
    assert "growing.txt" not in {r["file_name"] for r in ledger(settings)}

    old = time.time() - 60
    os.utime(growing, (old, old))
    second = run(settings)
    assert second.deferred == [] and second.counts["processed"] == 1
    assert {r["file_name"] for r in ledger(settings)} == {"done.txt", "growing.txt"}


def test_size_change_between_looks_defers(settings, monkeypatch):
    path = put(settings.inbox, "slow.txt", ART_1)
    real_sleep = time.sleep

    def append_while_sleeping(seconds):
        with path.open("ab") as fh:
            fh.write("سطر إضافي\n".encode())
        real_sleep(seconds)

    monkeypatch.setattr(runner.time, "sleep", append_while_sleeping)
    found = runner.discover_files(settings)
    assert found.deferred == [str(path)] and found.candidates == []


def test_too_big_file_quarantined(settings):
    put(settings.inbox, "big.txt", ART_1 * 3)
    put(settings.inbox, "small.txt", ART_4)
    small = settings.with_(max_bytes=len(ART_4.encode()) + 10)
    summary = run(small)
    assert summary.counts == {"processed": 1, "duplicate": 0, "quarantined": 1}
    row = next(r for r in ledger(small) if r["file_name"] == "big.txt")
    assert row["status"] == "quarantined" and row["reason"].startswith("too_large")


def test_extraction_crash_quarantines_only_that_file(settings, monkeypatch):
    from extractors.facts import pipeline

    real = pipeline.extract_article

    def flaky(text, **kw):
        if kw["source_file"] == "boom.txt":
            raise ValueError("cannot parse\nthis")
        return real(text, **kw)

    monkeypatch.setattr(pipeline, "extract_article", flaky)
    put(settings.inbox, "boom.txt", ART_1)
    put(settings.inbox, "fine.txt", ART_2)
    summary = run(settings)
    assert summary.counts == {"processed": 1, "duplicate": 0, "quarantined": 1}
    row = next(r for r in ledger(settings) if r["file_name"] == "boom.txt")
    assert row["reason"] == "extract_error: ValueError: cannot parse this"
    assert (settings.inbox / "boom.txt").exists()


def test_sidecars_and_hidden_files_are_not_articles(settings):
    put(settings.inbox, "a.txt", ART_1)
    put(settings.inbox, "a.meta.json", '{"published_at": "2024-03-05", "url": "https://x.example/2024/03/05/a"}')
    put(settings.inbox, ".partial.txt", ART_2)
    (settings.inbox / ".hidden").mkdir()
    put(settings.inbox / ".hidden", "b.txt", ART_3)
    summary = run(settings)
    assert summary.candidates == 1
    (art,) = articles(settings)
    assert str(art["published_date"]) == "2024-03-05" and art["published_date_source"] == "sidecar"


def test_discovery_walks_subfolders_follows_file_links_not_folder_links(settings, tmp_path):
    (settings.inbox / "2024" / "03").mkdir(parents=True)
    nested = put(settings.inbox / "2024" / "03", "n.TXT", ART_1)
    put(settings.inbox / "2024", "n.META.JSON", "{}")  # a sidecar, whatever its case
    outside = tmp_path / "outside"
    outside.mkdir()
    put(outside, "o.txt", ART_2)
    (settings.inbox / "linked-folder").symlink_to(outside, target_is_directory=True)
    (settings.inbox / "linked-file.txt").symlink_to(outside / "o.txt")
    (settings.inbox / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(settings.inbox / "pipe.txt")

    found = runner.discover_files(settings)
    assert found.candidates == sorted([str(nested), str(settings.inbox / "linked-file.txt")])
    assert found.deferred == [] and found.skipped_known == 0


def test_parallel_workers_give_the_same_lake_as_serial(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "MIN_PARALLEL_BATCH", 1)
    results = {}
    for workers in (1, 2):
        inbox = tmp_path / f"in{workers}"
        inbox.mkdir()
        for i, text in enumerate((ART_1, ART_2, ART_3, ART_4, ART_1)):
            put(inbox, f"{i}.txt", text)
        s = Settings(inbox=inbox, data_dir=tmp_path / f"d{workers}", workers=workers, batch_size=2,
                     settle_seconds=0)
        summary = run(s)
        assert summary.counts == {"processed": 4, "duplicate": 1, "quarantined": 0}
        results[workers] = {
            t: sorted(lake.read_table(s.lake_dir, t, ["row_id"])["row_id"].to_pylist())
            for t in ("transfers", "statements", "events")
        }
        results[workers]["articles"] = sorted(lake.read_table(s.lake_dir, "articles")["article_id"].to_pylist())
        dup = lake.read_ledger(s.lake_dir).filter(pc.equal(lake.read_ledger(s.lake_dir)["status"], "duplicate"))
        assert dup["file_name"].to_pylist() == ["4.txt"]  # the later name of the same content
    assert results[1] == results[2]


def test_missing_inbox_is_an_error(tmp_path):
    s = Settings(inbox=tmp_path / "nope", data_dir=tmp_path / "data")
    with pytest.raises(runner.InboxMissing, match="inbox not found"):
        runner.run(s)


@pytest.mark.slow
def test_real_build_then_noop_rerun(settings):
    from extractors.ingest import summary as summ

    for i, text in enumerate((ART_1, ART_2, ART_3, ART_4)):
        put(settings.inbox, f"{i}.txt", text)
    first = runner.run(settings)
    assert first.built and settings.warehouse_path.exists()
    assert first.warehouse_counts["dim_articles"] == 4
    assert first.warehouse_counts["fct_transfers"] == lake.read_table(settings.lake_dir, "transfers").num_rows
    assert first.docs_path and os.path.exists(first.docs_path)
    assert isinstance(summ.top_flows(settings.warehouse_path), list)
    mtime = settings.warehouse_path.stat().st_mtime_ns

    again = runner.run(settings)
    assert not again.built and again.build_skipped_reason == "nothing new"
    assert settings.warehouse_path.stat().st_mtime_ns == mtime
    assert again.warehouse_counts == first.warehouse_counts


def test_batch_hands_frozen_heap_back_to_the_collector(settings):
    """Extraction freezes the long-lived heap for speed (gc.freeze) and must unfreeze it when the batch ends,
    whatever happens: a process that goes on (the CLI, an Airflow task) keeps a normal collector."""
    import gc

    for i, art in enumerate([ART_1, ART_2, ART_3, ART_4] * 6):
        put(settings.inbox, f"a{i}.txt", art + f"\n\nفقرة رقم {i} عن الموضوع نفسه.\n")
    paths = sorted(str(p) for p in settings.inbox.glob("*.txt"))
    assert gc.get_freeze_count() == 0
    result = runner._extract_batch(settings, paths, "run-test")
    assert result.counts["processed"] == 24
    assert gc.get_freeze_count() == 0
