"""Highlighting: the query's terms marked in the returned hits' ``_source`` text.

Text fields are not stored apart from ``_source``, so highlighting re-reads the field values
from the source of each returned hit (only those), finds the tokens the query looked for with
the same tokenisation as the ``standard`` analyzer, and cuts fragments around them the way
ES's unified highlighter presents them: ``fragment_size`` characters, ``number_of_fragments``
of them (0: the whole value), ``pre_tags``/``post_tags`` around each match.
"""

from __future__ import annotations

import fnmatch
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from loghaven.edits import edit_distance
from loghaven.engine import words
from loghaven.engine.mapping import FieldInfo, Mapping
from loghaven.engine.runtime import source_values
from loghaven.errors import ParsingError
from loghaven.search.lucene import query_string_to_dsl, simple_query_string_to_dsl

_OPTIONS = {"pre_tags", "post_tags", "fragment_size", "number_of_fragments", "fields",
            "require_field_match", "highlight_query", "no_match_size", "order", "type",
            "encoder", "tags_schema", "boundary_scanner", "boundary_chars",
            "boundary_max_scan", "fragmenter", "phrase_limit", "max_analyzed_offset",
            "fragment_offset", "matched_fields", "force_source", "boundary_scanner_locale"}

Matcher = Callable[[str], bool]


@dataclass
class _FieldOptions:
    pre_tags: list[str]
    post_tags: list[str]
    fragment_size: int
    number_of_fragments: int
    no_match_size: int
    order: str
    html: bool
    require_field_match: bool
    query: dict[str, Any] | None


class Highlighter:
    """Highlights hits for one ``highlight`` object (a request's, or an inner hits'), the
    terms of ``query``; the fields are those of the mapping of each hit's index."""

    def __init__(self, spec: dict[str, Any], query: dict[str, Any] | None) -> None:
        for key in spec:
            if key not in _OPTIONS:
                raise ParsingError(f"[highlight] unknown field [{key}]")
        fields = spec.get("fields", {})
        if isinstance(fields, list) and all(isinstance(item, dict) for item in fields):
            fields = {k: v for item in fields for k, v in item.items()}
        if not isinstance(fields, dict):
            raise ParsingError("[highlight] [fields] must be an object or an array of objects")
        self.fields: list[tuple[str, _FieldOptions, list[tuple[str, Matcher]]]] = []
        for pattern, overrides in fields.items():
            try:
                options = _options({**spec, **(overrides or {})}, query)
            except (TypeError, ValueError) as exc:
                raise ParsingError(f"[highlight] failed to parse field [{pattern}]: {exc}") \
                    from exc
            self.fields.append((pattern, options, _matchers(options.query)))

    def highlight(self, source: dict[str, Any], mapping: Mapping) -> dict[str, list[str]]:
        """The ``highlight`` object of one hit (fields without a match are left out)."""
        out: dict[str, list[str]] = {}
        for pattern, options, matchers in self.fields:
            for path, info in mapping.fields.items():
                if info.kind not in ("text", "keyword") or not fnmatch.fnmatchcase(path, pattern):
                    continue
                relevant = [m for f, m in matchers
                            if not options.require_field_match or fnmatch.fnmatchcase(path, f)]
                values = [v for v in source_values(source, path) if isinstance(v, str)]
                if info.kind == "keyword":
                    fragments = _keyword_fragments(values, relevant, options, info.normalize)
                elif info.analyzer is not None:
                    fragments = _text_fragments(values, relevant, options,
                                                _analysed_spans(info, relevant))
                else:
                    fragments = _text_fragments(values, relevant, options)
                if not fragments and options.no_match_size and values and "*" not in pattern:
                    fragments = [_escape(_cut(values[0], options.no_match_size), options)]
                if fragments:
                    out[path] = fragments
        return out


