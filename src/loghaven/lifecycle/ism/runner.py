"""The managed indices' runs: every ``plugins.index_state_management.job_interval`` each
enabled managed index takes its next step — initialize into the default state, run the
state's actions in order (each a sequence of recorded steps with its ``retry`` and
``timeout``), then evaluate transitions — writing its record after every step.

This follows OpenSearch's ``ManagedIndexRunner``: one run takes exactly one step; the record
is written with the step ``starting`` before the step runs and with its outcome after, so a
run cut short (kill -9) finds ``starting`` and runs the step again, in the same action with
its ``action_data``: the steps find what they started (a rollover, a snapshot, a migration)
instead of starting it twice, see actions.py; a notification may be sent twice (at least
once, as OpenSearch's). A failed step is retried per its action's ``retry`` (count,
``exponential``/``constant``/``linear`` backoff from ``delay``), then fails the action:
``retry_info.failed``, the policy's ``error_notification`` sent, and the index parked
(``enabled: false``) until the retry API. ``change_policy`` is applied between states (when
the transitions are next) or at once when the API found it safe, as OpenSearch does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from typing import TYPE_CHECKING, Any

from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.lifecycle.ism import actions
from loghaven.lifecycle.ism.actions import (
    ACTION_STEPS,
    COMPLETED,
    FAILED,
    STARTING,
    TIMED_OUT,
    TRANSITION,
    StepResult,
    StepRun,
)
from loghaven.lifecycle.ism.context import IsmContext
from loghaven.lifecycle.ism.managed import ManagedIndex, is_failed
from loghaven.lifecycle.ism.policy import DEFAULT_RETRY, action_type, safe_to_change
from loghaven.lifecycle.ism.store import IsmStore
from loghaven.scheduler import Every

if TYPE_CHECKING:
    from loghaven.scheduler import Scheduler

log = logging.getLogger("loghaven.ism")

JOB = "ism.runner"
SETTING = "plugins.index_state_management.job_interval"
#: The title of error notifications (OpenSearch's ``ErrorNotification.CHANNEL_TITLE``).
ERROR_TITLE = "Index Management-ISM-Error Notification"
#: Test-only: ``LOGHAVEN_ISM_TEST_PAUSE_AT=<step name>`` holds a run for up to a minute right
#: after that step's ``starting`` record is written, ``after:<step name>`` once the step has
#: acted but before its outcome is recorded, so that a test can kill -9 the server in the
#: middle of the step and check that the restarted node resumes it.
PAUSE_ENV = "LOGHAVEN_ISM_TEST_PAUSE_AT"
#: The prefix of a pause after the step's effect.
PAUSE_AFTER = "after:"
#: How many managed indices run at once (their slow steps never hold the engine's threads).
WORKERS = 2


def job_interval_ms(value: str | int) -> int:
    """OpenSearch's setting is whole minutes (``5``); a time value (``10s``) is taken too."""
    text = str(value).strip()
    millis = int(text) * 60_000 if text.isdigit() else parse_duration_ms(text, SETTING)
    if millis <= 0:
        raise ValueError(f"[{SETTING}] must be positive, got [{value}]")
    return millis


