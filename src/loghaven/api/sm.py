"""Snapshot management policies `_plugins/_sm/policies` (lifecycle/sm/)."""

from __future__ import annotations

from starlette.routing import BaseRoute

# CONTRACT: issue 19, helper sm: the routes, and their lines in api/permissions.py.
routes: list[BaseRoute] = []
