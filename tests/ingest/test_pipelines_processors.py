"""The core processors and the common options, run through ``_simulate`` over HTTP:
set, append, remove, rename, foreach, pipeline (and its cycle check), drop, fail, script;
``if``, ``ignore_failure`` and ``on_failure`` with the ``_ingest.on_failure_*`` fields."""

from __future__ import annotations

from typing import Any

import httpx


def run(es: httpx.Client, processors: list[dict[str, Any]], doc: dict[str, Any],
        **pipeline: Any) -> dict[str, Any]:
    """The one document's result of simulating ``processors`` on ``doc``."""
    response = es.post("/_ingest/pipeline/_simulate", json={
        "pipeline": {"processors": processors, **pipeline}, "docs": [{"_source": doc}]})
    assert response.status_code == 200, response.text
    return response.json()["docs"][0]


def out(es: httpx.Client, processors: list[dict[str, Any]], doc: dict[str, Any],
        **pipeline: Any) -> Any:
    result = run(es, processors, doc, **pipeline)
    assert "doc" in result, result
    return result["doc"]["_source"] if result["doc"] else None


def failure(es: httpx.Client, processors: list[dict[str, Any]],
            doc: dict[str, Any]) -> tuple[str, str]:
    error = run(es, processors, doc)["error"]
    return error["type"], error["reason"]


def config_error(es: httpx.Client, processor: dict[str, Any],
                 kind: str = "parse_exception") -> str:
    response = es.put("/_ingest/pipeline/p-invalid", json={"processors": [processor]})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == kind
    return str(response.json()["error"]["reason"])


def test_set(es: httpx.Client) -> None:
    assert out(es, [{"set": {"field": "a.b", "value": {"x": ["{{name}}", 2]}}}],
               {"name": "n"}) == {"name": "n", "a": {"b": {"x": ["n", 2]}}}
    assert out(es, [{"set": {"field": "{{name}}_copy", "copy_from": "obj"}}],
               {"name": "n", "obj": {"k": 1}}) == {"name": "n", "obj": {"k": 1},
                                                   "n_copy": {"k": 1}}
    assert out(es, [{"set": {"field": "a", "value": 2, "override": False}}],
               {"a": 1}) == {"a": 1}
    assert out(es, [{"set": {"field": "a", "value": 2, "override": False}}],
               {"a": None}) == {"a": 2}
    assert out(es, [{"set": {"field": "a", "value": "{{missing}}",
                             "ignore_empty_value": True}}], {}) == {}
    assert out(es, [{"set": {"field": "a", "value": "{{q}}"}}], {"q": 'say "hi"'}) == \
        {"q": 'say "hi"', "a": 'say \\"hi\\"'}
    assert out(es, [{"set": {"field": "a", "value": "{{q}}", "media_type": "text/plain"}}],
               {"q": 'say "hi"'})["a"] == 'say "hi"'
    assert config_error(es, {"set": {"field": "a", "value": 1, "copy_from": "b"}}) == \
        "cannot set both `copy_from` and `value` in the same processor"
    assert config_error(es, {"set": {"value": 1}}) == "[field] required property is missing"


def test_append(es: httpx.Client) -> None:
    assert out(es, [{"append": {"field": "t", "value": ["b", "{{x}}"]}}],
               {"t": "a", "x": "c"}) == {"t": ["a", "b", "c"], "x": "c"}
    assert out(es, [{"append": {"field": "t", "value": ["a", "b"],
                                "allow_duplicates": False}}], {"t": ["a"]}) == {"t": ["a", "b"]}


def test_remove(es: httpx.Client) -> None:
    assert out(es, [{"remove": {"field": ["a", "b.c"]}}], {"a": 1, "b": {"c": 2, "d": 3}}) == \
        {"b": {"d": 3}}
    assert failure(es, [{"remove": {"field": "zz"}}], {}) == \
        ("illegal_argument_exception", "field [zz] not present as part of path [zz]")
    assert out(es, [{"remove": {"field": "zz", "ignore_missing": True}}], {"a": 1}) == {"a": 1}
    assert out(es, [{"remove": {"keep": ["a"]}}], {"a": 1, "b": 2, "c": 3}) == {"a": 1}
    assert config_error(es, {"remove": {}}) == "[keep] or [field] must be specified"


def test_rename(es: httpx.Client) -> None:
    assert out(es, [{"rename": {"field": "a.b", "target_field": "c"}}], {"a": {"b": 1}}) == \
        {"a": {}, "c": 1}
    assert failure(es, [{"rename": {"field": "a", "target_field": "c"}}], {"a": 1, "c": 2}) \
        == ("illegal_argument_exception", "field [c] already exists")
    assert out(es, [{"rename": {"field": "a", "target_field": "c", "override": True}}],
               {"a": 1, "c": 2}) == {"c": 1}
    assert out(es, [{"rename": {"field": "x", "target_field": "c", "ignore_missing": True}}],
               {"a": 1}) == {"a": 1}


