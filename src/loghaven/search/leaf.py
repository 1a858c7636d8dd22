"""One split's part of a search: its top-k rows in the request's sort order, and its count.

tantivy sorts by the score or by one fast field and breaks ties by document address; that
address (with the split's position in the request) is therefore our final tie-break, so the
rows a split picks are exactly the ones the global order needs. Further sort keys are read
only for the picked rows, and only a tie group cut by the ``k`` boundary is searched again
(``key == value``, ordered by the next key). Paging after a cursor (``search_after``, scroll,
point in time) turns the cursor into a filter ("after these sort values"), except for the
group equal to the cursor on every key, which is walked in address order.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tantivy

from loghaven.engine.mapping import FieldInfo, Mapping, fielddata_field, nested_sort_fields
from loghaven.engine.schema import SEQ_NO
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.search.aggregations.fields import no_doc_values
from loghaven.search.context import SplitContext
from loghaven.search.query import all_of, any_of, as_filter, regex_after, regex_before
from loghaven.search.request import SortKey

Query = tantivy.Query
Occur = tantivy.Occur

#: Sortable field kinds → how the leaf reads and filters them.
_SORT_KINDS = {"long": "int", "date": "int", "double": "float", "keyword": "str",
               "boolean": "bool"}
#: A scroll over index order reads ``_seq_no`` windows of at least this many numbers.
_MIN_WINDOW = 4096


@dataclass(frozen=True)
class LeafKey:
    """A sort key resolved for one split: ``kind`` is score, doc, int, float, str, bool or
    none (the field is absent here: every document is missing it)."""

    key: SortKey
    kind: str
    path: str | None = None

    @property
    def custom_missing(self) -> bool:
        return self.key.missing not in ("_last", "_first")


@dataclass(slots=True)
class Row:
    """A candidate hit: its sort values (one per key), where it lives, and its score."""

    values: tuple[Any, ...]
    address: tantivy.DocAddress
    score: float | None = None
    ctx: int = 0

    @property
    def tiebreak(self) -> tuple[int, int, int]:
        return (self.ctx, self.address.segment_ord, self.address.doc)


@dataclass(frozen=True)
class Cursor:
    """A position in the sort order: the sort values, and the tie-break when known (scroll,
    point in time); without it, rows equal to the values on every key count as before it."""

    values: tuple[Any, ...]
    tiebreak: tuple[int, int, int] | None = None


@dataclass
class LeafResult:
    rows: list[Row]
    count: int | None


def resolve_keys(keys: list[SortKey], mapping: Mapping, present: frozenset[str]) -> list[LeafKey]:
    """Sort keys against an index's mapping and a split's fields; ES's errors for bad ones."""
    resolved = []
    for key in keys:
        if key.field == "_score":
            if not key.desc:
                raise IllegalArgument("sorting by [_score] in ascending order is not supported")
            resolved.append(LeafKey(key, "score"))
            continue
        if key.field in ("_doc", "_shard_doc"):
            resolved.append(LeafKey(key, "doc", SEQ_NO))
            continue
        info = mapping.fields.get(key.field)
        if info is None:
            if key.unmapped_type is None:
                raise LoghavenError(f"No mapping found for [{key.field}] in order to sort on",
                                    status=400, type="query_shard_exception")
            resolved.append(LeafKey(key, "none"))
            continue
        if info.nested is not None:  # its values are on the nested objects' documents
            info = _nested_sort_column(key, info, mapping)
        if info.fielddata:  # a text field's tokens, from their own column
            info = fielddata_field(info, greatest=key.desc)
        kind = _SORT_KINDS.get(info.kind)
        if kind is None:
            if info.kind == "text":
                raise IllegalArgument(
                    f"Text fields are not optimised for operations that require per-document "
                    f"field data like aggregations and sorting, so these operations are "
                    f"disabled by default. Please use a keyword field instead. Alternatively, "
                    f"set fielddata=true on [{key.field}] in order to load field data by "
                    f"uninverting the inverted index. Note that this can use significant "
                    f"memory.")
            raise IllegalArgument(f"sorting on field [{key.field}] of type [{info.type}] is not "
                                  f"supported")
        if not info.doc_values:
            raise no_doc_values(key.field, info)
        resolved.append(LeafKey(key, kind if info.path in present else "none", info.path))
    return resolved


