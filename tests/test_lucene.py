"""Lucene query syntax → query DSL translation (query_string, q=, simple_query_string)."""

from __future__ import annotations

from typing import Any

import pytest

from loghaven.errors import IllegalArgument, ParsingError
from loghaven.search.lucene import query_string_to_dsl, simple_query_string_to_dsl

Q = dict[str, Any]


def qs(query: str, **kwargs: Any) -> Q:
    """query_string with a single concrete default field, so expectations stay short."""
    kwargs.setdefault("default_field", "msg")
    return query_string_to_dsl(query, **kwargs)


def m(text: str, field: str = "msg", **extra: Any) -> Q:
    return {"match": {field: {"query": text, **extra}}}


def mp(text: str, field: str = "msg", **extra: Any) -> Q:
    return {"match_phrase": {field: {"query": text, **extra}}}


def mm(text: str, fields: list[str], type: str = "best_fields", **extra: Any) -> Q:
    return {"multi_match": {"query": text, "fields": fields, "type": type, **extra}}


def bool_(**occurs: list[Q]) -> Q:
    return {"bool": occurs}


# --------------------------------------------------------------------------------------------
# query_string: terms, fields, phrases


def test_empty_query_is_match_all() -> None:
    assert qs("") == {"match_all": {}}
    assert qs("   \t\n") == {"match_all": {}}


def test_bare_term_on_default_field() -> None:
    assert qs("error") == m("error")


def test_field_value() -> None:
    assert qs("status:200") == m("200", "status")
    assert qs("host.name:web-01") == m("web-01", "host.name")


def test_terms_with_inner_plus_minus_and_symbols_stay_one_term() -> None:
    assert qs("foo-bar") == m("foo-bar")
    assert qs("a+b") == m("a+b")
    assert qs("ip:10.0.0.1") == m("10.0.0.1", "ip")
    assert qs("user:jo&&hn") == m("jo&&hn", "user")
    assert qs("ANDroid") == m("ANDroid")


def test_run_of_bare_terms_is_one_text_like_elasticsearch() -> None:
    # Whitespace is not an operator: "new york city" reaches the analyser as one text.
    assert qs("new york city") == m("new york city")
    assert qs("new york city", default_operator="AND") == m("new york city", operator="and")
    assert qs("city:(new york)") == m("new york", "city")


def test_run_breaks_before_operators_fields_boosts_and_fuzzy() -> None:
    assert qs("a b:c") == bool_(should=[m("a"), m("c", "b")])
    assert qs("a b^2") == bool_(should=[m("a"), m("b", boost=2.0)])
    assert qs("a b c~") == bool_(
        should=[m("a b"), {"fuzzy": {"msg": {"value": "c", "fuzziness": "AUTO"}}}]
    )
    assert qs("a b AND c") == bool_(should=[m("a")], must=[m("b"), m("c")])
    assert qs("a b*") == bool_(should=[m("a"), {"prefix": {"msg": {"value": "b"}}}])


def test_quoted_phrase() -> None:
    assert qs('"quick brown fox"') == mp("quick brown fox")
    assert qs('title:"quick brown"') == mp("quick brown", "title")


def test_phrase_slop() -> None:
    assert qs('"a b"~2') == mp("a b", slop=2)
    assert qs('"a b"~') == mp("a b")
    assert qs('"a b"', phrase_slop=3) == mp("a b", slop=3)
    assert qs('"a b"~', phrase_slop=3) == mp("a b", slop=3)
    assert qs('"a b"~0', phrase_slop=3) == mp("a b")
    assert qs('"a b"~2.7') == mp("a b", slop=2)


def test_phrase_escapes() -> None:
    assert qs(r'"say \"hi\" now"') == mp('say "hi" now')
    assert qs(r'"back\\slash"') == mp("back\\slash")


