"""ISM policies as OpenSearch's Index Management plugin parses them: the body's checks and
messages, its defaults (``retry``, ``schema_version``, ``last_updated_time``, ISM templates'
``last_updated_time``), and what GET answers.

The stored form is the plugin's ``Policy.toXContent``: every action carries its ``retry``
(``{"count": 3, "backoff": "exponential", "delay": "1m"}`` unless given) and, if given, its
``timeout``; time values and sizes are kept in OpenSearch's canonical text (``5M`` → ``5m``,
``10g`` → ``10gb``); ``ism_template`` is a list (an object is read as a list of one) or null.

Actions: the nine of :data:`ACTIONS` (``warm_migration`` is Amazon OpenSearch Service's).
OpenSearch's other actions — alias, allocation, close, open, replica_count, rollup,
search_only, shrink, transform, stop_replication, convert_index_to_remote (and Amazon's
cold_migration, cold_delete) — parse, then are refused as OpenSearch refuses actions outside
``plugins.index_state_management.allow_list``: 403 ``You have actions that are not allowed in
your policy [...]`` (:class:`DisallowedActions`). Any other name is OpenSearch's 400
``Invalid field: [<name>] found in Actions.``
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from loghaven.engine.dates import parse_duration_ms
from loghaven.errors import IllegalArgument, LoghavenError, ParseFailure, ParsingError
from loghaven.params import parse_bool, parse_byte_size, token_array, token_name, token_object

#: The actions a policy's state may hold (OpenSearch's names).
ACTIONS = ("rollover", "warm_migration", "read_only", "read_write", "force_merge",
           "index_priority", "delete", "snapshot", "notification")
#: OpenSearch's (and Amazon's) actions that parse but that Loghaven does not run.
UNSUPPORTED_ACTIONS = ("alias", "allocation", "close", "open", "replica_count", "rollup",
                       "search_only", "shrink", "transform", "stop_replication",
                       "convert_index_to_remote", "cold_migration", "cold_delete")
#: ``Action.DEFAULT_RETRIES`` with ``ActionRetry``'s defaults.
DEFAULT_RETRY = {"count": 3, "backoff": "exponential", "delay": "1m"}
BACKOFFS = ("exponential", "constant", "linear")
#: ``IndexUtils.DEFAULT_SCHEMA_VERSION`` (a body without one) and the config index's schema
#: version, which the stored policy gets (``indexManagementConfigSchemaVersion``).
DEFAULT_SCHEMA_VERSION = 1
CONFIG_SCHEMA_VERSION = 30
#: The legacy ``Destination`` types a notification may name instead of a channel.
DESTINATION_TYPES = ("chime", "slack", "custom_webhook")
#: What ``validateFormat`` refuses in an ISM template's index pattern (``Strings
#: .INVALID_FILENAME_CHARS`` without ``*``).
INVALID_PATTERN_CHARS = ("\\", "/", "?", '"', "<", ">", "|", " ", ",")
#: Bounds on a policy's size, so that parsing one and checking its templates against the
#: others stays cheap whatever is sent (OpenSearch sets none; no real policy comes near).
#: An index pattern is at most an index name's 255 bytes.
MAX_STATES = 100
MAX_STATE_ITEMS = 50  # actions, and transitions, of one state
MAX_TEMPLATES = 20
MAX_TEMPLATE_PATTERNS = 50
MAX_PATTERN_BYTES = 255


class DisallowedActions(LoghavenError):
    """OpenSearch's answer to a policy with actions outside its allow list: a 403 whose body
    is plain text (``BytesRestResponse(FORBIDDEN, message)``)."""

    type = "status_exception"
    status = 403

    def __init__(self, actions: list[str]) -> None:
        super().__init__(f"You have actions that are not allowed in your policy "
                         f"[{', '.join(actions)}]")


def parse_policy(policy_id: str, body: dict[str, Any], *, now_ms: int) -> dict[str, Any]:
    """The stored form of ``PUT _plugins/_ism/policies/<policy_id>``'s body (its ``policy``
    object, normalized with OpenSearch's defaults); LoghavenError (400, OpenSearch's type
    and reason) for anything OpenSearch refuses: unknown fields or actions, a
    ``default_state`` or transition naming no state, bad time values and sizes, ...

    The body is ``{"policy": {...}}`` (``parseWithType``). ``last_updated_time`` is always
    ``now_ms``, as the REST handler sets it; templates without one get ``now_ms``.
    :class:`DisallowedActions` (403) comes after every 400 check, as in OpenSearch."""
    if len(body) != 1:
        found = "END_OBJECT" if not body else "FIELD_NAME"
        expected = "FIELD_NAME" if not body else "END_OBJECT"
        raise ParsingError(f"Failed to parse object: expecting token of type [{expected}] but "
                           f"found [{found}]")
    (value,) = body.values()
    policy = parse_policy_object(policy_id, value, now_ms=now_ms)
    disallowed = [a for a in _action_types(policy) if a not in ACTIONS]
    if disallowed:
        raise DisallowedActions(list(dict.fromkeys(disallowed)))
    return policy


def parse_policy_object(policy_id: str, value: Any, *, now_ms: int) -> dict[str, Any]:
    """``Policy.parse`` of the object itself, with its ``init`` checks."""
    raw = token_object(value, "policy")
    description: str | None = None
    default_state: str | None = None
    error_notification: dict[str, Any] | None = None
    schema_version = DEFAULT_SCHEMA_VERSION
    states: list[dict[str, Any]] = []
    templates: list[dict[str, Any]] | None = None
    for key, item in raw.items():
        if key == "schema_version":
            schema_version = _long(item, key)
        elif key == "last_updated_time":
            _epoch(item, key)  # read, then replaced by now, as the REST handler does
        elif key in ("policy_id", "user"):
            pass  # internal fields
        elif key == "description":
            description = _text(item, key)
        elif key == "error_notification":
            error_notification = None if item is None else _error_notification(item)
        elif key == "default_state":
            default_state = _text(item, key)
        elif key == "states":
            states = [_state(state) for state in _bounded(token_array(item, key), key, MAX_STATES)]
        elif key == "ism_template":
            if item is not None:
                items = item if isinstance(item, list) else [item] \
                    if isinstance(item, dict) else token_array(item, key)
                templates = [_ism_template(t, now_ms)
                             for t in _bounded(items, key, MAX_TEMPLATES)]
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in Policy.")
    if description is None:
        raise IllegalArgument("description is null")
    if default_state is None:
        raise IllegalArgument("default_state is null")
    names = {state["name"] for state in states}
    for state in states:
        for transition in state["transitions"]:
            if transition["state_name"] not in names:
                raise IllegalArgument(f"Policy contains a transition in state={state['name']} "
                                      f"pointing to a nonexistent "
                                      f"state={transition['state_name']}")
    if len(names) != len(states):
        raise IllegalArgument("Policy cannot have duplicate state names")
    if not states:
        raise IllegalArgument("Policy must contain at least one State")
    if default_state not in names:
        raise IllegalArgument("Policy must have a valid default state")
    if templates:
        check_template_patterns(templates)
    return {"policy_id": policy_id, "description": description, "last_updated_time": now_ms,
            "schema_version": schema_version, "error_notification": error_notification,
            "default_state": default_state, "states": states, "ism_template": templates}


def _action_types(policy: dict[str, Any]) -> list[str]:
    return [action_type(action) for state in policy["states"] for action in state["actions"]]


def action_type(action: dict[str, Any]) -> str:
    """The type of a stored action (its one key besides ``retry`` and ``timeout``)."""
    return next(key for key in action if key not in ("retry", "timeout"))


# --- states, actions, transitions ------------------------------------------------------------

def _state(value: Any) -> dict[str, Any]:
    raw = token_object(value, "states")
    name: str | None = None
    actions: list[dict[str, Any]] = []
    transitions: list[dict[str, Any]] = []
    for key, item in raw.items():
        if key == "name":
            name = _text(item, key)
        elif key == "actions":
            actions = [_action(action)
                       for action in _bounded(token_array(item, key), key, MAX_STATE_ITEMS)]
        elif key == "transitions":
            transitions = [_transition(t)
                           for t in _bounded(token_array(item, key), key, MAX_STATE_ITEMS)]
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in State.")
    if name is None:
        raise IllegalArgument("State name is null")
    if not name.strip():
        raise IllegalArgument("State must contain a valid name")
    has_delete = False
    for action in actions:
        if has_delete:  # an action after delete would never run
            raise IllegalArgument(f"State={name} must not contain an action after a delete "
                                  f"action")
        has_delete = action_type(action) == "delete"
    if has_delete and transitions:
        raise IllegalArgument(f"State={name} cannot contain transitions if using delete action")
    return {"name": name, "actions": actions, "transitions": transitions}


def _action(value: Any) -> dict[str, Any]:
    """``ISMActionsParser.parse``: ``timeout``, ``retry`` and one action, in the stored order
    (timeout, retry, the action)."""
    raw = token_object(value, "actions")
    timeout: str | None = None
    retry: dict[str, Any] = dict(DEFAULT_RETRY)
    found: tuple[str, dict[str, Any]] | None = None
    for key, item in raw.items():
        if key == "timeout":
            if not isinstance(item, str):
                raise IllegalArgument(f"Invalid token: [{token_name(item)}] for ActionTimeout")
            timeout = time_value(item, "timeout")
        elif key == "retry":
            retry = _retry(item)
        elif key == "custom":
            inner = token_object(item, "custom")
            if len(inner) != 1:
                raise ParsingError("Failed to parse object: expecting a single custom action")
            ((name, spec),) = inner.items()
            found = (name, _action_body(name, spec))
        else:
            found = (key, _action_body(key, item))
    if found is None:
        raise IllegalArgument("Action inside state is null")
    action: dict[str, Any] = {}
    if timeout is not None:
        action["timeout"] = timeout
    action["retry"] = retry
    action[found[0]] = found[1]
    return action


def _retry(value: Any) -> dict[str, Any]:
    raw = token_object(value, "retry")
    count: int | None = None
    backoff = "exponential"
    delay = "1m"
    for key, item in raw.items():  # ActionRetry.parse ignores other fields
        if key == "count":
            count = _long(item, key)
        elif key == "backoff":
            backoff = _text(item, key).lower()
            if backoff not in BACKOFFS:
                raise IllegalArgument(f"No enum constant org.opensearch.indexmanagement.spi."
                                      f"indexstatemanagement.model.ActionRetry.Backoff."
                                      f"{backoff.upper()}")
        elif key == "delay":
            delay = time_value(item, "delay")
    if count is None:
        raise IllegalArgument("ActionRetry count is null")
    if count < 0:
        raise IllegalArgument("Count for ActionRetry must be a non-negative number")
    return {"count": count, "backoff": backoff, "delay": delay}


def _action_body(name: str, value: Any) -> dict[str, Any]:
    spec = token_object(value, name)
    parser = _ACTION_PARSERS.get(name)
    if parser is not None:
        return parser(spec)
    if name in UNSUPPORTED_ACTIONS:
        return dict(spec)  # refused as not allowed, after every other check
    raise IllegalArgument(f"Invalid field: [{name}] found in Actions.")


def _empty(spec: dict[str, Any]) -> dict[str, Any]:
    if spec:  # DeleteActionParser & co. expect the object to end at once
        raise ParsingError("Failed to parse object: expecting token of type [END_OBJECT] but "
                           "found [FIELD_NAME]")
    return {}


def _rollover(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    copy_alias = False
    prevent_empty = False
    for key, item in spec.items():
        if key in ("min_size", "min_primary_shard_size"):
            out[key] = byte_size(item, key)
        elif key == "min_doc_count":
            out[key] = _long(item, key)
        elif key == "min_index_age":
            out[key] = time_value(item, key)
        elif key == "copy_alias":
            copy_alias = parse_bool(item, key)
        elif key == "prevent_empty_rollover":
            prevent_empty = parse_bool(item, key)
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in RolloverAction.")
    if "min_size" in out and size_bytes(out["min_size"]) <= 0:
        raise IllegalArgument("RolloverAction minSize value must be greater than 0")
    if "min_primary_shard_size" in out and size_bytes(out["min_primary_shard_size"]) <= 0:
        raise IllegalArgument("RolloverActionConfig minPrimaryShardSize value must be greater "
                              "than 0")
    if "min_doc_count" in out and out["min_doc_count"] <= 0:
        raise IllegalArgument("RolloverAction minDocs value must be greater than 0")
    ordered = {key: out[key] for key in ("min_size", "min_doc_count", "min_index_age",
                                         "min_primary_shard_size") if key in out}
    ordered["copy_alias"] = copy_alias
    if prevent_empty:
        ordered["prevent_empty_rollover"] = True
    return ordered


def _force_merge(spec: dict[str, Any]) -> dict[str, Any]:
    segments = _one_int(spec, "max_num_segments", "ForceMergeActionConfig",
                        "ForceMergeActionConfig maxNumSegments is null")
    if segments <= 0:
        raise IllegalArgument("Force merge {max_num_segments} must be greater than 0")
    return {"max_num_segments": segments}


def _index_priority(spec: dict[str, Any]) -> dict[str, Any]:
    priority = _one_int(spec, "priority", "IndexPriorityActionConfig", "priority is null")
    if priority < 0:
        raise IllegalArgument("IndexPriorityAction index_priority value must be a non-negative "
                              "number")
    return {"priority": priority}


def _one_int(spec: dict[str, Any], field: str, owner: str, missing: str) -> int:
    """The one integer option of an action (force_merge's, index_priority's)."""
    value: int | None = None
    for key, item in spec.items():
        if key != field:
            raise IllegalArgument(f"Invalid field: [{key}] found in {owner}.")
        value = _int(item, key)
    if value is None:
        raise IllegalArgument(missing)
    return value


def _snapshot(spec: dict[str, Any]) -> dict[str, Any]:
    repository = snapshot = None
    for key, item in spec.items():
        if key == "repository":
            repository = _text(item, key)
        elif key == "snapshot":
            snapshot = _text(item, key)
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in SnapshotAction.")
    if repository is None:
        raise IllegalArgument("SnapshotAction repository must be specified")
    if snapshot is None:
        raise IllegalArgument("SnapshotAction snapshot must be specified")
    return {"repository": repository, "snapshot": snapshot}


def _notification(spec: dict[str, Any]) -> dict[str, Any]:
    return _notify(spec, "NotificationAction", "Notification", "NotificationAction message "
                   "template is null")


def _error_notification(value: Any) -> dict[str, Any]:
    return _notify(token_object(value, "error_notification"), "ErrorNotification",
                   "ErrorNotification", "ErrorNotification message template is null")


def _notify(spec: dict[str, Any], owner: str, label: str, missing: str) -> dict[str, Any]:
    """A notification's (or the policy's ``error_notification``'s) destination or channel
    and its mustache ``message_template``, with OpenSearch's checks."""
    destination = channel = template = None
    for key, item in spec.items():
        if key == "destination":
            destination = None if item is None else _destination(item)
        elif key == "channel":
            channel = None if item is None else _channel(item)
        elif key == "message_template":
            template = _script(item)
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in {owner}.")
    if template is None:
        raise IllegalArgument(missing)
    if destination is None and channel is None:
        raise IllegalArgument(f"{label} must contain a destination or channel")
    if destination is not None and channel is not None:
        raise IllegalArgument(f"{label} can only contain a single destination or channel")
    if template.get("lang") != "mustache":
        raise IllegalArgument(f"{label} message template must be a mustache script")
    out: dict[str, Any] = {}
    if destination is not None:
        out["destination"] = destination
    if channel is not None:
        out["channel"] = channel
    out["message_template"] = template
    return out


