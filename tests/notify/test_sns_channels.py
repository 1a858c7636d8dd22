"""SNS channels: a topic hosted by this node publishes through its topics; any other topic ARN
through boto3's SNS client, here pointed (``notifications.sns.endpoint_url``) at a second
Loghaven server that hosts that topic, whose subscription receives the message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import Server

from .conftest import NOTIFY_ENV, Receiver, sns_client

BASE = "/_plugins/_notifications"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """``local`` (account 000000000000) and ``remote`` (account 111111111111); ``local``
    sends SNS channels of topics it does not host to ``remote``."""
    base: Path = tmp_path_factory.mktemp("sns")
    remote = Server(base / "remote" / "data",
                    env={"LOGHAVEN_TOPICS_ACCOUNT_ID": "111111111111"})
    local = Server(base / "local" / "data", env={
        **NOTIFY_ENV, "LOGHAVEN_NOTIFICATIONS_SNS_ENDPOINT_URL": remote.url,
        "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"})
    for server in (remote, local):
        (server.data_dir.parent).mkdir(parents=True, exist_ok=True)
        server.start()
    yield local, remote
    for server in (local, remote):
        server.stop()


def _channel(client: httpx.Client, arn: str) -> str:
    response = client.post(f"{BASE}/configs", json={"config": {
        "name": "sns channel", "config_type": "sns", "sns": {"topic_arn": arn}}})
    assert response.status_code == 200, response.text
    return response.json()["config_id"]


def _delivered(client: httpx.Client, config_id: str) -> dict[str, Any]:
    status = client.post(f"{BASE}/feature/test/{config_id}").json()["status_list"][0]
    assert status["config_type"] == "sns"
    return status["delivery_status"]


@pytest.mark.parametrize("where", ["local", "remote"])
def test_sns_channel_publishes(pair: tuple[Server, Server], where: str,
                               receivers: Callable[..., Receiver]) -> None:
    local, remote = pair
    host = local if where == "local" else remote
    sns = sns_client(host.url)
    arn = sns.create_topic(Name=f"alerts-{where}")["TopicArn"]
    receiver = receivers()
    sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=receiver.url)
    with httpx.Client(base_url=local.url, timeout=60) as client:
        config_id = _channel(client, arn)
        delivery = _delivered(client, config_id)
    assert delivery["status_code"] == "200", delivery
    [post] = receiver.wait_for(1)
    body = post["body"] if isinstance(post["body"], dict) else orjson.loads(post["body"])
    assert body["TopicArn"] == arn
    assert body["Subject"] == f"Test Message Title-{config_id}"
    assert body["Message"] == f"Test message content body for config id {config_id}"
    assert delivery["status_text"] == body["MessageId"]


def test_sns_channel_unknown_topic(pair: tuple[Server, Server]) -> None:
    local, _ = pair
    with httpx.Client(base_url=local.url, timeout=60) as client:
        config_id = _channel(client, "arn:aws:sns:us-east-1:111111111111:never-made")
        delivery = _delivered(client, config_id)
    assert delivery["status_code"] == "404", delivery
    assert "NotFound" in delivery["status_text"] or "not" in delivery["status_text"].lower()
