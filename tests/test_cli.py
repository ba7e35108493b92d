"""The ``mirsad`` CLI: one-line errors, run/status/extract/evaluate output, and the bench corpus generator."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from typer.testing import CliRunner

from extractors.app import bench
from extractors.app.cli import app
from extractors.ingest.locking import data_dir_lock
from tests.test_evaluate import GOLD_A, _warehouse
from tests.test_runner import ART_1, ART_2, put

cli = CliRunner()


def invoke(*args, env=None):
    return cli.invoke(app, [str(a) for a in args], env={"MIRSAD_SETTLE_SECONDS": "0", **(env or {})})


def one_error_line(result) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mirsad: error: ")
    return lines[0]


def test_run_missing_inbox_fails_with_one_line(tmp_path):
    result = invoke("run", "--inbox", tmp_path / "missing", "--data-dir", tmp_path / "data")
    assert "inbox not found" in one_error_line(result)


def test_run_lock_busy_fails_with_one_line(tmp_path):
    (tmp_path / "inbox").mkdir()
    with data_dir_lock(tmp_path / "data", timeout=0):
        result = invoke("run", "--inbox", tmp_path / "inbox", "--data-dir", tmp_path / "data", "--no-build",
                        env={"MIRSAD_LOCK_TIMEOUT": "0.2"})
    line = one_error_line(result)
    assert "another mirsad run holds" in line and ".mirsad.lock" in line and "try again later" in line


def test_run_then_status(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    put(inbox, "a.txt", ART_1)
    put(inbox, "b.txt", ART_1)
    put(inbox, "c.txt", b"\x89PNG\r\n\x1a\n....")
    data = tmp_path / "data"
    result = invoke("run", "--inbox", inbox, "--data-dir", data, "--no-build", "--workers", 1, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"processed": 1, "duplicate": 1, "quarantined": 1}

    status = invoke("status", "--data-dir", data, "--json")
    assert status.exit_code == 0, status.stderr
    got = json.loads(status.stdout)
    assert got["counts"] == {"processed": 1, "duplicate": 1, "quarantined": 1}
    assert [q["file_path"] for q in got["quarantined"]] == [str(inbox / "c.txt")]
    assert got["quarantined"][0]["reason"].startswith("binary")
    assert got["last_run"]["run_id"] == summary["run_id"]

    human = invoke("status", "--data-dir", data)
    assert human.exit_code == 0 and "c.txt" in human.stdout and "quarantined 1" in human.stdout

    text_run = invoke("run", "--inbox", inbox, "--data-dir", data, "--no-build", "--workers", 1)
    assert text_run.exit_code == 0 and "processed" in text_run.stdout


def test_status_without_lake_is_an_error(tmp_path):
    assert "no lake" in one_error_line(invoke("status", "--data-dir", tmp_path))


def test_extract_prints_rows_as_json(tmp_path):
    path = put(tmp_path, "one.txt", ART_2)
    result = invoke("extract", path)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows["article"]["source_file"] == "one.txt"
    assert set(rows) >= {"article", "transfers", "statements", "events"}
    assert "كوريا" in result.stdout  # ensure_ascii=False: Arabic as written


def test_extract_quarantined_file_exits_nonzero(tmp_path):
    path = put(tmp_path, "x.txt", b"")
    result = invoke("extract", path)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "quarantined"


def test_evaluate_prints_scorer_table(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    _warehouse(data / "warehouse.duckdb")
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "a.json").write_text(json.dumps(GOLD_A, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "r.json"
    result = invoke("evaluate", "--gold", gold, "--data-dir", data, "--json", out)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["kind", "P", "R", "F1", "tp/pred/gold"]
    assert lines[1].split()[:4] == ["transfers", "0.667", "1.000", "0.800"]
    assert json.loads(out.read_text(encoding="utf-8"))["transfers"]["tp"] == 2
    # after the figures: what to fix, per file and kind (the PRK triple is not in gold)
    diffs = result.stdout[result.stdout.index("macro_f1"):]
    assert "a.txt · transfers" in diffs and "PRK->RUS ammunition" in diffs
    assert "a.txt · transfers" not in invoke("evaluate", "--gold", gold, "--data-dir", data, "--no-diffs").stdout
    assert invoke("evaluate", "--gold", gold, "--data-dir", data, "--min-f1", 0.99).exit_code == 1
    assert "no gold files" in one_error_line(invoke("evaluate", "--gold", tmp_path / "data", "--data-dir", data))


def _samples_or_skip():
    try:
        return bench.load_samples(bench.samples_dir()), bench.load_aliases()
    except (FileNotFoundError, ValueError) as exc:
        pytest.skip(f"bench inputs not available yet: {exc}")


def test_bench_corpus_is_distinct_and_about_3kb(tmp_path):
    samples, aliases = _samples_or_skip()
    gen = bench.CorpusGenerator(samples, aliases)
    gen.write(tmp_path, range(60))
    files = sorted(tmp_path.glob("bench_*.txt"))
    assert len(files) == 60
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    assert len(digests) == 60
    sizes = [p.stat().st_size for p in files]
    assert 1500 <= sum(sizes) / len(sizes) <= 4000
    # deterministic: the same index gives the same article
    assert bench.CorpusGenerator(samples, aliases).article(7) == gen.article(7)


def test_bench_corpus_cache_gives_the_same_articles_without_generating_them_again(tmp_path):
    samples, aliases = _samples_or_skip()
    fresh = tmp_path / "fresh"
    bench.CorpusGenerator(samples, aliases).write(fresh, range(40))
    cache = tmp_path / "cache"
    bench.CorpusGenerator(samples, aliases).write(tmp_path / "first", range(25), cache)  # a smaller bench first
    cached_inode = (cache / "bench_0000003.txt").stat().st_ino
    bench.CorpusGenerator(samples, aliases).write(tmp_path / "second", range(40), cache)  # reuses 25, adds 15
    assert (cache / "bench_0000003.txt").stat().st_ino == cached_inode  # not written again (a new file is a new inode)
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.name for p in fresh.iterdir())
    for path in fresh.iterdir():  # byte for byte what a fresh generation writes, the distinctness check included
        assert (tmp_path / "second" / path.name).read_bytes() == path.read_bytes(), path.name


def test_bench_command_runs_the_pipeline(tmp_path):
    _samples_or_skip()
    result = invoke("bench", "--articles", 30, "--workers", 1, "--incremental", 5, "--no-build", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["processed"] + report["counts"]["duplicate"] == 30
    assert report["incremental"]["counts"]["processed"] + report["incremental"]["counts"]["duplicate"] == 5
    assert report["reference_seconds"] > 0 and report["pipeline_over_reference"] > 0
    assert report["extract_articles_per_cpu_second"] > 0
    assert report["stages"]["extract (cpu)"] > 0
    assert report["peak_rss"]["max_mb"] > 0
    assert report["runtime"].startswith(("compiled (mypyc)", "pure Python ("))  # a figure says what produced it
    # the whole bench's time covers what the pipeline's total leaves out: generation and the reference pass
    pipeline = report["stages"]["total"] + report["incremental"]["stages"]["total"]
    assert report["bench_seconds"] >= pipeline + report["generate_seconds"] + report["reference_seconds"] - 0.05
    assert report["generate_seconds"] > 0


def test_bench_prints_both_totals():
    _samples_or_skip()
    result = invoke("bench", "--articles", 10, "--workers", 1, "--no-build", env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("total:"))
    assert re.search(r"pipeline [\d.]+s; whole bench [\d.]+s \(generating the corpus [\d.]+s, reference pass "
                     r"[\d.]+s", line), line


def test_dbt_failure_is_one_line_and_log_is_kept(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    put(inbox, "a.txt", ART_1)
    broken = tmp_path / "broken_dbt"
    broken.mkdir()  # no dbt_project.yml: dbt cannot even parse
    result = invoke("run", "--inbox", inbox, "--data-dir", data, "--workers", 1,
                    env={"MIRSAD_DBT_PROJECT": str(broken)})
    line = one_error_line(result)
    assert "dbt" in line
    assert result.stdout == ""
    assert not (data / "warehouse.duckdb").exists()


# ---- wrong usage: one line saying what is wrong and what to do (run as a user runs it: a separate process)

def test_unknown_flag_is_one_line_not_a_box():
    result = invoke("run", "--no-such-flag")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "--no-such-flag" in line and "mirsad run --help" in line
    missing = invoke("evaluate")  # a required option left out
    assert missing.exit_code == 2 and "--gold" in one_error_line(missing)
    bad = invoke("bench", "--articles", "0")  # a value out of range
    assert bad.exit_code == 2 and "--articles" in one_error_line(bad)


def test_console_script_prints_the_same_one_line(capsys):
    """The installed `mirsad` calls app() directly (not CliRunner): same single line, exit status 2."""
    with pytest.raises(SystemExit) as exc:
        app(["status", "--bogus"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mirsad: error: No such option: --bogus")


def test_inbox_that_is_a_file_says_so(tmp_path):
    (tmp_path / "article.txt").write_text("نص", encoding="utf-8")
    result = invoke("run", "--inbox", tmp_path / "article.txt", "--data-dir", tmp_path / "data")
    assert "is a file; give the folder" in one_error_line(result)
    assert not (tmp_path / "data").exists()


def test_data_dir_that_is_a_file_says_so(tmp_path):
    (tmp_path / "inbox").mkdir()
    (tmp_path / "data").write_text("")
    for args in (("run", "--inbox", tmp_path / "inbox"), ("status",), ("report",), ("sql", "select 1")):
        result = invoke(*args, "--data-dir", tmp_path / "data")
        assert "--data-dir" in one_error_line(result) and "is a file" in one_error_line(result), args


def test_extract_on_a_folder_points_at_run(tmp_path):
    result = invoke("extract", tmp_path)
    line = one_error_line(result)
    assert "is a folder" in line and "mirsad run --inbox" in line
