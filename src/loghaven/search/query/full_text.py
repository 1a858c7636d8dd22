"""Full-text clauses: match, match_phrase, match_phrase_prefix, match_bool_prefix, multi_match.

Also ``query_string``/``simple_query_string``: :mod:`loghaven.search.lucene` translates their
Lucene syntax to the DSL, compiled here with the clause's leniency and time zone.
"""

from __future__ import annotations

import itertools
from typing import Any

from tantivy import Query

from loghaven.engine import words
from loghaven.engine.analysis import Analyzer
from loghaven.engine.mapping import FieldInfo
from loghaven.errors import ParsingError
from loghaven.search.lucene import query_string_to_dsl, simple_query_string_to_dsl
from loghaven.search.query.body import (
    bool_flag,
    check_keys,
    edit_distance,
    field_body,
    text_option,
    text_options,
)
from loghaven.search.query.combine import any_of, boosted, combine
from loghaven.search.query.context import Handler, QueryContext, QueryShardError
from loghaven.search.query.multi_term import fuzzy_term, prefix_on
from loghaven.search.query.regex import literals
from loghaven.search.query.values import term_on

#: A phrase whose positions have synonyms becomes one phrase per combination, up to this many.
MAX_PHRASE_VARIANTS = 64


def _positions(ctx: QueryContext, info: FieldInfo, text: Any, analyzer: str | None,
               quote: bool = False) -> list[tuple[int, list[str]]]:
    """The terms of ``text`` as the field's search analyzer (or the query's ``analyzer``)
    gives them, grouped by position: several terms at one position are synonyms."""
    if isinstance(text, (dict, list)):
        raise ParsingError("[match] unknown token [START_OBJECT] after [query]")
    value = ("true" if text else "false") if isinstance(text, bool) else str(text)
    chosen: Analyzer | None
    if analyzer is not None:
        chosen = ctx.mapping.analysis.analyzer(str(analyzer))
        if chosen is None:
            raise ParsingError(f"analyzer [{analyzer}] has not been configured in mappings")
    else:
        chosen = info.search_quote_analyzer if quote else info.search_analyzer
    if chosen is None or chosen.engine_standard:
        terms = words.terms(value)
        if info.analyzer is not None:  # indexed as written, not in the engine's index form
            terms = [words.display_form(t) for t in terms]
        return [(i, [t]) for i, t in enumerate(terms)]
    # the engine's standard fields hold terms in index form (engine/words.py)
    convert = words.term_form if info.analyzer is None else (lambda t: t)
    grouped: dict[int, list[str]] = {}
    for token in chosen.tokens(value):
        terms = grouped.setdefault(token.position, [])
        term = convert(token.text)
        if term not in terms:
            terms.append(term)
    return sorted(grouped.items())


def _analyzed(ctx: QueryContext, info: FieldInfo, text: Any, analyzer: str | None) -> list[str]:
    """The terms of ``text`` in order, synonyms included (for per-term clauses)."""
    return [t for _, terms in _positions(ctx, info, text, analyzer) for t in terms]


def _at_position(ctx: QueryContext, path: str, terms: list[str], fuzziness: Any,
                 prefix_length: int, transpositions: bool) -> Query:
    clauses = [_text_term(ctx, path, t, fuzziness, prefix_length, transpositions)
               for t in terms]
    return clauses[0] if len(clauses) == 1 else any_of(clauses)


def _phrase(ctx: QueryContext, path: str, positions: list[tuple[int, list[str]]],
            slop: int) -> Query:
    """A phrase over analysed positions (gaps kept, e.g. where a stop word was); synonyms
    at a position give one phrase per combination, any of which matches."""
    first = positions[0][0]
    variants = list(itertools.islice(itertools.product(*(terms for _, terms in positions)),
                                     MAX_PHRASE_VARIANTS + 1))
    if len(variants) > MAX_PHRASE_VARIANTS:
        raise ParsingError(f"[match_phrase] too many synonym combinations (more than "
                           f"{MAX_PHRASE_VARIANTS}) for field [{path}]")
    phrases = []
    for variant in variants:
        words_at = [(position - first, term)
                    for (position, _), term in zip(positions, variant, strict=True)]
        phrases.append(Query.phrase_query(ctx.schema, path, words_at, slop))
    return phrases[0] if len(phrases) == 1 else any_of(phrases)


