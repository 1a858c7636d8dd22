"""The finding store: what document-level monitors matched, where OpenSearch keeps it.

Findings go to the hidden daily indices ``.opensearch-alerting-finding-history-*`` through
the write alias ``.opensearch-alerting-finding-history-write`` (rolled over and expired by
history.py with the ``finding_history_*`` settings), in OpenSearch's ``Finding`` shape and
``finding_mapping.json`` (``queries`` is an ``object`` here, not ``nested``).
:meth:`FindingStore.search` answers ``GET _plugins/_alerting/findings/_search`` with each
finding's matched documents read through the search service, as the plugin's multi-get.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from loghaven.alerting.alerts import source_of, table_search
from loghaven.alerting.history import READ, HistoryIndices, HistoryPolicy
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.writes import new_doc_id
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.ingest.bulk import BulkItem
from loghaven.ingest.service import WriteService
from loghaven.scheduler import Scheduler
from loghaven.search.service import SearchService
from loghaven.security.context import as_node

HISTORY_WRITE_ALIAS = ".opensearch-alerting-finding-history-write"
HISTORY_PREFIX = ".opensearch-alerting-finding-history-"
#: OpenSearch's ``ALL_FINDING_INDEX_PATTERN``.
ALL_FINDINGS = ".opensearch-alerting-finding*"

_TEXT_KEYWORD = {"type": "text", "fields": {"keyword": {"type": "keyword"}}}
#: OpenSearch's finding_mapping.json (schema version 4).
MAPPING: dict[str, Any] = {
    "dynamic": "strict", "_meta": {"schema_version": 4},
    "properties": {
        "schema_version": {"type": "integer"}, "related_doc_ids": _TEXT_KEYWORD,
        "monitor_id": {"type": "keyword"}, "monitor_name": {"type": "keyword"},
        "id": {"type": "keyword"}, "index": {"type": "keyword"},
        "queries": {"properties": {
            "id": {"type": "keyword"}, "name": {"type": "keyword"}, "query": {"type": "text"},
            "tags": _TEXT_KEYWORD, "fields": {"type": "text"},
            "query_field_names": {"type": "keyword"}}},
        "timestamp": {"type": "long"},
        "correlated_doc_ids": {"type": "text", "analyzer": "whitespace",
                               "fields": {"keyword": {"type": "keyword"}}},
        "execution_id": {"type": "keyword"},
    }}


def render(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding as OpenSearch's ``Finding.toXContent`` writes it."""
    return {"id": finding.get("id", ""), "related_doc_ids": finding.get("related_doc_ids", []),
            "correlated_doc_ids": finding.get("correlated_doc_ids", []),
            "monitor_id": finding.get("monitor_id", ""),
            "monitor_name": finding.get("monitor_name", ""),
            "index": finding.get("index", ""), "queries": finding.get("queries", []),
            "timestamp": finding.get("timestamp"),
            "execution_id": finding.get("execution_id")}


class FindingStore:
    """The node's findings."""

    def __init__(self, write_service: WriteService, search_service: SearchService,
                 clock: Callable[[], float] = time.time,
                 policy: HistoryPolicy | None = None) -> None:
        self.writes = write_service
        self.search_service = search_service
        self.history = HistoryIndices(write_service.catalog, HISTORY_PREFIX,
                                      HISTORY_WRITE_ALIAS, MAPPING, policy or HistoryPolicy(),
                                      clock)

    def schedule(self, scheduler: Scheduler) -> None:
        """Roll the history over and expire it every ``alert_finding_rollover_period``."""
        self.history.schedule(scheduler, "alerting-finding-history")

    def save(self, findings: list[dict[str, Any]]) -> None:
        """Index findings (one without an id gets one, set on the dict), visible at once."""
        if not findings:
            return
        for finding in findings:
            if not finding.get("id"):
                finding["id"] = new_doc_id()
        with as_node("indices:data/write/bulk"):
            self.history.ensure()
            response = self.writes.bulk([BulkItem("index", HISTORY_WRITE_ALIAS, WriteRequest(
                "index", doc_id=f["id"], source=orjson.dumps(f))) for f in findings],
                refresh="true")
        for slot in response["items"]:
            if "error" in slot["index"]:
                raise IllegalArgument(f"finding [{slot['index']['_id']}] not saved: "
                                      f"{slot['index']['error'].get('reason')}")

    def search(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET _plugins/_alerting/findings/_search``: OpenSearch's parameters
        (``findingId``, ``sortString``, ``sortOrder``, ``missing``, ``size``, ``startIndex``,
        ``searchString``); ``{"total_findings": n, "findings": [{"finding", "document_list"}]}``
        with each related document as ``{"index", "id", "found", "document"}`` (its source
        as a JSON string)."""
        body = table_search(params, default_sort="id")
        query: dict[str, Any] = {"filter": []}
        if (finding_id := params.get("findingId", "")).strip():
            query["filter"].append({"ids": {"values": [finding_id]}})
        if (search := params.get("searchString", "")).strip():
            query["should"] = [
                {"query_string": {"query": search}},
                {"query_string": {"query": search, "default_operator": "AND",
                                  "fields": ["queries.tags", "queries.name"]}}]
        body["query"] = {"bool": query}
        with as_node("indices:data/read/search"):
            response = self.search_service.search(ALL_FINDINGS, body, READ)
            findings = [source_of(hit) for hit in response["hits"]["hits"]]
            documents = self._documents(findings)
        return {"total_findings": response["hits"]["total"]["value"],
                "findings": [{"finding": render(finding), "document_list": [
                    documents[finding.get("index", ""), doc_id]
                    for doc_id in finding.get("related_doc_ids", [])
                    if (finding.get("index", ""), doc_id) in documents]}
                    for finding in findings]}

    def _documents(self, findings: list[dict[str, Any]]) -> dict[tuple[str, str], dict]:
        """The findings' related documents, each read once (OpenSearch's multi-get)."""
        wanted = list(dict.fromkeys((finding.get("index", ""), doc_id)
                                    for finding in findings
                                    for doc_id in finding.get("related_doc_ids", [])))
        out: dict[tuple[str, str], dict] = {}
        for (index, doc_id), read in zip(wanted, self.search_service.mget(wanted),
                                         strict=True):
            state = None if isinstance(read, LoghavenError) else read[1]
            if isinstance(read, LoghavenError) or state is None or state.source is None:
                out[index, doc_id] = {"index": index, "id": doc_id, "found": False,
                                      "document": ""}
            else:
                out[index, doc_id] = {"index": read[0].name, "id": doc_id, "found": True,
                                      "document": state.source.decode()}
        return out
