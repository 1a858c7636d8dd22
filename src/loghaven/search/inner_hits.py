"""``inner_hits`` of ``nested`` clauses: per hit, the nested objects that matched.

Found once per request by walking the query (:func:`nested_inner_hits`), and fetched per
hit on the hit's split (:func:`fetch`): the clause's query over the nested documents of its
path, narrowed to the hit's ``_id``, sorted and paged in Python (a document has few nested
objects). Each inner hit shows the object's place (``_nested``: field and offset, one level
per nested object on the path) and its ``_source``, cut out of the parent's ``_source`` as
ES does: nested documents keep no source of their own.

The per-hit options are those of top-level hits, through the same code (:mod:`.hit_parts`,
:mod:`.highlight`): ``fields`` / ``docvalue_fields`` and ``highlight`` name the object's
fields in full (``comments.text``), the highlighter reading the object wrapped back in its
path as ES does; ``explain`` explains the object's score; ``version`` is the parent's (ES
gives nested documents the root's). ``seq_no_primary_term`` is accepted and shows nothing,
as in ES, whose nested documents have no primary term.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
import tantivy

from loghaven.engine.mapping import Mapping
from loghaven.engine.runtime import source_value
from loghaven.engine.schema import ID, NESTED_AT, NESTED_PATH, SOURCE, VERSION
from loghaven.engine.split import top_level
from loghaven.errors import IllegalArgument, ParsingError
from loghaven.params import parse_bool
from loghaven.search.context import SplitContext
from loghaven.search.highlight import Highlighter
from loghaven.search.hit_parts import explanation, flatten, object_fields
from loghaven.search.query import all_of, as_filter, nested_objects_query
from loghaven.search.request import FieldSpec, field_specs
from loghaven.search.source_filter import SourceFilter

#: ES's ``index.max_inner_result_window`` default.
MAX_INNER_RESULT_WINDOW = 100
_OPTIONS = {"name", "from", "size", "sort", "_source", "ignore_unmapped", "highlight",
            "explain", "fields", "docvalue_fields", "version", "seq_no_primary_term"}


@dataclass(frozen=True)
class NestedInnerHits:
    """One ``nested`` clause's ``inner_hits``: its path, query and options."""

    name: str
    path: str
    query: dict[str, Any]
    start: int
    size: int
    sort: list[tuple[str, bool]]
    source: SourceFilter
    #: The ``inner_hits`` of ``nested`` clauses in this clause's query (deeper objects),
    #: shown inside each of this clause's inner hits.
    children: tuple[NestedInnerHits, ...] = ()
    highlighter: Highlighter | None = None
    explain: bool = False
    fields: tuple[FieldSpec, ...] = ()
    docvalue_fields: tuple[FieldSpec, ...] = ()
    version: bool = False


def nested_inner_hits(query: Any) -> list[NestedInnerHits]:
    """The ``inner_hits`` of the request's ``nested`` clauses, in query order, those of a
    clause inside another's query as that one's children; ParsingError for bad options."""
    found: list[NestedInnerHits] = []
    _walk(query, found)
    names = [spec.name for spec in found]
    for name in names:
        if names.count(name) > 1:
            raise IllegalArgument(f"[inner_hits] already contains an entry for key [{name}]")
    return found


def _walk(clause: Any, found: list[NestedInnerHits]) -> None:
    if not isinstance(clause, dict):
        return
    for name, body in clause.items():
        if not isinstance(body, dict):
            continue
        if name == "nested":
            spec = body.get("inner_hits")
            if isinstance(spec, dict) and isinstance(body.get("path"), str):
                children: list[NestedInnerHits] = []
                _walk(body.get("query"), children)
                parsed = _parse(body["path"], body.get("query") or {}, spec)
                found.append(dataclasses.replace(parsed, children=tuple(children)))
            continue
        for key in ("must", "filter", "should", "queries", "positive", "negative"):
            value = body.get(key)
            for item in value if isinstance(value, list) else [value]:
                _walk(item, found)
        if name == "constant_score":
            _walk(body.get("filter"), found)


