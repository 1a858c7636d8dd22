"""SigV4 against a real secure server: access keys through the REST API, requests signed by
real clients (opensearch-py's AWSV4SignerAuth, botocore's SigV4Auth) acting as the key's
owner, and the refusals (wrong secret, stale date, tampered body, unknown service) as 401s
that the audit log records without the signature or the secret."""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections.abc import Iterator
from unittest import mock

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

from conftest import Server

from .test_audit_http import audit_file

KEYS = "/_plugins/_security/api/accesskeys"


@pytest.fixture(scope="module")
def bob(secure: Server) -> Iterator[tuple[str, str]]:
    """A user who may read and write the ``bob-*`` indices."""
    admin = httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30)  # type: ignore[attr-defined]
    name = f"bob-{uuid.uuid4().hex[:6]}"
    assert admin.put(f"/_plugins/_security/api/roles/{name}", json={
        "index_permissions": [{"index_patterns": ["bob-*"], "allowed_actions": [
            "indices_all"]}]}).status_code == 201
    assert admin.put(f"/_plugins/_security/api/internalusers/{name}",
                     json={"password": "Bob-Password-1"}).status_code == 201
    assert admin.put(f"/_plugins/_security/api/rolesmapping/{name}",
                     json={"users": [name]}).status_code == 201
    admin.close()
    yield name, "Bob-Password-1"


