"""What a built-in log parser is: how a file of its format becomes documents, the ready
pipeline that turns each document into ECS fields, and the index template that fits them.

The split (file → documents) runs where the bytes are read: ``loghaven ingest`` and the
delivery streams. The parsing and enrichment run in the server, in the pipeline
``loghaven-<name>``, so documents that arrive any other way (``_bulk`` with
``?pipeline=loghaven-aws-waf``, a stream, HEC) are parsed the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordError:
    """A record of the file that could not be split out (bad JSON line, truncated
    envelope): counted as failed with this reason, and the rest of the file goes on."""

    reason: str
    #: 1-based line of the (decompressed) file where the record starts, when known.
    line: int | None = None


Record = dict[str, Any] | RecordError


@dataclass(frozen=True)
class Parser:
    #: The ``--format`` name, e.g. ``aws-waf``; the pipeline and template are
    #: ``loghaven-<name>``.
    name: str
    #: One line for ``loghaven ingest --help`` and the docs.
    description: str
    #: The pipeline body (``description``, ``processors``, ``on_failure``, ``_meta``) as
    #: ``PUT _ingest/pipeline/loghaven-<name>`` takes it.
    pipeline: dict[str, Any]
    #: A composable index template body (``index_patterns``, ``priority``, ``template`` with
    #: ``settings.index.default_pipeline`` = the pipeline and the ECS ``mappings``).
    template: dict[str, Any]
    #: The base index name documents go to unless told otherwise (``awswaf``), and the
    #: rotation appended to it (ingest/rotation.py), so ``awswaf-2026-11-26``; the template's
    #: ``index_patterns`` match it.
    index: str
    rotation: str
    #: The documents of one (decompressed) file or stream, given as its lines in order
    #: (each with or without its line terminator). Header and comment lines are skipped;
    #: a bad record is a :class:`RecordError`, never an exception.
    records: Callable[[Iterable[bytes]], Iterator[Record]]
    #: Whether a file is of this format, from its name (a path or S3 key, maybe ``-``) and
    #: its first lines (decompressed, at most ~64 KiB): used when ``--format`` is omitted.
    sniff: Callable[[str, list[bytes]], bool]

    @property
    def pipeline_id(self) -> str:
        return f"loghaven-{self.name}"

    @property
    def template_name(self) -> str:
        return f"loghaven-{self.name}"
