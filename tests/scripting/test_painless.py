"""The Painless subset: OpenSearch's documented trigger conditions, ingest scripts, each
construct, each refusal naming its construct, the runtime error shapes and the limits."""

from __future__ import annotations

from typing import Any

import pytest

from loghaven.errors import LoghavenError
from loghaven.scripting import ScriptError, compile, evaluate, parser


def run(source: str, **variables: Any) -> Any:
    return compile(source).execute(variables)


def results(total: int, hits: list[dict[str, Any]] | None = None,
            aggs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"results": [{"hits": {"total": {"value": total, "relation": "eq"},
                                  "hits": hits or []},
                         "aggregations": aggs or {}}],
            "periodStart": "2026-12-04T16:00:00Z", "monitor": {"name": "errors"}}


# -- OpenSearch alerting docs, verbatim ------------------------------------------------------

DOC_ANY_HITS = """// Evaluates to true if the query returned any documents
ctx.results[0].hits.total.value > 0"""

DOC_AVG_CPU = """// Returns true if the avg_cpu aggregation exceeds 90
if (ctx.results[0].aggregations.avg_cpu.value > 90) {
  return true;
}"""

DOC_SCORING = """// Performs some crude custom scoring and returns true if that score exceeds a certain value
int score = 0;
for (int i = 0; i < ctx.results[0].hits.hits.length; i++) {
  // Weighs 500 errors 10 times as heavily as 503 errors
  if (ctx.results[0].hits.hits[i]._source.http_status_code == "500") {
    score += 10;
  } else if (ctx.results[0].hits.hits[i]._source.http_status_code == "503") {
    score += 1;
  }
}
if (score > 99) {
  return true;
} else {
  return false;
}"""


def test_doc_trigger_any_hits() -> None:
    assert run(DOC_ANY_HITS, ctx=results(3)) is True
    assert run(DOC_ANY_HITS, ctx=results(0)) is False
    assert run("return ctx.results[0].hits.total.value > 0", ctx=results(1)) is True


def test_doc_trigger_aggregation() -> None:
    assert run(DOC_AVG_CPU, ctx=results(1, aggs={"avg_cpu": {"value": 95.5}})) is True
    assert run(DOC_AVG_CPU, ctx=results(1, aggs={"avg_cpu": {"value": 12.0}})) is None


def test_doc_trigger_scoring_loop() -> None:
    def hit(code: str) -> dict[str, Any]:
        return {"_source": {"http_status_code": code}}
    many = [hit("500")] * 10
    assert run(DOC_SCORING, ctx=results(10, many)) is True
    assert run(DOC_SCORING, ctx=results(12, [hit("500")] * 9 + [hit("503")] * 3)) is False


def test_bucket_level_condition_with_params() -> None:
    script = compile("params._count > 50 || params.avg_products_base_price < 35")
    assert script.execute({"params": {"_count": 51, "avg_products_base_price": 40.0}}) is True
    assert script.execute({"params": {"_count": 3, "avg_products_base_price": 34.5}}) is True
    assert script.execute({"params": {"_count": 3, "avg_products_base_price": 80}}) is False
    assert run("params.threshold <= params._count", params={"threshold": 5, "_count": 5})


def test_monitor_context_fields() -> None:
    ctx = results(0)
    assert run("ctx.monitor.name + ' since ' + ctx.periodStart", ctx=ctx) == \
        "errors since 2026-12-04T16:00:00Z"
    assert run("ctx.results[0]['hits']['total'].value", ctx=ctx) == 0


# -- ingest-style scripts --------------------------------------------------------------------

def test_ingest_script_mutates_ctx() -> None:
    ctx: dict[str, Any] = {"field_a": 2, "field_b": 3, "tags": ["prod"], "message": "Hello"}
    run("ctx.field_a_plus_b_times_c = (ctx.field_a + ctx.field_b) * params.param_c;"
        "ctx['lower'] = ctx.message.toLowerCase(); ctx.count = 1; ctx.count += 4;"
        "ctx.tags.add('seen'); ctx.nested = ['k': [1, 2L, 3.5]]",
        ctx=ctx, params={"param_c": 10})
    assert ctx["field_a_plus_b_times_c"] == 50
    assert ctx["lower"] == "hello"
    assert ctx["count"] == 5
    assert ctx["tags"] == ["prod", "seen"]
    assert ctx["nested"] == {"k": [1, 2, 3.5]}


