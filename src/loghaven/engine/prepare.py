"""Documents turned into tantivy JSON ahead of the write, possibly in another process.

Parsing a source, walking it against the mapping and writing tantivy's JSON is most of
the Python work of indexing a document, and it holds the GIL. ``ingest/workers.py`` runs
:func:`prepare_sources` in worker processes. The index then only appends its own fields
(``_id``, ``_seq_no``, ``_version``) and hands tantivy the text.

A document the worker cannot settle alone comes back as None and takes the ordinary path,
which reports it exactly: bad JSON, a value that does not fit, or a field the mapping lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from loghaven.engine.document import DateBounds, DocumentBuilder
from loghaven.engine.mapping import Mapping
from loghaven.engine.schema import ID, SEQ_NO, SOURCE, VERSION
from loghaven.engine.sources import SourceDictionary
from loghaven.engine.split import tantivy_json
from loghaven.errors import LoghavenError

#: What a worker sends back for a batch, in few objects because pickling many is costly:
#: the tantivy JSON of each prepared document without its closing brace, all concatenated;
#: the offset where each one ends; and each one's date bounds, None for a document the
#: worker left to the ordinary path.
PreparedBatch = tuple[bytes, list[int], list[DateBounds | None]]

_builders: dict[bytes, DocumentBuilder] = {}
_dictionaries: dict[bytes, SourceDictionary] = {}


@dataclass(slots=True)
class Prepared:
    """A document prepared for ``mapping``, its source compressed with ``dictionary`` (the
    index's own objects, checked at write time)."""

    mapping: Mapping
    #: UTF-8, decoded once the index's fields are appended: decoding text with non-ASCII
    #: letters (the index forms' markers) and then formatting it costs 9 µs a WAF
    #: document, formatting the bytes and decoding them once 5 µs (measured).
    json_head: bytes
    date_bounds: DateBounds
    dictionary: SourceDictionary | None = None

    def json(self, doc_id: str, seq_no: int, version: int) -> str:
        return (self.json_head + _ID_KEY + orjson.dumps(doc_id)
                + _TAIL % (seq_no, version)).decode()


_ID_KEY = f',"{ID}":'.encode()
_TAIL = f',"{SEQ_NO}":%d,"{VERSION}":%d}}'.encode()


def builder_for(mapping_body: dict[str, Any]) -> DocumentBuilder:
    """The builder of the mapping ``mapping_body`` (plain data, to cross processes), made
    once per mapping in a worker."""
    key = orjson.dumps(mapping_body, option=orjson.OPT_SORT_KEYS)
    builder = _builders.get(key)
    if builder is None:
        _builders.clear()
        builder = _builders[key] = DocumentBuilder(Mapping(mapping_body))
    return builder


def dictionary_for(data: bytes | None) -> SourceDictionary | None:
    """The source dictionary ``data`` (its bytes, to cross processes), made once in a worker."""
    if data is None:
        return None
    dictionary = _dictionaries.get(data)
    if dictionary is None:
        _dictionaries.clear()
        dictionary = _dictionaries[data] = SourceDictionary(data)
    return dictionary


def prepare_sources(mapping_body: dict[str, Any], sources: list[bytes],
                    dictionary: bytes | None = None) -> PreparedBatch:
    """Prepare each source for the mapping ``mapping_body``, compressing it with the
    source ``dictionary`` if the index has one."""
    builder = builder_for(mapping_body)
    compressor = dictionary_for(dictionary)
    heads: list[bytes] = []
    ends: list[int] = []
    bounds: list[DateBounds | None] = []
    end = 0
    for source in sources:
        prepared = _prepare(builder, source, compressor)
        if prepared is None:
            bounds.append(None)
        else:
            heads.append(prepared[0])
            end += len(prepared[0])
            bounds.append(prepared[1])
        ends.append(end)
    return b"".join(heads), ends, bounds


def unpack(mapping: Mapping, batch: PreparedBatch,
           dictionary: SourceDictionary | None) -> list[Prepared | None]:
    """A worker's batch as one :class:`Prepared` (or None) per source, in order."""
    heads, ends, bounds = batch
    start = 0
    result: list[Prepared | None] = []
    for end, date_bounds in zip(ends, bounds, strict=True):
        if date_bounds is None:
            result.append(None)
        else:
            result.append(Prepared(mapping, heads[start:end], date_bounds, dictionary))
        start = end
    return result


def _prepare(builder: DocumentBuilder, source: bytes,
             dictionary: SourceDictionary | None) -> tuple[bytes, DateBounds] | None:
    try:
        parsed = orjson.loads(source)
    except orjson.JSONDecodeError:
        return None
    return prepare_parsed(builder, parsed, source, dictionary) \
        if isinstance(parsed, dict) else None


def prepare_parsed(builder: DocumentBuilder, parsed: dict[str, Any], source: bytes,
                   dictionary: SourceDictionary | None) -> tuple[bytes, DateBounds] | None:
    """The tantivy JSON (without its closing brace) and date bounds of the document
    ``parsed`` whose source is ``source`` (compressed with ``dictionary`` if given); None
    when it does not fit the mapping alone."""
    if builder.mapping.nested:  # several documents each: the ordinary path adds them
        return None
    try:
        flat, unmapped = builder.build(parsed, "")
    except LoghavenError:
        return None
    if unmapped:
        return None
    bounds = builder.date_bounds(flat)
    flat[SOURCE] = source if dictionary is None else dictionary.compress(source)
    return tantivy_json(flat)[:-1], bounds
