"""Strict URL parameters on the plugins' routes (issue 22), through HTTP: an unknown parameter
is the 400 their ``BaseRestHandler`` gives, and the parameters their documentation shows pass.
The security API's are in tests/security/test_url_parameters.py (a secure server)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator

import httpx
import pytest
from tests.alerting.monitor_examples import QUERY_LEVEL


def assert_refused(response: httpx.Response, path: str, names: str) -> None:
    """ES's body for ``BaseRestHandler.unrecognized``, exactly."""
    reason = f"request [{path}] contains unrecognized parameter: {names}"
    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": {"root_cause": [{"type": "illegal_argument_exception", "reason": reason}],
                  "type": "illegal_argument_exception", "reason": reason},
        "status": 400}


@pytest.fixture
def logs(es: httpx.Client) -> Iterator[str]:
    name = f"plugin-params-{uuid.uuid4().hex[:8]}"
    assert es.put(f"/{name}/_doc/1?refresh=true",
                  json={"@timestamp": "2026-01-01T00:00:00Z", "n": 1}).status_code == 201
    yield name
    es.delete(f"/{name}")


@pytest.fixture
def monitor(es: httpx.Client, logs: str) -> Iterator[str]:
    body = copy.deepcopy(QUERY_LEVEL)
    body["inputs"][0]["search"]["indices"] = [logs]
    body["triggers"][0]["actions"] = []
    body["name"] = f"params-{uuid.uuid4().hex[:6]}"
    created = es.post("/_plugins/_alerting/monitors?refresh=true", json=body)
    assert created.status_code == 201, created.text
    monitor_id = created.json()["_id"]
    yield monitor_id
    es.delete(f"/_plugins/_alerting/monitors/{monitor_id}")


def test_an_unknown_parameter_is_refused_on_the_plugins_routes(es: httpx.Client, logs: str,
                                                               monitor: str) -> None:
    for prefix in ("/_plugins", "/_opendistro"):
        path = f"{prefix}/_alerting/monitors/{monitor}"
        assert_refused(es.get(f"{path}?b=1"), path, "[b]")
    assert_refused(es.post("/_plugins/_sql?b=1", json={"query": f"SELECT n FROM {logs}"}),
                   "/_plugins/_sql", "[b]")
    assert_refused(es.post("/_plugins/_ppl?b=1", json={"query": f"source={logs}"}),
                   "/_plugins/_ppl", "[b]")
    for path in (f"/_plugins/_ism/explain/{logs}", f"/_opendistro/_ism/explain/{logs}"):
        assert_refused(es.get(f"{path}?nonsense=true"), path, "[nonsense]")
    for method, path in [("GET", "/_plugins/_notifications/configs"),
                         ("GET", "/_plugins/_notifications/channels"),
                         ("GET", "/_plugins/_ism/policies"),
                         ("GET", "/_plugins/_sm/policies"),
                         ("GET", "/_plugins/_reports/definitions"),
                         ("GET", "/_plugins/_job_scheduler/api/jobs"),
                         ("GET", "/_plugins/_alerting/monitors/alerts"),
                         ("GET", "/_plugins/_alerting/stats"),
                         ("GET", "/_ultrawarm/migration/_status"),
                         ("GET", "/_plugins/_loghaven/alarms")]:
        assert_refused(es.request(method, f"{path}?nonsense=true"), path, "[nonsense]")


def test_a_misspelt_plugin_parameter_names_the_close_ones(es: httpx.Client, logs: str,
                                                         monitor: str) -> None:
    path = f"/_plugins/_alerting/monitors/{monitor}/_execute"
    assert_refused(es.post(f"{path}?dryrn=true"), path, "[dryrn] -> did you mean [dryrun]?")
    path = f"/_plugins/_ism/explain/{logs}"
    assert_refused(es.get(f"{path}?show_polcy=true"), path,
                   "[show_polcy] -> did you mean [show_policy]?")
    body = copy.deepcopy(QUERY_LEVEL)
    body["triggers"][0]["actions"] = []
    assert_refused(es.post("/_plugins/_alerting/monitors?refersh=true", json=body),
                   "/_plugins/_alerting/monitors", "[refersh] -> did you mean [refresh]?")


