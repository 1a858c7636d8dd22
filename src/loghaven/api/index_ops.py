"""`_forcemerge`, `_segments` and `_rollover` (engine/merge.py, engine/rollover.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_body, json_response, node_of, param_bool, param_int, run
from loghaven.api.indices import shards_header, targets
from loghaven.engine.merge import FORCE_MERGE, UNSET, check_params, force_merge_all
from loghaven.engine.rollover import rollover as roll_over
from loghaven.engine.split import ENGINE_VERSION
from loghaven.search.task import Cancellation


async def forcemerge(request: Request) -> Response:
    expression = request.path_params.get("index")
    max_num_segments = param_int(request, "max_num_segments", UNSET)
    only_expunge_deletes = param_bool(request, "only_expunge_deletes")
    flush = param_bool(request, "flush", True)
    wait = param_bool(request, "wait_for_completion", True)
    checked = check_params(max_num_segments, only_expunge_deletes)
    indices = [target.index for target in targets(request, expression)]
    node = node_of(request)
    description = (f"Force-merge indices [{', '.join(i.name for i in indices)}], "
                   f"maxSegments[{max_num_segments}], "
                   f"onlyExpungeDeletes[{str(only_expunge_deletes).lower()}], "
                   f"flush[{str(flush).lower()}]")

    def work(_cancellation: Cancellation) -> tuple[int, dict[str, Any]]:
        return 200, force_merge_all(indices, max_num_segments=checked,
                                    only_expunge_deletes=only_expunge_deletes, flush=flush)

    _status, body = await run(lambda: node.tasks.run(FORCE_MERGE, description, work,
                                                     background=not wait))
    return json_response(request, body)


async def segments(request: Request) -> Response:
    """ES's indices segments API: each index's one shard and its committed segments (the
    same names, counts and sizes as ``_cat/segments``)."""
    found = targets(request, request.path_params.get("index"))
    node = node_of(request)
    routing = {"state": "STARTED", "primary": True, "node": node.node_id}
    verbose = param_bool(request, "verbose")

    def work() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for target in found:
            listed = [s for split in target.index.searchable_splits() for s in split.segments()]
            entries = {}
            for generation, segment in enumerate(listed):
                entries[segment.segment_id] = {
                    "generation": generation, "num_docs": segment.num_docs,
                    "deleted_docs": segment.num_deleted, "size_in_bytes": segment.size_bytes,
                    "memory_in_bytes": 0, "committed": True, "search": True,
                    "version": ENGINE_VERSION, "compound": False, "attributes": {}}
                if verbose:
                    entries[segment.segment_id]["ram_tree"] = []
            out[target.index.name] = {"shards": {"0": [{
                "routing": routing, "num_committed_segments": len(listed),
                "num_search_segments": len(listed), "segments": entries}]}}
        return {"_shards": shards_header(len(found)), "indices": out}

    return json_response(request, await run(work))


async def rollover(request: Request) -> Response:
    body = await json_body(request)
    catalog = node_of(request).catalog
    alias = request.path_params["alias"]
    new_index = request.path_params.get("new_index")
    dry_run = param_bool(request, "dry_run")
    return json_response(request, await run(
        lambda: roll_over(catalog, alias, body, new_index=new_index, dry_run=dry_run)))


routes = [
    Route("/_forcemerge", forcemerge, methods=["POST"]),
    Route("/{index}/_forcemerge", forcemerge, methods=["POST"]),
    Route("/_segments", segments, methods=["GET"]),
    Route("/{index}/_segments", segments, methods=["GET"]),
    Route("/{alias}/_rollover", rollover, methods=["POST"]),
    Route("/{alias}/_rollover/{new_index}", rollover, methods=["POST"]),
]