def _parse(path: str, query: dict[str, Any], spec: dict[str, Any]) -> NestedInnerHits:
    unknown = sorted(set(spec) - _OPTIONS)
    if unknown:
        raise ParsingError(f"[inner_hits] option [{unknown[0]}] is not supported by Loghaven "
                           f"(supported: {', '.join(sorted(_OPTIONS))})")
    try:
        start, size = int(spec.get("from", 0)), int(spec.get("size", 3))
    except (TypeError, ValueError) as exc:
        raise ParsingError(f"[inner_hits] failed to parse [from]/[size]: {exc}") from exc
    if start < 0 or size < 0:
        raise IllegalArgument("[inner_hits] [from] and [size] must be positive")
    name = str(spec.get("name", path))
    if start + size > MAX_INNER_RESULT_WINDOW:
        raise IllegalArgument(
            f"Inner result window is too large, the inner hit definition's [{name}]'s from + "
            f"size must be less than or equal to: [{MAX_INNER_RESULT_WINDOW}] but was "
            f"[{start + size}]. This limit can be set by changing the "
            f"[index.max_inner_result_window] index level setting.")
    highlight = spec.get("highlight")
    if highlight is not None and not isinstance(highlight, dict):
        raise ParsingError("[inner_hits] [highlight] must be an object")
    parse_bool(spec.get("seq_no_primary_term", False), "seq_no_primary_term")
    return NestedInnerHits(
        name, path, query, start, size, _sort(spec.get("sort")),
        SourceFilter.from_spec(_relative_source(spec.get("_source"), path)),
        highlighter=Highlighter(highlight, query) if highlight is not None else None,
        explain=parse_bool(spec.get("explain", False), "explain"),
        fields=tuple(field_specs(spec.get("fields"), "fields")),
        docvalue_fields=tuple(field_specs(spec.get("docvalue_fields"), "docvalue_fields")),
        version=parse_bool(spec.get("version", False), "version"))


def _sort(spec: Any) -> list[tuple[str, bool]]:
    """``sort`` as (field, descending) pairs: names, ``{field: order}``, ``{field: {order}}``."""
    keys: list[tuple[str, bool]] = []
    for item in spec if isinstance(spec, list) else ([] if spec is None else [spec]):
        if isinstance(item, str):
            keys.append((item, item == "_score"))
        elif isinstance(item, dict) and len(item) == 1:
            (field, order), = item.items()
            if isinstance(order, dict):
                order = order.get("order", "desc" if field == "_score" else "asc")
            if order not in ("asc", "desc"):
                raise ParsingError(f"[inner_hits] unknown sort order [{order}]")
            keys.append((field, order == "desc"))
        else:
            raise ParsingError("[inner_hits] malformed [sort]")
    return keys


def _relative_source(spec: Any, path: str) -> Any:
    """Source patterns may name the object's fields in full (``comments.author``) or not."""
    def strip(pattern: Any) -> Any:
        return pattern.removeprefix(path + ".") if isinstance(pattern, str) else pattern

    if isinstance(spec, str):
        return strip(spec)
    if isinstance(spec, list):
        return [strip(p) for p in spec]
    if isinstance(spec, dict):
        return {k: [strip(p) for p in v] if isinstance(v, list) else strip(v)
                for k, v in spec.items()}
    return spec


def fetch(ctx: SplitContext, doc_id: str, specs: list[NestedInnerHits], now_ms: int,
          total_as_int: bool) -> dict[str, Any]:
    """The ``inner_hits`` object of the hit ``doc_id`` on ``ctx``'s split."""
    return _fetch_level(_Fetch(ctx, doc_id, _parent(ctx, doc_id), now_ms, total_as_int),
                        specs, None)


def _parent(ctx: SplitContext, doc_id: str) -> tantivy.DocAddress | None:
    """The root document ``doc_id`` (not one of its nested objects, which share its id)."""
    found = ctx.searcher.search(top_level(ctx.split, tantivy.Query.term_query(
        ctx.schema, ID, doc_id)), 1).hits
    return found[0][1] if found else None


