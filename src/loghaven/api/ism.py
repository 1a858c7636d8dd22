"""ISM's API under `_plugins/_ism` and `_opendistro/_ism` (lifecycle/ism/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from loghaven.api.http import (
    head_error,
    head_response,
    json_body,
    json_response,
    node_of,
    param_int,
    run,
    run_json,
    text_response,
)
from loghaven.errors import LoghavenError
from loghaven.lifecycle.ism.policy import DisallowedActions

PREFIXES = ("/_plugins/_ism", "/_opendistro/_ism")


async def put_policy(request: Request) -> Response:
    policy_id = request.path_params.get("policy_id", "")
    if_seq_no = param_int(request, "if_seq_no")
    if_primary_term = param_int(request, "if_primary_term")
    body = await json_body(request, required=True)
    ism = node_of(request).ism
    try:
        status, response = await run(lambda: ism.put_policy(
            policy_id, body, if_seq_no=if_seq_no, if_primary_term=if_primary_term))
    except DisallowedActions as exc:  # OpenSearch answers this one in plain text
        return text_response(request, exc.reason, status=exc.status)
    headers = {"Location": f"{PREFIXES[0]}/policies/{policy_id}"} if status == 201 else None
    return json_response(request, response, status=status, headers=headers)


async def get_policy(request: Request) -> Response:
    ism = node_of(request).ism
    policy_id = request.path_params["policy_id"]
    if request.method == "HEAD":
        try:
            await run(ism.get_policy, policy_id)
        except LoghavenError as exc:
            return head_error(exc)
        return head_response(200)
    return await run_json(request, lambda: ism.get_policy(policy_id))


async def search_policies(request: Request) -> Response:
    ism = node_of(request).ism
    params = dict(request.query_params)
    return await run_json(request, lambda: ism.search_policies(params))


async def delete_policy(request: Request) -> Response:
    ism = node_of(request).ism
    policy_id = request.path_params["policy_id"]
    return await run_json(request, lambda: ism.delete_policy(policy_id))


def _on_indices(operation: str, body: str | None) -> Callable[[Request],
                                                             Awaitable[Response]]:
    """The endpoint of an operation on the managed indices a path names (add, remove,
    change_policy, retry): ``body`` ``required``, ``optional`` or None (not read)."""
    async def endpoint(request: Request) -> Response:
        data = await json_body(request, required=body == "required") if body else None
        call = getattr(node_of(request).ism, operation)
        indices = request.path_params.get("index", "")
        return await run_json(request, lambda: call(indices, data) if body else call(indices))
    return endpoint


add = _on_indices("add", "optional")
remove = _on_indices("remove", None)
change_policy = _on_indices("change_policy", "required")
retry = _on_indices("retry", "optional")


async def explain(request: Request) -> Response:
    body = await json_body(request, required=True) if request.method == "POST" else None
    ism = node_of(request).ism
    indices = request.path_params.get("index")
    params = dict(request.query_params)
    return await run_json(request, lambda: ism.explain(indices, params, body))


routes: list[BaseRoute] = [route for prefix in PREFIXES for route in (
    Route(f"{prefix}/policies", search_policies, methods=["GET"]),
    Route(f"{prefix}/policies", put_policy, methods=["PUT"]),
    Route(f"{prefix}/policies/{{policy_id}}", get_policy, methods=["GET", "HEAD"]),
    Route(f"{prefix}/policies/{{policy_id}}", put_policy, methods=["PUT"]),
    Route(f"{prefix}/policies/{{policy_id}}", delete_policy, methods=["DELETE"]),
    Route(f"{prefix}/add", add, methods=["POST"]),
    Route(f"{prefix}/add/{{index}}", add, methods=["POST"]),
    Route(f"{prefix}/remove", remove, methods=["POST"]),
    Route(f"{prefix}/remove/{{index}}", remove, methods=["POST"]),
    Route(f"{prefix}/change_policy", change_policy, methods=["POST"]),
    Route(f"{prefix}/change_policy/{{index}}", change_policy, methods=["POST"]),
    Route(f"{prefix}/retry", retry, methods=["POST"]),
    Route(f"{prefix}/retry/{{index}}", retry, methods=["POST"]),
    Route(f"{prefix}/explain", explain, methods=["GET", "POST"]),
    Route(f"{prefix}/explain/{{index}}", explain, methods=["GET", "POST"]),
)]
