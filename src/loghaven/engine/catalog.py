"""The catalog: every index of this node, with its aliases, templates and name resolution.

It owns the metastore records of indices and aliases, opens indices at start, creates them
(templates applied, or automatically on first write), and gives the node's scheduler the
periodic refresh and merge jobs.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import shutil
import threading
import time
import uuid as uuidlib
from collections import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loghaven.engine import blocks, disk, sidecar, templates
from loghaven.engine.documents_state import now_ms
from loghaven.engine.index import Index
from loghaven.engine.mapping import Mapping, check_mapping_limits
from loghaven.engine.merge import merge_small_splits
from loghaven.engine.names import (
    is_pattern,
    resolve_date_math,
    validate_alias_name,
    validate_index_name,
)
from loghaven.engine.schema import build_schema
from loghaven.engine.settings import IndexSettings, flatten
from loghaven.errors import (
    ActionRequestValidation,
    IllegalArgument,
    IndexClosed,
    IndexNotFound,
    InvalidIndexName,
    LoghavenError,
    ResourceAlreadyExists,
)
from loghaven.params import expect_object, param_bool
from loghaven.scheduler import Every, Scheduler
from loghaven.security import access, system_indices
from loghaven.storage.metastore import Metastore
from loghaven.storage.splits import LocalSplitStorage, SplitStorage

INDEX = "index"
#: OpenSearch's action of creating an index (explicitly or on a first write).
CREATE_INDEX = "indices:admin/create"
#: OpenSearch's action of adding an index to an alias, checked on each alias a new index
#: joins (its request's and its templates': joining an alias adds documents to what the
#: alias's readers see).
ADD_ALIAS = "indices:admin/aliases"
#: An index that has taken no writes for this long gives its writer's memory back.
WRITER_IDLE_SECONDS = 60.0
#: A search-idle index still refreshes once its live map holds this much source (bounds
#: its memory), or its log ``index.translog.flush_threshold_size`` (the replay after a crash).
IDLE_REFRESH_BYTES = 64 * 1024 * 1024
#: Scheduled refreshes check every index this often (each index refreshes per its interval).
REFRESH_EVERY_SECONDS = 0.2
#: At most one merge of small splits per index in this many seconds.
MERGE_EVERY_SECONDS = 30.0
#: After a failed refresh (a full disk) the next scheduled one waits this long, since each
#: failure re-applies the whole log.
REFRESH_RETRY_SECONDS = 5.0
log = logging.getLogger("loghaven.engine")


@dataclass(frozen=True)
class Target:
    """A resolved search target: an index and the filter of the alias it was reached through."""

    index: Index
    alias_filter: dict[str, Any] | None = None


class Catalog:
    """All indices of one node."""

    def __init__(self, data_dir: Path, metastore: Metastore, *,
                 split_storage: SplitStorage | None = None) -> None:
        self.data_dir = data_dir
        self.metastore = metastore
        #: Where split files live: the data folder, and the warm tier (storage/splits.py).
        self.split_storage = split_storage or LocalSplitStorage(data_dir)
        self.indices: dict[str, Index] = {}
        self.aliases: dict[str, dict[str, dict[str, Any]]] = {}  # index → alias → props
        self.lock = threading.RLock()
        #: Serializes :meth:`save_meta`, which runs under the catalog's lock (creation,
        #: aliases, blocks) and under an index's (mapping updates, split changes) alike.
        self._meta_lock = threading.Lock()
        #: The records saved inside :meth:`one_write` (by its thread), written at its end.
        self._batch: dict[str, Index] | None = None
        self._batch_thread: int | None = None
        self._last_merge: dict[str, float] = {}
        self._refresh_retry_at: dict[str, float] = {}
        self._settings_consumers: list[Callable[[dict[str, Any]], None]] = []
        self._index_settings_guards: list[Callable[[Index, IndexSettings], None]] = []
        #: Called with each index created, after it is recorded (ISM's ``ism_template``).
        self._creation_listeners: list[Callable[[Index], None]] = []
        self._unreadable: dict[str, dict[str, Any]] = {}
        self.cluster_uuid = self._cluster_uuid()
        self.disk = disk.DiskMonitor(data_dir)
        #: Whether the last measurement was below the high watermark (None before the first):
        #: the flood-stage block is lifted on the way down, not at every measurement.
        self._disk_below_high: bool | None = None
        self._settings_consumers.append(lambda flat: disk.validate(flat.get))
        for name, meta in metastore.list(INDEX).items():
            self.aliases[name] = meta.get("aliases", {})
            self.indices[name] = index = self._load(name, meta)
            if name not in self._unreadable:  # also gives older versions' indices a sidecar
                try:
                    self._write_sidecar(index, self._record(index))
                except OSError as exc:  # a full disk must not stop the start
                    log.warning("index %s: writing its sidecar failed: %s", name, exc)
        self._remove_deleted_folders()

    def _remove_deleted_folders(self) -> None:
        """Delete the folders of deleted indices that a crash left (marked deleted before
        their records went, :meth:`delete_index`) and no record names any more."""
        root = self.data_dir / "indices"
        if not root.is_dir():
            return
        recorded = {index.uuid for index in self.indices.values()} \
            | set(self.metastore.list("index_state"))
        for folder in sorted(root.iterdir()):
            if folder.is_dir() and folder.name not in recorded and sidecar.deleted(folder):
                log.info("removing the folder of a deleted index: %s", folder)
                shutil.rmtree(folder, ignore_errors=True)

    def _cluster_uuid(self) -> str:
        stored = self.metastore.get("cluster", "uuid")
        if stored is None:
            stored = {"uuid": uuidlib.uuid4().hex[:22]}
            self.metastore.put("cluster", "uuid", stored)
        return stored["uuid"]

    def _load(self, name: str, meta: dict[str, Any]) -> Index:
        """Open a stored index; one whose metadata cannot be read comes up red, not the node down.

        Its stored record is kept as it is (``_unreadable``) so that saving never overwrites
        it with the empty stand-in mapping.
        """
        index_uuid = str(meta.get("uuid", "_na_"))
        folder = self.data_dir / "indices" / index_uuid
        try:
            settings = IndexSettings(meta["settings"])
            mapping = Mapping(meta["mappings"], settings.analysis)
        except Exception as exc:  # any unreadable record makes the index red
            reason = f"unreadable index metadata: {type(exc).__name__}: {exc}"
            log.error("index [%s/%s] failed to open: %s", name, index_uuid, reason)
            self._unreadable[name] = meta
            return Index(name, index_uuid, folder, self.metastore, IndexSettings({}), Mapping(),
                         on_meta_change=self.save_meta, failure=reason,
                         storage=self.split_storage)
        return Index(name, index_uuid, folder, self.metastore, settings, mapping,
                     state=meta.get("state", "open"), on_meta_change=self.save_meta,
                     storage=self.split_storage)

    def save_meta(self, index: Index) -> None:
        """Persist an index's settings, mapping, aliases and state (called on every change).

        One save at a time, each taking the record when it writes: two saves at once (a new
        index's first write updating its mapping while its creation saves it) would
        otherwise let the older record land last, and the mapping be lost at restart.
        """
        if self._batch is not None and self._batch_thread == threading.get_ident():
            self._batch[index.name] = index  # written by the batch's end
            return
        self._save_records([index])

    def _save_records(self, indices: abc.Iterable[Index]) -> None:
        """The records of ``indices`` (those still registered) in one metastore write."""
        with self._meta_lock:
            items: list[tuple[str, str, dict[str, Any] | None]] = []
            for index in indices:
                if self.indices.get(index.name) is not index:  # deleted: not brought back
                    continue
                if index.name in self._unreadable:
                    record = dict(self._unreadable[index.name])
                    record["aliases"] = self.aliases.get(index.name, {})
                else:
                    record = self._record(index)
                    # the sidecar first: it may list a split ahead of the metastore
                    self._write_sidecar(index, record)
                items.append((INDEX, index.name, record))
            if items:
                self.metastore.put_many(items)

    @contextlib.contextmanager
    def one_write(self) -> Iterator[None]:
        """Hold the catalog's lock, and write the index records this thread saves meanwhile
        in one metastore transaction at the end, as ES applies a rollover (a new index and
        its alias moved) or an ``_aliases`` request in one cluster-state update: a crash
        leaves all of it or none. What was saved is written even when the body fails, so
        that the metastore keeps what memory holds."""
        with self.lock:
            if self._batch is not None:  # nested: the outermost writes
                yield
                return
            self._batch, self._batch_thread = {}, threading.get_ident()
            try:
                yield
            finally:
                batch = self._batch
                self._batch = self._batch_thread = None
                self._save_records(batch.values())

    def _write_sidecar(self, index: Index, record: dict[str, Any]) -> None:
        """The sidecar of an index: its record and split list (the stored one while the index
        is closed or red, when it has no splits open)."""
        if index.state == "open" and index.failure is None:
            splits = index.split_list()
        else:
            splits = (self.metastore.get("index_state", index.uuid) or {}).get("splits", [])
        sidecar.write(index.folder, record, splits)

    def _record(self, index: Index) -> dict[str, Any]:
        return {
            "name": index.name,
            "uuid": index.uuid,
            "settings": index.settings.user,
            "mappings": index.mapping.body,
            "aliases": self.aliases.get(index.name, {}),
            "state": index.state,
        }

    # --- lifecycle -------------------------------------------------------------------------

    def schedule(self, scheduler: Scheduler) -> None:
        """Register the engine's housekeeping with the node's scheduler: refresh (and the
        async-durability fsync, and the disk watermarks) every 200 ms, merges in a job of
        their own so that refreshes never wait for one."""
        self.check_disk(force=True)
        scheduler.add("engine.refresh", self.refresh_due, Every(REFRESH_EVERY_SECONDS))
        scheduler.add("engine.merge", self.merge_due, Every(1.0))

    def refresh_due(self, stopping: threading.Event) -> None:
        """Refresh every open index whose interval has passed (search-idle ones wait); an
        index whose refresh failed (a full disk) is retried after REFRESH_RETRY_SECONDS."""
        try:
            self.check_disk()
        except Exception:  # keep refreshing
            log.exception("checking the disk watermarks failed")
        for index in list(self.indices.values()):
            if stopping.is_set():
                return
            if index.state != "open" \
                    or self._refresh_retry_at.get(index.name, 0) > time.monotonic():
                continue
            interval = index.settings.refresh_interval_ms
            try:
                if index.needs_commit:  # after a failure: writes wait for a commit
                    index.refresh()
                if index.settings.durability == "async" and index.wal is not None:
                    index.wal.sync()
                if (interval >= 0 and index.pending
                        and (time.monotonic() - index.last_refresh) * 1000 >= interval
                        and (not index.search_idle()
                             or index.live_bytes >= IDLE_REFRESH_BYTES
                             or index.pending_bytes >= index.settings.flush_threshold_bytes)):
                    index.refresh()
                index.release_idle_writer(WRITER_IDLE_SECONDS)
                index.save_checksums()
            except (LoghavenError, OSError) as error:  # a full disk: retried later
                self._refresh_retry_at[index.name] = time.monotonic() + REFRESH_RETRY_SECONDS
                log.warning("refresh of %s failed: %s", index.name, error)
            except Exception:  # keep refreshing the other indices
                log.exception("refresh of %s failed", index.name)

    def check_disk(self, *, force: bool = False) -> None:
        """Measure the disk (at most once a second) and put or lift the flood-stage block.

        As in Elasticsearch 7.4+: every index gets ``index.blocks.read_only_allow_delete``
        at the flood stage, and loses it once usage is below the high watermark. The block
        is lifted when usage falls below the high watermark (and at the first measurement
        after a start, which may follow a flood), not at every measurement: a block a user
        gives an index (at creation or through ``_settings``) on a healthy disk holds.
        """
        was_below_high = self._disk_below_high
        self.disk.check(self.cluster_setting, force=force)
        self._disk_below_high = self.disk.below_high
        release = self.disk.below_high and was_below_high is not True
        if not self.disk.flood and not release:
            return
        for index in list(self.indices.values()):
            blocked = blocks.is_set(index.settings.flat, blocks.READ_ONLY_ALLOW_DELETE)
            if self.disk.flood and not blocked:
                self._set_block(index, "true")
            elif release and blocked:
                self._set_block(index, "")

    def _set_block(self, index: Index, value: str) -> None:
        index.settings = index.settings.updated({blocks.READ_ONLY_ALLOW_DELETE: value})
        log.warning("index %s: %s %s", index.name,
                    "set" if value else "released", blocks.READ_ONLY_ALLOW_DELETE)
        try:
            self.save_meta(index)
        except Exception as exc:  # a full disk: in force in memory all the same
            log.warning("index %s: storing the block failed: %s", index.name, exc)

    def merge_due(self, stopping: threading.Event) -> None:
        """Merge small sealed splits, at most once per index every MERGE_EVERY_SECONDS (a
        failed merge, e.g. on a full disk, is retried after the same pause)."""
        for index in list(self.indices.values()):
            if stopping.is_set():
                return
            if index.state != "open" or \
                    time.monotonic() - self._last_merge.get(index.name, 0) < MERGE_EVERY_SECONDS:
                continue
            try:
                if merge_small_splits(index) is not None:
                    self._last_merge[index.name] = time.monotonic()
            except Exception:  # keep merging the other indices; retry this one later
                self._last_merge[index.name] = time.monotonic()
                log.exception("merge of %s failed", index.name)

    def close(self) -> None:
        """Close every index (commits what is pending); the scheduler is stopped first."""
        for index in list(self.indices.values()):
            index.close()
        self.metastore.close()

    # --- indices ---------------------------------------------------------------------------

    def create_index(self, name: str, body: dict[str, Any] | None = None) -> Index:
        body = body or {}
        provided = name  # ES keeps date math here (rollover reads it)
        name = resolve_date_math(name)
        access.check(name, CREATE_INDEX)
        validate_index_name(name)
        self.check_disk()
        if self.disk.flood and not blocks.flood_exempt():
            raise blocks.flood_stage_block(name)
        with self.lock:
            if name in self.indices:
                raise ResourceAlreadyExists(f"index [{name}/{self.indices[name].uuid}] already "
                                            f"exists", index=name,
                                            index_uuid=self.indices[name].uuid)
            if name in self.alias_names():
                raise InvalidIndexName(f"Invalid index name [{name}], already exists as alias",
                                       index=name, index_uuid="_na_")
            unknown = set(body) - {"settings", "mappings", "aliases"}
            if unknown:
                raise IllegalArgument(f"unknown key [{sorted(unknown)[0]}] for create index")
            templates.check_parts(body)
            resolved = templates.resolve(self.metastore, name)
            # The request's own mapping is checked before merging copies it recursively.
            limits = IndexSettings({**resolved["settings"], **flatten(
                body.get("settings", {}) or {})}).mapping_limits()
            check_mapping_limits(body.get("mappings", {}) or {}, limits)
            templates.merge_layer(resolved, body)
            settings = IndexSettings(resolved["settings"])
            check_mapping_limits(resolved["mappings"], settings.mapping_limits())
            mapping = Mapping(resolved["mappings"], settings.analysis)
            build_schema(mapping)  # a mapping tantivy cannot take is refused before any write
            index_uuid = uuidlib.uuid4().hex[:22]
            settings.set("index.uuid", index_uuid)
            settings.set("index.creation_date", str(now_ms()))
            settings.set("index.provided_name", provided)
            settings.set("index.version.created", "136327827")
            for alias in resolved["aliases"]:
                validate_alias_name(alias)
                access.check(alias, ADD_ALIAS)
            index = Index(name, index_uuid, self.data_dir / "indices" / index_uuid,
                          self.metastore, settings, mapping, on_meta_change=self.save_meta,
                          storage=self.split_storage)
            if index.failure is not None:  # e.g. the disk: nothing is registered
                index.remove()
                shutil.rmtree(index.folder, ignore_errors=True)
                self.metastore.delete("index_state", index_uuid)
                raise LoghavenError(f"failed to create index [{name}]: {index.failure}")
            self.indices[name] = index
            self.aliases[name] = {a: (props or {}) for a, props in resolved["aliases"].items()}
            self.save_meta(index)
        for listener in self._creation_listeners:
            try:
                listener(index)
            except Exception:  # the index exists: a listener's failure is only logged
                log.exception("a creation listener failed for index [%s]", name)
        return index

    def add_creation_listener(self, listener: Callable[[Index], None]) -> None:
        """Call ``listener`` with every index created from now on (outside the catalog's
        lock, once the index is recorded)."""
        self._creation_listeners.append(listener)

    def register_index(self, name: str, index_uuid: str, settings: dict[str, str],
                       mappings: dict[str, Any], aliases: dict[str, dict[str, Any]]) -> Index:
        """Open and register an index whose split files and split list (``index_state``) are
        already in place under ``index_uuid``: a snapshot's restore (lifecycle/snapshots/),
        with the snapshot's settings, mappings and aliases and no templates."""
        with self.lock:
            if name in self.indices:
                raise ResourceAlreadyExists(f"index [{name}/{self.indices[name].uuid}] already "
                                            f"exists", index=name,
                                            index_uuid=self.indices[name].uuid)
            index_settings = IndexSettings({**settings, "index.uuid": index_uuid})
            index = Index(name, index_uuid, self.data_dir / "indices" / index_uuid,
                          self.metastore, index_settings,
                          Mapping(mappings, index_settings.analysis), on_meta_change=self.save_meta,
                          storage=self.split_storage)
            if index.failure is not None:
                index.remove()
                raise LoghavenError(f"failed to open restored index [{name}]: {index.failure}")
            self.indices[name] = index
            self.aliases[name] = {a: (props or {}) for a, props in aliases.items()}
            self.save_meta(index)
            return index

    def delete_index(self, index: Index) -> None:
        """Forget the index, then delete its files: its records go in one metastore write
        before any file or warm object does (Index.remove), so a crash midway leaves no index
        with part of its splits, only files that a start (:meth:`_remove_deleted_folders`)
        and the warm orphan sweep (storage/warm_gc.py) remove."""
        with self.lock:
            with self._meta_lock:  # a save under way finishes first; later ones see it gone
                self.indices.pop(index.name, None)
                self.aliases.pop(index.name, None)
                self._unreadable.pop(index.name, None)
                sidecar.remove(index.folder)
            index.remove(forget=lambda: self.metastore.put_many(
                [(INDEX, index.name, None), ("index_state", index.uuid, None)]))
            shutil.rmtree(index.folder, ignore_errors=True)

    def get(self, name: str) -> Index:
        index = self.indices.get(name)
        if index is None:
            raise IndexNotFound(name)
        return index

    def aliases_of(self, index_name: str) -> abc.Collection[str]:
        """The aliases an index is a member of."""
        return self.aliases.get(index_name, {}).keys()

    def alias_names(self) -> set[str]:
        return {alias for aliases in self.aliases.values() for alias in aliases}

    def resolve_params(self, expression: str | None, params: abc.Mapping[str, str], *,
                       expand: str = "open", allow_closed: bool = False) -> list[Target]:
        """:meth:`resolve` with ES's URL resolution parameters (``ignore_unavailable``,
        ``allow_no_indices``, ``expand_wildcards``, whose default is ``expand``)."""
        return self.resolve(
            expression,
            ignore_unavailable=param_bool(params, "ignore_unavailable"),
            allow_no_indices=param_bool(params, "allow_no_indices", True),
            expand_wildcards=params.get("expand_wildcards", expand),
            include_closed_error=not allow_closed,
        )

    def resolve(self, expression: str | None, *, ignore_unavailable: bool = False,
                allow_no_indices: bool = True, expand_wildcards: str = "open",
                include_closed_error: bool = True,
                include_failed: bool | None = None) -> list[Target]:
        """Targets of a comma list of names, aliases, wildcards, ``-exclusions`` and ``_all``.

        An index that failed to open (red) is a target only for metadata access
        (``include_failed``, by default when closed indices are accepted too); for reads it
        is skipped by wildcards and answers 503 when named.

        Work acting for a subject (security/context.py) sees only what its roles grant the
        action: wildcards expand to the indices it may act on by name or through an alias,
        and a name it may not act on is OpenSearch's 403 (before whether it exists, which
        would tell what it may not know), or skipped with ``ignore_unavailable``.
        """
        if include_failed is None:
            include_failed = not include_closed_error
        parts = [p for p in (expression or "_all").split(",") if p]
        if not parts:
            parts = ["_all"]
        states = {"open", "close"} if "all" in expand_wildcards or "closed" in expand_wildcards \
            else ({"open"} if "open" in expand_wildcards else set())
        with_hidden = "all" in expand_wildcards or "hidden" in expand_wildcards
        selected: dict[str, dict[str, Any] | None] = {}
        named: set[str] = set()  # reached by name or alias, not by a wildcard
        alias_map = self._alias_map()
        for position, raw in enumerate(parts):
            part = resolve_date_math(raw)
            if part.startswith("-") and position > 0:
                pattern = part[1:]
                for name in list(selected):
                    if fnmatch.fnmatchcase(name, pattern):
                        del selected[name]
                continue
            if part in ("_all", "*"):
                part = "*"
            if is_pattern(part):
                matched = False
                for name in self._wildcard_indices(part, states, with_hidden):
                    selected.setdefault(name, None)
                    matched = True
                for alias, members in alias_map.items():
                    if fnmatch.fnmatchcase(alias, part) and access.allows(alias) \
                            and _wildcard_reaches(alias, part, _hidden_alias(members),
                                                  with_hidden):
                        for name, props in members.items():
                            selected.setdefault(name, props.get("filter"))
                            matched = True
                if not matched and not allow_no_indices:
                    raise IndexNotFound(part)
                continue
            if not self._may_name(part, alias_map):
                if ignore_unavailable:
                    continue
                access.check(part)
            if part in self.indices:
                if self.indices[part].state == "close" and include_closed_error \
                        and not ignore_unavailable:
                    raise IndexClosed(part)
                selected[part] = None
                named.add(part)
            elif part in alias_map:
                for name, props in alias_map[part].items():
                    selected.setdefault(name, props.get("filter"))
                    named.add(name)
            elif not ignore_unavailable:
                raise IndexNotFound(part)
        for name in [n for n in selected if system_indices.protected(n)
                     and not access.allows(n)]:
            del selected[name]  # reached through an alias whose grant does not cover it
        if not include_failed:
            for name in [n for n in selected if self.indices[n].failure is not None]:
                if name not in named or ignore_unavailable:
                    del selected[name]
                else:
                    self.indices[name].check_available()
        if not selected and not allow_no_indices:
            raise IndexNotFound(expression or "_all")
        return [Target(self.indices[name], alias_filter) for name, alias_filter in
                sorted(selected.items())]

    def _wildcard_indices(self, pattern: str, states: abc.Collection[str],
                          with_hidden: bool) -> list[str]:
        """The indices a wildcard reaches: in one of ``states``, hidden ones only as
        :func:`_wildcard_reaches` allows, and only those the acting subject may act on (by
        name or through an alias)."""
        return [name for name, index in self.indices.items()
                if index.state in states and fnmatch.fnmatchcase(name, pattern)
                and _wildcard_reaches(name, pattern, _hidden(index), with_hidden)
                and access.allows(name, aliases=self.aliases_of(name))]

    def _may_name(self, name: str, alias_map: abc.Mapping[str, abc.Collection[str]]) -> bool:
        """Whether the acting subject may name this index (or act on it through one of its
        aliases) or alias (or act on every index behind it)."""
        if name in alias_map:
            return access.allows(name) or all(
                access.allows(index, aliases=self.aliases_of(index))
                for index in alias_map[name])
        return access.allows(name, aliases=self.aliases_of(name))

    def resolve_index(self, expression: str, *, expand_wildcards: str = "open",
                      ignore_unavailable: bool = False) -> dict[str, Any]:
        """``_resolve/index``: the indices and aliases an expression names, listed apart."""
        expand = expand_wildcards
        states = {"open", "close"} if "all" in expand else (
            ({"open"} if "open" in expand else set())
            | ({"close"} if "closed" in expand else set()))
        with_hidden = "all" in expand or "hidden" in expand
        alias_map = self._alias_map()
        members = {alias: list(indices) for alias, indices in alias_map.items()}
        indices: set[str] = set()
        aliases: set[str] = set()
        for position, raw in enumerate(expression.split(",")):
            if raw.startswith("-") and position > 0:
                indices = {n for n in indices if not fnmatch.fnmatchcase(n, raw[1:])}
                aliases = {a for a in aliases if not fnmatch.fnmatchcase(a, raw[1:])}
                continue
            part = "*" if raw == "_all" else resolve_date_math(raw)
            if is_pattern(part):
                indices.update(self._wildcard_indices(part, states, with_hidden))
                aliases |= {alias for alias in members if fnmatch.fnmatchcase(alias, part)
                            and access.allows(alias) and _wildcard_reaches(
                                alias, part, _hidden_alias(alias_map[alias]), with_hidden)}
            elif not self._may_name(part, members):
                if not ignore_unavailable:
                    access.check(part)
            elif part in self.indices:
                indices.add(part)
            elif part in members:
                aliases.add(part)
            elif not ignore_unavailable:
                raise IndexNotFound(part)
        entries = []
        for name in sorted(indices):
            index = self.indices[name]
            attributes = ["open" if index.state == "open" else "closed"]
            if _hidden(index):
                attributes.append("hidden")
            entry: dict[str, Any] = {"name": name}
            own_aliases = sorted(self.aliases.get(name, {}))
            if own_aliases:
                entry["aliases"] = own_aliases
            entry["attributes"] = sorted(attributes)
            entries.append(entry)
        return {"indices": entries,
                "aliases": [{"name": a, "indices": sorted(members[a])} for a in sorted(aliases)],
                "data_streams": []}

    def _alias_map(self) -> dict[str, dict[str, dict[str, Any]]]:
        result: dict[str, dict[str, dict[str, Any]]] = {}
        for index, aliases in self.aliases.items():
            for alias, props in aliases.items():
                result.setdefault(alias, {})[index] = props
        return result

    def write_index(self, name: str, *, auto_create: bool = True) -> Index:
        """The index a write to ``name`` goes to: the index, an alias's write index, or a new one."""
        name = resolve_date_math(name)
        index = self.indices.get(name)
        if index is not None:
            if index.state == "close":
                raise IndexClosed(name)
            index.check_available()
            return index
        members = self._alias_map().get(name)
        if members:
            writers = [i for i, p in members.items() if p.get("is_write_index")]
            if not writers and len(members) == 1:
                writers = list(members)
            if len(writers) != 1:
                raise IllegalArgument(
                    f"no write index is defined for alias [{name}]. The write index may be "
                    f"explicitly disabled using is_write_index=false or the alias points to "
                    f"multiple indices without one being designated as a write index")
            return self.write_index(writers[0])
        if not auto_create or not self._auto_create_allowed(name):
            raise IndexNotFound(name)
        with self.lock:
            if name in self.indices:
                return self.indices[name]
            return self.create_index(name)

    def _auto_create_allowed(self, name: str) -> bool:
        setting = self.cluster_setting("action.auto_create_index", "true")
        if setting in ("true", True):
            return True
        if setting in ("false", False):
            return False
        for pattern in str(setting).split(","):
            pattern = pattern.strip()
            negate = pattern.startswith("-")
            pattern = pattern.lstrip("+-")
            if fnmatch.fnmatchcase(name, pattern):
                return not negate
        return False

    # --- cluster settings ------------------------------------------------------------------

    def cluster_settings(self) -> dict[str, dict[str, Any]]:
        return self.metastore.get("cluster", "settings") or {"persistent": {}, "transient": {}}

    def cluster_setting(self, key: str, default: Any = None) -> Any:
        return _effective(self.cluster_settings()).get(key, default)

    def add_index_settings_guard(self, guard: Callable[[Index, IndexSettings], None]) -> None:
        """Have ``guard`` check each index settings update (the index, the settings it would
        get) before any index takes it, refusing it by raising: the warm tier keeps its
        indices' write block (lifecycle/migration.py)."""
        self._index_settings_guards.append(guard)

    def check_index_settings(self, index: Index, settings: IndexSettings) -> None:
        for guard in self._index_settings_guards:
            guard(index, settings)

    def add_settings_consumer(self, consumer: Callable[[dict[str, Any]], None]) -> None:
        """Call ``consumer`` with the effective cluster settings now and before each change
        is stored (ES's ``addSettingsUpdateConsumer``); an error it raises refuses the change."""
        consumer(_effective(self.cluster_settings()))
        self._settings_consumers.append(consumer)

    def put_cluster_settings(self, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Apply ``persistent``/``transient`` changes (``null`` resets, ``a.*`` too); return them."""
        unknown = set(body) - {"persistent", "transient"}
        if unknown:
            raise IllegalArgument(f"request body contains unknown key [{sorted(unknown)[0]}]")
        for scope in ("persistent", "transient"):
            if body.get(scope) is not None:
                expect_object(body[scope], scope, "cluster_update_settings_request")
        if not any(body.get(scope) for scope in ("persistent", "transient")):
            raise ActionRequestValidation("Validation Failed: 1: no settings to update;")
        settings = self.cluster_settings()
        applied: dict[str, dict[str, Any]] = {"persistent": {}, "transient": {}}
        for scope in ("persistent", "transient"):
            flat = _flat_keys(body.get(scope, {}) or {})
            for key, value in flat.items():
                if value is None:
                    for name in [k for k in settings[scope] if fnmatch.fnmatchcase(k, key)]:
                        settings[scope].pop(name)
                else:
                    settings[scope][key] = applied[scope][key] = value
        for consumer in self._settings_consumers:
            consumer(_effective(settings))
        self.metastore.put("cluster", "settings", settings)
        return applied


def _hidden(index: Index) -> bool:
    return str(index.settings.flat.get("index.hidden", "false")).lower() == "true"


def _hidden_alias(members: abc.Mapping[str, abc.Mapping[str, Any]]) -> bool:
    """Whether an alias is hidden (``is_hidden`` on its members, which ES keeps equal)."""
    return any(str(props.get("is_hidden", "false")).lower() == "true"
               for props in members.values())


def _wildcard_reaches(name: str, pattern: str, hidden: bool, with_hidden: bool) -> bool:
    """Whether a wildcard reaches an index or alias: a hidden one only with
    ``expand_wildcards`` ``hidden``/``all`` or, as ES's ``implicitHiddenMatch``, when both
    the pattern and the name start with a dot (``.opendistro-alerting-alert-history-*``
    reaches the hidden alert history)."""
    return with_hidden or not hidden or (pattern.startswith(".") and name.startswith("."))


def _effective(settings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Flat cluster settings in force: transient ones over persistent ones."""
    return {**settings.get("persistent", {}), **settings.get("transient", {})}


def _flat_keys(body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, dict):
            out.update(_flat_keys(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value if value is None or isinstance(value, str) \
                else str(value).lower() if isinstance(value, bool) else str(value)
    return out
