"""The security REST APIs: OpenSearch's ``_plugins/_security`` (internal users, roles, role
mappings, action groups, account, health, authinfo; also under the legacy ``_opendistro``
prefix; its API keys, ``api/apitokens``, only under ``_plugins``) and Elasticsearch's ``_security/api_key`` and ``_security/_authenticate``; Loghaven's
credentials of the protocol endpoints, ``_plugins/_security/api/accesskeys`` (SigV4) and
``_plugins/_security/api/hectokens`` (Splunk HEC), docs/decisions/0008-protocol-credentials.md.

The caller is the subject the edge's guard set (security/context.py). With security disabled
these routes answer as an OpenSearch or Elasticsearch whose security is disabled: their
handlers are not registered (400 ``no handler found``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.auth import address
from loghaven.api.http import body_bytes, json_body, json_response, node_of, run
from loghaven.errors import AuthenticationRequired
from loghaven.security import api_keys, api_tokens, context, entities
from loghaven.security.service import Origin, SecurityService
from loghaven.security.store import TYPES
from loghaven.security.subject import Subject
from loghaven.security.validation import InvalidSecurityConfig

PREFIXES = ("/_plugins/_security", "/_opendistro/_security")


def _security(request: Request) -> SecurityService:
    security = node_of(request).security
    if not security.enabled:
        raise HTTPException(404)  # rendered as ES's "no handler found for uri"
    return security


def _caller(request: Request) -> Subject:
    """The authenticated caller, whom the edge's guard made the acting subject."""
    acting = context.current()
    if acting is None:
        raise AuthenticationRequired(
            f"missing authentication credentials for REST request [{request.url.path}]")
    return acting.subject


def request_origin(request: Request, subject: Subject | None) -> Origin:
    """Who asked for a security change, and from where, as the audit log records it (no
    subject: security is off)."""
    return Origin(subject.name if subject is not None else None, address(request),
                  request.method, request.url.path)


def _message(request: Request, status: int, message: str) -> Response:
    return json_response(request, entities.payload(status, message), status=status)


async def _raw_json(request: Request, *, patch: bool = False) -> Any:
    """The body as OpenSearch's security API reads it: None when empty, its own error body
    when it is not JSON."""
    data = await body_bytes(request)
    if not data.strip():
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if patch:
            raise entities.refused(400, f"Error in JSON patch: {exc}") from None
        raise InvalidSecurityConfig({"status": "error",
                                     "reason": "Could not parse content of request."}) from None


# _plugins/_security/api/{internalusers,roles,rolesmapping,actiongroups} -------------------

def _config_routes(ctype: str) -> list[Route]:
    async def get(request: Request) -> Response:
        security = _security(request)
        _caller(request)
        return json_response(request, security.get_entities(ctype,
                                                            request.path_params.get("name")))

    async def put(request: Request) -> Response:
        security = _security(request)
        origin = request_origin(request, _caller(request))
        name = request.path_params["name"]
        body = await _raw_json(request)
        created = await run(security.put_entity, ctype, name, body, origin)
        return _message(request, 201 if created else 200,
                        f"'{name}' {'created' if created else 'updated'}.")

    async def delete(request: Request) -> Response:
        security = _security(request)
        origin = request_origin(request, _caller(request))
        name = request.path_params["name"]
        await run(security.delete_entity, ctype, name, origin)
        return _message(request, 200, f"'{name}' deleted.")

    async def patch(request: Request) -> Response:
        security = _security(request)
        origin = request_origin(request, _caller(request))
        name = request.path_params.get("name")
        operations = await _raw_json(request, patch=True)
        if not await run(security.patch_entities, ctype, name, operations, origin):
            return _message(request, 200, "No updates required")
        return _message(request, 200, f"'{name}' updated." if name else "Resource updated.")

    routes = []
    for prefix in PREFIXES:
        base = f"{prefix}/api/{ctype}"
        routes += [Route(base, get, methods=["GET"]), Route(base, patch, methods=["PATCH"]),
                   Route(base + "/{name}", get, methods=["GET"]),
                   Route(base + "/{name}", put, methods=["PUT"]),
                   Route(base + "/{name}", delete, methods=["DELETE"]),
                   Route(base + "/{name}", patch, methods=["PATCH"])]
    return routes


# account, health, authinfo ------------------------------------------------------------------


async def account(request: Request) -> Response:
    security = _security(request)
    subject = _caller(request)
    if request.method == "GET":
        return json_response(request, entities.account(
            security.snapshot(), subject.name, subject.roles, subject.backend_roles,
            subject.attributes))
    body = await _raw_json(request)
    await run(security.change_own_password, subject, body, request_origin(request, subject))
    return _message(request, 200, f"'{subject.name}' updated.")


async def health(request: Request) -> Response:
    _security(request)
    return json_response(request, {"message": None,
                                   "mode": request.query_params.get("mode", "strict"),
                                   "status": "UP"})


async def authinfo(request: Request) -> Response:
    _security(request)
    subject = _caller(request)
    client = request.client
    return json_response(request, {
        "user": subject.describe(), "user_name": subject.name, "user_requested_tenant": None,
        "remote_address": f"{client.host}:{client.port}" if client else None,
        "backend_roles": list(subject.backend_roles),
        "custom_attribute_names": sorted(subject.attributes), "roles": list(subject.roles),
        "tenants": {}, "principal": None, "peer_certificates": "0", "sso_logout_url": None})


# Elasticsearch: _security/api_key, _security/_authenticate ----------------------------------


