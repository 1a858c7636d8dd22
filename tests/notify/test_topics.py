"""Hosted topics through boto3's SNS client against the real server (security off: any key
signs, the signature is not checked): topics, subscriptions, Publish with message attributes
fanned out to loopback HTTP receivers, retries and dead letters, durability across kill -9."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from conftest import Server, free_port

from .conftest import Receiver, sns_client

ACCOUNT = "000000000000"
#: Fast retries, so that a dead endpoint is dead-lettered within the test.
FAST_RETRIES = {"LOGHAVEN_TOPICS_RETRY_BACKOFF": "50ms", "LOGHAVEN_TOPICS_RETRY_ATTEMPTS": "3"}
DEAD_LETTERS = "/_plugins/_loghaven/topics/dead_letters"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("topics") / "data", env=FAST_RETRIES).start()
    yield instance
    instance.stop()


@pytest.fixture
def sns(server: Server) -> Any:
    return sns_client(server.url)


def _name() -> str:
    return f"alerts-{uuid.uuid4().hex[:8]}"


def _code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_topic_lifecycle(sns: Any) -> None:
    name = _name()
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:{ACCOUNT}:{name}"
    assert sns.create_topic(Name=name)["TopicArn"] == arn  # idempotent, as SNS
    assert {"TopicArn": arn} in sns.list_topics()["Topics"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn and attributes["SubscriptionsConfirmed"] == "0"
    sns.delete_topic(TopicArn=arn)
    assert {"TopicArn": arn} not in sns.list_topics()["Topics"]
    with pytest.raises(ClientError) as missing:
        sns.get_topic_attributes(TopicArn=arn)
    assert _code(missing) == ("NotFound", 404)
    with pytest.raises(ClientError) as invalid:
        sns.create_topic(Name="no spaces allowed")
    assert _code(invalid) == ("InvalidParameter", 400)


def test_list_topics_pages(sns: Any) -> None:
    prefix = _name()
    made = {sns.create_topic(Name=f"{prefix}-{i:03d}")["TopicArn"] for i in range(105)}
    listed = [t["TopicArn"] for page in sns.get_paginator("list_topics").paginate()
              for t in page["Topics"]]
    assert made <= set(listed) and len(listed) == len(set(listed))
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first


def test_subscriptions(sns: Any, receivers: Callable[..., Receiver]) -> None:
    arn = sns.create_topic(Name=_name())["TopicArn"]
    receiver = receivers()
    sub = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=receiver.url)["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    again = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=receiver.url)
    assert again["SubscriptionArn"] == sub
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert listed == [{"SubscriptionArn": sub, "Owner": ACCOUNT, "Protocol": "http",
                       "Endpoint": receiver.url, "TopicArn": arn}]
    assert sub in {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]}
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    with pytest.raises(ClientError) as gone:
        sns.unsubscribe(SubscriptionArn=sub)
    assert _code(gone) == ("NotFound", 404)
    with pytest.raises(ClientError) as protocol:
        sns.subscribe(TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x")
    assert _code(protocol) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as mismatch:
        sns.subscribe(TopicArn=arn, Protocol="https", Endpoint=receiver.url)
    assert _code(mismatch) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as no_topic:
        sns.subscribe(TopicArn=arn + "-missing", Protocol="http", Endpoint=receiver.url)
    assert _code(no_topic) == ("NotFound", 404)


def test_publish_fans_out_with_attributes(sns: Any, server: Server,
                                          receivers: Callable[..., Receiver]) -> None:
    arn = sns.create_topic(Name=_name())["TopicArn"]
    first, second = receivers(), receivers()
    subs = [sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=r.url)["SubscriptionArn"]
            for r in (first, second)]
    message_id = sns.publish(TopicArn=arn, Message="CPU of device-7 at 97%", Subject="Alert",
                             MessageAttributes={
                                 "severity": {"DataType": "String", "StringValue": "1"},
                                 "cpu": {"DataType": "Number", "StringValue": "97.5"},
                                 "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
                             )["MessageId"]
    for receiver, sub in zip((first, second), subs, strict=True):
        (post,) = receiver.wait_for(1)
        body, headers = post["body"], post["headers"]
        assert body["Type"] == "Notification" and body["MessageId"] == message_id
        assert (body["TopicArn"], body["Subject"], body["Message"]) == \
            (arn, "Alert", "CPU of device-7 at 97%")
        assert body["MessageAttributes"] == {
            "severity": {"Type": "String", "Value": "1"},
            "cpu": {"Type": "Number", "Value": "97.5"},
            "raw": {"Type": "Binary", "Value": base64.b64encode(b"\x00\xff").decode()}}
        assert body["Timestamp"].endswith("Z") and "T" in body["Timestamp"]
        assert body["UnsubscribeURL"].startswith(f"http://127.0.0.1:{server.port}/?Action="
                                                 f"Unsubscribe&SubscriptionArn=")
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert headers["x-amz-sns-message-id"] == message_id
        assert headers["x-amz-sns-topic-arn"] == arn
        assert headers["x-amz-sns-subscription-arn"] == sub
    # a message without a subject has no Subject, as SNS's envelope
    sns.publish(TopicArn=arn, Message="plain")
    assert "Subject" not in first.wait_for(2)[1]["body"]


def test_publish_refusals(sns: Any) -> None:
    arn = sns.create_topic(Name=_name())["TopicArn"]
    with pytest.raises(ClientError) as missing:
        sns.publish(TopicArn=arn + "-missing", Message="m")
    assert _code(missing) == ("NotFound", 404)
    with pytest.raises(ClientError) as too_long:
        sns.publish(TopicArn=arn, Message="x" * (256 * 1024 + 1))
    assert _code(too_long) == ("InvalidParameter", 400)
    with pytest.raises(ClientError) as bad_type:
        sns.publish(TopicArn=arn, Message="m", MessageAttributes={
            "a": {"DataType": "Date", "StringValue": "today"}})
    assert _code(bad_type) == ("ParameterValueInvalid", 400)


def test_dead_endpoint_retried_then_dead_lettered(sns: Any, server: Server,
                                                  receivers: Callable[..., Receiver]) -> None:
    arn = sns.create_topic(Name=_name())["TopicArn"]
    alive, failing = receivers(), receivers(status=503)
    dead = f"http://127.0.0.1:{free_port()}/nobody-listens"
    for endpoint in (alive.url, failing.url, dead):
        sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=endpoint)
    message_id = sns.publish(TopicArn=arn, Message="fan out")["MessageId"]
    assert alive.wait_for(1)[0]["body"]["MessageId"] == message_id
    deadline = time.monotonic() + 20
    letters: list[dict[str, Any]] = []
    while len(letters) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        letters = httpx.get(server.url + DEAD_LETTERS, params={"topic_arn": arn}).json()[
            "dead_letters"]
    by_endpoint = {letter["endpoint"]: letter for letter in letters}
    assert set(by_endpoint) == {failing.url, dead}, letters
    assert len(failing.received) == 3  # the attempts setting: the first and two retries
    assert by_endpoint[failing.url]["status"] == "503"
    for letter in by_endpoint.values():
        assert letter["attempts"] == 3 and letter["message_id"] == message_id
        assert letter["message"] == "fan out" and letter["topic_arn"] == arn
    assert by_endpoint[dead]["reason"].startswith("ConnectError")
    assert len(alive.received) == 1  # delivered once, never retried


def test_query_api_edge(server: Server) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    unsigned = httpx.post(server.url + "/", content=b"Action=ListTopics", headers=form)
    assert unsigned.status_code == 401
    assert unsigned.headers["content-type"].startswith("text/xml")
    assert "<Code>MissingAuthenticationToken</Code>" in unsigned.text
    signed = {**form, "authorization": "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/"
                                       "sns/aws4_request, SignedHeaders=host, Signature=00"}
    unknown = httpx.post(server.url + "/", content=b"Action=Launch", headers=signed)
    assert unknown.status_code == 400 and "<Code>InvalidAction</Code>" in unknown.text
    assert unknown.text.startswith('<ErrorResponse xmlns="http://sns.amazonaws.com/doc/'
                                   '2010-03-31/"><Error><Type>Sender</Type>')
    # forms are taken only by this route
    elsewhere = httpx.post(server.url + "/_search", content=b"q=x", headers=signed)
    assert elsewhere.status_code == 406


def test_acknowledged_publish_survives_kill(tmp_path: Path,
                                            receivers: Callable[..., Receiver]) -> None:
    """Published while the endpoint is down (a retry a minute away), then ``kill -9``: after
    the restart the queued delivery is due at once and arrives."""
    port = free_port()
    server = Server(tmp_path / "data", env={"LOGHAVEN_TOPICS_RETRY_BACKOFF": "60s"}).start()
    try:
        sns = sns_client(server.url)
        arn = sns.create_topic(Name="durable")["TopicArn"]
        sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=f"http://127.0.0.1:{port}/hook")
        message_id = sns.publish(TopicArn=arn, Message="kept")["MessageId"]
        server.kill()
        receiver = receivers(port)
        server.start()
        (post,) = receiver.wait_for(1)
        assert post["body"]["MessageId"] == message_id and post["body"]["Message"] == "kept"
    finally:
        server.stop()
