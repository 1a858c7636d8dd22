"""OpenSearch's Piped Processing Language, compiled onto one SQL statement.

``source=waf | where country = 'NL' | stats count() by clientIp | sort - count() | head 10``
becomes ``SELECT COUNT(*) AS `count()`, clientIp FROM waf WHERE country = 'NL' GROUP BY
clientIp ORDER BY `count()` DESC LIMIT 10`` in the :class:`OpenSearchSQL` dialect's AST, which
the SQL core plans exactly as it plans SQL (push-down first, DuckDB for the rest). Each
command folds into the statement built so far and opens a subquery only when SQL's clause
order forces one (a ``where`` after ``head``, a ``stats`` over a ``dedup``); so the
common pipelines stay one flat SELECT the core can push down whole.

The parser is hand-written: a tokenizer, one small parser per command, and recursive
descent for expressions. Column names follow the PPL plugin: an aggregation without an
alias is named by its text as written (``count()``, ``avg(age)``). There is no default
LIMIT: the core refuses answers over ``plugins.query.size_limit`` rather than cut them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from loghaven.sql.dialect import OpenSearchSQL
from loghaven.sql.errors import SemanticError, SyntaxError_
from loghaven.sql.pushdown import column_name

REASON = "Invalid Query"

COMMANDS = ("where", "fields", "stats", "sort", "head", "eval", "dedup", "rename", "top", "rare",
            "search")

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<quoted>`[^`]*`)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[A-Za-z]*)
  | (?P<ident>[A-Za-z_@][A-Za-z0-9_@.]*)
  | (?P<op>==|!=|<>|<=|>=|[=<>+\-*/%(),|])
""", re.VERBOSE)

_KEYWORDS = {"and", "or", "xor", "not", "like", "in", "is", "between", "as", "by", "from",
             "true", "false", "null"}

# PPL's span units, in the names sqlglot's DATE_TRUNC and seconds for fixed-size buckets.
_UNITS = {"ms": ("MILLISECOND", 0.001), "s": ("SECOND", 1), "m": ("MINUTE", 60),
          "h": ("HOUR", 3600), "d": ("DAY", 86400), "w": ("WEEK", 604800),
          "M": ("MONTH", None), "q": ("QUARTER", None), "y": ("YEAR", None)}
_LONG_UNITS = {"millisecond": "ms", "second": "s", "sec": "s", "minute": "m", "min": "m",
               "hour": "h", "hr": "h", "day": "d", "week": "w", "month": "M", "quarter": "q",
               "year": "y"}

# PPL's scalar functions that have the same name and meaning in the SQL dialect; the SQL
# core plans them as it plans SQL's.
_FUNCTIONS = {
    "abs", "ceil", "ceiling", "floor", "round", "sqrt", "pow", "power", "mod", "exp", "ln",
    "log", "log2", "log10", "sign", "truncate", "cbrt",
    "concat", "concat_ws", "length", "lower", "upper", "trim", "ltrim", "rtrim", "substring",
    "substr", "locate", "position", "replace", "reverse", "left", "right", "ascii",
    "now", "curdate", "current_date", "current_timestamp", "date_format", "year", "month",
    "day", "dayofmonth", "hour", "minute", "second", "dayofweek", "dayofyear", "week",
    "from_unixtime", "unix_timestamp", "date", "date_add", "date_sub", "datediff", "timestamp",
    "ifnull", "nullif", "coalesce", "if", "split_part", "date_trunc",
}

# Aggregations of ``stats``: PPL name -> how it becomes SQL.
_AGGREGATES = {"count", "c", "sum", "avg", "min", "max", "var_samp", "var_pop", "stddev_samp",
               "stddev_pop", "distinct_count", "dc", "distinct_count_approx", "percentile",
               "percentile_approx", "median"}


@dataclass
class _Token:
    kind: str  # str, quoted, num, ident, op, eof
    text: str
    pos: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "ident" else ""


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _syntax(text, pos, text[pos], "a term")
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup or "", match.group(), pos))
        pos = match.end()
    tokens.append(_Token("eof", "<EOF>", len(text)))
    return tokens


def _syntax(text: str, pos: int, symbol: str, expected: str) -> SyntaxError_:
    """The plugin's syntax error: the offending symbol, the query up to it, what fits."""
    return SyntaxError_(
        f"Failed to parse query due to offending symbol [{symbol}] at: "
        f"'{text[:pos + len(symbol)]}' <--- HERE... More details: Expecting {expected}",
        reason=REASON)


