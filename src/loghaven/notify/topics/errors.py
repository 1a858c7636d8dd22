"""SNS's errors: an AWS error code (``NotFound``, ``InvalidParameter`` ...) with its status, so
the SNS query API renders them as SNS does (api/sns.py) while other callers see a
LoghavenError."""

from __future__ import annotations

from loghaven.errors import LoghavenError


class TopicError(LoghavenError):
    """An SNS error: ``code`` is AWS's error code, ``sender`` whether the caller is at fault
    (``<Type>Sender</Type>``) rather than the server."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message, status=status, type="illegal_argument_exception"
                         if status == 400 else "resource_not_found_exception"
                         if status == 404 else None)
        self.code = code
        self.sender = status < 500


def invalid_parameter(message: str) -> TopicError:
    return TopicError("InvalidParameter", f"Invalid parameter: {message}")


def not_found(message: str) -> TopicError:
    return TopicError("NotFound", message, status=404)
