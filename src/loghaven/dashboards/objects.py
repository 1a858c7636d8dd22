"""The saved objects service (``node.saved_objects``): create, get, update, delete and find
objects of the types the UI knows, kept in the metastore (kind ``saved_object``, name
``<type>:<id>``).

An object is OpenSearch Dashboards' shape: ``{"id", "type", "attributes", "references",
"version", "updated_at", "migrationVersion"?}``. ``version`` changes on every write and a
write that names an older one is a 409 conflict, as OpenSearch Dashboards answers it.
Errors are OpenSearch Dashboards' bodies ``{"statusCode", "error", "message"}`` (raised as
``SavedObjectError``).

``version`` is OpenSearch Dashboards' encoding of the document's ``[_seq_no, _primary_term]``
(base64 of that JSON array); the sequence number is one counter over all saved objects, kept
in the same transaction as the object, so a deleted and re-created object never repeats an
older version. Every operation checks the acting user's permissions on the ``.kibana`` index
first (dashboards/access.py), as OpenSearch's security plugin does for Dashboards' requests.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import orjson

from loghaven.dashboards import access
from loghaven.dashboards.search import Search
from loghaven.errors import LoghavenError
from loghaven.storage.metastore import Metastore

#: The types the UI creates and renders; an import of any other type is skipped with
#: ``unsupported_type``.
TYPES = ("config", "index-pattern", "search", "visualization", "dashboard")

#: The ``visState.type`` values the UI renders (Visualize): OpenSearch Dashboards' names.
VISUALIZATION_TYPES = ("histogram", "horizontal_bar", "line", "area", "pie", "metric", "table",
                       "heatmap", "tagcloud", "region_map")

#: Dashboards' management icons of each type, which its import results carry in ``meta``.
ICONS = {"index-pattern": "indexPatternApp", "search": "discoverApp",
         "visualization": "visualizeApp", "dashboard": "dashboardApp", "config": "settingsApp"}

KIND = "saved_object"
#: The metastore entry of the sequence counter behind ``version``.
_SEQUENCE = ("saved_object_sequence", "last")


class SavedObjectError(LoghavenError):
    """An OpenSearch Dashboards error: ``statusCode`` 400 (bad request), 404 (not found),
    409 (conflict), 413 (payload too large). A LoghavenError, so the API's error handler
    renders it (in OpenSearch Dashboards' body, api/saved_objects.py)."""

    def __init__(self, status: int, message: str, *,
                 attributes: dict[str, Any] | None = None) -> None:
        super().__init__(message, status=status)
        self.message = message
        #: Boom's ``attributes`` (the objects an export could not find).
        self.attributes = attributes

    def body(self) -> dict[str, Any]:
        body = error_body(self.status, self.message)
        if self.attributes is not None:
            body["attributes"] = self.attributes
        return body


def error_body(status: int, message: str) -> dict[str, Any]:
    """``{"statusCode", "error", "message"}``: Boom's payload, as Dashboards answers."""
    return {"statusCode": status, "error": HTTPStatus(status).phrase, "message": message}


def import_error(type_: str, id_: str, attributes: dict[str, Any],
                 error: dict[str, Any]) -> dict[str, Any]:
    """One ``errors`` entry of an import answer (``title`` absent when the object has none,
    as in Dashboards' JSON)."""
    title = attributes.get("title")
    meta = {k: v for k, v in (("title", title), ("icon", ICONS.get(type_))) if v is not None}
    return {"id": id_, "type": type_, **({"title": title} if title is not None else {}),
            "meta": meta, "error": error}


def not_found(type_: str, id_: str) -> SavedObjectError:
    return SavedObjectError(404, f"Saved object [{type_}/{id_}] not found")


def conflict(type_: str, id_: str) -> SavedObjectError:
    return SavedObjectError(409, f"Saved object [{type_}/{id_}] conflict")


def unsupported_type(type_: str) -> SavedObjectError:
    return SavedObjectError(400, f"Unsupported saved object type: '{type_}': Bad Request")


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
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.updated_at is not None:
            out["updated_at"] = self.updated_at
        if self.version is not None:
            out["version"] = self.version
        if self.migration_version:
            out["migrationVersion"] = self.migration_version
        out["attributes"] = self.attributes
        out["references"] = self.references
        return out

    @property
    def title(self) -> str | None:
        title = self.attributes.get("title")
        return title if isinstance(title, str) else None


@dataclass
class FindResult:
    page: int
    per_page: int
    total: int
    saved_objects: list[SavedObject]

    def to_json(self) -> dict[str, Any]:
        """``GET _find``'s answer (each object with OpenSearch Dashboards' ``score``)."""
        return {"page": self.page, "per_page": self.per_page, "total": self.total,
                "saved_objects": [{**o.to_json(), "score": 0} for o in self.saved_objects]}


def encode_version(seq_no: int) -> str:
    """Dashboards' version string: base64 of ``[seq_no, primary_term]``."""
    return base64.b64encode(orjson.dumps([seq_no, 1])).decode()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_references(references: Any, where: str = "references") -> list[dict[str, str]]:
    """``references`` as Dashboards' schema takes them: a list of ``{name, type, id}``."""
    if references is None:
        return []
    if not isinstance(references, list):
        raise SavedObjectError(400, f"[request body.{where}]: expected value of type [array] "
                               f"but got [{_js_type(references)}]")
    for n, ref in enumerate(references):
        if not isinstance(ref, dict):
            raise SavedObjectError(400, f"[request body.{where}.{n}]: expected a plain object "
                                   f"value, but found [{_js_type(ref)}] instead.")
        for key in ("name", "type", "id"):
            if not isinstance(ref.get(key), str):
                raise SavedObjectError(400, f"[request body.{where}.{n}.{key}]: expected value "
                                       f"of type [string] but got [{_js_type(ref.get(key))}]")
    return [{"name": r["name"], "type": r["type"], "id": r["id"]} for r in references]


def _js_type(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "Array", dict: "Object"}.get(type(value), "Object")


@dataclass
class Write:
    """One object to write in a batch: its attributes and references, and whether an
    existing one may be replaced."""

    type: str
    id: str | None
    attributes: dict[str, Any]
    references: list[dict[str, str]] = field(default_factory=list)
    overwrite: bool = False
    migration_version: dict[str, str] | None = None
    version: str | None = None


class SavedObjects:
    """The node's saved objects."""

    def __init__(self, metastore: Metastore, *, max_import_export_size: int = 10000) -> None:
        self.metastore = metastore
        #: ``savedObjects.maxImportExportSize``: the most objects one import or export moves.
        self.max_import_export_size = max_import_export_size
        # a write reads the stored version, compares and writes: one at a time
        self._lock = threading.Lock()

    # -- reads -------------------------------------------------------------------------

    def get(self, type_: str, id_: str) -> SavedObject:
        """The object, or ``SavedObjectError(404, "Saved object [type/id] not found")``."""
        access.check_read()
        found = self._load(type_, id_)
        if found is None:
            raise not_found(type_, id_)
        return found

    def bulk_get(self, items: list[tuple[str, str]],
                 fields: list[list[str] | None] | None = None) -> list[dict[str, Any]]:
        """``_bulk_get``: each object, or ``{id, type, error}`` where it is missing."""
        access.check_read()
        out: list[dict[str, Any]] = []
        for n, (type_, id_) in enumerate(items):
            found = self._load(type_, id_)
            if found is None:
                out.append({"id": id_, "type": type_,
                            "error": not_found(type_, id_).body()})
                continue
            wanted = fields[n] if fields else None
            out.append(_only_fields(found, wanted).to_json())
        return out

    def exists(self, type_: str, id_: str) -> bool:
        """Whether an object is stored (no permission check: for the node's own work)."""
        return self.metastore.get(KIND, f"{type_}:{id_}") is not None

    def all_of(self, types: Iterable[str]) -> list[SavedObject]:
        """Every stored object of ``types``, by type then id (no permission check)."""
        out: list[SavedObject] = []
        for type_ in types:
            for name, value in self.metastore.list(KIND, f"{type_}:").items():
                out.append(_from_stored(type_, name.partition(":")[2], value))
        return out

    def find(self, *, types: list[str], search: str | None = None,
             search_fields: list[str] | None = None, page: int = 1, per_page: int = 20,
             sort_field: str | None = None, fields: list[str] | None = None,
             has_reference: dict[str, str] | list[dict[str, str]] | None = None,
             default_search_operator: str = "OR") -> FindResult:
        """``GET _find``'s semantics: ``search`` is a simple query string over
        ``search_fields`` (default ``title``), with ``*`` as a prefix wildcard."""
        access.check_read()
        if page < 1 or per_page < 0:
            raise SavedObjectError(400, "[request query.page]: Value must be equal to or "
                                   "greater than [1]." if page < 1 else
                                   "[request query.per_page]: Value must be equal to or "
                                   "greater than [0].")
        found = self.all_of(t for t in dict.fromkeys(types) if t in TYPES)
        if search:
            matcher = Search(search, search_fields or ["title"],
                             and_operator=default_search_operator.upper() == "AND")
            found = [o for o in found if matcher.matches(o.attributes)]
        if has_reference:
            wanted = has_reference if isinstance(has_reference, list) else [has_reference]
            keys = {(r.get("type"), r.get("id")) for r in wanted}
            found = [o for o in found if any((r["type"], r["id"]) in keys
                                             for r in o.references)]
        found.sort(key=_sort_key(sort_field))
        start = (page - 1) * per_page
        chosen = [_only_fields(o, fields) for o in found[start:start + per_page]]
        return FindResult(page=page, per_page=per_page, total=len(found), saved_objects=chosen)

    # -- writes ------------------------------------------------------------------------

    def create(self, type_: str, attributes: dict[str, Any], *, id_: str | None = None,
               references: list[dict[str, str]] | None = None,
               overwrite: bool = False,
               migration_version: dict[str, str] | None = None) -> SavedObject:
        """Store a new object (a random UUID when ``id_`` is None); an existing id without
        ``overwrite`` is a 409."""
        access.check_write()
        if type_ not in TYPES:
            raise unsupported_type(type_)
        results = self.write_many([Write(type_, id_, attributes, references or [],
                                         overwrite, migration_version)])
        result = results[0]
        if isinstance(result, SavedObjectError):
            raise result
        return result

    def bulk_create(self, writes: list[Write]) -> list[SavedObject | SavedObjectError]:
        """``_bulk_create``: each object written, or its error (409 for an existing id
        without ``overwrite``, 400 for an unknown type), all in one transaction."""
        access.check_write()
        return self.write_many(writes)

    def write_many(self, writes: list[Write]) -> list[SavedObject | SavedObjectError]:
        """Write the objects that can be, in one metastore transaction (nothing half
        written), without a permission check: the caller checked (or is the node)."""
        with self._lock:
            seq = self._sequence()
            stamp = now_iso()
            results: list[SavedObject | SavedObjectError] = []
            puts: list[tuple[str, str, dict[str, Any] | None]] = []
            for write in writes:
                if write.type not in TYPES:
                    results.append(unsupported_type(write.type))
                    continue
                id_ = write.id or str(uuid.uuid4())
                stored = self.metastore.get(KIND, f"{write.type}:{id_}")
                if stored is not None and not write.overwrite:
                    results.append(conflict(write.type, id_))
                    continue
                if stored is not None and write.version is not None \
                        and encode_version(stored["seq_no"]) != write.version:
                    results.append(conflict(write.type, id_))
                    continue
                seq += 1
                value = {"attributes": write.attributes, "references": write.references,
                         "seq_no": seq, "updated_at": stamp}
                if write.migration_version:
                    value["migrationVersion"] = write.migration_version
                puts.append((KIND, f"{write.type}:{id_}", value))
                results.append(_from_stored(write.type, id_, value))
            if puts:
                self.metastore.put_many([*puts, (*_SEQUENCE, {"seq_no": seq})])
            return results

    def update(self, type_: str, id_: str, attributes: dict[str, Any], *,
               references: list[dict[str, str]] | None = None,
               version: str | None = None) -> SavedObject:
        """Merge ``attributes`` into the stored ones (a 404 when missing, a 409 when
        ``version`` is not the stored one). Answers as Dashboards does: the attributes
        given, with the new version."""
        access.check_write()
        with self._lock:
            stored = self.metastore.get(KIND, f"{type_}:{id_}")
            if stored is None:
                raise not_found(type_, id_)
            if version is not None and encode_version(stored["seq_no"]) != version:
                raise conflict(type_, id_)
            seq = self._sequence() + 1
            value = {**stored, "attributes": {**stored["attributes"], **attributes},
                     "seq_no": seq, "updated_at": now_iso()}
            if references is not None:
                value["references"] = references
            self.metastore.put_many([(KIND, f"{type_}:{id_}", value),
                                     (*_SEQUENCE, {"seq_no": seq})])
        updated = _from_stored(type_, id_, value)
        updated.attributes = attributes
        updated.migration_version = None
        return updated

    def delete(self, type_: str, id_: str) -> None:
        access.check_write()
        with self._lock:
            if self.metastore.get(KIND, f"{type_}:{id_}") is None:
                raise not_found(type_, id_)
            self.metastore.delete(KIND, f"{type_}:{id_}")

    # -- storage -----------------------------------------------------------------------

    def _load(self, type_: str, id_: str) -> SavedObject | None:
        stored = self.metastore.get(KIND, f"{type_}:{id_}")
        return None if stored is None else _from_stored(type_, id_, stored)

    def _sequence(self) -> int:
        stored = self.metastore.get(*_SEQUENCE)
        return int(stored["seq_no"]) if stored else 0


def _from_stored(type_: str, id_: str, value: dict[str, Any]) -> SavedObject:
    return SavedObject(id=id_, type=type_, attributes=value["attributes"],
                       references=value.get("references", []),
                       version=encode_version(value["seq_no"]),
                       updated_at=value.get("updated_at"),
                       migration_version=value.get("migrationVersion"))


def _only_fields(found: SavedObject, fields: list[str] | None) -> SavedObject:
    if not fields:
        return found
    return SavedObject(id=found.id, type=found.type,
                       attributes={k: v for k, v in found.attributes.items() if k in fields},
                       references=found.references, version=found.version,
                       updated_at=found.updated_at, migration_version=found.migration_version)


def _sort_key(sort_field: str | None) -> Any:
    """Ascending by ``sort_field`` (an attribute, ``type``, ``id`` or ``updated_at``); by
    type and title otherwise, so lists read in a stable order."""
    def value(found: SavedObject) -> tuple[Any, ...]:
        if sort_field in ("type", "id", "updated_at"):
            key = getattr(found, sort_field) or ""
        elif sort_field:
            raw = found.attributes.get(sort_field)
            key = raw.lower() if isinstance(raw, str) else "" if raw is None else str(raw)
        else:
            return (found.type, (found.title or "").lower(), found.id)
        return (key, found.type, found.id)
    return value