def _destination(value: Any) -> dict[str, Any]:
    raw = token_object(value, "destination")
    out: dict[str, Any] = {}
    for key, item in raw.items():
        if key not in DESTINATION_TYPES:
            raise IllegalArgument(f"Invalid field: [{key}] found in Destination.")
        spec = token_object(item, key)
        if key != "custom_webhook" and not spec.get("url"):
            raise IllegalArgument("URL is null or empty")
        if key == "custom_webhook" and not (spec.get("url") or spec.get("host")):
            raise IllegalArgument("Url or Host name must be provided.")
        out[key] = dict(spec)
    if not out:
        raise IllegalArgument("Must specify a destination type")
    first = next(iter(out))
    return {first: out[first]}


def _channel(value: Any) -> dict[str, Any]:
    raw = token_object(value, "channel")
    channel_id: str | None = None
    for key, item in raw.items():
        if key != "id":
            raise IllegalArgument(f"Invalid field: [{key}] found in Channel.")
        channel_id = _text(item, key)
    if channel_id is None:
        raise IllegalArgument("Channel ID is null")
    if not channel_id:
        raise IllegalArgument("Channel ID cannot be empty")
    return {"id": channel_id}


def _script(value: Any) -> dict[str, Any]:
    """``Script.parse`` with ``mustache`` as the default language: ``"text"`` or
    ``{"source"|"id", "lang", "params", "options"}``; a stored script (``id``) has no lang."""
    if isinstance(value, str):
        return {"source": value, "lang": "mustache"}
    raw = token_object(value, "message_template")
    out: dict[str, Any] = {}
    lang: str | None = None
    for key, item in raw.items():
        if key in ("source", "inline"):
            out["source"] = _text(item, key)
        elif key == "id":
            out["id"] = _text(item, key)
        elif key == "lang":
            lang = _text(item, key)
        elif key in ("params", "options"):
            out[key] = dict(token_object(item, key))
        else:
            raise ParsingError(f"unexpected field [{key}]")
    if "source" not in out and "id" not in out:
        raise IllegalArgument("must specify either [source] for an inline script or [id] for a "
                              "stored script")
    if "source" in out:
        out["lang"] = lang or "mustache"
    elif lang is not None:
        raise IllegalArgument("illegal to specify [lang] for a stored script")
    ordered = {key: out[key] for key in ("source", "id", "lang", "options") if key in out}
    if out.get("params"):
        ordered["params"] = out["params"]
    return ordered


