"""An SM policy's body checked and normalized as index-management's ``SMPolicy.parse`` does
(its messages, its defaults), the stored form rendered as ``sm_policy``, and the snapshot names
a policy makes (``<policy>-<date>-<8 random [a-z0-9]>``, as ``generateSnapshotName``)."""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.engine.dates.formats import get_format
from loghaven.errors import IllegalArgument
from loghaven.params import parse_bool, parse_int
from loghaven.scheduler import Cron

#: The ``.opendistro-ism-config`` mapping's schema version the policies are written with.
SCHEMA_VERSION = 21
#: Snapshot names' date when ``snapshot_config.date_format`` is not given.
DEFAULT_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss"
#: What the policy's own job schedule looks like (OpenSearch's SM job wakes every minute and
#: checks the cron triggers; here each trigger is a cron job of its own).
JOB_PERIOD_MINUTES = 1
_RANDOM_CHARS = string.ascii_lowercase + string.digits
#: Characters ES refuses in file-like names (``Strings.INVALID_FILENAME_CHARS``).
INVALID_FILENAME_CHARS = ("\\", "/", "*", "?", '"', "<", ">", "|", " ", ",")
NOTIFICATION_CONDITIONS = {"creation": True, "deletion": False, "failure": False,
                           "time_limit_exceeded": False}


def doc_id(name: str) -> str:
    """The policy's document id in OpenSearch's config index."""
    return f"{name}-sm-policy"


def validate_name(name: str) -> None:
    """``validateSMPolicyName``: every problem, one per line."""
    problems = []
    if not name:
        problems.append("Policy name cannot be empty.")
    if " " in name:
        problems.append("Policy name must not contain whitespace.")
    if "," in name:
        problems.append("Policy name must not contain ','.")
    if "#" in name:
        problems.append("Policy name must not contain '#'.")
    if name.startswith("_"):
        problems.append("Policy name must not start with '_'.")
    if name.lower() != name:
        problems.append("Policy name must be lowercase.")
    if any(char in name for char in INVALID_FILENAME_CHARS):
        problems.append("Policy name must not contain the following characters "
                        f"[{', '.join(INVALID_FILENAME_CHARS)}].")
    if problems:
        raise IllegalArgument("\n".join(problems))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise IllegalArgument(message)


def _object(value: Any, field: str) -> dict[str, Any]:
    _require(isinstance(value, dict), f"[{field}] must be an object")
    return value


def _time_value(value: Any, field: str) -> str:
    try:
        parse_duration_ms(value if isinstance(value, str) else str(value), field)
    except ValueError as exc:
        raise IllegalArgument(str(exc)) from exc
    return str(value)


def parse_schedule(value: Any) -> dict[str, Any]:
    """A job-scheduler ``{"cron": {"expression", "timezone"}}`` schedule, checked."""
    schedule = _object(value, "schedule")
    _require(set(schedule) == {"cron"} and isinstance(schedule["cron"], dict),
             "Invalid schedule: only a [cron] schedule is supported in snapshot management")
    cron = schedule["cron"]
    expression, zone = cron.get("expression"), cron.get("timezone", "UTC")
    _require(isinstance(expression, str), "cron expression must be a string")
    _require(isinstance(zone, str), "cron timezone must be a string")
    Cron(expression, zone)  # IllegalArgument for a bad expression or zone
    _require(len(expression.split()) == 5, f"invalid cron expression [{expression}]")
    return {"cron": {"expression": expression, "timezone": zone}}


def cron_of(schedule: dict[str, Any]) -> Cron:
    return Cron(schedule["cron"]["expression"], schedule["cron"]["timezone"])


def _creation(value: Any) -> dict[str, Any]:
    body = _object(value, "creation")
    _require(body.get("schedule") is not None, "schedule field must not be null")
    creation: dict[str, Any] = {"schedule": parse_schedule(body["schedule"])}
    if body.get("time_limit") is not None:
        creation["time_limit"] = _time_value(body["time_limit"], "time_limit")
    return creation


def _condition(value: Any) -> dict[str, Any]:
    body = _object(value, "condition")
    condition: dict[str, Any] = {}
    if body.get("max_age") is not None:
        condition["max_age"] = _time_value(body["max_age"], "max_age")
    min_count = parse_int(body.get("min_count", 1), "min_count")
    max_count = None if body.get("max_count") is None else parse_int(body["max_count"],
                                                                      "max_count")
    _require("max_age" in condition or max_count is not None,
             "Please provide max_age or max_count.")
    _require(min_count > 0, "min_count should be bigger than 0.")
    _require(max_count is None or max_count - min_count > 0,
             "max_count should be bigger than min_count.")
    condition["min_count"] = min_count
    if max_count is not None:
        condition["max_count"] = max_count
    return condition


def _deletion(value: Any, creation: dict[str, Any] | None) -> dict[str, Any]:
    body = _object(value, "deletion")
    if body.get("schedule") is not None:
        schedule = parse_schedule(body["schedule"])
    else:  # the creation's schedule, as SMPolicy.parse does
        _require(creation is not None,
                 "Schedule not provided for neither deletion policy nor creation policy")
        assert creation is not None
        schedule = creation["schedule"]
    _require(body.get("condition") is not None, "condition must not be null.")
    deletion: dict[str, Any] = {"schedule": schedule, "condition": _condition(body["condition"])}
    if body.get("time_limit") is not None:
        deletion["time_limit"] = _time_value(body["time_limit"], "time_limit")
    if body.get("snapshot_pattern") is not None:
        _require(isinstance(body["snapshot_pattern"], str), "snapshot_pattern must be a string")
        deletion["snapshot_pattern"] = body["snapshot_pattern"]
    return deletion


