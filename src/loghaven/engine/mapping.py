"""Elasticsearch mappings: parsing, merging, dynamic mapping and the field table.

A mapping is kept as the ES JSON a user would get back from ``GET /<index>/_mapping``;
``fields`` flattens it into one :class:`FieldInfo` per indexable leaf (multi-fields
included, e.g. ``message.keyword``), which is what the schema, the document builder,
the query compiler and the aggregations all read.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

from loghaven.engine.analysis import BUILTIN, Analyzer, IndexAnalysis, Normalizer
from loghaven.engine.dates import DEFAULT as DEFAULT_DATE_FORMAT
from loghaven.engine.dates import get_format, is_date_string
from loghaven.engine.runtime import parse_runtime
from loghaven.errors import IllegalArgument, MapperParsing, StrictDynamicMapping

#: ES field types and the engine kind that stores them.
KINDS: dict[str, str] = {
    "keyword": "keyword",
    "constant_keyword": "keyword",
    "wildcard": "keyword",
    "text": "text",
    "match_only_text": "text",
    "long": "long",
    "integer": "long",
    "short": "long",
    "byte": "long",
    "unsigned_long": "long",
    "double": "double",
    "float": "double",
    "half_float": "double",
    "scaled_float": "double",
    "date": "date",
    "date_nanos": "date",
    "boolean": "boolean",
    "ip": "ip",
    "geo_point": "geo_point",
    "binary": "binary",
}
OBJECT_TYPES = {"object", "nested", "flattened"}
#: Elasticsearch/OpenSearch metadata fields: no document or mapping may define a field with
#: one of these names (four of them are also the engine's own tantivy fields).
METADATA_FIELDS = frozenset({
    "_id", "_index", "_source", "_routing", "_ignored", "_version", "_seq_no", "_primary_term",
    "_field_names", "_type", "_doc_count", "_tier", "_data_stream_timestamp", "_nested_path",
})
MAPPING_ROOT_KEYS = {
    "properties", "dynamic", "_source", "_routing", "_meta", "date_detection",
    "numeric_detection", "dynamic_templates", "dynamic_date_formats", "_all", "_field_names",
    "enabled", "_doc", "runtime",
}


@dataclass(frozen=True)
class FieldInfo:
    """One indexable leaf of a mapping; ``path`` is also its tantivy field name."""

    path: str
    type: str
    kind: str
    #: Whether the field has an engine field at all: ``index: true``, or doc values (a
    #: keyword, number, date, ip or boolean with ``index: false`` stays queryable from its
    #: doc values in ES 8, so the engine keeps it; tantivy has no fast-only text field).
    indexed: bool = True
    #: ``doc_values`` (default true except for text): aggregations and sorting need them.
    doc_values: bool = True
    #: ``copy_to`` targets: the field's values are indexed into those fields too.
    copy_to: tuple[str, ...] = ()
    ignore_above: int | None = None
    lowercase: bool = False
    date_format: str = DEFAULT_DATE_FORMAT
    null_value: Any = None
    scaling_factor: float | None = None
    multi_fields: tuple[FieldInfo, ...] = field(default=(), compare=False)
    #: A text field's index-time analyzer; None for the default ``standard`` analyzer, which
    #: the engine runs itself (engine/words.py). Others are run in Python and indexed
    #: pre-tokenized (engine/analysis/).
    analyzer: Analyzer | None = field(default=None, compare=False)
    #: What full-text queries analyse their text with (``search_analyzer``, else the above).
    search_analyzer: Analyzer | None = field(default=None, compare=False)
    search_quote_analyzer: Analyzer | None = field(default=None, compare=False)
    #: A keyword's normalizer (``lowercase`` included); None: values are indexed as given.
    normalizer: Normalizer | None = field(default=None, compare=False)
    #: A text field's ``fielddata: true``: its tokens are also kept in a fast column
    #: (:func:`fielddata_field`) that terms aggregations and sorting read.
    fielddata: bool = False
    #: The innermost ``nested`` object the field is in (its values are indexed on that
    #: object's hidden documents), or None.
    nested: str | None = None

    def normalize(self, text: str) -> str:
        """A keyword value or term as this field indexes it."""
        return self.normalizer.normalize(text) if self.normalizer is not None else text


@dataclass(frozen=True)
class NestedInfo:
    """A ``nested`` object of a mapping: its path, the nested object it is in (None: the
    root document), and whether its fields are also indexed on the parent or the root."""

    path: str
    parent: str | None
    include_in_parent: bool = False
    include_in_root: bool = False


def unwrap_type_name(body: dict[str, Any]) -> dict[str, Any]:
    """Accept 6.x-style mappings wrapped in a type name (``{"waflog": {"properties": ...}}``)."""
    if len(body) == 1:
        (key, value), = body.items()
        if key not in MAPPING_ROOT_KEYS and isinstance(value, dict) and (
            "properties" in value or "dynamic" in value or "_source" in value or not value
        ):
            return value
        if key == "_doc" and isinstance(value, dict):
            return value
    return body


class Mapping:
    """An index's mapping, validated; immutable from the outside (``merge`` returns a new one)."""

    def __init__(self, body: dict[str, Any] | None = None,
                 analysis: IndexAnalysis | None = None) -> None:
        body = unwrap_type_name(copy.deepcopy(body or {}))
        #: The index's analysis settings, which ``analyzer``/``normalizer`` names resolve in.
        self.analysis = analysis or BUILTIN
        body.setdefault("properties", {})
        if not isinstance(body["properties"], dict):
            raise MapperParsing("[properties] must be an object")
        validate_field_names(body["properties"])
        _validate_properties(body["properties"], "")
        self.body = body
        self.dynamic = str(body.get("dynamic", "true")).lower()
        if self.dynamic not in ("true", "false", "strict", "runtime"):
            raise MapperParsing(f"unknown value [{self.dynamic}] for setting [dynamic]")
        self.date_detection = bool(body.get("date_detection", True))
        #: The ``runtime`` section: fields computed when searches read them.
        self.runtime = parse_runtime(body.get("runtime"), mapping_error=True)
        self.fields: dict[str, FieldInfo] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        #: The ``nested`` objects by path, outermost first (each is indexed as hidden
        #: documents of its own: decisions/0017).
        self.nested: dict[str, NestedInfo] = {}
        self._collect(body["properties"], "", None)

    def nested_chain(self, path: str | None) -> list[str]:
        """The nested objects from the root's down to ``path`` (empty for None: the root)."""
        chain: list[str] = []
        while path is not None:
            chain.append(path)
            path = self.nested[path].parent
        chain.reverse()
        return chain

    def _collect(self, properties: dict[str, Any], prefix: str, scope: str | None) -> None:
        for name, spec in properties.items():
            path = f"{prefix}{name}"
            ftype = spec.get("type", "object" if "properties" in spec else None)
            if ftype in OBJECT_TYPES or ftype is None:
                self.objects[path] = spec
                inner = scope
                if ftype == "nested":
                    self.nested[path] = NestedInfo(
                        path, scope, spec.get("include_in_parent") is True,
                        spec.get("include_in_root") is True)
                    inner = path
                if spec.get("enabled", True) is not False and ftype != "flattened":
                    self._collect(spec.get("properties", {}), path + ".", inner)
                continue
            info = _field_info(path, ftype, spec, self.analysis)
            if scope is not None:
                info = dataclasses.replace(info, nested=scope, multi_fields=tuple(
                    dataclasses.replace(sub, nested=scope) for sub in info.multi_fields))
            self.fields[path] = info
            for sub in info.multi_fields:
                self.fields[sub.path] = sub

    def to_es(self) -> dict[str, Any]:
        """The mapping as ``GET _mapping`` shows it (no empty ``properties`` key when unset)."""
        body = copy.deepcopy(self.body)
        if not body["properties"]:
            del body["properties"]
        return body

    def merge(self, update: dict[str, Any]) -> Mapping:
        """A new mapping with ``update`` merged in; changing a field's type is refused as ES does."""
        update = unwrap_type_name(copy.deepcopy(update))
        merged = copy.deepcopy(self.body)
        for key, value in update.items():
            if key == "runtime" and isinstance(value, dict) and isinstance(
                    merged.get("runtime"), dict):
                # ES merges runtime fields one by one; a null removes one
                merged["runtime"].update(value)
                merged["runtime"] = {k: v for k, v in merged["runtime"].items() if v is not None}
            elif key != "properties":
                merged[key] = value
        properties = update.get("properties", {}) or {}
        if not isinstance(properties, dict):
            raise MapperParsing("[properties] must be an object")
        _validate_properties(properties, "")
        _merge_properties(merged["properties"], properties, "")
        return Mapping(merged, self.analysis)

    def with_analysis(self, analysis: IndexAnalysis) -> Mapping:
        """The same mapping over other analysis settings (checked: every name must resolve)."""
        return Mapping(self.body, analysis)

    @functools.cached_property
    def analysed_in_python(self) -> bool:
        """Whether a field needs this index's analysis objects to be indexed (then documents
        are not prepared in worker processes, which know only the mapping body)."""
        return self.analysis.custom

    def dynamic_update(self, source: dict[str, Any]) -> dict[str, Any] | None:
        """The mapping update (``properties``, and ``runtime`` fields where ``dynamic:
        runtime`` maps new fields as runtime fields) for a document's unmapped fields, or None.

        Raises ``strict_dynamic_mapping_exception`` where ``dynamic: strict`` forbids them.
        """
        update = _Update({}, {})
        self._dynamic_walk(source, self.body["properties"], update.properties, "", self.dynamic,
                           update)
        body: dict[str, Any] = {}
        if update.properties:
            body["properties"] = update.properties
        if update.runtime:
            body["runtime"] = update.runtime
        return body or None

    def _runtime_guess(self, path: str, value: Any, update: _Update) -> None:
        """``dynamic: runtime``: a new leaf becomes a runtime field read from ``_source``
        (strings keyword or date, integers long, other numbers double, booleans)."""
        if path in self.runtime or path in update.runtime:
            return
        guessed = self._guess(value)
        if guessed is None:
            return
        kind = guessed.get("type")
        if kind == "object":
            for item in _objects_in(value):
                for key, child in item.items():
                    if child is not None:
                        self._runtime_guess(f"{path}.{key}", child, update)
            return
        update.runtime[path] = {"type": {"text": "keyword", "float": "double"}.get(
            str(kind), str(kind))}

    def _copy_to_unmapped(self, spec: dict[str, Any], value: Any, dynamic: str,
                          root: _Update) -> None:
        """``copy_to`` a field not mapped yet: ES maps it as the value would be mapped."""
        for target in ([spec["copy_to"]] if isinstance(spec["copy_to"], str)
                       else spec["copy_to"]):
            if target in self.fields or target in self.objects:
                continue
            if dynamic == "strict":
                parent, _, leaf = target.rpartition(".")
                raise StrictDynamicMapping(
                    f"mapping set to strict, dynamic introduction of [{leaf}] within "
                    f"[{parent or '_doc'}] is not allowed")
            guessed = self._guess(value)
            if dynamic != "true" or guessed is None or guessed.get("type") == "object":
                continue
            props = root.properties
            *parents, leaf = target.split(".")
            for name in parents:
                props = props.setdefault(name, {}).setdefault("properties", {})
            props.setdefault(leaf, guessed)

    def _dynamic_walk(self, obj: dict[str, Any], props: dict[str, Any], additions: dict[str, Any],
                      prefix: str, dynamic: str, root: _Update) -> None:
        for key, value in obj.items():
            if value is None:
                continue
            if "." in key and key not in props:
                head, _, rest = key.partition(".")
                self._dynamic_walk({head: {rest: value}}, props, additions, prefix, dynamic, root)
                continue
            spec = props.get(key)
            if spec is not None:
                ftype = spec.get("type", "object" if "properties" in spec else None)
                if ftype in OBJECT_TYPES or ftype is None:
                    if spec.get("enabled", True) is False or ftype == "flattened":
                        continue
                    child_dynamic = str(spec.get("dynamic", dynamic)).lower()
                    sub_add: dict[str, Any] = additions.get(key, {}).get("properties", {})
                    for item in _objects_in(value):
                        self._dynamic_walk(item, spec.get("properties", {}), sub_add,
                                           prefix + key + ".", child_dynamic, root)
                    if sub_add:
                        additions[key] = {"properties": sub_add}
                elif "copy_to" in spec:
                    self._copy_to_unmapped(spec, value, dynamic, root)
                continue
            if dynamic == "strict":
                raise StrictDynamicMapping(
                    f"mapping set to strict, dynamic introduction of [{key}] within "
                    f"[{prefix.rstrip('.') or '_doc'}] is not allowed")
            if dynamic == "runtime":
                self._runtime_guess(prefix + key, value, root)
                continue
            if dynamic == "false":
                continue
            guessed = self._guess(value)
            if guessed is None:
                continue
            if guessed.get("type") == "object":
                nested_add: dict[str, Any] = additions.get(key, {}).get("properties", {})
                for item in _objects_in(value):
                    self._dynamic_walk(item, {}, nested_add, prefix + key + ".", dynamic, root)
                existing = additions.get(key)
                if existing is None or "type" not in existing:
                    additions[key] = {"properties": nested_add}
            elif key not in additions:
                additions[key] = guessed

    def _guess(self, value: Any) -> dict[str, Any] | None:
        """ES default dynamic mapping for one JSON value."""
        if isinstance(value, list):
            for item in value:
                if item is not None:
                    return self._guess(item)
            return None
        if isinstance(value, bool):
            return {"type": "boolean"}
        if isinstance(value, int):
            return {"type": "long"}
        if isinstance(value, float):
            return {"type": "float"}
        if isinstance(value, dict):
            return {"type": "object"}
        if isinstance(value, str):
            if self.date_detection and is_date_string(value):
                return {"type": "date"}
            return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
        return None


