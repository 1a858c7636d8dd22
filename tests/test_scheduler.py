"""The scheduler's contract: periodic and cron runs, no overlap, errors recorded, durable state
survives a restart and a run that fell due while the node was down is not lost."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import wait_for
from loghaven.errors import IllegalArgument
from loghaven.scheduler import JOB, Cron, Every, Rate, Scheduler
from loghaven.storage.metastore import SqliteMetastore


@pytest.fixture
def metastore(tmp_path: Path):
    store = SqliteMetastore(tmp_path / "metastore.sqlite")
    yield store
    store.close()


def test_periodic_job_runs_repeatedly_and_records_in_memory(metastore):
    scheduler = Scheduler(metastore)
    runs: list[float] = []
    scheduler.add("tick", lambda stopping: runs.append(time.time()), Every(0.05))
    scheduler.start()
    try:
        wait_for(lambda: len(runs) >= 3, timeout=5, every=0.01)
    finally:
        scheduler.stop()
    job, = scheduler.jobs()
    assert job.state.runs >= 3 and job.state.last_error is None
    assert job.state.last_duration is not None and job.state.last_duration >= 0
    # a non-durable job leaves nothing in the metastore
    assert metastore.get(JOB, "tick") is None


def test_a_job_never_overlaps_itself(metastore):
    scheduler = Scheduler(metastore)
    active = 0
    most = 0
    lock = threading.Lock()
    done = threading.Event()
    count = 0

    def slow(stopping: threading.Event) -> None:
        nonlocal active, most, count
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.05)
        with lock:
            active -= 1
            count += 1
            if count >= 3:
                done.set()

    scheduler.add("slow", slow, Every(0.001))
    scheduler.start()
    try:
        assert done.wait(5)
    finally:
        scheduler.stop()
    assert most == 1


def test_run_soon_makes_a_job_due_and_reruns_one_asked_for_while_running(metastore):
    scheduler = Scheduler(metastore)
    runs: list[float] = []
    release = threading.Event()

    def flush(stopping: threading.Event) -> None:
        runs.append(time.monotonic())
        if len(runs) == 1:
            release.wait(5)

    scheduler.add("flush", flush, Every(3600))
    scheduler.start()
    try:
        time.sleep(0.05)
        assert runs == []
        scheduler.run_soon("flush")
        wait_for(lambda: len(runs) == 1, timeout=5, every=0.01)
        scheduler.run_soon("flush")  # asked for during the first run: one more run after it
        release.set()
        wait_for(lambda: len(runs) == 2, timeout=5, every=0.01)
        time.sleep(0.1)
        assert len(runs) == 2
        scheduler.run_soon("missing")  # no such job: nothing happens
    finally:
        scheduler.stop()


def test_a_failing_job_records_its_error_and_keeps_running(metastore):
    scheduler = Scheduler(metastore)
    calls = []

    def failing(stopping: threading.Event) -> None:
        calls.append(1)
        raise OSError("disk on fire")

    scheduler.add("failing", failing, Every(0.02), durable=True)
    scheduler.start()
    try:
        wait_for(lambda: len(calls) >= 2, timeout=5, every=0.01)
        wait_for(lambda: (metastore.get(JOB, "failing") or {}).get("failures", 0) >= 2, timeout=5, every=0.01)
    finally:
        scheduler.stop()
    stored = metastore.get(JOB, "failing")
    assert stored["last_error"] == "OSError: disk on fire"
    assert stored["schedule"] == {"interval_seconds": 0.02}
    assert scheduler.stats()["failed_runs"] >= 2


def test_durable_job_due_while_down_runs_once_at_start(metastore):
    clock = [1_000_000.0]
    first = Scheduler(metastore, clock=lambda: clock[0])
    first.add("hourly", lambda stopping: None, Every(3600), durable=True)
    assert metastore.get(JOB, "hourly")["next_run"] == 1_000_000.0 + 3600
    first.stop()

    # The node comes back two hours later: the run due an hour ago happens at once.
    clock[0] += 7200
    ran = threading.Event()
    second = Scheduler(metastore, clock=lambda: clock[0])
    job = second.add("hourly", lambda stopping: ran.set(), Every(3600), durable=True)
    assert job.state.next_run == clock[0]
    second.start()
    try:
        assert ran.wait(5)
        wait_for(lambda: metastore.get(JOB, "hourly")["runs"] == 1, timeout=5, every=0.01)
    finally:
        second.stop()
    stored = metastore.get(JOB, "hourly")
    assert stored["last_run"] == clock[0]
    assert stored["next_run"] == clock[0] + 3600


def test_durable_job_keeps_its_counts_across_a_restart(metastore):
    clock = [1_000.0]
    first = Scheduler(metastore, clock=lambda: clock[0])
    metastore.put(JOB, "flaky", {"schedule": Every(60).describe(), "next_run": 2_000.0,
                                 "last_run": 940.0, "last_duration": 0.5,
                                 "last_error": "boom", "runs": 7, "failures": 2})
    job = first.add("flaky", lambda stopping: None, Every(60), durable=True)
    assert (job.state.runs, job.state.failures) == (7, 2)
    assert (job.state.last_run, job.state.last_duration, job.state.last_error) == (
        940.0, 0.5, "boom")
    assert job.state.last_lag is None


def test_durable_job_not_yet_due_keeps_its_next_run(metastore):
    clock = [5_000.0]
    Scheduler(metastore, clock=lambda: clock[0]).add("daily", lambda s: None, Every(86400),
                                                      durable=True)
    clock[0] += 600
    job = Scheduler(metastore, clock=lambda: clock[0]).add("daily", lambda s: None,
                                                           Every(86400), durable=True)
    assert job.state.next_run == 5_000.0 + 86400
    # a changed schedule starts afresh
    job = Scheduler(metastore, clock=lambda: clock[0]).add("daily", lambda s: None,
                                                           Every(60), durable=True)
    assert job.state.next_run == clock[0] + 60


def _local_runs(schedule: Cron, start: datetime, count: int) -> list[str]:
    zone = ZoneInfo(schedule.timezone)
    moment, runs = start.timestamp(), []
    for _ in range(count):
        moment = schedule.next_after(moment)
        runs.append(datetime.fromtimestamp(moment, zone).isoformat())
    return runs


def test_cron_in_a_time_zone_follows_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")
    daily = Cron("30 2 * * *", "Europe/Berlin")
    # spring: 02:30 does not exist on 29 March; the run happens when the clock reaches 03:00
    assert _local_runs(daily, datetime(2026, 3, 28, 12, tzinfo=berlin), 2) == [
        "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]
    # autumn: 02:30 happens twice on 25 October; a daily job runs once
    assert _local_runs(daily, datetime(2026, 10, 24, 12, tzinfo=berlin), 2) == [
        "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]
    # ... while a job for every hour runs through the repeated hour
    hourly = Cron("0 * * * *", "Europe/Berlin")
    assert _local_runs(hourly, datetime(2026, 10, 25, 1, 30, tzinfo=berlin), 3) == [
        "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]


def test_invalid_schedules_are_refused():
    with pytest.raises(IllegalArgument, match="cron expression"):
        Cron("61 * * * *")
    with pytest.raises(IllegalArgument, match="time zone"):
        Cron("* * * * *", "Mars/Olympus")
    with pytest.raises(IllegalArgument, match="positive"):
        Every(0)


def test_stop_tells_running_jobs_and_waits(metastore):
    scheduler = Scheduler(metastore)
    started = threading.Event()
    finished = threading.Event()

    def long_job(stopping: threading.Event) -> None:
        started.set()
        stopping.wait(30)
        finished.set()

    scheduler.add("long", long_job, Every(0.01))
    scheduler.start()
    assert started.wait(5)
    began = time.monotonic()
    scheduler.stop(timeout=5)
    assert finished.is_set()
    assert time.monotonic() - began < 5


def test_removed_durable_job_forgets_its_record(metastore):
    scheduler = Scheduler(metastore)
    scheduler.add("gone", lambda s: None, Every(60), durable=True)
    assert metastore.get(JOB, "gone") is not None
    scheduler.remove("gone")
    assert metastore.get(JOB, "gone") is None
    assert scheduler.jobs() == []


def test_the_node_lists_its_jobs_over_http(es):
    """The engine's refresh and merges run as the node's jobs and are listed like OpenSearch's
    Job Scheduler Jobs API lists its jobs, and in ``_nodes/stats``."""
    deadline = time.monotonic() + 10
    while True:
        body = es.get("/_plugins/_job_scheduler/api/jobs").json()
        jobs = {job["job_id"]: job for job in body["jobs"]}
        if jobs.get("engine.refresh", {}).get("runs", 0) > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert {"engine.refresh", "engine.merge"} <= set(jobs)
    refresh = jobs["engine.refresh"]
    assert refresh["runs"] > 0 and refresh["last_error"] is None
    assert refresh["schedule"] == {"type": "interval", "interval": 0.2, "unit": "Seconds",
                                   "delay": "none"}
    assert refresh["last_execution_time"].endswith("Z")
    assert body["total_jobs"] == len(body["jobs"])
    by_node = es.get("/_plugins/_job_scheduler/api/jobs", params={"by_node": "true"}).json()
    assert {j["job_id"] for j in by_node["nodes"][0]["jobs"]} == set(jobs)
    stats = es.get("/_nodes/stats/scheduler").json()
    node_stats, = stats["nodes"].values()
    assert node_stats["scheduler"]["job"]["engine.merge"]["name"] == "engine.merge"
    assert "indices" not in node_stats


def test_lag_behind_the_due_time_is_measured_when_workers_are_busy(metastore):
    scheduler = Scheduler(metastore, workers=1)
    release = threading.Event()
    quick_runs: list[float] = []
    scheduler.add("blocker", lambda stopping: release.wait(5), Every(0.01))
    scheduler.start()
    try:
        time.sleep(0.05)  # the blocker holds the only worker
        scheduler.add("quick", lambda stopping: quick_runs.append(time.time()), Every(0.01))
        time.sleep(0.3)
        release.set()
        wait_for(lambda: len(quick_runs) >= 1, timeout=5, every=0.01)
    finally:
        scheduler.stop()
    lag = scheduler.stats()["lag_millis"]
    assert lag["samples"] >= 2
    # the quick job waited for the blocker's run to end, about 0.3 s after it fell due
    assert lag["max"] >= 200
    assert lag["p50"] <= lag["p99"] <= lag["max"]
    quick = next(job for job in scheduler.jobs() if job.name == "quick")
    assert quick.describe()["last_lag_millis"] is not None


def test_jobs_of_a_pool_of_their_own_never_take_the_default_pools_threads(metastore):
    """Monitors run in the ``alerting`` pool: while slow runs hold all of its threads, the
    engine's jobs (default pool) still run."""
    scheduler = Scheduler(metastore, workers=2)
    scheduler.add_pool("feature", 2)
    release = threading.Event()
    started = threading.Semaphore(0)
    ticks: list[float] = []

    def stuck(stopping: threading.Event) -> None:
        started.release()
        release.wait(10)

    for number in range(4):  # more slow runs than either pool has threads
        scheduler.add(f"slow-{number}", stuck, Every(0.01), pool="feature")
    scheduler.add("housekeeping", lambda stopping: ticks.append(time.time()), Every(0.01))
    scheduler.start()
    try:
        assert started.acquire(timeout=5) and started.acquire(timeout=5)
        wait_for(lambda: len(ticks) >= 3, timeout=5, every=0.01)
    finally:
        release.set()
        scheduler.stop()
    with pytest.raises(ValueError):
        scheduler.add("nowhere", stuck, Every(1), pool="missing")


def test_rate_runs_on_its_grid_from_the_anchor():
    """A monitor's period schedule: slots every interval from its enabled time; a run that
    overran its slot goes to the next slot instead of shifting the grid."""
    rate = Rate(60, anchor=10.0)
    assert rate.next_after(10.0) == 70.0
    assert rate.next_after(69.9) == 70.0
    assert rate.next_after(70.0) == 130.0
    assert rate.next_after(200.5) == 250.0  # a long run ended at 200.5: the 190 slot is gone
    assert rate.describe() == {"interval_seconds": 60, "anchor": 10.0}
    with pytest.raises(IllegalArgument):
        Rate(0)
