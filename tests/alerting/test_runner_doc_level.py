"""Document-level monitors: each query runs over the documents that arrived since the last
run (by _seq_no, kept in the metastore), matches become findings, triggered documents alerts."""

from __future__ import annotations

from tests.alerting.conftest import MINUTE, T0, Harness
from tests.alerting.monitors import action, doc_level

AUDIT = {"user": {"type": "keyword"}, "event": {"type": "keyword"}, "msg": {"type": "text"}}
QUERIES = [
    {"id": "q-root", "name": "root login", "query": "user:root AND event:login",
     "tags": ["sev1"]},
    {"id": "q-del", "name": "deletion", "query": "event:delete", "tags": ["sev3"]},
    {"id": "q-fail", "name": "x", "query": "msg:failed", "tags": []},
]


def findings(harness: Harness) -> list[dict]:
    body = harness.node.findings.search({"monitorId": "m1", "size": "100"})
    return [entry["finding"] for entry in body["findings"]]


def test_only_new_documents_make_findings_and_alerts(harness: Harness) -> None:
    harness.index("audit", [{"_id": "old", "user": "root", "event": "login", "msg": "ok"}],
                  AUDIT)
    monitor = doc_level(QUERIES, "query[tag=sev1] || query[name=x]",
                        [action(message="doc {{ctx.alert.related_doc_ids}}")])

    # the first run starts from the index's current end: the old document is not read
    body = harness.run(monitor)
    assert body["trigger_results"]["dt1"]["triggeredDocs"] == []
    assert findings(harness) == [] and harness.alerts() == []

    harness.index("audit", [
        {"_id": "d1", "user": "root", "event": "login", "msg": "ok"},
        {"_id": "d2", "user": "bob", "event": "delete", "msg": "ok"},
        {"_id": "d3", "user": "eve", "event": "login", "msg": "password failed"},
        {"_id": "d4", "user": "bob", "event": "login", "msg": "ok"}])
    harness.clock.now_ms = T0 + MINUTE
    body = harness.run(monitor)
    assert body["input_results"]["results"] == [
        {"q-root": ["d1|audit"], "q-del": ["d2|audit"], "q-fail": ["d3|audit"]}]
    trigger = body["trigger_results"]["dt1"]
    assert trigger["error"] is None and trigger["triggeredDocs"] == ["d1|audit", "d3|audit"]
    stored = {f["related_doc_ids"][0]: f for f in findings(harness)}
    assert set(stored) == {"d1", "d2", "d3"}  # a finding for every matched document
    assert [q["id"] for q in stored["d2"]["queries"]] == ["q-del"]
    assert stored["d1"]["index"] == "audit" and stored["d1"]["monitor_id"] == "m1"
    alerts = {a["related_doc_ids"][0]: a for a in harness.alerts()}
    assert set(alerts) == {"d1", "d3"}
    assert alerts["d1"]["finding_ids"] == [stored["d1"]["id"]]
    assert alerts["d1"]["state"] == "ACTIVE"
    assert sorted(harness.channels.texts()) == ["doc d1", "doc d3"]
    assert len(trigger["action_results"]) == 2

    # nothing new arrived: nothing found again
    harness.clock.now_ms = T0 + 2 * MINUTE
    body = harness.run(monitor)
    assert body["trigger_results"]["dt1"]["triggeredDocs"] == []
    assert len(findings(harness)) == 3 and len(harness.alerts()) == 2

    # an updated document is new again (its _seq_no moved)
    harness.index("audit", [{"_id": "d4", "user": "root", "event": "login", "msg": "ok"}])
    body = harness.run(monitor)
    assert body["trigger_results"]["dt1"]["triggeredDocs"] == ["d4|audit"]


def test_dryrun_reads_the_latest_documents_and_keeps_nothing(harness: Harness) -> None:
    harness.index("audit", [{"_id": f"d{n}", "user": "root", "event": "login", "msg": "ok"}
                            for n in range(12)], AUDIT)
    monitor = doc_level(QUERIES, "query[id=q-root] && !query[tag=sev3]")
    body = harness.run(monitor, dryrun=True)
    # a temporary run reads each index's last ten documents, as OpenSearch's
    assert body["trigger_results"]["dt1"]["triggeredDocs"] == sorted(
        f"d{n}|audit" for n in range(2, 12))
    assert findings(harness) == [] and harness.alerts() == []
    assert harness.node.metastore.get("alerting_doc_level_state", "m1") is None


def test_a_bad_condition_is_one_error_alert(harness: Harness) -> None:
    harness.index("audit", [{"_id": "a", "user": "root", "event": "login"}], AUDIT)
    monitor = doc_level(QUERIES, "query[tag=sev1] &&")
    harness.run(monitor)
    harness.index("audit", [{"_id": "b", "user": "root", "event": "login"}])
    body = harness.run(monitor)
    assert "Invalid document-level trigger condition" in body["trigger_results"]["dt1"]["error"]
    alert, = harness.alerts()
    assert alert["state"] == "ERROR" and alert["related_doc_ids"] == []
    assert alert["error_message"].startswith("Error evaluating trigger:\n")
