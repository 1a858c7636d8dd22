"""HEC with security on: the guard authenticates ``Authorization: Splunk <token>`` on the
collector's routes and the events are written as the token's owner, limited to the token's
indexes; its refusals are Splunk's codes. Tokens are managed through Splunk's endpoints by
their owners (others' need ``restapi:admin/hectokens``), and configuration tokens act as
their ``user``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from security.conftest import SecureServer, role_user

from .conftest import configured, send

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
INPUTS = "/services/data/inputs/http"
SERVICE_TOKEN = "7d1c9a52-3a55-4b7e-9b8e-0c3c2b1d4e5f"


class HecSecureServer(SecureServer):
    def __init__(self, data_dir: Path) -> None:
        configured(data_dir, {"hec": {"tokens": [
            {"name": "service", "token": SERVICE_TOKEN, "user": "admin",
             "index": "hec-service"}]}})
        super().__init__(data_dir)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HecSecureServer]:
    instance = HecSecureServer(tmp_path_factory.mktemp("hec-secure") / "data").start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def admin(server: HecSecureServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def sender(server: HecSecureServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    """A user who may write (and create) indices ``hec-a*`` only."""
    client = role_user(server, admin, "sender", {"index_permissions": [{
        "index_patterns": ["hec-a*"],
        "allowed_actions": ["indices:data/write/index", "indices:admin/create"]}]})
    yield client
    client.close()


@pytest.fixture(scope="module")
def token(sender: httpx.Client) -> str:
    created = sender.post(INPUTS, content="name=sender-token&index=hec-a1"
                                          "&indexes=hec-a1,hec-b1&useACK=true", headers=FORM)
    assert created.status_code == 201, created.text
    return created.json()["entry"][0]["content"]["token"]


def count(admin: httpx.Client, index: str) -> int:
    assert admin.post(f"/{index}/_refresh").status_code == 200
    return admin.get(f"/{index}/_count").json()["count"]


def test_events_are_written_as_the_tokens_owner(server: HecSecureServer, admin: httpx.Client,
                                                token: str) -> None:
    channel = str(uuid.uuid4())
    sent = send(server, token, '{"event": "a"}{"event": "b", "index": "hec-a1"}',
                channel_id=channel)
    assert sent.json() == {"text": "Success", "code": 0, "ackId": 0}
    assert send(server, token, '{"acks": [0]}', path="ack", channel_id=channel).status_code \
        == 200
    assert count(admin, "hec-a1") == 2
    # allowed by the token, not by the owner's roles; allowed by neither
    for index in ("hec-b1", "hec-c1"):
        refused = send(server, token, f'{{"event": "x", "index": "{index}"}}',
                       channel_id=channel)
        assert (refused.status_code, refused.json()) == (
            400, {"text": "Incorrect index", "code": 7, "invalid-event-number": 0})
    assert admin.get("/hec-b1").status_code == 404


def test_configuration_tokens_act_as_their_user(server: HecSecureServer,
                                                admin: httpx.Client) -> None:
    assert send(server, SERVICE_TOKEN, '{"event": "svc"}').json() == {"text": "Success",
                                                                      "code": 0}
    assert count(admin, "hec-service") == 1
    listed = admin.get("/_plugins/_security/api/hectokens").json()
    assert listed["service"]["origin"] == "config" and listed["service"]["user"] == "admin"


def test_the_guards_refusals_are_splunks(server: HecSecureServer, admin: httpx.Client,
                                         token: str) -> None:
    cases = [
        ({}, 401, {"text": "Token is required", "code": 2}),
        ({"Authorization": "Splunk 0b7c1d8e-0000-4000-8000-0000000000aa"}, 403,
         {"text": "Invalid token", "code": 4}),
        ({"Authorization": "Basic " + httpx.BasicAuth(*server.auth)._auth_header
          .split(" ", 1)[1]}, 401, {"text": "Invalid authorization", "code": 3}),
        ({"Authorization": "Basic YWRtaW46d3Jvbmc="}, 401,
         {"text": "Invalid authorization", "code": 3}),
    ]
    for headers, status, answer in cases:
        refused = send(server, None, '{"event": "x"}', headers=headers)
        assert (refused.status_code, refused.json()) == (status, answer), headers
    assert admin.post(f"{INPUTS}/sender-token/disable").status_code == 200
    refused = send(server, token, '{"event": "x"}')
    assert (refused.status_code, refused.json()) == (403, {"text": "Token disabled",
                                                           "code": 1})
    assert admin.post(f"{INPUTS}/sender-token/enable").status_code == 200
    health = httpx.get(server.url + "/services/collector/health", timeout=10)
    assert health.json() == {"text": "HEC is healthy", "code": 17}


def test_owners_manage_their_own_tokens(server: HecSecureServer, admin: httpx.Client,
                                        sender: httpx.Client, token: str) -> None:
    own = {e["name"] for e in sender.get(INPUTS).json()["entry"]}
    assert own == {"http://sender-token"}
    everyone = {e["name"] for e in admin.get(INPUTS).json()["entry"]}
    assert {"http://sender-token", "http://service"} <= everyone
    assert admin.get(f"{INPUTS}/sender-token").json()["entry"][0]["author"] == "sender"
    assert admin.post(INPUTS, content="name=admins-token", headers=FORM).status_code == 201
    refused = sender.post(f"{INPUTS}/admins-token", content="index=x", headers=FORM)
    assert refused.status_code == 403
    assert refused.json()["messages"][0]["text"].startswith(
        "no permissions for [restapi:admin/hectokens]")
    assert httpx.get(server.url + INPUTS, timeout=10).status_code == 401
