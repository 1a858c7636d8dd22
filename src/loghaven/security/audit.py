"""The audit log: OpenSearch's audit categories, written to a system index and a file.

CONTRACT (session 5, being built by a helper): the edge calls :meth:`AuditLog.record`.
"""

from __future__ import annotations

#: OpenSearch's audit categories that Loghaven records.
FAILED_LOGIN = "FAILED_LOGIN"
MISSING_PRIVILEGES = "MISSING_PRIVILEGES"
GRANTED_PRIVILEGES = "GRANTED_PRIVILEGES"
AUTHENTICATED = "AUTHENTICATED"
SECURITY_CONFIG_CHANGED = "COMPLIANCE_INTERNAL_CONFIG_WRITE"


class AuditLog:
    def record(self, category: str, *, user: str | None, address: str, method: str = "",
               path: str = "", action: str | None = None, indices: tuple[str, ...] = (),
               reason: str | None = None) -> None:
        """Record one event. Never given request bodies, passwords or tokens."""
        raise NotImplementedError
