"""Password hashing (argon2id), generated passwords, and a cache of verified credentials.

argon2 is slow on purpose: verifying one password costs about 90 ms of CPU and 64 MB here
(argon2-cffi's RFC 9106 low-memory profile, measured on this machine class). Clients send
Basic credentials on every request, so a successful verification is remembered in memory
(:class:`VerifiedCache`) under a keyed hash of the credentials, and the slow hash runs only on
the first request and after the stored hash changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string, salt included) of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a malformed hash too."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (rehash on next login)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def is_hash(value: str) -> bool:
    """Whether ``value`` is an argon2 hash this module can verify."""
    return value.startswith("$argon2")


_SYMBOLS = "-_.!@#%^*+="


def generate_password(length: int = 24) -> str:
    """A random password with letters, digits and a symbol (as OpenSearch's password rules
    expect), ~140 bits of entropy at the default length."""
    alphabet = string.ascii_letters + string.digits + _SYMBOLS
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password) and any(c in _SYMBOLS for c in password)):
            return password


class VerifiedCache:
    """Credentials verified recently, so that the slow hash runs once per client, not per request.

    The key is an HMAC (with a key of this process only) of the credentials; the value is the
    stored hash they were verified against. An entry counts only while the stored hash is still
    the same, so a changed password or a deleted user needs no explicit invalidation; entries
    also expire after ``ttl`` seconds and the oldest go first beyond ``size``.
    """

    def __init__(self, ttl: float = 300.0, size: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, principal: str, secret: str) -> bytes:
        return hmac.new(self._key, f"{principal}\0{secret}".encode(), hashlib.sha256).digest()

    def verified(self, principal: str, secret: str, stored_hash: str) -> bool:
        """Whether these credentials were verified against ``stored_hash`` within the TTL."""
        digest = self._digest(principal, secret)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return False
            if entry[0] != stored_hash or entry[1] < self.clock():
                del self._entries[digest]
                return False
            return True

    def remember(self, principal: str, secret: str, stored_hash: str) -> None:
        digest = self._digest(principal, secret)
        with self._lock:
            self._entries[digest] = (stored_hash, self.clock() + self.ttl)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
