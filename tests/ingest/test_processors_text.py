"""The text-parsing and transforming processors through the registry, with the examples of
Elasticsearch's processor pages and its error messages."""

from __future__ import annotations

from typing import Any

import pytest

import loghaven.ingest.processors  # noqa: F401  (fills PROCESSORS)
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import PROCESSORS, ConfigurationError, ProcessorConfig


def run(kind: str, options: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    processor = PROCESSORS[kind](ProcessorConfig(kind, None, dict(options)))
    document = IngestDocument(source)
    assert processor.execute(document) is document
    return document.fields


def failure(kind: str, options: dict[str, Any], source: dict[str, Any]) -> LoghavenError:
    with pytest.raises(LoghavenError) as raised:
        run(kind, options, source)
    return raised.value


def config_error(kind: str, options: dict[str, Any]) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as raised:
        PROCESSORS[kind](ProcessorConfig(kind, "tag1", dict(options)))
    return raised.value


# -- dissect --

def test_dissect_docs_examples():
    line = ('1.2.3.4 - - [30/Apr/1998:22:00:52 +0000] "GET /english/venues/cities/images/'
            'montpellier/18.gif HTTP/1.0" 200 3171')
    doc = run("dissect", {"field": "message", "pattern": '%{clientip} %{ident} %{auth} '
                          '[%{@timestamp}] "%{verb} %{request} HTTP/%{httpversion}" %{status} '
                          '%{size}'}, {"message": line})
    assert {k: v for k, v in doc.items() if k != "message"} == {
        "clientip": "1.2.3.4", "ident": "-", "auth": "-",
        "@timestamp": "30/Apr/1998:22:00:52 +0000", "verb": "GET",
        "request": "/english/venues/cities/images/montpellier/18.gif", "httpversion": "1.0",
        "status": "200", "size": "3171"}


@pytest.mark.parametrize(("pattern", "separator", "text", "expected"), [
    ("%{ts->} %{level}", "", "1998-08-10T17:15:42,466          WARN",
     {"ts": "1998-08-10T17:15:42,466", "level": "WARN"}),
    ("[%{ts}]%{->}[%{level}]", "", "[1998-08-10T17:15:42,466]            [WARN]",
     {"ts": "1998-08-10T17:15:42,466", "level": "WARN"}),
    ("%{+name} %{+name} %{+name} %{+name}", " ", "john jacob jingleheimer schmidt",
     {"name": "john jacob jingleheimer schmidt"}),
    ("%{+name/2} %{+name/4} %{+name/3} %{+name/1}", ",", "john jacob jingleheimer schmidt",
     {"name": "schmidt,john,jingleheimer,jacob"}),
    ("%{clientip} %{?ident} %{?auth} [%{@timestamp}]", "",
     "1.2.3.4 - - [30/Apr/1998:22:00:52 +0000]",
     {"clientip": "1.2.3.4", "@timestamp": "30/Apr/1998:22:00:52 +0000"}),
    ("[%{ts}] [%{level}] %{*p1}:%{&p1} %{*p2}:%{&p2}", "",
     "[2018-08-10T17:15:42,466] [ERR] ip:1.2.3.4 error:REFUSED",
     {"ts": "2018-08-10T17:15:42,466", "level": "ERR", "ip": "1.2.3.4", "error": "REFUSED"}),
    ("%{a},%{b},%{c},%{d}", "", "foo,,,", {"a": "foo", "b": "", "c": "", "d": ""}),
])
def test_dissect_modifiers(pattern, separator, text, expected):
    doc = run("dissect", {"field": "m", "pattern": pattern, "append_separator": separator},
              {"m": text})
    del doc["m"]
    assert doc == expected


def test_dissect_errors():
    error = failure("dissect", {"field": "m", "pattern": "%{a},%{b}:%{c}"}, {"m": "foo,bar,baz"})
    assert error.reason == "Unable to find match for dissect pattern: %{a},%{b}:%{c} against " \
                           "source: foo,bar,baz"
    assert config_error("dissect", {"field": "m", "pattern": "no keys"}).reason == \
        "Unable to parse pattern: no keys Reason: Unable to find any keys or delimiters."
    assert config_error("dissect", {"field": "m", "pattern": "%{*a} %{b}"}).reason == \
        "Unable to parse pattern: %{*a} %{b} Reason: Found invalid key/reference " \
        "associations: 'a' Please ensure each '*<key>' is matched with a matching '&<key>"
    assert config_error("dissect", {"field": "m", "pattern": "%{+?a} %{b}"}).reason == \
        "Unable to parse key: +?a Reason: multiple modifiers are not allowed."
    assert failure("dissect", {"field": "m", "pattern": "%{a}"}, {"m": None}).reason == \
        "field [m] is null, cannot process it."
    assert run("dissect", {"field": "m", "pattern": "%{a}", "ignore_missing": True},
               {"x": 1}) == {"x": 1}


# -- kv --

def test_kv_docs_examples_and_options():
    source = {"message": "ip=1.2.3.4 error=REFUSED"}
    assert run("kv", {"field": "message", "field_split": " ", "value_split": "="},
               dict(source)) == {**source, "ip": "1.2.3.4", "error": "REFUSED"}
    assert run("kv", {"field": "message", "field_split": " ", "value_split": "=",
                      "exclude_keys": ["error"]}, dict(source)) == {**source, "ip": "1.2.3.4"}
    assert run("kv", {"field": "message", "field_split": " ", "value_split": "=",
                      "include_keys": ["error"], "prefix": "arg_",
                      "target_field": "kv"}, dict(source)) == {
        **source, "kv": {"arg_error": "REFUSED"}}
    doc = run("kv", {"field": "m", "field_split": "&", "value_split": "=", "trim_key": " ",
                     "trim_value": " ", "strip_brackets": True},
              {"m": " a =(1)& b=<two>&c= x &a=[3]"})
    assert (doc["a"], doc["b"], doc["c"]) == (["1", "3"], "two", "x")
    regex_split = run("kv", {"field": "m", "field_split": r"\s*;\s*", "value_split": ":"},
                      {"m": "x:1 ;  y:2;z:3"})
    assert (regex_split["x"], regex_split["y"], regex_split["z"]) == ("1", "2", "3")


def test_kv_field_and_target_field_are_templates():
    """As ES's KeyValueProcessor: both are Mustache templates over the document."""
    doc = run("kv", {"field": "{{source}}", "field_split": " ", "value_split": "=",
                     "target_field": "parsed.{{kind}}"},
              {"source": "line", "kind": "fw", "line": "act=drop port=22"})
    assert doc["parsed"] == {"fw": {"act": "drop", "port": "22"}}


def test_kv_errors():
    assert failure("kv", {"field": "m", "field_split": " ", "value_split": "="},
                   {"m": "a=1 b"}).reason == "field [m] does not contain value_split [=]"
    assert failure("kv", {"field": "m", "field_split": " ", "value_split": "="},
                   {}).reason == "field [m] doesn't exist"
    assert failure("kv", {"field": "m", "field_split": " ", "value_split": "="},
                   {"m": None}).reason == "field [m] is null, cannot extract key-value pairs."
    assert config_error("kv", {"field": "m", "value_split": "="}).reason == \
        "[field_split] required property is missing"


# -- csv --

def test_csv_docs_and_rfc4180():
    assert run("csv", {"field": "my_field", "target_fields": ["field1", "field2"]},
               {"my_field": "a,b"}) == {"my_field": "a,b", "field1": "a", "field2": "b"}
    doc = run("csv", {"field": "m", "target_fields": ["a", "b", "c", "d"]},
              {"m": '"quoted, ""with"" comma",,x'})
    assert doc == {"m": doc["m"], "a": 'quoted, "with" comma', "c": "x"}
    doc = run("csv", {"field": "m", "target_fields": ["a", "b", "c"], "empty_value": "n/a",
                      "separator": ";", "quote": "'", "trim": True},
              {"m": "  one ; ; 'two;three' "})
    assert (doc["a"], doc["b"], doc["c"]) == ("one", "n/a", "two;three")
    doc = run("csv", {"field": "m", "target_fields": ["a"]}, {"m": "1,2,3"})
    assert doc["a"] == "1"


def test_csv_errors():
    assert failure("csv", {"field": "m", "target_fields": ["a", "b"]},
                   {"m": '"open,b'}).reason == "Unmatched quote"
    assert failure("csv", {"field": "m", "target_fields": ["a", "b"]},
                   {"m": 'a"b,c'}).reason == "Illegal character inside unquoted field at 1"
    assert failure("csv", {"field": "m", "target_fields": ["a", "b"]},
                   {"m": '"a"b,c'}).reason == "character 'b' after quoted field at 3"
    assert config_error("csv", {"field": "m", "target_fields": []}).reason == \
        "target fields list can't be empty"
    assert config_error("csv", {"field": "m", "target_fields": ["a"], "quote": "ab"}).reason \
        == "quote has to be single character like \" or '"
    assert run("csv", {"field": "m", "target_fields": ["a"], "ignore_missing": True},
               {}) == {}


# -- json --

def test_json_target_field_and_add_to_root():
    assert run("json", {"field": "string_source", "target_field": "json_target"},
               {"string_source": '{"foo": 2000}'})["json_target"] == {"foo": 2000}
    assert run("json", {"field": "v"}, {"v": "[1, \"a\", true]"})["v"] == [1, "a", True]
    doc = run("json", {"field": "s", "add_to_root": True},
              {"s": '{"a": {"x": 1}, "b": 2}', "a": {"y": 0}})
    assert (doc["a"], doc["b"]) == ({"x": 1}, 2)
    doc = run("json", {"field": "s", "add_to_root": True,
                       "add_to_root_conflict_strategy": "merge"},
              {"s": '{"a": {"x": 1}}', "a": {"y": 0}})
    assert doc["a"] == {"y": 0, "x": 1}
    assert run("json", {"field": "s", "allow_duplicate_keys": True},
               {"s": '{"a": 1, "a": 2}'})["s"] == {"a": 2}


def test_json_errors():
    assert failure("json", {"field": "s"}, {"s": '{"a": 1, "a": 2}'}).reason == \
        "Duplicate field 'a'"
    assert failure("json", {"field": "s", "add_to_root": True}, {"s": "[1]"}).reason == \
        "cannot add non-map fields to root of document"
    assert isinstance(failure("json", {"field": "s"}, {"s": "{nope"}), IllegalArgument)
    assert config_error("json", {"field": "s", "add_to_root": True,
                                 "target_field": "t"}).reason == \
        "Cannot set a target field while also setting `add_to_root` to true"
    assert config_error("json", {"field": "s", "add_to_root_conflict_strategy": "merge"}
                        ).reason == "Cannot set `add_to_root_conflict_strategy` if " \
                                    "`add_to_root` is false"
    assert config_error("json", {"field": "s", "add_to_root": True,
                                 "add_to_root_conflict_strategy": "x"}).reason == \
        "conflict strategy [x] not supported, cannot convert field."


# -- string processors --

@pytest.mark.parametrize(("kind", "options", "value", "expected"), [
    ("lowercase", {}, "JOHN", "john"),
    ("uppercase", {}, "john", "JOHN"),
    ("trim", {}, "  \t hello \n", "hello"),
    ("gsub", {"pattern": r"\.", "replacement": "-"}, "127.0.0.1", "127-0-0-1"),
    ("gsub", {"pattern": r"(\w+)@(\w+)", "replacement": "$2 at $1"}, "me@host", "host at me"),
    ("html_strip", {}, "<p><b>test</b></p>", "\ntest\n"),
    ("html_strip", {}, "a &amp; b<br/>c<script>x()</script>", "a & b\nc\n"),
    ("urldecode", {}, "https%3A%2F%2Felastic.co%2F%3Fq%3Da+b", "https://elastic.co/?q=a b"),
    ("urldecode", {}, "caf%C3%A9", "café"),
    ("bytes", {}, "1kb", 1024),
    ("bytes", {}, "1.5mb", 1572864),
    ("bytes", {}, "512b", 512),
])
def test_string_processors(kind, options, value, expected):
    assert run(kind, {"field": "f", **options}, {"f": value})["f"] == expected


def test_string_processors_lists_target_field_and_errors():
    assert run("uppercase", {"field": "f", "target_field": "g"}, {"f": ["a", "b"]}) == \
        {"f": ["a", "b"], "g": ["A", "B"]}
    assert failure("lowercase", {"field": "f"}, {"f": ["a", 1]}).reason == \
        "value [1] of type [java.lang.Integer] in list field [f] cannot be cast to " \
        "[java.lang.String]"
    assert failure("trim", {"field": "f"}, {"f": True}).reason == \
        "field [f] of type [java.lang.Boolean] cannot be cast to [java.lang.String]"
    assert failure("lowercase", {"field": "f"}, {}).reason == \
        "field [f] not present as part of path [f]"
    assert failure("lowercase", {"field": "f"}, {"f": None}).reason == \
        "field [f] is null, cannot process it."
    assert run("lowercase", {"field": "f", "ignore_missing": True}, {"f": None}) == {"f": None}
    error = failure("bytes", {"field": "f"}, {"f": "12 parsecs"})
    assert (error.type, error.reason) == ("parse_exception", "failed to parse setting [f] "
                                          "with value [12 parsecs] as a size in bytes: unit "
                                          "is missing or unrecognized")
    assert failure("urldecode", {"field": "f"}, {"f": "100%"}).reason == \
        "URLDecoder: Incomplete trailing escape (%) pattern"
    gsub = config_error("gsub", {"field": "f", "pattern": "(", "replacement": ""})
    assert gsub.reason.startswith("Invalid regex pattern. ")
    assert gsub.extra["property_name"] == "pattern"
    assert config_error("lowercase", {"field": "f", "bogus": 1}).reason == \
        "processor [lowercase] doesn't support one or more provided configuration " \
        "parameters [bogus]"


# -- split, join, sort --

def test_split_join_sort():
    assert run("split", {"field": "my_field", "separator": r"\s+"},
               {"my_field": "A  B\tC"})["my_field"] == ["A", "B", "C"]
    assert run("split", {"field": "f", "separator": ","}, {"f": "A,,B,,"})["f"] == \
        ["A", "", "B"]
    assert run("split", {"field": "f", "separator": ",", "preserve_trailing": True},
               {"f": "A,,B,,"})["f"] == ["A", "", "B", "", ""]
    assert failure("split", {"field": "f", "separator": ","}, {"f": None}).reason == \
        "field [f] is null, cannot split."
    assert run("join", {"field": "f", "separator": "-"}, {"f": ["a", 1, True, 2.5]})["f"] == \
        "a-1-true-2.5"
    assert failure("join", {"field": "f", "separator": "-"}, {"f": "a"}).reason == \
        "field [f] of type [java.lang.String] cannot be cast to [java.util.List]"
    assert run("sort", {"field": "f", "order": "desc"}, {"f": [2, 10, 1]})["f"] == [10, 2, 1]
    assert run("sort", {"field": "f", "target_field": "g"}, {"f": ["b", "B", "a"]})["g"] == \
        ["B", "a", "b"]
    assert config_error("sort", {"field": "f", "order": "up"}).reason == \
        "Sort direction [up] not recognized. Valid values are: [asc, desc]"
    assert failure("sort", {"field": "f"}, {"f": None}).reason == \
        "field [f] is null, cannot sort."


# -- convert --

@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("integer", "42", 42), ("integer", "0x1F", 31), ("long", "9999999999", 9999999999),
    ("float", "3.14159265358979", 3.1415927), ("double", "1e3", 1000.0),
    ("boolean", "TRUE", True), ("string", 12, "12"), ("string", True, "true"),
    ("ip", "2001:db8::1", "2001:db8::1"),
    ("auto", "true", True), ("auto", "7", 7), ("auto", "9999999999", 9999999999),
    ("auto", "1.5", 1.5), ("auto", "abc", "abc"),
    ("integer", ["1", "2"], [1, 2]),
])
def test_convert(kind, value, expected):
    assert run("convert", {"field": "f", "type": kind}, {"f": value})["f"] == expected


def test_convert_errors():
    assert failure("convert", {"field": "f", "type": "integer"}, {"f": "1.5"}).reason == \
        "unable to convert [1.5] to integer"
    assert failure("convert", {"field": "f", "type": "integer"},
                   {"f": "9999999999"}).reason == "unable to convert [9999999999] to integer"
    assert failure("convert", {"field": "f", "type": "boolean"}, {"f": "yes"}).reason == \
        "[yes] is not a boolean value, cannot convert to boolean"
    assert failure("convert", {"field": "f", "type": "ip"}, {"f": "1.2.3"}).reason == \
        "'1.2.3' is not an IP string literal."
    assert failure("convert", {"field": "f", "type": "float"}, {"f": None}).reason == \
        "Field [f] is null, cannot be converted to type [float]"
    error = config_error("convert", {"field": "f", "type": "date"})
    assert error.reason == "type [date] not supported, cannot convert field."
    assert error.extra == {"processor_tag": "tag1", "processor_type": "convert",
                           "property_name": "type"}
    assert run("convert", {"field": "f", "type": "long", "ignore_missing": True}, {}) == {}


# -- dot_expander --

def test_dot_expander():
    assert run("dot_expander", {"field": "foo.bar"}, {"foo.bar": "value"}) == \
        {"foo": {"bar": "value"}}
    assert run("dot_expander", {"field": "foo.bar"},
               {"foo.bar": "value2", "foo": {"bar": "value1"}}) == \
        {"foo": {"bar": ["value1", "value2"]}}
    assert run("dot_expander", {"field": "foo.bar", "override": True},
               {"foo.bar": "value2", "foo": {"bar": "value1"}}) == {"foo": {"bar": "value2"}}
    assert run("dot_expander", {"field": "*"}, {"a.b": 1, "c.d": 2, "e": 3}) == \
        {"a": {"b": 1}, "c": {"d": 2}, "e": 3}
    assert run("dot_expander", {"field": "a.b", "path": "x"}, {"x": {"a.b": 1}}) == \
        {"x": {"a": {"b": 1}}}
    assert failure("dot_expander", {"field": "foo.bar"}, {"foo.bar": 1, "foo": "v"}).reason == \
        "cannot expand [foo.bar], because [foo] is not an object field, but a value field"
    assert config_error("dot_expander", {"field": "foo"}).reason == \
        "field does not contain a dot and is not a wildcard"
    assert config_error("dot_expander", {"field": "a..b"}).reason == "No space between dots"


