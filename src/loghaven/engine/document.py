"""Turns a JSON source into the flat ``{tantivy field: value(s)}`` dict the engine indexes.

This is the per-document hot path of ingest: the mapping is compiled once into a tree of
plain dicts so that each document costs one walk and one small conversion per value.
A value that does not fit its field fails the document with ``mapper_parsing_exception``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from loghaven.engine.dates import get_format
from loghaven.engine.mapping import (
    METADATA_FIELDS,
    FieldInfo,
    Mapping,
    field_name_error,
    fielddata_field,
    nested_sort_fields,
)
from loghaven.engine.schema import NESTED_AT, NESTED_PATH
from loghaven.engine.split import NESTED
from loghaven.engine.words import display_form, index_form
from loghaven.engine.words import tokens as word_tokens
from loghaven.errors import MapperParsing
from loghaven.params import LONG_MAX, LONG_MIN

Converter = Callable[[Any], Any]
#: Each date field of a document with its lowest and highest value (epoch ms).
DateBounds = list[tuple[str, int, int]]


class _Skip(Exception):
    """Raised by a converter for a value that is kept in _source but not indexed."""


def _keyword(info: FieldInfo) -> Converter:
    limit, normalizer = info.ignore_above, info.normalizer

    def convert(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            raise ValueError("expected a string value")
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if limit is not None and len(text) > limit:
            raise _Skip
        return normalizer.normalize(text) if normalizer is not None else text

    return convert


class Analysed(dict):  # type: ignore[type-arg]
    """A text value analysed in Python: tantivy's pre-tokenized string (``text`` and
    ``tokens`` with positions), which its JSON document reader indexes as given.
    ``values`` keeps the field's values as sent (``fields`` in a search shows them)."""

    values: list[str]


def _analysed(info: FieldInfo) -> Converter:
    analyzer = info.analyzer
    assert analyzer is not None

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            raise ValueError("expected a string value")
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        tokens = sorted(analyzer.tokens(text), key=lambda t: t.position)
        analysed = Analysed(text=text, tokens=[
            {"offset_from": t.start, "offset_to": t.end, "position": t.position,
             "text": t.text, "position_length": t.position_length} for t in tokens])
        analysed.values = [text]
        return analysed

    return convert


def _append_analysed(current: Analysed, more: Analysed, gap: int) -> None:
    """A further value of an array: its positions after the last ones plus the analyzer's
    ``position_increment_gap``, so that phrases do not match across values (as in ES)."""
    tokens = current["tokens"]
    base = (tokens[-1]["position"] + 1 + gap) if tokens else 0
    shift = len(current["text"]) + 1
    current["text"] += " " + more["text"]
    current.values.extend(more.values)
    for token in more["tokens"]:
        tokens.append({**token, "position": token["position"] + base,
                       "offset_from": token["offset_from"] + shift,
                       "offset_to": token["offset_to"] + shift})


def _text(value: Any) -> str:
    if isinstance(value, dict):
        raise ValueError("expected a string value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return index_form(str(value))


def _long(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"Current token (VALUE_{str(value).upper()}) not numeric")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value)  # OverflowError for inf, ValueError for nan: both a misfit
    elif isinstance(value, str):
        try:
            number = int(value)
        except ValueError:
            number = int(float(value))
    else:
        raise ValueError("not a number")
    if not LONG_MIN <= number <= LONG_MAX:
        raise ValueError(f"Value [{value}] is out of range for a long")
    return number