def test_escaped_reserved_characters() -> None:
    assert qs(r"a\:b") == m("a:b")
    assert qs(r"\(x\)") == m("(x)")
    assert qs(r"\-minus") == m("-minus")
    assert qs(r"\+plus") == m("+plus")
    assert qs(r"path:\/var\/log") == m("/var/log", "path")
    assert qs(r"a\ b") == m("a b")
    assert qs(r"x\~1") == m("x~1")
    assert qs(r"x\^2") == m("x^2")
    assert qs(r"1\>2") == m("1>2")
    assert qs(r"\!x") == m("!x")
    assert qs(r"\[x\]") == m("[x]")
    assert qs(r"\{x\}") == m("{x}")
    assert qs(r"\*") == m("*")
    assert qs(r"\?") == m("?")
    assert qs(r"a\\b") == m("a\\b")
    assert qs(r"\u0041BC") == m("ABC")


def test_escaped_field_name() -> None:
    assert qs(r"first\ name:bob") == m("bob", "first name")


def test_boost_on_term_phrase_and_group() -> None:
    assert qs("error^2") == m("error", boost=2.0)
    assert qs("error^0.5") == m("error", boost=0.5)
    assert qs('"a b"^3') == mp("a b", boost=3.0)
    assert qs('"a b"~2^3') == mp("a b", slop=2, boost=3.0)
    assert qs('"a b"^3~2') == mp("a b", slop=2, boost=3.0)
    assert qs("(a OR b)^2") == {"bool": {"should": [m("a"), m("b")], "boost": 2.0}}
    assert qs("title:(quick brown)^2") == m("quick brown", "title", boost=2.0)


def test_dsl_keys_are_plain_json() -> None:
    result = qs('a AND "b c"~1 AND d:[1 TO 2]^2')
    assert result == bool_(
        must=[m("a"), mp("b c", slop=1), {"range": {"d": {"gte": "1", "lte": "2", "boost": 2.0}}}]
    )


# --------------------------------------------------------------------------------------------
# query_string: boolean logic (Lucene classic semantics)


def test_or_and_default_or() -> None:
    assert qs("a OR b") == bool_(should=[m("a"), m("b")])
    assert qs("a || b") == bool_(should=[m("a"), m("b")])


def test_and() -> None:
    assert qs("a AND b") == bool_(must=[m("a"), m("b")])
    assert qs("a && b") == bool_(must=[m("a"), m("b")])


def test_lowercase_operators_are_terms() -> None:
    assert qs("a and b") == m("a and b")
    assert qs("a or b") == m("a or b")


def test_not_forms() -> None:
    assert qs("NOT a") == bool_(must_not=[m("a")])
    assert qs("!a") == bool_(must_not=[m("a")])
    assert qs("-a") == bool_(must_not=[m("a")])
    assert qs("a NOT b") == bool_(should=[m("a")], must_not=[m("b")])
    assert qs("a AND NOT b") == bool_(must=[m("a")], must_not=[m("b")])
    assert qs("a !b") == bool_(should=[m("a")], must_not=[m("b")])
    assert qs("a OR NOT b") == bool_(should=[m("a")], must_not=[m("b")])


def test_plus_minus_under_or() -> None:
    assert qs("+a") == m("a")
    assert qs("+a b") == bool_(must=[m("a")], should=[m("b")])
    assert qs("+a -b c") == bool_(must=[m("a")], must_not=[m("b")], should=[m("c")])
    assert qs("a -b") == bool_(should=[m("a")], must_not=[m("b")])


def ma(text: str, field: str = "msg") -> Q:
    """A match as emitted under default_operator AND."""
    return m(text, field, operator="and")


def test_plus_minus_under_and() -> None:
    assert qs("+a b", default_operator="AND") == bool_(must=[ma("a"), ma("b")])
    assert qs("a -b", default_operator="AND") == bool_(must=[ma("a")], must_not=[ma("b")])
    assert qs("a AND b", default_operator="and") == bool_(must=[ma("a"), ma("b")])
    assert qs("x:1 a b", default_operator="AND") == bool_(must=[ma("1", "x"), ma("a b")])


