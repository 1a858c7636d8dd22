"""The UI sessions recently seen, in memory, so that a UI request does not read the metastore
and hop to the thread pool to authenticate.

Keyed by the SHA-256 of the token (as the store is: never the token itself). An entry holds
the stored record (with the persisted, sliding expiry) and the subject built from it. It is
used for at most :data:`TTL_SECONDS` before the store is read again, so that a session ended
elsewhere (another node over a shared metastore) ends here soon too; the node's own changes
drop entries at once: logout drops its session, and any change of the security configuration
(users, passwords, roles, mappings) or an API key invalidation drops them all
(:meth:`SessionCache.clear`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from loghaven.security.subject import Subject

#: How long a session's record is trusted without reading the store again.
TTL_SECONDS = 5.0
#: Entries kept at most (a UI user has one session; beyond, the cache starts over).
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class CachedSession:
    record: dict[str, Any]
    subject: Subject
    #: ``time.monotonic()`` when the record was read or written.
    loaded: float


class SessionCache:
    def __init__(self) -> None:
        self._entries: dict[str, CachedSession] = {}
        self._lock = threading.Lock()
        #: Bumped by :meth:`clear`: an entry computed before a clear is not stored after it.
        self.generation = 0

    def get(self, digest: str) -> CachedSession | None:
        """The entry, unless it is older than :data:`TTL_SECONDS` (then None)."""
        entry = self._entries.get(digest)
        if entry is None or time.monotonic() - entry.loaded >= TTL_SECONDS:
            return None
        return entry

    def put(self, digest: str, record: dict[str, Any], subject: Subject,
            generation: int) -> None:
        """Remember a session, if nothing was cleared since ``generation`` was read."""
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = CachedSession(record, subject, time.monotonic())

    def drop(self, digest: str) -> None:
        """Forget a session (after it was deleted from the store: an authentication that read
        it before cannot store it again)."""
        with self._lock:
            self._entries.pop(digest, None)
            self.generation += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.generation += 1
