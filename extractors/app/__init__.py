"""What a user runs: the ``mirsad`` command line, the benchmark, the evaluation against gold, rich rendering.

The top layer: may import every other package; nothing in the library imports it (the DAGs call ``ingest``).
"""
