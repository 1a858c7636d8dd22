"""IngestDocument's field paths and ProcessorConfig's readers, with ES's messages."""

from __future__ import annotations

import pytest

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import ConfigurationError, ProcessorConfig


def doc() -> IngestDocument:
    return IngestDocument({"a": {"b": [1, {"c": "x"}]}, "s": "text"},
                          {"_index": "logs", "_id": "1"}, {"timestamp": "2026-12-04T00:00:00Z"})


def test_paths_walk_objects_lists_source_and_ingest():
    d = doc()
    assert d.get("a.b.1.c") == "x"
    assert d.get("_source.s") == "text"
    assert d.get("_ingest.timestamp") == "2026-12-04T00:00:00Z"
    assert d.get("_index") == "logs"
    assert d.get("a.missing", ignore_missing=True) is None
    # ES's getFieldValue with ignoreMissing: any path that does not resolve is null
    assert d.get("a.b.9.c", ignore_missing=True) is None
    assert d.get("s.deeper", ignore_missing=True) is None
    assert d.has("a.b.0") and not d.has("a.b.5")


@pytest.mark.parametrize(("path", "message"), [
    ("a.zz", "field [zz] not present as part of path [a.zz]"),
    ("a.b.7", "[7] is out of bounds for array with length [2] as part of path [a.b.7]"),
    ("a.b.x", "[x] is not an integer, cannot be used as an index as part of path [a.b.x]"),
    ("s.t", "cannot resolve [t] from object of type [java.lang.String] as part of path [s.t]"),
])
def test_missing_paths_fail_with_es_messages(path, message):
    with pytest.raises(IllegalArgument) as raised:
        doc().get(path)
    assert raised.value.reason == message


def test_set_creates_objects_and_copies_values_and_remove_removes():
    d = doc()
    value = {"deep": [1]}
    d.set("new.inner", value)
    value["deep"].append(2)
    assert d.get("new.inner") == {"deep": [1]}
    d.set("a.b.0", 5)
    assert d.get("a.b") == [5, {"c": "x"}]
    with pytest.raises(IllegalArgument, match=r"cannot set \[t\] with parent object of type "
                                              r"\[java.lang.String\]"):
        d.set("s.t", 1)
    d.remove("a.b.1.c")
    assert d.get("a.b.1") == {}
    with pytest.raises(IllegalArgument, match=r"field \[c\] not present as part of path"):
        d.remove("a.b.1.c")
    assert d.source() == {"a": {"b": [5, {}]}, "s": "text", "new": {"inner": {"deep": [1]}}}
    assert d.metadata() == {"_index": "logs", "_id": "1"}


def test_append_turns_a_value_into_a_list():
    d = doc()
    d.append("s", "more")
    assert d.get("s") == ["text", "more"]
    d.append("s", ["more", "x"], allow_duplicates=False)
    assert d.get("s") == ["text", "more", "x"]
    d.append("fresh", "one")
    assert d.get("fresh") == ["one"]


def test_config_readers_consume_options_and_refuse_leftovers():
    config = ProcessorConfig("grok", "t1", {"field": "message", "patterns": ["%{IP:ip}"],
                                            "ignore_missing": "true", "extra": 1})
    assert config.string("field") == "message"
    assert config.strings("patterns") == ["%{IP:ip}"]
    assert config.boolean("ignore_missing", False) is True
    assert config.string("target_field", None) is None
    with pytest.raises(ConfigurationError) as raised:
        config.finish()
    assert raised.value.to_cause() == {
        "type": "parse_exception", "processor_tag": "t1", "processor_type": "grok",
        "reason": "processor [grok] doesn't support one or more provided configuration "
                  "parameters [extra]"}


def test_config_errors_name_the_property():
    with pytest.raises(ConfigurationError) as raised:
        ProcessorConfig("set", None, {}).string("field")
    assert raised.value.to_cause() == {"type": "parse_exception", "processor_type": "set",
                                       "property_name": "field",
                                       "reason": "[field] required property is missing"}
    with pytest.raises(ConfigurationError, match=r"\[patterns\] property isn't a list, but of "
                                                 r"type \[java.util.HashMap\]"):
        ProcessorConfig("grok", None, {"patterns": {}}).strings("patterns")
