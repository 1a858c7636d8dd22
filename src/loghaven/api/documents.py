"""Single-document APIs: index, create, get, exists, _source, delete, update, _mget."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote_plus

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.deprecation import MGET, deprecate, warns
from loghaven.api.http import (
    body_bytes,
    head_error,
    head_response,
    json_body,
    json_response,
    node_of,
    param_int,
    param_refresh,
    run,
)
from loghaven.engine.documents_state import PRIMARY_TERM, DocState, WriteRequest
from loghaven.engine.ids import check_doc_id
from loghaven.engine.index import Index
from loghaven.errors import (
    ActionRequestValidation,
    IllegalArgument,
    LoghavenError,
    ParseFailure,
)
from loghaven.ingest.bulk import check_update_body, check_version_type
from loghaven.params import expect_list, expect_object, expect_string, token_name
from loghaven.search.source_filter import SourceFilter


def location(index: str, doc_id: str, doc_type: str = "_doc") -> str:
    """``Location`` of a created document, the id URL-encoded as ES's ``URLEncoder`` does
    (a header is Latin-1: an id in any other script would fail after the write); ES 7 names
    the type of a typed request there."""
    return (f"/{quote_plus(index, safe='*')}/{quote_plus(doc_type, safe='*')}/"
            f"{quote_plus(doc_id, safe='*')}")


def _typed(head: dict[str, Any], doc_type: str | None) -> dict[str, Any]:
    """``head`` with ES 7's ``_type`` after ``_index`` when the request named a type (a
    typed path, api/typed.py, or an item's ``_type``)."""
    if doc_type is None:
        return head
    out = {"_index": head.pop("_index"), "_type": doc_type}
    out.update(head)
    return out


def _write_request(request: Request, op: str, doc_id: str | None,
                   source: bytes | None = None) -> WriteRequest:
    check_doc_id(doc_id, op)
    params = request.query_params
    version_type = check_version_type(params.get("version_type"))
    if params.get("op_type") == "create":
        op = "create"
    elif params.get("op_type") not in (None, "index"):
        raise IllegalArgument(f"opType must be 'create' or 'index', found: [{params['op_type']}]")
    return WriteRequest(op=op, doc_id=doc_id, source=source,
                        if_seq_no=param_int(request, "if_seq_no"),
                        if_primary_term=param_int(request, "if_primary_term"),
                        version=param_int(request, "version"),
                        version_type=version_type)


async def _execute(request: Request, index_name: str, write: WriteRequest,
                   *, auto_create: bool = True) -> Response:
    # ``pipeline`` is a parameter of the index API only (not of _update or delete)
    pipeline = request.query_params.get("pipeline") if write.op in ("index", "create") else None
    status, body = await run(functools.partial(
        node_of(request).write_service.write_document, index_name, write, pipeline=pipeline,
        refresh=param_refresh(request), auto_create=auto_create))
    doc_type = request.path_params.get("type")
    headers = {"Location": location(body["_index"], body["_id"], doc_type or "_doc")} \
        if status == 201 else None
    return json_response(request, _typed(body, doc_type), status=status, headers=headers)


async def index_doc(request: Request) -> Response:
    doc_id = request.path_params.get("id")
    source = (await body_bytes(request)).strip()
    if not source:
        raise ActionRequestValidation("Validation Failed: 1: source is missing;2: content type "
                                      "is missing;")
    return await _execute(request, request.path_params["index"],
                          _write_request(request, "index", doc_id, source))


async def create_doc(request: Request) -> Response:
    source = (await body_bytes(request)).strip()
    if not source:
        raise ActionRequestValidation("Validation Failed: 1: source is missing;")
    return await _execute(request, request.path_params["index"],
                          _write_request(request, "create", request.path_params["id"], source))


async def delete_doc(request: Request) -> Response:
    return await _execute(request, request.path_params["index"],
                          _write_request(request, "delete", request.path_params["id"]),
                          auto_create=False)


async def update_doc(request: Request) -> Response:
    body = await json_body(request, required=True)
    write = _write_request(request, "update", request.path_params["id"])
    write.update = check_update_body(body)
    if request.query_params.get("_source") in ("true", ""):
        body["_source"] = True
    return await _execute(request, request.path_params["index"], write)


def _found_body(index: Index, doc_id: str, state: DocState | None,
                source_filter: SourceFilter, doc_type: str | None = None) -> bytes:
    """The GET response, splicing ``_source`` in byte-exact when no filtering is asked."""
    head: dict[str, Any] = _typed({"_index": index.name, "_id": doc_id}, doc_type)
    if state is None:
        head["found"] = False
        return orjson.dumps(head)
    head.update({"_version": state.version, "_seq_no": state.seq_no,
                 "_primary_term": PRIMARY_TERM, "found": True})
    encoded = orjson.dumps(head)
    assert state.source is not None
    source = source_filter.apply_bytes(state.source)
    if source is None:
        return encoded
    return encoded[:-1] + b',"_source":' + source + b"}"


