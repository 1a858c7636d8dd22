"""Shared helpers of the warm migration tests: a server on a local or S3 warm bucket, an index
with a few splits, the answers it must keep, and the UltraWarm calls (opensearch-py 3.2 has
no ``ultrawarm`` namespace, so they go through its transport, as a user's script would)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch, TransportError

from conftest import S3Store, Server, wait_for

DOCS = 240
#: Every state UltraWarm documents.
STATES = {f"{phase}_{stage}" for phase in ("PENDING", "RUNNING", "FAILED")
          for stage in ("INCREMENTAL_SNAPSHOT", "FORCE_MERGE", "FULL_SNAPSHOT",
                        "SHARD_RELOCATION")} | {"FINISHED_SHARD_RELOCATION"}


class WarmServer:
    """A server of the test's own, with its warm bucket in a local folder or in S3."""

    def __init__(self, data: Path, s3: S3Store | None = None) -> None:
        self.s3 = s3
        self.env: dict[str, str] = {}
        if s3 is not None:
            self.bucket = s3.bucket()
            self.env = {"LOGHAVEN_OBJECT_STORE_TYPE": "s3",
                        "LOGHAVEN_OBJECT_STORE_S3_ENDPOINT": s3.endpoint_url,
                        "LOGHAVEN_OBJECT_STORE_S3_ACCESS_KEY": s3.access_key,
                        "LOGHAVEN_OBJECT_STORE_S3_SECRET_KEY": s3.secret_key,
                        "LOGHAVEN_WARM_BUCKET": self.bucket}
        else:
            self.bucket = "loghaven-warm"
        self.server = Server(data, env=dict(self.env))

    def with_repository(self, folder: Path) -> None:
        """Make ``folder`` the server's ``path.repo`` (snapshot repositories go there)."""
        folder.mkdir()
        self.env["LOGHAVEN_PATH_REPO"] = str(folder)

    def start(self, pause: str | None = None) -> OpenSearch:
        """(Re)start the server; ``pause`` names the migration step it stops at."""
        self.server.env = {**self.env, **({"LOGHAVEN_TEST_MIGRATION_PAUSE": pause}
                                          if pause else {})}
        self.server.start()
        return self.client()

    def client(self) -> OpenSearch:
        return OpenSearch(self.server.url, timeout=60)

    def objects(self) -> list[str]:
        """The keys in the warm bucket."""
        if self.s3 is not None:
            listed = self.s3.client().list_objects_v2(Bucket=self.bucket)
            return [item["Key"] for item in listed.get("Contents", [])]
        root = self.server.data_dir / "buckets" / self.bucket
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) \
            if root.exists() else []

    def paused_at(self, step: str) -> bool:
        return f"migration paused at step [{step}]" in self.server.log.read_text()


def fill(client: OpenSearch, index: str) -> None:
    """An index whose documents sit in several sealed splits (a new field rolls the active
    split) with a deleted document: the force merge has something to do."""
    client.indices.create(index=index, body={"mappings": {"properties": {
        "status": {"type": "integer"}, "host": {"type": "keyword"},
        "@timestamp": {"type": "date"}}}})
    for part in range(3):
        lines: list[dict[str, Any]] = []
        for n in range(part * DOCS // 3, (part + 1) * DOCS // 3):
            doc: dict[str, Any] = {"status": 200 + n % 5 * 100, "host": f"h{n % 7}",
                                   "@timestamp": 1_700_000_000_000 + n * 60_000,
                                   "message": f"request {n}"}
            doc[f"extra{part}"] = n  # a field of its own: a new split
            lines += [{"index": {"_id": str(n)}}, doc]
        client.bulk(body=lines, index=index, refresh=True)
    client.delete(index=index, id="0", refresh=True)


def answers(client: OpenSearch, index: str) -> dict[str, Any]:
    """What a user asks of the index: a count, a filtered count, aggregations, sorted hits."""
    search = client.search(index=index, body={
        "size": 5, "sort": [{"@timestamp": "desc"}], "track_total_hits": True,
        "query": {"range": {"status": {"gte": 300}}},
        "aggs": {"hosts": {"terms": {"field": "host", "size": 10}},
                 "statuses": {"terms": {"field": "status"}},
                 "span": {"stats": {"field": "@timestamp"}}}})
    return {"count": client.count(index=index)["count"],
            "total": search["hits"]["total"]["value"],
            "ids": [hit["_id"] for hit in search["hits"]["hits"]],
            "aggs": search["aggregations"],
            "match": client.count(index=index, body={"query": {"match": {
                "message": "request"}}})["count"]}


def call(client: OpenSearch, method: str, path: str) -> Any:
    return client.transport.perform_request(method, path)


def status(client: OpenSearch, index: str) -> dict[str, Any] | None:
    """The migration's ``migration_status``, or None once there is none (404)."""
    try:
        return call(client, "GET", f"/_ultrawarm/migration/{index}/_status")["migration_status"]
    except TransportError as error:
        if error.status_code == 404:
            return None
        raise


def finish(client: OpenSearch, index: str, seen: set[str] | None = None) -> None:
    """Wait until the migration of ``index`` has ended, noting the states it went through."""
    def ended() -> bool:
        found = status(client, index)
        if found is not None and seen is not None:
            seen.add(found["state"])
        assert found is None or not found["state"].startswith("FAILED"), found
        return found is None

    wait_for(ended, timeout=60, what=f"the migration of {index} to end")


def tier(client: OpenSearch, index: str) -> str | None:
    settings = client.indices.get_settings(index=index)[index]["settings"]["index"]
    return settings.get("routing", {}).get("allocation", {}).get("require", {}).get("box_type")


def cat_names(client: OpenSearch, expression: str) -> list[str]:
    rows = client.cat.indices(index=expression, format="json")
    return sorted(row["index"] for row in rows)


def snapshot(client: OpenSearch, indices: str) -> None:
    """Snapshot ``indices`` as ``s`` into the fs repository ``r`` (under ``path.repo``)."""
    client.snapshot.create_repository(repository="r", body={
        "type": "fs", "settings": {"location": "r"}})
    info = client.snapshot.create(repository="r", snapshot="s", body={"indices": indices},
                                  params={"wait_for_completion": "true"})["snapshot"]
    assert info["state"] == "SUCCESS"


def restore_renamed(client: OpenSearch, **body: Any) -> None:
    """Restore snapshot ``s`` of ``r``, ``warm-<x>`` as ``back-<x>``."""
    client.snapshot.restore(repository="r", snapshot="s", body={
        "rename_pattern": "warm-(.+)", "rename_replacement": "back-$1", **body},
        params={"wait_for_completion": "true"})
