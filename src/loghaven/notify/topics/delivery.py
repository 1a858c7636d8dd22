"""One attempt to deliver a queued message to one subscription, by its protocol.

``http``/``https`` POST SNS's envelope with httpx (one attempt; the topic service retries);
``email``/``email-json`` go through the notifications service's SMTP account channel named by
``notifications.topics.email_account``, and ``loghaven-channel`` through the notifications
channel its endpoint names: those sends retry inside the notifications service (its
``notifications.retry.*`` settings), so the topic service does not retry them again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from loghaven.notify.message import Delivery, Message
from loghaven.notify.topics import envelope
from loghaven.notify.topics.model import CHANNEL_PROTOCOL, HTTP_PROTOCOLS

#: SNS's subject of an email whose message has none.
DEFAULT_EMAIL_SUBJECT = "AWS Notification Message"
_REASON_CHARS = 500


class Notifications(Protocol):
    """What topics use of the notifications service (``node.notifications``)."""

    def send(self, config_id: str, message: Message, *,
             event_source: dict[str, Any] | None = None) -> Delivery: ...

    def send_email(self, account_id: str, recipients: Sequence[str],
                   message: Message) -> Delivery: ...


@dataclass(frozen=True)
class Outcome:
    ok: bool
    #: The HTTP status or the channel's status code; "" when no answer came.
    status: str
    reason: str
    #: Whether another attempt may help (HTTP: the topic service's own retries).
    retryable: bool


@dataclass
class Deliverer:
    http: httpx.Client
    notifications: Callable[[], Notifications]
    email_account: str
    public_url: str

    def attempt(self, message: dict[str, Any], message_id: str,
                subscription_arn: str, subscription: dict[str, Any]) -> Outcome:
        protocol, endpoint = subscription["protocol"], subscription["endpoint"]
        body = envelope.notification(message, message_id, subscription_arn, self.public_url)
        if protocol in HTTP_PROTOCOLS:
            return self._post(endpoint, body, subscription_arn)
        service = self.notifications()
        if protocol == CHANNEL_PROTOCOL:
            delivery = service.send(endpoint, Message(message.get("subject"),
                                                      message["message"]),
                                    event_source={"title": message.get("subject") or "",
                                                  "reference_id": message_id,
                                                  "tags": [message["topic_arn"]]})
        elif not self.email_account:
            return Outcome(False, "", "no SMTP account: set notifications.topics."
                                      "email_account to an smtp_account channel id", False)
        else:
            text = envelope.encode(body).decode() if protocol == "email-json" \
                else message["message"]
            delivery = service.send_email(self.email_account, [endpoint], Message(
                message.get("subject") or DEFAULT_EMAIL_SUBJECT, text))
        return Outcome(delivery.ok, delivery.status_code, delivery.status_text, False)

    def _post(self, url: str, body: dict[str, Any], subscription_arn: str) -> Outcome:
        try:
            response = self.http.post(url, content=envelope.encode(body),
                                      headers=envelope.headers(body, subscription_arn))
        except httpx.HTTPError as exc:
            return Outcome(False, "", f"{type(exc).__name__}: {exc}"[:_REASON_CHARS], True)
        ok = response.is_success
        return Outcome(ok, str(response.status_code),
                       "" if ok else response.text[:_REASON_CHARS], not ok)

