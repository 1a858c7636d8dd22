"""The ``_bulk`` API's input and output: NDJSON parsing into items, and an item's result.

A malformed line fails only its item; the others go through. The write service
(:mod:`loghaven.ingest.service`) writes the items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from loghaven.engine.documents_state import PRIMARY_TERM, WriteRequest, WriteResult
from loghaven.engine.ids import check_doc_id
from loghaven.engine.index import Index
from loghaven.errors import (
    ActionRequestValidation,
    IllegalArgument,
    LoghavenError,
    ParsingError,
    XContentParse,
)
from loghaven.params import expect_object, expect_string, parse_bool, parse_int, token_name

ACTIONS = ("index", "create", "update", "delete")
ACTION_KEYS = {"_index", "_id", "_type", "routing", "_routing", "if_seq_no", "if_primary_term",
               "version", "version_type", "op_type", "pipeline", "retry_on_conflict",
               "require_alias", "_source", "dynamic_templates", "require_data_stream"}
#: Action-line keys whose value may be an object or array; every other one is a plain value.
STRUCTURED_KEYS = {"_source", "dynamic_templates"}
#: Keys of an update's body (ES's ``UpdateRequest`` parser) and the JSON type each takes.
UPDATE_OBJECTS = ("doc", "upsert")
UPDATE_FLAGS = ("doc_as_upsert", "detect_noop", "scripted_upsert")
UPDATE_KEYS = {*UPDATE_OBJECTS, *UPDATE_FLAGS, "script", "_source", "_source_includes",
               "_source_excludes", "if_seq_no", "if_primary_term", "lang", "retry_on_conflict"}


@dataclass(slots=True)
class BulkItem:
    action: str
    index: str | None
    request: WriteRequest | None
    error: LoghavenError | None = None
    #: The ingest pipeline the item names (``None``: the index's default pipeline).
    pipeline: str | None = None
    #: ES 7's mapping type: the action line's ``_type``, else the URL's; echoed, not stored.
    doc_type: str | None = None


def parse_bulk(data: bytes, default_index: str | None,
               default_pipeline: str | None = None,
               default_type: str | None = None) -> list[BulkItem]:
    """Pair action and source lines; blank lines are skipped as Elasticsearch does.

    The defaults are the URL's (``/<index>[/<type>]/_bulk``, ``pipeline``); an action line's
    own ``_index``, ``_type`` and ``pipeline`` win."""
    lines = [line for line in data.split(b"\n") if line and not line.isspace()]
    items: list[BulkItem] = []
    #: Action lines repeat (``{"index":{}}`` before every document): each is read once.
    headers: dict[bytes, tuple[str, dict[str, Any]]] = {}
    position = 0
    while position < len(lines):
        line = lines[position]
        position += 1
        header = headers.get(line)
        if header is None:
            header = headers[line] = _action(line, position)
        action, meta = header
        index = meta.get("_index", default_index)
        doc_id = meta.get("_id")
        source: bytes | None = None
        if action != "delete":
            if position >= len(lines):
                raise IllegalArgument("The bulk request must be terminated by a newline [\\n]")
            source = lines[position]
            if source[-1:] == b"\r":
                source = source[:-1]
            position += 1
        item = _item(action, index, doc_id, meta, source)
        item.pipeline = meta.get("pipeline", default_pipeline)
        item.doc_type = meta.get("_type", default_type)
        items.append(item)
    _validate(items)
    return items


def _validate(items: list[BulkItem]) -> None:
    """ES's ``BulkRequest.validate``: an item without an index (none on the action line, none
    in the URL) fails the whole request before anything is written, with every item's
    validation errors listed in order (``Validation Failed: 1: index is missing;2: ...``)."""
    if all(item.index is not None for item in items):
        return
    errors: list[str] = []
    for item in items:
        if item.index is None:
            errors.append("index is missing")
            if item.action in ("update", "delete") and (
                    item.request is None or item.request.doc_id is None):
                errors.append("id is missing")
        elif item.error is not None and item.error.type == "action_request_validation_exception":
            errors.extend(part.split(": ", 1)[-1] for part in
                          item.error.reason.removeprefix("Validation Failed: ").split(";")
                          if part)
    raise ActionRequestValidation("Validation Failed: " + "".join(
        f"{number}: {error};" for number, error in enumerate(errors, 1)))


def _action(line: bytes, position: int) -> tuple[str, dict[str, Any]]:
    """An action/metadata line's action and parameters, checked as Elasticsearch does."""
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise IllegalArgument(
            f"Malformed action/metadata line [{position}], expected START_OBJECT but "
            f"found [{exc.msg}]") from exc
    if not isinstance(header, dict) or len(header) != 1:
        raise IllegalArgument(f"Malformed action/metadata line [{position}], expected a "
                              f"simple object with one action")
    (action, meta), = header.items()
    if action not in ACTIONS:
        raise IllegalArgument(f"Malformed action/metadata line [{position}], expected one "
                              f"of [create, delete, index, update] but found [{action}]")
    if not isinstance(meta, dict):
        raise IllegalArgument(f"Malformed action/metadata line [{position}]")
    unknown = meta.keys() - ACTION_KEYS
    if unknown:
        raise IllegalArgument(f"Action/metadata line [{position}] contains an unknown "
                              f"parameter [{sorted(unknown)[0]}]")
    checked: dict[str, Any] = {}
    for key, value in meta.items():
        if key in STRUCTURED_KEYS or value is None:
            checked[key] = value
        elif isinstance(value, (dict, list)):
            raise IllegalArgument(f"Malformed action/metadata line [{position}], expected a "
                                  f"simple value for field [{key}] but found "
                                  f"[{token_name(value)}]")
        elif key in ("if_seq_no", "if_primary_term", "version", "retry_on_conflict"):
            checked[key] = parse_int(value, key)
        elif key in ("require_alias", "require_data_stream"):
            checked[key] = parse_bool(value, key)
        else:
            checked[key] = expect_string(value, key, "bulk")
    return action, checked


