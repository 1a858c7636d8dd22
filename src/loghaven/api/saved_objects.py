"""OpenSearch Dashboards' saved objects API under ``/_dashboards/api/saved_objects``: get,
create, update, delete, ``_bulk_get``, ``_bulk_create``, ``_find``, ``_export``, ``_import``
and ``_resolve_import_errors``, with Dashboards' paths, parameters and bodies; every error of
these routes (the edge's and the guard's too) in Dashboards' ``{"statusCode", "error",
"message"}``. The work is dashboards/'s (``node.saved_objects``).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import body_bytes, json_response, node_of, run
from loghaven.api.route_policy import PolicyRoute, RoutePolicy
from loghaven.dashboards import transfer
from loghaven.dashboards.objects import SavedObjectError, Write, check_references, error_body
from loghaven.errors import LoghavenError

#: Under the UI API's mount (``/_dashboards/api``, api/dashboards.py).
BASE = "/saved_objects"


def render_error(request: Request, error: LoghavenError) -> Response:
    """Any error of these routes as Dashboards (Boom) renders it."""
    body = error.body() if isinstance(error, SavedObjectError) \
        else error_body(error.status, error.reason)
    response = json_response(request, body, status=error.status)
    if error.status == 401:
        response.headers.update(error.headers)
    return response


#: Dashboards' XSRF rule, its error bodies.
POLICY = RoutePolicy(requires_xsrf=True, render_error=render_error)
#: The import routes take the file as a form (Dashboards' ``accepts: multipart/form-data``);
#: a page cannot add ``osd-xsrf`` to a form post, so the form is no way in for a page.
UPLOAD_POLICY = RoutePolicy(requires_xsrf=True, render_error=render_error,
                            content_types=frozenset({"multipart/form-data"}))


def bad_request(message: str) -> SavedObjectError:
    return SavedObjectError(400, message)


async def _json(request: Request) -> Any:
    """The body as JSON (any value), or Dashboards' 400 for one that is not."""
    data = await body_bytes(request)
    try:
        return orjson.loads(data) if data.strip() else None
    except orjson.JSONDecodeError:
        raise bad_request("Invalid request payload JSON format") from None


async def _object_body(request: Request) -> dict[str, Any]:
    body = await _json(request)
    if not isinstance(body, dict):
        raise bad_request("[request body]: expected a plain object value, but found "
                          f"[{'null' if body is None else type(body).__name__}] instead.")
    return body


def _attributes(body: dict[str, Any], where: str = "attributes") -> dict[str, Any]:
    attributes = body.get("attributes")
    if not isinstance(attributes, dict):
        raise bad_request(f"[request body.{where}]: expected value of type [object] but got "
                          f"[{'undefined' if attributes is None else type(attributes).__name__}]")
    return attributes


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name)
    if value in (None, "false"):
        return False
    if value in ("", "true"):
        return True
    raise bad_request(f"[request query.{name}]: expected value of type [boolean] but got "
                      f"[string]")


def _listed(request: Request, name: str) -> list[str]:
    """A query parameter given repeated or as a comma list."""
    return [part for value in request.query_params.getlist(name)
            for part in value.split(",") if part]


def _int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"[request query.{name}]: expected value of type [number] but got "
                          f"[string]") from None


def _ids(body: Any, where: str = "request body", *,
         optional_id: bool = False) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise bad_request(f"[{where}]: expected value of type [array] but got "
                          f"[{type(body).__name__}]")
    for n, item in enumerate(body):
        if not isinstance(item, dict):
            raise bad_request(f"[{where}.{n}]: expected a plain object value")
        for key in ("type", "id"):
            if not isinstance(item.get(key), str) \
                    and not (optional_id and key == "id" and item.get(key) is None):
                raise bad_request(f"[{where}.{n}.{key}]: expected value of type [string] but "
                                  f"got [{type(item.get(key)).__name__}]")
    return body


async def get_object(request: Request) -> Response:
    node = node_of(request)
    found = await run(node.saved_objects.get, request.path_params["type"],
                      request.path_params["id"])
    return json_response(request, found.to_json())


