"""Kibana 6's ``export.json``: a JSON array of ``{"_id", "_type", "_source"}``, with index
patterns named inside ``searchSourceJSON`` (``"index": "<id>"``) and panels inside
``panelsJSON`` (``"id"``, ``"type"``) instead of ``references``. Converted to today's objects
before import so one import path serves both.

CONTRACT (issue 18): implemented by the "objects" helper.
"""

from __future__ import annotations

from typing import Any

from loghaven.dashboards.objects import SavedObject


def from_kibana6(items: list[dict[str, Any]]) -> tuple[list[SavedObject], list[dict[str, Any]]]:
    """The objects converted, and the import errors of the items that could not be
    (``unsupported_type`` for a type the UI does not have)."""
    raise NotImplementedError  # CONTRACT
