"""Lucene query syntax → Elasticsearch query DSL.

``query_string`` bodies, the ``q=`` URL parameter and ``simple_query_string`` all carry a query
in Lucene syntax. Rather than compiling that syntax straight to the engine, this module rewrites
it into the small subset of the ES query DSL that the DSL compiler already understands (``bool``,
``match``, ``match_phrase``, ``multi_match``, ``range``, ``wildcard``, ``regexp``, ``fuzzy``,
``prefix``, ``exists``, ``match_all``, ``match_none``, with ``boost`` keys). That keeps a single
path from DSL to engine, and lets the compiler decide per field type how a value is analysed or
coerced: every value is left as the string the user typed.

The classic syntax follows Lucene's ``QueryParser.jj`` token rules (longest match, lexical modes
for ranges and boosts) and ``QueryParserBase.addClause`` for how AND/OR/NOT/+/- and the default
operator decide each clause's occurrence, with Elasticsearch's ``QueryStringQueryParser``
additions (``_exists_``, ``field:*``, ``>=x``, multi-field expansion). The simple syntax follows
Lucene's ``SimpleQueryParser`` state machine, quirks included, and never fails.

Representation choices (the contract with the DSL compiler):

* Field names in the output may be *patterns* containing ``*`` (``"*"`` itself meaning all
  fields, ``"http*.uri"``...). They come from ``default_field="*"``, from ``fields`` entries or
  from the query itself (``http*.uri:x``, ``city.\\*:x``). The compiler expands a pattern
  against the mapping, leniently (a value that does not fit a field's type matches nothing on
  that field), and a clause on a pattern matches when any expanded field matches. ``fields``
  entries may carry a ``^boost`` suffix, kept as-is inside ``multi_match`` ``fields`` lists.
* Free text (a bare term, or a run of bare terms, which Elasticsearch analyses as one text) on a
  single concrete field becomes ``{"match": {f: {"query": text}}}``; a quoted phrase becomes
  ``{"match_phrase": {f: {"query": text}}}`` (plus ``"slop"`` when non-zero). On several fields
  or on a pattern (``*`` included) it becomes ``{"multi_match": {"query": text, "fields": [...],
  "type": "best_fields" | "phrase"}}``. When the default operator is AND, ``match`` and
  ``multi_match`` carry ``"operator": "and"``: that is how Lucene combines the several tokens
  one text may analyse into.
* Wildcard, prefix, regexp, fuzzy, range and exists clauses on several fields become a ``bool``
  ``should`` with one clause per field entry (Elasticsearch uses a ``dis_max``; only scoring
  differs). Field boosts become ``boost`` on the per-field clause.
* ``field:*`` → ``exists``; ``*`` on all fields (``*:*``, or ``*`` with default field ``*``) →
  ``match_all``; ``field:[* TO *]`` → ``exists``; an empty query → ``match_all`` for
  ``query_string`` (Elasticsearch itself matches nothing) and ``match_none`` for
  ``simple_query_string``; a query whose every clause is dropped → ``match_none``.
* A ``bool`` with only ``must_not`` clauses stands for "everything except" (ES semantics).
  Single-clause ``must``/``should`` wrappers are unwrapped.

Deliberate differences from Elasticsearch: unescaped ``*`` is accepted in field names
(``http*.uri:x``; ES requires ``http\\*.uri``); a term starting with ``<``/``>`` never joins a
whitespace run, so ``age:(>=10 <20)`` is two ranges rather than one garbled bound; a lone
``+``/``-``/``!`` followed by whitespace is dropped (it analyses to nothing on text fields);
``field:[* TO *]`` is ``exists``. Under default AND, a run such as ``a b OR c`` stays one
``match`` (``(a AND b) OR c``) where Lucene, knowing the tokens, makes only ``b`` optional.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from loghaven.errors import IllegalArgument, ParsingError

__all__ = ["query_string_to_dsl", "simple_query_string_to_dsl"]

Query = dict[str, Any]

_WHITESPACE = " \t\n\r\u3000"
# Characters that cannot start a classic term unescaped (QueryParser.jj _TERM_START_CHAR).
_NON_TERM_START = frozenset(_WHITESPACE + '+-!():^[]"{}~*?\\/')
# Clause kinds whose body sits under a field name: {"kind": {field: body}}.
_FIELD_KEYED = frozenset(
    {"match", "match_phrase", "term", "range", "wildcard", "regexp", "fuzzy", "prefix"}
)
_MAX_DEPTH = 200

_KEYWORDS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT", "!": "NOT"}
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SINGLE_CHAR_TOKENS = {
    "(": "LPAREN",
    ")": "RPAREN",
    ":": "COLON",
    "^": "CARAT",
    "[": "RANGEIN_START",
    "{": "RANGEEX_START",
}

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


class _SyntaxError(Exception):
    """A parse failure; the public functions turn it into ``ParsingError`` (or recover)."""


# --------------------------------------------------------------------------------------------
# Shared helpers


def _line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column, as javacc reports them."""
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


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
            raise _SyntaxError("Term can not end with escape character.")
        nxt = text[i + 1]
        if nxt == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) < 4:
                raise _SyntaxError("Truncated unicode escape sequence.")
            for d in digits:
                if d not in "0123456789abcdefABCDEF":
                    raise _SyntaxError(f"Non-hex character in Unicode escape sequence: {d}")
            out.append(chr(int(digits, 16)))
            i += 6
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


