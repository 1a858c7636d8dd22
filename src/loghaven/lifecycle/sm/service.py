"""``node.sm``: snapshot management policies — create, get, update (``if_seq_no``/
``if_primary_term``), search, delete, explain, start, stop — and their runs (creation on the
policy's cron schedule, deletion by ``max_count``/``min_count``/``max_age``), with failures
counted and notified through the policy's ``notification.channel``.

Records: kind ``sm_policy`` (the policy with OpenSearch's ``_version``/``_seq_no``/
``_primary_term``; one seq_no counter for all policies, as one config index has), kind
``sm_metadata`` (explain's ``creation``/``deletion`` workflows), kind ``sm_stats`` (runs
succeeded and failed since the data folder was made). Each enabled policy has one durable cron
job per workflow (``sm-policy.<name>.creation`` / ``.deletion``) in the scheduler's ``sm``
pool, so a slot that fell due while the node was down runs once at start, and a run that was
in flight (recorded ``started``) is continued at start.
"""

from __future__ import annotations

import logging
import threading
import time
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from loghaven.errors import (
    ActionRequestValidation,
    IllegalArgument,
    LoghavenError,
    VersionConflict,
)
from loghaven.lifecycle.ism.store import UNASSIGNED_PRIMARY_TERM, UNASSIGNED_SEQ_NO
from loghaven.lifecycle.sm.policy import cron_of, doc_id, parse_policy
from loghaven.lifecycle.sm.workflow import CREATION, DELETION, WorkflowRun, next_trigger
from loghaven.params import matches_query_string, param_page, param_sort_desc
from loghaven.scheduler import JOB

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from loghaven.lifecycle.snapshots.service import SnapshotService
    from loghaven.notify.service import NotificationService
    from loghaven.scheduler import Scheduler
    from loghaven.storage.metastore import Metastore

log = logging.getLogger("loghaven.sm")

KIND = "sm_policy"
METADATA = "sm_metadata"
STATS = ("sm_stats", "node")
_COUNTER = ("sm_policy_seq_no", "config")
PRIMARY_TERM = 1
#: OpenSearch keeps SM policies in the ISM config index.
CONFIG_INDEX = ".opendistro-ism-config"
JOB_PREFIX = "sm-policy."
POOL = "sm"
WORKFLOWS = (CREATION, DELETION)
#: A workflow execution's statuses that end it in failure.
FAILED_STATUSES = ("FAILED", "TIME_LIMIT_EXCEEDED")
#: ``GET _plugins/_sm/policies`` defaults (index-management's SearchParams).
DEFAULT_SIZE = 20
DEFAULT_SORT_FIELD = "sm_policy.name"


def not_found() -> LoghavenError:
    return LoghavenError("Snapshot management policy not found", status=404,
                         type="status_exception")


def job_name(name: str, kind: str) -> str:
    return f"{JOB_PREFIX}{name}.{kind}"


def _now_ms() -> int:
    return int(time.time() * 1000)


