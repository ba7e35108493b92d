"""The pipeline's stages as plain functions: discover -> extract (staged batches) -> commit -> build.

The CLI (``mirsad run``) calls ``run``; the Airflow DAGs call the stage functions one per task. All of them
take a ``Settings`` (``extractors.ingest.config``), so both drive the pipeline the same way.

Test hook (crash-safety tests only): with ``MIRSAD_TEST_PAUSE_AT`` set to ``extract`` (after a batch is
staged), ``commit`` (merged batch staged, before the rename), ``commit_after_rename`` (after the rename,
before staged inputs are deleted) or ``build`` (before dbt starts), the runner prints
``MIRSAD_TEST_PAUSED <stage>`` on stderr and sleeps ``MIRSAD_TEST_PAUSE_SECONDS`` (default 60) there, so a
test can SIGKILL it at a known point. Unset in normal use.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import gc
import logging
import math
import multiprocessing
import os
import signal
import stat
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from extractors.ingest import lake, register
from extractors.ingest.config import Settings
from extractors.ingest.locking import LockBusy, data_dir_lock
from extractors.ingest.summary import FACT_TABLES, RunSummary
from extractors.schemas import INGESTION_STATUSES, ArticleExtraction, IngestionRow, to_table

__all__ = [
    "BatchResult", "Discovery", "InboxMissing", "LockBusy", "RunSummary", "Settings", "build", "commit_batches",
    "discover", "discover_files", "extract_batch", "plan_batches", "run",
]

_LOG = logging.getLogger(__name__)
MIN_PARALLEL_BATCH = 100  # a spawned worker costs ~2-3 s of imports and lexicon loading: worth it from ~100 files
_SETTLE_RECHECK_SECONDS = 0.25
_BUILT_HEAD_FILE = ".warehouse-head"


class InboxMissing(FileNotFoundError):
    """The inbox directory does not exist."""


class ExtractTimeout(BaseException):
    """An article overran ``Settings.extract_timeout``. A BaseException, so no ``except Exception`` inside the
    extractors can swallow it on its way back to the runner."""


@contextlib.contextmanager
def time_budget(seconds: float):
    """Raise ``ExtractTimeout`` in the block once it has used ``seconds`` of CPU time (0 = no limit).

    A virtual-time interval timer (SIGVTALRM) in the calling process: it counts the CPU this process spends,
    so a loaded machine does not make a normal article overrun. Signals reach only the main thread: in
    another thread the block runs without a budget (the linear-time extractors still bound it)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def overrun(signum, frame) -> None:
        raise ExtractTimeout(f"extraction used more than {seconds:g} s of CPU (MIRSAD_EXTRACT_TIMEOUT)")

    previous = signal.signal(signal.SIGVTALRM, overrun)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def ledger_name(name: str) -> str:
    """A path or file name as the ledger stores it: itself when it is valid UTF-8, else with every byte that
    is not UTF-8 written as ``\\xNN`` (the original bytes are in the quarantine reason)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def entry_problem(settings: Settings, path: str) -> str | None:
    """Why an inbox entry is not read at all (recorded as quarantined, never copied), else None.

    A name that is not UTF-8; a symbolic link that loops, or whose target lies outside the inbox (unless
    ``follow_outside_links``): following it would read (and copy to the quarantine) files the inbox user
    should not reach, such as /proc/self/environ."""
    if ledger_name(path) != path:
        raw = os.fsencode(os.path.basename(path))
        return f"bad_name: the file name is not valid UTF-8 (original name bytes, hex: {raw.hex()}); rename it"
    if not os.path.islink(path) and not any(os.path.islink(p) for p in _link_parents(settings, path)):
        return None
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "unreadable: symbolic link loop"
        return f"unreadable: symbolic link cannot be resolved ({exc.strerror or exc})"
    if not settings.follow_outside_links and not _inside(target, os.path.realpath(settings.inbox)):
        return "unreadable: symbolic link to a file outside the inbox, not followed (MIRSAD_FOLLOW_OUTSIDE_LINKS=1 allows it)"
    return None


def _link_parents(settings: Settings, path: str) -> list[str]:
    """The folders between the inbox and ``path`` (a linked folder is not walked, but a path may name one)."""
    inbox = str(settings.inbox)
    out = []
    parent = os.path.dirname(path)
    while _inside(parent, inbox) and parent != inbox:
        out.append(parent)
        parent = os.path.dirname(parent)
    return out


def test_pause(stage: str) -> None:
    """Crash-test hook (see module docstring); a no-op unless MIRSAD_TEST_PAUSE_AT names ``stage``."""
    if os.environ.get("MIRSAD_TEST_PAUSE_AT") != stage:
        return
    print(f"MIRSAD_TEST_PAUSED {stage}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get("MIRSAD_TEST_PAUSE_SECONDS", "60")))


test_pause.__test__ = False  # not a pytest test


def new_run_id() -> str:
    return "run-" + lake.new_batch_id()


# ---------------------------------------------------------------- discover


@dataclass
class Discovery:
    candidates: list[str] = field(default_factory=list)  # new files to read, sorted
    deferred: list[str] = field(default_factory=list)  # still being written: left for the next run
    skipped_known: int = 0  # unchanged files already in the ledger


def _walk_files(folder: str) -> Iterable[tuple[str, os.stat_result]]:
    """See ``_walk``: every entry worth a ledger row, with its stat (``lstat`` for a link that cannot be followed)."""
    for path, st, _ in _walk(folder):
        yield path, st


def _walk(folder: str) -> Iterable[tuple[str, os.stat_result, bool]]:
    """Every regular, non-hidden file under ``folder`` (hidden folders skipped) with its stat, sidecars
    (``*.meta.json``) excluded. ``os.scandir`` gives the file type from the directory listing, so each file
    costs one stat call and no Path object (20,000 files: ~0.1 s)."""
    from extractors.ingest.reading import is_sidecar

    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:  # removed while we walked
        return
    except OSError as exc:  # unreadable folder: said, not silently skipped (os.walk would have)
        _LOG.warning("inbox folder not readable, skipped this run: %s (%s)", folder, exc)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):  # as os.walk: a link to a folder is not followed
                yield from _walk(entry.path)
                continue
            if is_sidecar(entry.name):
                continue
            st = entry.stat(follow_symlinks=True)
        except FileNotFoundError:  # removed (or a dangling link) between the listing and the look
            continue
        except OSError:  # a link loop, a name too long to stat: a poison entry, recorded with its reason
            try:
                yield entry.path, entry.stat(follow_symlinks=False), True
            except OSError:
                continue
            continue
        if stat.S_ISREG(st.st_mode):
            yield entry.path, st, entry.is_symlink() or ledger_name(entry.name) != entry.name


def discover_files(settings: Settings) -> Discovery:
    """Walk the inbox: new, settled candidate files; files still being written; known files skipped.

    Skips hidden files/folders, sidecars (``*.meta.json``) and files whose (path, size, mtime) is already in the
    ledger, without reading them. A file modified less than ``settle_seconds`` ago, or whose size/mtime changes
    between two looks, is deferred (not recorded; the next run picks it up). An S3 inbox is listed by
    ``s3inbox.discover`` under the same rules: its candidates are ``s3://`` URIs, nothing is downloaded.
    """
    if settings.inbox_uri:
        from extractors.ingest import s3inbox

        candidates, deferred, skipped = s3inbox.discover(settings, _ledger_index(settings))
        return Discovery(candidates=candidates, deferred=deferred, skipped_known=skipped)
    inbox = settings.inbox
    if not inbox.is_dir():
        raise InboxMissing(f"inbox not found: {inbox}")
    settings.check_layout()
    index = _ledger_index(settings)
    found = Discovery()
    first: dict[str, os.stat_result] = {}
    poison: set[str] = set()  # entries recorded from their lstat (a link is never followed for them)
    for path, st, odd in _walk(str(inbox)):
        if odd and entry_problem(settings, path) is not None:  # a link or a name that is not UTF-8
            try:
                st = os.lstat(path)
            except OSError:
                continue
            poison.add(path)
        key = (ledger_name(path), st.st_size, st.st_mtime_ns)
        if index.status_of(*key) is not None:
            if not (key in index.transient and os.access(path, os.R_OK)):  # permission fixed: try again
                found.skipped_known += 1
                continue
        first[path] = st
    if settings.settle_seconds <= 0:
        found.candidates = sorted(first)
        return found
    found.candidates = [p for p in first if p in poison]  # recorded from their names: nothing to settle
    first = {p: st for p, st in first.items() if p not in poison}
    settle_ns = int(settings.settle_seconds * 1e9)
    now = time.time_ns()
    settled = {p: st for p, st in first.items() if now - st.st_mtime_ns >= settle_ns}
    found.deferred = sorted(set(first) - set(settled))
    if settled:
        time.sleep(min(_SETTLE_RECHECK_SECONDS, settings.settle_seconds))
    for path, st in settled.items():
        try:
            again = os.lstat(path) if path in poison else os.stat(path)
        except OSError:  # vanished (or its link broke) since the first look
            continue
        if (again.st_size, again.st_mtime_ns) == (st.st_size, st.st_mtime_ns):
            found.candidates.append(path)
        else:
            found.deferred.append(path)
    found.candidates.sort()
    found.deferred.sort()
    return found


def _ledger_index(settings: Settings) -> lake.LedgerIndex:
    if settings.uses_catalog:  # the ledger shared by every machine committing to the DuckLake catalog
        from extractors.ingest import catalog

        return catalog.ledger_index(settings)
    return lake.ledger_index(settings.lake_dir)


def discover(settings: Settings) -> list[str]:
    """New, settled candidate files of the inbox, sorted (see ``discover_files``)."""
    return discover_files(settings).candidates


def plan_batches(paths: list[str], batch_size: int) -> list[list[str]]:
    """Split ``paths`` (kept in order) into consecutive batches of at most ``batch_size``."""
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    return [list(paths[i : i + batch_size]) for i in range(0, len(paths), batch_size)]


def effective_batch_size(settings: Settings, n_files: int) -> int:
    """Enough batches to keep every worker busy, never more than ``batch_size`` files per batch."""
    per_worker = math.ceil(n_files / settings.workers) if n_files else 1
    return max(1, min(settings.batch_size, max(MIN_PARALLEL_BATCH, per_worker)))


# ---------------------------------------------------------------- extract


@dataclass
class BatchResult:
    batch_id: str
    files: int
    counts: dict[str, int]
    timings: dict[str, float]  # read, extract, write (seconds, summed over the batch's files)


_NAME_MAX = 255  # bytes in one file name (ext4, xfs, btrfs)
_COPY_CHUNK = 1 << 20


def quarantine_name(name: str, sha256: str) -> str:
    """The copy's name: ``<sha256[:16]>-<name>``, the name escaped to UTF-8 and shortened (its extension kept)
    so that the temporary ``.<copy>.copying`` still fits the file system's 255-byte limit."""
    prefix = f"{sha256[:16]}-" if sha256 else ""
    name = ledger_name(name)
    room = _NAME_MAX - len(prefix) - len("..copying")
    raw = name.encode("utf-8")
    if len(raw) > room:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext.encode("utf-8")) <= 16 else ""
        keep = stem.encode("utf-8")[: room - len(ext.encode("utf-8")) - 1].decode("utf-8", "ignore")
        name = f"{keep}~{ext}"
    return prefix + name


