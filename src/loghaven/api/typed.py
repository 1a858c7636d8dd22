"""Elasticsearch 6.x/7.x typed document paths (``/<index>/<type>/<id>``), answered as ES 7 does.

ES 7 still routes every 6.x path with a mapping type in it and answers it like the typeless
one, adding a ``Warning: 299 ...`` header with its "[types removal]" deprecation and
``_type`` in the document's answer. Firehose-era tools, old blog posts and the AWS solutions'
Dev Tools snippets (``POST /cwl-/default/``) still send them. Loghaven has no mapping types:
the type is echoed, never stored, so ``GET /i/t1/1`` finds a document indexed as ``/i/t2/1``
(ES 7 would refuse a second type in one index, and miss the document).

Routing, where ES's path trie and Starlette's ordered list differ:

- ``_doc`` is the type ES 7 treats specially: ``/i/_doc/1/_update``, ``/i/_doc/1/_create``
  and ``/i/_doc/_search`` are typed paths too; the index action (``_create``) does not warn for
  it (ES 7 checks ``type.equals("_doc")`` there), the others do. Any other segment starting with ``_`` is not a type: ES 7
  would refuse it (``invalid_type_name_exception``) where Loghaven keeps answering "no handler
  found" for an unknown ``_endpoint``.
- A typed path answers only what no other route knows: when any route matches the path for
  another method, that route's 405 wins (``GET /services/collector/event`` stays HEC's 405;
  ES 7 would run the typed handler for any method it has).
- Nor is a first segment starting with ``_`` an index: ``POST /_security/api_key`` without the
  security plugin, ``POST /_foo/bar`` stay "no handler found" (a 400, where ES 7 runs the typed
  handler and refuses the name with ``invalid_index_name_exception``): the ``_`` namespace
  stays the APIs', present or future.

The texts are ES 7.10's ``TYPES_DEPRECATION_MESSAGE`` of each REST action.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from loghaven.api import documents, search
from loghaven.api.deprecation import (
    COUNT,
    DELETE,
    GET,
    INDEX,
    MGET,
    MSEARCH,
    SEARCH,
    SOURCE,
    UPDATE,
    VALIDATE,
    Endpoint,
    deprecate,
    warns,
)
from loghaven.api.disconnect import cancellable
from loghaven.api.http import json_body, node_of, run_json
from loghaven.errors import IllegalArgument, LoghavenError


def check_type_name(doc_type: str) -> None:
    """ES 7's ``MapperService.validateTypeName`` for the types a write names."""
    if len(doc_type) > 255:
        raise _invalid(f"mapping type name [{doc_type}] is too long; limit is length 255 but "
                       f"was [{len(doc_type)}]")
    if doc_type.startswith("_") and doc_type != "_doc":
        raise _invalid(f"mapping type name [{doc_type}] can't start with '_' unless it is "
                       f"called [_doc]")
    for char in "#,":
        if char in doc_type:
            raise _invalid(f"mapping type name [{doc_type}] should not include '{char}' in it")
    if doc_type.startswith("."):
        raise IllegalArgument(f"mapping type name [{doc_type}] must not start with a '.'")


def _invalid(reason: str) -> LoghavenError:
    return LoghavenError(reason, status=400, type="invalid_type_name_exception")


def _typed(endpoint: Endpoint, message: str | None, *, writes: bool) -> Endpoint:
    """The endpoint behind the type's checks, with the path's deprecation."""

    async def typed(request: Request) -> Response:
        doc_type = request.path_params["type"]
        if message is not None and (doc_type != "_doc" or message in ALWAYS):
            deprecate(request, message)
        if writes:
            check_type_name(doc_type)
        return await endpoint(request)

    return warns(typed)


#: Deprecations ES 7 also gives for the type ``_doc`` (``hasParam("type")`` in those actions;
#: its index action alone tests ``type.equals("_doc")``, and its get and delete never see
#: ``_doc``: the typeless routes have those paths).
ALWAYS = frozenset({UPDATE, SOURCE, MGET, SEARCH, COUNT, MSEARCH, VALIDATE})


