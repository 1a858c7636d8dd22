"""What a feature sends (Message) and what came of one send (Delivery), as CONTRACT15 fixes
them between the notifications service, hosted topics and the alerting runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    subject: str | None      # email subject / Slack title; None → channel's default
    text: str                # the rendered message
    html: str | None = None  # optional HTML body for email


@dataclass(frozen=True)
class Delivery:
    config_id: str
    config_type: str         # "slack", "webhook", "email", "sns", ...
    config_name: str
    status_code: str         # "200" on success, HTTP/SMTP code or "500"/"404" as OpenSearch
    status_text: str         # response text or error reason (never a secret)
    recipients: tuple[dict[str, Any], ...] = ()   # email: {"recipient","delivery_status"}

    @property
    def ok(self) -> bool:
        return self.status_code.startswith("2")
