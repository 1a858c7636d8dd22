"""The pieces the built-in parsers' pipelines and templates share: ECS mappings written as
dotted paths, the geoip steps that enrich an address, and JSON-per-line record splitting.

Kept in one place so every parser maps ``source.geo.*`` or ``@timestamp`` the same way and a
dashboard built on one index works on the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from loghaven.engine.templates import BUILTIN_META
from loghaven.ingest.parsers.parser import Record, RecordError

#: A template's priority: low, so a user's own template for the same indices wins (and the
#: built-in one is a fallback anyway, engine/templates.py).
TEMPLATE_PRIORITY = 10

KEYWORD = {"type": "keyword", "ignore_above": 1024}
IP = {"type": "ip"}
DATE = {"type": "date"}
LONG = {"type": "long"}
DOUBLE = {"type": "double"}
TEXT = {"type": "text"}
#: Arbitrary JSON kept in ``_source`` without mapping its inner fields, so objects whose
#: shape differs from record to record can never cause a mapping conflict.
FLATTENED = {"type": "flattened"}

#: What the geoip steps of :func:`geoip` add under ``<prefix>``.
GEO_FIELDS = {
    "geo.country_iso_code": KEYWORD, "geo.country_name": KEYWORD,
    "geo.continent_code": KEYWORD, "geo.continent_name": KEYWORD,
    "as.number": LONG, "as.organization.name": KEYWORD,
}


def geoip(prefix: str, asn: bool = True) -> list[dict[str, Any]]:
    """Country (and AS organisation) of ``<prefix>.ip`` into ``<prefix>.geo.*`` and
    ``<prefix>.as.organization.name``; a missing, private or unknown address adds
    nothing and fails nothing."""
    steps: list[dict[str, Any]] = [{"geoip": {
        "field": f"{prefix}.ip", "target_field": f"{prefix}.geo", "ignore_missing": True,
        "database_file": "GeoLite2-Country.mmdb",
        "properties": ["country_iso_code", "country_name", "continent_code",
                       "continent_name"]}}]
    if asn:
        steps += [
            {"geoip": {"field": f"{prefix}.ip", "target_field": f"{prefix}.as",
                       "ignore_missing": True, "database_file": "GeoLite2-ASN.mmdb",
                       "properties": ["organization_name"]}},
            {"rename": {"field": f"{prefix}.as.organization_name",
                        "target_field": f"{prefix}.as.organization.name",
                        "ignore_missing": True}},
        ]
    return steps


def move(field: str, target: str) -> dict[str, Any]:
    """A ``rename`` of a field the record may lack."""
    return {"rename": {"field": field, "target_field": target, "ignore_missing": True}}


#: The first step of every parser's ``on_failure``: the record is indexed with the reason.
RECORD_ERROR = {"set": {"field": "error.message", "value": "{{ _ingest.on_failure_message }}"}}


def pipeline(description: str, processors: list[dict[str, Any]], *,
             on_failure: list[dict[str, Any]] | None = None,
             meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A parser's pipeline body: a record that fails a processor is still indexed, with
    ``error.message`` saying why (``on_failure``: more steps that say it)."""
    return {
        "description": description,
        "processors": processors,
        "on_failure": on_failure or [RECORD_ERROR],
        "_meta": {**BUILTIN_META, **(meta or {})},
    }


def properties(fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Nested mapping ``properties`` from ``{"dotted.path": spec}``."""
    root: dict[str, Any] = {}
    for path, spec in fields.items():
        node = root
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[leaf] = dict(spec)
    return root


def index_template(name: str, pattern: str, pipeline_id: str,
                   fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The template of a parser whose fields are given as dotted paths."""
    return template_body(pattern, pipeline_id, properties(fields),
                         {"description": f"Built-in template for the {name} parser"})


def template_body(pattern: str, pipeline_id: str, mapping: dict[str, Any],
                  meta: dict[str, Any]) -> dict[str, Any]:
    """A composable template for ``pattern`` whose default pipeline is ``pipeline_id`` and
    whose mapping ``properties`` are ``mapping``."""
    return {
        "index_patterns": [pattern],
        "priority": TEMPLATE_PRIORITY,
        "template": {
            "settings": {"index": {"default_pipeline": pipeline_id}},
            "mappings": {"properties": mapping},
        },
        "_meta": {**BUILTIN_META, **meta},
    }


def json_lines(lines: Iterable[bytes]) -> Iterator[Record]:
    """One JSON object per line (blank lines skipped); a line that is not one is a
    :class:`RecordError` naming its line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield RecordError(f"invalid JSON: {error}", number)
            continue
        if isinstance(record, dict):
            yield record
        else:
            yield RecordError("expected a JSON object", number)


def first_object(head: list[bytes]) -> dict[str, Any] | None:
    """The first non-blank line of ``head`` as a JSON object, or None."""
    for line in head:
        if line.strip():
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                return None
            return value if isinstance(value, dict) else None
    return None
