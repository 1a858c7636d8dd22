"""A document as ingest processors see it: its source, its metadata and ``_ingest``.

Field paths follow Elasticsearch's ``IngestDocument``: dots walk into objects, a number walks
into a list, ``_source.`` names the source explicitly, ``_ingest.`` the ingest metadata
(``_ingest.timestamp``), and the metadata fields (``_index``, ``_id``, ``_routing``,
``_version``, ``_version_type``) sit beside the source's top-level fields, as they do in ES's
``ctx``. Errors are ES's ``IllegalArgumentException`` messages word for word, because users
match on them in ``on_failure`` handlers.
"""

from __future__ import annotations

import copy
from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.scripting.evaluate import type_name

#: The metadata fields a processor may read and set (ES's ``IngestDocument.Metadata``).
METADATA_FIELDS = ("_index", "_id", "_routing", "_version", "_version_type", "_if_seq_no",
                   "_if_primary_term")
SOURCE_PREFIX = "_source."
INGEST_PREFIX = "_ingest."
_MISSING = object()
#: Values :meth:`IngestDocument.set` stores without a copy: nothing in them can be shared.
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})
#: Each path seen, split once: (whether it is under ``_ingest``, its keys). Paths come from
#: processor options, so there are few; templated ones could be many, hence the bound.
_PATHS: dict[str, tuple[bool, list[str]]] = {}
_MAX_PATHS = 10_000


def _split(path: str) -> tuple[bool, list[str]]:
    """``path`` split into its root (``_ingest`` or the fields) and keys, cached."""
    found = _PATHS.get(path)
    if found is None:
        if path.startswith(INGEST_PREFIX):
            found = (True, path[len(INGEST_PREFIX):].split("."))
        elif path.startswith(SOURCE_PREFIX):
            found = (False, path[len(SOURCE_PREFIX):].split("."))
        else:
            found = (False, path.split("."))
        if len(_PATHS) >= _MAX_PATHS:
            _PATHS.clear()
        _PATHS[path] = found
    return found