def test_classic_has_no_precedence() -> None:
    # Lucene's well-known behaviour: "a AND b OR c" is "+a +b c".
    assert qs("a AND b OR c") == bool_(must=[m("a"), m("b")], should=[m("c")])
    assert qs("a OR b AND c") == bool_(should=[m("a")], must=[m("b"), m("c")])


def test_or_under_and_operator_makes_previous_optional() -> None:
    assert qs("a OR b", default_operator="AND") == bool_(should=[ma("a"), ma("b")])
    assert qs("a AND b OR c", default_operator="AND") == bool_(
        must=[ma("a")], should=[ma("b"), ma("c")]
    )
    # "-a OR b" keeps the prohibition; "+a OR b" becomes "a OR b".
    assert qs("-a OR b", default_operator="AND") == bool_(must_not=[ma("a")], should=[ma("b")])
    assert qs("+a OR b", default_operator="AND") == bool_(should=[ma("a"), ma("b")])


def test_and_does_not_unprohibit() -> None:
    assert qs("-a AND b") == bool_(must_not=[m("a")], must=[m("b")])


def test_grouping() -> None:
    assert qs("(a OR b) AND c") == bool_(must=[bool_(should=[m("a"), m("b")]), m("c")])
    assert qs("a AND (b OR -c)") == bool_(must=[m("a"), bool_(should=[m("b")], must_not=[m("c")])])
    assert qs("((a))") == m("a")
    assert qs("-(a OR b)") == bool_(must_not=[bool_(should=[m("a"), m("b")])])


def test_field_group() -> None:
    assert qs("status:(200 OR 404)") == bool_(should=[m("200", "status"), m("404", "status")])
    assert qs("title:(quick AND body:fox)") == bool_(must=[m("quick", "title"), m("fox", "body")])
    assert qs("title:(+a -b)") == bool_(must=[m("a", "title")], must_not=[m("b", "title")])


def test_and_operator_adds_operator_to_match() -> None:
    assert qs("error", default_operator="AND") == m("error", operator="and")
    assert qs('"a b"', default_operator="AND") == mp("a b")


def test_bare_operators_are_dropped() -> None:
    # "a - b": a lone "-" followed by whitespace is a term that analyses to nothing.
    assert qs("a - b") == bool_(should=[m("a"), m("b")])
    assert qs("a + b", default_operator="AND") == bool_(must=[ma("a"), ma("b")])


def test_everything_dropped_is_match_none() -> None:
    assert qs("+ ") == {"match_none": {}}


def test_bad_default_operator() -> None:
    with pytest.raises(IllegalArgument):
        qs("a", default_operator="XOR")


# --------------------------------------------------------------------------------------------
# query_string: wildcards, regex, fuzzy, exists


def test_prefix() -> None:
    assert qs("err*") == {"prefix": {"msg": {"value": "err"}}}
    assert qs("host:web*") == {"prefix": {"host": {"value": "web"}}}
    assert qs(r"path:\/api\/v1*") == {"prefix": {"path": {"value": "/api/v1"}}}
    assert qs(r"a\**") == {"prefix": {"msg": {"value": "a*"}}}


def test_wildcard() -> None:
    assert qs("qu?ck") == {"wildcard": {"msg": {"value": "qu?ck"}}}
    assert qs("host:web-*-prod") == {"wildcard": {"host": {"value": "web-*-prod"}}}
    assert qs("a**") == {"wildcard": {"msg": {"value": "a**"}}}
    assert qs("*ing") == {"wildcard": {"msg": {"value": "*ing"}}}
    assert qs("?x") == {"wildcard": {"msg": {"value": "?x"}}}
    # Escapes inside a wildcard pattern are kept: the wildcard DSL understands them.
    assert qs(r"f\*o?") == {"wildcard": {"msg": {"value": r"f\*o?"}}}


