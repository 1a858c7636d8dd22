"""Tokens through Splunk's own endpoints (``services/data/inputs/http``, form bodies,
``output_mode=json``) and from the configuration file, with security off: a created token
works at once, edits, disable/enable and deletion hold from the next request, the token's
value is shown only when it is created, and configuration tokens are listed but not
editable."""

from __future__ import annotations

import uuid

import httpx
import pytest

from conftest import Server

from .conftest import TOKENS, send, sources

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BASES = ["/services/data/inputs/http", "/servicesNS/nobody/splunk_httpinput/data/inputs/http"]


@pytest.fixture
def splunk(hec: Server) -> httpx.Client:
    """A client of the management endpoints (they need some ``Authorization``, as Splunk's
    management port: with security off any is taken)."""
    return httpx.Client(base_url=hec.url, auth=("admin", "changeme"), timeout=30,
                        params={"output_mode": "json"})


def entries(answer: httpx.Response) -> dict[str, dict]:
    return {entry["name"]: entry["content"] for entry in answer.json()["entry"]}


@pytest.mark.parametrize("base", BASES)
def test_token_lifecycle_through_splunks_endpoints(hec: Server, splunk: httpx.Client,
                                                   base: str) -> None:
    name = f"web-{base.count('/')}"
    web, web2 = f"hec-{name}", f"hec-{name}-b"
    created = splunk.post(base, content=f"name={name}&index={web}&indexes={web},"
                                        f"{web2}&useACK=1&sourcetype=nginx"
                                        f"&description=edge+proxies", headers=FORM)
    assert created.status_code == 201, created.text
    (entry,) = created.json()["entry"]
    token = entry["content"].pop("token")
    assert entry["name"] == f"http://{name}"
    assert entry["content"] == {"index": web, "indexes": [web, web2],
                                "useACK": True, "disabled": False, "sourcetype": "nginx",
                                "description": "edge proxies", "source": None, "host": None}
    listed = splunk.get(base)
    assert listed.status_code == 200 and token not in listed.text
    assert entries(listed)[f"http://{name}"]["index"] == web
    assert {f"http://{n}" for n in TOKENS} <= set(entries(listed))
    channel = str(uuid.uuid4())
    assert send(hec, token, '{"event": "one"}', channel_id=channel).json() == {
        "text": "Success", "code": 0, "ackId": 0}
    edited = splunk.post(f"{base}/{name}", content=f"useACK=0&index={web2}", headers=FORM)
    assert edited.status_code == 200 and entries(edited)[f"http://{name}"]["useACK"] is False
    assert send(hec, token, '{"event": "two"}').json() == {"text": "Success", "code": 0}
    disabled = splunk.post(f"{base}/http%3A%2F%2F{name}/disable")
    assert disabled.status_code == 200
    assert entries(disabled)[f"http://{name}"]["disabled"] is True
    assert send(hec, token, '{"event": "x"}').json() == {"text": "Token disabled", "code": 1}
    assert splunk.post(f"{base}/{name}/enable").status_code == 200
    assert splunk.get(f"{base}/{name}").json()["entry"][0]["content"]["disabled"] is False
    assert send(hec, token, '{"event": "three"}').json()["code"] == 0
    deleted = splunk.delete(f"{base}/{name}")
    assert deleted.status_code == 200 and f"http://{name}" not in entries(deleted)
    assert send(hec, token, '{"event": "x"}').json() == {"text": "Invalid token", "code": 4}
    assert [d["message"] for d in sources(hec, web)] == ["one"]
    assert [d["message"] for d in sources(hec, web2)] == ["two", "three"]


def test_splunk_endpoint_errors(hec: Server, splunk: httpx.Client) -> None:
    base = BASES[0]
    assert splunk.post(base, content="name=twice", headers=FORM).status_code == 201
    again = splunk.post(base, content="name=twice", headers=FORM)
    assert again.status_code == 409
    assert again.json()["messages"][0]["type"] == "ERROR"
    missing = splunk.get(f"{base}/nothing-here")
    assert missing.status_code == 404 and missing.json()["messages"][0]["type"] == "ERROR"
    nameless = splunk.post(base, content="index=main", headers=FORM)
    assert nameless.status_code == 400
    anonymous = httpx.post(hec.url + base, content="name=anon", headers=FORM, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"messages": [{"type": "WARN",
                                              "text": "call not properly authenticated"}]}


def test_configuration_tokens_are_listed_not_editable(hec: Server,
                                                      splunk: httpx.Client) -> None:
    listed = entries(splunk.get(BASES[0]))
    assert listed["http://limited"] == {
        "index": "hec-allowed", "indexes": ["hec-allowed", "hec-other"], "useACK": False,
        "disabled": False, "description": "", "source": None, "sourcetype": None,
        "host": None}
    for refused in (splunk.post(f"{BASES[0]}/limited", content="index=x", headers=FORM),
                    splunk.post(f"{BASES[0]}/off/enable"),
                    splunk.delete(f"{BASES[0]}/events"),
                    splunk.post(BASES[0], content="name=events", headers=FORM)):
        assert refused.status_code == 400, refused.text
        assert "configuration file" in refused.json()["messages"][0]["text"]
    assert send(hec, TOKENS["off"], '{"event": "x"}').json()["code"] == 1
