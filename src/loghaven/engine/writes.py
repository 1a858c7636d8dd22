"""The write path of an index: versions and conditions, building and applying documents.

:meth:`Index.write <loghaven.engine.index.Index.write>` takes its lock and the batch, and
calls :func:`write_one` for each item; these functions read and change that index's state
(sequence numbers, the live map, the active split). Plain functions rather than methods, so
the Index reads as its lifecycle and public operations; no call is added per document.
"""

from __future__ import annotations

import binascii
import itertools
import os
import time
from typing import TYPE_CHECKING, Any

import orjson

from loghaven.engine.document import DateBounds
from loghaven.engine.documents_state import (
    PRIMARY_TERM,
    DocState,
    LiveDoc,
    WriteRequest,
    WriteResult,
    find_committed,
    ids_in_split,
    now_ms,
)
from loghaven.engine.prepare import Prepared
from loghaven.engine.schema import ID, SEQ_NO, SOURCE, VERSION
from loghaven.engine.split import NESTED, Split
from loghaven.engine.wal import OP_DELETE, OP_INDEX, Operation
from loghaven.errors import (
    DocumentMissing,
    IllegalArgument,
    MapperParsing,
    VersionConflict,
)

if TYPE_CHECKING:
    from loghaven.engine.index import Index

def current_states(index: Index, doc_ids: list[str]) -> dict[str, DocState]:
    """Current state of the given ids, looking each split up once for the whole batch."""
    index.make_ids_findable()
    found: dict[str, DocState] = {}
    remaining = []
    for doc_id in doc_ids:
        live = index.live.get(doc_id)
        if live is None:
            remaining.append(doc_id)
        elif live.source is not None:
            found[doc_id] = DocState(live.version, live.seq_no, live.source, live.split)
    for split in reversed(index.splits):
        if not remaining:
            break
        hits = set(ids_in_split(split, remaining))
        for doc_id in hits:
            state = find_committed(split, doc_id)
            if state is not None:
                found[doc_id] = state
        remaining = [d for d in remaining if d not in hits]
    return found


def write_one(index: Index, request: WriteRequest,
              current: dict[str, DocState]) -> tuple[WriteResult, Operation | None]:
    op = request.op
    doc_id = request.doc_id
    prepared = request.prepared
    if (prepared is not None and doc_id is None and request.version_type is None
            and prepared.mapping is index.mapping and index._mapping_fits
            and prepared.dictionary in (None, index.source_dictionary)):
        return _append(index, request, prepared)
    if op == "update":
        return _update(index, request, current)
    existing = current.get(doc_id) if doc_id is not None else None
    _check_conditions(index, request, existing, doc_id)
    if op == "delete":
        assert doc_id is not None
        if existing is None:
            version = (index.tombstone_version(doc_id) or 0) + 1
            return WriteResult(doc_id, version, index._next_seq(), "not_found", 404), None
        return _delete(index, doc_id, existing, current)
    if op == "create" and existing is not None:
        raise VersionConflict(
            f"[{doc_id}]: version conflict, document already exists (current version "
            f"[{existing.version}])", index=index.name, shard="0", index_uuid=index.uuid)
    if doc_id is None:
        doc_id = new_doc_id()
    assert request.source is not None
    if request.version_type in ("external", "external_gte"):
        version = int(request.version or 0)
    elif existing is not None:
        version = existing.version + 1
    else:
        version = (index.tombstone_version(doc_id) or 0) + 1
    flat: dict[str, Any] | None = None
    if (prepared is None or prepared.mapping is not index.mapping or not index._mapping_fits
            or existing is not None
            or prepared.dictionary not in (None, index.source_dictionary)):
        source = (request.parsed if request.parsed is not None
                  else _parse_source(request.source))
        flat = build(index, source, doc_id)  # before the seq_no: a misfit consumes none
    operation = Operation(index._next_seq(), OP_INDEX, doc_id, version, request.source,
                          now_ms())
    if flat is not None:
        apply_index(index, flat, operation, existing)
    else:
        assert prepared is not None
        _apply_prepared(index, prepared, operation)
    if request.doc_id is not None:  # later items of the batch may address it again
        current[doc_id] = DocState(version, operation.seq_no, request.source, index.active)
    result = "updated" if existing is not None else "created"
    index.stats["index_total"] += 1
    return WriteResult(doc_id, version, operation.seq_no, result,
                       200 if existing is not None else 201), operation


