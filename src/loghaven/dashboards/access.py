"""Who may read and write saved objects, decided as OpenSearch decides for Dashboards.

OpenSearch Dashboards keeps saved objects in the ``.kibana`` index and reads and writes it as
the logged-in user, so OpenSearch's security plugin authorizes them as index permissions on
``.kibana``: ``kibana_user`` (``read``, ``index``, ``delete`` on ``.kibana*``) and
``all_access`` (``*``) read and write, ``readall`` (``read`` on ``*``) only reads. Its
``kibana_read_only`` role grants nothing itself: Dashboards' security plugin makes the users
holding it (``opensearch_security.readonly_mode.roles``) read-only, so a write is refused
here for them whatever their other roles allow. There are no tenants: every object is in the
global tenant (``kibana_all_write`` of ``all_access`` is what its index permissions give).
"""

from __future__ import annotations

from loghaven.security import access, context

#: The index whose permissions decide.
INDEX = ".kibana"
#: OpenSearch Dashboards' default ``opensearch_security.readonly_mode.roles``.
READONLY_ROLES = frozenset({"kibana_read_only"})

READ = "indices:data/read/get"
WRITE = "indices:data/write/index"
DELETE = "indices:data/write/delete"


def check_read() -> None:
    access.check(INDEX, READ)


def check_write() -> None:
    _check_not_readonly(WRITE)
    access.check(INDEX, WRITE)


def check_delete() -> None:
    _check_not_readonly(DELETE)
    access.check(INDEX, DELETE)


def _check_not_readonly(action: str) -> None:
    now = context.current()
    if now is not None and READONLY_ROLES & set(now.subject.roles):
        raise access.no_permissions(action, now.subject)
