"""Elasticsearch query DSL → a tantivy query for one split.

:func:`compile_query` is the one entry point (the search root, ``_count``, ``_delete_by_query``
and the aggregations' ``filter``/``filters`` all call it). A query is compiled per split
because each split's schema may lack fields that the mapping gained later: a clause on such a
field matches nothing there, exactly as a field that is not mapped at all (ES behaviour).

How values meet fields (the mapping decides, per field kind):

* text — analysed with the field's analyzer (our ``standard``) for full-text clauses; term-level
  clauses (``term``, ``prefix``, ``wildcard``...) use the value as given (lowercased for the
  multi-term ones, as ES normalises them).
* keyword — one exact term; lowercased when the field has ``normalizer: lowercase``.
* long / double / date / boolean / ip — parsed; dates with the field's (or the clause's)
  ``format``, ``time_zone`` and date math, a date term covering the whole unit it names, as in ES.

:func:`time_bounds` reads the date ranges a query *requires*, so the root can skip splits whose
time range cannot match (ES's ``can_match`` phase).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import tantivy

from loghaven.engine import words
from loghaven.engine.dates import DateFormat, get_format, parse_date_math
from loghaven.engine.mapping import FieldInfo, Mapping
from loghaven.engine.schema import ANALYZERS, ID
from loghaven.engine.split import Split
from loghaven.errors import IllegalArgument, LoghavenError, ParsingError
from loghaven.params import token_name
from loghaven.search.limits import (
    LIMITS,
    query_too_deep,
    too_many_clauses,
    too_many_nested_clauses,
)
from loghaven.search.lucene import query_string_to_dsl, simple_query_string_to_dsl

__all__ = [
    "QueryShardError", "all_of", "any_of", "as_filter", "compile_query", "regex_after",
    "regex_before", "time_bounds",
]

Query = tantivy.Query
Occur = tantivy.Occur
FieldType = tantivy.FieldType

#: Field kinds a ``*`` pattern (``query_string`` default field, ``multi_match``) expands to.
_SEARCHABLE_KINDS = frozenset({"text", "keyword", "long", "double", "date", "boolean", "ip"})
#: Clauses Elasticsearch has that Loghaven does not: a clear 400 rather than "unknown query".
_UNSUPPORTED = frozenset({
    "nested", "has_child", "has_parent", "parent_id", "geo_bounding_box", "geo_distance",
    "geo_polygon", "geo_shape", "shape", "script", "script_score", "function_score",
    "more_like_this", "percolate", "rank_feature", "distance_feature", "wrapper", "pinned",
    "span_term", "span_near", "span_or", "span_not", "span_first", "span_multi",
    "span_containing", "span_within", "field_masking_span", "intervals", "knn", "neural",
    "combined_fields",
})
#: The clauses :class:`_Compiler` implements, each by the method of the same name.
_CLAUSES = frozenset({
    "match_all", "match_none", "match", "match_phrase", "match_phrase_prefix",
    "match_bool_prefix", "multi_match", "query_string", "simple_query_string", "term", "terms",
    "terms_set", "range", "exists", "prefix", "wildcard", "regexp", "fuzzy", "ids", "bool",
    "constant_score", "dis_max", "boosting",
})
#: Clauses that hold other clauses (not counted against maxClauseCount themselves).
_COMPOUND = frozenset({"bool", "constant_score", "dis_max", "boosting", "query_string",
                       "simple_query_string"})
_LONG_MAX = 2**63 - 1
_LONG_MIN = -(2**63)


class QueryShardError(LoghavenError):
    """A well-formed clause that cannot run on a field (bad value, wrong field type)."""

    type = "query_shard_exception"
    status = 400


# --- public API ---------------------------------------------------------------------------


def compile_query(query: dict[str, Any] | None, split: Split | None, mapping: Mapping, *,
                  now_ms: int, index_name: str | None = None,
                  max_terms_count: int = 65_536) -> tantivy.Query:
    """The tantivy query for an ES query dict on ``split`` (``None`` query: match all).

    ``split`` may be ``None`` to only validate a query (every field then counts as absent).
    ``now_ms`` anchors date math (``now-15m``); ``index_name`` answers ``_index`` clauses;
    ``max_terms_count`` is the index's ``index.max_terms_count``. The query's nesting and
    clause count are bounded by ``indices.query.bool.*`` (search/limits.py). Raises ``ParsingError`` (400 ``parsing_exception``) for malformed or unknown clauses and
    :class:`QueryShardError` for values a field cannot take.
    """
    try:
        return _Compiler(split, mapping, now_ms, index_name, max_terms_count).compile(query)
    except (ValueError, TypeError) as exc:  # a malformed option value: 5 for a string, "x"
        raise ParsingError(f"failed to parse query: {exc}") from exc


def time_bounds(query: dict[str, Any] | None, mapping: Mapping,
                now_ms: int) -> dict[str, tuple[int, int]]:
    """Inclusive ``[low, high]`` epoch-millis bounds that every match must satisfy, per date
    field (from ``range`` clauses reached through ``must``/``filter``); empty when unknown."""
    try:
        return _bounds(query, mapping, now_ms)
    except (LoghavenError, ValueError, TypeError, AttributeError):
        return {}


# --- small helpers --------------------------------------------------------------------------


def _single(clause: Any, context: str = "query") -> tuple[str, Any]:
    """The one ``{name: body}`` pair of a clause object, as ES insists."""
    if not isinstance(clause, dict):
        raise ParsingError(f"[{context}] query malformed, no start_object after query name")
    if len(clause) != 1:
        if not clause:
            raise ParsingError(f"query malformed, empty clause found in [{context}]")
        first, second = list(clause)[:2]
        raise ParsingError(f"[{first}] malformed query, expected [END_OBJECT] but found "
                           f"[FIELD_NAME] [{second}]")
    (name, body), = clause.items()
    return name, body


def _field_body(name: str, body: Any, value_key: str = "value") -> tuple[str, dict[str, Any]]:
    """``{field: value}`` or ``{field: {value_key: value, ...}}`` → (field, options)."""
    if not isinstance(body, dict):
        raise ParsingError(f"[{name}] query malformed, no start_object after query name")
    fields = [k for k in body if k not in ("boost", "_name")]
    if len(fields) != 1:
        if not fields:
            raise ParsingError(f"[{name}] query does not have a field")
        raise ParsingError(f"[{name}] query doesn't support multiple fields, found "
                           f"[{fields[0]}] and [{fields[1]}]")
    field = fields[0]
    spec = body[field]
    opts = dict(spec) if isinstance(spec, dict) else {value_key: spec}
    if "boost" in body:
        opts.setdefault("boost", body["boost"])
    return field, opts


def _check_keys(name: str, opts: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed_set = set(allowed) | {"boost", "_name"}
    for key in opts:
        if key not in allowed_set:
            raise ParsingError(f"[{name}] query does not support [{key}]")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(name: str, key: str, value: Any) -> str:
    """A clause option that ES reads as text (``parser.text()``): a string, number or boolean."""
    if isinstance(value, (dict, list)) or value is None:
        raise ParsingError(f"[{name}] unknown token [{token_name(value)}] after [{key}]")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _texts(name: str, key: str, value: Any) -> list[str]:
    """An option ES reads as a string or an array of them (``fields``, ``values``)."""
    return [_text(name, key, item) for item in _as_list(value)]


def _boost(query: Query, boost: Any) -> Query:
    factor = float(boost if boost is not None else 1.0)
    return query if factor == 1.0 else Query.boost_query(query, factor)


def as_filter(query: Query) -> Query:
    """A clause that restricts without scoring (bool ``filter``)."""
    return Query.const_score_query(query, 0.0)


def _bool_flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ParsingError(f"[{name}] failed to parse value [{value}] as only [true] or [false] "
                       f"are allowed.")


def minimum_should_match(spec: Any, clauses: int) -> int:
    """ES's ``minimum_should_match``: ``2``, ``-1``, ``75%``, ``-25%``, ``3<90%``, ``2<-25% 9<-3``."""
    text = _text("minimum_should_match", "minimum_should_match", spec).strip()
    if "<" in text:
        chosen = None
        for part in text.split():
            threshold, _, rule = part.partition("<")
            if clauses > int(threshold):
                chosen = rule
        if chosen is None:
            return clauses
        text = chosen
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            value = int(clauses * abs(percent) / 100)
            result = clauses - value if percent < 0 else value
        else:
            number = int(text)
            result = clauses + number if number < 0 else number
    except ValueError as exc:
        raise ParsingError(f"failed to parse minimum_should_match [{spec}]") from exc
    return max(result, 0)


