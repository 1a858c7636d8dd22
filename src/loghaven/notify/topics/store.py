"""Topics, subscriptions, the queue of deliveries and the dead letters, in the metastore.

Kinds: ``sns_topic`` and ``sns_subscription`` (by ARN); ``sns_message`` (a published message,
by MessageId) and ``sns_delivery`` (``<message id>/<subscription id>``: one per subscription
still to be served, with its attempts), written in one transaction before Publish answers, so
an acknowledged message survives ``kill -9``; ``sns_dead_letter`` (by time and id: a delivery
that failed its last attempt). A message is deleted with its last delivery.
"""

from __future__ import annotations

import threading
from typing import Any

from loghaven.storage.metastore import Metastore

TOPIC = "sns_topic"
SUBSCRIPTION = "sns_subscription"
MESSAGE = "sns_message"
DELIVERY = "sns_delivery"
DEAD_LETTER = "sns_dead_letter"


class TopicStore:
    def __init__(self, metastore: Metastore) -> None:
        self.metastore = metastore
        #: Finishing deliveries of one message from several threads: one sees it was the last.
        self._finish_lock = threading.Lock()

    def topic(self, arn: str) -> dict[str, Any] | None:
        return self.metastore.get(TOPIC, arn)

    def topics(self) -> dict[str, dict[str, Any]]:
        return self.metastore.list(TOPIC)

    def put_topic(self, arn: str, topic: dict[str, Any]) -> None:
        self.metastore.put(TOPIC, arn, topic)

    def delete_topic(self, arn: str) -> None:
        """The topic and its subscriptions (SNS deletes them with it); queued deliveries to
        them are dropped when their turn comes."""
        doomed = self.metastore.list(SUBSCRIPTION, arn + ":")
        self.metastore.put_many([(TOPIC, arn, None),
                                 *((SUBSCRIPTION, sub, None) for sub in doomed)])

    def subscription(self, arn: str) -> dict[str, Any] | None:
        return self.metastore.get(SUBSCRIPTION, arn)

    def subscriptions(self, topic_arn: str | None = None) -> dict[str, dict[str, Any]]:
        return self.metastore.list(SUBSCRIPTION, topic_arn + ":" if topic_arn else "")

    def put_subscription(self, arn: str, subscription: dict[str, Any]) -> None:
        self.metastore.put(SUBSCRIPTION, arn, subscription)

    def delete_subscription(self, arn: str) -> None:
        self.metastore.delete(SUBSCRIPTION, arn)

    def enqueue(self, message_id: str, message: dict[str, Any],
                deliveries: dict[str, dict[str, Any]]) -> None:
        """The message and one delivery per subscription, durably, in one transaction."""
        self.metastore.put_many([(MESSAGE, message_id, message),
                                 *((DELIVERY, key, value) for key, value in deliveries.items())])

    def message(self, message_id: str) -> dict[str, Any] | None:
        return self.metastore.get(MESSAGE, message_id)

    def delivery(self, key: str) -> dict[str, Any] | None:
        return self.metastore.get(DELIVERY, key)

    def deliveries(self) -> dict[str, dict[str, Any]]:
        return self.metastore.list(DELIVERY)

    def retry_later(self, key: str, delivery: dict[str, Any]) -> None:
        self.metastore.put(DELIVERY, key, delivery)

    def finish(self, key: str, dead_letter: tuple[str, dict[str, Any]] | None = None) -> None:
        """The delivery is done (or dead: its record is written in the same transaction);
        the message goes with its last delivery."""
        message_id = key.split("/", 1)[0]
        with self._finish_lock:
            others = [k for k in self.metastore.list(DELIVERY, message_id + "/") if k != key]
            items: list[tuple[str, str, dict[str, Any] | None]] = [(DELIVERY, key, None)]
            if dead_letter is not None:
                items.append((DEAD_LETTER, *dead_letter))
            if not others:
                items.append((MESSAGE, message_id, None))
            self.metastore.put_many(items)

    def dead_letters(self) -> list[dict[str, Any]]:
        return list(self.metastore.list(DEAD_LETTER).values())