async def create_object(request: Request) -> Response:
    """``POST /{type}[/{id}]?overwrite`` with ``{attributes, references?,
    initialNamespaces?}`` (namespaces are accepted and ignored: there is one)."""
    node = node_of(request)
    overwrite = _flag(request, "overwrite")
    body = await _object_body(request)
    attributes = _attributes(body)
    references = check_references(body.get("references"))
    migration = body.get("migrationVersion") if isinstance(body.get("migrationVersion"),
                                                           dict) else None
    created = await run(lambda: node.saved_objects.create(
        request.path_params["type"], attributes, id_=request.path_params.get("id"),
        references=references, overwrite=overwrite, migration_version=migration))
    return json_response(request, created.to_json())


async def update_object(request: Request) -> Response:
    """``PUT /{type}/{id}`` with ``{attributes, references?, version?}``."""
    node = node_of(request)
    body = await _object_body(request)
    attributes = _attributes(body)
    references = check_references(body["references"]) if "references" in body else None
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        raise bad_request("[request body.version]: expected value of type [string] but got "
                          f"[{type(version).__name__}]")
    updated = await run(lambda: node.saved_objects.update(
        request.path_params["type"], request.path_params["id"], attributes,
        references=references, version=version))
    return json_response(request, updated.to_json())


async def delete_object(request: Request) -> Response:
    node = node_of(request)
    _flag(request, "force")  # checked as Dashboards does; every type here is single-space
    await run(node.saved_objects.delete, request.path_params["type"],
              request.path_params["id"])
    return json_response(request, {})


async def bulk_get(request: Request) -> Response:
    """``POST /_bulk_get`` with ``[{type, id, fields?}]``."""
    node = node_of(request)
    items = _ids(await _json(request))
    fields = [item.get("fields") if isinstance(item.get("fields"), list) else None
              for item in items]
    found = await run(node.saved_objects.bulk_get,
                      [(item["type"], item["id"]) for item in items], fields)
    return json_response(request, {"saved_objects": found})


async def bulk_create(request: Request) -> Response:
    """``POST /_bulk_create?overwrite`` with ``[{type, id?, attributes, references?,
    version?, migrationVersion?}]``: each object, or its error in its place."""
    node = node_of(request)
    overwrite = _flag(request, "overwrite")
    items = _ids(await _json(request), optional_id=True)
    writes = [Write(item["type"], item.get("id"),
                    _attributes(item, f"{n}.attributes"),
                    check_references(item.get("references"), f"{n}.references"), overwrite,
                    item.get("migrationVersion") if isinstance(item.get("migrationVersion"),
                                                               dict) else None,
                    item.get("version") if isinstance(item.get("version"), str) else None)
              for n, item in enumerate(items)]
    results = await run(node.saved_objects.bulk_create, writes)
    return json_response(request, {"saved_objects": [
        result.to_json() if not isinstance(result, SavedObjectError)
        else {"id": write.id, "type": write.type, "error": result.body()}
        for write, result in zip(writes, results, strict=True)]})


async def find(request: Request) -> Response:
    """``GET /_find``: ``type`` (repeated or a comma list), ``search``, ``search_fields``,
    ``page``, ``per_page``, ``sort_field``, ``fields``, ``has_reference`` (JSON),
    ``default_search_operator``."""
    node = node_of(request)
    types = _listed(request, "type")
    if not types:
        raise bad_request("[request query.type]: expected at least one defined value but "
                          "got [undefined]")
    has_reference = None
    if "has_reference" in request.query_params:
        try:
            has_reference = orjson.loads(request.query_params["has_reference"])
        except orjson.JSONDecodeError:
            raise bad_request("[request query.has_reference]: could not parse object value "
                              "from json input") from None
        if not isinstance(has_reference, (dict, list)):
            raise bad_request("[request query.has_reference]: expected a plain object value")
    operator = request.query_params.get("default_search_operator", "OR")
    if operator not in ("OR", "AND"):
        raise bad_request("[request query.default_search_operator]: types that failed "
                          "validation: expected value to equal [OR], expected value to equal "
                          "[AND]")
    result = await run(lambda: node.saved_objects.find(
        types=types, search=request.query_params.get("search"),
        search_fields=_listed(request, "search_fields") or None,
        page=_int(request, "page", 1), per_page=_int(request, "per_page", 20),
        sort_field=request.query_params.get("sort_field"),
        fields=_listed(request, "fields") or None, has_reference=has_reference,
        default_search_operator=operator))
    return json_response(request, result.to_json())


