"""PPL's commands: ``source`` first, then one parser per command, each handing what it read
to the :class:`~loghaven.sql.ppl.statement.Pipeline` that folds it into the statement."""

from __future__ import annotations

import re

from sqlglot import exp

from loghaven.sql.dialect import OpenSearchSQL
from loghaven.sql.errors import SemanticError
from loghaven.sql.ppl.expressions import AGGREGATES, ExpressionParser
from loghaven.sql.ppl.lexer import REASON, Token, syntax_error
from loghaven.sql.ppl.statement import Pipeline, field_ref

# The commands that may follow the first (``search``/``source=``) one.
COMMANDS = ("where", "fields", "stats", "sort", "head", "eval", "dedup", "rename", "top", "rare")

# PPL's span units: the unit TIMESTAMP_TRUNC takes, and seconds for wider fixed buckets.
_UNITS = {"ms": ("MILLISECOND", 0.001), "s": ("SECOND", 1), "m": ("MINUTE", 60),
          "h": ("HOUR", 3600), "d": ("DAY", 86400), "w": ("WEEK", 604800),
          "M": ("MONTH", None), "q": ("QUARTER", None), "y": ("YEAR", None)}
_LONG_UNITS = {"millisecond": "ms", "second": "s", "sec": "s", "minute": "m", "min": "m",
               "hour": "h", "hr": "h", "day": "d", "week": "w", "month": "M", "quarter": "q",
               "year": "y"}


class Parser(ExpressionParser):
    """The pipeline: ``source`` first, then one method per command."""

    # ------------------------------------------------------------ the pipeline

    def query(self) -> exp.Select:
        pipeline = self.search()
        while self.accept("|"):
            name = self.token.word
            if self.token.kind != "ident" or name not in COMMANDS:
                raise self.fail("a command: " + ", ".join(COMMANDS))
            self.at += 1
            getattr(self, "command_" + name)(pipeline)
            if not self.at_end_of_command():
                raise self.fail(f"'|' or the end of the query after the {name} command")
        if self.token.kind != "eof":
            raise self.fail("'|'")
        return pipeline.layer.select()

    def search(self) -> Pipeline:
        self.accept("search")
        if self.token.word != "source" and self.token.word != "index":
            raise self.fail("source=<index>")
        self.at += 1
        if not (self.token.kind == "op" and self.token.text == "="):
            raise self.fail("'='")
        start = self.token.pos + 1
        match = re.compile(r"\s*(`[^`]+`|[^\s|`,]+(?:\s*,\s*[^\s|`,]+)*)").match(self.text, start)
        if match is None:
            raise syntax_error(self.text, start, self.text[start:start + 1] or "<EOF>", "an index name")
        index = match.group(1).strip("`").replace(" ", "")
        while self.tokens[self.at].kind != "eof" and self.tokens[self.at].pos < match.end():
            self.at += 1
        pipeline = Pipeline(index)
        if not self.at_end_of_command():
            pipeline.where(self.logical(implicit_and=True))
        return pipeline

    def command_where(self, pipeline: Pipeline) -> None:
        pipeline.where(self.logical(implicit_and=True))

    def command_fields(self, pipeline: Pipeline) -> None:
        remove = self.accept("-")
        if not remove:
            self.accept("+")
        pipeline.fields(self.field_list(), remove)

    def command_rename(self, pipeline: Pipeline) -> None:
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

    def command_eval(self, pipeline: Pipeline) -> None:
        assignments = []
        while True:
            name = self.field_name()[0]
            self.expect("=")
            assignments.append((name, self.logical()))
            if not self.accept(","):
                break
        pipeline.eval(assignments)

    def command_head(self, pipeline: Pipeline) -> None:
        size = self.integer() if self.token.kind == "num" else 10
        offset = self.integer() if self.accept("from") else 0
        pipeline.head(size, offset)

    def command_sort(self, pipeline: Pipeline) -> None:
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
        token, after = self.token, self.peek()
        if token.kind == "ident" and after.kind == "op" and after.text == "(":
            if token.word in ("str", "num", "auto", "ip"):
                self.at += 2
                inner = field_ref(*self.field_name())
                self.expect(")")
                if token.word == "str":
                    return exp.Cast(this=inner, to=exp.DataType.build("VARCHAR"))
                if token.word == "num":
                    return exp.Cast(this=inner, to=exp.DataType.build("DOUBLE"))
                return inner
            return field_ref(self.output_name(), quoted=True)
        return field_ref(*self.field_name())

    def command_stats(self, pipeline: Pipeline) -> None:
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
        if token.kind != "ident" or self.peek().text != "(":
            raise self.fail("an aggregation such as count(), sum(field), avg(field)")
        name = token.word
        self.at += 2
        args = [] if self.accept(")") else self.arguments()
        text = self.text[token.pos:self.tokens[self.at - 1].pos + 1]
        expr = self.aggregation(name, args, token)
        if self.accept("as"):
            text = self.field_name()[0]
        return text, expr

    def aggregation(self, name: str, args: list[exp.Expression], token: Token) -> exp.Expression:
        percent = re.fullmatch(r"(?:perc|p)(\d+(?:\.\d+)?)", name)
        if name not in AGGREGATES and not percent:
            raise SemanticError(f"Unsupported aggregation function {token.text}; use one of "
                                + ", ".join(sorted(AGGREGATES)) + ", perc<N>, p<N>",
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
        if token.word == "span" and self.peek().text == "(":
            self.at += 2
            target = self.additive()
            self.expect(",")
            expr = self.span(target)
            self.expect(")")
            expr.meta["span"] = True
            name = self.text[token.pos:self.tokens[self.at - 1].pos + 1]
        else:
            name, quoted = self.field_name()
            expr = field_ref(name, quoted)
        if self.accept("as"):
            name = self.field_name()[0]
        return name, expr

    def span(self, target: exp.Expression) -> exp.Expression:
        """``span(field, 10)`` as a numeric bucket; ``span(ts, 1h)`` as a time bucket."""
        token = self.next()
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", token.text) if token.kind == "num" \
            else None
        if match is None:
            raise syntax_error(self.text, token.pos, token.text, "an interval such as 10 or 1h")
        size, unit = match.group(1), match.group(2)
        if not unit:
            width = exp.Literal.number(size)
            return exp.Mul(this=exp.Floor(this=exp.Div(this=target, expression=width)),
                           expression=width.copy())
        unit = _LONG_UNITS.get(unit.lower().rstrip("s"), unit) if len(unit) > 2 else unit
        if unit not in _UNITS:
            raise syntax_error(self.text, token.pos, token.text,
                          "a time unit: ms, s, m, h, d, w, M, q, y")
        trunc, seconds = _UNITS[unit]
        if float(size) == 1:
            return exp.TimestampTrunc(this=target, unit=exp.Var(this=trunc))
        if seconds is None or not size.isdigit():
            raise SemanticError(f"span {token.text}: calendar units (M, q, y) take an interval "
                                "of 1; use a fixed unit (d, w) for wider buckets",
                                reason=REASON)
        width = exp.Literal.number(round(int(size) * seconds * 1000))  # epoch milliseconds
        millis = exp.Mul(this=exp.TimeToUnix(this=target), expression=exp.Literal.number(1000))
        bucket = exp.Mul(this=exp.Floor(this=exp.Div(this=millis, expression=width)),
                         expression=width.copy())
        return exp.UnixToTime(this=exp.Cast(this=bucket, to=exp.DataType.build("BIGINT")),
                              scale=exp.UnixToTime.MILLIS)

    def command_dedup(self, pipeline: Pipeline) -> None:
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

    def command_top(self, pipeline: Pipeline, rare: bool = False) -> None:
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

    def command_rare(self, pipeline: Pipeline) -> None:
        self.command_top(pipeline, rare=True)
