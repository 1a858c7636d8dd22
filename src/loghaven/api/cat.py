"""``_cat`` APIs: aligned text tables for people, ``format=json`` for scripts.

Every table goes through :func:`render`, which implements ``v``, ``h``, ``s``, ``bytes``,
``format`` and ``help`` the same way for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_response, param_bool, run, text_response
from loghaven.engine import templates
from loghaven.node import Node

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
           aliases: dict[str, str] | None = None) -> Response:
    params = request.query_params
    if param_bool(request, "help"):
        return text_response(request, "".join(f"{c} | | {c}\n" for c in columns))
    aliases = aliases or {}
    wanted = columns
    if params.get("h"):
        wanted = []
        for name in params["h"].split(","):
            name = aliases.get(name, name)
            wanted.extend(c for c in columns if c == name or ("*" in name and
                          __import__("fnmatch").fnmatchcase(c, name)))
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


def _node(request: Request) -> Node:
    return request.app.state.node


def _table(build: Callable[[Request], tuple[list[str], list[Row]]],
           aliases: dict[str, str] | None = None) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        columns, rows = await run(build, request)
        return render(request, columns, rows, aliases)

    return endpoint


def indices_table(request: Request) -> tuple[list[str], list[Row]]:
    node = _node(request)
    expression = request.path_params.get("index")
    targets = node.catalog.resolve(expression, expand_wildcards="all",
                                   include_closed_error=False)
    rows = []
    for target in targets:
        index = target.index
        is_open = index.state == "open"
        size = Bytes(index.size_bytes()) if is_open else None
        rows.append({
            "health": "green" if is_open else None,
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
    node = _node(request)
    now = time.time()
    shards = sum(1 for i in node.catalog.indices.values() if i.state == "open")
    row = {"epoch": int(now), "timestamp": time.strftime("%H:%M:%S", time.gmtime(now)),
           "cluster": node.config.cluster_name, "status": "green", "node.total": 1,
           "node.data": 1, "shards": shards, "pri": shards, "relo": 0, "init": 0,
           "unassign": 0, "pending_tasks": 0, "max_task_wait_time": "-",
           "active_shards_percent": "100.0%"}
    return list(row), [row]


def count_table(request: Request) -> tuple[list[str], list[Row]]:
    node = _node(request)
    targets = node.catalog.resolve(request.path_params.get("index"))
    now = time.time()
    total = sum(t.index.doc_count() for t in targets)
    row = {"epoch": int(now), "timestamp": time.strftime("%H:%M:%S", time.gmtime(now)),
           "count": total}
    return list(row), [row]


def aliases_table(request: Request) -> tuple[list[str], list[Row]]:
    node = _node(request)
    wanted = request.path_params.get("name")
    import fnmatch

    rows = []
    for index, aliases in sorted(node.catalog.aliases.items()):
        for alias, props in sorted(aliases.items()):
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
    node = _node(request)
    wanted = request.path_params.get("name")
    import fnmatch

    rows = []
    for kind in (templates.LEGACY, templates.COMPOSABLE):
        for name, template in node.metastore.list(kind).items():
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
]
