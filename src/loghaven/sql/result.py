"""What a SQL or PPL query answers, before ``api/sql.py`` renders it in a format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """One column of the answer: its name as written (``count(*)``, ``ip``), its alias
    (``AS c``) if any, and its SQL plugin type (``keyword``, ``long``, ``timestamp``...)."""

    name: str
    type: str
    alias: str | None = None


@dataclass
class Result:
    """One page of an answer.

    ``rows`` hold JSON-ready values (str, int, float, bool, None, lists and dicts for
    objects); timestamps are ``yyyy-MM-dd HH:mm:ss[.SSS…]`` strings as the plugin writes
    them. ``total`` is the number of rows of the whole answer, ``cursor`` the id of the next
    page (None on the last), ``search`` the search-service response the rows came from,
    when one search did (``format=json`` answers it)."""

    schema: list[Column]
    rows: list[list[Any]]
    total: int
    cursor: str | None = None
    search: dict[str, Any] | None = None
    #: A continuation page (after the first): the plugin answers its rows without schema.
    continuation: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
