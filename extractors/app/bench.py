"""``mirsad bench``: the real pipeline on a generated corpus of distinct ~3 KB articles, with stage timings.

The corpus is made from the bundled sample articles (``examples/inbox/*.txt``): actor names swapped for other
gazetteer aliases, numbers changed, body paragraphs shuffled and a unique publication line added, so every
file hashes differently. Files are written one at a time (the corpus is never held in memory).

The reference is the floor any extractor pays: one core decoding each file and running ONE regex alternation
of 500 gazetteer aliases over it. ``pipeline / reference`` says how many such passes the pipeline costs.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import re
import resource
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from extractors.ingest.config import Settings

REPO_DIR = Path(__file__).resolve().parents[2]
LEXICON_DIR = Path(__file__).resolve().parents[1] / "lexicons"
TARGET_BYTES = 3000
REFERENCE_TERMS = 500
_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
           "ديسمبر")
_NUMBER = re.compile(r"\d+")


def samples_dir() -> Path:
    env = os.environ.get("MIRSAD_BENCH_SAMPLES")
    if env:
        return Path(env)
    for candidate in (REPO_DIR / "examples" / "inbox", Path(__file__).resolve().parents[1] / "samples"):
        if any(candidate.glob("*.txt")):
            return candidate
    return REPO_DIR / "examples" / "inbox"


def load_samples(folder: Path) -> list[str]:
    from extractors.ingest import reading

    texts = []
    for path in sorted(folder.glob("*.txt")):
        rr = reading.read_article_file(path)
        if rr.status == "ok" and rr.text:
            texts.append(rr.text)
    if not texts:
        raise FileNotFoundError(f"no readable sample articles (*.txt) in {folder}")
    return texts


def load_aliases(lexicon_dir: Path = LEXICON_DIR) -> list[str]:
    """Arabic surface forms of the gazetteer (the ``alias`` column of actor_aliases.csv), distinct, in file order."""
    path = lexicon_dir / "actor_aliases.csv"
    if not path.exists():
        raise FileNotFoundError(f"gazetteer aliases not found: {path}")
    seen: dict[str, None] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            alias = (row.get("alias") or "").strip()
            if alias and any("\u0600" <= c <= "\u06ff" for c in alias):
                seen.setdefault(alias, None)
    if not seen:
        raise ValueError(f"no aliases in {path}")
    return list(seen)


@dataclass
class CorpusGenerator:
    """Deterministic article ``i`` -> text; distinct texts guaranteed by a digest check."""

    samples: list[str]
    aliases: list[str]

    def __post_init__(self) -> None:
        ordered = sorted(self.aliases, key=len, reverse=True)
        self._alias_re = re.compile("|".join(re.escape(a) for a in ordered))
        self._digests: set[bytes] = set()

    def article(self, i: int, attempt: int = 0) -> str:
        rng = random.Random(i * 1009 + attempt)
        lines = [ln for ln in self.samples[i % len(self.samples)].split("\n") if ln.strip()]
        title, body = lines[0], lines[1:]
        rng.shuffle(body)
        while sum(len(x.encode()) for x in body) < TARGET_BYTES - 500:  # pad with paragraphs of another sample
            extra = [ln for ln in rng.choice(self.samples).split("\n")[1:] if ln.strip()]
            if not extra:
                break
            body.append(rng.choice(extra))
        pub = date(2015, 1, 1) + timedelta(days=(i + attempt * 7919) % 3650)
        text = "\n\n".join([title, f"نشر في {pub.day} {_MONTHS[pub.month - 1]} {pub.year}", *body])
        text = self._alias_re.sub(lambda _m: rng.choice(self.aliases), text)
        text = _NUMBER.sub(lambda m: str(rng.randint(10 ** (len(m.group()) - 1), 10 ** len(m.group()) - 1)), text)
        return _trim(text, TARGET_BYTES + 500)

    def write(self, inbox: Path, indices: Iterable[int], cache: Path | None = None) -> int:
        """Write articles ``indices`` as ``bench_<i>.txt``; returns bytes written. With ``cache`` (a folder kept
        between benches), an article already generated there is hard-linked (or copied) instead of generated
        again, and a new one is generated into it first: generating 100,000 articles takes minutes."""
        inbox.mkdir(parents=True, exist_ok=True)
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
        old = time.time() - 60
        total = 0
        for i in indices:
            name = f"bench_{i:07d}.txt"
            if cache is not None and (cache / name).is_file():
                # the generator is deterministic in i (and in the articles before i, for the digest check):
                # the cached file is what it would write; its digest keeps later articles distinct from it
                data = (cache / name).read_bytes()
                self._digests.add(hashlib.sha256(data).digest())
                _place(cache / name, inbox / name)
                os.utime(inbox / name, (old, old))
                total += len(data)
                continue
            attempt = 0
            while True:
                text = self.article(i, attempt)
                data = text.encode("utf-8")
                digest = hashlib.sha256(data).digest()
                if digest not in self._digests:
                    break
                attempt += 1
            self._digests.add(digest)
            path = inbox / name
            if cache is not None:
                tmp = cache / f".{name}.tmp"
                tmp.write_bytes(data)
                os.replace(tmp, cache / name)
                _place(cache / name, path)
            else:
                path.write_bytes(data)
            os.utime(path, (old, old))
            total += len(data)
        return total


def _place(source: Path, target: Path) -> None:
    """A hard link of a cached article (a copy across file systems)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _trim(text: str, max_bytes: int) -> str:
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    out, size = [], 0
    for para in text.split("\n\n"):
        size += len(para.encode("utf-8")) + 2
        if out and size > max_bytes:
            break
        out.append(para)
    return "\n\n".join(out)


