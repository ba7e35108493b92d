"""Loading lexicon data files shipped in ``extractors/lexicons`` (CSV and YAML)."""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources
from typing import Any

import yaml


def read_text(name: str) -> str:
    return resources.files("extractors.lexicons").joinpath(name).read_text(encoding="utf-8")


@cache
def load_yaml(name: str) -> Any:
    return yaml.safe_load(read_text(name))


@cache
def load_csv(name: str) -> tuple[dict[str, str], ...]:
    """Rows of a CSV lexicon as dicts; lines starting with '#' are comments."""
    lines = [ln for ln in read_text(name).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return tuple(dict(row) for row in csv.DictReader(io.StringIO("\n".join(lines))))