@dataclass
class _Update:
    """What dynamic mapping adds for one document: mapped fields and runtime fields."""

    properties: dict[str, Any]
    runtime: dict[str, Any]


@dataclass(frozen=True)
class MappingLimits:
    """``index.mapping.*.limit`` values of one index (see engine/settings.py ``LIMITS``)."""

    total_fields: int = 1000
    depth: int = 20
    field_name_length: int = 2**63 - 1
    nested_fields: int = 50


def check_mapping_limits(body: dict[str, Any], limits: MappingLimits) -> None:
    """Refuse a mapping body over ES's limits, with ES's ``illegal_argument_exception``s.

    It reads the raw body in a loop, not recursion, and stops at the first excess, so it runs
    before anything recursive (deep copy, validation, merging) sees a body of any depth: a
    refused mapping leaves the index's mapping, schema and splits as they were. Counted as ES's
    ``MappingLookup.checkLimits`` does: every object and leaf field, multi-fields included;
    an object's depth is its number of dots plus 2; a name is its last path segment.
    """
    body = unwrap_type_name(body) if isinstance(body, dict) else {}
    properties = body.get("properties")
    stack: list[tuple[str, Any]] = [("", properties)] if isinstance(properties, dict) else []
    total = nested = 0
    while stack:
        prefix, props = stack.pop()
        for name, spec in props.items():
            path = f"{prefix}{name}"
            if len(name) > limits.field_name_length:
                raise IllegalArgument(f"Field name [{name}] is longer than the limit of "
                                      f"[{limits.field_name_length}] characters")
            total += 1
            if total > limits.total_fields:
                raise IllegalArgument(f"Limit of total fields [{limits.total_fields}] has "
                                      f"been exceeded")
            if not isinstance(spec, dict):
                continue
            children = spec.get("properties")
            if spec.get("type") == "nested":
                nested += 1
                if nested > limits.nested_fields:
                    raise IllegalArgument(f"Limit of nested fields [{limits.nested_fields}] "
                                          f"has been exceeded")
            if spec.get("type", "object") in OBJECT_TYPES:
                if path.count(".") + 2 > limits.depth:
                    raise IllegalArgument(f"Limit of mapping depth [{limits.depth}] has been "
                                          f"exceeded due to object field [{path}]")
            else:
                children = spec.get("fields")
            if isinstance(children, dict):
                stack.append((path + ".", children))


