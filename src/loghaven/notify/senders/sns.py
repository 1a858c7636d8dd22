"""SNS: a topic hosted by this node publishes through ``node.topics`` (notify/topics); any
other ARN through boto3's SNS client, in the ARN's region, at
``notifications.sns.endpoint_url`` when set, with the standard AWS credential chain.
``role_arn`` is kept but not assumed."""

from __future__ import annotations

from typing import Any, Protocol

from loghaven.notify.message import Message
from loghaven.notify.senders import Outcome


class Topics(Protocol):
    def is_hosted(self, arn: str) -> bool: ...

    def publish(self, arn: str, message: str, *, subject: str | None = None,
                attributes: dict[str, dict] | None = None) -> str: ...


def send(data: dict[str, Any], message: Message, timeout: float, *, topics: Topics | None,
         endpoint_url: str) -> Outcome:
    arn = data["topic_arn"]
    if topics is not None and topics.is_hosted(arn):
        try:
            return Outcome("200", topics.publish(arn, message.text, subject=message.subject))
        except Exception as exc:  # the topic was deleted since, or refuses the message
            return Outcome("500", f"Failed to send message {exc}")
    return _aws(arn, message, timeout, endpoint_url)


def _aws(arn: str, message: Message, timeout: float, endpoint_url: str) -> Outcome:
    import boto3  # only for topics elsewhere: the import costs a second
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    region = arn.split(":")[3]
    client = boto3.client("sns", region_name=region, endpoint_url=endpoint_url or None,
                          config=Config(connect_timeout=timeout, read_timeout=timeout,
                                        retries={"max_attempts": 1}))
    kwargs: dict[str, Any] = {"TopicArn": arn, "Message": message.text}
    if message.subject:
        kwargs["Subject"] = message.subject[:100]
    try:
        return Outcome("200", client.publish(**kwargs)["MessageId"])
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
        return Outcome(str(status), f"Failed to send message {exc}",
                       transient=status >= 500 or status == 429)
    except BotoCoreError as exc:
        return Outcome("500", f"Failed to send message {exc}", transient=True)
