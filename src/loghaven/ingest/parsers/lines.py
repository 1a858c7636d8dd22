"""What the line-based parsers (ALB, CloudFront, syslog, Apache/Nginx) share.

Each line of such a file is one document ``{"message": "<the line>"}``; all the parsing is in
the pipeline, so lines that arrive another way (``_bulk?pipeline=loghaven-clf``, a stream)
parse the same. A line the pipeline cannot read is kept, not failed: the pipeline's
``on_failure`` leaves the line in ``event.original`` and says why in ``error.message``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from loghaven.ingest.parsers import ecs
from loghaven.ingest.parsers.ecs import DATE, DOUBLE, IP, KEYWORD, LONG, TEXT
from loghaven.ingest.parsers.parser import Record


def text_of(line: bytes) -> str:
    """A line without its terminator or a leading byte order mark (files saved on
    Windows), as text; bytes that are not UTF-8 become U+FFFD, so binary junk still makes a
    document."""
    return line.rstrip(b"\r\n").decode("utf-8", errors="replace").removeprefix("\ufeff")


def line_records(lines: Iterable[bytes],
                 skip: Callable[[str], bool] = lambda text: False) -> Iterator[Record]:
    """One ``{"message": line}`` per line that is neither blank nor a header (``skip``)."""
    for line in lines:
        text = text_of(line)
        if text.strip() and not skip(text):
            yield {"message": text}


def head_texts(head: list[bytes]) -> list[str]:
    """The non-blank lines of a file's head, for sniffing (the last may be cut short)."""
    return [text for text in map(text_of, head) if text.strip()]


def file_name(name: str) -> str:
    """The last part of a path or S3 key, without ``.gz``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".gz") else base


def most_match(pattern: re.Pattern[str], texts: list[str]) -> bool:
    """Whether the head has lines and most of them (all but a cut-off last one, or one odd
    line in four) match ``pattern``."""
    if not texts:
        return False
    hits = sum(1 for text in texts if pattern.match(text))
    return hits >= max(1, (len(texts) * 3 + 3) // 4)


def keep_original() -> dict[str, Any]:
    """The first processor: the line moves to ``event.original`` (ECS), where it stays."""
    return {"rename": {"field": "message", "target_field": "event.original",
                       "ignore_missing": True}}


def on_failure() -> list[dict[str, Any]]:
    """The pipeline's handler: the document is indexed with its line and the reason."""
    return [
        ecs.RECORD_ERROR,
        {"set": {"field": "event.kind", "value": "pipeline_error"}},
        DROP_TMP,
    ]


def pipeline(description: str, parser: str, processors: list[dict[str, Any]]
             ) -> dict[str, Any]:
    return ecs.pipeline(description, processors, on_failure=on_failure(),
                        meta={"parser": parser})


#: The last processor: the pipeline's scratch fields go.
DROP_TMP = {"remove": {"field": "_tmp", "ignore_missing": True}}


def client_enrichment() -> list[dict[str, Any]]:
    """The web formats' last steps: the client's country (private and reserved addresses
    get nothing, and no failure), the parsed user agent, the scratch fields dropped."""
    return [
        {"geoip": {"field": "source.ip", "target_field": "source.geo", "ignore_missing": True}},
        {"user_agent": {"field": "user_agent.original", "target_field": "user_agent",
                        "ignore_missing": True}},
        DROP_TMP,
    ]


def tls_version(field: str) -> list[dict[str, Any]]:
    """``TLSv1.2`` in ``field`` as ECS's ``tls.version`` (``1.2``) and
    ``tls.version_protocol`` (``tls``); anything else is left alone."""
    return [
        {"grok": {"field": field, "ignore_missing": True, "ignore_failure": True,
                  "patterns": [r"^%{TLS_PROTOCOL:tls.version_protocol}v%{TLS_VERSION:tls.version}$"],
                  "pattern_definitions": {"TLS_PROTOCOL": "TLS|SSL", "TLS_VERSION": r"[0-9.]+"}}},
        {"lowercase": {"field": "tls.version_protocol", "ignore_missing": True}},
    ]


def split_list(field: str, separator: str) -> dict[str, Any]:
    return {"split": {"field": field, "separator": separator, "ignore_missing": True}}


#: ECS keeps the raw event unindexed; it is there to be read back, not searched.
ORIGINAL = {"type": "keyword", "index": False, "doc_values": False}


SECONDS = {"properties": {"sec": DOUBLE}}


def source_properties() -> dict[str, Any]:
    """``source``: the client as given, its address, port and country."""
    geo = ("country_iso_code", "country_name", "continent_code", "continent_name")
    return {"properties": {"address": KEYWORD, "ip": IP, "port": LONG,
                           "geo": {"properties": {name: KEYWORD for name in geo}}}}


def user_agent_properties() -> dict[str, Any]:
    return {"properties": {
        "original": {**KEYWORD, "fields": {"text": TEXT}}, "name": KEYWORD,
        "version": KEYWORD, "device": {"properties": {"name": KEYWORD}},
        "os": {"properties": {"name": KEYWORD, "version": KEYWORD, "full": KEYWORD}}}}


def template(parser: str, index: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The composable template for ``<index>-*``: the pipeline runs by default and the
    parsed fields get their types (``properties`` as nested ``properties`` objects)."""
    common = {
        "@timestamp": DATE,
        "event": {"properties": {"original": ORIGINAL, "kind": KEYWORD}},
        "error": {"properties": {"message": TEXT}},
    }
    return ecs.template_body(f"{index}-*", f"loghaven-{parser}", _merge(common, properties),
                             {"parser": parser})


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = dict(left)
    for key, value in right.items():
        if key in merged and "properties" in merged[key] and "properties" in value:
            merged[key] = {"properties": _merge(merged[key]["properties"],
                                                value["properties"])}
        else:
            merged[key] = value
    return merged
