"""HEC request bodies → documents: Splunk's JSON event protocol and raw line breaking.

``/services/collector/event`` takes one JSON object per event, several concatenated in one
body (with or without whitespace between them), each with ``event`` and optional ``time``
(epoch seconds, fractional, number or string), ``host``, ``source``, ``sourcetype``,
``index`` and ``fields`` (indexed fields). ``/services/collector/raw`` takes text: lines
broken on newlines (Splunk's default ``LINE_BREAKER``), blank lines skipped, the metadata
from the query string.

The document of an event (ECS keeps ``host`` and ``source`` for objects, so Splunk's
metadata goes under ``splunk.``)::

    {"@timestamp": <time, else arrival>, "message": <a string event>,
     ...<an object event's fields>, ...<indexed fields, unless a name is taken>,
     "splunk": {"host", "source", "sourcetype", "index", "fields": <the colliding ones>}}

As Splunk does, a bad event ends the batch: the events before it are indexed, the answer is
its code with ``invalid-event-number`` (0-based).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from loghaven.hec.errors import (
    EVENT_BLANK,
    EVENT_REQUIRED,
    INCORRECT_INDEX,
    INDEXED_FIELDS,
    INVALID_DATA_FORMAT,
    HecError,
)
from loghaven.security.wildcards import Matcher

#: The index of events that name none, on a token without a default (Splunk's).
DEFAULT_INDEX = "main"
METADATA = ("host", "source", "sourcetype")
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


@dataclass(frozen=True)
class Defaults:
    """What an event that names no metadata gets: the query string's, else the token's."""

    host: str | None = None
    source: str | None = None
    sourcetype: str | None = None
    index: str | None = None
    #: Epoch seconds (the raw endpoint's ``time`` parameter), else the arrival time.
    time: float | None = None
    #: The token's allowed indexes (empty: any).
    indexes: tuple[str, ...] = ()

    @cached_property
    def _matcher(self) -> Matcher:
        return Matcher(list(self.indexes))

    def allows(self, index: str) -> bool:
        return not self.indexes or self._matcher(index)


@dataclass
class Parsed:
    """The documents of the events before the first bad one (by index name), and the bad
    one's refusal if there was one."""

    documents: list[tuple[str, dict[str, Any]]]
    error: HecError | None = None


def json_objects(data: bytes) -> Iterator[Any]:
    """The JSON values concatenated in ``data``; a ValueError where one does not parse.
    Lines are tried first (most senders put one event per line), the stream otherwise."""
    lines = data.split(b"\n")
    values: list[Any] = []
    try:
        values = [orjson.loads(line) for line in lines if line.strip()]
    except orjson.JSONDecodeError:
        pass
    else:
        yield from values
        return
    text = data.decode("utf-8", "replace")
    position = 0
    while True:
        while position < len(text) and text[position] in _SPACE:
            position += 1
        if position >= len(text):
            return
        value, position = _DECODER.raw_decode(text, position)
        yield value


def parse_events(data: bytes, defaults: Defaults, arrival: float) -> Parsed:
    """``/event``'s body as documents (HecError codes 6, 7, 12, 13, 15 for the bad event)."""
    parsed = Parsed([])
    try:
        for number, value in enumerate(json_objects(data)):
            parsed.documents.append(_document(value, number, defaults, arrival))
    except ValueError:  # JSONDecodeError: the event being read is the bad one
        parsed.error = HecError(INVALID_DATA_FORMAT, event=len(parsed.documents))
    except HecError as error:
        parsed.error = error
    return parsed


def parse_raw(data: bytes, defaults: Defaults, arrival: float) -> Parsed:
    """``/raw``'s body: one event per non-blank line, its text the ``message``."""
    index = _index(None, defaults, 0)
    timestamp = _timestamp(defaults.time if defaults.time is not None else arrival, 0)
    splunk = _metadata({}, defaults, index)
    documents = [(index, {"@timestamp": timestamp, "message": line.rstrip("\r"),
                          "splunk": dict(splunk)})
                 for line in data.decode("utf-8", "replace").split("\n")
                 if line.strip()]
    return Parsed(documents)


def _document(value: Any, number: int, defaults: Defaults,
              arrival: float) -> tuple[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise HecError(INVALID_DATA_FORMAT, event=number)
    if value.get("event") is None:
        raise HecError(EVENT_REQUIRED, event=number)
    event = value["event"]
    if isinstance(event, str) and not event.strip():
        raise HecError(EVENT_BLANK, event=number)
    for name in (*METADATA, "index"):
        if value.get(name) is not None and not isinstance(value[name], str):
            raise HecError(INVALID_DATA_FORMAT, event=number)
    index = _index(value.get("index"), defaults, number)
    if "time" in value and value["time"] is not None:
        timestamp = _timestamp(_seconds(value["time"], number), number)
    else:
        timestamp = None
    document: dict[str, Any]
    if isinstance(event, dict):
        document = dict(event)
    else:
        document = {"message": event if isinstance(event, str)
                    else orjson.dumps(event).decode()}
    if timestamp is not None or "@timestamp" not in document:
        document["@timestamp"] = timestamp or _timestamp(
            defaults.time if defaults.time is not None else arrival, number)
    splunk = _metadata(value, defaults, index)
    fields = value.get("fields")
    if fields is not None:
        for name, field in _indexed_fields(fields, number).items():
            if name in document or name == "splunk":
                splunk.setdefault("fields", {})[name] = field
            else:
                document[name] = field
    if isinstance(document.get("splunk"), dict):
        document["splunk"] = {**document["splunk"], **splunk}
    else:
        document["splunk"] = splunk
    return index, document


def _metadata(value: Mapping[str, Any], defaults: Defaults, index: str) -> dict[str, Any]:
    splunk: dict[str, Any] = {}
    for name in METADATA:
        found = value.get(name) or getattr(defaults, name)
        if found:
            splunk[name] = found
    splunk["index"] = index
    return splunk


def _index(named: str | None, defaults: Defaults, number: int) -> str:
    index = named or defaults.index or DEFAULT_INDEX
    if not defaults.allows(index):
        raise HecError(INCORRECT_INDEX, event=number)
    return index


def _seconds(value: Any, number: int) -> float:
    """Splunk's ``time``: epoch seconds, a number or a numeric string."""
    if isinstance(value, bool):
        raise HecError(INVALID_DATA_FORMAT, event=number)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise HecError(INVALID_DATA_FORMAT, event=number) from None


def seconds_param(value: str | None) -> float | None:
    """The ``time`` query parameter, or None (refused as invalid data when not a number)."""
    return None if value is None else _seconds(value, 0)


def _timestamp(seconds: float, number: int) -> str:
    """ISO 8601 in UTC with milliseconds (what ``date`` mappings read without a format)."""
    try:
        moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise HecError(INVALID_DATA_FORMAT, event=number) from None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _indexed_fields(fields: Any, number: int) -> dict[str, Any]:
    """Splunk's indexed fields: an object of strings or numbers, or arrays of them."""
    if not isinstance(fields, dict):
        raise HecError(INDEXED_FIELDS, event=number)
    for value in fields.values():
        items = value if isinstance(value, list) else [value]
        if any(isinstance(item, (dict, list)) for item in items):
            raise HecError(INDEXED_FIELDS, event=number)
    return fields