def reference_pass(files: Iterable[Path], terms: list[str]) -> tuple[float, int]:
    """One core: decode each file and run one alternation of ``terms`` over it. Returns (seconds, matches)."""
    start = time.perf_counter()
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    matches = 0
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        matches += sum(1 for _ in pattern.finditer(text))
    return time.perf_counter() - start, matches


def peak_rss_mb() -> dict[str, float]:
    """Peak resident set size of this process and of its (waited-for) children, in MB."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_mb": round(me, 1), "children_mb": round(kids, 1), "max_mb": round(max(me, kids), 1)}


def _stages(timings: dict[str, float]) -> dict[str, float]:
    return {
        "discover": timings.get("discover", 0.0),
        "read+decode (cpu)": timings.get("read_cpu", 0.0),
        "extract (cpu)": timings.get("extract_cpu", 0.0),
        "extract stage (wall)": timings.get("extract_wall", 0.0),
        "write lake": timings.get("write_cpu", 0.0) + timings.get("commit", 0.0) - timings.get("register", 0.0),
        "dbt build": timings.get("build", 0.0),
        "total": timings.get("total", 0.0),
        # the cross-article register (issue 15): fingerprints in the workers (CPU, spread over them), the
        # assignment of stories, deals and events at commit, and its dbt models (inside "dbt build")
        "register: fingerprints (cpu)": timings.get("fingerprint_cpu", 0.0),
        "register: assign at commit": timings.get("register", 0.0),
        "register: dbt models": timings.get("build_register", 0.0),
    }


def register_share(timings: dict[str, float], workers: int) -> float | None:
    """Percent of the run's wall time the register layer adds: its commit step and dbt models, plus the
    fingerprints' CPU time divided over the workers that ran them."""
    total = timings.get("total", 0.0)
    if not total:
        return None
    added = (timings.get("fingerprint_cpu", 0.0) / max(1, workers) + timings.get("register", 0.0)
             + timings.get("build_register", 0.0))
    return round(100 * added / max(total - added, 1e-9), 1)


