"""Regular expressions over terms, in tantivy's (Rust) syntax.

Lucene wildcard and regexp patterns, and string range bounds, become regexes over a field's terms.
"""

from __future__ import annotations

import re

from loghaven.engine import words
from loghaven.errors import ParsingError


def literal(char: str) -> str:
    """One character as a literal in tantivy's (Rust) regex syntax."""
    return char if char.isalnum() and char.isascii() else f"\\x{{{ord(char):x}}}"


def literals(text: str) -> str:
    return "".join(literal(c) for c in text)


#: Each in-word joiner's literal → its marker's, for patterns over text fields' terms.
_JOINER_LITERALS = {literal(joiner): literal(marker)
                    for joiner, marker in words.MARKERS.items()}
_JOINER_LITERAL = re.compile("|".join(re.escape(lit) for lit in _JOINER_LITERALS))


def index_literals(regex: str) -> str:
    """A pattern built from :func:`literal` pieces, made to match text fields' index form.

    Indexed terms hold a joiner (``.`` in ``example.com``) only as its marker letter; the
    joiner itself never occurs in a term, so every literal one is meant as its marker.
    """
    return _JOINER_LITERAL.sub(lambda m: _JOINER_LITERALS[m.group()], regex)


def wildcard_regex(pattern: str) -> str:
    """Lucene wildcard (``*``, ``?``, ``\\`` escapes) → regex."""
    out = ["(?s)"]
    chars = iter(pattern)
    for char in chars:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "\\":
            out.append(literal(next(chars, "\\")))
        else:
            out.append(literal(char))
    return "".join(out)


def lucene_regex(pattern: str, flags: str) -> str:
    """Lucene ``RegExp`` syntax → Rust regex (anchored on the whole term by tantivy).

    Lucene has no anchors or ``\\d`` classes (``^``, ``$`` are literals, ``\\x`` is ``x``);
    ``"..."`` quotes a string; with the optional flags ``@`` is any string and ``<1-10>`` a
    number range. Complement ``~`` and intersection ``&`` have no Rust equivalent.
    """
    enabled = {f.strip().upper() for f in flags.split("|")} if flags else {"ALL"}
    every = "ALL" in enabled

    def on(flag: str) -> bool:
        return every or flag in enabled

    out = ["(?s)"]
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\" and i + 1 < size:
            out.append(literal(pattern[i + 1]))
            i += 2
            continue
        if char == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise ParsingError(f"expected '\"' at position {size} in [{pattern}]")
            out.append(literals(pattern[i + 1:end]))
            i = end + 1
            continue
        if char == "[":
            end, cls = _regex_class(pattern, i)
            out.append(cls)
            i = end
            continue
        if char in ".*+?|()":
            out.append(char)
        elif char == "{":
            end = pattern.find("}", i)
            if end < 0 or not re.fullmatch(r"\d+(,\d*)?", pattern[i + 1:end]):
                raise ParsingError(f"invalid repetition in regexp [{pattern}]")
            out.append(pattern[i:end + 1])
            i = end + 1
            continue
        elif char == "@" and on("ANYSTRING"):
            out.append(".*")
        elif char == "<" and on("INTERVAL") and re.match(r"<\d+-\d+>", pattern[i:]):
            match = re.match(r"<(\d+)-(\d+)>", pattern[i:])
            assert match is not None
            low, high = sorted((int(match.group(1)), int(match.group(2))))
            if high - low > 10_000:
                raise ParsingError(f"interval [{match.group(0)}] is too large in [{pattern}]")
            out.append("(?:" + "|".join(str(n) for n in range(low, high + 1)) + ")")
            i += match.end()
            continue
        elif char in "~&" and on("COMPLEMENT" if char == "~" else "INTERSECTION"):
            raise ParsingError(f"regexp operator [{char}] (complement/intersection) is not "
                               f"supported; rewrite [{pattern}] without it or set flags")
        elif char == "#" and on("EMPTY"):
            raise ParsingError(f"regexp operator [#] (empty language) is not supported in "
                               f"[{pattern}]")
        else:
            out.append(literal(char))
        i += 1
    return "".join(out)


def _regex_class(pattern: str, start: int) -> tuple[int, str]:
    """A Lucene ``[...]`` class from ``start``; returns (index after it, Rust class)."""
    i = start + 1
    out = ["["]
    if i < len(pattern) and pattern[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(literal(pattern[i + 1]))
            i += 2
        elif char == "-" and not first and i + 1 < len(pattern) and pattern[i + 1] != "]":
            out.append("-")
            i += 1
        else:
            out.append(literal(char))
            i += 1
        first = False
    if i >= len(pattern):
        raise ParsingError(f"expected ']' at position {len(pattern)} in [{pattern}]")
    return i + 1, "".join(out) + "]"


def regex_after(bound: str, inclusive: bool) -> str:
    """Strings sorting after ``bound`` in UTF-8 byte (= code point) order."""
    parts = [literals(bound) + ".+"]
    for i, char in enumerate(bound):
        if ord(char) < 0x10FFFF:
            parts.append(f"{literals(bound[:i])}[\\x{{{ord(char) + 1:x}}}-\\x{{10ffff}}].*")
    if inclusive:
        parts.append(literals(bound))
    return "(?s)(?:" + "|".join(parts) + ")"


def regex_before(bound: str, inclusive: bool) -> str:
    """Strings sorting before ``bound`` (its proper prefixes included)."""
    parts = [literals(bound[:i]) for i in range(len(bound))]
    for i, char in enumerate(bound):
        if ord(char) > 0:
            parts.append(f"{literals(bound[:i])}[\\x{{0}}-\\x{{{ord(char) - 1:x}}}].*")
    if inclusive:
        parts.append(literals(bound))
    return "(?s)(?:" + "|".join(parts) + ")" if parts else "(?!)"