def _edit_distance(fuzziness: Any, term: str) -> int:
    """ES ``fuzziness``: ``AUTO`` (by term length, ``AUTO:3,6``), or 0, 1, 2."""
    text = str(fuzziness).upper()
    if text.startswith("AUTO"):
        low, high = 3, 6
        if ":" in text:
            low_s, _, high_s = text[5:].partition(",")
            low, high = int(low_s), int(high_s)
        size = len(term)
        return 0 if size < low else 1 if size < high else 2
    try:
        distance = float(text)
    except ValueError as exc:
        raise ParsingError(f"failed to parse fuzziness [{fuzziness}]") from exc
    if distance not in (0, 1, 2):
        raise ParsingError(f"Valid edit distances are [0, 1, 2] but was [{fuzziness}]")
    return int(distance)


# --- regular expressions over terms ----------------------------------------------------------


def _literal(char: str) -> str:
    """One character as a literal in tantivy's (Rust) regex syntax."""
    return char if char.isalnum() and char.isascii() else f"\\x{{{ord(char):x}}}"


def _literals(text: str) -> str:
    return "".join(_literal(c) for c in text)


def _term_text(info: FieldInfo, value: Any) -> str:
    """A term-level query's value for a keyword or text field, as the field indexes it."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if info.lowercase:
        text = text.lower()
    return words.term_form(text) if info.kind == "text" else text


#: Each in-word joiner's literal → its marker's, for patterns over text fields' terms.
_JOINER_LITERALS = {_literal(joiner): _literal(marker)
                    for joiner, marker in words.MARKERS.items()}
_JOINER_LITERAL = re.compile("|".join(re.escape(lit) for lit in _JOINER_LITERALS))


def _index_literals(regex: str) -> str:
    """A pattern built from :func:`_literal` pieces, made to match text fields' index form.

    Indexed terms hold a joiner (``.`` in ``example.com``) only as its marker letter; the
    joiner itself never occurs in a term, so every literal one is meant as its marker.
    """
    return _JOINER_LITERAL.sub(lambda m: _JOINER_LITERALS[m.group()], regex)


def _wildcard_regex(pattern: str) -> str:
    """Lucene wildcard (``*``, ``?``, ``\\`` escapes) → regex."""
    out = ["(?s)"]
    chars = iter(pattern)
    for char in chars:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "\\":
            out.append(_literal(next(chars, "\\")))
        else:
            out.append(_literal(char))
    return "".join(out)


def _lucene_regex(pattern: str, flags: str) -> str:
    """Lucene ``RegExp`` syntax → Rust regex (anchored on the whole term by tantivy).

    Lucene has no anchors or ``\\d`` classes (``^``, ``$`` are literals, ``\\x`` is ``x``);
    ``"..."`` quotes a string; with the optional flags ``@`` is any string and ``<1-10>`` a
    number range. Complement ``~`` and intersection ``&`` have no Rust equivalent.
    """
    enabled = {f.strip().upper() for f in flags.split("|")} if flags else {"ALL"}
    every = "ALL" in enabled

    def on(flag: str) -> bool:
        return every or flag in enabled

    out = ["(?s)"]
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\" and i + 1 < size:
            out.append(_literal(pattern[i + 1]))
            i += 2
            continue
        if char == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise ParsingError(f"expected '\"' at position {size} in [{pattern}]")
            out.append(_literals(pattern[i + 1:end]))
            i = end + 1
            continue
        if char == "[":
            end, cls = _regex_class(pattern, i)
            out.append(cls)
            i = end
            continue
        if char in ".*+?|()":
            out.append(char)
        elif char == "{":
            end = pattern.find("}", i)
            if end < 0 or not re.fullmatch(r"\d+(,\d*)?", pattern[i + 1:end]):
                raise ParsingError(f"invalid repetition in regexp [{pattern}]")
            out.append(pattern[i:end + 1])
            i = end + 1
            continue
        elif char == "@" and on("ANYSTRING"):
            out.append(".*")
        elif char == "<" and on("INTERVAL") and re.match(r"<\d+-\d+>", pattern[i:]):
            match = re.match(r"<(\d+)-(\d+)>", pattern[i:])
            assert match is not None
            low, high = sorted((int(match.group(1)), int(match.group(2))))
            if high - low > 10_000:
                raise ParsingError(f"interval [{match.group(0)}] is too large in [{pattern}]")
            out.append("(?:" + "|".join(str(n) for n in range(low, high + 1)) + ")")
            i += match.end()
            continue
        elif char in "~&" and on("COMPLEMENT" if char == "~" else "INTERSECTION"):
            raise ParsingError(f"regexp operator [{char}] (complement/intersection) is not "
                               f"supported; rewrite [{pattern}] without it or set flags")
        elif char == "#" and on("EMPTY"):
            raise ParsingError(f"regexp operator [#] (empty language) is not supported in "
                               f"[{pattern}]")
        else:
            out.append(_literal(char))
        i += 1
    return "".join(out)


def _regex_class(pattern: str, start: int) -> tuple[int, str]:
    """A Lucene ``[...]`` class from ``start``; returns (index after it, Rust class)."""
    i = start + 1
    out = ["["]
    if i < len(pattern) and pattern[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(_literal(pattern[i + 1]))
            i += 2
        elif char == "-" and not first and i + 1 < len(pattern) and pattern[i + 1] != "]":
            out.append("-")
            i += 1
        else:
            out.append(_literal(char))
            i += 1
        first = False
    if i >= len(pattern):
        raise ParsingError(f"expected ']' at position {len(pattern)} in [{pattern}]")
    return i + 1, "".join(out) + "]"


def regex_after(bound: str, inclusive: bool) -> str:
    """Strings sorting after ``bound`` in UTF-8 byte (= code point) order."""
    parts = [_literals(bound) + ".+"]
    for i, char in enumerate(bound):
        if ord(char) < 0x10FFFF:
            parts.append(f"{_literals(bound[:i])}[\\x{{{ord(char) + 1:x}}}-\\x{{10ffff}}].*")
    if inclusive:
        parts.append(_literals(bound))
    return "(?s)(?:" + "|".join(parts) + ")"


def regex_before(bound: str, inclusive: bool) -> str:
    """Strings sorting before ``bound`` (its proper prefixes included)."""
    parts = [_literals(bound[:i]) for i in range(len(bound))]
    for i, char in enumerate(bound):
        if ord(char) > 0:
            parts.append(f"{_literals(bound[:i])}[\\x{{0}}-\\x{{{ord(char) - 1:x}}}].*")
    if inclusive:
        parts.append(_literals(bound))
    return "(?s)(?:" + "|".join(parts) + ")" if parts else "(?!)"


# --- the compiler ---------------------------------------------------------------------------


class _Compiler:
    """Compiles one request's query for one split."""

    def __init__(self, split: Split | None, mapping: Mapping, now_ms: int,
                 index_name: str | None, max_terms_count: int = 65_536) -> None:
        self.schema = split.schema if split is not None else None
        self.present: frozenset[str] = split.field_names if split is not None else frozenset()
        self.mapping = mapping
        self.now_ms = now_ms
        self.index_name = index_name
        #: Set while compiling clauses that query_string produced with a field pattern or
        #: ``lenient``: a value that does not fit a field then matches nothing there.
        self.lenient = False
        self.time_zone: str | None = None
        self.max_terms_count = max_terms_count
        #: Query nesting so far and leaf clauses compiled (ES's max_nested_depth, Lucene's
        #: maxClauseCount over the whole query).
        self.depth = 0
        self.leaves = 0

    # -- dispatch --

    def compile(self, query: dict[str, Any] | None) -> Query:
        if query is None or query == {}:
            return Query.all_query()
        name, body = _single(query)
        handler = getattr(self, name, None) if name in _CLAUSES else None
        if handler is None:
            if name in _UNSUPPORTED:
                raise ParsingError(f"[{name}] queries are not supported by Loghaven",
                                   type="parsing_exception")
            raise ParsingError(f"unknown query [{name}]", type="parsing_exception")
        if self.depth >= LIMITS.max_nested_depth:
            raise query_too_deep()
        if name not in _COMPOUND:
            self.leaves += 1
            if self.leaves > LIMITS.max_clause_count:
                raise too_many_nested_clauses()
        self.depth += 1
        try:
            return handler(body)
        finally:
            self.depth -= 1

    def compile_list(self, clauses: Any, context: str) -> list[Query]:
        if isinstance(clauses, dict):
            clauses = [clauses]
        if not isinstance(clauses, list):
            raise ParsingError(f"[bool] failed to parse field [{context}]")
        if len(clauses) > LIMITS.max_clause_count:
            raise too_many_clauses()
        return [self.compile(c) for c in clauses]

    # -- fields --

    def info(self, name: str) -> FieldInfo | None:
        return self.mapping.fields.get(name)

    def has(self, path: str) -> bool:
        return path in self.present

    def expand(self, name: str) -> list[str]:
        """A field name or pattern (``*``, ``http*.uri``) → mapped searchable field paths."""
        if "*" not in name:
            return [name]
        return [path for path, info in self.mapping.fields.items()
                if info.kind in _SEARCHABLE_KINDS and info.indexed
                and fnmatch.fnmatchcase(path, name)]

    def fail(self, message: str, lenient: bool) -> Query:
        if lenient or self.lenient:
            return Query.empty_query()
        raise QueryShardError(f"failed to create query: {message}",
                              index=self.index_name or "_na_")

    def searchable(self, name: str, info: FieldInfo, lenient: bool) -> bool:
        """Whether the clause can run here; raises for fields ES cannot search."""
        if not info.indexed:
            self.fail(f"Cannot search on field [{name}] since it is not indexed.", lenient)
            return False
        return self.has(info.path)

    # -- values by field kind --

    def date_value(self, info: FieldInfo, value: Any, *, round_up: bool,
                   fmt: str | None = None, tz: str | None = None) -> int:
        parser: DateFormat = get_format(fmt or info.date_format)
        return parse_date_math(value, self.now_ms, parser, tz or self.time_zone, round_up)

    def term_on(self, name: str, value: Any, *, lenient: bool = False,
                case_insensitive: bool = False) -> Query:
        """Exact-value query: the ES ``term`` semantics for every field kind."""
        if name == ID:
            return self.ids_query([value])
        if name == "_index":
            return self.index_match(lambda index: index == str(value))
        info = self.info(name)
        if info is None:
            return Query.empty_query()
        if isinstance(value, (dict, list)):
            raise ParsingError(f"[term] query does not support array or object values for "
                               f"field [{name}]")
        try:
            return self.exact(info, value, lenient, case_insensitive)
        except (ValueError, TypeError, OverflowError) as exc:
            return self.fail(str(exc) or f"invalid value [{value}] for field [{name}]", lenient)

    def exact(self, info: FieldInfo, value: Any, lenient: bool, case_insensitive: bool) -> Query:
        kind, path = info.kind, info.path
        if kind in ("keyword", "text"):
            text = _term_text(info, value)
            if not self.searchable(path, info, lenient):
                return Query.empty_query()
            if case_insensitive:
                return Query.regex_query(self.schema, path, "(?i)" + _literals(text))
            return Query.term_query(self.schema, path, text,
                                    "freq" if kind == "keyword" else "position")
        if kind == "date":
            low = self.date_value(info, value, round_up=False)
            high = self.date_value(info, value, round_up=True)
            return self.int_range(info, low, high, lenient)
        if kind == "long":
            number = _to_number(value)
            if number != int(number):
                return Query.empty_query()
            return self.int_range(info, int(number), int(number), lenient)
        if kind == "double":
            number = float(_to_number(value))
            if not self.searchable(info.path, info, lenient):
                return Query.empty_query()
            return Query.term_query(self.schema, path, number)
        if kind == "boolean":
            flag = _to_bool(value)
            if not self.searchable(info.path, info, lenient):
                return Query.empty_query()
            return Query.term_query(self.schema, path, flag)
        if kind == "ip":
            text = str(value)
            if "/" in text:
                network = ipaddress.ip_network(text, strict=False)
                return self.ip_range(info, str(network[0]), str(network[-1]), True, True,
                                     lenient)
            ipaddress.ip_address(text)
            if not self.searchable(info.path, info, lenient):
                return Query.empty_query()
            return Query.term_query(self.schema, path, text)
        return self.fail(f"field [{path}] of type [{info.type}] does not support term queries",
                         lenient)

    def int_range(self, info: FieldInfo, low: int | None, high: int | None,
                  lenient: bool) -> Query:
        """Inclusive range on an i64 field (long and date kinds)."""
        if low is not None and high is not None and low > high:
            return Query.empty_query()
        if not self.searchable(info.path, info, lenient):
            return Query.empty_query()
        if low is None and high is None:
            return Query.exists_query(info.path)
        return Query.range_query(self.schema, info.path, FieldType.Integer, low, high)

    def ip_range(self, info: FieldInfo, low: str | None, high: str | None, include_low: bool,
                 include_high: bool, lenient: bool) -> Query:
        if not self.searchable(info.path, info, lenient):
            return Query.empty_query()
        for bound in (low, high):
            if bound is not None:
                ipaddress.ip_address(bound)
        if low is None and high is None:
            return Query.exists_query(info.path)
        return Query.range_query(self.schema, info.path, FieldType.IpAddr, low, high,
                                 include_low if low is not None else True,
                                 include_high if high is not None else True)

    @staticmethod
    def analyzed(text: Any, analyzer: str | None) -> list[str]:
        """Tokens of ``text`` as a text field indexes them."""
        if isinstance(text, (dict, list)):
            raise ParsingError("[match] unknown token [START_OBJECT] after [query]")
        chosen = ANALYZERS.get(analyzer or "standard")
        if chosen is None:
            raise ParsingError(f"analyzer [{analyzer}] has not been configured in mappings")
        value = ("true" if text else "false") if isinstance(text, bool) else str(text)
        if chosen is ANALYZERS["standard"]:
            return words.terms(value)
        return [words.term_form(token) for token in chosen.analyze(value)]

    # -- full-text clauses --

    def match_all(self, body: Any) -> Query:
        opts = body if isinstance(body, dict) else {}
        _check_keys("match_all", opts, ())
        return _boost(Query.all_query(), opts.get("boost"))

    def match_none(self, body: Any) -> Query:
        _check_keys("match_none", body if isinstance(body, dict) else {}, ())
        return Query.empty_query()

    def match(self, body: Any) -> Query:
        field, opts = _field_body("match", body, "query")
        _check_keys("match", opts, (
            "query", "operator", "minimum_should_match", "fuzziness", "zero_terms_query",
            "analyzer", "lenient", "prefix_length", "max_expansions", "fuzzy_transpositions",
            "auto_generate_synonyms_phrase_query", "fuzzy_rewrite", "cutoff_frequency"))
        if opts.get("query") is None:
            raise ParsingError(f"[match] requires query value for field [{field}]")
        lenient = _bool_flag(opts.get("lenient", False), "lenient")
        queries = [self.match_field(name, opts, lenient or "*" in field)
                   for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def match_field(self, name: str, opts: dict[str, Any], lenient: bool) -> Query:
        """``match`` on one concrete field."""
        info = self.info(name)
        if info is None:
            return Query.empty_query()
        if info.kind != "text":
            return self.term_on(name, opts["query"], lenient=lenient)
        tokens = self.analyzed(opts["query"], opts.get("analyzer"))
        if not tokens:
            return self.zero_terms(opts)
        if not self.searchable(name, info, lenient):
            return Query.empty_query()
        fuzziness = opts.get("fuzziness")
        prefix_length = int(opts.get("prefix_length", 0))
        transpositions = _bool_flag(opts.get("fuzzy_transpositions", True), "transpositions")
        clauses = [self.text_term(info.path, token, fuzziness, prefix_length, transpositions)
                   for token in tokens]
        return self.combine(clauses, opts.get("operator", "or"),
                            opts.get("minimum_should_match"))

    def text_term(self, path: str, token: str, fuzziness: Any, prefix_length: int = 0,
                  transpositions: bool = True) -> Query:
        if fuzziness is not None:
            distance = _edit_distance(fuzziness, token)
            if distance:
                return self.fuzzy_term(path, token, distance, prefix_length, transpositions)
        return Query.term_query(self.schema, path, token)

    def fuzzy_term(self, path: str, token: str, distance: int, prefix_length: int,
                   transpositions: bool) -> Query:
        query = Query.fuzzy_term_query(self.schema, path, token, distance, transpositions)
        if prefix_length > 0:
            prefix = Query.regex_query(self.schema, path,
                                       "(?s)" + _literals(token[:prefix_length]) + ".*")
            query = Query.boolean_query([(Occur.Must, query), (Occur.Must, as_filter(prefix))])
        return query

    @staticmethod
    def zero_terms(opts: dict[str, Any]) -> Query:
        mode = str(opts.get("zero_terms_query", "none")).lower()
        if mode not in ("none", "all"):
            raise ParsingError(f"Unsupported zero_terms_query value [{mode}]")
        return Query.all_query() if mode == "all" else Query.empty_query()

    @staticmethod
    def combine(clauses: list[Query], operator: Any, msm: Any) -> Query:
        """Token clauses joined by ``operator`` / ``minimum_should_match``, as ``match`` does."""
        op = str(operator).lower()
        if op not in ("or", "and"):
            raise ParsingError(f"Unknown operator [{operator}]")
        if len(clauses) == 1:
            return clauses[0]
        if len(clauses) > LIMITS.max_clause_count:
            raise too_many_clauses()
        if op == "and":
            return Query.boolean_query([(Occur.Must, c) for c in clauses])
        required = minimum_should_match(msm, len(clauses)) if msm is not None else 1
        if required > len(clauses):
            return Query.empty_query()
        return Query.boolean_query([(Occur.Should, c) for c in clauses], max(required, 1))

    def match_phrase(self, body: Any) -> Query:
        field, opts = _field_body("match_phrase", body, "query")
        _check_keys("match_phrase", opts, ("query", "slop", "analyzer", "zero_terms_query"))
        queries = [self.phrase_field(name, opts, prefix=False, lenient="*" in field)
                   for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def match_phrase_prefix(self, body: Any) -> Query:
        field, opts = _field_body("match_phrase_prefix", body, "query")
        _check_keys("match_phrase_prefix", opts,
                    ("query", "slop", "analyzer", "max_expansions", "zero_terms_query"))
        queries = [self.phrase_field(name, opts, prefix=True, lenient="*" in field)
                   for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def phrase_field(self, name: str, opts: dict[str, Any], *, prefix: bool,
                     lenient: bool) -> Query:
        info = self.info(name)
        if info is None:
            return Query.empty_query()
        if "query" not in opts:
            raise ParsingError(f"[match_phrase] requires query value for field [{name}]")
        if info.kind != "text":
            if prefix and info.kind == "keyword":
                return self.prefix_on(name, str(opts["query"]), False, lenient)
            return self.term_on(name, opts["query"], lenient=lenient)
        tokens = self.analyzed(opts["query"], opts.get("analyzer"))
        if not tokens:
            return self.zero_terms(opts)
        if not self.searchable(name, info, lenient):
            return Query.empty_query()
        if prefix:
            return Query.phrase_prefix_query(self.schema, info.path, tokens)
        if len(tokens) == 1:
            return Query.term_query(self.schema, info.path, tokens[0])
        return Query.phrase_query(self.schema, info.path, tokens, int(opts.get("slop", 0)))

    def match_bool_prefix(self, body: Any) -> Query:
        field, opts = _field_body("match_bool_prefix", body, "query")
        _check_keys("match_bool_prefix", opts, (
            "query", "operator", "minimum_should_match", "analyzer", "fuzziness",
            "prefix_length", "max_expansions", "fuzzy_transpositions", "fuzzy_rewrite"))
        queries = [self.bool_prefix_field(name, opts, "*" in field)
                   for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def bool_prefix_field(self, name: str, opts: dict[str, Any], lenient: bool) -> Query:
        info = self.info(name)
        if info is None:
            return Query.empty_query()
        if info.kind != "text":
            return self.term_on(name, opts.get("query"), lenient=lenient)
        tokens = self.analyzed(opts.get("query"), opts.get("analyzer"))
        if not tokens:
            return Query.empty_query()
        if not self.searchable(name, info, lenient):
            return Query.empty_query()
        clauses = [self.text_term(info.path, t, opts.get("fuzziness")) for t in tokens[:-1]]
        clauses.append(Query.regex_query(self.schema, info.path,
                                         "(?s)" + _literals(tokens[-1]) + ".*"))
        return self.combine(clauses, opts.get("operator", "or"),
                            opts.get("minimum_should_match"))

    def multi_match(self, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[multi_match] query malformed")
        _check_keys("multi_match", body, (
            "query", "fields", "type", "operator", "minimum_should_match", "fuzziness",
            "tie_breaker", "analyzer", "lenient", "slop", "prefix_length", "max_expansions",
            "zero_terms_query", "auto_generate_synonyms_phrase_query", "fuzzy_transpositions",
            "fuzzy_rewrite", "cutoff_frequency"))
        if "query" not in body:
            raise ParsingError("No text specified for multi_match query")
        kind = str(body.get("type", "best_fields")).lower()
        specs = _texts("multi_match", "fields", body.get("fields")) or ["*"]
        lenient = _bool_flag(body.get("lenient", False), "lenient")
        fields: list[tuple[str, float, bool]] = []
        for spec in specs:
            name, _, boost = spec.partition("^")
            for path in self.expand(name):
                fields.append((path, float(boost) if boost else 1.0, lenient or "*" in name))
        if kind == "cross_fields":
            query = self.cross_fields(body, fields)
        else:
            per_field = [_boost(self.multi_match_field(kind, body, name, field_lenient), boost)
                         for name, boost, field_lenient in fields]
            if not per_field:
                query = Query.empty_query()
            elif kind in ("most_fields", "bool_prefix"):
                query = any_of(per_field)
            elif kind in ("best_fields", "phrase", "phrase_prefix"):
                query = Query.disjunction_max_query(
                    per_field, float(body.get("tie_breaker", 0.0)))
            else:
                raise ParsingError(f"[multi_match] query does not support type [{kind}]")
        return _boost(query, body.get("boost"))

    def multi_match_field(self, kind: str, body: dict[str, Any], name: str,
                          lenient: bool) -> Query:
        if kind in ("phrase", "phrase_prefix"):
            return self.phrase_field(name, body, prefix=kind == "phrase_prefix",
                                     lenient=lenient)
        if kind == "bool_prefix":
            return self.bool_prefix_field(name, body, lenient)
        return self.match_field(name, body, lenient)

    def cross_fields(self, body: dict[str, Any], fields: list[tuple[str, float, bool]]) -> Query:
        """Term-centric over the text fields (each token may match in any of them, tokens
        combined by ``operator``); other fields take the whole value, each as its own group,
        and the best group wins, as ES does for fields with different analyzers."""
        per_token: dict[str, list[Query]] = {}
        groups: list[Query] = []
        for name, boost, lenient in fields:
            info = self.info(name)
            if info is None:
                continue
            if info.kind != "text":
                groups.append(_boost(self.term_on(name, body["query"], lenient=True), boost))
            elif self.searchable(name, info, lenient):
                for token in self.analyzed(body["query"], body.get("analyzer")):
                    per_token.setdefault(token, []).append(
                        _boost(Query.term_query(self.schema, info.path, token), boost))
        tie = float(body.get("tie_breaker", 0.0))
        if per_token:
            clauses = [Query.disjunction_max_query(qs, tie) for qs in per_token.values()]
            groups.append(self.combine(clauses, body.get("operator", "or"),
                                       body.get("minimum_should_match")))
        if not groups:
            return self.zero_terms(body)
        return groups[0] if len(groups) == 1 else Query.disjunction_max_query(groups, tie)

    def query_string(self, body: Any) -> Query:
        if not isinstance(body, dict) or "query" not in body:
            raise ParsingError("[query_string] must be provided with a [query]")
        _check_keys("query_string", body, (
            "query", "default_field", "fields", "default_operator", "analyzer",
            "analyze_wildcard", "lenient", "allow_leading_wildcard", "phrase_slop",
            "fuzziness", "time_zone", "minimum_should_match", "quote_field_suffix", "type",
            "tie_breaker", "auto_generate_synonyms_phrase_query", "escape", "rewrite",
            "max_determinized_states", "fuzzy_max_expansions", "fuzzy_prefix_length",
            "fuzzy_transpositions", "enable_position_increments", "quote_analyzer"))
        dsl = query_string_to_dsl(
            _text("query_string", "query", body["query"]),
            default_field=_text("query_string", "default_field", body.get("default_field", "*")),
            default_operator=_text("query_string", "default_operator",
                                   body.get("default_operator", "OR")),
            fields=_texts("query_string", "fields", body.get("fields")) or None,
            lenient=_bool_flag(body.get("lenient", False), "lenient"),
            allow_leading_wildcard=_bool_flag(body.get("allow_leading_wildcard", True),
                                              "allow_leading_wildcard"),
            phrase_slop=int(body.get("phrase_slop", 0)),
            fuzziness=body.get("fuzziness", "AUTO"),
        )
        return _boost(self.translated(dsl, body), body.get("boost"))

    def simple_query_string(self, body: Any) -> Query:
        if not isinstance(body, dict) or "query" not in body:
            raise ParsingError("[simple_query_string] requires a [query]")
        _check_keys("simple_query_string", body, (
            "query", "fields", "default_operator", "flags", "analyzer", "analyze_wildcard",
            "lenient", "minimum_should_match", "quote_field_suffix",
            "auto_generate_synonyms_phrase_query", "fuzzy_max_expansions",
            "fuzzy_prefix_length", "fuzzy_transpositions"))
        dsl = simple_query_string_to_dsl(
            _text("simple_query_string", "query", body["query"]),
            fields=_texts("simple_query_string", "fields", body.get("fields")) or None,
            default_operator=_text("simple_query_string", "default_operator",
                                   body.get("default_operator", "OR")),
            flags=body.get("flags", "ALL"))
        # simple_query_string never fails on a value: it is always lenient.
        return _boost(self.translated(dsl, {**body, "lenient": True}), body.get("boost"))

    def translated(self, dsl: dict[str, Any], body: dict[str, Any]) -> Query:
        """Compile what the Lucene-syntax translator produced, with its leniency and zone."""
        saved = (self.lenient, self.time_zone)
        self.lenient = self.lenient or bool(body.get("lenient", False))
        self.time_zone = body.get("time_zone", self.time_zone)
        try:
            return self.compile(dsl)
        finally:
            self.lenient, self.time_zone = saved

    # -- term-level clauses --

    def term(self, body: Any) -> Query:
        field, opts = _field_body("term", body)
        _check_keys("term", opts, ("value", "case_insensitive"))
        if "value" not in opts:
            raise ParsingError("[term] query requires a [value]")
        return _boost(self.term_on(field, opts["value"], case_insensitive=_bool_flag(
            opts.get("case_insensitive", False), "case_insensitive")), opts.get("boost"))

    def terms(self, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[terms] query malformed")
        fields = [k for k in body if k not in ("boost", "_name")]
        if len(fields) != 1:
            raise ParsingError("[terms] query requires exactly one field")
        field = fields[0]
        values = body[field]
        if isinstance(values, dict):
            raise ParsingError("[terms] query: terms lookup is not supported by Loghaven; "
                               "pass the values as an array")
        if not isinstance(values, list):
            raise ParsingError(f"[terms] query does not support [{field}]")
        if len(values) > self.max_terms_count:
            raise IllegalArgument(
                f"The number of terms [{len(values)}] used in the Terms Query request has "
                f"exceeded the allowed maximum of [{self.max_terms_count}]. This maximum can be "
                f"set by changing the [index.max_terms_count] index level setting.")
        return _boost(self.terms_on(field, values), body.get("boost"))

    def terms_on(self, field: str, values: list[Any]) -> Query:
        if field == ID:
            return self.ids_query(values)
        if field == "_index":
            return self.index_match(lambda index: index in {str(v) for v in values})
        info = self.info(field)
        if info is None or not values:
            return Query.empty_query()
        if info.kind in ("keyword", "text") and self.has(info.path):
            texts = [_term_text(info, v) for v in values]
            return Query.const_score_query(
                Query.term_set_query(self.schema, info.path, texts), 1.0)
        return Query.const_score_query(any_of([self.term_on(field, v) for v in values]), 1.0)

    def terms_set(self, body: Any) -> Query:
        field, opts = _field_body("terms_set", body, "terms")
        _check_keys("terms_set", opts, ("terms", "minimum_should_match_field",
                                        "minimum_should_match_script",
                                        "minimum_should_match"))
        values = _as_list(opts.get("terms"))
        clauses = [self.term_on(field, v) for v in values]
        if not clauses:
            return Query.empty_query()
        if "minimum_should_match" in opts:
            required = minimum_should_match(opts["minimum_should_match"], len(clauses))
            return _boost(self.at_least(clauses, required), opts.get("boost"))
        count_field = opts.get("minimum_should_match_field")
        if count_field is None:
            count_field = _script_count_field(opts.get("minimum_should_match_script"),
                                              len(clauses))
            if count_field is None:
                return _boost(self.at_least(clauses, len(clauses)), opts.get("boost"))
        info = self.info(count_field)
        if info is None or info.kind != "long":
            return Query.empty_query()
        # Per document "at least doc[count_field] of the terms": one branch per possible count.
        branches = []
        for required in range(1, len(clauses) + 1):
            low = None if required == 1 else required
            branches.append(Query.boolean_query([
                (Occur.Must, as_filter(self.int_range(info, low, required, False))),
                (Occur.Must, self.at_least(clauses, required)),
            ]))
        return _boost(any_of(branches), opts.get("boost"))

    @staticmethod
    def at_least(clauses: list[Query], required: int) -> Query:
        if required > len(clauses):
            return Query.empty_query()
        return Query.boolean_query([(Occur.Should, c) for c in clauses], max(required, 1))

    def range(self, body: Any) -> Query:
        if isinstance(body, dict) and any(not isinstance(v, dict) for k, v in body.items()
                                          if k not in ("boost", "_name")):
            raise ParsingError("[range] query malformed, no start_object after query name")
        field, opts = _field_body("range", body, "gte")
        _check_keys("range", opts, ("gte", "gt", "lte", "lt", "from", "to", "include_lower",
                                    "include_upper", "format", "time_zone", "relation"))
        queries = [self.range_on(name, opts) for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def range_on(self, name: str, opts: dict[str, Any]) -> Query:
        info = self.info(name)
        if info is None:
            return Query.empty_query()
        low, high, include_low, include_high = _range_bounds(opts)
        try:
            return self.range_kind(info, opts, low, high, include_low, include_high)
        except (ValueError, TypeError, OverflowError) as exc:
            return self.fail(str(exc), "*" in name)

    def range_kind(self, info: FieldInfo, opts: dict[str, Any], low: Any, high: Any,
                   include_low: bool, include_high: bool) -> Query:
        kind = info.kind
        if kind == "date":
            lo, hi = _date_range(self, info, opts, low, high, include_low, include_high)
            return self.int_range(info, lo, hi, False)
        if kind == "long":
            lo_int = None if low is None else _int_bound(low, include_low, lower=True)
            hi_int = None if high is None else _int_bound(high, include_high, lower=False)
            return self.int_range(info, lo_int, hi_int, False)
        if not self.searchable(info.path, info, False):
            return Query.empty_query()
        if kind == "double":
            if low is None and high is None:
                return Query.exists_query(info.path)
            return Query.range_query(
                self.schema, info.path, FieldType.Float,
                None if low is None else float(_to_number(low)),
                None if high is None else float(_to_number(high)),
                include_low if low is not None else True,
                include_high if high is not None else True)
        if kind == "ip":
            return self.ip_range(info, None if low is None else str(low),
                                 None if high is None else str(high), include_low,
                                 include_high, False)
        if kind in ("keyword", "text"):
            parts = []
            if low is not None:
                parts.append(Query.regex_query(self.schema, info.path,
                                               regex_after(self.norm(info, low), include_low)))
            if high is not None:
                parts.append(Query.regex_query(
                    self.schema, info.path, regex_before(self.norm(info, high), include_high)))
            if not parts:
                return self.exists_on(info)
            return Query.const_score_query(all_of(parts), 1.0)
        return self.fail(f"field [{info.path}] of type [{info.type}] does not support range "
                         f"queries", False)

    @staticmethod
    def norm(info: FieldInfo, value: Any) -> str:
        text = str(value)
        if info.kind == "text":
            return words.term_form(text)
        return text.lower() if info.lowercase else text

    def exists(self, body: Any) -> Query:
        if not isinstance(body, dict) or "field" not in body:
            raise ParsingError("[exists] must be provided with a [field]")
        _check_keys("exists", body, ("field",))
        name = _text("exists", "field", body["field"])
        if name in (ID, "_index"):
            return _boost(Query.all_query(), body.get("boost"))
        if "*" in name:
            paths = self.expand(name)
        elif name in self.mapping.fields:
            paths = [name]
        else:  # an object: any field below it
            paths = [p for p in self.mapping.fields if p.startswith(name + ".")]
        queries = [self.exists_on(self.mapping.fields[p]) for p in paths]
        return _boost(Query.const_score_query(any_of(queries), 1.0), body.get("boost"))

    def exists_on(self, info: FieldInfo) -> Query:
        path = f"{info.path}.lat" if info.kind == "geo_point" else info.path
        if not info.indexed or not self.has(path):
            return Query.empty_query()
        if info.kind == "text":
            return Query.regex_query(self.schema, path, "(?s).*")
        return Query.exists_query(path)

    def multi_term(self, name: str, body: Any, value_keys: tuple[str, ...],
                   extra: tuple[str, ...]) -> tuple[str, str, dict[str, Any]]:
        field, opts = _field_body(name, body)
        _check_keys(name, opts, (*value_keys, "case_insensitive", "rewrite", *extra))
        for key in value_keys:
            if key in opts:
                return field, _text(name, key, opts[key]), opts
        raise ParsingError(f"[{name}] query requires a [value]")

    def regex_on(self, field: str, regex: str, case_insensitive: bool,
                 lenient: bool = False,
                 index_test: Callable[[str], bool] | None = None) -> Query:
        """A term-level pattern clause on a keyword/text field (or ``_id``/``_index``)."""
        if field == "_index":
            return self.index_match(index_test) if index_test else Query.empty_query()
        if field == ID:
            path = ID
        else:
            info = self.info(field)
            if info is None:
                return Query.empty_query()
            if info.kind not in ("keyword", "text"):
                return self.fail(f"Can only use term-level pattern queries on keyword and "
                                 f"text fields - not on [{field}] which is of type "
                                 f"[{info.type}]", lenient)
            if not self.searchable(field, info, lenient):
                return Query.empty_query()
            path = info.path
            if info.kind == "text":
                regex = _index_literals(regex)
        if not self.has(path):
            return Query.empty_query()
        flags = "(?i)" if case_insensitive else ""
        try:
            return Query.regex_query(self.schema, path, flags + regex)
        except ValueError as exc:
            raise QueryShardError(f"failed to create query: invalid regular expression: "
                                  f"{exc}", index=self.index_name or "_na_") from exc

    def lowers(self, field: str) -> bool:
        """Whether term-level patterns are normalised to lowercase on this field."""
        info = self.info(field)
        return info is not None and (info.kind == "text" or info.lowercase)

    def prefix(self, body: Any) -> Query:
        field, value, opts = self.multi_term("prefix", body, ("value", "prefix"), ())
        insensitive = _bool_flag(opts.get("case_insensitive", False), "case_insensitive")
        queries = [self.prefix_on(name, value, insensitive, "*" in field)
                   for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def prefix_on(self, field: str, value: str, insensitive: bool, lenient: bool) -> Query:
        text = value.lower() if self.lowers(field) else value
        return self.regex_on(field, "(?s)" + _literals(text) + ".*", insensitive, lenient,
                             index_test=lambda index: index.startswith(value))

    def wildcard(self, body: Any) -> Query:
        field, value, opts = self.multi_term("wildcard", body, ("value", "wildcard"), ())
        insensitive = _bool_flag(opts.get("case_insensitive", False), "case_insensitive")
        text = value.lower() if self.lowers(field) else value
        queries = [self.regex_on(name, _wildcard_regex(text), insensitive, "*" in field,
                                 index_test=lambda index: fnmatch.fnmatchcase(index, value))
                   for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def regexp(self, body: Any) -> Query:
        field, value, opts = self.multi_term("regexp", body, ("value",),
                                             ("flags", "flags_value", "max_determinized_states"))
        insensitive = _bool_flag(opts.get("case_insensitive", False), "case_insensitive")
        regex = _lucene_regex(value, str(opts.get("flags", "ALL")))
        queries = [self.regex_on(name, regex, insensitive, "*" in field,
                                 index_test=lambda index: re.fullmatch(regex, index) is not None)
                   for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def fuzzy(self, body: Any) -> Query:
        field, value, opts = self.multi_term(
            "fuzzy", body, ("value",),
            ("fuzziness", "prefix_length", "max_expansions", "transpositions"))
        queries = [self.fuzzy_on(name, value, opts, "*" in field)
                   for name in self.expand(field)]
        return _boost(any_of(queries), opts.get("boost"))

    def fuzzy_on(self, name: str, value: str, opts: dict[str, Any], lenient: bool) -> Query:
        info = self.info(name)
        if info is None:
            return Query.empty_query()
        if info.kind not in ("keyword", "text"):
            return self.term_on(name, value, lenient=lenient)
        if not self.searchable(name, info, lenient):
            return Query.empty_query()
        text = value.lower() if self.lowers(name) else value
        if info.kind == "text":
            text = words.term_form(text)
        distance = _edit_distance(opts.get("fuzziness", "AUTO"), text)
        if not distance:
            return Query.term_query(self.schema, info.path, text)
        return self.fuzzy_term(info.path, text, distance, int(opts.get("prefix_length", 0)),
                               _bool_flag(opts.get("transpositions", True), "transpositions"))

    def ids(self, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[ids] query malformed")
        _check_keys("ids", body, ("values", "type", "types"))
        return _boost(self.ids_query(_texts("ids", "values", body.get("values"))),
                      body.get("boost"))

    def ids_query(self, values: list[Any]) -> Query:
        if not values or self.schema is None:
            return Query.empty_query()
        return Query.const_score_query(
            Query.term_set_query(self.schema, ID, [str(v) for v in values]), 1.0)

    def index_match(self, test: Callable[[str], bool]) -> Query:
        if self.index_name is not None and test(self.index_name):
            return Query.all_query()
        return Query.empty_query()

    # -- compound clauses --

    def bool(self, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[bool] query malformed, no start_object after query name")
        _check_keys("bool", body, ("must", "filter", "should", "must_not",
                                   "minimum_should_match", "adjust_pure_negative"))
        if sum(len(v) if isinstance(v, list) else 1 for k, v in body.items()
               if k in ("must", "filter", "should", "must_not")) > LIMITS.max_clause_count:
            raise too_many_clauses()
        must = self.compile_list(body.get("must", []), "must")
        filters = self.compile_list(body.get("filter", []), "filter")
        should = self.compile_list(body.get("should", []), "should")
        must_not = self.compile_list(body.get("must_not", []), "must_not")
        subs: list[tuple[Any, Query]] = [(Occur.Must, q) for q in must]
        subs += [(Occur.Must, as_filter(q)) for q in filters]
        subs += [(Occur.MustNot, q) for q in must_not]
        subs += [(Occur.Should, q) for q in should]
        if not subs:
            return _boost(Query.all_query(), body.get("boost"))
        required = 0
        if should:
            msm = body.get("minimum_should_match")
            default = 0 if must or filters else 1
            required = default if msm is None else minimum_should_match(msm, len(should))
            if required > len(should):
                return Query.empty_query()
        if not must and not filters and not should:
            # Only negative clauses: ES matches everything else, unscored.
            subs.append((Occur.Must, as_filter(Query.all_query())))
        query = Query.boolean_query(subs, required or None)
        return _boost(query, body.get("boost"))

    def constant_score(self, body: Any) -> Query:
        if not isinstance(body, dict) or "filter" not in body:
            raise ParsingError("[constant_score] requires a 'filter' element")
        _check_keys("constant_score", body, ("filter",))
        return Query.const_score_query(self.compile(body["filter"]),
                                       float(body.get("boost", 1.0)))

    def dis_max(self, body: Any) -> Query:
        if not isinstance(body, dict) or "queries" not in body:
            raise ParsingError("[dis_max] requires 'queries' field with at least one clause")
        _check_keys("dis_max", body, ("queries", "tie_breaker"))
        queries = self.compile_list(body["queries"], "queries")
        if not queries:
            raise ParsingError("[dis_max] requires 'queries' field with at least one clause")
        query = Query.disjunction_max_query(queries, float(body.get("tie_breaker", 0.0)))
        return _boost(query, body.get("boost"))

    def boosting(self, body: Any) -> Query:
        if not isinstance(body, dict) or "positive" not in body or "negative" not in body:
            raise ParsingError("[boosting] query requires 'positive' and 'negative' queries")
        _check_keys("boosting", body, ("positive", "negative", "negative_boost"))
        if "negative_boost" not in body:
            raise ParsingError("[boosting] query requires 'negative_boost' to be set")
        positive = self.compile(body["positive"])
        negative = self.compile(body["negative"])
        factor = float(body["negative_boost"])
        # Two disjoint branches, so a document scores through exactly one of them.
        plain = Query.boolean_query([(Occur.Must, positive), (Occur.MustNot, negative)])
        demoted = Query.boost_query(Query.boolean_query(
            [(Occur.Must, positive), (Occur.Must, as_filter(negative))]), factor)
        query = Query.boolean_query([(Occur.Should, plain), (Occur.Should, demoted)], 1)
        return _boost(query, body.get("boost"))


# --- values -----------------------------------------------------------------------------------


def any_of(queries: list[Query]) -> Query:
    """Documents matching any of ``queries`` (none: nothing)."""
    if not queries:
        return Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def all_of(queries: list[Query]) -> Query:
    """Documents matching every one of ``queries`` (at least one)."""
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, q) for q in queries])


def _to_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise ValueError(f"For input string: \"{str(value).lower()}\"")
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"For input string: \"{value}\"") from None
    if not math.isfinite(number):
        raise ValueError(f"For input string: \"{value}\"")
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError(f"Can't parse boolean value [{value}], expected [true] or [false]")


def _int_bound(value: Any, inclusive: bool, *, lower: bool) -> int:
    """A numeric bound on a long field as an inclusive integer (``gt 5.5`` → ``>= 6``)."""
    number = _to_number(value)
    if lower:
        edge = math.ceil(number) if number != int(number) else int(number) + (not inclusive)
    else:
        edge = math.floor(number) if number != int(number) else int(number) - (not inclusive)
    return max(min(edge, _LONG_MAX), _LONG_MIN)


def _range_bounds(opts: dict[str, Any]) -> tuple[Any, Any, bool, bool]:
    """(low, high, include_low, include_high) from gte/gt/lte/lt or the old from/to form."""
    low, high = opts.get("from"), opts.get("to")
    include_low = _bool_flag(opts.get("include_lower", True), "include_lower")
    include_high = _bool_flag(opts.get("include_upper", True), "include_upper")
    if "gte" in opts:
        low, include_low = opts["gte"], True
    if "gt" in opts:
        low, include_low = opts["gt"], False
    if "lte" in opts:
        high, include_high = opts["lte"], True
    if "lt" in opts:
        high, include_high = opts["lt"], False
    return low, high, include_low, include_high


def _date_range(compiler: _Compiler, info: FieldInfo, opts: dict[str, Any], low: Any,
                high: Any, include_low: bool,
                include_high: bool) -> tuple[int | None, int | None]:
    """Inclusive millisecond bounds of a date range, rounding as ES does (``gt``/``lte`` up)."""
    fmt, tz = opts.get("format"), opts.get("time_zone")
    lo = hi = None
    if low is not None:
        lo = compiler.date_value(info, low, round_up=not include_low, fmt=fmt, tz=tz)
        if not include_low:
            lo += 1
    if high is not None:
        hi = compiler.date_value(info, high, round_up=include_high, fmt=fmt, tz=tz)
        if not include_high:
            hi -= 1
    return lo, hi


def _script_count_field(script: Any, terms: int) -> str | None:
    """The count field of the usual ``terms_set`` scripts; None means "all terms"."""
    if script is None:
        raise ParsingError("[terms_set] requires one of [minimum_should_match_field] or "
                           "[minimum_should_match_script]")
    source = script.get("source", script.get("inline", "")) if isinstance(script, dict) \
        else str(script)
    source = source.replace(" ", "")
    if source == "params.num_terms":
        return None
    match = re.fullmatch(r"Math\.min\(params\.num_terms,doc\['([^']+)'\]\.value\)", source)
    if match is None:
        raise ParsingError(f"[terms_set] scripts are not supported beyond "
                           f"[params.num_terms] and [Math.min(params.num_terms, "
                           f"doc['field'].value)], got [{source}] ({terms} terms)")
    return match.group(1)


# --- time bounds for split pruning ------------------------------------------------------------


def _bounds(query: dict[str, Any] | None, mapping: Mapping,
            now_ms: int) -> dict[str, tuple[int, int]]:
    if not query:
        return {}
    name, body = _single(query)
    if name == "range":
        field, opts = _field_body("range", body, "gte")
        info = mapping.fields.get(field)
        if info is None or info.kind != "date":
            return {}
        low, high, include_low, include_high = _range_bounds(opts)
        lo, hi = _date_range(_Compiler(None, mapping, now_ms, None), info, opts, low, high,
                             include_low, include_high)
        return {info.path: (_LONG_MIN if lo is None else lo, _LONG_MAX if hi is None else hi)}
    if name == "constant_score":
        return _bounds(body.get("filter"), mapping, now_ms)
    if name == "bool":
        result: dict[str, tuple[int, int]] = {}
        for key in ("must", "filter"):
            clauses = body.get(key, [])
            for clause in [clauses] if isinstance(clauses, dict) else clauses:
                for field, (lo, hi) in _bounds(clause, mapping, now_ms).items():
                    old_lo, old_hi = result.get(field, (_LONG_MIN, _LONG_MAX))
                    result[field] = (max(lo, old_lo), min(hi, old_hi))
        return result
    if name == "query_string" and isinstance(body, dict):
        translated = query_string_to_dsl(str(body.get("query", "")),
                                         default_field=body.get("default_field", "*"),
                                         default_operator=str(body.get("default_operator", "OR")),
                                         fields=_as_list(body.get("fields")) or None)
        return _bounds(translated, mapping, now_ms)
    return {}
