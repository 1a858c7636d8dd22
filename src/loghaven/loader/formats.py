"""How a source's lines become records: ndjson, a JSON array (or one JSON object), or a
built-in parser by name; without ``--format``, detected per file from its name and first
lines (the parsers' ``sniff`` first, then ndjson or JSON by the first line).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson

from loghaven.ingest.parsers import PARSERS, Parser, Record, RecordError, detect
from loghaven.ingest.parsers.ecs import json_lines

#: How much of a file detection looks at (the parsers' ``sniff`` contract).
HEAD_BYTES = 64 * 1024
PLAIN = ("ndjson", "json")


def names() -> list[str]:
    """Every ``--format`` value."""
    return [*PLAIN, *PARSERS]


@dataclass(frozen=True)
class Format:
    """The way one file is read: ``parser`` is set for the built-in log formats."""

    name: str
    parser: Parser | None = None

    def records(self, lines: Iterable[bytes]) -> Iterator[Record]:
        if self.parser is not None:
            return self.parser.records(lines)
        if self.name == "json":
            return json_records(lines)
        return json_lines(lines)


def named(name: str) -> Format:
    if name in PLAIN:
        return Format(name)
    return Format(name, PARSERS[name])


def peek(lines: Iterator[bytes]) -> tuple[list[bytes], Iterator[bytes]]:
    """The first lines (up to about :data:`HEAD_BYTES`) and all the lines, those included."""
    head: list[bytes] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if size >= HEAD_BYTES:
            break
    return head, itertools.chain(head, lines)


def detected(name: str, head: list[bytes]) -> Format:
    parser = detect(name, head)
    if parser is not None:
        return Format(parser.name, parser)
    first = next((line.strip() for line in head if line.strip()), b"")
    if first.startswith(b"["):
        return Format("json")
    if first.startswith(b"{"):
        try:
            orjson.loads(first)
        except orjson.JSONDecodeError:  # an object over several lines
            return Format("json")
    return Format("ndjson")


def json_records(lines: Iterable[bytes]) -> Iterator[Record]:
    """A JSON array of objects (each a record) or a single object (one record)."""
    data = b"".join(lines)
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        yield RecordError(f"the file is not a JSON array or object: {error}", 1)
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            yield item
        else:
            kind = _JSON_TYPES.get(type(item), "value")
            yield RecordError(f"an array item is a JSON {kind}, not an object")


_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}
