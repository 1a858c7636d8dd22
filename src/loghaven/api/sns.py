"""The SNS query API (2010-03-31) at ``POST /``: form-encoded ``Action=...`` requests, answered in
SNS's XML, so that boto3's SNS client with ``endpoint_url`` set to this node works unchanged
(hosted topics: notify/topics/).

Each Action is authorized as its own cluster action (``ACTIONS``), since the route's permission
cannot know which one a body asks for; errors are SNS's ``<ErrorResponse>`` with AWS's codes and
statuses (botocore's ``sns/2010-03-31/service-2.json``), authentication failures included.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from loghaven.api import auth
from loghaven.api.http import body_bytes, node_of, run
from loghaven.errors import AuthenticationRequired, LoghavenError, SecurityException
from loghaven.notify.topics.errors import TopicError, invalid_parameter
from loghaven.notify.topics.service import TopicService
from loghaven.security import context, sigv4

NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"
FORM = "application/x-www-form-urlencoded"
#: SNS's page size of ListTopics and the subscription listings.
PAGE = 100
_ACTION_PREFIX = "cluster:admin/loghaven/sns/"
_ENTRY = re.compile(r"MessageAttributes\.entry\.(\d+)\.(Name|Value\.DataType|Value\.StringValue|"
                    r"Value\.BinaryValue)")

Form = dict[str, str]
#: A handler gets the service, the form and the caller's name; it returns the inner XML of
#: ``<{Action}Result>``, or None for actions that answer only their ``ResponseMetadata``.
Handler = Callable[[TopicService, Form, str | None], str | None]


@dataclass(frozen=True)
class Action:
    permission: str
    handler: Handler


def _required(form: Form, name: str) -> str:
    value = form.get(name)
    if not value:
        raise invalid_parameter(f"{name} Reason: no value for required parameter")
    return value


def _element(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>"


def _page(form: Form, items: list[Any]) -> tuple[list[Any], str]:
    """One page of ``items`` after ``NextToken`` (an offset) and the next page's token."""
    token = form.get("NextToken") or "0"
    if not token.isdigit():
        raise invalid_parameter("NextToken")
    start = int(token)
    following = _element("NextToken", str(start + PAGE)) if start + PAGE < len(items) else ""
    return items[start:start + PAGE], following


def _create_topic(topics: TopicService, form: Form, owner: str | None) -> str:
    return _element("TopicArn", topics.create_topic(_required(form, "Name"), owner))


def _list_topics(topics: TopicService, form: Form, owner: str | None) -> str:
    page, following = _page(form, topics.topics())
    members = "".join(f"<member>{_element('TopicArn', arn)}</member>" for arn in page)
    return f"<Topics>{members}</Topics>{following}"


def _get_topic_attributes(topics: TopicService, form: Form, owner: str | None) -> str:
    attributes = topics.topic_attributes(_required(form, "TopicArn"))
    entries = "".join(f"<entry>{_element('key', k)}{_element('value', v)}</entry>"
                      for k, v in attributes.items())
    return f"<Attributes>{entries}</Attributes>"


def _delete_topic(topics: TopicService, form: Form, owner: str | None) -> None:
    topics.delete_topic(_required(form, "TopicArn"))


def _subscribe(topics: TopicService, form: Form, owner: str | None) -> str:
    arn = topics.subscribe(_required(form, "TopicArn"), _required(form, "Protocol"),
                           form.get("Endpoint", ""))
    return _element("SubscriptionArn", arn)


def _unsubscribe(topics: TopicService, form: Form, owner: str | None) -> None:
    topics.unsubscribe(_required(form, "SubscriptionArn"))


def _subscriptions(topics: TopicService, form: Form, topic_arn: str | None) -> str:
    page, following = _page(form, topics.subscriptions(topic_arn))
    members = "".join("<member>" + "".join(_element(k, v) for k, v in sub.items())
                      + "</member>" for sub in page)
    return f"<Subscriptions>{members}</Subscriptions>{following}"


def _publish(topics: TopicService, form: Form, owner: str | None) -> str:
    arn = form.get("TopicArn") or form.get("TargetArn")
    if not arn:
        raise invalid_parameter("TopicArn or TargetArn Reason: no value for required parameter")
    if "Message" not in form:
        raise invalid_parameter("Message Reason: no value for required parameter")
    message_id = topics.publish(arn, form["Message"], subject=form.get("Subject"),
                                attributes=message_attributes(form))
    return _element("MessageId", message_id)


