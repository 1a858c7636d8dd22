"""Elasticsearch's ``filter_path`` response filtering, a parameter every REST response takes.

``filter_path=hits.hits._id,hits.total`` keeps only those paths; ``*`` matches within one field
name, ``**`` any number of levels, arrays are transparent (a path applies to each of their
elements), and a field name with dots (``_cat``'s ``docs.count``) is matched as the path it
spells. A leading ``-`` excludes a path instead; exclusions apply before inclusions, as in
Elasticsearch. Objects and arrays that an inclusion leaves empty are dropped, so a filter that
matches nothing answers ``{}``.
"""

from __future__ import annotations

import fnmatch
from typing import Any

#: A path pattern, split at dots, as the segments still to match.
Pattern = tuple[str, ...]
#: What an inclusion leaves of a value that nothing in it matched.
_MISSING = object()


def parse(expression: str) -> tuple[list[Pattern], list[Pattern]]:
    """The inclusion and exclusion patterns of a ``filter_path`` value."""
    includes: list[Pattern] = []
    excludes: list[Pattern] = []
    for raw in expression.split(","):
        path = raw.strip()
        target = includes
        if path.startswith("-"):
            path, target = path[1:], excludes
        if path:
            target.append(tuple(path.split(".")))
    return includes, excludes


def apply(data: Any, expression: str) -> Any:
    """``data`` (a decoded JSON response) filtered by a ``filter_path`` value."""
    includes, excludes = parse(expression)
    if excludes:
        data = _exclude(data, excludes)
    if includes:
        data = _include(data, includes)
        if data is _MISSING:
            return {}
    return data


def _complete(pattern: Pattern) -> bool:
    """Whether a pattern has matched all of its segments (a trailing ``**`` matches none)."""
    return all(segment == "**" for segment in pattern)


def _step(patterns: list[Pattern], key: str) -> list[Pattern]:
    """What remains of each pattern after matching the field name ``key``."""
    for part in key.split("."):
        patterns = _step_one(patterns, part)
    return patterns


def _step_one(patterns: list[Pattern], key: str) -> list[Pattern]:
    remaining: list[Pattern] = []
    for pattern in patterns:
        if not pattern:
            continue
        head = pattern[0]
        if head == "**":
            remaining.append(pattern)  # ``**`` takes this level too
            if len(pattern) > 1 and fnmatch.fnmatchcase(key, pattern[1]):
                remaining.append(pattern[2:])  # or none, and the next segment takes it
        elif fnmatch.fnmatchcase(key, head):
            remaining.append(pattern[1:])
    return remaining


def _include(value: Any, patterns: list[Pattern]) -> Any:
    if any(_complete(p) for p in patterns):
        return value
    if isinstance(value, list):
        kept = [item for item in (_include(v, patterns) for v in value) if item is not _MISSING]
        return kept or _MISSING
    if not isinstance(value, dict):
        return _MISSING
    out = {}
    for key, item in value.items():
        remaining = _step(patterns, str(key))
        if remaining:
            filtered = _include(item, remaining)
            if filtered is not _MISSING:
                out[key] = filtered
    return out or _MISSING


def _exclude(value: Any, patterns: list[Pattern]) -> Any:
    if isinstance(value, list):
        return [_exclude(item, patterns) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        remaining = _step(patterns, str(key))
        if any(_complete(p) for p in remaining):
            continue
        out[key] = _exclude(item, remaining) if remaining else item
    return out
