"""Import and export of saved objects over HTTP: OpenSearch Dashboards' NDJSON, Kibana 6's
``export.json`` with the index pattern remap step of the seed's PCI-DSS walkthrough, the
limits, and that an import with errors writes nothing."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.ui.dashdata import BASE, XSRF, index_pattern

from conftest import Server

KIBANA6_EXPORT = Path(__file__).parent / "data" / "pci_dss_kibana6_export.json"
#: The index pattern the export names, which does not exist here.
OLD_PATTERN = "5ca3b460-9b9f-11e8-a1c8-1f1cb8d3e4c2"


def upload(es: httpx.Client, path: str, content: bytes, name: str = "export.ndjson",
           params: dict[str, str] | None = None, **fields: str) -> httpx.Response:
    return es.post(f"{BASE}/{path}", headers=XSRF, params=params or {},
                   files={"file": (name, content, "application/octet-stream")}, data=fields)


def ndjson(*objects: dict[str, Any]) -> bytes:
    return b"\n".join(orjson.dumps(o) for o in objects) + b"\n"


def test_kibana6_export_imports_after_remapping_its_index_pattern_to_cwl(
        fresh_server: Server) -> None:
    """The seed's walkthrough: import the PCI-DSS export.json, whose index pattern does not
    exist; the import reports it and writes nothing; the user picks ``cwl-*``; every object
    is written with its references remapped."""
    items = json.loads(KIBANA6_EXPORT.read_text())
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        first = upload(es, "_import", KIBANA6_EXPORT.read_bytes(), name="export.json")
        assert first.status_code == 200, first.text
        answer = first.json()
        assert answer["success"] is False
        missing = {e["id"] for e in answer["errors"]}
        # every object naming the pattern itself: the searches and the visualizations with
        # an index (not the one built on a saved search, not the dashboard)
        expected = {i["_id"] for i in items
                    if '"index"' in i["_source"].get("kibanaSavedObjectMeta", {})
                    .get("searchSourceJSON", "")}
        assert missing == expected and len(expected) == 10
        for error in answer["errors"]:
            assert error["error"] == {"type": "missing_references",
                                      "references": [{"type": "index-pattern",
                                                      "id": OLD_PATTERN}]}
            assert error["title"] and error["meta"]["title"] == error["title"]
        assert {s["id"] for s in answer["successResults"]} == {
            i["_id"] for i in items} - expected
        dashboard_id = next(i["_id"] for i in items if i["_type"] == "dashboard")
        assert es.get(f"{BASE}/dashboard/{dashboard_id}").status_code == 404  # nothing written

        cwl = index_pattern(es, "cwl-*")
        retries = [{"type": i["_type"], "id": i["_id"], "overwrite": True,
                    "replaceReferences": [{"type": "index-pattern", "from": OLD_PATTERN,
                                           "to": cwl}]} for i in items]
        resolved = upload(es, "_resolve_import_errors", KIBANA6_EXPORT.read_bytes(),
                          name="export.json", retries=json.dumps(retries))
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["success"] is True, resolved.json()
        assert resolved.json()["successCount"] == len(items)

        for item in items:
            saved = es.get(f"{BASE}/{item['_type']}/{item['_id']}").json()
            assert saved["attributes"]["title"] == item["_source"]["title"]
            source = json.loads(saved["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert "index" not in source
            if item["_id"] in expected:
                assert source["indexRefName"] == "kibanaSavedObjectMeta.searchSourceJSON.index"
                assert {"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                        "type": "index-pattern", "id": cwl} in saved["references"]
        on_search = next(i for i in items if "savedSearchId" in i["_source"])
        saved = es.get(f"{BASE}/visualization/{on_search['_id']}").json()
        assert saved["attributes"]["savedSearchRefName"] == "search_0"
        assert saved["references"] == [{"name": "search_0", "type": "search",
                                        "id": on_search["_source"]["savedSearchId"]}]

        dashboard = es.get(f"{BASE}/dashboard/{dashboard_id}").json()
        panels = json.loads(dashboard["attributes"]["panelsJSON"])
        legacy_panels = json.loads(next(i for i in items if i["_type"] == "dashboard")
                                   ["_source"]["panelsJSON"])
        assert [p["panelRefName"] for p in panels] == [f"panel_{n}"
                                                       for n in range(len(legacy_panels))]
        assert all("id" not in p and "type" not in p for p in panels)
        assert dashboard["references"] == [
            {"name": f"panel_{n}", "type": p["type"], "id": p["id"]}
            for n, p in enumerate(legacy_panels)]

        exported = es.post(f"{BASE}/_export", headers=XSRF, json={
            "objects": [{"type": "dashboard", "id": dashboard_id}],
            "includeReferencesDeep": True})
        assert exported.status_code == 200
        lines = [json.loads(line) for line in exported.text.splitlines()]
        assert lines[-1] == {"exportedCount": len(items) + 1, "missingRefCount": 0,
                             "missingReferences": []}
        assert lines[0]["id"] == cwl and lines[-2]["id"] == dashboard_id


def test_export_format_and_reimport_as_new_copies(es: httpx.Client) -> None:
    base = index_pattern(es, f"waf-{uuid.uuid4().hex[:6]}-*")
    vis = f"vis-{uuid.uuid4().hex[:8]}"
    made = es.post(f"{BASE}/visualization/{vis}", headers=XSRF, json={
        "attributes": {"title": "Top URIs", "visState": "{}", "kibanaSavedObjectMeta": {
            "searchSourceJSON": '{"indexRefName":"kibanaSavedObjectMeta.searchSourceJSON.index"}'}},
        "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                        "type": "index-pattern", "id": base}]})
    assert made.status_code == 200
    exported = es.post(f"{BASE}/_export", headers=XSRF, json={
        "objects": [{"type": "visualization", "id": vis}], "includeReferencesDeep": True})
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/ndjson"
    assert exported.headers["content-disposition"] == 'attachment; filename="export.ndjson"'
    lines = exported.content.split(b"\n")
    first = json.loads(lines[0])
    assert (first["type"], first["id"]) == ("index-pattern", base)  # dependencies first
    assert list(first) == sorted(first)  # Dashboards' stable stringify
    assert json.loads(lines[-1])["exportedCount"] == 2

    copies = upload(es, "_import", exported.content, params={"createNewCopies": "true"})
    assert copies.status_code == 200, copies.text
    answer = copies.json()
    assert answer["success"] is True and answer["successCount"] == 2
    new_ids = {r["type"]: r["destinationId"] for r in answer["successResults"]}
    assert new_ids["index-pattern"] != base and new_ids["visualization"] != vis
    copy = es.get(f"{BASE}/visualization/{new_ids['visualization']}").json()
    assert copy["references"][0]["id"] == new_ids["index-pattern"]  # remapped in the file

    no_details = es.post(f"{BASE}/_export", headers=XSRF, json={
        "objects": [{"type": "visualization", "id": vis}], "excludeExportDetails": True})
    assert [json.loads(line)["id"] for line in no_details.text.splitlines()] == [vis]


def test_conflicts_overwrite_and_unsupported_types(es: httpx.Client) -> None:
    id_ = f"s-{uuid.uuid4().hex[:8]}"
    other = f"s-{uuid.uuid4().hex[:8]}"
    file = ndjson({"type": "search", "id": id_, "attributes": {"title": "v1"}})
    assert upload(es, "_import", file).json() == {
        "successCount": 1, "success": True, "successResults": [
            {"type": "search", "id": id_, "meta": {"title": "v1", "icon": "discoverApp"}}]}
    changed = ndjson({"type": "search", "id": id_, "attributes": {"title": "v2"}},
                     {"type": "search", "id": other, "attributes": {"title": "new"}})
    clash = upload(es, "_import", changed).json()
    assert clash["success"] is False
    assert clash["errors"] == [{"id": id_, "type": "search", "title": "v2",
                                "meta": {"title": "v2", "icon": "discoverApp"},
                                "error": {"type": "conflict"}}]
    # a pending conflict writes nothing, not even the object without one
    assert es.get(f"{BASE}/search/{other}").status_code == 404
    assert es.get(f"{BASE}/search/{id_}").json()["attributes"]["title"] == "v1"

    over = upload(es, "_import", changed, params={"overwrite": "true"}).json()
    assert over["success"] is True and over["successCount"] == 2
    assert {"type": "search", "id": id_, "meta": {"title": "v2", "icon": "discoverApp"},
            "overwrite": True} in over["successResults"]
    assert es.get(f"{BASE}/search/{id_}").json()["attributes"]["title"] == "v2"

    third = f"s-{uuid.uuid4().hex[:8]}"
    mixed = upload(es, "_import", ndjson(
        {"type": "timelion-sheet", "id": "t1", "attributes": {"title": "Sheet"}},
        {"type": "search", "id": third, "attributes": {"title": "kept"}},
        {"exportedCount": 2, "missingRefCount": 0, "missingReferences": []})).json()
    assert mixed["success"] is False and mixed["successCount"] == 1
    assert mixed["errors"] == [{"id": "t1", "type": "timelion-sheet", "title": "Sheet",
                                "meta": {"title": "Sheet"},
                                "error": {"type": "unsupported_type"}}]
    assert es.get(f"{BASE}/search/{third}").status_code == 200


def test_bad_files_are_refused_whole(es: httpx.Client) -> None:
    id_ = f"s-{uuid.uuid4().hex[:8]}"
    bad = ndjson({"type": "search", "id": id_, "attributes": {"title": "a"}}) + b"{not json\n"
    refused = upload(es, "_import", bad)
    assert refused.status_code == 400
    assert refused.json()["error"] == "Bad Request"
    assert "line 2" in refused.json()["message"]
    assert es.get(f"{BASE}/search/{id_}").status_code == 404

    twice = ndjson({"type": "search", "id": id_, "attributes": {}},
                   {"type": "search", "id": id_, "attributes": {}})
    assert upload(es, "_import", twice).json()["message"] == \
        f"Non-unique import objects detected: [search:{id_}]"
    wrong_name = upload(es, "_import", b"{}", name="export.txt")
    assert wrong_name.json() == {"statusCode": 400, "error": "Bad Request",
                                 "message": "Invalid file extension .txt"}
    both = upload(es, "_import", b"", params={"overwrite": "true", "createNewCopies": "true"})
    assert both.status_code == 400
    not_form = es.post(f"{BASE}/_import", headers=XSRF, json={"file": "x"})
    assert not_form.status_code == 406
    no_xsrf = es.post(f"{BASE}/_import", files={"file": ("a.ndjson", b"", "text/plain")})
    assert no_xsrf.status_code == 400
    assert no_xsrf.json()["message"] == "Request must contain a osd-xsrf header."

    missing = es.post(f"{BASE}/_export", headers=XSRF, json={
        "objects": [{"type": "search", "id": "nope-nope"}]})
    assert missing.status_code == 400
    assert missing.json()["attributes"]["objects"][0]["error"]["statusCode"] == 404
    neither = es.post(f"{BASE}/_export", headers=XSRF, json={})
    assert neither.json()["message"] == "Either `type` or `objects` are required."
    wrong_type = es.post(f"{BASE}/_export", headers=XSRF, json={"type": ["widget"]})
    assert wrong_type.json()["message"] == "Trying to export non-exportable type(s): widget"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A server with small import bounds and no built-in dashboards."""
    instance = Server(tmp_path_factory.mktemp("small") / "data", env={
        "LOGHAVEN_SAVED_OBJECTS_MAX_IMPORT_EXPORT_SIZE": "3",
        "LOGHAVEN_SAVED_OBJECTS_MAX_IMPORT_PAYLOAD_BYTES": "2000",
        "LOGHAVEN_DASHBOARDS_BUILTIN_INSTALL": "false"}).start()
    yield instance
    instance.stop()


