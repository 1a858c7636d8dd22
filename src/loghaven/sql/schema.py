"""The columns of an index expression, as the SQL plugin sees them.

Read through the search service's ``_field_caps`` so that what field-level security hides
from the caller is no column either. A field mapped with different types in the indices of
a pattern takes the first index's type, as OpenSearch's SQL plugin does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from loghaven.search.service import SearchService

#: Field-caps types that are metadata, not columns.
#: ES types whose fields hold sub-fields, not values of their own.
OBJECT_TYPES = frozenset({"object", "nested"})
_METADATA = frozenset({"_id", "_index", "_seq_no", "_source", "_version", "_routing",
                       "_ignored", "_field_names", "_primary_term", "_doc_count"})

#: The type the SQL plugin reports for a mapping type (``schema[].type`` in ``jdbc``).
_SQL_TYPES = {"date": "timestamp", "date_nanos": "timestamp", "half_float": "float",
              "scaled_float": "double", "unsigned_long": "long", "match_only_text": "text",
              "wildcard": "keyword", "constant_keyword": "keyword", "flat_object": "object"}


@dataclass(frozen=True)
class Field:
    """One column: its dotted path and its mapping type (``keyword``, ``text``, ``long``,
    ``date``, ``object``, ...)."""

    name: str
    es_type: str

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES.get(self.es_type, self.es_type)

    @property
    def is_text(self) -> bool:
        return self.es_type in ("text", "match_only_text")


@dataclass(frozen=True)
class Schema:
    """The fields of one index expression, in name order."""

    fields: dict[str, Field]

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields.values())

    def get(self, name: str) -> Field | None:
        return self.fields.get(name)

    def keyword_of(self, name: str) -> str | None:
        """The field to match exact values of ``name`` on: itself unless it is text, then
        its ``keyword`` sub-field (None if it has none), as OpenSearch's SQL plugin does."""
        field = self.fields.get(name)
        if field is None or not field.is_text:
            return name if field is not None else None
        for sub, info in self.fields.items():
            if sub.startswith(name + ".") and info.es_type == "keyword" \
                    and "." not in sub[len(name) + 1:]:
                return sub
        return None

    def in_nested(self, name: str) -> bool:
        """Whether ``name`` is a field of ``nested`` objects: its values are on the objects'
        own hidden documents, so no search on the rows (a filter, a sort, a grouping) reads
        it; the in-process engine reads it from ``_source`` as the row shows it."""
        parts = name.split(".")
        return any((field := self.fields.get(".".join(parts[:i]))) is not None
                   and field.es_type == "nested" for i in range(1, len(parts)))

    def is_sub_field(self, name: str) -> bool:
        """Whether ``name`` is a multi-field sub-field (``a.keyword`` of a text ``a``): it
        has no value of its own in ``_source``, only in the index."""
        parent = name.rpartition(".")[0]
        return parent in self.fields and self.fields[parent].es_type not in OBJECT_TYPES

    def leaves(self) -> list[Field]:
        """The fields that hold values (what ``SELECT *`` returns): no objects, and no
        multi-field sub-fields (``a.keyword`` of a text ``a``)."""
        return [field for field in self.fields.values()
                if field.es_type not in OBJECT_TYPES and not self.is_sub_field(field.name)]


def schema_of(search: SearchService, expression: str) -> Schema:
    """The caller's view of the fields of ``expression`` (an index, alias or pattern)."""
    caps = search.field_caps(expression, {"fields": "*"}, {})["fields"]
    fields = {}
    for name in sorted(caps):
        types = caps[name]
        es_type = next(iter(types))
        if es_type in _METADATA or name in _METADATA:
            continue
        fields[name] = Field(name, es_type)
    return Schema(fields)