def _unknown_field(name: str) -> SemanticError:
    return SemanticError(f"can't resolve Symbol(namespace=FIELD_NAME, name={name}) in type env",
                         reason=REASON)


def _identifier(name: str) -> exp.Identifier:
    return exp.to_identifier(name)


def _column(name: str, quoted: bool = False) -> exp.Column:
    """A field reference shaped as the SQL dialect parses it (``a.b`` as a dotted column,
    a backticked name as one quoted identifier), so the core plans both the same way."""
    if quoted or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,3}", name):
        return exp.Column(this=exp.Identifier(this=name, quoted=True))
    return exp.to_column(name, dialect=OpenSearchSQL)


def _name(expr: exp.Expression) -> str | None:
    return column_name(expr) if isinstance(expr, exp.Column) else None


def _aliased(name: str, expr: exp.Expression) -> exp.Expression:
    return expr if _name(expr) == name else exp.alias_(expr, _identifier(name))


# --------------------------------------------------------------------------- the statement

Ordering = tuple[exp.Expression, bool]  # (key, descending)


@dataclass
class _Layer:
    """One SELECT being built.

    ``items`` are named output expressions over ``source``. With ``star`` the source's own
    columns come first (minus ``excluded``, under their ``renamed`` names) and an item named
    in ``replaced`` takes the place of the source column of that name (``* REPLACE``).
    Sort keys are either an item's name (ORDER BY its alias) or an expression over the
    source."""

    source: exp.Expression
    star: bool = True
    items: list[tuple[str, exp.Expression]] = field(default_factory=list)
    replaced: set[str] = field(default_factory=set)
    excluded: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # old -> new
    known: list[str] | None = None  # the source's columns, when a subquery tells them
    where: list[exp.Expression] = field(default_factory=list)
    group: list[exp.Expression] = field(default_factory=list)
    grouped: bool = False
    having: list[exp.Expression] = field(default_factory=list)
    qualify: list[exp.Expression] = field(default_factory=list)
    order: list[Ordering] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0

    def item(self, name: str) -> exp.Expression | None:
        return next((expr for item, expr in self.items if item == name), None)

    def outputs(self) -> list[str] | None:
        """The output column names, or None when the source's columns are unknown."""
        if not self.star:
            return [name for name, _ in self.items]
        if self.known is None:
            return None
        names = [self.renamed.get(n, n) for n in self.known if n not in self.excluded]
        return names + [n for n, _ in self.items if n not in names]

    def source_of(self, name: str) -> exp.Expression:
        """The expression over the source that output ``name`` is, or the plugin's
        unknown-field error when no output has that name."""
        item = self.item(name)
        if item is not None:
            return item.copy()
        if self.star:
            back = {new: old for old, new in self.renamed.items()}
            if name in back:
                return _column(back[name])
            if name not in self.excluded and name not in self.renamed \
                    and (self.known is None or name in self.known):
                return _column(name)
        raise _unknown_field(name)

    def has(self, name: str | None) -> bool:
        try:
            return name is not None and self.source_of(name) is not None
        except SemanticError:
            return False

    def resolve(self, expr: exp.Expression) -> exp.Expression:
        """``expr`` over this layer's outputs, rewritten over its source (eval'd and
        aggregated names inlined, renamed ones back to their source names), so a command
        folds into this SELECT instead of opening a subquery."""
        return expr.copy().transform(
            lambda node: self.source_of(column_name(node)) if isinstance(node, exp.Column)
            else node)

    def key_over_source(self, key: exp.Expression) -> exp.Expression:
        """A sort key as an expression over the source (for a window's ORDER BY)."""
        name = _name(key)
        item = self.item(name) if name is not None else None
        return key.copy() if item is None else item.copy()

    def project(self, items: list[tuple[str, exp.Expression]]) -> None:
        """Exactly these outputs, in this order."""
        self.star, self.items, self.replaced, self.excluded, self.renamed = \
            False, items, set(), [], {}

    def clean(self) -> bool:
        """Whether rows can still be filtered or grouped in this SELECT."""
        return not (self.grouped or self.qualify or self.limit is not None or self.offset)

    def select(self) -> exp.Select:
        projection: list[exp.Expression] = []
        if self.star:
            star = exp.Star()
            if self.excluded:
                star.set("except_", [_column(n) for n in self.excluded])
            if self.replaced:
                star.set("replace", [exp.alias_(e, _identifier(n)) for n, e in self.items
                                     if n in self.replaced])
            if self.renamed:
                star.set("rename", [exp.alias_(_column(old), _identifier(new))
                                    for old, new in self.renamed.items()])
            projection.append(star)
        projection += [_aliased(n, e) for n, e in self.items
                       if not (self.star and n in self.replaced)]
        tree = exp.Select(expressions=projection).from_(self.source, copy=False)
        if self.where:
            tree = tree.where(exp.and_(*self.where), copy=False)
        if self.group:
            tree = tree.group_by(*self.group, copy=False)
        if self.having:
            tree = tree.having(exp.and_(*self.having), copy=False)
        if self.qualify:
            tree = tree.qualify(exp.and_(*self.qualify), copy=False)
        if self.order:
            tree.set("order", _order_by(self.order))
        if self.limit is not None:
            tree = tree.limit(self.limit, copy=False)
        if self.offset:
            tree = tree.offset(self.offset, copy=False)
        return tree


