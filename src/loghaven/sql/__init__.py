"""SQL and PPL over the node's indices (OpenSearch's SQL plugin).

A statement is parsed with sqlglot (:mod:`.dialect`), planned onto a search-service request
(:mod:`.pushdown` for WHERE, :mod:`.plan` for the rest), run as the caller through the
search service, and what cannot be pushed down runs over the pushed-down rows in DuckDB.
PPL (:mod:`.ppl`) compiles onto the same plan. ``api/sql.py`` only parses and renders.
"""
