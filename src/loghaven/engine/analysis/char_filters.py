"""Character filters: ``html_strip``, ``mapping`` and ``pattern_replace``.

tantivy has none, so they run in Python before the tokenizer. Each returns the new text and,
for every character of it (plus the end), the offset in the text it came from, so that token
offsets still point into the original text as ES's ``correctOffset`` makes them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import regex

from loghaven.engine.analysis.tokens import setting_list
from loghaven.errors import IllegalArgument

#: text, origin offsets (len(text) + 1 of them) → the same after this filter
CharFilter = Callable[[str, list[int]], tuple[str, list[int]]]


def identity_offsets(text: str) -> list[int]:
    return list(range(len(text) + 1))


def _rewrite(text: str, origin: list[int],
             pieces: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """Replace each ``(start, end, replacement)`` span of ``text`` (sorted, disjoint)."""
    out: list[str] = []
    offsets: list[int] = []
    cursor = 0
    for start, end, replacement in pieces:
        out.append(text[cursor:start])
        offsets.extend(origin[cursor:start])
        out.append(replacement)
        # every replacement character maps to where the replaced span began (its last one
        # to the span's end, as Lucene's offset correction does for the token end)
        offsets.extend([origin[start]] * len(replacement))
        cursor = end
    out.append(text[cursor:])
    offsets.extend(origin[cursor:])
    return "".join(out), offsets


# --- mapping --------------------------------------------------------------------------------

_ESCAPES = {"\\\\": "\\", "\\n": "\n", "\\t": "\t", "\\r": "\r", "\\b": "\b", "\\f": "\f",
            "\\'": "'", '\\"': '"'}
_RULE = re.compile(r"^(.+?)\s*=>\s*(.*)$", re.S)


def _unescape(text: str, rule: str) -> str:
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            pair = text[i:i + 2]
            if pair == "\\u":
                try:
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                except ValueError:
                    raise IllegalArgument(f"Invalid Mapping Rule : [{rule}]") from None
                i += 6
                continue
            if pair in _ESCAPES:
                out.append(_ESCAPES[pair])
                i += 2
                continue
            raise IllegalArgument(f"Invalid Mapping Rule : [{rule}]")
        out.append(text[i])
        i += 1
    return "".join(out)


def mapping(spec: dict[str, Any], name: str) -> CharFilter:
    if "mappings_path" in spec:
        raise IllegalArgument(f"not supported by Loghaven: [mappings_path] of char_filter "
                              f"[{name}] (give the rules inline in [mappings])")
    rules = setting_list(spec, "mappings")
    if rules is None:
        raise IllegalArgument("mapping requires either `mappings` or `mappings_path` to be "
                              "configured")
    table: dict[str, str] = {}
    for rule in rules:
        match = _RULE.match(rule.strip())
        if match is None:
            raise IllegalArgument(f"Invalid Mapping Rule : [{rule}]")
        key = _unescape(match.group(1).strip(), rule)
        if not key:
            raise IllegalArgument(f"Invalid Mapping Rule : [{rule}]")
        table[key] = _unescape(match.group(2).strip(), rule)
    # longest key first at each position, as Lucene's NormalizeCharMap FST matches
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))

    def apply(text: str, origin: list[int]) -> tuple[str, list[int]]:
        pieces = [(m.start(), m.end(), table[m.group()]) for m in pattern.finditer(text)]
        return _rewrite(text, origin, pieces) if pieces else (text, origin)

    return apply


# --- pattern_replace ------------------------------------------------------------------------

def java_flags(flags: str, where: str) -> int:
    """Java ``Pattern`` flag names (``CASE_INSENSITIVE|COMMENTS``) as ``regex`` flags.

    Java's ``\\w``, ``\\d``, ``\\s`` and case folding are ASCII-only unless
    ``UNICODE_CHARACTER_CLASS`` is given (``regex.U`` here): :func:`compile_java_regex`
    then rewrites those classes to their ASCII forms (``\\p{..}`` stays Unicode, as in Java).
    """
    known = {"CASE_INSENSITIVE": regex.I, "MULTILINE": regex.M, "DOTALL": regex.S,
             "COMMENTS": regex.X, "UNICODE_CHARACTER_CLASS": regex.U, "UNICODE_CASE": 0,
             "CANON_EQ": None, "LITERAL": None, "UNIX_LINES": None}
    result = 0
    given = [f.strip() for f in flags.split("|") if f.strip()]
    for flag in given:
        value = known.get(flag, -1)
        if value == -1:
            raise IllegalArgument(f"Unknown regex flag [{flag}]")
        if value is None:
            raise IllegalArgument(f"not supported by Loghaven: regex flag [{flag}] of [{where}]")
        result |= value
    if "UNICODE_CASE" in given and "CASE_INSENSITIVE" in given \
            and "UNICODE_CHARACTER_CLASS" not in given:
        raise IllegalArgument(f"not supported by Loghaven: regex flag [UNICODE_CASE] without "
                              f"[UNICODE_CHARACTER_CLASS] of [{where}]")
    return result


#: Java's default (ASCII) shorthand classes: outside a character class, inside one.
_ASCII_CLASSES = {"w": ("[a-zA-Z_0-9]", "a-zA-Z_0-9"), "d": ("[0-9]", "0-9"),
                  "s": ("[ \\t\\n\\x0B\\f\\r]", " \\t\\n\\x0B\\f\\r"),
                  "W": ("[^a-zA-Z_0-9]", None), "D": ("[^0-9]", None),
                  "S": ("[^ \\t\\n\\x0B\\f\\r]", None)}


def _java_syntax(pattern: str, unicode: bool, where: str) -> str:
    """Java-only syntax in ``regex`` terms: ``\\Q...\\E`` quoting, and the ASCII meaning of
    ``\\w \\d \\s`` (and their negations) unless Unicode classes were asked for."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
                out.append(regex.escape(literal))
                i = len(pattern) if end < 0 else end + 2
                continue
            if not unicode and nxt in _ASCII_CLASSES:
                outside, inside = _ASCII_CLASSES[nxt]
                if in_class and inside is None:
                    raise IllegalArgument(f"not supported by Loghaven: [\\{nxt}] inside a "
                                          f"character class in pattern [{pattern}] of [{where}]")
                out.append(inside if in_class else outside)  # type: ignore[arg-type]
                i += 2
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def compile_java_regex(pattern: str, flags: int, where: str) -> Any:
    """A Java regular expression, run by the ``regex`` module (which has Java's ``\\p{..}``
    classes, possessive quantifiers and atomic groups); one it cannot compile is refused."""
    try:
        return regex.compile(_java_syntax(pattern, bool(flags & regex.U), where), flags)
    except regex.error as exc:
        raise IllegalArgument(f"not supported by Loghaven: pattern [{pattern}] of [{where}] "
                              f"({exc})") from exc


