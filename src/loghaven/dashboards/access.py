"""Who may read and write saved objects, decided as OpenSearch decides for Dashboards.

OpenSearch Dashboards keeps saved objects in the ``.kibana`` index and reads and writes it as
the logged-in user, so OpenSearch's security plugin authorizes them as index permissions on
``.kibana``: ``kibana_user`` (``read``, ``index``, ``delete`` on ``.kibana*``) and
``all_access`` (``*``) read and write, ``readall`` (``read`` on ``*``) only reads. Each route
names its action in api/permissions.py (``indices:data/read/get`` for a get,
``indices:data/read/search`` for ``_find`` and ``_export``, ``indices:data/write/index`` for
the writes and imports, ``indices:data/write/delete``); the edge checks that some index
pattern grants it, and the service checks it here on ``.kibana`` itself.

OpenSearch's ``kibana_read_only`` role grants nothing itself: Dashboards' security plugin
makes the users holding it (``opensearch_security.readonly_mode.roles``) read-only, so a write
is refused here for them whatever their other roles allow. There are no tenants: every object
is in the global tenant.
"""

from __future__ import annotations

from loghaven.security import access, context

#: The index whose permissions decide.
INDEX = ".kibana"
#: OpenSearch Dashboards' default ``opensearch_security.readonly_mode.roles``.
READONLY_ROLES = frozenset({"kibana_read_only"})


def check_read() -> None:
    """OpenSearch's 403 unless the acting user's roles grant the request's action on
    ``.kibana`` (always allowed for the node itself)."""
    access.check(INDEX)


def check_write() -> None:
    """As :func:`check_read`, and never for a user in read-only mode."""
    now = context.current()
    if now is not None and READONLY_ROLES & set(now.subject.roles):
        raise access.no_permissions(now.action, now.subject)
    access.check(INDEX)

