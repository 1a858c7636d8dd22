"""The SQL plugin's relevance functions (``MATCH``, ``MULTI_MATCH``, ``QUERY_STRING``...) as
the full-text queries they name.

They exist only as search queries (the plugin has no in-memory evaluation of them), so a
relevance function either becomes query DSL or the statement is refused: :func:`to_query`
raises :class:`SemanticError` for a malformed call, and :mod:`.pushdown` refuses one that
sits where no query can hold it (an ``OR`` with a branch that does not push down).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from loghaven.sql.errors import SemanticError
from loghaven.sql.schema import Schema

Query = dict[str, Any]

_MATCH = frozenset({"analyzer", "auto_generate_synonyms_phrase", "fuzziness", "max_expansions",
                    "prefix_length", "fuzzy_transpositions", "fuzzy_rewrite", "lenient",
                    "operator", "minimum_should_match", "zero_terms_query", "boost"})
_PHRASE = frozenset({"analyzer", "slop", "zero_terms_query", "boost"})
_PHRASE_PREFIX = frozenset({"analyzer", "slop", "zero_terms_query", "max_expansions", "boost"})
_BOOL_PREFIX = frozenset({"fuzziness", "max_expansions", "prefix_length", "fuzzy_transpositions",
                          "fuzzy_rewrite", "minimum_should_match", "boost", "operator",
                          "analyzer"})
_MULTI_MATCH = frozenset({"analyzer", "auto_generate_synonyms_phrase", "cutoff_frequency",
                          "fuzziness", "fuzzy_transpositions", "lenient", "max_expansions",
                          "minimum_should_match", "operator", "prefix_length", "tie_breaker",
                          "type", "slop", "boost"})
_SIMPLE_QUERY_STRING = frozenset({"analyze_wildcard", "analyzer", "auto_generate_synonyms_phrase",
                                  "flags", "fuzziness", "fuzzy_max_expansions",
                                  "fuzzy_prefix_length", "fuzzy_transpositions", "lenient",
                                  "default_operator", "minimum_should_match",
                                  "quote_field_suffix", "boost"})
_QUERY_STRING = frozenset({"analyzer", "escape", "allow_leading_wildcard", "analyze_wildcard",
                           "auto_generate_synonyms_phrase_query", "boost", "default_operator",
                           "enable_position_increments", "fuzziness", "fuzzy_max_expansions",
                           "fuzzy_prefix_length", "fuzzy_transpositions", "fuzzy_rewrite",
                           "tie_breaker", "lenient", "type", "max_determinized_states",
                           "minimum_should_match", "quote_analyzer", "phrase_slop",
                           "quote_field_suffix", "rewrite", "time_zone"})
_WILDCARD = frozenset({"boost", "case_insensitive", "rewrite"})

#: Function name (and its synonyms) → (DSL query, options it takes, takes a field list).
FUNCTIONS: dict[str, tuple[str, frozenset[str], bool]] = {
    **dict.fromkeys(("MATCH", "MATCHQUERY", "MATCH_QUERY"), ("match", _MATCH, False)),
    **dict.fromkeys(("MATCH_PHRASE", "MATCHPHRASE", "MATCHPHRASEQUERY"),
                    ("match_phrase", _PHRASE, False)),
    "MATCH_BOOL_PREFIX": ("match_bool_prefix", _BOOL_PREFIX, False),
    "MATCH_PHRASE_PREFIX": ("match_phrase_prefix", _PHRASE_PREFIX, False),
    **dict.fromkeys(("MULTI_MATCH", "MULTIMATCH", "MULTIMATCHQUERY"),
                    ("multi_match", _MULTI_MATCH, True)),
    "SIMPLE_QUERY_STRING": ("simple_query_string", _SIMPLE_QUERY_STRING, True),
    "QUERY_STRING": ("query_string", _QUERY_STRING, True),
    "QUERY": ("query_string", _QUERY_STRING, True),
    **dict.fromkeys(("WILDCARD_QUERY", "WILDCARDQUERY"), ("wildcard", _WILDCARD, False)),
}
_SCORE = frozenset({"SCORE", "SCORE_QUERY", "SCOREQUERY"})


def function_name(node: exp.Expression) -> str | None:
    """The upper-case name of a relevance (or ``SCORE``) call, None for anything else."""
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        return name if name in FUNCTIONS or name in _SCORE else None
    return None


def contains_relevance(node: exp.Expression) -> str | None:
    """The name of the first relevance function inside ``node``, if any."""
    for sub in node.walk():
        name = function_name(sub)
        if name is not None:
            return name
    return None


def to_query(call: exp.Anonymous, schema: Schema, field: exp.Column | None = None) -> Query:
    """The DSL of a relevance call; ``field`` is the column of the alternative syntax
    ``field = match_query('text')``."""
    name = str(call.this).upper()
    args = list(call.expressions)
    if name in _SCORE:
        inner_name = function_name(args[0]) if args else None
        if inner_name not in FUNCTIONS or len(args) > 2:
            raise SemanticError(f"{name.lower()} takes a relevance function and an optional "
                                f"boost")
        inner = to_query(args[0], schema)
        if len(args) == 2:
            (body,) = inner.values()
            target = body if FUNCTIONS[inner_name][2] else next(iter(body.values()))
            target["boost"] = _number(args[1], name)
        return inner
    kind, allowed, multi = FUNCTIONS[name]
    positional = [a for a in args if not _is_option(a)]
    options = dict(_option(a, name) for a in args if _is_option(a))
    if field is not None:
        positional.insert(0, exp.Array(expressions=[field]) if multi else field)
    if multi and name != "QUERY":  # multi_match(query='x', fields='a,b') and the like
        if "fields" in options:
            positional.insert(0, _legacy_fields(options.pop("fields")))
        if "query" in options:
            positional.append(_value_literal(options.pop("query"), name))
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise SemanticError(f"Parameter {unknown[0]} is invalid for {name.lower()} function.")
    if name == "QUERY":
        if len(positional) != 1:
            raise SemanticError("query takes the query text and options")
        return {kind: {"query": _text(positional[0], name), **options}}
    if len(positional) != 2:
        raise SemanticError(f"{name.lower()} takes a field{'s list' if multi else ''}, the "
                            f"query text and options")
    target, text = positional
    if multi:
        return {kind: {"query": _text(text, name), "fields": _fields(target, schema, name),
                       **options}}
    field_name = _field(target, schema, name)
    if kind == "wildcard":
        return {kind: {field_name: {"value": sql_wildcard(_text(text, name)), **options}}}
    return {kind: {field_name: {"query": _text(text, name), **options}}}


def sql_wildcard(pattern: str) -> str:
    """``wildcard_query``'s pattern: Lucene's ``*``/``?`` and SQL's ``%``/``_`` both match;
    ``\\%`` and ``\\_`` are the literal characters, as the plugin documents."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(following if following in "%_" and following else "\\" + following)
        else:
            out.append({"%": "*", "_": "?"}.get(char, char))
    return "".join(out)


