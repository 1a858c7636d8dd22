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

#: The prefix of the actions checked on each index name.
INDEX_ACTIONS = "indices:"


def no_permissions(action: str, subject: Subject) -> SecurityException:
    """OpenSearch's 403 for an action the subject's roles do not grant."""
    return SecurityException(f"no permissions for [{action}] and {subject.describe()}")


def check_update(index: str, aliases: Collection[str] = ()) -> None:
    """OpenSearch refuses an update (``_update``, a bulk ``update``) of an index whose
    documents or fields document- or field-level security or masking restrict for the
    subject: an update reads the stored document and writes it back whole, invisible
    documents and hidden fields included. Its exception carries no status: 500."""
    rules = context.index_rules(index, aliases)
    if rules is not None and (rules.dls is not None or rules.fls_include is not None
                              or rules.fls_exclude or rules.masked):
        raise SecurityException("Update is not supported when FLS or DLS or Fieldmasking is "
                                "activated", status=500)


def allows(name: str, action: str | None = None, aliases: Collection[str] = ()) -> bool:
    """Whether the current work may perform its action (or ``action``) on an index or alias
    name (or, for an index, through one of its ``aliases``). Always for the node itself, and
    for work under a cluster action (``cluster:monitor/health`` of some indices): OpenSearch
    checks those whole, as the edge did, not per index."""
    now = context.current()
    if now is None:
        return True
    action = action or now.action
    return not action.startswith(INDEX_ACTIONS) \
        or now.subject.privileges.allows_index(action, name, aliases)


def check(name: str, action: str | None = None, aliases: Collection[str] = ()) -> None:
    """Raise OpenSearch's 403 unless :func:`allows`."""
    if not allows(name, action, aliases):
        now = context.current()
        assert now is not None
        if now.on_denied is not None:
            now.on_denied(name, action or now.action)
        raise no_permissions(action or now.action, now.subject)