def _quarantine_copy(settings: Settings, path: str, sha256: str) -> None:
    """Copy a quarantined file to ``DATA_DIR/quarantine`` for inspection. The copy never follows a link
    (O_NOFOLLOW), is a plain 0644-under-umask file owned by the pipeline's user (no setuid/setgid bits, no
    ownership carried over), is skipped for files over ``quarantine_copy_max_bytes`` (the ledger row says
    why the file was quarantined; the original stays in the inbox), and a partial copy is deleted."""
    target = settings.quarantine_dir / quarantine_name(os.path.basename(path), sha256)
    if target.exists():
        return
    tmp = target.with_name(f".{target.name}.copying")
    cap = settings.quarantine_copy_max_bytes

    def warn(why: object) -> None:
        print(f"mirsad: warning: {ledger_name(path)} not copied to quarantine: {why}", file=sys.stderr)

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:  # a link (ELOOP), permission denied, vanished: the ledger row is what counts
        if exc.errno != errno.ENOENT:
            warn(exc.strerror or exc)
        return
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return
        if st.st_size > cap:
            warn(f"{st.st_size} bytes, over the quarantine copy limit of {cap} bytes")
            return
        settings.quarantine_dir.mkdir(parents=True, exist_ok=True)
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            written = 0
            while chunk := os.read(fd, _COPY_CHUNK):
                written += len(chunk)
                if written > cap:  # grew while we copied
                    raise OSError(errno.EFBIG, f"grew past the quarantine copy limit of {cap} bytes")
                os.write(out, chunk)
        finally:
            os.close(out)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        warn(exc.strerror or exc)
    finally:
        os.close(fd)


