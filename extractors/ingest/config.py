"""Run settings: where the inbox and the data directory are, and how hard to work.

The CLI and the Airflow DAGs build one ``Settings`` (usually with ``Settings.from_env``) and pass it to
every ``extractors.ingest.runner`` function, so both drive the pipeline with the same knobs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

ENV_PREFIX = "MIRSAD_"


def flag(raw: str) -> bool:
    """An on/off environment value: 1/true/yes/on or 0/false/no/off (any case)."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


# env var -> (Settings field, parser)
_ENV_FIELDS: dict[str, tuple[str, object]] = {
    "MIRSAD_MAX_BYTES": ("max_bytes", int),
    "MIRSAD_SETTLE_SECONDS": ("settle_seconds", float),
    "MIRSAD_BATCH_SIZE": ("batch_size", int),
    "MIRSAD_WORKERS": ("workers", int),
    "MIRSAD_LOCK_TIMEOUT": ("lock_timeout", float),
    "MIRSAD_EXTRACT_TIMEOUT": ("extract_timeout", float),
    "MIRSAD_QUARANTINE_COPY_MAX_BYTES": ("quarantine_copy_max_bytes", int),
    "MIRSAD_FOLLOW_OUTSIDE_LINKS": ("follow_outside_links", flag),
    # DuckLake (extractors/ingest/catalog.py): the catalog (a file path or postgres:<libpq key/values>) and where
    # its Parquet files go (a folder or s3://bucket/prefix). No catalog: the Parquet folder lake + DuckDB file.
    "MIRSAD_CATALOG": ("catalog", str),
    "MIRSAD_LAKE_URI": ("lake_uri", str),
}
# Settings in seconds: a finite number >= 0 (nan would wait forever, inf never give up).
_SECONDS_FIELDS = ("settle_seconds", "lock_timeout", "extract_timeout")


class ConfigError(ValueError):
    """A setting has a value the pipeline cannot work with."""


S3_INBOX_CACHE = "s3-inbox"  # DATA_DIR/<this>: objects of an S3 inbox being read (extractors/ingest/s3inbox.py)


def s3_uri(value: object) -> str | None:
    """``s3://bucket/prefix`` when ``value`` names an S3 inbox, else None. A ``Path`` made from such a string
    (``s3:/bucket/prefix``: the double slash collapsed) is recognised too."""
    text = os.fspath(value) if isinstance(value, (str, os.PathLike)) else ""
    if text.startswith("s3://"):
        return text
    if isinstance(value, Path) and text.startswith("s3:/"):
        return "s3://" + text[len("s3:/"):]
    return None