def _double(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("not a number")
    result = float(value)
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError(f"[{value}] is not a finite number")
    return result


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value in ("false", ""):
        return False
    raise ValueError(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def _ip(value: Any) -> str:
    """An IPv4 or IPv6 address as tantivy parses it: ``inet_pton`` takes exactly the forms
    tantivy does (compared on 25,000 strings), so that a bad address is refused with ES's
    message for the field rather than tantivy's for the document."""
    if value.__class__ is not str:
        raise ValueError(f"'{value}' is not an IP string literal.")
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in value else socket.AF_INET, value)
    except (OSError, ValueError):
        raise ValueError(f"'{value}' is not an IP string literal.") from None
    return value


def _date(info: FieldInfo) -> Converter:
    fmt = get_format(info.date_format)
    return fmt.parse


def converter_for(info: FieldInfo) -> Converter:
    """The function that turns one JSON value into the value stored in the field."""
    kind = info.kind
    if kind == "keyword":
        return _keyword(info)
    if kind == "text":
        return _analysed(info) if info.analyzer is not None else _text
    if kind == "long":
        return _long
    if kind == "double":
        if info.scaling_factor:
            factor = info.scaling_factor
            return lambda v: round(_double(v) * factor) / factor
        return _double
    if kind == "date":
        return _date(info)
    if kind == "boolean":
        return _boolean
    if kind == "ip":
        return _ip
    raise AssertionError(kind)


class _Greatest(str):
    """A document's greatest token so far (several values of an array: the greatest)."""


def _fielddata(info: FieldInfo) -> Converter:
    """A ``fielddata`` text value's distinct tokens as the user reads them, in order (a list:
    one value each; a sort reads a column's first value, which is then ES's ascending ``min``)."""
    analyzer = info.analyzer

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            raise ValueError("expected a string value")
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        found = word_tokens(text) if analyzer is None else [
            display_form(t.text) for t in analyzer.tokens(text)]
        if not found:
            raise _Skip
        return sorted(set(found))

    return convert


class _Leaf:
    """A mapped field and its multi-fields, with their converters.

    ``strings`` lists the targets that take a JSON string as it is (keyword without a
    normalizer, with its ``ignore_above``) or in index form (text, ``ignore_above`` None):
    the common case, kept free of converter calls.
    """

    __slots__ = ("copies_unmapped", "gaps", "info", "strings", "targets")

    def __init__(self, info: FieldInfo, copies: tuple[FieldInfo, ...] = (),
                 copies_unmapped: bool = False) -> None:
        self.info = info
        #: a ``copy_to`` target is not mapped yet: a value here asks for a dynamic update
        self.copies_unmapped = copies_unmapped
        self.targets: list[tuple[str, Converter]] = []
        everything = (info, *info.multi_fields, *copies)
        #: position_increment_gap of each target analysed in Python
        self.gaps = {t.path: t.analyzer.position_gap for t in everything
                     if t.analyzer is not None}
        strings: list[tuple[str, int | None, bool]] = []
        for target in everything:
            if target.indexed and target.kind not in ("geo_point", "binary"):
                self.targets.append((target.path, converter_for(target)))
                if target.fielddata:
                    tokens = _fielddata(target)
                    self.targets.append((fielddata_field(target).path, tokens))
                    self.targets.append((fielddata_field(target, greatest=True).path,
                                         lambda value, tokens=tokens: _Greatest(tokens(value)[-1])))
                if (target.kind == "text" and target.analyzer is None) or (
                        target.kind == "keyword" and target.normalizer is None):
                    strings.append((target.path, target.ignore_above, target.kind == "text"))
        all_strings = len(strings) == len(self.targets) and info.kind != "geo_point"
        self.strings = tuple(strings) if all_strings and not copies_unmapped else None


class _Nested:
    """A ``nested`` object: each of its objects becomes a hidden document of its own."""

    __slots__ = ("include_in_parent", "include_in_root", "path", "tree")
    #: Never a leaf of plain strings (the builder's fast path reads this of every node).
    strings = None

    def __init__(self, path: str, tree: dict[str, Any], include_in_parent: bool,
                 include_in_root: bool) -> None:
        self.path = path
        self.tree = tree
        self.include_in_parent = include_in_parent
        self.include_in_root = include_in_root


def _compile(mapping: Mapping, properties: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A tree of ``name → _Leaf | subtree dict | _Nested | None`` (None: not indexed)."""
    tree: dict[str, Any] = {}
    for name, spec in properties.items():
        path = prefix + name
        if path in mapping.fields:
            info = mapping.fields[path]
            tree[name] = _Leaf(info, _copy_targets(mapping, info),
                               any(t not in mapping.fields for t in info.copy_to))
        elif spec.get("enabled", True) is False or spec.get("type") == "flattened":
            tree[name] = None
        elif path in mapping.nested:
            nested = mapping.nested[path]
            tree[name] = _Nested(path, _compile(mapping, spec.get("properties", {}), path + "."),
                                 nested.include_in_parent, nested.include_in_root)
        else:
            tree[name] = _compile(mapping, spec.get("properties", {}), path + ".")
    return tree


def _copy_targets(mapping: Mapping, info: FieldInfo) -> tuple[FieldInfo, ...]:
    """The mapped fields (with their multi-fields) that ``copy_to`` sends ``info``'s values
    to; each indexes them by its own mapping, as if the document held them there. A target
    that is not mapped gets no values (ES would map it dynamically)."""
    copies: list[FieldInfo] = []
    for name in info.copy_to:
        target = mapping.fields.get(name)
        if target is not None and target.kind not in ("geo_point", "binary"):
            copies.extend((target, *target.multi_fields))
    return tuple(copies)


class DocumentBuilder:
    """Builds flat engine documents for one version of a mapping."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.tree = _compile(mapping, mapping.body["properties"], "")
        self.date_fields = [f.path for f in mapping.fields.values() if f.kind == "date"]
        self._unmapped = False
        #: While building: the hidden documents of the nested objects found so far (None:
        #: not collected, when a nested object's fields are copied into its parent or root),
        #: the offsets of the object being walked, and the root document.
        self._children: list[dict[str, Any]] | None = None
        self._offsets: tuple[int, ...] = ()
        self._root: dict[str, Any] = {}
        #: ``index.mapping.nested_objects.limit``: at most this many per document.
        self.nested_objects_limit = 10_000
        #: Nested fields a sort can read: field → its least and greatest value's columns.
        self.nested_sortable = {info.path: tuple(c.path for c in columns)
                                for info in mapping.fields.values()
                                if (columns := nested_sort_fields(info))}

    def build(self, source: dict[str, Any], doc_id: str) -> tuple[dict[str, Any], bool]:
        """The flat document for ``source`` and whether it had unmapped fields. With nested
        objects, the flat document lists their hidden documents under ``NESTED``.

        Raises MapperParsing for a value that does not fit its field.
        """
        out: dict[str, Any] = {}
        self._unmapped = False
        if self.mapping.nested:
            self._children, self._offsets, self._root = [], (), out
            try:
                self._walk(source, self.tree, out, doc_id)
            finally:
                children, self._children, self._root = self._children, None, {}
            if children:
                if len(children) > self.nested_objects_limit:
                    raise MapperParsing(
                        f"The number of nested documents has exceeded the allowed limit of "
                        f"[{self.nested_objects_limit}]. This limit can be set by changing "
                        f"the [index.mapping.nested_objects.limit] index level setting.")
                out[NESTED] = children
                if self.nested_sortable:
                    self._sort_columns(children, out)
            return out, self._unmapped
        self._walk(source, self.tree, out, doc_id)
        return out, self._unmapped

    def _sort_columns(self, children: list[dict[str, Any]], out: dict[str, Any]) -> None:
        """The least and greatest value of each sortable nested field among all the
        document's objects, on the root document (see ``nested_sort_fields``)."""
        for path, (least, greatest) in self.nested_sortable.items():
            values = [v for child in children if (found := child.get(path)) is not None
                      for v in (found if found.__class__ is list else (found,))]
            if values:
                out[least], out[greatest] = min(values), max(values)

    def _nested(self, node: _Nested, key: str, value: Any, out: dict[str, Any],
                doc_id: str) -> None:
        """The objects of a nested field: each one's hidden document, and its fields in the
        parent or root document too where ``include_in_parent``/``include_in_root`` ask."""
        if value is None:
            return
        items = value if value.__class__ is list else [value]
        offset = 0
        for item in items:
            if item is None:
                continue
            if item.__class__ is not dict:
                raise MapperParsing(
                    f"object mapping for [{node.path}] tried to parse field [{key}] as object, "
                    f"but found a concrete value")
            children, offsets = self._children, self._offsets
            if children is not None:
                self._offsets = (*offsets, offset)
                child: dict[str, Any] = {NESTED_PATH: node.path,
                                         NESTED_AT: ".".join(map(str, self._offsets))}
                try:
                    self._walk(item, node.tree, child, doc_id)
                finally:
                    self._offsets = offsets
                children.append(child)
            self._children = None  # copies into the parent or root make no documents
            try:
                if node.include_in_parent:
                    self._walk(item, node.tree, out, doc_id)
                if node.include_in_root and not (node.include_in_parent and out is self._root):
                    self._walk(item, node.tree, self._root, doc_id)
            finally:
                self._children = children
            offset += 1

    def date_bounds(self, flat: dict[str, Any]) -> DateBounds:
        """Each date field of a built document with its lowest and highest value."""
        bounds: DateBounds = []
        for document in (flat, *flat.get(NESTED, ())):
            for name in self.date_fields:
                value = document.get(name)
                if value is not None:
                    if isinstance(value, list):
                        bounds.append((name, min(value), max(value)))
                    else:
                        bounds.append((name, value, value))
        return bounds

    def _walk(self, obj: dict[str, Any], tree: dict[str, Any], out: dict[str, Any],
              doc_id: str) -> None:
        for key, value in obj.items():
            node = tree.get(key)
            if node is None:
                if key in tree:
                    continue
                _check_unmapped_names(key, value, tree is self.tree)
                if value is None or value == [] or value == {}:
                    continue
                if "." in key:
                    head, _, rest = key.partition(".")
                    self._walk({head: {rest: value}}, tree, out, doc_id)
                else:
                    self._unmapped = True
                continue
            if node.__class__ is dict:
                if value.__class__ is dict:
                    self._walk(value, node, out, doc_id)
                elif value.__class__ is list:
                    for item in value:
                        if item.__class__ is dict:
                            self._walk(item, node, out, doc_id)
                elif value is not None:
                    raise MapperParsing(
                        f"object mapping for [{key}] tried to parse field [{key}] as object, "
                        f"but found a concrete value")
                continue
            strings = node.strings
            if strings is not None and value.__class__ is str:
                for path, limit, text in strings:
                    if limit is not None and len(value) > limit:
                        continue
                    indexed = index_form(value) if text else value
                    current = out.get(path)
                    if current is None:
                        out[path] = indexed
                    elif current.__class__ is list:
                        current.append(indexed)
                    else:
                        out[path] = [current, indexed]
                continue
            if node.__class__ is _Nested:  # after the strings' path: no cost for leaves there
                self._nested(node, key, value, out, doc_id)
                continue
            self._leaf(node, value, out, doc_id)

    def _leaf(self, leaf: _Leaf, value: Any, out: dict[str, Any], doc_id: str) -> None:
        info = leaf.info
        if value is None:
            if info.null_value is None:
                return
            value = info.null_value
        if leaf.copies_unmapped:
            self._unmapped = True
        if info.kind == "geo_point":
            _add_geo_point(info.path, value, out, doc_id)
            return
        values = value if isinstance(value, list) else (value,)
        for target, convert in leaf.targets:
            for item in values:
                if item is None:
                    if info.null_value is None:
                        continue
                    item = info.null_value
                try:
                    converted = convert(item)
                except _Skip:
                    continue
                except (ValueError, TypeError, OverflowError) as exc:
                    raise _parse_error(info, item, doc_id, exc) from exc
                current = out.get(target)
                if converted.__class__ is _Greatest:  # a fielddata column's greatest token
                    out[target] = str(converted if current is None else max(current, converted))
                elif converted.__class__ is list:  # a fielddata column's tokens
                    # in order, so that a sort reads the least first (ES's ascending ``min``)
                    out[target] = converted if current is None else \
                        sorted(set(current).union(converted))
                elif current is None:
                    out[target] = converted
                elif current.__class__ is Analysed:
                    gap = leaf.gaps.get(target, 0)
                    _append_analysed(current, converted, gap)
                elif isinstance(current, list):
                    current.append(converted)
                else:
                    out[target] = [current, converted]


def _check_unmapped_names(key: str, value: Any, at_root: bool) -> None:
    """Refuse a metadata or malformed field name in an unmapped part of a document, as ES does,
    before it can reach dynamic mapping. Mapped names are valid: a mapping never holds others."""
    if at_root and key in METADATA_FIELDS:
        raise MapperParsing(f"Field [{key}] is a metadata field and cannot be added inside a "
                            f"document. Use the index API request parameters.")
    reason = field_name_error(key, at_root)
    if reason is not None:
        raise MapperParsing("failed to parse", caused_by={
            "type": "illegal_argument_exception", "reason": reason})
    for item in value if value.__class__ is list else (value,):
        if item.__class__ is dict:
            for child_key, child in item.items():
                _check_unmapped_names(child_key, child, False)


def _parse_error(info: FieldInfo, value: Any, doc_id: str, exc: Exception) -> MapperParsing:
    preview = str(value)[:100]
    cause_type = "date_time_parse_exception" if info.kind == "date" else "illegal_argument_exception"
    if info.kind in ("long", "double"):
        cause_type = "number_format_exception"
    return MapperParsing(
        f"failed to parse field [{info.path}] of type [{info.type}] in document with id "
        f"'{doc_id}'. Preview of field's value: '{preview}'",
        caused_by={"type": cause_type, "reason": str(exc)},
    )


def _add_geo_point(path: str, value: Any, out: dict[str, Any], doc_id: str) -> None:
    """geo_point as ``{lat, lon}``, ``"lat,lon"`` or ``[lon, lat]`` into two f64 fields."""
    try:
        if isinstance(value, dict):
            lat, lon = float(value["lat"]), float(value["lon"])
        elif isinstance(value, str):
            lat_s, lon_s = value.split(",")
            lat, lon = float(lat_s), float(lon_s)
        elif isinstance(value, list) and len(value) == 2 and not isinstance(value[0], (list, dict)):
            lon, lat = float(value[0]), float(value[1])
        else:
            raise ValueError("unsupported geo_point format")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"illegal latitude/longitude value [{lat}, {lon}]")
    except (KeyError, ValueError, TypeError) as exc:
        raise MapperParsing(
            f"failed to parse field [{path}] of type [geo_point] in document with id '{doc_id}'",
            caused_by={"type": "illegal_argument_exception", "reason": str(exc)},
        ) from exc
    out[f"{path}.lat"] = lat
    out[f"{path}.lon"] = lon
