"""The fetch phase: the hits of the page, rendered as ES shows them.

Only the rows that made the page get here: stored ``_id`` and ``_source`` (returned
byte-exact, filtered only when asked or by field-level security), versions from fast fields,
``fields`` / ``docvalue_fields`` and explanations (:mod:`.hit_parts`), highlights, and the sort
values in ES's notation (dates as epoch millis, missing values as Long.MAX/MIN,
``_shard_doc`` for point-in-time paging).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import tantivy

from loghaven.engine.dates import get_format
from loghaven.engine.documents_state import PRIMARY_TERM
from loghaven.engine.schema import ID, SEQ_NO, SOURCE, VERSION
from loghaven.errors import IllegalArgument
from loghaven.search import runtime
from loghaven.search.context import SplitContext
from loghaven.search.highlight import Highlighter
from loghaven.search.hit_parts import document_fields, explanation, flatten
from loghaven.search.inner_hits import NestedInnerHits
from loghaven.search.inner_hits import fetch as fetch_inner_hits
from loghaven.search.leaf import Cursor, LeafKey, Row
from loghaven.search.request import SearchRequest

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)
#: ``_shard_doc``: split position, segment and document packed in one long.
_SEGMENT_BITS, _DOC_BITS = 11, 31


@dataclass
class FetchContext:
    """What rendering the hits of one split needs: its context, sort keys and highlighter."""

    ctx: SplitContext
    keys: list[LeafKey]
    highlighter: Highlighter | None
    hit_query: tantivy.Query
    #: The ``inner_hits`` of the query's ``nested`` clauses, and the request's clock.
    inner_hits: list[NestedInnerHits] = field(default_factory=list)
    now_ms: int = 0


def shard_doc(tiebreak: tuple[int, int, int]) -> int:
    position, segment, doc = tiebreak
    return (position << (_SEGMENT_BITS + _DOC_BITS)) | (segment << _DOC_BITS) | doc


def parse_shard_doc(value: Any) -> tuple[int, int, int]:
    number = int(value)
    return (number >> (_SEGMENT_BITS + _DOC_BITS),
            (number >> _DOC_BITS) & ((1 << _SEGMENT_BITS) - 1), number & ((1 << _DOC_BITS) - 1))


def sort_value(key: LeafKey, value: Any) -> Any:
    """One sort value as ES prints it in a hit's ``sort`` array."""
    if value is None:
        kind = key.kind
        if kind == "none":
            kind = "str" if key.key.unmapped_type in ("keyword", "text", None) else "int"
        if kind in ("int", "doc", "bool"):
            last = key.key.missing != "_first"
            return LONG_MAX if last != key.key.desc else LONG_MIN
        if kind == "float":
            last = key.key.missing != "_first"
            return "Infinity" if last != key.key.desc else "-Infinity"
        return None
    if key.kind == "bool":
        return 1 if value else 0
    if key.key.format and key.kind == "int":
        return get_format(key.key.format).format(value)
    return value


def parse_cursor(values: list[Any], keys: list[LeafKey], with_tiebreak: bool) -> Cursor:
    """A ``search_after`` array back into typed sort values (and the ``_shard_doc``)."""
    expected = len(keys) + (1 if with_tiebreak else 0)
    if len(values) != expected and not (with_tiebreak and len(values) == len(keys)):
        raise IllegalArgument(f"search_after has {len(values)} value(s) but sort has "
                              f"{len(keys)}")
    typed = tuple(_typed(key, value) for key, value in zip(keys, values, strict=False))
    tiebreak = parse_shard_doc(values[-1]) if len(values) == len(keys) + 1 else None
    return Cursor(typed, tiebreak)


def _typed(key: LeafKey, value: Any) -> Any:
    if value is None or value in (LONG_MAX, LONG_MIN, "Infinity", "-Infinity"):
        return None
    if key.kind == "none":
        return key.key.missing if key.custom_missing else None
    if key.kind == "runtime":  # computed values, shown in ``sort`` as they are
        return value
    try:
        if key.kind in ("int", "doc"):
            if isinstance(value, str) and key.key.format:
                return get_format(key.key.format).parse(value)
            number = int(value)
            if not LONG_MIN <= number <= LONG_MAX:
                raise ValueError("out of range for a long")
            return number
        if key.kind in ("float", "score"):
            return float(value)
        if key.kind == "bool":
            return value in (True, 1, "true", "1")
    except (TypeError, ValueError, OverflowError) as exc:
        raise IllegalArgument(f"Failed to parse search_after value [{value}] for field "
                              f"[{key.key.field}]") from exc
    return str(value)