def _split_field_boost(spec: str) -> tuple[str, float]:
    """``"title^2"`` → ``("title", 2.0)``; a spec without a valid boost keeps boost 1."""
    name, sep, boost = spec.rpartition("^")
    if sep and name:
        try:
            return name, float(boost)
        except ValueError:
            pass
    return spec, 1.0


def _with_boost(q: Query | None, boost: float | None) -> Query | None:
    """Multiply a clause's ``boost`` in place (clauses are always freshly built here)."""
    if q is None or boost is None:
        return q
    kind, body = next(iter(q.items()))
    if kind in _FIELD_KEYED:
        body = next(iter(body.values()))
    body["boost"] = float(body.get("boost", 1.0)) * boost
    return q


def _parse_operator(op: str) -> bool:
    """True for AND; Elasticsearch accepts either case."""
    upper = str(op).upper()
    if upper not in ("AND", "OR"):
        raise IllegalArgument(f"operator needs to be either [and, or], but not [{op}]")
    return upper == "AND"


def _parse_fuzziness(text: str) -> int | str:
    """ES ``Fuzziness.fromString``: ``AUTO[:lo,hi]`` or a whole edit distance 0..2."""
    upper = text.upper()
    if upper == "AUTO" or upper.startswith("AUTO:"):
        return upper
    try:
        value = float(text)
    except ValueError:
        raise _SyntaxError(f"Invalid fuzziness value: {text}") from None
    if value % 1:
        raise _SyntaxError(f"fuzziness needs to be one of 0.0, 1.0 or 2.0 but was {value}")
    if not 0 <= value <= 2:
        raise _SyntaxError(f"Valid edit distances are [0, 1, 2] but was [{int(value)}]")
    return int(value)


