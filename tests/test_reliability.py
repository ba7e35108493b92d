"""Nothing one file can do stops the pipeline (issue 14). Each test names the adversarial-battery repro it
turns into a check (``../shared/reliability/repro/F*.sh``); the timing repro F06 lives in test_linearity.py.

F01 non-UTF-8 name, F02 symlink loop, F03 sparse 2 GB file, F04 setuid copy, F05 links out of the inbox,
F08 markup in names, F09 damaged warehouse, F11 permission fixed later, F12 data dir in the inbox,
F13 quote/glob in the data dir, F14 nan lock timeout, F15 sidecar dates, F16 orphan workers, F17 missing
lake file, F18 invisible characters, F19 read-write holder; plus over-long names, upper-case sidecars and the
per-article time budget.
"""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from extractors.facts import pipeline
from extractors.ingest import lake, reading, runner, warehouse
from extractors.ingest.config import ConfigError, Settings
from tests.test_runner import ART_1, ART_2, ART_3, ART_4, put

REPO = Path(__file__).resolve().parents[1]
PDF = b"%PDF-1.7\n\x00\x01 not an article"


@pytest.fixture
def settings(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return Settings(inbox=inbox, data_dir=tmp_path / "data", workers=1, settle_seconds=0)


def run(settings, **kw):
    return runner.run(settings, build_warehouse=False, **kw)


def ledger(settings):
    return {r["file_name"]: r for r in lake.read_ledger(settings.lake_dir).to_pylist()}


def cli(*args, env_extra=None, timeout=600):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRSAD_")}
    env.update({"MIRSAD_SETTLE_SECONDS": "0", "MIRSAD_WORKERS": "1", "PYTHONPATH": str(REPO),
                "MIRSAD_PURE_PYTHON": os.environ.get("MIRSAD_PURE_PYTHON", "")}, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "extractors.app.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- poison entries (item 2)


def test_F01_name_that_is_not_utf8_is_recorded_escaped_and_the_rest_ingested(settings):
    raw_name = b"bad\xff.txt"
    bad = os.path.join(os.fsencode(settings.inbox), raw_name)
    with open(bad, "wb") as handle:
        handle.write(ART_2.encode("utf-8"))
    put(settings.inbox, "good.txt", ART_1)
    first = run(settings)
    assert first.counts == {"processed": 1, "duplicate": 0, "quarantined": 1}
    row = ledger(settings)["bad\\xff.txt"]
    assert row["status"] == "quarantined" and row["reason"].startswith("bad_name: ")
    assert row["file_path"].endswith("/bad\\xff.txt")
    recovered = bytes.fromhex(row["reason"].split("hex: ")[1].split(")")[0])
    assert recovered == raw_name and os.path.exists(os.path.join(os.fsencode(settings.inbox), recovered))
    again = run(settings)  # every later run: known, skipped, no error
    assert again.batch_id is None and again.skipped_known == 2


def test_F01_the_dag_stages_record_poison_entries_too(settings):
    with open(os.path.join(os.fsencode(settings.inbox), b"x\xfe.txt"), "wb") as handle:
        handle.write(ART_3.encode("utf-8"))
    (settings.inbox / "loop.txt").symlink_to("loop.txt")
    put(settings.inbox, "good.txt", ART_1)
    lake.init_lake(settings.lake_dir)
    paths = runner.discover(settings)  # what the ingest DAG's tasks call, one by one
    staged = [runner.extract_batch(settings, batch, "dag-run") for batch in runner.plan_batches(paths, 2)]
    result = runner.commit_batches(settings, staged, "dag-run")
    assert (result["processed"], result["quarantined"]) == (1, 2)
    assert ledger(settings)["loop.txt"]["reason"] == "unreadable: symbolic link loop"


def test_F02_symlink_loop_is_recorded_and_the_run_goes_on(settings):
    (settings.inbox / "loop.txt").symlink_to("loop.txt")
    (settings.inbox / "a.txt").symlink_to("b.txt")
    (settings.inbox / "b.txt").symlink_to("a.txt")
    put(settings.inbox, "good.txt", ART_1)
    summary = run(settings)
    assert summary.counts["processed"] == 1 and summary.counts["quarantined"] == 3
    rows = ledger(settings)
    assert {rows[n]["reason"] for n in ("loop.txt", "a.txt", "b.txt")} == {"unreadable: symbolic link loop"}
    assert run(settings).batch_id is None


def test_name_longer_than_the_quarantine_name_limit_is_copied_under_a_shortened_name(settings):
    name = "ن" * 120 + ".txt"  # 244 bytes: with the 17-byte hash prefix the copy's name would not fit
    put(settings.inbox, name, PDF)
    summary = run(settings)
    assert summary.counts["quarantined"] == 1
    copies = os.listdir(settings.quarantine_dir)
    assert len(copies) == 1 and copies[0].endswith("~.txt") and len(copies[0].encode()) <= 255
    assert ledger(settings)[name]["reason"].startswith("binary")


def test_upper_case_sidecar_is_applied(settings):
    put(settings.inbox, "a.txt", ART_1)
    put(settings.inbox, "a.META.JSON", '{"published_at": "2024-03-15", "source_name": "وكالة"}')
    run(settings)
    (article,) = lake.read_table(settings.lake_dir, "articles").to_pylist()
    assert str(article["published_date"]) == "2024-03-15" and article["published_date_source"] == "sidecar"
    assert article["source_name"] == "وكالة"


# ---------------------------------------------------------------- the inbox boundary (item 3)


def test_F03_sparse_2gb_file_is_recorded_not_copied(settings):
    huge = settings.inbox / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk used
    put(settings.inbox, "good.txt", ART_1)
    settings.quarantine_dir.mkdir(parents=True)
    (settings.quarantine_dir / ".left-by-a-killed-run.txt.copying").write_bytes(b"x" * 1000)
    summary = run(settings)
    assert summary.counts == {"processed": 1, "duplicate": 0, "quarantined": 1}
    assert ledger(settings)["huge.txt"]["reason"].startswith("too_large: 2147483648 bytes")
    assert os.listdir(settings.quarantine_dir) == []  # 0 bytes copied, the stale partial copy removed


def test_F03_quarantine_copy_is_capped(settings):
    settings = settings.with_(quarantine_copy_max_bytes=1000)
    put(settings.inbox, "big.pdf.txt", PDF + b"\x00" * 5000)
    put(settings.inbox, "small.pdf.txt", PDF)
    run(settings)
    copies = os.listdir(settings.quarantine_dir)
    assert len(copies) == 1 and copies[0].endswith("-small.pdf.txt")


def test_F04_quarantine_copy_drops_setuid_bits_and_owner(settings):
    suid = put(settings.inbox, "id.txt", b"\x7fELF\x02\x01\x01 binary")
    os.chmod(suid, 0o6755)
    if os.geteuid() == 0:
        os.chown(suid, 65534, 65534)
    run(settings)
    (copy,) = settings.quarantine_dir.iterdir()
    st = copy.lstat()
    assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_IXUSR)
    assert st.st_uid == os.geteuid()
    assert copy.read_bytes() == suid.read_bytes()


def test_F05_links_out_of_the_inbox_are_not_followed(settings, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=hunter2\n")
    secret.chmod(0o600)
    outside = put(tmp_path, "outside.txt", ART_2)
    (settings.inbox / "env.txt").symlink_to("/proc/self/environ")
    (settings.inbox / "secret.txt").symlink_to(secret)
    (settings.inbox / "outside.txt").symlink_to(outside)
    inside = put(settings.inbox, "good.txt", ART_1)
    (settings.inbox / "same.txt").symlink_to(inside)  # a link within the inbox is fine
    summary = run(settings)
    rows = ledger(settings)
    for name in ("env.txt", "secret.txt", "outside.txt"):
        assert rows[name]["status"] == "quarantined"
        assert "outside the inbox, not followed" in rows[name]["reason"]
    assert rows["same.txt"]["status"] == "duplicate"
    assert summary.counts["processed"] == 1
    assert not settings.quarantine_dir.exists() or os.listdir(settings.quarantine_dir) == []
    assert [a["source_file"] for a in lake.read_table(settings.lake_dir, "articles").to_pylist()] == ["good.txt"]


def test_F05_following_outside_links_is_an_option(settings, tmp_path):
    outside = put(tmp_path, "outside.txt", ART_2)
    (settings.inbox / "outside.txt").symlink_to(outside)
    summary = run(settings.with_(follow_outside_links=True))
    assert summary.counts["processed"] == 1


def test_F11_file_unreadable_once_is_read_when_its_permission_is_fixed(settings, monkeypatch):
    put(settings.inbox, "later.txt", ART_4)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:  # root reads anything: the denial is simulated where the file is opened
        m.setattr(reading, "_read_at_most", denied)
        first = run(settings)
    assert first.counts["quarantined"] == 1
    assert ledger(settings)["later.txt"]["reason"] == "unreadable: Permission denied"
    second = run(settings)
    assert second.counts["processed"] == 1 and second.skipped_known == 0
    third = run(settings)
    assert third.batch_id is None and third.skipped_known == 1


def test_F11_a_file_still_unreadable_is_not_recorded_again(settings, monkeypatch):
    put(settings.inbox, "locked.txt", ART_4)
    monkeypatch.setattr(reading, "_read_at_most", lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    run(settings)
    assert run(settings).batch_id is None
    assert len(lake.read_ledger(settings.lake_dir)) == 1


def test_F12_data_dir_inside_the_inbox_is_refused_in_one_line(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    put(inbox, "a.txt", ART_1)
    with pytest.raises(ConfigError, match="inside the inbox"):
        runner.run(Settings(inbox=inbox, data_dir=inbox / "data", workers=1, settle_seconds=0))
    assert not (inbox / "data").exists()
    proc = cli("run", "--inbox", inbox, "--data-dir", inbox / "data")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "inside the inbox" in proc.stderr


# ---------------------------------------------------------------- time budget (item 1)


def test_article_over_its_time_budget_is_quarantined_and_the_run_goes_on(settings, monkeypatch):
    put(settings.inbox, "a_stuck.txt", ART_1)
    put(settings.inbox, "b_fine.txt", ART_2)
    real = pipeline.extract_article

    def stuck_on_the_first(text, **kw):
        if kw["source_file"] == "a_stuck.txt":
            while True:  # a pathological page: CPU without end
                pass
        return real(text, **kw)

    monkeypatch.setattr(pipeline, "extract_article", stuck_on_the_first)
    start = time.monotonic()
    summary = run(settings.with_(extract_timeout=0.5))
    assert time.monotonic() - start < 30
    rows = ledger(settings)
    assert rows["a_stuck.txt"]["status"] == "quarantined"
    assert rows["a_stuck.txt"]["reason"].startswith("extract_timeout: ")
    assert rows["b_fine.txt"]["status"] == "processed" and summary.counts["processed"] == 1


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_F14_lock_and_extract_timeouts_must_be_finite(monkeypatch, value):
    monkeypatch.setenv("MIRSAD_LOCK_TIMEOUT", value)
    with pytest.raises(ConfigError, match="MIRSAD_LOCK_TIMEOUT"):
        Settings.from_env("in", "data")
    monkeypatch.delenv("MIRSAD_LOCK_TIMEOUT")
    with pytest.raises(ConfigError, match="extract_timeout"):
        Settings(inbox="in", data_dir="data", extract_timeout=float(value))


def test_dag_tasks_have_an_execution_timeout():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"), known_pools={"default_pool", "mirsad_duckdb"})
    assert not bag.import_errors
    for dag_id in ("mirsad_ingest", "mirsad_warehouse"):
        for task in bag.dags[dag_id].tasks:
            assert task.execution_timeout is not None and task.execution_timeout.total_seconds() > 0, task.task_id


# ---------------------------------------------------------------- warehouse and lake (item 4)


def _make_db(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create table dim_articles as select 1 as article_id")
    con.close()


@pytest.mark.parametrize("damage", ["truncated", "emptied", "garbage"])
def test_F09_damaged_warehouse_is_detected_before_dbt(tmp_path, damage):
    db = tmp_path / "warehouse.duckdb"
    _make_db(db)
    assert warehouse.warehouse_problem(db) is None
    if damage == "truncated":
        os.truncate(db, 4096)
    elif damage == "emptied":
        db.write_bytes(b"")
    else:
        db.write_bytes(os.urandom(20000))
    start = time.monotonic()
    problem = warehouse.warehouse_problem(db)
    assert problem and time.monotonic() - start < 5
    aside = warehouse.set_aside(db)
    assert not db.exists() and aside.exists() and aside.name.startswith("warehouse.duckdb.damaged-")


@pytest.mark.slow
def test_F09_damaged_warehouse_is_set_aside_and_rebuilt_from_the_lake(settings, capfd):
    put(settings.inbox, "a.txt", ART_1)
    runner.run(settings)
    os.truncate(settings.warehouse_path, 4096)
    put(settings.inbox, "b.txt", ART_2)
    summary = runner.run(settings)
    err = capfd.readouterr().err
    assert err.count("is damaged") == 1 and "rebuilding it from the lake" in err
    assert summary.warehouse_counts["dim_articles"] == 2
    settings.warehouse_path.write_bytes(b"")  # emptied, and nothing new in the inbox
    again = runner.run(settings)
    assert "is damaged" in capfd.readouterr().err and again.built
    assert again.warehouse_counts["dim_articles"] == 2
    assert len(list(settings.data_dir.glob("warehouse.duckdb.damaged-*"))) >= 1


def test_F17_lake_file_missing_from_a_committed_batch_is_an_error_naming_it(settings):
    put(settings.inbox, "a.txt", ART_1)
    first = run(settings)
    missing = lake.batches_dir(settings.lake_dir) / first.batch_id / "transfers.parquet"
    missing.unlink()
    with pytest.raises(lake.LakeDamaged, match=str(missing)):
        runner.build(settings)  # before dbt: no warehouse with 0 transfers
    with pytest.raises(lake.LakeDamaged, match="transfers.parquet"):
        lake.read_table(settings.lake_dir, "transfers")


def test_F19_read_write_holder_gets_a_clear_message_and_the_run_succeeds(settings, capfd):
    put(settings.inbox, "a.txt", ART_1)
    run(settings)
    _make_db(settings.warehouse_path)  # a warehouse built from the current head (no dbt needed here)
    (settings.data_dir / ".warehouse-head").write_text(lake.lake_head(settings.lake_dir) + "\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(60)", str(settings.warehouse_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        summary = runner.run(settings)  # nothing new
    finally:
        holder.kill()
        holder.wait()
    assert summary.build_skipped_reason == "nothing new" and summary.warehouse_counts == {}
    err = capfd.readouterr().err
    assert f"held open read-write by process {holder.pid}" in err and err.count("\n") == 1


def test_F13_lake_path_with_quote_or_glob_characters_reaches_dbt_as_a_plain_path(tmp_path):
    for name in ("da'ta", "d[b]*ta", "d?ta"):
        lake_dir = tmp_path / name / "lake"
        lake_dir.mkdir(parents=True)
        scratch = tmp_path / f"scratch{len(name)}"
        scratch.mkdir()
        alias = warehouse._sql_safe_dir(lake_dir, scratch)
        assert warehouse._SQL_SAFE_PATH.fullmatch(alias)
        assert os.path.realpath(alias) == str(lake_dir.resolve())
    plain = tmp_path / "plain" / "lake"
    assert warehouse._sql_safe_dir(plain, tmp_path) == str(plain)


@pytest.mark.slow
def test_F13_data_dir_with_quote_and_glob_characters_builds_its_own_lake(tmp_path):
    other_inbox, inbox = tmp_path / "other", tmp_path / "inbox"
    other_inbox.mkdir()
    inbox.mkdir()
    for i, art in enumerate((ART_2, ART_3, ART_4)):
        put(other_inbox, f"o{i}.txt", art)
    put(inbox, "a.txt", ART_1)
    runner.run(Settings(inbox=other_inbox, data_dir=tmp_path / "db_other_ta", workers=1, settle_seconds=0),
               build_warehouse=False)
    summary = runner.run(Settings(inbox=inbox, data_dir=tmp_path / "d'[b]*ta", workers=1, settle_seconds=0))
    assert summary.warehouse_counts["dim_articles"] == 1


# ---------------------------------------------------------------- workers (item 6)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_F16_workers_die_with_a_killed_run(tmp_path):
    """SIGKILL of ``mirsad run`` while both pool workers are inside a batch task (held there by the crash-test
    pause, so they would go on for a minute): the workers and the resource tracker are gone within seconds."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(240):
        (inbox / f"a{i}.txt").write_text(ART_1 + ART_2 + ART_3 + f"\nوقال المتحدث إن الرقم {i} مهم.\n",
                                         encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRSAD_")}
    env.update(MIRSAD_SETTLE_SECONDS="0", MIRSAD_WORKERS="2", PYTHONPATH=str(REPO), MIRSAD_TEST_PAUSE_AT="extract",
               MIRSAD_TEST_PAUSE_SECONDS="60", MIRSAD_PURE_PYTHON=os.environ.get("MIRSAD_PURE_PYTHON", ""))
    proc = subprocess.Popen([sys.executable, "-m", "extractors.app.cli", "run", "--inbox", str(inbox), "--data-dir",
                             str(tmp_path / "data"), "--no-build"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    kids: set[int] = set()
    left: list[int] = []
    try:
        paused = 0
        while paused < 2:  # both workers inside their task
            line = proc.stderr.readline()
            assert line, "the run ended before its workers paused"
            paused += line.startswith("MIRSAD_TEST_PAUSED extract")
        kids = set(_children(proc.pid))
        assert len(kids) >= 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.1)
        left = [k for k in kids if _alive(k)]
    finally:
        for k in kids:
            if _alive(k):
                os.kill(k, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert left == [], f"{len(left)} of {len(kids)} process(es) outlived the killed run by 5 s"


# ---------------------------------------------------------------- output (item 7)


def test_F08_status_shows_names_as_text_not_markup():
    names = ["a[/]b.txt", "[blink][link=https://evil.example]click.txt", "red\x1b[31m.txt", "[bold]x[/bold].txt"]
    status = {"files": 4, "batches": 1, "lake_dir": "/data/[lake]", "counts": {"processed": 0, "duplicate": 0,
              "quarantined": 4}, "last_run": {"run_id": "r[/]", "ingested_at": "t", "batch_id": "b"},
              "quarantined": [{"file_path": f"/in/{n}", "reason": f"binary: [red]{n}"} for n in names]}
    from extractors.app.render import render_status

    for terminal in (False, True):
        buf = io.StringIO()
        render_status(status, Console(file=buf, force_terminal=terminal, width=400,
                                      color_system="truecolor" if terminal else None))
        out = buf.getvalue()
        assert "\x1b]8;" not in out  # no hyperlink escape
        assert "\x1b[31m" not in out and "red\\x1b[31m.txt" in out
        if not terminal:
            assert "\x1b" not in out
            for n in names[:2] + names[3:]:
                assert n in out


def test_F08_status_command_with_bracketed_names(settings):
    (settings.inbox / "a[").mkdir()
    put(settings.inbox / "a[", "]b.txt", PDF)
    put(settings.inbox, "[link=https:__evil]click.txt", PDF)
    run(settings)
    proc = cli("status", "--data-dir", settings.data_dir)
    assert proc.returncode == 0, proc.stderr
    assert "[link=https:__evil]click.txt" in proc.stdout and "]b.txt" in proc.stdout


# ---------------------------------------------------------------- small ones (item 8)


@pytest.mark.parametrize("value, expected", [
    ("Fri, 15 Mar 2024 10:00:00 GMT", "2024-03-15"), ("15/03/2024", "2024-03-15"), ("15 مارس 2024", "2024-03-15"),
    ("2024-3-5", "2024-03-05"), ("2024-03-15T10:00:00Z", "2024-03-15T10:00:00Z"),
])
def test_F15_common_sidecar_date_formats_are_read(value, expected):
    sidecar, warnings = reading.parse_sidecar(f'{{"published_at": "{value}"}}'.encode())
    assert sidecar.published_at == expected and warnings == []


@pytest.mark.parametrize("value, why", [("2099-06-01", "in the future"), ("yesterday", "not a date"),
                                        ("2024-02-30", "not a date")])
def test_F15_unreadable_or_future_sidecar_dates_are_dropped_with_a_warning(value, why):
    sidecar, warnings = reading.parse_sidecar(f'{{"published_at": "{value}"}}'.encode())
    assert sidecar.published_at is None
    assert len(warnings) == 1 and warnings[0].startswith("sidecar_invalid: published_at") and why in warnings[0]


def test_F15_sidecar_date_warning_reaches_the_article(settings):
    put(settings.inbox, "d.txt", ART_1)
    put(settings.inbox, "d.meta.json", '{"published_at": "2099-06-01"}')
    run(settings)
    (article,) = lake.read_table(settings.lake_dir, "articles").to_pylist()
    assert article["published_date"] is None or article["published_date"].year < 2099
    assert any("in the future" in w for w in article["warnings"])


@pytest.mark.parametrize("mark", ["\u200c", "\u200d", "\u200f", "\u200e"])
def test_F18_invisible_format_characters_do_not_remove_facts(mark):
    text = "قال البيت الأبيض إن روسيا تلقت مئات المسيرات من إيران."
    plain = pipeline.extract_article(text, source_file="x.txt")
    flows = {(t.supplier_id, t.recipient_id, t.item_category) for t in plain.transfers}
    assert flows == {("IRN", "RUS", "drones")}
    for variant in (text.replace(" ", " " + mark), text.replace("روسيا", "رو" + mark + "سيا"),
                    text.replace("إيران", "إي" + mark + "ران")):
        out = pipeline.extract_article(variant, source_file="x.txt")
        assert {(t.supplier_id, t.recipient_id, t.item_category) for t in out.transfers} == flows
        assert len(out.statements) == len(plain.statements)
        assert out.article.char_count == len(variant)


# ---------------------------------------------------------------- deployment secrets (item 9)


def test_compose_requires_secrets_from_env_and_publishes_on_loopback():
    import yaml

    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    env = yaml.safe_load(text)["x-airflow-common"]["environment"]
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET:?")
    assert env["AIRFLOW__CORE__FERNET_KEY"].startswith("${AIRFLOW_FERNET_KEY:?")
    assert "mirsad-local-development-secret" not in text
    assert yaml.safe_load(text)["services"]["api-server"]["ports"] == ["127.0.0.1:8080:8080"]
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    assert "AIRFLOW_JWT_SECRET=" in example and "AIRFLOW_FERNET_KEY=" in example and "Fernet.generate_key" in example


def test_airflow_standalone_listens_on_loopback():
    script = (REPO / "scripts" / "airflow_local.sh").read_text(encoding="utf-8")
    assert 'export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"' in script


# ---------------------------------------------------------------- edited articles (item 5)


@pytest.mark.slow
def test_F10_edited_file_supersedes_its_older_version_in_the_marts(settings):
    put(settings.inbox, "news.txt", ART_1)
    put(settings.inbox, "other.txt", ART_2)
    runner.run(settings)
    old_id = lake.read_table(settings.lake_dir, "articles").to_pylist()
    put(settings.inbox, "news.txt", ART_1 + "\nوأضاف المصدر أن الصفقة تشمل تدريب الطيارين.\n")
    summary = runner.run(settings)
    assert summary.counts["processed"] == 1
    assert len(lake.read_table(settings.lake_dir, "articles")) == 3  # the lake keeps every version
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        by_file = dict(con.execute("select source_file, count(*) from dim_articles group by 1").fetchall())
        assert by_file == {"news.txt": 1, "other.txt": 1}
        (old,) = [a["article_id"] for a in old_id if a["source_file"] == "news.txt"]
        assert con.execute("select article_id, file_path from int_superseded_articles").fetchall() == [
            (old, str(settings.inbox / "news.txt"))]
        for table in ("fct_transfers", "fct_statements", "fct_events", "int_actor_references"):
            assert con.execute(f"select count(*) from {table} where article_id = ?", [old]).fetchone()[0] == 0
        assert con.execute("select max(n_articles) from fct_transfer_flows").fetchone()[0] == 1
    finally:
        con.close()


# ---------------------------------------------------------------- disk full (item 8)


def test_disk_full_log_handler_does_not_print_a_traceback_per_record(capsys):
    import logging

    class FullDisk(io.StringIO):
        def write(self, text):
            raise OSError(28, "No space left on device")

    log = logging.getLogger("mirsad-test-full-disk")
    handler = logging.StreamHandler(FullDisk())
    log.addHandler(handler)
    try:
        log.error("before")
        assert "--- Logging error ---" in capsys.readouterr().err  # what dbt's file log did 10,000 times
        with warehouse._quiet_log_failures():
            for _ in range(100):
                log.error("during the build")
        assert capsys.readouterr().err == ""
    finally:
        log.removeHandler(handler)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_disk_full_during_the_build_is_one_line(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        for i, art in enumerate((ART_1, ART_2, ART_3, ART_4)):
            put(inbox, f"a{i}.txt", art)
        proc = cli("run", "--inbox", inbox, "--data-dir", mnt / "data")
    finally:
        subprocess.run(["umount", str(mnt)])
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "No space left on device" in proc.stderr, proc.stderr[:2000]


def test_boundary_and_budget_settings_from_the_environment(monkeypatch):
    defaults = Settings.from_env("in", "data")
    assert defaults.extract_timeout == 5.0 and defaults.follow_outside_links is False
    monkeypatch.setenv("MIRSAD_FOLLOW_OUTSIDE_LINKS", "yes")
    monkeypatch.setenv("MIRSAD_EXTRACT_TIMEOUT", "2.5")
    monkeypatch.setenv("MIRSAD_QUARANTINE_COPY_MAX_BYTES", "10")
    s = Settings.from_env("in", "data")
    assert (s.follow_outside_links, s.extract_timeout, s.quarantine_copy_max_bytes) == (True, 2.5, 10)
    monkeypatch.setenv("MIRSAD_FOLLOW_OUTSIDE_LINKS", "perhaps")
    with pytest.raises(ConfigError, match="MIRSAD_FOLLOW_OUTSIDE_LINKS"):
        Settings.from_env("in", "data")


def test_F16_pool_workers_ask_the_kernel_to_kill_them_with_their_parent(monkeypatch):
    """Why the workers die: the pool's initializer sets PR_SET_PDEATHSIG (read back in a child process)."""
    code = ("import ctypes, os; from extractors.ingest import runner; runner._die_with_parent(os.getppid()); "
            "v = ctypes.c_int(0); ctypes.CDLL(None).prctl(2, ctypes.byref(v)); print(v.value)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert int(out.stdout) == signal.SIGKILL
    seen = {}

    class Pool:
        def __init__(self, **kwargs):
            seen.update(kwargs)
            raise RuntimeError("stop here")

    monkeypatch.setattr(runner, "ProcessPoolExecutor", Pool)
    with pytest.raises(RuntimeError, match="stop here"):
        runner._extract_all(Settings(inbox="in", data_dir="d", workers=2), [["a"], ["b"]], "r", lambda r: None)
    assert seen["initializer"] is runner._die_with_parent and seen["initargs"] == (os.getpid(),)