def test_ingest_if_conditions() -> None:
    cond = compile("ctx.network?.name == 'Guest'")
    assert cond.execute({"ctx": {"network": {"name": "Guest"}}}) is True
    assert cond.execute({"ctx": {}}) is False
    cond = compile("ctx?.network?.name != null && ctx.network.name.contains('Gue')")
    assert cond.execute({"ctx": {"network": {"name": "Guest"}}}) is True
    assert cond.execute({"ctx": {}}) is False
    assert run("ctx.tags.contains('prod')", ctx={"tags": ["prod"]}) is True


# -- constructs -------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "expected"), [
    ("1", 1), ("1L", 1), ("1.5", 1.5), ("2e3", 2000.0), ("1.5d", 1.5), ("'a\\'b'", "a'b"),
    ('"x"', "x"), ("true", True), ("false", False), ("null", None), ("[1, 'a']", [1, "a"]),
    ("['a': 1, 'b': [2]]", {"a": 1, "b": [2]}), ("[:]", {}), ("[]", []),
    ("1 == 1.0", True), ("1 != 2", True), ("2 < 3", True), ("3 <= 3", True),
    ("4 > 3.5", True), ("3 >= 4", False), ("'a' == 'a'", True), ("'a' == 1", False),
    ("true == 1", False), ("null == null", True),
    ("7 / 2", 3), ("-7 / 2", -3), ("7 % 3", 1), ("-7 % 3", -1), ("7.0 / 2", 3.5),
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("1 - 2 - 3", -4), ("-(3)", -3), ("!true", False),
    ("'n=' + 1", "n=1"), ("1 + 2 + 'x'", "3x"), ("'x' + null", "xnull"), ("'d' + 1.0", "d1.0"),
    ("true && false", False), ("false || true", True), ("false && null.x", False),
    ("true || null.x", True), ("1 > 0 ? 'y' : 'n'", "y"), ("null ?: 'dflt'", "dflt"),
    ("'v' ?: 'dflt'", "v"), ("9223372036854775807L + 1", -9223372036854775808),
    ("(int) 3.9", 3), ("(double) 7 / 2", 3.5), ("1.0 / 0", float("inf")),
    ("[1, 2, 3].size()", 3), ("[1, 2].length", 2), ("'abc'.length()", 3),
    ("[1, 2].contains(2)", True), ("[1, 2].contains(2.0)", True), ("'abc'.contains('b')", True),
    ("['a': 1].containsKey('a')", True), ("[].isEmpty()", True), ("''.isEmpty()", True),
    ("[5, 6].get(1)", 6), ("['a': 1].get('b')", None), ("'abc'.startsWith('ab')", True),
    ("'abc'.endsWith('bc')", True), ("'AbC'.toLowerCase()", "abc"),
    ("'AbC'.toUpperCase()", "ABC"), ("'hello'.substring(1, 3)", "el"),
    ("'hello'.substring(2)", "llo"), ("'a'.equals('a')", True), ("[1, 2][-1]", 2),
    ("Math.max(1, 2.5)", 2.5), ("Math.min(3, 2)", 2), ("Math.abs(-4)", 4),
    ("Math.round(2.5)", 3), ("Math.round(-2.5)", -2), ("Math.floor(2.7)", 2.0),
    ("Math.ceil(2.1)", 3.0), ("Math.sqrt(16)", 4.0), ("Math.pow(2, 10)", 1024.0),
    ("Integer.parseInt('42')", 42), ("Double.parseDouble('1.5')", 1.5),
    ("String.valueOf(3)", "3"), ("String.valueOf(true)", "true"),
    ("String.valueOf([1, 'a'])", "[1, a]"),
])
def test_expressions(source: str, expected: Any) -> None:
    value = run(source)
    assert value == expected and type(value) is type(expected)


