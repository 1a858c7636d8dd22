"""Index settings: kept flat as ES normalises them (``index.refresh_interval``), shown nested."""

from __future__ import annotations

from typing import Any

from loghaven.engine.analysis import IndexAnalysis
from loghaven.engine.dates import parse_duration_ms
from loghaven.engine.mapping import MappingLimits
from loghaven.errors import IllegalArgument, ParseFailure
from loghaven.params import parse_byte_size, parse_int_setting

DEFAULTS = {
    "index.number_of_shards": "1",
    "index.number_of_replicas": "1",
    "index.refresh_interval": "1s",
    "index.translog.durability": "request",
    "index.max_result_window": "10000",
}
#: Settings accepted and stored; ES has hundreds, these are the ones log users set.
KNOWN_PREFIXES = (
    "index.number_of_shards", "index.number_of_replicas", "index.refresh_interval",
    "index.translog.", "index.max_result_window", "index.codec", "index.mapping.",
    "index.blocks.", "index.lifecycle.", "index.plugins.", "index.opendistro.", "index.routing.",
    "index.auto_expand_replicas", "index.max_", "index.analysis.", "index.query.",
    "index.search.", "index.hidden", "index.priority", "index.sort.", "index.knn",
    "index.store.", "index.merge.", "index.provided_name", "index.creation_date", "index.uuid",
    "index.version.", "index.format", "index.default_pipeline", "index.final_pipeline",
    "index.write.", "index.ultrawarm.", "index.indexing.slowlog.",
)
PRIVATE = ("index.creation_date", "index.uuid", "index.version.created", "index.provided_name")
#: Per-index cost limits ES has and Loghaven applies: setting → (ES default, minimum value).
LIMITS = {
    "index.mapping.total_fields.limit": (1000, 0),
    "index.mapping.depth.limit": (20, 1),
    "index.mapping.field_name_length.limit": (2**63 - 1, 1),
    "index.max_terms_count": (65_536, 1),
    "index.mapping.nested_fields.limit": (50, 0),
    "index.mapping.nested_objects.limit": (10_000, 0),
}
#: Other typed settings, checked as ES's ``Setting`` parsers check them on create and on
#: update (:data:`LIMITS` are checked beside them): integers with their lower bound, booleans,
#: time values, enumerations.
INTEGER_SETTINGS = {
    "index.number_of_shards": 1, "index.number_of_replicas": 0, "index.max_result_window": 1,
    "index.max_inner_result_window": 1,
    "index.max_docvalue_fields_search": 0, "index.max_script_fields": 0,
    "index.max_ngram_diff": 0, "index.max_shingle_diff": 0, "index.max_rescore_window": 1,
    "index.max_regex_length": 1, "index.max_refresh_listeners": 0,
    "index.max_slices_per_scroll": 1, "index.max_adjacency_matrix_filters": 1,
    "index.priority": 0,
    "index.routing_partition_size": 1,
}
BOOLEAN_SETTINGS = (
    "index.hidden", "index.blocks.read_only", "index.blocks.read_only_allow_delete",
    "index.blocks.read", "index.blocks.write", "index.blocks.metadata",
    "index.mapping.ignore_malformed", "index.mapping.coerce", "index.knn",
    "index.query.parse.allow_unmapped_fields",
)
TIME_SETTINGS = (
    "index.refresh_interval", "index.search.idle.after", "index.translog.sync_interval",
    "index.gc_deletes", "index.unassigned.node_left.delayed_timeout",
    "index.translog.retention.age",
)
ENUM_SETTINGS = {"index.translog.durability": ("request", "async")}
#: Byte sizes, with their lower bound (OpenSearch's: an empty translog is 55 bytes).
FLUSH_THRESHOLD = "index.translog.flush_threshold_size"
BYTE_SETTINGS = {FLUSH_THRESHOLD: 56}
#: :data:`FLUSH_THRESHOLD`'s default: a search-idle index commits once its log holds this
#: much (catalog.py).
FLUSH_THRESHOLD_BYTES = 512 * 1024 * 1024
#: OpenSearch's slow log settings (ops/logs/slowlog.py reads them): the thresholds of each
#: phase and level (time values, ``-1`` off, the default), the lowest level written, and for
#: indexing how much of the source is logged and whether it is put on one line.
SLOWLOG_LEVELS = ("warn", "info", "debug", "trace")
SLOWLOG_THRESHOLDS = tuple(
    f"index.{kind}.slowlog.threshold.{phase}.{level}"
    for kind, phase in (("search", "query"), ("search", "fetch"), ("indexing", "index"))
    for level in SLOWLOG_LEVELS)
