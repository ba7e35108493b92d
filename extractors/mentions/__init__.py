"""Mentions found in a sentence: actors and the gazetteer, persons and roles, items, quantities, dates,
the publication date, optional NER.

May import ``extractors.text`` and the package root; never ``facts``, ``ingest`` or ``app``.
"""
