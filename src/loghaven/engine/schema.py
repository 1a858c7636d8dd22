"""Mapping → tantivy schema, and the analyzer every split registers (the engine's standard;
other analyzers run in engine/analysis/ and their text is indexed pre-tokenized).

Field names are the ES dotted paths (``httpRequest.clientIp``); multi-fields add their
suffix (``message.keyword``); a geo_point ``loc`` becomes ``loc.lat`` and ``loc.lon``.
Dates are i64 epoch milliseconds (tantivy's date field keeps only seconds by default).
Dates and doubles are fast columns without an inverted index (decisions/0020).
"""

from __future__ import annotations

import tantivy

from loghaven.engine import words
from loghaven.engine.mapping import FieldInfo, Mapping, fielddata_field, nested_sort_fields
from loghaven.errors import MapperParsing

ID = "_id"
SOURCE = "_source"
SEQ_NO = "_seq_no"
VERSION = "_version"
#: On a nested object's hidden document (decisions/0017): the path of its ``nested``
#: object (``comments``, ``comments.replies``), and its place as offsets from the root's
#: array down (``"2"``, ``"2.0"``). Only splits of a mapping with nested objects have them.
NESTED_PATH = "_nested_path"
NESTED_AT = "_nested_at"


def register_analyzers(index: tantivy.Index) -> None:
    index.register_tokenizer("standard", words.analyzer())


def build_schema(mapping: Mapping) -> tantivy.Schema:
    """The tantivy schema of a mapping; MapperParsing if two fields would share a name.

    tantivy panics on a duplicate field name (e.g. geo_point ``loc`` beside a field
    ``loc.lat``), so names are checked first. Index calls this before it stores a mapping.
    """
    taken = {ID, SOURCE, SEQ_NO, VERSION, NESTED_PATH, NESTED_AT}
    for info in mapping.fields.values():
        for name in _schema_names(info):
            if name in taken:
                raise MapperParsing(f"Field [{name}] is defined more than once")
            taken.add(name)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(ID, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field(SOURCE, stored=True)
    builder.add_integer_field(SEQ_NO, indexed=True, fast=True)
    builder.add_integer_field(VERSION, fast=True)
    if mapping.nested:
        builder.add_text_field(NESTED_PATH, stored=True, fast=True, tokenizer_name="raw",
                               index_option="basic")
        builder.add_text_field(NESTED_AT, stored=True, tokenizer_name="raw",
                               index_option="basic")
    for info in mapping.fields.values():
        _add_field(builder, info)
        for column in nested_sort_fields(info):
            _add_field(builder, column)
    return _without_keyword_norms(builder.build())


def _without_keyword_norms(schema: tantivy.Schema) -> tantivy.Schema:
    """``schema`` with no field norms on fields indexed whole (``raw``), as ES keeps no norms
    for keywords: one byte per document and field that nothing reads, since a single token
    has the same length everywhere. The bindings offer no option, so the schema's own
    serialised form is changed."""
    (fields,) = schema.__reduce__()[1]
    for field in fields["inner"]:
        indexing = field["options"].get("indexing")
        if indexing and indexing.get("tokenizer") == "raw":
            indexing["fieldnorms"] = False
    return tantivy.Schema._internal_from_pythonized(fields)


def _schema_names(info: FieldInfo) -> tuple[str, ...]:
    if info.kind == "geo_point":
        return (f"{info.path}.lat", f"{info.path}.lon")
    if info.fielddata and info.indexed:
        return (info.path, fielddata_field(info).path,
                fielddata_field(info, greatest=True).path)
    columns = nested_sort_fields(info)
    if columns:
        return (info.path, *(column.path for column in columns))
    return (info.path,) if info.indexed else ()


def indexed_field_names(mapping: Mapping) -> frozenset[str]:
    """The mapping's field names that a schema built from it has (geo points as lat/lon)."""
    names = frozenset(name for info in mapping.fields.values() for name in _schema_names(info))
    return names | {NESTED_PATH, NESTED_AT} if mapping.nested else names


def _add_field(builder: tantivy.SchemaBuilder, info: FieldInfo) -> None:
    if not info.indexed and info.kind != "geo_point":
        return
    name, kind = info.path, info.kind
    if kind == "keyword":
        builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    elif kind == "text":
        # a field analysed in Python (engine/analysis/) is indexed pre-tokenized, which skips
        # the field's tokenizer: the name stays ``standard`` so that a split made before a
        # closed index's analysis changed takes values either way
        builder.add_text_field(name, tokenizer_name="standard", index_option="position")
        if info.fielddata:
            for greatest in (False, True):
                builder.add_text_field(fielddata_field(info, greatest=greatest).path,
                                       tokenizer_name="raw", fast=True, index_option="basic")
    elif kind == "long":
        builder.add_integer_field(name, indexed=True, fast=True)
    elif kind == "date":
        # columns only (decisions/0020): every query on them is a range over the column
        builder.add_integer_field(name, indexed=False, fast=True)
    elif kind == "double":
        builder.add_float_field(name, indexed=False, fast=True)
    elif kind == "boolean":
        builder.add_boolean_field(name, indexed=True, fast=True)
    elif kind == "ip":
        builder.add_ip_addr_field(name, indexed=True, fast=True)
    elif kind == "geo_point":
        builder.add_float_field(f"{name}.lat", indexed=True, fast=True)
        builder.add_float_field(f"{name}.lon", indexed=True, fast=True)
