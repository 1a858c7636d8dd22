"""The HTTP edge against a real server: what a web page, a rebinding name or a stray client
may not do (content types, Host, Origin, CORS), and the headers every answer carries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Server

DOCS = b'{"index":{}}\n{"a":1}\n{"index":{}}\n{"a":2}\n'
NDJSON = {"content-type": "application/x-ndjson"}
MATCH_ALL = b'{"query":{"match_all":{}}}'


def count(es: httpx.Client, index: str) -> int:
    es.post(f"/{index}/_refresh")
    return es.get(f"/{index}/_count").json()["count"]


@pytest.fixture
def loaded(es: httpx.Client, index_name: str) -> str:
    assert es.post(f"/{index_name}/_bulk?refresh=true", content=DOCS,
                   headers=NDJSON).status_code == 200
    return index_name


@pytest.mark.parametrize(("headers", "shown"), [
    ({"content-type": "text/plain"}, "[text/plain]"),
    ({"content-type": "text/plain;charset=UTF-8"}, "[text/plain;charset=UTF-8]"),
    ({"content-type": "application/x-www-form-urlencoded"},
     "[application/x-www-form-urlencoded]"),
    ({"content-type": "multipart/form-data; boundary=x"}, "[multipart/form-data; boundary=x]"),
    ({"content-type": "application/yaml"}, "[application/yaml]"),
])
def test_a_body_in_a_type_a_page_can_post_deletes_and_writes_nothing(
        es: httpx.Client, loaded: str, headers: dict[str, str], shown: str) -> None:
    response = es.post(f"/{loaded}/_delete_by_query", content=MATCH_ALL, headers=headers)
    assert response.status_code == 406
    assert response.json() == {"error": f"Content-Type header {shown} is not supported",
                               "status": 406}
    response = es.post("/_bulk?refresh=true", content=f'{{"index":{{"_index":"{loaded}"}}}}\n'
                       '{"a":3}\n'.encode(), headers=headers)
    assert response.status_code == 406
    assert count(es, loaded) == 2


def test_a_body_without_content_type_is_refused(es: httpx.Client, loaded: str) -> None:
    response = es.post(f"/{loaded}/_delete_by_query", content=MATCH_ALL)
    assert response.status_code == 406
    assert response.json() == {"error": "Content-Type header is missing", "status": 406}

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        yield MATCH_ALL

    response = es.post(f"/{loaded}/_delete_by_query", content=chunks())
    assert response.status_code == 406
    assert count(es, loaded) == 2


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON",
    "application/x-ndjson", "application/vnd.elasticsearch+json; compatible-with=8",
    "application/vnd.elasticsearch+x-ndjson; compatible-with=9",
])
def test_elasticsearch_content_types_are_taken(es: httpx.Client, loaded: str,
                                                content_type: str) -> None:
    response = es.post(f"/{loaded}/_search", content=MATCH_ALL,
                       headers={"content-type": content_type})
    assert response.status_code == 200
    assert response.json()["hits"]["total"]["value"] == 2


def test_requests_without_a_body_need_no_content_type(es: httpx.Client, loaded: str) -> None:
    assert es.get(f"/{loaded}/_count").status_code == 200
    assert es.head(f"/{loaded}").status_code == 200
    assert es.post(f"/{loaded}/_refresh").status_code == 200
    # a JSON body on GET, as elasticdump sends it, is fine with its content type
    response = es.request("GET", f"/{loaded}/_search", content=MATCH_ALL,
                          headers={"content-type": "application/json"})
    assert response.json()["hits"]["total"]["value"] == 2
    assert es.delete(f"/{loaded}").status_code == 200


def test_options_answers_with_the_allowed_methods(es: httpx.Client) -> None:
    response = es.options("/_bulk")
    assert response.status_code == 200 and response.content == b""
    assert set(response.headers["allow"].split(",")) >= {"POST", "PUT"}
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:9200",
                                  "127.0.0.1.attacker.example", "localhost.attacker.example"])
def test_a_foreign_host_name_is_refused(es: httpx.Client, loaded: str, host: str) -> None:
    response = es.post(f"/{loaded}/_delete_by_query?q=*", headers={"host": host})
    assert response.status_code == 421
    error = response.json()["error"]
    assert error["type"] == "illegal_argument_exception"
    assert f"Host [{host}]" in error["reason"] and "http.allowed_hosts" in error["reason"]
    assert es.get("/", headers={"host": host}).status_code == 421
    assert count(es, loaded) == 2


def test_own_names_and_addresses_are_accepted(es: httpx.Client, server: Server) -> None:
    for host in ("127.0.0.1", f"127.0.0.1:{server.port}", f"localhost:{server.port}",
                 "localhost", f"[::1]:{server.port}", "LOCALHOST", "app.localhost"):
        assert es.get("/", headers={"host": host}).status_code == 200, host


def test_allowed_hosts_setting_adds_names(tmp_path: Path) -> None:
    (tmp_path / "loghaven.yml").write_text(
        "http.allowed_hosts: [logs.example.com, .corp.example]\n")
    server = Server(tmp_path / "data").start()
    try:
        for host, status in (("logs.example.com:9200", 200), ("a.corp.example", 200),
                             ("corp.example", 200), ("other.example", 421)):
            assert httpx.get(server.url + "/", headers={"host": host}).status_code == status
    finally:
        server.stop()


def test_a_foreign_origin_may_not_change_data(es: httpx.Client, server: Server,
                                              loaded: str) -> None:
    for origin in ("http://attacker.example", "http://127.0.0.1:1", "null"):
        response = es.post(f"/{loaded}/_delete_by_query?q=*", headers={"origin": origin})
        assert response.status_code == 403, origin
        assert response.json()["error"]["type"] == "security_exception"
        assert "access-control-allow-origin" not in response.headers
    assert count(es, loaded) == 2
    # the UI's own page is same-origin and may
    response = es.post(f"/{loaded}/_delete_by_query?q=a:1&refresh=true",
                       headers={"origin": server.url})
    assert response.status_code == 200 and response.json()["deleted"] == 1


def test_cors_is_off_by_default(es: httpx.Client) -> None:
    preflight = es.options("/_search", headers={"origin": "http://app.example",
                                                "access-control-request-method": "POST"})
    assert preflight.status_code == 200
    assert not any(h.startswith("access-control-") for h in preflight.headers)
    response = es.get("/", headers={"origin": "http://app.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_settings_enable_it_as_in_elasticsearch(tmp_path: Path) -> None:
    (tmp_path / "loghaven.yml").write_text(
        "http.cors:\n  enabled: true\n  allow-origin: /https?:\\/\\/app\\.example(:[0-9]+)?/\n"
        "  allow-credentials: true\n")
    server = Server(tmp_path / "data").start()
    try:
        with httpx.Client(base_url=server.url) as client:
            ok = "https://app.example:8443"
            preflight = client.options("/_search", headers={
                "origin": ok, "access-control-request-method": "POST"})
            assert preflight.status_code == 200
            headers = preflight.headers
            assert headers["access-control-allow-origin"] == ok
            assert headers["vary"].lower() == "origin"
            assert headers["access-control-allow-methods"] == "OPTIONS,HEAD,GET,POST,PUT,DELETE"
            assert headers["access-control-allow-headers"] == \
                "X-Requested-With,Content-Type,Content-Length"
            assert headers["access-control-max-age"] == "1728000"
            assert headers["access-control-allow-credentials"] == "true"
            response = client.get("/", headers={"origin": ok})
            assert response.headers["access-control-allow-origin"] == ok
            assert response.headers["access-control-expose-headers"] == "X-elastic-product"

            bad = {"origin": "https://attacker.example", "access-control-request-method": "POST"}
            refused = client.options("/_search", headers=bad)
            assert refused.status_code == 403 and refused.content == b""
            assert "access-control-allow-origin" not in refused.headers
            assert client.get("/", headers={"origin": bad["origin"]}).status_code == 403
            assert client.get("/").status_code == 200  # no Origin: not a browser, not CORS
    finally:
        server.stop()


def test_every_answer_is_nosniff_and_the_ui_has_a_csp(es: httpx.Client) -> None:
    for path in ("/", "/_cat/indices", "/no-such-index/_doc/1", "/_dashboards/",
                 "/_dashboards/app.js"):
        response = es.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
    csp = es.get("/_dashboards/").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "content-security-policy" not in es.get("/").headers
    refused = es.post("/_search", content=b"{}", headers={"content-type": "text/plain"})
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_the_ui_api_requires_osd_xsrf_for_changes(es: httpx.Client) -> None:
    status = es.get("/_dashboards/api/status")
    assert status.status_code == 200
    assert status.json()["status"]["overall"]["state"] == "green"
    refused = es.post("/_dashboards/api/status", json={})
    assert refused.status_code == 400
    assert refused.json() == {"statusCode": 400, "error": "Bad Request",
                              "message": "Request must contain a osd-xsrf header."}
    # with the header the request goes on to routing (this route only reads)
    assert es.post("/_dashboards/api/status", json={},
                   headers={"osd-xsrf": "true"}).status_code == 405
