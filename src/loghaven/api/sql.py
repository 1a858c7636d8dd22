"""OpenSearch's SQL plugin's REST API: ``_plugins/_sql``, ``_plugins/_ppl`` and their friends.

Parses the request, calls the node's SQL service (sql/service.py) in the thread pool as the
caller, and renders its answer in the asked format (sql/formats.py). Errors are the plugin's
``{"error": {"reason", "details", "type"}, "status"}``: the service's ``SqlError``s as they
are, a malformed body as the plugin's 400, and an error of the search engine (a missing
index) wrapped as the plugin wraps an ``OpenSearchException``. A denial (401/403) stays
OpenSearch's ``security_exception``. Every path also answers with a trailing slash
(``POST /_plugins/_sql/``, as SQL clients send it) directly rather than by a redirect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import body_bytes, json_response, node_of, run, text_response
from loghaven.engine.settings import nest
from loghaven.errors import LoghavenError, SecurityException
from loghaven.sql import formats
from loghaven.sql.errors import SqlError
from loghaven.sql.result import Result
from loghaven.sql.service import SqlRequest
from loghaven.sql.stats import CLIENT

log = logging.getLogger("loghaven.api")

SQL_REASON = "Invalid SQL query"
PPL_REASON = "Invalid Query"
#: The cluster settings ``_plugins/_query/settings`` takes (the plugin's
#: RestQuerySettingsAction: its prefixes, less the deny-listed ones); others are dropped.
SETTINGS_PREFIXES = ("plugins.sql.", "plugins.ppl.", "plugins.query.", "plugins.calcite.")
DENIED_SETTINGS_PREFIXES = ("plugins.query.executionengine", "plugins.query.datasources")
_ENGINE_DETAILS = ("\nFor more details, please send request for Json format to see the raw "
                   "response from OpenSearch engine.")
#: ES error types whose Java exception is no OpenSearchException: the plugin reports them
#: as its own errors, not as the engine's.
_PLAIN_TYPES = {"illegal_argument_exception": "IllegalArgumentException"}


def engine_error(error: LoghavenError, reason: str) -> SqlError:
    """A search engine error as the plugin reports an ``OpenSearchException``: reason
    ``Error occurred in OpenSearch engine: ...``, the Java exception's name as its type
    (``reason`` is the plugin's own for the errors that are none)."""
    if error.type in _PLAIN_TYPES:
        return SqlError(error.reason, type=_PLAIN_TYPES[error.type], reason=reason,
                        status=error.status)
    java_type = "".join(part.capitalize() for part in error.type.split("_"))
    index = error.extra.get("index")
    where = f"[{index}] " if index else ""
    return SqlError(f"{where}{java_type}[{error.reason}]{_ENGINE_DETAILS}", type=java_type,
                    reason=f"Error occurred in OpenSearch engine: {error.reason}",
                    status=error.status)


def error_body(request: Request, error: SqlError) -> Response:
    return json_response(request, error.to_body(), status=error.status)


async def answer(request: Request, reason: str, work: Callable[[], Response]) -> Response:
    """Run ``work`` (a service call and its rendering) in the thread pool as the caller, and
    render what it raises in the plugin's shape."""
    try:
        return await run(work)
    except SqlError as error:
        return error_body(request, error)
    except SecurityException:
        raise
    except LoghavenError as error:
        if error.status >= 500:  # the error log keeps the stack trace of every 5xx answer
            log.error("%s on %s %s: %s", error.type, request.method, request.url.path,
                      error.reason, exc_info=error)
        return error_body(request, engine_error(error, reason))


async def read_body(request: Request, reason: str) -> dict[str, Any]:
    """The JSON object in the body, or the plugin's 400 (it reads the body with org.json)."""
    data = await body_bytes(request)
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise SqlError("Failed to parse request payload", reason=reason) from None
    if not isinstance(body, dict):
        raise SqlError("Failed to parse request payload", reason=reason)
    return body


def parse_request(body: dict[str, Any], reason: str, *, paged: bool) -> SqlRequest:
    """A statement's body: ``query`` (required), ``fetch_size`` (an integer, or a string of
    one as org.json reads it; only for the formats a cursor pages), ``filter``,
    ``parameters``."""
    query = body.get("query")
    if not isinstance(query, str):
        raise SqlError("Failed to parse request payload", reason=reason)
    fetch_size = body.get("fetch_size", 0)
    if isinstance(fetch_size, str):
        try:
            fetch_size = int(fetch_size.strip())
        except ValueError:
            fetch_size = None
    if isinstance(fetch_size, bool) or not isinstance(fetch_size, int | float):
        raise SqlError("Failed to parse field [fetch_size]", reason=reason)
    if fetch_size < 0:
        raise SqlError("Fetch_size must be greater or equal to 0", reason=reason)
    filter_ = body.get("filter")
    if filter_ is not None and not isinstance(filter_, dict):
        raise SqlError("Failed to parse field [filter]: a query DSL object is expected",
                       reason=reason)
    parameters = body.get("parameters", [])
    if not isinstance(parameters, list) or not all(
            isinstance(p, dict) and isinstance(p.get("type"), str) for p in parameters):
        raise SqlError("Failed to parse PreparedStatement parameters: a list of "
                       '{"type": ..., "value": ...} objects is expected', reason=reason)
    return SqlRequest(query=query, fetch_size=int(fetch_size) if paged else 0,
                      filter=filter_, parameters=parameters)


def cursor_of(body: dict[str, Any], reason: str) -> str | None:
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise SqlError("Failed to parse request payload", reason=reason)
    return cursor or None


def render(request: Request, result: Result, format_name: str) -> Response:
    """The result in ``format_name`` (already checked)."""
    params = request.query_params
    if format_name == "csv":
        sanitize = params.get("sanitize", "true").lower() != "false"
        return text_response(request, formats.csv(result, sanitize=sanitize))
    if format_name == "raw":
        pretty = "pretty" in params and params["pretty"] != "false"
        return text_response(request, formats.raw(result, pretty=pretty))
    if format_name == "json":
        return json_response(request, formats.search_response(result))
    if format_name == "viz":
        return json_response(request, formats.viz(result))
    return json_response(request, formats.jdbc(result))


async def sql_query(request: Request) -> Response:
    """A statement, or the next page of a cursor (``{"cursor": ...}``)."""
    service = node_of(request).sql
    try:
        format_name = formats.check_format(request.query_params.get("format", "jdbc"),
                                           formats.SQL_FORMATS, SQL_REASON)
        body = await read_body(request, SQL_REASON)
        cursor = cursor_of(body, SQL_REASON)
        if cursor is not None:
            if format_name not in formats.CURSOR_FORMATS:
                raise SqlError(f"The following response format is not supported for cursor: "
                               f"[{format_name}]")
            return await answer(request, SQL_REASON,
                                lambda: render(request, service.next_page(cursor), format_name))
        statement = parse_request(body, SQL_REASON,
                                  paged=format_name in formats.CURSOR_FORMATS)
    except SqlError as error:
        service.counters.record(CLIENT)  # a request the service never saw counts too
        return error_body(request, error)
    return await answer(request, SQL_REASON,
                        lambda: render(request, service.sql(statement), format_name))


async def ppl_query(request: Request) -> Response:
    """A PPL query; PPL answers in one page (no cursor)."""
    service = node_of(request).sql
    try:
        format_name = formats.check_format(request.query_params.get("format", "jdbc"),
                                           formats.PPL_FORMATS, PPL_REASON)
        statement = parse_request(await read_body(request, PPL_REASON), PPL_REASON,
                                  paged=False)
    except SqlError as error:
        service.counters.record(CLIENT)
        return error_body(request, error)
    return await answer(request, PPL_REASON,
                        lambda: render(request, service.ppl(statement), format_name))


def _explain(language: str, reason: str) -> Callable[[Request], Any]:
    async def explain(request: Request) -> Response:
        """The search request(s) a query becomes, without running it."""
        service = node_of(request).sql
        try:
            body = await read_body(request, reason)
            if cursor_of(body, reason) is not None:
                raise SqlError("Invalid request. Cannot explain cursor", reason=reason)
            statement = parse_request(body, reason, paged=True)
        except SqlError as error:
            return error_body(request, error)
        return await answer(request, reason, lambda: json_response(
            request, service.explain(statement, language)))

    return explain


async def close_cursor(request: Request) -> Response:
    """``{"cursor": ...}``: free what a cursor holds before it expires."""
    service = node_of(request).sql
    try:
        cursor = cursor_of(await read_body(request, SQL_REASON), SQL_REASON)
        if cursor is None:
            raise SqlError("Failed to parse request payload")
    except SqlError as error:
        return error_body(request, error)
    return await answer(request, SQL_REASON, lambda: json_response(
        request, {"succeeded": service.close(cursor)}))


async def stats(request: Request) -> Response:
    """The plugin's request counters (one set for SQL and PPL, as its stats endpoints answer
    one set of metrics)."""
    return json_response(request, node_of(request).sql.stats())


def plugin_settings(scope: Any) -> dict[str, Any]:
    """One scope of a settings body, flattened, with only the plugin's own settings."""
    if scope is None:
        return {}
    if not isinstance(scope, dict):
        raise SqlError("Failed to parse request payload")
    flat: dict[str, Any] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value

    walk(scope, "")
    return {key: value for key, value in flat.items()
            if key.startswith(SETTINGS_PREFIXES) and not key.startswith(DENIED_SETTINGS_PREFIXES)}


async def put_settings(request: Request) -> Response:
    """``PUT _plugins/_query/settings``: cluster settings, only the plugin's (the others in
    the body are dropped, as the plugin drops them); answered as ``_cluster/settings`` is."""
    catalog = node_of(request).catalog
    try:
        body = await read_body(request, SQL_REASON)
        update = {scope: plugin_settings(body[scope]) for scope in ("persistent", "transient")
                  if scope in body}
    except SqlError as error:
        return error_body(request, error)
    applied = await run(catalog.put_cluster_settings, update)
    return json_response(request, {"acknowledged": True, **{
        scope: nest(values) for scope, values in applied.items()}})


def _with_slash(path: str, endpoint: Callable[[Request], Any], methods: list[str]) -> list[Route]:
    return [Route(path, endpoint, methods=methods), Route(path + "/", endpoint, methods=methods)]


routes = [
    route
    for prefix in ("/_plugins", "/_opendistro")
    for route in [
        *_with_slash(f"{prefix}/_sql", sql_query, ["POST"]),
        *_with_slash(f"{prefix}/_sql/_explain", _explain("sql", SQL_REASON), ["POST"]),
        *_with_slash(f"{prefix}/_sql/close", close_cursor, ["POST"]),
        *_with_slash(f"{prefix}/_sql/stats", stats, ["GET", "POST"]),
        *_with_slash(f"{prefix}/_ppl", ppl_query, ["POST"]),
        *_with_slash(f"{prefix}/_ppl/_explain", _explain("ppl", PPL_REASON), ["POST"]),
        *_with_slash(f"{prefix}/_ppl/stats", stats, ["GET", "POST"]),
        *_with_slash(f"{prefix}/_query/settings", put_settings, ["PUT"]),
    ]
]
