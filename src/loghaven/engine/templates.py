"""Index templates: legacy ``_template``, composable ``_index_template`` and components.

At index creation the highest-priority matching composable template wins (its components
applied first, then its own ``template``); if none matches, all matching legacy templates
are merged in ``order``. Request settings, mappings and aliases override the template's.

Templates are stored in the metastore, one kind per flavour; :func:`put`, :func:`find` and
:func:`delete` are the operations the ``_template``, ``_index_template`` and
``_component_template`` APIs (and later lifecycle policies) call.
"""

from __future__ import annotations

import copy
import fnmatch
from typing import Any

from loghaven.engine.mapping import Mapping, check_mapping_limits, unwrap_type_name
from loghaven.engine.names import validate_alias_name
from loghaven.engine.settings import IndexSettings, flatten, nest
from loghaven.errors import IllegalArgument, ParseFailure, ResourceNotFound
from loghaven.params import expect_list, expect_object, expect_string, parse_int
from loghaven.storage.metastore import Metastore

LEGACY = "template"
COMPOSABLE = "index_template"
COMPONENT = "component_template"


KINDS = (LEGACY, COMPOSABLE, COMPONENT)


def put(metastore: Metastore, kind: str, name: str, body: dict[str, Any], *,
        create: bool = False) -> None:
    """Store a template of ``kind`` after checking that an index could be created with it
    (and, for a composable one, that no other of the same priority matches the same names)."""
    if create and metastore.get(kind, name) is not None:
        raise IllegalArgument(f"index_template [{name}] already exists")
    if kind == LEGACY:
        stored = normalise_legacy(body)
        _validate_parts(stored)
    elif kind == COMPOSABLE:
        stored = normalise_composable(body, metastore)
        _validate_parts(_composed(metastore, stored))
        _check_overlap(metastore, name, stored)
    else:
        if "template" not in body:
            raise IllegalArgument("Validation Failed: 1: template is missing;")
        stored = dict(body)
        template = dict(expect_object(stored["template"] or {}, "template",
                                      "component_template"))
        check_parts(template)
        _validate_parts(template)
        stored["template"] = template
    metastore.put(kind, name, stored)


def _composed(metastore: Metastore, template: dict[str, Any]) -> dict[str, Any]:
    """What a composable template gives an index: its component templates' settings and
    mappings, then its own (analysis defined in a component may serve its mappings)."""
    result: dict[str, Any] = {"settings": {}, "mappings": {}, "aliases": {}}
    for component in template.get("composed_of", []) or []:
        stored = metastore.get(COMPONENT, component)
        if stored is not None:
            merge_layer(result, stored.get("template", {}) or {})
    merge_layer(result, template.get("template", {}) or {})
    return result


def _validate_parts(body: dict[str, Any]) -> None:
    """Refuse a template whose settings or mappings an index could not be created with."""
    settings = IndexSettings(flatten(body.get("settings", {}) or {}))
    check_mapping_limits(body.get("mappings", {}) or {}, settings.mapping_limits())
    Mapping(body.get("mappings", {}) or {}, settings.analysis)


def _check_overlap(metastore: Metastore, name: str, stored: dict[str, Any]) -> None:
    priority = stored.get("priority", 0) or 0
    for other_name, other in metastore.list(COMPOSABLE).items():
        if other_name == name or (other.get("priority", 0) or 0) != priority:
            continue
        overlap = [p for p in stored["index_patterns"] for q in other["index_patterns"]
                   if fnmatch.fnmatchcase(p, q) or fnmatch.fnmatchcase(q, p)]
        if overlap:
            raise IllegalArgument(
                f"index template [{name}] has index patterns {stored['index_patterns']} matching "
                f"patterns from existing templates [{other_name}] with patterns ({other_name} => "
                f"{other['index_patterns']}) that have the same priority [{priority}], multiple "
                f"index templates may not match during index creation, please use a different "
                f"priority")


def find(metastore: Metastore, kind: str, wanted: str | None) -> dict[str, dict[str, Any]]:
    """Stored templates of ``kind`` whose names match the comma list ``wanted`` (all if None).

    A missing name (no wildcard) is an error for composable and component templates, and
    simply nothing for legacy ones, as in ES.
    """
    stored = metastore.list(kind)
    if wanted is None:
        return stored
    patterns = wanted.split(",")
    found = {n: t for n, t in stored.items() if any(fnmatch.fnmatchcase(n, p) for p in patterns)}
    if not found and not any("*" in p for p in patterns):
        if kind == LEGACY:
            return found
        raise ResourceNotFound(f"{kind} [{wanted}] not found" if kind != COMPOSABLE
                               else f"index template matching [{wanted}] not found")
    return found


def delete(metastore: Metastore, kind: str, name: str) -> None:
    """Delete the templates of ``kind`` that ``name`` (a wildcard too) names; a component
    template still used by an index template stays."""
    names = [n for n in metastore.list(kind) if fnmatch.fnmatchcase(n, name)]
    if not names:
        raise ResourceNotFound(f"index_template [{name}] missing" if kind != COMPONENT
                               else f"component_template [{name}] missing")
    if kind == COMPONENT:
        for template_name, template in metastore.list(COMPOSABLE).items():
            used = set(template.get("composed_of", []) or []) & set(names)
            if used:
                raise IllegalArgument(
                    f"component templates {sorted(used)} cannot be removed as they are still in "
                    f"use by index templates [{template_name}]")
    for template_name in names:
        metastore.delete(kind, template_name)


def legacy_view(template: dict[str, Any]) -> dict[str, Any]:
    """A stored legacy template as ``GET _template`` and the cluster state show it."""
    return {
        "order": template.get("order", 0),
        **({"version": template["version"]} if "version" in template else {}),
        "index_patterns": template["index_patterns"],
        "settings": nest(flatten(template.get("settings", {}) or {})),
        "mappings": template.get("mappings", {}),
        "aliases": template.get("aliases", {}),
    }


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


#: The ``_meta`` of what the node installs itself (the built-in parsers' templates and
#: pipelines, ingest/parsers).
BUILTIN_META = {"managed_by": "loghaven"}


def is_builtin(template: dict[str, Any]) -> bool:
    """Whether the node installed this template for a built-in parser (ingest/parsers)."""
    meta = template.get("_meta") or {}
    return all(meta.get(key) == value for key, value in BUILTIN_META.items())


def matching_composable(metastore: Metastore, index: str) -> tuple[str, dict[str, Any]] | None:
    """The composable template a new index takes: the user's of highest priority. A built-in
    one is a fallback, taken only when no user template (composable or legacy) matches, so a
    legacy template written from an older guide (``PUT _template/awswaf-logs``) still applies
    to ``awswaf-*`` although a composable one would win over it in ES."""
    found = [(name, t) for name, t in metastore.list(COMPOSABLE).items()
             if any(fnmatch.fnmatchcase(index, p) for p in t["index_patterns"])]
    users = [item for item in found if not is_builtin(item[1])]
    if users:
        found = users
    elif not found or matching_legacy(metastore, index):
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
