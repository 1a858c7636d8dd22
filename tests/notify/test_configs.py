"""Channel configs over HTTP: each type's CRUD in OpenSearch's shapes, OpenSearch's validation
errors, listing filters, channels and features, redacted secrets, legacy destinations."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

BASE = "/_plugins/_notifications"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/slack-token-123"
_ids = itertools.count()


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def _create(es: httpx.Client, config: dict[str, Any], config_id: str | None = None) -> str:
    body: dict[str, Any] = {"config": config}
    if config_id is not None:
        body["config_id"] = config_id
    response = es.post(f"{BASE}/configs", json=body)
    assert response.status_code == 200, response.text
    return response.json()["config_id"]


def _config(config_type: str, data: dict[str, Any], name: str = "a channel",
            **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "for tests", "config_type": config_type,
            "is_enabled": True, config_type: data, **extra}


def _error(response: httpx.Response, status: int, kind: str, reason: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["type"], error["reason"]) == (kind, reason), error
    assert error["root_cause"][0]["reason"] == reason


@pytest.fixture
def smtp_account(es: httpx.Client) -> str:
    return _create(es, _config("smtp_account", {"host": "127.0.0.1", "port": 25,
                                                "method": "none",
                                                "from_address": "alerts@example.com"}))


@pytest.fixture
def email_group(es: httpx.Client) -> str:
    return _create(es, _config("email_group", {"recipient_list": [
        {"recipient": "oncall@example.com"}]}))


def _each_type(account: str, group: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(config as sent, the type's data as GET shows it)."""
    return [
        (_config("slack", {"url": SLACK_URL}),
         {"url": "https://hooks.slack.com/*****"}),
        (_config("chime", {"url": "https://hooks.chime.aws/incomingwebhooks/abc?token=xyz"}),
         {"url": "https://hooks.chime.aws/*****"}),
        (_config("microsoft_teams", {"url": "https://acme.webhook.office.com/webhookb2/t"}),
         {"url": "https://acme.webhook.office.com/*****"}),
        (_config("webhook", {"url": "https://example.com/hook", "method": "PUT",
                             "header_params": {"Content-Type": "application/json",
                                               "Authorization": "Bearer t0ken"}}),
         {"url": "https://example.com/*****", "method": "PUT",
          "header_params": {"Content-Type": "application/json", "Authorization": "*****"}}),
        (_config("smtp_account", {"host": "smtp.example.com", "port": 587,
                                  "method": "start_tls", "from_address": "a@example.com"}),
         {"host": "smtp.example.com", "port": 587, "method": "start_tls",
          "from_address": "a@example.com"}),
        (_config("email_group", {"recipient_list": [{"recipient": "b@example.com"}]}),
         {"recipient_list": [{"recipient": "b@example.com"}]}),
        (_config("email", {"email_account_id": account,
                           "recipient_list": [{"recipient": "c@example.com"}],
                           "email_group_id_list": [group]}),
         {"email_account_id": account, "recipient_list": [{"recipient": "c@example.com"}],
          "email_group_id_list": [group]}),
        (_config("sns", {"topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts",
                         "role_arn": "arn:aws:iam::123456789012:role/sns-publisher"}),
         {"topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts",
          "role_arn": "arn:aws:iam::123456789012:role/sns-publisher"}),
    ]


def test_each_type_crud(es: httpx.Client, smtp_account: str, email_group: str) -> None:
    for config, shown in _each_type(smtp_account, email_group):
        config_type = config["config_type"]
        config_id = _create(es, config, _id(config_type))
        got = es.get(f"{BASE}/configs/{config_id}")
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["start_index"], body["total_hits"], body["total_hit_relation"]) == \
            (0, 1, "eq")
        info = body["config_list"][0]
        assert info["config_id"] == config_id
        assert isinstance(info["created_time_ms"], int)
        assert info["last_updated_time_ms"] >= info["created_time_ms"]
        assert info["config"] == {"name": "a channel", "description": "for tests",
                                  "config_type": config_type, "is_enabled": True,
                                  config_type: shown}, config_type

        # what GET showed, sent back: the redacted secrets keep the stored ones (a Slack URL
        # shown redacted still passes its check)
        updated = {**info["config"], "name": "renamed", "is_enabled": False}
        response = es.put(f"{BASE}/configs/{config_id}", json={"config": updated})
        assert response.json() == {"config_id": config_id}
        again = es.get(f"{BASE}/configs/{config_id}").json()["config_list"][0]["config"]
        assert (again["name"], again["is_enabled"]) == ("renamed", False)

        deleted = es.delete(f"{BASE}/configs/{config_id}")
        assert deleted.json() == {"delete_response_list": {config_id: "OK"}}
        _error(es.get(f"{BASE}/configs/{config_id}"), 404, "status_exception",
               f"NotificationConfig {config_id} not found")


