"""Interpreter for the Painless AST, with Java's semantics where users can see them.

Values are JSON-shaped Python values (dict, list, str, int, float, bool, None); integers wrap
at 64 bits, integer division truncates, ``+`` concatenates when either side is a string,
comparisons promote numbers. Every evaluated node costs one step and every loop iteration
one iteration; both budgets are checked so a script always ends quickly.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Collection, Iterator
from typing import Any

from loghaven.scripting import java_time
from loghaven.scripting.errors import ScriptError
from loghaven.scripting.java_text import java_str
from loghaven.scripting.lexer import tokenize
from loghaven.scripting.parser import Node, parse

#: ES's ``script.max_size_in_bytes`` default: the largest source accepted.
MAX_SOURCE_BYTES = 65535
#: Loop iterations one execution may run (Painless' own counter is 1,000,000 statements).
MAX_LOOP_ITERATIONS = 10_000
#: AST nodes one execution may evaluate.
MAX_STEPS = 200_000
#: Longest string a script may build.
MAX_STRING_CHARS = 1_000_000

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_LOOP_REASON = ("The maximum number of statements that can be executed in a loop has been "
                f"reached: more than [{MAX_LOOP_ITERATIONS}] loop iterations.")


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def compile(source: str, variables: Collection[str] | None = None) -> Script:
    """Parse ``source`` into a reusable ``Script``; a ``ScriptError`` names what is refused.

    With ``variables`` (the names a context provides, e.g. ``params`` for a pipeline
    aggregation's script), a name that is neither one of them nor declared in the script is
    refused now, as Painless' compiler does (``cannot resolve symbol [doc]``), instead of
    failing at the first run."""
    if not isinstance(source, str):
        raise ScriptError("", 0, 0, "illegal_argument_exception", "script source must be a string",
                          runtime=False)
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        raise ScriptError(source[:200], 0, 0, "illegal_argument_exception",
                          f"exceeded max allowed inline script size in bytes "
                          f"[{MAX_SOURCE_BYTES}] with size [{size}]", runtime=False)

    def fail(start: int, end: int, reason: str) -> ScriptError:
        return ScriptError(source, start, end, "illegal_argument_exception", reason,
                           runtime=False)

    try:
        tree = parse(tokenize(source, fail), fail)
    except RecursionError:
        raise fail(0, len(source), "script is nested too deeply") from None
    if variables is not None:
        unknown = _unresolved(tree, frozenset(variables) | _declared(tree))
        if unknown is not None:
            raise fail(unknown.start, unknown.end, f"cannot resolve symbol [{unknown.args[0]}]")
    return Script(source, tree)


class Function:
    """A function a script context provides (the runtime fields' ``emit``), called by name."""

    def __init__(self, name: str, call: Callable[..., Any], arities: Collection[int]) -> None:
        self.name, self.call, self.arities = name, call, arities


class DocValues(list):  # type: ignore[type-arg]
    """``doc['f']``: a field's values (a List in Painless), with ``.value`` and ``.empty``."""


class DocLookup(dict):  # type: ignore[type-arg]
    """``doc``: reading a field it does not know is ES's error, not a null."""

    def read(self, key: Any) -> DocValues:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found


def _children(node: Node) -> Iterator[Node]:
    for arg in node.args:
        items = arg if isinstance(arg, (list, tuple)) else (arg,)
        for item in items:
            if isinstance(item, Node):
                yield item
            elif isinstance(item, tuple):  # a declaration's (name, value, position)
                yield from (part for part in item if isinstance(part, Node))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(_children(current))))


def _declared(tree: Node) -> frozenset[str]:
    """Every name the script declares (a local or a for-each variable), wherever it is."""
    names: set[str] = set()
    for node in _walk(tree):
        if node.kind == "decl":
            names.update(name for name, _value, _position in node.args[1])
        elif node.kind == "foreach":
            names.add(node.args[1])
    return frozenset(names)


def _unresolved(tree: Node, known: frozenset[str]) -> Node | None:
    """The first variable or function that names nothing known (source order)."""
    return next((node for node in _walk(tree)
                 if node.kind in ("var", "func") and node.args[0] not in known), None)


