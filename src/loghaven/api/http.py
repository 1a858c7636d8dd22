"""Request and response helpers shared by every route: bodies, parameters, JSON out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from loghaven import params
from loghaven.api import filter_path
from loghaven.errors import (
    ContentTooLarge,
    IllegalArgument,
    LoghavenError,
    ParsingError,
    SecurityException,
)
from loghaven.inflate import GZIP_MAGIC, Inflater, too_large

if TYPE_CHECKING:
    from loghaven.node import Node

T = TypeVar("T")

VENDOR_JSON = "application/vnd.elasticsearch+json"
#: The scope key of a route's own error renderer (RoutePolicy.render_error), which
#: :func:`error_response` uses instead of ES's JSON.
RENDER_ERROR = "loghaven.render_error"
#: The scope key of a route's protocol's own floor under ``http.max_content_length``
#: (RoutePolicy.min_body_limit), which :func:`body_limit` applies.
BODY_LIMIT = "loghaven.body_limit"


def node_of(request: Request) -> Node:
    """The node this server is (its catalog, metastore, config), as every route reaches it."""
    return request.app.state.node


async def run(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking engine work in the thread pool (tantivy releases the GIL there)."""
    return await to_thread.run_sync(fn, *args)


#: Bodies (and batches of compressed bytes) from this size on are joined, decompressed and
#: parsed in the thread pool rather than on the event loop; below it the thread hop would cost
#: more than the work (orjson parses 256 KB in well under a millisecond).
OFFLOAD_BYTES = 256 * 1024


def body_limit(scope: Scope, node: Node) -> int:
    """The bound on this request's body: ``http.max_content_length``, raised to what the
    route's protocol needs (RoutePolicy.min_body_limit)."""
    return max(node.config.max_content_length, scope.get(BODY_LIMIT, 0))


async def body_bytes(request: Request) -> bytes:
    """The request body, decompressed if sent compressed, within the configured size limit.

    ``http.max_content_length`` bounds both the bytes received and the decompressed body,
    which is checked while decompressing (:mod:`loghaven.inflate`), so a compressed bomb
    is refused after about ``limit`` bytes of work and memory.
    """
    limit = body_limit(request.scope, node_of(request))
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)
    encoding = request.headers.get("content-encoding", "").lower()
    inflater = _inflater(encoding, limit)
    chunks: list[bytes] = []
    waiting = received = 0
    stream = request.stream()
    try:
        async for chunk in stream:
            received += len(chunk)
            if received > limit:
                raise too_large(received, limit)
            if not encoding and received == len(chunk) and chunk[:2] == GZIP_MAGIC:
                inflater = Inflater("gzip", limit)  # gzip sent without its header
            chunks.append(chunk)
            waiting += len(chunk)
            if inflater is not None and waiting >= OFFLOAD_BYTES:
                await run(inflater.feed, b"".join(chunks))
                chunks.clear()
                waiting = 0
        if inflater is None:
            if not received:
                return _source_param(request)
            return b"".join(chunks) if waiting < OFFLOAD_BYTES else await run(b"".join, chunks)
        return await run(_inflate_rest, inflater, chunks)
    except ContentTooLarge:
        async for chunk in stream:  # read what the client still sends, so it sees the 413
            received += len(chunk)
            if received > limit:
                break
        raise


def _source_param(request: Request) -> bytes:
    """A request without a body may send it as the ``source`` URL parameter, with its media
    type in ``source_content_type`` (ES's ``RestRequest.contentOrSourceParam``)."""
    source = request.query_params.get("source")
    if source is None:
        return b""
    if request.query_params.get("source_content_type") is None:
        raise LoghavenError("source and source_content_type parameters are required",
                            status=500, type="illegal_state_exception")
    return source.encode()


def _inflater(encoding: str, limit: int) -> Inflater | None:
    if encoding in ("gzip", "x-gzip"):
        return Inflater("gzip", limit)
    if encoding == "deflate":
        return Inflater("deflate", limit)
    return None


def _inflate_rest(inflater: Inflater, chunks: list[bytes]) -> bytes:
    inflater.feed(b"".join(chunks))
    return inflater.finish()


async def json_body(request: Request, *, required: bool = False) -> dict[str, Any]:
    """The JSON object in the body (``{}`` when empty), or a parsing error with the position."""
    data = await body_bytes(request)
    if not data.strip():
        if required:
            raise ParsingError("request body is required")
        return {}
    return parse_json(data) if len(data) < OFFLOAD_BYTES else await run(parse_json, data)


def parse_json(data: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ParsingError(f"Failed to parse JSON body: {exc.msg} at line {exc.lineno} column "
                           f"{exc.colno} (char {exc.pos})", status=400,
                           type="parsing_exception") from exc
    if not isinstance(value, dict):
        raise ParsingError("request body must be a JSON object")
    return value


def param_bool(request: Request, name: str, default: bool = False) -> bool:
    return params.param_bool(request.query_params, name, default)


def param_int(request: Request, name: str, default: int | None = None) -> int | None:
    return params.param_int(request.query_params, name, default)


def param_refresh(request: Request) -> str | None:
    """``refresh``: ``true`` (or empty), ``false`` or ``wait_for``, checked before any write."""
    value = request.query_params.get("refresh")
    if value not in (None, "", "true", "false", "wait_for"):
        raise IllegalArgument(f"Unknown value for refresh: [{value}].")
    return value


def wants_vendor(request: Request) -> str | None:
    """The ``compatible-with`` version if the client asked for Elasticsearch's vendor types."""
    for header in ("accept", "content-type"):
        value = request.headers.get(header, "")
        if "vnd.elasticsearch" in value and "compatible-with=" in value:
            return value.split("compatible-with=")[1].split(";")[0].strip()
    return None


def json_response(request: Request, data: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    option = orjson.OPT_NON_STR_KEYS
    params = request.query_params
    if "filter_path" in params:  # the hits' _source are Fragments: decode the whole answer
        data = filter_path.apply(orjson.loads(orjson.dumps(data, option=option)),
                                 params["filter_path"])
    if "pretty" in params and params["pretty"] != "false":
        option |= orjson.OPT_INDENT_2
    content = orjson.dumps(data, option=option)
    if option & orjson.OPT_INDENT_2:
        content += b"\n"
    return Response(content, status_code=status, headers=headers,
                    media_type=_media_type(request))


async def run_json(request: Request, work: Callable[[], Any]) -> Response:
    """Run ``work`` in the thread pool and render its answer there as well, for what can be
    large (hits, aggregations, bulk items): one thread hop, and a 100 MB answer does not hold
    up the event loop."""
    return await run(lambda: json_response(request, work()))


def _media_type(request: Request) -> str:
    version = wants_vendor(request)
    if version:
        return f"{VENDOR_JSON}; compatible-with={version}"
    return "application/json; charset=UTF-8"


def error_response(request: Request, error: LoghavenError) -> Response:
    render = request.scope.get(RENDER_ERROR)
    if render is not None:
        return render(request, error)
    response = json_response(request, error.to_body(), status=error.status)
    response.headers.update(error.headers)
    return response


def text_response(request: Request, text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=UTF-8")


def head_response(status: int) -> Response:
    return Response(b"", status_code=status, media_type="application/json; charset=UTF-8")


def head_error(error: LoghavenError) -> Response:
    """An exists check's answer to an error: not found, but a denial stays OpenSearch's 403
    (a forbidden name is neither confirmed nor reported missing)."""
    return head_response(error.status if isinstance(error, SecurityException) else 404)