def _parent_source(ctx: SplitContext, address: tantivy.DocAddress | None) -> dict[str, Any]:
    """The root document's ``_source`` as the search may show it; empty if it is gone."""
    return orjson.loads(ctx.source(ctx.searcher.doc(address).get_first(SOURCE))) \
        if address is not None else {}


@dataclass(frozen=True)
class _Fetch:
    """One hit's inner hits being fetched: where, whose, the request's clock; the parent's
    source, version and flattened fields, each read once if asked for."""

    ctx: SplitContext
    doc_id: str
    parent: tantivy.DocAddress | None
    now_ms: int
    total_as_int: bool

    @cached_property
    def source(self) -> dict[str, Any]:
        return _parent_source(self.ctx, self.parent)

    @cached_property
    def version(self) -> int | None:
        return None if self.parent is None else \
            self.ctx.searcher.fast_field_values(VERSION, [self.parent])[0]

    @cached_property
    def flat(self) -> dict[str, Any]:
        return flatten(self.ctx, self.source, self.doc_id)


def _fetch_level(fetch: _Fetch, specs: tuple[NestedInnerHits, ...] | list[NestedInnerHits],
                 within: list[int] | None) -> dict[str, Any]:
    """The ``inner_hits`` of ``specs`` among the hit's objects (those under the object at
    ``within`` for the inner hits of an inner hit)."""
    ctx, searcher = fetch.ctx, fetch.ctx.searcher
    result: dict[str, Any] = {}
    for spec in specs:
        matches: list[_Match] = []
        query = None
        if spec.path in ctx.mapping.nested and ctx.split.has_nested and searcher.num_docs:
            objects = nested_objects_query(spec.path, spec.query, ctx, fetch.now_ms)
            parts = [objects, as_filter(tantivy.Query.term_query(ctx.schema, ID, fetch.doc_id))]
            if within is not None:
                prefix = ".".join(map(str, within))
                parts.append(as_filter(tantivy.Query.regex_query(
                    ctx.schema, NESTED_AT, re.escape(prefix) + r"\..*")))
            query = all_of(parts)
            for score, address in searcher.search(query, limit=searcher.num_docs).hits:
                place = searcher.doc(address).get_first(NESTED_AT)
                matches.append((score, [int(p) for p in str(place).split(".")], address))
        result[spec.name] = {"hits": _render(fetch, spec, matches, query)}
    return result


#: A matching nested object: its score, offsets (one per level) and document.
_Match = tuple[float, list[int], tantivy.DocAddress]