async def create_api_key(request: Request) -> Response:
    security = _security(request)
    subject = _caller(request)
    body = await json_body(request, required=True)
    return json_response(request, await run(security.create_api_key, subject, body,
                                            request_origin(request, subject)))


async def get_api_keys(request: Request) -> Response:
    security = _security(request)
    subject = _caller(request)
    query = api_keys.get_query(request.query_params)
    return json_response(request, await run(security.get_api_keys, subject, query))


async def invalidate_api_keys(request: Request) -> Response:
    security = _security(request)
    subject = _caller(request)
    query = api_keys.invalidate_query(await json_body(request, required=True))
    return json_response(request, await run(security.invalidate_api_keys, subject, query,
                                            request_origin(request, subject)))


async def authenticate(request: Request) -> Response:
    security = _security(request)
    return json_response(request, security.authenticate_info(_caller(request)))


# OpenSearch's API keys: _plugins/_security/api/apitokens ----------------------------------


async def api_tokens_list(request: Request) -> Response:
    security = _security(request)
    _caller(request)
    return json_response(request, await run(security.list_api_tokens))


async def api_token_create(request: Request) -> Response:
    security = _security(request)
    subject = _caller(request)
    try:
        body = await _raw_json(request)
    except InvalidSecurityConfig:
        raise api_tokens.refused(400, "Invalid request: the body is not JSON") from None
    return json_response(request, await run(security.create_api_token, subject, body,
                                            request_origin(request, subject)))


async def api_token_revoke(request: Request) -> Response:
    security = _security(request)
    subject = _caller(request)
    key_id = request.path_params["id"]
    await run(security.revoke_api_token, key_id, request_origin(request, subject))
    return json_response(request, {"message": f"Token {key_id} revoked successfully."})


# _plugins/_security/api/accesskeys, _plugins/_security/api/hectokens -----------------------


async def _object_body(request: Request) -> dict[str, Any]:
    body = await _raw_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise entities.refused(400, "The request body must be a JSON object.")
    return body


async def access_keys_list(request: Request) -> Response:
    security = _security(request)
    found = await run(security.get_access_keys, _caller(request), None,
                      request.query_params.get("user"))
    return json_response(request, {"access_keys": found})


async def access_key_create(request: Request) -> Response:
    security = _security(request)
    subject = _caller(request)
    body = await _object_body(request)
    return json_response(request, await run(security.create_access_key, subject, body,
                                            request_origin(request, subject)), status=201)


async def access_key_get(request: Request) -> Response:
    security = _security(request)
    found = await run(security.get_access_keys, _caller(request),
                      request.path_params["key_id"], None)
    return json_response(request, found[0])


def _deleting(param: str, delete: Callable[[SecurityService, Subject, str, Origin], None],
              ) -> Callable[[Request], Awaitable[Response]]:
    """The DELETE endpoint of a credential named by the path parameter ``param``."""
    async def endpoint(request: Request) -> Response:
        security = _security(request)
        subject = _caller(request)
        name = request.path_params[param]
        await run(delete, security, subject, name, request_origin(request, subject))
        return _message(request, 200, f"'{name}' deleted.")
    return endpoint


async def hec_tokens_get(request: Request) -> Response:
    security = _security(request)
    return json_response(request, await run(security.get_hec_tokens, _caller(request),
                                            request.path_params.get("name")))


async def hec_token_put(request: Request) -> Response:
    security = _security(request)
    subject = _caller(request)
    name = request.path_params["name"]
    body = await _object_body(request)
    token = await run(security.put_hec_token, subject, name, body, request_origin(request, subject))
    if token is None:
        return _message(request, 200, f"'{name}' updated.")
    return json_response(request, {**entities.payload(201, f"'{name}' created."),
                                   "token": token}, status=201)


_OWN = "/_plugins/_security/api"

routes = [
    *(route for ctype in TYPES for route in _config_routes(ctype)),
    *(Route(f"{prefix}/api/account", account, methods=["GET", "PUT"]) for prefix in PREFIXES),
    *(Route(f"{prefix}/health", health, methods=["GET", "POST"]) for prefix in PREFIXES),
    *(Route(f"{prefix}/authinfo", authinfo, methods=["GET", "POST"]) for prefix in PREFIXES),
    Route("/_security/api_key", create_api_key, methods=["POST", "PUT"]),
    Route("/_security/api_key", get_api_keys, methods=["GET"]),
    Route("/_security/api_key", invalidate_api_keys, methods=["DELETE"]),
    Route("/_security/_authenticate", authenticate, methods=["GET"]),
    Route(f"{_OWN}/apitokens", api_tokens_list, methods=["GET"]),
    Route(f"{_OWN}/apitokens", api_token_create, methods=["POST"]),
    Route(f"{_OWN}/apitokens/{{id}}", api_token_revoke, methods=["DELETE"]),
    Route(f"{_OWN}/accesskeys", access_keys_list, methods=["GET"]),
    Route(f"{_OWN}/accesskeys", access_key_create, methods=["POST"]),
    Route(f"{_OWN}/accesskeys/{{key_id}}", access_key_get, methods=["GET"]),
    Route(f"{_OWN}/accesskeys/{{key_id}}", _deleting("key_id", SecurityService.delete_access_key),
          methods=["DELETE"]),
    Route(f"{_OWN}/hectokens", hec_tokens_get, methods=["GET"]),
    Route(f"{_OWN}/hectokens/{{name}}", hec_tokens_get, methods=["GET"]),
    Route(f"{_OWN}/hectokens/{{name}}", hec_token_put, methods=["PUT"]),
    Route(f"{_OWN}/hectokens/{{name}}", _deleting("name", SecurityService.delete_hec_token),
          methods=["DELETE"]),
]
