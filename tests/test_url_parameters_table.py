"""Every route has its accepted URL parameters (api/url_parameters.py), as every route has a
permission (tests/test_permissions_table.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loghaven.api import permissions, url_parameters
from loghaven.api.app import create_app
from loghaven.config import Config
from loghaven.node import Node


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(Config(data_dir=tmp_path / "data"))


def test_every_route_has_an_entry_and_every_entry_a_route(node: Node) -> None:
    app = create_app(node, manage_lifecycle=False)
    seen = set()
    for _, path, methods in permissions.endpoints(app.routes):  # type: ignore[attr-defined]
        for method in methods:
            url_parameters.accepted(method, path)  # KeyError: no entry
            seen.add((method, path))
            seen.add(("GET", path) if method == "HEAD" else (method, path))
    stale = set(url_parameters.TABLE) - seen
    assert not stale, f"table entries for no route: {sorted(stale)}"


def test_the_core_api_is_checked_and_common_parameters_accepted() -> None:
    search = url_parameters.accepted("POST", "/{index}/_search")
    assert search is not None
    assert {"q", "size", "from", "pretty", "filter_path", "error_trace", "human",
            "source", "source_content_type"} <= search
    assert url_parameters.accepted("GET", "/_dashboards/{path}") is None


def test_the_plugins_are_checked_and_hec_and_the_ui_are_not() -> None:
    execute = url_parameters.accepted("POST", "/_plugins/_alerting/monitors/{monitor_id}/_execute")
    assert execute is not None and {"dryrun", "period_end", "pretty"} <= execute
    assert url_parameters.accepted("POST", "/_opendistro/_alerting/monitors/{monitor_id}/_execute"
                                   ) == execute
    sql = url_parameters.accepted("POST", "/_plugins/_sql")
    assert sql is not None and {"format", "sanitize", "pretty"} <= sql
    explain = url_parameters.accepted("GET", "/_plugins/_ism/explain/{index}")
    assert explain is not None and {"show_policy", "validate_action"} <= explain
    # a HEAD takes its GET's (the ISM policy's HEAD, as RestGetPolicyAction)
    assert url_parameters.accepted("HEAD", "/_plugins/_ism/policies/{policy_id}") == \
        url_parameters.accepted("GET", "/_plugins/_ism/policies/{policy_id}")
    assert url_parameters.accepted("GET", "/_plugins/_security/api/roles") == \
        url_parameters.COMMON
    assert url_parameters.accepted("POST", "/services/collector/event") is None
    assert url_parameters.accepted("GET", "/servicesNS/{user}/{app}/data/inputs/http") is None


def test_unrecognized_message_is_base_rest_handler_s() -> None:
    accepted = frozenset({"refresh", "routing", "pretty"})
    assert url_parameters.unrecognized("/x/_doc/1", ["refersh"], accepted) == \
        "request [/x/_doc/1] contains unrecognized parameter: [refersh] -> did you mean [refresh]?"
    assert url_parameters.unrecognized("/x/_search", ["b", "a"], accepted) == \
        "request [/x/_search] contains unrecognized parameters: [a], [b]"
