"""Alerting's legacy destinations (``_plugins/_alerting/destinations``), read from and written
to the channels, as OpenSearch's Alerting does since destinations moved to Notifications.

A Slack, Chime, custom webhook, email or SNS channel reads as a destination
(``{"id", "type", "name", "user", "schema_version", "seq_no", "primary_term",
"last_update_time", <type>: {...}}``); creating or updating a destination writes the channel of
the same id. Microsoft Teams channels, SMTP accounts and email groups have no destination form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlunsplit

from loghaven.errors import IllegalArgument
from loghaven.notify.service import NotificationService, not_found
from loghaven.notify.store import ConfigRecord
from loghaven.params import expect_object, expect_string, param_int, param_sort_desc

SCHEMA_VERSION = 3
CONFIG_INDEX = ".opendistro-alerting-config"
_TYPES = {"slack": "slack", "chime": "chime", "webhook": "custom_webhook", "email": "email",
          "sns": "sns"}


def destination(record: ConfigRecord) -> dict[str, Any] | None:
    """The destination form of a channel (secrets redacted as in its GET)."""
    legacy_type = _TYPES.get(record.config_type)
    if legacy_type is None:
        return None
    data = record.public[record.config_type]
    if legacy_type == "custom_webhook":
        data = {"url": data["url"], "scheme": None, "host": None, "port": -1, "path": None,
                "query_params": data.get("parameters", {}),
                "header_params": data["header_params"], "method": data["method"],
                "username": None, "password": None}
    elif legacy_type == "email":
        data = {"email_account_id": data["email_account_id"],
                "recipients": [{"type": "email", "email": item["recipient"]}
                               for item in data["recipient_list"]]
                + [{"type": "email_group", "email_group_id": group}
                   for group in data["email_group_id_list"]]}
    return {"id": record.config_id, "type": legacy_type, "name": record.name, "user": None,
            "schema_version": SCHEMA_VERSION, "seq_no": 0, "primary_term": 1,
            "last_update_time": record.last_updated_time_ms, legacy_type: data}


def list_destinations(service: NotificationService, params: Mapping[str, str],
                      destination_id: str | None = None) -> dict[str, Any]:
    """``GET destinations[/{id}]``: ``{"totalDestinations", "destinations"}``."""
    if destination_id is not None:
        record = service.store.get(destination_id)
        found = destination(record) if record is not None else None
        if found is None:
            raise not_found(destination_id)
        return {"totalDestinations": 1, "destinations": [found]}
    kind = params.get("destinationType", "ALL")
    search = params.get("searchString", "").lower()
    destinations = [found for record in service.store.all()
                    if (found := destination(record)) is not None
                    and kind in ("ALL", found["type"]) and search in found["name"].lower()]
    destinations.sort(key=lambda found: found["name"],
                      reverse=param_sort_desc(params, "sortOrder"))
    start = param_int(params, "startIndex", 0)
    size = param_int(params, "size", 20)
    return {"totalDestinations": len(destinations),
            "destinations": destinations[start:start + size]}


def write_destination(service: NotificationService, body: dict[str, Any],
                      destination_id: str | None = None) -> dict[str, Any]:
    """``POST destinations`` / ``PUT destinations/{id}``: the channel of the destination."""
    config = channel_config(body)
    if destination_id is None:
        destination_id = service.create({"config": config})["config_id"]
    else:
        service.update(destination_id, {"config": config})
    record = service.store.get(destination_id)
    assert record is not None
    return {"_id": destination_id, "_version": 1, "_seq_no": 0, "_primary_term": 1,
            "destination": destination(record)}


def delete_destination(service: NotificationService, destination_id: str) -> dict[str, Any]:
    service.delete([destination_id])
    return {"_index": CONFIG_INDEX, "_id": destination_id, "_version": 1, "result": "deleted",
            "forced_refresh": True, "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": 0, "_primary_term": 1}


def channel_config(body: dict[str, Any]) -> dict[str, Any]:
    """A legacy destination body as a channel config (validated by the service)."""
    legacy_type = expect_string(body.get("type", ""), "type", "destination")
    name = body.get("name")
    if legacy_type not in _TYPES.values():
        raise IllegalArgument(f"Unsupported destination type [{legacy_type}]")
    data = expect_object(body.get(legacy_type), legacy_type, "destination")
    config_type = next(key for key, value in _TYPES.items() if value == legacy_type)
    if legacy_type == "custom_webhook":
        data = _webhook(data)
    elif legacy_type == "email":
        recipients = [expect_object(item, "recipients", "email")
                      for item in data.get("recipients", [])]
        data = {"email_account_id": data.get("email_account_id"),
                "recipient_list": [{"recipient": item.get("email")} for item in recipients
                                   if item.get("type") == "email"],
                "email_group_id_list": [item.get("email_group_id") for item in recipients
                                        if item.get("type") == "email_group"]}
    return {"name": name, "description": "", "config_type": config_type, "is_enabled": True,
            config_type: data}


def _webhook(data: dict[str, Any]) -> dict[str, Any]:
    """A custom webhook given as ``url`` or as its parts (scheme, host, port, path,
    query_params)."""
    url = data.get("url")
    params = data.get("query_params") or {}
    if not url:
        host = data.get("host") or ""
        port = data.get("port", -1)
        netloc = f"{host}:{port}" if isinstance(port, int) and port > 0 else host
        path = str(data.get("path") or "")
        url = urlunsplit((data.get("scheme") or "https", netloc,
                          path if path.startswith("/") or not path else "/" + path,
                          urlencode(params), ""))
        params = {}
    converted = {"url": url, "header_params": data.get("header_params") or {},
                 "method": data.get("method") or "POST"}
    if params:
        converted["parameters"] = params
    return converted
