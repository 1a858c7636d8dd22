"""The saved objects service (``node.saved_objects``): create, get, update, delete and find
objects of the types the UI knows, kept in the metastore (kind ``saved_object``, name
``<type>:<id>``).

An object is OpenSearch Dashboards' shape: ``{"id", "type", "attributes", "references",
"version", "updated_at", "migrationVersion"?}``. ``version`` changes on every write and a
write that names an older one is a 409 conflict, as OpenSearch Dashboards answers it.
Errors are OpenSearch Dashboards' bodies ``{"statusCode", "error", "message"}`` (raised as
``SavedObjectError``).

CONTRACT (issue 18): implemented by the "objects" helper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loghaven.storage.metastore import Metastore

#: The types the UI creates and renders; an import of any other type is skipped with
#: ``unsupported_type``.
TYPES = ("config", "index-pattern", "search", "visualization", "dashboard")

#: The ``visState.type`` values the UI renders (Visualize): OpenSearch Dashboards' names.
VISUALIZATION_TYPES = ("histogram", "horizontal_bar", "line", "area", "pie", "metric", "table",
                       "heatmap", "tagcloud", "region_map")


class SavedObjectError(Exception):
    """An OpenSearch Dashboards error: ``statusCode`` 400 (bad request), 404 (not found),
    409 (conflict), 413 (payload too large)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        raise NotImplementedError  # CONTRACT


@dataclass
class SavedObject:
    id: str
    type: str
    attributes: dict[str, Any]
    references: list[dict[str, str]] = field(default_factory=list)
    version: str | None = None
    updated_at: str | None = None
    migration_version: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        """The object as the API answers it."""
        raise NotImplementedError  # CONTRACT


@dataclass
class FindResult:
    page: int
    per_page: int
    total: int
    saved_objects: list[SavedObject]


class SavedObjects:
    """The node's saved objects."""

    def __init__(self, metastore: Metastore) -> None:
        self.metastore = metastore

    def get(self, type_: str, id_: str) -> SavedObject:
        """The object, or ``SavedObjectError(404, "Saved object [type/id] not found")``."""
        raise NotImplementedError  # CONTRACT

    def create(self, type_: str, attributes: dict[str, Any], *, id_: str | None = None,
               references: list[dict[str, str]] | None = None,
               overwrite: bool = False) -> SavedObject:
        """Store a new object (a random UUID when ``id_`` is None); an existing id without
        ``overwrite`` is a 409."""
        raise NotImplementedError  # CONTRACT

    def update(self, type_: str, id_: str, attributes: dict[str, Any], *,
               references: list[dict[str, str]] | None = None,
               version: str | None = None) -> SavedObject:
        """Merge ``attributes`` into the stored ones (a 404 when missing, a 409 when
        ``version`` is not the stored one)."""
        raise NotImplementedError  # CONTRACT

    def delete(self, type_: str, id_: str) -> None:
        raise NotImplementedError  # CONTRACT

    def find(self, *, types: list[str], search: str | None = None,
             search_fields: list[str] | None = None, page: int = 1, per_page: int = 20,
             sort_field: str | None = None, fields: list[str] | None = None,
             has_reference: dict[str, str] | None = None) -> FindResult:
        """``GET _find``'s semantics: ``search`` is a simple query string over
        ``search_fields`` (default ``title``), with ``*`` as a prefix wildcard."""
        raise NotImplementedError  # CONTRACT
