"""`_forcemerge` and `_rollover` (engine/merge.py, engine/rollover.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

# CONTRACT: issue 19, helper engine-ops: the routes, and their lines in api/permissions.py.
routes: list[BaseRoute] = []
