"""Index APIs: create, delete, exists, get, mappings, settings, refresh, flush, open, close."""

from __future__ import annotations

import fnmatch
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import (
    head_error,
    head_response,
    json_body,
    json_response,
    node_of,
    param_bool,
    run,
)
from loghaven.engine import index_metadata
from loghaven.engine.catalog import Target
from loghaven.engine.index import Index
from loghaven.engine.settings import flatten, nest
from loghaven.errors import IndexNotFound, LoghavenError
from loghaven.node import Node
from loghaven.params import expect_object
from loghaven.search.field_security import hidden_fields, visible_mapping


def targets(request: Request, expression: str | None, *, expand: str = "open",
            allow_closed: bool = False) -> list[Target]:
    """Resolve a path's index expression with the request's ES resolution parameters."""
    return node_of(request).catalog.resolve_params(expression, request.query_params,
                                                   expand=expand, allow_closed=allow_closed)


def shards_header(count: int) -> dict[str, int]:
    return {"total": count, "successful": count, "failed": 0}


async def create_index(request: Request) -> Response:
    name = request.path_params["index"]
    body = await json_body(request)
    index = await run(node_of(request).catalog.create_index, name, body)
    return json_response(request, {"acknowledged": True, "shards_acknowledged": True,
                                   "index": index.name})


async def delete_index(request: Request) -> Response:
    expression = request.path_params["index"]
    catalog = node_of(request).catalog
    found = targets(request, expression, expand="open,closed", allow_closed=True)
    for target in found:
        await run(catalog.delete_index, target.index)
    return json_response(request, {"acknowledged": True})


async def index_exists(request: Request) -> Response:
    try:
        found = targets(request, request.path_params["index"], expand="open,closed",
                        allow_closed=True)
    except LoghavenError as error:
        return head_error(error)
    return head_response(200 if found else 404)


def _describe(node: Node, index: Index) -> dict[str, Any]:
    return {
        "aliases": node.catalog.aliases.get(index.name, {}),
        "mappings": _mappings(node, index),
        "settings": index.settings.to_es(),
    }


def _mappings(node: Node, index: Index) -> dict[str, Any]:
    """The index's mapping as the acting subject may see it (without the fields FLS hides)."""
    return visible_mapping(index.mapping.to_es(),
                           hidden_fields(index.name, node.catalog.aliases_of(index.name)))


async def get_index(request: Request) -> Response:
    node = node_of(request)
    found = targets(request, request.path_params["index"], expand="open,closed",
                    allow_closed=True)
    return json_response(request, {t.index.name: _describe(node, t.index) for t in found})


async def get_mapping(request: Request) -> Response:
    node = node_of(request)
    found = targets(request, request.path_params.get("index"), allow_closed=True)
    return json_response(request, {t.index.name: {"mappings": _mappings(node, t.index)}
                                   for t in found})


async def get_field_mapping(request: Request) -> Response:
    catalog = node_of(request).catalog
    found = targets(request, request.path_params.get("index"), allow_closed=True)
    wanted = request.path_params["fields"].split(",")
    return json_response(request, {t.index.name: {"mappings": index_metadata.field_mappings(
        t.index, wanted, hidden_fields(t.index.name, catalog.aliases_of(t.index.name)))}
                                   for t in found})


async def put_mapping(request: Request) -> Response:
    body = await json_body(request, required=True)
    found = targets(request, request.path_params.get("index"), allow_closed=True)
    await run(index_metadata.put_mapping, node_of(request).catalog, _indices(found), body)
    return json_response(request, {"acknowledged": True})


def _indices(found: list[Target]) -> list[Index]:
    return [target.index for target in found]