_ACTION_PARSERS = {
    "rollover": _rollover, "warm_migration": _empty,
    "read_only": _empty, "read_write": _empty,
    "force_merge": _force_merge, "index_priority": _index_priority,
    "delete": _empty, "snapshot": _snapshot, "notification": _notification,
}


def _transition(value: Any) -> dict[str, Any]:
    raw = token_object(value, "transitions")
    name: str | None = None
    conditions: dict[str, Any] | None = None
    for key, item in raw.items():
        if key == "state_name":
            name = _text(item, key)
        elif key == "conditions":
            conditions = _conditions(item)
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in Transition.")
    if name is None:
        raise IllegalArgument("Transition state name is null")
    out: dict[str, Any] = {"state_name": name}
    if conditions is not None:
        out["conditions"] = conditions
    return out


def _conditions(value: Any) -> dict[str, Any]:
    """``Conditions.parse``: at most one of min_index_age, min_doc_count, min_size, cron,
    min_rollover_age, no_alias, min_state_age."""
    raw = token_object(value, "conditions")
    out: dict[str, Any] = {}
    for key, item in raw.items():
        if key in ("min_index_age", "min_rollover_age", "min_state_age"):
            out[key] = time_value(item, key)
        elif key == "min_doc_count":
            out[key] = _long(item, key)
        elif key == "min_size":
            out[key] = byte_size(item, key)
        elif key == "cron":
            cron = _cron(item)
            if cron is not None:
                out[key] = cron
        elif key == "no_alias":
            out[key] = parse_bool(item, key)
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in Conditions.")
    if len(out) > 1:
        raise IllegalArgument("Cannot provide more than one Transition condition")
    if "min_doc_count" in out and out["min_doc_count"] <= 0:
        raise IllegalArgument("Transition doc count condition must be greater than 0")
    if "min_size" in out and size_bytes(out["min_size"]) <= 0:
        raise IllegalArgument("Transition size condition must be greater than 0")
    order = ("min_index_age", "min_doc_count", "min_size", "cron", "min_rollover_age",
             "no_alias", "min_state_age")
    return {key: out[key] for key in order if key in out}