async def export(request: Request) -> Response:
    """``POST /_export`` with ``{type}`` (a type or a list) or ``{objects: [{type, id}]}``,
    ``search``, ``includeReferencesDeep``, ``excludeExportDetails``: NDJSON as a download."""
    node = node_of(request)
    body = await _object_body(request)
    type_ = body.get("type")
    types = [type_] if isinstance(type_, str) else type_
    if types is not None and not (isinstance(types, list)
                                  and all(isinstance(t, str) for t in types)):
        raise bad_request("[request body.type]: types that failed validation: expected a "
                          "string or an array of strings")
    items = body.get("objects")
    if items is not None:
        items = _ids(items, "request body.objects")
    flags = {}
    for name in ("includeReferencesDeep", "excludeExportDetails"):
        if not isinstance(body.get(name, False), bool):
            raise bad_request(f"[request body.{name}]: expected value of type [boolean] but "
                              f"got [{type(body[name]).__name__}]")
        flags[name] = body.get(name, False)
    search = body.get("search")
    content = await run(lambda: transfer.export_objects(
        node.saved_objects, types=types, items=items,
        include_references_deep=flags["includeReferencesDeep"],
        exclude_export_details=flags["excludeExportDetails"],
        search=search if isinstance(search, str) else None))
    return Response(content, media_type="application/ndjson", headers={
        "content-disposition": 'attachment; filename="export.ndjson"'})


async def _upload(request: Request) -> tuple[bytes, FormData]:
    """The form's ``file`` (an ``.ndjson`` export, or Kibana 6's ``.json``) and the form,
    within ``savedObjects.maxImportPayloadBytes`` (Dashboards' 413 beyond it)."""
    limit = node_of(request).config.saved_objects_max_import_payload_bytes
    too_large = SavedObjectError(413, "Payload content length greater than maximum allowed: "
                                 f"{limit}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)

    async def replay() -> Any:
        yield body

    try:
        form = await MultiPartParser(request.headers, replay(), max_files=1,
                                     max_fields=10).parse()
    except MultiPartException as error:
        raise bad_request(str(error)) from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise bad_request("[request body.file]: expected value of type [Stream] but got "
                          "[undefined]")
    name = upload.filename or ""
    extension = name[name.rfind("."):].lower() if "." in name else ""
    if extension not in (".ndjson", ".json"):
        raise bad_request(f"Invalid file extension {extension}")
    return await upload.read(), form


async def import_objects(request: Request) -> Response:
    """``POST /_import?overwrite&createNewCopies`` with the form field ``file``."""
    node = node_of(request)
    overwrite = _flag(request, "overwrite")
    copies = _flag(request, "createNewCopies")
    payload, _ = await _upload(request)
    result = await run(lambda: transfer.import_objects(
        node.saved_objects, payload, overwrite=overwrite, create_new_copies=copies))
    return json_response(request, result)


async def resolve_import_errors(request: Request) -> Response:
    """``POST /_resolve_import_errors?createNewCopies`` with the form fields ``file`` and
    ``retries`` (JSON: ``[{type, id, overwrite, replaceReferences, destinationId?}]``)."""
    node = node_of(request)
    copies = _flag(request, "createNewCopies")
    payload, form = await _upload(request)
    text = form.get("retries")
    if not isinstance(text, str):
        raise bad_request("[request body.retries]: expected value of type [array] but got "
                          "[undefined]")
    try:
        retries = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise bad_request("[request body.retries]: could not parse array value from json "
                          "input") from None
    result = await run(lambda: transfer.resolve_import_errors(
        node.saved_objects, payload, retries, create_new_copies=copies))
    return json_response(request, result)


def _route(path: str, endpoint: Any, methods: list[str],
           policy: RoutePolicy = POLICY) -> Route:
    return PolicyRoute(BASE + path, endpoint, methods=methods, policy=policy)


# the literal ``_`` paths before ``/{type}``, which would take them
routes = [
    _route("/_find", find, ["GET"]),
    _route("/_bulk_get", bulk_get, ["POST"]),
    _route("/_bulk_create", bulk_create, ["POST"]),
    _route("/_export", export, ["POST"]),
    _route("/_import", import_objects, ["POST"], UPLOAD_POLICY),
    _route("/_resolve_import_errors", resolve_import_errors, ["POST"], UPLOAD_POLICY),
    _route("/{type}", create_object, ["POST"]),
    _route("/{type}/{id}", get_object, ["GET"]),
    _route("/{type}/{id}", create_object, ["POST"]),
    _route("/{type}/{id}", update_object, ["PUT"]),
    _route("/{type}/{id}", delete_object, ["DELETE"]),
]
