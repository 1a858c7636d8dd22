"""``_cat`` APIs: aligned text tables for people, ``format=json`` for scripts.

Every table goes through :func:`render`, which implements ``v``, ``h``, ``s``, ``bytes``,
``format`` and ``help`` the same way for all of them.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_response, node_of, param_bool, run, text_response
from loghaven.api.nodes import ROLES, http_address, identity, served_plugins
from loghaven.engine import templates
from loghaven.engine.index import Index
from loghaven.engine.split import ENGINE_VERSION
from loghaven.node import COMPAT_VERSION
from loghaven.ops import host, stats

Row = dict[str, Any]
BYTE_UNITS = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}


class Bytes(int):
    """A byte count, printed human-readable unless ``bytes=`` picks a unit."""


def _human(value: int) -> str:
    size = float(value)
    for unit in ("b", "kb", "mb", "gb", "tb"):
        if size < 1024 or unit == "tb":
            return f"{int(size)}{unit}" if unit == "b" else f"{size:.1f}{unit}"
        size /= 1024
    return str(value)


def _cell(value: Any, unit: str | None) -> Any:
    if isinstance(value, Bytes):
        if unit in BYTE_UNITS:
            return str(int(value) // BYTE_UNITS[unit])
        return _human(int(value))
    return "" if value is None else value


def render(request: Request, columns: list[str], rows: list[Row],
           aliases: dict[str, str] | None = None, default: list[str] | None = None) -> Response:
    """The table of ``rows``: ``default`` columns (all if None) unless ``h`` picks others."""
    params = request.query_params
    if param_bool(request, "help"):
        return text_response(request, "".join(f"{c} | | {c}\n" for c in columns))
    aliases = aliases or {}
    wanted = default or columns
    if params.get("h"):
        wanted = []
        for name in params["h"].split(","):
            name = aliases.get(name, name)
            wanted.extend(c for c in columns if c == name or ("*" in name and
                          fnmatch.fnmatchcase(c, name)))
    for key in reversed([s for s in params.get("s", "").split(",") if s]):
        column, _, order = key.partition(":")
        column = aliases.get(column, column)
        rows.sort(key=lambda r, c=column: _sort_key(r.get(c)), reverse=order == "desc")
    unit = params.get("bytes")
    if params.get("format") == "json":
        return json_response(request, [{c: _json_cell(r.get(c), unit) for c in wanted}
                                       for r in rows])
    table = [[str(_cell(r.get(c), unit)) for c in wanted] for r in rows]
    if param_bool(request, "v"):
        table.insert(0, wanted)
    if not table:
        return text_response(request, "")
    widths = [max(len(row[i]) for row in table) for i in range(len(wanted))]
    lines = [" ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in table]
    return text_response(request, "\n".join(lines) + "\n")


def _json_cell(value: Any, unit: str | None) -> Any:
    if value is None:
        return None
    return str(_cell(value, unit))


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, str(value or ""))


def _table(build: Callable[[Request], tuple[list[str], list[Row]]],
           aliases: dict[str, str] | None = None,
           default: list[str] | None = None) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        columns, rows = await run(build, request)
        return render(request, columns, rows, aliases, default)

    return endpoint


def indices_table(request: Request) -> tuple[list[str], list[Row]]:
    node = node_of(request)
    expression = request.path_params.get("index")
    tier = expression[1:] if expression in ("_warm", "_hot") else None  # UltraWarm's
    targets = node.catalog.resolve(None if tier else expression, expand_wildcards="all",
                                   include_closed_error=False)
    if tier:
        targets = [t for t in targets if node.migrations.tier(t.index.name) == tier]
    rows = []
    for target in targets:
        index = target.index
        is_open = index.state == "open" and index.failure is None
        size = Bytes(index.size_bytes()) if is_open else None
        rows.append({
            "health": index.health if index.state == "open" else None,
            "status": index.state,
            "index": index.name,
            "uuid": index.uuid,
            "pri": "1",
            "rep": index.settings.flat["index.number_of_replicas"],
            "docs.count": index.doc_count() if is_open else None,
            "docs.deleted": 0 if is_open else None,
            "store.size": size,
            "pri.store.size": size,
            "creation.date": index.settings.flat.get("index.creation_date"),
        })
    health = request.query_params.get("health")
    if health:
        rows = [r for r in rows if r["health"] == health]
    return ["health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted",
            "store.size", "pri.store.size"] + (["creation.date"] if request.query_params.get(
                "h") else []), rows


def health_table(request: Request) -> tuple[list[str], list[Row]]:
    node = node_of(request)
    now = time.time()
    opened = [i for i in node.catalog.indices.values() if i.state == "open"]
    red = sum(1 for i in opened if i.failure is not None)
    shards = len(opened) - red
    row = {"epoch": int(now), "timestamp": time.strftime("%H:%M:%S", time.gmtime(now)),
           "cluster": node.config.cluster_name, "status": "red" if red else "green",
           "node.total": 1, "node.data": 1, "shards": shards, "pri": shards, "relo": 0,
           "init": 0, "unassign": red, "pending_tasks": 0, "max_task_wait_time": "-",
           "active_shards_percent": f"{100.0 * shards / len(opened) if opened else 100.0:.1f}%"}
    return list(row), [row]


def count_table(request: Request) -> tuple[list[str], list[Row]]:
    """A count search (ES's ``_cat/count`` runs one), so it sees what ``_count`` sees: only
    the documents document-level security lets the caller find, ``q=`` applied."""
    node = node_of(request)
    total = node.search_service.count(request.path_params.get("index"), {},
                                      request.query_params)["count"]
    now = time.time()
    row = {"epoch": int(now), "timestamp": time.strftime("%H:%M:%S", time.gmtime(now)),
           "count": total}
    return list(row), [row]


def aliases_table(request: Request) -> tuple[list[str], list[Row]]:
    node = node_of(request)
    wanted = request.path_params.get("name")
    rows = []
    visible = node.catalog.resolve(None, expand_wildcards="all", include_closed_error=False)
    for index in [t.index.name for t in visible]:
        for alias, props in sorted(node.catalog.aliases.get(index, {}).items()):
            if wanted and not any(fnmatch.fnmatchcase(alias, w) for w in wanted.split(",")):
                continue
            rows.append({
                "alias": alias, "index": index,
                "filter": "*" if props.get("filter") else "-",
                "routing.index": props.get("index_routing", props.get("routing", "-")),
                "routing.search": props.get("search_routing", props.get("routing", "-")),
                "is_write_index": str(props["is_write_index"]).lower()
                if "is_write_index" in props else "-",
            })
    return ["alias", "index", "filter", "routing.index", "routing.search", "is_write_index"], rows


def templates_table(request: Request) -> tuple[list[str], list[Row]]:
    node = node_of(request)
    wanted = request.path_params.get("name")
    rows = []
    for kind in (templates.LEGACY, templates.COMPOSABLE):
        for name, template in templates.find(node.metastore, kind, None).items():
            if wanted and not fnmatch.fnmatchcase(name, wanted):
                continue
            rows.append({
                "name": name,
                "index_patterns": "[" + ", ".join(template["index_patterns"]) + "]",
                "order": template.get("order", template.get("priority", 0)) or 0,
                "version": template.get("version"),
                "composed_of": "[" + ", ".join(template.get("composed_of", []) or []) + "]"
                if kind == templates.COMPOSABLE else "",
            })
    return ["name", "index_patterns", "order", "version", "composed_of"], rows


def duration_text(seconds: float) -> str:
    """A time span as ``_cat`` prints it (``42s``, ``3.5m``, ``2.1h``, ``1.2d``)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{int(seconds)}s"


NODE_COLUMNS = ["id", "pid", "ip", "port", "http_address", "version", "build", "jdk",
                "disk.total", "disk.used", "disk.avail", "disk.used_percent", "heap.current",
                "heap.percent", "heap.max", "ram.current", "ram.percent", "ram.max",
                "file_desc.current", "file_desc.percent", "file_desc.max", "cpu", "load_1m",
                "load_5m", "load_15m", "uptime", "node.role", "node.roles", "master",
                "cluster_manager", "name", "indexing.index_total", "indexing.index_time",
                "search.query_total", "search.query_time", "segments.count"]
NODE_DEFAULT = ["ip", "heap.percent", "ram.percent", "cpu", "load_1m", "load_5m", "load_15m",
                "node.role", "node.roles", "cluster_manager", "name"]
NODE_ALIASES = {"nodeId": "id", "i": "ip", "po": "port", "http": "http_address", "v": "version",
                "hc": "heap.current", "hp": "heap.percent", "hm": "heap.max",
                "rc": "ram.current", "rp": "ram.percent", "rm": "ram.max", "l": "load_1m",
                "u": "uptime", "r": "node.role", "role": "node.role", "m": "master",
                "n": "name", "disk": "disk.avail", "dt": "disk.total", "du": "disk.used",
                "dup": "disk.used_percent", "diskAvail": "disk.avail",
                "diskTotal": "disk.total", "diskUsed": "disk.used",
                "diskUsedPercent": "disk.used_percent", "fdc": "file_desc.current",
                "fdp": "file_desc.percent", "fdm": "file_desc.max"}


def nodes_table(request: Request) -> tuple[list[str], list[Row]]:
    """The one node, with the machine's and the process's figures (heap = resident memory)."""
    node = node_of(request)
    me = identity(request)
    os_now = host.os_stats()
    process = host.process_stats()
    memory = host.memory_stats()
    disk = host.fs_stats(node.config.data_dir)["total"]
    disk_used = disk["total_in_bytes"] - disk["available_in_bytes"]
    totals = stats.sum_stats([i for i in node.catalog.indices.values() if i.state == "open"],
                             ("indexing", "search", "segments"))
    load = os_now["cpu"]["load_average"]
    fds, max_fds = process["open_file_descriptors"], process["max_file_descriptors"]
    full_id = param_bool(request, "full_id")
    row = {
        "id": node.node_id if full_id else node.node_id[:4],
        "pid": os.getpid(),
        "ip": me["ip"], "port": node.config.port, "http_address": http_address(request),
        "version": COMPAT_VERSION, "build": node.version, "jdk": "",
        "disk.total": Bytes(disk["total_in_bytes"]), "disk.used": Bytes(disk_used),
        "disk.avail": Bytes(disk["available_in_bytes"]),
        "disk.used_percent": f"{100 * disk_used / disk['total_in_bytes']:.2f}"
        if disk["total_in_bytes"] else "",
        "heap.current": Bytes(memory["resident"]),
        "heap.percent": host.percent(memory["resident"], memory["machine_total"]),
        "heap.max": Bytes(memory["machine_total"]),
        "ram.current": Bytes(os_now["mem"]["used_in_bytes"]),
        "ram.percent": os_now["mem"]["used_percent"],
        "ram.max": Bytes(os_now["mem"]["total_in_bytes"]),
        "file_desc.current": fds, "file_desc.percent": host.percent(fds, max_fds),
        "file_desc.max": max_fds, "cpu": os_now["cpu"]["percent"],
        "load_1m": f"{load['1m']:.2f}" if load else "",
        "load_5m": f"{load['5m']:.2f}" if load else "",
        "load_15m": f"{load['15m']:.2f}" if load else "",
        "uptime": duration_text(time.time() - node.started),
        "node.role": "dimr", "node.roles": ",".join(ROLES), "master": "*",
        "cluster_manager": "*", "name": node.config.node_name,
        "indexing.index_total": totals["indexing"]["index_total"],
        "indexing.index_time": f"{totals['indexing']['index_time_in_millis']}ms",
        "search.query_total": totals["search"]["query_total"],
        "search.query_time": f"{totals['search']['query_time_in_millis']}ms",
        "segments.count": totals["segments"]["count"],
    }
    return NODE_COLUMNS, [row]


SHARD_COLUMNS = ["index", "shard", "prirep", "state", "docs", "store", "ip", "id", "node",
                 "segments.count", "indexing.index_total", "search.query_total",
                 "unassigned.reason", "unassigned.details"]
SHARD_DEFAULT = ["index", "shard", "prirep", "state", "docs", "store", "ip", "node"]
SHARD_ALIASES = {"i": "index", "idx": "index", "s": "shard", "sh": "shard", "p": "prirep",
                 "pr": "prirep", "primaryOrReplica": "prirep", "st": "state", "d": "docs",
                 "dc": "docs", "sto": "store", "n": "node", "sc": "segments.count",
                 "ur": "unassigned.reason", "ud": "unassigned.details"}


def _open_targets(request: Request) -> list[Index]:
    expression = request.path_params.get("index")
    return [t.index for t in node_of(request).catalog.resolve(expression, include_closed_error=False)
            if t.index.state == "open"]


def shards_table(request: Request) -> tuple[list[str], list[Row]]:
    """One started primary shard per open index, on this node."""
    node = node_of(request)
    ip = identity(request)["ip"]
    rows = []
    for index in _open_targets(request):
        if index.failure is not None:
            rows.append({"index": index.name, "shard": 0, "prirep": "p", "state": "UNASSIGNED",
                         "unassigned.reason": "ALLOCATION_FAILED",
                         "unassigned.details": index.failure})
            continue
        sections = stats.index_stats(index, ("docs", "store", "indexing", "search", "segments"))
        rows.append({
            "index": index.name, "shard": 0, "prirep": "p", "state": "STARTED",
            "docs": sections["docs"]["count"],
            "store": Bytes(sections["store"]["size_in_bytes"]), "ip": ip,
            "id": node.node_id, "node": node.config.node_name,
            "segments.count": sections["segments"]["count"],
            "indexing.index_total": sections["indexing"]["index_total"],
            "search.query_total": sections["search"]["query_total"],
        })
    return SHARD_COLUMNS, rows


SEGMENT_COLUMNS = ["index", "shard", "prirep", "ip", "id", "segment", "generation",
                   "docs.count", "docs.deleted", "size", "size.memory", "committed",
                   "searchable", "version", "compound"]
SEGMENT_DEFAULT = [c for c in SEGMENT_COLUMNS if c != "id"]


def segments_table(request: Request) -> tuple[list[str], list[Row]]:
    """Every committed tantivy segment of every split (generation counts them per index)."""
    node = node_of(request)
    ip = identity(request)["ip"]
    rows = []
    for index in _open_targets(request):
        segments = [s for split in index.searchable_splits() for s in split.segments()]
        for generation, segment in enumerate(segments):
            rows.append({
                "index": index.name, "shard": 0, "prirep": "p", "ip": ip, "id": node.node_id,
                "segment": segment.segment_id, "generation": generation,
                "docs.count": segment.num_docs, "docs.deleted": segment.num_deleted,
                "size": Bytes(segment.size_bytes), "size.memory": Bytes(0),
                "committed": "true", "searchable": "true", "version": ENGINE_VERSION,
                "compound": "false",
            })
    return SEGMENT_COLUMNS, rows


def plugins_table(request: Request) -> tuple[list[str], list[Row]]:
    """The OpenSearch plugins whose APIs this server answers."""
    name = node_of(request).config.node_name
    rows = [{"name": name, "component": component, "version": COMPAT_VERSION + ".0",
             "description": description}
            for component, description in served_plugins(request)]
    return ["name", "component", "version", "description"], rows


INDEX_ALIASES = {"i": "index", "idx": "index", "h": "health", "s": "status", "dc": "docs.count",
                 "ss": "store.size", "p": "pri", "r": "rep", "id": "uuid"}

routes = [
    Route("/_cat/indices", _table(indices_table, INDEX_ALIASES), methods=["GET"]),
    Route("/_cat/indices/{index}", _table(indices_table, INDEX_ALIASES), methods=["GET"]),
    Route("/_cat/health", _table(health_table), methods=["GET"]),
    Route("/_cat/count", _table(count_table), methods=["GET"]),
    Route("/_cat/count/{index}", _table(count_table), methods=["GET"]),
    Route("/_cat/aliases", _table(aliases_table), methods=["GET"]),
    Route("/_cat/aliases/{name}", _table(aliases_table), methods=["GET"]),
    Route("/_cat/templates", _table(templates_table), methods=["GET"]),
    Route("/_cat/templates/{name}", _table(templates_table), methods=["GET"]),
    Route("/_cat/nodes", _table(nodes_table, NODE_ALIASES, NODE_DEFAULT), methods=["GET"]),
    Route("/_cat/shards", _table(shards_table, SHARD_ALIASES, SHARD_DEFAULT), methods=["GET"]),
    Route("/_cat/shards/{index}", _table(shards_table, SHARD_ALIASES, SHARD_DEFAULT),
          methods=["GET"]),
    Route("/_cat/segments", _table(segments_table, default=SEGMENT_DEFAULT), methods=["GET"]),
    Route("/_cat/segments/{index}", _table(segments_table, default=SEGMENT_DEFAULT),
          methods=["GET"]),
    Route("/_cat/plugins", _table(plugins_table, default=["name", "component", "version"]),
          methods=["GET"]),
]
