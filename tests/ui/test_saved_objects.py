"""The saved objects API (``/_dashboards/api/saved_objects``) over HTTP, against the real
server: OpenSearch Dashboards' paths, bodies, versions and error bodies."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

BASE = "/_dashboards/api/saved_objects"
XSRF = {"osd-xsrf": "true"}


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create(es: httpx.Client, type_: str, attributes: dict[str, Any], id_: str | None = None,
           **body: Any) -> dict[str, Any]:
    path = f"{BASE}/{type_}" + (f"/{id_}" if id_ else "")
    response = es.post(path, json={"attributes": attributes, **body}, headers=XSRF)
    assert response.status_code == 200, response.text
    return response.json()


def test_create_get_update_delete(es: httpx.Client) -> None:
    id_ = unique()
    created = create(es, "index-pattern", {"title": "logs-*", "timeFieldName": "@timestamp"},
                     id_)
    assert created["id"] == id_ and created["type"] == "index-pattern"
    assert created["attributes"] == {"title": "logs-*", "timeFieldName": "@timestamp"}
    assert created["references"] == [] and created["version"] and created["updated_at"]

    got = es.get(f"{BASE}/index-pattern/{id_}").json()
    assert got == created

    updated = es.put(f"{BASE}/index-pattern/{id_}", headers=XSRF, json={
        "attributes": {"title": "logs-2-*"}, "version": created["version"]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] != created["version"]
    assert updated.json()["attributes"] == {"title": "logs-2-*"}
    merged = es.get(f"{BASE}/index-pattern/{id_}").json()
    assert merged["attributes"] == {"title": "logs-2-*", "timeFieldName": "@timestamp"}

    stale = es.put(f"{BASE}/index-pattern/{id_}", headers=XSRF, json={
        "attributes": {"title": "x"}, "version": created["version"]})
    assert stale.status_code == 409
    assert stale.json() == {"statusCode": 409, "error": "Conflict",
                            "message": f"Saved object [index-pattern/{id_}] conflict"}

    deleted = es.delete(f"{BASE}/index-pattern/{id_}", headers=XSRF)
    assert deleted.status_code == 200 and deleted.json() == {}
    missing = es.get(f"{BASE}/index-pattern/{id_}")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "error": "Not Found",
                              "message": f"Saved object [index-pattern/{id_}] not found"}
    assert es.delete(f"{BASE}/index-pattern/{id_}", headers=XSRF).status_code == 404


def test_create_without_id_conflict_and_overwrite(es: httpx.Client) -> None:
    made = create(es, "search", {"title": "no id"})
    uuid.UUID(made["id"])  # a random UUID, as Dashboards makes
    id_ = unique()
    first = create(es, "visualization", {"title": "one", "visState": "{}"}, id_)
    again = es.post(f"{BASE}/visualization/{id_}", headers=XSRF,
                    json={"attributes": {"title": "two"}})
    assert again.status_code == 409
    assert again.json()["message"] == f"Saved object [visualization/{id_}] conflict"
    over = es.post(f"{BASE}/visualization/{id_}?overwrite=true", headers=XSRF,
                   json={"attributes": {"title": "two"}})
    assert over.status_code == 200
    assert over.json()["attributes"] == {"title": "two"}  # replaced, not merged
    assert over.json()["version"] != first["version"]


def test_version_is_never_reused_after_delete(es: httpx.Client) -> None:
    id_ = unique()
    first = create(es, "search", {"title": "a"}, id_)
    es.delete(f"{BASE}/search/{id_}", headers=XSRF)
    second = create(es, "search", {"title": "a"}, id_)
    assert second["version"] != first["version"]


def test_references_round_trip_and_are_checked(es: httpx.Client) -> None:
    id_ = unique()
    refs = [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
             "type": "index-pattern", "id": "p1"}]
    made = create(es, "visualization", {"title": "v"}, id_, references=refs)
    assert made["references"] == refs
    bad = es.post(f"{BASE}/visualization", headers=XSRF,
                  json={"attributes": {"title": "v"}, "references": [{"name": "x"}]})
    assert bad.status_code == 400
    assert bad.json()["error"] == "Bad Request"
    assert "references.0.type" in bad.json()["message"]


def test_bad_requests_answer_dashboards_errors(es: httpx.Client) -> None:
    unsupported = es.post(f"{BASE}/widget", headers=XSRF, json={"attributes": {}})
    assert unsupported.status_code == 400
    assert unsupported.json() == {"statusCode": 400, "error": "Bad Request",
                                  "message": "Unsupported saved object type: 'widget': "
                                             "Bad Request"}
    no_attributes = es.post(f"{BASE}/search", headers=XSRF, json={})
    assert no_attributes.status_code == 400
    assert no_attributes.json()["message"].startswith("[request body.attributes]")
    not_json = es.post(f"{BASE}/search", headers={**XSRF, "content-type": "application/json"},
                       content=b"{nope")
    assert not_json.status_code == 400
    assert not_json.json()["message"] == "Invalid request payload JSON format"
    no_xsrf = es.post(f"{BASE}/search", json={"attributes": {"title": "x"}})
    assert no_xsrf.status_code == 400
    assert no_xsrf.json() == {"statusCode": 400, "error": "Bad Request",
                              "message": "Request must contain a osd-xsrf header."}
    no_type = es.get(f"{BASE}/_find")
    assert no_type.status_code == 400 and no_type.json()["statusCode"] == 400


def test_bulk_get_and_bulk_create(es: httpx.Client) -> None:
    a, b = unique(), unique()
    made = es.post(f"{BASE}/_bulk_create", headers=XSRF, json=[
        {"type": "search", "id": a, "attributes": {"title": "A"}},
        {"type": "search", "id": b, "attributes": {"title": "B"}},
        {"type": "widget", "id": "w", "attributes": {"title": "W"}},
    ])
    assert made.status_code == 200
    saved = made.json()["saved_objects"]
    assert [o["id"] for o in saved] == [a, b, "w"]
    assert saved[2]["error"]["statusCode"] == 400
    clash = es.post(f"{BASE}/_bulk_create", headers=XSRF, json=[
        {"type": "search", "id": a, "attributes": {"title": "A2"}}]).json()
    assert clash["saved_objects"][0]["error"] == {
        "statusCode": 409, "error": "Conflict", "message": f"Saved object [search/{a}] conflict"}

    got = es.post(f"{BASE}/_bulk_get", headers=XSRF, json=[
        {"type": "search", "id": a}, {"type": "search", "id": "missing-one"},
        {"type": "search", "id": b, "fields": ["description"]}])
    assert got.status_code == 200
    objects = got.json()["saved_objects"]
    assert objects[0]["attributes"] == {"title": "A"}
    assert objects[1] == {"id": "missing-one", "type": "search", "error": {
        "statusCode": 404, "error": "Not Found",
        "message": "Saved object [search/missing-one] not found"}}
    assert objects[2]["attributes"] == {}


def test_find_search_paging_fields_and_references(es: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    pattern = unique("p")
    for n, title in enumerate(["Requests by country", "Requests over time",
                               "Top client IPs", "Blocked requests"]):
        refs = [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                 "type": "index-pattern", "id": pattern}] if n % 2 == 0 else []
        create(es, "visualization", {"title": f"{title} {tag}", "description": "d"},
               f"{tag}-{n}", references=refs)

    def find(**query: Any) -> dict[str, Any]:
        response = es.get(f"{BASE}/_find", params={"type": "visualization", **query})
        assert response.status_code == 200, response.text
        return response.json()

    found = find(search=f"{tag} requests", default_search_operator="AND")
    assert found["total"] == 3
    assert {o["attributes"]["title"] for o in found["saved_objects"]} == {
        f"Requests by country {tag}", f"Requests over time {tag}", f"Blocked requests {tag}"}
    assert all("score" in o for o in found["saved_objects"])

    prefix = find(search=f"{tag[:5]}*", sort_field="title", per_page=2, page=2)
    assert prefix["total"] == 4 and prefix["page"] == 2 and prefix["per_page"] == 2
    assert [o["attributes"]["title"] for o in prefix["saved_objects"]] == [
        f"Requests over time {tag}", f"Top client IPs {tag}"]

    only_title = find(search=tag, fields="title", per_page=1)
    assert list(only_title["saved_objects"][0]["attributes"]) == ["title"]

    referring = find(has_reference=f'{{"type":"index-pattern","id":"{pattern}"}}')
    assert {o["id"] for o in referring["saved_objects"]} == {f"{tag}-0", f"{tag}-2"}

    both = es.get(f"{BASE}/_find", params=[("type", "visualization"), ("type", "search"),
                                           ("search", tag)]).json()
    assert both["total"] == 4
    comma = es.get(f"{BASE}/_find", params={"type": "visualization,search",
                                            "search": tag}).json()
    assert comma["total"] == 4
    unknown = es.get(f"{BASE}/_find", params={"type": "widget"}).json()
    assert unknown == {"page": 1, "per_page": 20, "total": 0, "saved_objects": []}
