"""An inbox that is an S3 prefix (``MIRSAD_INBOX=s3://bucket/prefix``): listing it, and fetching a batch's objects.

S3 is configured as the lake's (``catalog.s3_settings``): ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_ENDPOINT_URL``, ``AWS_REGION`` (no key: anonymous requests, for a public bucket). The client is pyarrow's
``S3FileSystem`` (pyarrow is a dependency already): one ``ListObjectsV2`` pass gives every object's key, size and
last-modified time, and objects are streamed to disk. (DuckDB's httpfs, the lake's client, was the first choice,
but its ``read_blob`` fails on a key holding a ``?`` and reads a name with ``[`` or ``*`` as a glob pattern, so
one oddly named object could break or misdirect a whole run.)

* **Discovery** (``discover``) lists the prefix once and downloads nothing. The ledger identity of an object is
  ``(s3://bucket/key, size, last-modified)``, the time in whole seconds (what S3 reports in a listing and in
  a ``Last-Modified`` header alike), so every machine reading the prefix computes the same one: an object in the
  ledger (a shared DuckLake catalog's too) is skipped without a request. As in a folder inbox, hidden names (a
  segment of the key after the prefix starting with ``.``), folder markers (keys ending in ``/``) and sidecars
  (``NAME.meta.json``) are never candidates; an object younger than ``settle_seconds`` waits for the next run.
  The candidates are S3 URIs, so a batch can be extracted on another machine (an Airflow worker).
* **Fetching** (``fetched``): a batch's objects are streamed into ``DATA_DIR/s3-inbox/<batch_id>/<n>/<name>``,
  each in a folder of its own with its sidecar(s) beside it (found by listing the key's S3 folder once per
  batch), the file's mtime set to the object's last-modified time. The reader, the sidecar rules and the
  quarantine copy then work on plain files exactly as for a folder inbox; the runner records the S3 URI, not
  the cache path. An object over the size limits is not downloaded: its cache file is a sparse file of the
  object's size, which the reader quarantines as ``too_large`` from ``stat()`` without reading it (sidecars
  likewise). The batch's folder is deleted as soon as the batch is staged (``runner.run`` also clears what a
  killed run left), so the cache never holds more than the batches being extracted.
* **Errors**: an unreachable endpoint, bad credentials or a missing bucket raise ``InboxUnreachable`` (an
  ``InboxMissing``: one line from the command line). An object deleted between listing and fetching is recorded
  as ``unreadable``; one whose read is denied as ``unreadable: Permission denied`` (tried again on a later run,
  as a file that was not readable).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from extractors.ingest.config import Settings
from extractors.ingest.reading import SIDECAR_MAX_BYTES, SIDECAR_SUFFIX, is_sidecar
from extractors.ingest.runner import InboxMissing

FETCH_THREADS = 8  # objects downloaded at once per batch (network-bound: threads, the GIL is released)
_CHUNK = 1 << 20
_NAME_MAX = 255
_SECOND = 1_000_000_000
_REQUEST_ID = re.compile(r"\s*\(Request ID: [^)]*\)")


class InboxUnreachable(InboxMissing):
    """The S3 inbox cannot be listed or read: endpoint unreachable, bad credentials, no such bucket."""


@dataclass(frozen=True)
class S3Object:
    uri: str  # s3://bucket/key
    size: int
    mtime_ns: int  # last-modified, whole seconds

    @property
    def path(self) -> str:
        """bucket/key, as pyarrow names it."""
        return self.uri[len("s3://"):]


@dataclass(frozen=True)
class Fetched:
    """One object of a batch: its cache file (``local``), or why it has none (``problem``, recorded as is)."""

    uri: str
    local: str | None
    size: int
    mtime_ns: int
    problem: str | None = None


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of ``s3://bucket/key``."""
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def _whole_seconds(mtime_ns: int | None) -> int:
    return (int(mtime_ns or 0) // _SECOND) * _SECOND


# ---------------------------------------------------------------- the client


def _endpoint() -> tuple[str | None, str]:
    """(host:port or None for AWS itself, scheme) from AWS_ENDPOINT_URL, read as ``catalog.s3_settings`` does."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint:
        return None, "https"
    parsed = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
    return parsed.netloc, parsed.scheme or "https"


@cache
def _filesystem(key_id: str, secret: str, token: str, region: str, endpoint: str | None, scheme: str):
    import pyarrow.fs as pafs

    options: dict = {"region": region, "scheme": scheme, "connect_timeout": 10, "request_timeout": 60,
                     "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=3)}
    if key_id:
        options.update(access_key=key_id, secret_key=secret, session_token=token or None)
    else:
        options["anonymous"] = True
    if endpoint:
        options["endpoint_override"] = endpoint  # a self-hosted endpoint (SeaweedFS, MinIO): path-style buckets
    return pafs.S3FileSystem(**options)


def filesystem():
    """pyarrow's S3 client for the AWS_* settings of this process (one per distinct settings)."""
    endpoint, scheme = _endpoint()
    return _filesystem(os.environ.get("AWS_ACCESS_KEY_ID", ""), os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
                       os.environ.get("AWS_SESSION_TOKEN", ""),
                       os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
                       endpoint, scheme)


def _why(exc: BaseException) -> str:
    """An S3 error as one short line: no request id, no 'When listing objects under key …' preamble."""
    text = _REQUEST_ID.sub("", " ".join(str(exc).split()))
    return re.sub(r"^When [^:]*: ", "", text)


def _unreachable(settings: Settings, exc: BaseException) -> InboxUnreachable:
    where = os.environ.get("AWS_ENDPOINT_URL") or "AWS S3"
    return InboxUnreachable(f"S3 inbox {settings.inbox_uri} not readable at {where}: {_why(exc)} (check "
                            "AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and the bucket name)")


def _denied(exc: BaseException) -> bool:
    return isinstance(exc, PermissionError) or "ACCESS_DENIED" in str(exc) or "AccessDenied" in str(exc)


# what says the endpoint, the credentials, the bucket or the network is at fault rather than one object: the run
# stops (a later run retries) instead of recording the object
_STOPS_THE_RUN = ("NETWORK_CONNECTION", "curlCode", "INVALID_ACCESS_KEY_ID", "SIGNATURE_DOES_NOT_MATCH",
                  "NO_SUCH_BUCKET", "EXPIRED_TOKEN", "SLOW_DOWN", "SERVICE_UNAVAILABLE", "INTERNAL_FAILURE",
                  "REQUEST_TIMEOUT", "THROTTLING", "HTTP status 5", "HTTP status 429", "timed out", "Timeout")


def _stops_the_run(exc: BaseException) -> bool:
    return any(mark in str(exc) for mark in _STOPS_THE_RUN)


# ---------------------------------------------------------------- discovery


def _hidden(relative_key: str) -> bool:
    return any(segment.startswith(".") for segment in relative_key.split("/"))


def list_inbox(settings: Settings) -> list[S3Object]:
    """Every object under the inbox prefix that could be an article: not a folder marker, not hidden, not a
    sidecar. Raises ``InboxUnreachable`` when the prefix cannot be listed."""
    import pyarrow.fs as pafs

    bucket, prefix = split_uri(settings.inbox_uri)
    base = f"{bucket}/{prefix}".rstrip("/")
    fs = filesystem()
    try:
        infos = fs.get_file_info(pafs.FileSelector(base, recursive=True))
    except FileNotFoundError:  # nothing under the prefix yet: an empty inbox, if the bucket is there
        infos = []
    except OSError as exc:
        raise _unreachable(settings, exc) from None
    if not infos:  # an empty listing also comes from a bucket that does not exist (some servers)
        try:
            there = fs.get_file_info(bucket).type != pafs.FileType.NotFound
        except OSError as exc:
            raise _unreachable(settings, exc) from None
        if not there:
            raise _unreachable(settings, FileNotFoundError(f"the bucket {bucket!r} does not exist"))
    found = []
    for info in infos:
        if info.type != pafs.FileType.File or info.path.endswith("/"):
            continue
        relative = info.path[len(base) + 1:] if info.path.startswith(base + "/") else info.path
        if _hidden(relative) or is_sidecar(relative):
            continue
        found.append(S3Object(uri=f"s3://{info.path}", size=int(info.size or 0), mtime_ns=_whole_seconds(info.mtime_ns)))
    return found


def discover(settings: Settings, index) -> tuple[list[str], list[str], int]:
    """(candidates, deferred, skipped_known) of the S3 inbox against the ledger ``index``; downloads nothing."""
    candidates, deferred, skipped = [], [], 0
    settle_ns = int(settings.settle_seconds * 1e9)
    now = time.time_ns()
    for obj in list_inbox(settings):
        key = (obj.uri, obj.size, obj.mtime_ns)
        if index.status_of(*key) is not None and key not in index.transient:
            skipped += 1
        elif settle_ns and now - obj.mtime_ns < settle_ns:
            deferred.append(obj.uri)
        else:
            candidates.append(obj.uri)
    return sorted(candidates), sorted(deferred), skipped


# ---------------------------------------------------------------- fetching


def cache_root(settings: Settings) -> Path:
    """DATA_DIR/s3-inbox: one folder per batch being extracted."""
    return settings.inbox


def clear_cache(settings: Settings) -> None:
    """Delete what a killed run left in the cache (call under the data-dir lock, before extracting)."""
    shutil.rmtree(cache_root(settings), ignore_errors=True)


def _folder_listing(fs, folder: str) -> dict[str, tuple[int, int]]:
    """name -> (size, mtime) of the objects directly in ``bucket/folder`` (one ListObjectsV2 pass)."""
    import pyarrow.fs as pafs

    infos = fs.get_file_info(pafs.FileSelector(folder, recursive=False, allow_not_found=True))
    return {info.base_name: (int(info.size or 0), _whole_seconds(info.mtime_ns))
            for info in infos if info.type == pafs.FileType.File}


def _sidecar_names(article: str, names: dict[str, tuple[int, int]]) -> list[str]:
    """The names of the folder that are the article's sidecar in some spelling of ``.meta.json`` (the reader
    picks among them as it does in a folder)."""
    stem = os.path.splitext(article)[0]
    want = stem + SIDECAR_SUFFIX
    return [n for n in names if len(n) == len(want) and n.startswith(stem) and n.lower().endswith(SIDECAR_SUFFIX)]


def _download(fs, path: str, target: Path, limit: int, listed_mtime: int) -> tuple[int, int]:
    """Stream ``bucket/key`` to ``target`` (written beside it, then renamed) with the object's last-modified time
    as mtime; an object over ``limit`` bytes becomes a sparse file of its size, never downloaded. Returns
    (size, mtime) as the object's HEAD reported them (the time from the listing if the header is unreadable)."""
    tmp = target.with_name(f".{target.name}.part")
    with fs.open_input_stream(path) as stream:
        meta = {k.lower(): v for k, v in (stream.metadata() or {}).items()}
        size = int(meta.get("content-length", b"0") or 0)
        mtime = _last_modified(meta.get("last-modified")) or listed_mtime
        with open(tmp, "wb") as out:
            if size > limit:  # the reader decides too_large from stat(): the bytes are not needed
                out.truncate(size)
            else:
                written = 0
                while chunk := stream.read(_CHUNK):
                    written += len(chunk)
                    out.write(chunk)
                    if written > limit:  # replaced by a larger object since the HEAD: stop, it is too large
                        break
    os.utime(tmp, ns=(mtime, mtime))
    os.replace(tmp, target)
    return size, mtime


def _last_modified(raw: bytes | None) -> int:
    if not raw:
        return 0
    text = raw.decode("ascii", "replace").strip()
    with contextlib.suppress(ValueError):
        return _whole_seconds(int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) * _SECOND)
    import email.utils

    with contextlib.suppress(TypeError, ValueError):
        return _whole_seconds(int(email.utils.parsedate_to_datetime(text).timestamp()) * _SECOND)
    return 0


