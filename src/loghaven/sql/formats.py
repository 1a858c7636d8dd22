"""A :class:`~loghaven.sql.result.Result` in the response formats of OpenSearch's SQL plugin.

``jdbc`` (the default: schema, datarows, total/size/status, and a cursor while pages remain),
``csv`` (with the plugin's formula-injection sanitising), ``raw`` (``|``-separated), ``json``
(the search response the rows came from) and, for PPL, ``viz`` (one array per column).
Shapes as the plugin's ``protocol`` formatters write them (JdbcResponseFormatter,
FlatResponseBase and its sanitiser and prettifier, VisualizationResponseFormatter).
"""

from __future__ import annotations

from typing import Any

import orjson

from loghaven.sql.errors import SqlError
from loghaven.sql.result import Column, Result

SQL_FORMATS = ("jdbc", "csv", "raw", "json")
PPL_FORMATS = ("jdbc", "csv", "raw", "viz")
#: The formats a cursor pages (``fetch_size`` applies to these only).
CURSOR_FORMATS = ("jdbc",)

#: Cells starting with these are formulas to a spreadsheet: csv prefixes them with ``'``.
_FORMULA_STARTS = ("=", "+", "-", "@")


def check_format(name: str, formats: tuple[str, ...], reason: str) -> str:
    """The format asked for (lower case), or the plugin's 400 for one it does not answer."""
    wanted = (name or "jdbc").lower()
    if wanted not in formats:
        raise SqlError(f"response in {name} format is not supported.", reason=reason)
    return wanted


def column_label(column: Column) -> str:
    """What a flat format heads a column with: its alias if it has one, else its name."""
    return column.alias if column.alias is not None else column.name


def jdbc(result: Result) -> dict[str, Any]:
    """The ``jdbc`` body; a continuation page answers only its rows (and the next cursor), as
    the plugin does for a ``{"cursor": ...}`` request."""
    body: dict[str, Any]
    if result.continuation:
        body = {"datarows": result.rows}
    else:
        body = {"schema": [_schema_entry(c) for c in result.schema], "datarows": result.rows,
                "total": result.total, "size": len(result.rows), "status": 200}
    if result.cursor is not None:
        body["cursor"] = result.cursor
    return body


def _schema_entry(column: Column) -> dict[str, str]:
    entry = {"name": column.name}
    if column.alias is not None:  # the plugin's Gson leaves out a null alias
        entry["alias"] = column.alias
    entry["type"] = column.type
    return entry


def csv(result: Result, *, sanitize: bool = True) -> str:
    """Comma-separated, header first; cells holding the separator, a quote or a line break
    are quoted; with ``sanitize`` a cell (header too) starting with ``= + - @`` gets a
    leading ``'`` so that a spreadsheet does not run it as a formula."""
    return "\n".join(",".join(_quoted(_sanitized(cell) if sanitize else cell, ",")
                              for cell in line) for line in _lines(result))


def raw(result: Result, *, pretty: bool = False) -> str:
    """``|``-separated, header first, cells quoted as in csv but never sanitised;
    ``pretty`` pads each column to its widest cell."""
    lines = [[_quoted(cell, "|") for cell in line] for line in _lines(result)]
    if pretty and lines:
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        lines = [[cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
                 for line in lines]
    return "\n".join("|".join(line) for line in lines)


def viz(result: Result) -> dict[str, Any]:
    """PPL's ``viz`` format for visualisations: each column's values as one array."""
    labels = [column_label(c) for c in result.schema]
    return {"data": {label: [row[i] for row in result.rows] for i, label in enumerate(labels)},
            "fields": [{"name": label, "type": c.type}
                       for label, c in zip(labels, result.schema, strict=True)],
            "size": len(result.rows), "status": 200}


def search_response(result: Result) -> dict[str, Any]:
    """``format=json``: the search response the rows came from, as the plugin answers the
    native response; a query answered by more than one search or by the in-process engine
    has none to give."""
    if result.search is None:
        raise SqlError("format=json answers the search response of a query that runs as one "
                       "search; this query's rows are computed after the search (or by several "
                       "searches): ask for format=jdbc, csv or raw.")
    return result.search


def _lines(result: Result) -> list[list[str]]:
    header = [column_label(c) for c in result.schema]
    return [header, *([_text(value) for value in row] for row in result.rows)]


def _text(value: Any) -> str:
    """A value as a flat format writes it: null as empty, booleans as Java writes them,
    objects and arrays as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _sanitized(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _quoted(cell: str, separator: str) -> str:
    if separator in cell or '"' in cell or "\r" in cell or "\n" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell
