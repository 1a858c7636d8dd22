"""With security disabled (the default), the security APIs are not there, as in an
OpenSearch or Elasticsearch whose security is disabled."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/_plugins/_security/api/internalusers"),
    ("PUT", "/_plugins/_security/api/roles/r"),
    ("GET", "/_plugins/_security/authinfo"),
    ("GET", "/_opendistro/_security/health"),
    ("POST", "/_security/api_key"),
    ("GET", "/_security/_authenticate"),
])
def test_security_routes_absent_when_disabled(es: httpx.Client, method: str, path: str) -> None:
    response = es.request(method, path, json={} if method in ("PUT", "POST") else None)
    assert response.status_code == 400
    assert response.json()["error"]["reason"] == (f"no handler found for uri [{path}] and "
                                                  f"method [{method}]")
