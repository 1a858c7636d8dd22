"""PPL's tokens, and the plugin's two errors for a query: what does not parse (with the
query up to the offending symbol) and a field that does not exist at that point."""

from __future__ import annotations

import re
from dataclasses import dataclass

from loghaven.sql.errors import SemanticError, SyntaxError_

REASON = "Invalid Query"

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<quoted>`[^`]*`)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[A-Za-z]*)
  | (?P<ident>[A-Za-z_@][A-Za-z0-9_@.]*)
  | (?P<op>==|!=|<>|<=|>=|[=<>+\-*/%(),|])
""", re.VERBOSE)

KEYWORDS = {"and", "or", "xor", "not", "like", "in", "is", "between", "as", "by", "from",
             "true", "false", "null", "else"}



@dataclass
class Token:
    kind: str  # str, quoted, num, ident, op, eof
    text: str
    pos: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "ident" else ""


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise syntax_error(text, pos, text[pos], "a term")
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup or "", match.group(), pos))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


def syntax_error(text: str, pos: int, symbol: str, expected: str) -> SyntaxError_:
    """The plugin's syntax error: the offending symbol, the query up to it, what fits."""
    return SyntaxError_(
        f"Failed to parse query due to offending symbol [{symbol}] at: "
        f"'{text[:pos + len(symbol)]}' <--- HERE... More details: Expecting {expected}",
        reason=REASON)


def unknown_field(name: str) -> SemanticError:
    return SemanticError(f"can't resolve Symbol(namespace=FIELD_NAME, name={name}) in type env",
                         reason=REASON)