def _options(spec: dict[str, Any], query: dict[str, Any] | None) -> _FieldOptions:
    if spec.get("tags_schema") == "styled":
        pre = [f'<em class="hlt{i}">' for i in range(1, 11)]
        post = ["</em>"]
    else:
        pre = list(spec.get("pre_tags", ["<em>"]))
        post = list(spec.get("post_tags", ["</em>"]))
    return _FieldOptions(
        pre_tags=pre, post_tags=post,
        fragment_size=int(spec.get("fragment_size", 100)),
        number_of_fragments=int(spec.get("number_of_fragments", 5)),
        no_match_size=int(spec.get("no_match_size", 0)),
        order=str(spec.get("order", "none")),
        html=spec.get("encoder") == "html",
        require_field_match=bool(spec.get("require_field_match", True)),
        query=spec.get("highlight_query", query),
    )


# --- what the query looks for ----------------------------------------------------------------


def _matchers(query: Any) -> list[tuple[str, Matcher]]:
    """(field pattern, token test) pairs for the terms a query matches on."""
    out: list[tuple[str, Matcher]] = []
    _collect(query, out)
    return out


def _collect(query: Any, out: list[tuple[str, Matcher]]) -> None:
    if not isinstance(query, dict) or len(query) != 1:
        return
    (name, body), = query.items()
    if not isinstance(body, dict):
        return
    if name == "bool":
        for key in ("must", "should", "filter"):
            clauses = body.get(key, [])
            for clause in [clauses] if isinstance(clauses, dict) else clauses:
                _collect(clause, out)
    elif name == "constant_score":
        _collect(body.get("filter"), out)
    elif name == "dis_max":
        for clause in body.get("queries", []):
            _collect(clause, out)
    elif name == "boosting":
        _collect(body.get("positive"), out)
    elif name == "query_string":
        _collect(query_string_to_dsl(str(body.get("query", "")),
                                     default_field=body.get("default_field", "*"),
                                     fields=body.get("fields")), out)
    elif name == "simple_query_string":
        _collect(simple_query_string_to_dsl(str(body.get("query", "")),
                                            fields=body.get("fields")), out)
    elif name == "multi_match":
        prefix = body.get("type") in ("phrase_prefix", "bool_prefix")
        for spec in body.get("fields") or ["*"]:
            out.extend(_text_matchers(str(spec).partition("^")[0], body.get("query"), prefix))
    elif name in ("match", "match_phrase", "match_phrase_prefix", "match_bool_prefix"):
        for field, spec in _field_items(body):
            value = spec.get("query") if isinstance(spec, dict) else spec
            out.extend(_text_matchers(field, value, name.endswith("prefix")))
    elif name in ("term", "terms"):
        for field, spec in _field_items(body):
            values = spec if isinstance(spec, list) else [
                spec.get("value") if isinstance(spec, dict) else spec]
            wanted = {str(v) for v in values}
            lowered = {w.lower() for w in wanted}
            out.append((field, lambda t, w=wanted, lw=lowered: t in w or t.lower() in lw))
    elif name in ("prefix", "wildcard", "regexp", "fuzzy"):
        for field, spec in _field_items(body):
            value = str(spec.get("value", spec.get(name)) if isinstance(spec, dict) else spec)
            out.append((field, _pattern_matcher(name, value)))


