"""A report definition as OpenSearch's Reporting plugin writes it (``reportDefinition``:
``name``, ``isEnabled``, ``source``, ``format``, ``trigger``, ``delivery``, camelCase), parsed
and checked into a normalized JSON object, extended with Loghaven's ``sections``.

OpenSearch renders one Dashboards ``source`` (a dashboard, visualization or saved search) into
a PDF, PNG or CSV file. Loghaven renders searches into a message instead: each section is a
saved search (``savedSearchId``) or an inline query over an index pattern (``indexPattern``
with ``query``, ES DSL, or ``queryString``, Lucene syntax), counted over the report's time
window and listed with its top events; the whole is text, HTML and CSV (reports/render.py).
A definition with a ``SavedSearch`` source and no sections has that search as its one section,
so a definition made for OpenSearch runs here unchanged.

Every error is a 400 ``illegal_argument_exception`` that names the field
(``reportDefinition.trigger.schedule.cron.expression``), as OpenSearch's parser names the
field it found absent.
"""

from __future__ import annotations

import re
from typing import Any

from loghaven.engine.dates.date_math import parse_date_math
from loghaven.errors import IllegalArgument
from loghaven.scheduler import Cron, Rate, Schedule

SOURCE_TYPES = ("Dashboard", "Visualization", "SavedSearch", "Notebook")
TRIGGER_TYPES = ("Download", "OnDemand", "CronSchedule", "IntervalSchedule")
SCHEDULED = ("CronSchedule", "IntervalSchedule")
#: What Loghaven renders: every report has its CSV, its text and its HTML.
FILE_FORMATS = ("Csv",)
#: job-scheduler's interval units (``ChronoUnit`` names) in seconds.
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
#: The top events each section lists in the message, unless ``format.topEvents`` says.
DEFAULT_TOP_EVENTS = 5
#: The rows of each section's CSV, unless ``format.limit`` says (OpenSearch's CSV default),
#: and the most it may say (``index.max_result_window``: one search fetches them).
DEFAULT_LIMIT = MAX_LIMIT = 10_000
#: The line under a section with no match, as the seed's report writes it.
DEFAULT_EMPTY_TEXT = "No Alerts Found"
DEFAULT_MATCH_TEXT = "matching events"
#: The second line of the message, before the window (the seed's says "Violations for ...").
DEFAULT_PERIOD_LABEL = "Events for time period"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def invalid(field: str, reason: str) -> IllegalArgument:
    return IllegalArgument(f"[{field}] {reason}")


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(field, "must be an object")
    return value


