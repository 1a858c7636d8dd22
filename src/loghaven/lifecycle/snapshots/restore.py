"""Restoring indices from a snapshot: which indices under which names with which settings
(ES's checks and messages), then their split files fetched into a new index folder, then the
index registered in the catalog: the one step that makes it exist. Until then it is a folder
and a split list under a new uuid that a restart removes (the restore is recorded first)."""

from __future__ import annotations

import fnmatch
import re
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loghaven.engine import blocks
from loghaven.engine.catalog import CREATE_INDEX
from loghaven.engine.names import validate_index_name
from loghaven.engine.settings import flatten
from loghaven.errors import IllegalArgument, IndexNotFound, LoghavenError
from loghaven.lifecycle.migration import BOX_TYPE
from loghaven.lifecycle.snapshots import format as fmt
from loghaven.lifecycle.snapshots.create import WARM_BLOCK
from loghaven.lifecycle.snapshots.errors import SnapshotRestoreError
from loghaven.lifecycle.snapshots.repositories import Repository
from loghaven.params import expect_list, expect_object, expect_string, parse_bool
from loghaven.security import access

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog
    from loghaven.storage.metastore import Metastore

#: ES's ``RestoreService.UNMODIFIABLE_SETTINGS`` (and those it derives itself).
UNMODIFIABLE = frozenset({"index.number_of_shards", "index.version.created", "index.uuid",
                          "index.creation_date", "index.history.uuid"})
_BODY = {"indices", "ignore_unavailable", "include_global_state", "partial", "rename_pattern",
         "rename_replacement", "include_aliases", "index_settings", "ignore_index_settings",
         "expand_wildcards", "storage_type", "source_remote_store_repository",
         "rename_alias_pattern", "rename_alias_replacement"}
#: OpenSearch's options for searchable and remote-store snapshots: refused, not ignored.
_UNSUPPORTED = {"storage_type": "remote_snapshot", "source_remote_store_repository": None}


def plan(repository: Repository, snapshot: str, meta: dict[str, Any],
         body: dict[str, Any], catalog: Catalog,
         own: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The indices to restore: ``{"source", "target", "settings", "mappings", "aliases",
    "replaces"}`` each, checked against the request and the catalog before anything is
    written. ``own`` (target → uuid) names the indices this restore registered before a
    restart: they are not "an open index with the same name"."""
    name = f"{snapshot}/{meta['uuid']}"
    for key in body:
        if key not in _BODY:
            raise LoghavenError(f"Unknown parameter {key}", status=400, type="parsing_exception")
        if key in _UNSUPPORTED and body[key] is not None \
                and _UNSUPPORTED[key] in (None, body[key]):
            raise IllegalArgument(f"[{key}] is not supported: Loghaven restores snapshots "
                                  "to local storage only")
    if meta["state"] not in ("SUCCESS", "PARTIAL"):
        raise SnapshotRestoreError(repository.name, name,
                                   f"unsupported snapshot state [{meta['state']}]")
    available = meta["indices"]
    wanted = _select(body.get("indices"), sorted(meta.get("index_names") or available),
                     parse_bool(body.get("ignore_unavailable", False), "ignore_unavailable"))
    partial = parse_bool(body.get("partial", False), "partial")
    for source in wanted:
        if source not in available and not partial:  # ES's RestoreService, in these words
            raise SnapshotRestoreError(repository.name, name, f"index [{source}] wasn't "
                                       "fully snapshotted - cannot restore")
    wanted = [source for source in wanted if source in available]
    rename = _renaming(body, "rename_pattern", "rename_replacement")
    rename_alias = _renaming(body, "rename_alias_pattern", "rename_alias_replacement")
    include_aliases = parse_bool(body.get("include_aliases", True), "include_aliases")
    changes = flatten(expect_object(body.get("index_settings") or {}, "index_settings",
                                    "restore"))
    ignored = body.get("ignore_index_settings") or []
    if isinstance(ignored, str):
        ignored = [s for s in ignored.split(",") if s]
    ignored = [expect_string(s, "ignore_index_settings", "restore")
               for s in expect_list(ignored, "ignore_index_settings", "restore")]
    for key in [*changes, *ignored]:
        full = key if key.startswith("index.") else f"index.{key}"
        if full in UNMODIFIABLE:
            verb = "modify" if key in changes else "remove"
            raise SnapshotRestoreError(repository.name, name,
                                       f"cannot {verb} setting [{full}] on restore")
    targets: dict[str, str] = {}
    planned = []
    for source in wanted:
        target = rename(source)
        if target in targets:
            raise SnapshotRestoreError(
                repository.name, name, f"indices [{targets[target]}] and [{source}] would be "
                f"restored as one index [{target}]")
        targets[target] = source
        validate_index_name(target)
        access.check(target, CREATE_INDEX)  # restoring makes an index, as OpenSearch checks
        existing = catalog.indices.get(target)
        ours = existing is not None and (own or {}).get(target) == existing.uuid
        if existing is not None and existing.state == "open" and not ours:
            raise _open_index_exists(repository, name, target)
        stored = available[source]
        settings = dict(stored["settings"])
        for key in ignored:
            full = key if key.startswith("index.") else f"index.{key}"
            for existing_key in [k for k in settings
                                 if k == full or fnmatch.fnmatchcase(k, full)]:
                settings.pop(existing_key)
        settings.update({(k if k.startswith("index.") else f"index.{k}"): v
                         for k, v in changes.items()})
        settings["index.provided_name"] = target
        # the files come back to local disk: a warm index is restored hot, writable unless
        # its user had blocked it; UltraWarm's _warm moves it again
        _lift_warm_block(settings, stored, changes)
        if settings.get(BOX_TYPE) == "warm":
            settings.pop(BOX_TYPE)
        aliases = {rename_alias(a): props for a, props in stored["aliases"].items()}
        planned.append({"source": source, "target": target, "settings": settings,
                        "mappings": stored["mappings"], "snapshot": name,
                        "aliases": aliases if include_aliases else {},
                        "replaces": existing.uuid if existing is not None and not ours
                        else None,
                        "checkpoint": stored.get("checkpoint", -1),
                        "splits": stored["splits"]})
    return planned


def restore_index(repository: Repository, item: dict[str, Any], index_uuid: str,
                  replaces: str | None, catalog: Catalog, metastore: Metastore, level: int,
                  check: Callable[[], None], fetched: Callable[[], None]) -> None:
    """Fetch one planned index's splits under ``index_uuid`` and register it. ES reserves
    the name when the restore starts; here the name is checked again at registration, under
    the catalog's lock: only the closed index ``replaces`` (seen when the restore was
    planned) is replaced, as ES restores over a closed index; an index created meanwhile
    fails this one (``check`` runs before each split, ``fetched`` once all are here)."""
    storage = catalog.split_storage
    blobs = repository.blobs(level)
    records = []
    for split in item["splits"]:
        check()
        location = storage.location(index_uuid, split["split_id"])
        folder = storage.local_path(location)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        blobs.download([fmt.blob_file(repository, f) for f in split["files"]], folder)
        records.append({"split_id": split["split_id"], "state": "sealed",
                        "num_docs": split["num_docs"], "date_ranges": split["date_ranges"],
                        "location": location, "checksum": split["checksum"]})
    fetched()
    check()
    target = item["target"]
    with catalog.lock:
        existing = catalog.indices.get(target)
        if existing is not None:
            if existing.state == "open":
                raise _open_index_exists(repository, item["snapshot"], target)
            if existing.uuid != replaces:
                raise SnapshotRestoreError(
                    repository.name, item["snapshot"], f"cannot restore index [{target}] "
                    "because an index with same name was created while it was restored")
            catalog.delete_index(existing)
        metastore.put("index_state", index_uuid, {"checkpoint": item["checkpoint"],
                                                  "splits": records})
        catalog.register_index(target, index_uuid, item["settings"], item["mappings"],
                               item["aliases"])


def discard(index_uuid: str, catalog: Catalog, metastore: Metastore) -> None:
    """Remove what an interrupted restore of one index left (it was never registered)."""
    metastore.delete("index_state", index_uuid)
    shutil.rmtree(catalog.data_dir / "indices" / index_uuid, ignore_errors=True)


def _open_index_exists(repository: Repository, snapshot: str, target: str) -> LoghavenError:
    return SnapshotRestoreError(
        repository.name, snapshot, f"cannot restore index [{target}] because an open index "
        "with same name already exists in the cluster. Either close or delete the existing "
        "index or restore the index under a different name by providing a rename pattern "
        "and replacement name")


def _renaming(body: dict[str, Any], pattern_key: str,
              replacement_key: str) -> Callable[[str], str]:
    """ES's rename: only when both the pattern and the replacement are given."""
    pattern = body.get(pattern_key)
    replacement = body.get(replacement_key)
    if pattern is None or replacement is None:
        return lambda s: s
    regex = re.compile(expect_string(pattern, pattern_key, "restore"))
    python = _java_replacement(expect_string(replacement, replacement_key, "restore"))
    return lambda s: regex.sub(python, s)


