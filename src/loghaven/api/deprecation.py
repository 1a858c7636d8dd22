"""Deprecation warnings: ES's ``Warning: 299`` response headers, and the texts it sends.

ES collects each request's deprecations while serving it and adds them to the answer, an
error too (``DeprecationLogger`` through the thread context); clients show them
(elasticsearch-py raises ``ElasticsearchWarning``, Dev Tools prints ``#! ...`` lines). Here an
endpoint calls :func:`deprecate` and its answer gets them from :func:`add_warnings`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from loghaven.api.http import node_of
from loghaven.errors import LoghavenError
from loghaven.node import COMPAT_VERSION

Endpoint = Callable[[Request], Awaitable[Response]]

#: ES 7's RestIndexAction (index, create; also the auto-id POST).
INDEX = ("[types removal] Specifying types in document index requests is deprecated, use the "
         "typeless endpoints instead (/{index}/_doc/{id}, /{index}/_doc, or "
         "/{index}/_create/{id}).")
#: RestGetAction (GET and HEAD).
GET = ("[types removal] Specifying types in document get requests is deprecated, use the "
       "/{index}/_doc/{id} endpoint instead.")
#: RestDeleteAction (ES says "index requests" there too).
DELETE = ("[types removal] Specifying types in document index requests is deprecated, use the "
          "/{index}/_doc/{id} endpoint instead.")
#: RestUpdateAction.
UPDATE = ("[types removal] Specifying types in document update requests is deprecated, use "
          "the endpoint /{index}/_update/{id} instead.")
#: RestGetSourceAction.
SOURCE = ("[types removal] Specifying types in get_source and exist_source requests is "
          "deprecated.")
#: RestMultiGetAction: a type in the path or a ``_type`` in any item.
MGET = "[types removal] Specifying types in multi get requests is deprecated."
#: RestBulkAction and its parser: a type in the path or a ``_type`` in any action line.
BULK = "[types removal] Specifying types in bulk requests is deprecated."
#: RestSearchAction (also _delete_by_query and _update_by_query, which parse a search).
SEARCH = "[types removal] Specifying types in search requests is deprecated."
#: RestCountAction.
COUNT = "[types removal] Specifying types in count requests is deprecated."
#: RestMultiSearchAction.
MSEARCH = "[types removal] Specifying types in multi search requests is deprecated."
#: RestValidateQueryAction.
VALIDATE = "[types removal] Specifying types in validate query requests is deprecated."

#: Where the request's warnings wait for its response (the endpoints add to it).
WARNINGS = "loghaven.warnings"

def warning_value(request: Request, message: str) -> str:
    """A ``Warning`` header as ES's ``HeaderWarning`` writes it: code 299, the agent (the
    product and version ``GET /`` reports), the quoted text."""
    node = node_of(request)
    agent = "Elasticsearch-7.10.2" if node.config.elastic_product_header \
        else f"OpenSearch-{COMPAT_VERSION}"
    text = message.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 {agent}-loghaven "{text}"'


def deprecate(request: Request, message: str) -> None:
    """Ask for ``message`` as a deprecation ``Warning`` on this request's answer (once)."""
    pending: list[str] = request.scope.setdefault(WARNINGS, [])
    if message not in pending:
        pending.append(message)


def add_warnings(request: Request, response: Response) -> None:
    """Put the request's pending deprecations on its response (once: they are taken)."""
    for message in request.scope.pop(WARNINGS, ()):
        response.headers.append("Warning", warning_value(request, message))




def warns(endpoint: Endpoint) -> Endpoint:
    """The endpoint, its answer or its error carrying the deprecations it asked for."""

    @functools.wraps(endpoint)
    async def warned(request: Request) -> Response:
        try:
            response = await endpoint(request)
        except LoghavenError as error:
            values = [warning_value(request, m) for m in request.scope.pop(WARNINGS, ())]
            if values:  # an error's headers are a dict: one header, the values joined
                error.headers = {**error.headers, "Warning": ", ".join(values)}
            raise
        add_warnings(request, response)
        return response

    return warned
