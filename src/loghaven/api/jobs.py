"""``GET /_plugins/_job_scheduler/api/jobs``: the node's scheduled jobs, in the shape of
OpenSearch's Job Scheduler Jobs API, with each job's last duration and error added."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_response, node_of, param_bool
from loghaven.scheduler import Cron, Job


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "none"
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def _job_body(job: Job) -> dict[str, Any]:
    schedule: dict[str, Any]
    if isinstance(job.schedule, Cron):
        schedule = {"type": "cron", "expression": job.schedule.expression,
                    "timezone": job.schedule.timezone, "delay": "none"}
    else:
        schedule = {"type": "interval", "interval": job.schedule.seconds, "unit": "Seconds",
                    "delay": "none"}
    kind, _, _ = job.name.partition(".")
    state = job.state
    return {"job_type": kind, "job_id": job.name, "name": job.name, "descheduled": False,
            "enabled": True, "durable": job.durable, "running": job.running_since is not None,
            "last_execution_time": _time(state.last_run),
            "next_expected_execution_time": _time(state.next_run),
            "last_duration_in_millis": None if state.last_duration is None
            else int(state.last_duration * 1000),
            "last_error": state.last_error, "runs": state.runs, "failures": state.failures,
            "schedule": schedule, "lock_duration": "no_lock", "jitter": "none"}


async def list_jobs(request: Request) -> Response:
    node = node_of(request)
    jobs = [_job_body(job) for job in node.scheduler.jobs()]
    if param_bool(request, "by_node"):
        return json_response(request, {"nodes": [{"node_id": node.node_id,
                                                  "node_name": node.config.node_name,
                                                  "jobs": jobs}], "total_jobs": len(jobs)})
    return json_response(request, {"jobs": jobs, "total_jobs": len(jobs), "failures": []})


routes = [Route("/_plugins/_job_scheduler/api/jobs", list_jobs, methods=["GET"])]