class Script:
    """A compiled script; ``execute`` may be called many times with different variables."""

    def __init__(self, source: str, tree: Node) -> None:
        self.source = source
        self.tree = tree

    def execute(self, variables: dict[str, Any] | None = None,
                read_only: Collection[str] = ()) -> Any:
        """Run with ``variables`` (e.g. ``ctx``, ``params``) in scope; maps are changed in
        place, so an ingest script's ``ctx.x = 1`` is seen by the caller. The maps and lists
        of the variables named in ``read_only``, and everything read from them, are ES's
        unmodifiable views: changing one is an ``unsupported_operation_exception``."""
        run = _Run(self.source, dict(variables or {}))
        for name in read_only:
            run.freeze((variables or {}).get(name))
        stmts = self.tree.args[0]
        try:
            last = None
            for i, stmt in enumerate(stmts):
                if stmt.kind == "expr" and i == len(stmts) - 1:
                    last = run.eval(stmt.args[0])
                else:
                    run.statement(stmt)
            return last
        except _Return as r:
            return r.value
        except (_Break, _Continue):
            raise run.error(self.tree, "illegal_argument_exception",
                            "[break] or [continue] outside of a loop") from None
        except RecursionError:
            raise run.error(self.tree, "stack_overflow_error", "script is nested too deeply") \
                from None


def type_name(value: Any) -> str:
    """The Java class name Painless would report for ``value``."""
    if value is None:
        return "null"
    java = java_time.type_name(value)
    if java is not None:
        return java
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer" if -2**31 <= value < 2**31 else "java.lang.Long"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "java.util.ArrayList"
    if isinstance(value, dict):
        return "java.util.HashMap"
    return "java.lang.Object"


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _wrap(v: int) -> int:
    """Java long overflow."""
    return ((v + 2**63) % 2**64) - 2**63


