"""The Painless that pipeline scripts are actually written in: arithmetic and comparisons
over ``params``.

``params.a / params.b * 100``, ``params.total > 10 && params.errors != 0``,
``params.x == null ? 0 : params.x``, ``Math.max(params.a, params.b)``: parsed once into a
closure. Java semantics where they differ from Python's: integer division truncates, ``%``
keeps the dividend's sign. Anything else is refused with a 400 naming what is supported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from loghaven.errors import IllegalArgument

Expr = Callable[[dict[str, Any]], Any]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)[dDfFlL]?
    | (?P<param>params(?:\.(?P<dot>[A-Za-z_]\w*)|\[\s*(?P<q>['"])(?P<sub>[^'"]+)(?P=q)\s*\]))
    | (?P<name>[A-Za-z_][\w.]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:(),])
    )""", re.VERBOSE)

_MATH: dict[str, Callable[..., Any]] = {
    "Math.abs": abs, "Math.max": max, "Math.min": min, "Math.round": lambda x: math.floor(x + 0.5),
    "Math.floor": math.floor, "Math.ceil": math.ceil, "Math.sqrt": math.sqrt,
    "Math.log": math.log, "Math.log10": math.log10, "Math.exp": math.exp, "Math.pow": math.pow,
}
_BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
           "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


def unsupported(source: str, why: str) -> IllegalArgument:
    return IllegalArgument(
        f"Loghaven runs only simple Painless in pipeline scripts (arithmetic, comparisons, "
        f"&&, ||, ?:, Math functions over params.<name>); cannot run [{source}]: {why}")


def script_source(script: Any) -> tuple[str, dict[str, Any]]:
    """(source, params) of a ``script`` given as a string or as an object."""
    if isinstance(script, str):
        return script, {}
    if isinstance(script, dict):
        source = script.get("source", script.get("inline"))
        lang = script.get("lang", "painless")
        if lang not in ("painless", "expression"):
            raise IllegalArgument(f"script_lang not supported [{lang}]")
        if "id" in script:
            raise IllegalArgument("stored scripts are not supported in pipeline aggregations")
        if isinstance(source, str):
            params = script.get("params") or {}
            return source, params if isinstance(params, dict) else {}
    raise IllegalArgument("[script] must be a string or an object with [source]")


def compile_script(script: Any) -> tuple[Expr, dict[str, Any]]:
    """A function of the ``params`` dict, and the script's own params to merge in."""
    source, params = script_source(script)
    return _Parser(source).parse(), params


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens: list[tuple[str, Any]] = []
        text = source.strip().rstrip(";").strip()
        if text.startswith("return "):
            text = text[len("return "):]
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise unsupported(source, f"unexpected [{text[pos:pos + 10]}]")
            pos = match.end()
            if match.group("num") is not None:
                raw = match.group("num")
                is_float = any(c in raw for c in ".eE") or match.group(0).strip()[-1] in "dDfF"
                self.tokens.append(("num", float(raw) if is_float else int(raw)))
            elif match.group("param") is not None:
                self.tokens.append(("param", match.group("dot") or match.group("sub")))
            elif match.group("name") is not None:
                self.tokens.append(("name", match.group("name")))
            elif match.group("op") is not None:
                self.tokens.append(("op", match.group("op")))
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, op: str) -> bool:
        token = self.peek()
        if token == ("op", op):
            self.i += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.take(op):
            raise unsupported(self.source, f"expected [{op}]")

    def parse(self) -> Expr:
        if not self.tokens:
            raise unsupported(self.source, "empty script")
        expr = self.ternary()
        if self.peek() is not None:
            raise unsupported(self.source, f"unexpected [{self.peek()[1]}]")  # type: ignore[index]
        return expr

    def ternary(self) -> Expr:
        cond = self.binary(1)
        if self.take("?"):
            yes = self.ternary()
            self.expect(":")
            no = self.ternary()
            return lambda p: yes(p) if cond(p) else no(p)
        return cond

    def binary(self, level: int) -> Expr:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[0] != "op" or _BINARY.get(token[1], 0) < level:
                return left
            op = token[1]
            self.i += 1
            right = self.binary(_BINARY[op] + 1)
            left = _combine(op, left, right)

    def unary(self) -> Expr:
        if self.take("-"):
            inner = self.unary()
            return lambda p: _negate(inner(p))
        if self.take("+"):
            return self.unary()
        if self.take("!"):
            inner = self.unary()
            return lambda p: not inner(p)
        return self.primary()

    def primary(self) -> Expr:
        token = self.peek()
        if token is None:
            raise unsupported(self.source, "unexpected end")
        self.i += 1
        kind, value = token
        if kind == "num":
            return lambda p: value
        if kind == "param":
            return lambda p: p.get(value)
        if kind == "op" and value == "(":
            inner = self.ternary()
            self.expect(")")
            return inner
        if kind == "name":
            if value in ("true", "false", "null"):
                constant = {"true": True, "false": False, "null": None}[value]
                return lambda p: constant
            if value in _MATH and self.take("("):
                args = [self.ternary()]
                while self.take(","):
                    args.append(self.ternary())
                self.expect(")")
                fn = _MATH[value]
                return lambda p: fn(*(arg(p) for arg in args))
        raise unsupported(self.source, f"unknown [{value}]")


def _negate(value: Any) -> Any:
    return None if value is None else -value


def _combine(op: str, left: Expr, right: Expr) -> Expr:
    if op == "&&":
        return lambda p: bool(left(p)) and bool(right(p))
    if op == "||":
        return lambda p: bool(left(p)) or bool(right(p))
    if op == "==":
        return lambda p: left(p) == right(p)
    if op == "!=":
        return lambda p: left(p) != right(p)
    return lambda p: _arith(op, left(p), right(p))


def _arith(op: str, a: Any, b: Any) -> Any:
    """Java arithmetic on longs and doubles; null operands make null (NaN in ES)."""
    if a is None or b is None:
        return None if op in "+-*/%" else False
    if op in ("<", "<=", ">", ">="):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    both_int = isinstance(a, int) and isinstance(b, int)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if both_int:
            if b == 0:
                raise IllegalArgument("ArithmeticException: / by zero")
            quotient = abs(a) // abs(b)
            return quotient if (a >= 0) == (b >= 0) else -quotient
        if b == 0:
            return math.copysign(math.inf, a) if a else math.nan
        return a / b
    if b == 0:
        if both_int:
            raise IllegalArgument("ArithmeticException: / by zero")
        return math.nan
    return math.fmod(a, b) if not both_int else int(math.fmod(a, b))