class TypedRoute(Route):
    """A route with a ``{type}`` segment: no match for a type starting with ``_`` other than
    ``_doc``, an index starting with ``_``, nor a path another route knows (its 405 wins)."""

    def __init__(self, path: str, endpoint: Endpoint, *, methods: list[str],
                 message: str | None, writes: bool = False) -> None:
        super().__init__(path, _typed(endpoint, message, writes=writes),
                         methods=methods)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE:
            return match, child
        params = child["path_params"]
        if params["index"].startswith("_") or (params["type"].startswith("_")
                                                and params["type"] != "_doc"):
            return Match.NONE, {}
        if self._known_elsewhere(scope):
            return Match.NONE, {}
        return match, child

    def _known_elsewhere(self, scope: Scope) -> bool:
        """Whether a route before this one matches the path (for another method: one that
        matched fully was taken before this one was asked)."""
        app: Any = scope.get("app")
        router = getattr(app, "router", None)
        for route in getattr(router, "routes", ()):
            if route is self or (isinstance(route, TypedRoute) and route.path == self.path
                                 and route.endpoint is self.endpoint):
                return False
            if isinstance(route, TypedRoute):
                continue
            if route.matches(scope)[0] is not Match.NONE:
                return True
        return False


async def typed_search(request: Request) -> Response:
    """``_search`` whose hits name the path's type (``_type``), as ES 7's hits do, when the
    path names one type (a list or pattern matches the index's only type in ES 7: unknown
    here, so those hits go without)."""
    body = await json_body(request)
    doc_type = request.path_params["type"]
    one_type = not any(char in doc_type for char in ",*") and doc_type != "_all"
    service = node_of(request).search_service

    async with cancellable(request) as cancellation:
        def work() -> dict[str, Any]:
            result = service.search(request.path_params["index"], body, request.query_params,
                                    cancellation=cancellation)
            if not one_type or "hits" not in result:
                return result
            hits = [{"_index": hit["_index"], "_type": doc_type} | hit  # _type second
                    for hit in result["hits"].get("hits", [])]
            return {**result, "hits": {**result["hits"], "hits": hits}}

        return await run_json(request, work)


def _route(path: str, endpoint: Endpoint, methods: str, message: str | None, *,
           writes: bool = False) -> TypedRoute:
    return TypedRoute(path, endpoint, methods=methods.split(","), message=message,
                      writes=writes)


#: Typed paths ending in an API name: before ``/{index}/_doc/{id}``, which would take
#: ``/i/_doc/_search`` (ES 7 routes it to the search).
api_routes = [
    _route("/{index}/{type}/_search", typed_search, "GET,POST", SEARCH),
    _route("/{index}/{type}/_count", search.count, "GET,POST", COUNT),
    _route("/{index}/{type}/_mget", documents.mget, "GET,POST", MGET),
    _route("/{index}/{type}/_msearch", search.msearch, "GET,POST", MSEARCH),
    _route("/{index}/{type}/_validate/query", search.validate, "GET,POST", VALIDATE),
    _route("/{index}/{type}/_delete_by_query", search.delete_by_query, "POST", SEARCH),
    _route("/{index}/{type}/_update_by_query", search.update_by_query, "POST", SEARCH),
    _route("/{index}/{type}/{id}/_create", documents.create_doc, "PUT,POST", INDEX, writes=True),
    _route("/{index}/{type}/{id}/_update", documents.update_doc, "POST", UPDATE, writes=True),
    _route("/{index}/{type}/{id}/_source", documents.get_source, "GET", SOURCE),  # and HEAD
]
#: Typed document paths: after every other route.
routes = [
    _route("/{index}/{type}", documents.index_doc, "POST", INDEX, writes=True),
    _route("/{index}/{type}/{id}", documents.index_doc, "PUT,POST", INDEX, writes=True),
    _route("/{index}/{type}/{id}", documents.get_doc, "GET", GET),  # and HEAD, as in ES 7
    _route("/{index}/{type}/{id}", documents.delete_doc, "DELETE", DELETE),
]
