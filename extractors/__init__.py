"""Mirsad: Arabic news on military cooperation and arms transfers -> Parquet lake -> DuckDB warehouse."""

from extractors.compiled import select_modules

EXTRACTOR_VERSION = "0.1.0"
# how the extraction modules run in this process: compiled (mypyc) or pure Python, with the reason
RUNTIME = select_modules()
