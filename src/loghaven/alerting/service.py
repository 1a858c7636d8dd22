"""``node.alerting``: monitors' create/get/update/delete, search, execute, stats, scheduling.

Each enabled monitor is one durable scheduler job (``alerting-monitor.<id>``) in the
scheduler's ``alerting`` pool, replaced when the monitor changes and removed when it is
disabled or deleted. A run computes its period as OpenSearch does (a period schedule: the
interval ending now; a cron schedule: from the previous fire time to now) and runs the monitor
as its owner (``security.subject_of``; the node itself when security is off).

After a restart the scheduler runs a monitor whose run fell due while the node was down once;
the periods that fell due before that one are *skipped runs*: their count and the last one's
time go on the monitor's run record (kind ``alerting_monitor_run``), into
``_plugins/_alerting/stats`` and the log, rather than being lost silently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from loghaven.alerting.monitors import AlertingError, job_schedule, parse_monitor
from loghaven.alerting.runner import MonitorRunner, RunContext
from loghaven.alerting.store import CONFIG_INDEX, PRIMARY_TERM, MonitorStore
from loghaven.engine.writes import new_doc_id
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.scheduler import JOB, Cron, Rate, Schedule, Scheduler
from loghaven.security import context
from loghaven.security.service import SecurityService
from loghaven.security.subject import INTERNAL, Subject
from loghaven.storage.metastore import Metastore

log = logging.getLogger("loghaven.alerting")

JOB_PREFIX = "alerting-monitor."
POOL = "alerting"
RUN_KIND = "alerting_monitor_run"
#: The action a monitor's work runs as: its searches resolve index names against it.
RUN_ACTION = "indices:data/read/search"
#: ``_plugins/_alerting/stats`` metrics (RestScheduledJobStatsHandler).
STATS_METRICS = ("job_scheduling_metrics", "jobs_info")
#: At most this many missed fire times are counted one by one (a cron every second down for a
#: week would be 600,000): beyond it the count is a lower bound.
_MAX_COUNTED = 100_000


class AlertingService:
    def __init__(self, metastore: Metastore, scheduler: Scheduler, security: SecurityService,
                 run_context: RunContext, *, workers: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.metastore = metastore
        self.scheduler = scheduler
        self.security = security
        self.run_context = run_context
        self.store = MonitorStore(metastore, run_context.write_service,
                                  run_context.search_service)
        self.runner = MonitorRunner(run_context)
        self._clock = clock
        self._run_lock = threading.Lock()
        scheduler.add_pool(POOL, workers)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Bring the search projection in step and schedule every enabled monitor; a
        projection that cannot be written now (a full disk) is retried at the next start or
        search, and never keeps the node from starting."""
        try:
            self.store.sync_projection()
        except (LoghavenError, OSError) as error:
            log.warning("alerting: %s not brought in step: %s", CONFIG_INDEX, error)
        scheduled = {f"{JOB_PREFIX}{monitor_id}" for monitor_id, record in self.store.all().items()
                     if record["monitor"]["enabled"]}
        for name in self.metastore.list(JOB, JOB_PREFIX):
            if name not in scheduled:  # a monitor deleted or disabled before a crash
                self.scheduler.remove(name)
        for monitor_id, record in self.store.all().items():
            if record["monitor"]["enabled"]:
                self._schedule(monitor_id, record["monitor"], starting=True)

    # --- the API -------------------------------------------------------------------------

    def create(self, body: Any) -> dict[str, Any]:
        monitor = parse_monitor(body, now_ms=self._now_ms(), user=self._caller())
        monitor_id = new_doc_id()
        record = self.store.put(monitor_id, monitor, create=True)
        self._reschedule(monitor_id, monitor)
        return _response(record)

    def get(self, monitor_id: str) -> dict[str, Any]:
        record = self.store.get(monitor_id)
        if record is None:
            raise AlertingError("Monitor not found.", status=404)
        return _response(record)

    def acknowledge(self, monitor_id: str, alert_ids: list[str]) -> dict[str, Any]:
        """Acknowledge the monitor's active alerts; an unknown monitor is OpenSearch's 404
        (it reads the monitor first), not an answer listing every id as missing."""
        if self.store.get(monitor_id) is None:
            raise AlertingError("Monitor not found.", status=404)
        return self.run_context.alerts.acknowledge(monitor_id, alert_ids)

    def update(self, monitor_id: str, body: Any, *, if_seq_no: int | None = None,
               if_primary_term: int | None = None) -> dict[str, Any]:
        current = self.store.get(monitor_id)
        if current is None:
            raise AlertingError(f"Monitor with {monitor_id} is not found", status=404)
        monitor = parse_monitor(body, now_ms=self._now_ms(), user=self._caller(),
                                previous=current["monitor"])
        record = self.store.put(monitor_id, monitor, create=False, if_seq_no=if_seq_no,
                                if_primary_term=if_primary_term)
        self._reschedule(monitor_id, monitor)
        return _response(record)

    def delete(self, monitor_id: str) -> dict[str, Any]:
        record = self.store.delete(monitor_id)
        self.scheduler.remove(JOB_PREFIX + monitor_id)
        self.metastore.delete(RUN_KIND, monitor_id)
        self.run_context.alerts.monitor_deleted(monitor_id)
        return {"_index": CONFIG_INDEX, "_id": monitor_id, "_version": record["_version"],
                "result": "deleted", "forced_refresh": True,
                "_shards": {"total": 1, "successful": 1, "failed": 0},
                "_seq_no": record["_seq_no"], "_primary_term": PRIMARY_TERM}

    def search(self, body: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
        return self.store.search(body, params)

    def execute(self, monitor_id: str | None, body: Any, *, dryrun: bool,
                period_end_ms: int | None = None) -> dict[str, Any]:
        """``_execute``: the stored monitor ``monitor_id``, or the inline one (the body is the
        monitor, as OpenSearch's RestExecuteMonitorAction and Dashboards' trigger preview send
        it; ``{"monitor": ...}``, the stored document's form, is accepted too), run now as the
        caller over the period ending at ``period_end_ms`` (now)."""
        if monitor_id is not None:
            record = self.store.get(monitor_id)
            if record is None:
                raise AlertingError(f"Can't find monitor with id: {monitor_id}", status=404)
            monitor = record["monitor"]
        else:
            if not isinstance(body, dict) or not body:
                raise AlertingError("Monitor is required for executing an inline monitor")
            inline = body["monitor"] if set(body) == {"monitor"} else body
            monitor = parse_monitor(inline, now_ms=self._now_ms(), user=self._caller())
            monitor_id = ""
        end = self._now_ms() if period_end_ms is None else period_end_ms
        start = period_start_ms(monitor["schedule"], end)
        acting = context.current()
        subject = INTERNAL if acting is None else acting.subject
        with context.acting(subject, RUN_ACTION):
            return self.runner.run(monitor, monitor_id, period_start_ms=start,
                                   period_end_ms=end, dryrun=dryrun)

    def stats(self, *, node_id: str, node_name: str, cluster_name: str,
              node_filter: str | None, metric: str | None, path: str) -> dict[str, Any]:
        """``_plugins/_alerting/stats`` as the job scheduler's stats handler shapes it."""
        wanted = set(STATS_METRICS)
        if metric is not None and metric != "_all":
            asked = set(metric.split(","))
            unknown = sorted(asked - wanted)
            if unknown:
                raise IllegalArgument(f"request [{path}] contains unrecognized metric"
                                      f"{'s' if len(unknown) > 1 else ''}: "
                                      f"[{', '.join(unknown)}]")
            wanted = asked
        nodes: dict[str, Any] = {}
        if node_filter in (None, "_all", "_local", node_id, node_name):
            node: dict[str, Any] = {"name": node_name, "schedule_status": "green",
                                    "roles": ["CLUSTER_MANAGER", "DATA", "INGEST"]}
            if "job_scheduling_metrics" in wanted:
                node["job_scheduling_metrics"] = {"last_full_sweep_time_millis": 0,
                                                  "full_sweep_on_time": True}
            if "jobs_info" in wanted:
                node["jobs_info"] = self._jobs_info()
            nodes[node_id] = node
        return {"_nodes": {"total": len(nodes), "successful": len(nodes), "failed": 0},
                "cluster_name": cluster_name, "plugins.scheduled_jobs.enabled": True,
                "scheduled_job_index_exists": self.store.index_exists(),
                "scheduled_job_index_status": "green",
                "nodes_on_schedule": len(nodes), "nodes_not_on_schedule": 0, "nodes": nodes}

    def _jobs_info(self) -> dict[str, Any]:
        jobs = {job.name: job for job in self.scheduler.jobs()}
        runs = self.metastore.list(RUN_KIND)
        info: dict[str, Any] = {}
        now = self._clock()
        for monitor_id in self.store.all():
            job = jobs.get(JOB_PREFIX + monitor_id)
            if job is None:
                continue
            run = runs.get(monitor_id, {})
            entry: dict[str, Any] = {}
            if run.get("last_execution_time") is not None:
                entry["last_execution_time"] = run["last_execution_time"]
            entry["running_on_time"] = _on_time(job.schedule, run.get("last_execution_time"),
                                                now)
            if run.get("skipped_runs"):
                entry["skipped_runs"] = run["skipped_runs"]
                entry["last_skipped_time"] = run["last_skipped_time"]
            if run.get("last_error"):
                entry["last_error"] = run["last_error"]
            info[monitor_id] = entry
        return info

    # --- scheduling ----------------------------------------------------------------------

    def _reschedule(self, monitor_id: str, monitor: dict[str, Any]) -> None:
        if monitor["enabled"]:
            self._schedule(monitor_id, monitor, starting=False)
        else:
            self.scheduler.remove(JOB_PREFIX + monitor_id)

    def _schedule(self, monitor_id: str, monitor: dict[str, Any], *, starting: bool) -> None:
        name = JOB_PREFIX + monitor_id
        schedule = job_schedule(monitor["schedule"], monitor["enabled_time"])
        if starting:
            self._record_skipped(monitor_id, name, schedule)
        else:
            # a changed monitor starts afresh: its old record's due time is not a missed run
            self.scheduler.remove(name)

        def run(stopping: threading.Event) -> None:
            self._run_scheduled(monitor_id)

        self.scheduler.add(name, run, schedule, durable=True, pool=POOL)

    def _record_skipped(self, monitor_id: str, name: str, schedule: Schedule) -> None:
        """Count the fire times missed while the node was down; the last one runs now, the
        ones before it are recorded as skipped."""
        stored = self.metastore.get(JOB, name)
        now = self._clock()
        if stored is None or stored.get("schedule") != schedule.describe() \
                or stored["next_run"] > now:
            return
        missed = [stored["next_run"]]
        while len(missed) <= _MAX_COUNTED:
            following = schedule.next_after(missed[-1])
            if following > now:
                break
            missed.append(following)
        skipped = len(missed) - 1
        if skipped <= 0:
            return
        last_skipped = missed[-2]
        run = self.metastore.get(RUN_KIND, monitor_id) or {}
        run["skipped_runs"] = run.get("skipped_runs", 0) + skipped
        run["last_skipped_time"] = int(last_skipped * 1000)
        self.metastore.put(RUN_KIND, monitor_id, run)
        log.warning("alerting: monitor %s missed %d runs while the node was down (the last "
                    "at %s); it runs once now", monitor_id, skipped,
                    datetime.fromtimestamp(last_skipped).isoformat())

    def _run_scheduled(self, monitor_id: str) -> None:
        record = self.store.get(monitor_id)
        if record is None or not record["monitor"]["enabled"]:
            return
        monitor = record["monitor"]
        end = self._now_ms()
        start = period_start_ms(monitor["schedule"], end)
        error = None
        try:
            with context.acting(self._owner(monitor), RUN_ACTION):
                result = self.runner.run(monitor, monitor_id, period_start_ms=start,
                                         period_end_ms=end, dryrun=False)
            # the run's error, or its input's (a search the owner may not make)
            error = result.get("error") or (result.get("input_results") or {}).get("error")
        except Exception as exc:  # recorded on the run, and the scheduler's job record
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            with self._run_lock:
                run = self.metastore.get(RUN_KIND, monitor_id) or {}
                run.update(last_execution_time=end, period_start=start, period_end=end,
                           last_error=error, runs=run.get("runs", 0) + 1)
                if self.store.get(monitor_id) is not None:
                    self.metastore.put(RUN_KIND, monitor_id, run)

    def _owner(self, monitor: dict[str, Any]) -> Subject:
        return self.security.owner_subject(monitor.get("user"))

    def _caller(self) -> dict[str, Any] | None:
        """The calling user as OpenSearch records it on a monitor; None with security off."""
        return context.acting_user() if self.security.enabled else None

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def period_start_ms(schedule: dict[str, Any], end_ms: int) -> int:
    """The start of the period ending at ``end_ms``: one interval before it, or a cron
    schedule's previous fire time (``Schedule.getPeriodEndingAt``)."""
    job = job_schedule(schedule)
    if isinstance(job, Rate):
        return end_ms - int(job.seconds * 1000)
    assert isinstance(job, Cron)
    zone = ZoneInfo(job.timezone)
    previous = croniter(job.expression, datetime.fromtimestamp(end_ms / 1000, zone))
    return int(previous.get_prev(float) * 1000)


def _on_time(schedule: Schedule, last_ms: int | None, now: float) -> bool:
    """``Schedule.runningOnTime``: the last run within one interval (period), or at the
    last fire time (cron, to the second)."""
    if last_ms is None:
        return True
    if isinstance(schedule, Rate):
        return 0 < now * 1000 - last_ms < schedule.seconds * 1000 * 2
    expected = period_start_ms({"cron": {"expression": schedule.expression,
                                         "timezone": schedule.timezone}}, int(now * 1000))
    return last_ms >= expected - 1000


def _response(record: dict[str, Any]) -> dict[str, Any]:
    """Create/update/get: ``{"_id", "_version", "_seq_no", "_primary_term", "monitor"}``."""
    return {"_id": record["_id"], "_version": record["_version"], "_seq_no": record["_seq_no"],
            "_primary_term": record["_primary_term"], "monitor": record["monitor"]}
