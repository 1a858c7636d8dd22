"""``node.snapshots``: the ``_snapshot`` API's operations, run as recorded, resumable steps.

Every create, delete and restore is recorded in the metastore (kind :data:`OPS`) before its
first step and forgotten after its last, so a start after ``kill -9`` finds what was under way:

- a snapshot is taken again under the same uuid (the blobs already stored are not sent again,
  so it picks up where it was; nothing was listed, format.py);
- a deletion is done again (each of its steps is harmless twice);
- a restore first removes the indices it had not registered yet, then runs again.

One operation at a time changes a repository's location (a lock per location, and one
writable repository per location): a deletion's sweep of unreferenced blobs never races a
snapshot that counts on one of them. Snapshots run in a
thread of their own; ``wait_for_completion`` waits for it.

Testing hook: ``LOGHAVEN_SNAPSHOT_PAUSE_AT=<step>`` makes an operation stop at that step
(``create:uploaded``: blobs stored, nothing listed; ``create:finishing``: metadata written,
the last abort check passed, not listed yet; ``delete:listed``: the list rewritten, the blobs
not swept; ``restore:fetched``: an index's files fetched, it is not registered;
``restore:registered``: an index registered, the next ones not yet), touch
``<data dir>/snapshot-paused-<step>`` and sleep, so that a test can kill the server there
(or act, then remove the file to let the operation go on).
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import shutil
import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loghaven.engine.documents_state import now_ms
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.lifecycle.snapshots import format as fmt
from loghaven.lifecycle.snapshots import repositories as repos
from loghaven.lifecycle.snapshots import restore as restoring
from loghaven.lifecycle.snapshots.create import Aborted, SnapshotRun
from loghaven.lifecycle.snapshots.errors import (
    InvalidSnapshotName,
    RepositoryConflict,
    RepositoryError,
    RepositoryMissing,
    SnapshotError,
    SnapshotMissing,
    reason_of,
    validate_repository_name,
    validate_snapshot_name,
)
from loghaven.lifecycle.snapshots.global_state import GlobalState
from loghaven.params import expect_object, expect_string, parse_bool

if TYPE_CHECKING:
    from loghaven.config import Config
    from loghaven.engine.catalog import Catalog
    from loghaven.ingest.pipeline.store import PipelineStore
    from loghaven.scheduler import Scheduler
    from loghaven.scripting.stored import StoredScripts
    from loghaven.storage.metastore import Metastore

log = logging.getLogger("loghaven.snapshots")

#: Operations under way (id → record), the counters, and this node's id (Node's record).
OPS = "snapshot_op"
STATS = "snapshot_stats"
#: The version snapshots say they were taken with (OpenSearch 2.11.0's id and name).
VERSION_ID = 136327827
VERSION = "2.11.0"
PAUSE_ENV = "LOGHAVEN_SNAPSHOT_PAUSE_AT"
_CREATE_BODY = {"indices", "ignore_unavailable", "include_global_state", "partial", "metadata",
                "expand_wildcards", "allow_no_indices", "feature_states"}


class SnapshotService:
    def __init__(self, config: Config, catalog: Catalog, metastore: Metastore,
                 scheduler: Scheduler, pipelines: PipelineStore,
                 scripts: StoredScripts) -> None:
        self.config = config
        self.catalog = catalog
        self.metastore = metastore
        self.global_state = GlobalState(metastore, catalog, pipelines, scripts)
        self.scheduler = scheduler
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: Snapshots being taken: (repository, snapshot) → the run and its thread.
        self._runs: dict[tuple[str, str], tuple[SnapshotRun, threading.Thread]] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def _staging(self) -> Path:
        return Path(self.config.data_dir) / "snapshots-staging"

    @property
    def _level(self) -> int:
        return self.config.warm_compression_level

    def _node_id(self) -> str:
        return (self.metastore.get("cluster", "node") or {}).get("id", "_na_")

    def start(self) -> None:
        """Resume the snapshots, deletions and restores a stop interrupted."""
        self._stopping.clear()
        for op_id, record in sorted(self.metastore.list(OPS).items(),
                                    key=lambda item: item[1].get("start_time_in_millis", 0)):
            if record.get("state") == "FAILED":
                continue
            try:
                repository = self._repository(record["repository"])
            except LoghavenError as e:
                log.warning("snapshot operation %s cannot resume: %s", op_id, e.reason)
                continue
            log.info("resuming snapshot operation %s (%s)", op_id, record["op"])
            if record["op"] == "create":
                self._start_create(repository, op_id, record)
            elif record["op"] == "delete":
                self._background(lambda r=repository, i=op_id, c=record:
                                 self._run_delete(r, i, c))
            elif record["op"] == "restore":
                for target in record["targets"]:
                    index = self.catalog.indices.get(target["name"])
                    if index is None or index.uuid != target["uuid"]:
                        restoring.discard(target["uuid"], self.catalog, self.metastore)
                self._start_restore(repository, op_id, record)

    def close(self) -> None:
        """Stop between files; what is recorded resumes at the next start."""
        self._stopping.set()
        for thread in list(self._threads):
            thread.join(timeout=30)

    # --- repositories ------------------------------------------------------------------------

    def put_repository(self, name: str, body: dict[str, Any], *,
                       verify: bool = True) -> dict[str, Any]:
        record = repos.parse(name, body, self.config)
        repository = repos.open_repository(name, record, self.config)
        with self._lock(repository):
            if self._in_use(name):
                raise RepositoryConflict(name)
            if not repository.readonly:
                self._check_sole_writer(repository)
            self.metastore.put(repos.KIND, name, record)
        if verify:
            self.verify_repository(name)
        return {"acknowledged": True}

    def get_repositories(self, names: str | None) -> dict[str, Any]:
        stored = self.metastore.list(repos.KIND)
        chosen = self._pick_repositories(names, stored)
        return {name: {"type": stored[name]["type"],
                       "settings": repos.public_settings(stored[name])} for name in chosen}

    def delete_repository(self, names: str) -> dict[str, Any]:
        stored = self.metastore.list(repos.KIND)
        chosen = self._pick_repositories(names, stored)
        for name in chosen:
            if self._in_use(name):
                raise RepositoryConflict(name)
        for name in chosen:
            self.metastore.delete(repos.KIND, name)
        return {"acknowledged": True}

    def verify_repository(self, name: str) -> dict[str, Any]:
        repos.verify(self._repository(name))
        return {"nodes": {self._node_id(): {"name": self.config.node_name}}}

    def cleanup_repository(self, name: str) -> dict[str, Any]:
        """ES's ``_cleanup``: delete what no snapshot uses (what crashes and aborts left)."""
        repository = self._repository(name)
        if repository.readonly:
            raise RepositoryError(name, "cannot run cleanup on readonly repository")
        with self._lock(repository):
            removed = self._sweep(repository)
        return {"results": {"deleted_bytes": sum(size for _, size in removed),
                            "deleted_blobs": len(removed)}}

    def _pick_repositories(self, names: str | None, stored: dict[str, Any]) -> list[str]:
        if not names or names in ("_all", "*"):
            return sorted(stored)
        chosen: list[str] = []
        for part in names.split(","):
            if "*" in part:
                chosen.extend(n for n in sorted(stored)
                              if fnmatch.fnmatchcase(n, part) and n not in chosen)
            elif part in stored:
                chosen.append(part)
            else:
                raise RepositoryMissing(part)
        return chosen

    def _repository(self, name: str) -> repos.Repository:
        record = self.metastore.get(repos.KIND, name)
        if record is None:
            with contextlib.suppress(LoghavenError):
                validate_repository_name(name)
            raise RepositoryMissing(name)
        return repos.open_repository(name, record, self.config)

    def _lock(self, repository: repos.Repository) -> threading.Lock:
        """The lock of the repository's location (two names for one location share it)."""
        with self._guard:
            return self._locks.setdefault(repository.location, threading.Lock())

    def _in_use(self, name: str) -> bool:
        return any(key[0] == name for key in self._runs)

    def _check_sole_writer(self, repository: repos.Repository) -> None:
        """Refuse a second writable repository on a location: two writers would each
        rewrite its list and sweep the other's blobs (ES: "a second cluster must register
        it readonly")."""
        for other, record in self.metastore.list(repos.KIND).items():
            if other == repository.name:
                continue
            try:
                opened = repos.open_repository(other, record, self.config)
            except LoghavenError:
                continue
            if opened.location == repository.location and not opened.readonly:
                raise RepositoryError(
                    repository.name, f"location [{repository.describe()}] is already used by "
                    f"repository [{other}]; register this one with [readonly: true]")

    def _create_records(self, repository: str) -> dict[str, dict[str, Any]]:
        """The recorded snapshot runs of a repository (under way or FAILED), by op id."""
        return {op_id: record for op_id, record in self.metastore.list(OPS).items()
                if record.get("op") == "create" and record.get("repository") == repository}

    # --- create ------------------------------------------------------------------------------

    def create(self, repository: str, snapshot: str, body: dict[str, Any] | None, *,
               wait_for_completion: bool = False) -> dict[str, Any]:
        """ES's create: ``indices``, ``ignore_unavailable``, ``include_global_state``,
        ``partial``, ``metadata``; ``{"accepted": true}`` or, waiting, ``{"snapshot": {...}}``."""
        repo = self._repository(repository)
        validate_snapshot_name(repository, snapshot)
        body = body or {}
        for key in body:
            if key not in _CREATE_BODY:
                raise IllegalArgument(f"Unknown key for a VALUE_STRING in [{key}].")
        if repo.readonly:
            raise RepositoryError(repository, "cannot create snapshot in a readonly repository")
        indices = body.get("indices")
        if isinstance(indices, list):
            indices = ",".join(expect_string(i, "indices", "snapshot") for i in indices)
        elif indices is not None:
            indices = expect_string(indices, "indices", "snapshot")
        metadata = body.get("metadata")
        if metadata is not None:
            expect_object(metadata, "metadata", "snapshot")
        ignore = parse_bool(body.get("ignore_unavailable", False), "ignore_unavailable")
        targets = self.catalog.resolve(
            indices or "_all", ignore_unavailable=ignore,
            expand_wildcards=str(body.get("expand_wildcards", "open,hidden")))
        record = {"op": "create", "repository": repository, "snapshot": snapshot,
                  "uuid": uuidlib.uuid4().hex[:22], "node_id": self._node_id(),
                  "version_id": VERSION_ID, "version": VERSION,
                  "include_global_state": parse_bool(body.get("include_global_state", True),
                                                     "include_global_state"),
                  "partial": parse_bool(body.get("partial", False), "partial"),
                  "metadata": metadata, "indices": sorted({t.index.name for t in targets}),
                  "start_time_in_millis": now_ms()}
        op_id = f"create/{repository}/{snapshot}"  # '/' is in neither name
        exists = InvalidSnapshotName(repository, snapshot,
                                     "snapshot with the same name already exists")
        with self._guard:  # the name reserved by its record; the repository read outside
            if (repository, snapshot) in self._runs:
                raise InvalidSnapshotName(repository, snapshot,
                                          "snapshot with the same name is already in-progress")
            if any(r["snapshot"] == snapshot for r in self._create_records(repository).values()):
                raise exists
            self.metastore.put(OPS, op_id, record)
        try:
            if any(e["name"] == snapshot for e in fmt.read_index(repo)["snapshots"]):
                raise exists
        except BaseException:
            self.metastore.delete(OPS, op_id)
            raise
        _run, thread = self._start_create(repo, op_id, record)
        if not wait_for_completion:
            return {"accepted": True}
        thread.join()
        return {"snapshot": self._info(self._entry(repo, snapshot), verbose=True)}

    def _start_create(self, repo: repos.Repository, op_id: str,
                      record: dict[str, Any]) -> tuple[SnapshotRun, threading.Thread]:
        staging = self._staging / record["uuid"]
        run = SnapshotRun(repo, record, self.catalog, self.metastore, staging, self._level,
                          self._stopping.is_set, self.global_state)
        run.pause = lambda step: self._pause(step, run.aborted.is_set)
        thread = self._thread(lambda: self._run_create(run, op_id))
        with self._guard:  # listed before it runs: its end removes the entry
            self._runs[(repo.name, record["snapshot"])] = (run, thread)
        thread.start()
        return run, thread

    def _run_create(self, run: SnapshotRun, op_id: str) -> None:
        repo = run.repository
        record = run.record
        try:
            with self._lock(repo):
                indices = [self.catalog.indices[name] for name in record["indices"]
                           if name in self.catalog.indices]
                meta = run.run(indices)
                self._count("successes" if meta["state"] == "SUCCESS" else "failures")
                self.metastore.delete(OPS, op_id)
        except Aborted:
            if not run.aborted.is_set():
                return  # the node is stopping: resumed at the next start
            with self._lock(repo):
                self.metastore.delete(OPS, op_id)
                with contextlib.suppress(Exception):
                    self._sweep(repo)
        except Exception as e:
            log.exception("snapshot [%s:%s] failed", repo.name, record["snapshot"])
            self._count("failures")
            self.metastore.put(OPS, op_id, {**record, "state": "FAILED",
                                            "end_time_in_millis": now_ms(),
                                            "failures": [{"reason": reason_of(e)}]})
        finally:
            shutil.rmtree(run.staging, ignore_errors=True)
            with self._guard:
                self._runs.pop((repo.name, record["snapshot"]), None)

    def _count(self, counter: str) -> None:
        with self._guard:
            stats = self.metastore.get(STATS, "counters") or {"successes": 0, "failures": 0}
            stats[counter] = stats.get(counter, 0) + 1
            self.metastore.put(STATS, "counters", stats)

    # --- get and status ----------------------------------------------------------------------

    def _entries(self, repo: repos.Repository) -> list[dict[str, Any]]:
        """The repository's listed snapshots, those in progress and those failed before they
        could be written, oldest first."""
        entries = [dict(e) for e in fmt.read_index(repo)["snapshots"]]
        listed = {e["name"] for e in entries}
        for (name, snapshot), (run, _) in list(self._runs.items()):
            if name == repo.name and snapshot not in listed:
                record = run.record
                entries.append({**_summary(record), "state": "IN_PROGRESS",
                                "end_time_in_millis": 0, "failures": [],
                                "shards": {"total": len(record["indices"]), "failed": 0,
                                           "successful": 0}, "run": run})
        for record in self._create_records(repo.name).values():
            if record.get("state") == "FAILED" and record["snapshot"] not in listed:
                entries.append({**_summary(record), "state": "FAILED",
                                "end_time_in_millis": record["end_time_in_millis"],
                                "failures": record["failures"],
                                "shards": {"total": len(record["indices"]),
                                           "failed": len(record["indices"]),
                                           "successful": 0}})
        entries.sort(key=lambda e: (e["start_time_in_millis"], e["name"]))
        return entries

    def _entry(self, repo: repos.Repository, snapshot: str) -> dict[str, Any]:
        for entry in self._entries(repo):
            if entry["name"] == snapshot:
                return entry
        raise SnapshotMissing(repo.name, snapshot)

    def _select(self, repo: repos.Repository, snapshots: str,
                ignore_unavailable: bool = False) -> list[dict[str, Any]]:
        entries = self._entries(repo)
        chosen: list[dict[str, Any]] = []
        for part in [p for p in snapshots.split(",") if p] or ["_all"]:
            if part in ("_all", "*"):
                found = entries
            elif part == "_current":
                found = [e for e in entries if e["state"] == "IN_PROGRESS"]
            elif "*" in part:
                found = [e for e in entries if fnmatch.fnmatchcase(e["name"], part)]
            else:
                found = [e for e in entries if e["name"] == part]
                if not found and not ignore_unavailable:
                    raise SnapshotMissing(repo.name, part)
            chosen.extend(e for e in found if e not in chosen)
        return chosen

    def get(self, repository: str, snapshots: str, params: dict[str, str]) -> dict[str, Any]:
        verbose = parse_bool(params.get("verbose", "true"), "verbose")
        ignore = parse_bool(params.get("ignore_unavailable", "false"), "ignore_unavailable")
        names = list(self.get_repositories(repository)) if repository in ("_all", "*") \
            or "*" in repository or "," in repository else [repository]
        result = []
        for name in names:
            repo = self._repository(name)
            result.extend(self._info(e, verbose=verbose)
                          for e in self._select(repo, snapshots, ignore))
        return {"snapshots": result}

    def _info(self, entry: dict[str, Any], *, verbose: bool) -> dict[str, Any]:
        """ES's ``SnapshotInfo`` as the get API renders it."""
        info: dict[str, Any] = {
            "snapshot": entry["name"], "uuid": entry["uuid"], "version_id": entry["version_id"],
            "version": entry["version"], "remote_store_index_shallow_copy": False,
            "indices": entry["indices"], "data_streams": [],
            "include_global_state": entry["include_global_state"], "state": entry["state"]}
        if entry.get("metadata") is not None:
            info["metadata"] = entry["metadata"]
        if not verbose:
            return info
        start = entry["start_time_in_millis"]
        end = entry["end_time_in_millis"]
        info.update(start_time=_iso(start), start_time_in_millis=start)
        if end:
            info.update(end_time=_iso(end), end_time_in_millis=end,
                        duration_in_millis=end - start)
        else:
            info.update(duration_in_millis=max(0, now_ms() - start))
        info.update(failures=entry["failures"], shards=entry["shards"])
        return info

    def status(self, repository: str | None, snapshots: str | None,
               params: dict[str, str]) -> dict[str, Any]:
        ignore = parse_bool(params.get("ignore_unavailable", "false"), "ignore_unavailable")
        if snapshots is None:  # those in progress (of one repository, or of all)
            if repository is not None:
                self._repository(repository)
            return {"snapshots": [_run_status(run) for (name, _), (run, _t)
                                  in list(self._runs.items())
                                  if repository is None or name == repository]}
        repo = self._repository(repository or "")
        result = []
        for entry in self._select(repo, snapshots, ignore):
            if "run" in entry:
                result.append(_run_status(entry["run"]))
            elif entry["state"] == "FAILED" and "key" not in entry:
                result.append(_status(repo.name, entry, {}))
            else:
                result.append(_status(repo.name, entry,
                                      fmt.read_snapshot(repo, entry).get("indices", {})))
        return {"snapshots": result}

    # --- delete ------------------------------------------------------------------------------

    def delete(self, repository: str, snapshots: str) -> dict[str, Any]:
        repo = self._repository(repository)
        if repo.readonly:
            raise RepositoryError(repository, "cannot delete snapshot from a readonly repository")
        chosen = self._select(repo, snapshots)
        running = [e["name"] for e in chosen if "run" in e]
        for name in running:  # deleting a snapshot in progress aborts it
            run, thread = self._runs.get((repository, name), (None, None))
            if run is not None and thread is not None:
                run.aborted.set()
                thread.join()
        if running:  # one past its last abort check lists itself: deleted as listed
            now = {e["name"]: e for e in self._select(repo, ",".join(running), True)}
            chosen = [now.get(e["name"], e) if "run" in e else e for e in chosen]
        failed = {e["name"] for e in chosen if "key" not in e}
        for op_id, record in self._create_records(repository).items():
            if record["snapshot"] in failed:  # failed before it was written: its record
                self.metastore.delete(OPS, op_id)
        uuids = [e["uuid"] for e in chosen if "key" in e]
        if uuids:
            op_id = f"delete/{repository}/{uuidlib.uuid4().hex[:12]}"
            record = {"op": "delete", "repository": repository, "uuids": uuids,
                      "start_time_in_millis": now_ms()}
            self.metastore.put(OPS, op_id, record)
            self._run_delete(repo, op_id, record)
        return {"acknowledged": True}

    def _run_delete(self, repo: repos.Repository, op_id: str, record: dict[str, Any]) -> None:
        with self._lock(repo):
            listing = fmt.read_index(repo)
            kept = [e for e in listing["snapshots"] if e["uuid"] not in record["uuids"]]
            if len(kept) != len(listing["snapshots"]):
                listing["snapshots"] = kept
                fmt.write_index(repo, listing)
            self._pause("delete:listed")
            self._sweep(repo, listing)
            self.metastore.delete(OPS, op_id)

    def _sweep(self, repo: repos.Repository,
               listing: dict[str, Any] | None = None) -> list[tuple[str, int]]:
        """Delete the blobs and metadata no listed snapshot uses (under the repository's lock,
        so no snapshot is between storing a blob and listing itself)."""
        garbage = fmt.unreferenced(repo, listing or fmt.read_index(repo))
        blobs = repo.blobs(self._level)
        blobs.delete(key for key, _ in garbage)
        return garbage

    # --- restore -----------------------------------------------------------------------------

    def restore(self, repository: str, snapshot: str, body: dict[str, Any] | None, *,
                wait_for_completion: bool = False) -> dict[str, Any]:
        """ES's restore: ``indices``, ``rename_pattern``/``rename_replacement``,
        ``include_aliases``, ``index_settings``, ``ignore_index_settings``, ...; an open
        index of the same name is ES's 500 ``snapshot_restore_exception``."""
        repo = self._repository(repository)
        body = body or {}
        entry = self._entry(repo, snapshot)
        if "key" not in entry:
            raise SnapshotError(repository, snapshot,
                                f"cannot restore a snapshot in state [{entry['state']}]")
        meta = fmt.read_snapshot(repo, entry)
        planned = restoring.plan(repo, snapshot, meta, body, self.catalog)
        include_global = parse_bool(body.get("include_global_state", False),
                                    "include_global_state")
        if include_global:
            self.global_state.check(meta.get("global_state") or {})
        op_id = f"restore/{repository}/{snapshot}/{uuidlib.uuid4().hex[:12]}"
        record = {"op": "restore", "repository": repository, "snapshot": snapshot,
                  "entry": entry, "body": body, "include_global_state": include_global,
                  "targets": [{"name": p["target"], "uuid": uuidlib.uuid4().hex[:22],
                               "replaces": p["replaces"]} for p in planned],
                  "start_time_in_millis": now_ms()}
        self.metastore.put(OPS, op_id, record)
        thread = self._start_restore(repo, op_id, record)
        if not wait_for_completion:
            return {"accepted": True}
        thread.join()
        failed = self.metastore.get(OPS, op_id)
        if failed is not None and failed.get("state") == "FAILED":
            self.metastore.delete(OPS, op_id)
            error = failed["failures"][0].get("error")
            if error is not None:  # ES's own error (an index created meanwhile: its 500)
                raise LoghavenError(error["reason"], status=error["status"], type=error["type"])
            raise SnapshotError(repository, snapshot, failed["failures"][0]["reason"])
        return {"snapshot": {"snapshot": snapshot, "indices": [p["target"] for p in planned],
                             "shards": {"total": len(planned), "failed": 0,
                                        "successful": len(planned)}}}

    def _start_restore(self, repo: repos.Repository, op_id: str,
                       record: dict[str, Any]) -> threading.Thread:
        return self._background(lambda: self._run_restore(repo, op_id, record))

    def _run_restore(self, repo: repos.Repository, op_id: str, record: dict[str, Any]) -> None:
        def check() -> None:
            if self._stopping.is_set():
                raise Aborted()

        try:
            with self._lock(repo):
                meta = fmt.read_snapshot(repo, record["entry"])
                uuids = {t["name"]: t["uuid"] for t in record["targets"]}
                replaces = {t["name"]: t.get("replaces") for t in record["targets"]}
                planned = restoring.plan(repo, record["snapshot"], meta, record["body"],
                                         self.catalog, own=uuids)
                for item in planned:
                    index = self.catalog.indices.get(item["target"])
                    if index is not None and index.uuid == uuids[item["target"]]:
                        continue  # registered before a restart
                    restoring.restore_index(repo, item, uuids[item["target"]],
                                            replaces[item["target"]], self.catalog,
                                            self.metastore, self._level, check,
                                            lambda: self._pause("restore:fetched"))
                    self._pause("restore:registered")
                if record["include_global_state"]:
                    self.global_state.restore(meta.get("global_state") or {})
            self.metastore.delete(OPS, op_id)
        except Aborted:
            return
        except Exception as e:
            log.exception("restore of [%s:%s] failed", repo.name, record["snapshot"])
            for target in record["targets"]:
                index = self.catalog.indices.get(target["name"])
                if index is None or index.uuid != target["uuid"]:
                    restoring.discard(target["uuid"], self.catalog, self.metastore)
            failure: dict[str, Any] = {"reason": reason_of(e)}
            if isinstance(e, LoghavenError):
                failure["error"] = {"type": e.type, "status": e.status, "reason": e.reason}
            self.metastore.put(OPS, op_id, {**record, "state": "FAILED", "failures": [failure]})

    # --- misc --------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Snapshots succeeded and failed since the node's data folder was made (kept in the
        metastore), for ``_nodes/stats`` and issue 20's AutomatedSnapshotFailure alarm."""
        stats = self.metastore.get(STATS, "counters") or {}
        return {"successes": stats.get("successes", 0), "failures": stats.get("failures", 0),
                "in_progress": len(self._runs)}

    def repositories_table(self) -> list[dict[str, Any]]:
        return [{"id": name, "type": record["type"]}
                for name, record in sorted(self.metastore.list(repos.KIND).items())]

    def snapshots_table(self, repository: str | None) -> list[dict[str, Any]]:
        """``_cat/snapshots``'s rows."""
        rows = []
        names = [repository] if repository else sorted(self.metastore.list(repos.KIND))
        for name in names:
            for entry in self._entries(self._repository(name)):
                start = entry["start_time_in_millis"]
                end = entry["end_time_in_millis"] or now_ms()
                failures = entry["failures"]
                rows.append({
                    "id": entry["name"], "repository": name, "status": entry["state"],
                    "start_epoch": start // 1000, "start_time": _clock(start),
                    "end_epoch": end // 1000, "end_time": _clock(end),
                    "duration": end - start, "indices": len(entry["indices"]),
                    "successful_shards": entry["shards"]["successful"],
                    "failed_shards": entry["shards"]["failed"],
                    "total_shards": entry["shards"]["total"],
                    "reason": failures[0]["reason"] if failures else None})
        return rows

    def _thread(self, work: Any) -> threading.Thread:
        """A thread for ``work``, not started yet, that :meth:`close` waits for."""
        thread = threading.Thread(target=work, name="snapshot", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive() or t.ident is None]
        self._threads.append(thread)
        return thread

    def _background(self, work: Any) -> threading.Thread:
        thread = self._thread(work)
        thread.start()
        return thread

    def _pause(self, step: str, aborted: Callable[[], bool] = lambda: False) -> None:
        """The testing hook (module docstring): until its file is removed, the node stops,
        the operation is aborted or 120 s passed."""
        if os.environ.get(PAUSE_ENV) != step:
            return
        marker = Path(self.config.data_dir) / f"snapshot-paused-{step}"
        marker.touch()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and marker.exists() and not self._stopping.is_set() \
                and not aborted():
            time.sleep(0.1)


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {"name": record["snapshot"], "uuid": record["uuid"],
            "version_id": record["version_id"], "version": record["version"],
            "indices": record["indices"], "include_global_state": record["include_global_state"],
            "start_time_in_millis": record["start_time_in_millis"],
            "metadata": record.get("metadata")}


