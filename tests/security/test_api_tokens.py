"""The contract of OpenSearch API keys' records (security/api_tokens.py): OpenSearch's limits
on their number and duration, the token's form, and what a listed key shows."""

from __future__ import annotations

import hashlib

import pytest

from loghaven.security import api_tokens
from loghaven.security.api_tokens import Limits
from loghaven.security.validation import InvalidSecurityConfig

NOW = 1_800_000_000_000


def refusal(body: dict, names: list[str], limits: Limits) -> tuple[int, str]:
    with pytest.raises(InvalidSecurityConfig) as raised:
        api_tokens.new_record(body, names, "admin", NOW, limits)
    return raised.value.status, raised.value.to_body()["error"]


def test_the_number_of_keys_is_limited_revoked_ones_included() -> None:
    names = [f"k{n}" for n in range(3)]
    assert refusal({"name": "next", "duration_seconds": 5}, names, Limits(max_tokens=3)) == (
        429, "Maximum limit of 3 API tokens reached. Please delete existing tokens before "
             "creating new ones.")
    api_tokens.new_record({"name": "next", "duration_seconds": 5}, names[:2], "admin", NOW,
                          Limits(max_tokens=3))
    # OpenSearch caps the setting at 1000
    many = [f"k{n}" for n in range(1000)]
    assert refusal({"name": "next", "duration_seconds": 5}, many,
                   Limits(max_tokens=5000))[0] == 429


def test_without_a_maximum_duration_a_key_may_never_expire() -> None:
    record, _token = api_tokens.new_record({"name": "forever"}, [], "admin", NOW,
                                          Limits(max_duration_seconds=0))
    assert record["expires_at"] == 0
    assert not api_tokens.expired(record, NOW / 1000 + 10**9)
    assert refusal({"name": "forever"}, [], Limits())[0] == 400


def test_the_record_keeps_no_token() -> None:
    record, token = api_tokens.new_record(
        {"name": "ci", "duration_seconds": 60, "cluster_permissions": ["cluster_monitor"]},
        [], "admin", NOW, Limits())
    assert token.startswith("os_") and len(token) == 46
    assert token not in str(record) and hashlib.sha256(token.encode()).hexdigest() \
        not in str(record)
    assert record["expires_at"] == NOW + 60_000
    assert api_tokens.render(record) == {
        "id": record["id"], "name": "ci", "iat": NOW, "expires_at": NOW + 60_000,
        "cluster_permissions": ["cluster_monitor"], "index_permissions": [],
        "created_by": "admin"}