class _Run:
    """The state of one execution: scopes and the step and loop budgets."""

    def __init__(self, source: str, variables: dict[str, Any]) -> None:
        self.source = source
        self.scopes: list[dict[str, Any]] = [variables]
        self.steps = 0
        self.iterations = 0
        #: ids of the read-only maps and lists (a value read from one is read-only too).
        self.frozen: set[int] = set()

    def freeze(self, value: Any) -> Any:
        if isinstance(value, (dict, list)):
            self.frozen.add(id(value))
        return value

    def derived(self, source: Any, value: Any) -> Any:
        """``value`` read out of ``source``: read-only when ``source`` is."""
        if self.frozen and id(source) in self.frozen:
            self.freeze(value)
        return value

    def mutable(self, node: Node, obj: Any) -> None:
        """ES's ``UnmodifiableIngestData``/``List``: the document an ``if`` condition sees."""
        if self.frozen and id(obj) in self.frozen:
            raise self.error(node, "unsupported_operation_exception",
                             "Mutating ingest documents in conditionals is not supported")

    def error(self, node: Node, cause: str, reason: str) -> ScriptError:
        return ScriptError(self.source, node.start, node.end, cause, reason, runtime=True)

    def not_null(self, node: Node, value: Any, action: str) -> None:
        """Java's NullPointerException when a null is dereferenced."""
        if value is None:
            raise self.error(node, "null_pointer_exception", f"cannot {action} a null value")

    def cast_error(self, node: Node, value: Any, target: str) -> ScriptError:
        return self.error(node, "class_cast_exception",
                          f"Cannot cast [{type_name(value)}] to [{target}]")

    # -- variables -------------------------------------------------------------------------
    def lookup(self, node: Node, name: str) -> dict[str, Any]:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope
        raise self.error(node, "illegal_argument_exception", f"cannot resolve symbol [{name}]")

    # -- statements ------------------------------------------------------------------------
    def statement(self, node: Node) -> None:
        self.steps += 1  # tick(), inlined
        if self.steps > MAX_STEPS:
            raise self.over_budget(node)
        run = _STATEMENTS.get(node.kind)
        if run is not None:
            run(self, node, node.args)

    # One method per statement kind, found through _STATEMENTS.
    def _expr(self, node: Node, args: Any) -> None:
        self.eval(args[0])

    def _block(self, node: Node, args: Any) -> None:
        self.scopes.append({})
        try:
            for stmt in args[0]:
                self.statement(stmt)
        finally:
            self.scopes.pop()

    def _decl(self, node: Node, args: Any) -> None:
        type_, names = args
        for name, value_node, _ in names:
            if name in self.scopes[-1] and len(self.scopes) > 1:
                raise self.error(node, "illegal_argument_exception",
                                 f"variable [{name}] is already defined")
            value = None if value_node is None else self.eval(value_node)
            if value_node is None:
                value = {"int": 0, "long": 0, "short": 0, "byte": 0, "double": 0.0,
                         "float": 0.0, "boolean": False}.get(type_)
            self.scopes[-1][name] = self.convert(node, value, type_, explicit=False)

    def _return(self, node: Node, args: Any) -> None:
        raise _Return(None if args[0] is None else self.eval(args[0]))

    def _if(self, node: Node, args: Any) -> None:
        if self.boolean(args[0], self.eval(args[0])):
            self.statement(args[1])
        elif args[2] is not None:
            self.statement(args[2])

    def _while(self, node: Node, args: Any) -> None:
        while self.boolean(args[0], self.eval(args[0])):
            self.iterate(node)
            if self.body(args[1]):
                break

    def _foreach(self, node: Node, args: Any) -> None:
        self.foreach(node)

    def _for(self, node: Node, args: Any) -> None:
        init, cond, update, body = args
        self.scopes.append({})
        try:
            if init is not None:
                self.statement(init)
            while cond is None or self.boolean(cond, self.eval(cond)):
                self.iterate(node)
                if self.body(body):
                    break
                if update is not None:
                    self.eval(update)
        finally:
            self.scopes.pop()

    def _break(self, node: Node, args: Any) -> None:
        raise _Break()

    def _continue(self, node: Node, args: Any) -> None:
        raise _Continue()

    def foreach(self, node: Node) -> None:
        type_, name, iterable_node, body = node.args
        iterable = self.eval(iterable_node)
        self.not_null(iterable_node, iterable, "iterate over")
        if isinstance(iterable, dict):
            items: list[Any] = list(iterable.keys())
        elif isinstance(iterable, list):
            items = list(iterable)
        else:
            raise self.cast_error(iterable_node, iterable, "java.lang.Iterable")
        for item in items:
            self.derived(iterable, item)
            self.iterate(node)
            self.scopes.append({name: self.convert(node, item, type_, explicit=False)})
            try:
                if self.body(body):
                    break
            finally:
                self.scopes.pop()

    def body(self, node: Node) -> bool:
        """Run a loop body; True when it broke out of the loop."""
        try:
            self.statement(node)
        except _Break:
            return True
        except _Continue:
            pass
        return False

    def iterate(self, node: Node) -> None:
        self.iterations += 1
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise self.error(node, "painless_error", _LOOP_REASON)

    def tick(self, node: Node) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.over_budget(node)

    def over_budget(self, node: Node) -> ScriptError:
        return self.error(node, "painless_error",
                          f"script exceeded the maximum of [{MAX_STEPS}] evaluation steps")

    # -- expressions -----------------------------------------------------------------------
    def eval(self, node: Node) -> Any:
        self.steps += 1  # tick(), inlined: this runs for every node
        if self.steps > MAX_STEPS:
            raise self.over_budget(node)
        evaluate = _EVAL.get(node.kind)
        if evaluate is None:
            raise self.error(node, "illegal_argument_exception",
                             f"[{node.kind}] is not supported")
        return evaluate(self, node, node.args)

    # One method per expression kind, found through _EVAL (a chain of comparisons of the
    # kind cost more than the evaluation of most nodes).
    def _lit(self, node: Node, args: Any) -> Any:
        return args[0]

    def _var(self, node: Node, args: Any) -> Any:
        return self.lookup(node, args[0])[args[0]]

    def _field(self, node: Node, args: Any) -> Any:
        obj = self.eval(args[0])
        if obj is None and args[2]:
            return None
        return self.derived(obj, self.get_field(node, obj, args[1]))

    def _index(self, node: Node, args: Any) -> Any:
        obj = self.eval(args[0])
        return self.derived(obj, self.get_index(node, obj, self.eval(args[1])))

    def _call(self, node: Node, args: Any) -> Any:
        obj = self.eval(args[0])
        if obj is None and args[3]:
            return None
        values = [self.eval(a) for a in args[2]]
        return self.derived(obj, self.call(node, obj, args[1], values))

    def _func(self, node: Node, args: Any) -> Any:
        name = args[0]
        function = next((scope[name] for scope in reversed(self.scopes) if name in scope), None)
        values = [self.eval(a) for a in args[1]]
        if not isinstance(function, Function) or len(values) not in function.arities:
            raise self.error(node, "illegal_argument_exception",
                             f"Unknown call [{name}] with [{len(values)}] arguments.")
        return function.call(*values)

    def _static(self, node: Node, args: Any) -> Any:
        return self.static(node, args[0], args[1], [self.eval(a) for a in args[2]])

    def _list(self, node: Node, args: Any) -> Any:
        return [self.eval(a) for a in args[0]]

    def _map(self, node: Node, args: Any) -> Any:
        return {self.key(k, self.eval(k)): self.eval(v) for k, v in args[0]}

    def _and(self, node: Node, args: Any) -> Any:
        return (self.boolean(args[1], self.eval(args[1]))
                and self.boolean(args[2], self.eval(args[2])))

    def _or(self, node: Node, args: Any) -> Any:
        return (self.boolean(args[1], self.eval(args[1]))
                or self.boolean(args[2], self.eval(args[2])))

    def _binary(self, node: Node, args: Any) -> Any:
        op = args[0]
        if op == "==":  # binary()'s first cases, without the call: the most common
            return _equals(self.eval(args[1]), self.eval(args[2]))
        if op == "!=":
            return not _equals(self.eval(args[1]), self.eval(args[2]))
        return self.binary(node, op, self.eval(args[1]), self.eval(args[2]))

    def _unary(self, node: Node, args: Any) -> Any:
        value = self.eval(args[1])
        if args[0] == "!":
            return not self.boolean(args[1], value)
        if not _is_num(value):
            raise self.cast_error(node, value, "java.lang.Number")
        if args[0] == "+":
            return value
        return -value if isinstance(value, float) else _wrap(-value)

    def _ternary(self, node: Node, args: Any) -> Any:
        chosen = args[1] if self.boolean(args[0], self.eval(args[0])) else args[2]
        return self.eval(chosen)

    def _elvis(self, node: Node, args: Any) -> Any:
        value = self.eval(args[0])
        return self.eval(args[1]) if value is None else value

    def _cast(self, node: Node, args: Any) -> Any:
        return self.convert(node, self.eval(args[1]), args[0], explicit=True)

    def _assign(self, node: Node, args: Any) -> Any:
        op, target, value_node = args
        if op == "=":
            value = self.eval(value_node)
        else:
            value = self.binary(node, op[0], self.eval(target), self.eval(value_node))
        self.store(target, value)
        return value

    def _incdec(self, node: Node, args: Any) -> Any:
        op, target, prefix = args
        old = self.eval(target)
        new = self.binary(node, op[0], old, 1)
        self.store(target, new)
        return new if prefix else old

    def key(self, node: Node, value: Any) -> Any:
        """A map key: collections cannot be keys of the JSON-shaped maps scripts see."""
        if isinstance(value, (list, dict)):
            raise self.cast_error(node, value, "java.lang.String")
        return value

    def boolean(self, node: Node, value: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.cast_error(node, value, "boolean")

    def store(self, target: Node, value: Any) -> None:
        if target.kind == "var":
            name = target.args[0]
            self.lookup(target, name)[name] = value
            return
        obj = self.eval(target.args[0])
        if target.kind == "field":
            key: Any = target.args[1]
        else:
            key = self.eval(target.args[1])
        self.not_null(target, obj, f"assign [{key}] of")
        self.mutable(target, obj)
        if isinstance(obj, dict):
            obj[self.key(target, key)] = value
        elif isinstance(obj, list) and target.kind == "index":
            obj[self.list_index(target, obj, key)] = value
        else:
            raise self.error(target, "illegal_argument_exception",
                             f"cannot assign [{key}] on [{type_name(obj)}]")

    def get_field(self, node: Node, obj: Any, name: str) -> Any:
        self.not_null(node, obj, f"access field [{name}] of")
        if isinstance(obj, DocValues) and name in ("value", "values", "empty"):
            if name == "empty":
                return not obj
            if name == "values":
                return list(obj)
            if not obj:
                raise self.error(node, "illegal_state_exception",
                                 "A document doesn't have a value for a field! Use "
                                 "doc[<field>].size()==0 to check if a document is missing a "
                                 "field!")
            return obj[0]
        if isinstance(obj, dict):
            return obj.get(name)
        if isinstance(obj, list) and name == "length":
            return len(obj)
        found, value = java_time.field(obj, name)
        if found:
            return value
        raise self.error(node, "illegal_argument_exception",
                         f"field [{name}] is not supported on [{type_name(obj)}]")

    def get_index(self, node: Node, obj: Any, key: Any) -> Any:
        self.not_null(node, obj, f"access index [{java_str(key)[:50]}] of")
        if isinstance(obj, DocLookup):
            try:
                return obj.read(key)
            except (KeyError, TypeError):
                raise self.error(node, "illegal_argument_exception",
                                 f"No field found for [{java_str(key)}] in mapping") from None
        if isinstance(obj, dict):
            try:
                return obj.get(key)
            except TypeError:
                raise self.cast_error(node, key, "java.lang.String") from None
        if isinstance(obj, list):
            return obj[self.list_index(node, obj, key)]
        raise self.error(node, "illegal_argument_exception",
                         f"index access is not supported on [{type_name(obj)}]")

    def list_index(self, node: Node, obj: list[Any], key: Any, negative: bool = True) -> int:
        if not isinstance(key, int) or isinstance(key, bool):
            raise self.cast_error(node, key, "java.lang.Integer")
        index = key + len(obj) if key < 0 and negative else key
        if not 0 <= index < len(obj):
            raise self.error(node, "index_out_of_bounds_exception",
                             f"Index {key} out of bounds for length {len(obj)}")
        return index

    def convert(self, node: Node, value: Any, type_: str, *, explicit: bool) -> Any:
        """A value declared or cast as ``type_``; Java's narrowing only on an explicit cast."""
        if type_ in ("def", "Object"):
            return value
        if type_ in ("int", "long", "short", "byte", "Integer", "Long"):
            if value is None and type_ in ("Integer", "Long"):
                return None
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, float) and explicit:
                if math.isnan(value):
                    return 0
                if math.isinf(value):
                    return 2**63 - 1 if value > 0 else -2**63
                return _wrap(int(value))
            if type_ == "char" and isinstance(value, str) and len(value) == 1:
                return value
            raise self.cast_error(node, value, type_)
        if type_ in ("double", "float", "Double", "Number"):
            if value is None and type_ in ("Double", "Number"):
                return None
            if _is_num(value):
                return value if type_ == "Number" else float(value)
            raise self.cast_error(node, value, type_)
        if type_ in ("boolean", "Boolean"):
            if isinstance(value, bool) or (value is None and type_ == "Boolean"):
                return value
            raise self.cast_error(node, value, type_)
        if type_ == "String":
            if value is None or isinstance(value, str):
                return value
            raise self.cast_error(node, value, "java.lang.String")
        if type_ == "char":
            if isinstance(value, str) and len(value) == 1:
                return value
            raise self.cast_error(node, value, "char")
        if type_ in ("List", "ArrayList"):
            if value is None or isinstance(value, list):
                return value
            raise self.cast_error(node, value, "java.util.List")
        if type_ in ("Map", "HashMap"):
            if value is None or isinstance(value, dict):
                return value
            raise self.cast_error(node, value, "java.util.Map")
        raise self.error(node, "illegal_argument_exception", f"type [{type_}] is not supported")

    def binary(self, node: Node, op: str, a: Any, b: Any) -> Any:
        if op == "==":
            return _equals(a, b)
        if op == "!=":
            return not _equals(a, b)
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            text = java_str(a) + java_str(b)
            if len(text) > MAX_STRING_CHARS:
                raise self.error(node, "illegal_argument_exception",
                                 f"string longer than [{MAX_STRING_CHARS}] characters")
            return text
        for value in (a, b):
            if value is None:
                raise self.error(node, "null_pointer_exception",
                                 f"cannot apply [{op}] to a null value")
            if not _is_num(value):
                raise self.cast_error(node, value, "java.lang.Number")
        if op in _COMPARE:
            return _COMPARE[op](a, b)
        floating = isinstance(a, float) or isinstance(b, float)
        if op in _ARITH:
            value = _ARITH[op](a, b)
            return value if floating else _wrap(value)
        if floating:
            a, b = float(a), float(b)
            if op == "%":
                return math.nan if b == 0 or math.isinf(a) else math.fmod(a, b)
            if b == 0:  # IEEE division, as Java's
                return math.nan if a == 0 or math.isnan(a) else math.copysign(
                    math.inf, a) * math.copysign(1.0, b)
            return a / b
        if b == 0:
            raise self.error(node, "arithmetic_exception", "/ by zero")
        quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return _wrap(quotient if op == "/" else a - b * quotient)

    # -- methods ---------------------------------------------------------------------------
    def call(self, node: Node, obj: Any, name: str, args: list[Any]) -> Any:
        self.not_null(node, obj, f"invoke method [{name}] on")
        signature = (_kind(obj), name, len(args))
        handler = _METHODS.get(signature)
        if handler is None:
            raise self.error(node, "illegal_argument_exception",
                             f"dynamic method [{type_name(obj)}, {name}/{len(args)}] not found")
        if signature in _MUTATORS:
            self.mutable(node, obj)
        try:
            return handler(self, node, obj, *args)
        except (TypeError, AttributeError):
            types = ", ".join(type_name(a) for a in args)
            raise self.error(node, "class_cast_exception",
                             f"method [{name}] cannot take arguments [{types}]") from None

    def static(self, node: Node, cls: str, name: str, args: list[Any]) -> Any:
        handler = _STATIC.get((cls, name, len(args)))
        if handler is None:
            raise self.error(node, "illegal_argument_exception",
                             f"static method [{cls}, {name}/{len(args)}] not found")
        try:
            return handler(*args)
        except _NumberFormat as e:
            raise self.error(node, "number_format_exception", str(e)) from None
        except (TypeError, AttributeError):
            types = ", ".join(type_name(a) for a in args)
            raise self.error(node, "class_cast_exception",
                             f"method [{cls}.{name}] cannot take arguments [{types}]") from None


