"""Mirsad: Arabic news on military cooperation and arms transfers -> Parquet lake -> DuckDB warehouse."""

EXTRACTOR_VERSION = "0.1.0"