class IsmRunner:
    def __init__(self, store: IsmStore, context: IsmContext, *, interval: str) -> None:
        self.store = store
        self.context = context
        self.interval = interval
        try:
            self.interval_ms = job_interval_ms(interval)
        except ValueError:  # the node starts anyway; OpenSearch's default applies
            log.error("invalid %s [%s]; using 5 minutes", SETTING, interval)
            self.interval_ms = 300_000
        self._pool: ThreadPoolExecutor | None = None

    def schedule(self, scheduler: Scheduler) -> None:
        """One durable job (``ism.runner``) that runs every managed index that is due."""
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ism")
        scheduler.add_pool("ism", 1)
        scheduler.add(JOB, self.run_due, Every(self.interval_ms / 1000), durable=True,
                      pool="ism")

    def close(self) -> None:
        """After the scheduler stopped: runs in flight end after their step."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def run_due(self, stopping: threading.Event) -> None:
        """Run each enabled managed index whose last run is a job interval ago or more, and
        drop the records of indices deleted meanwhile (parked ones too)."""
        now_ms = int(time.time() * 1000)
        indices = self.context.catalog.indices
        due = [managed for managed in self.store.all_managed()
               if (managed.enabled and now_ms - managed.last_run >= self.interval_ms)
               or getattr(indices.get(managed.index), "uuid", None) != managed.index_uuid]
        if not due or self._pool is None or stopping.is_set():
            return
        futures = [self._pool.submit(self._run_logged, managed, now_ms, stopping)
                   for managed in due]
        wait_for(futures)

    def _run_logged(self, managed: ManagedIndex, now_ms: int, stopping: threading.Event) -> None:
        if stopping.is_set():
            return
        try:
            self.run(managed, now_ms)
        except Exception:  # one index's bug must not stop the others' runs
            log.exception("ISM run of [%s] failed", managed.index)

    def run(self, managed: ManagedIndex, now_ms: int) -> ManagedIndex:
        """One run of one managed index (its next step), recorded before it returns."""
        with self.store.locked(managed.index_uuid):
            current = self.store.managed(managed.index_uuid)
            if current is None:  # removed meanwhile
                return managed
            return _Run(self, current, now_ms).run()


class _Run:
    """One run of one managed index, under its record's lock."""

    def __init__(self, runner: IsmRunner, managed: ManagedIndex, now_ms: int) -> None:
        self.runner = runner
        self.store = runner.store
        self.context = runner.context
        self.m = managed
        self.now = now_ms

    def save(self) -> None:
        self.store.put_managed(self.m)

    def run(self) -> ManagedIndex:
        m = self.m
        index = self.context.catalog.indices.get(m.index)
        if index is None or index.uuid != m.index_uuid:  # deleted by someone else
            self.store.delete_managed(m.index_uuid)
            return m
        if not m.enabled:
            return m
        m.last_run = self.now
        if not m.index_creation_date:
            m.index_creation_date = int(index.settings.flat.get("index.creation_date") or 0)
        if m.state is None and not m.retry_info.get("failed"):
            self._initialize()
        elif m.policy_completed or is_failed(m):
            m.enabled = False  # OpenSearch disables the job; the retry API enables it again
            self.save()
        else:
            self._step()
        return m

    # --- initialize and change policy ------------------------------------------------------

    def _initialize(self) -> None:
        m = self.m
        state = None
        if m.change_policy is not None:  # changed before the first run
            stored = self.store.get_policy(m.change_policy["policy_id"])
            if stored is None:
                self._fail_policy(f"Fail to load policy: {m.change_policy['policy_id']}")
                return
            state = m.change_policy.get("state")
            self._adopt(stored)
        m.state = {"name": state or m.policy["default_state"], "start_time": self.now}
        m.action = m.step = None
        m.transition_to = None
        m.retry_info = {"failed": False, "consumed_retries": 0}
        m.info = {"message": f"Successfully initialized policy: {m.policy_id}"}
        self.save()

    def _adopt(self, stored: dict[str, Any]) -> None:
        m = self.m
        m.policy_id = stored["_id"]
        m.policy = stored["policy"]
        m.policy_seq_no = stored["_seq_no"]
        m.policy_primary_term = stored["_primary_term"]
        m.change_policy = None

    def _fail_policy(self, message: str) -> None:
        self.m.retry_info = {"failed": True, "consumed_retries": 0}
        self.m.info = {"message": message}
        self.save()
        self._notify_error()

    def _change_policy(self, action_name: str) -> None:
        m = self.m
        change = m.change_policy or {}
        stored = self.store.get_policy(str(change.get("policy_id")))
        if stored is None:
            self._fail_policy(f"Failed to load change policy: {change.get('policy_id')}")
            return
        if change.get("is_safe") and not safe_to_change(
                m.policy, m.state["name"] if m.state else None, stored["policy"],
                change.get("state")):
            change["is_safe"] = False  # wait for the transitions instead
            self.save()
            return
        if action_name == TRANSITION:
            m.action = _action_meta(TRANSITION, -1, self.now)
        m.info = {"message": f"Attempting to change policy to {stored['_id']}"}
        m.transition_to = change.get("state")
        m.step = None
        m.policy_completed = False
        self._adopt(stored)
        self.save()

    # --- one step ----------------------------------------------------------------------------

    def _step(self) -> None:
        m = self.m
        assert m.state is not None
        state_name = m.transition_to or m.state["name"]
        state = _find_state(m.policy, state_name)
        if state is None:
            self._fail_policy(f"Failed to find state={state_name} in policy={m.policy_id}")
            return
        found = _action_to_execute(state, m)
        if found is None:
            self._fail_policy(f"Failed to find action={m.action} in state={m.state}")
            return
        action_name, action_index, action = found
        entering = m.state["name"] != state["name"] or m.action is None \
            or m.action.get("index") != action_index or m.action.get("name") != action_name \
            or m.transition_to is not None
        step_name = _step_to_execute(action_name, m, entering)
        action_meta = _action_meta(action_name, action_index, self.now) if entering \
            else {**m.action, "start_time": m.action.get("start_time") or self.now}

        timeout = action.get("timeout") if action else None
        if timeout and not entering \
                and self.now - action_meta["start_time"] > parse_duration_ms(str(timeout)):
            m.action = {**action_meta, "failed": True}
            m.step = {"name": step_name, "start_time": self.now, "step_status": TIMED_OUT}
            m.info = {"message": "Action timed out"}
            m.retry_info = {**m.retry_info, "failed": True}
            m.enabled = False
            self.save()
            self._notify_error()
            return

        if m.change_policy is not None and (m.change_policy.get("is_safe")
                                            or action_name == TRANSITION):
            self._change_policy(action_name)
            return

        retry = (action or {}).get("retry", DEFAULT_RETRY) if action_name != TRANSITION \
            else None
        if not entering and retry and _backing_off(action_meta, retry, self.now):
            self.save()
            return

        # The record says the step is starting before it runs: a run cut short runs it again.
        step_meta = m.step or {}
        same_step = not entering and step_meta.get("name") == step_name \
            and step_meta.get("step_status") != COMPLETED
        step_start = int(step_meta.get("start_time") or self.now) if same_step else self.now
        if entering:
            m.action_data = {}
        m.state = m.state if m.state["name"] == state["name"] else \
            {"name": state["name"], "start_time": self.now}
        m.action = action_meta
        # the state is entered now: a run cut short resumes this action, its action_data kept
        m.transition_to = None
        m.step = {"name": step_name, "start_time": step_start, "step_status": STARTING}
        m.info = {"message": f"Starting action {action_name} and working on {step_name}"}
        self.save()
        _pause_for_tests(step_name)

        config = {"transitions": state.get("transitions") or []} if action_name == TRANSITION \
            else (action or {}).get(action_name) or {}
        run = StepRun(self.context, m, config, self.now, self.save)
        try:
            result = actions.STEPS[step_name](run)
        except Exception as error:  # a bug in a step is its failure, not the job's
            log.exception("ISM step %s of [%s] failed", step_name, m.index)
            result = actions.failed(f"Failed to run {step_name} [index={m.index}]", error)
        _pause_for_tests(PAUSE_AFTER + step_name)
        self._record(result, step_name, step_start, retry)

    def _record(self, result: StepResult, step_name: str, step_start: int,
                retry: dict[str, Any] | None) -> None:
        m = self.m
        assert m.action is not None
        m.step = {"name": step_name, "start_time": step_start, "step_status": result.status}
        m.info = result.info
        m.transition_to = result.transition_to
        if result.policy_completed:
            m.policy_completed = True
        if result.rolled_over_index is not None or (step_name == "attempt_rollover"
                                                    and result.status == COMPLETED):
            m.rolled_over = True
            m.rolled_over_index_name = m.rolled_over_index_name or result.rolled_over_index
            m.rolled_over_time = m.rolled_over_time or self.now
        if result.status == FAILED:
            consumed = int(m.action.get("consumed_retries") or 0)
            if not retry or consumed >= int(retry.get("count", 0)):
                m.action = {**m.action, "failed": True}
                m.retry_info = {"failed": True, "consumed_retries": consumed}
                m.enabled = False
            else:
                m.action = {**m.action, "failed": False, "consumed_retries": consumed + 1,
                            "last_retry_time": self.now}
        if result.deleted:
            self.store.delete_managed(m.index_uuid)
            return
        self.save()
        if m.action.get("failed"):
            self._notify_error()

    def _notify_error(self) -> None:
        """The policy's ``error_notification``, its outcome in ``info.error_notification``."""
        target = self.m.policy.get("error_notification") if self.m.policy else None
        if not target:
            return
        try:
            actions.send_notification(self.context, target, self.m, ERROR_TITLE)
            outcome = f"Successfully published error notification [index = {self.m.index}]"
        except Exception as error:
            log.warning("ISM error notification of [%s] failed: %s", self.m.index, error)
            outcome = str(error) or "Failed to publish error notification"
        self.m.info = {**self.m.info, "error_notification": outcome}
        self.save()


