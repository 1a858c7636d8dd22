"""Snapshot and repository errors with Elasticsearch's types, statuses and wording, and the
name rules ES's ``RepositoriesService`` and ``SnapshotsService`` apply."""

from __future__ import annotations

from loghaven.errors import LoghavenError

#: ES's ``Strings.INVALID_FILENAME_CHARS`` as its messages print them.
INVALID_FILENAME_CHARS = '[\\, /, *, ?, ", <, >, |,  , ,]'
_FORBIDDEN = set('\\/*?"<>| ,')


class RepositoryError(LoghavenError):
    """ES's ``RepositoryException``: ``[name] reason``, 500 (ES gives it no status of its own)."""

    type = "repository_exception"
    status = 500

    def __init__(self, repository: str, reason: str) -> None:
        super().__init__(f"[{repository}] {reason}")


class RepositoryMissing(LoghavenError):
    type = "repository_missing_exception"
    status = 404

    def __init__(self, repository: str) -> None:
        super().__init__(f"[{repository}] missing")


class RepositoryVerification(RepositoryError):
    type = "repository_verification_exception"


class RepositoryConflict(LoghavenError):
    """ES's ``RepositoryConflictException``: a repository changed or removed while in use."""

    type = "repository_conflict_exception"
    status = 409

    def __init__(self, repository: str) -> None:
        super().__init__(f"[{repository}] trying to modify or unregister repository that is "
                         "currently used")


class SnapshotError(LoghavenError):
    """ES's ``SnapshotException``: ``[repository:snapshot] reason``."""

    type = "snapshot_exception"
    status = 500

    def __init__(self, repository: str, snapshot: str, reason: str) -> None:
        super().__init__(f"[{repository}:{snapshot}] {reason}")


class InvalidSnapshotName(SnapshotError):
    type = "invalid_snapshot_name_exception"
    status = 400

    def __init__(self, repository: str, snapshot: str, reason: str) -> None:
        super().__init__(repository, snapshot, f"Invalid snapshot name [{snapshot}], {reason}")


class SnapshotMissing(SnapshotError):
    type = "snapshot_missing_exception"
    status = 404

    def __init__(self, repository: str, snapshot: str) -> None:
        super().__init__(repository, snapshot, "is missing")


class SnapshotRestoreError(SnapshotError):
    type = "snapshot_restore_exception"
    status = 500


def validate_repository_name(name: str) -> None:
    """ES's ``RepositoriesService.validate``."""
    if not name:
        raise RepositoryError(name, "cannot be empty")
    if "#" in name:
        raise RepositoryError(name, "must not contain '#'")
    if _FORBIDDEN & set(name) or "\x00" in name:
        raise RepositoryError(name, "must not contain the following characters "
                              + INVALID_FILENAME_CHARS)


def validate_snapshot_name(repository: str, name: str) -> None:
    """ES's ``SnapshotsService.validate``, in its order."""
    def fail(reason: str) -> None:
        raise InvalidSnapshotName(repository, name, reason)

    if not name:
        fail("cannot be empty")
    if " " in name:
        fail("must not contain whitespace")
    if "," in name:
        fail("must not contain ','")
    if "#" in name:
        fail("must not contain '#'")
    if name.startswith("_"):
        fail("must not start with '_'")
    if name.lower() != name:
        fail("must be lowercase")
    if _FORBIDDEN & set(name) or "\x00" in name:
        fail("must not contain the following characters " + INVALID_FILENAME_CHARS)
    if len(name.encode()) > 255:
        fail("must not be longer than 255 bytes")


def reason_of(error: Exception) -> str:
    """A failure as ``failures[].reason`` shows it: ES's type and reason, or the exception."""
    if isinstance(error, LoghavenError):
        return f"{error.type}: {error.reason}"
    return f"{type(error).__name__}: {error}"
