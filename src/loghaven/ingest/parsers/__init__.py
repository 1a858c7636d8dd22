"""The built-in log parsers (one module per format) and what the node installs for them.

At start the node stores each parser's pipeline and index template unless the user already
has one of that name (``ingest.parsers.install: false`` turns this off), so a user may change
or replace them; a deleted one comes back at the next start, as ES's built-in templates do.
"""

from __future__ import annotations

import logging

from loghaven.engine import templates
from loghaven.ingest.parsers.parser import Parser, Record, RecordError
from loghaven.ingest.pipeline.store import PipelineStore
from loghaven.storage.metastore import Metastore

__all__ = ["PARSERS", "Parser", "Record", "RecordError", "detect", "install"]

log = logging.getLogger(__name__)

#: Every parser by its ``--format`` name, in detection order (most specific first).
PARSERS: dict[str, Parser] = {}


def register(parser: Parser) -> Parser:
    PARSERS[parser.name] = parser
    return parser


def detect(name: str, head: list[bytes]) -> Parser | None:
    """The first parser whose ``sniff`` accepts the file, or None (then it is ndjson or a
    JSON array, which ``loghaven ingest`` tells apart itself)."""
    return next((p for p in PARSERS.values() if p.sniff(name, head)), None)


def install(pipelines: PipelineStore, metastore: Metastore) -> None:
    """Store each parser's pipeline and index template that is missing. One that cannot be
    stored (a user's template of the same priority matches the same names) is logged and
    left out; the node starts all the same."""
    for parser in PARSERS.values():
        if not pipelines.get(parser.pipeline_id):
            pipelines.put(parser.pipeline_id, parser.pipeline)
        if metastore.get(templates.COMPOSABLE, parser.template_name) is None:
            try:
                templates.put(metastore, templates.COMPOSABLE, parser.template_name,
                              parser.template)
            except Exception as error:  # a user's template in the way: say so, go on
                log.warning("index template [%s] not installed: %s", parser.template_name,
                            error)


# One import per parser module; each calls register() at import, in detection order.
# isort: off
from loghaven.ingest.parsers import cloudtrail  # noqa: E402, F401
from loghaven.ingest.parsers import cloudwatch_logs  # noqa: E402, F401
from loghaven.ingest.parsers import aws_waf  # noqa: E402, F401
from loghaven.ingest.parsers import vpcflow  # noqa: E402, F401