def _cron(value: Any) -> dict[str, Any] | None:
    """The job scheduler's ``ScheduleParser`` (the one monitors use); a ``period`` schedule is
    read and dropped, as ISM keeps only a ``CronSchedule``."""
    from loghaven.alerting.monitors import parse_schedule
    try:
        schedule = parse_schedule(value)
    except LoghavenError as exc:
        raise IllegalArgument(exc.reason) from exc
    return schedule if "cron" in schedule else None


# --- ISM templates ---------------------------------------------------------------------------

def _ism_template(value: Any, now_ms: int) -> dict[str, Any]:
    raw = token_object(value, "ism_template")
    patterns: list[str] = []
    priority = 0
    updated: int | None = None
    for key, item in raw.items():
        if key == "index_patterns":
            patterns = [_pattern(p) for p in _bounded(token_array(item, key), key,
                                                      MAX_TEMPLATE_PATTERNS)]
        elif key == "priority":
            priority = 0 if item is None else _int(item, key)
        elif key == "last_updated_time":
            updated = _epoch(item, key)
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in ISMTemplate.")
    if priority < 0:
        raise IllegalArgument("Requires priority to be >= 0")
    if not patterns:
        raise IllegalArgument("Requires at least one index pattern")
    return {"index_patterns": patterns, "priority": priority,
            "last_updated_time": now_ms if updated is None else updated}