_STATEMENTS: dict[str, Any] = {
    "expr": _Run._expr, "block": _Run._block, "decl": _Run._decl, "return": _Run._return,
    "if": _Run._if, "while": _Run._while, "foreach": _Run._foreach, "for": _Run._for,
    "break": _Run._break, "continue": _Run._continue,
}
_EVAL: dict[str, Any] = {
    "lit": _Run._lit, "var": _Run._var, "field": _Run._field, "index": _Run._index,
    "call": _Run._call, "func": _Run._func, "static": _Run._static, "list": _Run._list, "map": _Run._map,
    "and": _Run._and, "or": _Run._or, "binary": _Run._binary, "unary": _Run._unary,
    "ternary": _Run._ternary, "elvis": _Run._elvis, "cast": _Run._cast,
    "assign": _Run._assign, "incdec": _Run._incdec,
}


def _equals(a: Any, b: Any) -> bool:
    """Java ``==`` on def values: equals() with numeric promotion, booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_num(a) and _is_num(b):
        return a == b
    if a is None or b is None:
        return a is b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_equals(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equals(a[k], b[k]) for k in a)
    return bool(a == b)


_KINDS = {"java.lang.String": "str", "java.util.ArrayList": "list", "java.util.HashMap": "map",
          "java.time.ZonedDateTime": "date", "java.time.Instant": "instant",
          "java.time.DayOfWeek": "dow"}


def _kind(value: Any) -> str:
    """Which family of instance methods ``value`` has."""
    return _KINDS.get(type_name(value), "any")


def _str_arg(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError
    return v


def _int_arg(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError
    return v


def _substring(run: _Run, node: Node, s: str, begin: Any, end: Any = None) -> str:
    begin = _int_arg(begin)
    end = len(s) if end is None else _int_arg(end)
    if not 0 <= begin <= end <= len(s):
        raise run.error(node, "string_index_out_of_bounds_exception",
                        f"begin {begin}, end {end}, length {len(s)}")
    return s[begin:end]


def _list_get(run: _Run, node: Node, lst: list[Any], i: Any) -> Any:
    return lst[run.list_index(node, lst, i, negative=False)]


def _list_remove(run: _Run, node: Node, lst: list[Any], i: Any) -> Any:
    return lst.pop(run.list_index(node, lst, i, negative=False))


def _list_add(run: _Run, node: Node, lst: list[Any], v: Any) -> bool:
    lst.append(v)
    return True


def _map_put(run: _Run, node: Node, m: dict[Any, Any], k: Any, v: Any) -> Any:
    old = m.get(k)
    m[k] = v
    return old


def _replace(run: _Run, node: Node, s: str, a: Any, b: Any) -> str:
    text = s.replace(_str_arg(a), _str_arg(b))
    if len(text) > MAX_STRING_CHARS:
        raise run.error(node, "illegal_argument_exception",
                        f"string longer than [{MAX_STRING_CHARS}] characters")
    return text


_METHODS: dict[tuple[str, str, int], Any] = {
    ("str", "length", 0): lambda r, n, s: len(s),
    ("str", "isEmpty", 0): lambda r, n, s: not s,
    ("str", "contains", 1): lambda r, n, s, x: _str_arg(x) in s,
    ("str", "startsWith", 1): lambda r, n, s, x: s.startswith(_str_arg(x)),
    ("str", "endsWith", 1): lambda r, n, s, x: s.endswith(_str_arg(x)),
    ("str", "toLowerCase", 0): lambda r, n, s: s.lower(),
    ("str", "toUpperCase", 0): lambda r, n, s: s.upper(),
    ("str", "trim", 0): lambda r, n, s: s.strip(" \t\n\r\x0b\f\x00"),
    ("str", "indexOf", 1): lambda r, n, s, x: s.find(_str_arg(x)),
    ("str", "substring", 1): _substring,
    ("str", "substring", 2): _substring,
    ("str", "replace", 2): _replace,
    ("list", "size", 0): lambda r, n, v: len(v),
    ("list", "isEmpty", 0): lambda r, n, v: not v,
    ("list", "contains", 1): lambda r, n, v, x: any(_equals(i, x) for i in v),
    ("list", "get", 1): _list_get,
    ("list", "add", 1): _list_add,
    ("list", "remove", 1): _list_remove,
    ("list", "indexOf", 1): lambda r, n, v, x: next(
        (i for i, y in enumerate(v) if _equals(x, y)), -1),
    ("map", "size", 0): lambda r, n, v: len(v),
    ("map", "isEmpty", 0): lambda r, n, v: not v,
    ("map", "containsKey", 1): lambda r, n, v, k: k in v,
    ("map", "containsValue", 1): lambda r, n, v, x: any(_equals(i, x) for i in v.values()),
    ("map", "get", 1): lambda r, n, v, k: v.get(k),
    ("map", "getOrDefault", 2): lambda r, n, v, k, d: v.get(k, d),
    ("map", "put", 2): _map_put,
    ("map", "remove", 1): lambda r, n, v, k: v.pop(k, None),
}
_METHODS.update(java_time.METHODS)
for _k in ("str", "list", "map", "any"):
    _METHODS[(_k, "equals", 1)] = lambda r, n, v, x: _equals(v, x)
    _METHODS[(_k, "toString", 0)] = lambda r, n, v: java_str(v)


class _NumberFormat(Exception):
    pass


def _num(v: Any) -> float | int:
    if not _is_num(v):
        raise TypeError
    return v


def _parse_int(s: Any, bits: int = 31) -> int:
    text = _str_arg(s)
    body = text[1:] if text[:1] in "+-" else text
    if not body or len(body) > 20 or not body.isascii() or not body.isdigit():
        raise _NumberFormat(f'For input string: "{text[:100]}"')
    value = int(text)
    if not -(1 << bits) <= value < (1 << bits):
        raise _NumberFormat(f'For input string: "{text[:100]}"')
    return value


def _parse_double(s: Any) -> float:
    text = _str_arg(s).strip()
    try:
        bare = text.lstrip("+-")
        if len(text) > 400 or "_" in text or (
                bare.lower() in ("inf", "infinity", "nan") and bare not in ("Infinity", "NaN")):
            raise ValueError
        return float(text.rstrip("dDfF") if text[-1:] in "dDfF" else text)
    except ValueError:
        raise _NumberFormat(f'For input string: "{text[:100]}"') from None


def _round(v: Any) -> int:
    v = _num(v)
    if isinstance(v, int):
        return v
    if math.isnan(v):
        return 0
    if math.isinf(v):
        return 2**63 - 1 if v > 0 else -2**63
    return _wrap(math.floor(v + 0.5))


def _pow(a: Any, b: Any) -> float:
    try:
        return math.pow(float(_num(a)), float(_num(b)))
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def _sqrt(v: Any) -> float:
    v = float(_num(v))
    return math.nan if v < 0 or math.isnan(v) else math.sqrt(v)


def _log(fn: Any, v: Any) -> float:
    v = float(_num(v))
    if math.isnan(v) or v < 0:
        return math.nan
    return -math.inf if v == 0 else fn(v)


def _minmax(pick: Any, a: Any, b: Any) -> Any:
    a, b = _num(a), _num(b)
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.nan
    return pick(a, b)


def _floor_ceil(fn: Any, v: Any) -> float:
    v = float(_num(v))
    return v if math.isinf(v) or math.isnan(v) else float(fn(v))


_STATIC: dict[tuple[str, str, int], Any] = {
    ("Math", "max", 2): lambda a, b: _minmax(max, a, b),
    ("Math", "min", 2): lambda a, b: _minmax(min, a, b),
    ("Math", "abs", 1): lambda v: abs(_num(v)) if isinstance(v, float) else _wrap(abs(_num(v))),
    ("Math", "round", 1): _round,
    ("Math", "floor", 1): lambda v: _floor_ceil(math.floor, v),
    ("Math", "ceil", 1): lambda v: _floor_ceil(math.ceil, v),
    ("Math", "sqrt", 1): _sqrt,
    ("Math", "pow", 2): _pow,
    ("Math", "log", 1): lambda v: _log(math.log, v),
    ("Math", "log10", 1): lambda v: _log(math.log10, v),
    ("Integer", "parseInt", 1): _parse_int,
    ("Integer", "valueOf", 1): lambda v: _parse_int(v) if isinstance(v, str) else _int_arg(v),
    ("Integer", "toString", 1): lambda v: java_str(_int_arg(v)),
    ("Long", "parseLong", 1): lambda v: _parse_int(v, 63),
    ("Long", "valueOf", 1): lambda v: _parse_int(v, 63) if isinstance(v, str) else _int_arg(v),
    ("Long", "toString", 1): lambda v: java_str(_int_arg(v)),
    ("Double", "parseDouble", 1): _parse_double,
    ("Double", "valueOf", 1): lambda v: _parse_double(v) if isinstance(v, str) else float(
        _num(v)),
    ("Double", "toString", 1): lambda v: java_str(float(_num(v))),
    ("String", "valueOf", 1): java_str,
    ("Boolean", "parseBoolean", 1): lambda v: isinstance(v, str) and v.lower() == "true",
    ("Boolean", "valueOf", 1): lambda v: v if isinstance(v, bool) else (
        isinstance(v, str) and v.lower() == "true"),
}

#: The methods that change their map or list (refused on a read-only one).
_MUTATORS = frozenset({("list", "add", 1), ("list", "remove", 1), ("map", "put", 2),
                       ("map", "remove", 1)})
