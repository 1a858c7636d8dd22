"""The `_snapshot` API and `_cat/snapshots`, `_cat/repositories` (lifecycle/snapshots/)."""

from __future__ import annotations

from starlette.routing import BaseRoute

# CONTRACT: issue 19, helper snapshots: the routes, and their lines in api/permissions.py.
routes: list[BaseRoute] = []