def clean_partial_copies(settings: Settings) -> int:
    """Delete ``.*.copying`` files a killed run left in the quarantine folder; return how many."""
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(settings.quarantine_dir):
            if entry.name.startswith(".") and entry.name.endswith(".copying"):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _stat_or_zero(path: str) -> tuple[int, int]:
    try:
        st = os.lstat(path) if os.path.islink(path) else os.stat(path)
        return st.st_size, st.st_mtime_ns
    except OSError:
        return 0, 0


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def extract_batch(settings: Settings, paths: list[str], run_id: str) -> str:
    """Read and extract ``paths`` and stage the rows as one batch under ``lake/_staging``; return its batch_id.

    Never raises for one bad file: unreadable or undecodable files, and files whose extraction raises
    (reason ``extract_error: <ExcType>: <msg>``), are recorded as quarantined and copied to
    ``DATA_DIR/quarantine/``. Originals are never touched.
    """
    return _extract_batch(settings, paths, run_id).batch_id


class _HeapFreezer:
    """Keeps the long-lived heap (lexicons, matchers, the token and fold caches) out of the cyclic GC's
    sight with ``gc.freeze``: re-traversing it on every older-generation collection cost 9% of extraction
    (callgrind instruction counts, 20 articles). Done between articles after a full collection, so no
    garbage is frozen; repeated every ``every`` articles as the caches grow. One per process: a pool worker
    keeps its heap frozen from batch to batch (a full collection of a warm heap costs ~70 ms)."""

    def __init__(self, every: int = 500) -> None:
        self.every = every
        self.seen = 0
        self.unfreeze_at_exit = False

    def tick(self) -> None:
        if self.seen in (1, 20) or (self.seen and self.seen % self.every == 0):
            gc.collect()
            gc.freeze()
            if not self.unfreeze_at_exit:  # interpreter shutdown must see a normal heap (extension modules
                atexit.register(gc.unfreeze)  # such as duckdb's report objects still alive at exit as leaks)
                self.unfreeze_at_exit = True
        self.seen += 1

    def release(self) -> None:
        """Hand the frozen objects back to the collector (a process that goes on must not keep them frozen)."""
        gc.unfreeze()
        self.seen = 0


