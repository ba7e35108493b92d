"""One run at a time per data directory: an ``fcntl.flock`` on ``DATA_DIR/.mirsad.lock``.

The kernel drops the lock when the holder dies (even on SIGKILL), so a crashed run never blocks the next.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".mirsad.lock"
_POLL_SECONDS = 0.1


class LockBusy(RuntimeError):
    """Another process holds the data directory's lock."""


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    pid, _, since = text.partition(" ")
    return f" (pid {pid}, since {since})" if pid else ""


@contextmanager
def data_dir_lock(data_dir: Path, timeout: float = 30.0) -> Iterator[Path]:
    """Hold the exclusive lock of ``data_dir`` for the block; wait up to ``timeout`` s, then raise LockBusy."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(f"another mirsad run holds {path}{_holder(fd)}; try again later") from None
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()} {datetime.now(UTC).isoformat(timespec='seconds')}\n".encode())
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
