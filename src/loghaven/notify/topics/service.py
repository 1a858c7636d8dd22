"""TopicService (``node.topics``): hosted SNS-style topics, their subscriptions, publishing and
the background fan-out.

Publish writes the message and one delivery per subscription to the metastore in one
transaction (a synchronous SQLite commit) and answers; a dispatcher thread hands due
deliveries to a bounded pool of ``notifications.topics.workers`` threads, so a slow or dead
endpoint never holds up the publisher or the node's scheduler. A failed HTTP attempt is
retried after ``notifications.topics.retry.backoff``, doubling, until
``notifications.topics.retry.attempts``; then the delivery becomes a dead letter. At start every
queued delivery is due again: deliveries are at-least-once (one finished just before a
``kill -9``, before its record went, is sent again).

Subscriptions are confirmed at once (``PendingConfirmation`` false): SNS asks an endpoint to
confirm because anyone may subscribe anything to a public topic; here only a user granted the
subscribe action of this node does, as they create webhook channels (docs/topics.md).
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx

from loghaven.config import Config
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.notify.topics import model
from loghaven.notify.topics.delivery import Deliverer, Notifications
from loghaven.notify.topics.model import Arns
from loghaven.notify.topics.store import TopicStore
from loghaven.storage.metastore import Metastore

log = logging.getLogger("loghaven.notify.topics")


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class TopicService:
    def __init__(self, metastore: Metastore, config: Config,
                 notifications: Callable[[], Notifications],
                 clock: Callable[[], float] = time.time) -> None:
        self.store = TopicStore(metastore)
        self.arns = Arns(config.topics_region, config.topics_account_id)
        self.clock = clock
        self.attempts = max(1, config.topics_retry_attempts)
        self.backoff = parse_duration_ms(config.topics_retry_backoff,
                                         "notifications.topics.retry.backoff") / 1000
        timeout = parse_duration_ms(config.topics_timeout, "notifications.topics.timeout") / 1000
        self.deliverer = Deliverer(
            httpx.Client(timeout=timeout, follow_redirects=False), notifications,
            config.topics_email_account,
            config.topics_public_url or f"http://{config.host}:{config.port}")
        self._workers = max(1, config.topics_workers)
        self._pool: ThreadPoolExecutor | None = None
        self._due: list[tuple[float, str]] = []
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._dispatcher: threading.Thread | None = None

    # -- topics and subscriptions ---------------------------------------------------------------

    def is_hosted(self, arn: str) -> bool:
        """Whether ``arn`` names a topic of this node (an SNS channel then publishes here)."""
        return self.arns.is_topic(arn) and self.store.topic(arn) is not None

    def create_topic(self, name: str, owner: str | None) -> str:
        """The topic's ARN; creating an existing topic again returns it, as SNS does."""
        arn = self.arns.topic(name)
        if self.store.topic(arn) is None:
            self.store.put_topic(arn, {"name": name, "owner": owner,
                                       "created": int(self.clock() * 1000)})
        return arn

    def topic(self, arn: str) -> dict[str, Any]:
        found = self.store.topic(arn) if self.arns.is_topic(arn) else None
        if found is None:
            raise model.topic_missing()
        return found

    def topics(self) -> list[str]:
        return sorted(self.store.topics())

    def topic_attributes(self, arn: str) -> dict[str, str]:
        """SNS's GetTopicAttributes of what a hosted topic has."""
        self.topic(arn)
        subscriptions = self.store.subscriptions(arn)
        return {"TopicArn": arn, "Owner": self.arns.account_id, "DisplayName": "",
                "SubscriptionsConfirmed": str(len(subscriptions)),
                "SubscriptionsPending": "0", "SubscriptionsDeleted": "0"}

    def delete_topic(self, arn: str) -> None:
        """SNS deletes an unknown topic without complaint."""
        if self.arns.is_topic(arn):
            self.store.delete_topic(arn)

    def subscribe(self, topic_arn: str, protocol: str, endpoint: str) -> str:
        """The subscription's ARN; the same protocol and endpoint again return it."""
        self.topic(topic_arn)
        model.check_endpoint(protocol, endpoint)
        for arn, found in self.store.subscriptions(topic_arn).items():
            if (found["protocol"], found["endpoint"]) == (protocol, endpoint):
                return arn
        arn = self.arns.subscription(topic_arn)
        self.store.put_subscription(arn, {"protocol": protocol, "endpoint": endpoint,
                                          "created": int(self.clock() * 1000)})
        return arn

    def unsubscribe(self, subscription_arn: str) -> None:
        self.arns.topic_of(subscription_arn)
        if self.store.subscription(subscription_arn) is None:
            raise model.subscription_missing()
        self.store.delete_subscription(subscription_arn)

    def subscriptions(self, topic_arn: str | None = None) -> list[dict[str, str]]:
        """SNS's subscription members, of one topic or all."""
        if topic_arn is not None:
            self.topic(topic_arn)
        return [{"SubscriptionArn": arn, "Owner": self.arns.account_id,
                 "Protocol": found["protocol"], "Endpoint": found["endpoint"],
                 "TopicArn": self.arns.topic_of(arn)}
                for arn, found in self.store.subscriptions(topic_arn).items()]

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, arn: str, message: str, *, subject: str | None = None,
                attributes: dict[str, dict] | None = None) -> str:
        """Queue ``message`` for every subscription of the topic, durably, and return its
        MessageId; delivery happens in the background."""
        model.check_message(message, subject)
        model.check_attributes(attributes or {})
        self.topic(arn)
        message_id = str(uuid.uuid4())
        now = self.clock()
        queued = {"topic_arn": arn, "message": message, "subject": subject,
                  "attributes": attributes or {}, "timestamp": _iso(now)}
        deliveries = {f"{message_id}/{sub.rsplit(':', 1)[1]}": {
            "subscription_arn": sub, "attempts": 0, "due": now}
            for sub in self.store.subscriptions(arn)}
        if deliveries:
            self.store.enqueue(message_id, queued, deliveries)
            with self._wake:
                for key in deliveries:
                    heapq.heappush(self._due, (now, key))
                self._wake.notify()
        return message_id

    def dead_letters(self, topic_arn: str | None = None) -> list[dict[str, Any]]:
        """Deliveries that failed their last attempt, oldest first."""
        return [letter for letter in self.store.dead_letters()
                if topic_arn is None or letter["topic_arn"] == topic_arn]

    # -- the fan-out ----------------------------------------------------------------------------

    def start(self) -> None:
        """Every queued delivery (left by a stop or a crash) is due at once."""
        now = self.clock()
        with self._wake:
            self._due = [(min(d.get("due", now), now), key)
                         for key, d in self.store.deliveries().items()]
            heapq.heapify(self._due)
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="sns-delivery")
        self._dispatcher = threading.Thread(target=self._dispatch, name="sns-dispatcher",
                                            daemon=True)
        self._dispatcher.start()

    def close(self) -> None:
        """Stop handing out deliveries; those queued stay in the metastore for the next
        start."""
        self._stopping.set()
        with self._wake:
            self._wake.notify()
        if self._dispatcher is not None:
            self._dispatcher.join(10)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.deliverer.http.close()

    def _dispatch(self) -> None:
        while not self._stopping.is_set():
            with self._wake:
                now = self.clock()
                while self._due and self._due[0][0] <= now:
                    key = heapq.heappop(self._due)[1]
                    assert self._pool is not None
                    self._pool.submit(self._attempt, key)
                wait = self._due[0][0] - now if self._due else None
                self._wake.wait(wait)

    def _attempt(self, key: str) -> None:
        if self._stopping.is_set():
            return
        try:
            self._deliver(key)
        except Exception:  # a metastore error: the record stays, the next start retries it
            log.exception("delivery %s failed", key)

    def _deliver(self, key: str) -> None:
        delivery = self.store.delivery(key)
        if delivery is None:
            return
        message_id = key.split("/", 1)[0]
        message = self.store.message(message_id)
        subscription_arn = delivery["subscription_arn"]
        subscription = self.store.subscription(subscription_arn)
        if message is None or subscription is None:  # unsubscribed or topic deleted since
            self.store.finish(key)
            return
        outcome = self.deliverer.attempt(message, message_id, subscription_arn, subscription)
        now = self.clock()
        attempts = delivery["attempts"] + 1
        if outcome.ok:
            self.store.finish(key)
        elif outcome.retryable and attempts < self.attempts:
            due = now + self.backoff * 2 ** (attempts - 1)
            self.store.retry_later(key, {**delivery, "attempts": attempts, "due": due,
                                         "last_error": outcome.reason,
                                         "last_status": outcome.status})
            with self._wake:
                heapq.heappush(self._due, (due, key))
                self._wake.notify()
        else:
            log.warning("delivery of message %s to %s failed after %d attempt(s): %s",
                        message_id, subscription_arn, attempts, outcome.status)
            self.store.finish(key, (f"{int(now * 1000):015d}-{key}", {
                "message_id": message_id, "topic_arn": message["topic_arn"],
                "subscription_arn": subscription_arn, "protocol": subscription["protocol"],
                "endpoint": subscription["endpoint"], "subject": message.get("subject"),
                "message": message["message"], "attributes": message.get("attributes", {}),
                "attempts": attempts, "status": outcome.status, "reason": outcome.reason,
                "timestamp": _iso(now)}))
