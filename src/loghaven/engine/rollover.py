"""ES's rollover: a new write index for an alias (or a data-stream-less alias with one index)
when conditions hold, used by ``POST /<alias>/_rollover`` and the ISM rollover action."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog


def rollover(catalog: Catalog, target: str, body: dict[str, Any] | None, *,
             new_index: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Roll ``target`` (an alias with a write index, ``is_write_index``, or one index) over to
    ``new_index`` (default: the old name's ``-000001`` counter plus one, date math kept) when
    any of ``body["conditions"]`` holds (``max_age``, ``max_docs``, ``max_size``,
    ``max_primary_shard_size``, ``max_primary_shard_docs``) or there are none; the new
    index takes ``body``'s settings, mappings and aliases and the matching templates. ES's
    response: ``acknowledged``, ``shards_acknowledged``, ``old_index``, ``new_index``,
    ``rolled_over``, ``dry_run``, ``conditions`` (each condition's result)."""
    raise NotImplementedError("CONTRACT: issue 19, helper engine-ops")