# -- uri_parts --

def test_uri_parts_docs_example():
    url = ("http://myusername:mypassword@www.example.com:80/foo.gif?key1=val1&key2=val2"
           "#fragment")
    doc = run("uri_parts", {"field": "input_field", "target_field": "url",
                            "keep_original": True, "remove_if_successful": False},
              {"input_field": url})
    assert doc["url"] == {"path": "/foo.gif", "fragment": "fragment", "extension": "gif",
                          "password": "mypassword", "original": url, "scheme": "http",
                          "port": 80, "user_info": "myusername:mypassword",
                          "domain": "www.example.com", "query": "key1=val1&key2=val2",
                          "username": "myusername"}
    doc = run("uri_parts", {"field": "u", "keep_original": False,
                            "remove_if_successful": True}, {"u": "https://a.b/c%20d"})
    assert doc == {"url": {"domain": "a.b", "path": "/c d", "scheme": "https"}}
    assert run("uri_parts", {"field": "u", "keep_original": False},
               {"u": "mailto:ops@example.com"})["url"] == {"domain": None, "scheme": "mailto"}
    assert run("uri_parts", {"field": "u", "keep_original": False},
               {"u": "/rel/p.html?q=1"})["url"] == {"domain": None, "path": "/rel/p.html",
                                                    "extension": "html", "query": "q=1",
                                                    "scheme": None}
    assert failure("uri_parts", {"field": "u"}, {"u": "no scheme with spaces"}).reason == \
        "unable to parse URI [no scheme with spaces]"


