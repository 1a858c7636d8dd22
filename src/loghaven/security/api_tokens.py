"""OpenSearch's API keys (``_plugins/_security/api/apitokens``, OpenSearch 3.7): the request,
the stored record and the key's own privileges.

Unlike Elasticsearch's keys (security/api_keys.py) such a key does not act for a user: it
carries its own ``cluster_permissions`` and ``index_permissions`` and authenticates as the
user ``token:<name>`` with no roles. The token (``os_`` and 32 random bytes, returned once) is
stored only as its SHA-256, by which the record is found; revocation keeps the record (List
shows ``revoked_at``) and the name cannot be reused.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from loghaven import params
from loghaven.errors import LoghavenError
from loghaven.security.api_keys import new_id
from loghaven.security.privileges import RolePrivileges
from loghaven.security.validation import InvalidSecurityConfig

#: The action the three endpoints need (OpenSearch's ``Endpoint.APITOKENS``).
ACTION = "cluster:admin/plugins/security/api_token"
#: The token's prefix: ``Authorization: ApiKey os_...`` is such a key, else an ES key.
PREFIX = "os_"
#: The user such a key authenticates as: ``token:<name>`` (OpenSearch's ApiTokenAuthenticator).
USER_PREFIX = "token:"
_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_OWNER = "create_api_token_request"


def refused(status: int, message: str) -> InvalidSecurityConfig:
    """OpenSearch's error body of these endpoints: ``{"error": message}``."""
    return InvalidSecurityConfig({"error": message}, status=status)


@dataclass(frozen=True)
class Limits:
    """OpenSearch's ``api_tokens`` settings (``security.api_tokens.*`` here)."""

    max_tokens: int = 100
    max_duration_seconds: int = 7_776_000


def new_record(body: Any, names: Collection[str], created_by: str, now_ms: int,
               limits: Limits) -> tuple[dict[str, Any], str]:
    """A new key's record and its token (returned to the client once), checked in the order
    of OpenSearch's ApiTokenAction; ``names``: every key's name, revoked ones included."""
    try:
        body = params.expect_object(body, "body", _OWNER)
        name = body.get("name")
        if name is not None:
            name = params.expect_string(name, "name", _OWNER)
        cluster = [params.expect_string(a, "cluster_permissions", _OWNER) for a in
                   params.expect_list(body.get("cluster_permissions") or [],
                                      "cluster_permissions", _OWNER)]
        index = [_index_permission(p) for p in
                 params.expect_list(body.get("index_permissions") or [], "index_permissions",
                                    _OWNER)]
        duration = params.parse_int(body.get("duration_seconds", 0), "duration_seconds")
    except LoghavenError as exc:
        raise refused(400, f"Invalid request: {exc}") from None
    if not name:
        raise refused(400, "Token name is required.")
    if not _NAME.fullmatch(name):
        raise refused(400, "Token name must contain only alphanumeric characters, hyphens, "
                           "and underscores.")
    if name in names:
        raise refused(400, f"A token with name '{name}' already exists.")
    max_tokens = min(limits.max_tokens, 1000)
    if len(names) >= max_tokens:
        raise refused(429, f"Maximum limit of {max_tokens} API tokens reached. Please delete "
                           f"existing tokens before creating new ones.")
    longest = limits.max_duration_seconds
    if duration < 0:
        raise refused(400, "Token duration must be positive.")
    if longest > 0 and duration > longest:
        raise refused(400, f"Token duration exceeds the maximum allowed duration of {longest} "
                           f"seconds.")
    if longest > 0 and duration == 0:
        raise refused(400, f"Non-expiring tokens are not allowed. Maximum duration is "
                           f"{longest} seconds.")
    token = PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    record = {"id": new_id(), "name": name, "cluster_permissions": cluster,
              "index_permissions": index, "iat": now_ms,
              "expires_at": now_ms + duration * 1000 if duration else 0,
              "revoked_at": None, "created_by": created_by}
    return record, token


def _index_permission(value: Any) -> dict[str, list[str]]:
    entry = params.expect_object(value, "index_permissions", _OWNER)
    return {field: [params.expect_string(v, field, _OWNER)
                    for v in params.expect_list(entry.get(field) or [], field, _OWNER)]
            for field in ("index_pattern", "allowed_actions")}


def expired(record: Mapping[str, Any], now: float) -> bool:
    """Whether the key has expired (``expires_at`` 0: it never does)."""
    return bool(record["expires_at"]) and record["expires_at"] <= now * 1000


def render(record: Mapping[str, Any]) -> dict[str, Any]:
    """A key as the List API shows it: never the token or its hash."""
    out = {field: record[field] for field in ("id", "name", "iat", "expires_at",
                                              "cluster_permissions", "index_permissions")}
    if record.get("revoked_at") is not None:
        out["revoked_at"] = record["revoked_at"]
    if record.get("created_by") is not None:
        out["created_by"] = record["created_by"]
    return out


def privileges(record: Mapping[str, Any], action_groups: Mapping[str, Mapping[str, Any]],
               ) -> RolePrivileges:
    """The key's own permissions, evaluated as one role of that content."""
    role = {"cluster_permissions": record["cluster_permissions"],
            "index_permissions": [{"index_patterns": p["index_pattern"],
                                   "allowed_actions": p["allowed_actions"]}
                                  for p in record["index_permissions"]]}
    user = USER_PREFIX + record["name"]
    return RolePrivileges({user: role}, action_groups, user)
