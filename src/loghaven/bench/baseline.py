"""Raw tantivy-py, in-process: the ceiling Loghaven's figures are divided by.

The baseline indexes the same NDJSON bytes into a tantivy index whose schema is
built from the same field list as the HTTP scenario's mapping, in the fastest
reasonable way for Python code: orjson-parse each line, flatten it to dotted
field names, and hand it to ``IndexWriter.add_json``. It keeps the original
line as a stored ``_source`` (as Elasticsearch and Loghaven do) and commits
once at the end. Its queries are the tantivy calls a Loghaven query should boil
down to, without HTTP, query-DSL parsing or cross-split reduction.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import tantivy

from loghaven.bench.proc import RssSampler, Stopwatch, dir_bytes
from loghaven.bench.sampling import iso_millis
from loghaven.bench.spool import Spool

SOURCE_FIELD = "_source"
WRITER_HEAP = 256_000_000


def build_schema(fields: dict[str, str]) -> tantivy.Schema:
    """A tantivy schema for ``{dotted path: ES type}``.

    keyword -> raw-tokenized text, fast; text -> default tokenizer; long/date
    -> i64 (dates as epoch millis) indexed+fast; double -> f64 indexed+fast;
    ip -> ip indexed+fast. Plus a stored, unindexed ``_source``.
    """
    sb = tantivy.SchemaBuilder()
    for path, es_type in fields.items():
        if es_type == "keyword":
            sb.add_text_field(path, fast=True, tokenizer_name="raw")
        elif es_type == "text":
            sb.add_text_field(path, tokenizer_name="default")
        elif es_type in ("long", "date"):
            sb.add_integer_field(path, indexed=True, fast=True)
        elif es_type in ("double", "float"):
            sb.add_float_field(path, indexed=True, fast=True)
        elif es_type == "ip":
            sb.add_ip_addr_field(path, indexed=True, fast=True)
        else:
            raise ValueError(f"no baseline type for {es_type!r} ({path})")
    sb.add_bytes_field(SOURCE_FIELD, stored=True)
    return sb.build()


def flatten(
    obj: dict[str, Any],
    prefix: str = "",
    out: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Flatten nested objects to dotted keys; arrays of objects become arrays of
    values per path, as Elasticsearch indexes (non-nested) object arrays."""
    if out is None:
        out = {}
    for k, v in obj.items():
        t = type(v)
        if t is dict:
            flatten(v, prefix + k + ".", out)
        elif t is list:
            if not v:
                continue
            if type(v[0]) is dict:
                p = prefix + k + "."
                for item in v:
                    flatten(item, p, out)
                continue
            key = prefix + k
            cur = out.get(key)
            if cur is None:
                out[key] = list(v)
            elif type(cur) is list:
                cur.extend(v)
            else:
                out[key] = [cur, *v]
        elif v is not None:
            key = prefix + k
            cur = out.get(key)
            if cur is None:
                out[key] = v
            elif type(cur) is list:
                cur.append(v)
            else:
                out[key] = [cur, v]
    return out


def mapped_fields(properties: dict[str, Any],
                  prefix: str = "") -> tuple[dict[str, str], dict[str, list[str]]]:
    """An Elasticsearch mapping's ``properties`` as the baseline's field list, and each
    field's multi-fields (``a`` → ``[a.keyword]``), which the baseline fills with a copy of
    the value: how the dynamic scenario's mapping becomes the same explicit schema."""
    fields: dict[str, str] = {}
    copies: dict[str, list[str]] = {}
    for name, spec in properties.items():
        path = prefix + name
        if "properties" in spec:
            inner, inner_copies = mapped_fields(spec["properties"], path + ".")
            fields.update(inner)
            copies.update(inner_copies)
            continue
        fields[path] = spec["type"]
        for sub, sub_spec in spec.get("fields", {}).items():
            fields[f"{path}.{sub}"] = sub_spec["type"]
            copies.setdefault(path, []).append(f"{path}.{sub}")
    return fields, copies


@dataclass
class BaselineIndex:
    """A raw tantivy index in ``path`` for one field list; ``copies`` are multi-fields
    (:func:`mapped_fields`)."""

    path: Path
    fields: dict[str, str]
    copies: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.schema = build_schema(self.fields)
        self.path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(self.path))

    def ingest(self, spool: Spool, heap_size: int = WRITER_HEAP) -> dict[str, Any]:
        """Index every document of ``spool`` and commit; return the figures."""
        writer = self.index.writer(heap_size=heap_size, num_threads=0)
        docs = 0
        with RssSampler(os.getpid()) as rss, Stopwatch() as sw:
            b64 = base64.b64encode
            copies = list(self.copies.items())
            for body, _n in spool.bodies():
                lines = body.split(b"\n")
                for line in lines[1::2]:  # action, source, action, source, ...
                    # add_json ignores keys that are not in the schema.
                    flat = flatten(orjson.loads(line))
                    for source_path, targets in copies:
                        value = flat.get(source_path)
                        if value is not None:
                            for target in targets:
                                flat[target] = value
                    flat[SOURCE_FIELD] = b64(line).decode()
                    writer.add_json(orjson.dumps(flat).decode())
                    docs += 1
            add_seconds = time.perf_counter() - sw.wall0
            writer.commit()
            writer.wait_merging_threads()
        self.index.reload()
        source = spool.source_bytes
        disk = dir_bytes(self.path)
        return {
            "docs": docs,
            "seconds": sw.wall,
            "add_seconds": add_seconds,
            "commit_seconds": sw.wall - add_seconds,
            "docs_per_s": docs / sw.wall,
            "mb_per_s": source / sw.wall / 1e6,
            "cpu_seconds": sw.cpu,
            "docs_per_cpu_s": docs / sw.cpu if sw.cpu else None,
            "peak_rss_bytes": rss.peak,
            "peak_anon_rss_bytes": rss.peak_anon,
            "raw_bytes": source,
            "disk_bytes": disk,
            "disk_ratio": disk / source if source else None,
            "writer_heap_bytes": heap_size,
            "num_docs": self.index.searcher().num_docs,
        }

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class QueryContext:
    """Values the benchmark queries refer to (the data's end instant, a busy IP)."""

    end_ms: int
    hot_ip: str

    @property
    def last15_gte(self) -> str:
        return iso_millis(self.end_ms - 15 * 60_000)

    @property
    def day_gte(self) -> str:
        return iso_millis(self.end_ms - 86_400_000)

    @property
    def end(self) -> str:
        return iso_millis(self.end_ms)