def test_wildcard_wins_over_fuzzy_and_takes_boost() -> None:
    assert qs("a*~2") == {"prefix": {"msg": {"value": "a"}}}
    assert qs("a?c^2") == {"wildcard": {"msg": {"value": "a?c", "boost": 2.0}}}


def test_leading_wildcard_can_be_forbidden() -> None:
    with pytest.raises(ParsingError):
        qs("*ing", allow_leading_wildcard=False)
    with pytest.raises(ParsingError):
        qs("?ing", allow_leading_wildcard=False)
    assert qs("status:*", allow_leading_wildcard=False) == {"exists": {"field": "status"}}
    assert qs("in*", allow_leading_wildcard=False) == {"prefix": {"msg": {"value": "in"}}}


def test_field_star_is_exists() -> None:
    assert qs("status:*") == {"exists": {"field": "status"}}
    assert qs("*") == {"exists": {"field": "msg"}}
    assert qs("-user:*") == bool_(must_not=[{"exists": {"field": "user"}}])


def test_star_on_all_fields_is_match_all() -> None:
    assert query_string_to_dsl("*") == {"match_all": {}}
    assert qs("*:*") == {"match_all": {}}
    assert query_string_to_dsl("*", fields=["*"]) == {"match_all": {}}


def test_exists_field() -> None:
    assert qs("_exists_:host") == {"exists": {"field": "host"}}
    assert qs("_exists_:host.name") == {"exists": {"field": "host.name"}}
    assert qs('_exists_:"host"') == {"exists": {"field": "host"}}
    assert qs("NOT _exists_:host") == bool_(must_not=[{"exists": {"field": "host"}}])
    assert qs("_exists_:(a b)") == bool_(
        should=[{"exists": {"field": "a"}}, {"exists": {"field": "b"}}]
    )
    assert qs(r"_exists_:http\*") == {"exists": {"field": "http*"}}


def test_regexp() -> None:
    assert qs("/joh?n(ath[oa]n)/") == {"regexp": {"msg": {"value": "joh?n(ath[oa]n)"}}}
    assert qs("name:/j.*n/") == {"regexp": {"name": {"value": "j.*n"}}}
    assert qs(r"path:/\/var\/.*/") == {"regexp": {"path": {"value": r"\/var\/.*"}}}
    assert qs("name:/a b/^2") == {"regexp": {"name": {"value": "a b", "boost": 2.0}}}
    assert qs("//") == {"regexp": {"msg": {"value": ""}}}


def test_fuzzy() -> None:
    assert qs("quikc~") == {"fuzzy": {"msg": {"value": "quikc", "fuzziness": "AUTO"}}}
    assert qs("quikc~1") == {"fuzzy": {"msg": {"value": "quikc", "fuzziness": 1}}}
    assert qs("quikc~0") == {"fuzzy": {"msg": {"value": "quikc", "fuzziness": 0}}}
    assert qs("quikc~2.0") == {"fuzzy": {"msg": {"value": "quikc", "fuzziness": 2}}}
    assert qs("user:jon~AUTO") == {"fuzzy": {"user": {"value": "jon", "fuzziness": "AUTO"}}}
    assert qs("quikc~", fuzziness=1) == {"fuzzy": {"msg": {"value": "quikc", "fuzziness": 1}}}


def test_fuzzy_with_boost_either_order() -> None:
    expected = {"fuzzy": {"msg": {"value": "abc", "fuzziness": 1, "boost": 2.0}}}
    assert qs("abc~1^2") == expected
    assert qs("abc^2~1") == expected


@pytest.mark.parametrize("query", ["abc~3", "abc~0.5", "abc~x"])
def test_bad_fuzziness_is_a_parse_error(query: str) -> None:
    with pytest.raises(ParsingError):
        qs(query)


def test_bad_fuzziness_parameter() -> None:
    with pytest.raises(IllegalArgument):
        qs("a", fuzziness="lots")


# --------------------------------------------------------------------------------------------
# query_string: ranges