@dataclass
class _Builder:
    """Builds leaf clauses over a list of field specs (names or patterns, maybe ``^boost``)."""

    and_op: bool
    lenient: bool

    def text(self, specs: list[str], text: str, *, phrase: bool = False, slop: int = 0) -> Query:
        """Analysed free text: match/match_phrase on one field, else multi_match."""
        if len(specs) == 1:
            name, fboost = _split_field_boost(specs[0])
            if "*" not in name:
                body: dict[str, Any] = {"query": text}
                if phrase:
                    if slop:
                        body["slop"] = slop
                else:
                    if self.and_op:
                        body["operator"] = "and"
                    if self.lenient:
                        body["lenient"] = True
                q: Query = {"match_phrase" if phrase else "match": {name: body}}
                return _with_boost(q, fboost) if fboost != 1.0 else q  # type: ignore[return-value]
        mm: dict[str, Any] = {
            "query": text,
            "fields": list(specs),
            "type": "phrase" if phrase else "best_fields",
        }
        if phrase:
            if slop:
                mm["slop"] = slop
        elif self.and_op:
            mm["operator"] = "and"
        if self.lenient:
            mm["lenient"] = True
        return {"multi_match": mm}

    @staticmethod
    def per_field(specs: list[str], make: Callable[[str], Query]) -> Query:
        """One clause per field spec, OR-ed together when there are several."""
        clauses: list[Query] = []
        for spec in specs:
            name, fboost = _split_field_boost(spec)
            q = make(name)
            if fboost != 1.0:
                _with_boost(q, fboost)
            clauses.append(q)
        if len(clauses) == 1:
            return clauses[0]
        return {"bool": {"should": clauses}}

    def prefix(self, specs: list[str], value: str) -> Query:
        return self.per_field(specs, lambda f: {"prefix": {f: {"value": value}}})

    def wildcard(self, specs: list[str], value: str) -> Query:
        return self.per_field(specs, lambda f: {"wildcard": {f: {"value": value}}})

    def regexp(self, specs: list[str], value: str) -> Query:
        return self.per_field(specs, lambda f: {"regexp": {f: {"value": value}}})

    def fuzzy(self, specs: list[str], value: str, fuzziness: int | str) -> Query:
        return self.per_field(
            specs, lambda f: {"fuzzy": {f: {"value": value, "fuzziness": fuzziness}}}
        )

    def exists(self, specs: list[str]) -> Query:
        return self.per_field(specs, lambda f: {"exists": {"field": f}})

    def range(
        self,
        specs: list[str],
        lower: str | None,
        upper: str | None,
        include_lower: bool,
        include_upper: bool,
    ) -> Query:
        if lower is None and upper is None:
            return self.exists(specs)
        body: dict[str, str] = {}
        if lower is not None:
            body["gte" if include_lower else "gt"] = lower
        if upper is not None:
            body["lte" if include_upper else "lt"] = upper
        return self.per_field(specs, lambda f: {"range": {f: dict(body)}})


# --------------------------------------------------------------------------------------------
# Classic syntax: tokenizer


class _Token(NamedTuple):
    kind: str
    image: str
    pos: int


def _scan_term(text: str, i: int) -> tuple[int, list[int]]:
    """Longest run of term characters (escapes and ``*``/``?`` allowed) from ``i``.

    Returns the end offset and the offsets of unescaped wildcard characters.
    """
    n = len(text)
    j = i
    wild: list[int] = []
    while j < n:
        ch = text[j]
        if ch == "\\":
            if j + 1 >= n:
                break
            j += 2
            continue
        if ch in "*?":
            wild.append(j)
        elif ch in _NON_TERM_START and (ch not in "+-" or j == i):
            break
        j += 1
    return j, wild


def _scan_term_chars(text: str, i: int) -> int:
    """End of a run of ``_TERM_CHAR`` (no wildcards), as after ``~`` in FUZZY_SLOP."""
    n = len(text)
    j = i
    while j < n:
        ch = text[j]
        if ch == "\\":
            if j + 1 >= n:
                break
            j += 2
            continue
        if ch in _NON_TERM_START and ch not in "+-":
            break
        j += 1
    return j


def _scan_quoted(text: str, i: int) -> int:
    """End (exclusive) of a QUOTED token starting at ``i``, or -1 when unterminated."""
    n = len(text)
    j = i + 1
    while j < n:
        ch = text[j]
        if ch == "\\":
            if j + 1 >= n:
                return -1
            j += 2
        elif ch == '"':
            return j + 1
        else:
            j += 1
    return -1


def _scan_longest_delimited(text: str, i: int, delim: str, min_inner: int) -> int:
    """``delim (~[delim] | "\\" delim)* delim`` by longest match (REGEXPTERM, RANGE_QUOTED)."""
    end = -1
    j = i + 1
    n = len(text)
    while j < n:
        if text[j] == delim:
            if j - i - 1 >= min_inner:
                end = j + 1
            if text[j - 1] != "\\" or j - 1 == i:
                break
        j += 1
    return end