def match(ctx: QueryContext, body: Any) -> Query:
    field, opts = field_body("match", body, "query")
    check_keys("match", opts, (
        "query", "operator", "minimum_should_match", "fuzziness", "zero_terms_query",
        "analyzer", "lenient", "prefix_length", "max_expansions", "fuzzy_transpositions",
        "auto_generate_synonyms_phrase_query", "fuzzy_rewrite", "cutoff_frequency"))
    if opts.get("query") is None:
        raise ParsingError(f"[match] requires query value for field [{field}]")
    lenient = bool_flag(opts.get("lenient", False), "lenient")
    queries = [_match_field(ctx, name, opts, lenient or "*" in field)
               for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def _match_field(ctx: QueryContext, name: str, opts: dict[str, Any], lenient: bool) -> Query:
    """``match`` on one concrete field."""
    info = ctx.info(name)
    if info is None:
        return Query.empty_query()
    if info.kind != "text":
        return term_on(ctx, name, opts["query"], lenient=lenient)
    positions = _positions(ctx, info, opts["query"], opts.get("analyzer"))
    if not positions:
        return _zero_terms(opts)
    if not ctx.searchable(name, info, lenient):
        return Query.empty_query()
    fuzziness = opts.get("fuzziness")
    prefix_length = int(opts.get("prefix_length", 0))
    transpositions = bool_flag(opts.get("fuzzy_transpositions", True), "transpositions")
    clauses = [_at_position(ctx, info.path, terms, fuzziness, prefix_length, transpositions)
               for _, terms in positions]
    return combine(clauses, opts.get("operator", "or"),
                   opts.get("minimum_should_match"))


def _text_term(ctx: QueryContext, path: str, token: str, fuzziness: Any, prefix_length: int = 0,
               transpositions: bool = True) -> Query:
    if fuzziness is not None:
        distance = edit_distance(fuzziness, token)
        if distance:
            return fuzzy_term(ctx, path, token, distance, prefix_length, transpositions)
    return Query.term_query(ctx.schema, path, token)


def _zero_terms(opts: dict[str, Any]) -> Query:
    mode = str(opts.get("zero_terms_query", "none")).lower()
    if mode not in ("none", "all"):
        raise ParsingError(f"Unsupported zero_terms_query value [{mode}]")
    return Query.all_query() if mode == "all" else Query.empty_query()


def match_phrase(ctx: QueryContext, body: Any) -> Query:
    field, opts = field_body("match_phrase", body, "query")
    check_keys("match_phrase", opts, ("query", "slop", "analyzer", "zero_terms_query"))
    queries = [_phrase_field(ctx, name, opts, prefix=False, lenient="*" in field)
               for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def match_phrase_prefix(ctx: QueryContext, body: Any) -> Query:
    field, opts = field_body("match_phrase_prefix", body, "query")
    check_keys("match_phrase_prefix", opts,
               ("query", "slop", "analyzer", "max_expansions", "zero_terms_query"))
    queries = [_phrase_field(ctx, name, opts, prefix=True, lenient="*" in field)
               for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def _phrase_field(ctx: QueryContext, name: str, opts: dict[str, Any], *, prefix: bool,
                  lenient: bool) -> Query:
    info = ctx.info(name)
    if info is None:
        return Query.empty_query()
    if "query" not in opts:
        raise ParsingError(f"[match_phrase] requires query value for field [{name}]")
    if info.kind != "text":
        if prefix and info.kind == "keyword":
            return prefix_on(ctx, name, str(opts["query"]), False, lenient)
        return term_on(ctx, name, opts["query"], lenient=lenient)
    positions = _positions(ctx, info, opts["query"], opts.get("analyzer"), quote=True)
    if not positions:
        return _zero_terms(opts)
    if not ctx.searchable(name, info, lenient):
        return Query.empty_query()
    if prefix:
        return Query.phrase_prefix_query(ctx.schema, info.path,
                                         [terms[0] for _, terms in positions])
    if len(positions) == 1:
        return _at_position(ctx, info.path, positions[0][1], None, 0, True)
    return _phrase(ctx, info.path, positions, int(opts.get("slop", 0)))


def match_bool_prefix(ctx: QueryContext, body: Any) -> Query:
    field, opts = field_body("match_bool_prefix", body, "query")
    check_keys("match_bool_prefix", opts, (
        "query", "operator", "minimum_should_match", "analyzer", "fuzziness",
        "prefix_length", "max_expansions", "fuzzy_transpositions", "fuzzy_rewrite"))
    queries = [_bool_prefix_field(ctx, name, opts, "*" in field)
               for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def _bool_prefix_field(ctx: QueryContext, name: str, opts: dict[str, Any], lenient: bool) -> Query:
    info = ctx.info(name)
    if info is None:
        return Query.empty_query()
    if info.kind != "text":
        return term_on(ctx, name, opts.get("query"), lenient=lenient)
    tokens = _analyzed(ctx, info, opts.get("query"), opts.get("analyzer"))
    if not tokens:
        return Query.empty_query()
    if not ctx.searchable(name, info, lenient):
        return Query.empty_query()
    clauses = [_text_term(ctx, info.path, t, opts.get("fuzziness")) for t in tokens[:-1]]
    clauses.append(Query.regex_query(ctx.schema, info.path,
                                     "(?s)" + literals(tokens[-1]) + ".*"))
    return combine(clauses, opts.get("operator", "or"),
                   opts.get("minimum_should_match"))


def multi_match(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict):
        raise ParsingError("[multi_match] query malformed")
    check_keys("multi_match", body, (
        "query", "fields", "type", "operator", "minimum_should_match", "fuzziness",
        "tie_breaker", "analyzer", "lenient", "slop", "prefix_length", "max_expansions",
        "zero_terms_query", "auto_generate_synonyms_phrase_query", "fuzzy_transpositions",
        "fuzzy_rewrite", "cutoff_frequency"))
    if "query" not in body:
        raise ParsingError("No text specified for multi_match query")
    kind = str(body.get("type", "best_fields")).lower()
    specs = text_options("multi_match", "fields", body.get("fields")) or ["*"]
    lenient = bool_flag(body.get("lenient", False), "lenient")
    fields: list[tuple[str, float, bool]] = []
    for spec in specs:
        name, _, boost = spec.partition("^")
        for path in ctx.expand(name):
            fields.append((path, float(boost) if boost else 1.0, lenient or "*" in name))
    if kind == "cross_fields":
        query = _cross_fields(ctx, body, fields)
    else:
        per_field = [boosted(_multi_match_field(ctx, kind, body, name, field_lenient), boost)
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
    return boosted(query, body.get("boost"))


def _multi_match_field(ctx: QueryContext, kind: str, body: dict[str, Any], name: str,
                       lenient: bool) -> Query:
    if kind in ("phrase", "phrase_prefix"):
        return _phrase_field(ctx, name, body, prefix=kind == "phrase_prefix",
                             lenient=lenient)
    if kind == "bool_prefix":
        return _bool_prefix_field(ctx, name, body, lenient)
    return _match_field(ctx, name, body, lenient)


def _cross_fields(ctx: QueryContext, body: dict[str, Any],
                  fields: list[tuple[str, float, bool]]) -> Query:
    """Term-centric over the text fields (each token may match in any of them, tokens
    combined by ``operator``); other fields take the whole value, each as its own group,
    and the best group wins, as ES does for fields with different analyzers."""
    per_token: dict[str, list[Query]] = {}
    groups: list[Query] = []
    for name, boost, lenient in fields:
        info = ctx.info(name)
        if info is None:
            continue
        if info.kind != "text":
            groups.append(boosted(term_on(ctx, name, body["query"], lenient=True), boost))
        elif ctx.searchable(name, info, lenient):
            for token in _analyzed(ctx, info, body["query"], body.get("analyzer")):
                per_token.setdefault(token, []).append(
                    boosted(Query.term_query(ctx.schema, info.path, token), boost))
    tie = float(body.get("tie_breaker", 0.0))
    if per_token:
        clauses = [Query.disjunction_max_query(qs, tie) for qs in per_token.values()]
        groups.append(combine(clauses, body.get("operator", "or"),
                              body.get("minimum_should_match")))
    if not groups:
        return _zero_terms(body)
    return groups[0] if len(groups) == 1 else Query.disjunction_max_query(groups, tie)


def query_string(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict) or "query" not in body:
        raise ParsingError("[query_string] must be provided with a [query]")
    check_keys("query_string", body, (
        "query", "default_field", "fields", "default_operator", "analyzer",
        "analyze_wildcard", "lenient", "allow_leading_wildcard", "phrase_slop",
        "fuzziness", "time_zone", "minimum_should_match", "quote_field_suffix", "type",
        "tie_breaker", "auto_generate_synonyms_phrase_query", "escape", "rewrite",
        "max_determinized_states", "fuzzy_max_expansions", "fuzzy_prefix_length",
        "fuzzy_transpositions", "enable_position_increments", "quote_analyzer"))
    try:
        dsl = _query_string_dsl(body)
    except ParsingError as error:
        if error.type != "query_shard_exception":
            raise
        # ES parses the text on each shard: a shard failure naming the index
        raise QueryShardError(error.reason, index=ctx.index_name or "_na_",
                              **error.extra) from None
    return boosted(_translated(ctx, dsl, body), body.get("boost"))


def _query_string_dsl(body: dict[str, Any]) -> Any:
    return query_string_to_dsl(
        text_option("query_string", "query", body["query"]),
        default_field=text_option("query_string", "default_field", body.get("default_field", "*")),
        default_operator=text_option("query_string", "default_operator",
                                     body.get("default_operator", "OR")),
        fields=text_options("query_string", "fields", body.get("fields")) or None,
        lenient=bool_flag(body.get("lenient", False), "lenient"),
        allow_leading_wildcard=bool_flag(body.get("allow_leading_wildcard", True),
                                         "allow_leading_wildcard"),
        phrase_slop=int(body.get("phrase_slop", 0)),
        fuzziness=body.get("fuzziness", "AUTO"),
    )


def simple_query_string(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict) or "query" not in body:
        raise ParsingError("[simple_query_string] requires a [query]")
    check_keys("simple_query_string", body, (
        "query", "fields", "default_operator", "flags", "analyzer", "analyze_wildcard",
        "lenient", "minimum_should_match", "quote_field_suffix",
        "auto_generate_synonyms_phrase_query", "fuzzy_max_expansions",
        "fuzzy_prefix_length", "fuzzy_transpositions"))
    dsl = simple_query_string_to_dsl(
        text_option("simple_query_string", "query", body["query"]),
        fields=text_options("simple_query_string", "fields", body.get("fields")) or None,
        default_operator=text_option("simple_query_string", "default_operator",
                                     body.get("default_operator", "OR")),
        flags=body.get("flags", "ALL"))
    # simple_query_string never fails on a value: it is always lenient.
    return boosted(_translated(ctx, dsl, {**body, "lenient": True}), body.get("boost"))


def _translated(ctx: QueryContext, dsl: dict[str, Any], body: dict[str, Any]) -> Query:
    """Compile what the Lucene-syntax translator produced, with its leniency and zone."""
    saved = (ctx.lenient, ctx.time_zone)
    ctx.lenient = ctx.lenient or bool(body.get("lenient", False))
    ctx.time_zone = body.get("time_zone", ctx.time_zone)
    try:
        return ctx.compile(dsl)
    finally:
        ctx.lenient, ctx.time_zone = saved


CLAUSES: dict[str, Handler] = {
    "match": match, "match_phrase": match_phrase, "match_phrase_prefix": match_phrase_prefix,
    "match_bool_prefix": match_bool_prefix, "multi_match": multi_match,
    "query_string": query_string, "simple_query_string": simple_query_string,
}
