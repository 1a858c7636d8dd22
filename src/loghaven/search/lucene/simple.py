"""Lucene's ``SimpleQueryParser`` (``simple_query_string``), ported to emit query DSL."""

from __future__ import annotations

from dataclasses import dataclass

from loghaven.errors import IllegalArgument
from loghaven.search.lucene.build import MAX_DEPTH, Builder, Query, parse_operator

_SQS_FLAGS = {
    "ALL": -1,
    "NONE": 0,
    "AND": 1 << 0,
    "NOT": 1 << 1,
    "OR": 1 << 2,
    "PREFIX": 1 << 3,
    "PHRASE": 1 << 4,
    "PRECEDENCE": 1 << 5,
    "ESCAPE": 1 << 6,
    "WHITESPACE": 1 << 7,
    "FUZZY": 1 << 8,
    "NEAR": 1 << 9,
    "SLOP": 1 << 9,
}
_F_AND = _SQS_FLAGS["AND"]
_F_NOT = _SQS_FLAGS["NOT"]
_F_OR = _SQS_FLAGS["OR"]
_F_PREFIX = _SQS_FLAGS["PREFIX"]
_F_PHRASE = _SQS_FLAGS["PHRASE"]
_F_PRECEDENCE = _SQS_FLAGS["PRECEDENCE"]
_F_ESCAPE = _SQS_FLAGS["ESCAPE"]
_F_WHITESPACE = _SQS_FLAGS["WHITESPACE"]
_F_FUZZY = _SQS_FLAGS["FUZZY"]
_F_NEAR = _SQS_FLAGS["NEAR"]


def _resolve_flags(flags: str | int) -> int:
    """ES ``SimpleQueryStringFlag.resolveFlags``: ``"OR|AND|PREFIX"``, ``"ALL"``, or an int."""
    if isinstance(flags, int):
        return flags
    if not flags:
        return -1
    value = 0
    for part in flags.split("|"):
        name = part.strip().upper()
        if not name:
            continue
        if name not in _SQS_FLAGS:
            raise IllegalArgument(f"Unknown simple_query_string flag [{part}]")
        if _SQS_FLAGS[name] == -1:
            value = -1
        elif value != -1:
            value |= _SQS_FLAGS[name]
    return value


@dataclass
class _BQ:
    """An intermediate Lucene BooleanQuery built by ``buildQueryTree``.

    Its children are always finished DSL dicts, so turning it into DSL never recurses, however
    many times the operator changes (each change nests the tree one level deeper).
    """

    clauses: list[tuple[str, Query]]


def _to_dsl(node: Query | _BQ) -> Query:
    if isinstance(node, dict):
        return node
    body: dict[str, list[Query]] = {}
    for occur, child in node.clauses:
        body.setdefault(occur, []).append(child)
    return {"bool": body}


@dataclass
class _SimpleState:
    data: str
    index: int
    length: int  # end offset (exclusive) of this (sub)query
    top: Query | _BQ | None = None
    current_op: str | None = None
    previous_op: str | None = None
    nots: int = 0
    depth: int = 0