class _NoFreezer(_HeapFreezer):
    def tick(self) -> None:
        pass

    def release(self) -> None:
        pass


_FREEZER = _HeapFreezer()
_NO_FREEZER = _NoFreezer()


def _extract_batch(settings: Settings, paths: list[str], run_id: str, *, pool_worker: bool = False) -> BatchResult:
    batch_id = lake.new_batch_id()
    if not settings.inbox_uri:
        return _extract_files(settings, paths, run_id, batch_id, pool_worker=pool_worker)
    from extractors.ingest import s3inbox

    # an S3 inbox: the batch's objects are read from a local copy (deleted on leaving), the ledger names the URI
    with s3inbox.fetched(settings, paths, batch_id) as objects:
        local = [o.local or o.uri for o in objects]
        origin = {o.local: o.uri for o in objects if o.local}
        preset = {o.uri: (o.problem, o.size, o.mtime_ns) for o in objects if o.problem}
        return _extract_files(settings, local, run_id, batch_id, pool_worker=pool_worker, origin=origin,
                              preset=preset)


def _extract_files(settings: Settings, paths: list[str], run_id: str, batch_id: str, *, pool_worker: bool = False,
                   origin: dict[str, str] | None = None,
                   preset: dict[str, tuple[str, int, int]] | None = None) -> BatchResult:
    """``_extract_batch`` over local files; ``origin`` maps a file to the name the ledger records (an S3 URI),
    ``preset`` records a path as quarantined with the given (reason, size, mtime) without looking at it."""
    from extractors.facts import pipeline
    from extractors.ingest import reading, stories

    origin, preset = origin or {}, preset or {}
    ingested_at = datetime.now(UTC)
    known = lake.ledger_index(settings.lake_dir).article_ids
    in_batch: set[str] = set()
    ingestions: list[IngestionRow] = []
    extractions: list[ArticleExtraction] = []
    timings = Counter()
    counts = Counter()

    def record(path: str, sha: str, size: int, mtime: int, status: str, reason: str | None = None,
               article_id: str | None = None, duplicate_of: str | None = None, copy: bool = True) -> None:
        counts[status] += 1
        name = origin.get(path, path)
        ingestions.append(IngestionRow(
            file_name=ledger_name(os.path.basename(name)), file_path=ledger_name(name), sha256=sha, size_bytes=size, mtime_ns=mtime,
            status=status, reason=reason, article_id=article_id, duplicate_of=duplicate_of, run_id=run_id,
            batch_id=batch_id, ingested_at=ingested_at,
        ))
        if status == "quarantined" and copy and settings.quarantine_copy and os.path.exists(path):
            _quarantine_copy(settings, path, sha)

    # a small batch in this process (an incremental run) is over before freezing would pay for its collections
    freezer = _FREEZER if pool_worker or len(paths) >= MIN_PARALLEL_BATCH else _NO_FREEZER
    try:
        for path in paths:
            freezer.tick()
            t0 = time.process_time()  # CPU seconds of this process: the per-core measure the bench reports
            if path in preset:  # an S3 object that could not be fetched: recorded as its listing showed it
                reason, size, mtime = preset[path]
                record(path, "", size, mtime, "quarantined", reason, copy=False)
                continue
            problem = entry_problem(settings, path)
            if problem is not None:  # never opened, never copied
                record(path, "", *_stat_or_zero(path), "quarantined", problem, copy=False)
                continue
            try:
                with time_budget(settings.extract_timeout):
                    rr = reading.read_article_file(Path(path), max_bytes=settings.max_bytes)
            except ExtractTimeout as exc:
                timings["read"] += time.process_time() - t0
                record(path, "", *_stat_or_zero(path), "quarantined", f"extract_timeout: reading: {exc}", copy=False)
                continue
            except Exception as exc:  # vanished, unreadable: record it, go on with the batch
                timings["read"] += time.process_time() - t0
                record(path, "", *_stat_or_zero(path), "quarantined", f"read_error: {_one_line(exc)}")
                continue
            t1 = time.process_time()
            timings["read"] += t1 - t0
            sha = rr.sha256 or ""
            if rr.status != "ok":
                record(path, sha, rr.size_bytes, rr.mtime_ns, "quarantined", rr.reason)
                continue
            content_id = reading.content_article_id(rr.text)
            if content_id in known or content_id in in_batch:
                record(path, sha, rr.size_bytes, rr.mtime_ns, "duplicate", duplicate_of=content_id)
                continue
            try:
                with time_budget(settings.extract_timeout):
                    ex = pipeline.extract_article(
                        rr.text, source_file=rr.file_name, sidecar=rr.sidecar, sha256=sha, encoding=rr.encoding,
                        article_id=content_id,
                        ingested_at=ingested_at, batch_id=batch_id, warnings=tuple(rr.warnings or ()),
                    )
            except ExtractTimeout as exc:  # a pathological page: recorded, the run goes on
                timings["extract"] += time.process_time() - t1
                record(path, sha, rr.size_bytes, rr.mtime_ns, "quarantined", f"extract_timeout: {exc}")
                continue
            except Exception as exc:  # one article must not sink the batch
                timings["extract"] += time.process_time() - t1
                record(path, sha, rr.size_bytes, rr.mtime_ns, "quarantined", f"extract_error: {_one_line(exc)}")
                continue
            t2 = time.process_time()
            timings["extract"] += t2 - t1
            article_id = ex.article.article_id
            ex.fingerprint = stories.fingerprint_row(article_id, rr.text, batch_id)
            timings["fingerprint"] += time.process_time() - t2
            in_batch.add(article_id)
            extractions.append(ex)
            record(path, sha, rr.size_bytes, rr.mtime_ns, "processed", article_id=article_id)
    finally:
        if not pool_worker:  # a pool worker only waits for its next batch: the frozen heap stays frozen
            freezer.release()
    t2 = time.perf_counter()
    tables = {
        "articles": to_table("articles", [e.article for e in extractions]),
        "transfers": to_table("transfers", [r for e in extractions for r in e.transfers]),
        "statements": to_table("statements", [r for e in extractions for r in e.statements]),
        "events": to_table("events", [r for e in extractions for r in e.events]),
        "ingestions": to_table("ingestions", ingestions),
        "fingerprints": to_table("fingerprints", [e.fingerprint for e in extractions if e.fingerprint is not None]),
    }
    lake.stage_batch(settings.lake_dir, batch_id, tables)
    timings["write"] += time.perf_counter() - t2
    test_pause("extract")
    return BatchResult(batch_id=batch_id, files=len(paths), counts=dict(counts), timings=dict(timings))


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Pool worker initializer: the kernel kills this worker when the process that started it dies (Linux
    PR_SET_PDEATHSIG), so a SIGKILLed ``mirsad run`` leaves no worker staging batches behind it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)


