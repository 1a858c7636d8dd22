"""The route-policy contract: what a route declares is what the edge enforces.

Protocol endpoints that take types a web page can post (HEC's raw text, the SNS query API's
forms) declare them together with ``requires_authorization``; the UI's API inherits
``osd-xsrf`` from its prefix. Tried on a small app built from the same parts as the server.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.media_types import ES_BODY_TYPES
from loghaven.api.route_policy import (
    DASHBOARDS_API,
    PolicyMount,
    PolicyRoute,
    RoutePolicies,
    RoutePolicy,
)

RAW_TEXT = RoutePolicy(content_types=ES_BODY_TYPES | {"text/plain"}, requires_authorization=True)


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="text/plain")


class Client:
    """Requests straight into the ASGI app (httpx's ASGI transport), no server needed."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                         base_url="http://testserver") as client:
                return await client.request(method, url, **kwargs)

        return anyio.run(send)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


#: Two protocols at one path, told apart by a header (as ``POST /`` tells SNS's forms from
#: Firehose's JSON 1.1): only the page-postable one needs ``Authorization``.
FORMS = RoutePolicy(content_types=frozenset({"application/x-www-form-urlencoded"}),
                    requires_authorization=True)
TARGETED = RoutePolicy(content_types=frozenset({"application/x-amz-json-1.1"}))
BY_HEADER = RoutePolicy(select=lambda request: TARGETED if "x-amz-target" in request.headers
                        else FORMS)


@pytest.fixture(scope="module")
def client() -> Client:
    routes = [
        Route("/rest", echo, methods=["POST"]),
        PolicyRoute("/aws", echo, methods=["POST"], policy=BY_HEADER),
        PolicyRoute("/services/collector/raw", echo, methods=["POST"], policy=RAW_TEXT),
        PolicyMount("/ui/api", policy=DASHBOARDS_API, routes=[
            Route("/things", echo, methods=["GET", "POST"]),
            PolicyRoute("/upload", echo, methods=["POST"], policy=RoutePolicy(
                content_types=frozenset({"multipart/form-data"}), requires_xsrf=True)),
        ]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(RoutePolicies, routes=routes)])
    return Client(app)


def test_the_default_is_elasticsearch_types_only(client: Client) -> None:
    assert client.post("/rest", content=b"{}", headers={"content-type": "application/json"}) \
        .status_code == 200
    refused = client.post("/rest", content=b"x", headers={"content-type": "text/plain"})
    assert refused.status_code == 406
    assert refused.json()["error"] == "Content-Type header [text/plain] is not supported"


def test_a_route_taking_page_postable_types_requires_authorization(client: Client) -> None:
    line = b"GET /index.html 200"
    refused = client.post("/services/collector/raw", content=line,
                          headers={"content-type": "text/plain"})
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "security_exception"
    taken = client.post("/services/collector/raw", content=line,
                        headers={"content-type": "text/plain",
                                 "authorization": "Splunk 00000000-0000-0000-0000-000000000000"})
    assert taken.status_code == 200 and taken.content == line
    other = client.post("/services/collector/raw", content=line,
                        headers={"content-type": "application/x-www-form-urlencoded",
                                 "authorization": "Splunk x"})
    assert other.status_code == 406


def test_a_route_may_pick_each_request_s_policy_by_its_headers(client: Client) -> None:
    json_11 = {"content-type": "application/x-amz-json-1.1", "x-amz-target": "Svc.Op"}
    assert client.post("/aws", content=b"{}", headers=json_11).content == b"{}"
    form = {"content-type": "application/x-www-form-urlencoded"}
    refused = client.post("/aws", content=b"Action=Publish", headers=form)
    assert refused.status_code == 401
    assert client.post("/aws", content=b"Action=Publish",
                       headers={**form, "authorization": "AWS4-HMAC-SHA256 x"}).status_code == 200
    assert client.post("/aws", content=b"{}", headers={
        **form, "content-type": "application/x-amz-json-1.1",
        "authorization": "x"}).status_code == 406  # a form's policy: JSON 1.1 is not its type
    assert client.post("/aws", content=b"x", headers={**json_11, "content-type": "text/plain"}) \
        .status_code == 406


def test_routes_under_the_ui_api_prefix_need_osd_xsrf(client: Client) -> None:
    assert client.get("/ui/api/things").status_code == 200
    refused = client.post("/ui/api/things", json={})
    assert refused.status_code == 400
    assert refused.json()["message"] == "Request must contain a osd-xsrf header."
    assert client.post("/ui/api/things", json={"a": 1},
                       headers={"osd-xsrf": "true"}).json() == {"a": 1}
    assert client.post("/ui/api/things", json={}, headers={"osd-version": "2.11.0"}) \
        .status_code == 200


def test_a_route_under_the_prefix_may_declare_its_own_types(client: Client) -> None:
    files = {"file": ("export.ndjson", b'{"type":"dashboard"}\n')}
    assert client.post("/ui/api/upload", files=files).status_code == 400  # still needs xsrf
    assert client.post("/ui/api/upload", files=files,
                       headers={"osd-xsrf": "true"}).status_code == 200
    assert client.post("/ui/api/upload", json={}, headers={"osd-xsrf": "true"}) \
        .status_code == 406
