"""One run of a policy's creation or deletion workflow: SM's state machine, each state
recorded (``sm_metadata``) before the next is entered, so a run cut by a stop or ``kill -9``
continues from its record at the next start.

Creation: ``CREATION_START`` → ``CREATION_CONDITION_MET`` (the cron fired) → ``CREATING`` (the
snapshot's name recorded in ``started``, then the snapshot started; a retry or a resume starts
the same name again) → ``CREATION_FINISHED`` (the snapshot ended) → ``CREATION_START`` with the
next trigger. Deletion goes the same way through ``DELETION_*`` with the snapshots that the
condition selects. A failing step is retried ``MAX_RETRIES`` times in the run (``RETRYING``,
``retry.count`` the attempts left, ``RETRY_BACKOFF_S`` doubled between them; OpenSearch retries
at its next one-minute job runs instead), then the execution is ``FAILED``, counted, and
notified through the policy's channel when ``notification.conditions.failure``.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.errors import LoghavenError
from loghaven.lifecycle.sm.policy import cron_of, select_for_deletion, snapshot_name
from loghaven.notify.message import Message

if TYPE_CHECKING:
    from loghaven.lifecycle.sm.service import SnapshotPolicies

log = logging.getLogger("loghaven.sm")

CREATION, DELETION = "creation", "deletion"
MAX_RETRIES = 3
RETRY_BACKOFF_S = 1.0
#: How often a run looks at a snapshot it waits for.
POLL_S = 0.5
#: Test-only: ``LOGHAVEN_SM_KILL_AT=<STATE>`` kills the server (SIGKILL) right after that
#: state is recorded, so tests can check that a run resumes from its record.
KILL_AT_ENV = "LOGHAVEN_SM_KILL_AT"
TITLES = {CREATION: "Snapshot Management - Snapshot Creation Notification",
          DELETION: "Snapshot Management - Snapshot Deletion Notification",
          "failure": "Snapshot Management - Snapshot Failure Notification",
          "time_limit_exceeded": "Snapshot Management - Snapshot Time Limit Notification"}
#: ES's snapshot fields that a policy's ``snapshot_config`` passes to the create call.
SNAPSHOT_BODY_FIELDS = ("indices", "ignore_unavailable", "include_global_state", "partial",
                        "metadata")


def now_ms() -> int:
    return int(time.time() * 1000)


def stamped(text: str) -> str:
    """``preFixTimeStamp``: ``[<ISO instant to the second>]: text``."""
    moment = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"[{moment}]: {text}"


def next_trigger(schedule: dict[str, Any]) -> int:
    return int(cron_of(schedule).next_after(time.time()) * 1000)


class Failed(Exception):
    """A step failed: ``message`` for ``latest_execution.info``, ``cause`` the reason."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause


def _reason(error: Exception) -> str:
    return error.reason if isinstance(error, LoghavenError) else f"{type(error).__name__}: " \
                                                                 f"{error}"


def _missing(error: Exception) -> bool:
    return isinstance(error, LoghavenError) and error.type == "snapshot_missing_exception"


