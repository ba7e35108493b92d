#!/usr/bin/env bash
# Print the Python 3.11 interpreter `make venv` builds the virtualenv with.
#
# Machines often carry two builds of 3.11: a distribution one (e.g. Debian's /usr/bin/python3.11, built with
# profile-guided optimisation and libpython linked into the executable) and a pyenv/source one built with
# --enable-shared and no optimisation flags, which runs the extractors ~15% slower (measured: fresh-article
# extraction, interleaved runs on this project's 2-core VM). Prefer, in PATH order, a python3.11 whose
# executable does not load libpython as a shared library and can create a venv; else the first python3.11.
# Override with `make venv PYTHON=/path/to/python3.11`.
set -u

candidates=()
while IFS= read -r p; do
  exe=$("$p" -c 'import sys; print(sys.executable)' 2>/dev/null) || continue
  [ -n "$exe" ] || continue
  case " ${candidates[*]-} " in *" $exe "*) continue ;; esac
  candidates+=("$exe")
done < <(type -ap python3.11)

[ ${#candidates[@]} -gt 0 ] || { echo python3.11; exit 0; }

for exe in "${candidates[@]}"; do
  if command -v ldd >/dev/null 2>&1 && ldd "$exe" 2>/dev/null | grep -q 'libpython'; then
    continue
  fi
  if "$exe" -c "import venv, ensurepip, sqlite3, ssl" >/dev/null 2>&1; then
    echo "$exe"
    exit 0
  fi
done
echo "${candidates[0]}"
