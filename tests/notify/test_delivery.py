"""``feature/test/{config_id}`` delivering through each transport to real receivers on
loopback (a recording HTTP server, aiosmtpd), with OpenSearch's event response; retries of
dead destinations; secrets kept out of answers and the server log."""

from __future__ import annotations

import email
import email.policy
import itertools
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import Server, WebhookReceiver, free_port

from .conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer

BASE = "/_plugins/_notifications"
_ids = itertools.count()
TITLE = "Test Message Title-{}"
TEXT = "Test message content body for config id {}"


def _create(client: httpx.Client, config_type: str, data: dict[str, Any], **extra: Any) -> str:
    config_id = f"{config_type}-{next(_ids)}"
    response = client.post(f"{BASE}/configs", json={"config_id": config_id, "config": {
        "name": f"{config_type} channel", "config_type": config_type, config_type: data,
        **extra}})
    assert response.status_code == 200, response.text
    return config_id


def _test(client: httpx.Client, config_id: str, method: str = "POST") -> dict[str, Any]:
    response = client.request(method, f"{BASE}/feature/test/{config_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["event_source"] == {"title": TITLE.format(config_id),
                                    "reference_id": config_id, "severity": "info",
                                    "tags": []}
    [status] = body["status_list"]
    assert status["config_id"] == config_id
    return status


@pytest.mark.parametrize(("config_type", "key"), [
    ("slack", "text"), ("microsoft_teams", "text"), ("chime", "Content")])
def test_vendor_webhooks(client: httpx.Client, receiver: WebhookReceiver, config_type: str,
                         key: str) -> None:
    config_id = _create(client, config_type, {"url": f"{receiver.url}/services/T1/B1/tok"})
    status = _test(client, config_id, method="GET")
    assert status["delivery_status"] == {"status_code": "200", "status_text": "ok"}
    assert (status["config_type"], status["config_name"]) == (config_type,
                                                             f"{config_type} channel")
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/services/T1/B1/tok")
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == {
        key: f"{TITLE.format(config_id)}\n\n{TEXT.format(config_id)}"}


def test_custom_webhook(client: httpx.Client, receiver: WebhookReceiver) -> None:
    config_id = _create(client, "webhook", {
        "url": f"{receiver.url}/hook?fixed=1", "method": "PATCH",
        "header_params": {"Content-Type": "text/plain", "Authorization": "Bearer hook-secret"},
        "parameters": {"token": "query-secret"}})
    receiver.reply = b""
    status = _test(client, config_id)
    assert status["delivery_status"] == {"status_code": "200", "status_text": "{}"}
    [request] = receiver.requests
    assert request.method == "PATCH"
    assert request.path == "/hook?fixed=1&token=query-secret"
    assert request.headers["authorization"] == "Bearer hook-secret"
    assert request.headers["content-type"] == "text/plain"
    assert request.body.decode() == TEXT.format(config_id)


def test_secrets_kept_through_an_update(client: httpx.Client,
                                        receiver: WebhookReceiver) -> None:
    config_id = _create(client, "webhook", {
        "url": f"{receiver.url}/kept-path?k=kept-query",
        "header_params": {"Authorization": "kept-header"}})
    shown = client.get(f"{BASE}/configs/{config_id}").json()["config_list"][0]["config"]
    assert "kept" not in orjson.dumps(shown).decode()
    response = client.put(f"{BASE}/configs/{config_id}",
                          json={"config": {**shown, "name": "renamed"}})
    assert response.status_code == 200, response.text
    assert _test(client, config_id)["config_name"] == "renamed"
    [request] = receiver.requests
    assert request.path == "/kept-path?k=kept-query"
    assert request.headers["authorization"] == "kept-header"


def test_dead_webhook_retried_then_reported(client: httpx.Client,
                                            receiver: WebhookReceiver) -> None:
    receiver.status, receiver.reply = 503, b"down for maintenance"
    config_id = _create(client, "webhook", {"url": f"{receiver.url}/hook"})
    status = _test(client, config_id)
    assert status["delivery_status"] == {
        "status_code": "500",
        "status_text": "Failed to send message Failed: 503 down for maintenance"}
    assert len(receiver.requests) == 3  # notifications.retry.attempts

    # a refusal is not retried
    receiver.requests.clear()
    receiver.status, receiver.reply = 400, b"bad payload"
    assert _test(client, config_id)["delivery_status"]["status_code"] == "500"
    assert len(receiver.requests) == 1

    # nothing listening
    unreachable = _create(client, "webhook", {"url": f"http://127.0.0.1:{free_port()}/x"})
    delivery = _test(client, unreachable)["delivery_status"]
    assert delivery["status_code"] == "500"
    assert delivery["status_text"].startswith("Failed to send message")


def test_muted_channel(client: httpx.Client, receiver: WebhookReceiver) -> None:
    config_id = _create(client, "webhook", {"url": f"{receiver.url}/hook"}, is_enabled=False)
    assert _test(client, config_id)["delivery_status"] == {
        "status_code": "423", "status_text": "The channel is muted"}
    assert receiver.requests == []


def test_test_unknown_config(client: httpx.Client) -> None:
    response = client.post(f"{BASE}/feature/test/never-made")
    assert response.status_code == 404
    assert response.json()["error"]["reason"] == "NotificationConfig never-made not found"


def _messages(server: SmtpServer) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(envelope.content, policy=email.policy.default)
            for envelope in server.mailbox.envelopes]