def test_import_and_export_limits(small: Server) -> None:
    with httpx.Client(base_url=small.url, timeout=30) as es:
        four = ndjson(*[{"type": "search", "id": f"l{n}", "attributes": {"title": f"{n}"}}
                        for n in range(4)])
        many = upload(es, "_import", four)
        assert many.status_code == 400
        assert many.json() == {"statusCode": 400, "error": "Bad Request",
                               "message": "Can't import more than 3 objects"}
        assert es.get(f"{BASE}/search/l0").status_code == 404
        big = upload(es, "_import", ndjson({"type": "search", "id": "big",
                                            "attributes": {"title": "x" * 3000}}))
        assert big.status_code == 413
        assert big.json() == {"statusCode": 413, "error": "Request Entity Too Large",
                              "message": "Payload content length greater than maximum "
                                         "allowed: 2000"}
        three = upload(es, "_import", ndjson(*[{"type": "search", "id": f"l{n}",
                                                "attributes": {"title": f"{n}"}}
                                               for n in range(3)]))
        assert three.json()["successCount"] == 3
        es.post(f"{BASE}/search/l3", headers=XSRF, json={"attributes": {"title": "3"}})
        over = es.post(f"{BASE}/_export", headers=XSRF, json={"type": "search"})
        assert over.status_code == 400
        assert over.json()["message"] == "Can't export more than 3 objects"
        found = es.get(f"{BASE}/_find", params={"type": "dashboard"}).json()
        assert found["total"] == 0  # dashboards.builtin.install: false
