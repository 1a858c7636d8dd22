"""Tokenizer for the Painless subset: numbers, strings, identifiers and operators.

Operators outside the subset (bitwise, lambdas, regex, method references) are recognised so
the compile error can name them instead of failing on a stray character.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Operators of the subset, longest first so ``>=`` wins over ``>``.
OPERATORS = (
    "?.", "?:", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "++", "--",
    "(", ")", "[", "]", "{", "}", ".", ",", ";", ":", "?", "!", "<", ">", "=", "+", "-", "*",
    "/", "%",
)
#: Painless operators this evaluator refuses, with the construct each one names.
UNSUPPORTED = {
    "===": "[===] is not supported", "!==": "[!==] is not supported",
    "==~": "[regex] is not supported", "=~": "[regex] is not supported",
    "->": "[lambda] is not supported", "::": "[method reference] is not supported",
    "<<": "operator [<<] is not supported", ">>": "operator [>>] is not supported",
    "&": "operator [&] is not supported", "|": "operator [|] is not supported",
    "^": "operator [^] is not supported", "~": "operator [~] is not supported",
    "@": "[@] is not supported",
}
_DIGITS = "0123456789"
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "b": "\b",
            "f": "\f", "0": "\0"}


@dataclass(frozen=True)
class Token:
    kind: str  # "int", "long", "double", "str", "ident", "op", "eof"
    value: Any
    start: int
    end: int


def tokenize(source: str, fail: Callable[[int, int, str], Exception]) -> list[Token]:
    """The tokens of ``source``; ``fail(start, end, reason)`` builds the compile error."""
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c in " \t\r\n\f":
            i += 1
        elif source.startswith("//", i):
            j = source.find("\n", i)
            i = n if j < 0 else j + 1
        elif source.startswith("/*", i):
            j = source.find("*/", i + 2)
            if j < 0:
                raise fail(i, n, "unterminated comment")
            i = j + 2
        elif (c in _DIGITS) or (c == "." and i + 1 < n and (source[i + 1] in _DIGITS)):
            i = _number(source, i, tokens, fail)
        elif c in "'\"":
            i = _string(source, i, tokens, fail)
        elif c.isalpha() or c == "_" or c == "$":
            j = i + 1
            while j < n and (source[j].isalnum() or source[j] in "_$"):
                j += 1
            tokens.append(Token("ident", source[i:j], i, j))
            i = j
        else:
            for op in ("===", "!==", "==~", "=~", "->", "::", "<<", ">>"):
                if source.startswith(op, i):
                    raise fail(i, i + len(op), UNSUPPORTED[op])
            op = next((o for o in OPERATORS if source.startswith(o, i)), None)
            if op == "?." and i + 2 < n and (source[i + 2] in _DIGITS):
                op = "?"  # a ternary followed by a number such as .5
            if op is None:
                raise fail(i, i + 1, UNSUPPORTED.get(c, f"invalid character [{c}]"))
            tokens.append(Token("op", op, i, i + len(op)))
            i += len(op)
    tokens.append(Token("eof", None, n, n))
    return tokens


def _number(source: str, i: int, tokens: list[Token], fail: Callable[..., Exception]) -> int:
    n, j = len(source), i
    while j < n and (source[j] in _DIGITS):
        j += 1
    is_float = False
    if j + 1 < n and source[j] == "." and (source[j + 1] in _DIGITS):
        is_float = True
        j += 1
        while j < n and (source[j] in _DIGITS):
            j += 1
    if j < n and source[j] in "eE":
        k = j + 1
        if k < n and source[k] in "+-":
            k += 1
        if k < n and (source[k] in _DIGITS):
            is_float = True
            j = k
            while j < n and (source[j] in _DIGITS):
                j += 1
    text = source[i:j]
    if j < n and source[j] in "lL" and not is_float:
        tokens.append(Token("long", _integer(text, 63, i, j + 1, fail), i, j + 1))
        return j + 1
    if j < n and source[j] in "dDfF":
        tokens.append(Token("double", float(text), i, j + 1))
        return j + 1
    if is_float:
        tokens.append(Token("double", float(text), i, j))
    else:
        tokens.append(Token("int", _integer(text, 31, i, j, fail), i, j))
    return j


def _integer(text: str, bits: int, start: int, end: int, fail: Callable[..., Exception]) -> int:
    if len(text) > 20 or int(text) >= 1 << bits:
        raise fail(start, end, f"Invalid {'long' if bits == 63 else 'int'} constant [{text}].")
    return int(text)


def _string(source: str, i: int, tokens: list[Token], fail: Callable[..., Exception]) -> int:
    quote, n, j = source[i], len(source), i + 1
    out: list[str] = []
    while j < n and source[j] != quote:
        if source[j] == "\\":
            if j + 1 >= n or source[j + 1] not in _ESCAPES:
                raise fail(j, j + 2, "invalid escape sequence in string")
            out.append(_ESCAPES[source[j + 1]])
            j += 2
        else:
            out.append(source[j])
            j += 1
    if j >= n:
        raise fail(i, n, "unterminated string")
    tokens.append(Token("str", "".join(out), i, j + 1))
    return j + 1
