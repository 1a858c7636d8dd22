"""Recursive-descent parser from tokens to an AST of ``Node``s.

Anything outside the subset is refused here with an error naming the construct, so a script
that compiles only uses what the evaluator implements. Nesting is bounded both while parsing
(parentheses, blocks) and in the tree built (long operator chains).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loghaven.scripting import java_time
from loghaven.scripting.lexer import Token

#: The deepest AST (and parser nesting) a script may have.
MAX_DEPTH = 64
#: Declarable types; ``def`` and the reference types accept any value of their kind.
PRIMITIVE_TYPES = {"int", "long", "double", "float", "boolean", "def", "short", "byte", "char"}
REFERENCE_TYPES = {"String", "Object", "List", "Map", "ArrayList", "HashMap", "Integer",
                   "Long", "Double", "Boolean", "Number"}
#: Instance methods of the subset.
METHODS = {
    "size", "length", "contains", "containsKey", "isEmpty", "get", "startsWith", "endsWith",
    "toLowerCase", "toUpperCase", "substring", "equals", "trim", "indexOf", "toString",
    "add", "put", "remove", "getOrDefault", "containsValue", "replace",
}
#: Static methods of the subset, by class.
STATIC_METHODS = {
    "Math": {"max", "min", "abs", "round", "floor", "ceil", "sqrt", "pow", "log", "log10"},
    "Integer": {"parseInt", "valueOf", "toString"},
    "Long": {"parseLong", "valueOf", "toString"},
    "Double": {"parseDouble", "valueOf", "toString"},
    "String": {"valueOf"},
    "Boolean": {"parseBoolean", "valueOf"},
}
_KEYWORDS_UNSUPPORTED = {
    "new", "instanceof", "try", "catch", "throw", "finally", "do", "switch", "case", "class",
    "import", "static", "this", "super", "synchronized", "final",
}
_BINARY = {  # precedence, higher binds tighter
    "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "%": 6,
}
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%="}


class Node:
    """An AST node: ``kind``, source span and the kind-specific ``args``."""

    __slots__ = ("args", "depth", "end", "kind", "start")

    def __init__(self, kind: str, start: int, end: int, *args: Any) -> None:
        self.kind, self.start, self.end, self.args = kind, start, end, args
        depth = 0
        for a in args:
            if isinstance(a, Node):
                depth = max(depth, a.depth)
            elif isinstance(a, (list, tuple)):
                for b in a:
                    if isinstance(b, Node):
                        depth = max(depth, b.depth)
                    elif isinstance(b, tuple):
                        depth = max([depth] + [c.depth for c in b if isinstance(c, Node)])
        self.depth = depth + 1

    def __repr__(self) -> str:
        return f"Node({self.kind}, {self.args!r})"


class Parser:
    def __init__(self, tokens: list[Token], fail: Callable[[int, int, str], Exception]) -> None:
        self.tokens, self.fail, self.i, self.nesting = tokens, fail, 0, 0

    # -- helpers ---------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def at(self, value: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "op" and t.value == value

    def next(self) -> Token:
        t = self.peek()
        self.i += 1
        return t

    def expect(self, value: str) -> Token:
        if not self.at(value):
            raise self.unexpected(f"expected [{value}]")
        return self.next()

    def unexpected(self, prefix: str = "") -> Exception:
        t = self.peek()
        found = "end of script" if t.kind == "eof" else f"[{self.describe(t)}]"
        if not prefix:
            return self.fail(t.start, t.end, "unexpected " + (
                found if t.kind == "eof" else f"token {found}"))
        text = f"{prefix} but found {found}"
        return self.fail(t.start, t.end, text)

    @staticmethod
    def describe(t: Token) -> str:
        return repr(t.value) if t.kind == "str" else str(t.value)

    def node(self, kind: str, start: int, *args: Any) -> Node:
        n = Node(kind, start, self.tokens[self.i - 1].end if self.i else start, *args)
        if n.depth > MAX_DEPTH:
            raise self.fail(start, n.end, f"script is nested too deeply: more than "
                            f"[{MAX_DEPTH}] levels")
        return n

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            t = self.peek()
            raise self.fail(t.start, t.end, f"script is nested too deeply: more than "
                            f"[{MAX_DEPTH}] levels")

    # -- statements ------------------------------------------------------------------------
    def script(self) -> Node:
        start = self.peek().start
        stmts = []
        while self.peek().kind != "eof":
            stmts.append(self.statement(top=True))
        return self.node("block", start, stmts)

    def statement(self, top: bool = False) -> Node:
        self.enter()
        try:
            return self._statement(top)
        finally:
            self.nesting -= 1

    def _end_statement(self, top: bool) -> None:
        """A ``;`` ends a statement; the last one of the script may omit it."""
        if self.at(";"):
            self.next()
        elif not (self.peek().kind == "eof" or (self.at("}") and not top)):
            raise self.unexpected("expected [;]")

    def _statement(self, top: bool) -> Node:
        t = self.peek()
        start = t.start
        if self.at("{"):
            self.next()
            stmts = []
            while not self.at("}"):
                if self.peek().kind == "eof":
                    raise self.unexpected("expected [}]")
                stmts.append(self.statement())
            self.next()
            return self.node("block", start, stmts)
        if self.at(";"):
            self.next()
            return self.node("block", start, [])
        if t.kind == "ident":
            word = t.value
            if word in _KEYWORDS_UNSUPPORTED:
                raise self.fail(t.start, t.end, f"[{word}] is not supported")
            if word == "return":
                self.next()
                value = None
                if not (self.at(";") or self.at("}") or self.peek().kind == "eof"):
                    value = self.expression()
                self._end_statement(top)
                return self.node("return", start, value)
            if word == "if":
                self.next()
                self.expect("(")
                cond = self.expression()
                self.expect(")")
                then = self.statement()
                other = None
                if self.peek().kind == "ident" and self.peek().value == "else":
                    self.next()
                    other = self.statement()
                return self.node("if", start, cond, then, other)
            if word == "while":
                self.next()
                self.expect("(")
                cond = self.expression()
                self.expect(")")
                return self.node("while", start, cond, self.statement())
            if word == "for":
                return self._for(start)
            if word in ("break", "continue"):
                self.next()
                self._end_statement(top)
                return self.node(word, start)
            if word == "else":
                raise self.fail(t.start, t.end, "[else] without [if]")
            if self._is_declaration():
                decl = self.declaration()
                self._end_statement(top)
                return decl
        expr = self.expression()
        self._end_statement(top)
        return self.node("expr", start, expr)

    def _is_declaration(self) -> bool:
        t, nxt = self.peek(), self.peek(1)
        if t.value in PRIMITIVE_TYPES:
            return True
        if t.value in REFERENCE_TYPES and nxt.kind == "ident":
            return True
        return t.value in REFERENCE_TYPES and nxt.kind == "op" and nxt.value in ("<", "[")

    def declaration(self) -> Node:
        t = self.next()
        type_name = t.value
        if self.at("<"):
            raise self.fail(self.peek().start, self.peek().end, "[generic types] are not supported")
        if self.at("["):
            raise self.fail(self.peek().start, self.peek().end, "[arrays] are not supported")
        names: list[tuple[Any, ...]] = []
        while True:
            name = self.next()
            if name.kind != "ident" or name.value in PRIMITIVE_TYPES:
                self.i -= 1
                raise self.unexpected("expected a variable name")
            if self.at("("):
                raise self.fail(name.start, name.end, "[function definitions] are not supported")
            value = None
            if self.at("="):
                self.next()
                value = self.expression()
            names.append((name.value, value, name.start))
            if not self.at(","):
                break
            self.next()
        return self.node("decl", t.start, type_name, names)

    def _for(self, start: int) -> Node:
        self.next()
        self.expect("(")
        t, nxt = self.peek(), self.peek(1)
        if (t.kind == "ident" and (t.value in PRIMITIVE_TYPES or t.value in REFERENCE_TYPES)
                and nxt.kind == "ident" and self.at(":", 2)):
            self.next()
            name = self.next().value
            self.next()
            iterable = self.expression()
            self.expect(")")
            return self.node("foreach", start, t.value, name, iterable, self.statement())
        if t.kind == "ident" and nxt.kind == "ident" and self.peek(2).value == "in":
            raise self.fail(t.start, t.end, "[for in] is not supported")
        init = None
        if not self.at(";"):
            if t.kind == "ident" and self._is_declaration():
                init = self.declaration()
            else:
                init = self.node("expr", t.start, self.expression())
        self.expect(";")
        cond = None if self.at(";") else self.expression()
        self.expect(";")
        update = None if self.at(")") else self.expression()
        self.expect(")")
        return self.node("for", start, init, cond, update, self.statement())

    # -- expressions -----------------------------------------------------------------------
    def expression(self) -> Node:
        self.enter()
        try:
            return self.assignment()
        finally:
            self.nesting -= 1

    def assignment(self) -> Node:
        start = self.peek().start
        left = self.conditional()
        if self.peek().kind == "op" and self.peek().value in _ASSIGN:
            op = self.next()
            if left.kind not in ("var", "field", "index"):
                raise self.fail(op.start, op.end, "left-hand side of an assignment must be a "
                                "variable, field or index")
            value = self.expression()
            return self.node("assign", start, op.value, left, value)
        return left

    def conditional(self) -> Node:
        start = self.peek().start
        cond = self.binary(1)
        if self.at("?"):
            self.next()
            a = self.expression()
            self.expect(":")
            b = self.expression()
            return self.node("ternary", start, cond, a, b)
        if self.at("?:"):
            self.next()
            return self.node("elvis", start, cond, self.expression())
        return cond

    def binary(self, min_prec: int) -> Node:
        start = self.peek().start
        left = self.unary()
        while True:
            t = self.peek()
            prec = _BINARY.get(t.value) if t.kind == "op" else None
            if t.kind == "ident" and t.value == "instanceof":
                raise self.fail(t.start, t.end, "[instanceof] is not supported")
            if prec is None or prec < min_prec:
                return left
            self.next()
            self.enter()
            try:
                right = self.binary(prec + 1)
            finally:
                self.nesting -= 1
            kind = {"&&": "and", "||": "or"}.get(t.value, "binary")
            left = self.node(kind, start, t.value, left, right)

    def unary(self) -> Node:
        t = self.peek()
        if t.kind == "op" and t.value in ("!", "-", "+", "++", "--"):
            self.next()
            self.enter()
            try:
                operand = self.unary()
            finally:
                self.nesting -= 1
            if t.value in ("++", "--"):
                if operand.kind not in ("var", "field", "index"):
                    raise self.fail(t.start, t.end, f"[{t.value}] needs a variable")
                return self.node("incdec", t.start, t.value, operand, True)
            return self.node("unary", t.start, t.value, operand)
        if t.kind == "op" and t.value == "(" and self._is_cast():
            self.next()
            type_name = self.next().value
            self.expect(")")
            self.enter()
            try:
                operand = self.unary()
            finally:
                self.nesting -= 1
            return self.node("cast", t.start, type_name, operand)
        return self.postfix()

    def _is_cast(self) -> bool:
        t = self.peek(1)
        return (t.kind == "ident" and (t.value in PRIMITIVE_TYPES or t.value in REFERENCE_TYPES)
                and self.at(")", 2) and t.value != "def")

    def postfix(self) -> Node:
        start = self.peek().start
        expr = self.primary()
        while True:
            t = self.peek()
            if t.kind != "op":
                return expr
            if t.value in (".", "?."):
                self.next()
                name = self.next()
                if name.kind != "ident":
                    self.i -= 1
                    raise self.unexpected("expected a field or method name")
                safe = t.value == "?."
                if self.at("("):
                    if name.value not in METHODS and name.value not in java_time.METHOD_NAMES:
                        raise self.fail(name.start, name.end,
                                        f"method [{name.value}] is not supported")
                    args = self.arguments()
                    expr = self.node("call", start, expr, name.value, args, safe)
                else:
                    expr = self.node("field", start, expr, name.value, safe)
            elif t.value == "[":
                self.next()
                index = self.expression()
                self.expect("]")
                expr = self.node("index", start, expr, index)
            elif t.value in ("++", "--"):
                if expr.kind not in ("var", "field", "index"):
                    raise self.fail(t.start, t.end, f"[{t.value}] needs a variable")
                self.next()
                expr = self.node("incdec", start, t.value, expr, False)
            else:
                return expr

    def arguments(self) -> list[Node]:
        self.expect("(")
        args: list[Node] = []
        while not self.at(")"):
            args.append(self.expression())
            if not self.at(","):
                break
            self.next()
        self.expect(")")
        return args

    def primary(self) -> Node:
        t = self.next()
        if t.kind in ("int", "long", "double", "str"):
            return self.node("lit", t.start, t.value, t.kind)
        if t.kind == "op":
            if t.value == "(":
                expr = self.expression()
                self.expect(")")
                return expr
            if t.value == "[":
                return self._list_or_map(t)
            self.i -= 1
            raise self.unexpected()
        if t.kind == "ident":
            word = t.value
            if word in ("true", "false"):
                return self.node("lit", t.start, word == "true", "boolean")
            if word == "null":
                return self.node("lit", t.start, None, "null")
            if word in _KEYWORDS_UNSUPPORTED:
                raise self.fail(t.start, t.end, f"[{word}] is not supported")
            if word in ("return", "if", "for", "while", "else", "break", "continue", "def"):
                raise self.fail(t.start, t.end, f"[{word}] is not allowed in an expression")
            if word in java_time.CONSTANTS and self.at("."):
                self.next()
                name = self.next()
                if name.kind != "ident" or name.value not in java_time.CONSTANTS[word]:
                    raise self.fail(t.start, name.end,
                                    f"[{word}.{name.value}] is not supported")
                return self.node("lit", t.start, f"{word}.{name.value}", "String")
            if word in STATIC_METHODS and self.at("."):
                self.next()
                name = self.next()
                if name.kind != "ident":
                    self.i -= 1
                    raise self.unexpected("expected a method name")
                if name.value not in STATIC_METHODS[word] or not self.at("("):
                    raise self.fail(t.start, name.end,
                                    f"method [{word}.{name.value}] is not supported")
                args = self.arguments()
                return self.node("static", t.start, word, name.value, args)
            if word[:1].isupper() and word not in REFERENCE_TYPES and self.at("."):
                raise self.fail(t.start, t.end, f"class [{word}] is not supported")
            if self.at("("):  # a function the context provides, e.g. ``emit``
                return self.node("func", t.start, word, self.arguments())
            return self.node("var", t.start, word)
        self.i -= 1
        raise self.unexpected()

    def _list_or_map(self, open_: Token) -> Node:
        if self.at(":") and self.at("]", 1):
            self.next()
            self.next()
            return self.node("map", open_.start, [])
        items: list[Node] = []
        pairs: list[tuple[Node, Node]] = []
        while not self.at("]"):
            item = self.expression()
            if self.at(":") and (pairs or not items):
                self.next()
                pairs.append((item, self.expression()))
            elif pairs:
                raise self.unexpected("expected [:]")
            else:
                items.append(item)
            if not self.at(","):
                break
            self.next()
        self.expect("]")
        if pairs:
            return self.node("map", open_.start, pairs)
        return self.node("list", open_.start, items)


def parse(tokens: list[Token], fail: Callable[[int, int, str], Exception]) -> Node:
    return Parser(tokens, fail).script()
