"""A monitor's search inputs, run as OpenSearch's InputService runs them.

The input's query is a Mustache template over ``period_start``/``period_end`` (epoch
milliseconds), so ``"{{period_end}}||-1h"`` in a range bound becomes date math anchored at the
run's end; the rendered JSON goes to the node's search service (never HTTP) over the input's
indices and patterns, as the acting subject (the monitor's owner).
"""

from __future__ import annotations

import re
from typing import Any

import chevron
import orjson

from loghaven.errors import LoghavenError
from loghaven.search.limits import LIMITS, too_many_buckets
from loghaven.search.service import SearchService

#: A plain ``{{name}}`` tag (not a section, comment, partial or already triple-braced one).
_ESCAPED_TAG = re.compile(r"(?<!\{)\{\{(?!\{)\s*([^#/^!>&={}][^}]*)\}\}(?!\})")


#: The lambda that JSON-escapes what a plain tag renders (a name no monitor's ctx uses).
_JSON_ESCAPE = "__loghaven_json_escape__"


def _json_escape(text: str, render: Any) -> str:
    return orjson.dumps(render(text)).decode()[1:-1]


def render(template: str, variables: dict[str, Any]) -> str:
    """Mustache as OpenSearch's script engine renders a template without a content type: a
    plain ``{{name}}`` is JSON-escaped (``"`` becomes ``\\"``, a newline ``\\n``), so a
    webhook's JSON message stays JSON whatever the values hold; ``{{{name}}}`` and
    ``{{&name}}`` are left as they are. Never HTML-escaped."""
    wrapped = _ESCAPED_TAG.sub(
        lambda tag: f"{{{{#{_JSON_ESCAPE}}}}}{{{{&{tag.group(1).strip()}}}}}{{{{/{_JSON_ESCAPE}}}}}",
        template)
    return chevron.render(wrapped, {**variables, _JSON_ESCAPE: _json_escape})


def search_query(query: dict[str, Any], period_start_ms: int,
                 period_end_ms: int) -> dict[str, Any]:
    """The input's search body with its period variables filled in."""
    text = orjson.dumps(query).decode()
    rendered = render(text, {"period_start": period_start_ms, "period_end": period_end_ms})
    return orjson.loads(rendered)


def run_search_inputs(search: SearchService, inputs: list[dict[str, Any]],
                      period_start_ms: int, period_end_ms: int, *,
                      all_composite_pages: bool = False) -> dict[str, Any]:
    """``input_results``: one search response per search input, or the first error.
    ``all_composite_pages`` (bucket-level monitors) follows each top-level composite
    aggregation's ``after_key`` so that triggers see every bucket, as OpenSearch's
    BucketLevelMonitorRunner pages them."""
    results: list[dict[str, Any]] = []
    try:
        for item in inputs:
            spec = item.get("search")
            if spec is None:
                continue
            body = search_query(spec.get("query") or {}, period_start_ms, period_end_ms)
            indices = ",".join(spec.get("indices") or [])
            response = search.search(indices, body, {})
            if all_composite_pages:
                _follow_composites(search, indices, body, response)
            # Fragments (stored _source) become plain JSON values for scripts and templates
            results.append(orjson.loads(orjson.dumps(response)))
    except (LoghavenError, orjson.JSONDecodeError, chevron.ChevronError) as error:
        return {"results": results, "error": error_message(error)}
    return {"results": results, "error": None}


def _follow_composites(search: SearchService, indices: str, body: dict[str, Any],
                       response: dict[str, Any]) -> None:
    """Append the next pages of each top-level composite aggregation to its buckets (at
    most ``search.max_buckets`` buckets in all)."""
    requested = body.get("aggregations", body.get("aggs")) or {}
    found = response.get("aggregations") or {}
    for name, spec in requested.items():
        if not isinstance(spec, dict) or "composite" not in spec or name not in found:
            continue
        result = found[name]
        rest = {k: v for k, v in body.items() if k not in ("aggs", "aggregations", "size")}
        while result.get("after_key") is not None:
            page_spec = {**spec, "composite": {**spec["composite"],
                                               "after": result["after_key"]}}
            page = search.search(indices, {**rest, "size": 0,
                                           "aggregations": {name: page_spec}}, {})
            buckets = page["aggregations"][name]["buckets"]
            if not buckets:
                break
            result["buckets"].extend(buckets)
            if len(result["buckets"]) > LIMITS.max_buckets:
                raise too_many_buckets(len(result["buckets"]))
            result["after_key"] = page["aggregations"][name].get("after_key")


def error_message(error: Exception) -> str:
    """What OpenSearch's ``userErrorMessage`` shows: the detailed message of the failure."""
    if isinstance(error, LoghavenError):
        body = error.to_body()["error"]
        detail = f"{body['type']}: {body['reason']}"
        inner = body.get("caused_by")
        if isinstance(inner, dict) and inner.get("reason"):
            detail += f"; caused by {inner.get('type')}: {inner['reason']}"
        return detail
    return str(error) or type(error).__name__
