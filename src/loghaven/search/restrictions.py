"""The acting subject's document- and field-level security on the indices of one request.

The rules come from the roles (``security.context.index_rules``: a DLS query, FLS patterns,
masked fields) and are looked up once per index per request, in the request's thread: the
leaf searches run in a pool whose threads do not carry the acting subject. A restricted index
is searched as if its splits held only the documents that match the DLS query (joined to the
query like an alias filter, so hits, totals, aggregations, scrolls and by-query operations
all see the same documents) and only the fields FLS shows (:mod:`.field_security`). With no
acting subject (security disabled, the node's own work) this is one ``ContextVar`` read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import tantivy

from loghaven.engine.mapping import Mapping as IndexMapping
from loghaven.engine.split import Split
from loghaven.search.field_security import FieldSecurity, field_security
from loghaven.search.query import compile_query
from loghaven.security import context


@dataclass(frozen=True)
class Restriction:
    """What one index shows the acting subject: the documents matching ``dls`` (None: all)
    and the fields ``fields`` shows (None: all, clear)."""

    dls: dict[str, Any] | None
    fields: FieldSecurity | None
    #: The request's clock, for date math in the DLS query.
    now_ms: int

    def present(self, split: Split) -> frozenset[str]:
        """The split's fields that queries, sorts and aggregations may read."""
        if self.fields is None:
            return split.field_names
        return self.fields.searchable(split.field_names)

    def documents(self, split: Split, mapping: IndexMapping,
                  index_name: str) -> tantivy.Query | None:
        """The DLS query on ``split`` (every field counts: the rule is the role's, not the
        caller's, so FLS does not narrow it), or None when every document is visible."""
        if self.dls is None:
            return None
        return compile_query(self.dls, split, mapping, now_ms=self.now_ms,
                             index_name=index_name)

    def source(self, raw: bytes) -> bytes:
        """A stored ``_source`` as the subject may see it."""
        return raw if self.fields is None else self.fields.apply_bytes(raw)


#: Index name → its restriction; an index not listed is unrestricted.
Restrictions = Mapping[str, Restriction]
UNRESTRICTED: Restrictions = MappingProxyType({})


def restrictions(index_names: Iterable[str], salt: bytes, now_ms: int,
                 aliases_of: Callable[[str], Collection[str]]) -> Restrictions:
    """The acting subject's restrictions on these indices (concrete names, each with its
    aliases, which roles may name instead)."""
    if context.current() is None:
        return UNRESTRICTED
    out: dict[str, Restriction] = {}
    for name in set(index_names):
        rules = context.index_rules(name, aliases_of(name))
        if rules is None:
            continue
        include = None if rules.fls_include is None else tuple(rules.fls_include)
        fields = field_security(include, tuple(rules.fls_exclude),
                                tuple(rules.masked), salt)
        if rules.dls is not None or fields is not None:
            out[name] = Restriction(rules.dls, fields, now_ms)
    return out
