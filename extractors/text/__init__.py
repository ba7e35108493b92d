"""Arabic text analysis: normalisation and folding, tokens, phrase matching, segmentation, lexicon loading.

The bottom layer. Imports only the package root (``extractors.values``, ``extractors.schemas``) and third-party
libraries; never ``mentions``, ``facts``, ``ingest`` or ``app`` (import-linter contract in ``pyproject.toml``).
"""
