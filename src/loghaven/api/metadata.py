"""Templates (legacy, composable, component) and aliases."""

from __future__ import annotations

from functools import partial
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
from loghaven.engine import aliases, templates
from loghaven.errors import IllegalArgument, LoghavenError

KINDS = {
    "_template": templates.LEGACY,
    "_index_template": templates.COMPOSABLE,
    "_component_template": templates.COMPONENT,
}


def _kind(request: Request) -> str:
    return KINDS[request.url.path.split("/")[1]]


async def put_template(request: Request) -> Response:
    body = await json_body(request, required=True)
    put = partial(templates.put, create=param_bool(request, "create"))
    await run(put, node_of(request).metastore, _kind(request), request.path_params["name"], body)
    return json_response(request, {"acknowledged": True})


def _matching(request: Request, kind: str) -> dict[str, dict[str, Any]]:
    return templates.find(node_of(request).metastore, kind, request.path_params.get("name"))


async def get_template(request: Request) -> Response:
    kind = _kind(request)
    found = await run(_matching, request, kind)
    if kind == templates.LEGACY:
        if not found and request.path_params.get("name"):
            return json_response(request, {}, status=404)
        return json_response(request, {n: templates.legacy_view(t) for n, t in found.items()})
    key = "index_templates" if kind == templates.COMPOSABLE else "component_templates"
    inner = "index_template" if kind == templates.COMPOSABLE else "component_template"
    return json_response(request, {key: [{"name": n, inner: t} for n, t in found.items()]})


async def template_exists(request: Request) -> Response:
    kind = _kind(request)
    try:
        found = await run(_matching, request, kind)
    except LoghavenError as error:
        return head_error(error)
    return head_response(200 if found else 404)


async def delete_template(request: Request) -> Response:
    await run(templates.delete, node_of(request).metastore, _kind(request),
              request.path_params["name"])
    return json_response(request, {"acknowledged": True})


# --- aliases -------------------------------------------------------------------------------

async def update_aliases(request: Request) -> Response:
    body = await json_body(request, required=True)
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise IllegalArgument("Validation Failed: 1: No action specified;",
                              type="action_request_validation_exception")
    await run(aliases.update, node_of(request).catalog, actions)
    return json_response(request, {"acknowledged": True})


async def put_alias(request: Request) -> Response:
    body = await json_body(request)
    spec = {"index": request.path_params["index"], "alias": request.path_params["name"], **body}
    await run(aliases.update, node_of(request).catalog, [{"add": spec}])
    return json_response(request, {"acknowledged": True})


async def delete_alias(request: Request) -> Response:
    spec = {"index": request.path_params["index"], "alias": request.path_params["name"]}
    await run(aliases.update, node_of(request).catalog, [{"remove": spec}])
    return json_response(request, {"acknowledged": True})


def _alias_view(request: Request) -> tuple[dict[str, Any], bool]:
    return aliases.view(node_of(request).catalog, request.path_params.get("index"),
                        request.path_params.get("name"))


async def get_alias(request: Request) -> Response:
    out, missing = await run(_alias_view, request)
    if missing:
        alias = request.path_params.get("name")
        if not out:
            return json_response(request, {"error": f"alias [{alias}] missing", "status": 404},
                                 status=404)
    return json_response(request, out)


async def alias_exists(request: Request) -> Response:
    try:
        out, missing = await run(_alias_view, request)
    except LoghavenError as error:
        return head_error(error)
    return head_response(404 if missing or not out else 200)


def _template_routes(prefix: str) -> list[Route]:
    return [
        Route(f"/{prefix}", get_template, methods=["GET"]),
        Route(f"/{prefix}/{{name}}", get_template, methods=["GET"]),
        Route(f"/{prefix}/{{name}}", template_exists, methods=["HEAD"]),
        Route(f"/{prefix}/{{name}}", put_template, methods=["PUT", "POST"]),
        Route(f"/{prefix}/{{name}}", delete_template, methods=["DELETE"]),
    ]


routes = [
    *_template_routes("_template"),
    *_template_routes("_index_template"),
    *_template_routes("_component_template"),
    Route("/_aliases", update_aliases, methods=["POST"]),
    Route("/_alias", get_alias, methods=["GET"]),
    Route("/_aliases", get_alias, methods=["GET"]),
    Route("/_alias/{name}", get_alias, methods=["GET"]),
    Route("/_alias/{name}", alias_exists, methods=["HEAD"]),
    Route("/{index}/_alias", get_alias, methods=["GET"]),
    Route("/{index}/_aliases", get_alias, methods=["GET"]),
    Route("/{index}/_alias/{name}", get_alias, methods=["GET"]),
    Route("/{index}/_alias/{name}", alias_exists, methods=["HEAD"]),
    Route("/{index}/_alias/{name}", put_alias, methods=["PUT", "POST"]),
    Route("/{index}/_aliases/{name}", put_alias, methods=["PUT", "POST"]),
    Route("/{index}/_alias/{name}", delete_alias, methods=["DELETE"]),
    Route("/{index}/_aliases/{name}", delete_alias, methods=["DELETE"]),
]