def test_statements() -> None:
    assert run("def x = 1; x = x + 1; return x;") == 2
    assert run("int a = 1, b = 2; long c = 3L; double d = 1; String s = 'q'; boolean t = true;"
               " return [a, b, c, d, s, t]") == [1, 2, 3, 1.0, "q", True]
    assert run("def t = 0; for (def v : [1, 2, 3]) { t += v } t") == 6
    assert run("def ks = ''; for (String k : ['a': 1, 'b': 2]) { ks += k } ks") == "ab"
    assert run("int i = 0; while (i < 5) { i++; } return i") == 5
    assert run("int i = 0; int s = 0; for (;;) { i++; if (i > 3) break; if (i == 2) continue;"
               " s += i } return s") == 4
    assert run("def x = 5; x -= 1; x *= 3; x /= 2; x %= 4; x") == 2
    assert run("int i = 0; def a = i++; def b = ++i; [a, b, i]") == [0, 2, 2]
    assert run("if (false) { return 1 } else if (true) { return 2 } else { return 3 }") == 2
    assert run("{ def y = 1; } def y = 2; y") == 2
    assert run("def m = ['a': ['b': 1]]; m.a.b = 7; m['a']['c'] = 8; m") == \
        {"a": {"b": 7, "c": 8}}
    assert run("def l = [1, 2]; l[0] = 9; l") == [9, 2]
    assert run("def x = 1; if (x > 0) { x = 2 }") is None


def test_variables_are_per_execution() -> None:
    script = compile("def n = params.n * 2; return n")
    assert [script.execute({"params": {"n": i}}) for i in range(3)] == [0, 2, 4]


# -- refusals name the construct -------------------------------------------------------------

@pytest.mark.parametrize(("source", "named"), [
    ("'a'.foo()", "method [foo] is not supported"),
    ("new ArrayList()", "[new] is not supported"),
    ("x instanceof Map", "[instanceof] is not supported"),
    ("[1].stream()", "method [stream] is not supported"),
    ("def f = x -> x", "[lambda] is not supported"),
    ("ctx.a =~ /x/", "[regex] is not supported"),
    ("1 & 2", "operator [&] is not supported"),
    ("1 << 2", "operator [<<] is not supported"),
    ("Math.random()", "method [Math.random] is not supported"),
    ("System.exit(0)", "class [System] is not supported"),
    ("try { 1 } catch (Exception e) {}", "[try] is not supported"),
    ("throw 1", "[throw] is not supported"),
    ("do { } while (true)", "[do] is not supported"),
    ("int f() { return 1 }", "[function definitions] are not supported"),
    ("List<String> l = []", "[generic types] are not supported"),
    ("int[] a", "[arrays] are not supported"),
    ("String::valueOf", "[method reference] is not supported"),
    ("1 +", "unexpected end of script"),
    ("(1", "expected [)] but found end of script"),
    ("1 2", "expected [;] but found [2]"),
    ("'abc", "unterminated string"),
    ("#", "invalid character [#]"),
    ("3 = 4", "left-hand side of an assignment"),
    ("99999999999", "Invalid int constant [99999999999]."),
])
def test_compile_errors_name_the_construct(source: str, named: str) -> None:
    with pytest.raises(ScriptError) as info:
        compile(source)
    err = info.value
    assert isinstance(err, LoghavenError) and err.status == 400
    body = err.to_body()["error"]
    assert body["type"] == "script_exception" and body["reason"] == "compile error"
    assert body["lang"] == "painless" and body["script"] == source
    assert body["caused_by"]["type"] == "illegal_argument_exception"
    assert named in body["caused_by"]["reason"]
    assert body["script_stack"][1].endswith("^---- HERE")
    assert set(body["position"]) == {"offset", "start", "end"}
    assert body["root_cause"][0]["type"] == "script_exception"