def _order_by(keys: list[Ordering]) -> exp.Order:
    """PPL's order: ascending puts null first, descending puts it last."""
    return exp.Order(expressions=[exp.Ordered(this=key, desc=desc, nulls_first=not desc)
                                  for key, desc in keys])


def _is_null(expr: exp.Expression) -> exp.Is:
    return exp.Is(this=expr.copy(), expression=exp.Null())


def _row_number_at_most(partition: list[exp.Expression], order: list[Ordering],
                        count: int) -> exp.Expression:
    window = exp.Window(this=exp.RowNumber(), partition_by=[e.copy() for e in partition])
    if order:
        window.set("order", _order_by(order))
    return exp.LTE(this=window, expression=exp.Literal.number(count))


class _Pipeline:
    """Folds commands into layers; opens a subquery only when SQL's clause order needs one
    (rows filtered, grouped or deduplicated after they were limited, grouped or ranked)."""

    def __init__(self, index: str) -> None:
        self.layer = _Layer(source=exp.Table(this=_identifier(index)))
        self.depth = 0

    def wrap(self) -> _Layer:
        """The current statement as the FROM of a new one. Its row order carries over when
        every sort key is one of its outputs (a subquery's order is not kept otherwise)."""
        inner = self.layer
        carried: list[Ordering] = []
        if all(inner.has(_name(key)) for key, _ in inner.order):
            carried = [(key.copy(), desc) for key, desc in inner.order]
            if inner.limit is None and not inner.offset:
                inner.order = []
        self.depth += 1
        query = inner.select().subquery(f"_ppl{self.depth}", copy=False)
        self.layer = _Layer(source=query, known=inner.outputs(), order=carried)
        return self.layer

    def clean(self) -> _Layer:
        return self.layer if self.layer.clean() else self.wrap()

    # ---------------------------------------------------------------- commands

    def where(self, condition: exp.Expression) -> None:
        layer = self.layer
        if layer.grouped and not (layer.qualify or layer.limit is not None or layer.offset):
            layer.having.append(layer.resolve(condition))
            return
        layer = self.clean()
        layer.where.append(layer.resolve(condition))

    def fields(self, names: list[str], remove: bool) -> None:
        layer = self.layer
        if remove:
            for name in names:
                self._drop(layer, name)
            return
        chosen = [(name, layer.source_of(name)) for name in names]
        for name, _ in layer.items:
            if name not in names:
                self._inline_order(layer, name)
        layer.project(chosen)

    def _drop(self, layer: _Layer, name: str) -> None:
        layer.source_of(name)  # it must exist
        if layer.item(name) is not None:
            self._inline_order(layer, name)
            layer.items = [(n, e) for n, e in layer.items if n != name]
            if name not in layer.replaced:
                return
            layer.replaced.discard(name)  # the source column it replaced goes too
        back = {new: old for old, new in layer.renamed.items()}
        if name in back:
            name = back[name]
            del layer.renamed[name]
        layer.excluded.append(name)

    @staticmethod
    def _inline_order(layer: _Layer, name: str) -> None:
        """Sort keys naming an output about to go are replaced by its expression."""
        item = layer.item(name)
        if item is not None:
            layer.order = [(item.copy() if _name(k) == name else k, d) for k, d in layer.order]

    def eval(self, assignments: list[tuple[str, exp.Expression]]) -> None:
        layer = self.layer
        for name, expr in assignments:
            value = layer.resolve(expr)
            if layer.item(name) is not None:
                layer.items = [(n, value if n == name else e) for n, e in layer.items]
                continue
            if layer.star and (name in layer.renamed or name in layer.excluded):
                raise _unknown_field(name)
            overrides = name in {_name(c) for c in expr.find_all(exp.Column)} \
                or (layer.known is not None and name in layer.known)
            if layer.star and overrides:
                layer.replaced.add(name)
            layer.items.append((name, value))

    def stats(self, aggregates: list[tuple[str, exp.Expression]],
              groups: list[tuple[str, exp.Expression]], nullable: bool) -> None:
        layer = self.clean()
        keys = [(name, layer.resolve(expr)) for name, expr in groups]
        values = [(name, layer.resolve(expr)) for name, expr in aggregates]
        if not nullable:
            layer.where += [exp.Not(this=_is_null(k)) for _, k in keys]
        layer.project(values + keys)
        layer.group = [k.copy() for _, k in keys]
        layer.grouped, layer.order = True, []

    def sort(self, keys: list[Ordering], count: int) -> None:
        layer = self.layer if self.layer.limit is None and not self.layer.offset else self.wrap()
        resolved = []
        for key, desc in keys:
            name = _name(key)
            if name is not None and layer.item(name) is not None:
                resolved.append((_column(name), desc))  # an output: ORDER BY its alias
            else:
                resolved.append((layer.resolve(key), desc))
        # a later sort is the primary order; earlier ones break its ties (a stable sort)
        taken = {k.sql() for k, _ in resolved}
        layer.order = resolved + [(k, d) for k, d in layer.order if k.sql() not in taken]
        if count > 0:
            layer.limit = count

    def head(self, size: int, offset: int) -> None:
        layer = self.layer
        if layer.limit is None:
            layer.limit, layer.offset = size, layer.offset + offset
            return
        layer.offset += offset
        layer.limit = max(0, min(size, layer.limit - offset))

    def rename(self, pairs: list[tuple[str, str]]) -> None:
        layer = self.layer
        for old, new in pairs:
            layer.source_of(old)  # it must exist
            if layer.item(old) is not None:
                layer.items = [(new if n == old else n, e) for n, e in layer.items]
                layer.replaced.discard(old)
                layer.order = [(_column(new) if _name(k) == old else k, d)
                               for k, d in layer.order]
                continue
            back = {n: o for o, n in layer.renamed.items()}
            layer.renamed[back.get(old, old)] = new

    def dedup(self, names: list[str], count: int, keepempty: bool) -> None:
        """The first ``count`` rows (in the current order) of each combination of values."""
        layer = self.clean()
        keys = [layer.resolve(_column(n)) for n in names]
        order = [(layer.key_over_source(k), d) for k, d in layer.order]
        keep = _row_number_at_most(keys, order, count)
        if keepempty:
            layer.qualify.append(exp.or_(*[_is_null(k) for k in keys], keep))
        else:
            layer.where += [exp.Not(this=_is_null(k)) for k in keys]
            layer.qualify.append(keep)

    def top(self, names: list[str], by: list[str], count: int, *, rare: bool,
            showcount: bool, countfield: str, usenull: bool) -> None:
        """The ``count`` most (``rare``: least) frequent combinations of ``names``' values,
        per combination of ``by``'s, with their count."""
        layer = self.clean()
        values = [(n, layer.resolve(_column(n))) for n in names]
        groups = [(n, layer.resolve(_column(n))) for n in by]
        if not usenull:
            layer.where += [exp.Not(this=_is_null(v)) for _, v in values]
        tally = exp.Count(this=exp.Star())
        layer.project(groups + values + ([(countfield, tally)] if showcount else []))
        layer.group = [e.copy() for _, e in groups + values]
        layer.grouped = True
        ranking = [(tally.copy(), not rare)] + [(v.copy(), False) for _, v in values]
        if groups:
            layer.qualify = [_row_number_at_most([e for _, e in groups], ranking, count)]
            layer.order = [(_column(n), False) for n, _ in groups]
        else:
            layer.limit = count
        key = _column(countfield) if showcount else tally
        layer.order += [(key.copy(), not rare)] + [(_column(n), False) for n, _ in values]