SLOWLOG_SETTINGS = (*SLOWLOG_THRESHOLDS, "index.search.slowlog.level",
                    "index.indexing.slowlog.level", "index.indexing.slowlog.source",
                    "index.indexing.slowlog.reformat")
#: The index settings of OpenSearch's Index State Management, under its two prefixes: the
#: rollover action's alias and skip flag, whether ``ism_template`` may attach a policy
#: (``auto_manage``, false once a policy is removed), and the deprecated ``policy_id``.
ISM_PREFIXES = ("index.plugins.index_state_management.",
                "index.opendistro.index_state_management.")
ISM_SETTINGS = ("rollover_alias", "rollover_skip", "auto_manage", "policy_id")
BOOLEAN_SETTINGS += tuple(prefix + name for prefix in ISM_PREFIXES
                          for name in ("rollover_skip", "auto_manage"))


def check_value(key: str, value: str) -> None:
    """Refuse a value ES could not parse for a typed setting, with ES's message."""
    if key.startswith(ISM_PREFIXES) and key.split(".", 3)[3] not in ISM_SETTINGS:
        raise unknown_setting(key)
    if key.startswith(("index.search.slowlog.", "index.indexing.slowlog.")):
        _check_slowlog(key, value)
    elif key in INTEGER_SETTINGS:
        if parse_int_setting(key, value, INTEGER_SETTINGS[key]) >= 2**31:
            raise IllegalArgument(f"Failed to parse value [{value}] for setting [{key}]")
    elif key in BOOLEAN_SETTINGS:
        if value not in ("true", "false"):
            raise IllegalArgument(f"Failed to parse value [{value}] as only [true] or [false] "
                                  f"are allowed.")
    elif key in TIME_SETTINGS:
        try:
            if value != "-1":
                parse_duration_ms(value, key)
        except ValueError as exc:
            raise IllegalArgument(
                f"failed to parse setting [{key}] with value [{value}] as a time value: unit "
                f"is missing or unrecognized") from exc
    elif key in BYTE_SETTINGS:
        try:
            size = parse_byte_size(value, key)
        except ParseFailure as exc:  # ES's Setting.get turns it into an illegal argument
            raise IllegalArgument(exc.reason) from exc
        if size < BYTE_SETTINGS[key]:
            raise IllegalArgument(f"failed to parse value [{value}] for setting [{key}], must "
                                  f"be >= [{BYTE_SETTINGS[key]}b]")
    elif key in ENUM_SETTINGS and value.lower() not in ENUM_SETTINGS[key]:
        raise IllegalArgument(f"failed to parse value [{value}] for setting [{key}]")


def _check_slowlog(key: str, value: str) -> None:
    """A slow log setting's value, refused with the messages of OpenSearch's parsers."""
    if key not in SLOWLOG_SETTINGS:
        raise unknown_setting(key)
    if key in SLOWLOG_THRESHOLDS:
        slowlog_threshold_ms(key, value)
    elif key.endswith(".level"):
        if value.lower() not in SLOWLOG_LEVELS:
            raise IllegalArgument(f"No enum constant org.opensearch.index.SlowLogLevel."
                                  f"{value.upper()}")
    elif key == "index.indexing.slowlog.source":
        slowlog_source_chars(value)
    elif value not in ("true", "false"):
        raise IllegalArgument(f"Failed to parse value [{value}] as only [true] or [false] are "
                              f"allowed.")


def slowlog_threshold_ms(key: str, value: str) -> float:
    """A slow log threshold in milliseconds (``-1``: off), as OpenSearch's time setting with
    its minimum of ``-1`` parses it."""
    text = value.strip().lower()
    if text == "-1":
        return -1
    for unit, per_ms in (("nanos", 1e6), ("micros", 1e3)):  # kept below a millisecond
        if text.endswith(unit) and text[:-len(unit)].strip().isdigit():
            return int(text[:-len(unit)]) / per_ms
    try:
        return parse_duration_ms(value, key)
    except ValueError as exc:
        if value.strip().startswith("-"):
            raise IllegalArgument(f"failed to parse value [{value}] for setting [{key}], must "
                                  f"be >= [-1]") from exc
        raise IllegalArgument(
            f"failed to parse setting [{key}] with value [{value}] as a time value: unit is "
            f"missing or unrecognized") from exc


