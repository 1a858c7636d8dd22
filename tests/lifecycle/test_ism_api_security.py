"""The ISM API with security on: each route is authorized as the index-management plugin's
action, so a user without ISM permissions gets OpenSearch's 403 on both prefixes, the
built-in ``index_management_full_access`` role may do everything, and ``add`` attaches a
policy only to the indices the caller may manage (the others are left out, as OpenSearch
filters them)."""

from __future__ import annotations

import time

import httpx
import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import AuthorizationException

from security.conftest import SecureServer, admin, role_user, secure

from .test_ism_api import documented_policy

API = "/_plugins/_security/api"
__all__ = ["admin", "secure"]  # the secure server's fixtures, used by this module


def test_ism_permissions(secure: SecureServer, admin: httpx.Client) -> None:
    reader = role_user(secure, admin, "reader", {
        "cluster_permissions": ["cluster_monitor"],
        "index_permissions": [{"index_patterns": ["*"], "allowed_actions": ["read"]}]})
    manager = role_user(secure, admin, "ismteam", {
        "cluster_permissions": ["cluster:admin/opendistro/ism/*"],
        "index_permissions": [{"index_patterns": ["team-*"],
                               "allowed_actions": ["indices:admin/opensearch/ism/*"]}]})
    policy_only = role_user(secure, admin, "policyreader", {
        "cluster_permissions": ["cluster:admin/opendistro/ism/policy/get"]})
    password = "Fullism-Password-1"
    assert admin.put(f"{API}/internalusers/fullism", json={
        "password": password,
        "opendistro_security_roles": ["index_management_full_access"]}).status_code == 201
    try:
        for index in ("team-a", "other-a"):
            assert admin.put(f"/{index}").status_code == 200
        assert admin.put("/_plugins/_ism/policies/secured",
                         json=documented_policy()).status_code == 201

        for method, path, body in (
                ("GET", "/_plugins/_ism/policies", None),
                ("PUT", "/_plugins/_ism/policies/mine", documented_policy()),
                ("GET", "/_opendistro/_ism/policies/secured", None),
                ("DELETE", "/_plugins/_ism/policies/secured", None),
                ("POST", "/_plugins/_ism/add/team-a", {"policy_id": "secured"}),
                ("GET", "/_plugins/_ism/explain/team-a", None)):
            denied = reader.request(method, path, json=body)
            assert denied.status_code == 403, (method, path, denied.text)
            assert denied.json()["error"]["type"] == "security_exception"
        action = "cluster:admin/opendistro/ism/policy/get"
        assert reader.get("/_plugins/_ism/policies/secured").json()["error"]["reason"] \
            .startswith(f"no permissions for [{action}]")
        assert policy_only.get("/_plugins/_ism/policies/secured").status_code == 200
        assert policy_only.get("/_plugins/_ism/policies").status_code == 403

        added = manager.post("/_plugins/_ism/add/*-a", json={"policy_id": "secured"}).json()
        assert added == {"updated_indices": 1, "failures": False, "failed_indices": []}
        explained = manager.get("/_plugins/_ism/explain/team-a").json()
        assert explained["team-a"]["policy_id"] == "secured"

        full = OpenSearch(secure.url, http_auth=("fullism", password), timeout=30)
        assert full.plugins.index_management.explain_index("other-a")["other-a"][
            "index.plugins.index_state_management.policy_id"] is None
        full.plugins.index_management.put_policy("by-full", body=documented_policy())
        assert full.plugins.index_management.add_policy(
            "other-a", body={"policy_id": "by-full"})["updated_indices"] == 1
        denied_client = OpenSearch(secure.url, http_auth=("reader", "Reader-Password-1"),
                                   timeout=30)
        with pytest.raises(AuthorizationException):
            denied_client.plugins.index_management.get_policy("by-full")
    finally:
        for client in (reader, manager, policy_only):
            client.close()


