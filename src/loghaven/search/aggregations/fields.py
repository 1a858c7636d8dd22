"""Which field an aggregation reads, what kind it is, and how its values print.

Aggregations run over several indices whose mappings may differ (a field can be missing in an
older index, or in an older split of one index); the first mapping that knows a field decides
its kind, and a split without it contributes no values. A runtime field (the search's
``runtime_mappings`` or a mapping's ``runtime`` section) shadows a mapped one of its name, as in
ES: it has no column, so the documents of one of its buckets are found from its computed
values (an ``ids`` query).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tantivy

from loghaven.engine.dates import DEFAULT as DEFAULT_DATE_FORMAT
from loghaven.engine.dates import get_format
from loghaven.engine.mapping import FieldInfo, fielddata_field
from loghaven.engine.runtime import RuntimeField
from loghaven.errors import IllegalArgument
from loghaven.search.context import SplitContext

NUMERIC_KINDS = ("long", "double", "date", "boolean")


@dataclass(frozen=True)
class Field:
    """A field as aggregations see it; ``info`` is None when no target index maps it
    (``runtime`` is set instead when it is a runtime field)."""

    name: str
    info: FieldInfo | None
    runtime: RuntimeField | None = None

    @property
    def kind(self) -> str | None:
        if self.runtime is not None:
            return self.runtime.type  # its types are kinds too (keyword, long, date...)
        return self.info.kind if self.info is not None else None

    @property
    def type(self) -> str | None:
        """The mapped type, as errors name it."""
        return self.runtime.type if self.runtime is not None else \
            self.info.type if self.info is not None else None

    @property
    def mapped(self) -> bool:
        return self.info is not None or self.runtime is not None

    @property
    def is_date(self) -> bool:
        return self.kind == "date"

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def in_split(self, ctx: SplitContext) -> bool:
        """Whether this split has values of the field (older splits may lack it)."""
        if self.runtime is not None:
            return ctx.runtime is not None and self.name in ctx.runtime.runtime
        if self.kind == "geo_point":
            return ctx.has_field(f"{self.name}.lat")
        return self.info is not None and ctx.has_field(self.name)

    def date_format(self, fmt: str | None = None) -> str:
        if fmt:
            return fmt
        if self.runtime is not None:
            return self.runtime.date_format
        return self.info.date_format if self.info is not None else DEFAULT_DATE_FORMAT

    def key(self, raw: Any) -> Any:
        """A bucket key from tantivy in ES's type: ints for long/date/boolean, floats for double."""
        kind = self.kind
        if kind in ("long", "date", "boolean"):
            return int(raw)
        if kind == "double":
            return float(raw)
        return raw

    def value_as_string(self, value: Any, fmt: str | None = None, tz: str | None = None) -> str:
        """``key_as_string`` / ``value_as_string`` where ES prints one (dates, booleans)."""
        if self.kind == "date":
            return format_date(int(value), self.date_format(fmt), tz)
        if self.kind == "boolean":
            return "true" if value else "false"
        return str(value)

    def term_query(self, ctx: SplitContext, key: Any) -> tantivy.Query:
        """Documents whose field holds ``key`` (used to narrow a scope to one bucket); dates
        and doubles are columns without terms (decisions/0020), so a one-value range."""
        if self.runtime is not None:
            return self.where(ctx, lambda found: key in found)
        if self.kind == "boolean":
            key = bool(key)
        elif self.kind == "double":
            return tantivy.Query.range_query(ctx.schema, self.name, tantivy.FieldType.Float,
                                             float(key), float(key))
        elif self.kind == "date":
            return tantivy.Query.range_query(ctx.schema, self.name, tantivy.FieldType.Integer,
                                             int(key), int(key))
        return tantivy.Query.term_query(ctx.schema, self.name, key)

    def range_query(self, ctx: SplitContext, low: float | None, high: float | None) -> tantivy.Query:
        """Documents with a value in ``[low, high)`` (either side open when None)."""
        if low is None and high is None:
            return self.exists_query(ctx)
        if self.runtime is not None:
            return self.where(ctx, lambda found: any(
                (low is None or v >= low) and (high is None or v < high) for v in found))
        if self.kind in ("long", "date"):
            ftype = tantivy.FieldType.Integer
            low = None if low is None else int(_ceil(low))
            high = None if high is None else int(_ceil(high))
        else:
            ftype = tantivy.FieldType.Float
            low = None if low is None else float(low)
            high = None if high is None else float(high)
        return tantivy.Query.range_query(ctx.schema, self.name, ftype, low, high,
                                         include_lower=True, include_upper=high is None)

    def exists_query(self, ctx: SplitContext) -> tantivy.Query:
        """Documents with a value of the field."""
        if self.runtime is not None:
            return self.where(ctx, bool)
        return tantivy.Query.exists_query(self.name)

    def where(self, ctx: SplitContext, test: Callable[[list[Any]], bool]) -> tantivy.Query:
        """The documents whose runtime values pass ``test`` (none where the split's index
        lacks the runtime field)."""
        if ctx.runtime is None or self.name not in ctx.runtime.runtime:
            return tantivy.Query.empty_query()
        return ctx.runtime.where(self.name, test)


