"""A report's three renderings: plain text, HTML and CSV.

The text starts with the seed's "Logging Compliance Report" layout, line for line::

    Logging Compliance Report - Wednesday, 11. July 2018 01:06PM
    Violations for time period: 'now-1d'

    All Failed login attempts
    - No Alerts Found
    ...

then, when ``format.topEvents`` is not 0, the newest events of each section that matched.
The HTML says the same with a table per section; the CSV has one row per matching event (up
to ``format.limit`` per section): its section, its time, then the columns.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from loghaven.engine.runtime import source_value
from loghaven.reports.sections import Found

#: The seed's date: "Wednesday, 11. July 2018 01:06PM".
DATE_FORMAT = "%A, %d. %B %Y %I:%M%p"
#: A section without columns shows (and exports) these of its events, when they have them.
FALLBACK_COLUMNS = 8
#: First characters that make a spreadsheet read a cell as a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def heading(title: str, at_ms: int, timezone: str) -> str:
    moment = datetime.fromtimestamp(at_ms / 1000, ZoneInfo(timezone))
    return f"{title} - {moment.strftime(DATE_FORMAT)}"


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value).decode()


def _leaves(source: dict[str, Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for key, value in source.items():
        name = f"{prefix}{key}"
        names += _leaves(value, f"{name}.") if isinstance(value, dict) else [name]
    return names


def columns_of(found: Found) -> tuple[str, ...]:
    """The section's columns, or the first fields its newest event has."""
    if found.columns:
        return found.columns
    if not found.hits:
        return ()
    names = [n for n in sorted(_leaves(found.hits[0])) if n != found.time_field]
    return tuple(names[:FALLBACK_COLUMNS])


def text(title_line: str, period_line: str, sections: Sequence[Found], top_events: int,
         *, header: str = "", footer: str = "") -> str:
    lines = [title_line, period_line, ""]
    if header:
        lines[2:2] = [header]
    for found in sections:
        lines += [found.title, found.line]
    details = [found for found in sections if found.total and top_events]
    if details:
        lines += ["", "Top events"]
        for found in details:
            columns = columns_of(found)
            lines.append(found.title)
            for hit in found.hits[:top_events]:
                values = [cell(source_value(hit, found.time_field))]
                values += [f"{name}={cell(source_value(hit, name))}" for name in columns
                           if source_value(hit, name) is not None]
                lines.append("  " + "  ".join(values))
    if footer:
        lines += ["", footer]
    return "\n".join(lines) + "\n"


def failure_text(title_line: str, period_line: str, error: str) -> str:
    """The message of a report that could not be made (a deleted saved search, an index the
    owner may no longer read)."""
    return f"{title_line}\n{period_line}\n\nThe report could not be generated: {error}\n"


def failure_html(title_line: str, period_line: str, error: str) -> str:
    esc = html.escape
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{esc(title_line)}"
            f"</title></head><body>\n<h1>{esc(title_line)}</h1>\n<p>{esc(period_line)}</p>\n"
            f"<p>The report could not be generated: {esc(error)}</p>\n</body></html>\n")


def to_html(title_line: str, period_line: str, sections: Sequence[Found], top_events: int,
            *, header: str = "", footer: str = "") -> str:
    esc = html.escape
    parts = ["<!DOCTYPE html><html><head><meta charset=\"utf-8\">",
             f"<title>{esc(title_line)}</title></head><body>",
             f"<h1>{esc(title_line)}</h1>", f"<p>{esc(period_line)}</p>"]
    if header:
        parts.append(f"<p>{esc(header)}</p>")
    for found in sections:
        parts += [f"<h2>{esc(found.title)}</h2>", f"<p>{esc(found.line)}</p>"]
        if found.total and top_events:
            columns = columns_of(found)
            parts.append("<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\"><tr>"
                         + "".join(f"<th>{esc(name)}</th>"
                                   for name in (found.time_field, *columns)) + "</tr>")
            for hit in found.hits[:top_events]:
                parts.append("<tr>" + "".join(
                    f"<td>{esc(cell(source_value(hit, name)))}</td>"
                    for name in (found.time_field, *columns)) + "</tr>")
            parts.append("</table>")
    if footer:
        parts.append(f"<p>{esc(footer)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def csv_cell(value: Any) -> str:
    """A cell that a spreadsheet shows as text: a string starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return would be run as a formula (log fields are written by
    whoever sent the request), so it gets a leading ``'``, as Kibana's
    ``csv:escapeFormulaValues`` does."""
    text = cell(value)
    return f"'{text}" if isinstance(value, str) and text[:1] in _FORMULA else text


def to_csv(sections: Sequence[Found], limit: int) -> str:
    """One row per event: ``section``, ``@timestamp`` (each section's time field), then every
    section's columns in order of first appearance."""
    columns: list[str] = []
    for found in sections:
        columns += [name for name in columns_of(found) if name not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "@timestamp", *columns])
    for found in sections:
        for hit in found.hits[:limit]:
            writer.writerow([csv_cell(found.title), csv_cell(source_value(hit, found.time_field)),
                             *(csv_cell(source_value(hit, name)) for name in columns)])
    return out.getvalue()
