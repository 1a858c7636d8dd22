"""PPL's expression language and the token-level helpers every command parser shares.

Expressions become sqlglot nodes of the OpenSearchSQL dialect's AST; a function is built
through the dialect (``exp.func``), so ``concat(a, b)`` is exactly the node SQL's
``CONCAT(a, b)`` is and the core plans both alike.
"""

from __future__ import annotations

import re

from sqlglot import exp

from loghaven.sql.dialect import OpenSearchSQL
from loghaven.sql.errors import SemanticError, SyntaxError_
from loghaven.sql.ppl.lexer import KEYWORDS, REASON, Token, syntax_error, tokenize
from loghaven.sql.ppl.statement import field_ref

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

# The aggregations ``stats`` takes (an expression elsewhere may not use them).
AGGREGATES = {"count", "c", "sum", "avg", "min", "max", "var_samp", "var_pop", "stddev_samp",
               "stddev_pop", "distinct_count", "dc", "distinct_count_approx", "percentile",
               "percentile_approx", "median"}


class ExpressionParser:
    """Recursive descent over one PPL query's tokens: names, options and expressions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.at = 0

    # ------------------------------------------------------------ token helpers

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def peek(self) -> Token:
        """The token after the current one (the end, at the end)."""
        return self.tokens[min(self.at + 1, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.tokens[self.at]
        if token.kind != "eof":
            self.at += 1
        return token

    def fail(self, expected: str) -> SyntaxError_:
        return syntax_error(self.text, self.token.pos, self.token.text, expected)

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
        if token.kind == "ident" and token.word not in KEYWORDS:
            self.at += 1
            return token.text, False
        raise self.fail("a field name")

    def output_name(self) -> str:
        """A field name, or a stats output named by its text as written (``count()``)."""
        start, after = self.token, self.peek()
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
        """Names separated by commas or spaces."""
        names = [self.output_name()]
        while self.accept(",") or self.starts_field():
            names.append(self.output_name())
        if self.token.kind == "op" and self.token.text == "*":
            raise SemanticError(f"the wildcard in {names[-1]}* needs the index's field list; "
                                "name the fields", reason=REASON)
        return names

    def starts_field(self) -> bool:
        token, after = self.token, self.peek()
        return (token.kind == "quoted" or (token.kind == "ident" and token.word not in KEYWORDS)) \
            and not (after.kind == "op" and after.text == "=")

    def integer(self) -> int:
        token = self.token
        if token.kind != "num" or not token.text.isdigit():
            raise self.fail("an integer")
        self.at += 1
        return int(token.text)

    def option(self, names: tuple[str, ...]) -> tuple[str, str] | None:
        """``name=value`` for one of ``names``, or None (nothing consumed)."""
        token, after = self.token, self.peek()
        if token.word in names and after.kind == "op" and after.text == "=":
            self.at += 2
            value = self.next()
            text = value.text[1:-1] if value.kind in ("str", "quoted") else value.text
            return token.word, text
        return None

    def boolean(self, name: str, value: str) -> bool:
        if value.lower() not in ("true", "false"):
            raise syntax_error(self.text, self.tokens[self.at - 1].pos, value,
                          f"true or false for {name}")
        return value.lower() == "true"

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
                or (token.kind == "ident" and token.word not in KEYWORDS - {"not", "true",
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
        negated = self.token.word == "not" and self.peek().word in ("like", "in",
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
        if token.kind == "ident" and self.peek().text == "(" \
                and self.peek().kind == "op":
            return self.call()
        return field_ref(*self.field_name())

    def arguments(self) -> list[exp.Expression]:
        """Comma-separated expressions up to and including the closing parenthesis."""
        args = [self.logical()]
        while self.accept(","):
            args.append(self.logical())
        self.expect(")")
        return args

    def case(self) -> exp.Expression:
        """``case(cond1, value1, cond2, value2, ... [else default])``."""
        case, default = exp.Case(), None
        while True:
            condition = self.logical()
            self.expect(",")
            case = case.when(condition, self.logical(), copy=False)
            if self.accept("else"):
                default = self.logical()
            if not self.accept(","):
                break
        self.expect(")")
        return case.else_(default, copy=False) if default is not None else case

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
        if name == "case":
            return self.case()
        args = [] if self.accept(")") else self.arguments()
        if name in ("isnull", "isnotnull", "ispresent"):
            if len(args) != 1:
                raise SemanticError(f"{token.text} takes 1 argument", reason=REASON)
            test = exp.Is(this=args[0], expression=exp.Null())
            return test if name == "isnull" else exp.Not(this=test)
        if name == "like" and len(args) == 2:
            return exp.Like(this=args[0], expression=args[1])
        if name in AGGREGATES:
            raise SemanticError(f"aggregation {token.text}() belongs in stats", reason=REASON)
        if name not in _FUNCTIONS:
            raise SemanticError(f"unsupported function name: {token.text}", reason=REASON)
        return exp.func(name, *args, dialect=OpenSearchSQL)
