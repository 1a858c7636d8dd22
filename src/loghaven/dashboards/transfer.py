"""Import and export of saved objects in OpenSearch Dashboards' NDJSON format, and of Kibana
6's ``export.json`` (a JSON array of ``{_id, _type, _source}``; see legacy.py).

Import answers as OpenSearch Dashboards' ``_import`` does: ``{"success", "successCount",
"successResults", "errors": [{"id", "type", "title", "error": {"type": "conflict" |
"missing_references" | "unsupported_type" | ..., ...}}]}``. An object whose index pattern
does not exist is reported with ``missing_references`` and not written; the user then calls
``_resolve_import_errors`` with ``replaceReferences`` (``{"type": "index-pattern", "from",
"to"}``) to remap it to an existing pattern (``cwl-*``), which is the remapping step of
Kibana's import dialog.

CONTRACT (issue 18): implemented by the "objects" helper.
"""

from __future__ import annotations

from typing import Any

from loghaven.dashboards.objects import SavedObjects


def import_objects(objects: SavedObjects, payload: bytes, *, overwrite: bool = False,
                   create_new_copies: bool = False) -> dict[str, Any]:
    """Import an NDJSON file (or a Kibana 6 ``export.json``, told apart by its first byte)."""
    raise NotImplementedError  # CONTRACT


def resolve_import_errors(objects: SavedObjects, payload: bytes,
                          retries: list[dict[str, Any]], *,
                          create_new_copies: bool = False) -> dict[str, Any]:
    """Import again only the objects named in ``retries`` (``{"type", "id", "overwrite",
    "replaceReferences", "destinationId"?}``)."""
    raise NotImplementedError  # CONTRACT


def export_objects(objects: SavedObjects, *, types: list[str] | None = None,
                   items: list[dict[str, str]] | None = None,
                   include_references_deep: bool = False,
                   exclude_export_details: bool = False) -> bytes:
    """NDJSON of the objects (sorted by type then id) and, last, the export details line
    ``{"exportedCount", "missingRefCount", "missingReferences"}``."""
    raise NotImplementedError  # CONTRACT