def _nested_sort_column(key: SortKey, info: FieldInfo, mapping: Mapping) -> FieldInfo:
    """The root documents' column of a nested field's least (``mode: min``, the default
    ascending) or greatest (``max``, the default descending) value among their objects."""
    if key.nested is None:  # ES's text; a nested object's own field has no single value
        raise LoghavenError(f"it is mandatory to set the [nested] context on the nested sort "
                            f"field: [{key.field}].", status=400, type="query_shard_exception")
    if key.nested not in mapping.nested:
        raise LoghavenError(f"[nested] failed to find nested object under path "
                            f"[{key.nested}]", status=400, type="query_shard_exception")
    if not (info.nested + ".").startswith(key.nested + "."):
        raise LoghavenError(f"[nested] nested path [{key.nested}] does not hold the sort "
                            f"field [{key.field}]", status=400, type="query_shard_exception")
    assert info.nested is not None
    mode = key.mode or ("max" if key.desc else "min")
    if mode not in ("min", "max"):
        raise IllegalArgument(f"sort mode [{mode}] on the nested field [{key.field}] is not "
                              f"supported by Loghaven (only [min] and [max])")
    columns = nested_sort_fields(info)
    if not columns:
        raise IllegalArgument(f"sorting on field [{key.field}] of type [{info.type}] is not "
                              f"supported")
    return columns[1] if mode == "max" else columns[0]


def compare(a_values: tuple[Any, ...], a_tiebreak: tuple[int, int, int] | None,
            b_values: tuple[Any, ...], b_tiebreak: tuple[int, int, int] | None,
            keys: list[LeafKey]) -> int:
    """Order of two positions: by each key (missing values placed as asked), then tie-break."""
    for i, key in enumerate(keys):
        result = _compare_value(a_values[i], b_values[i], key)
        if result:
            return result
    if a_tiebreak is None or b_tiebreak is None:
        return 0
    return (a_tiebreak > b_tiebreak) - (a_tiebreak < b_tiebreak)


def _compare_value(x: Any, y: Any, key: LeafKey) -> int:
    if x is None or y is None:
        if x is None and y is None:
            return 0
        first = key.key.missing == "_first"
        return (-1 if first else 1) if x is None else (1 if first else -1)
    if type(x) is not type(y) and not (isinstance(x, (int, float)) and isinstance(y, (int, float))):
        x, y = str(x), str(y)
    result = (x > y) - (x < y)
    return -result if key.key.desc else result


def _row_order(keys: list[LeafKey]) -> Callable[[Row], Any]:
    def cmp(a: Row, b: Row) -> int:
        return compare(a.values, a.tiebreak, b.values, b.tiebreak, keys)

    return functools.cmp_to_key(cmp)


def sort_rows(rows: list[Row], keys: list[LeafKey]) -> list[Row]:
    """Rows in the request's order."""
    return sorted(rows, key=_row_order(keys))


def merge_rows(sorted_lists: list[list[Row]], keys: list[LeafKey], start: int,
               stop: int) -> list[Row]:
    """Rows ``start:stop`` of the merge of the splits' sorted rows: the global order."""
    merged = heapq.merge(*sorted_lists, key=_row_order(keys))
    return list(itertools.islice(merged, start, stop))


def search_split(ctx: SplitContext, position: int, query: tantivy.Query, keys: list[LeafKey],
                 k: int, *, cursor: Cursor | None = None, count: bool = True,
                 matches_all: bool = False) -> LeafResult:
    """The top ``k`` rows of ``query`` on one split (after ``cursor`` if given) and, when
    ``count`` is set, how many documents match ``query``; ``matches_all`` says that ``query``
    matches every document (the count is then the split's)."""
    leaf = _Leaf(ctx, position, keys, matches_all)
    if k == 0:
        return LeafResult([], leaf.count(query) if count else None)
    if cursor is not None:
        rows = leaf.after(query, cursor, k)
    elif matches_all or (keys and leaf.window_bounds(keys[0]) is not None):
        rows, _ = leaf.top(query, keys, k, False)  # counted apart: cheaper than in the pass
    else:
        rows, total = leaf.top(query, keys, k, count)
        return LeafResult(rows, total)
    return LeafResult(rows, leaf.count(query) if count else None)


def read_scores(ctx: SplitContext, query: tantivy.Query, rows: list[Row]) -> None:
    """Fill ``score`` of rows picked by another order (``track_scores`` with a field sort)."""
    leaf = _Leaf(ctx, 0, [])
    for row, score in zip(rows, leaf.scores(query, [r.address for r in rows]), strict=True):
        row.score = score


