"""The classic Lucene syntax (``query_string``, ``q=``): recursive descent straight to query DSL."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from loghaven.errors import IllegalArgument, ParsingError
from loghaven.search.lucene.build import (
    MAX_DEPTH,
    Builder,
    LuceneSyntaxError,
    Query,
    parse_fuzziness,
    parse_operator,
    split_field_boost,
    with_boost,
)
from loghaven.search.lucene.lexer import Token, line_col, tokenize

# Token kinds that may open another (conjunction, modifiers, clause) step of a Query.
_CLAUSE_START = frozenset(
    {
        "TERM",
        "STAR",
        "PREFIXTERM",
        "WILDTERM",
        "REGEXPTERM",
        "NUMBER",
        "BAREOPER",
        "RANGEIN_START",
        "RANGEEX_START",
        "QUOTED",
        "LPAREN",
    }
)
_ITER_START = _CLAUSE_START | {"AND", "OR", "PLUS", "MINUS", "NOT"}
_BARE_TOKENS = frozenset(
    {"TERM", "STAR", "PREFIXTERM", "WILDTERM", "REGEXPTERM", "NUMBER", "BAREOPER"}
)
# A bare term followed by one of these ends a whitespace-joined run (QueryParser.jj).
_DISALLOWED_POST_MULTI_TERM = frozenset({"COLON", "STAR", "FUZZY_SLOP", "CARAT", "AND", "OR"})

_CONJ_NONE, _CONJ_AND, _CONJ_OR = 0, 1, 2
_MOD_NONE, _MOD_NOT, _MOD_REQ = 0, 1, 2


def _discard_escapes(text: str) -> str:
    """Lucene's ``discardEscapeChar``: drop backslashes, decode ``\\uXXXX``."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            raise LuceneSyntaxError("Term can not end with escape character.")
        nxt = text[i + 1]
        if nxt == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) < 4:
                raise LuceneSyntaxError("Truncated unicode escape sequence.")
            for d in digits:
                if d not in "0123456789abcdefABCDEF":
                    raise LuceneSyntaxError(f"Non-hex character in Unicode escape sequence: {d}")
            out.append(chr(int(digits, 16)))
            i += 6
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