def _find_state(policy: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in policy.get("states", []) if s.get("name") == name), None)


def _action_to_execute(state: dict[str, Any],
                       m: ManagedIndex) -> tuple[str, int, dict[str, Any] | None] | None:
    """OpenSearch's ``State.getActionToExecute``: (type, index in the state, its object)."""
    state_actions = state.get("actions") or []

    def at(position: int) -> tuple[str, int, dict[str, Any] | None]:
        if position < len(state_actions):
            return action_type(state_actions[position]), position, state_actions[position]
        return TRANSITION, -1, None

    meta = m.action
    if m.transition_to is not None or meta is None or m.state is None \
            or m.state["name"] != state["name"]:
        return at(0)
    if meta.get("name") == TRANSITION:
        return TRANSITION, -1, None
    position = int(meta.get("index", -1))
    if not 0 <= position < len(state_actions) \
            or action_type(state_actions[position]) != meta.get("name"):
        return None
    step = m.step or {}
    if step.get("step_status") == COMPLETED \
            and step.get("name") == ACTION_STEPS[meta["name"]][-1]:
        return at(position + 1)
    return at(position)


def _step_to_execute(action_name: str, m: ManagedIndex, entering: bool) -> str:
    """A new action's first step, the one after a completed one, or the same one again."""
    steps = ACTION_STEPS[action_name]
    step = m.step or {}
    if entering or step.get("name") not in steps:
        return steps[0]
    position = steps.index(step["name"])
    if step.get("step_status") == COMPLETED and position + 1 < len(steps):
        return steps[position + 1]
    return steps[position]


def _action_meta(name: str, index: int, now_ms: int) -> dict[str, Any]:
    return {"name": name, "start_time": now_ms, "index": index, "failed": False,
            "consumed_retries": 0, "last_retry_time": None}


def _backing_off(action: dict[str, Any], retry: dict[str, Any], now_ms: int) -> bool:
    """OpenSearch's ``Backoff.shouldBackoff``: exponential 2^(n-1)·delay, constant delay,
    linear n·delay after the n-th retry."""
    consumed = int(action.get("consumed_retries") or 0)
    last = action.get("last_retry_time")
    if consumed <= 0 or last is None:
        return False
    delay = parse_duration_ms(str(retry.get("delay", DEFAULT_RETRY["delay"])))
    backoff = retry.get("backoff", "exponential")
    wait = delay if backoff == "constant" else consumed * delay if backoff == "linear" \
        else 2 ** (consumed - 1) * delay
    return now_ms - int(last) < wait


def _pause_for_tests(point: str) -> None:
    if os.environ.get(PAUSE_ENV) == point:
        log.warning("ISM paused at step %s (%s)", point, PAUSE_ENV)
        time.sleep(60)
