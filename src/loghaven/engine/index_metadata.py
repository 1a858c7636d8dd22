"""Changes to existing indices' metadata: put mapping, update settings, open and close.

Each operation applies to a list of indices (what an index expression resolved to), checks
every index before changing any, and stores each changed record through the catalog
(metastore and sidecar). The HTTP API and, later, lifecycle policies and snapshots call these.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Protocol

from loghaven.engine.catalog import Catalog
from loghaven.engine.index import Index
from loghaven.engine.mapping import Mapping
from loghaven.engine.settings import PRIVATE, STATIC_PREFIXES
from loghaven.errors import IllegalArgument


def put_mapping(catalog: Catalog, indices: list[Index], body: dict[str, Any]) -> None:
    """Merge ``body`` into each index's mapping; all are merged (and checked) before any is
    installed, so that one refused merge changes nothing."""
    merged = [(index, index.merged_mapping(body)) for index in indices]
    for index, mapping in merged:
        index.set_mapping(mapping)
        catalog.save_meta(index)


def update_settings(catalog: Catalog, indices: list[Index], changes: dict[str, Any], *,
                    guarded: bool = True) -> None:
    """Apply flat setting ``changes`` (an empty value resets) to each index; one fixed at
    creation (``index.uuid``, ``index.number_of_shards``...) is refused, as ES does, and so
    is one the catalog's guards refuse for any of the indices (unless not ``guarded``: the
    warm migrations' own changes of the write block)."""
    for key in changes:
        if key in PRIVATE:
            where = f"[{indices[0].name}]" if indices else "index"
            raise IllegalArgument(f"final {where} setting [{key}], not updateable")
    static = [key for key in changes if key.startswith(STATIC_PREFIXES)]
    open_indices = [index for index in indices if index.state == "open"]
    if static and open_indices:
        shown = ", ".join(f"[{index.name}/{index.uuid}]" for index in open_indices)
        raise IllegalArgument(f"Can't update non dynamic settings [[{', '.join(static)}]] for "
                              f"open indices [{shown}]")
    updated = [(index, index.settings.updated(changes)) for index in indices]
    # a closed index's new analysis must still give every mapped field its analyzers; the
    # mapping over it is installed now and the index opens with it
    remapped = {index.name: index.mapping.with_analysis(settings.analysis)
                for index, settings in updated if static}
    if guarded:
        for index, settings in updated:
            catalog.check_index_settings(index, settings)
    for index, settings in updated:
        index.settings = settings
        if index.name in remapped:
            index.set_mapping(remapped[index.name])
        if index.wal is not None:
            index.wal.durability = settings.durability
        catalog.save_meta(index)


def set_closed(catalog: Catalog, indices: list[Index], closed: bool) -> None:
    """Close (commit and release every split) or reopen each index, and store its state."""
    for index in indices:
        index.set_closed(closed)
        catalog.save_meta(index)


class FieldFilter(Protocol):
    """Which field paths a caller may see (search/field_security.py's field-level security)."""

    def visible(self, path: str) -> bool: ...


def field_mappings(index: Index, wanted: list[str],
                   shown: FieldFilter | None = None) -> dict[str, Any]:
    """``GET _mapping/field``: each field whose path matches one of ``wanted`` (wildcards
    allowed), with the mapping that declares it; only those ``shown`` lets through (the
    acting subject's field-level security)."""
    mapping = index.mapping
    result = {}
    for path, info in mapping.fields.items():
        if any(fnmatch.fnmatchcase(path, w) for w in wanted) \
                and (shown is None or shown.visible(path)):
            leaf = path.rsplit(".", 1)[-1]
            spec = _spec_at(mapping, path)
            result[path] = {"full_name": path, "mapping": {leaf: spec or {"type": info.type}}}
    return result


def _spec_at(mapping: Mapping, path: str) -> dict[str, Any] | None:
    node: Any = {"properties": mapping.body["properties"]}
    parts = path.split(".")
    for position, part in enumerate(parts):
        if "properties" in node and part in node["properties"]:
            node = node["properties"][part]
        elif "fields" in node and part in node["fields"] and position == len(parts) - 1:
            node = node["fields"][part]
        else:
            return None
    return node