class WorkflowRun:
    """One run of ``kind`` (creation or deletion) for one policy."""

    def __init__(self, service: SnapshotPolicies, name: str, kind: str,
                 stopping: threading.Event) -> None:
        self.service = service
        self.name = name
        self.kind = kind
        self.stopping = stopping
        self.prefix = kind.upper()

    # --- records -------------------------------------------------------------------------

    def _update(self, change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        return self.service.update_workflow(self.name, self.kind, change)

    def _enter(self, state: str, **fields: Any) -> None:
        def change(workflow: dict[str, Any]) -> None:
            workflow["current_state"] = state
            workflow.update(fields)
        self._update(change)
        if os.environ.get(KILL_AT_ENV) == state:
            log.warning("%s=%s: killing the server", KILL_AT_ENV, state)
            os.kill(os.getpid(), signal.SIGKILL)

    def _execution(self, status: str, message: str, *, cause: str | None = None,
                   end: bool = False, new: bool = False) -> None:
        def change(workflow: dict[str, Any]) -> None:
            previous = workflow.get("latest_execution") or {}
            info = {"message": stamped(message)}
            if cause is not None:
                info["cause"] = stamped(cause)
            execution: dict[str, Any] = {
                "status": status,
                "start_time": now_ms() if new or not previous else previous["start_time"],
                "end_time": now_ms() if end else None, "info": info}
            workflow["latest_execution"] = execution
        self._update(change)

    def _finish(self, outcome: str) -> None:
        """Back to ``*_START`` with the next trigger; ``outcome`` counted."""
        policy = self.service.policy_of(self.name)

        def change(workflow: dict[str, Any]) -> None:
            workflow["current_state"] = f"{self.prefix}_START"
            workflow.pop("started", None)
            workflow.pop("retry", None)
            if policy is not None and self.kind in policy:
                workflow["trigger"] = {"time": next_trigger(policy[self.kind]["schedule"])}
        self._update(change)
        self.service.count(self.name, self.kind, outcome)

    def _notify(self, condition: str, message: str) -> None:
        policy = self.service.policy_of(self.name)
        notification = (policy or {}).get("notification")
        if not notification or not notification["conditions"].get(condition):
            return
        delivery = self.service.notifications.send(
            notification["channel"]["id"], Message(TITLES[condition], message),
            event_source={"title": TITLES[condition], "reference_id": self.name,
                          "severity": "info", "tags": []})
        if not delivery.ok:
            log.warning("snapshot management: notifying [%s] for policy [%s] failed: %s %s",
                        notification["channel"]["id"], self.name, delivery.status_code,
                        delivery.status_text)

    # --- running ---------------------------------------------------------------------------

    def run(self) -> None:
        policy = self.service.policy_of(self.name)
        workflow = self.service.workflow(self.name, self.kind)
        if policy is None or self.kind not in policy or workflow is None:
            return
        if not workflow.get("started"):
            if workflow["current_state"] == f"{self.prefix}_START" \
                    and workflow["trigger"]["time"] > now_ms() + 1000:
                return  # woken early (a restart's catch-up of a slot already handled)
            self._enter(f"{self.prefix}_CONDITION_MET")
        attempts = MAX_RETRIES + 1
        for attempt in range(attempts):
            try:
                step = self._create if self.kind == CREATION else self._delete
                done = step(policy)
                if done is None:  # stopping: the record resumes at the next start
                    return
                self._finish("succeeded")
                return
            except Failed as failure:
                left = attempts - attempt - 1
                if left and not self.stopping.is_set():
                    self._execution("RETRYING", failure.message, cause=failure.cause)
                    self._update(lambda w, n=left: w.update(retry={"count": n}))
                    if self.stopping.wait(RETRY_BACKOFF_S * 2 ** attempt):
                        return
                    continue
                if self.stopping.is_set():
                    return
                self._execution("FAILED", failure.message, cause=failure.cause, end=True)
                self._finish("failed")
                self._notify("failure", stamped(f"{failure.message} {failure.cause}"))
                return
            except TimeLimitExceeded as exceeded:
                self._execution("TIME_LIMIT_EXCEEDED", str(exceeded), end=True)
                self._finish("failed")
                self._notify("time_limit_exceeded", stamped(str(exceeded)))
                return

    # --- creation ------------------------------------------------------------------------

    def _create(self, policy: dict[str, Any]) -> bool | None:
        workflow = self.service.workflow(self.name, self.kind) or {}
        started = workflow.get("started")
        repository = policy["snapshot_config"]["repository"]
        if not started:
            name = snapshot_name(policy, now_ms())
            self._enter("CREATING", started=[name])
            self._execution("IN_PROGRESS", f"Snapshot {name} creation has been started and "
                                           "waiting for completion.", new=True)
        else:
            name = started[0]
            if workflow["current_state"] != "CREATING":
                self._enter("CREATING")
        try:
            state = self._snapshot_state(repository, name)
        except Failed:  # the create call below says why (a missing repository ...)
            state = None
        if state is None:  # not started yet (a first attempt, a retry, or a resume)
            config = policy["snapshot_config"]
            body = {key: config[key] for key in SNAPSHOT_BODY_FIELDS if key in config}
            body["metadata"] = {**(body.get("metadata") or {}), "sm_policy": self.name}
            try:
                self.service.snapshots.create(repository, name, body,
                                              wait_for_completion=False)
            except Exception as error:
                raise Failed(f"Caught exception while creating snapshot {name}.",
                             _reason(error)) from error
        state = self._wait(repository, name, policy[CREATION].get("time_limit"))
        if state is None:
            return None
        self._enter("CREATION_FINISHED")
        if state != "SUCCESS":
            raise Failed(f"Snapshot {name} creation failed as the snapshot is in the {state} "
                         "state.", f"snapshot [{repository}:{name}] ended in state {state}")
        message = f"Snapshot {name} creation has finished successfully."
        self._execution("SUCCESS", message, end=True)
        self._notify(CREATION, stamped(message))
        return True

    def _snapshot_state(self, repository: str, name: str) -> str | None:
        """The snapshot's state, or None when there is no such snapshot."""
        try:
            found = self.service.snapshots.get(repository, name, {})
        except Exception as error:
            if _missing(error):
                return None
            raise Failed(f"Caught exception while getting started creation snapshot "
                         f"[{name}].", _reason(error)) from error
        for snapshot in found.get("snapshots", []):
            if snapshot.get("snapshot") == name:
                return str(snapshot.get("state"))
        return None

    def _wait(self, repository: str, name: str, time_limit: str | None) -> str | None:
        """Wait for the snapshot to end: its final state, or None when the node stops."""
        workflow = self.service.workflow(self.name, self.kind) or {}
        started = (workflow.get("latest_execution") or {}).get("start_time") or now_ms()
        limit_ms = None if time_limit is None else parse_duration_ms(time_limit)
        while True:
            state = self._snapshot_state(repository, name)
            if state is None:
                raise Failed(f"Snapshot {name} not found while checking if it has been "
                             "created.", f"[{repository}:{name}] is missing")
            if state not in ("IN_PROGRESS", "STARTED", "INIT"):
                return state
            if limit_ms is not None and now_ms() - started > limit_ms:
                raise TimeLimitExceeded(
                    f"Time limit {time_limit} exceeded in the creation of snapshot {name}.")
            if self.stopping.wait(POLL_S):
                return None

    # --- deletion ------------------------------------------------------------------------

    def _policy_snapshots(self, policy: dict[str, Any]) -> list[dict[str, Any]]:
        """The policy's ended snapshots (``metadata.sm_policy``) and those matching the
        deletion's ``snapshot_pattern``."""
        repository = policy["snapshot_config"]["repository"]
        pattern = policy[DELETION].get("snapshot_pattern")
        patterns = f"{self.name}*" + (f",{pattern}" if pattern else "")
        try:
            found = self.service.snapshots.get(repository, patterns, {})
        except Exception as error:
            if _missing(error):
                return []
            raise Failed("Caught exception while getting snapshots to decide which snapshots "
                         "to delete.", _reason(error)) from error
        chosen = {}
        for snapshot in found.get("snapshots", []):
            ours = (snapshot.get("metadata") or {}).get("sm_policy") == self.name
            extra = pattern is not None and any(
                fnmatchcase(snapshot["snapshot"], p.strip()) for p in pattern.split(","))
            if (ours or extra) and snapshot.get("state") != "IN_PROGRESS":
                chosen[snapshot["snapshot"]] = snapshot
        return list(chosen.values())

    def _delete(self, policy: dict[str, Any]) -> bool | None:
        workflow = self.service.workflow(self.name, self.kind) or {}
        repository = policy["snapshot_config"]["repository"]
        names = workflow.get("started")
        if not names:
            names = select_for_deletion(self._policy_snapshots(policy),
                                        policy[DELETION]["condition"], now_ms())
            if not names:  # nothing to delete: the execution is not changed, as in SM
                self._enter("DELETION_FINISHED")
                return True
            listed = f"[{', '.join(names)}]"
            self._enter("DELETING", started=names)
            self._execution("IN_PROGRESS", f"Snapshots {listed} deletion has been started "
                                           "and waiting for completion.", new=True)
        listed = f"[{', '.join(names)}]"
        remaining = {s["snapshot"] for s in self._policy_snapshots(policy)} & set(names)
        if remaining:
            try:
                self.service.snapshots.delete(repository, ",".join(sorted(remaining)))
            except Exception as error:
                if not _missing(error):
                    raise Failed(f"Caught exception while deleting snapshot {listed}.",
                                 _reason(error)) from error
        if self.stopping.is_set():
            return None
        self._enter("DELETION_FINISHED")
        message = f"Snapshot(s) {listed} deletion has finished."
        self._execution("SUCCESS", message, end=True)
        self._notify(DELETION, stamped(message))
        return True


class TimeLimitExceeded(Exception):
    """The policy's ``time_limit`` passed while the snapshot was still running."""
