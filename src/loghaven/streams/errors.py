"""Firehose's errors: an AWS error code with its status, rendered by the JSON 1.1 edge as
``{"__type": code, "message": ...}`` (api/firehose.py), while other callers see a
LoghavenError."""

from __future__ import annotations

from loghaven.errors import LoghavenError


class FirehoseError(LoghavenError):
    """``code`` is Firehose's error code (botocore's ``firehose/2015-08-04/service-2.json``)."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message, status=status, type="illegal_argument_exception"
                         if status == 400 else "resource_not_found_exception"
                         if status == 404 else None)
        self.code = code


def invalid_argument(message: str) -> FirehoseError:
    return FirehoseError("InvalidArgumentException", message)


def not_found(name: str, account: str) -> FirehoseError:
    """Firehose answers an unknown stream with 400, not 404."""
    return FirehoseError("ResourceNotFoundException",
                         f"Firehose {name} under account {account} not found.")


def in_use(message: str) -> FirehoseError:
    return FirehoseError("ResourceInUseException", message)


def limit_exceeded(message: str) -> FirehoseError:
    return FirehoseError("LimitExceededException", message)


def unavailable(message: str = "Slow down.") -> FirehoseError:
    """A stream whose buffer is at its bound (``streams.buffer.max_bytes``): the producer
    backs off and retries, as it does when Firehose throttles it."""
    return FirehoseError("ServiceUnavailableException", message, status=503)
