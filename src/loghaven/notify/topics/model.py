"""Topics, subscriptions and published messages: names, ARNs and the checks SNS makes.

ARNs are AWS's (``arn:aws:sns:<region>:<account>:<topic>``, a subscription's the topic's ARN
and ``:<uuid>``) with the node's configured region and account, so that an ARN from AWS's
documentation or an existing script keeps its shape. Limits are SNS's own, fixed by its API
rather than configurable there: topic names of 1 to 256 letters, digits, ``-`` and ``_``;
messages up to 256 KB; subjects up to 100 printable ASCII characters; 10 message attributes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from loghaven.notify.topics.errors import TopicError, invalid_parameter, not_found

#: Subscription protocols: SNS's HTTP and email ones, and Loghaven's notification channels.
HTTP_PROTOCOLS = frozenset({"http", "https"})
EMAIL_PROTOCOLS = frozenset({"email", "email-json"})
CHANNEL_PROTOCOL = "loghaven-channel"
PROTOCOLS = HTTP_PROTOCOLS | EMAIL_PROTOCOLS | {CHANNEL_PROTOCOL}

MAX_MESSAGE_BYTES = 256 * 1024
MAX_SUBJECT_CHARS = 100
MAX_ATTRIBUTES = 10
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_ATTRIBUTE_TYPES = ("String", "Number", "Binary")


@dataclass(frozen=True)
class Arns:
    """The ARNs of this node's topics."""

    region: str
    account_id: str

    def topic(self, name: str) -> str:
        if not _TOPIC_NAME.fullmatch(name):
            raise invalid_parameter("Topic Name")  # SNS's message, word for word
        return f"arn:aws:sns:{self.region}:{self.account_id}:{name}"

    def is_topic(self, arn: str) -> bool:
        prefix = f"arn:aws:sns:{self.region}:{self.account_id}:"
        return arn.startswith(prefix) and bool(_TOPIC_NAME.fullmatch(arn[len(prefix):]))

    def subscription(self, topic_arn: str) -> str:
        return f"{topic_arn}:{uuid.uuid4()}"

    def topic_of(self, subscription_arn: str) -> str:
        topic, sep, _ = subscription_arn.rpartition(":")
        if not sep or not self.is_topic(topic):
            raise invalid_parameter("SubscriptionArn")
        return topic


def topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[1]


def check_endpoint(protocol: str, endpoint: str) -> None:
    """SNS's refusals of a protocol and endpoint it cannot deliver to."""
    if protocol not in PROTOCOLS:
        raise invalid_parameter(f"Invalid protocol type: {protocol}")
    if protocol in HTTP_PROTOCOLS and not endpoint.lower().startswith(f"{protocol}://"):
        raise invalid_parameter("Endpoint must match the specified protocol")
    if protocol in EMAIL_PROTOCOLS and not _EMAIL.fullmatch(endpoint):
        raise invalid_parameter("Email address")
    if protocol == CHANNEL_PROTOCOL and not endpoint:
        raise invalid_parameter("Endpoint must be a notifications channel config id")


def check_message(message: str, subject: str | None) -> None:
    if not message:
        raise invalid_parameter("Empty message")
    if len(message.encode()) > MAX_MESSAGE_BYTES:
        raise invalid_parameter("Message too long")
    if subject is not None and (not subject or len(subject) > MAX_SUBJECT_CHARS
                                or not subject.isascii() or not subject.isprintable()):
        raise invalid_parameter("Subject")


def check_attributes(attributes: dict[str, dict[str, Any]]) -> None:
    """Message attributes as SNS takes them: ``{name: {"DataType", "StringValue" |
    "BinaryValue"}}`` (Binary values base64, as the query API carries them)."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise invalid_parameter(f"Number of message attributes [{len(attributes)}] exceeds "
                                f"the allowed maximum [{MAX_ATTRIBUTES}].")
    for name, value in attributes.items():
        if not _ATTRIBUTE_NAME.fullmatch(name) or name.startswith(("AWS.", "Amazon.")):
            raise invalid_parameter(f"MessageAttributes: Invalid attribute name: {name}")
        data_type = str(value.get("DataType", ""))
        if data_type.split(".", 1)[0] not in _ATTRIBUTE_TYPES:
            raise TopicError("ParameterValueInvalid",
                             f"The message attribute '{name}' has an invalid message "
                             f"attribute type, the set of supported type prefixes is "
                             f"Binary, Number, and String.")
        key = "BinaryValue" if data_type.startswith("Binary") else "StringValue"
        if not value.get(key):
            raise TopicError("ParameterValueInvalid",
                             f"The message attribute '{name}' must contain non-empty message "
                             f"attribute value for message attribute type "
                             f"'{data_type.split('.', 1)[0]}'.")


def topic_missing() -> TopicError:
    return not_found("Topic does not exist")


def subscription_missing() -> TopicError:
    return not_found("Subscription does not exist")
