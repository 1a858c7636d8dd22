"""The node's scheduler: periodic and cron jobs in worker threads, one owner for background work.

The engine's housekeeping (refresh, merges) and, later, monitors, lifecycle steps, snapshots,
stream flushes and reports are jobs here, so that the node starts and stops all background work
in one place. A *durable* job records its last run, next run, duration and error in the
metastore (kind ``job``) after every run; after a restart, even after ``kill -9``, a run that
fell due while the node was down (or was interrupted) runs once at start instead of being lost.
Runs are therefore at-least-once: a job that finished just before a crash, before its record
was written, runs again. Housekeeping jobs that run several times a second are not durable:
writing a record per run would cost a synchronous SQLite commit each time, and there is
nothing to catch up on.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from loghaven.errors import IllegalArgument
from loghaven.storage.metastore import Metastore

JOB = "job"
#: How many recent runs' lags (start time minus due time) the scheduler keeps for its stats.
LAG_SAMPLES = 4096
log = logging.getLogger("loghaven.scheduler")

#: What a job runs; it receives an event that is set when the node is stopping, so that a long
#: run can end early.
Action = Callable[[threading.Event], None]


@dataclass(frozen=True)
class Every:
    """Run ``seconds`` after the previous run ended (fixed delay: runs never pile up)."""

    seconds: float

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise IllegalArgument(f"a job interval must be positive, got [{self.seconds}]")

    def next_after(self, moment: float) -> float:
        return moment + self.seconds

    def describe(self) -> dict[str, Any]:
        return {"interval_seconds": self.seconds}


@dataclass(frozen=True)
class Rate:
    """Run every ``seconds`` on a grid from ``anchor`` (epoch seconds), as OpenSearch runs an
    interval schedule from the monitor's enabled time: a run longer than the interval skips
    the slots it overran instead of shifting every later run."""

    seconds: float
    anchor: float = 0.0

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise IllegalArgument(f"a job interval must be positive, got [{self.seconds}]")

    def next_after(self, moment: float) -> float:
        return self.anchor + (math.floor((moment - self.anchor) / self.seconds) + 1) \
            * self.seconds

    def describe(self) -> dict[str, Any]:
        return {"interval_seconds": self.seconds, "anchor": self.anchor}


@dataclass(frozen=True)
class Cron:
    """A cron expression (five fields, or six with seconds last) in a time zone, DST included."""

    expression: str
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.expression):
            raise IllegalArgument(f"invalid cron expression [{self.expression}]")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise IllegalArgument(f"unknown time zone [{self.timezone}]") from exc
        try:  # croniter takes "0 0 30 2 *" as valid, then finds no date for it
            self.next_after(time.time())
        except ValueError as exc:
            raise IllegalArgument(f"invalid cron expression [{self.expression}]: it matches "
                                  f"no date") from exc

    def next_after(self, moment: float) -> float:
        """The next matching time; a fixed-hour job runs once, not twice, when clocks go back
        (as cron does), while a job with ``*`` hours keeps running through the repeated hour."""
        zone = ZoneInfo(self.timezone)
        times = croniter(self.expression, datetime.fromtimestamp(moment, zone))
        nxt = float(times.get_next(float))
        fixed_hours = self.expression.split()[1]  # croniter's optional seconds field is last
        while datetime.fromtimestamp(nxt, zone).fold == 1 and not fixed_hours.startswith("*"):
            nxt = float(times.get_next(float))
        return nxt

    def describe(self) -> dict[str, Any]:
        return {"cron": self.expression, "timezone": self.timezone}


Schedule = Every | Rate | Cron


@dataclass
class JobState:
    """What is known of a job's runs; times are epoch seconds."""

    next_run: float
    last_run: float | None = None
    last_duration: float | None = None
    last_error: str | None = None
    #: How late the last run started after it fell due.
    last_lag: float | None = None
    runs: int = 0
    failures: int = 0

    def to_json(self, schedule: Schedule) -> dict[str, Any]:
        return {"schedule": schedule.describe(), "next_run": self.next_run,
                "last_run": self.last_run, "last_duration": self.last_duration,
                "last_error": self.last_error, "runs": self.runs, "failures": self.failures}