def test_inclusive_exclusive_and_mixed_ranges() -> None:
    assert qs("age:[10 TO 20]") == {"range": {"age": {"gte": "10", "lte": "20"}}}
    assert qs("age:{10 TO 20}") == {"range": {"age": {"gt": "10", "lt": "20"}}}
    assert qs("age:[10 TO 20}") == {"range": {"age": {"gte": "10", "lt": "20"}}}
    assert qs("age:{10 TO 20]") == {"range": {"age": {"gt": "10", "lte": "20"}}}


def test_open_ended_ranges() -> None:
    assert qs("age:[10 TO *]") == {"range": {"age": {"gte": "10"}}}
    assert qs("date:{* TO 2012-01-01}") == {"range": {"date": {"lt": "2012-01-01"}}}
    assert qs("age:[* TO *]") == {"exists": {"field": "age"}}


def test_range_values() -> None:
    assert qs("@timestamp:[now-1d/d TO now]") == {
        "range": {"@timestamp": {"gte": "now-1d/d", "lte": "now"}}
    }
    assert qs('t:["2024-01-01 10:00" TO "2024-01-02"]') == {
        "range": {"t": {"gte": "2024-01-01 10:00", "lte": "2024-01-02"}}
    }
    assert qs("ip:[10.0.0.0 TO 10.255.255.255]") == {
        "range": {"ip": {"gte": "10.0.0.0", "lte": "10.255.255.255"}}
    }
    assert qs("t:[2024-01-01T00:00:00 TO *]") == {"range": {"t": {"gte": "2024-01-01T00:00:00"}}}
    assert qs("name:[a TO TO]") == {"range": {"name": {"gte": "a", "lte": "TO"}}}
    assert qs("name:[TOP TO z]") == {"range": {"name": {"gte": "TOP", "lte": "z"}}}
    assert qs("[1 TO 5]") == {"range": {"msg": {"gte": "1", "lte": "5"}}}


def test_comparison_ranges() -> None:
    assert qs("age:>10") == {"range": {"age": {"gt": "10"}}}
    assert qs("age:>=10") == {"range": {"age": {"gte": "10"}}}
    assert qs("age:<10") == {"range": {"age": {"lt": "10"}}}
    assert qs("age:<=10") == {"range": {"age": {"lte": "10"}}}
    assert qs("date:>now-1h") == {"range": {"date": {"gt": "now-1h"}}}
    assert qs("age:(>=10 AND <20)") == bool_(
        must=[{"range": {"age": {"gte": "10"}}}, {"range": {"age": {"lt": "20"}}}]
    )
    assert qs("age:(>=10 <20)") == bool_(
        should=[{"range": {"age": {"gte": "10"}}}, {"range": {"age": {"lt": "20"}}}]
    )
    assert qs("age:>10^2") == {"range": {"age": {"gt": "10", "boost": 2.0}}}
    assert qs(">5") == {"range": {"msg": {"gt": "5"}}}


def test_comparison_needs_a_single_field_like_elasticsearch() -> None:
    # With a fields list, ES does not detect ">": the text is searched as is.
    assert query_string_to_dsl(">5", fields=["a", "b"]) == mm(">5", ["a", "b"])


# --------------------------------------------------------------------------------------------
# query_string: default field "*", field lists, patterns


def test_default_field_star_uses_multi_match() -> None:
    assert query_string_to_dsl("error") == mm("error", ["*"])
    assert query_string_to_dsl('"disk full"') == mm("disk full", ["*"], "phrase")
    assert query_string_to_dsl('"disk full"~2') == mm("disk full", ["*"], "phrase", slop=2)
    assert query_string_to_dsl("error", default_operator="AND") == mm(
        "error", ["*"], operator="and"
    )


