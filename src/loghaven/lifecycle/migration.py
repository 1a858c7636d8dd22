"""UltraWarm's migrations: an index moved hot → warm (into the object store) or back.

Hot → warm: the index is made read-only (``index.blocks.write``), sealed, force-merged into
few splits, each split uploaded and verified, the metastore switched to the warm locations
in one write (``Index.relocate``), and only then the local copy dropped; the index then
carries ``index.routing.allocation.require.box_type: warm``. Warm → hot fetches the splits
back, verifies them, switches, deletes the warm objects and lifts the block it set. Every
step is recorded in the metastore (kind ``warm_migration``, one record per index) before it
starts, so a migration resumes after kill -9 at the step it was in (each step can be run
again), and until the switch the index is whole on the side it came from.

Migrations run as scheduler jobs (``warm_migration:<index>``) in a pool of their own with
:data:`WORKERS` threads, so a few run at once and the rest wait in the queue (UltraWarm's
limits: :data:`QUEUE_LIMITS`). A failed step is retried :data:`ATTEMPTS` times, then the
migration is parked in its ``FAILED_*`` state with the reason in ``_status``; ``_warm`` /
``_hot`` again resumes it, ``_cancel`` undoes it. A cancel takes effect at the next step
boundary and is refused once the switch began (the index is then on its new side).

States are UltraWarm's, mapped onto the steps (:data:`STATES`): hot → warm goes
``PENDING_INCREMENTAL_SNAPSHOT`` (queued), ``RUNNING_INCREMENTAL_SNAPSHOT`` (block, seal),
``RUNNING_FORCE_MERGE``, ``RUNNING_FULL_SNAPSHOT`` (upload and verify),
``RUNNING_SHARD_RELOCATION`` (the switch), ``FINISHED_SHARD_RELOCATION`` (local copy
dropped, box type set); warm → hot goes ``PENDING_SHARD_RELOCATION``,
``RUNNING_SHARD_RELOCATION`` (download, verify, switch), ``FINISHED_SHARD_RELOCATION``. A
finished migration's record is deleted: its ``_status`` then answers 404, as UltraWarm's
does after a migration finishes.

Tests make a step observable with the environment variable :data:`PAUSE_ENV`
(``LOGHAVEN_TEST_MIGRATION_PAUSE=upload`` waits when the ``upload`` step starts, after it is
recorded; ``upload+`` when it ends, before the next is recorded) until the server stops or
is killed; ``upload:stored`` waits after the first split's objects are stored, before
they are recorded. Never set it in production.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loghaven.engine import blocks
from loghaven.engine.documents_state import now_ms
from loghaven.engine.index_metadata import update_settings
from loghaven.engine.merge import force_merge
from loghaven.engine.split import HOT_DOCSTORE, WARM_DOCSTORE, SplitMeta
from loghaven.errors import IllegalArgument, IndexClosed, LoghavenError, ResourceNotFound
from loghaven.scheduler import Every
from loghaven.security import access
from loghaven.storage import warm_gc

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog
    from loghaven.engine.index import Index
    from loghaven.engine.settings import IndexSettings
    from loghaven.scheduler import Scheduler
    from loghaven.storage.metastore import Metastore
    from loghaven.storage.warm import WarmTier

HOT_TO_WARM = "HOT_TO_WARM"
WARM_TO_HOT = "WARM_TO_HOT"
MIGRATION_TYPES = (HOT_TO_WARM, WARM_TO_HOT)
#: The index setting that says where an index lives (UltraWarm's, read by the UI too).
BOX_TYPE = "index.routing.allocation.require.box_type"
#: UltraWarm's setting of the segments (here: splits) a migration force-merges into.
MAX_NUM_SEGMENTS = "index.ultrawarm.migration.force_merge.max_num_segments"
#: Metastore kinds: one record per migration (by index name), and per warm index (by uuid)
#: whether its write block was set by the migration (lifted on the way back) or the user's.
KIND = "warm_migration"
WARM_INDEX = "warm_index"
#: Migrations running at once; the others wait in the queue.
WORKERS = 2
#: UltraWarm's queue limits: 200 migrations to warm, 10 back to hot; more are rejected.
QUEUE_LIMITS = {HOT_TO_WARM: 200, WARM_TO_HOT: 10}
#: Tries of a failing step before the migration is parked as failed, this far apart.
ATTEMPTS = 3
RETRY_SECONDS = 2.0
#: How long :meth:`WarmMigrations.close` waits for a step under way to end.
CLOSE_WAIT_SECONDS = 30.0
#: Test-only: the step to pause at (``<step>`` when it starts, ``<step>+`` when it ends).
PAUSE_ENV = "LOGHAVEN_TEST_MIGRATION_PAUSE"
#: Test-only: the pause after a split's objects are stored, before they are recorded.
UPLOADED_PAUSE = "upload:stored"
PAUSE_LIMIT_SECONDS = 600.0
JOB_PREFIX = "warm_migration:"
log = logging.getLogger("loghaven.lifecycle")

QUEUED = "queued"
STEPS = {
    HOT_TO_WARM: (QUEUED, "block", "seal", "force_merge", "upload", "relocate", "drop_local",
                  "box_type"),
    WARM_TO_HOT: (QUEUED, "download", "relocate", "delete_warm", "force_merge", "box_type",
                  "unblock"),
}
#: Steps from which on a migration cannot be cancelled: the switch has begun.
SWITCH = "relocate"
#: Each step's UltraWarm state while it runs, and when it fails.
STATES: dict[str, dict[str, tuple[str, str]]] = {
    HOT_TO_WARM: {
        QUEUED: ("PENDING_INCREMENTAL_SNAPSHOT", "FAILED_INCREMENTAL_SNAPSHOT"),
        "block": ("RUNNING_INCREMENTAL_SNAPSHOT", "FAILED_INCREMENTAL_SNAPSHOT"),
        "seal": ("RUNNING_INCREMENTAL_SNAPSHOT", "FAILED_INCREMENTAL_SNAPSHOT"),
        "force_merge": ("RUNNING_FORCE_MERGE", "FAILED_FORCE_MERGE"),
        "upload": ("RUNNING_FULL_SNAPSHOT", "FAILED_FULL_SNAPSHOT"),
        "relocate": ("RUNNING_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
        "drop_local": ("FINISHED_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
        "box_type": ("FINISHED_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
    },
    WARM_TO_HOT: {
        QUEUED: ("PENDING_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
        "download": ("RUNNING_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
        "relocate": ("RUNNING_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
        "delete_warm": ("FINISHED_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
        "force_merge": ("FINISHED_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
        "box_type": ("FINISHED_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
        "unblock": ("FINISHED_SHARD_RELOCATION", "FAILED_SHARD_RELOCATION"),
    },
}


class _Stopped(Exception):
    """The node is stopping: leave the step as recorded, to be run again at the next start."""


class _Gone(Exception):
    """The index was deleted (or replaced by a new one of the same name) meanwhile."""


@dataclass
class Migration:
    """One migration's record, as stored (kind :data:`KIND`)."""

    index: str
    uuid: str
    migration_type: str
    step: str = QUEUED
    queued_ms: int = 0
    #: Whether the user had set ``index.blocks.write`` before the migration set it.
    user_block: bool | None = None
    #: Split id → its metadata at the target (uploaded / downloaded so far).
    moved: dict[str, dict[str, Any]] | None = None
    #: Split id → its metadata at the source, as it was when it was copied.
    sources: dict[str, dict[str, Any]] | None = None
    #: How many splits the copy step moves (once it has started).
    total: int | None = None
    attempts: int = 0
    failed: bool = False
    failure: str | None = None
    cancel: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Migration:
        return cls(**{key: value for key, value in data.items() if key in _FIELDS})

    @property
    def state(self) -> str:
        running, failed = STATES[self.migration_type][self.step]
        return failed if self.failed else running

    def started_switch(self) -> bool:
        steps = STEPS[self.migration_type]
        return steps.index(self.step) >= steps.index(SWITCH)


