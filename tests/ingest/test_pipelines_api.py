"""The ``_ingest/pipeline`` API over HTTP: CRUD, its errors, and ``_simulate`` with the
OpenSearch documentation's examples."""

from __future__ import annotations

from typing import Any

import httpx

from conftest import Server


def put(es: httpx.Client, pid: str, body: dict[str, Any]) -> httpx.Response:
    return es.put(f"/_ingest/pipeline/{pid}", json=body)


def test_put_get_delete_with_wildcards_and_404s(es: httpx.Client) -> None:
    body = {"description": "one", "version": 3, "_meta": {"owner": "ops"},
            "processors": [{"set": {"field": "a", "value": 1}}]}
    assert put(es, "crud-one", body).json() == {"acknowledged": True}
    assert put(es, "crud-two", {"processors": []}).status_code == 200
    assert es.get("/_ingest/pipeline/crud-one").json() == {"crud-one": body}
    assert set(es.get("/_ingest/pipeline/crud-*").json()) == {"crud-one", "crud-two"}
    assert set(es.get("/_ingest/pipeline/crud-two,nothing").json()) == {"crud-two"}
    assert {"crud-one", "crud-two"} <= set(es.get("/_ingest/pipeline").json())
    missing = es.get("/_ingest/pipeline/crud-none")
    assert (missing.status_code, missing.json()) == (404, {})
    assert es.get("/_ingest/pipeline/nomatch-*").status_code == 404
    assert es.delete("/_ingest/pipeline/crud-one").json() == {"acknowledged": True}
    assert es.get("/_ingest/pipeline/crud-one").status_code == 404
    gone = es.delete("/_ingest/pipeline/crud-one")
    assert gone.status_code == 404
    assert gone.json()["error"]["type"] == "resource_not_found_exception"
    assert gone.json()["error"]["reason"] == "pipeline [crud-one] is missing"
    assert es.delete("/_ingest/pipeline/crud-*").status_code == 200
    assert es.delete("/_ingest/pipeline/crud-*").status_code == 200  # a pattern may match none
    assert es.get("/_ingest/pipeline/crud-two").status_code == 404


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["root_cause"][0]["type"] == error["type"]
    return error


def test_invalid_definitions_are_refused_with_es_errors(es: httpx.Client) -> None:
    error = error_of(put(es, "bad", {"description": "x"}))
    assert (error["type"], error["reason"]) == ("parse_exception",
                                                "[processors] required property is missing")
    assert error["property_name"] == "processors"
    error = error_of(put(es, "bad", {"processors": [{"nope": {}}]}))
    assert error["reason"] == "No processor type exists with name [nope]"
    assert error["processor_type"] == "nope"
    error = error_of(put(es, "bad", {"processors": [{"set": {"field": "a", "value": 1,
                                                             "tag": "t", "extra": 2}}]}))
    assert error["reason"] == ("processor [set] doesn't support one or more provided "
                               "configuration parameters [extra]")
    assert (error["processor_type"], error["processor_tag"]) == ("set", "t")
    error = error_of(put(es, "bad", {"processors": [{"set": {"field": "a"}}]}))
    assert error["reason"] == "[value] required property is missing"
    assert error["property_name"] == "value"
    error = error_of(put(es, "bad", {"processors": [], "colour": "red"}))
    assert error["reason"] == ("pipeline [bad] doesn't support one or more provided "
                               "configuration parameters [colour]")
    error = error_of(put(es, "bad", {"processors": [], "on_failure": []}))
    assert error["reason"] == "pipeline [bad] cannot have an empty on_failure option defined"
    error = error_of(put(es, "bad", {"processors": [{"drop": {"on_failure": []}}]}))
    assert error["reason"] == "[on_failure] processors list cannot be empty"
    error = error_of(put(es, "bad", {"processors": [{"drop": {"if": "ctx.a ==",
                                                              "tag": "t"}}]}))
    assert (error["type"], error["reason"]) == ("script_exception", "compile error")
    assert (error["processor_type"], error["processor_tag"]) == ("drop", "t")
    error = error_of(put(es, "bad", {"processors": [{"nope": {"tag": "t"}}]}))
    assert error["processor_tag"] == "t"
    assert es.get("/_ingest/pipeline/bad").status_code == 404


