"""``_source`` filtering: ``false``, include/exclude wildcard patterns, as ES applies them."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from loghaven.errors import IllegalArgument, ParsingError


def _split(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(p for p in value.split(",") if p)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ParsingError("[_source] must be a boolean, a pattern, an array of patterns or an "
                       "object with [includes] and [excludes]")


def _param_patterns(value: str | None) -> tuple[str, ...] | None:
    """A URL parameter's patterns: a comma list, or a JSON array of strings."""
    if value is None:
        return None
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
            return tuple(p.strip() for p in parsed if p.strip())
    return tuple(p.strip() for p in value.split(",") if p.strip())


@dataclass(frozen=True)
class SourceFilter:
    enabled: bool = True
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    @classmethod
    def from_spec(cls, spec: Any) -> SourceFilter:
        """From a body's ``_source``: a bool, a pattern, a list, or ``{includes, excludes}``."""
        if spec is None or spec is True:
            return cls()
        if spec is False:
            return cls(enabled=False)
        if isinstance(spec, dict):
            if spec.keys() - {"includes", "include", "excludes", "exclude"}:
                raise ParsingError(f"Unknown key for a START_OBJECT in [_source]: "
                                   f"[{sorted(spec)[0]}].")
            return cls(includes=_split(spec.get("includes", spec.get("include"))),
                       excludes=_split(spec.get("excludes", spec.get("exclude"))))
        return cls(includes=_split(spec))

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> SourceFilter:
        """From URL parameters ``_source``, ``_source_includes`` and ``_source_excludes``, as
        ES's ``FetchSourceContext.parseFromRestRequest`` reads them: comma lists, ``_source``
        a boolean or patterns, ``_source_includes`` replacing ``_source``'s patterns. A JSON
        array of strings (``["a","b.*"]``) is read as its patterns too (ES would split it at
        the commas into patterns that match nothing)."""
        raw = params.get("_source")
        includes = _param_patterns(params.get("_source_includes",
                                              params.get("_source_include")))
        excludes = _param_patterns(params.get("_source_excludes",
                                              params.get("_source_exclude")))
        if raw == "false":
            return cls(enabled=False)
        if raw not in (None, "", "true") and includes is None:
            includes = _param_patterns(raw)
        return cls(includes=includes or (), excludes=excludes or ())

    @property
    def is_identity(self) -> bool:
        return self.enabled and not self.includes and not self.excludes

    def apply_bytes(self, source: bytes) -> bytes | None:
        """The filtered source as JSON bytes (the original bytes when nothing is filtered)."""
        if not self.enabled:
            return None
        if self.is_identity:
            return source
        try:
            filtered = self.apply(orjson.loads(source))
            try:
                return orjson.dumps(filtered)
            except orjson.JSONEncodeError:
                # orjson writes at most 255 levels; a stored source may nest up to the 1024
                # its parser reads (an object that is not mapped, or ``dynamic: false``).
                return json.dumps(filtered, ensure_ascii=False, separators=(",", ":")).encode()
        except RecursionError:
            raise IllegalArgument("_source is nested too deeply to be filtered; fetch it "
                                  "whole") from None

    def apply(self, source: dict[str, Any]) -> dict[str, Any]:
        return _filter(source, "", self.includes, self.excludes)


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


def _may_contain(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether some field under object ``path`` can match an include pattern."""
    prefix = path + "."
    return any(p.startswith(prefix) or fnmatch.fnmatchcase(prefix, p.split(".")[0] + "*")
               or ("*" in p and fnmatch.fnmatchcase(path, p.rsplit(".", 1)[0] + "*"))
               for p in patterns)


def _filter(obj: dict[str, Any], prefix: str, includes: tuple[str, ...],
            excludes: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        path = prefix + key
        if excludes and _matches(path, excludes):
            continue
        included = not includes or _matches(path, includes)
        if isinstance(value, dict):
            if included:
                out[key] = _filter(value, path + ".", (), excludes) if excludes else value
            elif _may_contain(path, includes):
                child = _filter(value, path + ".", includes, excludes)
                if child:
                    out[key] = child
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value) \
                and not included and _may_contain(path, includes):
            children = [_filter(v, path + ".", includes, excludes) for v in value]
            children = [c for c in children if c]
            if children:
                out[key] = children
        elif included:
            out[key] = value
    return out
