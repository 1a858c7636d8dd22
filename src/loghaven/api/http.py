"""Request and response helpers shared by every route: bodies, parameters, JSON out."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from loghaven.errors import ContentTooLarge, LoghavenError, ParsingError
from loghaven.params import parse_bool, parse_int

T = TypeVar("T")

VENDOR_JSON = "application/vnd.elasticsearch+json"


async def run(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking engine work in the thread pool (tantivy releases the GIL there)."""
    return await to_thread.run_sync(fn, *args)


async def body_bytes(request: Request) -> bytes:
    """The request body, gunzipped if sent compressed, within the configured size limit."""
    limit = request.app.state.node.config.max_content_length
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    data = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").lower()
    if encoding in ("gzip", "x-gzip") or data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ParsingError(f"failed to decompress the request body: {exc}") from exc
    elif encoding == "deflate":
        data = zlib.decompress(data)
    if len(data) > limit:
        raise _too_large(len(data), limit)
    return data


def _too_large(size: int, limit: int) -> ContentTooLarge:
    return ContentTooLarge(f"Request content-length [{size}] is larger than the allowed maximum "
                           f"[{limit}]; raise http.max_content_length or send smaller batches")


async def json_body(request: Request, *, required: bool = False) -> dict[str, Any]:
    """The JSON object in the body (``{}`` when empty), or a parsing error with the position."""
    data = await body_bytes(request)
    if not data.strip():
        if required:
            raise ParsingError("request body is required")
        return {}
    return parse_json(data)


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
    value = request.query_params.get(name)
    return default if value is None else parse_bool(value, name)


def param_int(request: Request, name: str, default: int | None = None) -> int | None:
    value = request.query_params.get(name)
    return default if value is None or value == "" else parse_int(value, name)


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
    if "pretty" in request.query_params and request.query_params["pretty"] != "false":
        option |= orjson.OPT_INDENT_2
    content = orjson.dumps(data, option=option)
    if option & orjson.OPT_INDENT_2:
        content += b"\n"
    return Response(content, status_code=status, headers=headers,
                    media_type=_media_type(request))


def _media_type(request: Request) -> str:
    version = wants_vendor(request)
    if version:
        return f"{VENDOR_JSON}; compatible-with={version}"
    return "application/json; charset=UTF-8"


def error_response(request: Request, error: LoghavenError) -> Response:
    return json_response(request, error.to_body(), status=error.status)


def text_response(request: Request, text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=UTF-8")


def head_response(status: int) -> Response:
    return Response(b"", status_code=status, media_type="application/json; charset=UTF-8")
