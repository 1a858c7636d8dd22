"""The grok engine: ``%{NAME:field:type}`` expressions over the standard pattern sets.

Elasticsearch's grok (``libs/grok``) expands references textually and matches the result with
Joni (Oniguruma); Loghaven does the same with the ``regex`` package, which reads the
Oniguruma constructs the standard patterns use (atomic groups, possessive quantifiers,
``(?<name>...)``) and, unlike ``re``, can stop a match after a time limit: that limit is ES's
watchdog (``ingest.grok.watchdog.max_execution_time``, 1s), because a pattern such as
``(%{DATA},){15}`` backtracks for minutes on a line that almost matches.

Each capture becomes a group ``_g<N>`` (Python group names cannot hold ``:`` or ``.``), with
the field name and type kept beside it; an expression is compiled once per pattern list,
definitions and ECS mode, and cached (:func:`compile_grok`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import regex

from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.ingest import java
from loghaven.ingest.grok import oniguruma

#: ``ecs_compatibility`` values (GrokBuiltinPatterns.ECS_COMPATIBILITY_MODES).
ECS_MODES = ("disabled", "v1")
_PATTERN_FILES = {"disabled": "legacy.patterns", "v1": "ecs-v1.patterns"}
#: ``%{NAME}``, ``%{NAME:field}``, ``%{NAME:field:type}`` (Grok.GROK_PATTERN).
_REFERENCE = re.compile(r"%\{(?P<pattern>[A-Za-z0-9_]+)(?::(?P<sub>[A-Za-z0-9@\[\]_:.-]+))?"
                        r"(?:=(?P<definition>(?:[^{}]+|\\.+)+))?\}")
_MAX_EXPANSIONS = 100_000  # Grok.MAX_TO_REGEX_ITERATIONS



class GrokTimeout(LoghavenError):
    """The watchdog stopped a match (ES: a RuntimeException from ``Grok.match``)."""

    type = "runtime_exception"
    status = 500


@dataclass
class WatchdogSettings:
    #: ``ingest.grok.watchdog.max_execution_time`` in milliseconds (static node setting).
    max_execution_ms: int = 1000


#: The watchdog limit in force in this process (the node sets it at start).
WATCHDOG = WatchdogSettings()


def configure(*, max_execution_ms: int) -> None:
    """Set ``ingest.grok.watchdog.max_execution_time`` (milliseconds; 0 or less: no limit)."""
    WATCHDOG.max_execution_ms = max_execution_ms


@functools.cache
def builtin_patterns(ecs_compatibility: str = "disabled") -> dict[str, str]:
    """The standard pattern set of an ECS mode, name → expression, in ES's load order."""
    if ecs_compatibility not in ECS_MODES:
        raise IllegalArgument(f"unsupported ECS compatibility mode [{ecs_compatibility}]")
    text = resources.files(__package__).joinpath(_PATTERN_FILES[ecs_compatibility]) \
        .read_text(encoding="utf-8")
    bank: dict[str, str] = {}
    for line in text.splitlines():
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) == 2:
            bank[parts[0]] = parts[1]
    return bank


def _references(expression: str) -> list[str]:
    """The pattern names ``expression`` refers to (PatternBank.getPatternNamesForPattern)."""
    names = []
    start = expression.find("%{")
    while start != -1:
        begin = start + 2
        ends = [i for i in (expression.find("}", begin), expression.find(":", begin)) if i != -1]
        if not ends:
            raise IllegalArgument(f"pattern [{expression}] has an invalid syntax")
        name = expression[begin:min(ends)]
        if name not in names:
            names.append(name)
        start = expression.find("%{", start + 1)
    return names


def check_definitions(bank: Mapping[str, str], custom: Mapping[str, str]) -> None:
    """Refuse custom definitions that refer to a missing pattern or form a cycle, with
    PatternBank's messages; the built-in sets are acyclic, so only walks that start at a
    custom definition need checking."""
    for start in custom:
        path = [start]
        seen = {start}
        iterators = [iter(_checked_references(bank, start))]
        while iterators:
            name = next(iterators[-1], None)
            if name is None:
                iterators.pop()
                path.pop()
                continue
            if name == start:
                raise IllegalArgument("circular reference detected: " + "->".join([*path, name]))
            if name in seen:
                continue
            seen.add(name)
            path.append(name)
            iterators.append(iter(_checked_references(bank, name)))


def _checked_references(bank: Mapping[str, str], name: str) -> list[str]:
    names = _references(bank[name])
    for other in names:
        if other not in bank:
            raise IllegalArgument(f"pattern [{name}] is referencing a non-existent pattern "
                                  f"[{other}]")
    return names


