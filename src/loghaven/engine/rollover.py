"""ES's rollover: a new write index for an alias when conditions hold, used by
``POST /<alias>/_rollover`` and the ISM rollover action.

As OpenSearch's ``MetadataRolloverService``: the target must be an alias with a write index
(its ``is_write_index`` member, or its only member); the new index is the one named, or the
old index's *provided* name (``<logs-{now/d}-000001>``: date math kept) with its
``-NNNNNN`` counter plus one, resolved now; it is created with the request's settings,
mappings and aliases over the matching templates, then the alias moves to it in one alias
update: an explicit write index is flipped (``is_write_index`` true on the new, false on the
old one), an implicit one is moved (added to the new, removed from the old). Both go to the
metastore in one write (``Catalog.one_write``), as ES's one cluster-state update: a crash
never leaves the new index without the alias, which would fail every later rollover.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loghaven.engine import aliases, templates
from loghaven.engine.blocks import metadata_block
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.engine.documents_state import now_ms
from loghaven.engine.names import resolve_date_math
from loghaven.errors import IllegalArgument, LoghavenError, ResourceAlreadyExists, XContentParse
from loghaven.params import expect_object, parse_byte_size, parse_int, token_name
from loghaven.security import access, context
from loghaven.security.subject import INTERNAL

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog
    from loghaven.engine.index import Index

#: OpenSearch's action, checked on the rollover target.
ROLLOVER = "indices:admin/rollover"
#: What an old index's name must look like when no new name is given.
_COUNTED = re.compile(r"^.*-\d+$")
#: The fields of a rollover body (the create-index request's, and the conditions).
_FIELDS = ("conditions", "settings", "mappings", "aliases")
#: Test-only: with ``LOGHAVEN_TEST_ROLLOVER_PAUSE=1`` a rollover waits (at most
#: :data:`PAUSE_LIMIT_SECONDS`) between creating the new index and moving the alias, so that
#: a test can kill -9 the server there; never set it in production.
PAUSE_ENV = "LOGHAVEN_TEST_ROLLOVER_PAUSE"
PAUSE_LIMIT_SECONDS = 600.0
log = logging.getLogger("loghaven.engine")


@dataclass(frozen=True)
class Condition:
    """One rollover condition: ES's name, the value as given, and its bound."""

    name: str
    text: str
    bound: int

    def __str__(self) -> str:  # ES's Condition.toString, the key of the response's results
        return f"[{self.name}: {self.text}]"

    def met(self, index: Index) -> bool:
        measure = _MEASURES[self.name]
        return measure(index) >= self.bound


def _age_ms(index: Index) -> int:
    created = int(index.settings.flat.get("index.creation_date", now_ms()))
    return now_ms() - created


#: Each condition's measure of the old index (one primary shard: the index is the shard).
_MEASURES: dict[str, Callable[[Index], int]] = {
    "max_age": _age_ms,
    "max_docs": lambda index: index.doc_count(),
    "max_size": lambda index: index.size_bytes(),
    "max_primary_shard_size": lambda index: index.size_bytes(),
    "max_primary_shard_docs": lambda index: index.doc_count(),
}


