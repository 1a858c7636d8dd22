"""Failed-login throttling per user name and per client address, as OpenSearch's
``auth_failure_listeners`` (``ip`` and ``username`` types) do.

A key (an address, or a user name) that fails ``allowed_tries`` times within ``time_window``
seconds is blocked for ``block_expiry`` seconds: while blocked, every attempt fails, even with
the right password, so guessing costs the attacker the block time per ``allowed_tries``
guesses. State is in memory only (as in OpenSearch) and bounded in size.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

#: Keys tracked at most, per kind (OpenSearch's ``max_tracked`` default).
MAX_TRACKED = 100_000


@dataclass
class _Failures:
    times: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


class Throttle:
    """Failures and blocks of one kind of key (addresses, or user names)."""

    def __init__(self, allowed_tries: int, time_window: float, block_expiry: float, *,
                 clock: Callable[[], float] = time.monotonic,
                 max_tracked: int = MAX_TRACKED) -> None:
        self.allowed_tries = allowed_tries
        self.time_window = time_window
        self.block_expiry = block_expiry
        self.clock = clock
        self.max_tracked = max_tracked
        self._keys: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        """Whether attempts for ``key`` are refused now."""
        with self._lock:
            entry = self._keys.get(key)
            return entry is not None and entry.blocked_until > self.clock()

    def failed(self, key: str) -> None:
        """Count one failed attempt; block the key when it reaches the allowed tries."""
        now = self.clock()
        with self._lock:
            entry = self._keys.get(key)
            if entry is None:
                entry = self._keys[key] = _Failures()
            self._keys.move_to_end(key)
            while entry.times and entry.times[0] <= now - self.time_window:
                entry.times.popleft()
            entry.times.append(now)
            if len(entry.times) >= self.allowed_tries:
                entry.blocked_until = now + self.block_expiry
                entry.times.clear()
            while len(self._keys) > self.max_tracked:
                self._keys.popitem(last=False)


class LoginThrottle:
    """Both OpenSearch listeners: by client address and by user name."""

    def __init__(self, allowed_tries: int, time_window: float, block_expiry: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.by_address = Throttle(allowed_tries, time_window, block_expiry, clock=clock)
        self.by_user = Throttle(allowed_tries, time_window, block_expiry, clock=clock)

    def blocked(self, user: str | None, address: str) -> bool:
        return self.by_address.blocked(address) or (user is not None
                                                    and self.by_user.blocked(user))

    def failed(self, user: str | None, address: str) -> None:
        self.by_address.failed(address)
        if user is not None:
            self.by_user.failed(user)
