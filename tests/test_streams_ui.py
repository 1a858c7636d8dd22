"""The UI's Ingest pages in a real browser (Debian's Chromium driven by Playwright), security
off: a delivery stream created in the form with an ingest pipeline as its transformation, fed
through Firehose's JSON 1.1 API, its counters seen to change after delivery, a duplicate name
refused with Firehose's message, the stream deleted; a HEC token created (shown once), an
event sent with it (the page's curl command) and found in its index, the token disabled and
deleted; a Splunk destination shown without its token; configuration-file tokens listed, not
editable."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server
from hec.conftest import TOKENS, hec_server

#: How long a delivery may take to show (the detail page refreshes every 5 seconds).
DELIVERY_MS = 30_000


def firehose(client: httpx.Client, operation: str, body: dict) -> httpx.Response:
    """One call of Firehose's JSON 1.1 API, as boto3 sends it (without a signature)."""
    return client.post("/", content=json.dumps(body), headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"Firehose_20150804.{operation}"})


def hits(es: httpx.Client, index: str) -> list[dict]:
    assert es.post(f"/{index}/_refresh").status_code == 200
    found = es.post(f"/{index}/_search", json={"size": 100})
    assert found.status_code == 200, found.text
    return [hit["_source"] for hit in found.json()["hits"]["hits"]]


def create_stream(page: playwright_api.Page, server: Server, name: str, index: str,
                  pipeline: str | None = None) -> None:
    page.goto(server.url + "/_dashboards/#ingest/streams/new")
    page.fill("#stream-name", name)
    page.fill("#stream-index", index)
    page.select_option("#stream-rotation", "NoRotation")
    page.fill("#stream-size", "1")
    page.fill("#stream-interval", "0")
    if pipeline:
        page.select_option("#stream-transform", "pipeline")
        page.select_option("#stream-pipeline", pipeline)
    page.select_option("#stream-backup-mode", "AllDocuments")
    page.fill("#stream-bucket", "ui-backups")
    page.fill("#stream-prefix", f"{name}/")
    page.click("#save-stream")


