"""Kibana 6's ``export.json``: a JSON array of ``{"_id", "_type", "_source"}``, with index
patterns named inside ``searchSourceJSON`` (``"index": "<id>"``) and panels inside
``panelsJSON`` (``"id"``, ``"type"``) instead of ``references``. Converted to today's objects
before import so one import path serves both.

:func:`extract_references` is the part of OpenSearch Dashboards' 7.0 migrations that moves
those ids into ``references`` (``kibanaSavedObjectMeta.searchSourceJSON.index`` with
``indexRefName``, ``panel_<n>`` with ``panelRefName``, ``search_0`` with
``savedSearchRefName``, a filter's ``meta.index``); the import applies it to every object
(an NDJSON line from an old export may still carry them), so the missing-references check
and the remapping of ``_resolve_import_errors`` see them.
"""

from __future__ import annotations

from typing import Any

import orjson

from loghaven.dashboards.objects import TYPES, SavedObject, SavedObjectError, import_error

SEARCH_SOURCE_INDEX = "kibanaSavedObjectMeta.searchSourceJSON.index"


def looks_like_kibana6(payload: bytes) -> bool:
    """Kibana 6's file is one JSON array; an NDJSON export starts with an object."""
    return payload.lstrip()[:1] == b"["


def from_kibana6(items: list[dict[str, Any]]) -> tuple[list[SavedObject], list[dict[str, Any]]]:
    """The objects converted, and the import errors of the items that could not be
    (``unsupported_type`` for a type the UI does not have)."""
    objects: list[SavedObject] = []
    errors: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("_id"), str) \
                or not isinstance(item.get("_type"), str) \
                or not isinstance(item.get("_source"), dict):
            raise SavedObjectError(400, f"Item {n} of the Kibana 6 export is not an object "
                                   "with [_id], [_type] and [_source]")
        source = dict(item["_source"])
        if item["_type"] not in TYPES:
            errors.append(import_error(item["_type"], item["_id"], source,
                                       {"type": "unsupported_type"}))
            continue
        objects.append(extract_references(SavedObject(
            id=item["_id"], type=item["_type"], attributes=source, references=[])))
    return objects, errors


def extract_references(found: SavedObject) -> SavedObject:
    """``found`` with the ids that Kibana 6 kept inside its attributes moved into
    ``references`` (an object that has none left is returned unchanged)."""
    attributes = dict(found.attributes)
    references = list(found.references)
    meta = attributes.get("kibanaSavedObjectMeta")
    if isinstance(meta, dict) and isinstance(meta.get("searchSourceJSON"), str):
        source = _parsed(meta["searchSourceJSON"])
        if source is not None and _search_source_references(source, references):
            attributes["kibanaSavedObjectMeta"] = {
                **meta, "searchSourceJSON": orjson.dumps(source).decode()}
    if found.type == "visualization" and isinstance(attributes.get("savedSearchId"), str):
        references.append({"name": "search_0", "type": "search",
                           "id": attributes.pop("savedSearchId")})
        attributes["savedSearchRefName"] = "search_0"
    if found.type == "dashboard" and isinstance(attributes.get("panelsJSON"), str):
        panels = _parsed(attributes["panelsJSON"])
        if isinstance(panels, list) and _panel_references(panels, references):
            attributes["panelsJSON"] = orjson.dumps(panels).decode()
    if references == found.references:
        return found
    return SavedObject(id=found.id, type=found.type, attributes=attributes,
                       references=references, version=found.version,
                       updated_at=found.updated_at, migration_version=found.migration_version)


def _parsed(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _search_source_references(source: Any, references: list[dict[str, str]]) -> bool:
    if not isinstance(source, dict):
        return False
    changed = False
    if isinstance(source.get("index"), str):
        references.append({"name": SEARCH_SOURCE_INDEX, "type": "index-pattern",
                           "id": source.pop("index")})
        source["indexRefName"] = SEARCH_SOURCE_INDEX
        changed = True
    for n, one in enumerate(source.get("filter") or []):
        meta = one.get("meta") if isinstance(one, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("index"), str):
            name = f"kibanaSavedObjectMeta.searchSourceJSON.filter[{n}].meta.index"
            references.append({"name": name, "type": "index-pattern", "id": meta.pop("index")})
            meta["indexRefName"] = name
            changed = True
    return changed


def _panel_references(panels: list[Any], references: list[dict[str, str]]) -> bool:
    changed = False
    for n, panel in enumerate(panels):
        if isinstance(panel, dict) and isinstance(panel.get("id"), str) \
                and isinstance(panel.get("type"), str):
            name = f"panel_{n}"
            references.append({"name": name, "type": panel.pop("type"),
                                "id": panel.pop("id")})
            panel["panelRefName"] = name
            changed = True
    return changed