def fetch_hits(rows: list[Row], fetch: dict[int, FetchContext], request: SearchRequest, *,
               show_sort: bool, with_shard_doc: bool) -> list[dict[str, Any]]:
    """The ``hits.hits`` array for the page's rows, in their order."""
    by_ctx: dict[int, list[int]] = {}
    for number, row in enumerate(rows):
        by_ctx.setdefault(row.ctx, []).append(number)
    hits: list[dict[str, Any]] = [{} for _ in rows]
    for position, numbers in by_ctx.items():
        context = fetch[position]
        page = [rows[n] for n in numbers]
        for n, hit in zip(numbers, _render(context, page, request, show_sort, with_shard_doc),
                          strict=True):
            hits[n] = hit
    return hits


def _render(context: FetchContext, rows: list[Row], request: SearchRequest, show_sort: bool,
            with_shard_doc: bool) -> list[dict[str, Any]]:
    ctx = context.ctx
    searcher = ctx.searcher
    addresses = [r.address for r in rows]
    versions = searcher.fast_field_values(VERSION, addresses) if request.version else None
    seq_nos = searcher.fast_field_values(SEQ_NO, addresses) \
        if request.seq_no_primary_term else None
    needs_parsed = bool(request.fields or request.docvalue_fields or context.highlighter)
    hits = []
    for i, row in enumerate(rows):
        doc = searcher.doc(row.address)
        doc_id = doc.get_first(ID)
        raw: bytes = doc.get_first(SOURCE)
        if request.source.enabled or needs_parsed:
            raw = ctx.source(raw)
        hit: dict[str, Any] = {"_index": ctx.index.name, "_id": doc_id}
        if versions is not None:
            hit["_version"] = versions[i]
        if seq_nos is not None:
            hit["_seq_no"] = seq_nos[i]
            hit["_primary_term"] = PRIMARY_TERM
        hit["_score"] = row.score
        filtered = request.source.apply_bytes(raw)
        if filtered is not None:
            hit["_source"] = orjson.Fragment(filtered)
        if needs_parsed:
            source = orjson.loads(raw)
            flat = flatten(ctx, source, doc_id) \
                if request.fields or request.docvalue_fields else {}
            fields = document_fields(ctx.mapping, flat, request.fields, docvalues=False)
            fields.update(document_fields(ctx.mapping, flat, request.docvalue_fields,
                                          docvalues=True))
            fields.update(_runtime_fields(ctx, request, source, flat))
            if fields:
                hit["fields"] = fields
            if context.highlighter is not None:
                highlight = context.highlighter.highlight(source, ctx.mapping)
                if highlight:
                    hit["highlight"] = highlight
        if show_sort:
            sort = [sort_value(k, v) for k, v in zip(context.keys, row.values, strict=True)]
            if with_shard_doc:
                sort.append(shard_doc(row.tiebreak))
            hit["sort"] = sort
        if request.explain:
            hit["_explanation"] = explanation(context.hit_query, searcher, row.address)
        if context.inner_hits:
            hit["inner_hits"] = fetch_inner_hits(ctx, doc_id, context.inner_hits,
                                                 context.now_ms, request.total_as_int)
        hits.append(hit)
    return hits


def _runtime_fields(ctx: SplitContext, request: SearchRequest, source: dict[str, Any],
                    flat: dict[str, Any]) -> dict[str, list[Any]]:
    """The runtime fields (the mapping's and the request's) that ``fields`` asks for."""
    fields = runtime.fields_of(request, ctx.mapping)
    specs = request.fields + request.docvalue_fields
    if not fields or not specs:
        return {}
    return runtime.hit_fields(fields, [(s.pattern, s.format) for s in specs], source, flat,
                              ctx.mapping)