def new_key(client: httpx.Client, **body: str) -> dict:
    response = client.post(KEYS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def signed(key: dict, method: str, url: str, *, body: bytes = b"", region: str = "us-east-1",
           service: str = "es", secret: str | None = None,
           headers: dict[str, str] | None = None) -> dict[str, str]:
    """The headers botocore's SigV4Auth adds to a request."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    credentials = Credentials(key["access_key_id"], secret or key["secret_access_key"])
    SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers.items())


def test_access_key_lifecycle(admin: httpx.Client, secure: Server) -> None:
    key = new_key(admin, description="ingest from the CI")
    assert key["access_key_id"].startswith("LHAK") and len(key["access_key_id"]) == 20
    assert len(key["secret_access_key"]) == 40
    assert key["user"] == "admin" and key["description"] == "ingest from the CI"
    listed = admin.get(KEYS).json()["access_keys"]
    assert {k["access_key_id"] for k in listed} >= {key["access_key_id"]}
    assert key["secret_access_key"] not in admin.get(KEYS).text
    one = admin.get(f"{KEYS}/{key['access_key_id']}")
    assert one.json() == {k: v for k, v in key.items() if k != "secret_access_key"}
    url = secure.url + "/_plugins/_security/authinfo"
    assert httpx.get(url, headers=signed(key, "GET", url)).json()["user_name"] == "admin"
    deleted = admin.delete(f"{KEYS}/{key['access_key_id']}")
    assert deleted.json() == {"status": "OK", "message": f"'{key['access_key_id']}' deleted."}
    assert admin.get(f"{KEYS}/{key['access_key_id']}").status_code == 404
    refused = httpx.get(url, headers=signed(key, "GET", url))
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "security_exception"


def test_the_secret_is_sealed_with_a_private_node_key(admin: httpx.Client,
                                                      secure: Server) -> None:
    key = new_key(admin)
    node_key = secure.data_dir / "security" / "credentials.key"
    assert node_key.stat().st_mode & 0o777 == 0o600
    for path in secure.data_dir.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert key["secret_access_key"].encode() not in path.read_bytes(), path


def test_users_manage_their_own_keys(admin: httpx.Client, secure: Server,
                                     bob: tuple[str, str]) -> None:
    name, password = bob
    with httpx.Client(base_url=secure.url, auth=bob, timeout=30) as client:
        own = new_key(client)
        assert own["user"] == name
        for_admin = client.post(KEYS, json={"user": "admin"})
        assert for_admin.status_code == 403
        assert for_admin.json()["error"]["reason"].startswith(
            "no permissions for [restapi:admin/accesskeys]")
        admins = new_key(admin)
        assert {k["user"] for k in client.get(KEYS).json()["access_keys"]} == {name}
        assert client.get(f"{KEYS}/{admins['access_key_id']}").status_code == 404
        assert client.delete(f"{KEYS}/{admins['access_key_id']}").status_code == 404
        # the admin (restapi:admin/*) sees, creates and deletes anyone's
        made = new_key(admin, user=name)
        assert made["user"] == name
        mine = admin.get(KEYS, params={"user": name}).json()["access_keys"]
        assert {k["access_key_id"] for k in mine} == {own["access_key_id"],
                                                      made["access_key_id"]}
        assert admin.delete(f"{KEYS}/{made['access_key_id']}").status_code == 200
    url = secure.url + f"{KEYS}"
    minted = httpx.post(url, content=b"{}", headers=signed(
        own, "POST", url, body=b"{}", headers={"Content-Type": "application/json"}))
    assert minted.status_code == 403  # a credential does not mint credentials
    assert password not in minted.text


def test_opensearch_py_with_awsv4signerauth(secure: Server, bob: tuple[str, str]) -> None:
    with httpx.Client(base_url=secure.url, auth=bob, timeout=30) as client:
        key = new_key(client)
    credentials = Credentials(key["access_key_id"], key["secret_access_key"])
    for service in ("es", "aoss"):
        os_client = OpenSearch(hosts=[secure.url], connection_class=RequestsHttpConnection,
                               http_auth=AWSV4SignerAuth(credentials, "eu-west-3", service))
        index = f"bob-{service}"
        os_client.index(index=index, id="1", body={"message": "hello wörld & friends"},
                        params={"refresh": "true"})
        assert os_client.get(index=index, id="1")["_source"] == {"message": "hello wörld & friends"}
        found = os_client.search(index=index, params={"q": 'message:"wörld & friends"'})
        assert found["hits"]["total"]["value"] == 1
        denied = os_client.transport.perform_request("GET", "/other/_search",
                                                     params={"ignore": 403})
        assert denied["error"]["type"] == "security_exception"
        assert bob[0] in denied["error"]["reason"]


def test_botocore_signed_requests(secure: Server, bob: tuple[str, str]) -> None:
    with httpx.Client(base_url=secure.url, auth=bob, timeout=30) as client:
        key = new_key(client)
    body = json.dumps({"message": "signed body", "tags": ["a b", "c&d"]}).encode()
    url = secure.url + "/bob-signed/_doc/a%20b%2Fc?refresh=true&pipeline="
    response = httpx.put(url, content=body, headers={
        **signed(key, "PUT", url, body=body, service="firehose",
                 headers={"Content-Type": "application/json"})})
    assert response.status_code == 201, response.text
    assert response.json()["_id"] == "a b/c"
    query = "/bob-signed/_search?q=message%3A%22signed%20body%22&size=5&_source=tag*"
    url = secure.url + query
    found = httpx.get(url, headers=signed(key, "GET", url, service="sns", region="ap-south-1"))
    assert found.status_code == 200, found.text
    assert [h["_source"] for h in found.json()["hits"]["hits"]] == [{"tags": ["a b", "c&d"]}]
    # botocore's own canonical query (AWS's: from parameters, a space as %20), as the SDKs
    request = AWSRequest(method="GET", url=secure.url + "/bob-signed/_search",
                         params={"q": 'tags:"a b" OR tags:c&d*', "size": "1"})
    SigV4Auth(Credentials(key["access_key_id"], key["secret_access_key"]), "es",
              "us-west-2").add_auth(request)
    prepared = request.prepare()
    by_params = httpx.get(prepared.url, headers=dict(prepared.headers.items()))
    assert by_params.json()["hits"]["total"]["value"] == 1, by_params.text
    # X-Amz-Content-Sha256 sent and signed, as the OpenSearch Service asks for
    url = secure.url + "/bob-signed/_count"
    counted = httpx.post(url, content=b'{"query":{"match_all":{}}}', headers=signed(
        key, "POST", url, body=b'{"query":{"match_all":{}}}', headers={
            "Content-Type": "application/json",
            "X-Amz-Content-Sha256": SigV4Auth.payload(
                SigV4Auth(Credentials("a", "b"), "es", "x"),
                AWSRequest(method="POST", url=url, data=b'{"query":{"match_all":{}}}'))}))
    assert counted.json()["count"] == 1


def refusal(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["type"] == "security_exception"
    assert error["reason"].startswith(reason), error["reason"]


def refused_events(server: Server, path: str, count: int) -> str:
    """The audit file once it holds ``count`` failed SigV4 logins on ``path``."""
    deadline = time.monotonic() + 20
    while True:
        text = audit_file(server).read_text() if audit_file(server).exists() else ""
        events = [json.loads(line) for line in text.splitlines()]
        failed = [e for e in events if e["audit_category"] == "FAILED_LOGIN"
                  and e["audit_rest_request_path"] == path
                  and e.get("audit_request_reason", "").startswith("sigv4: ")]
        if len(failed) >= count or time.monotonic() > deadline:
            assert len(failed) == count, failed
            return text
        time.sleep(0.2)


def test_wrong_stale_tampered_or_foreign_signatures(secure: Server,
                                                    bob: tuple[str, str]) -> None:
    with httpx.Client(base_url=secure.url, auth=bob, timeout=30) as client:
        key = new_key(client)
    url = secure.url + "/bob-refused/_doc/1"
    body = b'{"n": 1}'
    json_type = {"Content-Type": "application/json"}
    mismatch = "The request signature we calculated does not match"
    wrong = signed(key, "PUT", url, body=body, secret="x" * 40, headers=json_type)
    refusal(httpx.put(url, content=body, headers=wrong), mismatch)
    stale = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    with mock.patch("botocore.auth.get_current_datetime", return_value=stale):
        old = signed(key, "PUT", url, body=body, headers=json_type)
    refusal(httpx.put(url, content=body, headers=old), "Signature expired")
    within = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    with mock.patch("botocore.auth.get_current_datetime", return_value=within):
        recent = signed(key, "PUT", url, body=body, headers=json_type)
    assert httpx.put(url, content=body, headers=recent).status_code == 201
    good = signed(key, "PUT", url, body=body, headers=json_type)
    refusal(httpx.put(url, content=b'{"n": 2}', headers=good), mismatch)
    refusal(httpx.put(url + "?refresh=true", content=body, headers=good), mismatch)
    hashed = signed(key, "PUT", url, body=body, headers={
        **json_type, "X-Amz-Content-Sha256": "0" * 64})
    refusal(httpx.put(url, content=body, headers=hashed),
            "The provided 'x-amz-content-sha256' header does not match")
    unsigned = signed(key, "PUT", url, body=body, headers={
        **json_type, "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"})
    refusal(httpx.put(url, content=body, headers=unsigned), "Payloads must be signed")
    refusal(httpx.put(url, content=body, headers=signed(key, "PUT", url, body=body,
                                                        service="s3", headers=json_type)),
            "Credential should be scoped to correct service")
    unknown = signed({**key, "access_key_id": "LHAK" + "A" * 16}, "PUT", url, body=body,
                     headers=json_type)
    refusal(httpx.put(url, content=body, headers=unknown),
            "The security token included in the request is invalid")
    text = refused_events(secure, "/bob-refused/_doc/1", 8)
    for headers in (wrong, old, good, hashed, unknown):
        signature = headers["Authorization"].rpartition("Signature=")[2]
        assert signature not in text
    assert key["secret_access_key"] not in text