def _select(expression: Any, available: list[str], ignore_unavailable: bool) -> list[str]:
    """ES's index expression over the snapshot's indices: names, wildcards, ``-`` exclusions,
    a comma list or a JSON list; all when none."""
    if expression is None or expression == "" or expression == []:
        return list(available)
    if isinstance(expression, str):
        parts = [p.strip() for p in expression.split(",") if p.strip()]
    else:
        parts = [expect_string(p, "indices", "restore")
                 for p in expect_list(expression, "indices", "restore")]
    chosen: list[str] = []
    for part in parts:
        if part in ("_all", "*"):
            chosen.extend(n for n in available if n not in chosen)
        elif part.startswith("-") and chosen:
            chosen = [n for n in chosen if not fnmatch.fnmatchcase(n, part[1:])]
        elif "*" in part:
            chosen.extend(n for n in available if fnmatch.fnmatchcase(n, part)
                          and n not in chosen)
        elif part in available:
            if part not in chosen:
                chosen.append(part)
        elif not ignore_unavailable:
            raise IndexNotFound(part)
    return chosen


def _lift_warm_block(settings: dict[str, Any], stored: dict[str, Any],
                     changes: dict[str, Any]) -> None:
    """A snapshot of a warm index (or one moving) holds the write block its migration set:
    the restored index is hot, so the block goes, as a move back to hot lifts it, unless
    the restore's ``index_settings`` set it."""
    if stored.get(WARM_BLOCK) and blocks.WRITE not in changes \
            and blocks.WRITE.removeprefix("index.") not in changes:
        settings.pop(blocks.WRITE, None)


def _java_replacement(text: str) -> str:
    """A Java ``Matcher.replaceAll`` replacement (``$1``, ``\\$``) as Python's ``re.sub``'s."""
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1].replace("\\", "\\\\"))
            i += 2
            continue
        if char == "$" and i + 1 < len(text) and text[i + 1].isdigit():
            j = i + 1
            while j < len(text) and text[j].isdigit():
                j += 1
            out.append(f"\\g<{text[i + 1:j]}>")
            i = j
            continue
        out.append("\\\\" if char == "\\" else char)
        i += 1
    return "".join(out)
