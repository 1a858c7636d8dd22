"""``_analyze``: how a text is split into the terms an index stores and searches."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_body, json_response, run
from loghaven.api.indices import targets
from loghaven.engine import analysis
from loghaven.engine.index import Index
from loghaven.errors import ActionRequestValidation, IllegalArgument, IndexNotFound
from loghaven.params import expect_string

ANONYMOUS_FILTER = "_anonymous_tokenfilter"


def _texts(body: dict[str, Any]) -> list[str]:
    text = body.get("text")
    if text is None or text == []:
        raise ActionRequestValidation("Validation Failed: 1: text is missing;")
    items = text if isinstance(text, list) else [text]
    return [expect_string(t, "text", "analyze_request") for t in items]


def _field_analyzer(index: Index, field: str) -> str:
    """The analyzer a mapped field indexes with (``standard`` for unmapped fields, as ES)."""
    info = index.mapping.fields.get(field)
    if info is None or info.kind == "text":
        return "standard"
    if info.kind == "keyword":
        return "keyword"
    raise IllegalArgument(f"Can't process field [{field}], Analysis requests are only "
                          f"supported on tokenized fields")


def analyze_body(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    texts = _texts(body)
    explain = body.get("explain") is True
    if body.get("char_filter"):
        raise IllegalArgument("char_filter is not supported by Loghaven's _analyze")
    if body.get("normalizer"):
        raise IllegalArgument(f"failed to find normalizer under [{body['normalizer']}]")
    index = None
    if "index" in request.path_params:
        found = targets(request, request.path_params["index"])
        if not found:
            raise IndexNotFound(request.path_params["index"])
        index = found[0].index
    gap = 0
    if "analyzer" in body:
        name = expect_string(body["analyzer"], "analyzer", "analyze_request")
    elif "tokenizer" in body or "filter" in body:
        filters = body.get("filter") or []
        chain = analysis.chain_from_request(
            body.get("tokenizer"),
            filters if isinstance(filters, list) else [filters])
        return _custom(chain, texts, explain)
    elif body.get("field") and index is not None:
        name = _field_analyzer(index, expect_string(body["field"], "field", "analyze_request"))
        gap = analysis.FIELD_POSITION_GAP
    else:
        name = "standard"
    analyzer = analysis.named_analyzer(name)
    tokenizer = analysis.ANALYZER_TOKENIZERS[name]
    tokens = analysis.analyze(analyzer, tokenizer, texts, gap)
    if not explain:
        return {"tokens": [t.to_json() for t in tokens]}
    return {"detail": {"custom_analyzer": False, "analyzer": {
        "name": name, "tokens": [t.to_json(explain=True) for t in tokens]}}}


def _custom(chain: analysis.Chain, texts: list[str], explain: bool) -> dict[str, Any]:
    tokens = analysis.analyze(chain.build(), chain.tokenizer, texts)
    if not explain:
        return {"tokens": [t.to_json() for t in tokens]}
    stages = []
    for position, (name, spec) in enumerate(chain.filters, start=1):
        staged = analysis.analyze(chain.build(position), chain.tokenizer, texts)
        label = name if set(spec) == {"type"} else ANONYMOUS_FILTER
        stages.append({"name": label, "tokens": [t.to_json(explain=True) for t in staged]})
    tokenized = analysis.analyze(chain.build(0), chain.tokenizer, texts)
    return {"detail": {"custom_analyzer": True, "charfilters": [],
                       "tokenizer": {"name": chain.tokenizer,
                                     "tokens": [t.to_json(explain=True) for t in tokenized]},
                       "tokenfilters": stages}}


async def analyze(request: Request) -> Response:
    body = await json_body(request, required=True)
    return json_response(request, await run(analyze_body, request, body))


routes = [
    Route("/_analyze", analyze, methods=["GET", "POST"]),
    Route("/{index}/_analyze", analyze, methods=["GET", "POST"]),
]
