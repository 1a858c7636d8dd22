"""The acting subject's index permissions, as the places that name indices check them.

The HTTP edge checks a route's cluster action, or whether any index pattern grants its index
action; the names a request reaches are checked where they are resolved (engine/catalog.py)
and where writes find their target (ingest/service.py), with OpenSearch's denial.
"""

from __future__ import annotations

from collections.abc import Collection

from loghaven.errors import SecurityException
from loghaven.security import context
from loghaven.security.subject import Subject


def no_permissions(action: str, subject: Subject) -> SecurityException:
    """OpenSearch's 403 for an action the subject's roles do not grant."""
    return SecurityException(f"no permissions for [{action}] and {subject.describe()}")


def allows(name: str, action: str | None = None, aliases: Collection[str] = ()) -> bool:
    """Whether the current work may perform its action (or ``action``) on an index or alias
    name (or, for an index, through one of its ``aliases``); always for the node itself."""
    now = context.current()
    return now is None or now.subject.privileges.allows_index(action or now.action, name,
                                                              aliases)


def check(name: str, action: str | None = None, aliases: Collection[str] = ()) -> None:
    """Raise OpenSearch's 403 unless :func:`allows`."""
    now = context.current()
    if now is not None and not now.subject.privileges.allows_index(action or now.action, name,
                                                                   aliases):
        raise no_permissions(action or now.action, now.subject)