def test_the_alerting_parameters_the_documentation_shows_pass(es: httpx.Client,
                                                              monitor: str) -> None:
    base = "/_plugins/_alerting/monitors"
    executed = es.post(f"{base}/{monitor}/_execute?dryrun=true&pretty")
    assert executed.status_code == 200, executed.text
    assert executed.json()["monitor_name"].startswith("params-")
    assert es.post(f"{base}/_execute?dryrun=true", json=copy.deepcopy(
        es.get(f"{base}/{monitor}").json()["monitor"])).status_code == 200
    found = es.get(f"{base}/{monitor}").json()
    assert es.put(f"{base}/{monitor}?if_seq_no={found['_seq_no']}"
                  f"&if_primary_term={found['_primary_term']}&refresh=true",
                  json=found["monitor"]).status_code == 200
    alerts = es.get(f"{base}/alerts?size=10&startIndex=0&sortString=start_time&sortOrder=desc"
                    f"&alertState=ALL&severityLevel=ALL&searchString=&monitorId={monitor}")
    assert alerts.status_code == 200, alerts.text
    assert es.get("/_plugins/_alerting/findings/_search?size=5&sortOrder=asc&findingId=x"
                  ).status_code == 200
    assert es.post(f"{base}/_search?index=.opendistro-alerting-config",
                   json={"query": {"match_all": {}}}).status_code == 200
    assert es.get("/_opendistro/_alerting/stats?timeout=10s").status_code == 200


def test_the_sql_and_ppl_parameters_pass(es: httpx.Client, logs: str) -> None:
    csv = es.post("/_plugins/_sql?format=csv", json={"query": f"SELECT n FROM {logs}"})
    assert csv.status_code == 200, csv.text
    assert csv.text.splitlines() == ["n", "1"]
    for query in ("format=jdbc&pretty", "format=raw&sanitize=false", "format=csv&sanitize=true"):
        assert es.post(f"/_opendistro/_sql?{query}",
                       json={"query": f"SELECT n FROM {logs}"}).status_code == 200, query
    assert es.post("/_plugins/_ppl?format=jdbc&pretty",
                   json={"query": f"source={logs} | fields n"}).status_code == 200
    assert es.get("/_plugins/_sql/stats?format=json").status_code == 200


def test_the_index_management_parameters_pass(es: httpx.Client, logs: str) -> None:
    for path in (f"/_plugins/_ism/explain/{logs}", "/_opendistro/_ism/explain"):
        explained = es.get(f"{path}?show_policy=true&validate_action=true&pretty&local=false"
                           "&size=10&from=0&sortField=managed_index.index&sortOrder=asc"
                           "&queryString=*")
        assert explained.status_code == 200, explained.text
    assert es.get("/_plugins/_ism/policies?size=5&from=0&sortField=policy.policy_id.keyword"
                  "&sortOrder=desc&queryString=*").status_code == 200
    assert es.post(f"/_plugins/_ism/retry/{logs}?type=_default").status_code == 200
    assert es.get("/_plugins/_sm/policies?from=0&size=5&sortField=sm_policy.name"
                  "&sortOrder=asc&queryString=*").status_code == 200


def test_the_other_plugins_parameters_pass(es: httpx.Client) -> None:
    assert es.get("/_plugins/_notifications/configs?max_items=10&from_index=0"
                  "&sort_field=name&sort_order=asc&config_type=slack,webhook"
                  "&is_enabled=true&text_query=ops&name.keyword=x").status_code == 200
    assert es.get("/_plugins/_notifications/channels?max_items=5").status_code == 200
    assert es.get("/_plugins/_reports/definitions?fromIndex=0&maxItems=10").status_code == 200
    assert es.get("/_plugins/_reports/instances?fromIndex=0&maxItems=10").status_code == 200
    assert es.get("/_plugins/_job_scheduler/api/jobs?by_node=true").status_code == 200
    assert es.get("/_ultrawarm/migration/_status?v&migration_type=HOT_TO_WARM").status_code == 200
    assert es.get("/_plugins/_loghaven/alarms?pretty").status_code == 200


def test_hec_is_not_checked(es: httpx.Client) -> None:
    """Splunk's HEC is no BaseRestHandler: a parameter it does not know is no ES 400."""
    response = es.get("/services/collector/health?nonsense=true")
    assert "unrecognized parameter" not in response.text