@dataclass
class _SimpleParser:
    """A port of Lucene's ``SimpleQueryParser`` that emits DSL instead of Lucene queries."""

    flags: int
    specs: list[str]
    builder: Builder
    default_occur: str

    def has(self, flag: int) -> bool:
        return (self.flags & flag) != 0

    def parse(self, text: str) -> Query:
        state = _SimpleState(text, 0, len(text), depth=0)
        self.parse_sub_query(state)
        if state.top is None:
            return {"match_none": {}}
        return _to_dsl(state.top)

    def parse_sub_query(self, state: _SimpleState) -> None:
        data = state.data
        while state.index < state.length:
            ch = data[state.index]
            if ch == "(" and self.has(_F_PRECEDENCE):
                if state.depth >= MAX_DEPTH:
                    state.index += 1  # too deep to recurse: ignore this parenthesis
                else:
                    self.consume_sub_query(state)
            elif ch == ")" and self.has(_F_PRECEDENCE):
                state.index += 1  # a stray closing parenthesis is ignored
            elif ch == '"' and self.has(_F_PHRASE):
                self.consume_phrase(state)
            elif ch == "+" and self.has(_F_AND):
                if state.current_op is None and state.top is not None:
                    state.current_op = "must"
                state.index += 1
            elif ch == "|" and self.has(_F_OR):
                if state.current_op is None and state.top is not None:
                    state.current_op = "should"
                state.index += 1
            elif ch == "-" and self.has(_F_NOT):
                state.nots += 1
                state.index += 1
                continue  # the negation applies to what comes next
            elif ch in " \t\n\r" and self.has(_F_WHITESPACE):
                state.index += 1
            else:
                self.consume_token(state)
            state.nots = 0

    def consume_sub_query(self, state: _SimpleState) -> None:
        data = state.data
        state.index += 1
        start = state.index
        precedence = 1
        escaped = False
        while state.index < state.length:
            ch = data[state.index]
            if not escaped:
                if ch == "\\" and self.has(_F_ESCAPE):
                    escaped = True
                    state.index += 1
                    continue
                if ch == "(":
                    precedence += 1
                elif ch == ")":
                    precedence -= 1
                    if precedence == 0:
                        break
            escaped = False
            state.index += 1
        if state.index == state.length:
            state.index = start  # unclosed: the "(" is skipped and parsing goes on
        elif state.index == start:
            state.current_op = None  # "()"
            state.index += 1
        else:
            sub = _SimpleState(data, start, state.index, depth=state.depth + 1)
            self.parse_sub_query(sub)
            self.build_query_tree(state, sub.top)
            state.index += 1

    def consume_phrase(self, state: _SimpleState) -> None:
        data = state.data
        state.index += 1
        start = state.index
        chars: list[str] = []
        escaped = False
        has_slop = False
        while state.index < state.length:
            ch = data[state.index]
            if not escaped:
                if ch == "\\" and self.has(_F_ESCAPE):
                    escaped = True
                    state.index += 1
                    continue
                if ch == '"':
                    if (
                        state.length > state.index + 1
                        and data[state.index + 1] == "~"
                        and self.has(_F_NEAR)
                    ):
                        state.index += 1
                        if state.length > state.index + 1:
                            has_slop = True
                    break
            escaped = False
            chars.append(ch)
            state.index += 1
        if state.index == state.length:
            state.index = start  # unclosed: the '"' is skipped and parsing goes on
        elif state.index == start:
            state.current_op = None  # '""'
            state.index += 1
        else:
            slop = self.parse_fuzziness(state) if has_slop else 0
            branch = self.builder.text(self.specs, "".join(chars), phrase=True, slop=slop)
            self.build_query_tree(state, branch)
            state.index += 1  # Lucene skips one character here, whatever it is

    def consume_token(self, state: _SimpleState) -> None:
        data = state.data
        chars: list[str] = []
        escaped = False
        prefix = False
        fuzzy = False
        while state.index < state.length:
            ch = data[state.index]
            if not escaped:
                if ch == "\\" and self.has(_F_ESCAPE):
                    escaped = True
                    prefix = False
                    state.index += 1
                    continue
                if self.token_finished(state):
                    break
                if chars and ch == "~" and self.has(_F_FUZZY):
                    fuzzy = True
                    break
                prefix = bool(chars) and ch == "*" and self.has(_F_PREFIX)
            escaped = False
            chars.append(ch)
            state.index += 1
        if not chars:
            return
        token = "".join(chars)
        branch: Query
        if fuzzy:
            fuzziness = min(self.parse_fuzziness(state), 2)
            if fuzziness == 0:
                branch = self.builder.text(self.specs, token)
            else:
                branch = self.builder.fuzzy(self.specs, token, fuzziness)
        elif prefix:
            branch = self.builder.prefix(self.specs, token[:-1])
        else:
            branch = self.builder.text(self.specs, token)
        self.build_query_tree(state, branch)

    def build_query_tree(self, state: _SimpleState, branch: Query | _BQ | None) -> None:
        """Combine a new branch into the tree; an operator change starts a new parent."""
        if branch is None:
            return
        if state.nots % 2 == 1:
            branch = {"bool": {"must_not": [_to_dsl(branch)]}}
        if state.top is None:
            state.top = branch
        else:
            if state.current_op is None:
                state.current_op = self.default_occur
            if state.previous_op != state.current_op or not isinstance(state.top, _BQ):
                state.top = _BQ([(state.current_op, _to_dsl(state.top))])
            # Lucene copies the BooleanQuery here; only state.top refers to it, so append.
            state.top.clauses.append((state.current_op, _to_dsl(branch)))
            state.previous_op = state.current_op
        state.current_op = None

    def token_finished(self, state: _SimpleState) -> bool:
        ch = state.data[state.index]
        return (
            (ch == '"' and self.has(_F_PHRASE))
            or (ch == "|" and self.has(_F_OR))
            or (ch == "+" and self.has(_F_AND))
            or (ch in "()" and self.has(_F_PRECEDENCE))
            or (ch in " \t\n\r" and self.has(_F_WHITESPACE))
        )

    def parse_fuzziness(self, state: _SimpleState) -> int:
        """Digits after ``~`` up to the end of the token; ``~`` alone means 2; junk means 0."""
        if state.data[state.index] != "~":
            return 0
        chars: list[str] = []
        while state.index < state.length:
            state.index += 1
            if state.index < state.length:
                if self.token_finished(state):
                    break
                chars.append(state.data[state.index])
        text = "".join(chars)
        if not text:
            return 2
        try:
            value = int(text)
        except ValueError:
            return 0
        return max(value, 0)


def simple_query_string_to_dsl(
    query: str,
    *,
    fields: list[str] | None = None,
    default_operator: str = "OR",
    flags: str | int = "ALL",
    analyze_wildcard: bool = False,
) -> Query:
    """Translate a ``simple_query_string`` query to query DSL; bad syntax never raises.

    Operators: ``+`` AND, ``|`` OR, ``-`` NOT, ``"phrase"``, ``word*`` prefix, ``( )``,
    ``word~N`` fuzziness (``~`` alone is 2), ``"phrase"~N`` slop, ``\\`` escape; ``flags``
    (``"ALL"``, ``"NONE"`` or e.g. ``"OR|AND|PREFIX"``) enables them. As in Elasticsearch,
    ``-`` combines with the default operator: ``a -b`` under OR is ``a OR (NOT b)``. Fields
    default to ``["*"]``; field specs and patterns are represented as for ``query_string``.
    An empty query gives ``match_none``, like Lucene. ``analyze_wildcard`` is accepted for API
    parity only. Raises ``IllegalArgument`` for an unknown flag or operator.
    """
    del analyze_wildcard  # accepted for API parity; prefix values are normalised downstream
    and_op = parse_operator(default_operator)
    parser = _SimpleParser(
        flags=_resolve_flags(flags),
        specs=list(fields) if fields else ["*"],
        builder=Builder(and_op=and_op, lenient=False),
        default_occur="must" if and_op else "should",
    )
    return parser.parse(query or "")
