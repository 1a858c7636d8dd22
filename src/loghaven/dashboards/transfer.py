"""Import and export of saved objects in OpenSearch Dashboards' NDJSON format, and of Kibana
6's ``export.json`` (a JSON array of ``{_id, _type, _source}``; see legacy.py).

Import answers as OpenSearch Dashboards' ``_import`` does: ``{"success", "successCount",
"successResults", "errors": [{"id", "type", "title", "error": {"type": "conflict" |
"missing_references" | "unsupported_type" | ..., ...}}]}``. An object whose index pattern
does not exist is reported with ``missing_references`` and not written; the user then calls
``_resolve_import_errors`` with ``replaceReferences`` (``{"type": "index-pattern", "from",
"to"}``) to remap it to an existing pattern (``cwl-*``), which is the remapping step of
Kibana's import dialog.

As in Dashboards, an import that finds a ``conflict`` or ``missing_references`` writes
nothing at all (its ``successResults`` list what *would* be written): the import dialog then
sends every object again to ``_resolve_import_errors`` with the user's choices, and that call
writes them in one metastore transaction, or again nothing. A line that is not JSON refuses
the whole file (400, naming the line), as Dashboards' NDJSON reader does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from loghaven.dashboards import access, legacy
from loghaven.dashboards.objects import (
    ICONS,
    TYPES,
    SavedObject,
    SavedObjectError,
    SavedObjects,
    Write,
    import_error,
)

#: The types whose references an import checks (Dashboards' ``REF_TYPES_TO_VALIDATE``).
VALIDATED_REFERENCES = ("index-pattern", "search")
#: Errors the import dialog resolves; while one is pending nothing is written.
_RESOLVABLE = ("conflict", "ambiguous_conflict", "missing_references")


@dataclass
class _Import:
    """One import's objects and what it found, in Dashboards' steps."""

    objects: list[SavedObject]
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: ``type:id`` → the id to write it as (a new copy, a retry's destination).
    new_ids: dict[str, str] = field(default_factory=dict)
    overwrites: set[str] = field(default_factory=set)

    def failed(self) -> set[str]:
        return {f"{e['type']}:{e['id']}" for e in self.errors}

    def error(self, found: SavedObject, error: dict[str, Any]) -> None:
        self.errors.append(import_error(found.type, found.id, found.attributes, error))


def read_objects(payload: bytes, limit: int) -> tuple[list[SavedObject], list[dict[str, Any]]]:
    """The file's objects (NDJSON, or Kibana 6's array converted) and the ``unsupported_type``
    errors of those of other types; a file that cannot be read is a 400."""
    if legacy.looks_like_kibana6(payload):
        try:
            items = orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            raise SavedObjectError(400, f"Unexpected token in JSON: {error.msg} at line "
                                   f"{error.lineno} column {error.colno}") from None
        _check_limit(len(items), limit)
        return legacy.from_kibana6(items)
    objects: list[SavedObject] = []
    errors: list[dict[str, Any]] = []
    for number, line in enumerate(payload.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise SavedObjectError(400, f"Unexpected token in JSON at line {number}: "
                                   f"{error.msg} (column {error.colno})") from None
        if isinstance(item, dict) and "exportedCount" in item:
            continue  # the export details line
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) \
                or not isinstance(item.get("id"), str) \
                or not isinstance(item.get("attributes", {}), dict):
            raise SavedObjectError(400, f"Line {number} is not a saved object (an object "
                                   "with [type], [id] and [attributes])")
        _check_limit(len(objects) + len(errors) + 1, limit)
        attributes = item.get("attributes") or {}
        if item["type"] not in TYPES:
            errors.append(import_error(item["type"], item["id"], attributes,
                                       {"type": "unsupported_type"}))
            continue
        references = item.get("references")
        objects.append(legacy.extract_references(SavedObject(
            id=item["id"], type=item["type"], attributes=attributes,
            references=[r for r in references if isinstance(r, dict)]
            if isinstance(references, list) else [],
            migration_version=item.get("migrationVersion")
            if isinstance(item.get("migrationVersion"), dict) else None)))
    return objects, errors


def _check_limit(count: int, limit: int) -> None:
    if count > limit:
        raise SavedObjectError(400, f"Can't import more than {limit} objects")


def _check_unique(objects: list[SavedObject], errors: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for key in [f"{o.type}:{o.id}" for o in objects] + [f"{e['type']}:{e['id']}"
                                                         for e in errors]:
        seen[key] = seen.get(key, 0) + 1
    twice = [key for key, count in seen.items() if count > 1]
    if twice:
        raise SavedObjectError(400, f"Non-unique import objects detected: [{','.join(twice)}]")


def import_objects(objects: SavedObjects, payload: bytes, *, overwrite: bool = False,
                   create_new_copies: bool = False) -> dict[str, Any]:
    """Import an NDJSON file (or a Kibana 6 ``export.json``, told apart by its first byte)."""
    access.check_write()
    if overwrite and create_new_copies:
        raise SavedObjectError(400, "[request query]: cannot use [overwrite] with "
                               "[createNewCopies]")
    found, unsupported = read_objects(payload, objects.max_import_export_size)
    _check_unique(found, unsupported)
    run = _Import(found, list(unsupported))
    _check_references(objects, run, skip=set())
    if create_new_copies:
        run.new_ids = {f"{o.type}:{o.id}": str(uuid.uuid4()) for o in found}
    else:
        for one in found:
            if objects.exists(one.type, one.id):
                if overwrite:
                    run.overwrites.add(f"{one.type}:{one.id}")
                else:
                    run.error(one, {"type": "conflict"})
    return _write(objects, run, lambda key: overwrite or create_new_copies,
                  create_new_copies=create_new_copies)


def resolve_import_errors(objects: SavedObjects, payload: bytes,
                          retries: list[dict[str, Any]], *,
                          create_new_copies: bool = False) -> dict[str, Any]:
    """Import again only the objects named in ``retries`` (``{"type", "id", "overwrite",
    "replaceReferences", "destinationId"?}``)."""
    access.check_write()
    retries = _checked_retries(retries)
    by_key = {f"{r['type']}:{r['id']}": r for r in retries}
    every, unsupported = read_objects(payload, objects.max_import_export_size)
    _check_unique(every, unsupported)
    found = [o for o in every if f"{o.type}:{o.id}" in by_key]
    unsupported = [e for e in unsupported if f"{e['type']}:{e['id']}" in by_key]
    config = [o for o in found if o.type == "config"]
    if config:
        return {"successCount": 0, "success": False, "errors": [
            import_error(o.type, o.id, {"title": o.id}, {"type": "unsupported_type"})
            for o in config]}
    for n, one in enumerate(found):
        remap = {f"{r['type']}:{r['from']}": r["to"]
                 for r in by_key[f"{one.type}:{one.id}"].get("replaceReferences", [])}
        if remap:
            found[n] = SavedObject(
                id=one.id, type=one.type, attributes=one.attributes,
                references=[{**ref, "id": remap.get(f"{ref['type']}:{ref['id']}", ref["id"])}
                            for ref in one.references],
                migration_version=one.migration_version)
    run = _Import(found, list(unsupported))
    _check_references(objects, run, skip={k for k, r in by_key.items()
                                          if r.get("ignoreMissingReferences")})
    for one in found:
        key = f"{one.type}:{one.id}"
        retry = by_key[key]
        if create_new_copies:
            run.new_ids[key] = str(uuid.uuid4())
            continue
        if retry.get("destinationId"):
            run.new_ids[key] = retry["destinationId"]
        target = run.new_ids.get(key, one.id)
        if objects.exists(one.type, target):
            if retry.get("overwrite"):
                run.overwrites.add(key)
            else:
                run.error(one, {"type": "conflict", **({"destinationId": target}
                                                       if target != one.id else {})})
    return _write(objects, run, lambda key: bool(by_key[key].get("overwrite")),
                  create_new_copies=create_new_copies)


def _checked_retries(retries: Any) -> list[dict[str, Any]]:
    if not isinstance(retries, list):
        raise SavedObjectError(400, "[request body.retries]: expected value of type [array]")
    for n, retry in enumerate(retries):
        if not isinstance(retry, dict) or not isinstance(retry.get("type"), str) \
                or not isinstance(retry.get("id"), str):
            raise SavedObjectError(400, f"[request body.retries.{n}]: expected an object "
                                   "with [type] and [id] strings")
        for m, ref in enumerate(retry.get("replaceReferences") or []):
            if not isinstance(ref, dict) or not all(isinstance(ref.get(k), str)
                                                    for k in ("type", "from", "to")):
                raise SavedObjectError(400, f"[request body.retries.{n}.replaceReferences."
                                       f"{m}]: expected [type], [from] and [to] strings")
    keys = [f"{r['type']}:{r['id']}" for r in retries]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise SavedObjectError(400, f"Non-unique retry objects: [{','.join(twice)}]")
    targets = [f"{r['type']}:{r['destinationId']}" for r in retries if r.get("destinationId")]
    twice = sorted({k for k in targets if targets.count(k) > 1})
    if twice:
        raise SavedObjectError(400, f"Non-unique retry destinations: [{','.join(twice)}]")
    return retries


def _check_references(objects: SavedObjects, run: _Import, skip: set[str]) -> None:
    """``missing_references`` for each object whose index patterns or saved searches are
    neither in the file nor stored."""
    in_file = {f"{o.type}:{o.id}" for o in run.objects}
    for one in run.objects:
        if f"{one.type}:{one.id}" in skip:
            continue
        missing = [{"type": r["type"], "id": r["id"]} for r in one.references
                   if r.get("type") in VALIDATED_REFERENCES
                   and f"{r['type']}:{r['id']}" not in in_file
                   and not objects.exists(r["type"], r["id"])]
        if missing:
            run.error(one, {"type": "missing_references",
                            "references": list({(m["type"], m["id"]): m
                                                for m in missing}.values())})


def _write(objects: SavedObjects, run: _Import, overwrites: Callable[[str], bool], *,
           create_new_copies: bool) -> dict[str, Any]:
    """Write what has no error (nothing while a resolvable error is pending), and answer."""
    failed = run.failed()
    chosen = [o for o in run.objects if f"{o.type}:{o.id}" not in failed]
    pending = any(e["error"]["type"] in _RESOLVABLE for e in run.errors)
    if chosen and not pending:
        writes = [Write(o.type, run.new_ids.get(f"{o.type}:{o.id}", o.id), o.attributes,
                        [{**r, "id": run.new_ids.get(f"{r['type']}:{r['id']}", r["id"])}
                         for r in o.references],
                        overwrite=overwrites(f"{o.type}:{o.id}"),
                        migration_version=o.migration_version) for o in chosen]
        results = objects.write_many(writes)
        for one, result in zip(chosen, results, strict=True):
            if isinstance(result, SavedObjectError):  # written meanwhile by someone else
                run.error(one, {"type": "conflict"} if result.status == 409
                          else {"type": "unknown", "message": result.message,
                                "statusCode": result.status})
        failed = run.failed()
        chosen = [o for o in chosen if f"{o.type}:{o.id}" not in failed]
    successes = []
    for one in chosen:
        key = f"{one.type}:{one.id}"
        destination = run.new_ids.get(key)
        successes.append({
            "type": one.type, "id": one.id,
            "meta": {"title": one.attributes.get("title"), "icon": ICONS.get(one.type)},
            **({"overwrite": True} if key in run.overwrites else {}),
            **({"destinationId": destination} if destination else {}),
            **({"createNewCopy": True} if destination and not create_new_copies else {}),
        })
    answer: dict[str, Any] = {"successCount": len(successes), "success": not run.errors}
    if successes:
        answer["successResults"] = successes
    if run.errors:
        answer["errors"] = [{**e, **({"overwrite": True}
                                     if f"{e['type']}:{e['id']}" in run.overwrites else {})}
                            for e in run.errors]
    return answer


def export_objects(objects: SavedObjects, *, types: list[str] | None = None,
                   items: list[dict[str, str]] | None = None,
                   include_references_deep: bool = False,
                   exclude_export_details: bool = False,
                   search: str | None = None) -> bytes:
    """NDJSON of the objects, each after the objects it refers to (Dashboards' order) and
    with its keys sorted (Dashboards' stable stringify), and, last, the export details line
    ``{"exportedCount", "missingRefCount", "missingReferences"}``."""
    access.check_read()
    limit = objects.max_import_export_size
    if types and items:
        raise SavedObjectError(400, "Can't specify both \"types\" and \"objects\" properties "
                               "when exporting")
    if types:
        wrong = [t for t in types if t not in TYPES]
        if wrong:
            raise SavedObjectError(400, "Trying to export non-exportable type(s): "
                                   + ", ".join(wrong))
        roots = objects.find(types=types, search=search, per_page=limit)
        if roots.total > limit:
            raise SavedObjectError(400, f"Can't export more than {limit} objects")
        chosen = sorted(roots.saved_objects, key=lambda o: o.id)
    elif items:
        wrong = [f"{i['type']}:{i['id']}" for i in items if i["type"] not in TYPES]
        if wrong:
            raise SavedObjectError(400, "Trying to export object(s) with non-exportable "
                                   "types: " + ", ".join(wrong))
        if len(items) > limit:
            raise SavedObjectError(400, f"Can't export more than {limit} objects")
        if search is not None:
            raise SavedObjectError(400, "Can't specify both \"search\" and \"objects\" "
                                   "properties when exporting")
        got = objects.bulk_get([(i["type"], i["id"]) for i in items])
        missing = [o for o in got if "error" in o]
        if missing:
            raise SavedObjectError(400, "Bad Request", attributes={"objects": missing})
        chosen = [objects.get(i["type"], i["id"]) for i in items]
    else:
        raise SavedObjectError(400, "Either `type` or `objects` are required.")
    missing_refs: list[dict[str, str]] = []
    if include_references_deep:
        chosen, missing_refs = _with_references(objects, chosen)
    ordered = _dependencies_first(chosen)
    lines = [orjson.dumps(o.to_json(), option=orjson.OPT_SORT_KEYS) for o in ordered]
    if not exclude_export_details:
        lines.append(orjson.dumps({"exportedCount": len(ordered),
                                   "missingRefCount": len(missing_refs),
                                   "missingReferences": missing_refs},
                                  option=orjson.OPT_SORT_KEYS))
    return b"\n".join(lines)


def _with_references(objects: SavedObjects, roots: list[SavedObject]) -> tuple[
        list[SavedObject], list[dict[str, str]]]:
    """The objects and everything they refer to, transitively; the references not found."""
    found: dict[tuple[str, str], SavedObject | None] = {(o.type, o.id): o for o in roots}
    queue = list(roots)
    while queue:
        one = queue.pop(0)
        for ref in one.references:
            key = (ref["type"], ref["id"])
            if key in found:
                continue
            try:
                found[key] = objects.get(*key) if ref["type"] in TYPES else None
            except SavedObjectError:
                found[key] = None
            if found[key] is not None:
                queue.append(found[key])  # type: ignore[arg-type]
    return ([o for o in found.values() if o is not None],
            [{"type": t, "id": i} for (t, i), o in found.items() if o is None])


def _dependencies_first(chosen: list[SavedObject]) -> list[SavedObject]:
    """Dashboards' ``sortObjects``: depth first, each object after those it refers to."""
    by_key = {(o.type, o.id): o for o in chosen}
    done: set[tuple[str, str]] = set()
    out: list[SavedObject] = []

    def visit(one: SavedObject, path: set[tuple[str, str]]) -> None:
        key = (one.type, one.id)
        if key in done or key in path:
            return
        for ref in one.references:
            target = by_key.get((ref["type"], ref["id"]))
            if target is not None:
                visit(target, path | {key})
        done.add(key)
        out.append(one)

    for one in chosen:
        visit(one, set())
    return out