@dataclass
class _ClassicParser:
    """Recursive descent over the classic grammar, building DSL clauses as it goes."""

    text: str
    top_field: str | None  # default_field when it is one name/pattern; else None
    specs: list[str]  # the fields a field-less term searches when top_field is None
    builder: Builder
    allow_leading_wildcard: bool
    phrase_slop: int
    fuzziness: int | str
    toks: list[Token] = field(default_factory=list)
    pos: int = 0

    # -- token helpers

    def peek(self, k: int = 0) -> Token:
        return self.toks[self.pos + k]

    def advance(self) -> Token:
        tok = self.toks[self.pos]
        if tok.kind != "EOF":
            self.pos += 1
        return tok

    def error(self, tok: Token, expected: str) -> LuceneSyntaxError:
        line, col = line_col(self.text, tok.pos)
        found = "<EOF>" if tok.kind == "EOF" else tok.image
        return LuceneSyntaxError(
            f'Encountered "{found}" at line {line}, column {col}. Was expecting {expected}.'
        )

    def expect(self, kinds: tuple[str, ...], expected: str) -> Token:
        tok = self.peek()
        if tok.kind not in kinds:
            raise self.error(tok, expected)
        return self.advance()

    # -- grammar

    def parse(self) -> Query | None:
        self.toks = tokenize(self.text)
        q = self.query(self.top_field, 0)
        self.expect(("EOF",), "<EOF>")
        return q

    def query(self, fld: str | None, depth: int) -> Query | None:
        """``Query := (MultiTerm | Modifiers Clause) (MultiTerm | Conj Modifiers Clause)*``."""
        clauses: list[list[Any]] = []
        first: Query | None = None
        if self.multi_term_ahead(fld):
            first = self.multi_term(fld, clauses)
        else:
            mods = self.modifiers()
            q = self.clause(fld, depth)
            self.add_clause(clauses, _CONJ_NONE, mods, q)
            if mods == _MOD_NONE:
                first = q
        while True:
            if self.multi_term_ahead(fld):
                self.multi_term(fld, clauses)
            elif self.peek().kind in _ITER_START:
                conj = self.conjunction()
                mods = self.modifiers()
                q = self.clause(fld, depth)
                self.add_clause(clauses, conj, mods, q)
            else:
                break
        if len(clauses) == 1 and first is not None:
            return first
        return self.boolean(clauses)

    def conjunction(self) -> int:
        kind = self.peek().kind
        if kind == "AND":
            self.advance()
            return _CONJ_AND
        if kind == "OR":
            self.advance()
            return _CONJ_OR
        return _CONJ_NONE

    def modifiers(self) -> int:
        kind = self.peek().kind
        if kind == "PLUS":
            self.advance()
            return _MOD_REQ
        if kind in ("MINUS", "NOT"):
            self.advance()
            return _MOD_NOT
        return _MOD_NONE

    def add_clause(self, clauses: list[list[Any]], conj: int, mods: int, q: Query | None) -> None:
        """Lucene's ``QueryParserBase.addClause``, the source of AND/OR/+/- semantics."""
        and_op = self.builder.and_op
        if clauses and conj == _CONJ_AND and clauses[-1][0] != "must_not":
            clauses[-1][0] = "must"
        if clauses and and_op and conj == _CONJ_OR and clauses[-1][0] != "must_not":
            clauses[-1][0] = "should"
        if q is None:
            return
        prohibited = mods == _MOD_NOT
        if and_op:
            required = not prohibited and conj != _CONJ_OR
        else:
            required = mods == _MOD_REQ or (conj == _CONJ_AND and not prohibited)
        if prohibited:
            clauses.append(["must_not", q])
        elif required:
            clauses.append(["must", q])
        else:
            clauses.append(["should", q])

    @staticmethod
    def boolean(clauses: list[list[Any]]) -> Query | None:
        if not clauses:
            return None
        if len(clauses) == 1 and clauses[0][0] in ("must", "should"):
            return clauses[0][1]
        body: dict[str, list[Query]] = {}
        for occur, q in clauses:
            body.setdefault(occur, []).append(q)
        return {"bool": body}

    @staticmethod
    def _joinable(tok: Token) -> bool:
        """Whether a bare term may join a whitespace run (``>x``/``<x`` stay ranges)."""
        return not (len(tok.image) > 1 and tok.image[0] in "<>")

    def multi_term_ahead(self, fld: str | None) -> bool:
        t0, t1, t2 = self.peek(0), self.peek(1), self.peek(2)
        return (
            fld != "_exists_"
            and t0.kind == "TERM"
            and t1.kind == "TERM"
            and self._joinable(t0)
            and self._joinable(t1)
            and t2.kind not in _DISALLOWED_POST_MULTI_TERM
        )

    def multi_term(self, fld: str | None, clauses: list[list[Any]]) -> Query | None:
        """A run of plain terms is analysed as one text, as Elasticsearch does."""
        images = [self.advance().image]
        while (
            self.peek().kind == "TERM"
            and self._joinable(self.peek())
            and self.peek(1).kind not in _DISALLOWED_POST_MULTI_TERM
        ):
            images.append(self.advance().image)
        q = self.field_query(fld, _discard_escapes(" ".join(images)))
        if q is not None:
            clauses.append(["must" if self.builder.and_op else "should", q])
        return q

    def clause(self, fld: str | None, depth: int) -> Query | None:
        """``Clause := [field ":"] (Term | "(" Query ")" ["^" boost])``."""
        t0, t1 = self.peek(0), self.peek(1)
        if t1.kind == "COLON" and t0.kind in ("TERM", "STAR", "PREFIXTERM", "WILDTERM"):
            self.advance()
            self.advance()
            fld = "*" if t0.kind == "STAR" else _discard_escapes(t0.image)
        if self.peek().kind == "LPAREN":
            if depth >= MAX_DEPTH:
                raise LuceneSyntaxError("query is nested too deeply")
            self.advance()
            q = self.query(fld, depth + 1)
            self.expect(("RPAREN",), '")"')
            return with_boost(q, self.optional_boost())
        return self.term(fld)

    def optional_boost(self) -> float | None:
        if self.peek().kind != "CARAT":
            return None
        self.advance()
        return float(self.expect(("NUMBER",), "<NUMBER>").image)

    def boost_and_slop(self) -> tuple[float | None, Token | None]:
        """``[^boost [~slop] | ~slop [^boost]]`` after a term or phrase."""
        boost: float | None = None
        slop: Token | None = None
        if self.peek().kind == "CARAT":
            boost = self.optional_boost()
            if self.peek().kind == "FUZZY_SLOP":
                slop = self.advance()
        elif self.peek().kind == "FUZZY_SLOP":
            slop = self.advance()
            boost = self.optional_boost()
        return boost, slop

    def term(self, fld: str | None) -> Query | None:
        tok = self.peek()
        if tok.kind in _BARE_TOKENS:
            self.advance()
            boost, slop = self.boost_and_slop()
            return with_boost(self.bare_token(fld, tok, slop), boost)
        if tok.kind in ("RANGEIN_START", "RANGEEX_START"):
            return self.range_term(fld)
        if tok.kind == "QUOTED":
            self.advance()
            boost, slop = self.boost_and_slop()
            phrase_slop = self.phrase_slop
            if slop is not None:
                with contextlib.suppress(ValueError, OverflowError):
                    phrase_slop = int(float(_discard_escapes(slop.image[1:])))
            if phrase_slop < 0:
                raise LuceneSyntaxError(f"slop must be >= 0, got {phrase_slop}")
            text = _discard_escapes(tok.image[1:-1])
            return with_boost(self.field_query(fld, text, quoted=True, slop=phrase_slop), boost)
        raise self.error(tok, "a term, phrase, range or group")

    def range_term(self, fld: str | None) -> Query | None:
        include_lower = self.advance().kind == "RANGEIN_START"
        goops = ("RANGE_GOOP", "RANGE_QUOTED", "RANGE_TO")
        lower = self.expect(goops, "a range bound")
        self.expect(("RANGE_TO",), '"TO"')
        upper = self.expect(goops, "a range bound")
        include_upper = self.expect(("RANGEIN_END", "RANGEEX_END"), '"]" or "}"').kind == (
            "RANGEIN_END"
        )
        boost = self.optional_boost()
        q = self.range_query(
            fld, self.range_bound(lower), self.range_bound(upper), include_lower, include_upper
        )
        return with_boost(q, boost)

    @staticmethod
    def range_bound(tok: Token) -> str | None:
        if tok.kind == "RANGE_QUOTED":
            value = _discard_escapes(tok.image[1:-1])
        elif tok.image == "*":
            return None
        else:
            value = _discard_escapes(tok.image)
        return None if value == "*" else value

    # -- query factories (QueryStringQueryParser's get*Query)

    def targets(self, fld: str | None) -> list[str]:
        return [fld] if fld is not None else self.specs

    def bare_token(self, fld: str | None, tok: Token, slop: Token | None) -> Query | None:
        """``handleBareTokenQuery``: wildcard and prefix win over fuzzy, then plain terms."""
        if tok.kind == "BAREOPER":
            # A lone "+", "-" or "!" analyses to nothing on text fields: Lucene drops it.
            return None
        if fld == "_exists_":
            name = tok.image[1:-1] if tok.kind == "REGEXPTERM" else _discard_escapes(tok.image)
            return {"exists": {"field": name}}
        if tok.kind in ("STAR", "WILDTERM"):
            return self.wildcard_query(fld, tok.image)
        if tok.kind == "PREFIXTERM":
            return self.builder.prefix(self.targets(fld), _discard_escapes(tok.image[:-1]))
        if tok.kind == "REGEXPTERM":
            return self.builder.regexp(self.targets(fld), tok.image[1:-1])
        value = _discard_escapes(tok.image)
        if slop is not None:
            if slop.image == "~":
                fuzziness = self.fuzziness
            else:
                fuzziness = parse_fuzziness(_discard_escapes(slop.image[1:]))
            return self.builder.fuzzy(self.targets(fld), value, fuzziness)
        return self.field_query(fld, value)

    def wildcard_query(self, fld: str | None, pattern: str) -> Query:
        if pattern == "*":
            if fld is not None:
                return {"match_all": {}} if fld == "*" else {"exists": {"field": fld}}
            if any(split_field_boost(s)[0] == "*" for s in self.specs):
                return {"match_all": {}}
            return self.builder.exists(self.specs)
        if not self.allow_leading_wildcard and pattern[0] in "*?":
            raise LuceneSyntaxError("'*' or '?' not allowed as first character in WildcardQuery")
        return self.builder.wildcard(self.targets(fld), pattern)

    def field_query(
        self, fld: str | None, text: str, *, quoted: bool = False, slop: int = 0
    ) -> Query | None:
        """``getFieldQuery``: ``_exists_``, phrases, ``>x``-style ranges, then free text."""
        if fld == "_exists_":
            return {"exists": {"field": text}}
        if quoted:
            return self.builder.text(self.targets(fld), text, phrase=True, slop=slop)
        if fld is not None and len(text) > 1 and text[0] in "<>":
            inclusive = len(text) > 2 and text[1] == "="
            bound = text[2:] if inclusive else text[1:]
            if text[0] == ">":
                return self.range_query(fld, bound, None, inclusive, True)
            return self.range_query(fld, None, bound, True, inclusive)
        return self.builder.text(self.targets(fld), text)

    def range_query(
        self,
        fld: str | None,
        lower: str | None,
        upper: str | None,
        include_lower: bool,
        include_upper: bool,
    ) -> Query:
        return self.builder.range(
            self.targets(fld),
            None if lower == "*" else lower,
            None if upper == "*" else upper,
            include_lower,
            include_upper,
        )