def _string(value: Any, field: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if value is None:
        raise invalid(field, "field absent")
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    return value


def _choice(value: Any, field: str, choices: tuple[str, ...]) -> str:
    text = _string(value, field)
    if text not in choices:
        raise invalid(field, f"[{text}] is not one of [{', '.join(choices)}]")
    return text


def _count(value: Any, field: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT:
        raise invalid(field, f"must be an integer from 0 to {MAX_LIMIT}")
    return value


def duration_seconds(text: str, field: str) -> int:
    """An ISO-8601 duration of days, hours, minutes, seconds (``PT1H``, ``P1D``)."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise invalid(field, f"[{text}] is not an ISO-8601 duration such as PT24H or P1D")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def _ago(seconds: int) -> str:
    """A duration as date math back from now, in its largest whole unit (``now-1d``)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"now-{seconds // size}{unit}"
    return f"now-{seconds}s"


def parse_definition(body: Any) -> dict[str, Any]:
    """The request body's ``reportDefinition``, normalized."""
    body = _object(body, "body")
    definition = _object(body.get("reportDefinition"), "reportDefinition") \
        if "reportDefinition" in body else None
    if definition is None:
        raise invalid("reportDefinition", "field absent")
    where = "reportDefinition"
    name = _string(definition.get("name"), f"{where}.name").strip()
    if not name:
        raise invalid(f"{where}.name", "must not be empty")
    enabled = definition.get("isEnabled", True)
    if not isinstance(enabled, bool):
        raise invalid(f"{where}.isEnabled", "must be a boolean")
    source = _source(definition.get("source"), f"{where}.source")
    sections = _sections(definition.get("sections"), source, f"{where}.sections")
    return {"name": name, "isEnabled": enabled, **({"source": source} if source else {}),
            "sections": sections,
            "format": _format(definition.get("format", {}), f"{where}.format"),
            "trigger": _trigger(definition.get("trigger"), f"{where}.trigger"),
            "delivery": _delivery(definition.get("delivery"), f"{where}.delivery")}


def _source(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    source = _object(value, where)
    return {"description": _string(source.get("description"), f"{where}.description",
                                   required=False),
            "type": _choice(source.get("type"), f"{where}.type", SOURCE_TYPES),
            "origin": _string(source.get("origin"), f"{where}.origin", required=False),
            "id": _string(source.get("id"), f"{where}.id")}


def _sections(value: Any, source: dict[str, Any] | None, where: str) -> list[dict[str, Any]]:
    if value is None:
        if source is None:
            raise invalid(where, "field absent: a report needs sections (or a SavedSearch "
                                 "source)")
        if source["type"] != "SavedSearch":
            raise invalid(f"{where[:-len('sections')]}source.type",
                          f"[{source['type']}] is not rendered by Loghaven; give sections "
                          "(saved searches or queries) instead")
        return [{"title": source["description"] or source["id"],
                 "savedSearchId": source["id"], "matchText": DEFAULT_MATCH_TEXT,
                 "emptyText": DEFAULT_EMPTY_TEXT}]
    if not isinstance(value, list) or not value:
        raise invalid(where, "must be a non-empty array")
    return [_section(item, f"{where}[{number}]") for number, item in enumerate(value)]


def _section(value: Any, where: str) -> dict[str, Any]:
    item = _object(value, where)
    section: dict[str, Any] = {
        "title": _string(item.get("title"), f"{where}.title"),
        "matchText": _string(item.get("matchText", DEFAULT_MATCH_TEXT), f"{where}.matchText"),
        "emptyText": _string(item.get("emptyText", DEFAULT_EMPTY_TEXT), f"{where}.emptyText")}
    if "savedSearchId" in item:
        if "indexPattern" in item:
            raise invalid(f"{where}.indexPattern",
                          "give either savedSearchId or indexPattern, not both")
        section["savedSearchId"] = _string(item["savedSearchId"], f"{where}.savedSearchId")
    elif "indexPattern" in item:
        section["indexPattern"] = _string(item["indexPattern"], f"{where}.indexPattern")
        if "query" in item and "queryString" in item:
            raise invalid(f"{where}.queryString", "give either query or queryString, not both")
        if "query" in item:
            section["query"] = _object(item["query"], f"{where}.query")
        else:
            section["queryString"] = _string(item.get("queryString", ""),
                                             f"{where}.queryString", required=False)
        section["timeField"] = _string(item.get("timeField", "@timestamp"),
                                       f"{where}.timeField")
    else:
        raise invalid(f"{where}.savedSearchId", "field absent: a section is a saved search "
                                                "(savedSearchId) or a query (indexPattern)")
    if "columns" in item:
        columns = item["columns"]
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise invalid(f"{where}.columns", "must be an array of field names")
        section["columns"] = columns
    return section


def _format(value: Any, where: str) -> dict[str, Any]:
    fmt = _object(value, where)
    duration = _string(fmt.get("duration", "P1D"), f"{where}.duration")
    seconds = duration_seconds(duration, f"{where}.duration")
    time_from = _string(fmt.get("timeFrom", _ago(seconds)), f"{where}.timeFrom")
    try:
        if not time_from.startswith("now"):
            raise ValueError(time_from)
        parse_date_math(time_from, 0)
    except ValueError:
        raise invalid(f"{where}.timeFrom", f"[{time_from}] must be date math from now, such "
                                           "as now-1d") from None
    out = {"duration": duration, "timeFrom": time_from,
           "periodLabel": _string(fmt.get("periodLabel", DEFAULT_PERIOD_LABEL),
                                  f"{where}.periodLabel"),
           "fileFormat": _choice(fmt.get("fileFormat", "Csv"), f"{where}.fileFormat",
                                 FILE_FORMATS),
           "limit": _count(fmt.get("limit"), f"{where}.limit", DEFAULT_LIMIT),
           "topEvents": _count(fmt.get("topEvents"), f"{where}.topEvents",
                                      DEFAULT_TOP_EVENTS)}
    for key in ("header", "footer"):
        if fmt.get(key) is not None:
            out[key] = _string(fmt[key], f"{where}.{key}")
    return out


def _trigger(value: Any, where: str) -> dict[str, Any]:
    trigger = _object(value, where)
    kind = _choice(trigger.get("triggerType"), f"{where}.triggerType", TRIGGER_TYPES)
    if kind not in SCHEDULED:
        return {"triggerType": kind}
    schedule = _object(trigger.get("schedule"), f"{where}.schedule") \
        if trigger.get("schedule") is not None else None
    if schedule is None:
        raise invalid(f"{where}.schedule", "field absent")
    if kind == "CronSchedule":
        cron = _object(schedule.get("cron"), f"{where}.schedule.cron") \
            if "cron" in schedule else None
        if cron is None:
            raise invalid(f"{where}.schedule.cron", "field absent")
        normalized = {"cron": {
            "expression": _string(cron.get("expression"), f"{where}.schedule.cron.expression"),
            "timezone": _string(cron.get("timezone", "UTC"), f"{where}.schedule.cron.timezone")}}
    else:
        interval = _object(schedule.get("interval"), f"{where}.schedule.interval") \
            if "interval" in schedule else None
        if interval is None:
            raise invalid(f"{where}.schedule.interval", "field absent")
        period = interval.get("period")
        if isinstance(period, bool) or not isinstance(period, int) or period < 1:
            raise invalid(f"{where}.schedule.interval.period", "must be a positive integer")
        unit = _string(interval.get("unit"), f"{where}.schedule.interval.unit")
        if unit.lower() not in UNITS:
            raise invalid(f"{where}.schedule.interval.unit",
                          f"[{unit}] is not one of [Minutes, Hours, Days]")
        start = interval.get("start_time", 0)
        if isinstance(start, bool) or not isinstance(start, int):
            raise invalid(f"{where}.schedule.interval.start_time", "must be epoch millis")
        normalized = {"interval": {"start_time": start, "period": period,
                                   "unit": unit.capitalize()}}
    try:
        job_schedule(normalized)
    except IllegalArgument as error:
        field = "cron.expression" if "cron" in normalized else "interval"
        if "time zone" in error.reason:
            field = "cron.timezone"
        raise invalid(f"{where}.schedule.{field}", error.reason) from None
    return {"triggerType": kind, "schedule": normalized}


def job_schedule(schedule: dict[str, Any]) -> Schedule:
    """The scheduler's schedule of a normalized ``trigger.schedule``: an interval runs on its
    grid from ``start_time``, as job-scheduler's IntervalSchedule does."""
    if "cron" in schedule:
        return Cron(schedule["cron"]["expression"], schedule["cron"]["timezone"])
    interval = schedule["interval"]
    return Rate(interval["period"] * UNITS[interval["unit"].lower()],
                interval["start_time"] / 1000)


def _delivery(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {"title": "", "textDescription": "", "htmlDescription": "", "configIds": []}
    delivery = _object(value, where)
    ids = delivery.get("configIds", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise invalid(f"{where}.configIds", "must be an array of channel ids")
    return {"title": _string(delivery.get("title"), f"{where}.title", required=False),
            "textDescription": _string(delivery.get("textDescription"),
                                       f"{where}.textDescription", required=False),
            "htmlDescription": _string(delivery.get("htmlDescription"),
                                       f"{where}.htmlDescription", required=False),
            "configIds": list(dict.fromkeys(ids))}