class _Leaf:
    def __init__(self, ctx: SplitContext, position: int, keys: list[LeafKey],
                 matches_all: bool = False) -> None:
        self.searcher = ctx.searcher
        self.schema = ctx.schema
        self.position = position
        self.keys = keys
        self.max_seq = ctx.index.seq_no
        self.date_ranges = ctx.split.meta.date_ranges
        self.matches_all = matches_all

    # -- plain top-k --

    def count(self, query: Query) -> int:
        if self.matches_all:
            return self.searcher.num_docs
        return self.searcher.search(query, 1, count=True).count

    def row(self, values: tuple[Any, ...], address: tantivy.DocAddress,
            score: float | None = None) -> Row:
        return Row(values, address, score, self.position)

    def top(self, query: Query, keys: list[LeafKey], k: int,
            count: bool) -> tuple[list[Row], int | None]:
        """The first ``k`` rows by ``keys`` then address, with the match count if asked."""
        if not keys:
            result = self.searcher.search(Query.const_score_query(query, 1.0), k, count=count)
            return [self.row((), a) for _, a in result.hits], result.count if count else None
        key, rest = keys[0], keys[1:]
        if key.kind == "score":
            return self.top_by_score(query, keys, k, count)
        if key.kind == "none":
            value = key.key.missing if key.custom_missing else None
            rows, total = self.top(query, rest, k, count)
            return [self.row((value, *r.values), r.address, r.score) for r in rows], total
        if key.kind == "doc" or key.key.missing == "_last":
            if not count and self.window_bounds(key) is not None:
                return self.top_in_windows(query, keys, k), None
            return self.top_by_field(query, key, rest, k, count)
        # missing first, or a missing value to sort as: the absent and present docs merged
        exists = Query.exists_query(key.path)
        absent, _ = self.top(_and(query, _without(exists)), rest, k, False)
        value = key.key.missing if key.custom_missing else None
        absent = [self.row((value, *r.values), r.address, r.score) for r in absent]
        present, _ = self.top_by_field(_and(query, as_filter(exists)), key, rest, k, False)
        rows = sort_rows(absent + present, keys)[:k]
        return rows, self.count(query) if count else None

    def top_by_field(self, query: Query, key: LeafKey, rest: list[LeafKey], k: int,
                     count: bool) -> tuple[list[Row], int | None]:
        assert key.path is not None
        order = tantivy.Order.Desc if key.key.desc else tantivy.Order.Asc
        result = self.searcher.search(query, k, count=count, order_by_field=key.path,
                                      order=order)
        rows = [self.row((value,), address) for value, address in result.hits]
        total = result.count if count else None
        if not rest:
            return rows, total
        tail: list[Row] = []
        if len(rows) == k:
            # The last tie group may continue past k: fetch it again, ordered by the rest.
            last = rows[-1].values[0]
            head = [r for r in rows if r.values[0] != last]
            group, _ = self.top(_and(query, as_filter(self.equal(key, last))), rest,
                                k - len(head), False)
            tail = [self.row((last, *r.values), r.address, r.score) for r in group]
            rows = head
        self.fill(rows, rest, query)
        return sort_rows(rows, [key, *rest]) + tail, total

    def top_by_score(self, query: Query, keys: list[LeafKey], k: int,
                     count: bool) -> tuple[list[Row], int | None]:
        rest = keys[1:]
        limit = k
        while True:
            result = self.searcher.search(query, limit, count=count)
            hits = result.hits
            # A tie group of scores cut at k must be complete before the rest keys order it.
            if not rest or len(hits) < limit or hits[-1][0] < hits[k - 1][0] \
                    or limit >= 16 * k + 1024:
                break
            limit *= 4
        rows = [self.row((score,), address, score) for score, address in hits]
        if rest:
            self.fill(rows, rest, query)
            rows = sort_rows(rows, keys)[:k]
        return rows, result.count if count else None

    # -- newest (or oldest) first --

    def window_bounds(self, key: LeafKey) -> tuple[int, int] | None:
        """The split's value range of a date sort key, when windows can find the top rows
        (missing values last, so documents without a date never come first)."""
        if key.kind != "int" or key.key.missing != "_last" or key.path is None:
            return None
        bounds = self.date_ranges.get(key.path)
        return (bounds[0], bounds[1]) if bounds else None

    def top_in_windows(self, query: Query, keys: list[LeafKey], k: int,
                       start: int | None = None) -> list[Row]:
        """Top rows sorted by a date: search a window at the near end of the split's time
        range (or from ``start``, a cursor's date), widened until it holds ``k`` rows; every
        document outside a window sorts after every one inside, so those rows are the top.
        The usual "latest events" search then reads a few thousand column values, not all."""
        key, rest = keys[0], keys[1:]
        low, high = self.window_bounds(key) or (0, 0)
        if start is not None:
            low, high = (low, min(high, start)) if key.key.desc else (max(low, start), high)
        total = max(self.searcher.num_docs, 1)
        width = max(1, (high - low + 1) * 4 * k // total)
        for _ in range(4):
            if width > high - low:
                break
            edge = (None, low + width) if not key.key.desc else (high - width, None)
            window = Query.range_query(self.schema, key.path, tantivy.FieldType.Integer, *edge)
            rows, _ = self.top_by_field(_and(query, as_filter(window)), key, rest, k, False)
            if len(rows) >= k:
                return rows
            width *= 16
        rows, _ = self.top_by_field(query, key, rest, k, False)
        return rows

    # -- reading sort values of picked rows --

    def fill(self, rows: list[Row], keys: list[LeafKey], query: Query) -> None:
        addresses = [r.address for r in rows]
        for key in keys:
            for row, value in zip(rows, self.read(key, addresses, query), strict=True):
                row.values = (*row.values, value)

    def read(self, key: LeafKey, addresses: list[tantivy.DocAddress],
             query: Query) -> list[Any]:
        if not addresses:
            return []
        if key.kind == "score":
            return self.scores(query, addresses)
        if key.kind == "none":
            values: list[Any] = [None] * len(addresses)
        elif key.kind == "str":
            assert key.path is not None
            values = self.by_address(addresses, lambda q, n: self.searcher.search(
                q, n, order_by_field=key.path).hits)
        else:
            assert key.path is not None
            values = self.searcher.fast_field_values(key.path, addresses)
        if key.custom_missing:
            values = [key.key.missing if v is None else v for v in values]
        return values

    def scores(self, query: Query, addresses: list[tantivy.DocAddress]) -> list[float | None]:
        return self.by_address(addresses, lambda q, n: self.searcher.search(
            _and(query, as_filter(q)), n).hits)

    def by_address(self, addresses: list[tantivy.DocAddress],
                   search: Callable[[Query, int], list[tuple[Any, tantivy.DocAddress]]],
                   ) -> list[Any]:
        """Values keyed by address from one search restricted to these documents."""
        seq_nos = self.searcher.fast_field_values(SEQ_NO, addresses)
        chosen = Query.term_set_query(self.schema, SEQ_NO, [s for s in seq_nos if s is not None])
        found = {(a.segment_ord, a.doc): v for v, a in search(chosen, len(addresses))}
        return [found.get((a.segment_ord, a.doc)) for a in addresses]

    # -- after a cursor --

    def after(self, query: Query, cursor: Cursor, k: int) -> list[Row]:
        keys = self.keys
        if any(key.kind == "score" for key in keys):
            return self.after_by_scan(query, cursor, k)
        branches: list[Query] = []
        equal: list[Query] = []
        for key, value in zip(keys, cursor.values, strict=True):
            branches.append(all_of([*equal, self.beyond(key, value)]))
            equal.append(self.equal(key, value))
        rows = self.equal_group(query, equal, cursor, k)
        after = _and(query, as_filter(any_of(branches)))
        if len(keys) == 1 and keys[0].kind == "doc" and not keys[0].key.desc:
            beyond = self.after_in_windows(query, int(cursor.values[0]), k)
        elif self.window_bounds(keys[0]) is not None and cursor.values[0] is not None:
            beyond = self.top_in_windows(after, keys, k, int(cursor.values[0]))
        else:
            beyond, _ = self.top(after, keys, k, False)
        return (rows + beyond)[:k]

    def equal_group(self, query: Query, equal: list[Query], cursor: Cursor,
                    k: int) -> list[Row]:
        """Rows equal to the cursor on every key and after it by tie-break (address)."""
        if cursor.tiebreak is None or self.position < cursor.tiebreak[0]:
            return []
        group = _and(query, as_filter(all_of(equal)))
        limit = k if self.position > cursor.tiebreak[0] else k + 64
        while True:
            rows, _ = self.top(group, [], limit, False)
            later = [r for r in rows if r.tiebreak > cursor.tiebreak]
            if len(later) >= k or len(rows) < limit:
                break
            limit *= 4
        return [self.row(cursor.values, r.address) for r in later[:k]]

    def after_in_windows(self, query: Query, seq_no: int, k: int) -> list[Row]:
        """Index order after ``seq_no``: scan growing windows of sequence numbers, so a
        scroll through everything costs each page about its own size."""
        key = self.keys[0]
        start = seq_no + 1
        width = max(_MIN_WINDOW, 8 * k)
        rows: list[Row] = []
        while start <= self.max_seq and len(rows) < k:
            end = start + width - 1
            window = Query.range_query(self.schema, SEQ_NO, tantivy.FieldType.Integer, start, end)
            found, _ = self.top_by_field(_and(query, as_filter(window)), key, [], k - len(rows),
                                         False)
            rows += found
            start, width = end + 1, width * 4
        return rows

    def after_by_scan(self, query: Query, cursor: Cursor, k: int) -> list[Row]:
        """Score-sorted pages after a cursor: scores cannot be filtered, so read further."""
        limit = 2 * k + 16
        while True:
            rows, _ = self.top(query, self.keys, limit, False)
            later = [r for r in rows if compare(r.values, r.tiebreak, cursor.values,
                                                cursor.tiebreak, self.keys) > 0]
            if len(later) >= k or len(rows) < limit:
                return later[:k]
            limit *= 4

    # -- filters on sort values --

    def equal(self, key: LeafKey, value: Any) -> Query:
        """Documents whose sort value for ``key`` is ``value`` (None: missing)."""
        missing = _without(Query.exists_query(key.path)) if key.path else Query.all_query()
        if key.kind == "none" or value is None:
            return missing
        assert key.path is not None
        same = self.at(key, value)
        if key.custom_missing and value == key.key.missing:
            return any_of([same, missing])
        return same

    def at(self, key: LeafKey, value: Any) -> Query:
        """Documents whose ``key`` column holds ``value``: numbers as a one-value range, since
        dates and doubles have no terms (decisions/0020; tantivy answers a term query on such
        a column only while scoring is off, which holds for the filters here today)."""
        assert key.path is not None
        native = _native(key, value)
        if key.kind in ("int", "doc"):
            return Query.range_query(self.schema, key.path, tantivy.FieldType.Integer, native,
                                     native)
        if key.kind == "float":
            return Query.range_query(self.schema, key.path, tantivy.FieldType.Float, native,
                                     native)
        return Query.term_query(self.schema, key.path, native)

    def beyond(self, key: LeafKey, value: Any) -> Query:
        """Documents whose sort value for ``key`` comes strictly after ``value``."""
        if key.kind == "none":
            return Query.empty_query()
        assert key.path is not None
        exists = Query.exists_query(key.path)
        if value is None:
            return exists if key.key.missing == "_first" else Query.empty_query()
        after = self.strictly_after(key, value)
        missing_after = key.key.missing == "_last" or (
            key.custom_missing and _compare_value(key.key.missing, value, key) > 0)
        return any_of([after, _without(exists)]) if missing_after else after

    def strictly_after(self, key: LeafKey, value: Any) -> Query:
        assert key.path is not None
        desc = key.key.desc
        if key.kind in ("int", "doc"):
            number = int(value)
            low, high = (None, number - 1) if desc else (number + 1, None)
            return Query.range_query(self.schema, key.path, tantivy.FieldType.Integer, low, high)
        if key.kind == "float":
            number = float(value)
            low_f, high_f = (None, number) if desc else (number, None)
            return Query.range_query(self.schema, key.path, tantivy.FieldType.Float, low_f,
                                     high_f, low_f is None, high_f is None)
        if key.kind == "bool":
            flag = bool(value)
            if flag != desc:  # asc after true, or desc after false: nothing
                return Query.empty_query()
            return Query.term_query(self.schema, key.path, not desc)
        regex = regex_before(str(value), False) if desc else regex_after(str(value), False)
        return Query.regex_query(self.schema, key.path, regex)


def _native(key: LeafKey, value: Any) -> Any:
    if key.kind in ("int", "doc"):
        return int(value)
    if key.kind == "float":
        return float(value)
    if key.kind == "bool":
        return bool(value)
    return str(value)


def _without(query: Query) -> Query:
    """Every document that does not match ``query``."""
    return Query.boolean_query([(Occur.Must, as_filter(Query.all_query())),
                                (Occur.MustNot, query)])


def _and(query: Query, other: Query) -> Query:
    return all_of([query, other])
