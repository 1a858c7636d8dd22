"""``_reindex``: copy the documents a query matches from source indices into a destination.

The request is ES's (``source``: ``index``, ``query``, ``size`` as the batch size,
``_source``, ``slice``; ``dest``: ``index``, ``op_type``, ``version_type``, ``pipeline``,
``routing``; ``conflicts``, ``max_docs``, ``script``), parsed and checked before any work
starts, so a bad request fails at once even with ``wait_for_completion=false``. The source is
read as the by-query operations read it (:mod:`.scan`: a snapshot, in batches, as the acting
subject may see it), and each batch is written through the write service like a ``_bulk``
(:meth:`~loghaven.ingest.service.WriteService.write_items`): the destination is created if
missing (templates apply), the ingest pipelines run (``dest.pipeline``, the destination's
default and final pipelines) and the subject's write permissions are checked per document.
A ``script`` (Painless, :mod:`loghaven.scripting`) sees ``ctx._source``, ``ctx._id``,
``ctx._index``, ``ctx._version``, ``ctx._routing`` and ``ctx.op`` (``noop`` skips the
document, ``delete`` deletes it from the destination), as ES's reindex scripts do.
Reindexing from a remote cluster is not supported.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from loghaven.engine.catalog import Catalog, Target
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.index import Index
from loghaven.engine.mapping import Mapping
from loghaven.errors import (
    ActionRequestValidation,
    IllegalArgument,
    IndexNotFound,
    LoghavenError,
    ParsingError,
    XContentParse,
)
from loghaven.ingest.bulk import BulkItem
from loghaven.ingest.service import WriteService
from loghaven.params import expect_object, expect_string, parse_int, token_name
from loghaven.scripting import Script, compile
from loghaven.search import scan
from loghaven.search.bulk_by_scroll import (
    Progress,
    parse_conflicts,
    parse_max_docs,
    run_batches,
)
from loghaven.search.query import compile_query
from loghaven.search.restrictions import Restrictions
from loghaven.search.source_filter import SourceFilter
from loghaven.search.task import Cancellation, SearchTask

ACTION = "indices:data/write/reindex"
#: ES's default batch size (``source.size``).
DEFAULT_BATCH = 1000
_TOP_KEYS = ("source", "dest", "conflicts", "max_docs", "size", "script")
_SOURCE_KEYS = ("index", "query", "size", "_source", "slice", "remote")
_DEST_KEYS = ("index", "op_type", "version_type", "pipeline", "routing", "type")
_VERSION_TYPES = ("internal", "external", "external_gte")
#: The ``ctx.op`` values a reindex script may set.
_SCRIPT_OPS = ("noop", "index", "delete")
_CTX_KEYS = {"_index", "_id", "_version", "_routing", "_source", "op"}


@dataclass
class ReindexRequest:
    sources: list[str]
    dest: str
    query: dict[str, Any] | None = None
    batch_size: int = DEFAULT_BATCH
    source_filter: SourceFilter = field(default_factory=SourceFilter)
    part: scan.Slice | None = None
    op_type: str = "index"
    version_type: str = "internal"
    pipeline: str | None = None
    routing: str = "keep"
    proceed_on_conflicts: bool = False
    max_docs: int | None = None
    script: Script | None = None
    script_params: dict[str, Any] = field(default_factory=dict)

    @property
    def description(self) -> str:
        """The task's description, as ES writes it."""
        return f"reindex from [{', '.join(self.sources)}] to [{self.dest}]"