@contextlib.contextmanager
def fetched(settings: Settings, uris: list[str], batch_id: str) -> Iterator[list[Fetched]]:
    """Download a batch's objects (and their sidecars) into the cache; the batch's folder is deleted on exit.

    One ``Fetched`` per URI, in order. Raises ``InboxUnreachable`` when S3 fails for another reason than the
    object being gone or its read denied (the run stops; nothing of the batch is recorded, a later run retries).
    """
    root = cache_root(settings) / batch_id
    try:
        yield _fetch_all(settings, uris, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _fetch_all(settings: Settings, uris: list[str], root: Path) -> list[Fetched]:
    fs = filesystem()
    folders: dict[str, dict[str, tuple[int, int]]] = {}
    for uri in uris:
        folder = os.path.dirname(uri[len("s3://"):])
        if folder not in folders:
            try:
                folders[folder] = _folder_listing(fs, folder)
            except OSError as exc:
                if _stops_the_run(exc):
                    raise _unreachable(settings, exc) from None
                folders[folder] = {}  # an odd key whose folder cannot be listed: no sidecar, size from its HEAD
    limit = max(settings.max_bytes, settings.quarantine_copy_max_bytes if settings.quarantine_copy else 0)

    def one(item: tuple[int, str]) -> Fetched:
        n, uri = item
        path = uri[len("s3://"):]
        folder, name = os.path.split(path)
        listing = folders[folder]
        size, mtime = listing.get(name, (0, 0))
        if not name or name.startswith(".") or len(name.encode("utf-8")) > _NAME_MAX:
            return Fetched(uri, None, size, mtime, f"bad_name: the object name {name[:80]!r} cannot be a file name "
                                                   f"(empty, hidden or longer than {_NAME_MAX} bytes); rename it")
        here = root / str(n)
        here.mkdir(parents=True, exist_ok=True)
        try:
            size, mtime = _download(fs, path, here / name, limit, mtime)
        except FileNotFoundError:  # deleted since it was listed: recorded as a vanished file is
            return Fetched(uri, None, 0, 0, "unreadable: the object was deleted from S3 after it was listed")
        except OSError as exc:
            if _stops_the_run(exc):
                raise _unreachable(settings, exc) from None
            if _denied(exc):  # tried again on a later run (lake.TRANSIENT_REASONS)
                return Fetched(uri, None, size, mtime, f"unreadable: Permission denied (S3: {_why(exc)})")
            return Fetched(uri, None, size, mtime, f"unreadable: S3 could not read the object ({_why(exc)})")
        for sidecar in _sidecar_names(name, listing):
            try:
                _download(fs, f"{folder}/{sidecar}", here / sidecar, SIDECAR_MAX_BYTES, 0)
            except OSError as exc:
                if _stops_the_run(exc):  # the metadata must not be lost for good to a network failure
                    raise _unreachable(settings, exc) from None
                # gone or unreadable: the article is read without it, as beside an unreadable file
        return Fetched(uri, str(here / name), size, mtime)

    root.mkdir(parents=True, exist_ok=True)
    if len(uris) <= 1:
        return [one(item) for item in enumerate(uris)]
    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(uris))) as pool:
        return list(pool.map(one, enumerate(uris)))