def slowlog_source_chars(value: str) -> int:
    """``index.indexing.slowlog.source``: how many characters of a source are logged (an
    integer; ``true``: all of it, ``false``: none), parsed as OpenSearch does."""
    try:
        return max(int(value.strip(), 10), 0)
    except ValueError:
        pass
    if value == "true":
        return 2**31 - 1
    if value == "false":
        return 0
    raise IllegalArgument(f"Failed to parse value [{value}] as only [true] or [false] are "
                          f"allowed.")


def unknown_setting(key: str) -> IllegalArgument:
    return IllegalArgument(f"unknown setting [{key}] please check that any required plugins are "
                           f"installed, or check the breaking changes documentation for removed "
                           f"settings")


#: Settings whose list values are kept as lists (ES keeps arrays; a synonym rule or a char
#: mapping may itself contain commas, so they cannot be joined).
LIST_PREFIXES = ("index.analysis.",)
#: Settings fixed while the index is open (ES's non-dynamic index settings we hold).
STATIC_PREFIXES = ("index.analysis.",)


def flatten(body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"index": {"refresh_interval": "5s"}}`` or ``{"refresh_interval": "5s"}`` → flat keys."""
    flat: dict[str, Any] = {}
    for key, value in body.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, full + "."))
        else:
            if not full.startswith("index."):
                full = "index." + full
            if isinstance(value, list) and full.startswith(LIST_PREFIXES):
                flat[full] = [_as_string(v) for v in value]
            else:
                flat[full] = _as_string(value)
    return flat


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_string(v) for v in value)
    return "" if value is None else str(value)


def nest(flat: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted(flat.items()):
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return out


class IndexSettings:
    """Validated settings of one index: ``user`` as set (and persisted), ``flat`` with defaults."""

    def __init__(self, user: dict[str, str]) -> None:
        for key in user:
            if not key.startswith(KNOWN_PREFIXES):
                raise unknown_setting(key)
            check_value(key, user[key])
        self.user = dict(user)
        self.flat = {**DEFAULTS, **user}
        #: ES skips scheduled refreshes of search-idle shards unless the interval was set.
        self.refresh_explicit = "index.refresh_interval" in user
        #: The values of :data:`LIMITS`, validated (``limit("index.max_terms_count")``).
        self.limits = {key: parse_int_setting(key, self.flat[key], minimum) if key in self.flat
                       else default for key, (default, minimum) in LIMITS.items()}
        self.search_idle_after_ms = parse_duration_ms(
            self.flat.get("index.search.idle.after", "30s"))
        self.durability = self.flat["index.translog.durability"].lower()
        threshold = self.flat.get(FLUSH_THRESHOLD)
        self.flush_threshold_bytes = (FLUSH_THRESHOLD_BYTES if threshold is None
                                      else parse_byte_size(threshold, FLUSH_THRESHOLD))
        interval = self.flat["index.refresh_interval"]
        self.refresh_interval_ms = -1 if interval == "-1" else parse_duration_ms(interval)
        self.max_result_window = int(self.flat["index.max_result_window"])
        #: ``index.analysis.*`` parsed and checked (IllegalArgument for a bad definition).
        self.analysis = IndexAnalysis(self.flat)

    def limit(self, key: str) -> int:
        return self.limits[key]

    def mapping_limits(self) -> MappingLimits:
        return MappingLimits(self.limits["index.mapping.total_fields.limit"],
                             self.limits["index.mapping.depth.limit"],
                             self.limits["index.mapping.field_name_length.limit"],
                             self.limits["index.mapping.nested_fields.limit"])

    def updated(self, changes: dict[str, str]) -> IndexSettings:
        for key in changes:
            if key == "index.number_of_shards":
                raise IllegalArgument("final index setting [index.number_of_shards], not "
                                      "updateable")
        merged = dict(self.user)
        for key, value in changes.items():
            if value == "":
                merged.pop(key, None)
            else:
                merged[key] = value
        return IndexSettings(merged)

    def set(self, key: str, value: str) -> None:
        """Record a setting the node assigns (uuid, creation date, ...)."""
        self.user[key] = value
        self.flat[key] = value

    def to_es(self, include_defaults: bool = False) -> dict[str, Any]:
        return nest(self.flat)