def _append(index: Index, request: WriteRequest,
            prepared: Prepared) -> tuple[WriteResult, Operation]:
    """What log shippers send: a new document without an id, nothing to check, prepared by
    a worker for the current mapping. Its id is new, so its version is 1, and unless id
    lookups are going on it stays out of the live map until the next commit (Elasticsearch
    also skips the version lookup and the version map for auto-generated ids)."""
    assert request.source is not None
    operation = Operation(index._next_seq(), OP_INDEX, new_doc_id(), 1, request.source,
                          now_ms())
    listed = index.list_appends  # read once: a GET may turn it on meanwhile, without the lock
    _apply_prepared(index, prepared, operation, listed=listed)
    if not listed:
        index.unlisted_appends = True
    index.stats["index_total"] += 1
    return WriteResult(operation.doc_id, 1, operation.seq_no, "created", 201), operation


def _check_conditions(index: Index, request: WriteRequest, existing: DocState | None,
                       doc_id: str | None) -> None:
    if request.if_seq_no is not None or request.if_primary_term is not None:
        if existing is None:
            raise VersionConflict(
                f"[{doc_id}]: version conflict, required seqNo [{request.if_seq_no}], "
                f"primary term [{request.if_primary_term}] but no document was found",
                index=index.name, shard="0", index_uuid=index.uuid)
        if (existing.seq_no != request.if_seq_no
                or (request.if_primary_term or PRIMARY_TERM) != PRIMARY_TERM):
            raise VersionConflict(
                f"[{doc_id}]: version conflict, required seqNo [{request.if_seq_no}], "
                f"primary term [{request.if_primary_term}]. current document has seqNo "
                f"[{existing.seq_no}] and primary term [{PRIMARY_TERM}]",
                index=index.name, shard="0", index_uuid=index.uuid)
    if request.version_type in ("external", "external_gte") and existing is not None:
        wanted = int(request.version or 0)
        too_low = (wanted <= existing.version if request.version_type == "external"
                   else wanted < existing.version)
        if too_low:
            raise VersionConflict(
                f"[{doc_id}]: version conflict, current version [{existing.version}] is "
                f"higher or equal to the one provided [{wanted}]",
                index=index.name, shard="0", index_uuid=index.uuid)


def _delete(index: Index, doc_id: str, existing: DocState,
            current: dict[str, DocState]) -> tuple[WriteResult, Operation]:
    version = existing.version + 1
    operation = Operation(index._next_seq(), OP_DELETE, doc_id, version, b"", now_ms())
    if existing.split is not None:
        existing.split.delete_id(doc_id)
    index.live[doc_id] = LiveDoc(version, operation.seq_no, None, None, now_ms())
    current.pop(doc_id, None)
    index.stats["delete_total"] += 1
    return WriteResult(doc_id, version, operation.seq_no, "deleted", 200), operation


def _update(index: Index, request: WriteRequest,
            current: dict[str, DocState]) -> tuple[WriteResult, Operation | None]:
    doc_id = request.doc_id
    assert doc_id is not None and request.update is not None
    body = request.update
    existing = current.get(doc_id)
    _check_conditions(index, request, existing, doc_id)
    if "script" in body:
        raise IllegalArgument("scripted updates are not supported; send a partial [doc]")
    if existing is None:
        if body.get("doc_as_upsert") and "doc" in body:
            new_source = body["doc"]
        elif "upsert" in body:
            new_source = body["upsert"]
        else:
            raise DocumentMissing(f"[{doc_id}]: document missing", index=index.name,
                                  shard="0", index_uuid=index.uuid)
    else:
        assert existing.source is not None
        old = orjson.loads(existing.source)
        if "doc" not in body:
            raise IllegalArgument("Validation Failed: 1: script or doc is missing;")
        new_source = _deep_merge(dict(old), body["doc"])
        if new_source == old and body.get("detect_noop", True):
            return WriteResult(doc_id, existing.version, existing.seq_no, "noop", 200), None
    source_bytes = orjson.dumps(new_source)
    index_request = WriteRequest("index", doc_id, source_bytes, parsed=new_source)
    result, operation = write_one(index, index_request, current)
    if body.get("_source") or request.update.get("_source_includes"):
        result.get = {"_source": new_source, "found": True}
    return result, operation


def build(index: Index, source: dict[str, Any], doc_id: str) -> dict[str, Any]:
    index.builder.nested_objects_limit = index.settings.limit(
        "index.mapping.nested_objects.limit")
    flat, unmapped = index.builder.build(source, doc_id)
    if unmapped:
        additions = index.mapping.dynamic_update(source)
        if additions:
            index.set_mapping(index.merged_mapping(additions))
            flat, _ = index.builder.build(source, doc_id)
    return flat