def test_simulate_with_a_pipeline_in_the_body(es: httpx.Client) -> None:
    # OpenSearch's "Simulate pipeline" example: a pipeline in the request body
    body = {"pipeline": {"processors": [
        {"set": {"field": "field2", "value": "_value"}},
        {"append": {"field": "tags", "value": ["a", "b"]}}]},
        "docs": [{"_index": "index", "_id": "id", "_source": {"foo": "bar"}},
                 {"_source": {"foo": "rab"}}]}
    docs = es.post("/_ingest/pipeline/_simulate", json=body).json()["docs"]
    first = docs[0]["doc"]
    assert (first["_index"], first["_id"]) == ("index", "id")
    assert first["_source"] == {"foo": "bar", "field2": "_value", "tags": ["a", "b"]}
    assert first["_ingest"]["timestamp"].endswith("Z")
    assert (docs[1]["doc"]["_index"], docs[1]["doc"]["_id"]) == ("_index", "_id")
    missing = es.post("/_ingest/pipeline/_simulate", json={"docs": []})
    assert error_of(missing)["reason"] == "[pipeline] required property is missing"
    no_docs = es.post("/_ingest/pipeline/_simulate", json={"pipeline": {"processors": []}})
    assert error_of(no_docs)["reason"] == "[docs] required property is missing"
    no_source = es.post("/_ingest/pipeline/_simulate",
                        json={"pipeline": {"processors": []}, "docs": [{"_id": "1"}]})
    assert error_of(no_source)["reason"] == "[_source] required property is missing"
    for docs, reason in (([], "must specify at least one document in [docs]"),
                         (["x"], "malformed [docs] section, should include an inner object"),
                         ("x", "[docs] property isn't a list, but of type [java.lang.String]"),
                         ([{"_source": {}, "_version": "1"}],
                          "Failed to parse parameter [_version], only int or long is accepted")):
        refused = es.post("/_ingest/pipeline/_simulate",
                          json={"pipeline": {"processors": []}, "docs": docs})
        assert error_of(refused)["reason"] == reason
    versioned = es.post("/_ingest/pipeline/_simulate", json={
        "pipeline": {"processors": []}, "docs": [{"_source": {}, "_id": 7, "_version": 3}]})
    assert {k: v for k, v in versioned.json()["docs"][0]["doc"].items() if k[1] != "s"} == \
        {"_index": "_index", "_id": "7", "_version": "3", "_ingest": {
            "timestamp": versioned.json()["docs"][0]["doc"]["_ingest"]["timestamp"]}}


def test_simulate_a_stored_pipeline_verbose(es: httpx.Client) -> None:
    assert put(es, "sim-stored", {"processors": [
        {"set": {"tag": "first", "description": "sets x", "field": "x", "value": 1}},
        {"set": {"if": "ctx.foo == 'skip'", "field": "y", "value": 2}},
        {"rename": {"field": "nope", "target_field": "z", "ignore_failure": True}},
        {"drop": {"if": "ctx.foo == 'drop'"}}]}).status_code == 200
    docs = [{"_source": {"foo": "keep"}}, {"_source": {"foo": "drop"}}]
    plain = es.post("/_ingest/pipeline/sim-stored/_simulate", json={"docs": docs}).json()
    assert plain["docs"][0]["doc"]["_source"] == {"foo": "keep", "x": 1}
    assert plain["docs"][1] == {"doc": None}
    verbose = es.post("/_ingest/pipeline/sim-stored/_simulate?verbose=true",
                      json={"docs": docs}).json()
    kept, dropped = (d["processor_results"] for d in verbose["docs"])
    assert [r["status"] for r in kept] == ["success", "skipped", "error_ignored", "skipped"]
    assert kept[0]["tag"] == "first" and kept[0]["description"] == "sets x"
    assert kept[0]["doc"]["_source"] == {"foo": "keep", "x": 1}
    assert kept[0]["doc"]["_ingest"]["pipeline"] == "sim-stored"
    assert kept[1]["if"] == {"condition": "ctx.foo == 'skip'", "result": False}
    assert kept[2]["ignored_error"]["error"]["reason"] == "field [nope] doesn't exist"
    assert [r["status"] for r in dropped][-1] == "dropped"
    assert dropped[-1]["if"] == {"condition": "ctx.foo == 'drop'", "result": True}
    missing = es.post("/_ingest/pipeline/sim-none/_simulate", json={"docs": docs})
    assert error_of(missing)["reason"] == "pipeline [sim-none] does not exist"


