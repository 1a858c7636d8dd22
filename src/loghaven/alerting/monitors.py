"""Monitor JSON as OpenSearch's Alerting plugin accepts and renders it (common-utils' ``Monitor``).

:func:`parse_monitor` validates a request body and returns the normalized monitor: the fields
in OpenSearch's order, generated ids for triggers, actions and document-level queries, scripts
with their ``lang``, ``enabled_time``/``last_update_time`` in epoch millis, ``schema_version``
and the owner's ``user``. Errors are OpenSearch's messages in its ``alerting_exception`` (the
plugin wraps every failure of the request so that Dashboards shows ``root_cause.reason``).

Trigger conditions of query- and bucket-level triggers are compiled by the safe Painless
evaluator at save, so a construct outside the subset is a 400 naming it; document-level
conditions are OpenSearch's query expressions (``query[tag=x] && !query[name=y]``).

A query-level or bucket-level monitor that carries the Dashboards visual-graph definition
(``ui_metadata.search.searchType: "graph"``) gets its ``inputs[0].search.query`` generated as
Dashboards' ``formikToGraphQuery`` does; a monitor whose query is given keeps it unchanged.
"""

from __future__ import annotations

import math
from typing import Any

from croniter import croniter

from loghaven import scripting
from loghaven.alerting.triggers import _Expression
from loghaven.engine.writes import new_doc_id
from loghaven.errors import LoghavenError
from loghaven.scheduler import Cron, Rate

QUERY_LEVEL = "query_level_monitor"
BUCKET_LEVEL = "bucket_level_monitor"
DOC_LEVEL = "doc_level_monitor"
#: OpenSearch's list, in its order (``Monitor type should be one of ...``).
_ALL_TYPES = [QUERY_LEVEL, BUCKET_LEVEL, "cluster_metrics_monitor", DOC_LEVEL]
#: The trigger kind each monitor type takes.
TRIGGER_OF = {QUERY_LEVEL: "query_level_trigger", BUCKET_LEVEL: "bucket_level_trigger",
              DOC_LEVEL: "document_level_trigger"}
#: The schema version OpenSearch 2.11 writes on monitors.
SCHEMA_VERSION = 5
#: ``IndexUtils.MONITOR_MAX_INPUTS`` / ``MONITOR_MAX_TRIGGERS``.
MAX_INPUTS = 1
MAX_TRIGGERS = 10
SEVERITIES = ("1", "2", "3", "4", "5")
_UNIT_SECONDS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}
#: Java's ChronoUnit constants and how they print (the units a period could name).
_CHRONO_UNITS = {"NANOS": "Nanos", "MICROS": "Micros", "MILLIS": "Millis", "SECONDS": "Seconds",
                 "MINUTES": "Minutes", "HOURS": "Hours", "HALF_DAYS": "HalfDays",
                 "DAYS": "Days", "WEEKS": "Weeks", "MONTHS": "Months", "YEARS": "Years",
                 "DECADES": "Decades", "CENTURIES": "Centuries", "MILLENNIA": "Millennia",
                 "ERAS": "Eras", "FOREVER": "Forever"}
_ACTIONABLE = ("DEDUPED", "NEW", "COMPLETED")
#: Characters a document-level query's name or tag may not hold (``DocLevelQuery``).
_INVALID_QUERY_CHARS = (" ", "[", "]", "{", "}", "(", ")")


class AlertingError(LoghavenError):
    """The Alerting plugin's error (``AlertingException.wrap``): a bad monitor is a 400."""

    type = "alerting_exception"
    status = 400

    def __init__(self, reason: str, *, status: int = 400,
                 cause: str = "illegal_argument_exception") -> None:
        super().__init__(reason, status=status)
        #: The type of the exception the plugin wrapped (its ``caused_by``).
        self.cause = cause

    def to_body(self) -> dict[str, Any]:
        outer = {"type": self.type, "reason": self.reason}
        return {"error": {"root_cause": [outer], **outer,
                          "caused_by": {"type": self.cause, "reason": self.reason}},
                "status": self.status}


def _fail(reason: str) -> AlertingError:
    return AlertingError(reason)


# --- the monitor -----------------------------------------------------------------------------

