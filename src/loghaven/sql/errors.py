"""The SQL plugin's errors: ``{"error": {"reason", "details", "type"}, "status"}``."""

from __future__ import annotations

from typing import Any


class SqlError(Exception):
    """A refused or failed SQL/PPL query, in the shape OpenSearch's SQL plugin answers.

    ``type`` is the plugin's Java exception name (``SyntaxCheckException``,
    ``SemanticCheckException``, ``IllegalArgumentException``, ...), ``reason`` its short
    summary (``Invalid SQL query``, ``Invalid Query``, ``Error occurred in OpenSearch
    engine: ...``), ``details`` what went wrong and what to do next."""

    def __init__(self, details: str, *, type: str = "IllegalArgumentException",
                 reason: str = "Invalid SQL query", status: int = 400) -> None:
        super().__init__(details)
        self.details = details
        self.type = type
        self.reason = reason
        self.status = status

    def to_body(self) -> dict[str, Any]:
        return {"error": {"reason": self.reason, "details": self.details, "type": self.type},
                "status": self.status}


class SyntaxError_(SqlError):
    """A statement that does not parse."""

    def __init__(self, details: str, *, reason: str = "Invalid SQL query") -> None:
        super().__init__(details, type="SyntaxCheckException", reason=reason)


class SemanticError(SqlError):
    """A statement that parses but names what does not exist or mixes types."""

    def __init__(self, details: str, *, reason: str = "Invalid SQL query") -> None:
        super().__init__(details, type="SemanticCheckException", reason=reason)
