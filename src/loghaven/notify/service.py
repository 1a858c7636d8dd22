"""``NotificationService`` = ``node.notifications``: channel configs (OpenSearch's
Notifications plugin API) and :meth:`NotificationService.send`, which features call.

A send runs in the service's own bounded thread pool (``notifications.max_concurrent_sends``)
so that dead destinations hold at most those threads, tries each attempt within
``notifications.timeout`` and retries transient failures (refused, timed out, 5xx, 429, SMTP
4xx) up to ``notifications.retry.attempts`` times, waiting ``notifications.retry.backoff``
seconds, doubled each time. It never raises for a failed delivery: the Delivery says what
happened, and no secret is logged or reported.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from loghaven.config import Config
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.errors import IllegalArgument, LoghavenError, VersionConflict
from loghaven.notify import channels
from loghaven.notify.message import Delivery, Message
from loghaven.notify.senders import Outcome, email, sns, webhook
from loghaven.notify.store import ConfigRecord, ConfigStore
from loghaven.params import expect_string, param_bool, param_int, param_sort_desc
from loghaven.security.api_keys import new_id
from loghaven.security.sealing import NodeKey
from loghaven.storage.metastore import Metastore

log = logging.getLogger("loghaven.notify")

#: OpenSearch's ``DEFAULT_MAX_ITEMS`` of a config listing.
DEFAULT_MAX_ITEMS = 100
#: Fields a listing sorts by; OpenSearch's default is the last update.
SORT_FIELDS = ("config_id", "name", "description", "config_type", "is_enabled",
               "created_time_ms", "last_updated_time_ms")
MUTED = ("423", "The channel is muted")


def not_found(config_ids: str) -> LoghavenError:
    return LoghavenError(f"NotificationConfig {config_ids} not found", status=404,
                         type="status_exception")


class NotificationService:
    def __init__(self, metastore: Metastore, node_key: NodeKey, config: Config, *,
                 topics: sns.Topics | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = ConfigStore(metastore, node_key)
        self.config = config
        self.topics = topics
        self.clock = clock
        #: ES time values (``10s``), read once: each attempt's timeout and the first retry's
        #: wait, in seconds.
        self.timeout = parse_duration_ms(config.notifications_timeout,
                                         "notifications.timeout") / 1000
        self.backoff = parse_duration_ms(config.notifications_retry_backoff,
                                         "notifications.retry.backoff") / 1000
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, config.notifications_max_concurrent_sends),
            thread_name_prefix="notify")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # configs --------------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST _plugins/_notifications/configs``: ``{"config_id"?, "config"}``."""
        config_id = body.get("config_id")
        config_id = channels.check_id(expect_string(config_id, "config_id", "create")) \
            if config_id is not None else new_id()
        if "config" not in body:
            raise IllegalArgument("config field absent")
        config = self._parse(body["config"])
        with self._lock:
            if self.store.get(config_id) is not None:
                raise VersionConflict(f"[{config_id}]: version conflict, document already "
                                      "exists (current version [1])")
            now = self._now_ms()
            self.store.put(config_id, config, now, now)
        return {"config_id": config_id}

    def update(self, config_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT _plugins/_notifications/configs/{config_id}``: ``{"config"}``; a secret sent
        back as GET showed it keeps its stored value."""
        if "config" not in body:
            raise IllegalArgument("config field absent")
        with self._lock:
            current = self.store.get(config_id)
            stored = self.store.config(config_id)
            if current is None or stored is None:
                raise not_found(config_id)
            config = self._parse(channels.restore_redacted(body["config"], stored))
            if config["config_type"] != current.config_type:
                raise LoghavenError("Config type cannot be changed after creation",
                                    status=409, type="status_exception")
            self.store.put(config_id, config, current.created_time_ms, self._now_ms())
        return {"config_id": config_id}

    def _parse(self, config: Any) -> dict[str, Any]:
        parsed = channels.parse_config(config,
                                       vendor_check=self.config.notifications_vendor_url_check)
        if parsed["config_type"] == "email":
            self._check_email(parsed["email"])
        return parsed

    def _check_email(self, data: dict[str, Any]) -> None:
        """OpenSearch's ``validateEmailConfig``: the account and groups exist and are what
        they are named as."""
        account = data["email_account_id"]
        if account in data["email_group_id_list"]:
            raise LoghavenError(f"Config IDs {account} is in both emailAccountID and "
                                "emailGroupIds", status=400, type="status_exception")
        ids = [account, *data["email_group_id_list"]]
        records = {config_id: self.store.get(config_id) for config_id in ids}
        missing = [config_id for config_id, record in records.items() if record is None]
        if missing:
            raise LoghavenError(f"Config IDs not found:[{', '.join(missing)}]", status=404,
                                type="status_exception")
        for config_id, record in records.items():
            assert record is not None
            kind = record.config_type
            if config_id == account and kind != "smtp_account":
                reason = "is not a valid email account ID" if kind == "email_group" else \
                    "is not a valid email group ID or email account ID"
            elif config_id != account and kind != "email_group":
                reason = "is not a valid email group ID" if kind == "smtp_account" else \
                    "is not a valid email group ID or email account ID"
            else:
                continue
            raise LoghavenError(f"configId {config_id} {reason}", status=406,
                                type="status_exception")

    def get(self, config_id: str) -> dict[str, Any]:
        record = self.store.get(config_id)
        if record is None:
            raise not_found(config_id)
        return _search_result([record], 0, 1)

    def list(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET _plugins/_notifications/configs`` with OpenSearch's parameters."""
        ids = [part for part in (params.get("config_id_list") or "").split(",") if part]
        if params.get("config_id"):
            ids.append(params["config_id"])
        if ids:
            return self._by_ids(list(dict.fromkeys(ids)))
        records = [record for record in self.store.all() if _matches(record, params)]
        sort_field = params.get("sort_field") or "last_updated_time_ms"
        if sort_field not in SORT_FIELDS:
            raise IllegalArgument(f"Unknown sort_field [{sort_field}]; one of "
                                  f"{', '.join(SORT_FIELDS)}")
        records.sort(key=lambda record: (_sort_key(record, sort_field), record.config_id),
                     reverse=param_sort_desc(params, "sort_order"))
        start = max(0, param_int(params, "from_index", 0))
        size = max(0, param_int(params, "max_items", DEFAULT_MAX_ITEMS))
        return _search_result(records, start, size)

    def _by_ids(self, ids: list[str]) -> dict[str, Any]:
        found = {config_id: self.store.get(config_id) for config_id in ids}
        missing = [config_id for config_id, record in found.items() if record is None]
        if missing:
            raise not_found(missing[0] if len(ids) == 1 else f"[{', '.join(missing)}]")
        return _search_result([record for record in found.values() if record], 0, len(ids))

    def delete(self, ids: list[str]) -> dict[str, Any]:
        """``DELETE configs/{id}`` or ``configs?config_id_list=``: all or none."""
        if not ids:
            raise LoghavenError("either config_id or config_id_list is required", status=400,
                                type="status_exception")
        with self._lock:
            missing = [config_id for config_id in ids if self.store.get(config_id) is None]
            if missing:
                raise not_found(missing[0] if len(ids) == 1 else f"[{', '.join(missing)}]")
            for config_id in ids:
                self.store.delete(config_id)
        return {"delete_response_list": {config_id: "OK" for config_id in ids}}

    def channels(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET _plugins/_notifications/channels``: the configs that deliver."""
        records = sorted((record for record in self.store.all()
                          if record.config_type in channels.CHANNEL_TYPES),
                         key=lambda record: (record.name, record.config_id))
        start = max(0, param_int(params, "from_index", 0))
        size = max(0, param_int(params, "max_items", DEFAULT_MAX_ITEMS))
        page = records[start:start + size]
        return {"start_index": start, "total_hits": len(records), "total_hit_relation": "eq",
                "channel_list": [{"config_id": record.config_id, "name": record.name,
                                  "description": record.public["description"],
                                  "config_type": record.config_type,
                                  "is_enabled": record.public["is_enabled"]}
                                 for record in page]}

    @staticmethod
    def features() -> dict[str, Any]:
        return {"allowed_config_type_list": list(channels.CONFIG_TYPES),
                "plugin_features": {"tooltip_support": "true"}}

    # sending --------------------------------------------------------------------------------

    def test(self, config_id: str) -> dict[str, Any]:
        """``feature/test/{config_id}``: OpenSearch's test message, and the event it made."""
        record = self.store.get(config_id)
        if record is None:
            raise not_found(config_id)
        if record.config_type not in channels.CHANNEL_TYPES:
            raise IllegalArgument(f"config_type [{record.config_type}] is not a channel")
        event_source = {"title": f"Test Message Title-{config_id}", "reference_id": config_id,
                        "severity": "info", "tags": []}
        message = Message(event_source["title"],
                          f"Test message content body for config id {config_id}",
                          f"<html><header><title>Test Message</title></header><body><p>Test "
                          f"Message for config id {config_id}</p></body></html>")
        delivery = self.send(config_id, message, event_source=event_source)
        return {"event_source": event_source, "status_list": [delivery.to_status()]}

    def send(self, config_id: str, message: Message, *,
             event_source: dict[str, Any] | None = None) -> Delivery:
        """Deliver ``message`` through channel ``config_id``; blocks until delivered or given
        up, never raises for a delivery failure."""
        record = self.store.get(config_id)
        if record is None:
            return Delivery(config_id, "", "", "404", f"NotificationConfig {config_id} not "
                            "found")
        try:
            return self._pool.submit(self._deliver, record, message).result()
        except Exception as exc:  # a bug or a closed pool: still a Delivery, not a raise
            log.exception("sending through [%s] failed", config_id)
            return _delivery(record, Outcome("500", f"Failed to send message "
                                                    f"{type(exc).__name__}"))

    def send_email(self, account_id: str, recipients: Sequence[str],
                   message: Message) -> Delivery:
        """Plain email to ``recipients`` through SMTP account ``account_id`` (for the hosted
        topics' ``email`` subscriptions)."""
        record = self.store.get(account_id)
        if record is None or record.config_type != "smtp_account":
            return Delivery(account_id, "smtp_account", "", "404",
                            f"NotificationConfig {account_id} not found")
        try:
            return self._pool.submit(self._email, record, self.store.config(account_id) or {},
                                     recipients, message).result()
        except Exception as exc:
            log.exception("sending through [%s] failed", account_id)
            return _delivery(record, Outcome("500", f"Failed to send message "
                                                    f"{type(exc).__name__}"))

    def _deliver(self, record: ConfigRecord, message: Message) -> Delivery:
        config = self.store.config(record.config_id)
        if config is None:
            return Delivery(record.config_id, record.config_type, record.name, "404",
                            f"NotificationConfig {record.config_id} not found")
        if not config["is_enabled"]:
            return _delivery(record, Outcome(*MUTED))
        config_type = config["config_type"]
        data = config[config_type]
        timeout = self.timeout
        if config_type in ("slack", "chime", "microsoft_teams", "webhook"):
            outcome = self._retrying(lambda: webhook.send(config_type, data, message, timeout))
        elif config_type == "sns":
            outcome = self._retrying(lambda: sns.send(
                data, message, timeout, topics=self.topics,
                endpoint_url=self.config.notifications_sns_endpoint_url))
        elif config_type == "email":
            return self._email_channel(record, data, message)
        else:
            outcome = Outcome("400", f"config_type [{config_type}] is not a channel")
        if not outcome.ok:
            log.warning("notification through [%s] (%s) failed: %s %s", record.config_id,
                        config_type, outcome.status_code, outcome.status_text[:200])
        return _delivery(record, outcome)

    def _email_channel(self, record: ConfigRecord, data: dict[str, Any],
                       message: Message) -> Delivery:
        """An email channel: its recipients and its groups' (expanded here, so a group's
        change applies at once), through its SMTP account."""
        account_id = data["email_account_id"]
        account_record, account = self.store.get(account_id), self.store.config(account_id)
        if account_record is None or account is None:
            return _delivery(record, Outcome("404", f"NotificationConfig {account_id} not "
                                                    "found"))
        recipients = [item["recipient"] for item in data["recipient_list"]]
        for group_id in data["email_group_id_list"]:
            group = self.store.get(group_id)
            if group is not None and group.config_type == "email_group":
                recipients += [item["recipient"]
                               for item in group.public["email_group"]["recipient_list"]]
        delivery = self._email(account_record, account, list(dict.fromkeys(recipients)),
                               message, default_subject=record.name)
        return Delivery(record.config_id, record.config_type, record.name,
                        delivery.status_code, delivery.status_text, delivery.recipients)

    def _email(self, account_record: ConfigRecord, account: dict[str, Any],
               recipients: list[str], message: Message, default_subject: str = "") -> Delivery:
        if not account.get("is_enabled", True):
            return _delivery(account_record, Outcome(*MUTED))
        data = account["smtp_account"]
        timeout = self.timeout
        statuses = []
        outcomes = []
        for recipient in recipients:
            outcome = self._retrying(lambda recipient=recipient: email.send(
                data, recipient, message, default_subject or account_record.name, timeout))
            if not outcome.ok:
                log.warning("email through [%s] failed: %s %s", account_record.config_id,
                            outcome.status_code, outcome.status_text[:200])
            outcomes.append(outcome)
            statuses.append({"recipient": recipient,
                             "delivery_status": {"status_code": outcome.status_code,
                                                 "status_text": outcome.status_text}})
        failed = [outcome for outcome in outcomes if not outcome.ok]
        overall = failed[0] if failed else Outcome("200", "Success") if outcomes else \
            Outcome("400", "No recipients")
        return Delivery(account_record.config_id, account_record.config_type,
                        account_record.name, overall.status_code, overall.status_text,
                        tuple(statuses))

    def _retrying(self, attempt: Callable[[], Outcome]) -> Outcome:
        wait = self.backoff
        attempts = max(1, self.config.notifications_retry_attempts)
        for number in range(1, attempts + 1):
            outcome = attempt()
            if outcome.ok or not outcome.transient or number == attempts:
                return outcome
            time.sleep(wait)
            wait *= 2
        raise AssertionError("unreachable")

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)


def _delivery(record: ConfigRecord, outcome: Outcome) -> Delivery:
    return Delivery(record.config_id, record.config_type, record.name, outcome.status_code,
                    outcome.status_text)


def _search_result(records: list[ConfigRecord], start: int, size: int) -> dict[str, Any]:
    return {"start_index": start, "total_hits": len(records), "total_hit_relation": "eq",
            "config_list": [record.info() for record in records[start:start + size]]}


def _sort_key(record: ConfigRecord, field: str) -> Any:
    if field == "config_id":
        return record.config_id
    if field in ("created_time_ms", "last_updated_time_ms"):
        return getattr(record, field)
    return record.public[field]


def _words(text: str) -> set[str]:
    return {word for word in "".join(c if c.isalnum() else " " for c in text.lower()).split()}


def _matches(record: ConfigRecord, params: Mapping[str, str]) -> bool:
    """OpenSearch's listing filters: keyword (``config_type``, a comma list), boolean
    (``is_enabled``), text (``name``, ``description``: any word) and ``text_query``/``query``
    (any word of the name, the description or the type's shown values)."""
    public = record.public
    if params.get("config_type") and \
            public["config_type"] not in params["config_type"].split(","):
        return False
    if "is_enabled" in params and public["is_enabled"] != param_bool(params, "is_enabled"):
        return False
    for field in ("name", "description"):
        if params.get(field) and not _words(params[field]) & _words(public[field]):
            return False
    for key in ("text_query", "query"):
        if params.get(key):
            haystack = _words(" ".join((public["name"], public["description"],
                                        public["config_type"],
                                        _values(public[public["config_type"]]))))
            if not _words(params[key]) & haystack:
                return False
    return True


def _values(data: Any) -> str:
    if isinstance(data, dict):
        return " ".join(_values(value) for value in data.values())
    if isinstance(data, list):
        return " ".join(_values(value) for value in data)
    return str(data)