def run_bench(n_articles: int, *, workers: int | None = None, incremental: int = 0, keep: bool = False,
              build_warehouse: bool = True, work_dir: Path | None = None,
              corpus_cache: Path | None = None) -> dict[str, Any]:
    """Generate, run, measure; returns the figures (see ``render``). ``corpus_cache`` keeps the generated
    articles between benches (the same articles: the generator is deterministic)."""
    import extractors
    from extractors.ingest import runner

    root = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="mirsad-bench-"))
    inbox, data_dir = root / "inbox", root / "data"
    aliases = load_aliases()
    gen = CorpusGenerator(load_samples(samples_dir()), aliases)
    try:
        bench_start = t = time.perf_counter()
        corpus_bytes = gen.write(inbox, range(n_articles), corpus_cache)
        gen_seconds = time.perf_counter() - t
        settings = Settings.from_env(inbox, data_dir, workers=workers, settle_seconds=0.0)
        first = runner.run(settings, build_warehouse=build_warehouse)
        total = first.timings["total"]
        ref_seconds, ref_matches = reference_pass(sorted(inbox.glob("*.txt")), aliases[:REFERENCE_TERMS])
        report: dict[str, Any] = {
            "articles": n_articles,
            "corpus_mb": round(corpus_bytes / 1e6, 2),
            "generate_seconds": round(gen_seconds, 2),
            "workers": settings.workers,
            "runtime": extractors.RUNTIME,  # compiled (mypyc) or pure Python, and why
            "counts": first.counts,
            "rows": first.rows,
            "stages": {k: round(v, 3) for k, v in _stages(first.timings).items()},
            "articles_per_second": round(n_articles / total, 1) if total else None,
            "articles_per_second_per_core": round(n_articles / total / settings.workers, 1) if total else None,
            # extraction alone, per core: articles over the CPU seconds the workers spent in extract_article
            "extract_articles_per_cpu_second": (round(n_articles / first.timings["extract_cpu"], 1)
                                                if first.timings.get("extract_cpu") else None),
            "reference_seconds": round(ref_seconds, 3),
            "reference_terms": min(REFERENCE_TERMS, len(aliases)),
            "reference_matches": ref_matches,
            "pipeline_over_reference": round(total / ref_seconds, 1) if ref_seconds else None,
            "data_dir": str(data_dir) if keep else None,
            "register_added_percent": register_share(first.timings, settings.workers),
        }
        if incremental:
            t = time.perf_counter()
            gen.write(inbox, range(n_articles, n_articles + incremental), corpus_cache)
            report["generate_seconds"] = round(gen_seconds + time.perf_counter() - t, 2)
            second = runner.run(settings, build_warehouse=build_warehouse)
            report["incremental"] = {
                "added": incremental,
                "counts": second.counts,
                "stages": {k: round(v, 3) for k, v in _stages(second.timings).items()},
                "cost_vs_first_percent": round(100 * second.timings["total"] / total, 1) if total else None,
                "register_added_percent": register_share(second.timings, settings.workers),
            }
        report["peak_rss"] = peak_rss_mb()
        # the whole command, wall clock: corpus generation + pipeline run(s) + reference pass
        report["bench_seconds"] = round(time.perf_counter() - bench_start, 2)
        return report
    finally:
        if not keep and work_dir is None:
            shutil.rmtree(root, ignore_errors=True)


def render(report: dict[str, Any], console: Console) -> None:
    console.print(f"bench: {report['articles']} articles ({report['corpus_mb']} MB), {report['workers']} workers; "
                  f"files: {report['counts']}")
    console.print(f"extraction modules: {report['runtime']}")
    table = Table(title="stages (s)")
    table.add_column("stage")
    table.add_column("first run", justify="right")
    inc = report.get("incremental")
    if inc:
        table.add_column(f"+{inc['added']} files", justify="right")
    for stage, seconds in report["stages"].items():
        row = [stage, f"{seconds:.2f}"]
        if inc:
            row.append(f"{inc['stages'][stage]:.2f}")
        table.add_row(*row)
    console.print(table)
    console.print(f"throughput: {report['articles_per_second']} articles/s, "
                  f"{report['articles_per_second_per_core']} per core")
    console.print(f"extraction alone: {report['extract_articles_per_cpu_second']} articles per CPU second (per core)")
    console.print(f"reference (1 core, decode + {report['reference_terms']}-term regex): "
                  f"{report['reference_seconds']:.2f}s; pipeline / reference = {report['pipeline_over_reference']}")
    console.print(f"register layer adds {report['register_added_percent']}% to the run"
                  + (f" ({inc['register_added_percent']}% to the incremental run)" if inc else ""))
    if inc:
        console.print(f"incremental run: {inc['cost_vs_first_percent']}% of the first run's time")
    pipeline = report["stages"].get("total", 0.0) + (inc["stages"].get("total", 0.0) if inc else 0.0)
    console.print(f"total: pipeline {pipeline:.2f}s{' (both runs)' if inc else ''}; whole bench "
                  f"{report['bench_seconds']:.2f}s (generating the corpus {report['generate_seconds']:.2f}s, "
                  f"reference pass {report['reference_seconds']:.2f}s)")
    rss = report["peak_rss"]
    console.print(f"peak RSS: {rss['self_mb']} MB (this process), {rss['children_mb']} MB (largest worker)")
    if report.get("data_dir"):
        console.print(f"kept: {report['data_dir']}")