def test_simulate_reports_a_failing_document_alone(es: httpx.Client) -> None:
    body = {"pipeline": {"processors": [{"rename": {"field": "a", "target_field": "b"}}]},
            "docs": [{"_source": {"a": 1}}, {"_source": {"c": 1}}]}
    docs = es.post("/_ingest/pipeline/_simulate", json=body).json()["docs"]
    assert docs[0]["doc"]["_source"] == {"b": 1}
    assert docs[1]["error"]["type"] == "illegal_argument_exception"
    assert docs[1]["error"]["reason"] == "field [a] doesn't exist"
    assert docs[1]["error"]["root_cause"][0]["reason"] == "field [a] doesn't exist"


def test_a_condition_may_read_but_not_change_the_document(es: httpx.Client) -> None:
    """ES gives ``if`` a read-only view of ctx: assigning, or calling a mutating method on
    any map or list reached from it, fails the document and changes nothing."""
    conditions = ["ctx.x = 1; return true", "ctx.tags.add('new'); return true",
                  "def t = ctx.tags; t.remove(0) != null", "ctx.nested.put('k', 2) == null",
                  "for (def m : ctx.list) { m.k = 1 } return true",
                  "ctx.list.get(0).remove('k') == 0"]
    docs = [{"_source": {"tags": ["a"], "nested": {}, "list": [{"k": 0}]}}]
    for condition in conditions:
        body = {"pipeline": {"processors": [
            {"set": {"if": condition, "field": "ran", "value": True}}]}, "docs": docs}
        error = es.post("/_ingest/pipeline/_simulate", json=body).json()["docs"][0]["error"]
        assert error["type"] == "script_exception", (condition, error)
        assert error["reason"] == "runtime error"
        assert error["caused_by"] == {
            "type": "unsupported_operation_exception",
            "reason": "Mutating ingest documents in conditionals is not supported"}
        assert error["script"] == condition
    # Reading works, and local collections (and the params) stay writable.
    body = {"pipeline": {"processors": [{"set": {
        "if": "def l = []; l.add(ctx.tags.get(0)); def m = [:]; m.put('a', ctx.nested); "
              "l.size() == 1 && ctx.tags.contains('a') && ctx.list[0].k == 0",
        "field": "ran", "value": True}}]}, "docs": docs}
    doc = es.post("/_ingest/pipeline/_simulate", json=body).json()["docs"][0]["doc"]
    assert doc["_source"] == {**docs[0]["_source"], "ran": True}


def test_simulate_a_date_in_the_documents_locale(es: httpx.Client) -> None:
    body = {"pipeline": {"processors": [{"date": {
        "field": "when", "formats": ["dd/MMM/yyyy:HH:mm:ss Z"], "locale": "{{lang}}"}}]},
        "docs": [{"_source": {"when": "10/Okt./2024:13:55:36 +0200", "lang": "de"}},
                 {"_source": {"when": "05/janv./2024:08:00:00 +0100", "lang": "fr-FR"}},
                 {"_source": {"when": "07/sept/2024:23:59:59 +0000", "lang": "es"}},
                 {"_source": {"when": "10/Okt./2024:13:55:36 +0200", "lang": "xx"}}]}
    docs = es.post("/_ingest/pipeline/_simulate", json=body).json()["docs"]
    assert [d["doc"]["_source"]["@timestamp"] for d in docs[:3]] == [
        "2024-10-10T11:55:36.000Z", "2024-01-05T07:00:00.000Z", "2024-09-07T23:59:59.000Z"]
    assert docs[3]["error"]["type"] == "illegal_argument_exception"
    assert docs[3]["error"]["reason"] == "unable to parse date [10/Okt./2024:13:55:36 +0200]"


def test_pipelines_survive_a_restart(fresh_server: Server) -> None:
    body = {"processors": [{"set": {"field": "kept", "value": True}}]}
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        assert put(client, "durable", body).status_code == 200
    fresh_server.restart()
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        assert client.get("/_ingest/pipeline/durable").json() == {"durable": body}
        assert client.put("/after/_doc/1?pipeline=durable", json={}).status_code == 201
        assert client.get("/after/_doc/1").json()["_source"] == {"kept": True}