def _is_option(node: exp.Expression) -> bool:
    return isinstance(node, exp.EQ) and (
        (isinstance(node.this, exp.Column) and not node.this.table)
        or (isinstance(node.this, exp.Literal) and node.this.is_string))


def _option(node: exp.EQ, function: str) -> tuple[str, Any]:
    key = node.this.name.lower()
    value = node.expression
    if key == "fields" and isinstance(value, exp.Array):
        return key, value
    return key, _option_value(value, function, key)


def _option_value(node: exp.Expression, function: str, key: str) -> Any:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        return _number(node, function)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return -_number(node.this, function)
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Column) and not node.table:
        return node.name  # an unquoted word: fuzziness=AUTO, analyzer=standard
    raise SemanticError(f"{function.lower()}: option [{key}] takes a literal value, got "
                        f"[{node.sql()}]")


def _number(node: exp.Expression, function: str) -> int | float:
    if isinstance(node, exp.Literal) and not node.is_string:
        text = node.this
        return float(text) if any(c in text for c in ".eE") else int(text)
    raise SemanticError(f"{function.lower()}: expected a number, got [{node.sql()}]")


def _value_literal(value: Any, function: str) -> exp.Expression:
    if not isinstance(value, str):
        raise SemanticError(f"{function.lower()}: the query must be a string")
    return exp.Literal.string(value)


def _legacy_fields(value: Any) -> exp.Expression:
    """``fields='a,b^2'`` (the legacy syntax) or ``fields=[a, b]``."""
    if isinstance(value, exp.Array):
        return value
    return exp.Array(expressions=[exp.Literal.string(f.strip())
                                  for f in str(value).split(",") if f.strip()])


def _text(node: exp.Expression, function: str) -> str:
    """The query text: a string (single- or double-quoted, as the plugin's docs write it) or
    a number, date or boolean literal."""
    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, exp.Column) and node.this.quoted and not node.table:
        return node.name
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    raise SemanticError(f"{function.lower()}: the query must be a literal, got [{node.sql()}]")


def _field(node: exp.Expression, schema: Schema, function: str) -> str:
    if isinstance(node, exp.Literal) and node.is_string:
        name = node.this
    elif isinstance(node, exp.Column):
        name = ".".join(part.name for part in node.parts)
    else:
        raise SemanticError(f"{function.lower()}: expected a field, got [{node.sql()}]")
    if "*" not in name and name not in schema:
        raise SemanticError(f"can't resolve Symbol(namespace=FIELD_NAME, name={name}) in "
                            f"type env")
    return name


def _fields(node: exp.Expression, schema: Schema, function: str) -> list[str]:
    """``[a, 'b^2', `c.d` ^ 3, "*name"]`` → ``["a", "b^2", "c.d^3", "*name"]``."""
    items = node.expressions if isinstance(node, exp.Array) else [node]
    out = []
    for item in items:
        boost = None
        if isinstance(item, exp.BitwiseXor):
            item, boost = item.this, _number(item.expression, function)
        text = item.this if isinstance(item, exp.Literal) and item.is_string else None
        if text is not None:
            name, *weight = text.replace("^", " ").split()
            _field(exp.Literal.string(name), schema, function)
            out.append(f"{name}^{weight[0]}" if weight else name)
            continue
        name = _field(item, schema, function)
        out.append(f"{name}^{boost}" if boost is not None else name)
    if not out:
        raise SemanticError(f"{function.lower()}: the fields list is empty")
    return out
