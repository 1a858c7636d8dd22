"""Hidden indices the node creates for itself (alert and finding histories, metrics)."""

from __future__ import annotations

import contextlib
from typing import Any

from loghaven.engine.catalog import Catalog
from loghaven.errors import ResourceAlreadyExists
from loghaven.security.context import as_node


def ensure_index(catalog: Catalog, name: str, mapping: dict[str, Any],
                 alias: str | None = None) -> None:
    """Create a hidden system index (with ``alias`` as its write alias) if it is missing:
    hidden, so ``*`` does not reach it."""
    if name in catalog.indices:
        return
    body: dict[str, Any] = {"settings": {"index.hidden": True}, "mappings": mapping}
    if alias is not None:
        body["aliases"] = {alias: {"is_write_index": True, "is_hidden": True}}
    with as_node("indices:admin/create"), contextlib.suppress(ResourceAlreadyExists):
        catalog.create_index(name, body)