class IngestDocument:
    """One document on its way through pipelines; processors change it in place."""

    def __init__(self, source: dict[str, Any], metadata: dict[str, Any] | None = None,
                 ingest: dict[str, Any] | None = None) -> None:
        #: The source with the metadata fields beside it (ES's ctx map).
        self.fields: dict[str, Any] = source
        for name, value in (metadata or {}).items():
            if value is not None:
                self.fields[name] = value
        #: ``_ingest``: ``timestamp`` (when the document entered the pipeline) and, in an
        #: ``on_failure`` handler, ``on_failure_message``/``_processor_type``/``_processor_tag``.
        self.ingest: dict[str, Any] = ingest or {}

    # -- paths --

    def _root(self, path: str) -> tuple[Any, list[str]]:
        """The object ``path`` starts from and its keys (checked not empty)."""
        if not path:
            raise IllegalArgument("path cannot be null nor empty")
        ingest, keys = _split(path)
        return (self.ingest if ingest else self.fields), keys

    def _walk(self, container: Any, key: str, path: str) -> Any:
        """``container[key]`` as ES resolves one step of ``path``; _MISSING when absent."""
        if isinstance(container, dict):
            return container.get(key, _MISSING)
        if isinstance(container, list):
            try:
                position = int(key)
            except ValueError:
                raise IllegalArgument(f"[{key}] is not an integer, cannot be used as an index "
                                      f"as part of path [{path}]") from None
            if not 0 <= position < len(container):
                raise IllegalArgument(f"[{position}] is out of bounds for array with length "
                                      f"[{len(container)}] as part of path [{path}]")
            return container[position]
        if container is None:
            raise IllegalArgument(f"cannot resolve [{key}] from null as part of path [{path}]")
        raise IllegalArgument(f"cannot resolve [{key}] from object of type "
                              f"[{type_name(container)}] as part of path [{path}]")

    def get(self, path: str, *, ignore_missing: bool = False) -> Any:
        """The value at ``path``; a missing field raises ES's error unless ``ignore_missing``
        (then None)."""
        container, keys = self._root(path)
        for key in keys:
            if type(container) is dict:
                value = container.get(key, _MISSING)
            else:
                try:
                    value = self._walk(container, key, path)
                except IllegalArgument:
                    if ignore_missing:
                        return None
                    raise
            if value is _MISSING:
                if ignore_missing:
                    return None
                raise IllegalArgument(f"field [{key}] not present as part of path [{path}]")
            container = value
        return container

    def has(self, path: str, *, allow_null: bool = True) -> bool:
        """Whether ``path`` resolves (to a non-null value unless ``allow_null``)."""
        if not path:
            return False
        ingest, keys = _split(path)
        value: Any = self.ingest if ingest else self.fields
        for key in keys:
            if isinstance(value, dict):
                value = value.get(key, _MISSING)
                if value is _MISSING:
                    return False
            elif isinstance(value, list):
                try:
                    position = int(key)
                except ValueError:
                    return False
                if not 0 <= position < len(value):
                    return False
                value = value[position]
            else:
                return False
        return allow_null or value is not None

    def _parent(self, path: str, *, create: bool) -> tuple[Any, str]:
        """The container that holds ``path``'s last key, creating objects on the way."""
        container, keys = self._root(path)
        for key in keys[:-1]:
            if isinstance(container, dict):
                value = container.get(key, _MISSING)
                if value is _MISSING or (value is None and create):
                    if not create:
                        raise IllegalArgument(
                            f"field [{key}] not present as part of path [{path}]")
                    value = container[key] = {}
                container = value
            elif isinstance(container, list):
                container = self._walk(container, key, path)
            else:
                raise IllegalArgument(f"cannot resolve [{key}] from object of type "
                                      f"[{type_name(container)}] as part of path [{path}]")
        return container, keys[-1]

    def set(self, path: str, value: Any, *, copy_value: bool = True) -> None:
        """Set ``path`` to ``value`` (a deep copy unless ``copy_value`` is false: a value
        the caller owns, such as one it removed from the document), creating the objects on
        the way."""
        container, key = self._parent(path, create=True)
        if copy_value and type(value) not in _IMMUTABLE:
            value = copy.deepcopy(value)
        if isinstance(container, dict):
            container[key] = value
        elif isinstance(container, list):
            self._walk(container, key, path)  # the bounds check
            container[int(key)] = value
        else:
            raise IllegalArgument(f"cannot set [{key}] with parent object of type "
                                  f"[{type_name(container)}] as part of path [{path}]")

    def append(self, path: str, value: Any, *, allow_duplicates: bool = True) -> None:
        """Append ``value`` (each of its items when a list) to the field at ``path``, turning a
        single value into a list, and a missing field into a new list, as ES's
        ``appendFieldValue``."""
        values = value if isinstance(value, list) else [value]
        if not self.has(path):
            self.set(path, values)
            return
        current = self.get(path)
        merged = list(current) if isinstance(current, list) else [current]
        for item in values:
            if allow_duplicates or item not in merged:
                merged.append(item)
        self.set(path, merged)

    def remove(self, path: str) -> None:
        """Remove the field at ``path``; a missing one raises ES's error."""
        container, key = self._parent(path, create=False)
        if isinstance(container, dict):
            if key not in container:
                raise IllegalArgument(f"field [{key}] not present as part of path [{path}]")
            del container[key]
        elif isinstance(container, list):
            self._walk(container, key, path)
            del container[int(key)]
        else:
            raise IllegalArgument(f"cannot remove [{key}] from object of type "
                                  f"[{type_name(container)}] as part of path [{path}]")

    # -- whole document --

    def source(self) -> dict[str, Any]:
        """The source without the metadata fields (what is indexed)."""
        return {k: v for k, v in self.fields.items() if k not in METADATA_FIELDS}

    def metadata(self) -> dict[str, Any]:
        """The metadata fields present (a processor may have changed ``_index`` or ``_id``)."""
        return {k: self.fields[k] for k in METADATA_FIELDS if k in self.fields}
