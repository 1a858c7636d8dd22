"""The classic Lucene syntax tokenizer (``QueryParser.jj`` token rules and lexical modes)."""

from __future__ import annotations

import re
from typing import NamedTuple

from loghaven.search.lucene.build import LuceneSyntaxError

_WHITESPACE = " \t\n\r\u3000"
# Characters that cannot start a classic term unescaped (QueryParser.jj _TERM_START_CHAR).
_NON_TERM_START = frozenset(_WHITESPACE + '+-!():^[]"{}~*?\\/')
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



def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column, as javacc reports them."""
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


class Token(NamedTuple):
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


def tokenize(text: str) -> list[Token]:
    """Classic QueryParser token stream, with its DEFAULT, Boost and Range lexical modes."""
    toks: list[Token] = []
    i, n = 0, len(text)
    mode = "default"

    def lex_error(pos: int) -> LuceneSyntaxError:
        line, col = line_col(text, pos)
        found = "<EOF>" if pos >= n else repr(text[pos])
        return LuceneSyntaxError(f"Lexical error at line {line}, column {col}.  Encountered: {found}")

    while True:
        if mode != "boost":
            while i < n and text[i] in _WHITESPACE:
                i += 1
        if i >= n:
            # Padding lets the parser peek two tokens past the end without bounds checks.
            toks.extend([Token("EOF", "", n)] * 3)
            return toks
        c = text[i]
        if mode == "boost":
            m = _NUMBER_RE.match(text, i)
            if m is None:
                raise lex_error(i)
            toks.append(Token("NUMBER", m.group(), i))
            i = m.end()
            mode = "default"
            continue
        if mode == "range":
            if c in "]}":
                toks.append(Token("RANGEIN_END" if c == "]" else "RANGEEX_END", c, i))
                i += 1
                mode = "default"
                continue
            goop_end = i
            while goop_end < n and text[goop_end] not in " ]}":
                goop_end += 1
            if c == '"':
                q_end = _scan_longest_delimited(text, i, '"', 1)
                if q_end >= goop_end:
                    toks.append(Token("RANGE_QUOTED", text[i:q_end], i))
                    i = q_end
                    continue
            if goop_end == i + 2 and text.startswith("TO", i):
                toks.append(Token("RANGE_TO", "TO", i))
            else:
                toks.append(Token("RANGE_GOOP", text[i:goop_end], i))
            i = goop_end
            continue
        # DEFAULT mode
        if c in "+-!":
            if i + 1 < n and text[i + 1] in _WHITESPACE:
                toks.append(Token("BAREOPER", c, i))
                i += 2
            else:
                toks.append(Token({"+": "PLUS", "-": "MINUS", "!": "NOT"}[c], c, i))
                i += 1
            continue
        single = _SINGLE_CHAR_TOKENS.get(c)
        if single is not None:
            toks.append(Token(single, c, i))
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
            toks.append(Token("QUOTED", text[i:end], i))
            i = end
            continue
        if c == "~":
            end = _scan_term_chars(text, i + 1)
            toks.append(Token("FUZZY_SLOP", text[i:end], i))
            i = end
            continue
        if c == "/":
            end = _scan_longest_delimited(text, i, "/", 0)
            if end < 0:
                raise lex_error(n)
            toks.append(Token("REGEXPTERM", text[i:end], i))
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
        toks.append(Token(kind, image, i))
        i = end


