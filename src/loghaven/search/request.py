"""The search request, parsed once from the body and the URL parameters into typed fields.

Everything downstream (root, leaf, highlight) reads :class:`SearchRequest`; nothing else looks
at the raw body. URL parameters win over the body, as in Elasticsearch's ``RestSearchAction``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from loghaven.engine.dates import get_format, parse_duration_ms
from loghaven.engine.runtime import RuntimeField, parse_runtime
from loghaven.errors import ActionRequestValidation, IllegalArgument, ParsingError
from loghaven.params import expect_string, parse_bool, parse_int, token_name
from loghaven.search.source_filter import SourceFilter

DEFAULT_SIZE = 10
DEFAULT_TRACK_TOTAL_HITS = 10_000

#: Body keys Elasticsearch has but Loghaven does not implement (a 400 rather than silence).
_UNSUPPORTED_KEYS = frozenset({
    "rescore", "script_fields", "suggest", "indices_boost", "min_score", "slice",
    "knn", "search_pipeline",
})
_KNOWN_KEYS = frozenset({
    "query", "post_filter", "size", "from", "sort", "_source", "track_total_hits",
    "track_scores", "search_after", "fields", "docvalue_fields", "stored_fields", "highlight",
    "aggs", "aggregations", "version", "seq_no_primary_term", "profile", "pit", "timeout",
    "explain", "terminate_after", "stats", "ext", "collapse", "runtime_mappings",
})
#: What an ``inner_hits`` of ``collapse`` may hold (ES's inner hits options Loghaven runs).
_INNER_HITS_KEYS = frozenset({
    "name", "size", "from", "sort", "_source", "fields", "docvalue_fields", "highlight",
    "version", "seq_no_primary_term", "explain", "track_scores", "stored_fields",
})


@dataclass(frozen=True)
class SortKey:
    """One sort criterion: a field path, ``_score`` or ``_doc``."""

    field: str
    order: str
    missing: Any = "_last"
    unmapped_type: str | None = None
    format: str | None = None
    mode: str | None = None
    #: ``nested.path``: the nested object whose values sort the documents.
    nested: str | None = None

    @property
    def desc(self) -> bool:
        return self.order == "desc"


@dataclass(frozen=True)
class FieldSpec:
    """An entry of ``fields`` / ``docvalue_fields``: a name or pattern and a date format."""

    pattern: str
    format: str | None = None


@dataclass(frozen=True)
class InnerHits:
    """One ``collapse.inner_hits`` entry: each group's own hits, as a search of their own."""

    name: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Collapse:
    """``collapse``: one hit per value of ``field`` (the top one by the request's sort)."""

    field: str
    inner_hits: tuple[InnerHits, ...] = ()


@dataclass
class SearchRequest:
    """A parsed ``_search`` body with its URL parameters applied."""

    query: dict[str, Any] | None = None
    post_filter: dict[str, Any] | None = None
    size: int = DEFAULT_SIZE
    from_: int = 0
    sort: list[SortKey] = field(default_factory=list)
    source: SourceFilter = field(default_factory=SourceFilter)
    #: ``True`` (exact), ``False`` (no total) or the count up to which the total is exact.
    track_total_hits: bool | int = DEFAULT_TRACK_TOTAL_HITS
    track_scores: bool = False
    search_after: list[Any] | None = None
    fields: list[FieldSpec] = field(default_factory=list)
    docvalue_fields: list[FieldSpec] = field(default_factory=list)
    highlight: dict[str, Any] | None = None
    aggs: dict[str, Any] | None = None
    version: bool = False
    seq_no_primary_term: bool = False
    explain: bool = False
    profile: bool = False
    pit_id: str | None = None
    pit_keep_alive_ms: int | None = None
    scroll_ms: int | None = None
    total_as_int: bool = False
    #: ``timeout``: past it, the search answers with the splits searched so far.
    timeout_ms: int | None = None
    collapse: Collapse | None = None
    #: ``runtime_mappings``: fields computed for this search (over the mappings' own).
    runtime: dict[str, RuntimeField] = field(default_factory=dict)


