"""Strict URL parameters on the security APIs (issue 22): an unknown parameter is the 400 of the
security plugin's ``BaseRestHandler``s, what they read passes."""

from __future__ import annotations

import httpx
from tests.test_plugin_url_parameters import assert_refused


def test_an_unknown_parameter_is_refused(admin: httpx.Client) -> None:
    for path in ("/_plugins/_security/api/roles", "/_opendistro/_security/api/roles",
                 "/_plugins/_security/api/roles/all_access",
                 "/_plugins/_security/api/internalusers", "/_plugins/_security/api/account",
                 "/_plugins/_security/api/apitokens", "/_plugins/_security/api/accesskeys",
                 "/_security/api_key", "/_security/_authenticate"):
        assert_refused(admin.get(f"{path}?b=1"), path, "[b]")
    assert_refused(admin.get("/_plugins/_security/health?mod=lenient"), "/_plugins/_security/health",
                   "[mod] -> did you mean [mode]?")


def test_what_the_handlers_read_passes(admin: httpx.Client) -> None:
    assert admin.get("/_plugins/_security/api/roles?pretty").status_code == 200
    assert admin.get("/_plugins/_security/api/internalusers?filterBy=internal"
                     ).status_code == 200
    health = admin.get("/_opendistro/_security/health?mode=lenient")
    assert health.status_code == 200
    assert health.json()["mode"] == "lenient"
    assert admin.get("/_plugins/_security/authinfo?verbose=true&auth_type=basic"
                     ).status_code == 200
    assert admin.get("/_security/api_key?owner=true").status_code == 200
    assert admin.get("/_plugins/_security/api/accesskeys?user=admin").status_code == 200