def test_default_field_star_other_clauses_use_the_pattern() -> None:
    assert query_string_to_dsl("err*") == {"prefix": {"*": {"value": "err"}}}
    assert query_string_to_dsl("e?r") == {"wildcard": {"*": {"value": "e?r"}}}
    assert query_string_to_dsl("[1 TO 2]") == {"range": {"*": {"gte": "1", "lte": "2"}}}
    assert query_string_to_dsl("status:500 error") == bool_(
        should=[m("500", "status"), mm("error", ["*"])]
    )


def test_fields_list() -> None:
    fields = ["title^2", "body"]
    assert query_string_to_dsl("fox", fields=fields) == mm("fox", fields)
    assert query_string_to_dsl('"a b"', fields=fields) == mm("a b", fields, "phrase")
    assert query_string_to_dsl("fo?", fields=fields) == bool_(
        should=[
            {"wildcard": {"title": {"value": "fo?", "boost": 2.0}}},
            {"wildcard": {"body": {"value": "fo?"}}},
        ]
    )
    assert query_string_to_dsl("fox~1", fields=fields) == bool_(
        should=[
            {"fuzzy": {"title": {"value": "fox", "fuzziness": 1, "boost": 2.0}}},
            {"fuzzy": {"body": {"value": "fox", "fuzziness": 1}}},
        ]
    )
    assert query_string_to_dsl("*", fields=fields) == bool_(
        should=[{"exists": {"field": "title", "boost": 2.0}}, {"exists": {"field": "body"}}]
    )
    # An explicit field overrides the list.
    assert query_string_to_dsl("user:bob", fields=fields) == m("bob", "user")


def test_fields_win_over_default_field() -> None:
    assert query_string_to_dsl("x", default_field="msg", fields=["a"]) == m("x", "a")


def test_single_field_with_boost_in_fields() -> None:
    assert query_string_to_dsl("x", fields=["title^3"]) == m("x", "title", boost=3.0)


def test_default_field_list() -> None:
    assert query_string_to_dsl("x", default_field=["a", "b"]) == mm("x", ["a", "b"])
    assert query_string_to_dsl("x", default_field=["a"]) == m("x", "a")


def test_default_field_pattern() -> None:
    assert query_string_to_dsl("x", default_field="log.*") == mm("x", ["log.*"])
    assert query_string_to_dsl("*", default_field="log.*") == {"exists": {"field": "log.*"}}


def test_wildcard_field_names() -> None:
    assert qs("http*.uri:x") == mm("x", ["http*.uri"])
    assert qs(r"city.\*:(this OR that)") == bool_(
        should=[mm("this", ["city.*"]), mm("that", ["city.*"])]
    )
    assert qs('http*.uri:"/a b"') == mm("/a b", ["http*.uri"], "phrase")
    assert qs("*:x") == mm("x", ["*"])
    assert qs("http*:/ab+/") == {"regexp": {"http*": {"value": "ab+"}}}


def test_lenient_flag_reaches_match() -> None:
    assert qs("x", lenient=True) == m("x", lenient=True)
    assert query_string_to_dsl("x", lenient=True) == mm("x", ["*"], lenient=True)


# --------------------------------------------------------------------------------------------
# query_string: errors


@pytest.mark.parametrize(
    "query",
    [
        "foo:(bar",
        "foo)",
        "(",
        "()",
        "a AND",
        "AND a",
        "a OR OR b",
        '"unterminated',
        "a:b:c",
        "age:[1 TO",
        "age:[1 2]",
        "age:[1 TO 2",
        "x^",
        "x^a",
        "x^ 2",
        "/unterminated",
        "a/b",
        "foo\\",
        "--a",
        "NOT NOT a",
        "a]",
        "a}",
        "title:",
        ":x",
        "x~1~2",
        r"\u00zz",
    ],
)
def test_syntax_errors_raise_parsing_error(query: str) -> None:
    with pytest.raises(ParsingError) as info:
        qs(query)
    err = info.value
    assert err.status == 400
    assert err.reason == f"Failed to parse query [{query}]"
    assert err.type == "query_shard_exception"
    body = err.to_body()
    assert body["error"]["caused_by"]["type"] == "parse_exception"
    assert body["error"]["caused_by"]["reason"].startswith(f"Cannot parse '{query}': ")


