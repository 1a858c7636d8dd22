"""Stored scripts (``_scripts/<id>``): sources kept by id in the metastore (kind
``stored_script``), as OpenSearch keeps them in its cluster state (``ScriptMetadata``), and
put in place of a request's ``{"id": ..., "params": ...}`` reference when it runs, as
OpenSearch's ``ScriptService.compile`` looks the id up at every compilation (so a changed or
restored script is in force for the next request). No cache: a lookup is one metastore read.

As OpenSearch, a PUT without a script context checks the shape, not the source: a script
that Loghaven's Painless subset cannot run is refused where it is used, with that use's error.
"""

from __future__ import annotations

from typing import Any

from loghaven.errors import ActionRequestValidation, IllegalArgument, ParsingError, ResourceNotFound
from loghaven.params import token_name
from loghaven.storage.metastore import Metastore

KIND = "stored_script"
#: The languages Loghaven runs (OpenSearch also has ``expression`` and ``mustache``).
LANGS = ("painless",)


class StoredScripts:
    """The node's stored scripts."""

    def __init__(self, metastore: Metastore) -> None:
        self.metastore = metastore

    def put(self, script_id: str, body: Any) -> None:
        """``PUT _scripts/<id>`` with ``{"script": {"lang", "source", "options"}}``."""
        if "#" in script_id:
            raise ActionRequestValidation(
                "Validation Failed: 1: id cannot contain '#' for stored script;")
        self.metastore.put(KIND, script_id, parse_source(body))

    def get(self, script_id: str) -> dict[str, Any] | None:
        return self.metastore.get(KIND, script_id)

    def delete(self, script_id: str) -> None:
        if self.metastore.get(KIND, script_id) is None:
            raise ResourceNotFound(
                f"stored script [{script_id}] does not exist and cannot be deleted")
        self.metastore.delete(KIND, script_id)

    def all(self) -> dict[str, dict[str, Any]]:
        return self.metastore.list(KIND)

    @staticmethod
    def check_all(scripts: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """``scripts`` (id → ``{"lang", "source"}``) checked as a PUT checks each, so that
        :meth:`replace_all` can be checked before anything else changes."""
        return {sid: parse_source({"script": source}) for sid, source in scripts.items()}

    def replace_all(self, checked: dict[str, dict[str, Any]]) -> None:
        """Make ``checked`` (from :meth:`check_all`) the node's stored scripts, in one
        transaction: a snapshot's global state restored, as OpenSearch puts the snapshot's
        script metadata in place of the cluster's."""
        current = self.all()
        self.metastore.put_many([(KIND, sid, None) for sid in current if sid not in checked]
                                + [(KIND, sid, source) for sid, source in checked.items()])

    def resolve(self, script: Any) -> Any:
        """A ``{"id", "params"}`` reference as the inline script it names (its stored lang
        and source, the reference's params); anything else unchanged."""
        if not isinstance(script, dict) or "id" not in script:
            return script
        if "lang" in script:
            raise IllegalArgument("illegal to specify [lang] for a stored script")
        stored = self.get(str(script["id"]))
        if stored is None:
            raise ResourceNotFound(f"unable to find script [{script['id']}] in cluster state")
        inline = {"lang": stored["lang"], "source": stored["source"]}
        if "params" in script:
            inline["params"] = script["params"]
        return inline

    def resolve_in(self, tree: Any) -> Any:
        """``tree`` (an ``aggs`` object) with every ``script`` reference in it resolved; the
        same object when it has none, else a copy along the paths that changed (the caller's
        body, e.g. a monitor's query, is never changed). A loop, not recursion."""
        paths: list[tuple[Any, ...]] = []
        stack: list[tuple[Any, tuple[Any, ...]]] = [(tree, ())]
        while stack:
            node, path = stack.pop()
            items = node.items() if isinstance(node, dict) else \
                enumerate(node) if isinstance(node, list) else ()
            for key, value in items:
                if key == "script" and isinstance(value, dict) and "id" in value:
                    paths.append((*path, key))
                elif isinstance(value, (dict, list)):
                    stack.append((value, (*path, key)))
        if not paths:
            return tree
        root = _copy(tree)
        for path in paths:
            parent = root
            for key in path[:-1]:
                parent[key] = _copy(parent[key])
                parent = parent[key]
            parent[path[-1]] = self.resolve(parent[path[-1]])
        return root


def parse_source(body: Any) -> dict[str, Any]:
    """OpenSearch's ``StoredScriptSource.parse``: the stored form, or its errors."""
    if not isinstance(body, dict):
        raise ParsingError(f"unexpected token [{token_name(body)}], expected [{{]")
    if not body:
        raise IllegalArgument("must specify lang for stored script")
    name = next(iter(body))
    if name != "script":
        raise ParsingError(f"unexpected field [{name}], expected [script]")
    script = body["script"]
    if not isinstance(script, dict):
        raise ParsingError(f"unexpected token [{token_name(script)}], expected [{{, <source>]")
    lang = script.get("lang")
    source = script.get("source", script.get("code"))
    options = script.get("options") or {}
    if lang is None:
        raise IllegalArgument("must specify lang for stored script")
    if not isinstance(lang, str) or not lang:
        raise IllegalArgument("lang cannot be empty")
    if source is None:
        raise IllegalArgument("must specify source for stored script")
    if not isinstance(source, str) or not source:
        raise IllegalArgument("source cannot be empty")
    if lang not in LANGS:
        raise IllegalArgument(f"unable to put stored script with unsupported lang [{lang}]")
    if not isinstance(options, dict) or options:
        raise IllegalArgument(f"illegal compiler options [{options}] specified")
    return {"lang": lang, "source": source}


def _copy(container: Any) -> Any:
    return dict(container) if isinstance(container, dict) else list(container)