def _render(fetch: _Fetch, spec: NestedInnerHits, matches: list[_Match],
            query: tantivy.Query | None) -> dict[str, Any]:
    ctx, doc_id, source, total_as_int = fetch.ctx, fetch.doc_id, fetch.source, \
        fetch.total_as_int
    levels = nested_levels(ctx.mapping, spec.path)
    objects = [(score, offsets, object_at(source, levels, offsets), address)
               for score, offsets, address in matches]
    by_score = not spec.sort or spec.sort[0][0] == "_score"
    objects.sort(key=lambda o: (-o[0], o[1]))
    for field, descending in reversed(spec.sort):
        if field == "_score":
            objects.sort(key=lambda o: o[0], reverse=descending)
            continue
        relative = field.removeprefix(spec.path + ".")
        present = [o for o in objects if _value(o[2], relative) is not None]
        absent = [o for o in objects if _value(o[2], relative) is None]
        present.sort(key=lambda o: _sortable(_value(o[2], relative)), reverse=descending)
        objects = present + absent
    total = len(objects)
    hits = []
    for score, offsets, obj, address in objects[spec.start:spec.start + spec.size]:
        obj = obj if isinstance(obj, dict) else {}
        hit: dict[str, Any] = {"_index": ctx.index.name, "_id": doc_id,
                               "_nested": nested_marker(levels, offsets)}
        if spec.version and fetch.version is not None:
            hit["_version"] = fetch.version
        hit["_score"] = score if by_score else None
        if spec.source.enabled:
            hit["_source"] = spec.source.apply(obj)
        fields: dict[str, Any] = {}
        for specs, docvalues in ((spec.fields, False), (spec.docvalue_fields, True)):
            if specs:  # (the parent is flattened only if asked)
                fields.update(object_fields(ctx.mapping, fetch.flat, spec.path, offsets, specs,
                                            docvalues=docvalues))
        if fields:
            hit["fields"] = fields
        if spec.highlighter is not None:
            highlight = spec.highlighter.highlight(_wrapped(levels, obj), ctx.mapping)
            if highlight:
                hit["highlight"] = highlight
        if spec.sort:
            hit["sort"] = [score if field == "_score" else
                           _value(obj, field.removeprefix(spec.path + "."))
                           for field, _ in spec.sort]
        if spec.explain and query is not None:
            hit["_explanation"] = explanation(query, ctx.searcher, address)
        if spec.children:
            hit["inner_hits"] = _fetch_level(fetch, spec.children, offsets)
        hits.append(hit)
    max_score = max((o[0] for o in objects), default=None) if by_score else None
    return {"total": total if total_as_int else {"value": total, "relation": "eq"},
            "max_score": max_score, "hits": hits}


def nested_levels(mapping: Mapping, path: str) -> list[str]:
    """The nested objects from the root down to ``path``, each named relative to the one
    above (``["driver", "vehicle"]`` for ``driver.vehicle``)."""
    chain = mapping.nested_chain(path)
    return [p if i == 0 else p.removeprefix(chain[i - 1] + ".") for i, p in enumerate(chain)]


def _wrapped(levels: list[str], obj: dict[str, Any]) -> dict[str, Any]:
    """The object inside its path (``{"comments": {...}}``), as ES gives it to the
    highlighter so that fields are named in full."""
    for field in reversed(levels):
        obj = {field: obj}
    return obj


def nested_marker(levels: list[str], offsets: list[int]) -> dict[str, Any]:
    marker: dict[str, Any] = {}
    inner = marker
    for depth, (field, offset) in enumerate(zip(levels, offsets, strict=False)):
        if depth:
            inner["_nested"] = {}
            inner = inner["_nested"]
        inner.update(field=field, offset=offset)
    return marker


def _sortable(value: Any) -> tuple[int, Any]:
    """A sort key for values of any JSON type: numbers (booleans too) before strings."""
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, value if isinstance(value, str) else str(value))


def _value(obj: Any, path: str) -> Any:
    """The value at a dotted ``path`` of an object (dotted keys too); a list's first value."""
    value = source_value(obj, path)
    return value[0] if isinstance(value, list) and value else value


def nested_object(ctx: SplitContext, stored: tantivy.Document
                  ) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """A nested document's path, ``_nested`` marker and object (cut out of its parent's
    ``_source``); None for a document that is not a nested object's."""
    place, path = stored.get_first(NESTED_AT), stored.get_first(NESTED_PATH)
    if place is None or path is None or path not in ctx.mapping.nested:
        return None
    offsets = [int(p) for p in str(place).split(".")]
    levels = nested_levels(ctx.mapping, path)
    obj = object_at(_parent_source(ctx, _parent(ctx, stored.get_first(ID))), levels, offsets)
    return path, nested_marker(levels, offsets), obj if isinstance(obj, dict) else {}


def object_at(source: Any, levels: list[str], offsets: list[int]) -> Any:
    """The nested object at ``offsets`` in the parent's source, level by level."""
    current = source
    for field, offset in zip(levels, offsets, strict=False):
        value = source_value(current, field)
        items = [v for v in (value if isinstance(value, list) else [value])
                 if isinstance(v, dict)]
        if offset >= len(items):
            return {}
        current = items[offset]
    return current
