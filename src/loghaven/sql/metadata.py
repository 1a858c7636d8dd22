"""``SHOW TABLES LIKE`` and ``DESCRIBE TABLES LIKE ... [COLUMNS LIKE ...]`` in the column
sets the SQL plugin answers them (JDBC's ``getTables`` and ``getColumns``), which SQL
clients and BI tools read to list indices and fields.

Indices and fields come through ``_field_caps`` of the search service, so a caller sees
only the indices it may read and the fields field-level security leaves it.
"""

from __future__ import annotations

import re
from typing import Any

from loghaven.search.service import SearchService
from loghaven.sql.result import Column, Result
from loghaven.sql.schema import schema_of

_SHOW = re.compile(r"(?is)^\s*SHOW\s+TABLES\s+LIKE\s+(\S+)\s*;?\s*$")
_DESCRIBE = re.compile(r"(?is)^\s*DESCRIBE\s+TABLES\s+LIKE\s+(\S+)"
                       r"(?:\s+COLUMNS\s+LIKE\s+(\S+))?\s*;?\s*$")

_TABLE_COLUMNS = ["TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS",
                  "TYPE_CAT", "TYPE_SCHEM", "TYPE_NAME", "SELF_REFERENCING_COL_NAME",
                  "REF_GENERATION"]
_FIELD_COLUMNS = ["TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE",
                  "TYPE_NAME", "COLUMN_SIZE", "BUFFER_LENGTH", "DECIMAL_DIGITS",
                  "NUM_PREC_RADIX", "NULLABLE", "REMARKS", "COLUMN_DEF", "SQL_DATA_TYPE",
                  "SQL_DATETIME_SUB", "CHAR_OCTET_LENGTH", "ORDINAL_POSITION", "IS_NULLABLE",
                  "SCOPE_CATALOG", "SCOPE_SCHEMA", "SCOPE_TABLE", "SOURCE_DATA_TYPE",
                  "IS_AUTOINCREMENT", "IS_GENERATEDCOLUMN"]
_INTEGER_COLUMNS = frozenset({"DATA_TYPE", "COLUMN_SIZE", "BUFFER_LENGTH", "DECIMAL_DIGITS",
                              "NUM_PREC_RADIX", "NULLABLE", "SQL_DATA_TYPE",
                              "SQL_DATETIME_SUB", "CHAR_OCTET_LENGTH", "ORDINAL_POSITION",
                              "SOURCE_DATA_TYPE"})


def is_metadata(sql: str) -> bool:
    return bool(_SHOW.match(sql) or _DESCRIBE.match(sql))


def answer(search: SearchService, sql: str, cluster: str) -> Result:
    """The plugin's answer to a SHOW or DESCRIBE statement."""
    show = _SHOW.match(sql)
    if show:
        rows: list[list[Any]] = [[cluster, None, name, "BASE TABLE"] + [None] * 6
                                 for name in _tables(search, show.group(1))]
        return Result(_columns(_TABLE_COLUMNS), rows, len(rows))
    describe = _DESCRIBE.match(sql)
    assert describe is not None
    column_pattern = _like(describe.group(2)) if describe.group(2) else None
    rows = []
    for index in _tables(search, describe.group(1)):
        for position, field in enumerate(_described_fields(search, index)):
            if column_pattern is not None and not column_pattern.fullmatch(field.name):
                continue
            rows.append([cluster, None, index, field.name, None, field.sql_type, None, None,
                         None, 10, 2, None, None, None, None, None, position, "", None,
                         None, None, None, "NO", ""])
    return Result(_columns(_FIELD_COLUMNS), rows, len(rows))


def _columns(names: list[str]) -> list[Column]:
    return [Column(n, "integer" if n in _INTEGER_COLUMNS else "keyword") for n in names]


def _like(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern (``%``, ``_``; ``*`` too, as index patterns use it) as a regex."""
    text = pattern.strip("'\"`")
    out = "".join(".*" if c in "%*" else "." if c == "_" else re.escape(c) for c in text)
    return re.compile(out)


def _tables(search: SearchService, pattern: str) -> list[str]:
    names = search.field_caps("*", {"fields": "*"}, {"allow_no_indices": "true"})["indices"]
    regex = _like(pattern)
    return sorted(n for n in names if regex.fullmatch(n))


def _described_fields(search: SearchService, index: str) -> list[Any]:
    """The index's fields as the plugin lists them: objects and leaves, not the
    sub-fields of a multi-field."""
    schema = schema_of(search, index)
    return [field for field in schema if not schema.is_sub_field(field.name)]
