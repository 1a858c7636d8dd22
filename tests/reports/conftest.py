"""Fixtures of the report tests: a server whose notifications retry quickly, aiosmtpd (the
notification tests' ``smtp`` fixture), email channels to it, and CloudTrail records written
through the CloudTrail parser's pipeline (the ``cloudtrail-*`` index template)."""

from __future__ import annotations

import email
import email.policy
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import orjson
import pytest
from tests.notify.conftest import NOTIFY_ENV, SmtpServer, smtp  # noqa: F401 (a fixture)

from conftest import Server

_ids = itertools.count()


@pytest.fixture(scope="module")
def reports_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("reports") / "data", env=NOTIFY_ENV).start()
    yield instance
    instance.stop()


@pytest.fixture
def client(reports_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=reports_server.url, timeout=60) as http:
        yield http


def email_channel(client: httpx.Client, mail: SmtpServer, recipient: str) -> str:
    """An SMTP account for ``mail`` and an email channel to ``recipient``: the channel id."""
    number = next(_ids)
    for config_id, config_type, data in (
            (f"smtp-{number}", "smtp_account",
             {"host": "127.0.0.1", "port": mail.port, "method": "none",
              "from_address": "reports@example.com"}),
            (f"mail-{number}", "email",
             {"email_account_id": f"smtp-{number}",
              "recipient_list": [{"recipient": recipient}]})):
        made = client.post("/_plugins/_notifications/configs", json={
            "config_id": config_id, "config": {"name": f"{config_type} {number}",
                                               "config_type": config_type, config_type: data}})
        assert made.status_code == 200, made.text
    return f"mail-{number}"


def messages(mail: SmtpServer) -> list[EmailMessage]:
    return [email.message_from_bytes(envelope.content, policy=email.policy.default)
            for envelope in mail.mailbox.envelopes]


def cloudtrail_record(name: str, source: str, at: datetime, *, read_only: bool = False,
                      identity: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A CloudTrail record as CloudTrail writes it (before the parser's pipeline)."""
    return {"eventVersion": "1.09", "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source, "eventName": name, "awsRegion": "eu-west-1",
            "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15.0",
            "userIdentity": identity or {"type": "IAMUser", "principalId": "AIDAEXAMPLE",
                                         "arn": "arn:aws:iam::123456789012:user/alice",
                                         "accountId": "123456789012", "userName": "alice"},
            "eventID": f"{name}-{next(_ids)}", "readOnly": read_only,
            "eventType": "AwsApiCall", "managementEvent": True,
            "recipientAccountId": "123456789012", **extra}


def write_records(client: httpx.Client, records: list[dict[str, Any]]) -> None:
    """``_bulk`` into the day's ``cloudtrail-YYYY.MM.DD`` (each record's own day), through the
    index template's default pipeline: the CloudTrail parser's."""
    body = b"".join(
        orjson.dumps({"index": {"_index": "cloudtrail-" + record["eventTime"][:10]
                                .replace("-", ".")}}) + b"\n" + orjson.dumps(record) + b"\n"
        for record in records)
    answer = client.post("/_bulk?refresh=true", content=body,
                         headers={"content-type": "application/x-ndjson"})
    assert answer.status_code == 200 and answer.json()["errors"] is False, answer.text


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes)