async def get_doc(request: Request) -> Response:
    doc_id = request.path_params["id"]
    index, state = await run(node_of(request).search_service.get,
                             request.path_params["index"], doc_id)
    body = _found_body(index, doc_id, state, SourceFilter.from_params(request.query_params),
                       request.path_params.get("type"))
    return Response(body, status_code=200 if state is not None else 404,
                    media_type="application/json; charset=UTF-8")


async def doc_exists(request: Request) -> Response:
    try:
        _, state = await run(node_of(request).search_service.get,
                             request.path_params["index"], request.path_params["id"])
    except LoghavenError as error:
        return head_error(error)
    return head_response(200 if state is not None else 404)


async def get_source(request: Request) -> Response:
    doc_id = request.path_params["id"]
    index, state = await run(node_of(request).search_service.get,
                             request.path_params["index"], doc_id)
    if state is None:
        raise LoghavenError(f"Document not found [{index.name}]/[{doc_id}]", status=404,
                            type="resource_not_found_exception")
    assert state.source is not None
    source = SourceFilter.from_params(request.query_params).apply_bytes(state.source) or b"{}"
    return Response(source, media_type="application/json; charset=UTF-8")


@warns
async def mget(request: Request) -> Response:
    body = await json_body(request, required=True)
    service = node_of(request).search_service
    default_index = request.path_params.get("index")
    default_type = request.path_params.get("type")
    default_filter = SourceFilter.from_params(request.query_params)
    specs = _mget_specs(body, default_index)
    types = _mget_types(body, default_type)
    if default_type is not None or any(t is not None for t in types):
        deprecate(request, MGET)

    def work() -> list[bytes]:
        parts = []
        found = service.mget([(index_name, doc_id) for index_name, doc_id, _ in specs])
        for (index_name, doc_id, own_filter), doc_type, item in zip(specs, types, found,
                                                                   strict=True):
            if isinstance(item, LoghavenError):
                parts.append(orjson.dumps({**_typed({"_index": index_name, "_id": doc_id},
                                                    doc_type), "error": item.to_cause()}))
                continue
            index, state = item
            source_filter = own_filter if own_filter is not None else default_filter
            parts.append(_found_body(index, doc_id, state, source_filter, doc_type))
        return parts

    parts = await run(work)
    return Response(b'{"docs":[' + b",".join(parts) + b"]}",
                    media_type="application/json; charset=UTF-8")


def _mget_types(body: dict[str, Any], default_type: str | None) -> list[str | None]:
    """Each doc's type, as ES 7 answers it: its ``_type``, else the path's (``_mget_specs``
    checked the body's shape)."""
    if "docs" not in body:
        return [default_type] * len(body["ids"])
    return [expect_string(spec["_type"], "_type", "mget") if "_type" in spec
            else default_type for spec in body["docs"]]


def _mget_specs(body: dict[str, Any], default_index: str | None,
                ) -> list[tuple[str, str, SourceFilter | None]]:
    """``docs``/``ids`` read as ES's ``MultiGetRequest`` reads them: (index, id, filter)."""
    for key, value in body.items():
        if key not in ("docs", "ids"):
            raise ParseFailure(f"unknown parameter [{key}] in request body or parameter is of "
                               f"the wrong type[{token_name(value)}] ")
    if "docs" in body:
        specs = [expect_object(spec, "docs[]", "mget")
                 for spec in expect_list(body["docs"], "docs", "mget")]
    elif "ids" in body:
        specs = [{"_id": i} for i in expect_list(body["ids"], "ids", "mget")]
    else:
        raise ActionRequestValidation("Validation Failed: 1: no documents to get;")
    out = []
    for position, spec in enumerate(specs):
        index_name = spec.get("_index", default_index)
        if index_name is None:
            raise ActionRequestValidation(
                f"Validation Failed: 1: index is missing for doc {position};")
        if spec.get("_id") is None:
            raise ActionRequestValidation(
                f"Validation Failed: 1: id is missing for doc {position};")
        doc_id = expect_string(spec["_id"], "_id", "mget")
        check_doc_id(doc_id, "get")
        own_filter = SourceFilter.from_spec(spec["_source"]) if "_source" in spec else None
        out.append((expect_string(index_name, "_index", "mget"), doc_id, own_filter))
    return out


routes = [
    Route("/_mget", mget, methods=["GET", "POST"]),
    Route("/{index}/_mget", mget, methods=["GET", "POST"]),
    Route("/{index}/_doc", index_doc, methods=["POST"]),
    Route("/{index}/_doc/{id}", index_doc, methods=["PUT", "POST"]),
    Route("/{index}/_doc/{id}", get_doc, methods=["GET"]),
    Route("/{index}/_doc/{id}", doc_exists, methods=["HEAD"]),
    Route("/{index}/_doc/{id}", delete_doc, methods=["DELETE"]),
    Route("/{index}/_create/{id}", create_doc, methods=["PUT", "POST"]),
    Route("/{index}/_source/{id}", get_source, methods=["GET"]),
    Route("/{index}/_update/{id}", update_doc, methods=["POST"]),
]