def rollover(catalog: Catalog, target: str, body: dict[str, Any] | None, *,
             new_index: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Roll ``target`` (an alias with a write index, ``is_write_index``, or one index) over to
    ``new_index`` (default: the old name's ``-000001`` counter plus one, date math kept) when
    any of ``body["conditions"]`` holds (``max_age``, ``max_docs``, ``max_size``,
    ``max_primary_shard_size``, ``max_primary_shard_docs``) or there are none; the new
    index takes ``body``'s settings, mappings and aliases and the matching templates. ES's
    response: ``acknowledged``, ``shards_acknowledged``, ``old_index``, ``new_index``,
    ``rolled_over``, ``dry_run``, ``conditions`` (each condition's result)."""
    conditions, create = parse_body(body)
    access.check(target, ROLLOVER)
    old, unresolved, name = _plan(catalog, target, new_index)
    if conditions:
        old.try_refresh()  # the documents written so far count, as ES's doc stats
    results = {str(condition): condition.met(old) for condition in conditions}
    rolled = not dry_run and (not conditions or any(results.values()))
    if rolled:
        with catalog.one_write():  # the new index and the alias's move: both or neither
            again, unresolved, name = _plan(catalog, target, new_index)
            if again is not old:
                raise LoghavenError(f"Concurrent modification of alias [{target}] during "
                                    f"rollover")
            explicit = catalog.aliases[old.name][target].get("is_write_index") is True
            hidden = catalog.aliases[old.name][target].get("is_hidden")
            with context.acting(INTERNAL, ROLLOVER):  # the caller's grant was checked above
                created = catalog.create_index(unresolved, create)
                try:
                    _pause()
                    aliases.update(catalog, _switch(target, old.name, name, explicit, hidden))
                except Exception:
                    catalog.delete_index(created)
                    raise
    return {"acknowledged": rolled, "shards_acknowledged": rolled, "old_index": old.name,
            "new_index": name, "rolled_over": rolled, "dry_run": dry_run,
            "conditions": results}


def _pause() -> None:
    """Test-only (:data:`PAUSE_ENV`): wait between the rollover's two steps, holding the
    catalog's lock, until the server is killed (or the limit passes)."""
    if os.environ.get(PAUSE_ENV) != "1":
        return
    log.warning("rollover paused before moving the alias (%s)", PAUSE_ENV)
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.1)


def parse_body(body: dict[str, Any] | None) -> tuple[list[Condition], dict[str, Any]]:
    """The conditions, and the create-index body of the new index (settings, mappings,
    aliases), refused with OpenSearch's parse errors."""
    body = body or {}
    for key, value in body.items():
        if key not in _FIELDS:
            raise XContentParse(f"[rollover] unknown field [{key}]")
        if value is not None:
            expect_object(value, key, "rollover")
    conditions = [_condition(name, value)
                  for name, value in (body.get("conditions") or {}).items()]
    create = {key: body[key] for key in ("settings", "mappings", "aliases") if body.get(key)}
    return conditions, create


def _condition(name: str, value: Any) -> Condition:
    if name not in _MEASURES:
        raise XContentParse(f"[conditions] unknown field [{name}]")
    try:
        if name == "max_age":
            text = _string(name, value)
            millis = parse_duration_ms(text, name)
            return Condition(name, _human_time(millis), millis)
        if name in ("max_size", "max_primary_shard_size"):
            size = parse_byte_size(_string(name, value), name)
            return Condition(name, _human_bytes(size), size)
        count = parse_int(value, name)
    except (ValueError, LoghavenError) as exc:
        cause = exc.to_cause() if isinstance(exc, LoghavenError) \
            else {"type": "parse_exception", "reason": str(exc)}
        raise XContentParse(f"[conditions] failed to parse field [{name}]",
                            caused_by=cause) from exc
    return Condition(name, str(count), count)


def _string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise XContentParse(f"[conditions] {name} doesn't support values of type: "
                            f"{token_name(value)}")
    return value


def _plan(catalog: Catalog, target: str, new_index: str | None) -> tuple[Index, str, str]:
    """The write index behind ``target``, the new index's name as given (date math kept:
    its ``index.provided_name``) and resolved, validated as OpenSearch's rollover does."""
    members = {name: props[target] for name, props in catalog.aliases.items()
               if target in props and name in catalog.indices}
    if not members:
        if target in catalog.indices:
            raise IllegalArgument("rollover target is a [concrete index] but one of "
                                  "[alias,data_stream] was expected")
        raise IllegalArgument(f"rollover target [{target}] does not exist")
    writers = [name for name, props in members.items() if props.get("is_write_index") is True]
    if not writers and len(members) == 1 \
            and next(iter(members.values())).get("is_write_index") is not False:
        writers = list(members)
    if len(writers) != 1:
        raise IllegalArgument(f"rollover target [{target}] does not point to a write index")
    old = catalog.indices[writers[0]]
    block = metadata_block(old.name, old.settings.flat)  # the write index's only: ISM makes
    if block is not None:  # the indices it rolled over read-only, and rolls over again
        raise block
    unresolved = new_index or next_name(
        str(old.settings.flat.get("index.provided_name") or old.name))
    name = resolve_date_math(unresolved)
    existing = catalog.indices.get(name)
    if existing is not None:
        raise ResourceAlreadyExists(f"index [{name}/{existing.uuid}] already exists",
                                    index=name, index_uuid=existing.uuid)
    _check_templates(catalog, name, target)
    return old, unresolved, name


def next_name(provided: str) -> str:
    """The old index's provided name with its counter plus one, zero-padded to six digits
    (``logs-000001`` → ``logs-000002``, ``<logs-{now/d}-1>`` → ``<logs-{now/d}-000002>``)."""
    resolved = resolve_date_math(provided)
    date_math = resolved != provided
    if not _COUNTED.match(resolved):
        raise IllegalArgument(f"index name [{provided}] does not match pattern '^.*-\\d+$'")
    cut = provided.rindex("-")
    digits = provided[cut + 1:-1] if date_math else provided[cut + 1:]
    try:
        counter = int(digits)
    except ValueError:
        raise IllegalArgument(f"index name [{provided}] does not match pattern "
                              f"'^.*-\\d+$'") from None
    return f"{provided[:cut]}-{counter + 1:06d}" + (">" if date_math else "")


def _check_templates(catalog: Catalog, name: str, alias: str) -> None:
    """A template that would add the rollover alias to the new index makes the alias point
    to several indices without a write index: refused before anything is created."""
    layers = [(template_name, template.get("aliases") or {})
              for template_name, template in templates.matching_legacy(catalog.metastore, name)]
    composable = templates.matching_composable(catalog.metastore, name)
    if composable is not None:
        template_name, template = composable
        for component in template.get("composed_of", []) or []:
            stored = catalog.metastore.get(templates.COMPONENT, component) or {}
            layers.append((template_name, (stored.get("template") or {}).get("aliases") or {}))
        layers.append((template_name, (template.get("template") or {}).get("aliases") or {}))
    for template_name, found in layers:
        if alias in found:
            raise IllegalArgument(
                f"Rollover alias [{alias}] can point to multiple indices, found duplicated "
                f"alias [[{', '.join(found)}]] in index template [{template_name}]")


def _switch(alias: str, old: str, new: str, explicit: bool,
            hidden: Any) -> list[dict[str, Any]]:
    """OpenSearch's ``rolloverAliasToNewIndex``: flip an explicit write index, move an
    implicit one; ``is_hidden`` kept."""
    extra = {} if hidden is None else {"is_hidden": hidden}
    if explicit:
        return [{"add": {"index": new, "alias": alias, "is_write_index": True, **extra}},
                {"add": {"index": old, "alias": alias, "is_write_index": False, **extra}}]
    return [{"add": {"index": new, "alias": alias, **extra}},
            {"remove": {"index": old, "alias": alias}}]


# --- ES's renderings of the values, in the condition keys -------------------------------------

_TIME_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1))
_BYTE_UNITS = (("pb", 1 << 50), ("tb", 1 << 40), ("gb", 1 << 30), ("mb", 1 << 20),
               ("kb", 1 << 10))


def _human_time(millis: int) -> str:
    """``TimeValue.toString``: the largest unit it reaches, one decimal, cut not rounded
    (``7d``, ``1.5h``, ``90s`` → ``1.5m``)."""
    for suffix, size in _TIME_UNITS:
        if millis >= size:
            return _one_decimal(millis / size) + suffix
    return "0s" if millis == 0 else f"{millis}ms"


def _human_bytes(size: int) -> str:
    """``ByteSizeValue.toString``: ``50gb``, ``1.5mb``, ``100b``."""
    for suffix, unit in _BYTE_UNITS:
        if size >= unit:
            return _one_decimal(size / unit) + suffix
    return f"{size}b"


def _one_decimal(value: float) -> str:
    whole, _, fraction = repr(float(value)).partition(".")
    digit = fraction[:1]
    return whole if digit in ("", "0") or "e" in fraction else f"{whole}.{digit}"