def _notification(value: Any) -> dict[str, Any]:
    body = _object(value, "notification")
    for key in body:
        _require(key in ("channel", "conditions"),
                 f"Invalid field: [{key}] found in Snapshot Management notification config.")
    channel = body.get("channel")
    _require(channel is not None, "Snapshot Management notification channel must not be null")
    channel = _object(channel, "channel")
    _require(isinstance(channel.get("id"), str) and bool(channel["id"]),
             "Snapshot Management notification channel id must not be null")
    conditions = dict(NOTIFICATION_CONDITIONS)
    for key, flag in _object(body.get("conditions") or {}, "conditions").items():
        _require(key in conditions, f"Invalid field: [{key}] found in conditions.")
        conditions[key] = parse_bool(flag, key)
    return {"channel": {"id": channel["id"]}, "conditions": conditions}


def _snapshot_config(value: Any) -> dict[str, Any]:
    _require(value is not None, "snapshot_config field must not be null")
    config = dict(_object(value, "snapshot_config"))
    repository = config.get("repository")
    _require(isinstance(repository, str) and repository != "",
             "Must provide the repository in snapshot config.")
    if config.get("date_format") is not None:
        try:
            get_format(str(config["date_format"])).format(int(time.time() * 1000))
        except ValueError as exc:
            raise IllegalArgument(f"Please provide a valid date format. {exc}") from exc
    if config.get("date_format_timezone") is not None:
        try:
            Cron("* * * * *", str(config["date_format_timezone"]))
        except IllegalArgument as exc:
            raise IllegalArgument(f"Please provide a valid date format timezone. "
                                  f"{exc.reason}") from exc
    return config


def parse_policy(name: str, body: Any, *, now_ms: int) -> dict[str, Any]:
    """The stored ``sm_policy`` of a create or update body; IllegalArgument with
    OpenSearch's message for what it refuses."""
    validate_name(name)
    body = _object(body, "body")
    creation = None if body.get("creation") is None else _creation(body["creation"])
    deletion = (None if body.get("deletion") is None
                else _deletion(body["deletion"], creation))
    _require(creation is not None or deletion is not None,
             "Must provide either creation or deletion configuration.")
    policy: dict[str, Any] = {"name": name}
    if body.get("description") is not None:
        _require(isinstance(body["description"], str), "description must be a string")
        policy["description"] = body["description"]
    policy["schema_version"] = SCHEMA_VERSION
    if creation is not None:
        policy["creation"] = creation
    if deletion is not None:
        policy["deletion"] = deletion
    policy["snapshot_config"] = _snapshot_config(body.get("snapshot_config"))
    enabled = parse_bool(body.get("enabled", True), "enabled")
    policy["schedule"] = {"interval": {"start_time": now_ms, "period": JOB_PERIOD_MINUTES,
                                       "unit": "Minutes"}}
    policy["enabled"] = enabled
    policy["last_updated_time"] = now_ms
    policy["enabled_time"] = now_ms if enabled else None
    if body.get("notification") is not None:
        policy["notification"] = _notification(body["notification"])
    return policy


def snapshot_name(policy: dict[str, Any], now_ms: int) -> str:
    """``<policy>-<date>-<random>``, the date in ``date_format`` and
    ``date_format_timezone``, lower-cased (snapshot names must be)."""
    config = policy["snapshot_config"]
    fmt = get_format(str(config.get("date_format") or DEFAULT_DATE_FORMAT))
    date = fmt.format(now_ms, str(config.get("date_format_timezone") or "UTC")).lower()
    suffix = "".join(secrets.choice(_RANDOM_CHARS) for _ in range(8))
    return f"{policy['name']}-{date}-{suffix}"


def delete_condition_ms(condition: dict[str, Any]) -> int | None:
    return None if "max_age" not in condition else parse_duration_ms(condition["max_age"])


def select_for_deletion(snapshots: list[dict[str, Any]], condition: dict[str, Any],
                        now_ms: int) -> list[str]:
    """``filterByDeleteCondition``: the oldest snapshots past ``max_age`` while at least
    ``min_count`` remain, then the oldest beyond ``max_count``; ``snapshots`` are
    ``{"snapshot", "start_time_in_millis"}``."""
    ordered = sorted(snapshots, key=lambda s: s.get("start_time_in_millis") or 0)
    count = 0
    max_age = delete_condition_ms(condition)
    if max_age is not None:
        threshold = now_ms - max_age
        older = [i for i, s in enumerate(ordered)
                 if (s.get("start_time_in_millis") or 0) < threshold]
        count = older[-1] + 1 if older else 0
        if len(ordered) - count < condition["min_count"]:
            count = max(0, len(ordered) - condition["min_count"])
    max_count = condition.get("max_count")
    if max_count is not None and len(ordered) - count > max_count:
        count = len(ordered) - max_count
    return [s["snapshot"] for s in ordered[:count]]
