"""Document-level monitors: run each query over the documents that arrived since the last
run, as OpenSearch's DocumentLevelMonitorRunner does.

"Arrived since" is ``_seq_no`` above the highest one the previous run saw in that index,
kept per monitor in the metastore (kind ``alerting_doc_level_state``). The first run of a
monitor starts from each index's current highest ``_seq_no`` (it does not alert on old
documents); an index that appears later (a rollover) is read from its start; a run that is
not kept (``dryrun``, or an inline monitor) reads the last ten documents of each index, as
OpenSearch's temporary monitors do. Documents are read in windows of ``FETCH_SIZE``
sequence numbers, so each search fits ES's result window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loghaven.search.service import SearchService
from loghaven.storage.metastore import Metastore

STATE_KIND = "alerting_doc_level_state"
#: OpenSearch's ``plugins.alerting.monitor.doc_level_monitor_shard_fetch_size`` default.
FETCH_SIZE = 10_000
#: How many of the latest documents a temporary (dry-run or inline) run reads per index.
TEMPORARY_WINDOW = 10


@dataclass
class DocLevelRun:
    #: Query id → the ``<doc id>|<index>`` keys it matched (the run's ``input_results``).
    matches: dict[str, set[str]] = field(default_factory=dict)
    #: Per index, the highest ``_seq_no`` this run read up to.
    state: dict[str, int] = field(default_factory=dict)


def doc_level_input(monitor: dict[str, Any]) -> dict[str, Any]:
    for item in monitor.get("inputs") or []:
        if isinstance(item.get("doc_level_input"), dict):
            return item["doc_level_input"]
    return {}


def load_state(metastore: Metastore, monitor_id: str) -> dict[str, int] | None:
    stored = metastore.get(STATE_KIND, monitor_id)
    return None if stored is None else {k: int(v) for k, v in stored["indices"].items()}


def save_state(metastore: Metastore, monitor_id: str, state: dict[str, int]) -> None:
    metastore.put(STATE_KIND, monitor_id, {"indices": state})


def run_queries(search: SearchService, spec: dict[str, Any], previous: dict[str, int] | None,
                *, temporary: bool) -> DocLevelRun:
    """Each query over each index's new documents. Raises the search's LoghavenError."""
    run = DocLevelRun({str(q.get("id")): set() for q in spec.get("queries") or []})
    expression = ",".join(spec.get("indices") or [])
    for target in search.catalog.resolve_params(expression, {}):
        name, highest = target.index.name, target.index.seq_no
        if temporary:
            last = max(-1, highest - TEMPORARY_WINDOW)
        elif previous is None:  # the monitor's first run
            last = highest
        else:
            last = previous.get(name, -1)
        run.state[name] = highest
        for low in range(last, highest, FETCH_SIZE):
            window = {"range": {"_seq_no": {"gt": low, "lte": min(highest, low + FETCH_SIZE)}}}
            for query in spec.get("queries") or []:
                body = {"size": FETCH_SIZE, "_source": False, "query": {"bool": {"filter": [
                    window, {"query_string": {"query": str(query.get("query", "*"))}}]}}}
                hits = search.search(name, body, {})["hits"]["hits"]
                run.matches[str(query.get("id"))].update(f"{hit['_id']}|{name}" for hit in hits)
    return run


def finding_query(query: dict[str, Any]) -> dict[str, Any]:
    """A query as a finding records it (OpenSearch's ``DocLevelQuery``)."""
    return {"id": str(query.get("id")), "name": str(query.get("name", "")),
            "query": str(query.get("query", "")), "tags": list(query.get("tags") or []),
            "fields": list(query.get("fields") or []),
            "query_field_names": list(query.get("query_field_names") or [])}


def findings(monitor: dict[str, Any], monitor_id: str, queries: list[dict[str, Any]],
             matches: dict[str, set[str]], now_ms: int) -> dict[str, dict[str, Any]]:
    """One finding per matched document with the queries it matched, by document key."""
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for query in queries:
        for key in sorted(matches.get(str(query.get("id")), ())):
            by_doc.setdefault(key, []).append(finding_query(query))
    out = {}
    for key, matched in by_doc.items():
        doc_id, _, index = key.rpartition("|")
        out[key] = {"related_doc_ids": [doc_id], "correlated_doc_ids": [],
                    "monitor_id": monitor_id, "monitor_name": monitor.get("name", ""),
                    "index": index, "queries": matched, "timestamp": now_ms,
                    "execution_id": None}
    return out
