"""``_stats`` and ``/<index>/_stats``: per-index counters for monitoring tools."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_response, node_of, run
from loghaven.api.indices import shards_header, targets
from loghaven.errors import IllegalArgument
from loghaven.ops import stats

LEVELS = ("cluster", "indices", "shards")


def _body(request: Request) -> dict[str, Any]:
    level = request.query_params.get("level", "indices")
    if level not in LEVELS:
        raise IllegalArgument(f"level parameter must be one of [cluster] or [indices] or "
                              f"[shards] but was [{level}]")
    metrics = stats.parse_metrics(request.path_params.get("metric"), request.url.path)
    found = targets(request, request.path_params.get("index"))
    node_id = node_of(request).node_id
    total: dict[str, Any] = stats.sum_stats([], metrics)
    indices: dict[str, Any] = {}
    for target in found:
        index = target.index
        sections = stats.index_stats(index, metrics)
        stats.add(total, sections)
        entry: dict[str, Any] = {"uuid": index.uuid, "primaries": sections, "total": sections}
        if level == "shards":
            routing = {"state": "STARTED", "primary": True, "node": node_id,
                       "relocating_node": None}
            entry["shards"] = {"0": [{"routing": routing, **sections}]}
        indices[index.name] = entry
    body: dict[str, Any] = {"_shards": shards_header(len(found)),
                            "_all": {"primaries": total, "total": total}}
    if level != "cluster":
        body["indices"] = indices
    return body


async def index_stats(request: Request) -> Response:
    return json_response(request, await run(_body, request))


routes = [
    Route("/_stats", index_stats, methods=["GET"]),
    Route("/_stats/{metric}", index_stats, methods=["GET"]),
    Route("/{index}/_stats", index_stats, methods=["GET"]),
    Route("/{index}/_stats/{metric}", index_stats, methods=["GET"]),
]
