"""The metadata kept beside each index, so that a lost metastore can be rebuilt from the folders.

``<index folder>/index.json`` holds what the metastore records of the index (name, uuid,
settings, mapping, aliases, state) and its split list. It is written atomically on metadata
changes and when the split list changes (a split created, sealed or merged), not on every
refresh: the checkpoint is left out and recovered conservatively by
``loghaven rebuild-metastore`` (replaying the log from earlier is idempotent).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from loghaven.storage.files import fsync_dir, write_atomically

SIDECAR = "index.json"
#: The sidecar's name once its index is deleted, until the folder is gone.
DELETED = "index.deleted.json"


def write(folder: Path, record: dict[str, Any], splits: list[dict[str, Any]]) -> None:
    """Write the sidecar unless it already says exactly this (a start rewrites none)."""
    if not folder.is_dir():
        return
    data = orjson.dumps({**record, "splits": splits})
    try:
        if (folder / SIDECAR).read_bytes() == data:
            return
    except OSError:
        pass
    write_atomically(folder / SIDECAR, data)


def read(folder: Path) -> dict[str, Any] | None:
    """The sidecar of an index folder, or None if it has none (or it cannot be read)."""
    try:
        value = orjson.loads((folder / SIDECAR).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return value if isinstance(value, dict) and "uuid" in value and "name" in value else None


def remove(folder: Path) -> None:
    """Forget the index first when deleting it, so a crash midway leaves no folder that
    claims to be an index the metastore lost, but one marked :data:`DELETED`, which the next
    start removes (engine/catalog.py)."""
    path = folder / SIDECAR
    if path.exists():
        os.replace(path, folder / DELETED)
        fsync_dir(folder)
    elif folder.is_dir():
        write_atomically(folder / DELETED, b"{}")


def deleted(folder: Path) -> bool:
    """Whether the folder is what is left of a deleted index (:func:`remove`)."""
    return (folder / DELETED).exists()
