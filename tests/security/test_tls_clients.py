"""Clients that other people wrote, over HTTPS with the CA from ``loghaven certs``: they verify
the server's certificate (never with verification off) and index and search through it."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import HttpsServer, make_ssl_context, printed_admin_passwords


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory,
                 tls_certs: Path) -> Iterator[HttpsServer]:
    instance = HttpsServer(tmp_path_factory.mktemp("tls-clients") / "data", tls_certs,
                           "--elastic-product-header").start()
    yield instance
    instance.stop()


@pytest.fixture
def index() -> str:
    return f"tls-{uuid.uuid4().hex[:8]}"


def test_opensearch_py(https_server: HttpsServer, index: str) -> None:
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[{"host": "localhost", "port": https_server.port}],
                        use_ssl=True, verify_certs=True, ca_certs=str(https_server.ca))
    assert client.info()["version"]["distribution"] == "opensearch"
    client.index(index=index, body={"msg": "over tls"}, id="1", refresh=True)
    hits = client.search(index=index, body={"query": {"match": {"msg": "tls"}}})["hits"]
    assert hits["total"]["value"] == 1


def test_opensearch_py_without_the_ca_fails_verification(https_server: HttpsServer) -> None:
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import SSLError

    client = OpenSearch(hosts=[{"host": "localhost", "port": https_server.port}],
                        use_ssl=True, verify_certs=True, max_retries=0)
    with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        client.info()


def test_elasticsearch_8(https_server: HttpsServer, index: str) -> None:
    from elasticsearch import Elasticsearch

    with Elasticsearch(https_server.url, ca_certs=str(https_server.ca)) as client:
        client.index(index=index, document={"msg": "over tls"}, id="1", refresh=True)
        result = client.search(index=index, query={"match": {"msg": "tls"}})
        assert result["hits"]["total"]["value"] == 1


def test_elasticsearch_8_without_the_ca_fails_verification(https_server: HttpsServer) -> None:
    from elastic_transport import TlsError
    from elasticsearch import Elasticsearch

    with Elasticsearch(https_server.url, max_retries=0) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TlsError) as raised:
            client.info()
    assert "CERTIFICATE_VERIFY_FAILED" in repr(raised.value)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl(https_server: HttpsServer, index: str) -> None:
    def curl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["curl", "-sS", "--cacert", str(https_server.ca), *args],
                              capture_output=True, text=True, timeout=30)

    put = curl("-X", "PUT", "-H", "Content-Type: application/json", "-d", '{"msg":"over tls"}',
               f"{https_server.url}/{index}/_doc/1?refresh=true")
    assert put.returncode == 0, put.stderr
    found = curl(f"{https_server.url}/{index}/_search?q=msg:tls")
    assert json.loads(found.stdout)["hits"]["total"]["value"] == 1
    refused = subprocess.run(["curl", "-sS", f"{https_server.url}/"], capture_output=True,
                             text=True, timeout=30)
    assert refused.returncode == 60  # peer certificate cannot be authenticated


def test_httpx(https_server: HttpsServer, index: str) -> None:
    with httpx.Client(base_url=https_server.url, verify=make_ssl_context(https_server.ca),
                      timeout=30) as client:
        assert client.put(f"/{index}/_doc/1", params={"refresh": "true"},
                          json={"msg": "over tls"}).status_code == 201
        body = client.post(f"/{index}/_search", json={"query": {"match": {"msg": "tls"}}})
        assert body.json()["hits"]["total"]["value"] == 1
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(https_server.url + "/", timeout=5)


# --- with security on: the same clients authenticate over TLS --------------------------------


@pytest.fixture(scope="module")
def secure_server(tmp_path_factory: pytest.TempPathFactory,
                  tls_certs: Path) -> Iterator[tuple[HttpsServer, str]]:
    instance = HttpsServer(tmp_path_factory.mktemp("tls-secure") / "data", tls_certs,
                           "--secure", "--elastic-product-header").start()
    (password,) = printed_admin_passwords(instance)
    yield instance, password
    instance.stop()


def test_opensearch_py_with_http_auth(secure_server: tuple[HttpsServer, str],
                                      index: str) -> None:
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import AuthenticationException

    server, password = secure_server
    hosts = [{"host": "localhost", "port": server.port}]
    client = OpenSearch(hosts=hosts, use_ssl=True, ca_certs=str(server.ca),
                        http_auth=("admin", password))
    client.index(index=index, body={"msg": "over tls"}, id="1", refresh=True)
    assert client.search(index=index, q="msg:tls")["hits"]["total"]["value"] == 1
    anonymous = OpenSearch(hosts=hosts, use_ssl=True, ca_certs=str(server.ca))
    with pytest.raises(AuthenticationException):
        anonymous.search(index=index)


def test_elasticsearch_8_with_basic_auth(secure_server: tuple[HttpsServer, str],
                                         index: str) -> None:
    from elasticsearch import AuthenticationException, Elasticsearch

    server, password = secure_server
    with Elasticsearch(server.url, ca_certs=str(server.ca),
                       basic_auth=("admin", password)) as client:
        client.index(index=index, document={"msg": "over tls"}, id="1", refresh=True)
        assert client.search(index=index, q="msg:tls")["hits"]["total"]["value"] == 1
    with Elasticsearch(server.url, ca_certs=str(server.ca),
                       basic_auth=("admin", "not-the-password")) as client, \
            pytest.raises(AuthenticationException):
        client.search(index=index)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_with_a_user(secure_server: tuple[HttpsServer, str], index: str) -> None:
    server, password = secure_server

    def curl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["curl", "-sS", "--cacert", str(server.ca), *args],
                              capture_output=True, text=True, timeout=30)

    put = curl("-u", f"admin:{password}", "-X", "PUT", "-H", "Content-Type: application/json",
               "-d", '{"msg":"over tls"}', f"{server.url}/{index}/_doc/1?refresh=true")
    assert json.loads(put.stdout)["result"] == "created", put.stdout + put.stderr
    found = curl("-u", f"admin:{password}", f"{server.url}/{index}/_search?q=msg:tls")
    assert json.loads(found.stdout)["hits"]["total"]["value"] == 1
    denied = curl("-w", "%{http_code}", "-o", "/dev/null", f"{server.url}/{index}/_search")
    assert denied.stdout == "401"


def test_elasticsearch_8_with_an_api_key(secure_server: tuple[HttpsServer, str],
                                         index: str) -> None:
    from elasticsearch import AuthenticationException, Elasticsearch

    server, password = secure_server
    with Elasticsearch(server.url, ca_certs=str(server.ca),
                       basic_auth=("admin", password)) as admin:
        key = admin.security.create_api_key(name="tls-shipper")
        admin.index(index=index, document={"msg": "over tls"}, id="1", refresh=True)
    with Elasticsearch(server.url, ca_certs=str(server.ca), api_key=key["encoded"]) as client:
        assert client.search(index=index, q="msg:tls")["hits"]["total"]["value"] == 1
    with Elasticsearch(server.url, ca_certs=str(server.ca),
                       api_key=(key["id"], "not-the-key")) as client, \
            pytest.raises(AuthenticationException):
        client.search(index=index)