def parse_search_request(body: dict[str, Any], params: Mapping[str, str]) -> SearchRequest:
    """A :class:`SearchRequest` from a JSON body and URL parameters; 400 on what ES refuses."""
    if "collapse" in body and "rescore" in body:
        raise IllegalArgument("cannot use `collapse` in conjunction with `rescore`")
    for key, value in body.items():
        if key in _UNSUPPORTED_KEYS:
            raise IllegalArgument(f"[{key}] is not supported by Loghaven")
        if key not in _KNOWN_KEYS:
            raise ParsingError(f"Unknown key for a {token_name(value)} in [{key}].")
    request = SearchRequest(
        query=_object(body, "query"),
        post_filter=_object(body, "post_filter"),
        size=parse_int(params.get("size", body.get("size", DEFAULT_SIZE)), "size"),
        from_=parse_int(params.get("from", body.get("from", 0)), "from"),
        sort=parse_sort(params["sort"] if "sort" in params else body.get("sort")),
        track_scores=parse_bool(params.get("track_scores", body.get("track_scores", False)),
                           "track_scores"),
        search_after=_search_after(body.get("search_after")),
        fields=field_specs(body.get("fields"), "fields"),
        docvalue_fields=field_specs(params.get("docvalue_fields", body.get("docvalue_fields")),
                                     "docvalue_fields"),
        highlight=_object(body, "highlight"),
        aggs=_object(body, "aggs") or _object(body, "aggregations"),
        version=parse_bool(params.get("version", body.get("version", False)), "version"),
        seq_no_primary_term=parse_bool(params.get("seq_no_primary_term",
                                             body.get("seq_no_primary_term", False)),
                                  "seq_no_primary_term"),
        explain=parse_bool(params.get("explain", body.get("explain", False)), "explain"),
        profile=parse_bool(body.get("profile", False), "profile"),
        total_as_int=parse_bool(params.get("rest_total_hits_as_int", False),
                           "rest_total_hits_as_int"),
    )
    # ``terminate_after`` is validated only: every split is searched to the end.
    if ("terminate_after" in body or "terminate_after" in params) and parse_int(
            params.get("terminate_after", body.get("terminate_after")), "terminate_after") < 0:
        raise IllegalArgument("terminateAfter must be > 0")
    if request.size < 0:
        raise IllegalArgument(f"[size] parameter cannot be negative, found [{request.size}]")
    if request.from_ < 0:
        raise IllegalArgument(f"[from] parameter cannot be negative, found [{request.from_}]")
    request.track_total_hits = _track_total_hits(
        params.get("track_total_hits", body.get("track_total_hits", DEFAULT_TRACK_TOTAL_HITS)))
    if "q" in params:
        request.query = _q_param(params)
    request.source = _source_filter(body, params)
    if "timeout" in params or "timeout" in body:
        request.timeout_ms = _duration(params.get("timeout", body.get("timeout")), "timeout")
    if "scroll" in params:
        request.scroll_ms = _duration(params["scroll"], "scroll")
    pit = body.get("pit")
    if pit is not None:
        if not isinstance(pit, dict) or "id" not in pit:
            raise ParsingError("[pit] requires an [id]")
        request.pit_id = str(pit["id"])
        if "keep_alive" in pit:
            request.pit_keep_alive_ms = _duration(pit["keep_alive"], "keep_alive")
    if "collapse" in body:
        request.collapse = _collapse(body, request)
    request.runtime = parse_runtime(body.get("runtime_mappings"), mapping_error=False)
    if request.search_after is not None and request.sort == [] and request.pit_id is None:
        raise IllegalArgument("Sort must contain at least one field.")
    return request


def _collapse(body: dict[str, Any], request: SearchRequest) -> Collapse:
    """``collapse`` with ES's refusals (the ``x_content_parse_exception`` ones as 400s)."""
    spec = body["collapse"]
    if not isinstance(spec, dict):
        raise ParsingError("[collapse] must be an object")
    for key in spec:
        if key not in ("field", "inner_hits", "max_concurrent_group_searches"):
            raise ParsingError(f"[collapse] unknown field [{key}]")
    if request.scroll_ms is not None:
        raise ActionRequestValidation("Validation Failed: 1: cannot use `collapse` in a scroll "
                                      "context;")
    if request.search_after is not None:
        raise IllegalArgument("cannot use `collapse` in conjunction with `search_after`")
    name = spec.get("field")
    if name is None:
        raise IllegalArgument("no collapse field specified")
    expect_string(name, "field", "collapse")
    if "max_concurrent_group_searches" in spec and parse_int(
            spec["max_concurrent_group_searches"], "max_concurrent_group_searches") < 1:
        raise ParsingError("[collapse] failed to parse field [max_concurrent_group_searches]",
                           caused_by={"type": "illegal_argument_exception",
                                      "reason": "maxConcurrentGroupRequests` must be positive"})
    raw = spec.get("inner_hits")
    items = [] if raw is None else raw if isinstance(raw, list) else [raw]
    inner: list[InnerHits] = []
    for item in items:
        if not isinstance(item, dict):
            raise ParsingError("[inner_hits] must be an object or an array of objects")
        for key in item:
            if key not in _INNER_HITS_KEYS:
                raise ParsingError(f"[inner_hits] unknown field [{key}]")
        hits_name = str(item.get("name", name))
        if any(other.name == hits_name for other in inner):
            raise IllegalArgument(f"[inner_hits] already contains an entry for key "
                                  f"[{hits_name}]")
        inner_body = {k: v for k, v in item.items() if k != "name"}
        inner_body.setdefault("size", 3)
        inner.append(InnerHits(hits_name, inner_body))
    return Collapse(name, tuple(inner))


