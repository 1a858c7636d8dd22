"""Slack, Chime, Microsoft Teams and custom webhooks over HTTP (httpx), with the bodies
OpenSearch's ``DestinationHttpClient`` sends: ``{"text"}`` for Slack and Teams, ``{"Content"}``
for Chime (the title, a blank line, then the text), the text as it is for a custom webhook."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from loghaven.notify.message import Message
from loghaven.notify.senders import Outcome, scrub

#: The answers OpenSearch takes as delivered.
DELIVERED = frozenset({200, 201, 202, 203, 204, 205, 206, 207})
_KEYS = {"slack": "text", "microsoft_teams": "text", "chime": "Content"}


def body(config_type: str, message: Message) -> tuple[bytes, dict[str, str]]:
    """The request body and its default headers."""
    if config_type == "webhook":
        return message.text.encode(), {"Content-Type": "application/json"}
    text = f"{message.subject}\n\n{message.text}" if message.subject else message.text
    return orjson.dumps({_KEYS[config_type]: text}), {"Content-Type": "application/json"}


def send(config_type: str, data: dict[str, Any], message: Message,
         timeout: float) -> Outcome:
    content, headers = body(config_type, message)
    method = "POST"
    params: dict[str, str] = {}
    if config_type == "webhook":
        method = data["method"]
        params = data.get("parameters", {})
        if data["header_params"]:  # as OpenSearch: the given headers replace the default
            headers = dict(data["header_params"])
    secrets = [data["url"], *params.values(), *data.get("header_params", {}).values()]
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.request(method, data["url"], content=content, headers=headers,
                                      params=params or None)
    except httpx.HTTPError as exc:
        reason = scrub(str(exc) or type(exc).__name__, *secrets)
        return Outcome("500", f"Failed to send message {reason}", transient=True)
    if response.status_code in DELIVERED:
        return Outcome("200", response.text or "{}")
    transient = response.status_code >= 500 or response.status_code == 429
    return Outcome("500", scrub(f"Failed to send message Failed: {response.status_code} "
                                f"{response.text}", *secrets), transient=transient)