def query_string_to_dsl(
    query: str,
    *,
    default_field: str | list[str] = "*",
    default_operator: str = "OR",
    fields: list[str] | None = None,
    analyze_wildcard: bool = False,
    lenient: bool = False,
    allow_leading_wildcard: bool = True,
    phrase_slop: int = 0,
    fuzziness: str | int = "AUTO",
) -> Query:
    """Translate a ``query_string`` / ``q=`` query in classic Lucene syntax to query DSL.

    ``fields`` (when non-empty) wins over ``default_field``. ``default_field="*"`` searches all
    fields: free text becomes ``multi_match`` with ``fields: ["*"]`` and other clauses use the
    field pattern ``"*"`` (see the package docstring). ``default_operator`` follows Lucene's
    classic parser exactly, e.g. ``a AND b OR c`` is ``+a +b c`` under OR. ``lenient=True``
    adds ``"lenient": true`` to match/multi_match (values that do not fit a field's type match
    nothing); a syntax error is an error all the same, as in ES, where ``lenient`` covers
    only the values.

    ``analyze_wildcard`` is accepted for API compatibility; wildcard and prefix values are
    passed through and normalised by the compiler per field.

    Raises ``ParsingError`` (ES ``query_shard_exception``, "Failed to parse query [...]") on
    a syntax error, and ``IllegalArgument`` on a bad ``default_operator`` or ``fuzziness``.
    """
    del analyze_wildcard  # accepted for API parity; see the docstring
    builder = Builder(and_op=parse_operator(default_operator), lenient=lenient)
    try:
        default_fuzziness = parse_fuzziness(str(fuzziness))
    except LuceneSyntaxError as exc:
        raise IllegalArgument(str(exc)) from None
    if fields:
        top_field: str | None = None
        specs = list(fields)
    elif isinstance(default_field, str):
        top_field = default_field
        specs = [default_field]
    else:
        top_field = None
        specs = list(default_field) or ["*"]
    if not query or not query.strip():
        return {"match_all": {}}
    parser = _ClassicParser(
        text=query,
        top_field=top_field,
        specs=specs,
        builder=builder,
        allow_leading_wildcard=allow_leading_wildcard,
        phrase_slop=phrase_slop,
        fuzziness=default_fuzziness,
    )
    try:
        q = parser.parse()
    except LuceneSyntaxError as exc:  # lenient or not, as ES's QueryStringQueryBuilder
        raise ParsingError(
            f"Failed to parse query [{query}]",
            type="query_shard_exception",
            caused_by={"type": "parse_exception", "reason": f"Cannot parse '{query}': {exc}"},
        ) from None
    return q if q is not None else {"match_none": {}}