@pytest.mark.parametrize(("source", "cause", "named"), [
    ("ctx.missing.field", "null_pointer_exception", "cannot access field [field]"),
    ("ctx.missing.size()", "null_pointer_exception", "cannot invoke method [size]"),
    ("ctx.missing[0]", "null_pointer_exception", "cannot access index [0]"),
    ("ctx.list[5]", "index_out_of_bounds_exception", "Index 5 out of bounds for length 2"),
    ("ctx.list.get(-1)", "index_out_of_bounds_exception", "Index -1 out of bounds"),
    ("ctx.s - 1", "class_cast_exception", "Cannot cast [java.lang.String]"),
    ("if (ctx.n) { 1 }", "class_cast_exception", "to [boolean]"),
    ("ctx.n < 'a'", "class_cast_exception", "Cannot cast [java.lang.String]"),
    ("int x = ctx.s", "class_cast_exception", "Cannot cast [java.lang.String] to [int]"),
    ("ctx.n / 0", "arithmetic_exception", "/ by zero"),
    ("Integer.parseInt(ctx.s)", "number_format_exception", 'For input string: "abc"'),
    ("ctx.s.substring(5)", "string_index_out_of_bounds_exception", "begin 5"),
    ("ctx.s.startsWith(1)", "class_cast_exception", "method [startsWith]"),
    ("ctx.n.foo", "illegal_argument_exception", "field [foo] is not supported"),
    ("ctx.list.toLowerCase()", "illegal_argument_exception", "toLowerCase/0] not found"),
    ("nope + 1", "illegal_argument_exception", "cannot resolve symbol [nope]"),
    ("ctx.missing.x = 1", "null_pointer_exception", "cannot assign [x]"),
    ("break", "illegal_argument_exception", "[break] or [continue] outside of a loop"),
])
def test_runtime_errors(source: str, cause: str, named: str) -> None:
    script = compile(source)
    with pytest.raises(ScriptError) as info:
        script.execute({"ctx": {"list": [1, 2], "s": "abc", "n": 3}})
    body = info.value.to_body()["error"]
    assert body["type"] == "script_exception" and body["reason"] == "runtime error"
    assert body["caused_by"]["type"] == cause
    assert named in body["caused_by"]["reason"]
    assert info.value.status == 400


def test_script_stack_points_at_the_failure() -> None:
    with pytest.raises(ScriptError) as info:
        run("return ctx.a.b > 0", ctx={})
    body = info.value.to_body()["error"]
    assert body["position"]["offset"] == len("return ")
    snippet, caret = body["script_stack"]
    assert snippet[caret.index("^"):].startswith("ctx.a.b")


# -- limits -----------------------------------------------------------------------------------

def test_source_size_limit() -> None:
    source = "1;" * (evaluate.MAX_SOURCE_BYTES // 2 + 1)
    with pytest.raises(ScriptError) as info:
        compile(source)
    assert "exceeded max allowed inline script size in bytes [65535]" in \
        info.value.cause_reason


@pytest.mark.parametrize("source", [
    "(" * 5000 + "1" + ")" * 5000,
    "1" + " + 1" * 5000,
    "-" * 5000 + "1",
    "{" * 5000 + "}" * 5000,
    "[" * 5000 + "]" * 5000,
    "if (true) " * 3000 + "1",
    "a" + ".b" * 5000,
])
def test_nesting_limit(source: str) -> None:
    with pytest.raises(ScriptError) as info:
        compile(source)
    assert f"nested too deeply: more than [{parser.MAX_DEPTH}] levels" in info.value.cause_reason


def test_nesting_within_limit_compiles() -> None:
    depth = parser.MAX_DEPTH // 4
    assert run("(" * depth + "1" + ")" * depth) == 1


@pytest.mark.parametrize("source", [
    "while (true) {}",
    "for (;;) { }",
    "int i = 0; while (i >= 0) { i++ }",
    "def l = [1]; for (int i = 0; i < l.size(); i++) { l.add(i) }",
    "for (int i = 0; i < 200; i++) { for (int j = 0; j < 200; j++) { } }",
])
def test_loop_limit(source: str) -> None:
    with pytest.raises(ScriptError) as info:
        run(source)
    assert info.value.cause_type == "painless_error"
    assert "maximum number of statements that can be executed in a loop" in \
        info.value.cause_reason


def test_step_limit() -> None:
    body = " + ".join(["i"] * 30)
    source = f"def s = 0; for (int i = 0; i < 9000; i++) {{ s = {body} }} s"
    with pytest.raises(ScriptError) as info:
        run(source)
    assert f"maximum of [{evaluate.MAX_STEPS}] evaluation steps" in info.value.cause_reason


def test_string_growth_limit() -> None:
    with pytest.raises(ScriptError) as info:
        run("def s = 'xxxxxxxxxx'; for (int i = 0; i < 40; i++) { s += s } s")
    assert "string longer than" in info.value.cause_reason