def test_ism_checks_manage_permission_per_index(secure: SecureServer,
                                                admin: httpx.Client) -> None:
    """remove, change_policy and retry refuse the whole request when the caller may not
    manage one of its indices (OpenSearch's 403 from ``ManagedIndexAction``); explain leaves
    those indices out and does not count them."""
    manager = role_user(secure, admin, "bteam", {
        "cluster_permissions": ["cluster:admin/opendistro/ism/*"],
        "index_permissions": [{"index_patterns": ["team-b*"],
                               "allowed_actions": ["indices:admin/opensearch/ism/*"]}]})
    try:
        for index in ("team-b", "other-b"):
            assert admin.put(f"/{index}").status_code == 200
        assert admin.put("/_plugins/_ism/policies/bpolicy",
                         json=documented_policy()).status_code == 201
        assert admin.post("/_plugins/_ism/add/*-b", json={"policy_id": "bpolicy"}).json()[
            "updated_indices"] == 2
        reason = ("User doesn't have required index permissions on one or more requested "
                  "indices: no permissions for [indices:admin/opensearch/ism/managedindex] "
                  "and User [name=bteam, backend_roles=[], requestedTenant=null]")
        for path, body in (("/_plugins/_ism/remove/*-b", None),
                           ("/_plugins/_ism/change_policy/other-b", {"policy_id": "bpolicy"}),
                           ("/_plugins/_ism/change_policy/other-b", {"policy_id": "absent"}),
                           ("/_plugins/_ism/retry/other-b", None)):
            denied = manager.post(path, json=body)
            assert denied.status_code == 403, (path, denied.text)
            assert denied.json()["error"]["type"] == "status_exception"
            assert denied.json()["error"]["reason"] == reason
        for index in ("team-b", "other-b"):  # nothing was removed
            assert admin.get(f"/_plugins/_ism/explain/{index}").json()[index][
                "policy_id"] == "bpolicy"

        explained = manager.get("/_plugins/_ism/explain/*-b").json()
        assert sorted(explained) == ["team-b", "total_managed_indices"]
        assert explained["total_managed_indices"] == 1
        every = manager.get("/_plugins/_ism/explain").json()
        assert sorted(every) == ["team-b", "total_managed_indices"]
        assert every["total_managed_indices"] == 1
        assert {"team-b", "other-b"} <= set(admin.get("/_plugins/_ism/explain").json())

        removed = manager.post("/_plugins/_ism/remove/team-b").json()
        assert removed == {"updated_indices": 1, "failures": False, "failed_indices": []}
    finally:
        manager.close()


def test_ism_template_attaches_with_the_authors_permissions(secure: SecureServer,
                                                            admin: httpx.Client) -> None:
    """A policy records who wrote it (not shown by GET, as in OpenSearch); its ISM template
    attaches it only to new indices that user may manage, whoever creates the index."""
    author = role_user(secure, admin, "tplauthor", {
        "cluster_permissions": ["cluster:admin/opendistro/ism/*"],
        "index_permissions": [{"index_patterns": ["tw-ok*"],
                               "allowed_actions": ["indices:admin/opensearch/ism/*"]}]})
    try:
        created = author.put("/_plugins/_ism/policies/authored", json={"policy": {
            **documented_policy()["policy"],
            "ism_template": {"index_patterns": ["tw-*"], "priority": 7}}})
        assert created.status_code == 201, created.text
        assert "user" not in created.json()["policy"]["policy"]
        assert "user" not in admin.get("/_plugins/_ism/policies/authored").json()["policy"]
        time.sleep(0.01)  # templates attach to indices created after their last update
        for index in ("tw-ok-1", "tw-other-1"):
            assert admin.put(f"/{index}").status_code == 200
        explained = admin.get("/_plugins/_ism/explain/tw-*").json()
        assert {name: explained[name]["index.plugins.index_state_management.policy_id"]
                for name in ("tw-ok-1", "tw-other-1")} == {"tw-ok-1": "authored",
                                                           "tw-other-1": None}
    finally:
        author.close()
