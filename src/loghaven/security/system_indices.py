"""The indices the node writes for itself and no user may change: the audit log's, the error
and slow logs' and the node-metrics history.

OpenSearch protects its system indices from every user but the super admin, whatever ``*``
grants (``plugins.security.system_indices.*``). Here they are written only by the node itself
(their flushes and samples run without an acting subject). The audit indices
(``security-auditlog-*``) and the logs (``.loghaven-logs-*``, whose slow-log entries hold
other indices' documents and request bodies) are read — or deleted whole, one day at a time —
only by roles whose index patterns name them explicitly (a pattern that starts with
``security-auditlog`` or ``.loghaven-logs``): a grant on ``*``, on ``secur*`` or through an
alias does not reach them. The metrics history (``.loghaven-metrics-*``, node figures only)
is read through any grant that covers it, so that dashboards and monitors can chart it; its
days are deleted only by a role that names it. No one changes an entry: documents are neither
written, updated nor deleted by any user (a written sample could silence an alarm).
"""

from __future__ import annotations

#: OpenSearch's default audit index (``plugins.security.audit.config.index``), one per day.
AUDIT_PREFIX = "security-auditlog-"
#: The error and slow logs' daily indices (ops/logs/).
LOGS_PREFIX = ".loghaven-logs-"
#: The node-metrics history's daily indices (ops/history.py).
METRICS_PREFIX = ".loghaven-metrics-"
#: Each protected prefix, and whether any grant covering it may read it.
_PREFIXES = {AUDIT_PREFIX: False, LOGS_PREFIX: False, METRICS_PREFIX: True}
#: What a pattern must start with to name protected indices explicitly.
_EXPLICIT = tuple(prefix.rstrip("-") for prefix in _PREFIXES)
#: Index actions that only read (the rest change data or metadata).
_READ_PREFIXES = ("indices:data/read/", "indices:monitor/")
_READ_ACTIONS = frozenset({"indices:admin/resolve/index", "indices:admin/validate/query",
                           "indices:admin/analyze"})


def protected(index: str) -> bool:
    """Whether ``index`` is a system index of the node."""
    return index.startswith(tuple(_PREFIXES))


def names_explicitly(pattern: str) -> bool:
    """Whether an index pattern names the protected indices by their own name."""
    return pattern.startswith(_EXPLICIT)


def reads(action: str) -> bool:
    """Whether an index action only reads."""
    return action.startswith(_READ_PREFIXES) or action in _READ_ACTIONS \
        or (action.startswith("indices:admin/") and action.endswith("/get"))


def permitted(action: str) -> bool:
    """Whether a role naming the protected indices may perform this index action on them:
    the actions that only read (searches, gets, monitoring, ``.../get``), and deleting a
    whole index (retention)."""
    return reads(action) or action == "indices:admin/delete"


def open_to_reads(index: str) -> bool:
    """Whether any grant that covers the protected ``index`` may read it (the metrics)."""
    return next((open_ for prefix, open_ in _PREFIXES.items() if index.startswith(prefix)),
                False)