def _tokenize(text: str) -> list[_Token]:
    """Classic QueryParser token stream, with its DEFAULT, Boost and Range lexical modes."""
    toks: list[_Token] = []
    i, n = 0, len(text)
    mode = "default"

    def lex_error(pos: int) -> _SyntaxError:
        line, col = _line_col(text, pos)
        found = "<EOF>" if pos >= n else repr(text[pos])
        return _SyntaxError(f"Lexical error at line {line}, column {col}.  Encountered: {found}")

    while True:
        if mode != "boost":
            while i < n and text[i] in _WHITESPACE:
                i += 1
        if i >= n:
            # Padding lets the parser peek two tokens past the end without bounds checks.
            toks.extend([_Token("EOF", "", n)] * 3)
            return toks
        c = text[i]
        if mode == "boost":
            m = _NUMBER_RE.match(text, i)
            if m is None:
                raise lex_error(i)
            toks.append(_Token("NUMBER", m.group(), i))
            i = m.end()
            mode = "default"
            continue
        if mode == "range":
            if c in "]}":
                toks.append(_Token("RANGEIN_END" if c == "]" else "RANGEEX_END", c, i))
                i += 1
                mode = "default"
                continue
            goop_end = i
            while goop_end < n and text[goop_end] not in " ]}":
                goop_end += 1
            if c == '"':
                q_end = _scan_longest_delimited(text, i, '"', 1)
                if q_end >= goop_end:
                    toks.append(_Token("RANGE_QUOTED", text[i:q_end], i))
                    i = q_end
                    continue
            if goop_end == i + 2 and text.startswith("TO", i):
                toks.append(_Token("RANGE_TO", "TO", i))
            else:
                toks.append(_Token("RANGE_GOOP", text[i:goop_end], i))
            i = goop_end
            continue
        # DEFAULT mode
        if c in "+-!":
            if i + 1 < n and text[i + 1] in _WHITESPACE:
                toks.append(_Token("BAREOPER", c, i))
                i += 2
            else:
                toks.append(_Token({"+": "PLUS", "-": "MINUS", "!": "NOT"}[c], c, i))
                i += 1
            continue
        single = _SINGLE_CHAR_TOKENS.get(c)
        if single is not None:
            toks.append(_Token(single, c, i))
            i += 1
            if single == "CARAT":
                mode = "boost"
            elif single in ("RANGEIN_START", "RANGEEX_START"):
                mode = "range"
            continue
        if c == '"':
            end = _scan_quoted(text, i)
            if end < 0:
                raise lex_error(n)
            toks.append(_Token("QUOTED", text[i:end], i))
            i = end
            continue
        if c == "~":
            end = _scan_term_chars(text, i + 1)
            toks.append(_Token("FUZZY_SLOP", text[i:end], i))
            i = end
            continue
        if c == "/":
            end = _scan_longest_delimited(text, i, "/", 0)
            if end < 0:
                raise lex_error(n)
            toks.append(_Token("REGEXPTERM", text[i:end], i))
            i = end
            continue
        end, wild = _scan_term(text, i)
        if end == i:
            raise lex_error(i)
        image = text[i:end]
        if image in _KEYWORDS:
            kind = _KEYWORDS[image]
        elif not wild:
            kind = "TERM"
        elif image == "*":
            kind = "STAR"
        elif len(wild) == 1 and wild[0] == end - 1 and text[end - 1] == "*":
            kind = "PREFIXTERM"
        else:
            kind = "WILDTERM"
        toks.append(_Token(kind, image, i))
        i = end


# --------------------------------------------------------------------------------------------
# Classic syntax: parser


