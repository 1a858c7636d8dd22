"""Reads of one document by id (GET, HEAD, ``_source``, ``_mget``), as the acting subject
may see it.

Unrestricted, a read is realtime (``Index.get``: the live map, then the committed splits).
Under document-level security it reads the committed splits only, keeping the copy that
matches the DLS query, as OpenSearch's security plugin turns ``realtime`` off for a
restricted subject: a document that does not match is not found. Field-level security and
masking then apply to its ``_source``.
"""

from __future__ import annotations

from dataclasses import replace

from loghaven.engine.catalog import Catalog
from loghaven.engine.documents_state import DocState, find_committed
from loghaven.engine.index import Index
from loghaven.errors import IllegalArgument, IndexNotFound
from loghaven.search.restrictions import Restriction


def single_index(catalog: Catalog, expression: str) -> Index:
    """The one index a single-document read names (an alias must lead to one index)."""
    targets = catalog.resolve(expression)
    if not targets:
        raise IndexNotFound(expression)
    if len(targets) > 1:
        raise IllegalArgument(f"alias [{expression}] has more than one index associated with "
                              f"it, can't execute a single index op")
    return targets[0].index


def read(index: Index, doc_id: str, restriction: Restriction | None) -> DocState | None:
    """The document ``doc_id`` of ``index`` as ``restriction`` shows it; None when absent
    or invisible."""
    if restriction is None:
        return index.get(doc_id)
    if restriction.dls is None:
        state = index.get(doc_id)
    else:
        state = None
        for split in reversed(index.searchable_splits()):
            state = find_committed(split, doc_id,
                                   restriction.documents(split, index.mapping, index.name))
            if state is not None:
                break
    if state is None or state.source is None:
        return state
    return replace(state, source=restriction.source(state.source))
