"""What a feature sends through a channel, and what became of it (the contract of issue 15)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email (a report's CSV); other channels send only the text."""

    filename: str
    content_type: str        # "text/csv"
    data: bytes


@dataclass(frozen=True)
class Message:
    subject: str | None      # email subject / Slack title; None → channel's default
    text: str                # the rendered message
    html: str | None = None  # optional HTML body for email
    attachments: tuple[Attachment, ...] = ()  # email only


@dataclass(frozen=True)
class Delivery:
    """One send's outcome, as OpenSearch's ``delivery_status`` reports it."""

    config_id: str
    config_type: str
    config_name: str
    status_code: str         # "200" on success, HTTP/SMTP code or "500"/"404" as OpenSearch
    status_text: str         # response text or error reason (never a secret)
    recipients: tuple[dict[str, Any], ...] = ()   # email: {"recipient","delivery_status"}

    @property
    def ok(self) -> bool:
        return self.status_code.startswith("2")

    def to_status(self) -> dict[str, Any]:
        """OpenSearch's ``EventStatus``: one entry of an event's ``status_list``."""
        return {"config_id": self.config_id, "config_type": self.config_type,
                "config_name": self.config_name,
                "email_recipient_status": list(self.recipients),
                "delivery_status": {"status_code": self.status_code,
                                    "status_text": self.status_text}}
