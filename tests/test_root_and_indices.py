"""Root, cluster health and the index APIs over HTTP."""

from __future__ import annotations

import httpx


def test_root_identifies_as_opensearch(es: httpx.Client) -> None:
    body = es.get("/").json()
    assert body["version"]["distribution"] == "opensearch"
    assert body["version"]["number"].startswith("2.")
    assert body["tagline"]
    assert es.head("/").status_code == 200


def test_cluster_health_green(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}")
    body = es.get("/_cluster/health").json()
    assert body["status"] == "green" and body["number_of_nodes"] == 1
    assert es.get(f"/_cluster/health/{index_name}").json()["status"] == "green"
    assert es.get("/_cluster/health/nope-missing").status_code == 404


def test_create_get_exists_delete(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}", json={
        "settings": {"number_of_shards": 3, "number_of_replicas": 0},
        "mappings": {"properties": {"status": {"type": "keyword"}}}})
    assert response.status_code == 200
    assert response.json() == {"acknowledged": True, "shards_acknowledged": True,
                               "index": index_name}
    assert es.head(f"/{index_name}").status_code == 200
    body = es.get(f"/{index_name}").json()[index_name]
    assert body["mappings"] == {"properties": {"status": {"type": "keyword"}}}
    assert body["settings"]["index"]["number_of_shards"] == "3"
    assert body["settings"]["index"]["number_of_replicas"] == "0"
    again = es.put(f"/{index_name}")
    assert again.status_code == 400
    assert again.json()["error"]["type"] == "resource_already_exists_exception"
    assert es.delete(f"/{index_name}").json() == {"acknowledged": True}
    assert es.head(f"/{index_name}").status_code == 404
    missing = es.get(f"/{index_name}")
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["type"] == "index_not_found_exception"
    assert error["root_cause"][0]["type"] == "index_not_found_exception"
    assert missing.json()["status"] == 404


def test_delete_lists_and_wildcards(es: httpx.Client, index_name: str) -> None:
    for suffix in ("a", "b", "c"):
        es.put(f"/{index_name}-{suffix}")
    assert es.delete(f"/{index_name}-a,{index_name}-b").status_code == 200
    assert es.head(f"/{index_name}-a").status_code == 404
    assert es.delete(f"/{index_name}-*").status_code == 200
    assert es.head(f"/{index_name}-c").status_code == 404


def test_invalid_index_names(es: httpx.Client) -> None:
    for name in ("UPPER", "_under", "has space", "a*b", "-minus"):
        response = es.put(f"/{name}")
        assert response.status_code == 400, name
        assert response.json()["error"]["type"] == "invalid_index_name_exception", name


def test_mapping_get_put_and_type_change_refused(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"mappings": {"properties": {"a": {"type": "long"}}}})
    assert es.put(f"/{index_name}/_mapping",
                  json={"properties": {"b": {"type": "keyword"}}}).status_code == 200
    props = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]["properties"]
    assert props == {"a": {"type": "long"}, "b": {"type": "keyword"}}
    conflict = es.put(f"/{index_name}/_mapping", json={"properties": {"a": {"type": "text"}}})
    assert conflict.status_code == 400
    assert conflict.json()["error"]["type"] == "illegal_argument_exception"
    assert "cannot be changed from type [long] to [text]" in conflict.json()["error"]["reason"]


def test_unknown_field_type_is_mapper_parsing(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}", json={"mappings": {"properties": {"a": {"type": "x"}}}})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "mapper_parsing_exception"


def test_settings_get_put(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}")
    assert es.put(f"/{index_name}/_settings",
                  json={"index": {"refresh_interval": "5s",
                                  "translog.durability": "async"}}).status_code == 200
    settings = es.get(f"/{index_name}/_settings").json()[index_name]["settings"]["index"]
    assert settings["refresh_interval"] == "5s"
    assert settings["translog"]["durability"] == "async"
    bad = es.put(f"/{index_name}/_settings", json={"index": {"number_of_shards": 2}})
    assert bad.status_code == 400


def test_refresh_flush_open_close(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1", json={"a": 1})
    assert es.post(f"/{index_name}/_refresh").json()["_shards"]["failed"] == 0
    assert es.post(f"/{index_name}/_flush").status_code == 200
    closed = es.post(f"/{index_name}/_close").json()
    assert closed["acknowledged"] and closed["indices"][index_name]["closed"]
    refused = es.get(f"/{index_name}/_doc/1")
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "index_closed_exception"
    assert es.post(f"/{index_name}/_open").json()["acknowledged"]
    assert es.get(f"/{index_name}/_doc/1").json()["_source"] == {"a": 1}


def test_unknown_route_is_es_error(es: httpx.Client) -> None:
    response = es.get("/_nonexistent_api/x/y")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "illegal_argument_exception"