def _run_status(run: SnapshotRun) -> dict[str, Any]:
    indices = {name: {"uuid": p.uuid, "stage": p.stage, "stats": p.stats()}
               for name, p in run.progress.items()}
    for name in run.record["indices"]:
        indices.setdefault(name, {"stage": "INIT", "stats": None})
    entry = {**_summary(run.record), "state": "STARTED"}
    return _status(run.repository.name, entry, indices, live=True)


def _status(repository: str, entry: dict[str, Any], indices: dict[str, Any], *,
            live: bool = False) -> dict[str, Any]:
    """ES's ``SnapshotStatus``: shard counts and file/byte stats, per index and in all."""
    stage_of = {"DONE": "done", "FAILURE": "failed", "STARTED": "started",
                "INIT": "initializing"}
    total = _empty_stats(entry["start_time_in_millis"])
    counts = dict.fromkeys(("initializing", "started", "finalizing", "done", "failed"), 0)
    rendered = {}
    failed = {f.get("index") for f in entry.get("failures", [])}
    for name in entry["indices"]:
        data = indices.get(name)
        stage = (data or {}).get("stage") or ("FAILURE" if name in failed or data is None
                                              else "DONE")
        stats = (data or {}).get("stats") or _empty_stats(entry["start_time_in_millis"])
        stats = {k: v for k, v in stats.items() if k != "processed" or live}
        for part in ("incremental", "total"):
            for key in ("file_count", "size_in_bytes"):
                total[part][key] += stats[part][key]
        shard_counts = dict.fromkeys(counts, 0)
        shard_counts[stage_of.get(stage, "done")] = 1
        shard_counts["total"] = 1
        counts[stage_of.get(stage, "done")] += 1
        rendered[name] = {"shards_stats": shard_counts, "stats": stats,
                          "shards": {"0": {"stage": stage, "stats": stats}}}
    counts["total"] = len(entry["indices"])
    end = entry.get("end_time_in_millis") or now_ms()
    total["time_in_millis"] = max(0, end - entry["start_time_in_millis"])
    return {"snapshot": entry["name"], "repository": repository, "uuid": entry["uuid"],
            "state": entry["state"], "include_global_state": entry["include_global_state"],
            "shards_stats": counts, "stats": total, "indices": rendered}


def _empty_stats(start: int) -> dict[str, Any]:
    return {"incremental": {"file_count": 0, "size_in_bytes": 0},
            "total": {"file_count": 0, "size_in_bytes": 0},
            "start_time_in_millis": start, "time_in_millis": 0}


def _iso(millis: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis / 1000)) \
        + f".{millis % 1000:03d}Z"


def _clock(millis: int) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(millis / 1000))