def test_generated_id_and_duplicate_id(es: httpx.Client) -> None:
    generated = _create(es, _config("slack", {"url": SLACK_URL}))
    assert len(generated) == 20
    config_id = _create(es, _config("slack", {"url": SLACK_URL}), _id("dup"))
    again = es.post(f"{BASE}/configs",
                    json={"config_id": config_id, "config": _config("slack", {"url": SLACK_URL})})
    assert again.status_code == 409, again.text
    assert again.json()["error"]["type"] == "version_conflict_engine_exception"


@pytest.mark.parametrize(("config", "status", "kind", "reason"), [
    ({"config_type": "slack", "slack": {"url": SLACK_URL}}, 400, "illegal_argument_exception",
     "name field absent"),
    ({"name": "x", "slack": {"url": SLACK_URL}}, 400, "illegal_argument_exception",
     "config_type field absent"),
    ({"name": "x", "config_type": "pager"}, 406, "status_exception",
     "NotificationConfig with type NONE is not acceptable"),
    ({"name": "x", "config_type": "slack"}, 400, "illegal_argument_exception",
     "ConfigType: SLACK and data doesn't match"),
    (_config("slack", {"url": "https://example.com/services/x"}), 400,
     "illegal_argument_exception", 'Wrong Slack url. Should contain "hooks.slack.com/services/"'
     ' or "hooks.gov-slack.com/services/"'),
    (_config("chime", {"url": "https://hooks.chime.aws/incomingwebhooks/x"}), 400,
     "illegal_argument_exception", 'Wrong Chime url. Should contain '
     '"hooks.chime.aws/incomingwebhooks/" and "?token="'),
    (_config("microsoft_teams", {"url": "https://example.com/x"}), 400,
     "illegal_argument_exception", 'Wrong Microsoft Teams url. Should contain '
     '"webhook.office.com"'),
    (_config("webhook", {"url": "file:///etc/passwd"}), 400, "illegal_argument_exception",
     "Invalid URL or unsupported"),
    (_config("webhook", {"url": "http://"}), 400, "illegal_argument_exception",
     "Invalid URL or unsupported"),
    (_config("webhook", {"url": ""}), 400, "illegal_argument_exception",
     "URL is null or empty"),
    (_config("webhook", {"url": "https://example.com", "method": "GET"}), 400,
     "illegal_argument_exception",
     "Invalid or empty method supplied. Only POST, PUT and PATCH are allowed"),
    (_config("smtp_account", {"host": "h", "port": 25, "method": "tls",
                              "from_address": "a@example.com"}), 400,
     "illegal_argument_exception", "Invalid method supplied"),
    (_config("smtp_account", {"host": "h", "port": 0, "method": "ssl",
                              "from_address": "a@example.com"}), 400,
     "illegal_argument_exception", "port should be positive value"),
    (_config("smtp_account", {"host": "h", "port": 25, "method": "ssl",
                              "from_address": "not-an-address"}), 400,
     "illegal_argument_exception", "Invalid email address"),
    (_config("email_group", {"recipient_list": [{"recipient": "nobody"}]}), 400,
     "illegal_argument_exception", "Invalid email address"),
    (_config("sns", {"topic_arn": "arn:aws:sqs:us-east-1:123456789012:q"}), 400,
     "illegal_argument_exception", "Invalid AWS SNS topic ARN: "
     "arn:aws:sqs:us-east-1:123456789012:q"),
    (_config("sns", {"topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "role_arn": "r"}),
     400, "illegal_argument_exception", "Invalid AWS role ARN: r"),
    (_config("email", {"email_account_id": "missing-account"}), 404, "status_exception",
     "Config IDs not found:[missing-account]"),
])
def test_validation_errors(es: httpx.Client, config: dict[str, Any], status: int, kind: str,
                           reason: str) -> None:
    _error(es.post(f"{BASE}/configs", json={"config": config}), status, kind, reason)


def test_email_references_checked(es: httpx.Client, smtp_account: str,
                                  email_group: str) -> None:
    _error(es.post(f"{BASE}/configs", json={"config": _config(
        "email", {"email_account_id": email_group})}), 406, "status_exception",
        f"configId {email_group} is not a valid email account ID")
    _error(es.post(f"{BASE}/configs", json={"config": _config(
        "email", {"email_account_id": smtp_account,
                  "email_group_id_list": [smtp_account]})}), 400, "status_exception",
        f"Config IDs {smtp_account} is in both emailAccountID and emailGroupIds")


def test_request_errors(es: httpx.Client) -> None:
    _error(es.post(f"{BASE}/configs", json={"name": "x"}), 400, "illegal_argument_exception",
           "config field absent")
    _error(es.post(f"{BASE}/configs", json={"config_id": "a/b", "config": _config(
        "slack", {"url": SLACK_URL})}), 400, "illegal_argument_exception",
        "Invalid characters in id")
    _error(es.put(f"{BASE}/configs/never-made", json={"config": _config(
        "slack", {"url": SLACK_URL})}), 404, "status_exception",
        "NotificationConfig never-made not found")
    _error(es.delete(f"{BASE}/configs"), 400, "status_exception",
           "either config_id or config_id_list is required")
    config_id = _create(es, _config("slack", {"url": SLACK_URL}))
    _error(es.put(f"{BASE}/configs/{config_id}", json={"config": _config(
        "chime", {"url": "https://hooks.chime.aws/incomingwebhooks/a?token=b"})}), 409,
        "status_exception", "Config type cannot be changed after creation")


def test_list_filters_sort_and_paging(es: httpx.Client) -> None:
    tag = _id("zebra")
    made = [_create(es, _config("slack", {"url": SLACK_URL}, name=f"{tag} {i}"),
                    f"{tag}-{i}") for i in range(3)]
    made.append(_create(es, _config("webhook", {"url": "https://example.com"},
                                    name=f"{tag} hook", is_enabled=False), f"{tag}-hook"))

    def ids(query: str) -> list[str]:
        body = es.get(f"{BASE}/configs?{query}").json()
        return [info["config_id"] for info in body["config_list"]]

    assert ids(f"name={tag}&sort_field=config_id") == sorted(made)
    assert ids(f"name={tag}&config_type=webhook") == [f"{tag}-hook"]
    assert ids(f"name={tag}&is_enabled=true&sort_field=name&sort_order=desc") == \
        [f"{tag}-2", f"{tag}-1", f"{tag}-0"]
    page = es.get(f"{BASE}/configs?name={tag}&sort_field=config_id&from_index=1&max_items=2")
    assert page.json()["start_index"] == 1 and page.json()["total_hits"] == 4
    assert [info["config_id"] for info in page.json()["config_list"]] == sorted(made)[1:3]
    assert ids(f"text_query={tag}&config_type=slack,webhook&sort_field=config_id") == \
        sorted(made)
    assert ids(f"config_id_list={made[0]},{made[3]}") == [made[0], made[3]]
    _error(es.get(f"{BASE}/configs?config_id_list={made[0]},nope-1"), 404, "status_exception",
           "NotificationConfig [nope-1] not found")
    deleted = es.delete(f"{BASE}/configs?config_id_list={made[0]},{made[1]}")
    assert deleted.json() == {"delete_response_list": {made[0]: "OK", made[1]: "OK"}}
    assert ids(f"name={tag}&sort_field=config_id") == sorted(made[2:])


def test_channels_and_features(es: httpx.Client, smtp_account: str) -> None:
    slack = _create(es, _config("slack", {"url": SLACK_URL}, name="channel listing"))
    body = es.get(f"{BASE}/channels?max_items=1000").json()
    listed = {item["config_id"]: item for item in body["channel_list"]}
    assert listed[slack] == {"config_id": slack, "name": "channel listing",
                             "description": "for tests", "config_type": "slack",
                             "is_enabled": True}
    assert smtp_account not in listed  # an account is not a channel
    assert body["total_hits"] >= len(listed) and body["total_hit_relation"] == "eq"
    features = es.get(f"{BASE}/features").json()
    assert set(features["allowed_config_type_list"]) == {
        "slack", "chime", "microsoft_teams", "webhook", "email", "sns", "smtp_account",
        "email_group"}
    assert features["plugin_features"] == {"tooltip_support": "true"}


def test_secrets_redacted_and_kept_on_update(es: httpx.Client, server: Any) -> None:
    config_id = _create(es, _config("webhook", {
        "url": "https://user:pw-secret@example.com/hook?key=url-secret",
        "header_params": {"X-Api-Key": "header-secret"},
        "parameters": {"token": "param-secret"}}))
    shown = es.get(f"{BASE}/configs/{config_id}").json()["config_list"][0]["config"]
    assert shown["webhook"] == {"url": "https://example.com/*****", "method": "POST",
                                "header_params": {"X-Api-Key": "*****"},
                                "parameters": {"token": "*****"}}
    # the redacted values sent back keep the secrets; a new value replaces one
    shown["webhook"]["header_params"]["X-Api-Key"] = "new-header-secret"
    assert es.put(f"{BASE}/configs/{config_id}", json={"config": shown}).status_code == 200
    secrets = ("pw-secret", "url-secret", "param-secret", "new-header-secret")
    key = server.data_dir / "security" / "credentials.key"
    for path in server.data_dir.rglob("*"):
        if path.is_file() and path != key:
            content = path.read_bytes()
            assert not [name for name in secrets if name.encode() in content], path
    listing = es.get(f"{BASE}/configs?max_items=1000").text
    assert not [name for name in secrets if name in listing]


def test_legacy_destinations(es: httpx.Client, smtp_account: str) -> None:
    for prefix in ("/_plugins/_alerting", "/_opendistro/_alerting"):
        created = es.post(f"{prefix}/destinations", json={
            "name": "legacy hook", "type": "custom_webhook",
            "custom_webhook": {"scheme": "https", "host": "example.com", "port": 8443,
                               "path": "alert", "query_params": {"a": "1"},
                               "header_params": {"Content-Type": "application/json"}}})
        assert created.status_code == 200, created.text
        destination_id = created.json()["_id"]
        destination = created.json()["destination"]
        assert destination["type"] == "custom_webhook"
        assert destination["custom_webhook"]["url"] == "https://example.com:8443/*****"
        # the destination is a channel
        channel = es.get(f"{BASE}/configs/{destination_id}").json()["config_list"][0]
        assert channel["config"]["config_type"] == "webhook"
        assert channel["config"]["name"] == "legacy hook"

        got = es.get(f"{prefix}/destinations/{destination_id}").json()
        assert got["totalDestinations"] == 1
        assert {"id", "type", "name", "user", "schema_version", "seq_no", "primary_term",
                "last_update_time", "custom_webhook"} == set(got["destinations"][0])

        email = _create(es, _config("email", {"email_account_id": smtp_account,
                                              "recipient_list": [{"recipient": "d@e.com"}]},
                                    name="legacy email"))
        listed = es.get(f"{prefix}/destinations?destinationType=email&size=1000").json()
        found = [d for d in listed["destinations"] if d["id"] == email]
        assert found[0]["email"] == {"email_account_id": smtp_account, "recipients": [
            {"type": "email", "email": "d@e.com"}]}

        updated = es.put(f"{prefix}/destinations/{destination_id}", json={
            "name": "legacy renamed", "type": "slack", "slack": {"url": SLACK_URL}})
        _error(updated, 409, "status_exception", "Config type cannot be changed after creation")
        deleted = es.delete(f"{prefix}/destinations/{destination_id}")
        assert deleted.json()["result"] == "deleted"
        assert es.get(f"{BASE}/configs/{destination_id}").status_code == 404
