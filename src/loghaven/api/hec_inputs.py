"""Splunk's HEC token endpoints, ``services/data/inputs/http`` (also under
``servicesNS/<user>/<app>/``), over the same tokens as ``_plugins/_security/api/hectokens``
(security/service.py): list (GET), create (POST, form fields ``name``, ``index``, ``indexes``,
``useACK``, ``disabled``, ``description``, ``source``, ``sourcetype``, ``host``), one token
(GET ``/{name}``), edit (POST ``/{name}``), ``/{name}/enable``, ``/{name}/disable``, DELETE.

Answers are Splunk's ``output_mode=json`` envelope (``entry[].name`` is ``http://<name>``,
its fields in ``content``), whatever ``output_mode`` says; errors are Splunk's
``{"messages": [{"type": "ERROR", "text": ...}]}``. Unlike Splunk, a token's value is shown
only in the answer that created it. Bodies are forms, which a web page may post: the routes
need ``Authorization`` (with security off too, as Splunk's management port always does).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import Response

from loghaven import __version__
from loghaven.api.http import body_bytes, json_response, node_of, run
from loghaven.api.route_policy import PolicyRoute, RoutePolicy
from loghaven.api.security import request_origin
from loghaven.errors import AuthenticationRequired, LoghavenError
from loghaven.security import context
from loghaven.security.subject import Subject

FORM = "application/x-www-form-urlencoded"
PREFIX = "http://"
#: Form fields → the token's fields (security/hec_tokens.py).
_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
_FIELDS = ("index", "description", "source", "sourcetype", "host", "useACK", "disabled")


def _caller(request: Request) -> Subject | None:
    """The acting user with security on; None (anyone) with security off."""
    acting = context.current()
    if acting is None and node_of(request).security.enabled:
        raise AuthenticationRequired("call not properly authenticated")
    return acting.subject if acting is not None else None


async def _form(request: Request) -> dict[str, Any]:
    """The form's token fields: ``indexes`` repeated or comma-separated."""
    pairs = parse_qsl((await body_bytes(request)).decode("utf-8", "replace"),
                      keep_blank_values=True)
    body: dict[str, Any] = {k: v for k, v in pairs if k in (*_FIELDS, "name")}
    for flag in ("useACK", "disabled"):  # Splunk's booleans: 1/0 as well as true/false
        if flag in body:
            body[flag] = _BOOLEANS.get(body[flag].strip().lower(), body[flag])
    indexes = [i.strip() for k, v in pairs if k == "indexes" for i in v.split(",") if i.strip()]
    if any(k == "indexes" for k, _ in pairs):
        body["indexes"] = indexes
    return body


def _name(request: Request) -> tuple[str, str | None]:
    """The token name of ``{name}`` (``http://`` optional) and a trailing enable/disable."""
    path = request.path_params["name"]
    action = None
    for suffix in ("/enable", "/disable"):
        if path.endswith(suffix):
            path, action = path[: -len(suffix)], suffix[1:]
    return path.removeprefix(PREFIX), action


def _entry(request: Request, name: str, record: Mapping[str, Any],
           token: str | None = None) -> dict[str, Any]:
    content = {field: record.get(field) for field in (*_FIELDS, "indexes")}
    content["disabled"] = bool(content["disabled"])
    content["useACK"] = bool(content["useACK"])
    if token is not None:
        content["token"] = token
    entry_id = f"{_base(request)}/{quote(PREFIX + name, safe='')}"
    return {"name": PREFIX + name, "id": entry_id, "updated": _now(),
            "links": {"alternate": entry_id, "edit": entry_id, "remove": entry_id,
                      "enable" if content["disabled"] else "disable":
                          f"{entry_id}/{'enable' if content['disabled'] else 'disable'}"},
            "author": record.get("user") or "nobody",
            "acl": {"app": "splunk_httpinput", "owner": record.get("user") or "nobody",
                    "sharing": "app", "can_write": record.get("origin") != "config"},
            "content": content}


def _base(request: Request) -> str:
    path = request.url.path
    at = path.find("/data/inputs/http")
    return path[: at + len("/data/inputs/http")]


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _envelope(request: Request, entries: list[dict[str, Any]],
              status: int = 200) -> Response:
    return json_response(request, {
        "links": {"create": f"{_base(request)}/_new"}, "origin": str(request.url.replace(
            query="")), "updated": _now(),
        "generator": {"build": "loghaven", "version": __version__}, "entry": entries,
        "paging": {"total": len(entries), "perPage": 30, "offset": 0}, "messages": []},
        status=status)


async def listing(request: Request) -> Response:
    caller = _caller(request)
    found = await run(node_of(request).security.get_hec_tokens, caller, None)
    return _envelope(request, [_entry(request, name, r) for name, r in found.items()])


async def create(request: Request) -> Response:
    caller = _caller(request)
    body = await _form(request)
    name = body.pop("name", "")
    if not name:
        raise LoghavenError('Argument "name" is required', status=400)
    name = name.removeprefix(PREFIX)
    security = node_of(request).security
    token = await run(lambda: security.put_hec_token(caller, name, body,
                                                     request_origin(request, caller), exists=False))
    found = await run(security.get_hec_tokens, caller, name)
    return _envelope(request, [_entry(request, name, found[name], token)], status=201)


async def one(request: Request) -> Response:
    caller = _caller(request)
    name, action = _name(request)
    security = node_of(request).security
    if request.method == "DELETE" and action is None:
        await run(security.delete_hec_token, caller, name, request_origin(request, caller))
        return await listing(request)
    if request.method == "POST":
        body = {"disabled": action == "disable"} if action else await _form(request)
        await run(lambda: security.put_hec_token(caller, name, body,
                                                 request_origin(request, caller), exists=True))
    found = await run(security.get_hec_tokens, caller, name)
    return _envelope(request, [_entry(request, name, found[name])])


def render_error(request: Request, error: LoghavenError) -> Response:
    """Splunk's ``messages`` body (``WARN`` for a call that did not authenticate)."""
    kind = "WARN" if isinstance(error, AuthenticationRequired) else "ERROR"
    text = "call not properly authenticated" if isinstance(error, AuthenticationRequired) \
        else error.reason
    response = json_response(request, {"messages": [{"type": kind, "text": text}]},
                             status=error.status)
    response.headers.update(error.headers)
    return response


POLICY = RoutePolicy(content_types=frozenset({FORM}), requires_authorization=True,
                     render_error=render_error)

routes = [
    route
    for base in ("/services/data/inputs/http", "/servicesNS/{user}/{app}/data/inputs/http")
    for route in (
        PolicyRoute(base, listing, methods=["GET"], policy=POLICY),
        PolicyRoute(base, create, methods=["POST"], policy=POLICY),
        PolicyRoute(base + "/{name:path}", one, methods=["GET", "POST", "DELETE"],
                    policy=POLICY),
    )
]
