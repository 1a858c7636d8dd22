"""Parts of a rendered hit that top-level hits and the inner hits of ``nested`` clauses share:
``fields`` / ``docvalue_fields`` typed by the mapping, and ``_explanation``.

Field values come from the document as the index builds it (its ``_source`` flattened by the
mapping, nested objects as children), so a nested object's fields are read the same way as
the root's.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

import orjson
import tantivy

from loghaven.engine import words
from loghaven.engine.dates import get_format
from loghaven.engine.mapping import FieldInfo, Mapping
from loghaven.engine.schema import NESTED_AT, NESTED_PATH
from loghaven.engine.split import NESTED
from loghaven.errors import LoghavenError
from loghaven.search.context import SplitContext
from loghaven.search.request import FieldSpec


def flatten(ctx: SplitContext, source: dict[str, Any], doc_id: str) -> dict[str, Any]:
    """The document as the index builds it, its nested objects in source order; empty if
    the source no longer fits the mapping."""
    try:
        flat, _ = ctx.index.builder.build(source, doc_id)
    except LoghavenError:
        return {}
    children = flat.get(NESTED)
    if children:
        children.sort(key=lambda c: [int(p) for p in c[NESTED_AT].split(".")])
    return flat


def document_fields(mapping: Mapping, flat: dict[str, Any], specs: Sequence[FieldSpec], *,
                    docvalues: bool) -> dict[str, Any]:
    """``fields`` / ``docvalue_fields`` of a root document, its nested objects' grouped."""
    if not specs:
        return {}
    out: dict[str, Any] = _leaf_fields(mapping, flat, specs, docvalues, None)
    out.update(_nested_fields(mapping, flat.get(NESTED) or [], specs, docvalues, None, None))
    return out


def object_fields(mapping: Mapping, flat: dict[str, Any], path: str, offsets: list[int],
                  specs: Sequence[FieldSpec], *, docvalues: bool) -> dict[str, Any]:
    """``fields`` / ``docvalue_fields`` of the nested object of ``path`` at ``offsets``, as a
    nested inner hit shows them: its own fields by full name (``comments.author``); with
    ``fields`` the objects nested in it grouped as a top-level hit groups them, while doc
    values, which in ES live on the object's own document, have only its own fields."""
    place = ".".join(map(str, offsets))
    children = flat.get(NESTED) or []
    child = next((c for c in children if c[NESTED_PATH] == path and c[NESTED_AT] == place), None)
    if not specs or child is None:
        return {}
    out: dict[str, Any] = _leaf_fields(mapping, child, specs, docvalues, path)
    if not docvalues:
        groups = _nested_fields(mapping, children, specs, docvalues, path, place)
        out.update({f"{path}.{name}": objects for name, objects in groups.items()})
    return out


def _leaf_fields(mapping: Mapping, flat: dict[str, Any], specs: Sequence[FieldSpec],
                 docvalues: bool, nested: str | None) -> dict[str, list[Any]]:
    """The requested fields of one document (the root, or a nested object's of ``nested``),
    by full name."""
    out: dict[str, list[Any]] = {}
    for path, info in mapping.fields.items():
        if info.nested != nested:
            continue
        spec = next((s for s in specs if fnmatch.fnmatchcase(path, s.pattern)), None)
        if spec is None or (docvalues and info.kind == "text"):
            continue
        values = _field_values(info, flat, spec.format)
        if values:
            if docvalues:
                values = sorted(set(values)) if info.kind == "keyword" else sorted(values)
            out[path] = values
    return out


def _nested_fields(mapping: Mapping, children: list[dict[str, Any]], specs: Sequence[FieldSpec],
                   docvalues: bool, parent: str | None, place: str | None) -> dict[str, Any]:
    """The requested fields of nested objects, grouped as ES groups them: one object per
    nested object, its fields named relative to it (``{"user": [{"first": ["John"]}]}``)."""
    out: dict[str, Any] = {}
    for path, nested in mapping.nested.items():
        if nested.parent != parent:
            continue
        objects = []
        for child in children:
            if child[NESTED_PATH] != path or (
                    place is not None and not child[NESTED_AT].startswith(place + ".")):
                continue
            found: dict[str, Any] = {
                name[len(path) + 1:]: values
                for name, values in _leaf_fields(mapping, child, specs, docvalues, path).items()}
            found.update(_nested_fields(mapping, children, specs, docvalues, path,
                                        child[NESTED_AT]))
            if found:
                objects.append(found)
        if objects:
            out[path if parent is None else path[len(parent) + 1:]] = objects
    return out


def _field_values(info: FieldInfo, flat: dict[str, Any], fmt: str | None) -> list[Any]:
    if info.kind == "geo_point":
        lat, lon = flat.get(f"{info.path}.lat"), flat.get(f"{info.path}.lon")
        return [] if lat is None else [{"type": "Point", "coordinates": [lon, lat]}]
    value = flat.get(info.path)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if info.kind == "date":
        printer = get_format(fmt or info.date_format)
        return [printer.format(v) for v in values]
    if info.kind == "text":
        if info.analyzer is not None:  # analysed in Python: the values as sent
            return [text for v in values for text in getattr(v, "values", [v])]
        return [words.display_form(v) for v in values]
    return list(values)


def explanation(query: tantivy.Query, searcher: tantivy.Searcher,
                address: tantivy.DocAddress) -> dict[str, Any]:
    """tantivy's explanation in ES's ``{value, description, details}`` shape."""
    return _explained(orjson.loads(query.explain(searcher, address).to_json()))


def _explained(node: dict[str, Any]) -> dict[str, Any]:
    return {"value": node.get("value", 0.0), "description": node.get("description", ""),
            "details": [_explained(d) for d in node.get("details", []) or []]}
