"""The repository format: what a snapshot repository holds, and in which order it is written.

Keys are relative to the repository's prefix (an ``s3`` repository's ``base_path``; an ``fs``
repository's folder):

- ``blobs/<sha256>``: one split file's bytes, zstd-compressed (storage/blobs.py), named by the
  SHA-256 of the file as it is on disk. Content addressing makes snapshots incremental: a file
  already in the repository (an unchanged sealed split, any earlier snapshot's) is not sent
  again, and every snapshot shares it.
- ``snapshots/<uuid>.json``: one snapshot's metadata, written once its blobs are all stored:
  name, uuid, version, state, times, failures, ``metadata``, the global state (global_state.py)
  when asked for, and per index its settings, mappings, aliases, checkpoint and splits, each
  split with its files (name, size, SHA-256, stored size) and the stats ``_status`` shows.
  zstd-compressed (a ``.json.zst`` key) when the repository has ``compress: true``, as ES's
  ``compress`` compresses metadata only.
- ``index.json``: the repository's list of snapshots (name, uuid, state, times, indices,
  metadata key), the one object a reader trusts. It is written last, in one atomic put (both
  stores replace an object whole), so a snapshot is listed only once everything it names is
  stored, and a crash mid-snapshot never shows half a snapshot; blobs and metadata a crash
  left unlisted are garbage that :func:`unreferenced` finds and deletion sweeps.

Deleting a snapshot rewrites ``index.json`` without it first, then removes the blobs that no
listed snapshot names, then its metadata: a crash in between leaves garbage, never a listed
snapshot missing a blob.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson
import zstandard

from loghaven.lifecycle.snapshots.repositories import Repository
from loghaven.storage.blobs import BlobFile

INDEX = "index.json"
BLOBS = "blobs/"
SNAPSHOTS = "snapshots/"
#: Bumped when the layout changes in a way an older reader would misread.
FORMAT = 1
_FILE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def blob_key(repository: Repository, sha256: str) -> str:
    return repository.key(BLOBS + sha256)


def blob_file(repository: Repository, file: dict[str, Any]) -> BlobFile:
    """A stored file record (keys are not recorded: a repository moved to another
    ``base_path`` still reads) as storage/blobs.py's BlobFile. A repository is not trusted:
    a name that is not a plain file name, or a digest that is not one, is refused."""
    name, sha256 = file.get("name"), file.get("sha256")
    if not isinstance(name, str) or not _FILE_NAME.match(name) or name in (".", "..") \
            or not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise ValueError(f"the repository lists a file it cannot hold: {name!r} {sha256!r}")
    return BlobFile(file["name"], file["size"], file["sha256"],
                    blob_key(repository, file["sha256"]), file["stored_size"])


def file_record(blob: BlobFile) -> dict[str, Any]:
    return {"name": blob.name, "size": blob.size, "sha256": blob.sha256,
            "stored_size": blob.stored_size}


def read_index(repository: Repository) -> dict[str, Any]:
    """The repository's list of snapshots (empty for a new repository)."""
    try:
        data = orjson.loads(repository.store.get(repository.bucket, repository.key(INDEX)))
    except KeyError:
        return {"format": FORMAT, "generation": 0, "snapshots": []}
    if data.get("format", FORMAT) > FORMAT:
        raise ValueError(f"repository format {data['format']} is newer than this node reads")
    return data


def write_index(repository: Repository, data: dict[str, Any]) -> None:
    """Replace the list, atomically: the commit point of a snapshot and of a deletion."""
    data = {**data, "format": FORMAT, "generation": int(data.get("generation", 0)) + 1}
    repository.store.put(repository.bucket, repository.key(INDEX), orjson.dumps(data))


def snapshot_key(repository: Repository, snapshot_uuid: str, compressed: bool) -> str:
    suffix = ".json.zst" if compressed else ".json"
    return repository.key(f"{SNAPSHOTS}{snapshot_uuid}{suffix}")


def write_snapshot(repository: Repository, meta: dict[str, Any]) -> str:
    """Store a snapshot's metadata; its key (relative, for the list)."""
    data = orjson.dumps(meta)
    if repository.compress:
        data = zstandard.ZstdCompressor().compress(data)
    key = snapshot_key(repository, meta["uuid"], repository.compress)
    repository.store.put(repository.bucket, key, data)
    return key[len(repository.prefix):]


def read_snapshot(repository: Repository, entry: dict[str, Any]) -> dict[str, Any]:
    """A listed snapshot's metadata (KeyError if its object is gone)."""
    data = repository.store.get(repository.bucket, repository.key(entry["key"]))
    if entry["key"].endswith(".zst"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return orjson.loads(data)


def snapshot_files(meta: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for index in meta.get("indices", {}).values():
        for split in index["splits"]:
            yield from split["files"]


def referenced(repository: Repository, listing: dict[str, Any]) -> set[str]:
    """The blob and metadata keys the listed snapshots use."""
    keys: set[str] = set()
    for entry in listing["snapshots"]:
        keys.add(repository.key(entry["key"]))
        keys.update(blob_key(repository, f["sha256"])
                    for f in snapshot_files(read_snapshot(repository, entry)))
    return keys


def unreferenced(repository: Repository, listing: dict[str, Any],
                 keep: set[str] = frozenset()) -> list[tuple[str, int]]:  # type: ignore[assignment]
    """Blobs and metadata no listed snapshot uses (and not in ``keep``: what a snapshot in
    progress has stored): the garbage a deletion or a crash left, with their sizes."""
    used = referenced(repository, listing) | set(keep)
    found = []
    for folder in (BLOBS, SNAPSHOTS):
        for info in repository.store.list(repository.bucket, repository.key(folder)):
            if info.key not in used:
                found.append((info.key, info.size))
    return found


def known_blobs(repository: Repository, listing: dict[str, Any]) -> set[str]:
    """SHA-256 of every file the listed snapshots hold: a file among them is not new."""
    return {f["sha256"] for entry in listing["snapshots"]
            for f in snapshot_files(read_snapshot(repository, entry))}
