"""Moving data: reading and decoding inbox files, the Parquet lake and its ledger, the runner (discover,
extract in worker processes, commit), the data-dir lock, settings, the dbt warehouse build, run summaries.

May import ``extractors.facts`` and everything below it; never ``extractors.app``.
"""
