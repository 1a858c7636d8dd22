"""ISM policies as OpenSearch's Index Management plugin parses them: the body's checks and
messages, its defaults (``retry``, ``schema_version``, ``last_updated_time``, ISM templates'
``last_updated_time``), and what GET answers."""

from __future__ import annotations

from typing import Any

#: The actions a policy's state may hold (OpenSearch's names).
ACTIONS = ("rollover", "warm_migration", "read_only", "read_write", "force_merge",
           "index_priority", "delete", "snapshot", "notification")


def parse_policy(policy_id: str, body: dict[str, Any], *, now_ms: int) -> dict[str, Any]:
    """The stored form of ``PUT _plugins/_ism/policies/<policy_id>``'s body (its ``policy``
    object, normalized with OpenSearch's defaults); LoghavenError (400, OpenSearch's type
    and reason) for anything OpenSearch refuses: unknown fields or actions, a
    ``default_state`` or transition naming no state, bad time values and sizes, ..."""
    raise NotImplementedError("CONTRACT: issue 19, helper ism-api")