def parse_sort(spec: Any) -> list[SortKey]:
    """``sort`` as ES accepts it: ``"f"``, ``"f:desc,g"`` (URL), ``{"f": "desc"}``,
    ``{"f": {"order": ..., "missing": ..., "unmapped_type": ..., "format": ...}}`` or a list."""
    if spec is None:
        return []
    if isinstance(spec, str) and "," in spec:
        spec = spec.split(",")
    items = spec if isinstance(spec, list) else [spec]
    keys: list[SortKey] = []
    for item in items:
        if isinstance(item, str):
            name, _, order = item.partition(":")
            keys.append(_sort_key(name.strip(), {"order": order} if order else {}))
        elif isinstance(item, dict) and len(item) == 1:
            (name, options), = item.items()
            if isinstance(options, str):
                options = {"order": options}
            if not isinstance(options, dict):
                raise ParsingError(f"[sort] malformed for field [{name}]")
            keys.append(_sort_key(name, options))
        else:
            raise ParsingError("[sort] expects a field name, an object with one field, or an "
                               "array of those")
    return keys


def _sort_key(name: str, options: dict[str, Any]) -> SortKey:
    allowed = {"order", "missing", "unmapped_type", "format", "mode", "numeric_type", "nested"}
    for key in ("nested_path", "nested_filter"):
        if key in options:
            raise IllegalArgument(f"[{key}] in a sort on [{name}] was removed in ES 7: give "
                                  f"[nested] with its [path]")
    nested = options.get("nested")
    if nested is not None:
        if not isinstance(nested, dict) or not isinstance(nested.get("path"), str):
            raise ParsingError(f"[nested] in a sort on [{name}] needs a [path]")
        unsupported = sorted(set(nested) - {"path"})
        if unsupported:
            raise IllegalArgument(f"[nested] option [{unsupported[0]}] in a sort on [{name}] "
                                  f"is not supported by Loghaven (only [path])")
    for key in options:
        if key not in allowed:
            raise ParsingError(f"[field_sort] unknown field [{key}]")
    for key in ("order", "missing", "unmapped_type", "mode", "numeric_type"):
        if key in options:
            expect_string(options[key], key, "field_sort")
    if options.get("mode") not in (None, "min", "max", "sum", "avg", "median"):
        raise IllegalArgument(f"Unknown SortMode [{options['mode']}]")
    default = "desc" if name == "_score" else "asc"
    order = str(options.get("order") or default).lower()
    if order not in ("asc", "desc"):
        raise ParsingError(f"[sort] unknown order [{order}] for field [{name}]; use [asc] or "
                           f"[desc]")
    return SortKey(name, order, options.get("missing", "_last"), options.get("unmapped_type"),
                   _date_format(options.get("format")), options.get("mode"),
                   nested["path"] if nested is not None else None)


def _object(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise ParsingError(f"[{key}] query malformed, no start_object after query name")
    return value


def _track_total_hits(value: Any) -> bool | int:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise IllegalArgument(f"Failed to parse value [{value}] for [track_total_hits]") from exc
    if number < -1:
        raise IllegalArgument(f"[track_total_hits] parameter must be positive or equals to -1, "
                              f"got {number}")
    return False if number == -1 else number


def _search_after(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ParsingError("[search_after] must be an array of sort values")
    for item in value:
        if isinstance(item, (dict, list)):
            raise ParsingError(f"Expected [VALUE_STRING] or [VALUE_NUMBER] or [VALUE_BOOLEAN] or "
                               f"[VALUE_NULL] but found [{token_name(item)}] inside search_after.")
        if isinstance(item, int) and not isinstance(item, bool):
            parse_int(item, "search_after")
    return value


def field_specs(value: Any, name: str) -> list[FieldSpec]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise ParsingError(f"[{name}] must be an array")
    specs = []
    for item in value:
        if isinstance(item, str):
            specs.append(FieldSpec(item))
        elif isinstance(item, dict) and "field" in item:
            specs.append(FieldSpec(str(item["field"]), _date_format(item.get("format"))))
        else:
            raise ParsingError(f"[{name}] entries must be a field name or {{\"field\": ...}}")
    return specs


def _date_format(value: Any) -> str | None:
    """A ``format`` for date values, checked now rather than when hits are rendered."""
    if value is None or value == "use_field_mapping":
        return None
    try:
        get_format(str(value))
    except ValueError as exc:
        raise IllegalArgument(f"Invalid format: [{value}]: {exc}") from exc
    return str(value)


def _source_filter(body: dict[str, Any], params: Mapping[str, str]) -> SourceFilter:
    if any(p in params for p in ("_source", "_source_includes", "_source_excludes",
                                 "_source_include", "_source_exclude")):
        return SourceFilter.from_params(params)
    if body.get("stored_fields") == "_none_" or params.get("stored_fields") == "_none_":
        return SourceFilter(enabled=False)
    return SourceFilter.from_spec(body.get("_source"))


def _duration(value: Any, name: str) -> int:
    try:
        return parse_duration_ms(value, name)
    except ValueError as exc:
        raise IllegalArgument(str(exc)) from exc


def _q_param(params: Mapping[str, str]) -> dict[str, Any]:
    """The ``q=`` URL parameter as the ``query_string`` query it stands for."""
    body: dict[str, Any] = {"query": params["q"],
                            "default_field": params.get("df", "*"),
                            "default_operator": params.get("default_operator", "OR")}
    for name in ("analyze_wildcard", "lenient"):
        if name in params:
            body[name] = parse_bool(params[name], name)
    if "analyzer" in params:
        body["analyzer"] = params["analyzer"]
    return {"query_string": body}