def _extract_all(settings: Settings, batches: list[list[str]], run_id: str,
                 on_done: Callable[[BatchResult], None]) -> list[BatchResult]:
    """Extract every batch (in worker processes when there are several), results in plan order."""
    if settings.workers == 1 or len(batches) <= 1:
        results = []
        for paths in batches:
            results.append(_extract_batch(settings, paths, run_id))
            on_done(results[-1])
        return results
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited threads or DB handles
    by_index: dict[int, BatchResult] = {}
    with ProcessPoolExecutor(max_workers=min(settings.workers, len(batches)), mp_context=ctx,
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(_extract_batch, settings, paths, run_id, pool_worker=True): i
                   for i, paths in enumerate(batches)}
        for fut in as_completed(futures):
            by_index[futures[fut]] = fut.result()
            on_done(by_index[futures[fut]])
    return [by_index[i] for i in range(len(batches))]


# ---------------------------------------------------------------- commit


def _fact_parts(lake_dir: Path, name: str, batch_ids: list[str], keep: dict[str, set[str]], commit_id: str,
                rows: Counter) -> Iterable[pa.Table]:
    for batch_id in batch_ids:
        ids = keep.get(batch_id)
        if not ids:
            continue
        table = lake.read_staged(lake_dir, batch_id, name)
        table = table.filter(pc.is_in(table["article_id"], value_set=pa.array(sorted(ids), pa.string())))
        col = table.schema.get_field_index("batch_id")
        table = table.set_column(col, "batch_id", pa.array([commit_id] * table.num_rows, pa.string()))
        rows[name] += table.num_rows
        yield table