TantivyQuery = Callable[[BaselineIndex, tantivy.Searcher, QueryContext], dict[str, Any]]


def _hits(
    bi: BaselineIndex,
    searcher: tantivy.Searcher,
    query: tantivy.Query,
) -> dict[str, Any]:
    """Top 10 by score with their ``_source`` fetched, plus the exact total."""
    result = searcher.search(query, 10, count=True)
    for _score, address in result.hits:
        searcher.doc(address).get_first(SOURCE_FIELD)
    return {"hits": result.count}


def _term(bi: BaselineIndex, s: tantivy.Searcher, ctx: QueryContext) -> dict[str, Any]:
    return _hits(bi, s, tantivy.Query.term_query(bi.schema, "action", "BLOCK"))


def _match(bi: BaselineIndex, s: tantivy.Searcher, ctx: QueryContext) -> dict[str, Any]:
    field = "httpRequest.headers.value"
    q = tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Should, tantivy.Query.term_query(bi.schema, field, "firefox")),
            (tantivy.Occur.Should, tantivy.Query.term_query(bi.schema, field, "linux")),
        ]
    )
    return _hits(bi, s, q)


def _phrase(bi: BaselineIndex, s: tantivy.Searcher, ctx: QueryContext) -> dict[str, Any]:
    q = tantivy.Query.boolean_query(
        [
            (
                tantivy.Occur.Must,
                tantivy.Query.phrase_query(bi.schema, "httpRequest.args", ["name", "badname"]),
            ),
            (tantivy.Occur.Must, tantivy.Query.term_query(bi.schema, "action", "BLOCK")),
        ]
    )
    return _hits(bi, s, q)


def _last15(bi: BaselineIndex, s: tantivy.Searcher, ctx: QueryContext) -> dict[str, Any]:
    q = tantivy.Query.range_query(
        bi.schema, "timestamp", tantivy.FieldType.Integer, ctx.end_ms - 15 * 60_000, ctx.end_ms
    )
    return {"hits": s.search(q, 1, count=True).count}


def _top_ips(bi: BaselineIndex, s: tantivy.Searcher, ctx: QueryContext) -> dict[str, Any]:
    aggs = {
        "ips": {
            "terms": {"field": "httpRequest.clientIp", "size": 10},
            "aggs": {"action": {"terms": {"field": "action"}}},
        }
    }
    buckets = s.aggregate(tantivy.Query.all_query(), aggs)["ips"]["buckets"]
    return {
        "top": buckets[0]["key"] if buckets else None,
        "top_count": buckets[0]["doc_count"] if buckets else 0,
    }


def _histogram(bi: BaselineIndex, s: tantivy.Searcher, ctx: QueryContext) -> dict[str, Any]:
    # The baseline keeps timestamps as i64 epoch millis: a 60000-wide histogram
    # is the same bucketing as a 1-minute date_histogram.
    q = tantivy.Query.range_query(
        bi.schema, "timestamp", tantivy.FieldType.Integer, ctx.end_ms - 86_400_000, ctx.end_ms
    )
    res = s.aggregate(q, {"m": {"histogram": {"field": "timestamp", "interval": 60_000}}})
    return {"buckets": len(res["m"]["buckets"])}


def _percentiles(bi: BaselineIndex, s: tantivy.Searcher, ctx: QueryContext) -> dict[str, Any]:
    res = s.aggregate(
        tantivy.Query.all_query(),
        {"rt": {"percentiles": {"field": "responseTimeMs", "percents": [50, 95, 99]}}},
    )
    return {"p50": res["rt"]["values"].get("50.0")}


def _cardinality(bi: BaselineIndex, s: tantivy.Searcher, ctx: QueryContext) -> dict[str, Any]:
    res = s.aggregate(
        tantivy.Query.all_query(), {"ips": {"cardinality": {"field": "httpRequest.clientIp"}}}
    )
    return {"value": res["ips"]["value"]}


#: Direct tantivy equivalents of the HTTP queries, by query name. The
#: multi-index pattern query has none: the baseline builds only the WAF index.
TANTIVY_QUERIES: dict[str, TantivyQuery] = {
    "term": _term,
    "match": _match,
    "phrase": _phrase,
    "last_15m_count": _last15,
    "top_ips_by_action": _top_ips,
    "date_histogram_1m_24h": _histogram,
    "percentiles": _percentiles,
    "cardinality": _cardinality,
}
