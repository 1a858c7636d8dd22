"""A date-math name in a path is checked against the name it resolves to, as OpenSearch's
security plugin resolves date math before it evaluates index permissions: a user with
``logs-*`` creates, writes and searches ``<logs-{now/d}>`` and is refused ``<other-{now/d}>``."""

from __future__ import annotations

import datetime
import urllib.parse

import httpx

from .conftest import SecureServer, role_user

LOGS = {"cluster_permissions": ["cluster_composite_ops"], "index_permissions": [{
    "index_patterns": ["logs-*"], "allowed_actions": ["indices_all"]}]}
#: ``<logs-{now/d}>`` and ``<other-{now/d}>`` as opensearch-py puts them in a path
LOGS_TODAY = urllib.parse.quote("<logs-{now/d}>", safe="")
OTHER_TODAY = urllib.parse.quote("<other-{now/d}>", safe="")


def test_date_math_names_are_checked_resolved(secure: SecureServer, admin: httpx.Client) -> None:
    with role_user(secure, admin, "logger", LOGS) as logger:
        before = datetime.datetime.now(datetime.UTC)
        created = logger.put("/" + LOGS_TODAY)
        after = datetime.datetime.now(datetime.UTC)
        assert created.status_code == 200, created.text
        name = created.json()["index"]
        assert name in {f"logs-{before:%Y.%m.%d}", f"logs-{after:%Y.%m.%d}"}
        written = logger.put(f"/{LOGS_TODAY}/_doc/1?refresh=true",
                             json={"n": 1})
        assert written.status_code == 201, written.text
        found = logger.get(f"/{LOGS_TODAY}/_search")
        assert [h["_index"] for h in found.json()["hits"]["hits"]] == [name]
        for response in (logger.put("/" + OTHER_TODAY),
                         logger.put(f"/{OTHER_TODAY}/_doc/1", json={"n": 1}),
                         logger.get(f"/{OTHER_TODAY}/_search")):
            assert response.status_code == 403, response.text
            assert response.json()["error"]["type"] == "security_exception"
        indices = {i["index"] for i in admin.get("/_cat/indices?format=json").json()}
        assert name in indices
        assert not any(i.startswith("other-") for i in indices)
