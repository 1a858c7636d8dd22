"""``compile(source, variables=...)``: a context that names its variables (a pipeline
aggregation has only ``params``) has an unknown name refused when the script is compiled, as
Painless' compiler refuses it, with the position of the name."""

from __future__ import annotations

import pytest

from loghaven.scripting import ScriptError, compile


def refused(source: str, *variables: str) -> ScriptError:
    with pytest.raises(ScriptError) as caught:
        compile(source, variables=variables)
    return caught.value


def test_an_unknown_name_is_a_compile_error_at_its_position() -> None:
    error = refused("params.a * doc['bytes'].value", "params")
    body = error.to_cause()
    assert (error.status, body["reason"]) == (400, "compile error")
    assert body["caused_by"] == {"type": "illegal_argument_exception",
                                 "reason": "cannot resolve symbol [doc]"}
    assert body["position"]["offset"] == 11
    assert refused("ctx.results[0].hits.total.value > 0", "params").cause_reason == \
        "cannot resolve symbol [ctx]"


def test_declared_names_and_loop_variables_resolve() -> None:
    source = ("double sum = 0; for (def v : params.values) { sum += v } "
              "for (int i = 0; i < 2; i++) { sum += i } return sum / params.values.size()")
    assert compile(source, variables=("params",)).execute(
        {"params": {"values": [1.0, 2.0, 3.0]}}) == 7.0 / 3
    assert refused("int a = 1; return a + b", "params").cause_reason == \
        "cannot resolve symbol [b]"


def test_without_variables_a_name_fails_only_when_run() -> None:
    script = compile("doc.x")
    with pytest.raises(ScriptError) as caught:
        script.execute({})
    assert caught.value.to_cause()["reason"] == "runtime error"
    assert script.execute({"doc": {"x": 1}}) == 1


def test_doubles_render_as_javas_double_to_string():
    """``String.valueOf`` of a double is Java's shortest form: plain in [1e-3, 1e7), else
    scientific (``12345678.9`` is ``1.23456789E7``), the same as ingest processors print."""
    from loghaven.scripting import compile as compile_script

    assert compile_script("String.valueOf(params.x)").execute({"params": {"x": 12345678.9}}) \
        == "1.23456789E7"
    assert compile_script("'' + params.x").execute({"params": {"x": 0.5}}) == "0.5"
