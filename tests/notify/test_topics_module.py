"""TopicService at its module contract with the notifications service (CONTRACT15): a
``loghaven-channel`` subscription sends through ``notifications.send``, ``email`` and
``email-json`` through the configured SMTP account (``send_email``); a failed send is not retried
again by the topic (the notifications service retried it) but dead-lettered."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from loghaven.config import Config
from loghaven.notify.message import Delivery, Message
from loghaven.notify.topics.errors import TopicError
from loghaven.notify.topics.service import TopicService
from loghaven.storage.metastore import SqliteMetastore


class RecordingNotifications:
    """The notifications service's two calls, answering per channel id: ``ok`` channels
    succeed, others answer OpenSearch's 404 of an unknown config."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, Message]] = []
        self.done = threading.Semaphore(0)

    def send(self, config_id: str, message: Message, *,
             event_source: dict[str, Any] | None = None) -> Delivery:
        self.sent.append(("send", config_id, message))
        self.done.release()
        code = "200" if config_id.startswith("ok") else "404"
        return Delivery(config_id, "slack", config_id, code, "" if code == "200" else
                        f"Config {config_id} not found")

    def send_email(self, account_id: str, recipients: Sequence[str],
                   message: Message) -> Delivery:
        self.sent.append(("email", (account_id, tuple(recipients)), message))
        self.done.release()
        return Delivery(account_id, "smtp_account", account_id, "200", "")

    def wait(self, count: int) -> None:
        for _ in range(count):
            assert self.done.acquire(timeout=10), self.sent


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TopicService, RecordingNotifications]]:
    config = Config()
    config.topics_email_account = "smtp-1"
    notifications = RecordingNotifications()
    metastore = SqliteMetastore(tmp_path / "metastore.db")
    topics = TopicService(metastore, config, lambda: notifications)
    topics.start()
    yield topics, notifications
    topics.close()
    metastore.close()


def test_channel_and_email_subscriptions(
        service: tuple[TopicService, RecordingNotifications]) -> None:
    topics, notifications = service
    arn = topics.create_topic("fanout", owner=None)
    assert topics.is_hosted(arn) and not topics.is_hosted(arn + "-other")
    assert not topics.is_hosted("arn:aws:sns:eu-west-1:123456789012:fanout")
    topics.subscribe(arn, "loghaven-channel", "ok-slack")
    topics.subscribe(arn, "email", "ops@example.com")
    topics.subscribe(arn, "email-json", "robot@example.com")
    message_id = topics.publish(arn, "disk full", subject="Disk")
    notifications.wait(3)
    sent = {kind if kind == "send" else target[1][0]: (target, message)
            for kind, target, message in notifications.sent}
    assert sent["send"] == ("ok-slack", Message("Disk", "disk full"))
    assert sent["ops@example.com"] == (("smtp-1", ("ops@example.com",)),
                                       Message("Disk", "disk full"))
    envelope = orjson.loads(sent["robot@example.com"][1].text)
    assert (envelope["Type"], envelope["MessageId"], envelope["Message"]) == \
        ("Notification", message_id, "disk full")
    assert topics.dead_letters() == []


def test_failed_channel_send_is_dead_lettered_once(
        service: tuple[TopicService, RecordingNotifications]) -> None:
    topics, notifications = service
    arn = topics.create_topic("unknown-channel", owner=None)
    topics.subscribe(arn, "loghaven-channel", "missing-config")
    topics.publish(arn, "hello")
    notifications.wait(1)
    deadline = time.monotonic() + 10
    while not topics.dead_letters(arn) and time.monotonic() < deadline:
        time.sleep(0.02)
    (letter,) = topics.dead_letters(arn)
    assert (letter["attempts"], letter["status"], letter["protocol"]) == \
        (1, "404", "loghaven-channel")
    assert letter["reason"] == "Config missing-config not found"
    assert len(notifications.sent) == 1


def test_refusals(service: tuple[TopicService, RecordingNotifications]) -> None:
    topics, _ = service
    arn = topics.create_topic("refusals", owner=None)
    with pytest.raises(TopicError) as email:
        topics.subscribe(arn, "email", "not-an-address")
    assert email.value.code == "InvalidParameter"
    with pytest.raises(TopicError) as missing:
        topics.publish(arn + "x", "m")
    assert (missing.value.code, missing.value.status) == ("NotFound", 404)
    with pytest.raises(TopicError) as subject:
        topics.publish(arn, "m", subject="x" * 101)
    assert subject.value.code == "InvalidParameter"