def test_error_reason_points_at_the_token() -> None:
    with pytest.raises(ParsingError) as info:
        qs("a AND")
    assert "column 6" in info.value.extra["caused_by"]["reason"]
    assert "<EOF>" in info.value.extra["caused_by"]["reason"]


def test_lenient_does_not_cover_syntax_errors() -> None:
    # ES's QueryStringQueryBuilder: a ParseException is a QueryShardException, lenient or not
    for text in ("foo:(bar", "a/b c"):
        with pytest.raises(ParsingError) as info:
            query_string_to_dsl(text, lenient=True)
        assert info.value.reason == f"Failed to parse query [{text}]"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    depth = 5000
    with pytest.raises(ParsingError):
        qs("(" * depth + "a" + ")" * depth)
    assert qs("(" * 50 + "a" + ")" * 50) == m("a")


# --------------------------------------------------------------------------------------------
# simple_query_string


def sq(query: str, **kwargs: Any) -> Q:
    kwargs.setdefault("fields", ["msg"])
    return simple_query_string_to_dsl(query, **kwargs)


def test_simple_terms_and_default_operator() -> None:
    assert sq("error") == m("error")
    assert sq("a b") == bool_(should=[m("a"), m("b")])
    assert sq("a b", default_operator="AND") == bool_(
        must=[m("a", operator="and"), m("b", operator="and")]
    )


def test_simple_and_or() -> None:
    assert sq("a + b") == bool_(must=[m("a"), m("b")])
    assert sq("a+b") == bool_(must=[m("a"), m("b")])
    assert sq("a | b") == bool_(should=[m("a"), m("b")])
    assert sq("a | b | c") == bool_(should=[m("a"), m("b"), m("c")])


def test_simple_operator_change_nests_left_to_right() -> None:
    assert sq("a | b + c") == bool_(must=[bool_(should=[m("a"), m("b")]), m("c")])
    assert sq("a + b | c") == bool_(should=[bool_(must=[m("a"), m("b")]), m("c")])


def test_simple_not_combines_with_default_operator() -> None:
    not_b = bool_(must_not=[m("b")])
    assert sq("a -b") == bool_(should=[m("a"), not_b])
    assert sq("a -b", default_operator="AND") == bool_(must=[m("a", operator="and"), not_b_and()])
    assert sq("a +-b") == bool_(must=[m("a"), not_b])
    assert sq("-b") == not_b
    assert sq("--b") == m("b")
    assert sq("- b") == m("b")


def not_b_and() -> Q:
    return bool_(must_not=[m("b", operator="and")])


def test_simple_phrase_and_slop() -> None:
    assert sq('"a b"') == mp("a b")
    assert sq('"a b"~2') == mp("a b", slop=2)
    assert sq('"a b"~') == mp("a b")
    assert sq('"a b"~2 c') == bool_(should=[mp("a b", slop=2), m("c")])
    assert sq(r'"a \"b\""') == mp('a "b"')


def test_simple_prefix() -> None:
    assert sq("err*") == {"prefix": {"msg": {"value": "err"}}}
    assert sq(r"err\*") == m("err*")
    assert sq("a*b") == m("a*b")
    assert sq("*") == m("*")


def test_simple_fuzzy() -> None:
    assert sq("quikc~") == {"fuzzy": {"msg": {"value": "quikc", "fuzziness": 2}}}
    assert sq("quikc~1") == {"fuzzy": {"msg": {"value": "quikc", "fuzziness": 1}}}
    assert sq("quikc~9") == {"fuzzy": {"msg": {"value": "quikc", "fuzziness": 2}}}
    assert sq("quikc~0") == m("quikc")
    assert sq("quikc~x") == m("quikc")