def _pattern(value: Any) -> str:
    pattern = _text(value, "index_patterns")
    if len(pattern.encode()) > MAX_PATTERN_BYTES:
        raise IllegalArgument(f"index_pattern [{pattern[:50]}...] is longer than "
                              f"{MAX_PATTERN_BYTES} bytes")
    return pattern


def _bounded(items: list[Any], key: str, limit: int) -> list[Any]:
    """``items``, refused with a 400 when there are more than ``limit``."""
    if len(items) > limit:
        raise IllegalArgument(f"[{key}] may hold at most {limit} entries, found {len(items)}")
    return items


def check_template_patterns(templates: list[dict[str, Any]]) -> None:
    """``validateFormat`` of every template's patterns: OpenSearch's ValidationException
    (``Validation Failed: 1: ...;``), a 400 ``index_management_exception``."""
    errors: list[str] = []
    patterns = [p for t in templates for p in t["index_patterns"]]
    inclusion = False
    for pattern in patterns:
        exclusion = pattern.startswith("-")
        inclusion = inclusion or not exclusion
        bare = pattern[1:] if exclusion else pattern
        if exclusion and not bare:
            errors.append(f"index_pattern [{pattern}] must have content after '-' exclusion "
                          f"prefix")
        if "#" in bare:
            errors.append(f"index_pattern [{pattern}] must not contain a '#'")
        if ":" in bare:
            errors.append(f"index_pattern [{pattern}] must not contain a ':'")
        if bare.startswith("_"):
            errors.append(f"index_pattern [{pattern}] must not start with '_'")
        if any(char in bare for char in INVALID_PATTERN_CHARS):
            errors.append(f"index_pattern [{pattern}] must not contain the following characters "
                          f"[{', '.join(INVALID_PATTERN_CHARS)}]")
    if not inclusion:
        errors.append("index_patterns must contain at least one inclusion pattern (patterns "
                      "cannot be all exclusions)")
    if errors:
        raise IndexManagementError("Validation Failed: " + "".join(
            f"{n}: {error};" for n, error in enumerate(errors, 1)))