def java_replacement(replacement: str) -> Callable[[Any], str]:
    """Java's ``$1``/``${name}`` replacement syntax, ``\\$`` for a literal dollar."""
    parts: list[tuple[bool, str]] = []
    i = 0
    literal: list[str] = []
    while i < len(replacement):
        char = replacement[i]
        if char == "\\" and i + 1 < len(replacement):
            literal.append(replacement[i + 1])
            i += 2
        elif char == "$" and i + 1 < len(replacement) and replacement[i + 1] == "{":
            end = replacement.index("}", i)
            parts.append((False, "".join(literal)))
            literal = []
            parts.append((True, replacement[i + 2:end]))
            i = end + 1
        elif char == "$" and i + 1 < len(replacement) and replacement[i + 1].isdigit():
            j = i + 1
            while j < len(replacement) and replacement[j].isdigit():
                j += 1
            parts.append((False, "".join(literal)))
            literal = []
            parts.append((True, replacement[i + 1:j]))
            i = j
        else:
            literal.append(char)
            i += 1
    parts.append((False, "".join(literal)))

    def expand(match: Any) -> str:
        out = []
        for is_group, value in parts:
            if is_group:
                group = match.group(int(value) if value.isdigit() else value)
                out.append(group or "")
            else:
                out.append(value)
        return "".join(out)

    return expand


def pattern_replace(spec: dict[str, Any], name: str) -> CharFilter:
    if "pattern" not in spec:
        raise IllegalArgument(f"pattern is missing for [{name}] char filter of type "
                              f"'pattern_replace'")
    pattern = compile_java_regex(str(spec["pattern"]),
                                 java_flags(str(spec.get("flags", "")), name), name)
    replace = java_replacement(str(spec.get("replacement", "")))

    def apply(text: str, origin: list[int]) -> tuple[str, list[int]]:
        pieces = [(m.start(), m.end(), replace(m)) for m in pattern.finditer(text)]
        return _rewrite(text, origin, pieces) if pieces else (text, origin)

    return apply


# --- html_strip -----------------------------------------------------------------------------

#: Elements Lucene's HTMLStripCharFilter replaces by a newline (block-level and line breaks).
_BLOCK = frozenset(["address", "article", "aside", "blockquote", "body", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "li", "map", "nav", "noscript", "ol", "option", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul"])
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>|<![^>]*>|<\?.*?\?>",
                  re.S)
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
_SKIPPED = ("script", "style")


def html_strip(spec: dict[str, Any], name: str) -> CharFilter:
    escaped = {t.lower() for t in setting_list(spec, "escaped_tags") or []}

    def apply(text: str, origin: list[int]) -> tuple[str, list[int]]:
        pieces: list[tuple[int, int, str]] = []
        position = 0
        while True:
            match = _TAG.search(text, position)
            if match is None:
                break
            tag = (match.group(2) or "").lower()
            end = match.end()
            if tag and tag in escaped:
                position = end
                continue
            if tag in _SKIPPED and not match.group(1):
                close = re.compile(rf"</{tag}\s*>", re.I).search(text, end)
                end = close.end() if close else len(text)
            replacement = "\n" if tag in _BLOCK else ""
            pieces.append((match.start(), end, replacement))
            position = end
        stripped, offsets = _rewrite(text, origin, pieces) if pieces else (text, origin)
        entities = [(m.start(), m.end(), html.unescape(m.group()))
                    for m in _ENTITY.finditer(stripped) if html.unescape(m.group()) != m.group()]
        return _rewrite(stripped, offsets, entities) if entities else (stripped, offsets)

    return apply


FACTORIES: dict[str, Callable[[dict[str, Any], str], CharFilter]] = {
    "html_strip": html_strip, "mapping": mapping, "pattern_replace": pattern_replace,
}
#: Char filters a normalizer may use (Lucene's multi-term aware ones).
NORMALIZER_SAFE = {"mapping", "pattern_replace"}
