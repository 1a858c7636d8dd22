"""Index templates: legacy ``_template``, composable ``_index_template`` and components.

At index creation the highest-priority matching composable template wins (its components
applied first, then its own ``template``); if none matches, all matching legacy templates
are merged in ``order``. Request settings, mappings and aliases override the template's.
"""

from __future__ import annotations

import copy
import fnmatch
from typing import Any

from loghaven.engine.mapping import unwrap_type_name
from loghaven.engine.names import validate_alias_name
from loghaven.engine.settings import flatten
from loghaven.errors import IllegalArgument, ParseFailure
from loghaven.params import expect_list, expect_object, expect_string, parse_int
from loghaven.storage.metastore import Metastore

LEGACY = "template"
COMPOSABLE = "index_template"
COMPONENT = "component_template"


def check_parts(layer: dict[str, Any]) -> None:
    """The ``settings``, ``mappings`` and ``aliases`` of a create-index body or a template:
    objects, with valid alias names (ES's ``CreateIndexRequest`` and ``AliasValidator``)."""
    for key in ("settings", "mappings", "aliases"):
        value = layer.get(key)
        if value is not None and not isinstance(value, dict):
            raise ParseFailure(f"key [{key}] must be an object")
    for alias, props in (layer.get("aliases") or {}).items():
        validate_alias_name(alias)
        if props is not None:
            expect_object(props, alias, "aliases")


def patterns_of(body: dict[str, Any]) -> list[str]:
    patterns = body.get("index_patterns", body.get("template") if isinstance(
        body.get("template"), str) else None)
    if isinstance(patterns, str):
        patterns = [patterns]
    return [expect_string(p, "index_patterns", "template")
            for p in expect_list(patterns or [], "index_patterns", "template")]


def normalise_legacy(body: dict[str, Any]) -> dict[str, Any]:
    """A legacy template as stored: patterns list, order, settings, type-unwrapped mappings."""
    patterns = patterns_of(body)
    if not patterns:
        raise IllegalArgument("index patterns are missing")
    check_parts(body)
    out = {
        "order": parse_int(body.get("order", 0) or 0, "order"),
        "index_patterns": patterns,
        "settings": body.get("settings", {}) or {},
        "mappings": unwrap_type_name(body.get("mappings", {}) or {}),
        "aliases": body.get("aliases", {}) or {},
    }
    if "version" in body:
        out["version"] = body["version"] if body["version"] is None \
            else parse_int(body["version"], "version")
    return out


def normalise_composable(body: dict[str, Any], metastore: Metastore) -> dict[str, Any]:
    patterns = patterns_of(body)
    if not patterns:
        raise IllegalArgument("Validation Failed: 1: index patterns are missing;")
    for key in ("priority", "version"):
        if body.get(key) is not None:
            parse_int(body[key], key)
    for name in expect_list(body.get("composed_of", []) or [], "composed_of", "index_template"):
        if not isinstance(name, str) or metastore.get(COMPONENT, name) is None:
            raise IllegalArgument(
                f"index template [?] specifies component templates [{name}] that do not exist")
    out = dict(body)
    out["index_patterns"] = patterns
    template = dict(expect_object(out.get("template") or {}, "template", "index_template"))
    check_parts(template)
    if "mappings" in template:
        template["mappings"] = unwrap_type_name(template["mappings"] or {})
    out["template"] = template
    return out


def matching_legacy(metastore: Metastore, index: str) -> list[tuple[str, dict[str, Any]]]:
    found = [(name, t) for name, t in metastore.list(LEGACY).items()
             if any(fnmatch.fnmatchcase(index, p) for p in t["index_patterns"])]
    return sorted(found, key=lambda item: item[1].get("order", 0))


def matching_composable(metastore: Metastore, index: str) -> tuple[str, dict[str, Any]] | None:
    found = [(name, t) for name, t in metastore.list(COMPOSABLE).items()
             if any(fnmatch.fnmatchcase(index, p) for p in t["index_patterns"])]
    if not found:
        return None
    return max(found, key=lambda item: item[1].get("priority", 0) or 0)


def resolve(metastore: Metastore, index: str) -> dict[str, Any]:
    """The settings, mappings and aliases that templates give a new index named ``index``."""
    layers: list[dict[str, Any]] = []
    composable = matching_composable(metastore, index)
    if composable is not None:
        _, template = composable
        for component in template.get("composed_of", []) or []:
            stored = metastore.get(COMPONENT, component)
            if stored is not None:
                layers.append(stored.get("template", {}) or {})
        layers.append(template.get("template", {}) or {})
    else:
        layers.extend(t for _, t in matching_legacy(metastore, index))
    result: dict[str, Any] = {"settings": {}, "mappings": {}, "aliases": {}}
    for layer in layers:
        merge_layer(result, layer)
    return result


def merge_layer(result: dict[str, Any], layer: dict[str, Any]) -> None:
    """Merge one template (or the create request) over what earlier layers gave."""
    result["settings"].update(flatten(layer.get("settings", {}) or {}))
    mappings = unwrap_type_name(copy.deepcopy(layer.get("mappings", {}) or {}))
    _deep_merge(result["mappings"], mappings)
    result["aliases"].update(layer.get("aliases", {}) or {})


def _deep_merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value