def commit_batches(settings: Settings, batch_ids: list[str], run_id: str) -> dict:
    """Merge staged batches into ONE committed batch (atomic rename) and delete the staged dirs.

    A processed file whose article_id is already in the lake, or earlier in this commit, becomes
    ``duplicate`` (``duplicate_of`` = that article_id) and its fact rows are dropped. A ledger row whose
    (path, size, mtime) is already committed is not recorded twice (a retried commit is harmless).
    Returns ``{"batch_id": id or None, "processed": n, "duplicate": n, "quarantined": n, "rows": {...}}``.
    With a DuckLake catalog the batch is inserted in one catalog transaction instead (``catalog.commit_batches``).
    """
    if settings.uses_catalog:
        from extractors.ingest import catalog

        return catalog.commit_batches(settings, batch_ids, run_id)
    lake_dir = settings.lake_dir
    batch_ids = [b for b in batch_ids if (lake.staging_dir(lake_dir) / b).is_dir()]
    index = lake.ledger_index(lake_dir)
    known_articles = set(index.article_ids)
    recorded: set[lake.StatKey] = set()
    commit_id = lake.new_batch_id()
    counts = Counter({s: 0 for s in INGESTION_STATUSES})
    keep: dict[str, set[str]] = {}
    ingestion_parts: list[pa.Table] = []
    for batch_id in batch_ids:
        rows_out = []
        keep[batch_id] = set()
        for row in lake.read_staged(lake_dir, batch_id, "ingestions").to_pylist():
            key = (row["file_path"], row["size_bytes"], row["mtime_ns"])
            retried = key in index.transient and not (row["status"] == "quarantined" and lake.is_transient(row["reason"]))
            if (key in index.seen and not retried) or key in recorded:
                continue
            recorded.add(key)
            if row["status"] == "processed":
                article_id = row["article_id"]
                if article_id in known_articles:
                    row.update(status="duplicate", duplicate_of=article_id, article_id=None)
                else:
                    known_articles.add(article_id)
                    keep[batch_id].add(article_id)
            row["batch_id"] = commit_id
            counts[row["status"]] += 1
            rows_out.append(row)
        if rows_out:
            ingestion_parts.append(pa.Table.from_pylist(rows_out, schema=lake.INGESTIONS_SCHEMA))
    rows: Counter = Counter({name: 0 for name in FACT_TABLES})
    result = {"batch_id": None, **counts, "rows": dict(rows)}
    if not ingestion_parts:
        lake.discard_staged(lake_dir, batch_ids)
        return result
    parts = {name: _fact_parts(lake_dir, name, batch_ids, keep, commit_id, rows) for name in FACT_TABLES}
    fingerprints = _fact_parts(lake_dir, "fingerprints", batch_ids, keep, commit_id, Counter())
    lake.write_batch_streaming(lake_dir, commit_id, {"ingestions": ingestion_parts, **parts,
                                                     "fingerprints": fingerprints})
    t = time.perf_counter()
    register.assign_clusters(lake_dir, commit_id)  # stories, deals, events of the new rows (clusters.parquet)
    result["register_seconds"] = time.perf_counter() - t
    test_pause("commit")
    lake.commit_batch(lake_dir, commit_id)
    test_pause("commit_after_rename")
    lake.discard_staged(lake_dir, batch_ids)
    result.update(batch_id=commit_id, rows=dict(rows))
    return result


