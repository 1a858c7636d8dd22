"""Channel configurations: OpenSearch's ``NotificationConfig`` model, its validation, and which
of its values are secrets.

A config is ``{"name", "description", "config_type", "is_enabled", <config_type>: {...}}``
with the type's data under the type's name (common-utils' ``Slack``, ``Chime``,
``MicrosoftTeams``, ``Webhook``, ``Email``, ``SmtpAccount``, ``EmailGroup``, ``Sns``). Parse
errors are OpenSearch's: its ``IllegalArgumentException`` texts, as 400s.

Secrets are a webhook URL's path and query (Slack's, Chime's and Teams' tokens live there), its
userinfo, a custom webhook's header values (but ``Content-Type`` and ``Accept``) and query
parameters, and an SMTP account's password. :func:`redacted` is what GET shows instead of them;
:func:`restore_redacted` puts a stored secret back where a PUT sent the redacted value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import deepcopy
from typing import Any
from urllib.parse import urlsplit

from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.params import expect_list, expect_object, expect_string

#: Types that deliver messages (``channels`` lists them); the others are parts of email.
CHANNEL_TYPES = ("slack", "chime", "microsoft_teams", "webhook", "email", "sns")
#: Every type this node accepts, as ``features``' ``allowed_config_type_list``.
CONFIG_TYPES = (*CHANNEL_TYPES, "smtp_account", "email_group")
#: OpenSearch's types Loghaven does not deliver to (SES needs AWS's email service).
UNSUPPORTED_TYPES = ("ses_account",)
REDACTED = "*****"
#: Header values shown by GET (they are never credentials).
PUBLIC_HEADERS = frozenset({"content-type", "accept"})
HTTP_METHODS = ("POST", "PUT", "PATCH")
SMTP_METHODS = ("none", "ssl", "start_tls")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+(\.[A-Za-z]{2,}|\[[0-9.:a-fA-F]+\]|)$")
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,512}$")
_TOPIC_ARN = re.compile(r"^arn:aws(-[^:]+)?:sns:([a-zA-Z0-9-]+):([0-9]{12}):"
                        r"([a-zA-Z0-9\-_]+)(\.fifo)?$")
_ROLE_ARN = re.compile(r"^arn:aws(-[^:]+)?:iam::([0-9]{12}):([a-zA-Z0-9\-/_+=@.,]+)$")
#: OpenSearch's checks of the vendors' webhook URLs (ConfigIndexingActions).
_VENDOR_URLS = {
    "slack": (re.compile(r"https://hooks\.(?:gov-)?slack\.com/services"),
              'Wrong Slack url. Should contain "hooks.slack.com/services/" or '
              '"hooks.gov-slack.com/services/"'),
    "chime": (re.compile(r"https://hooks\.chime\.aws/incomingwebhooks/.*\?token="),
              'Wrong Chime url. Should contain "hooks.chime.aws/incomingwebhooks/" and '
              '"?token="'),
    "microsoft_teams": (re.compile(r"https://.*\.webhook\.office\.com"),
                        'Wrong Microsoft Teams url. Should contain "webhook.office.com"'),
}


def check_id(config_id: str) -> str:
    """A config id given by the client (common-utils' ``validateId``)."""
    if not _ID.match(config_id):
        raise IllegalArgument("Invalid characters in id")
    return config_id


def parse_config(body: Any, *, vendor_check: bool = True) -> dict[str, Any]:
    """The normalized config of a request's ``config`` object."""
    raw = expect_object(body, "config", "notification_config")
    name = raw.get("name")
    if name is None:
        raise IllegalArgument("name field absent")
    name = expect_string(name, "name", "notification_config")
    if not name:
        raise IllegalArgument("name is null or empty")
    config_type = raw.get("config_type")
    if config_type is None:
        raise IllegalArgument("config_type field absent")
    config_type = expect_string(config_type, "config_type", "notification_config")
    if config_type in UNSUPPORTED_TYPES:
        raise IllegalArgument(f"config_type [{config_type}] is not supported by Loghaven")
    if config_type not in CONFIG_TYPES:
        raise LoghavenError("NotificationConfig with type NONE is not acceptable", status=406,
                            type="status_exception")
    enabled = raw.get("is_enabled", True)
    if not isinstance(enabled, bool):
        raise IllegalArgument(f"Failed to parse value [{enabled}] as only [true] or [false] "
                              "are allowed.")
    data = raw.get(config_type)
    if data is None:
        raise IllegalArgument(f"ConfigType: {config_type.upper()} and data doesn't match")
    data = expect_object(data, config_type, "notification_config")
    return {"name": name,
            "description": expect_string(raw.get("description", ""), "description",
                                         "notification_config"),
            "config_type": config_type, "is_enabled": enabled,
            config_type: _PARSERS[config_type](data, config_type, vendor_check)}


def _url(data: dict[str, Any], config_type: str) -> str:
    url = data.get("url")
    if url is None:
        raise IllegalArgument("url field absent")
    url = expect_string(url, "url", config_type)
    if not url:
        raise IllegalArgument("URL is null or empty")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise IllegalArgument("Invalid URL or unsupported") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IllegalArgument("Invalid URL or unsupported")
    return url


def _vendor(data: dict[str, Any], config_type: str, vendor_check: bool) -> dict[str, Any]:
    url = _url(data, config_type)
    pattern, message = _VENDOR_URLS[config_type]
    if vendor_check and not pattern.search(url):
        raise IllegalArgument(message)
    return {"url": url}


def _strings(value: Any, field: str, owner: str) -> dict[str, str]:
    return {str(key): expect_string(item, f"{field}.{key}", owner)
            for key, item in expect_object(value, field, owner).items()}


def _webhook(data: dict[str, Any], config_type: str, vendor_check: bool) -> dict[str, Any]:
    method = str(data.get("method", "POST")).upper()
    if method not in HTTP_METHODS:
        raise IllegalArgument("Invalid or empty method supplied. Only POST, PUT and PATCH "
                              "are allowed")
    parsed = {"url": _url(data, config_type),
              "header_params": _strings(data.get("header_params", {}), "header_params",
                                        config_type),
              "method": method}
    if data.get("parameters"):
        parsed["parameters"] = _strings(data["parameters"], "parameters", config_type)
    return parsed


def _email_address(value: Any, field: str, owner: str) -> str:
    address = expect_string(value, field, owner)
    if not _EMAIL.match(address):
        raise IllegalArgument("Invalid email address")
    return address


def _recipients(data: dict[str, Any], owner: str) -> list[dict[str, str]]:
    recipients = []
    for item in expect_list(data.get("recipient_list", []), "recipient_list", owner):
        item = expect_object(item, "recipient_list", owner)
        if "recipient" not in item:
            raise IllegalArgument("recipient field absent")
        recipients.append({"recipient": _email_address(item["recipient"], "recipient", owner)})
    return recipients


def _email(data: dict[str, Any], config_type: str, vendor_check: bool) -> dict[str, Any]:
    account = data.get("email_account_id")
    if account is None:
        raise IllegalArgument("email_account_id field absent")
    account = expect_string(account, "email_account_id", config_type)
    if not account:
        raise IllegalArgument("emailAccountID is null or empty")
    groups = [expect_string(group, "email_group_id_list", config_type)
              for group in expect_list(data.get("email_group_id_list", []),
                                       "email_group_id_list", config_type)]
    return {"email_account_id": account, "recipient_list": _recipients(data, config_type),
            "email_group_id_list": groups}


def _email_group(data: dict[str, Any], config_type: str, vendor_check: bool) -> dict[str, Any]:
    return {"recipient_list": _recipients(data, config_type)}


def _smtp_account(data: dict[str, Any], config_type: str,
                  vendor_check: bool) -> dict[str, Any]:
    for required in ("host", "port", "method", "from_address"):
        if required not in data:
            raise IllegalArgument(f"{required} field absent")
    host = expect_string(data["host"], "host", config_type)
    if not host:
        raise IllegalArgument("host is null or empty")
    port = data["port"]
    if isinstance(port, bool) or not isinstance(port, int):
        try:
            port = int(str(port))
        except ValueError:
            raise IllegalArgument(f"For input string: \"{port}\"") from None
    if port <= 0:
        raise IllegalArgument("port should be positive value")
    method = expect_string(data["method"], "method", config_type)
    if method not in SMTP_METHODS:
        raise IllegalArgument("Invalid method supplied")
    parsed: dict[str, Any] = {"host": host, "port": port, "method": method,
                              "from_address": _email_address(data["from_address"],
                                                             "from_address", config_type)}
    # Loghaven's extension: the credentials OpenSearch keeps in its keystore
    for field in ("username", "password"):
        if data.get(field) is not None:
            parsed[field] = expect_string(data[field], field, config_type)
    if ("username" in parsed) != ("password" in parsed):
        raise IllegalArgument("username and password go together")
    return parsed


def _sns(data: dict[str, Any], config_type: str, vendor_check: bool) -> dict[str, Any]:
    topic = data.get("topic_arn")
    if topic is None:
        raise IllegalArgument("topic_arn field absent")
    topic = expect_string(topic, "topic_arn", config_type)
    if not _TOPIC_ARN.match(topic):
        raise IllegalArgument(f"Invalid AWS SNS topic ARN: {topic}")
    parsed = {"topic_arn": topic}
    if data.get("role_arn") is not None:
        role = expect_string(data["role_arn"], "role_arn", config_type)
        if not _ROLE_ARN.match(role):
            raise IllegalArgument(f"Invalid AWS role ARN: {role}")
        parsed["role_arn"] = role
    return parsed


_PARSERS = {"slack": _vendor, "chime": _vendor, "microsoft_teams": _vendor,
            "webhook": _webhook, "email": _email, "email_group": _email_group,
            "smtp_account": _smtp_account, "sns": _sns}


# secrets ------------------------------------------------------------------------------------

Path = tuple[str, ...]


def secrets(config: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """Each secret value of a normalized config, with its path."""
    config_type = config["config_type"]
    data = config[config_type]
    if config_type in ("slack", "chime", "microsoft_teams", "webhook"):
        yield (config_type, "url"), data["url"]
    if config_type == "webhook":
        for name, value in data["header_params"].items():
            if name.lower() not in PUBLIC_HEADERS:
                yield (config_type, "header_params", name), value
        for name, value in data.get("parameters", {}).items():
            yield (config_type, "parameters", name), value
    if config_type == "smtp_account" and "password" in data:
        yield (config_type, "password"), data["password"]


def redact(path: Path, value: str) -> str:
    """What GET shows of a secret: a URL keeps its scheme, host and port."""
    if path[-1] != "url":
        return REDACTED
    parts = urlsplit(value)
    origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return origin + (f"/{REDACTED}" if parts.path.strip("/") or parts.query else parts.path)


def redacted(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` as GET shows it."""
    shown = deepcopy(config)
    for path, value in secrets(config):
        set_path(shown, path, redact(path, value))
    return shown


def restore_redacted(body: Any, stored: dict[str, Any]) -> Any:
    """A PUT's raw ``config`` with each redacted value the client sent back replaced by the
    stored secret (before validation, so a redacted Slack URL still passes its check)."""
    if not isinstance(body, dict):
        return body
    restored = deepcopy(body)
    for path, value in secrets(stored):
        if get_path(restored, path) == redact(path, value):
            set_path(restored, path, value)
    return restored


def get_path(data: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def set_path(data: dict[str, Any], path: Path, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value
