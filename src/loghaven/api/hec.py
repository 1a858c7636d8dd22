"""Splunk's HTTP Event Collector on the main port: ``/services/collector`` (and ``/event``,
``/raw``, their ``/1.0`` forms), ``/services/collector/ack`` and ``/services/collector/health``
(hec/service.py does the work).

Senders label bodies as they like (JSON, text, none), which a web page could post too, so
the data routes need ``Authorization`` (api/route_policy.py), and every error of theirs, the
edge's and the guard's included, is Splunk's ``{"text", "code"}`` with Splunk's status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from loghaven.api.http import body_bytes, json_response, node_of, run
from loghaven.api.route_policy import PolicyRoute, RoutePolicy
from loghaven.errors import AuthenticationRequired, LoghavenError, SecurityException
from loghaven.hec import errors
from loghaven.hec.errors import HecError
from loghaven.hec.service import HecService, Token

CHANNEL_HEADER = "x-splunk-request-channel"


def _channel(request: Request) -> str | None:
    return request.headers.get(CHANNEL_HEADER) or request.query_params.get("channel")


def _token(request: Request, hec: HecService) -> Token:
    return hec.token(request.headers.get("authorization"), "token" in request.query_params)


def _submitting(raw: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        hec = node_of(request).hec
        token = _token(request, hec)
        data = await body_bytes(request)
        channel, params = _channel(request), dict(request.query_params)
        answer = await run(lambda: hec.submit(token, data, raw=raw, channel=channel,
                                              params=params))
        return json_response(request, answer)
    return endpoint


async def ack(request: Request) -> Response:
    hec = node_of(request).hec
    token = _token(request, hec)
    data = await body_bytes(request)
    return json_response(request, hec.ack(token, _channel(request), data))


async def health(request: Request) -> Response:
    return json_response(request, node_of(request).hec.health())


def render_error(request: Request, error: LoghavenError) -> Response:
    """Splunk's body and status for any refusal of a HEC request."""
    if isinstance(error, HecError):
        return json_response(request, error.to_body(), status=error.status)
    if isinstance(error, AuthenticationRequired):  # the route policy's or the guard's
        code = {"Token disabled": errors.TOKEN_DISABLED,
                "Invalid token": errors.INVALID_TOKEN}.get(error.reason)
        if code is None and error.reason.startswith("missing authentication credentials"):
            code = errors.QUERY_STRING_AUTH if "token" in request.query_params \
                else errors.TOKEN_REQUIRED
        return render_error(request, HecError(code or errors.INVALID_AUTHORIZATION))
    if isinstance(error, SecurityException):  # the token's owner may write no index
        return render_error(request, HecError(errors.INCORRECT_INDEX))
    code = errors.INVALID_DATA_FORMAT if error.status < 500 else errors.INTERNAL_ERROR
    return json_response(request, {"text": error.reason, "code": code}, status=error.status)


POLICY = RoutePolicy(content_types=None, requires_authorization=True,
                     render_error=render_error)

_event, _raw = _submitting(False), _submitting(True)
routes = [
    *(PolicyRoute(path, _event, methods=["POST"], policy=POLICY)
      for path in ("/services/collector", "/services/collector/event",
                   "/services/collector/event/1.0")),
    *(PolicyRoute(path, _raw, methods=["POST"], policy=POLICY)
      for path in ("/services/collector/raw", "/services/collector/raw/1.0")),
    PolicyRoute("/services/collector/ack", ack, methods=["POST"], policy=POLICY),
    *(PolicyRoute(path, health, methods=["GET"], policy=POLICY)
      for path in ("/services/collector/health", "/services/collector/health/1.0")),
]
