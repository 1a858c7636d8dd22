"""Templates (legacy, composable, component) and aliases."""

from __future__ import annotations

import fnmatch
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import head_response, json_body, json_response, node_of, param_bool, run
from loghaven.engine import templates
from loghaven.engine.mapping import Mapping, check_mapping_limits
from loghaven.engine.settings import IndexSettings, flatten, nest
from loghaven.errors import IllegalArgument, LoghavenError, ResourceNotFound
from loghaven.params import expect_object

KINDS = {
    "_template": templates.LEGACY,
    "_index_template": templates.COMPOSABLE,
    "_component_template": templates.COMPONENT,
}


def _kind(request: Request) -> str:
    return KINDS[request.url.path.split("/")[1]]


def _validate_parts(body: dict[str, Any]) -> None:
    """Refuse a template whose settings or mappings an index could not be created with."""
    settings = IndexSettings(flatten(body.get("settings", {}) or {}))
    check_mapping_limits(body.get("mappings", {}) or {}, settings.mapping_limits())
    Mapping(body.get("mappings", {}) or {})


async def put_template(request: Request) -> Response:
    kind = _kind(request)
    name = request.path_params["name"]
    body = await json_body(request, required=True)
    metastore = node_of(request).metastore
    if param_bool(request, "create") and metastore.get(kind, name) is not None:
        raise IllegalArgument(f"index_template [{name}] already exists")
    if kind == templates.LEGACY:
        stored = templates.normalise_legacy(body)
        _validate_parts(stored)
    elif kind == templates.COMPOSABLE:
        stored = templates.normalise_composable(body, metastore)
        _validate_parts(stored["template"])
        _check_overlap(metastore, name, stored)
    else:
        if "template" not in body:
            raise IllegalArgument("Validation Failed: 1: template is missing;")
        stored = dict(body)
        template = dict(expect_object(stored["template"] or {}, "template",
                                      "component_template"))
        templates.check_parts(template)
        _validate_parts(template)
        stored["template"] = template
    await run(metastore.put, kind, name, stored)
    return json_response(request, {"acknowledged": True})


def _check_overlap(metastore: Any, name: str, stored: dict[str, Any]) -> None:
    priority = stored.get("priority", 0) or 0
    for other_name, other in metastore.list(templates.COMPOSABLE).items():
        if other_name == name or (other.get("priority", 0) or 0) != priority:
            continue
        overlap = [p for p in stored["index_patterns"] for q in other["index_patterns"]
                   if fnmatch.fnmatchcase(p, q) or fnmatch.fnmatchcase(q, p)]
        if overlap:
            raise IllegalArgument(
                f"index template [{name}] has index patterns {stored['index_patterns']} matching "
                f"patterns from existing templates [{other_name}] with patterns ({other_name} => "
                f"{other['index_patterns']}) that have the same priority [{priority}], multiple "
                f"index templates may not match during index creation, please use a different "
                f"priority")


def legacy_view(template: dict[str, Any]) -> dict[str, Any]:
    """A stored legacy template as ``GET _template`` and the cluster state show it."""
    return {
        "order": template.get("order", 0),
        **({"version": template["version"]} if "version" in template else {}),
        "index_patterns": template["index_patterns"],
        "settings": nest(flatten(template.get("settings", {}) or {})),
        "mappings": template.get("mappings", {}),
        "aliases": template.get("aliases", {}),
    }


def _matching(request: Request, kind: str) -> dict[str, dict[str, Any]]:
    stored = node_of(request).metastore.list(kind)
    wanted = request.path_params.get("name")
    if wanted is None:
        return stored
    patterns = wanted.split(",")
    found = {n: t for n, t in stored.items() if any(fnmatch.fnmatchcase(n, p) for p in patterns)}
    if not found and not any("*" in p for p in patterns):
        if kind == templates.LEGACY:
            return found
        raise ResourceNotFound(f"{kind} [{wanted}] not found" if kind != templates.COMPOSABLE
                               else f"index template matching [{wanted}] not found")
    return found


async def get_template(request: Request) -> Response:
    kind = _kind(request)
    found = await run(_matching, request, kind)
    if kind == templates.LEGACY:
        if not found and request.path_params.get("name"):
            return json_response(request, {}, status=404)
        return json_response(request, {n: legacy_view(t) for n, t in found.items()})
    key = "index_templates" if kind == templates.COMPOSABLE else "component_templates"
    inner = "index_template" if kind == templates.COMPOSABLE else "component_template"
    return json_response(request, {key: [{"name": n, inner: t} for n, t in found.items()]})


async def template_exists(request: Request) -> Response:
    kind = _kind(request)
    try:
        found = await run(_matching, request, kind)
    except LoghavenError:
        return head_response(404)
    return head_response(200 if found else 404)


async def delete_template(request: Request) -> Response:
    kind = _kind(request)
    metastore = node_of(request).metastore
    name = request.path_params["name"]
    names = [n for n in metastore.list(kind) if fnmatch.fnmatchcase(n, name)]
    if not names:
        raise ResourceNotFound(f"index_template [{name}] missing" if kind != templates.COMPONENT
                               else f"component_template [{name}] missing")
    if kind == templates.COMPONENT:
        for template_name, template in metastore.list(templates.COMPOSABLE).items():
            used = set(template.get("composed_of", []) or []) & set(names)
            if used:
                raise IllegalArgument(
                    f"component templates {sorted(used)} cannot be removed as they are still in "
                    f"use by index templates [{template_name}]")
    for template_name in names:
        await run(metastore.delete, kind, template_name)
    return json_response(request, {"acknowledged": True})


# --- aliases -------------------------------------------------------------------------------

async def update_aliases(request: Request) -> Response:
    body = await json_body(request, required=True)
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise IllegalArgument("Validation Failed: 1: No action specified;",
                              type="action_request_validation_exception")
    await run(node_of(request).catalog.update_aliases, actions)
    return json_response(request, {"acknowledged": True})


async def put_alias(request: Request) -> Response:
    body = await json_body(request)
    spec = {"index": request.path_params["index"], "alias": request.path_params["name"], **body}
    await run(node_of(request).catalog.update_aliases, [{"add": spec}])
    return json_response(request, {"acknowledged": True})


async def delete_alias(request: Request) -> Response:
    spec = {"index": request.path_params["index"], "alias": request.path_params["name"]}
    await run(node_of(request).catalog.update_aliases, [{"remove": spec}])
    return json_response(request, {"acknowledged": True})


def _alias_view(request: Request) -> tuple[dict[str, Any], bool]:
    node = node_of(request)
    index_expr = request.path_params.get("index")
    alias_expr = request.path_params.get("name")
    names = [t.index.name for t in node.catalog.resolve(index_expr, expand_wildcards="all",
                                                        include_closed_error=False)]
    patterns = alias_expr.split(",") if alias_expr else None
    out: dict[str, Any] = {}
    missing = False
    matched_any = set()
    for name in names:
        aliases = node.catalog.aliases.get(name, {})
        if patterns is not None:
            chosen = {a: p for a, p in aliases.items()
                      if any(fnmatch.fnmatchcase(a, pat) for pat in patterns)}
            matched_any.update(chosen)
            if chosen:
                out[name] = {"aliases": chosen}
        else:
            out[name] = {"aliases": aliases}
    if patterns is not None:
        missing = any("*" not in p and p not in matched_any for p in patterns)
    return out, missing


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
    except LoghavenError:
        return head_response(404)
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