class IndexManagementError(LoghavenError):
    """``IndexManagementException.wrap`` of an IllegalArgument or ValidationException."""

    type = "index_management_exception"
    status = 400


def safe_to_change(current: dict[str, Any], state: str | None, new: dict[str, Any],
                   target: str | None) -> bool:
    """``Policy.isSafeToChange``: before initialization (no ``state``); else only without a
    target state and when the current state has the same actions, in order, in both
    policies."""
    if state is None:
        return True
    if target:
        return False
    old = next((s for s in current.get("states", []) if s["name"] == state), None)
    fresh = next((s for s in new.get("states", []) if s["name"] == state), None)
    if old is None or fresh is None:
        return False
    return [action_type(a) for a in old["actions"]] == [action_type(a) for a in fresh["actions"]]


def template_matches(patterns: list[str], index: str) -> bool:
    """An index matches a template when an inclusion pattern matches it and no ``-``
    exclusion pattern does."""
    included = [p for p in patterns if not p.startswith("-")]
    excluded = [p[1:] for p in patterns if p.startswith("-")]
    return any(fnmatch.fnmatchcase(index, p) for p in included) \
        and not any(fnmatch.fnmatchcase(index, p) for p in excluded)


def patterns_overlap(first: list[str], second: list[str]) -> bool:
    """Whether some name could match both pattern lists (``Regex.simpleMatchToAutomaton``
    intersection, by :func:`_glob_intersect` on each pair of ``*`` patterns)."""
    return any(_glob_intersect(a, b) for a in first for b in second)