def _field_items(body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for field, spec in body.items():
        if field not in ("boost", "_name"):
            yield field, spec


class _TextMatcher:
    """A full-text clause's test of a standard-analysed token; ``text`` is the query text,
    which a field analysed with another analyzer runs through its own search analyzer."""

    def __init__(self, text: str, prefix: bool) -> None:
        self.text = text
        tokens = words.tokens(text)
        self.exact = set(tokens)
        self.whole = text.lower()
        self.last = tokens[-1] if prefix and tokens else None

    def __call__(self, token: str) -> bool:
        lowered = token.lower()
        return lowered in self.exact or lowered == self.whole or (
            self.last is not None and lowered.startswith(self.last))


def _text_matchers(field: str, value: Any, prefix: bool) -> list[tuple[str, Matcher]]:
    if value is None:
        return []
    return [(field, _TextMatcher(str(value), prefix))]


def _analysed_spans(info: FieldInfo,
                    matchers: list[Matcher]) -> Callable[[str], list[tuple[int, int]]]:
    """Where a field analysed in Python (engine/analysis/) has a term the query looks for:
    full-text clauses by their text through the field's search analyzer, other clauses by
    each term; overlapping tokens (n-grams, synonyms) are marked as one span."""
    analyzer, search = info.analyzer, info.search_analyzer or info.analyzer
    assert analyzer is not None and search is not None
    wanted = {term for m in matchers if isinstance(m, _TextMatcher)
              for term in search.terms(m.text)}
    others = [m for m in matchers if not isinstance(m, _TextMatcher)]

    def spans(value: str) -> list[tuple[int, int]]:
        found = sorted((t.start, t.end) for t in analyzer.tokens(value)
                       if t.text in wanted or any(m(t.text) for m in others))
        merged: list[tuple[int, int]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    return spans


def _pattern_matcher(kind: str, value: str) -> Matcher:
    lowered = value.lower()
    if kind == "prefix":
        return lambda t: t.lower().startswith(lowered)
    if kind == "wildcard":
        return lambda t: fnmatch.fnmatchcase(t.lower(), lowered)
    if kind == "regexp":
        try:
            compiled = re.compile(value, re.IGNORECASE | re.DOTALL)
        except re.error:
            return lambda t: False
        return lambda t: compiled.fullmatch(t) is not None
    return lambda t: _within_edits(t.lower(), lowered, 1 if len(lowered) < 6 else 2)


def _within_edits(a: str, b: str, limit: int) -> bool:
    return abs(len(a) - len(b)) <= limit and edit_distance(a, b) <= limit


# --- fragments -------------------------------------------------------------------------------




def _keyword_fragments(values: list[str], matchers: list[Matcher], options: _FieldOptions,
                       normalize: Callable[[str], str]) -> list[str]:
    out = []
    for value in values:
        probe = normalize(value)
        if any(m(probe) for m in matchers):
            out.append(options.pre_tags[0] + _escape(value, options) + options.post_tags[0])
    return out


def _text_fragments(values: list[str], matchers: list[Matcher], options: _FieldOptions,
                    find: Callable[[str], list[tuple[int, int]]] | None = None) -> list[str]:
    if not matchers:
        return []
    scored: list[tuple[int, int, str]] = []
    for value in values:
        spans = find(value) if find is not None else [
            (start, end) for start, end in words.spans(value)
            if any(test(value[start:end]) for test in matchers)]
        if not spans:
            continue
        if options.number_of_fragments == 0 or len(value) <= options.fragment_size:
            scored.append((len(spans), len(scored), _mark(value, 0, len(value), spans, options)))
            continue
        covered = -1
        for start, end in spans:
            if start < covered:
                continue
            low, high = _window(value, start, end, options.fragment_size)
            inside = [s for s in spans if s[0] >= low and s[1] <= high]
            scored.append((len(inside), len(scored), _mark(value, low, high, inside, options)))
            covered = high
    if options.order == "score":
        scored.sort(key=lambda item: (-item[0], item[1]))
    limit = options.number_of_fragments or len(scored)
    return [fragment for _, _, fragment in scored[:limit]]


def _window(value: str, start: int, end: int, size: int) -> tuple[int, int]:
    """A ``size``-character window holding ``[start, end)``, moved to word boundaries."""
    low = max(0, start - size // 4)
    while 0 < low < start and not value[low - 1].isspace():
        low += 1
    high = min(len(value), max(low + size, end))
    while end < high < len(value) and not value[high].isspace():
        high -= 1
    return low, high


def _mark(value: str, low: int, high: int, spans: list[tuple[int, int]],
          options: _FieldOptions) -> str:
    parts, position = [], low
    for number, (start, end) in enumerate(spans):
        parts.append(_escape(value[position:start], options))
        parts.append(options.pre_tags[number % len(options.pre_tags)])
        parts.append(_escape(value[start:end], options))
        parts.append(options.post_tags[number % len(options.post_tags)])
        position = end
    parts.append(_escape(value[position:high], options))
    return "".join(parts).strip()


def _cut(value: str, size: int) -> str:
    if len(value) <= size:
        return value
    cut = value[:size]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


def _escape(text: str, options: _FieldOptions) -> str:
    return html.escape(text, quote=False) if options.html else text