@dataclass
class Job:
    name: str
    action: Action
    schedule: Schedule
    durable: bool
    state: JobState
    #: The worker pool its runs take a thread from (:meth:`Scheduler.add_pool`).
    pool: str = "default"
    running_since: float | None = None
    removed: bool = field(default=False, repr=False)
    #: Made due by :meth:`Scheduler.run_soon` while it ran: the next run is at once.
    soon: bool = field(default=False, repr=False)

    def describe(self) -> dict[str, Any]:
        """The job as ``_nodes/stats`` and the job listing show it (times in epoch millis)."""
        state = self.state

        def millis(value: float | None) -> int | None:
            return None if value is None else int(value * 1000)

        return {"name": self.name, **self.schedule.describe(), "durable": self.durable,
                "running": self.running_since is not None,
                "running_since_millis": millis(self.running_since),
                "next_run_millis": millis(state.next_run), "last_run_millis": millis(state.last_run),
                "last_duration_millis": millis(state.last_duration),
                "last_lag_millis": millis(state.last_lag),
                "last_error": state.last_error, "runs": state.runs, "failures": state.failures}


class Scheduler:
    """Runs due jobs in thread pools; a job never overlaps itself.

    The engine's housekeeping shares the default pool; a feature whose runs may wait long on
    other systems (monitors: searches, webhooks, SMTP) gets a pool of its own, so slow runs of
    one feature never take the threads the engine's refreshes and merges need.
    """

    def __init__(self, metastore: Metastore, *, workers: int = 8,
                 clock: Callable[[], float] = time.time) -> None:
        self.metastore = metastore
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._running: dict[str, Future[None]] = {}
        self._wake = threading.Condition()
        self.stopping = threading.Event()
        self._pools = {"default": ThreadPoolExecutor(max_workers=workers,
                                                     thread_name_prefix="job")}
        self._thread: threading.Thread | None = None
        #: Seconds between each recent run's due time and its start: how far behind the
        #: scheduler is when its workers are all busy.
        self._lags: deque[float] = deque(maxlen=LAG_SAMPLES)

    # --- jobs ----------------------------------------------------------------------------------

    def add_pool(self, name: str, workers: int) -> None:
        """A pool of ``workers`` threads for the jobs added with ``pool=name``."""
        self._pools[name] = ThreadPoolExecutor(max_workers=workers,
                                               thread_name_prefix=f"job-{name}")

    def add(self, name: str, action: Action, schedule: Schedule, *,
            durable: bool = False, pool: str = "default") -> Job:
        """Register a job (replacing one of the same name).

        A durable job whose recorded next run has passed, with the same schedule, is due at
        once: that run fell due while the node was down. Registering writes a record only for
        a new job or a changed schedule, so a node restarting on a full disk still starts.
        """
        now = self._clock()
        state = JobState(schedule.next_after(now))
        stored = self.metastore.get(JOB, name) if durable else None
        if stored is not None and stored.get("schedule") == schedule.describe():
            due = stored["next_run"]
            state = JobState(due if due > now else now, last_run=stored.get("last_run"),
                             last_duration=stored.get("last_duration"),
                             last_error=stored.get("last_error"),
                             runs=stored.get("runs", 0), failures=stored.get("failures", 0))
        if pool not in self._pools:
            raise ValueError(f"no scheduler pool [{pool}]")
        job = Job(name, action, schedule, durable, state, pool)
        with self._wake:
            old = self._jobs.get(name)
            if old is not None:
                old.removed = True
            self._jobs[name] = job
            self._wake.notify_all()
        if durable and (stored is None or stored.get("schedule") != schedule.describe()):
            try:
                self._record(job)
            except Exception:  # e.g. a full disk: the job still runs, recorded after a run
                log.exception("recording job %s failed", job.name)
        return job

    def remove(self, name: str) -> None:
        """Forget a job and its record; a run in progress finishes but is not recorded."""
        with self._wake:
            job = self._jobs.pop(name, None)
            if job is not None:
                job.removed = True
        if job is not None and job.durable:
            self.metastore.delete(JOB, name)

    def run_soon(self, name: str) -> None:
        """Make a job due now (a stream whose buffer reached its size hint); a run in progress
        is not interrupted, and the job runs again as soon as it ends."""
        with self._wake:
            job = self._jobs.get(name)
            if job is not None:
                job.state.next_run = min(job.state.next_run, self._clock())
                job.soon = job.running_since is not None
                self._wake.notify_all()

    def jobs(self) -> list[Job]:
        with self._wake:
            return sorted(self._jobs.values(), key=lambda j: j.name)

    def stats(self) -> dict[str, Any]:
        jobs = self.jobs()
        return {"jobs": len(jobs), "running": sum(j.running_since is not None for j in jobs),
                "failed_runs": sum(j.state.failures for j in jobs),
                "lag_millis": self.lag_millis(),
                "job": {j.name: j.describe() for j in jobs}}

    def lag_millis(self) -> dict[str, float | int]:
        """The recent runs' lag behind their due time: count, p50, p99 and max, in ms."""
        lags = sorted(self._lags)
        if not lags:
            return {"samples": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}

        def rank(q: float) -> float:
            return round(lags[min(len(lags) - 1, int(q * len(lags)))] * 1000, 3)

        return {"samples": len(lags), "p50": rank(0.5), "p99": rank(0.99),
                "max": round(lags[-1] * 1000, 3)}

    def _record(self, job: Job) -> None:
        self.metastore.put(JOB, job.name, job.state.to_json(job.schedule))

    # --- running -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop starting runs, tell running ones (``stopping``), and wait up to ``timeout``."""
        self.stopping.set()
        with self._wake:
            self._wake.notify_all()
            running = dict(self._running)
        if self._thread is not None:
            self._thread.join(timeout)
        wait_for(running.values(), timeout=timeout)
        for name, future in running.items():
            if not future.done():
                log.warning("job %s was still running at shutdown", name)
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        with self._wake:
            while not self.stopping.is_set():
                now = self._clock()
                soonest = None
                for job in self._jobs.values():
                    if job.name in self._running:
                        continue
                    if job.state.next_run <= now:
                        self._submit(job, now)
                    elif soonest is None or job.state.next_run < soonest:
                        soonest = job.state.next_run
                self._wake.wait(None if soonest is None else max(0.0, min(soonest - now, 1.0)))

    def _submit(self, job: Job, now: float) -> None:
        job.running_since = now
        try:
            self._running[job.name] = self._pools[job.pool].submit(self._run, job,
                                                                   job.state.next_run)
        except RuntimeError:  # the pool is shutting down
            job.running_since = None

    def _run(self, job: Job, due: float) -> None:
        started = self._clock()
        job.state.last_lag = max(0.0, started - due)
        self._lags.append(job.state.last_lag)
        error = None
        try:
            job.action(self.stopping)
        except Exception as exc:  # a failing job must not stop the others
            error = f"{type(exc).__name__}: {exc}"
            log.exception("job %s failed", job.name)
        ended = self._clock()
        state = job.state
        state.last_run, state.last_duration, state.last_error = started, ended - started, error
        state.runs += 1
        state.failures += error is not None
        with self._wake:  # a cron slot missed meanwhile is skipped; a run_soon is not
            state.next_run = ended if job.soon else job.schedule.next_after(ended)
            job.soon = False
        if job.durable and not job.removed:
            try:
                self._record(job)
            except Exception:  # the run happened; a failed record only means a rerun
                log.exception("recording job %s failed", job.name)
        with self._wake:
            job.running_since = None
            self._running.pop(job.name, None)
            self._wake.notify_all()
