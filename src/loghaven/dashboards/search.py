"""``_find``'s ``search``: OpenSearch Dashboards runs it as a ``simple_query_string`` over the
search fields, so that is what is matched here, over the attributes in memory: words (the
standard analyzer's lower-cased tokens), ``word*`` as a prefix, ``"a phrase"``, ``+`` and
``-`` for a required and an excluded word, ``|`` as OR and ``default_search_operator``
between bare words. Saved objects are few (bounded by ``savedObjects.maxImportExportSize``),
so a scan is cheaper than keeping an index of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\w+", re.UNICODE)
_CLAUSE = re.compile(r'([+-]?)("[^"]*"|[^\s"]+)')


@dataclass(frozen=True)
class _Clause:
    words: tuple[str, ...]
    prefix: bool
    required: bool
    excluded: bool


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


class Search:
    """A compiled ``search`` string over ``fields`` (``title^3``'s boost is ignored)."""

    def __init__(self, text: str, fields: list[str], *, and_operator: bool = False) -> None:
        self.fields = [f.split("^", 1)[0] for f in fields]
        self.and_operator = and_operator
        self.clauses: list[_Clause] = []
        for sign, body in _CLAUSE.findall(text):
            if body == "|":
                continue
            prefix = body.endswith("*") and not body.startswith('"')
            words = tuple(tokens(body))
            if not words and body.strip('"*') == "" and body.endswith("*"):
                self.clauses.append(_Clause((), True, sign == "+", sign == "-"))  # ``*``: all
            elif words:
                self.clauses.append(_Clause(words, prefix, sign == "+", sign == "-"))

    def matches(self, attributes: dict[str, Any]) -> bool:
        values = [tokens(v) for f in self.fields
                  if isinstance(v := attributes.get(f), str)]
        if not self.clauses:
            return True
        pairs = [(c, any(_clause_hits(c, v) for v in values)) for c in self.clauses]
        positive = [hit for c, hit in pairs if not c.excluded]
        if any(hit for c, hit in pairs if c.excluded):
            return False
        if any(not hit for c, hit in pairs if c.required):
            return False
        if not positive:
            return True
        return all(positive) if self.and_operator else any(positive)


def _clause_hits(clause: _Clause, value: list[str]) -> bool:
    if not clause.words:
        return True
    size = len(clause.words)
    for start in range(len(value) - size + 1):
        window = value[start:start + size]
        if window[:-1] != list(clause.words[:-1]):
            continue
        last = window[-1]
        if last == clause.words[-1] or (clause.prefix and last.startswith(clause.words[-1])):
            return True
    return False