def _ceil(value: float) -> float:
    integral = int(value)
    return integral if integral >= value else integral + 1


def format_date(millis: int, fmt: str, tz: str | None = None) -> str:
    """A date the way ES prints keys: with the first format of a ``a||b`` list."""
    return get_format(fmt).format(millis, tz)


def resolve(contexts: list[SplitContext], name: str) -> Field:
    """The field ``name`` in the first target index that knows it, as a runtime field (the
    search's or the mapping's) or as a mapped one."""
    seen: set[int] = set()
    for ctx in contexts:
        if id(ctx.index) in seen:
            continue
        seen.add(id(ctx.index))
        runtime = ctx.runtime.runtime.get(name) if ctx.runtime is not None else None
        if runtime is not None:
            return Field(name, None, runtime)
        info = ctx.mapping.fields.get(name)
        if info is not None:
            if info.fielddata:  # a text field's tokens, from their own column
                info = fielddata_field(info)
                return Field(info.path, info)
            return Field(name, info)
    return Field(name, None)


class FielddataDisabled(IllegalArgument):
    """An aggregation on a ``text`` field: ES fails it on every shard (its values source is
    resolved there), so the search answers ``search_phase_execution_exception``."""


def no_doc_values(name: str, info: FieldInfo) -> IllegalArgument:
    """ES's refusal to aggregate or sort on a field mapped with ``doc_values: false``."""
    return IllegalArgument(f"Can't load fielddata on [{name}] because fielddata is unsupported "
                           f"on fields of type [{info.type}]. Use doc values instead.")


def require_aggregatable(field: Field) -> None:
    """ES refuses aggregations on analysed text (no doc values) with this message, and on
    fields mapped with ``doc_values: false``."""
    if field.info is not None and field.kind != "text" and not field.info.doc_values:
        raise no_doc_values(field.name, field.info)
    if field.kind == "text":
        raise FielddataDisabled(
            "Text fields are not optimised for operations that require per-document field data "
            "like aggregations and sorting, so these operations are disabled by default. Please "
            "use a keyword field instead. Alternatively, set fielddata=true on "
            f"[{field.name}] in order to load field data by uninverting the inverted index. "
            "Note that this can use significant memory.")


def require_numeric(field: Field, aggregation: str) -> None:
    """Histograms, ranges and numeric metrics read numbers (dates are numbers here)."""
    if field.info is not None and field.is_numeric and not field.info.doc_values:
        raise no_doc_values(field.name, field.info)
    if field.mapped and not field.is_numeric:
        raise IllegalArgument(f"Field [{field.name}] of type [{field.type}] is not "
                              f"supported for aggregation [{aggregation}]")


def address_order(value: Any) -> int | None:
    """An address's place in the order tantivy keeps ``ip`` values in (and ES sorts them):
    as 16 bytes, an IPv4 address mapped into IPv6 (``::ffff:a.b.c.d``); None when ``value``
    is not an address."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return int(address) + (0xFFFF << 32) if address.version == 4 else int(address)


def require_geo_point(field: Field, aggregation: str) -> None:
    """Geo aggregations read a geo_point's ``.lat`` and ``.lon`` fields."""
    if field.mapped and field.kind != "geo_point":
        raise IllegalArgument(f"Field [{field.name}] of type [{field.type}] is not "
                              f"supported for aggregation [{aggregation}]")


def runtime_names(contexts: list[SplitContext]) -> frozenset[str]:
    """The runtime fields a search sees in any of its target indices."""
    return frozenset(name for ctx in contexts if ctx.runtime is not None
                     for name in ctx.runtime.runtime)


def not_on_runtime(aggregation: str, name: str, field: str) -> IllegalArgument:
    """The 400 for an aggregation Loghaven does not run over a runtime field."""
    return IllegalArgument(f"[{aggregation}] aggregation [{name}] on runtime field [{field}] "
                           f"is not supported by Loghaven")