class SnapshotPolicies:
    def __init__(self, metastore: Metastore, scheduler: Scheduler, snapshots: SnapshotService,
                 notifications: NotificationService, *, enabled: bool = True) -> None:
        self.metastore = metastore
        self.scheduler = scheduler
        self.snapshots = snapshots
        self.notifications = notifications
        self.enabled = enabled
        self._lock = threading.RLock()
        scheduler.add_pool(POOL, 4)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """One durable scheduler job per enabled policy and workflow; runs a stop cut short
        are made due at once."""
        if not self.enabled:
            return
        wanted = set()
        for name, record in self.metastore.list(KIND).items():
            policy = record["sm_policy"]
            if not policy["enabled"]:
                continue
            try:
                self._schedule(policy)
            except LoghavenError as error:  # never keep the node from starting
                log.warning("snapshot management: policy [%s] not scheduled: %s", name,
                            error.reason)
                continue
            metadata = self.metastore.get(METADATA, name) or {}
            for kind in WORKFLOWS:
                if kind in policy:
                    wanted.add(job_name(name, kind))
                    workflow = metadata.get(kind) or {}
                    if workflow.get("current_state", "").rsplit("_", 1)[-1] != "START":
                        self.scheduler.run_soon(job_name(name, kind))
        for stale in self.metastore.list(JOB, JOB_PREFIX):
            if stale not in wanted:
                self.scheduler.remove(stale)

    def _schedule(self, policy: dict[str, Any]) -> None:
        if not self.enabled:
            return
        name = policy["name"]
        for kind in WORKFLOWS:
            if kind in policy:
                self.scheduler.add(job_name(name, kind), self._job(name, kind),
                                   cron_of(policy[kind]["schedule"]), durable=True, pool=POOL)
            else:
                self.scheduler.remove(job_name(name, kind))

    def _unschedule(self, name: str) -> None:
        for kind in WORKFLOWS:
            self.scheduler.remove(job_name(name, kind))

    def _job(self, name: str, kind: str) -> Callable[[threading.Event], None]:
        def run(stopping: threading.Event) -> None:
            WorkflowRun(self, name, kind, stopping).run()
        return run

    # --- records -------------------------------------------------------------------------

    def _record(self, name: str) -> dict[str, Any]:
        record = self.metastore.get(KIND, name)
        if record is None:
            raise not_found()
        return record

    def policy_of(self, name: str) -> dict[str, Any] | None:
        record = self.metastore.get(KIND, name)
        return None if record is None else record["sm_policy"]

    def _next_seq_no(self) -> int:
        counter = self.metastore.get(*_COUNTER)
        return 0 if counter is None else counter["seq_no"] + 1

    def _fresh_metadata(self, record: dict[str, Any],
                        previous: dict[str, Any] | None) -> dict[str, Any]:
        """The workflows of a new or changed policy: triggers from its schedules, what was
        in flight and the latest executions kept."""
        policy = record["sm_policy"]
        metadata: dict[str, Any] = {"name": policy["name"], "policy_seq_no": record["_seq_no"],
                                    "policy_primary_term": record["_primary_term"]}
        for kind in WORKFLOWS:
            if kind not in policy:
                continue
            old = (previous or {}).get(kind) or {}
            workflow = {**old, "trigger": {"time": next_trigger(policy[kind]["schedule"])}}
            workflow.setdefault("current_state", f"{kind.upper()}_START")
            metadata[kind] = workflow
        return metadata

    def _write(self, name: str, policy: dict[str, Any], current: dict[str, Any] | None
               ) -> dict[str, Any]:
        seq_no = self._next_seq_no()
        record = {"_id": doc_id(name),
                  "_version": 1 if current is None else current["_version"] + 1,
                  "_seq_no": seq_no, "_primary_term": PRIMARY_TERM, "sm_policy": policy}
        metadata = self._fresh_metadata(record, self.metastore.get(METADATA, name))
        self.metastore.put_many([(KIND, name, record), (METADATA, name, metadata),
                                 (*_COUNTER, {"seq_no": seq_no})])
        if policy["enabled"]:
            self._schedule(policy)
        else:
            self._unschedule(name)
        return record

    @staticmethod
    def _check_seq_no(name: str, current: dict[str, Any] | None, if_seq_no: int | None,
                      if_primary_term: int | None) -> None:
        reason = (f"[{doc_id(name)}]: version conflict, required seqNo [{if_seq_no}], "
                  f"primary term [{if_primary_term}]. ")
        if current is None:
            raise VersionConflict(reason + "but no document was found", index=CONFIG_INDEX,
                                  shard="0", index_uuid="_na_")
        if current["_seq_no"] != if_seq_no or current["_primary_term"] != if_primary_term:
            raise VersionConflict(
                reason + f"current document has seqNo [{current['_seq_no']}] and primary "
                f"term [{current['_primary_term']}]", index=CONFIG_INDEX, shard="0",
                index_uuid="_na_")

    @staticmethod
    def _response(record: dict[str, Any]) -> dict[str, Any]:
        return {"_id": record["_id"], "_version": record["_version"],
                "_seq_no": record["_seq_no"], "_primary_term": record["_primary_term"],
                "sm_policy": record["sm_policy"]}

    # --- the API -------------------------------------------------------------------------

    def create(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST``: a new policy (409 when one exists); the response and status 201."""
        policy = parse_policy(name, body, now_ms=_now_ms())
        with self._lock:
            current = self.metastore.get(KIND, name)
            if current is not None:
                raise VersionConflict(
                    f"[{doc_id(name)}]: version conflict, document already exists (current "
                    f"version [{current['_version']}])", index=CONFIG_INDEX, shard="0",
                    index_uuid="_na_")
            record = self._write(name, policy, None)
        return {**self._response(record), "status": 201}

    def update(self, name: str, body: dict[str, Any], *, if_seq_no: int | None,
               if_primary_term: int | None) -> dict[str, Any]:
        """``PUT``: update the policy at ``if_seq_no``/``if_primary_term``, both required
        (``IndexSMPolicyRequest.validate``: a PUT is never a create, even of a missing
        policy); the response and its status (200)."""
        policy = parse_policy(name, body, now_ms=_now_ms())
        if if_seq_no in (None, UNASSIGNED_SEQ_NO) \
                or if_primary_term in (None, UNASSIGNED_PRIMARY_TERM):
            raise ActionRequestValidation(
                "Validation Failed: 1: Sequence number and primary term must be provided when "
                "updating a snapshot management policy;")
        with self._lock:
            current = self.metastore.get(KIND, name)
            self._check_seq_no(name, current, if_seq_no, if_primary_term)
            record = self._write(name, policy, current)
        return {**self._response(record), "status": 200}

    def get(self, name: str) -> dict[str, Any]:
        return self._response(self._record(name))

    def search(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET _plugins/_sm/policies``: ``from``, ``size``, ``sortField``, ``sortOrder``,
        ``queryString`` (on the name, terms ANDed, wildcards allowed)."""
        start, size = param_page(params, DEFAULT_SIZE)
        order = "desc" if param_sort_desc(params, "sortOrder") else "asc"
        field = params.get("sortField", DEFAULT_SORT_FIELD)
        records = [r for r in self.metastore.list(KIND).values()
                   if matches_query_string(params.get("queryString") or "*",
                                           r["sm_policy"]["name"])]

        def key(record: dict[str, Any]) -> tuple[bool, int, Any]:
            value: Any = record
            for part in field.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, (dict, list)):  # an object, not a field a search sorts on
                raise IllegalArgument(f"No mapping found for [{field}] in order to sort on")
            number = isinstance(value, (int, float))
            return (value is None) != (order == "desc"), int(not number), \
                value if number else "" if value is None else str(value)

        records.sort(key=key, reverse=order == "desc")
        return {"policies": [{"_id": r["_id"], "_seq_no": r["_seq_no"],
                              "_primary_term": r["_primary_term"], "sm_policy": r["sm_policy"]}
                             for r in records[start:start + size]],
                "total_policies": len(records)}

    def delete(self, name: str) -> dict[str, Any]:
        with self._lock:
            current = self._record(name)
            seq_no = self._next_seq_no()
            self.metastore.put_many([(KIND, name, None), (METADATA, name, None),
                                     (*_COUNTER, {"seq_no": seq_no})])
            self._unschedule(name)
        return {"_index": CONFIG_INDEX, "_id": current["_id"],
                "_version": current["_version"] + 1, "result": "deleted",
                "forced_refresh": True, "_shards": {"total": 2, "successful": 1, "failed": 0},
                "_seq_no": seq_no, "_primary_term": PRIMARY_TERM}

    def explain(self, names: str) -> dict[str, Any]:
        """``_explain``: each matching policy's workflows and whether it runs; comma-separated
        names and wildcards, none meaning all."""
        patterns = [p.strip() for p in names.split(",") if p.strip()] or ["*"]
        policies = []
        for name, record in self.metastore.list(KIND).items():
            if not any(fnmatchcase(name, p) for p in patterns):
                continue
            metadata = self.metastore.get(METADATA, name) or {}
            entry: dict[str, Any] = {"name": name}
            for kind in WORKFLOWS:
                if metadata.get(kind) is not None:
                    entry[kind] = _explained(metadata[kind])
            if metadata:
                entry["policy_seq_no"] = metadata["policy_seq_no"]
                entry["policy_primary_term"] = metadata["policy_primary_term"]
            entry["enabled"] = record["sm_policy"]["enabled"]
            policies.append(entry)
        return {"policies": policies}

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        """``_start`` / ``_stop``."""
        with self._lock:
            current = self._record(name)
            policy = dict(current["sm_policy"])
            if policy["enabled"] == enabled:
                return {"acknowledged": True}
            now = _now_ms()
            policy.update(enabled=enabled, enabled_time=now if enabled else None,
                          last_updated_time=now)
            self._write(name, policy, current)
        return {"acknowledged": True}

    # --- for the runs --------------------------------------------------------------------

    def workflow(self, name: str, kind: str) -> dict[str, Any] | None:
        return (self.metastore.get(METADATA, name) or {}).get(kind)

    def update_workflow(self, name: str, kind: str,
                        change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Apply ``change`` to the recorded workflow (nothing once the policy is gone)."""
        with self._lock:
            metadata = self.metastore.get(METADATA, name)
            if metadata is None or metadata.get(kind) is None:
                return None
            change(metadata[kind])
            self.metastore.put(METADATA, name, metadata)
            return metadata[kind]

    def count(self, name: str, kind: str, outcome: str) -> None:
        """One more ``succeeded`` or ``failed`` run of ``kind``."""
        with self._lock:
            stats = self.metastore.get(*STATS) or {}
            counts = stats.setdefault(kind, {"succeeded": 0, "failed": 0})
            counts[outcome] = counts.get(outcome, 0) + 1
            self.metastore.put(*STATS, stats)
        if outcome == "failed":
            log.warning("snapshot management: policy [%s]: %s failed", name, kind)

    def last_run_failed(self) -> bool:
        """Whether the latest execution of some policy's workflow ended in failure (``FAILED``
        or ``TIME_LIMIT_EXCEEDED``): the metrics' ``AutomatedSnapshotFailure``."""
        return any((workflow.get("latest_execution") or {}).get("status") in FAILED_STATUSES
                   for metadata in self.metastore.list(METADATA).values()
                   for kind in WORKFLOWS if (workflow := metadata.get(kind)))

    def stats(self) -> dict[str, Any]:
        """Policies, and runs succeeded and failed per workflow since the data folder was
        made."""
        stats = self.metastore.get(*STATS) or {}
        return {"policies": len(self.metastore.list(KIND)),
                **{kind: {"succeeded": 0, "failed": 0, **stats.get(kind, {})}
                   for kind in WORKFLOWS}}


def _explained(workflow: dict[str, Any]) -> dict[str, Any]:
    """A workflow as explain shows it (SMMetadata.WorkflowMetadata's fields)."""
    shown = {"current_state": workflow["current_state"], "trigger": workflow["trigger"]}
    for field in ("started", "latest_execution", "retry"):
        if workflow.get(field) is not None:
            shown[field] = workflow[field]
    return shown
