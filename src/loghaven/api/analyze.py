"""``_analyze``: how a text is split into the terms an index stores and searches.

With an index in the path, names resolve in that index's analysis settings first
(``analyzer``, ``normalizer``, ``tokenizer``/``filter``/``char_filter`` names) and
``field`` uses the field's own analyzer or normalizer.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_body, json_response, run
from loghaven.api.indices import targets
from loghaven.engine.analysis import BUILTIN, Analyzer, IndexAnalysis
from loghaven.engine.analysis.listing import analyze, filtered_texts, normalize
from loghaven.engine.analysis.registry import FIELD_POSITION_GAP
from loghaven.engine.index import Index
from loghaven.errors import ActionRequestValidation, IllegalArgument, IndexNotFound
from loghaven.params import expect_string


def _texts(body: dict[str, Any]) -> list[str]:
    text = body.get("text")
    if text is None or text == []:
        raise ActionRequestValidation("Validation Failed: 1: text is missing;")
    items = text if isinstance(text, list) else [text]
    return [expect_string(t, "text", "analyze_request") for t in items]


def _list(body: dict[str, Any], key: str) -> list[Any]:
    value = body.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, (str, dict)):
            raise IllegalArgument(f"failed to find global {key.replace('_', ' ')} under "
                                  f"[{item}]")
    return items


def _named(ref: Any) -> Any:
    """An inline component with only a ``type`` is shown under that name, as ES does."""
    return ref["type"] if isinstance(ref, dict) and set(ref) == {"type"} else ref


def analyze_body(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    texts = _texts(body)
    explain = body.get("explain") is True
    index: Index | None = None
    if "index" in request.path_params:
        found = targets(request, request.path_params["index"])
        if not found:
            raise IndexNotFound(request.path_params["index"])
        index = found[0].index
    analysis: IndexAnalysis = index.mapping.analysis if index is not None else BUILTIN
    filters = [_named(f) for f in _list(body, "filter")]
    chars = [_named(c) for c in _list(body, "char_filter")]
    if body.get("normalizer") is not None:
        name = expect_string(body["normalizer"], "normalizer", "analyze_request")
        normalizer = analysis.normalizer(name)
        if normalizer is None:
            raise IllegalArgument(f"failed to find normalizer under [{name}]")
        return {"tokens": [t.to_json() for t in normalize(normalizer, texts)]}
    if "analyzer" in body:
        name = expect_string(body["analyzer"], "analyzer", "analyze_request")
        analyzer = analysis.analyzer(name)
        if analyzer is None:
            raise IllegalArgument(f"failed to find analyzer [{name}]" if index is not None
                                  else f"failed to find global analyzer [{name}]")
        gap = analyzer.position_gap if analyzer.custom else 0
        return _render(analyzer, texts, gap, explain)
    if "tokenizer" in body:
        tokenizer = _named(body["tokenizer"])
        analyzer = analysis.custom_analyzer("_custom", tokenizer, filters, chars)
        return _render(analyzer, texts, 0, explain, inline=True)
    if filters or chars:
        normalizer = analysis.custom_normalizer("_custom", filters, chars)
        return {"tokens": [t.to_json() for t in normalize(normalizer, texts)]}
    if body.get("field") and index is not None:
        return _field(index, expect_string(body["field"], "field", "analyze_request"), texts,
                      explain)
    analyzer = analysis.analyzer("default") if analysis.custom else None
    return _render(analyzer or BUILTIN.analyzer("standard"), texts, 0, explain)  # type: ignore[arg-type]


def _field(index: Index, field: str, texts: list[str], explain: bool) -> dict[str, Any]:
    """The analyzer a mapped field indexes with (``standard`` for unmapped fields, as ES)."""
    info = index.mapping.fields.get(field)
    analysis = index.mapping.analysis
    if info is not None and info.kind == "keyword":
        if info.normalizer is not None:
            return {"tokens": [t.to_json() for t in normalize(info.normalizer, texts)]}
        keyword = analysis.analyzer("keyword")
        assert keyword is not None
        return _render(keyword, texts, FIELD_POSITION_GAP, explain)
    if info is not None and info.kind != "text":
        raise IllegalArgument(f"Can't process field [{field}], Analysis requests are only "
                              f"supported on tokenized fields")
    analyzer = (info.analyzer if info is not None else None) or analysis.analyzer("standard")
    assert analyzer is not None
    gap = analyzer.position_gap if analyzer.custom else FIELD_POSITION_GAP
    return _render(analyzer, texts, gap, explain)


def _render(analyzer: Analyzer, texts: list[str], gap: int, explain: bool,
            inline: bool = False) -> dict[str, Any]:
    tokens = analyze(analyzer, texts, gap)
    if not explain:
        return {"tokens": [t.to_json() for t in tokens]}
    if not analyzer.custom:
        return {"detail": {"custom_analyzer": False, "analyzer": {
            "name": analyzer.name, "tokens": [t.to_json(explain=True) for t in tokens]}}}
    stages = []
    for count, stage in enumerate(analyzer.filters, start=1):
        staged = analyze(analyzer, texts, gap, count)
        stages.append({"name": stage.name, "tokens": [t.to_json(explain=True) for t in staged]})
    tokenized = analyze(analyzer, texts, gap, 0)
    charfilters = [{"name": stage.name, "filtered_text": filtered}
                   for stage, filtered in zip(analyzer.char_filters,
                                              filtered_texts(analyzer, texts), strict=True)]
    return {"detail": {"custom_analyzer": True, "charfilters": charfilters,
                       "tokenizer": {"name": analyzer.tokenizer.name,
                                     "tokens": [t.to_json(explain=True) for t in tokenized]},
                       "tokenfilters": stages}}


async def analyze_request(request: Request) -> Response:
    body = await json_body(request, required=True)
    return json_response(request, await run(analyze_body, request, body))


routes = [
    Route("/_analyze", analyze_request, methods=["GET", "POST"]),
    Route("/{index}/_analyze", analyze_request, methods=["GET", "POST"]),
]