def parse_request(body: dict[str, Any], url_max_docs: int | None) -> ReindexRequest:
    """A ``_reindex`` body (and the ``max_docs`` URL parameter), checked as ES checks it."""
    for key in body:
        if key not in _TOP_KEYS:
            raise XContentParse(f"[reindex] unknown field [{key}]")
    source = expect_object(body.get("source", {}), "source", "reindex")
    dest = expect_object(body.get("dest", {}), "dest", "reindex")
    if "remote" in source:
        raise IllegalArgument("reindex from a remote cluster ([source.remote]) is not "
                              "supported by Loghaven; copy the documents with a client (scroll "
                              "and _bulk) or restore a snapshot instead")
    for key in source:
        if key not in _SOURCE_KEYS:
            raise ParsingError(f"Unknown key for a {token_name(source[key])} in [{key}].")
    for key in dest:
        if key not in _DEST_KEYS:
            raise XContentParse(f"[dest] unknown field [{key}]")
    errors = []
    sources = _names(source.get("index"))
    if not sources:
        errors.append("use _all if you really want to copy from all existing indexes")
    source_filter = SourceFilter.from_spec(source.get("_source"))
    if not source_filter.enabled:
        errors.append("_source:false is not supported in this context")
    dest_index = dest.get("index")
    if not isinstance(dest_index, str) or not dest_index:
        errors.append("index must be specified")
        raise ActionRequestValidation(_validation(errors))
    routing = dest.get("routing", "keep")
    if not isinstance(routing, str) or not (routing in ("keep", "discard")
                                            or routing.startswith("=")):
        errors.append("routing must be unset, [keep], [discard] or [=<some new value>]")
    if "max_docs" in body and "size" in body and body["max_docs"] != body["size"]:
        raise IllegalArgument(f"[max_docs] set to two different values [{body['size']}] and "
                              f"[{body['max_docs']}]")
    max_docs = body.get("max_docs", body.get("size", url_max_docs))
    if errors:
        raise ActionRequestValidation(_validation(errors))
    request = ReindexRequest(
        sources, dest_index, query=source.get("query"), source_filter=source_filter,
        routing=routing,
        pipeline=None if dest.get("pipeline") is None
        else expect_string(dest["pipeline"], "pipeline", "dest"),
        proceed_on_conflicts=parse_conflicts(body.get("conflicts", "abort")),
        max_docs=parse_max_docs(max_docs))
    if "size" in source:
        request.batch_size = parse_int(source["size"], "size")
        if request.batch_size < 1:
            raise IllegalArgument(f"[size] parameter cannot be negative, found "
                                  f"[{request.batch_size}]")
    if "slice" in source:
        request.part = _slice(source["slice"])
    op_type = dest.get("op_type", "index")
    if op_type not in ("index", "create"):
        raise IllegalArgument(f"opType must be 'create' or 'index', found: [{op_type}]")
    request.op_type = op_type
    version_type = dest.get("version_type", "internal")
    if version_type not in _VERSION_TYPES:
        raise IllegalArgument(f"No version type match [{version_type}]")
    request.version_type = version_type
    if "script" in body:
        request.script, request.script_params = _script(body["script"])
    compile_query(request.query, None, Mapping(), now_ms=0)
    return request


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v]
    if value is None:
        return []
    raise XContentParse("[source] failed to parse field [index]")


def _validation(errors: list[str]) -> str:
    return "Validation Failed: " + "".join(f"{n}: {e};" for n, e in enumerate(errors, 1))


def _slice(value: Any) -> scan.Slice:
    spec = expect_object(value, "slice", "source")
    slice_id, slice_max = spec.get("id"), spec.get("max")
    if not isinstance(slice_id, int) or not isinstance(slice_max, int) or slice_max < 2 \
            or not 0 <= slice_id < slice_max:
        raise IllegalArgument(f"invalid slice [id: {slice_id}, max: {slice_max}]: max must be "
                              f"greater than 1 and id between 0 and max - 1")
    return scan.Slice(slice_id, slice_max)


def _script(value: Any) -> tuple[Script, dict[str, Any]]:
    """An inline script: its source, or ``{source, lang, params}``."""
    params: dict[str, Any] = {}
    if isinstance(value, dict):
        unknown = set(value) - {"source", "lang", "params", "options", "id"}
        if unknown:
            raise XContentParse(f"[script] unknown field [{sorted(unknown)[0]}]")
        if "id" in value:
            raise IllegalArgument("stored scripts are not supported; use an inline [source]")
        if value.get("lang", "painless") != "painless":
            raise IllegalArgument(f"script_lang not supported [{value['lang']}]")
        params = expect_object(value.get("params", {}), "params", "script")
        value = value.get("source")
    if not isinstance(value, str):
        raise ParsingError("must specify either [source] for an inline script or [id] for a "
                           "stored script")
    return compile(value), params