def message_attributes(form: Form) -> dict[str, dict[str, str]]:
    """``MessageAttributes.entry.N.Name`` / ``.Value.DataType`` / ``.Value.StringValue`` /
    ``.Value.BinaryValue`` (base64) as ``{name: {"DataType", "StringValue"|"BinaryValue"}}``."""
    entries: dict[str, dict[str, str]] = {}
    for key, value in form.items():
        match = _ENTRY.fullmatch(key)
        if match:
            entries.setdefault(match.group(1), {})[match.group(2).removeprefix("Value.")] = value
    attributes: dict[str, dict[str, str]] = {}
    for entry in entries.values():
        name = entry.pop("Name", "")
        if not name:
            raise invalid_parameter("MessageAttributes: an entry has no Name")
        if "BinaryValue" in entry:
            try:
                base64.b64decode(entry["BinaryValue"], validate=True)
            except binascii.Error:
                raise invalid_parameter(f"MessageAttributes: the Binary value of {name} is "
                                        f"not base64") from None
        attributes[name] = entry
    return attributes


ACTIONS: dict[str, Action] = {
    "CreateTopic": Action(_ACTION_PREFIX + "topic/create", _create_topic),
    "ListTopics": Action(_ACTION_PREFIX + "topic/list", _list_topics),
    "GetTopicAttributes": Action(_ACTION_PREFIX + "topic/get", _get_topic_attributes),
    "DeleteTopic": Action(_ACTION_PREFIX + "topic/delete", _delete_topic),
    "Subscribe": Action(_ACTION_PREFIX + "subscription/create", _subscribe),
    "Unsubscribe": Action(_ACTION_PREFIX + "subscription/delete", _unsubscribe),
    "ListSubscriptionsByTopic": Action(
        _ACTION_PREFIX + "subscription/list",
        lambda topics, form, owner: _subscriptions(topics, form, _required(form, "TopicArn"))),
    "ListSubscriptions": Action(_ACTION_PREFIX + "subscription/list",
                                lambda topics, form, owner: _subscriptions(topics, form, None)),
    "Publish": Action(_ACTION_PREFIX + "publish", _publish),
}


async def endpoint(request: Request) -> Response:
    node = node_of(request)
    form = dict(parse_qsl((await body_bytes(request)).decode("utf-8", "replace"),
                          keep_blank_values=True))
    name = form.get("Action", "")
    action = ACTIONS.get(name)
    if action is None:
        raise TopicError("InvalidAction", f"The action {name} is not valid for this endpoint.")
    auth.require_cluster_action(request, node, action.permission)
    acting = context.current()
    owner = acting.subject.name if acting is not None else None
    result = await run(action.handler, node.topics, form, owner)
    inner = "" if result is None else f"<{name}Result>{result}</{name}Result>"
    request_id = str(uuid.uuid4())
    return Response(f'<{name}Response xmlns="{NAMESPACE}">{inner}<ResponseMetadata>'
                    f"<RequestId>{request_id}</RequestId></ResponseMetadata></{name}Response>",
                    media_type="text/xml", headers={"x-amzn-RequestId": request_id})


#: AWS's codes of a refused signature (statuses 403), by the reason sigv4.py gives.
_SIGNATURE_CODES = (("security token included in the request is invalid", "InvalidClientTokenId"),
                    ("signature we calculated does not match", "SignatureDoesNotMatch"),
                    ("Signature expired", "SignatureDoesNotMatch"))


def render_error(request: Request, error: LoghavenError) -> Response:
    """``<ErrorResponse>`` as SNS answers: AWS's code, ``Sender`` or ``Receiver``."""
    status, code, headers = error.status, "InvalidParameter", dict(error.headers)
    if isinstance(error, TopicError):
        code = error.code
    elif isinstance(error, AuthenticationRequired):
        if auth.scheme_of(request)[0] == sigv4.ALGORITHM.lower():
            status, headers = 403, {}
            code = next((c for text, c in _SIGNATURE_CODES if text in error.reason),
                        "IncompleteSignature")
        else:
            code = "MissingAuthenticationToken" if "missing" in error.reason \
                else "InvalidClientTokenId"
    elif isinstance(error, SecurityException):
        code = "AuthorizationError"
    elif status >= 500:
        code = "InternalError"
    fault = "Sender" if status < 500 else "Receiver"
    request_id = str(uuid.uuid4())
    return Response(f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{fault}</Type>'
                    f"{_element('Code', code)}{_element('Message', error.reason)}</Error>"
                    f"<RequestId>{request_id}</RequestId></ErrorResponse>", status_code=status,
                    media_type="text/xml", headers={**headers, "x-amzn-RequestId": request_id})
