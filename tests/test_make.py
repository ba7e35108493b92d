"""`make venv` builds the virtualenv with the best Python 3.11 build on the machine (scripts/pick_python.sh)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PICK = ROOT / "scripts" / "pick_python.sh"


def _pick(path: str) -> str:
    env = {**os.environ, "PATH": path}
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.run([bash, str(PICK)], env=env, capture_output=True, text=True, check=True).stdout.strip()


def _links_libpython(exe: str) -> bool:
    out = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    return "libpython" in out


def _fake_python(folder: Path, real: str, name: str = "python3.11") -> Path:
    """A python3.11 on PATH that is a wrapper around ``real`` (what pyenv's shims look like)."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / name
    shim.write_text(f'#!/bin/sh\nexec "{real}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return shim


@pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd is needed to tell shared-libpython builds apart")
def test_picks_a_python_311_without_shared_libpython_when_there_is_one(tmp_path: Path) -> None:
    picked = _pick(os.environ["PATH"])
    version = subprocess.run([picked, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert version == "(3, 11)"
    on_path = subprocess.run(["bash", "-c", "type -ap python3.11"], capture_output=True, text=True).stdout.split()
    exes = [subprocess.run([p, "-c", "import sys; print(sys.executable)"], capture_output=True,
                           text=True).stdout.strip() for p in on_path]  # shims resolved to what they run
    static = [exe for exe in exes if exe and not _links_libpython(exe)]
    if static:
        assert not _links_libpython(picked)
    # a shim earlier on PATH that resolves to the same interpreter does not change the choice
    shim_dir = tmp_path / "shims"
    _fake_python(shim_dir, picked)
    assert _pick(f"{shim_dir}:{os.environ['PATH']}") == picked


def test_falls_back_to_the_first_python_311_on_path(tmp_path: Path) -> None:
    """With no way to tell builds apart (here: no ldd on PATH), the first python3.11 on PATH is used."""
    bin_dir = tmp_path / "bin"
    real = subprocess.run(["python3.11", "-c", "import sys; print(sys.executable)"], capture_output=True,
                          text=True).stdout.strip() if shutil.which("python3.11") else ""
    if not real:
        pytest.skip("no python3.11 on PATH")
    _fake_python(bin_dir, real)
    assert _pick(str(bin_dir)) == real
    assert _pick(str(tmp_path / "empty")) == "python3.11"  # nothing found: make's error will name it


def test_makefile_builds_the_venv_with_the_picked_interpreter() -> None:
    dry = subprocess.run(["make", "-n", "venv", "VENV=/nonexistent/venv"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert f"{_pick(os.environ['PATH'])} -m venv /nonexistent/venv" in dry
    dry = subprocess.run(["make", "-n", "venv", "VENV=/nonexistent/venv", "PYTHON=/opt/py/bin/python3.11"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "/opt/py/bin/python3.11 -m venv /nonexistent/venv" in dry