def test_a_stream_is_created_in_the_form_delivers_and_is_deleted(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    pipeline = f"{index_name}-tag"
    assert es.put(f"/_ingest/pipeline/{pipeline}", json={"processors": [
        {"set": {"field": "via", "value": "ui"}}]}).status_code == 200
    name = f"{index_name}-stream"
    create_stream(page, server, name, index_name, pipeline)

    # The new stream's page: its configuration as the server describes it.
    expect(page.locator("#stream-title")).to_have_text(name)
    config = page.locator("#stream-config")
    expect(config).to_contain_text(f"index {index_name}, no rotation")
    expect(config).to_contain_text(f"ingest pipeline {pipeline}")
    expect(config).to_contain_text("1 MB or 0 s")
    expect(config).to_contain_text(f"s3://ui-backups/{name}/")
    expect(page.locator("#stream-example")).to_contain_text(f'DeliveryStreamName="{name}"')
    delivered = page.locator("#stream-chart .bar-row[data-label='delivered'] .bar-count")
    expect(delivered).to_have_text("0")

    # Records put through the API are delivered; the page's counters follow.
    records = [{"Data": base64.b64encode(json.dumps({"n": n}).encode()).decode()}
               for n in range(3)]
    answer = firehose(es, "PutRecordBatch", {"DeliveryStreamName": name, "Records": records})
    assert answer.status_code == 200 and answer.json()["FailedPutCount"] == 0, answer.text
    expect(delivered).to_have_text("3", timeout=DELIVERY_MS)
    expect(page.locator("#stream-chart .bar-row[data-label='incoming'] .bar-count")) \
        .to_have_text("3")
    expect(page.locator("#stream-chart .bar-row[data-label='transformed'] .bar-count")) \
        .to_have_text("3")
    expect(page.locator("#stream-buffered")).to_contain_text("0 records")
    assert sorted(hits(es, index_name), key=lambda doc: doc["n"]) == [
        {"n": n, "via": "ui"} for n in range(3)]

    # The list shows it with its destination and counters.
    page.click("text=All streams")
    row = page.locator(f"tr[data-stream='{name}']")
    expect(row.locator(".destination")).to_contain_text(index_name)
    expect(row.locator(".delivered")).to_have_text("3")
    expect(row.locator(".failed")).to_have_text("0")
    expect(row.locator(".state")).to_contain_text("ACTIVE")

    # A second stream of the same name: Firehose's refusal, shown beside the form.
    create_stream(page, server, name, index_name)
    expect(page.locator("#stream-form-status .notice.error")).to_contain_text("already exists")
    expect(page).to_have_url(server.url + "/_dashboards/#ingest/streams/new")

    # Deleted from the list (after the confirmation).
    page.goto(server.url + "/_dashboards/#ingest/streams")
    page.locator(f"tr[data-stream='{name}'] button.delete").click()
    expect(page.locator(f"tr[data-stream='{name}']")).to_have_count(0)
    listed = firehose(es, "ListDeliveryStreams", {}).json()["DeliveryStreamNames"]
    assert name not in listed


def test_a_splunk_streams_destination_shows_without_its_token(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    """A stream to a Splunk HEC endpoint (created with the API: the form makes index streams)
    shows its endpoint and acknowledgement timeout; its HEC token appears nowhere."""
    name = f"{index_name}-splunk"
    secret = f"{index_name}-hec-token-secret"
    created = firehose(es, "CreateDeliveryStream", {
        "DeliveryStreamName": name, "SplunkDestinationConfiguration": {
            "HECEndpoint": "https://splunk.example.invalid:8088", "HECEndpointType": "Event",
            "HECToken": secret, "HECAcknowledgmentTimeoutInSeconds": 300,
            "S3Configuration": {"RoleARN": "arn:aws:iam::000000000000:role/r",
                                "BucketARN": "arn:aws:s3:::splunk-backups"}}})
    assert created.status_code == 200, created.text
    page.goto(server.url + "/_dashboards/#ingest/streams")
    row = page.locator(f"tr[data-stream='{name}']")
    expect(row.locator(".destination")).to_have_text(
        "Splunk https://splunk.example.invalid:8088 (Event)")
    row.get_by_role("link", name="Details").click()
    config = page.locator("#stream-config")
    expect(config).to_contain_text("Acknowledgement timeout300 s")
    expect(config).to_contain_text("failed events only")
    assert secret not in page.content()
    assert firehose(es, "DeleteDeliveryStream", {"DeliveryStreamName": name}).status_code == 200


def test_the_form_says_what_is_missing(page: playwright_api.Page, server: Server,
                                       index_name: str) -> None:
    page.goto(server.url + "/_dashboards/#ingest/streams/new")
    page.fill("#stream-name", f"{index_name}-fn")
    page.fill("#stream-index", index_name)
    page.select_option("#stream-transform", "function")
    page.click("#save-stream")
    expect(page.locator("#stream-form-status .notice.error")).to_contain_text(
        "Enter the function's http(s) URL")
    # What the server refuses comes back with Firehose's message.
    page.fill("#stream-function", "ftp://example.invalid/transform")
    page.click("#save-stream")
    expect(page.locator("#stream-form-status .notice.error")).to_contain_text("400: ")
    page.fill("#stream-index", "Bad,Index")
    page.select_option("#stream-transform", "none")
    page.click("#save-stream")
    expect(page.locator("#stream-form-status .notice.error")).to_contain_text("IndexName")


def test_a_hec_token_is_created_used_disabled_and_deleted(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    name = f"{index_name}-senders"
    page.goto(server.url + "/_dashboards/#ingest/hec")
    expect(page.locator("#hec-list table")).to_be_visible()
    page.fill("#hec-name", name)
    page.fill("#hec-index", index_name)
    page.click("#create-token")

    # Shown once, with a curl command that uses it.
    token = page.locator("#new-token-value").input_value()
    assert len(token) == 36
    expect(page.locator("#created-token")).to_contain_text("not shown again")
    expect(page.locator("#token-example")).to_contain_text(f"Authorization: Splunk {token}")
    expect(page.locator("#token-example")).to_contain_text("/services/collector/event")
    row = page.locator(f"tr[data-token='{name}']")
    expect(row.locator(".index")).to_have_text(index_name)
    expect(row.locator(".state")).to_contain_text("enabled")
    assert token not in page.locator("#hec-list").inner_text()

    # The page's curl command, run as shown, sends an event into the token's index.
    command = page.locator("#token-example").inner_text()
    sent = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert json.loads(sent.stdout) == {"text": "Success", "code": 0}, sent.stderr
    assert [(doc["message"], doc["splunk"]["sourcetype"]) for doc in hits(es, index_name)] \
        == [("hello from curl", "manual")]

    # A name taken: Splunk's refusal, shown beside the form.
    page.fill("#hec-name", name)
    page.click("#create-token")
    expect(page.locator("#hec-form-status .notice.error")).to_contain_text("409")

    # Disabled: the next event is refused; deleted: the token is gone.
    row.locator("button.toggle").click()
    expect(row.locator(".state")).to_contain_text("disabled")
    refused = es.post("/services/collector/event", headers={"Authorization": f"Splunk {token}"},
                      content=json.dumps({"event": "refused"}))
    assert refused.json() == {"text": "Token disabled", "code": 1}
    row.locator("button.delete").click()
    expect(page.locator(f"tr[data-token='{name}']")).to_have_count(0)
    gone = es.post("/services/collector/event", headers={"Authorization": f"Splunk {token}"},
                   content=json.dumps({"event": "refused"}))
    assert gone.json() == {"text": "Invalid token", "code": 4}


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with HEC tokens in its configuration file (hec.tokens)."""
    instance = hec_server(tmp_path_factory.mktemp("hec-ui") / "data").start()
    yield instance
    instance.stop()


def test_configuration_file_tokens_are_listed_not_editable(
        page: playwright_api.Page, configured: Server) -> None:
    page.goto(configured.url + "/_dashboards/#ingest/hec")
    limited = page.locator("tr[data-token='limited']")
    expect(limited.locator(".index")).to_have_text("hec-allowed")
    expect(limited.locator(".indexes")).to_have_text("hec-allowed, hec-other")
    expect(limited.locator(".state")).to_contain_text("config file")
    expect(limited.locator("button")).to_have_count(0)
    expect(page.locator("tr[data-token='off'] .state")).to_contain_text("disabled")
    expect(page.locator("tr[data-token='acked'] .state")).to_contain_text("ack")
    assert not any(token in page.content() for token in TOKENS.values())
