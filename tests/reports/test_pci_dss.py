"""The PCI-DSS pack end to end: CloudTrail records with known violations written through the
CloudTrail parser's pipeline, the pack installed over HTTP (twice: nothing doubles), the
report generated on demand with opensearch-py and delivered by email to aiosmtpd: the text
body has the seed's "Logging Compliance Report" layout line for line, the CSV attachment one
row per violation, and the report's history serves the same renderings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from opensearchpy import OpenSearch
from tests.notify.conftest import SmtpServer

from conftest import Server

from .conftest import cloudtrail_record, email_channel, messages, minutes_ago, write_records

PACK = "/_plugins/_reports/packs/pci-dss/_install"
REPORT_ID = "loghaven-pci-dss-logging-compliance-report"
ROOT = {"type": "Root", "principalId": "123456789012",
        "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}
FAILED_LOGIN = {"eventType": "AwsConsoleSignIn", "errorMessage": "Failed authentication",
                "responseElements": {"ConsoleLogin": "Failure"}}

#: The seed's sample report, below its first line (its date): three alterations of log
#: sources and two IAM changes in the last day, nothing else.
SEED_LAYOUT = """\
Violations for time period: 'now-1d'

All Failed login attempts
- No Alerts Found
All Commands, API action taken by AWS root user
- No Alerts Found
Action related to RDS (configuration changes)
- No Alerts Found
Action related to enabling/disabling/changing of CloudTrail CloudWatch logs
- 3 API calls indicating alteration of log sources detected
All access to S3 bucket that stores the AWS logs
- No Alerts Found
Action related to VPCs (creation, deletion and changes)
- No Alerts Found
Action related to changes to SGs/NACLs (creation, deletion and changes)
- No Alerts Found
Action related to changes to IAM roles, users, and groups (creation, deletion and changes)
- 2 API calls indicating creation, alteration or deletion of IAM roles, users, and groups
Action related to changes to Route Tables (creation, deletion and changes)
- No Alerts Found
Action related to changes to Subnets (creation, deletion and changes)
- No Alerts Found
""".splitlines()
LOGGING = "Action related to enabling/disabling/changing of CloudTrail CloudWatch logs"
IAM = "Action related to changes to IAM roles, users, and groups (creation, deletion and " \
      "changes)"


def data_set() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(violations of the last day, newest first; everything else): read-only calls, a
    successful console login, a read of another bucket, and every kind of violation two
    days ago."""
    violations = [
        cloudtrail_record("CreateUser", "iam.amazonaws.com", minutes_ago(20),
                          requestParameters={"userName": "mallory"}),
        cloudtrail_record("StopLogging", "cloudtrail.amazonaws.com", minutes_ago(30),
                          requestParameters={"name": "org-trail"}),
        cloudtrail_record("AttachRolePolicy", "iam.amazonaws.com", minutes_ago(45)),
        cloudtrail_record("UpdateTrail", "cloudtrail.amazonaws.com", minutes_ago(60)),
        cloudtrail_record("DeleteLogGroup", "logs.amazonaws.com", minutes_ago(90),
                          requestParameters={"logGroupName": "/aws/cloudtrail"})]
    old = minutes_ago(60 * 48)
    others = [
        cloudtrail_record("DescribeTrails", "cloudtrail.amazonaws.com", minutes_ago(15),
                          read_only=True),
        cloudtrail_record("ListUsers", "iam.amazonaws.com", minutes_ago(16), read_only=True),
        cloudtrail_record("DescribeDBInstances", "rds.amazonaws.com", minutes_ago(17),
                          read_only=True),
        cloudtrail_record("DescribeVpcs", "ec2.amazonaws.com", minutes_ago(18), read_only=True),
        cloudtrail_record("ConsoleLogin", "signin.amazonaws.com", minutes_ago(19),
                          eventType="AwsConsoleSignIn",
                          responseElements={"ConsoleLogin": "Success"}),
        cloudtrail_record("GetObject", "s3.amazonaws.com", minutes_ago(21), read_only=True,
                          resources=[{"type": "AWS::S3::Object",
                                      "ARN": "arn:aws:s3:::acme-website/index.html"}]),
        cloudtrail_record("StartInstances", "ec2.amazonaws.com", old, identity=ROOT),
        cloudtrail_record("ConsoleLogin", "signin.amazonaws.com", old, **FAILED_LOGIN),
        cloudtrail_record("CreateVpc", "ec2.amazonaws.com", old),
        cloudtrail_record("DeleteSubnet", "ec2.amazonaws.com", old),
        cloudtrail_record("CreateUser", "iam.amazonaws.com", old),
        cloudtrail_record("StopLogging", "cloudtrail.amazonaws.com", old)]
    return violations, others


@pytest.fixture(scope="module")
def records(reports_server: Server) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The data set, written once for the module's tests."""
    violations, others = data_set()
    with httpx.Client(base_url=reports_server.url, timeout=60) as http:
        write_records(http, violations + others)
    return violations, others


def heading(created_ms: int) -> str:
    moment = datetime.fromtimestamp(created_ms / 1000, UTC)
    return f"Logging Compliance Report - {moment.strftime('%A, %d. %B %Y %I:%M%p')}"


def stamp(record: dict[str, Any]) -> str:
    return record["eventTime"].replace("Z", ".000Z")


def detail(record: dict[str, Any]) -> str:
    return (f"  {stamp(record)}  event.action={record['eventName']}  "
            f"event.provider={record['eventSource']}  user.name=alice  "
            "source.address=198.51.100.7  cloud.region=eu-west-1  event.outcome=success")


def csv_row(section: str, record: dict[str, Any]) -> str:
    title = f'"{section}"' if "," in section else section
    return (f"{title},{stamp(record)},{record['eventName']},{record['eventSource']},alice,"
            "198.51.100.7,eu-west-1,success,")


