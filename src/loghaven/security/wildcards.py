"""OpenSearch security's pattern syntax for action names, index names and fields.

A pattern is a literal, a wildcard pattern (``*`` any run of characters, ``?`` one
character; nothing else is special, unlike ``fnmatch``'s ``[...]``) or a Java-style regular
expression written ``/.../``; matching is case-sensitive and whole-string, and a blank pattern
matches nothing (OpenSearch's ``WildcardMatcher``). A set of patterns compiles into one regular
expression plus a set of literals, so a test costs one hash lookup or one regex match.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

log = logging.getLogger(__name__)


def is_regex(pattern: str) -> bool:
    return len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/")


def is_literal(pattern: str) -> bool:
    """Whether the pattern matches only itself."""
    return not ("*" in pattern or "?" in pattern or is_regex(pattern))


def regex_source(pattern: str) -> str:
    """The regular expression (for ``re.fullmatch``) of one wildcard or ``/regex/`` pattern."""
    if is_regex(pattern):
        return pattern[1:-1]
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def valid_regex(pattern: str) -> str | None:
    """The error of a ``/regex/`` pattern Python cannot compile, else None."""
    if not is_regex(pattern):
        return None
    try:
        re.compile(pattern[1:-1])
    except re.error as exc:
        return str(exc)
    return None


class Matcher:
    """A compiled set of patterns: ``matcher(name)`` is True when any pattern matches."""

    __slots__ = ("_literals", "_regex", "matches_all", "patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(dict.fromkeys(p for p in patterns if p and not p.isspace()))
        self.matches_all = "*" in self.patterns
        self._literals = frozenset(p for p in self.patterns if is_literal(p))
        sources = []
        for pattern in self.patterns:
            if pattern in self._literals:
                continue
            error = valid_regex(pattern)
            if error is not None:
                log.warning("ignoring the invalid pattern %s: %s", pattern, error)
                continue
            sources.append(f"(?:{regex_source(pattern)})")
        self._regex = re.compile("|".join(sources), re.DOTALL) if sources else None

    def __call__(self, name: str) -> bool:
        if self.matches_all or name in self._literals:
            return True
        return self._regex is not None and self._regex.fullmatch(name) is not None

    def __bool__(self) -> bool:
        """Whether the matcher can match anything at all."""
        return bool(self._literals) or self._regex is not None or self.matches_all

    def __repr__(self) -> str:
        return f"Matcher({list(self.patterns)!r})"


def covers(general: str, specific: str) -> bool:
    """Whether every name ``specific`` matches is also matched by ``general`` (a sound,
    incomplete test: False when unsure). A wildcard pattern covers another when it matches
    the other's text with the other's ``*`` and ``?`` read as characters, a ``*`` there only
    absorbed by a ``*`` of ``general`` (a ``?`` stands for one character, a ``*`` for any)."""
    if general == specific or general == "*":
        return True
    if is_regex(general) or is_regex(specific):
        return False
    source = "".join(".*" if c == "*" else "[^*]" if c == "?" else re.escape(c)
                     for c in general)
    return re.fullmatch(source, specific, re.DOTALL) is not None