@dataclass(frozen=True)
class Capture:
    """One named group of a compiled expression: the field it fills and its type."""

    group: str
    field: str
    type: str


def _field_of(group_name: str) -> tuple[str, str]:
    """(field, type) of a group name such as ``NUMBER:bytes:int`` (GrokCaptureConfig)."""
    parts = group_name.split(":")
    name = parts[1] if len(parts) >= 2 else parts[0]
    kind = parts[2] if len(parts) == 3 else "string"
    return name, kind


def to_regex(expression: str, bank: Mapping[str, str]) -> str:
    """Expand every ``%{...}`` reference, as Grok.toRegex does: a reference with a field
    name becomes a named group ``(?<NAME:field>...)``, one without a non-capturing group."""
    done: list[str] = []
    for _ in range(_MAX_EXPANSIONS):
        match = _REFERENCE.search(expression)
        if match is None:
            done.append(expression)
            return "".join(done)
        name, sub = match.group("pattern"), match.group("sub")
        pattern = bank.get(name)
        if pattern is None:
            raise IllegalArgument(f"Unable to find pattern [{name}] in Grok's pattern dictionary")
        if f"%{{{name}}}" in pattern or f"%{{{name}:" in pattern:
            raise IllegalArgument(f"circular reference in pattern back [{name}]")
        part = f"(?<{name}:{sub}>{pattern})" if sub else f"(?:{pattern})"
        done.append(expression[:match.start()])
        expression = part + expression[match.end():]
    raise IllegalArgument("Can not convert grok patterns to regular expression")


def _convert(value: str, kind: str) -> Any:
    """A captured text as its declared type (GrokCaptureType: Integer.parseInt, ...)."""
    if kind == "boolean":
        return value.lower() == "true"  # Boolean.parseBoolean
    if kind not in ("int", "long", "float", "double"):
        return value
    return java.parse_number(value, kind)


class Grok:
    """A compiled grok expression: the regular expression and what its groups capture."""

    def __init__(self, expression: str, bank: Mapping[str, str]) -> None:
        self.source, names = oniguruma.translate(to_regex(expression, bank))
        self.captures = [Capture(f"_g{i}", *_field_of(name)) for i, name in enumerate(names)]
        try:
            self.regex = regex.compile(self.source, regex.VERSION0 | regex.MULTILINE)
        except regex.error as error:
            raise IllegalArgument(str(error)) from None

    def match(self, text: str) -> dict[str, Any] | None:
        """The captured fields (the first group that matched for each name), or None."""
        limit = WATCHDOG.max_execution_ms
        try:
            found = self.regex.search(text, timeout=limit / 1000 if limit > 0 else None)
        except TimeoutError:
            raise GrokTimeout(f"grok pattern matching was interrupted after [{limit}] ms") \
                from None
        if found is None:
            return None
        result: dict[str, Any] = {}
        for capture in self.captures:
            if capture.field in result:
                continue
            value = found.group(capture.group)
            if value is not None:
                result[capture.field] = _convert(value, capture.type)
        return result


def combine(patterns: list[str], trace_match: bool) -> str:
    """One expression for several patterns, tried in order (GrokProcessor.combinePatterns);
    with ``trace_match`` each alternative is a group that names its index."""
    if len(patterns) == 1:
        return patterns[0]
    if trace_match:
        return "|".join(f"(?<_ingest._grok_match_index.{i}>{p})" for i, p in enumerate(patterns))
    return "|".join(f"(?:{p})" for p in patterns)


@functools.lru_cache(maxsize=512)
def _compile(patterns: tuple[str, ...], definitions: tuple[tuple[str, str], ...],
             ecs_compatibility: str, trace_match: bool) -> Grok:
    bank = builtin_patterns(ecs_compatibility)
    if definitions:
        bank = {**bank, **dict(definitions)}
    return Grok(combine(list(patterns), trace_match), bank)


def compile_grok(patterns: list[str], definitions: Mapping[str, str] | None = None,
                 ecs_compatibility: str = "disabled", trace_match: bool = False) -> Grok:
    """The compiled expression for a processor's options (cached: pipelines that share a
    pattern list share one compiled expression). Bad custom definitions raise first, as
    ES's PatternBank does before any expression is built."""
    if definitions:
        check_definitions({**builtin_patterns(ecs_compatibility), **definitions}, definitions)
    return _compile(tuple(patterns), tuple((definitions or {}).items()), ecs_compatibility,
                    trace_match)
