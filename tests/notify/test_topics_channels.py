"""Topic subscriptions through the real notifications service, over HTTP: a
``loghaven-channel`` subscription to a webhook channel, and ``email``/``email-json``
subscriptions through an SMTP account channel (aiosmtpd) named by
``notifications.topics.email_account``."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import Server, WebhookReceiver

from .conftest import NOTIFY_ENV, SmtpServer, sns_client

BASE = "/_plugins/_notifications"
ACCOUNT_ID = "topics-smtp"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    instance = Server(tmp_path / "data", env={
        **NOTIFY_ENV, "LOGHAVEN_TOPICS_EMAIL_ACCOUNT": ACCOUNT_ID}).start()
    yield instance
    instance.stop()


def _config(client: httpx.Client, config_id: str, config_type: str,
            data: dict[str, Any]) -> None:
    response = client.post(f"{BASE}/configs", json={"config_id": config_id, "config": {
        "name": config_id, "config_type": config_type, config_type: data}})
    assert response.status_code == 200, response.text


def test_channel_and_email_subscriptions(server: Server, receiver: WebhookReceiver,
                                         smtp: SmtpServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        _config(client, "ops-hook", "webhook", {"url": f"{receiver.url}/ops"})
        _config(client, ACCOUNT_ID, "smtp_account", {
            "host": "127.0.0.1", "port": smtp.port, "method": "none",
            "from_address": "topics@example.com"})
    sns: Any = sns_client(server.url)
    arn = sns.create_topic(Name="fleet")["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="loghaven-channel", Endpoint="ops-hook")
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="oncall@example.com")
    sns.subscribe(TopicArn=arn, Protocol="email-json", Endpoint="robot@example.com")
    message_id = sns.publish(TopicArn=arn, Subject="CPU high",
                             Message="device-7 at 97%")["MessageId"]
    deadline = time.monotonic() + 20
    while (not receiver.requests or len(smtp.mailbox.envelopes) < 2) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    [hook] = receiver.requests
    assert hook.path == "/ops" and b"device-7 at 97%" in hook.body
    mails = {envelope.rcpt_tos[0]: email.message_from_bytes(envelope.content,
                                                            policy=email.policy.default)
             for envelope in smtp.mailbox.envelopes}
    assert set(mails) == {"oncall@example.com", "robot@example.com"}
    plain = mails["oncall@example.com"]
    assert plain["Subject"] == "CPU high" and plain["From"] == "topics@example.com"
    assert plain.get_body(("plain",)).get_content().strip() == "device-7 at 97%"
    envelope = orjson.loads(mails["robot@example.com"].get_body(("plain",)).get_content())
    assert (envelope["Type"], envelope["MessageId"], envelope["TopicArn"]) == \
        ("Notification", message_id, arn)
    assert httpx.get(server.url + "/_plugins/_loghaven/topics/dead_letters").json() == {
        "total": 0, "dead_letters": []}


def test_unknown_channel_is_dead_lettered(server: Server) -> None:
    sns: Any = sns_client(server.url)
    arn = sns.create_topic(Name="nowhere")["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="loghaven-channel", Endpoint="no-such-config")
    sns.publish(TopicArn=arn, Message="lost")
    deadline = time.monotonic() + 20
    letters: list[dict[str, Any]] = []
    while not letters and time.monotonic() < deadline:
        time.sleep(0.05)
        letters = httpx.get(server.url + "/_plugins/_loghaven/topics/dead_letters").json()[
            "dead_letters"]
    [letter] = letters
    assert (letter["status"], letter["attempts"], letter["endpoint"]) == \
        ("404", 1, "no-such-config")
    assert letter["reason"] == "NotificationConfig no-such-config not found"