def _glob_intersect(a: str, b: str) -> bool:
    """Whether two ``*`` wildcard patterns share a match: the product automaton walked row
    by row over ``a``, the positions reached in ``b`` one bit each (``len(a)`` big-integer
    steps, where a walk of each state pair took 21 s for two 2000-character patterns)."""
    m = len(b)
    stars = sum(1 << j for j, char in enumerate(b) if char == "*")
    chars: dict[str, int] = {}
    for j, char in enumerate(b):
        if char != "*":
            chars[char] = chars.get(char, 0) | 1 << j
    full = (1 << (m + 1)) - 1

    def close(reached: int, star_in_a: bool) -> int:
        """Moves along ``b`` without consuming ``a``: anywhere after a star of ``a``,
        across each star of ``b``."""
        if star_in_a:
            return full & ~((reached & -reached) - 1) if reached else 0
        while True:
            more = reached | ((reached & stars) << 1)
            if more == reached:
                return reached
            reached = more

    reached = 1
    for char in a:
        reached = close(reached, char == "*")
        reached = reached if char == "*" else \
            (reached & stars) | ((reached & chars.get(char, 0)) << 1)
    return bool(close(reached, False) >> m & 1)


# --- values ----------------------------------------------------------------------------------

_TIME_UNITS = (("nanos", "nanos"), ("micros", "micros"), ("ms", "ms"), ("s", "s"), ("m", "m"),
               ("h", "h"), ("d", "d"))


def time_value(value: Any, name: str) -> str:
    """``TimeValue.parseTimeValue``'s checks, kept as its ``stringRep`` (``5M`` → ``5m``)."""
    text = _text(value, name)
    try:
        parse_duration_ms(text, name)
    except ValueError as exc:
        raise ParseFailure(str(exc) if "setting" in str(exc) else
                           f"failed to parse setting [{name}] with value [{text}] as a time "
                           f"value: unit is missing or unrecognized") from exc
    normalized = text.strip().lower()
    if normalized in ("0", "-1"):
        return normalized
    for suffix, rep in _TIME_UNITS:
        if normalized.endswith(suffix):
            return f"{int(normalized[:-len(suffix)])}{rep}"
    return normalized


_SIZE = re.compile(r"([+-]?\d+)\s*(b|kb|k|mb|m|gb|g|tb|t|pb|p)?")
_SIZE_SUFFIX = {"k": "kb", "m": "mb", "g": "gb", "t": "tb", "p": "pb"}


def byte_size(value: Any, name: str) -> str:
    """``ByteSizeValue.parseBytesSizeValue``'s checks, kept as its ``stringRep`` (``10g`` →
    ``10gb``; a fraction in bytes, ``1.5gb`` → ``1610612736b``)."""
    text = _text(value, name)
    size = parse_byte_size(text, name)
    whole = _SIZE.fullmatch(text.strip().lower())
    if whole is None:
        return f"{size}b"
    number, unit = whole.groups()
    if unit is None:
        return str(int(number))
    return f"{int(number)}{_SIZE_SUFFIX.get(unit, unit)}"


def size_bytes(rep: str) -> int:
    return parse_byte_size(rep, "size")


def _text(value: Any, name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise ParsingError(f"Failed to parse object: [{name}] expects a string, found "
                           f"[{token_name(value)}]")
    return value


def _long(value: Any, name: str, bits: int = 64) -> int:
    """Jackson's ``longValue``/``intValue`` with OpenSearch's coercion of numeric strings."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise ParsingError(f"Failed to parse object: [{name}] expects a number, found "
                           f"[{token_name(value)}]")
    try:
        number = int(float(value)) if isinstance(value, float) or (
            isinstance(value, str) and "." in value) else int(value)
    except ValueError as exc:
        raise LoghavenError(f'For input string: "{value}"', status=400,
                            type="number_format_exception") from exc
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise IllegalArgument(f"Numeric value ({value}) out of range of "
                              f"{'long' if bits == 64 else 'int'}")
    return number


def _int(value: Any, name: str) -> int:
    return _long(value, name, bits=32)


def _epoch(value: Any, name: str) -> int:
    """``xcp.instant()``: epoch millis (a number or a numeric string)."""
    return _long(value, name)