# ---------------------------------------------------------------- build


def _built_head_path(settings: Settings) -> Path:
    return settings.data_dir / _BUILT_HEAD_FILE


def built_head(settings: Settings) -> str | None:
    """The lake head the current warehouse was built from (None if unknown)."""
    try:
        return _built_head_path(settings).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _warehouse_name(settings: Settings) -> str:
    """Where the run's warehouse is, as the summary names it (a catalog: no password)."""
    if settings.uses_catalog:
        from extractors.ingest import catalog

        return catalog.lake_of(settings).describe()
    return str(settings.warehouse_path)


def warehouse_is_current(settings: Settings) -> bool:
    if settings.uses_catalog:
        from extractors.ingest import catalog

        with catalog.open_lake(settings) as con:
            last = catalog.last_build(con)
            return last is not None and last["lake_head"] == catalog.lake_head(con)
    return settings.warehouse_path.exists() and built_head(settings) == lake.lake_head(settings.lake_dir)


def heal_warehouse(settings: Settings) -> Path | None:
    """A warehouse file that does not open (truncated, emptied, damaged, another DuckDB version) is moved
    aside, with one line on stderr, so the build makes a new one from the lake; returns where it went."""
    from extractors.ingest import warehouse

    problem = warehouse.warehouse_problem(settings.warehouse_path)
    if problem is None:
        return None
    aside = warehouse.set_aside(settings.warehouse_path)
    _built_head_path(settings).unlink(missing_ok=True)
    print(f"mirsad: warehouse {settings.warehouse_path} is damaged ({problem[:200]}); set aside as {aside.name}, "
          "rebuilding it from the lake", file=sys.stderr)
    return aside


def build(settings: Settings, docs: bool = True):
    """Build the DuckDB warehouse from the lake with dbt (``warehouse.build_warehouse``); returns BuildResult."""
    from extractors.ingest import warehouse

    if settings.uses_catalog:  # dbt writes into the catalog and publishes a snapshot: no file, no head marker
        test_pause("build")
        return warehouse.build_catalog_warehouse(settings, docs_dir=settings.docs_dir if docs else None,
                                                 target_dir=settings.dbt_work_dir)
    lake.init_lake(settings.lake_dir)
    lake.check_batches(settings.lake_dir)  # a missing table file is an error naming it, not zero rows
    heal_warehouse(settings)
    head = lake.lake_head(settings.lake_dir)
    test_pause("build")
    result = warehouse.build_warehouse(
        settings.lake_dir, settings.warehouse_path, docs_dir=settings.docs_dir if docs else None,
        target_dir=settings.dbt_work_dir,
    )
    if result.ok:
        marker = _built_head_path(settings)
        tmp = marker.with_name(marker.name + ".tmp")
        tmp.write_text(f"{head}\n", encoding="utf-8")
        os.replace(tmp, marker)
    return result


# ---------------------------------------------------------------- run


class BuildFailed(RuntimeError):
    """dbt reported failures."""


