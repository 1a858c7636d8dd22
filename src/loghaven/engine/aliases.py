"""Aliases: the ``_aliases`` actions that change them and the views that list them.

The alias table itself lives in the catalog (``Catalog.aliases``, index → alias → properties,
stored with each index's record), since index resolution and writes read it on every
request; the operations that change or list it are here.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from loghaven.engine.catalog import Catalog
from loghaven.engine.index import Index
from loghaven.engine.names import validate_alias_name
from loghaven.errors import IllegalArgument, InvalidIndexName, LoghavenError, XContentParse
from loghaven.params import expect_object, expect_string, parse_bool, token_name
from loghaven.security import access


def update(catalog: Catalog, actions: list[dict[str, Any]]) -> None:
    """Apply ``_aliases`` actions atomically (validated first, then applied, and the
    indices' records written in one metastore write)."""
    with catalog.one_write():
        planned = {name: dict(aliases) for name, aliases in catalog.aliases.items()}
        to_delete: list[Index] = []
        for action in actions:
            if not isinstance(action, dict) or len(action) != 1:
                raise IllegalArgument("Too many operations declared on operation entry")
            (kind, spec), = action.items()
            if kind not in ("add", "remove", "remove_index"):
                raise IllegalArgument(f"Unsupported action [{kind}]")
            _check_alias_action(kind, spec)
            index_names = _listify(spec.get("index")) + _listify(spec.get("indices"))
            if not index_names:
                raise IllegalArgument("One of [index] or [indices] is required")
            targets: list[str] = []
            for expr in index_names:
                targets.extend(t.index.name for t in catalog.resolve(
                    expr, allow_no_indices=False, expand_wildcards="all"))
            if kind == "remove_index":
                to_delete.extend(catalog.indices[n] for n in targets)
                continue
            aliases = _listify(spec.get("alias")) + _listify(spec.get("aliases"))
            if not aliases:
                raise IllegalArgument("One of [alias] or [aliases] is required")
            for alias in aliases:  # the alias names are the request's indices too
                access.check(alias)
            for name in targets:
                for alias in aliases:
                    if kind == "add":
                        validate_alias_name(alias)
                        if alias in catalog.indices:
                            raise InvalidIndexName(
                                f"Invalid alias name [{alias}], an index or data stream "
                                f"exists with the same name as the alias", index=alias)
                        props = {k: v for k, v in spec.items()
                                 if k in ("filter", "routing", "index_routing",
                                          "search_routing", "is_write_index", "is_hidden")}
                        planned.setdefault(name, {})[alias] = props
                    else:
                        matched = [a for a in planned.get(name, {})
                                   if fnmatch.fnmatchcase(a, alias)]
                        if not matched and spec.get("must_exist", True) is not False:
                            raise_missing_alias(alias)
                        for a in matched:
                            planned[name].pop(a)
        catalog.aliases = planned
        for index in to_delete:
            catalog.delete_index(index)
        for index in catalog.indices.values():
            catalog.save_meta(index)


def view(catalog: Catalog, index_expression: str | None,
         alias_expression: str | None) -> tuple[dict[str, Any], bool]:
    """``GET _alias``: each index's aliases (those matching ``alias_expression``, a comma list
    of names and wildcards), and whether a name without a wildcard matched no alias."""
    names = [t.index.name for t in catalog.resolve(index_expression, expand_wildcards="all",
                                                   include_closed_error=False)]
    patterns = alias_expression.split(",") if alias_expression else None
    out: dict[str, Any] = {}
    missing = False
    matched_any = set()
    for name in names:
        aliases = catalog.aliases.get(name, {})
        if patterns is not None:
            chosen = {a: p for a, p in aliases.items()
                      if any(fnmatch.fnmatchcase(a, pat) for pat in patterns)}
            matched_any.update(chosen)
            if chosen:
                out[name] = {"aliases": chosen}
        else:
            out[name] = {"aliases": aliases}
    if patterns is not None:
        missing = any("*" not in p and p not in matched_any for p in patterns)
    return out, missing


def raise_missing_alias(alias: str) -> None:
    raise LoghavenError(f"aliases [{alias}] missing", status=404,
                        type="aliases_not_found_exception")


#: Fields of an ``_aliases`` action and the JSON types ES's ``AliasActions`` parser takes.
_ALIAS_ACTION_NAMES = ("index", "indices", "alias", "aliases")
_ALIAS_ACTION_STRINGS = ("routing", "index_routing", "search_routing")
_ALIAS_ACTION_FLAGS = ("is_write_index", "is_hidden", "must_exist")


def _check_alias_action(kind: str, spec: Any) -> None:
    """Refuse a wrongly typed action before any action is applied."""
    expect_object(spec, kind, "alias_action")
    for key, value in spec.items():
        if value is None:
            continue
        if key in _ALIAS_ACTION_NAMES:
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str):
                    raise XContentParse(f"[{kind}] {key} doesn't support values of type: "
                                        f"{token_name(item)}")
        elif key == "filter":
            expect_object(value, key, kind)
        elif key in _ALIAS_ACTION_STRINGS:
            expect_string(value, key, kind)
        elif key in _ALIAS_ACTION_FLAGS:
            parse_bool(value, key)


def _listify(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]
