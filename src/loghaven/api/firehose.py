"""The Firehose API (2015-08-04) at ``POST /``: AWS's JSON 1.1 protocol
(``X-Amz-Target: Firehose_20150804.<Operation>``, ``Content-Type:
application/x-amz-json-1.1``), so that boto3's ``firehose`` client, the AWS CLI and the Kinesis
agents with their endpoint set to this node work unchanged (delivery streams: streams/).

Each operation is authorized as its own cluster action (``OPERATIONS``), since the route's
permission cannot know which one a body asks for, and runs ``node.streams`` (the bodies are
Firehose's JSON both ways). Errors are JSON 1.1's ``{"__type": code, "message": ...}`` with
``x-amzn-RequestId``, the guard's authentication and authorization failures included, with the
codes and statuses AWS's JSON services answer them with.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from loghaven.api import auth
from loghaven.api.http import json_body, node_of, run
from loghaven.errors import (
    AuthenticationRequired,
    ContentTooLarge,
    LoghavenError,
    ParsingError,
    SecurityException,
)
from loghaven.security import context, sigv4
from loghaven.streams.errors import FirehoseError
from loghaven.streams.service import StreamService

TARGET_PREFIX = "Firehose_20150804."
JSON_11 = "application/x-amz-json-1.1"
_ACTION_PREFIX = "cluster:admin/loghaven/firehose/"

#: An operation gets the service, the request body and the caller's name; it returns the
#: response body.
Handler = Callable[[StreamService, dict[str, Any], str | None], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    permission: str
    handler: Handler


OPERATIONS: dict[str, Operation] = {
    "CreateDeliveryStream": Operation(_ACTION_PREFIX + "stream/create",
                                      lambda streams, body, owner: streams.create(body, owner)),
    "DescribeDeliveryStream": Operation(_ACTION_PREFIX + "stream/get",
                                        lambda streams, body, owner: streams.describe(body)),
    "ListDeliveryStreams": Operation(_ACTION_PREFIX + "stream/list",
                                     lambda streams, body, owner: streams.list(body)),
    "DeleteDeliveryStream": Operation(_ACTION_PREFIX + "stream/delete",
                                      lambda streams, body, owner: streams.delete(body)),
    "PutRecord": Operation(_ACTION_PREFIX + "put",
                           lambda streams, body, owner: streams.put_record(body)),
    "PutRecordBatch": Operation(_ACTION_PREFIX + "put",
                                lambda streams, body, owner: streams.put_record_batch(body)),
}


def accepts(request: Request) -> bool:
    """Whether a request is this protocol's: any ``X-Amz-Target`` (the only JSON 1.1 service
    here is Firehose; another's target is answered as an unknown operation)."""
    return "x-amz-target" in request.headers


async def endpoint(request: Request) -> Response:
    node = node_of(request)
    target = request.headers.get("x-amz-target", "")
    operation = OPERATIONS.get(target.removeprefix(TARGET_PREFIX)) \
        if target.startswith(TARGET_PREFIX) else None
    if operation is None:
        raise FirehoseError("UnknownOperationException",
                            f"The operation {target!r} is not known to Firehose_20150804.")
    body = await json_body(request)
    auth.require_cluster_action(request, node, operation.permission)
    acting = context.current()
    owner = acting.subject.name if acting is not None else None
    result = await run(operation.handler, node.streams, body, owner)
    request_id = str(uuid.uuid4())
    return Response(orjson.dumps(result), media_type=JSON_11,
                    headers={"x-amzn-RequestId": request_id})


#: AWS's codes of a refused signature, by the reason sigv4.py gives.
_SIGNATURE_CODES = (("security token included in the request is invalid",
                     "UnrecognizedClientException"),
                    ("signature we calculated does not match", "InvalidSignatureException"),
                    ("Signature expired", "InvalidSignatureException"))


def render_error(request: Request, error: LoghavenError) -> Response:
    """JSON 1.1's error: AWS's code in ``__type``, its message, its status (400 for the
    caller's errors, authentication and authorization included, as AWS's JSON services
    answer them; 413 for a body over the bound, without a code, as AWS's front end does)."""
    status, code = error.status, "InvalidArgumentException"
    if isinstance(error, FirehoseError):
        code = error.code
    elif isinstance(error, AuthenticationRequired):
        status = 400
        if auth.scheme_of(request)[0] == sigv4.ALGORITHM.lower():
            code = next((c for text, c in _SIGNATURE_CODES if text in error.reason),
                        "IncompleteSignatureException")
        else:
            code = "MissingAuthenticationTokenException" if "missing" in error.reason \
                else "UnrecognizedClientException"
    elif isinstance(error, SecurityException):
        status, code = 400, "AccessDeniedException"
    elif isinstance(error, ParsingError):
        code = "SerializationException"
    elif isinstance(error, ContentTooLarge):
        code = ""
    elif status >= 500:
        code = "InternalFailure"
    body: dict[str, str] = {"__type": code, "message": error.reason} if code \
        else {"message": error.reason}
    request_id = str(uuid.uuid4())
    return Response(orjson.dumps(body), status_code=status, media_type=JSON_11,
                    headers={"x-amzn-RequestId": request_id})