def test_logging_compliance_report_by_email(
        reports_server: Server, client: httpx.Client, smtp: SmtpServer,
        records: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    violations, _ = records
    channel = email_channel(client, smtp, "compliance@example.com")

    installed = client.post(PACK, json={"delivery": {"configIds": [channel]}})
    assert installed.status_code == 200, installed.text
    assert installed.json()["reportDefinition"] == "created"
    again = client.post(PACK, json={})
    assert again.json()["reportDefinition"] == "existing"
    assert again.json()["savedObjects"]["created"] == []
    assert len(again.json()["savedObjects"]["existing"]) == 11  # ten searches, the pattern
    listed = client.get("/_plugins/_reports/definitions").json()
    assert [d["id"] for d in listed["reportDefinitionDetailsList"]].count(REPORT_ID) == 1
    definition = client.get(f"/_plugins/_reports/definition/{REPORT_ID}").json()[
        "reportDefinitionDetails"]["reportDefinition"]
    assert definition["trigger"] == {"triggerType": "CronSchedule", "schedule": {
        "cron": {"expression": "0 6 * * *", "timezone": "UTC"}}}
    assert [s["savedSearchId"] for s in definition["sections"]][:2] == [
        "loghaven-pci-dss-failed-console-logins", "loghaven-pci-dss-root-user-actions"]
    # the guidelines are saved searches Discover opens
    search = client.get("/_dashboards/api/saved_objects/search/loghaven-pci-dss-iam-changes")
    assert search.status_code == 200 and search.json()["attributes"]["columns"][0] == \
        "event.action"

    opensearch = OpenSearch(hosts=[reports_server.url], timeout=60)
    instance = opensearch.transport.perform_request(
        "POST", f"/_plugins/_reports/on_demand/{REPORT_ID}")["reportInstance"]
    assert instance["status"] == "Success", instance
    assert instance["endTimeMs"] - instance["beginTimeMs"] == 86_400_000
    assert [s["total"] for s in instance["sections"]] == [0, 0, 0, 3, 0, 0, 0, 2, 0, 0]
    [status] = instance["delivery"]
    assert status["config_id"] == channel
    assert status["delivery_status"] == {"status_code": "200", "status_text": "Success"}

    [mail] = messages(smtp)
    title = heading(instance["createdTimeMs"])
    assert mail["To"] == "compliance@example.com" and mail["Subject"] == title
    plain = mail.get_body(("plain",))
    assert plain is not None
    lines = plain.get_content().splitlines()
    assert lines[0] == title
    assert lines[1:len(SEED_LAYOUT) + 1] == SEED_LAYOUT
    logging, iam = [v for v in violations if v["eventSource"] != "iam.amazonaws.com"], \
        [v for v in violations if v["eventSource"] == "iam.amazonaws.com"]
    assert lines[len(SEED_LAYOUT) + 1:] == [
        "", "Top events", LOGGING, *map(detail, logging), IAM, *map(detail, iam)]

    html = mail.get_body(("html",))
    assert html is not None
    page = html.get_content().replace("\r\n", "\n")  # as SMTP carries lines
    assert "<h2>All Failed login attempts</h2>\n<p>- No Alerts Found</p>" in page
    assert "<td>DeleteLogGroup</td>" in page

    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename().startswith("Logging-Compliance-Report_")
    csv = attachment.get_content()
    if isinstance(csv, bytes):
        csv = csv.decode()
    assert csv.splitlines() == [
        "section,@timestamp,event.action,event.provider,user.name,source.address,"
        "cloud.region,event.outcome,error.code",
        *(csv_row(LOGGING, v) for v in logging), *(csv_row(IAM, v) for v in iam)]

    # the history: the instance, and its renderings for download
    base = f"/_plugins/_reports/instance/{instance['id']}"
    assert client.get(base).json()["reportInstance"]["status"] == "Success"
    history = client.get("/_plugins/_reports/instances").json()
    assert instance["id"] in [i["id"] for i in history["reportInstanceList"]]
    download = client.get(f"{base}/_download", params={"format": "csv"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.text == csv
    text = client.get(f"{base}/_download", params={"format": "txt"}).text
    assert text.splitlines() == lines
    assert client.get(f"{base}/_download", params={"format": "html"}).text == page


def test_outside_the_window_and_other_guidelines(
        client: httpx.Client, records: tuple[list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    """Each guideline counts its own kind of event, and only within ``now-1d``: an inline
    query section over the same records counts what the saved searches leave out."""
    now = datetime.now(UTC)
    made = client.post("/_plugins/_reports/definition", json={"reportDefinition": {
        "name": "Root and logins",
        "sections": [{"title": "root", "savedSearchId": "loghaven-pci-dss-root-user-actions"},
                     {"title": "two days", "indexPattern": "cloudtrail-*",
                      "queryString": "event.action:StopLogging",
                      "matchText": "StopLogging calls"}],
        "format": {"timeFrom": "now-3d", "topEvents": 0},
        "trigger": {"triggerType": "OnDemand"}}})
    assert made.status_code == 200, made.text
    report_id = made.json()["reportDefinitionId"]
    instance = client.post(f"/_plugins/_reports/on_demand/{report_id}").json()[
        "reportInstance"]
    assert [s["total"] for s in instance["sections"]] == [1, 2]
    assert instance["beginTimeMs"] <= (now - timedelta(days=3)).timestamp() * 1000 + 60_000
    text = client.get(f"/_plugins/_reports/instance/{instance['id']}/_download",
                      params={"format": "txt"}).text
    assert text.splitlines()[1:] == ["Events for time period: 'now-3d'", "", "root",
                                     "- 1 matching events", "two days", "- 2 StopLogging calls"]
