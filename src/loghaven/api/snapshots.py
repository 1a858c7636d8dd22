"""The `_snapshot` API and `_cat/snapshots`, `_cat/repositories` (lifecycle/snapshots/)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from loghaven.api.cat import duration_text, render
from loghaven.api.http import json_body, node_of, param_bool, run, run_json


async def put_repository(request: Request) -> Response:
    body = await json_body(request, required=True)
    name = request.path_params["repository"]
    verify = param_bool(request, "verify", True)
    return await run_json(request, lambda: node_of(request).snapshots.put_repository(
        name, body, verify=verify))


async def get_repositories(request: Request) -> Response:
    names = request.path_params.get("repository")
    return await run_json(request, lambda: node_of(request).snapshots.get_repositories(names))


async def delete_repository(request: Request) -> Response:
    names = request.path_params["repository"]
    return await run_json(request, lambda: node_of(request).snapshots.delete_repository(names))


async def verify_repository(request: Request) -> Response:
    name = request.path_params["repository"]
    return await run_json(request, lambda: node_of(request).snapshots.verify_repository(name))


async def cleanup_repository(request: Request) -> Response:
    name = request.path_params["repository"]
    return await run_json(request, lambda: node_of(request).snapshots.cleanup_repository(name))


async def create(request: Request) -> Response:
    body = await json_body(request)
    params = request.path_params
    wait = param_bool(request, "wait_for_completion")
    return await run_json(request, lambda: node_of(request).snapshots.create(
        params["repository"], params["snapshot"], body, wait_for_completion=wait))


async def get(request: Request) -> Response:
    params = request.path_params
    query = dict(request.query_params)
    return await run_json(request, lambda: node_of(request).snapshots.get(
        params["repository"], params["snapshot"], query))


async def status(request: Request) -> Response:
    params = request.path_params
    query = dict(request.query_params)
    return await run_json(request, lambda: node_of(request).snapshots.status(
        params.get("repository"), params.get("snapshot"), query))


async def delete(request: Request) -> Response:
    params = request.path_params
    return await run_json(request, lambda: node_of(request).snapshots.delete(
        params["repository"], params["snapshot"]))


async def restore(request: Request) -> Response:
    body = await json_body(request)
    params = request.path_params
    wait = param_bool(request, "wait_for_completion")
    return await run_json(request, lambda: node_of(request).snapshots.restore(
        params["repository"], params["snapshot"], body, wait_for_completion=wait))


SNAPSHOT_COLUMNS = ["id", "repository", "status", "start_epoch", "start_time", "end_epoch",
                    "end_time", "duration", "indices", "successful_shards", "failed_shards",
                    "total_shards", "reason"]
SNAPSHOT_DEFAULT = [c for c in SNAPSHOT_COLUMNS if c not in ("repository", "reason")]
SNAPSHOT_ALIASES = {"snapshot": "id", "re": "repository", "s": "status", "ste": "start_epoch",
                    "sti": "start_time", "ete": "end_epoch", "eti": "end_time", "dur": "duration",
                    "i": "indices", "ss": "successful_shards", "fs": "failed_shards",
                    "ts": "total_shards", "r": "reason"}


async def cat_snapshots(request: Request) -> Response:
    repository = request.path_params.get("repository") or request.query_params.get(
        "repository")

    def rows() -> list[dict[str, Any]]:
        table = node_of(request).snapshots.snapshots_table(repository)
        for row in table:
            row["duration"] = duration_text(row["duration"] / 1000)
        return table

    return render(request, SNAPSHOT_COLUMNS, await run(rows), SNAPSHOT_ALIASES,
                  SNAPSHOT_DEFAULT)


async def cat_repositories(request: Request) -> Response:
    rows = await run(node_of(request).snapshots.repositories_table)
    return render(request, ["id", "type"], rows, {"repoId": "id", "t": "type"})


routes: list[BaseRoute] = [
    Route("/_snapshot", get_repositories, methods=["GET"]),
    Route("/_snapshot/_status", status, methods=["GET"]),
    Route("/_snapshot/{repository}", get_repositories, methods=["GET"]),
    Route("/_snapshot/{repository}", put_repository, methods=["PUT", "POST"]),
    Route("/_snapshot/{repository}", delete_repository, methods=["DELETE"]),
    Route("/_snapshot/{repository}/_verify", verify_repository, methods=["POST"]),
    Route("/_snapshot/{repository}/_cleanup", cleanup_repository, methods=["POST"]),
    Route("/_snapshot/{repository}/_status", status, methods=["GET"]),
    Route("/_snapshot/{repository}/{snapshot}", create, methods=["PUT", "POST"]),
    Route("/_snapshot/{repository}/{snapshot}", get, methods=["GET"]),
    Route("/_snapshot/{repository}/{snapshot}", delete, methods=["DELETE"]),
    Route("/_snapshot/{repository}/{snapshot}/_status", status, methods=["GET"]),
    Route("/_snapshot/{repository}/{snapshot}/_restore", restore, methods=["POST"]),
    Route("/_cat/snapshots", cat_snapshots, methods=["GET"]),
    Route("/_cat/snapshots/{repository}", cat_snapshots, methods=["GET"]),
    Route("/_cat/repositories", cat_repositories, methods=["GET"]),
]
