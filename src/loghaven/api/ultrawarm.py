"""UltraWarm's migration API `_ultrawarm/migration/...` (lifecycle/migration.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

# CONTRACT: issue 19, helper migration: the routes, and their lines in api/permissions.py.
routes: list[BaseRoute] = []
