"""Security: who is calling (authentication), what they may do (authorization, with OpenSearch's
roles, action groups and role mappings), what they may see of an index (document- and field-level
security) and the audit log of it.

``api/`` authenticates each request and checks the route's action (api/permissions.py); the
caller then acts for the rest of the request through :mod:`loghaven.security.context`, which the
catalog's name resolution and the search service consult, so features built on the services
inherit the same limits.
"""