def _objects_in(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _analyzer_named(name: Any, analysis: IndexAnalysis) -> Analyzer:
    try:
        found = analysis.analyzer(str(name))
    except IllegalArgument as refused:  # a built-in ES analyzer Loghaven cannot reproduce
        raise MapperParsing(f"Failed to parse mapping [_doc]: {refused.reason}", caused_by={
            "type": "illegal_argument_exception", "reason": refused.reason}) from refused
    if found is None:
        reason = f"analyzer [{name}] has not been configured in mappings"
        raise MapperParsing(f"Failed to parse mapping [_doc]: {reason}", caused_by={
            "type": "illegal_argument_exception", "reason": reason})
    return found


def _text_analyzers(path: str, spec: dict[str, Any], analysis: IndexAnalysis
                    ) -> tuple[Analyzer | None, Analyzer | None, Analyzer | None]:
    """A text field's index, search and quote analyzers, as ES picks them: the field's own,
    else the index's ``default``/``default_search``/``default_search_quote``, else
    ``standard`` (None: the engine's own fast path)."""
    leaf = path.rsplit(".", 1)[-1]
    reason = None
    if "search_quote_analyzer" in spec and not {"analyzer", "search_analyzer"} <= set(spec):
        reason = (f"analyzer and search_analyzer on field [{leaf}] must be set when "
                  f"search_quote_analyzer is set")
    elif "search_analyzer" in spec and "analyzer" not in spec:
        reason = f"analyzer on field [{leaf}] must be set when search_analyzer is set"
    if reason is not None:
        raise MapperParsing(f"Failed to parse mapping [_doc]: {reason}", caused_by={
            "type": "mapper_parsing_exception", "reason": reason})
    if "analyzer" in spec:
        index = _analyzer_named(spec["analyzer"], analysis)
    else:
        index = analysis.analyzer("default") if analysis.custom else None
        index = index or _analyzer_named("standard", analysis)
    if "search_analyzer" in spec:
        search = _analyzer_named(spec["search_analyzer"], analysis)
    else:
        search = (analysis.analyzer("default_search") if analysis.custom else None) or index
    if "search_quote_analyzer" in spec:
        quote = _analyzer_named(spec["search_quote_analyzer"], analysis)
    else:
        quote = (analysis.analyzer("default_search_quote") if analysis.custom else None) \
            or search

    def engine(analyzer: Analyzer) -> Analyzer | None:
        return None if analyzer.engine_standard else analyzer

    return engine(index), engine(search), engine(quote)


def _with_gap(path: str, spec: dict[str, Any], analysis: IndexAnalysis,
              analyzers: tuple[Analyzer | None, ...]) -> tuple[Analyzer | None, ...]:
    """``position_increment_gap`` of a text field: the gap between its array's values. A field
    on the default ``standard`` analyzer then takes the Python path, where gaps are exact."""
    try:
        gap = int(spec["position_increment_gap"])
    except (TypeError, ValueError):
        gap = -1
    if gap < 0:
        raise MapperParsing(f"[positions_increment_gap] for field [{path}] cannot be negative")
    index = analyzers[0] or _analyzer_named("standard", analysis)
    return (dataclasses.replace(index, position_gap=gap, engine_standard=False),
            *analyzers[1:])


def _field_info(path: str, ftype: str, spec: dict[str, Any], analysis: IndexAnalysis,
                parent: str | None = None) -> FieldInfo:
    subs = []
    for sub_name, sub_spec in (spec.get("fields") or {}).items():
        sub_type = sub_spec.get("type", "object")
        subs.append(_field_info(f"{path}.{sub_name}", sub_type, sub_spec, analysis,
                                parent=path))
    normalizer_name = spec.get("normalizer")
    normalizer = None
    if normalizer_name is not None and KINDS.get(ftype) == "keyword":
        normalizer = analysis.normalizer(str(normalizer_name))
        if normalizer is None:
            raise MapperParsing(f"normalizer [{normalizer_name}] not found for field "
                                f"[{path.rsplit('.', 1)[-1]}]")
    analyzers: tuple[Analyzer | None, ...] = (None, None, None)
    if KINDS.get(ftype) == "text":
        analyzers = _text_analyzers(path, spec, analysis)
        if "position_increment_gap" in spec:
            analyzers = _with_gap(path, spec, analysis, analyzers)
    kind = KINDS[ftype]
    doc_values = spec.get("doc_values", True) is not False and kind not in ("text", "binary")
    copy_to = spec.get("copy_to") or ()
    return FieldInfo(
        path=path,
        type=ftype,
        kind=kind,
        indexed=(spec.get("index", True) is not False or doc_values) and ftype != "binary",
        doc_values=doc_values,
        copy_to=(copy_to,) if isinstance(copy_to, str) else tuple(copy_to),
        ignore_above=spec.get("ignore_above"),
        lowercase=normalizer_name == "lowercase" and normalizer is not None
        and normalizer.name == "lowercase" and not analysis.definitions["normalizer"].get(
            "lowercase"),
        date_format=spec.get("format", DEFAULT_DATE_FORMAT),
        null_value=spec.get("null_value"),
        scaling_factor=spec.get("scaling_factor"),
        multi_fields=tuple(subs),
        analyzer=analyzers[0],
        search_analyzer=analyzers[1],
        search_quote_analyzer=analyzers[2],
        normalizer=normalizer,
        fielddata=KINDS.get(ftype) == "text" and spec.get("fielddata") is True,
    )


#: The suffix of the fast column that holds a ``fielddata`` text field's tokens.
FIELDDATA_SUFFIX = "#fielddata"
#: ... and of the one that holds each document's greatest token (descending sorts).
FIELDDATA_MAX_SUFFIX = "#fielddata_max"


def fielddata_field(info: FieldInfo, *, greatest: bool = False) -> FieldInfo:
    """The column a ``fielddata: true`` text field's aggregations and sorting read: its
    analysed tokens, one value each, as a keyword field would hold them.

    ES loads field data by uninverting the inverted index on first use; tantivy-py cannot
    list a document's terms, so the tokens are written at indexing time instead (documents
    indexed before ``fielddata`` was turned on have none). A sort reads a column's first
    value: the tokens are kept in order, so that an ascending sort reads each document's least
    one (ES's ``min``); ``greatest`` is the column of each document's greatest token alone,
    which a descending sort reads (ES's ``max``)."""
    suffix = FIELDDATA_MAX_SUFFIX if greatest else FIELDDATA_SUFFIX
    return FieldInfo(path=info.path + suffix, type="keyword", kind="keyword")


#: The suffixes of the fast columns that hold, on a root document, the least and greatest
#: value of a nested object's field among all its objects (a sort with ``nested`` reads them).
NESTED_MIN_SUFFIX = "#nested_min"
NESTED_MAX_SUFFIX = "#nested_max"
_NESTED_SORTABLE = frozenset({"long", "double", "date", "keyword", "boolean"})


def nested_sort_fields(info: FieldInfo) -> tuple[FieldInfo, ...]:
    """The columns a sort on the nested field ``info`` reads (its least and greatest value
    per root document), or none for a field that is not a sortable nested one.

    ES sorts a parent by its objects' values through the block join at search time; tantivy
    can only sort by a column of the hit itself, so the values a sort's ``mode: min`` and
    ``max`` (ES's defaults for ascending and descending) need are written on the root
    document when it is indexed."""
    if info.nested is None or not info.doc_values or info.kind not in _NESTED_SORTABLE \
            or not info.indexed:
        return ()
    return tuple(dataclasses.replace(info, path=info.path + suffix, nested=None,
                                     multi_fields=(), copy_to=())
                 for suffix in (NESTED_MIN_SUFFIX, NESTED_MAX_SUFFIX))


def _validate_properties(properties: dict[str, Any], prefix: str) -> None:
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if not isinstance(spec, dict):
            raise MapperParsing(f"Expected map for property [fields] on field [{path}] but got a "
                                f"class java.lang.String")
        ftype = spec.get("type")
        if ftype is None or ftype in OBJECT_TYPES:
            if ftype == "nested":
                for flag in ("include_in_parent", "include_in_root"):
                    if flag in spec and not isinstance(spec[flag], bool):
                        raise MapperParsing(f"Failed to parse mapping [_doc]: [{flag}] on "
                                            f"field [{path}] must be a boolean")
            children = spec.get("properties", {}) or {}
            if not isinstance(children, dict):
                raise MapperParsing(f"[properties] of field [{path}] must be an object")
            _validate_properties(children, path + ".")
            continue
        if ftype not in KINDS:
            raise MapperParsing(f"No handler for type [{ftype}] declared on field [{name}]")
        if ftype == "scaled_float" and "scaling_factor" not in spec:
            raise MapperParsing(f"Failed to parse mapping: Field [scaling_factor] is required "
                                f"for field [{path}]")
        if "format" in spec:
            try:
                get_format(spec["format"])
            except ValueError as exc:
                raise MapperParsing(f"Invalid format: [{spec['format']}]: {exc}") from exc
        if spec.get("null_value") is not None:
            _check_null_value(path, ftype, spec)
        copy_to = spec.get("copy_to")
        if copy_to is not None and not (isinstance(copy_to, str) or (
                isinstance(copy_to, list) and all(isinstance(t, str) for t in copy_to))):
            raise MapperParsing(f"Failed to parse mapping [_doc]: [copy_to] of field [{path}] "
                                f"must be a field name or a list of field names")
        for sub_name, sub_spec in (spec.get("fields") or {}).items():
            if isinstance(sub_spec, dict) and "copy_to" in sub_spec:
                raise MapperParsing(f"Failed to parse mapping [_doc]: [copy_to] may not be used "
                                    f"to copy from a multi-field: [{path}.{sub_name}]")
            _validate_properties({sub_name: sub_spec}, path + ".")


def _check_null_value(path: str, ftype: str, spec: dict[str, Any]) -> None:
    """ES: "The null_value needs to be the same data type as the field"."""
    value, kind = spec["null_value"], KINDS[ftype]
    try:
        if kind in ("long", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError(f"[{value}] is not a number")
            float(value)
        elif kind == "boolean" and value not in (True, False, "true", "false"):
            raise ValueError(f"Failed to parse value [{value}] as only [true] or [false] are "
                             f"allowed.")
        elif kind == "date":
            get_format(spec.get("format", DEFAULT_DATE_FORMAT)).parse(value)
        elif kind in ("keyword", "ip") and isinstance(value, (dict, list)):
            raise ValueError("expected a single value")
    except (ValueError, TypeError) as exc:
        reason = str(exc) if kind != "long" and kind != "double" else \
            f"For input string: \"{value}\""
        raise MapperParsing(f"Failed to parse mapping [_doc]: {reason}", caused_by={
            "type": "number_format_exception" if kind in ("long", "double")
            else "illegal_argument_exception", "reason": reason}) from exc


def field_name_error(name: str, at_root: bool = False) -> str | None:
    """Why ES refuses ``name`` as a field name (empty, only dots, an empty path segment), or None.

    Such a name would become an empty or ambiguous tantivy field path. A top-level name may
    not start with ``-`` either (ES allows it): tantivy refuses such a field path, by a panic.
    """
    if name == "":
        return "field name cannot be an empty string"
    if at_root and name.startswith("-"):
        return (f"field name [{name}] cannot start with [-] at the top level of a document "
                f"(a limit of Loghaven's storage)")
    if "." in name:
        parts = name.split(".")
        if not any(parts):
            return "field name cannot contain only dots"
        if not all(parts):
            return (f"object field starting or ending with a [.] makes object resolution "
                    f"ambiguous: [{name}]")
    return None


def validate_field_names(properties: dict[str, Any], prefix: str = "") -> None:
    """Refuse a mapping with an empty, dotted-empty or metadata field name, as ES does.

    Runs before anything is stored, so such a mapping never reaches the metastore (where it
    would make the index unopenable: tantivy refuses a second ``_id`` field).
    """
    for name, spec in properties.items():
        reason = field_name_error(name, at_root=not prefix)
        if reason is not None:
            raise MapperParsing(f"Failed to parse mapping [_doc]: {reason}", caused_by={
                "type": "illegal_argument_exception", "reason": reason})
        path = f"{prefix}{name}"
        if path in METADATA_FIELDS:
            raise MapperParsing(f"Field [{path}] is defined more than once")
        if isinstance(spec, dict):
            for key in ("properties", "fields"):
                children = spec.get(key)
                if isinstance(children, dict):
                    validate_field_names(children, path + ".")


#: Parameters a mapping update may not change (ES: even on a closed index); an update that
#: leaves one out asks for its default, which is a change too.
_FIXED_PARAMETERS = {"text": ("analyzer",), "keyword": ("normalizer",)}


def _merge_properties(target: dict[str, Any], update: dict[str, Any], prefix: str) -> None:
    for name, spec in update.items():
        path = f"{prefix}{name}"
        current = target.get(name)
        if current is None:
            target[name] = spec
            continue
        old_type = current.get("type", "object")
        # properties without a type add to an object as it is (dynamic updates send those)
        new_type = spec.get("type", "nested" if old_type == "nested" else "object")
        if old_type == "object" and new_type == "nested":
            raise IllegalArgument(f"can't merge a non-nested mapping [{path}] with a nested "
                                  f"mapping")
        if old_type == "nested" and new_type == "object":
            raise IllegalArgument(f"can't merge a nested mapping [{path}] with a non-nested "
                                  f"mapping")
        if old_type != new_type:
            raise IllegalArgument(
                f"mapper [{path}] cannot be changed from type [{old_type}] to [{new_type}]")
        for fixed in _FIXED_PARAMETERS.get(KINDS.get(str(old_type), ""), ()):
            before, after = current.get(fixed, "default"), spec.get(fixed, "default")
            if before != after:
                raise IllegalArgument(f"Mapper for [{path}] conflicts with existing mapper:\n\t"
                                      f"Cannot update parameter [{fixed}] from [{before}] to "
                                      f"[{after}]")
        if "properties" in spec:
            _merge_properties(current.setdefault("properties", {}), spec["properties"], path + ".")
        if "fields" in spec:
            _merge_properties(current.setdefault("fields", {}), spec["fields"], path + ".")
        for key, value in spec.items():
            if key not in ("properties", "fields", "type"):
                current[key] = value