def test_simple_precedence() -> None:
    assert sq("(a | b) + c") == bool_(must=[bool_(should=[m("a"), m("b")]), m("c")])
    assert sq("-(a b)") == bool_(must_not=[bool_(should=[m("a"), m("b")])])
    assert sq("((a))") == m("a")


def test_simple_escape() -> None:
    assert sq(r"a\+b") == m("a+b")
    assert sq(r"a\|b") == m("a|b")
    assert sq(r"\-a") == m("-a")
    assert sq(r"a\ b") == m("a b")


def test_simple_never_raises_on_bad_syntax() -> None:
    assert sq("(a b") == bool_(should=[m("a"), m("b")])
    assert sq('"a b') == bool_(should=[m("a"), m("b")])
    assert sq("a)") == m("a")
    assert sq("()") == {"match_none": {}}
    assert sq('""') == {"match_none": {}}
    assert sq("+|-") == {"match_none": {}}
    assert sq("a +") == m("a")
    assert sq("AND OR NOT") == bool_(should=[m("AND"), m("OR"), m("NOT")])
    for query in ["a:b:c", "[1 TO", "/x", "x^", "~", "\\", '"', "((((", "))))"]:
        assert isinstance(sq(query), dict)
    assert isinstance(sq("(" * 5000 + "a" + ")" * 5000), dict)
    assert isinstance(sq("a|b+" * 3000 + "c"), dict)


def test_simple_empty_is_match_none() -> None:
    assert sq("") == {"match_none": {}}
    assert sq("   ") == {"match_none": {}}


def test_simple_fields() -> None:
    assert simple_query_string_to_dsl("x") == mm("x", ["*"])
    fields = ["title^5", "body"]
    assert simple_query_string_to_dsl("x", fields=fields) == mm("x", fields)
    assert simple_query_string_to_dsl('"a b"~1', fields=fields) == mm(
        "a b", fields, "phrase", slop=1
    )
    assert simple_query_string_to_dsl("ab*", fields=fields) == bool_(
        should=[
            {"prefix": {"title": {"value": "ab", "boost": 5.0}}},
            {"prefix": {"body": {"value": "ab"}}},
        ]
    )


def test_simple_flags() -> None:
    assert sq("a b", flags="NONE") == m("a b")
    assert sq("a | b", flags="NONE") == m("a | b")
    assert sq("a | b", flags="OR|WHITESPACE") == bool_(should=[m("a"), m("b")])
    assert sq("a -b", flags="OR|AND|WHITESPACE") == bool_(should=[m("a"), m("-b")])
    assert sq("ab*", flags="WHITESPACE") == m("ab*")
    assert sq("ab~1", flags="WHITESPACE") == m("ab~1")
    assert sq('"a b"', flags="WHITESPACE") == bool_(should=[m('"a'), m('b"')])
    assert sq('"a b"~2', flags="PHRASE|SLOP|WHITESPACE") == mp("a b", slop=2)
    assert sq('"a b"~2', flags="phrase|near|whitespace") == mp("a b", slop=2)
    assert sq("(a | b)", flags="OR|WHITESPACE") == bool_(should=[m("(a"), m("b)")])
    assert sq(r"a\ b", flags="WHITESPACE") == bool_(should=[m("a\\"), m("b")])
    assert sq("a b", flags=0) == m("a b")
    assert sq("a b", flags=-1) == bool_(should=[m("a"), m("b")])
    assert sq("a b", flags="") == bool_(should=[m("a"), m("b")])


def test_simple_unknown_flag() -> None:
    with pytest.raises(IllegalArgument):
        sq("a", flags="OR|BOGUS")


def test_simple_flags_exact_tokens() -> None:
    # Without WHITESPACE, whitespace is part of the token.
    assert sq("a|b c", flags="OR") == bool_(should=[m("a"), m("b c")])
    # Without NEAR, "~2" after a phrase is an ordinary token.
    assert sq('"a b"~2', flags="PHRASE|WHITESPACE") == bool_(should=[mp("a b"), m("~2")])