@dataclass(frozen=True)
class Settings:
    # a folder; for an S3 inbox (``inbox="s3://bucket/prefix"``) ``inbox_uri`` holds the URI and ``inbox`` is
    # the local folder its objects pass through while a batch reads them (DATA_DIR/s3-inbox)
    inbox: Path
    data_dir: Path
    max_bytes: int = 5_000_000
    settle_seconds: float = 2.0
    batch_size: int = 500
    workers: int = os.cpu_count() or 1
    lock_timeout: float = 30.0
    quarantine_copy: bool = True
    # CPU seconds one article may take to read and extract; then it is quarantined as extract_timeout and the
    # run goes on (0 = no limit). Real articles take milliseconds.
    extract_timeout: float = 5.0
    # the largest file copied to DATA_DIR/quarantine (bigger ones are recorded in the ledger, not copied)
    quarantine_copy_max_bytes: int = 5_000_000
    # follow symbolic links whose target lies outside the inbox (off: such links are recorded, not read)
    follow_outside_links: bool = False
    catalog: str | None = None
    lake_uri: str | None = None
    inbox_uri: str | None = None  # s3://bucket/prefix: the inbox is an S3 prefix (set from ``inbox``)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).absolute())
        uri = self.inbox_uri or s3_uri(self.inbox)
        if uri is not None:
            bucket = uri[len("s3://"):].split("/", 1)[0]
            if not uri.startswith("s3://") or not bucket:
                raise ConfigError(f"the S3 inbox {uri!r} names no bucket: use s3://bucket or s3://bucket/prefix")
            object.__setattr__(self, "inbox_uri", uri)
            object.__setattr__(self, "inbox", self.data_dir / S3_INBOX_CACHE)
        object.__setattr__(self, "inbox", Path(self.inbox).absolute())
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")
        if self.max_bytes < 1:
            raise ConfigError(f"max_bytes must be >= 1, got {self.max_bytes}")
        for name in _SECONDS_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite number of seconds >= 0, got {value!r}")


    def check_layout(self) -> None:
        """Refuse a data dir inside the inbox (the pipeline would ingest its own lake and quarantine); for an S3
        inbox, a DuckLake data path inside the inbox prefix."""
        if self.inbox_uri:
            inbox, lake = self.inbox_uri.rstrip("/") + "/", (self.lake_uri or "").rstrip("/") + "/"
            if self.uses_catalog and lake.startswith(inbox):
                raise ConfigError(f"the lake {self.lake_uri} is inside the S3 inbox {self.inbox_uri}: choose a "
                                  "MIRSAD_LAKE_URI outside the inbox (the pipeline would ingest its own Parquet files)")
            return
        data, inbox = self.data_dir.resolve(), self.inbox.resolve()
        if data == inbox or inbox in data.parents:
            raise ConfigError(f"the data dir {self.data_dir} is inside the inbox {self.inbox}: choose a data dir "
                              "outside the inbox (the pipeline would ingest its own lake and quarantine)")

    @property
    def inbox_name(self) -> str:
        """The inbox as the user named it: the folder, or the S3 URI."""
        return self.inbox_uri or str(self.inbox)

    @property
    def uses_catalog(self) -> bool:
        """The lake and warehouse live in a DuckLake catalog (``MIRSAD_CATALOG`` set), not in DATA_DIR's files."""
        return bool(self.catalog)

    @property
    def lake_dir(self) -> Path:
        """The Parquet lake; with a DuckLake catalog, only this machine's staged batches (``_staging``)."""
        return self.data_dir / "lake"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "docs"

    @property
    def dbt_work_dir(self) -> Path:
        """dbt's target/ and logs/ between builds: kept so dbt parses only what changed (partial parsing)."""
        return self.data_dir / "dbt"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @classmethod
    def from_env(cls, inbox: str | Path | None = None, data_dir: str | Path | None = None, **overrides) -> Settings:
        """Settings from arguments, then MIRSAD_* environment variables, then defaults.

        ``inbox``/``data_dir`` default to $MIRSAD_INBOX / $MIRSAD_DATA_DIR, then ./inbox and ./data; an inbox of
        the form ``s3://bucket/prefix`` is an S3 prefix (``inbox_uri``).
        ``overrides`` whose value is None are ignored, so CLI options can be passed through as they are.
        """
        values: dict[str, object] = {}
        for var, (name, parse) in _ENV_FIELDS.items():
            raw = os.environ.get(var)
            if raw not in (None, ""):
                try:
                    values[name] = parse(raw)
                except ValueError as exc:
                    raise ConfigError(f"{var}={raw!r} is not a valid {parse.__name__}") from exc
                if name in _SECONDS_FIELDS and not (math.isfinite(values[name]) and values[name] >= 0):
                    raise ConfigError(f"{var}={raw!r} must be a finite number of seconds >= 0")
        known = {f.name for f in fields(cls)}
        for name, value in overrides.items():
            if name not in known:
                raise TypeError(f"unknown setting {name!r}")
            if value is not None:
                values[name] = value
        inbox = inbox or os.environ.get("MIRSAD_INBOX") or "inbox"
        return cls(
            inbox=s3_uri(inbox) or Path(inbox),
            data_dir=Path(data_dir or os.environ.get("MIRSAD_DATA_DIR") or "data"),
            **values,
        )

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)