def parse_monitor(body: Any, *, now_ms: int, user: dict[str, Any] | None,
                  previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The normalized monitor of a create or update request body.

    ``previous`` is the stored monitor on an update: an enabled monitor that stays enabled
    keeps its ``enabled_time`` (OpenSearch's ``TransportIndexMonitorAction``).
    """
    if not isinstance(body, dict):
        raise _fail("Monitor body must be a JSON object")
    name = _required(body, "name", "Monitor name is null")
    monitor_type = _text(body.get("monitor_type", QUERY_LEVEL), "monitor_type")
    if monitor_type not in _ALL_TYPES:
        raise _fail(f"Monitor type should be one of [{', '.join(_ALL_TYPES)}]")
    if monitor_type not in TRIGGER_OF:
        raise _fail(f"Monitor type [{monitor_type}] is not supported by Loghaven")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail(f"Failed to parse value [{enabled}] as only [true] or [false] are allowed.")
    schedule = parse_schedule(_required(body, "schedule", "Monitor schedule is null"))
    ui_metadata = body.get("ui_metadata") or {}
    if not isinstance(ui_metadata, dict):
        raise _fail("ui_metadata must be an object")
    inputs = _list(body.get("inputs", []), "inputs")
    if len(inputs) > MAX_INPUTS:
        raise _fail(f"Monitors can only have {MAX_INPUTS} search input.")
    inputs = [_parse_input(item, monitor_type, ui_metadata) for item in inputs]
    triggers = [_parse_trigger(item) for item in _list(body.get("triggers", []), "triggers")]
    if len(triggers) > MAX_TRIGGERS:
        raise _fail(f"Monitors can only support up to {MAX_TRIGGERS} triggers.")
    seen: set[str] = set()
    for trigger in triggers:
        (kind, inner), = trigger.items()
        if inner["id"] in seen:
            raise _fail(f"Duplicate trigger id: {inner['id']}. Trigger ids must be unique.")
        seen.add(inner["id"])
        if kind != TRIGGER_OF[monitor_type]:
            raise _fail(f"Incompatible trigger [{inner['id']}] for monitor type "
                        f"[{monitor_type}]")
    if monitor_type == BUCKET_LEVEL:
        for item in inputs:
            search = item.get("search")
            if search is None:
                raise _fail(f"Unsupported input [{_brief(item)}] for Monitor")
            query = search["query"]
            if not (query.get("aggregations") or query.get("aggs")):
                raise _fail(f"At least one aggregation is required for the input "
                            f"[{_brief(item)}]")

    enabled_time = None
    if enabled:
        enabled_time = _epoch_ms(body.get("enabled_time"), "enabled_time")
        if previous is not None and previous.get("enabled") and previous.get("enabled_time"):
            enabled_time = previous["enabled_time"]
        if enabled_time is None:
            enabled_time = now_ms
    monitor: dict[str, Any] = {
        "type": "monitor", "schema_version": SCHEMA_VERSION, "name": _text(name, "name"),
        "monitor_type": monitor_type, "user": user, "enabled": enabled,
        "enabled_time": enabled_time, "schedule": schedule, "inputs": inputs,
        "triggers": triggers, "last_update_time": now_ms}
    if ui_metadata:
        monitor["ui_metadata"] = ui_metadata
    return monitor


def _epoch_ms(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(f"Failed to parse [{field}] as epoch millis: [{value}]")
    try:
        return int(value)
    except ValueError as exc:
        raise _fail(f"Failed to parse [{field}] as epoch millis: [{value}]") from exc


def _text(value: Any, field: str) -> str:
    """A string field; numbers are read as their text (``xcp.text()``), as OpenSearch does."""
    if isinstance(value, bool | dict | list) or value is None:
        raise _fail(f"[{field}] must be a string, got [{value}]")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _required(spec: dict[str, Any], field: str, reason: str) -> Any:
    """``requireNotNull(field) { reason }``: the field's value, or OpenSearch's error."""
    value = spec.get(field)
    if value is None:
        raise _fail(reason)
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(f"Failed to parse object: expecting token of type [START_ARRAY] for "
                    f"[{field}] but found [{type(value).__name__}]")
    return value


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"Failed to parse object: expecting token of type [START_OBJECT] for "
                    f"[{field}] but found [{type(value).__name__}]")
    return value


def _brief(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "..."


# --- schedule ------------------------------------------------------------------------------

def parse_schedule(value: Any) -> dict[str, Any]:
    """``{"period": {"interval", "unit"}}`` or ``{"cron": {"expression", "timezone"}}``."""
    value = _object(value, "schedule")
    if len(value) > 1:
        raise _fail("You can only specify one type of schedule.")
    if not value:
        raise _fail("Schedule is null.")
    (kind, spec), = value.items()
    if kind == "period":
        spec = _object(spec, "period")
        interval = _required(spec, "interval", "Interval in period schedule is null.")
        unit = _required(spec, "unit", "Unit in period schedule is null.")
        if isinstance(interval, bool) or not isinstance(interval, int | str):
            raise _fail(f"Failed to parse interval [{interval}]")
        try:
            interval = int(interval)
        except ValueError as exc:
            raise _fail(f"Failed to parse interval [{interval}]") from exc
        unit = _text(unit, "unit").upper()
        if unit not in _CHRONO_UNITS:
            raise _fail(f"No enum constant java.time.temporal.ChronoUnit.{unit}")
        if unit not in _UNIT_SECONDS:  # (sic: OpenSearch's message)
            raise _fail(f"Timezone {_CHRONO_UNITS[unit]} is not supported expected "
                        f"[Minutes, Hours, Days]")
        if interval <= 0:
            raise _fail("Interval is not allowed to be 0 or negative")
        return {"period": {"interval": interval, "unit": unit}}
    if kind == "cron":
        spec = _object(spec, "cron")
        expression = _text(_required(spec, "expression", "Expression in cron schedule is null."),
                           "expression")
        timezone = _text(_required(spec, "timezone", "Timezone in cron schedule is null."),
                         "timezone")
        # Five fields as OpenSearch's UNIX cron; a sixth (seconds, croniter's) is Loghaven's.
        if len(expression.split()) not in (5, 6) or not croniter.is_valid(expression):
            raise _fail(f"Invalid cron expression [{expression}]")
        try:
            Cron(expression, timezone)
        except LoghavenError as exc:  # an unknown zone, or an expression matching no date
            raise _fail(f"Invalid cron expression [{expression}]"
                        if exc.reason.startswith("invalid cron") else
                        f"Timezone {timezone} is not supported") from exc
        return {"cron": {"expression": expression, "timezone": timezone}}
    raise _fail(f"Invalid field: [{kind}] found in schedule.")


def job_schedule(schedule: dict[str, Any], enabled_time: int | None = None) -> Rate | Cron:
    """The scheduler's schedule of a normalized monitor schedule: a period runs on the grid
    of its interval from the monitor's enabled time, as OpenSearch's IntervalSchedule."""
    if "period" in schedule:
        period = schedule["period"]
        return Rate(period["interval"] * _UNIT_SECONDS[period["unit"]],
                    (enabled_time or 0) / 1000)
    cron = schedule["cron"]
    return Cron(cron["expression"], cron["timezone"])


# --- inputs --------------------------------------------------------------------------------

def _parse_input(item: Any, monitor_type: str, ui_metadata: dict[str, Any]) -> dict[str, Any]:
    item = _object(item, "inputs")
    if len(item) != 1:
        raise _fail(f"Unexpected input [{_brief(item)}] when parsing Input")
    (kind, spec), = item.items()
    if kind == "search":
        if monitor_type == DOC_LEVEL:
            raise _fail(f"Unsupported input [search] for monitor type [{monitor_type}]")
        spec = _object(spec, "search")
        indices = [_text(index, "indices") for index in _list(spec.get("indices", []),
                                                               "indices")]
        graph = graph_query(ui_metadata, monitor_type)
        query = graph if graph is not None else spec.get("query")
        if query is None:
            raise _fail("SearchInput query is null")
        return {"search": {"indices": indices, "query": _object(query, "query")}}
    if kind == "doc_level_input":
        if monitor_type != DOC_LEVEL:
            raise _fail(f"Unsupported input [doc_level_input] for monitor type "
                        f"[{monitor_type}]")
        spec = _object(spec, "doc_level_input")
        indices = [_text(index, "indices") for index in _list(spec.get("indices", []),
                                                               "indices")]
        queries = [_parse_doc_query(query) for query in _list(spec.get("queries", []),
                                                              "queries")]
        return {"doc_level_input": {"description": _text(spec.get("description", ""),
                                                           "description"),
                                    "indices": indices, "queries": queries}}
    raise _fail(f"Unexpected input [{kind}] when parsing Input")


def _parse_doc_query(query: Any) -> dict[str, Any]:
    query = _object(query, "queries")
    name = _text(_required(query, "name", "Doc level query name is null"), "name")
    text = _text(_required(query, "query", "Doc level query is null"), "query")
    tags = [_text(tag, "tags") for tag in _list(query.get("tags", []), "tags")]
    for value in (name, *tags):
        if any(char in value for char in _INVALID_QUERY_CHARS):
            raise _fail(f"They query name or tag, {value}, contains an invalid character: "
                        f"[' ','[',']','{{','}}','(',')']")
    query_id = _text(query["id"], "id") if query.get("id") is not None else new_doc_id()
    return {"id": query_id, "name": name, "query": text, "tags": tags}


# --- triggers ------------------------------------------------------------------------------

def _parse_trigger(item: Any) -> dict[str, Any]:
    """``{"<kind>": {...}}``; the legacy unwrapped form is a query-level trigger."""
    item = _object(item, "triggers")
    if len(item) == 1 and next(iter(item)) in TRIGGER_OF.values():
        (kind, spec), = item.items()
        spec = _object(spec, kind)
    elif len(item) == 1 and next(iter(item)) not in ("id", "name", "severity", "condition",
                                                       "actions"):
        raise _fail(f"Unknown trigger type [{next(iter(item))}]")
    else:
        kind, spec = "query_level_trigger", item
    trigger_id = _text(spec["id"], "id") if spec.get("id") is not None else new_doc_id()
    name = _text(_required(spec, "name", "Trigger name is null"), "name")
    severity = _text(_required(spec, "severity", "Trigger severity is null"), "severity")
    if severity not in SEVERITIES:
        raise _fail(f"Invalid severity [{severity}]: a trigger's severity is one of "
                    f"[{', '.join(SEVERITIES)}]")
    condition = _object(_required(spec, "condition", "Trigger condition is null"), "condition")
    actions = [_parse_action(action, kind) for action in _list(spec.get("actions", []),
                                                               "actions")]
    out: dict[str, Any] = {"id": trigger_id, "name": name, "severity": severity}
    if kind == "bucket_level_trigger":
        out["condition"] = _bucket_condition(condition)
    else:
        script = _script(condition.get("script"), "painless", "condition")
        if kind == "document_level_trigger":
            check_doc_level_condition(script["source"])
        else:
            scripting.compile(script["source"])
        out["condition"] = {"script": script}
    out["actions"] = actions
    return {kind: out}


def _bucket_condition(condition: dict[str, Any]) -> dict[str, Any]:
    paths = _object(_required(condition, "buckets_path", "Required [buckets_path]"),
                    "buckets_path")
    parent = _required(condition, "parent_bucket_path", "Required [parent_bucket_path]")
    script = _script(condition.get("script"), "painless", "script")
    scripting.compile(script["source"])
    out: dict[str, Any] = {"buckets_path": {str(k): _text(v, "buckets_path")
                                            for k, v in paths.items()},
                           "parent_bucket_path": _text(parent, "parent_bucket_path"),
                           "script": script,
                           "gap_policy": _text(condition.get("gap_policy", "skip"),
                                               "gap_policy").lower()}
    if out["gap_policy"] not in ("skip", "insert_zeros", "keep_values"):
        raise _fail(f"Invalid gap policy [{out['gap_policy']}]")
    if condition.get("filter") is not None:
        out["filter"] = _object(condition["filter"], "filter")
    return out


def _script(value: Any, default_lang: str, field: str) -> dict[str, Any]:
    """A ``Script`` as OpenSearch renders it: source, lang, then params if any."""
    if value is None:
        raise _fail(f"Trigger {field} is null" if field == "condition" else f"[{field}] is null")
    if isinstance(value, str):
        value = {"source": value}
    value = _object(value, field)
    source = value.get("source", value.get("inline"))
    if source is None:
        raise _fail(f"must specify <source> for an inline script in [{field}]")
    lang = _text(value.get("lang", default_lang), "lang")
    if default_lang == "painless" and lang != "painless":
        raise _fail("Invalid script language. Allowed languages are [painless]")
    script: dict[str, Any] = {"source": _text(source, "source"), "lang": lang}
    if value.get("params"):
        script["params"] = _object(value["params"], "params")
    return script


def check_doc_level_condition(source: str) -> None:
    """Refuse a document-level condition the runner could not read: a query expression
    (``query[tag=x] && !query[name=y]``, read by the runner's parser) or else Painless."""
    if "query[" not in source:
        scripting.compile(source)
        return
    try:
        _Expression(source, [], {}, set()).parse()
    except LoghavenError as error:
        raise _fail(error.reason) from error


# --- actions -------------------------------------------------------------------------------

_ACTION_FIELDS = ("id", "name", "destination_id", "subject_template", "message_template",
                  "throttle", "throttle_enabled", "action_execution_policy")


def _parse_action(value: Any, trigger_kind: str) -> dict[str, Any]:
    value = _object(value, "actions")
    for field in value:
        if field not in _ACTION_FIELDS:
            raise _fail(f"Unexpected field: {field}, while parsing action")
    name = _required(value, "name", "Action name is null")
    destination = _required(value, "destination_id", "Destination id is null")
    message = _script(_required(value, "message_template", "Action message template is null"),
                      "mustache", "message_template")
    if message["lang"] != "mustache":
        raise _fail("message_template must be a mustache script")
    subject = None
    if value.get("subject_template") is not None:
        subject = _script(value["subject_template"], "mustache", "subject_template")
        if subject["lang"] != "mustache":
            raise _fail("subject_template must be a mustache script")
    throttle_enabled = value.get("throttle_enabled", False)
    if not isinstance(throttle_enabled, bool):
        raise _fail(f"Failed to parse value [{throttle_enabled}] as only [true] or [false] "
                    f"are allowed.")
    throttle = None
    if value.get("throttle") is not None:
        throttle = _throttle(value["throttle"])
    if throttle_enabled and throttle is None:
        raise _fail("Action throttle enabled but not set throttle value")
    policy = None
    if value.get("action_execution_policy") is not None:
        policy = _execution_policy(value["action_execution_policy"])
        if "per_execution" in policy["action_execution_scope"] and throttle is not None:
            raise _fail("Throttle is currently not supported for per execution action scope")
    action: dict[str, Any] = {
        "id": _text(value["id"], "id") if value.get("id") is not None else new_doc_id(),
        "name": _text(name, "name"), "destination_id": _text(destination, "destination_id"),
        "message_template": message, "throttle_enabled": throttle_enabled}
    if subject is not None:
        action["subject_template"] = subject
    if throttle is not None:
        action["throttle"] = throttle
    if policy is not None:
        action["action_execution_policy"] = policy
    return action


def _throttle(value: Any) -> dict[str, Any]:
    value = _object(value, "throttle")
    amount = _required(value, "value", "Throttle value is null")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise _fail("Can only set positive throttle period")
    unit = _text(value.get("unit", "MINUTES"), "unit").upper()
    if unit != "MINUTES":
        raise _fail("Only support MINUTES throttle unit currently")
    return {"value": amount, "unit": unit}


def _execution_policy(value: Any) -> dict[str, Any]:
    value = _object(value, "action_execution_policy")
    scope = _object(value.get("action_execution_scope"), "action_execution_scope")
    if len(scope) != 1 or next(iter(scope)) not in ("per_alert", "per_execution"):
        raise _fail(f"Unexpected field: [{', '.join(scope)}], while parsing action "
                    f"execution scope")
    (kind, spec), = scope.items()
    spec = _object(spec, kind)
    if kind == "per_execution":
        return {"action_execution_scope": {"per_execution": {}}}
    alerts = [_text(state, "actionable_alerts").upper()
              for state in _list(spec.get("actionable_alerts", []), "actionable_alerts")]
    for state in alerts:
        if state not in _ACTIONABLE:
            raise _fail(f"No enum constant org.opensearch.commons.alerting.model.action."
                        f"AlertCategory.{state}")
    return {"action_execution_scope": {"per_alert": {"actionable_alerts": alerts}}}


# --- the visual graph ----------------------------------------------------------------------

_METRICS = ("count", "avg", "sum", "min", "max")
_TIME_UNITS = ("m", "h", "d")


def graph_query(ui_metadata: dict[str, Any], monitor_type: str) -> dict[str, Any] | None:
    """The search query Dashboards generates from its visual-graph definition
    (``formikToGraphQuery``), or None when the monitor carries none."""
    search = ui_metadata.get("search")
    if not isinstance(search, dict) or search.get("searchType") != "graph":
        return None
    time_field = search.get("timeField")
    if not isinstance(time_field, str) or not time_field:
        raise _fail("The visual graph needs a [timeField]")
    bucket_value = search.get("bucketValue")
    if isinstance(bucket_value, bool) or not isinstance(bucket_value, int | float) \
            or bucket_value <= 0:
        raise _fail(f"The visual graph's [bucketValue] must be a positive number, got "
                    f"[{bucket_value}]")
    unit = search.get("bucketUnitOfTime")
    if unit not in _TIME_UNITS:
        raise _fail(f"The visual graph's [bucketUnitOfTime] must be one of "
                    f"[{', '.join(_TIME_UNITS)}], got [{unit}]")
    window = _js_round(bucket_value)
    filters: list[dict[str, Any]] = [{"range": {time_field: {
        "gte": f"{{{{period_end}}}}||-{window}{unit}", "lte": "{{period_end}}",
        "format": "epoch_millis"}}}]
    where = _where_clause(search.get("where"))
    if where is not None:
        filters.append(where)
    group_by = [_text(field, "groupBy") for field in _list(search.get("groupBy", []),
                                                           "groupBy")]
    metrics = _graph_metrics(search)
    if monitor_type == BUCKET_LEVEL:
        aggs = {f"{kind}_{field.replace('.', '_')}":
                {"value_count" if kind == "count" else kind: {"field": field}}
                for kind, field in metrics}
        sources = [{field: {"terms": {"field": field}}} for field in group_by]
        aggregations: dict[str, Any] = {"composite_agg": {"composite": {"sources": sources},
                                                          "aggs": aggs}}
    else:
        aggregations = {}
        for kind, field in metrics:
            aggregations["metric"] = {"value_count" if kind == "count" else kind:
                                      {"field": field}}
        if group_by:
            aggregations["terms_agg"] = {"terms": {"field": group_by[0]}}
    return {"size": 0, "aggregations": aggregations, "query": {"bool": {"filter": filters}}}


def _js_round(value: float) -> int:
    """JavaScript's ``Math.round`` (halves go up)."""
    return math.floor(value + 0.5)


def _graph_metrics(search: dict[str, Any]) -> list[tuple[str, str]]:
    """(aggregation type, field) pairs: Dashboards' ``aggregations`` list, or the older
    single ``aggregationType`` + ``fieldName`` (``[{"label": ...}]``)."""
    if "aggregations" in search:
        items = [(item.get("aggregationType"), item.get("fieldName"))
                 for item in _list(search["aggregations"], "aggregations")
                 if isinstance(item, dict)]
    else:
        field = search.get("fieldName")
        if isinstance(field, list):
            field = field[0].get("label") if field and isinstance(field[0], dict) else None
        items = [(search.get("aggregationType", "count"), field)]
        if items[0][0] == "count" and not field:
            return []
    out = []
    for kind, field in items:
        if kind not in _METRICS:
            raise _fail(f"The visual graph's aggregationType must be one of "
                        f"[{', '.join(_METRICS)}], got [{kind}]")
        if not isinstance(field, str) or not field:
            raise _fail(f"The visual graph's [{kind}] aggregation needs a [fieldName]")
        out.append((kind, field))
    return out


def _where_clause(where: Any) -> dict[str, Any] | None:
    """Dashboards' ``OPERATORS_QUERY_MAP``: the one ``where`` filter of the visual graph."""
    if not isinstance(where, dict):
        return None
    names = where.get("fieldName") or []
    if not names:
        return None
    first = names[0] if isinstance(names, list) else {"label": names}
    label, data_type = first.get("label"), first.get("type")
    value = where.get("fieldValue")
    operator = where.get("operator", "is")
    start, end = where.get("fieldRangeStart"), where.get("fieldRangeEnd")
    text = data_type == "text"
    queries: dict[str, Any] = {
        "is": {"match_phrase": {label: value}} if text else {"term": {label: value}},
        "is_not": {"bool": {"must_not": {"match_phrase": {label: value}} if text
                            else {"term": {label: value}}}},
        "is_null": {"bool": {"must_not": {"exists": {"field": label}}}},
        "is_not_null": {"exists": {"field": label}},
        "is_greater": {"range": {label: {"gt": value}}},
        "is_greater_equal": {"range": {label: {"gte": value}}},
        "is_less": {"range": {label: {"lt": value}}},
        "is_less_equal": {"range": {label: {"lte": value}}},
        "in_range": {"range": {label: {"gte": start, "lte": end}}},
        "not_in_range": {"bool": {"must_not": {"range": {label: {"gte": start, "lte": end}}}}},
        "starts_with": {"prefix": {label: value}},
        "ends_with": {"wildcard": {label: f"*{value}"}},
        "contains": {"query_string": {"query": f"*{value}*", "default_field": label}} if text
        else {"wildcard": {label: f"*{value}*"}},
        "does_not_contains": {"bool": {"must_not": {
            "query_string": {"query": f"*{value}*", "default_field": label}} if text
            else {"wildcard": {label: f"*{value}*"}}}},
    }
    if operator not in queries:
        raise _fail(f"The visual graph's where operator must be one of "
                    f"[{', '.join(queries)}], got [{operator}]")
    return queries[operator]
