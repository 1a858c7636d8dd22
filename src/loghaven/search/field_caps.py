"""``_field_caps``: the type, searchability and aggregatability of fields across indices.

Built from the mappings alone, merged the way ES merges per-index capabilities: one entry per
type a field has; the ``indices`` list only where the type differs between indices, and
``non_searchable_indices`` / ``non_aggregatable_indices`` where the capability does. Fields
that field-level security hides from the caller are not listed (OpenSearch's field filter).
"""

from __future__ import annotations

import fnmatch
from typing import Any

from loghaven.engine.index import Index
from loghaven.engine.mapping import FieldInfo
from loghaven.engine.runtime import RuntimeField
from loghaven.search.field_security import FieldSecurity
from loghaven.search.restrictions import UNRESTRICTED, Restrictions

#: Metadata fields as ES lists them for ``fields=*``: (type, searchable, aggregatable).
_METADATA = {
    "_id": ("_id", True, False),
    "_index": ("_index", True, True),
    "_source": ("_source", False, False),
    "_seq_no": ("_seq_no", True, True),
    "_version": ("_version", False, False),
}


def field_caps(indices: list[Index], patterns: list[str], *, include_unmapped: bool = False,
               restrictions: Restrictions = UNRESTRICTED,
               runtime: dict[str, RuntimeField] | None = None) -> dict[str, Any]:
    """The ES ``_field_caps`` response body for ``patterns`` over ``indices``; ``runtime``
    are the request's ``runtime_mappings``, fields of every index (over their mappings')."""
    per_index: dict[str, dict[str, tuple[str, bool, bool]]] = {}
    for index in indices:
        restriction = restrictions.get(index.name) if restrictions else None
        per_index[index.name] = _capabilities(
            index, restriction.fields if restriction is not None else None, runtime or {})
    names = sorted({name for caps in per_index.values() for name in caps
                    if any(fnmatch.fnmatchcase(name, p) for p in patterns)})
    fields: dict[str, Any] = {}
    for name in names:
        by_type: dict[str, list[tuple[str, bool, bool]]] = {}
        for index_name, caps in per_index.items():
            if name in caps:
                kind, searchable, aggregatable = caps[name]
                by_type.setdefault(kind, []).append((index_name, searchable, aggregatable))
            elif include_unmapped:
                by_type.setdefault("unmapped", []).append((index_name, False, False))
        several = len(by_type) > 1
        fields[name] = {kind: _merge(kind, members, several)
                        for kind, members in by_type.items()}
    return {"indices": [index.name for index in indices], "fields": fields}


def _capabilities(index: Index, fls: FieldSecurity | None,
                  requested: dict[str, RuntimeField]) -> dict[str, tuple[str, bool, bool]]:
    caps = dict(_METADATA)
    for path, info in index.mapping.fields.items():
        if fls is None or fls.visible(path):
            caps[path] = (info.type, info.indexed and info.kind != "binary",
                          _aggregatable(info))
    # shadow mapped fields, as in ES; a request's over the mapping's
    for path, runtime in {**index.mapping.runtime, **requested}.items():
        if fls is None or fls.visible(path):
            caps[path] = (runtime.type, True, True)
    for path in index.mapping.objects:
        if fls is None or any(name.startswith(path + ".") for name in caps):
            caps.setdefault(path, ("nested" if path in index.mapping.nested else "object",
                                   False, False))
    return caps


def _aggregatable(info: FieldInfo) -> bool:
    """ES: a text field is aggregatable only with ``fielddata: true``, others unless mapped
    with ``doc_values: false``."""
    return info.fielddata or (info.kind not in ("text", "binary") and info.doc_values)


def _merge(kind: str, members: list[tuple[str, bool, bool]], several: bool) -> dict[str, Any]:
    searchable = [name for name, s, _ in members if s]
    aggregatable = [name for name, _, a in members if a]
    entry: dict[str, Any] = {"type": kind, "searchable": bool(searchable),
                             "aggregatable": bool(aggregatable)}
    if several:
        entry["indices"] = [name for name, _, _ in members]
    if searchable and len(searchable) < len(members):
        entry["non_searchable_indices"] = [n for n, s, _ in members if not s]
    if aggregatable and len(aggregatable) < len(members):
        entry["non_aggregatable_indices"] = [n for n, _, a in members if not a]
    return entry