@dataclass
class _ClassicParser:
    """Recursive descent over the classic grammar, building DSL clauses as it goes."""

    text: str
    top_field: str | None  # default_field when it is one name/pattern; else None
    specs: list[str]  # the fields a field-less term searches when top_field is None
    builder: _Builder
    allow_leading_wildcard: bool
    phrase_slop: int
    fuzziness: int | str
    toks: list[_Token] = field(default_factory=list)
    pos: int = 0

    # -- token helpers

    def peek(self, k: int = 0) -> _Token:
        return self.toks[self.pos + k]

    def advance(self) -> _Token:
        tok = self.toks[self.pos]
        if tok.kind != "EOF":
            self.pos += 1
        return tok

    def error(self, tok: _Token, expected: str) -> _SyntaxError:
        line, col = _line_col(self.text, tok.pos)
        found = "<EOF>" if tok.kind == "EOF" else tok.image
        return _SyntaxError(
            f'Encountered "{found}" at line {line}, column {col}. Was expecting {expected}.'
        )

    def expect(self, kinds: tuple[str, ...], expected: str) -> _Token:
        tok = self.peek()
        if tok.kind not in kinds:
            raise self.error(tok, expected)
        return self.advance()

    # -- grammar

    def parse(self) -> Query | None:
        self.toks = _tokenize(self.text)
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
    def _joinable(tok: _Token) -> bool:
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
            if depth >= _MAX_DEPTH:
                raise _SyntaxError("query is nested too deeply")
            self.advance()
            q = self.query(fld, depth + 1)
            self.expect(("RPAREN",), '")"')
            return _with_boost(q, self.optional_boost())
        return self.term(fld)

    def optional_boost(self) -> float | None:
        if self.peek().kind != "CARAT":
            return None
        self.advance()
        return float(self.expect(("NUMBER",), "<NUMBER>").image)

    def boost_and_slop(self) -> tuple[float | None, _Token | None]:
        """``[^boost [~slop] | ~slop [^boost]]`` after a term or phrase."""
        boost: float | None = None
        slop: _Token | None = None
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
            return _with_boost(self.bare_token(fld, tok, slop), boost)
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
                raise _SyntaxError(f"slop must be >= 0, got {phrase_slop}")
            text = _discard_escapes(tok.image[1:-1])
            return _with_boost(self.field_query(fld, text, quoted=True, slop=phrase_slop), boost)
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
        return _with_boost(q, boost)

    @staticmethod
    def range_bound(tok: _Token) -> str | None:
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

    def bare_token(self, fld: str | None, tok: _Token, slop: _Token | None) -> Query | None:
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
                fuzziness = _parse_fuzziness(_discard_escapes(slop.image[1:]))
            return self.builder.fuzzy(self.targets(fld), value, fuzziness)
        return self.field_query(fld, value)

    def wildcard_query(self, fld: str | None, pattern: str) -> Query:
        if pattern == "*":
            if fld is not None:
                return {"match_all": {}} if fld == "*" else {"exists": {"field": fld}}
            if any(_split_field_boost(s)[0] == "*" for s in self.specs):
                return {"match_all": {}}
            return self.builder.exists(self.specs)
        if not self.allow_leading_wildcard and pattern[0] in "*?":
            raise _SyntaxError("'*' or '?' not allowed as first character in WildcardQuery")
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
    field pattern ``"*"`` (see the module docstring). ``default_operator`` follows Lucene's
    classic parser exactly, e.g. ``a AND b OR c`` is ``+a +b c`` under OR. ``lenient=True``
    adds ``"lenient": true`` to match/multi_match and, on a syntax error, falls back to
    searching the whole query as free text instead of raising.

    ``analyze_wildcard`` is accepted for API compatibility; wildcard and prefix values are
    passed through and normalised by the compiler per field.

    Raises ``ParsingError`` (ES ``query_shard_exception``, "Failed to parse query [...]") on
    a syntax error, and ``IllegalArgument`` on a bad ``default_operator`` or ``fuzziness``.
    """
    del analyze_wildcard  # accepted for API parity; see the docstring
    builder = _Builder(and_op=_parse_operator(default_operator), lenient=lenient)
    try:
        default_fuzziness = _parse_fuzziness(str(fuzziness))
    except _SyntaxError as exc:
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
    except _SyntaxError as exc:
        if lenient:
            return builder.text(parser.targets(top_field), query.strip())
        raise ParsingError(
            f"Failed to parse query [{query}]",
            type="query_shard_exception",
            caused_by={"type": "parse_exception", "reason": f"Cannot parse '{query}': {exc}"},
        ) from None
    return q if q is not None else {"match_none": {}}


# --------------------------------------------------------------------------------------------
# Simple syntax (Lucene SimpleQueryParser)

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
    builder: _Builder
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
                if state.depth >= _MAX_DEPTH:
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
    and_op = _parse_operator(default_operator)
    parser = _SimpleParser(
        flags=_resolve_flags(flags),
        specs=list(fields) if fields else ["*"],
        builder=_Builder(and_op=and_op, lenient=False),
        default_occur="must" if and_op else "should",
    )
    return parser.parse(query or "")
