"""The SQL plugin's settings: node defaults (``loghaven.yml``), then the dynamic cluster
settings of the same names (``PUT _cluster/settings`` or ``_plugins/_query/settings``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loghaven.config import Config
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.errors import IllegalArgument
from loghaven.params import parse_int_setting

ENABLED = "plugins.sql.enabled"
PPL_ENABLED = "plugins.ppl.enabled"
SIZE_LIMIT = "plugins.query.size_limit"
CURSOR_KEEP_ALIVE = "plugins.sql.cursor.keep_alive"


@dataclass
class SqlSettings:
    sql_enabled: bool
    ppl_enabled: bool
    #: The most rows a query may pull from the indices (refused above, never truncated).
    size_limit: int
    #: How long an idle cursor stays open.
    cursor_keep_alive_ms: int

    @classmethod
    def of(cls, config: Config) -> SqlSettings:
        return cls(config.sql_enabled, config.ppl_enabled,
                   parse_int_setting(SIZE_LIMIT, config.sql_size_limit, 1),
                   parse_duration_ms(config.sql_cursor_keep_alive, CURSOR_KEEP_ALIVE))

    def follow(self, defaults: SqlSettings) -> Any:
        """A cluster-settings consumer (Catalog.add_settings_consumer) that sets these
        settings from the effective cluster settings over ``defaults``; a bad value is
        refused before anything changes."""
        def apply(flat: Mapping[str, Any]) -> None:
            values = SqlSettings(
                _bool(flat, ENABLED, defaults.sql_enabled),
                _bool(flat, PPL_ENABLED, defaults.ppl_enabled),
                parse_int_setting(SIZE_LIMIT, flat[SIZE_LIMIT], 1) if SIZE_LIMIT in flat
                else defaults.size_limit,
                parse_duration_ms(flat[CURSOR_KEEP_ALIVE], CURSOR_KEEP_ALIVE)
                if CURSOR_KEEP_ALIVE in flat else defaults.cursor_keep_alive_ms)
            self.__dict__.update(values.__dict__)
        return apply


def _bool(flat: Mapping[str, Any], key: str, default: bool) -> bool:
    if key not in flat:
        return default
    value = str(flat[key]).lower()
    if value not in ("true", "false"):
        raise IllegalArgument(f"Failed to parse value [{flat[key]}] as only [true] or "
                              f"[false] are allowed.")
    return value == "true"