# -- the work --


def check_targets(catalog: Catalog, found: list[Target], dest: str,
                  require_alias: bool) -> None:
    """ES's checks of the destination against the sources: never one of them, and an alias
    if ``require_alias``."""
    try:
        written = catalog.write_index(dest, auto_create=False).name
    except IndexNotFound:
        written = None
    except LoghavenError:
        written = dest
    if require_alias and written in (None, dest):
        missing = IndexNotFound(dest)
        missing.reason = (f"no such index [{dest}] and [require_alias] request flag is [true] "
                          f"and [{dest}] is not an alias")
        raise missing
    if any(target.index.name in (written, dest) for target in found):
        raise ActionRequestValidation(
            f"Validation Failed: 1: reindex cannot write into an index its reading from "
            f"[{written or dest}];")


def reindex(found: list[Target], request: ReindexRequest, writes: WriteService, *,
            refresh: bool, now_ms: int, progress: Progress, cancellation: Cancellation,
            restrictions: Restrictions, slices: int | None = None) -> tuple[int, dict[str, Any]]:
    """Copy the matches; (HTTP status, ES response body). ``slices`` copies them as that
    many slices of the documents, one after the other."""
    started = time.perf_counter()
    written: dict[str, Index] = {}

    def read(part: scan.Slice | None, max_docs: int | None) -> Iterator[list[scan.Match]]:
        return scan.batches(found, request.query, size=request.batch_size, max_docs=max_docs,
                            now_ms=now_ms, task=SearchTask(cancellation),
                            restrictions=restrictions, part=part or request.part)

    def write(matches: list[scan.Match], counted: Progress) -> None:
        items = []
        for match in matches:
            item = _item(request, match)
            if item is None:
                counted.noops += 1
            else:
                items.append(item)
        for item, (index, outcome) in zip(items, writes.write_items(items), strict=True):
            if index is not None:
                written[index.name] = index
            counted.record(index.name if index is not None else str(item.index),
                           item.request.doc_id if item.request else None, outcome,
                           request.proceed_on_conflicts)
    try:
        run_batches(progress, read, write, slices=slices, max_docs=request.max_docs,
                    cancellation=cancellation)
    finally:
        if refresh:
            for index in written.values():
                writes.commit(index, True)
    return progress.response(int((time.perf_counter() - started) * 1000))


def _item(request: ReindexRequest, match: scan.Match) -> BulkItem | None:
    """The destination write of one source document (None: the script made it a noop)."""
    source = request.source_filter.apply_bytes(match.visible_source())
    assert source is not None
    op, index, doc_id = request.op_type, request.dest, match.doc_id
    version: int | None = match.version
    if request.script is not None:
        ctx: dict[str, Any] = {"_index": match.index.name, "_id": doc_id, "_version": version,
                               "_routing": None, "_source": orjson.loads(source), "op": "index"}
        request.script.execute({"ctx": ctx, "params": request.script_params})
        op = ctx.get("op")
        if op not in _SCRIPT_OPS:
            raise IllegalArgument(f"Operation type [{op}] not allowed, only "
                                  f"[{', '.join(_SCRIPT_OPS)}] are allowed")
        if op == "noop":
            return None
        extra = set(ctx) - _CTX_KEYS
        if extra:
            raise IllegalArgument(f"Invalid fields added to context [{', '.join(sorted(extra))}]")
        if ctx["_index"] != match.index.name:
            index = str(ctx["_index"])
        doc_id = None if ctx["_id"] is None else str(ctx["_id"])
        version = ctx["_version"]
        if op == "index":
            op = request.op_type
            source = orjson.dumps(ctx["_source"])
    write = WriteRequest(op, doc_id, None if op == "delete" else source)
    if request.version_type != "internal" and version is not None:
        write.version, write.version_type = int(version), request.version_type
    return BulkItem(op, index, write, pipeline=request.pipeline)