def test_email_plain_with_group_expanded(client: httpx.Client, smtp: SmtpServer) -> None:
    account = _create(client, "smtp_account", {"host": "127.0.0.1", "port": smtp.port,
                                               "method": "none",
                                               "from_address": "alerts@example.com"})
    group = _create(client, "email_group", {"recipient_list": [
        {"recipient": "team@example.com"}, {"recipient": "refused@example.com"}]})
    channel = _create(client, "email", {"email_account_id": account,
                                        "recipient_list": [{"recipient": "me@example.com"}],
                                        "email_group_id_list": [group]})
    status = _test(client, channel)
    by_recipient = {item["recipient"]: item["delivery_status"]
                    for item in status["email_recipient_status"]}
    assert by_recipient["me@example.com"] == {"status_code": "200", "status_text": "Success"}
    assert by_recipient["team@example.com"] == {"status_code": "200", "status_text": "Success"}
    refused = by_recipient["refused@example.com"]
    assert refused["status_code"] == "502"
    assert "mailbox unavailable" in refused["status_text"]
    assert status["delivery_status"] == refused  # the overall status is the failure's
    messages = _messages(smtp)
    assert sorted(message["To"] for message in messages) == ["me@example.com",
                                                             "team@example.com"]
    assert {message["Subject"] for message in messages} == {TITLE.format(channel)}
    assert {message["From"] for message in messages} == {"alerts@example.com"}
    plain = messages[0].get_body(("plain",))
    assert plain is not None and plain.get_content().strip() == TEXT.format(channel)
    assert messages[0].get_body(("html",)) is not None


def test_email_starttls_with_auth(client: httpx.Client, smtp_starttls: SmtpServer) -> None:
    account = {"host": "127.0.0.1", "port": smtp_starttls.port, "method": "start_tls",
               "from_address": "alerts@example.com", "username": SMTP_USER,
               "password": SMTP_PASSWORD}
    account_id = _create(client, "smtp_account", account)
    shown = client.get(f"{BASE}/configs/{account_id}").json()["config_list"][0]["config"]
    assert shown["smtp_account"]["password"] == "*****"
    channel = _create(client, "email", {"email_account_id": account_id,
                                        "recipient_list": [{"recipient": "me@example.com"}]})
    assert _test(client, channel)["delivery_status"] == {"status_code": "200",
                                                        "status_text": "Success"}
    assert [message["To"] for message in _messages(smtp_starttls)] == ["me@example.com"]

    # a wrong password: refused by the server, not retried into a lockout, never echoed
    wrong = _create(client, "smtp_account", {**account, "password": "Wrong-Passw0rd-xyz"})
    channel = _create(client, "email", {"email_account_id": wrong,
                                        "recipient_list": [{"recipient": "me@example.com"}]})
    status = _test(client, channel)
    assert status["delivery_status"]["status_code"] == "424"
    assert "Wrong-Passw0rd-xyz" not in str(status)
    assert len(_messages(smtp_starttls)) == 1


def test_email_ssl(client: httpx.Client, smtp_ssl: SmtpServer) -> None:
    account = _create(client, "smtp_account", {"host": "127.0.0.1", "port": smtp_ssl.port,
                                               "method": "ssl",
                                               "from_address": "alerts@example.com"})
    channel = _create(client, "email", {"email_account_id": account,
                                        "recipient_list": [{"recipient": "ssl@example.com"}]})
    assert _test(client, channel)["delivery_status"]["status_code"] == "200"
    assert [message["To"] for message in _messages(smtp_ssl)] == ["ssl@example.com"]


def test_dead_smtp_server_reported(client: httpx.Client) -> None:
    account = _create(client, "smtp_account", {"host": "127.0.0.1", "port": free_port(),
                                               "method": "none",
                                               "from_address": "alerts@example.com"})
    channel = _create(client, "email", {"email_account_id": account,
                                        "recipient_list": [{"recipient": "me@example.com"}]})
    status = _test(client, channel)
    assert status["delivery_status"]["status_code"] == "503"
    assert status["delivery_status"]["status_text"].startswith("sendEmail Error, status:")


def test_secrets_never_logged(client: httpx.Client, notify_server: Server,
                              receiver: WebhookReceiver) -> None:
    """After failures of every kind above, the server's log has none of the secrets."""
    receiver.status = 500
    config_id = _create(client, "webhook", {
        "url": f"{receiver.url}/path-secret-1?q=query-secret-2",
        "header_params": {"Authorization": "header-secret-3"}})
    assert _test(client, config_id)["delivery_status"]["status_code"] == "500"
    log = notify_server.log.read_text()
    assert "notification through" in log  # the failures are logged, without their secrets
    for secret in ("path-secret-1", "query-secret-2", "header-secret-3", "hook-secret",
                   "query-secret", SMTP_PASSWORD, "Wrong-Passw0rd-xyz"):
        assert secret not in log, secret


def test_scrub_takes_out_whole_secrets_and_leaves_words_that_contain_them() -> None:
    from loghaven.notify.senders import scrub

    text = "Error code explanation: 401 token=s3cr3t-Token for https://h/path/s3cr3t-Token"
    assert scrub(text, "x", "s3cr3t-Token") == \
        "Error code explanation: 401 token=***** for https://h/path/*****"


def test_delivery_times_are_es_time_values_in_loghaven_yml(tmp_path: Path) -> None:
    """``notifications.timeout`` and ``notifications.retry.backoff`` take ES time values, as
    every other duration setting (the documented ``10s`` and ``1s``)."""
    from loghaven.config import load_config
    from loghaven.node import Node

    path = tmp_path / "loghaven.yml"
    path.write_text("notifications:\n  timeout: 2500ms\n  retry:\n    backoff: 1s\n"
                    f"path.data: {tmp_path / 'data'}\n")
    node = Node(load_config(path, environ={}))
    try:
        assert (node.notifications.timeout, node.notifications.backoff) == (2.5, 1.0)
    finally:
        node.close()
