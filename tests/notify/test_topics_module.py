"""TopicService at the contract the notifications service uses (CONTRACT15): ``is_hosted``
names only this node's existing topics, and ``publish`` refuses what SNS refuses with SNS's
codes (the HTTP tests cover delivery)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loghaven.config import Config
from loghaven.notify.topics.errors import TopicError
from loghaven.notify.topics.service import TopicService
from loghaven.storage.metastore import SqliteMetastore


@pytest.fixture
def topics(tmp_path: Path) -> Iterator[TopicService]:
    config = Config()
    config.topics_region, config.topics_account_id = "eu-west-1", "123456789012"
    metastore = SqliteMetastore(tmp_path / "metastore.db")
    service = TopicService(metastore, config, lambda: pytest.fail("nothing is sent here"))
    yield service
    service.close()
    metastore.close()


def test_is_hosted(topics: TopicService) -> None:
    arn = topics.create_topic("fanout", owner=None)
    assert arn == "arn:aws:sns:eu-west-1:123456789012:fanout"
    assert topics.is_hosted(arn)
    assert not topics.is_hosted(arn + "-other")  # not made
    assert not topics.is_hosted("arn:aws:sns:us-east-1:123456789012:fanout")  # elsewhere
    topics.delete_topic(arn)
    assert not topics.is_hosted(arn)


def test_publish_refusals(topics: TopicService) -> None:
    arn = topics.create_topic("refusals", owner=None)
    assert topics.publish(arn, "no subscribers: accepted, nothing queued")
    with pytest.raises(TopicError) as missing:
        topics.publish(arn + "x", "m")
    assert (missing.value.code, missing.value.status) == ("NotFound", 404)
    with pytest.raises(TopicError) as subject:
        topics.publish(arn, "m", subject="x" * 101)
    assert (subject.value.code, subject.value.status) == ("InvalidParameter", 400)
    with pytest.raises(TopicError) as empty:
        topics.publish(arn, "")
    assert empty.value.code == "InvalidParameter"
    with pytest.raises(TopicError) as many:
        topics.publish(arn, "m", attributes={f"a{i}": {"DataType": "String",
                                                       "StringValue": "v"} for i in range(11)})
    assert many.value.code == "InvalidParameter"
    with pytest.raises(TopicError) as email:
        topics.subscribe(arn, "email", "not-an-address")
    assert email.value.code == "InvalidParameter"
