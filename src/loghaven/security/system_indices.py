"""The indices the node writes for itself and no user may change: the audit log's.

OpenSearch protects its system indices from every user but the super admin, whatever ``*``
grants (``plugins.security.system_indices.*``). Here the audit indices
(``security-auditlog-*``) are written only by the node itself (the audit flush runs without
an acting subject), and read — or deleted whole, one day at a time, which is how retention
works until lifecycle policies do it — only by roles whose index patterns name them explicitly
(a pattern that starts with ``security-auditlog``): a grant on ``*``, on ``secur*`` or through
an alias does not reach them. No one changes an event: documents are neither written, updated
nor deleted by any user.
"""

from __future__ import annotations

#: OpenSearch's default audit index (``plugins.security.audit.config.index``), one per day.
AUDIT_PREFIX = "security-auditlog-"
#: What a pattern must start with to name the audit indices explicitly.
_EXPLICIT = AUDIT_PREFIX.rstrip("-")
#: Index actions that only read (the rest change data or metadata).
_READ_PREFIXES = ("indices:data/read/", "indices:monitor/")
_READ_ACTIONS = frozenset({"indices:admin/resolve/index", "indices:admin/validate/query",
                           "indices:admin/analyze"})


def protected(index: str) -> bool:
    """Whether ``index`` is a system index of the node."""
    return index.startswith(AUDIT_PREFIX)


def names_explicitly(pattern: str) -> bool:
    """Whether an index pattern names the protected indices by their own name."""
    return pattern.startswith(_EXPLICIT)


def permitted(action: str) -> bool:
    """Whether a role naming the audit indices may perform this index action on them: the
    actions that only read (searches, gets, monitoring, ``.../get``), and deleting a whole
    index (retention)."""
    return action.startswith(_READ_PREFIXES) or action in _READ_ACTIONS \
        or (action.startswith("indices:admin/") and action.endswith("/get")) \
        or action == "indices:admin/delete"