# --------------------------------------------------------------------------- the parser

class _Parser:
    """Recursive descent over one PPL query's tokens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.at = 0

    # ------------------------------------------------------------ token helpers

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def next(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def fail(self, expected: str) -> SyntaxError_:
        return _syntax(self.text, self.token.pos, self.token.text, expected)

    def accept(self, text: str) -> bool:
        token = self.token
        if (token.kind == "op" and token.text == text) or token.word == text:
            self.at += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise self.fail(f"'{text}'")

    def at_end_of_command(self) -> bool:
        return self.token.kind == "eof" or (self.token.kind == "op" and self.token.text == "|")

    def field_name(self) -> tuple[str, bool]:
        """A field name as written; backticked names come back unquoted."""
        token = self.token
        if token.kind == "quoted":
            self.at += 1
            return token.text[1:-1], True
        if token.kind == "ident" and token.word not in _KEYWORDS:
            self.at += 1
            return token.text, False
        raise self.fail("a field name")

    def output_name(self) -> str:
        """A field name, or a stats output named by its text as written (``count()``)."""
        start, after = self.token, self.tokens[self.at + 1]
        if start.kind != "ident" or not (after.kind == "op" and after.text == "("):
            return self.field_name()[0]
        self.at += 1
        depth = 0
        while True:
            token = self.next()
            if token.kind == "eof":
                raise self.fail("')'")
            depth += {"(": 1, ")": -1}.get(token.text, 0) if token.kind == "op" else 0
            if depth == 0:
                return self.text[start.pos:token.pos + 1]

    def field_list(self) -> list[str]:
        names = [self.output_name()]
        while self.accept(","):
            names.append(self.output_name())
        return names

    def integer(self) -> int:
        token = self.token
        if token.kind != "num" or not token.text.isdigit():
            raise self.fail("an integer")
        self.at += 1
        return int(token.text)

    def option(self, names: tuple[str, ...]) -> tuple[str, str] | None:
        """``name=value`` for one of ``names``, or None (nothing consumed)."""
        token, after = self.token, self.tokens[self.at + 1]
        if token.word in names and after.kind == "op" and after.text == "=":
            self.at += 2
            value = self.next()
            text = value.text[1:-1] if value.kind in ("str", "quoted") else value.text
            return token.word, text
        return None

    def boolean(self, name: str, value: str) -> bool:
        if value.lower() not in ("true", "false"):
            raise _syntax(self.text, self.tokens[self.at - 1].pos, value,
                          f"true or false for {name}")
        return value.lower() == "true"

    # ------------------------------------------------------------ the pipeline

    def query(self) -> exp.Select:
        pipeline = self.search()
        while self.accept("|"):
            name = self.token.word
            if self.token.kind != "ident" or name not in COMMANDS or name == "search":
                raise self.fail("a command: " + ", ".join(c for c in COMMANDS if c != "search"))
            self.at += 1
            getattr(self, "command_" + name)(pipeline)
            if not self.at_end_of_command():
                raise self.fail(f"'|' or the end of the query after the {name} command")
        if self.token.kind != "eof":
            raise self.fail("'|'")
        return pipeline.layer.select()

    def search(self) -> _Pipeline:
        self.accept("search")
        if self.token.word != "source" and self.token.word != "index":
            raise self.fail("source=<index>")
        self.at += 1
        if not (self.token.kind == "op" and self.token.text == "="):
            raise self.fail("'='")
        start = self.token.pos + 1
        match = re.compile(r"\s*(`[^`]+`|[^\s|`,]+(?:\s*,\s*[^\s|`,]+)*)").match(self.text, start)
        if match is None:
            raise _syntax(self.text, start, self.text[start:start + 1] or "<EOF>", "an index name")
        index = match.group(1).strip("`").replace(" ", "")
        while self.tokens[self.at].kind != "eof" and self.tokens[self.at].pos < match.end():
            self.at += 1
        pipeline = _Pipeline(index)
        if not self.at_end_of_command():
            pipeline.where(self.logical(implicit_and=True))
        return pipeline

    def command_where(self, pipeline: _Pipeline) -> None:
        pipeline.where(self.logical(implicit_and=True))

    def command_fields(self, pipeline: _Pipeline) -> None:
        remove = self.accept("-")
        if not remove:
            self.accept("+")
        pipeline.fields(self.field_list(), remove)

    def command_rename(self, pipeline: _Pipeline) -> None:
        pairs = []
        while True:
            old = self.output_name()
            self.expect("as")
            new = self.field_name()[0]
            if "*" in old or "*" in new:
                raise SemanticError("wildcards in rename are not supported", reason=REASON)
            pairs.append((old, new))
            if not self.accept(","):
                break
        pipeline.rename(pairs)

    def command_eval(self, pipeline: _Pipeline) -> None:
        assignments = []
        while True:
            name = self.field_name()[0]
            self.expect("=")
            assignments.append((name, self.logical()))
            if not self.accept(","):
                break
        pipeline.eval(assignments)

    def command_head(self, pipeline: _Pipeline) -> None:
        size = self.integer() if self.token.kind == "num" else 10
        offset = self.integer() if self.accept("from") else 0
        pipeline.head(size, offset)

    def command_sort(self, pipeline: _Pipeline) -> None:
        count = self.integer() if self.token.kind == "num" else 0
        keys = []
        while True:
            desc = False
            if self.accept("-"):
                desc = True
            else:
                self.accept("+")
            key = self.sort_key()
            if self.token.word in ("asc", "a", "desc", "d"):
                desc = self.next().word in ("desc", "d")
            keys.append((key, desc))
            if not self.accept(","):
                break
        pipeline.sort(keys, count)

    def sort_key(self) -> exp.Expression:
        """A field, an aggregation's output named as written (``count()``), or
        ``str(f)``/``num(f)``/``auto(f)``/``ip(f)``."""
        token, after = self.token, self.tokens[self.at + 1]
        if token.kind == "ident" and after.kind == "op" and after.text == "(":
            if token.word in ("str", "num", "auto", "ip"):
                self.at += 2
                inner = _column(*self.field_name())
                self.expect(")")
                if token.word == "str":
                    return exp.Cast(this=inner, to=exp.DataType.build("VARCHAR"))
                if token.word == "num":
                    return exp.Cast(this=inner, to=exp.DataType.build("DOUBLE"))
                return inner
            return _column(self.output_name(), quoted=True)
        return _column(*self.field_name())

    def command_stats(self, pipeline: _Pipeline) -> None:
        nullable = True
        option = self.option(("bucket_nullable",))
        if option:
            nullable = self.boolean(*option)
        aggregates = [self.aggregate()]
        while self.accept(","):
            aggregates.append(self.aggregate())
        groups: list[tuple[str, exp.Expression]] = []
        if self.accept("by"):
            while True:
                groups.append(self.group_key())
                if not self.accept(","):
                    break
        spans = [g for g in groups if getattr(g[1], "meta", {}).get("span")]
        groups = spans + [g for g in groups if g not in spans]  # span is always the first key
        pipeline.stats(aggregates, groups, nullable)

    def aggregate(self) -> tuple[str, exp.Expression]:
        token = self.token
        if token.kind != "ident" or self.tokens[self.at + 1].text != "(":
            raise self.fail("an aggregation such as count(), sum(field), avg(field)")
        name = token.word
        self.at += 2
        args = [] if self.accept(")") else self.arguments()
        text = self.text[token.pos:self.tokens[self.at - 1].pos + 1]
        expr = self.aggregation(name, args, token)
        if self.accept("as"):
            text = self.field_name()[0]
        return text, expr

    def aggregation(self, name: str, args: list[exp.Expression], token: _Token) -> exp.Expression:
        percent = re.fullmatch(r"(?:perc|p)(\d+(?:\.\d+)?)", name)
        if name not in _AGGREGATES and not percent:
            raise SemanticError(f"Unsupported aggregation function {token.text}; use one of "
                                + ", ".join(sorted(_AGGREGATES)) + ", perc<N>, p<N>",
                                reason=REASON)
        if name in ("count", "c") and not args:
            return exp.Count(this=exp.Star())
        arity = 2 if name in ("percentile", "percentile_approx") else 1
        if len(args) != arity:
            raise SemanticError(f"{token.text} takes {arity} argument(s), got {len(args)}",
                                reason=REASON)
        if name in ("count", "c"):
            return exp.Count(this=args[0])
        if name in ("dc", "distinct_count", "distinct_count_approx"):
            return exp.Count(this=exp.Distinct(expressions=args))
        if percent or name in ("percentile", "percentile_approx", "median"):
            value = 50.0 if name == "median" else float(percent.group(1) if percent
                                                        else args[1].name)
            return exp.ApproxQuantile(this=args[0], quantile=exp.Literal.number(value / 100))
        return exp.func(name, *args, dialect=OpenSearchSQL)

    def group_key(self) -> tuple[str, exp.Expression]:
        token = self.token
        if token.word == "span" and self.tokens[self.at + 1].text == "(":
            self.at += 2
            target = self.additive()
            self.expect(",")
            expr = self.span(target)
            self.expect(")")
            expr.meta["span"] = True
            name = self.text[token.pos:self.tokens[self.at - 1].pos + 1]
        else:
            name, quoted = self.field_name()
            expr = _column(name, quoted)
        if self.accept("as"):
            name = self.field_name()[0]
        return name, expr

    def span(self, target: exp.Expression) -> exp.Expression:
        """``span(field, 10)`` as a numeric bucket; ``span(ts, 1h)`` as a time bucket."""
        token = self.next()
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", token.text) if token.kind == "num" \
            else None
        if match is None:
            raise _syntax(self.text, token.pos, token.text, "an interval such as 10 or 1h")
        size, unit = match.group(1), match.group(2)
        if not unit:
            width = exp.Literal.number(size)
            return exp.Mul(this=exp.Floor(this=exp.Div(this=target, expression=width)),
                           expression=width.copy())
        unit = _LONG_UNITS.get(unit.lower().rstrip("s"), unit) if len(unit) > 2 else unit
        if unit not in _UNITS:
            raise _syntax(self.text, token.pos, token.text,
                          "a time unit: ms, s, m, h, d, w, M, q, y")
        trunc, seconds = _UNITS[unit]
        if float(size) == 1:
            return exp.TimestampTrunc(this=target, unit=exp.Var(this=trunc))
        if seconds is None or not size.isdigit():
            raise SemanticError(f"span {token.text}: calendar units (M, q, y) take an interval "
                                "of 1; use a fixed unit (d, w) for wider buckets",
                                reason=REASON)
        width = exp.Literal.number(int(size) * seconds)
        epoch = exp.TimeToUnix(this=target)
        return exp.UnixToTime(this=exp.Mul(
            this=exp.Floor(this=exp.Div(this=epoch, expression=width)),
            expression=width.copy()))

    def command_dedup(self, pipeline: _Pipeline) -> None:
        count = self.integer() if self.token.kind == "num" else 1
        if count < 1:
            raise SemanticError("dedup's number of duplicates to keep must be greater than 0",
                                reason=REASON)
        names, keepempty, consecutive = [], False, False
        while not self.at_end_of_command():
            option = self.option(("keepempty", "consecutive"))
            if option:
                value = self.boolean(*option)
                keepempty, consecutive = (value, consecutive) if option[0] == "keepempty" \
                    else (keepempty, value)
            elif names and not self.accept(","):
                raise self.fail("',' or keepempty=/consecutive=")
            else:
                names.append(self.field_name()[0])
        if not names:
            raise self.fail("a field name")
        if consecutive:
            raise SemanticError("dedup consecutive=true is not supported (OpenSearch runs it "
                                "only on its legacy engine); sort, then dedup", reason=REASON)
        pipeline.dedup(names, count, keepempty)

    def command_top(self, pipeline: _Pipeline, rare: bool = False) -> None:
        count = self.integer() if self.token.kind == "num" else 10
        settings = {"showcount": "true", "countfield": "count", "usenull": "true"}
        while (option := self.option(tuple(settings))) is not None:
            settings[option[0]] = option[1]
        names = self.field_list()
        by = self.field_list() if self.accept("by") else []
        pipeline.top(names, by, count, rare=rare,
                     showcount=self.boolean("showcount", settings["showcount"]),
                     countfield=settings["countfield"],
                     usenull=self.boolean("usenull", settings["usenull"]))

    def command_rare(self, pipeline: _Pipeline) -> None:
        self.command_top(pipeline, rare=True)

    # ------------------------------------------------------------ expressions

    def logical(self, implicit_and: bool = False) -> exp.Expression:
        left = self.conjunction(implicit_and)
        while True:
            if self.accept("or"):
                left = exp.Or(this=left, expression=self.conjunction(implicit_and))
            elif self.accept("xor"):
                left = exp.Xor(this=left, expression=self.conjunction(implicit_and))
            else:
                return left

    def conjunction(self, implicit_and: bool) -> exp.Expression:
        left = self.negation()
        while True:
            if self.accept("and") or (implicit_and and self.starts_term()):
                left = exp.And(this=left, expression=self.negation())
            else:
                return left

    def starts_term(self) -> bool:
        token = self.token
        return (token.kind in ("str", "num", "quoted")
                or (token.kind == "ident" and token.word not in _KEYWORDS - {"not", "true",
                                                                             "false", "null"})
                or (token.kind == "op" and token.text in ("(", "-")))

    def negation(self) -> exp.Expression:
        if self.accept("not"):
            return exp.Not(this=self.negation())
        return self.comparison()

    def comparison(self) -> exp.Expression:
        left = self.additive()
        ops = {"=": exp.EQ, "==": exp.EQ, "!=": exp.NEQ, "<>": exp.NEQ, "<": exp.LT,
               "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
        token = self.token
        if token.kind == "op" and token.text in ops:
            self.at += 1
            return ops[token.text](this=left, expression=self.additive())
        negated = self.token.word == "not" and self.tokens[self.at + 1].word in ("like", "in",
                                                                                "between")
        if negated:
            self.at += 1
        if self.accept("like"):
            result: exp.Expression = exp.Like(this=left, expression=self.additive())
        elif self.accept("in"):
            self.expect("(")
            result = exp.In(this=left, expressions=self.arguments())
        elif self.accept("between"):
            low = self.additive()
            self.expect("and")
            result = exp.Between(this=left, low=low, high=self.additive())
        elif self.accept("is"):
            negated = self.accept("not")
            self.expect("null")
            result = exp.Is(this=left, expression=exp.Null())
        else:
            if negated:
                raise self.fail("like, in or between")
            return left
        return exp.Not(this=result) if negated else result

    def additive(self) -> exp.Expression:
        left = self.multiplicative()
        while self.token.kind == "op" and self.token.text in ("+", "-"):
            cls = exp.Add if self.next().text == "+" else exp.Sub
            left = cls(this=left, expression=self.multiplicative())
        return left

    def multiplicative(self) -> exp.Expression:
        left = self.unary()
        ops = {"*": exp.Mul, "/": exp.Div, "%": exp.Mod}
        while self.token.kind == "op" and self.token.text in ops:
            left = ops[self.next().text](this=left, expression=self.unary())
        return left

    def unary(self) -> exp.Expression:
        if self.accept("-"):
            operand = self.unary()
            if isinstance(operand, exp.Literal) and not operand.is_string:
                return exp.Literal.number("-" + operand.this)
            return exp.Neg(this=operand)
        self.accept("+")
        return self.primary()

    def primary(self) -> exp.Expression:
        token = self.token
        if token.kind == "str":
            self.at += 1
            quote = token.text[0]
            body = token.text[1:-1].replace(quote * 2, quote)
            return exp.Literal.string(re.sub(r"\\(.)", r"\1", body))
        if token.kind == "num":
            if not re.fullmatch(r"[\d.eE+-]+", token.text):
                raise self.fail("a number")
            self.at += 1
            return exp.Literal.number(token.text)
        if self.accept("("):
            inner = self.logical()
            self.expect(")")
            return exp.Paren(this=inner)
        if token.word in ("true", "false"):
            self.at += 1
            return exp.Boolean(this=token.word == "true")
        if token.word == "null":
            self.at += 1
            return exp.Null()
        if token.kind == "ident" and self.tokens[self.at + 1].text == "(" \
                and self.tokens[self.at + 1].kind == "op":
            return self.call()
        return _column(*self.field_name())

    def arguments(self) -> list[exp.Expression]:
        """Comma-separated expressions up to and including the closing parenthesis."""
        args = [self.logical()]
        while self.accept(","):
            args.append(self.logical())
        self.expect(")")
        return args

    def call(self) -> exp.Expression:
        token = self.next()
        name = token.word
        self.at += 1  # (
        if name == "cast":
            value = self.logical()
            self.expect("as")
            target = self.next()
            self.expect(")")
            return exp.Cast(this=value, to=exp.DataType.build(target.text, dialect=OpenSearchSQL))
        args = [] if self.accept(")") else self.arguments()
        if name in ("isnull", "isnotnull", "ispresent"):
            if len(args) != 1:
                raise SemanticError(f"{token.text} takes 1 argument", reason=REASON)
            test = exp.Is(this=args[0], expression=exp.Null())
            return test if name == "isnull" else exp.Not(this=test)
        if name == "like" and len(args) == 2:
            return exp.Like(this=args[0], expression=args[1])
        if name in _AGGREGATES:
            raise SemanticError(f"aggregation {token.text}() belongs in stats", reason=REASON)
        if name not in _FUNCTIONS:
            raise SemanticError(f"unsupported function name: {token.text}", reason=REASON)
        return exp.func(name, *args, dialect=OpenSearchSQL)


def compile(text: str) -> exp.Select:
    """One PPL query as one SELECT in the OpenSearchSQL dialect's AST."""
    if not text.strip():
        raise SyntaxError_("empty query", reason=REASON)
    return _Parser(text.strip().rstrip(";")).query()