async def get_settings(request: Request) -> Response:
    found = targets(request, request.path_params.get("index"), allow_closed=True)
    wanted = request.path_params.get("name")
    out = {}
    for target in found:
        flat = dict(target.index.settings.flat)
        if wanted:
                    flat = {k: v for k, v in flat.items()
                    if any(fnmatch.fnmatchcase(k, w) for w in wanted.split(","))}
        entry: dict[str, Any] = {"settings": nest(flat)}
        out[target.index.name] = entry
    if param_bool(request, "flat_settings"):
        out = {name: {"settings": dict(sorted(
            (k, v) for k, v in target.index.settings.flat.items()))}
            for name, target in ((t.index.name, t) for t in found)}
    return json_response(request, out)


async def put_settings(request: Request) -> Response:
    body = await json_body(request, required=True)
    found = targets(request, request.path_params.get("index"), allow_closed=True)
    changes = flatten(expect_object(body["settings"], "settings", "update_settings")
                      if "settings" in body else body)
    await run(index_metadata.update_settings, node_of(request).catalog, _indices(found), changes)
    return json_response(request, {"acknowledged": True})


async def refresh(request: Request) -> Response:
    found = targets(request, request.path_params.get("index"))
    for target in found:
        await run(target.index.refresh)
    return json_response(request, {"_shards": shards_header(len(found))})


async def flush(request: Request) -> Response:
    found = targets(request, request.path_params.get("index"))
    for target in found:
        await run(target.index.flush)
    return json_response(request, {"_shards": shards_header(len(found))})


async def close_index(request: Request) -> Response:
    found = targets(request, request.path_params["index"], allow_closed=True)
    await run(index_metadata.set_closed, node_of(request).catalog, _indices(found), True)
    return json_response(request, {"acknowledged": True, "shards_acknowledged": True,
                                   "indices": {t.index.name: {"closed": True} for t in found}})


async def open_index(request: Request) -> Response:
    found = targets(request, request.path_params["index"], expand="closed", allow_closed=True)
    if not found and "*" not in request.path_params["index"]:
        raise IndexNotFound(request.path_params["index"])
    await run(index_metadata.set_closed, node_of(request).catalog, _indices(found), False)
    return json_response(request, {"acknowledged": True, "shards_acknowledged": True})


routes = [
    Route("/_mapping", get_mapping, methods=["GET"]),
    Route("/_mappings", get_mapping, methods=["GET"]),
    Route("/_mapping/field/{fields}", get_field_mapping, methods=["GET"]),
    Route("/_settings", get_settings, methods=["GET"]),
    Route("/_settings", put_settings, methods=["PUT"]),
    Route("/_settings/{name}", get_settings, methods=["GET"]),
    Route("/_refresh", refresh, methods=["GET", "POST"]),
    Route("/_flush", flush, methods=["GET", "POST"]),
    Route("/{index}/_mapping", get_mapping, methods=["GET"]),
    Route("/{index}/_mappings", get_mapping, methods=["GET"]),
    Route("/{index}/_mapping/field/{fields}", get_field_mapping, methods=["GET"]),
    Route("/{index}/_mapping", put_mapping, methods=["PUT", "POST"]),
    Route("/{index}/_mappings", put_mapping, methods=["PUT", "POST"]),
    Route("/{index}/_mapping/{type}", put_mapping, methods=["PUT", "POST"]),
    Route("/{index}/_settings", get_settings, methods=["GET"]),
    Route("/{index}/_settings/{name}", get_settings, methods=["GET"]),
    Route("/{index}/_settings", put_settings, methods=["PUT"]),
    Route("/{index}/_refresh", refresh, methods=["GET", "POST"]),
    Route("/{index}/_flush", flush, methods=["GET", "POST"]),
    Route("/{index}/_close", close_index, methods=["POST"]),
    Route("/{index}/_open", open_index, methods=["POST"]),
    Route("/{index}", create_index, methods=["PUT"]),
    Route("/{index}", delete_index, methods=["DELETE"]),
    Route("/{index}", index_exists, methods=["HEAD"]),
    Route("/{index}", get_index, methods=["GET"]),
]
