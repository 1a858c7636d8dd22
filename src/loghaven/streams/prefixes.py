"""Firehose's custom S3 prefixes: ``!{timestamp:<java.time pattern>}``,
``!{firehose:random-string}`` and ``!{firehose:error-output-type}``, checked once when a
stream is created and evaluated for each backup object (streams/backup.py).

Timestamps are UTC and every ``timestamp`` expression of one prefix evaluates to the same
instant. Patterns are DateTimeFormatter patterns, printed by the same java.time letters as
Loghaven's date formats (engine/dates, English names; ``YYYY``/``ww`` are the ISO week-based
year and week), and refused with java.time's reason ("Unknown pattern letter: t").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from loghaven.engine.dates import get_pattern

#: An expression: ``!{namespace:value}``.
EXPRESSION = re.compile(r"!\{([^{}:]*):([^{}]*)\}")
RANDOM_STRING, ERROR_OUTPUT_TYPE = "random-string", "error-output-type"


@dataclass(frozen=True)
class Prefix:
    """A checked prefix: its literal text, timestamp printers and firehose values, in order."""

    parts: tuple[str | Callable[[int], str], ...]
    #: The firehose value standing at each part that is one (``""`` elsewhere).
    firehose: tuple[str, ...]

    def evaluate(self, when_ms: int, error_output_type: str = "") -> str:
        out = []
        for part, value in zip(self.parts, self.firehose, strict=True):
            if value == RANDOM_STRING:
                out.append(str(uuid.uuid4())[:11])  # 11 characters, as Firehose's
            elif value == ERROR_OUTPUT_TYPE:
                out.append(error_output_type)
            elif isinstance(part, str):
                out.append(part)
            else:
                out.append(part(when_ms))
        return "".join(out)


def parse(prefix: str) -> tuple[Prefix, set[str]]:
    """A prefix and the expressions it uses (``timestamp``, ``firehose:<value>``); ValueError
    saying what is wrong, in the words of Firehose's rules."""
    parts: list[str | Callable[[int], str]] = []
    firehose: list[str] = []
    used: set[str] = set()
    position = 0
    for match in [*EXPRESSION.finditer(prefix), None]:
        literal = prefix[position:match.start() if match else len(prefix)]
        if "!{" in literal:
            raise ValueError("The sequence !{ can only appear in !{namespace:value} "
                             "expressions")
        parts.append(literal)
        firehose.append("")
        if match is None:
            break
        namespace, value = match.group(1), match.group(2)
        if namespace == "timestamp":
            try:
                parts.append(get_pattern(value))
            except ValueError as e:
                raise ValueError(f"!{{timestamp:{value}}} is not a valid DateTimeFormatter "
                                 f"pattern: {e}") from None
            firehose.append("")
            used.add(namespace)
        elif namespace == "firehose" and value in (RANDOM_STRING, ERROR_OUTPUT_TYPE):
            parts.append("")
            firehose.append(value)
            used.add(f"firehose:{value}")
        elif namespace in ("partitionKeyFromQuery", "partitionKeyFromLambda"):
            raise ValueError(f"!{{{namespace}:{value}}} needs dynamic partitioning, which "
                             "Loghaven does not have")
        else:
            raise ValueError(f"!{{{namespace}:{value}}} is not a valid expression: the "
                             "namespaces are timestamp and firehose (random-string, "
                             "error-output-type)")
        position = match.end()
    return Prefix(tuple(parts), tuple(firehose)), used