_FIELDS = set(Migration.__dataclass_fields__)


class WarmMigrations:
    """``node.migrations``: the migration API's operations and the migrations' runs."""

    def __init__(self, catalog: Catalog, metastore: Metastore, scheduler: Scheduler,
                 warm: WarmTier) -> None:
        self.catalog = catalog
        self.metastore = metastore
        self.scheduler = scheduler
        self.warm = warm
        #: Guards the records against a cancel racing a step's start.
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._active = 0
        self._idle = threading.Condition(self._lock)
        self._started = False
        #: Index → the token of its scheduled job (the latest scheduling wins).
        self._jobs: dict[str, object] = {}
        catalog.add_index_settings_guard(self._keep_write_block)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Resume the migrations a stop (or kill -9) interrupted; parked (failed) ones wait
        for a ``_warm``/``_hot`` or a ``_cancel``."""
        self.scheduler.add_pool(KIND, WORKERS)
        self._started = True
        for name, data in self.metastore.list(KIND).items():
            migration = Migration.from_json(data)
            if not migration.failed or migration.cancel or not self._current(migration):
                self._schedule(name)
        uuids = {index.uuid for index in self.catalog.indices.values()}
        for uuid in self.metastore.list(WARM_INDEX):
            if uuid not in uuids:  # the index was deleted: its marker goes too
                self.metastore.delete(WARM_INDEX, uuid)

    def close(self) -> None:
        """Stop between steps; what is recorded resumes at the next start. A step under
        way (an upload) is waited for, up to CLOSE_WAIT_SECONDS."""
        self._closing.set()
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=CLOSE_WAIT_SECONDS)

    # --- the API's operations ------------------------------------------------------------------

    def migrate(self, index: str, to: str) -> dict[str, Any]:
        """Queue ``index``'s move ``to`` ``"warm"`` or ``"hot"``; UltraWarm's response, or
        its errors (no such index, already there, a migration running, closed)."""
        migration_type = {"warm": HOT_TO_WARM, "hot": WARM_TO_HOT}[to]
        target = self._index(index)
        with self._lock:
            current = self._load(index)
            if current is not None and current.uuid != target.uuid:
                self._abandon(current)  # of an index deleted before it could end
            elif current is not None:
                if current.failed and current.migration_type == migration_type \
                        and not current.cancel:
                    current.failed, current.failure, current.attempts = False, None, 0
                    self._save(current)
                    self._schedule(index)
                    return {"acknowledged": True}
                raise IllegalArgument(
                    f"index [{index}] already has a {current.migration_type} migration in "
                    f"state [{current.state}]" + ("; cancel it first" if current.failed else ""))
            if target.state != "open":
                raise IndexClosed(index)
            target.check_available()
            if self.tier(index) == to:
                raise IllegalArgument(f"index [{index}] is already a {to} index")
            queued = sum(1 for data in self.metastore.list(KIND).values()
                         if data.get("migration_type") == migration_type)
            if queued >= QUEUE_LIMITS[migration_type]:
                raise LoghavenError(
                    f"rejected the {migration_type} migration of [{index}]: "
                    f"{QUEUE_LIMITS[migration_type]} migrations are queued already",
                    status=429, type="rejected_execution_exception")
            self._save(Migration(index, target.uuid, migration_type, queued_ms=now_ms()))
        self._schedule(index)
        return {"acknowledged": True}

    def status(self, index: str) -> dict[str, Any]:
        """``GET _ultrawarm/migration/<index>/_status``: ``{"migration_status": {...}}``."""
        target = self._index(index)
        migration = self._load(index)
        if migration is None or migration.uuid != target.uuid:
            raise ResourceNotFound(f"no migration found for index [{index}]")
        return {"migration_status": self._describe(migration)}

    def list_status(self, migration_type: str | None = None) -> dict[str, Any]:
        """``GET _ultrawarm/migration/_status?migration_type=``: every migration known."""
        if migration_type is not None and migration_type not in MIGRATION_TYPES:
            raise IllegalArgument(f"invalid migration_type [{migration_type}], expected one "
                                  f"of {list(MIGRATION_TYPES)}")
        found = [m for m in map(Migration.from_json, self.metastore.list(KIND).values())
                 if self._current(m)]
        return {"migration_status": [
            self._describe(m) for m in sorted(found, key=lambda m: (m.queued_ms, m.index))
            if migration_type in (None, m.migration_type)]}

    def cancel(self, index: str) -> dict[str, Any]:
        """``POST _ultrawarm/migration/_cancel/<index>``: stop a queued or running migration;
        the index stays whole where it was."""
        target = self._index(index)
        with self._lock:
            migration = self._load(index)
            if migration is None or migration.uuid != target.uuid:
                raise ResourceNotFound(f"no migration found for index [{index}]")
            if migration.started_switch():
                raise IllegalArgument(
                    f"the {migration.migration_type} migration of [{index}] cannot be "
                    f"cancelled in state [{migration.state}]: its shards are relocated")
            migration.cancel = True
            self._save(migration)
        self._schedule(index)
        return {"acknowledged": True}

    def _keep_write_block(self, index: Index, settings: IndexSettings) -> None:
        """Refuse lifting ``index.blocks.write`` (``false``, ``null``, a reset) from an index
        that is warm or in a migration: a warm index is read-only until it is moved back to
        hot (UltraWarm's rule), and a write would land in a local split that the migration
        neither uploads nor keeps."""
        if not blocks.is_set(index.settings.flat, blocks.WRITE) \
                or blocks.is_set(settings.flat, blocks.WRITE):
            return
        migration = self._load(index.name)
        if migration is not None and migration.uuid == index.uuid:
            raise IllegalArgument(
                f"index [{index.name}] has a {migration.migration_type} migration in progress: "
                f"[{blocks.WRITE}] cannot be removed until it ends (POST "
                f"_ultrawarm/migration/_cancel/{index.name} cancels it)")
        if index.settings.flat.get(BOX_TYPE) == "warm" \
                or any(split.is_remote for split in index.searchable_splits()):
            raise IllegalArgument(
                f"index [{index.name}] is a warm index and read-only: [{blocks.WRITE}] cannot "
                f"be removed; move it to hot first with POST "
                f"_ultrawarm/migration/{index.name}/_hot")

    def tier(self, index: str) -> str:
        """``"hot"`` or ``"warm"`` (a migration in flight: where the index is served from)."""
        found = self.catalog.get(index)
        sealed = [s for s in found.searchable_splits() if s.meta.state == "sealed"]
        if found.state == "open" and sealed:
            return "warm" if any(s.is_remote for s in sealed) else "hot"
        return "warm" if found.settings.flat.get(BOX_TYPE) == "warm" else "hot"

    def warm_references(self) -> set[str]:
        """``<index uuid>/<split id>`` of the warm splits the migration records hold (copies
        not switched to yet, sources of a move back): the orphan sweep keeps their objects."""
        found: set[str] = set()
        for data in self.metastore.list(KIND).values():
            for side in ("moved", "sources"):
                found.update(warm_gc.split_keys((data.get(side) or {}).values()))
        return found

    # --- records --------------------------------------------------------------------------------

    def _index(self, name: str) -> Index:
        access.check(name)
        return self.catalog.get(name)

    def _current(self, migration: Migration) -> bool:
        """Whether the migration's index still exists (not deleted, nor replaced)."""
        index = self.catalog.indices.get(migration.index)
        return index is not None and index.uuid == migration.uuid

    def _load(self, name: str) -> Migration | None:
        data = self.metastore.get(KIND, name)
        return None if data is None else Migration.from_json(data)

    def _save(self, migration: Migration) -> None:
        """Store a record; a cancel stored meanwhile stays (until the switch, which a cancel
        can no longer stop)."""
        with self._lock:
            stored = self._load(migration.index)
            if stored is not None and stored.cancel and stored.uuid == migration.uuid \
                    and not migration.started_switch():
                migration.cancel = True
            self.metastore.put(KIND, migration.index, migration.to_json())

    def _describe(self, migration: Migration) -> dict[str, Any]:
        """UltraWarm's ``migration_status`` object, with Loghaven's ``step`` (and the reason
        of a failure) besides."""
        total = migration.total
        if total is None:
            index = self.catalog.indices.get(migration.index)
            total = 0 if index is None else sum(
                1 for s in index.searchable_splits() if s.meta.num_docs > 0)
        done = len(migration.moved or {})
        steps = STEPS[migration.migration_type]
        if steps.index(migration.step) > steps.index(SWITCH):
            done = total
        copying = migration.step in ("upload", "download") and done < total
        failed = 1 if migration.failed and copying else 0
        running = 1 if copying and not migration.failed else 0
        described: dict[str, Any] = {
            "index": migration.index, "state": migration.state,
            "migration_type": migration.migration_type,
            "shard_level_status": {"running": running, "total": total,
                                   "pending": max(0, total - done - running - failed),
                                   "failed": failed, "succeeded": min(done, total)},
            "step": migration.step}
        if migration.failure is not None:
            described["failure"] = {"reason": migration.failure}
        return described

    # --- running ---------------------------------------------------------------------------------

    def _schedule(self, name: str) -> None:
        if not self._started or self._closing.is_set():
            return
        job = JOB_PREFIX + name
        token = object()
        with self._lock:
            self._jobs[name] = token
            self.scheduler.add(job, lambda stopping: self._run(name, token, stopping),
                               Every(RETRY_SECONDS), pool=KIND)
        self.scheduler.run_soon(job)

    def _run(self, name: str, token: object, stopping: threading.Event) -> None:
        """Run the migration's steps until it ends, fails or the node stops; an ended
        migration's job goes (unless a newer request scheduled it again meanwhile)."""
        with self._lock:
            if self._closing.is_set():
                return
            self._active += 1
        try:
            finished = self._steps(name, stopping)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()
        with self._lock:
            if finished and self._jobs.get(name) is token:
                del self._jobs[name]
                self.scheduler.remove(JOB_PREFIX + name)

    def _steps(self, name: str, stopping: threading.Event) -> bool:
        """Whether the migration is over (done, cancelled, parked or gone)."""
        while True:
            if stopping.is_set() or self._closing.is_set():
                return False
            with self._lock:
                migration = self._load(name)
                if migration is None:
                    return True
                index = self.catalog.indices.get(name)
                if index is None or index.uuid != migration.uuid:
                    self._abandon(migration)
                    return True
                if migration.cancel:
                    self._undo(migration, index)
                    return True
                if migration.failed:
                    return True
                steps = STEPS[migration.migration_type]
                if migration.step == QUEUED:
                    migration.step = steps[1]
                    self._save(migration)
            step = migration.step

            def cancelled() -> bool:  # or the index deleted
                current = self._load(name)
                return current is None or current.cancel or not self._current(current)

            try:
                _pause(step, stopping, cancelled)
                self._step(migration, index, stopping)
                _pause(step + "+", stopping, cancelled)
            except _Stopped:
                return False
            except _Gone:
                continue  # abandoned at the top of the loop
            except Exception as exc:  # recorded, retried, then parked: never silent
                return self._failed(name, step, exc)
            with self._lock:
                current = self._load(name)
                if current is None or current.uuid != migration.uuid:
                    continue
                position = steps.index(step) + 1
                if position == len(steps):
                    self._finish(migration, index)
                    log.info("index [%s]: %s migration finished", name,
                             migration.migration_type)
                    return True
                migration.step = steps[position]
                migration.attempts, migration.failure = 0, None
                if migration.started_switch():
                    migration.cancel = False  # a cancel that raced the switch: too late
                self._save(migration)

    def _failed(self, name: str, step: str, exc: Exception) -> bool:
        reason = exc.reason if isinstance(exc, LoghavenError) else f"{type(exc).__name__}: {exc}"
        with self._lock:
            migration = self._load(name)
            if migration is None:
                return True
            if migration.step != step:  # the step went back (splits changed): run again
                return False
            migration.attempts += 1
            migration.failure = reason
            migration.failed = migration.attempts >= ATTEMPTS
            self._save(migration)
        log.warning("index [%s]: migration step [%s] failed (attempt %d of %d): %s", name,
                    step, migration.attempts, ATTEMPTS, reason)
        return migration.failed

    def _step(self, migration: Migration, index: Index, stopping: threading.Event) -> None:
        run: Callable[[Migration, Index, threading.Event], None] = getattr(
            self, f"_{'h2w' if migration.migration_type == HOT_TO_WARM else 'w2h'}_"
                  f"{migration.step}")
        run(migration, index, stopping)

    def _finish(self, migration: Migration, index: Index) -> None:
        """The last step is done: the record goes; a warm index keeps whether its block was
        the migration's, in the same write."""
        if migration.migration_type == HOT_TO_WARM:
            self.metastore.put_many([
                (KIND, migration.index, None),
                (WARM_INDEX, index.uuid, {"index": index.name,
                                          "block_set": not migration.user_block})])
        else:
            self.metastore.put_many([(KIND, migration.index, None),
                                     (WARM_INDEX, index.uuid, None)])

    def _abandon(self, migration: Migration) -> None:
        """The index went away: remove what the migration copied and its record."""
        if migration.migration_type == HOT_TO_WARM:
            for data in (migration.moved or {}).values():
                self.warm.delete(SplitMeta.from_json(data))
        self.metastore.put_many([(KIND, migration.index, None),
                                 (WARM_INDEX, migration.uuid, None)])
        log.info("index [%s] was deleted: its %s migration ended", migration.index,
                 migration.migration_type)

    def _undo(self, migration: Migration, index: Index) -> None:
        """A cancel before the switch: the copies are removed, splits the force merge gave
        the warm document store are rewritten with the hot one (the plain store takes three
        times the disk), the block the migration set is lifted, and the index stays whole
        where it was. Each part can run again after a crash."""
        if migration.migration_type == HOT_TO_WARM:
            for data in (migration.moved or {}).values():
                self.warm.delete(SplitMeta.from_json(data))
            steps = STEPS[HOT_TO_WARM]
            if steps.index(migration.step) >= steps.index("force_merge"):
                self._hot_docstore(index)
            if migration.user_block is False and index.state == "open":
                update_settings(self.catalog, [index], {blocks.WRITE: ""}, guarded=False)
        else:
            for data in (migration.moved or {}).values():
                location = data["location"]
                if index.storage.exists(location) and not _listed(index, location):
                    index.storage.delete(location)
        self.metastore.delete(KIND, migration.index)
        log.info("index [%s]: %s migration cancelled", migration.index,
                 migration.migration_type)

    def _check(self, migration: Migration, index: Index, stopping: threading.Event) -> None:
        """Between splits: the node stopping, the index deleted, a cancel."""
        if stopping.is_set() or self._closing.is_set():
            raise _Stopped
        current = self._load(migration.index)
        if current is None or index.removed or current.uuid != migration.uuid:
            raise _Gone
        if current.cancel:
            raise _Gone  # the loop's top undoes it

    def _record_copy(self, migration: Migration, split_id: str, source: SplitMeta,
                     target: SplitMeta) -> None:
        with self._lock:
            assert migration.moved is not None and migration.sources is not None
            migration.moved[split_id] = target.to_json()
            migration.sources[split_id] = source.to_json()
            self._save(migration)

    # --- hot → warm ------------------------------------------------------------------------------

    def _h2w_block(self, migration: Migration, index: Index, _: threading.Event) -> None:
        if migration.user_block is None:  # recorded before the block is set
            migration.user_block = blocks.is_set(index.settings.flat, blocks.WRITE)
            self._save(migration)
        if not blocks.is_set(index.settings.flat, blocks.WRITE):
            update_settings(self.catalog, [index], {blocks.WRITE: "true"})

    def _h2w_seal(self, migration: Migration, index: Index, _: threading.Event) -> None:
        _require_open(index)
        index.seal()

    def _h2w_force_merge(self, migration: Migration, index: Index, _: threading.Event) -> None:
        _require_open(index)
        wanted = index.settings.flat.get(MAX_NUM_SEGMENTS, "1")
        try:
            segments = max(1, min(1000, int(wanted)))
        except ValueError:
            segments = 1
        force_merge(index, max_num_segments=segments, docstore=WARM_DOCSTORE)

    def _h2w_upload(self, migration: Migration, index: Index, stopping: threading.Event) -> None:
        _require_open(index)
        migration.moved = migration.moved or {}
        migration.sources = migration.sources or {}
        local = _local_sealed(index)
        migration.total = len(local)
        self._save(migration)
        warm_gc.own(self.metastore, index.uuid, index.name)  # before any object is put
        for split in local:
            self._check(migration, index, stopping)
            if split.meta.split_id in migration.moved:
                continue
            folder = index.storage.local_path(split.meta.location or "")
            with self.warm.uploading(index.uuid, split.meta.split_id):
                uploaded = self.warm.upload(split.meta, folder, index_uuid=index.uuid)
                self.warm.verify(uploaded)
                _pause(UPLOADED_PAUSE, stopping, lambda: index.removed)
                self._record_copy(migration, split.meta.split_id, split.meta, uploaded)

    def _h2w_relocate(self, migration: Migration, index: Index, _: threading.Event) -> None:
        _require_open(index)
        moved = {sid: SplitMeta.from_json(data) for sid, data in (migration.moved or {}).items()}
        current = {s.meta.split_id: s for s in index.searchable_splits()
                   if s.meta.state == "sealed"}
        if all(sid in current and current[sid].is_remote for sid in moved) \
                and not _local_sealed(index):
            return  # switched before a restart
        stale = [sid for sid, meta in moved.items()
                 if sid not in current or current[sid].meta.checksum != meta.checksum]
        if stale or set(s.meta.split_id for s in _local_sealed(index)) - set(moved):
            self._back_to_upload(migration, stale)
            raise LoghavenError(f"the splits of [{index.name}] changed during the upload "
                                f"(a merge): uploading again")
        index.relocate(moved)

    def _back_to_upload(self, migration: Migration, stale: list[str]) -> None:
        """Splits changed under the copy (a background merge): their objects go, and the
        upload step runs again for what is missing."""
        for sid in stale:
            self.warm.delete(SplitMeta.from_json((migration.moved or {})[sid]))
        with self._lock:
            for sid in stale:
                (migration.moved or {}).pop(sid, None)
                (migration.sources or {}).pop(sid, None)
            migration.step = "upload"
            self._save(migration)

    def _h2w_drop_local(self, migration: Migration, index: Index, _: threading.Event) -> None:
        for data in (migration.sources or {}).values():
            location = data.get("location")
            if location and index.storage.exists(location) and not _listed(index, location):
                index.storage.delete(location)

    def _h2w_box_type(self, migration: Migration, index: Index, _: threading.Event) -> None:
        update_settings(self.catalog, [index], {BOX_TYPE: "warm"})

    # --- warm → hot ------------------------------------------------------------------------------

    def _w2h_download(self, migration: Migration, index: Index,
                      stopping: threading.Event) -> None:
        _require_open(index)
        migration.moved = migration.moved or {}
        migration.sources = migration.sources or {}
        remote = [s for s in index.searchable_splits() if s.meta.state == "sealed" and s.is_remote]
        migration.total = len(remote)
        self._save(migration)
        for split in remote:
            self._check(migration, index, stopping)
            meta = split.meta
            known = migration.moved.get(meta.split_id)
            if known is not None and index.storage.exists(known["location"]):
                continue  # a start sweeps unlisted folders: what is gone is fetched again
            location = index.storage.location(index.uuid, meta.split_id)
            if index.storage.exists(location):
                index.storage.delete(location)  # a copy a crash cut short
            self.warm.download(meta, index.storage.local_path(location))  # checksum checked
            local = SplitMeta(meta.split_id, "sealed", meta.created_ms, meta.num_docs,
                              meta.date_ranges, location, meta.checksum)
            self._record_copy(migration, meta.split_id, meta, local)

    def _w2h_relocate(self, migration: Migration, index: Index, _: threading.Event) -> None:
        _require_open(index)
        moved = {sid: SplitMeta.from_json(data) for sid, data in (migration.moved or {}).items()}
        remote = {s.meta.split_id for s in index.searchable_splits()
                  if s.meta.state == "sealed" and s.is_remote}
        if not remote:
            return  # switched before a restart
        missing = [sid for sid, meta in moved.items()
                   if not index.storage.exists(meta.location or "")]
        if missing or remote - set(moved):
            with self._lock:
                for sid in missing:
                    (migration.moved or {}).pop(sid, None)
                migration.step = "download"
                self._save(migration)
            raise LoghavenError(f"local copies of [{index.name}] are missing: fetching again")
        index.relocate({sid: meta for sid, meta in moved.items() if sid in remote})

    def _w2h_delete_warm(self, migration: Migration, index: Index, _: threading.Event) -> None:
        for data in (migration.sources or {}).values():
            self.warm.delete(SplitMeta.from_json(data))

    def _w2h_force_merge(self, migration: Migration, index: Index, _: threading.Event) -> None:
        _require_open(index)
        self._hot_docstore(index)

    @staticmethod
    def _hot_docstore(index: Index) -> None:
        """Back to tantivy's compressed document store: a warm split's plain one takes three
        times the disk of a hot split (decisions/0013). Nothing is rewritten when every split
        has it already; a closed index is left as it is."""
        count = len(_local_sealed(index))
        if count:
            force_merge(index, max_num_segments=count, flush=False, docstore=HOT_DOCSTORE)

    def _w2h_box_type(self, migration: Migration, index: Index, _: threading.Event) -> None:
        update_settings(self.catalog, [index], {BOX_TYPE: "hot"})

    def _w2h_unblock(self, migration: Migration, index: Index, _: threading.Event) -> None:
        if migration_set_block(self.metastore, index) \
                and blocks.is_set(index.settings.flat, blocks.WRITE):
            update_settings(self.catalog, [index], {blocks.WRITE: ""}, guarded=False)


def migration_set_block(metastore: Metastore, index: Index) -> bool:
    """Whether ``index.blocks.write`` on ``index`` is a migration's (a warm index's marker
    says so, or a move to warm under way set it), not its user's: a move back to hot (or a
    restore, which gives a hot index) lifts it."""
    marker = metastore.get(WARM_INDEX, index.uuid)
    if marker is not None:
        return bool(marker.get("block_set"))
    record = metastore.get(KIND, index.name)
    return record is not None and record.get("uuid") == index.uuid \
        and record.get("migration_type") == HOT_TO_WARM and record.get("user_block") is False


def _listed(index: Index, location: str) -> bool:
    return any(s.meta.location == location for s in index.searchable_splits())


def _local_sealed(index: Index) -> list[Any]:
    return [s for s in index.searchable_splits() if s.meta.state == "sealed" and not s.is_remote]


def _require_open(index: Index) -> None:
    if index.state != "open":
        raise IndexClosed(index.name)
    index.check_available()


def _pause(step: str, stopping: threading.Event, cancelled: Callable[[], bool]) -> None:
    """Test-only (:data:`PAUSE_ENV`): wait at a named step until the node stops (or is
    killed) or the migration is cancelled, so a test sees the step recorded and can kill -9
    the server there."""
    if os.environ.get(PAUSE_ENV) != step:
        return
    log.warning("migration paused at step [%s] (%s)", step, PAUSE_ENV)
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while not stopping.wait(0.1):
        if cancelled():
            raise _Gone
        if time.monotonic() > deadline:
            break
    raise _Stopped
