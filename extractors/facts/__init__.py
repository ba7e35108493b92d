"""Facts built from mentions: the per-sentence context, transfers, statements, events, and ``extract_article``
(``facts.pipeline``), which turns one decoded article into its rows.

May import ``extractors.mentions``, ``extractors.text`` and the package root; never ``ingest`` or ``app``.
"""