def _item(action: str, index: str | None, doc_id: str | None, meta: dict[str, Any],
          source: bytes | None) -> BulkItem:
    if action == "index" and meta.get("op_type") == "create":
        action = "create"
    request = WriteRequest(
        op=action, doc_id=doc_id, source=source,
        if_seq_no=meta.get("if_seq_no"), if_primary_term=meta.get("if_primary_term"),
        version=meta.get("version"), version_type=meta.get("version_type"),
    )
    item = BulkItem(action, index, request)
    try:
        check_version_type(request.version_type)
        check_doc_id(doc_id, action)
    except LoghavenError as error:
        item.error = error
        return item
    if index is None:
        item.error = IllegalArgument("index is missing")
        item.error.type = "action_request_validation_exception"
        item.error.reason = "Validation Failed: 1: index is missing;"
        return item
    if action in ("update", "delete") and doc_id is None:
        item.error = IllegalArgument(f"Validation Failed: 1: id is missing for {action};",
                                     type="action_request_validation_exception")
        return item
    if action == "update":
        try:
            request.update = check_update_body(orjson.loads(source or b""))
        except orjson.JSONDecodeError as exc:
            item.error = ParsingError(f"Failed to parse update request: {exc}")
        except LoghavenError as error:
            item.error = error
        request.source = None
    return item


def check_version_type(value: str | None) -> str | None:
    if value not in (None, "internal", "external", "external_gte", "force"):
        raise IllegalArgument(f"No version type match [{value}]")
    return value


def check_update_body(body: Any) -> dict[str, Any]:
    """An ``_update`` body with each key of the JSON type ES's ``UpdateRequest`` takes."""
    if not isinstance(body, dict):
        raise ParsingError(f"Failed to parse update request: expected START_OBJECT but found "
                           f"[{token_name(body)}]")
    for key, value in body.items():
        if key not in UPDATE_KEYS:
            raise XContentParse(f"[UpdateRequest] unknown field [{key}]")
        if key in UPDATE_OBJECTS:
            expect_object(value, key, "UpdateRequest")
        elif key in UPDATE_FLAGS:
            parse_bool(value, key)
    return body


def result_body(index: Index, action: str, outcome: WriteResult | LoghavenError,
                doc_id: str | None) -> dict[str, Any]:
    """One ``items[]`` entry (and the single-document API response) in ES's shape."""
    if isinstance(outcome, LoghavenError):
        body: dict[str, Any] = {"_index": index.name, "_id": doc_id, "status": outcome.status,
                                "error": {**outcome.to_cause(), "index_uuid": index.uuid,
                                          "shard": "0", "index": index.name}}
        return body
    body = {
        "_index": index.name,
        "_id": outcome.doc_id,
        "_version": outcome.version,
        "result": outcome.result,
        "_shards": {"total": 2, "successful": 1, "failed": 0},
        "_seq_no": outcome.seq_no,
        "_primary_term": PRIMARY_TERM,
        "status": outcome.status,
    }
    if outcome.result == "noop":
        body["_shards"] = {"total": 0, "successful": 0, "failed": 0}
    if outcome.get is not None:
        body["get"] = outcome.get
    return body