def apply_index(index: Index, flat: dict[str, Any], operation: Operation,
                existing: DocState | None) -> None:
    """Add the document, replacing ``existing``; the old copy goes only once the new fits.
    A document with nested objects takes their hidden documents along (decisions/0017)."""
    bounds = index.builder.date_bounds(flat)
    children = flat.pop(NESTED, None)
    split = index._target_split(
        {name for child in children for name in child} | flat.keys() if children else flat)
    flat[ID] = operation.doc_id
    flat[SOURCE] = operation.source
    flat[SEQ_NO] = operation.seq_no
    flat[VERSION] = operation.version
    try:
        nested = split.nested_documents(flat, children) if children else []
        if existing is None or existing.split is None:
            split.add_flat(flat)  # validated and added in one native call
        else:
            document = split.document(flat)
            existing.split.delete_id(operation.doc_id)  # its nested documents too
            split.add_document(document)
        split.add_nested(nested)
    except ValueError as exc:
        raise _not_fitting(operation, exc) from exc
    _added(index, split, operation, bounds)


def _apply_prepared(index: Index, prepared: Prepared, operation: Operation, *,
                    listed: bool = True) -> None:
    """Add a new document that an ingest worker built for the current mapping (its source
    compressed with the index's dictionary, which every new split gets, or not at all);
    ``listed``: in the live map (:func:`_added`)."""
    split = index._target_split()  # a prepared document fits the mapping's fields
    try:
        split.add_json(prepared.json(operation.doc_id, operation.seq_no, operation.version))
    except ValueError as exc:
        raise _not_fitting(operation, exc) from exc
    _added(index, split, operation, prepared.date_bounds, listed=listed)


def _added(index: Index, split: Split, operation: Operation, date_bounds: DateBounds, *,
           listed: bool = True) -> None:
    """Count the document in its split, widen the split's date ranges (used to prune
    searches) and, if ``listed``, make it visible to realtime GET through the live map."""
    split.meta.num_docs += 1
    ranges = split.meta.date_ranges
    for name, low, high in date_bounds:
        known = ranges.get(name)
        if known is None:
            ranges[name] = [low, high]
        else:
            if low < known[0]:
                known[0] = low
            if high > known[1]:
                known[1] = high
    if listed:
        index.live[operation.doc_id] = LiveDoc(operation.version, operation.seq_no,
                                              operation.source, split)
        index.live_bytes += len(operation.source)


_ID_NODE = os.urandom(6)
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_ID_SEQUENCE = itertools.count(int.from_bytes(os.urandom(3), "big"))


def new_doc_id() -> str:
    """A 20-character URL-safe id that sorts by creation time, like Elasticsearch's.

    The clock (ms) and a sequence come first, so ids made together share a prefix, which
    tantivy's term dictionary builds and stores cheaply (a third less CPU per id than random
    ids, measured); six random bytes of this process make ids of other processes differ.
    """
    sequence = next(_ID_SEQUENCE) & 0xFFFFFF
    millis = time.time_ns() // 1_000_000
    raw = millis.to_bytes(6, "big") + sequence.to_bytes(3, "big") + _ID_NODE
    return binascii.b2a_base64(raw, newline=False).translate(_URL_SAFE).decode()


#: How tantivy's messages for a value that does not fit its field begin; any other error
#: from adding a document is its writer failing (a full disk), never the document's fault.
_NOT_FITTING = ("The field ", "Expected ", "The provided string is not valid JSON")


def _not_fitting(operation: Operation, exc: ValueError) -> Exception:
    """tantivy's own validation failed (e.g. of an IP address) when adding the document:
    a 400 for that document; or its writer failed, which fails the whole batch (a 5xx)."""
    if not str(exc).startswith(_NOT_FITTING):
        return RuntimeError(f"tantivy's index writer failed: {exc}")
    return MapperParsing(f"failed to parse document with id '{operation.doc_id}': {exc}",
                         caused_by={"type": "illegal_argument_exception", "reason": str(exc)})


def _parse_source(source: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(source)
    except orjson.JSONDecodeError as exc:
        raise MapperParsing("failed to parse", caused_by={
            "type": "json_parse_exception", "reason": str(exc)}) from exc
    if not isinstance(value, dict):
        raise MapperParsing("failed to parse", caused_by={
            "type": "not_x_content_exception",
            "reason": "Compressor detection can only be called on some xcontent bytes or "
                      "compressed xcontent bytes"})
    return value


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(dict(base[key]), value)
        else:
            base[key] = value
    return base