def test_foreach_sees_each_element_as_ingest_value(es: httpx.Client) -> None:
    processors = [{"foreach": {"field": "items", "processor": {
        "set": {"if": "ctx._ingest == null", "field": "_ingest._value.seen",
                "value": "{{_ingest._value.name}}!"}}}}]
    assert out(es, processors, {"items": [{"name": "a"}, {"name": "b"}]}) == \
        {"items": [{"name": "a", "seen": "a!"}, {"name": "b", "seen": "b!"}]}
    script = [{"foreach": {"field": "v", "processor": {"append": {
        "field": "all", "value": "{{_ingest._value}}"}}}}]
    assert out(es, script, {"v": ["x", "y"]}) == {"v": ["x", "y"], "all": ["x", "y"]}
    assert failure(es, [{"foreach": {"field": "v", "processor": {"drop": {}}}}], {"v": "s"}) \
        == ("illegal_argument_exception",
            "field [v] of type [java.lang.String] cannot be cast to [java.util.List]")
    assert failure(es, [{"foreach": {"field": "v", "processor": {"drop": {}}}}], {"v": None}) \
        == ("illegal_argument_exception", "field [v] is null, cannot loop over its elements.")
    assert out(es, [{"foreach": {"field": "v", "ignore_missing": True,
                                 "processor": {"drop": {}}}}], {}) == {}
    assert config_error(es, {"foreach": {"field": "v", "processor": {}}}) == \
        "[processor] Must specify exactly one processor type"


def test_pipeline_processor_and_cycles(es: httpx.Client) -> None:
    for pid, calls in (("p-a", "p-b"), ("p-b", "p-a")):
        es.put(f"/_ingest/pipeline/{pid}", json={"processors": [
            {"append": {"field": "path", "value": [pid]}},
            {"pipeline": {"if": "ctx.path.size() < 2 || ctx.loop == true", "name": calls}}]})
    assert out(es, [{"pipeline": {"name": "p-a"}}], {}) == {"path": ["p-a", "p-b"]}
    assert failure(es, [{"pipeline": {"name": "p-a"}}], {"loop": True}) == \
        ("illegal_state_exception", "Cycle detected for pipeline: p-a")
    assert failure(es, [{"pipeline": {"name": "p-none"}}], {}) == \
        ("illegal_state_exception", "Pipeline processor configured for non-existent pipeline "
                                    "[p-none]")
    assert out(es, [{"pipeline": {"name": "p-none", "ignore_missing_pipeline": True}}],
               {"a": 1}) == {"a": 1}


def test_drop_and_fail(es: httpx.Client) -> None:
    assert out(es, [{"drop": {}}, {"set": {"field": "a", "value": 1}}], {}) is None
    assert failure(es, [{"fail": {"message": "no {{what}} here"}}], {"what": "x"}) == \
        ("fail_processor_exception", "no x here")


def test_script(es: httpx.Client) -> None:
    assert out(es, [{"script": {"source": "ctx.total = ctx.a + params.b; ctx.remove('a')",
                                "params": {"b": 2}}}], {"a": 1}) == {"total": 3}
    assert out(es, [{"script": "ctx.x = 'inline'"}], {}) == {"x": "inline"}
    kind, reason = failure(es, [{"script": {"source": "ctx.missing.length()"}}], {})
    assert (kind, reason) == ("script_exception", "runtime error")
    assert config_error(es, {"script": {"source": "ctx.a = "}}, "script_exception") == \
        "compile error"
    assert config_error(es, {"script": {"lang": "painless"}}) == \
        "Need [id] or [source] for script processor"


def test_if_ignore_failure_and_on_failure(es: httpx.Client) -> None:
    assert out(es, [{"set": {"if": "ctx.n > 1", "field": "big", "value": True}}],
               {"n": 5}) == {"n": 5, "big": True}
    assert out(es, [{"set": {"if": {"source": "ctx.n > params.min", "params": {"min": 9}},
                             "field": "big", "value": True}}], {"n": 5}) == {"n": 5}
    assert out(es, [{"rename": {"field": "x", "target_field": "y", "ignore_failure": True}},
                    {"set": {"field": "after", "value": 1}}], {}) == {"after": 1}
    handled = [{"rename": {"tag": "r1", "field": "x", "target_field": "y", "on_failure": [
        {"set": {"field": "why", "value": "{{_ingest.on_failure_message}}"}},
        {"set": {"field": "who", "value": "{{_ingest.on_failure_processor_type}}:"
                                          "{{_ingest.on_failure_processor_tag}}"}}]}},
        {"set": {"field": "after", "value": 1}}]
    assert out(es, handled, {}) == {"why": "field [x] doesn't exist", "who": "rename:r1",
                                    "after": 1}
    # the pipeline's own handlers end the pipeline; the failure fields are gone afterwards
    doc = out(es, [{"fail": {"tag": "f", "message": "m"}}, {"set": {"field": "no", "value": 1}}],
              {}, on_failure=[{"set": {"field": "got", "value": "{{_ingest.on_failure_message}}/"
                                                              "{{_ingest.on_failure_pipeline}}"}},
                              {"set": {"field": "tag", "copy_from": "_ingest.on_failure_processor_tag"}}])
    assert doc["got"] == "m/"  # on_failure_pipeline names only a nested pipeline
    assert doc["tag"] == "f"
    es.put("/_ingest/pipeline/p-inner", json={"processors": [{"fail": {"message": "inner"}}]})
    doc = out(es, [{"pipeline": {"name": "p-inner"}}], {}, on_failure=[
        {"set": {"field": "got", "value": "{{_ingest.on_failure_processor_type}} in "
                                          "{{_ingest.on_failure_pipeline}}"}}])
    assert doc == {"got": "fail in p-inner"}
    # a script's runtime error: the message is its root cause's
    doc = out(es, [{"script": {"source": "ctx.missing.length()", "on_failure": [
        {"set": {"field": "why", "value": "{{_ingest.on_failure_message}}"}}]}}], {})
    assert doc["why"] != "runtime error" and doc["why"]
    nested = run(es, [{"fail": {"message": "one", "on_failure": [{"fail": {"message": "two"}}]}}],
                 {})
    assert nested["error"]["reason"] == "two"
