"""The SNS query API with security on: boto3 signs with a Loghaven access key, the SigV4
signature is checked, and each Action is authorized as its ``cluster:admin/loghaven/sns/*``
action (the built-in notifications roles grant them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from security.conftest import SecureServer

from .conftest import sns_client

API = "/_plugins/_security/api"
PASSWORD = "Topics-Password-1"


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    instance = SecureServer(tmp_path_factory.mktemp("secure-topics") / "data").start()
    yield instance
    instance.stop()


def _key_of(secure: SecureServer, user: str, roles: list[str]) -> tuple[str, str]:
    """A user holding the (built-in) ``roles`` and an access key of theirs."""
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        made = admin.put(f"{API}/internalusers/{user}", json={
            "password": PASSWORD, "opendistro_security_roles": roles})
        assert made.status_code == 201, made.text
    with httpx.Client(base_url=secure.url, auth=(user, PASSWORD), timeout=30) as client:
        key = client.post(f"{API}/accesskeys", json={"description": "sns"})
        assert key.status_code in (200, 201), key.text
    return key.json()["access_key_id"], key.json()["secret_access_key"]


def _code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_signed_requests_with_an_access_key(secure: SecureServer) -> None:
    key, secret = _key_of(secure, "publisher", ["notifications_full_access"])
    sns: Any = sns_client(secure.url, key, secret)
    arn = sns.create_topic(Name="secured")["TopicArn"]
    assert {"TopicArn": arn} in sns.list_topics()["Topics"]
    assert sns.publish(TopicArn=arn, Message="signed")["MessageId"]
    sns.delete_topic(TopicArn=arn)


def test_wrong_secret_and_unknown_key(secure: SecureServer) -> None:
    key, secret = _key_of(secure, "mistyped", ["notifications_full_access"])
    with pytest.raises(ClientError) as wrong:
        sns_client(secure.url, key, secret[:-1] + ("A" if secret[-1] != "A" else "B")) \
            .list_topics()
    assert _code(wrong) == ("SignatureDoesNotMatch", 403)
    assert "does not match" in wrong.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as unknown:
        sns_client(secure.url, "LHAKAAAAAAAAAAAAAAAA", secret).list_topics()
    assert _code(unknown) == ("InvalidClientTokenId", 403)


def test_each_action_is_authorized(secure: SecureServer) -> None:
    writer: Any = sns_client(secure.url, *_key_of(secure, "writer",
                                                  ["notifications_full_access"]))
    arn = writer.create_topic(Name="read-only-view")["TopicArn"]
    reader: Any = sns_client(secure.url, *_key_of(secure, "reader",
                                                  ["notifications_read_access"]))
    assert {"TopicArn": arn} in reader.list_topics()["Topics"]
    assert reader.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    for call in (lambda: reader.publish(TopicArn=arn, Message="no"),
                 lambda: reader.create_topic(Name="not-mine"),
                 lambda: reader.delete_topic(TopicArn=arn)):
        with pytest.raises(ClientError) as denied:
            call()
        assert _code(denied) == ("AuthorizationError", 403)
    message = denied.value.response["Error"]["Message"]
    assert message.startswith("no permissions for [cluster:admin/loghaven/sns/topic/delete]")
    assert {"TopicArn": arn} in writer.list_topics()["Topics"]
    # the dead letters are the extension's read action
    with httpx.Client(base_url=secure.url, auth=("reader", PASSWORD), timeout=30) as client:
        assert client.get("/_plugins/_loghaven/topics/dead_letters").status_code == 403
    with httpx.Client(base_url=secure.url, auth=("writer", PASSWORD), timeout=30) as client:
        assert client.get("/_plugins/_loghaven/topics/dead_letters").json()["total"] == 0