def run(settings: Settings, *, progress: bool = False, build_warehouse: bool = True) -> RunSummary:
    """One whole run under the data dir lock: recover, discover, extract, commit, build. Returns a summary."""
    if not settings.inbox_uri and not settings.inbox.is_dir():
        raise InboxMissing(f"inbox not found: {settings.inbox}")
    run_id = new_run_id()
    summary = RunSummary(run_id=run_id, started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                         inbox=settings.inbox_name, data_dir=str(settings.data_dir), workers=settings.workers,
                         warehouse_path=_warehouse_name(settings))
    timings = summary.timings
    start = time.perf_counter()
    settings.check_layout()
    with data_dir_lock(settings.data_dir, settings.lock_timeout):
        lake.init_lake(settings.lake_dir)
        summary.recovered_staged = lake.recover(settings.lake_dir)
        clean_partial_copies(settings)
        if settings.inbox_uri:  # S3 objects a killed run left in the local cache
            from extractors.ingest import s3inbox

            s3inbox.clear_cache(settings)

        t = time.perf_counter()
        found = discover_files(settings)
        timings["discover"] = time.perf_counter() - t
        summary.candidates, summary.deferred, summary.skipped_known = (
            len(found.candidates), found.deferred, found.skipped_known)

        t = time.perf_counter()
        batches = plan_batches(found.candidates, effective_batch_size(settings, len(found.candidates)))
        with _progress(progress, len(found.candidates)) as advance:
            results = _extract_all(settings, batches, run_id, advance)
        timings["extract_wall"] = time.perf_counter() - t
        for key in ("read", "extract", "fingerprint", "write"):
            timings[f"{key}_cpu"] = sum(r.timings.get(key, 0.0) for r in results)

        t = time.perf_counter()
        committed = commit_batches(settings, [r.batch_id for r in results], run_id)
        pa.default_memory_pool().release_unused()  # the commit's Arrow buffers go back before dbt/DuckDB grow
        timings["commit"] = time.perf_counter() - t
        timings["register"] = committed.get("register_seconds", 0.0)
        summary.batch_id = committed["batch_id"]
        summary.counts = {s: committed[s] for s in INGESTION_STATUSES}
        summary.rows = committed["rows"]

        t = time.perf_counter()
        if build_warehouse:
            heal_warehouse(settings)
        if not build_warehouse:
            summary.build_skipped_reason = "disabled"
        elif summary.batch_id is None and warehouse_is_current(settings):
            summary.build_skipped_reason = "nothing new"
        else:
            result = build(settings)
            if not result.ok:
                raise BuildFailed(f"dbt build failed: {'; '.join(map(str, result.failures)) or 'see dbt logs'}")
            summary.built = True
            # the register's own models (dim_articles' story columns are part of its build, not counted)
            from extractors.ingest.warehouse import REGISTER_MODELS

            timings["build_register"] = sum(result.node_seconds.get(m, 0.0) for m in REGISTER_MODELS)
            summary.docs_path = str(result.docs_path) if result.docs_path else None
        timings["build"] = time.perf_counter() - t
        if settings.uses_catalog:
            from extractors.ingest import catalog, warehouse

            with contextlib.suppress(catalog.CatalogError):  # no build published yet (--no-build)
                summary.warehouse_counts = catalog.warehouse_counts(settings, warehouse.MARTS)
        elif settings.warehouse_path.exists() and not settings.uses_catalog:
            from extractors.ingest import warehouse

            try:
                summary.warehouse_counts = warehouse.warehouse_counts(settings.warehouse_path)
            except warehouse.WarehouseLocked as exc:  # the run itself succeeded: say so, and why no counts
                print(f"mirsad: warning: warehouse counts not shown: {exc}", file=sys.stderr)
    timings["total"] = time.perf_counter() - start
    return summary


class _progress:
    """A rich progress bar over files (stderr) when asked for; otherwise a no-op callback."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled and total > 0
        self.total = total

    def __enter__(self) -> Callable[[BatchResult], None]:
        if not self.enabled:
            return lambda _r: None
        from rich.console import Console
        from rich.progress import Progress

        self._bar = Progress(console=Console(stderr=True), transient=True)
        self._bar.start()
        task = self._bar.add_task("extracting", total=self.total)
        return lambda r: self._bar.advance(task, r.files)

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._bar.stop()
