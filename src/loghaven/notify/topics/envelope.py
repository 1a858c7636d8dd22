"""The JSON document SNS posts to HTTP/HTTPS subscribers (and mails to ``email-json`` ones),
and the headers of that POST, as AWS documents them ("HTTP/HTTPS notification JSON format").

Loghaven does not sign its envelopes: SNS signs with a certificate of AWS's
(``Signature``, ``SigningCertURL``, ``SignatureVersion``), which a self-hosted node cannot
present, so those fields are left out rather than faked; a receiver that verifies SNS
signatures must skip that check for this node's topics.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson


def notification(message: dict[str, Any], message_id: str, subscription_arn: str,
                 public_url: str) -> dict[str, Any]:
    """The ``Notification`` envelope of a queued message (store.py's ``sns_message``)."""
    body: dict[str, Any] = {"Type": "Notification", "MessageId": message_id,
                            "TopicArn": message["topic_arn"]}
    if message.get("subject") is not None:
        body["Subject"] = message["subject"]
    body |= {"Message": message["message"], "Timestamp": message["timestamp"],
             "UnsubscribeURL": public_url.rstrip("/") + "/?" + urlencode(
                 {"Action": "Unsubscribe", "SubscriptionArn": subscription_arn})}
    if message.get("attributes"):
        body["MessageAttributes"] = {
            name: {"Type": value["DataType"],
                   "Value": value.get("BinaryValue") or value.get("StringValue", "")}
            for name, value in message["attributes"].items()}
    return body


def headers(body: dict[str, Any], subscription_arn: str) -> dict[str, str]:
    return {"Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": "Amazon Simple Notification Service Agent",
            "x-amz-sns-message-type": body["Type"], "x-amz-sns-message-id": body["MessageId"],
            "x-amz-sns-topic-arn": body["TopicArn"],
            "x-amz-sns-subscription-arn": subscription_arn}


def encode(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_INDENT_2)