# -- fingerprint --

def test_fingerprint_docs_example_and_methods():
    source = {"user": {"last_name": "Smith", "first_name": "John",
                       "date_of_birth": "1980-01-15", "is_active": True}}
    assert run("fingerprint", {"fields": ["user"]}, dict(source))["fingerprint"] == \
        "WbSUPW4zY1PBPehh2AA/sSxiRjw="
    hashes = {method: run("fingerprint", {"fields": ["user"], "method": method,
                                          "target_field": "h"}, dict(source))["h"]
              for method in ("MD5", "SHA-256", "SHA-512", "MurmurHash3")}
    assert len(set(hashes.values())) == 4
    salted = run("fingerprint", {"fields": ["user"], "salt": "pepper"}, dict(source))
    assert salted["fingerprint"] != "WbSUPW4zY1PBPehh2AA/sSxiRjw="
    assert failure("fingerprint", {"fields": ["user", "nope"]}, dict(source)).reason == \
        "missing field [nope] when calculating fingerprint"
    assert "fingerprint" in run("fingerprint", {"fields": ["user", "nope"],
                                                "ignore_missing": True}, dict(source))
    assert config_error("fingerprint", {"fields": ["a"], "method": "CRC32"}).reason == \
        "[CRC32] must be one of the supported hash methods [MD5,SHA-1,SHA-256,SHA-512," \
        "MurmurHash3]"
    assert config_error("fingerprint", {"fields": []}).reason == \
        "must specify at least one field"
