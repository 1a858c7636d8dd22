"""ISM's API under `_plugins/_ism` and `_opendistro/_ism` (lifecycle/ism/)."""

from __future__ import annotations

from starlette.routing import BaseRoute

# CONTRACT: issue 19, helper ism-api: the routes, and their lines in api/permissions.py.
routes: list[BaseRoute] = []
