"""Templates, aliases and _cat tables over HTTP."""

from __future__ import annotations

import httpx

#: The template from the seed article on AWS WAF logs, exactly as users copy it.
WAF_TEMPLATE = {
    "index_patterns": ["awswaf-*"],
    "settings": {"number_of_shards": 1},
    "mappings": {
        "waflog": {
            "properties": {
                "httpRequest": {
                    "properties": {
                        "clientIp": {
                            "type": "keyword",
                            "fields": {"keyword": {"type": "ip"}},
                        }
                    }
                },
                "timestamp": {"type": "date", "format": "epoch_millis"},
            }
        }
    },
}


def test_seed_waf_template_works_as_written(es: httpx.Client, index_name: str) -> None:
    name = f"awswaf-{index_name}"
    assert es.put("/_template/awswaf-logs", json=WAF_TEMPLATE).json() == {"acknowledged": True}
    doc = {"timestamp": 1704067200123, "httpRequest": {"clientIp": "203.0.113.9"}}
    assert es.post(f"/{name}/_doc?refresh=true", json=doc).status_code == 201
    props = es.get(f"/{name}/_mapping").json()[name]["mappings"]["properties"]
    assert props["httpRequest"]["properties"]["clientIp"]["fields"]["keyword"]["type"] == "ip"
    assert props["timestamp"] == {"type": "date", "format": "epoch_millis"}
    got = es.get("/_template/awswaf-logs").json()["awswaf-logs"]
    assert got["index_patterns"] == ["awswaf-*"]
    assert "waflog" not in got["mappings"]
    bad = es.post(f"/{name}/_doc", json={"timestamp": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "mapper_parsing_exception"
    es.delete("/_template/awswaf-logs")
    assert es.get("/_template/awswaf-logs").status_code == 404


def test_legacy_templates_merge_by_order(es: httpx.Client, index_name: str) -> None:
    es.put("/_template/t-low", json={"index_patterns": [f"{index_name}*"], "order": 0,
                                     "settings": {"number_of_replicas": 2},
                                     "mappings": {"properties": {"a": {"type": "keyword"}}}})
    es.put("/_template/t-high", json={"index_patterns": [f"{index_name}-x*"], "order": 1,
                                      "settings": {"number_of_replicas": 0},
                                      "aliases": {f"{index_name}-alias": {}}})
    es.put(f"/{index_name}-x1")
    body = es.get(f"/{index_name}-x1").json()[f"{index_name}-x1"]
    assert body["settings"]["index"]["number_of_replicas"] == "0"
    assert body["mappings"]["properties"]["a"] == {"type": "keyword"}
    assert f"{index_name}-alias" in body["aliases"]
    for name in ("t-low", "t-high"):
        es.delete(f"/_template/{name}")


def test_composable_and_component_templates(es: httpx.Client, index_name: str) -> None:
    assert es.put("/_component_template/ct-base", json={"template": {
        "mappings": {"properties": {"host": {"type": "keyword"}}}}}).status_code == 200
    assert es.put("/_index_template/it-logs", json={
        "index_patterns": [f"{index_name}-*"], "priority": 10, "composed_of": ["ct-base"],
        "template": {"settings": {"refresh_interval": "2s"},
                     "mappings": {"properties": {"msg": {"type": "text"}}}}}).status_code == 200
    es.put(f"/{index_name}-1/_doc/1", json={"host": "a", "msg": "hi"})
    body = es.get(f"/{index_name}-1").json()[f"{index_name}-1"]
    assert body["mappings"]["properties"]["host"] == {"type": "keyword"}
    assert body["mappings"]["properties"]["msg"] == {"type": "text"}
    assert body["settings"]["index"]["refresh_interval"] == "2s"
    listed = es.get("/_index_template/it-logs").json()["index_templates"]
    assert listed[0]["name"] == "it-logs"
    assert listed[0]["index_template"]["composed_of"] == ["ct-base"]
    in_use = es.delete("/_component_template/ct-base")
    assert in_use.status_code == 400
    assert es.delete("/_index_template/it-logs").status_code == 200
    assert es.delete("/_component_template/ct-base").status_code == 200
    assert es.get("/_index_template/it-logs").status_code == 404


def test_aliases_add_remove_write_index_and_filter(es: httpx.Client, index_name: str) -> None:
    a, b, alias = f"{index_name}-a", f"{index_name}-b", f"{index_name}-all"
    es.put(f"/{a}")
    es.put(f"/{b}")
    response = es.post("/_aliases", json={"actions": [
        {"add": {"index": a, "alias": alias}},
        {"add": {"index": b, "alias": alias, "is_write_index": True,
                 "filter": {"term": {"k": "v"}}}}]})
    assert response.json() == {"acknowledged": True}
    got = es.get(f"/_alias/{alias}").json()
    assert set(got) == {a, b}
    assert got[b]["aliases"][alias]["is_write_index"] is True
    assert got[b]["aliases"][alias]["filter"] == {"term": {"k": "v"}}
    written = es.post(f"/{alias}/_doc", json={"k": "v"}).json()
    assert written["_index"] == b
    assert es.head(f"/_alias/{alias}").status_code == 200
    assert es.delete(f"/{a}/_alias/{alias}").status_code == 200
    assert set(es.get(f"/_alias/{alias}").json()) == {b}
    assert es.put(f"/{a}/_alias/{index_name}-one").status_code == 200
    assert es.get(f"/{a}/_alias").json()[a]["aliases"] == {f"{index_name}-one": {}}
    es.post("/_aliases", json={"actions": [{"remove_index": {"index": a}}]})
    assert es.head(f"/{a}").status_code == 404
    assert es.head("/_alias/definitely-not-an-alias").status_code == 404


def test_cat_apis(es: httpx.Client, index_name: str) -> None:
    es.post(f"/{index_name}/_bulk?refresh=true", content=b'{"index":{}}\n{"a":1}\n'
            b'{"index":{}}\n{"a":2}\n', headers={"content-type": "application/x-ndjson"})
    text = es.get(f"/_cat/indices/{index_name}?v").text.splitlines()
    assert text[0].split()[:3] == ["health", "status", "index"]
    assert text[1].split()[:3] == ["green", "open", index_name]
    rows = es.get(f"/_cat/indices/{index_name}?format=json&bytes=b&h=index,docs.count,"
                  "store.size").json()
    assert rows == [{"index": index_name, "docs.count": "2", "store.size": rows[0]["store.size"]}]
    assert rows[0]["store.size"].isdigit()
    assert es.get(f"/_cat/count/{index_name}?format=json").json()[0]["count"] == "2"
    assert es.get("/_cat/health?format=json").json()[0]["status"] == "green"
    es.put(f"/{index_name}/_alias/{index_name}-al")
    aliases = es.get(f"/_cat/aliases/{index_name}-al?format=json").json()
    assert aliases == [{"alias": f"{index_name}-al", "index": index_name, "filter": "-",
                        "routing.index": "-", "routing.search": "-", "is_write_index": "-"}]
    es.put(f"/_template/{index_name}-tpl", json={"index_patterns": ["zzz-*"], "order": 3})
    templates = es.get(f"/_cat/templates/{index_name}-tpl?format=json").json()
    assert templates[0]["index_patterns"] == "[zzz-*]" and templates[0]["order"] == "3"
    sorted_rows = es.get("/_cat/indices?format=json&s=index:desc&h=index").json()
    names = [r["index"] for r in sorted_rows]
    assert names == sorted(names, reverse=True)
