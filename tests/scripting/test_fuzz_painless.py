"""Random input never escapes as anything but ScriptError, and always ends (the step, loop and
nesting budgets bound it)."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from loghaven.scripting import ScriptError, compile

EXAMPLES = int(os.environ.get("LOGHAVEN_FUZZ_EXAMPLES", "300"))
#: The same examples every run; ``LOGHAVEN_FUZZ_RANDOM=1`` explores new ones.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=not os.environ.get("LOGHAVEN_FUZZ_RANDOM"))

TOKENS = [
    "ctx", "params", ".", "?.", "[", "]", "(", ")", "{", "}", ";", ",", ":", "?", "?:", "=",
    "+=", "-=", "++", "--", "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&",
    "||", "!", "0", "1", "-1", "2L", "1.5", "0.0", "'a'", '"b"', "true", "false", "null",
    "def", "int", "String", "double", "boolean", "x", "y", "return", "if", "else", "for",
    "while", "break", "continue", "size", "length", "get", "contains", "containsKey",
    "substring", "toLowerCase", "Math", "max", "pow", "round", "Integer", "parseInt",
    "String.valueOf", "results", "hits", "total", "value", "new", "->", "instanceof",
]


def _variables() -> dict[str, Any]:
    return {
        "ctx": {"results": [{"hits": {"total": {"value": 3}, "hits": [{"_source": {}}]}}],
                "a": "abc", "list": [1, 2.5, "z", None], "map": {"k": [1]}, "n": 7},
        "params": {"threshold": 2, "_count": 5, "s": "1"},
    }


def _check(source: str) -> None:
    try:
        script = compile(source)
    except ScriptError as e:
        assert e.to_body()["error"]["caused_by"]["reason"]
        return
    try:
        script.execute(_variables())
    except ScriptError as e:
        assert e.to_body()["error"]["reason"] == "runtime error"


@FUZZ
@given(st.text(max_size=200))
@example("for(;;){}")
@example("'\\")
@example("x ? .5 : 1")
@example("\u00b2")
@example("[[1]: 2]")
@example("def m = [:]; m[[1]] = 1")
@example("def l = []; for (int i = 0; i < 5000; i++) { l = [l] } l == l")
def test_random_text(source: str) -> None:
    _check(source)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
@example(["while", "(", "true", ")", "{", "}"])
@example(["ctx", ".", "list", "[", "-1", "]"])
def test_random_token_sequences(tokens: list[str]) -> None:
    _check(" ".join(tokens))


@FUZZ
@given(st.recursive(
    st.sampled_from(["ctx.n", "ctx.map == null", "ctx.a", "ctx.list", "ctx.map", "params._count", "1", "2.5",
                     "'s'", "null", "true", "[1, 2]", "['k': 1]", "params.missing"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "==", "<", "&&", "||",
                                          "?:"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from([".size()", ".length", ".get(0)", "[0]", ".k",
                                          "?.k", ".contains(1)", ".toLowerCase()"]))
        .map(lambda t: t[0] + t[1]),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        inner.map(lambda e: f"Math.max({e}, 1)"),
        inner.map(lambda e: f"!{e}"),
    ),
    max_leaves=12,
))
def test_random_well_formed_expressions(source: str) -> None:
    _check(source)
