"""Indexer acknowledgements: per channel, an ``ackId`` per request that turns true only when
its events are durable.

A channel is the client's GUID (``X-Splunk-Request-Channel`` or ``?channel=``); its ackIds
count from 0. The write service returns once each written index's log is appended, and
fsynced when the index has ``index.translog.durability: request`` (the default); with
``async`` the engine's refresh job fsyncs it within 200 ms. So an ack records, for each index
written, the log and how many bytes it had appended after the write (``Durability``), and is
true once the log's fsynced count has passed that mark (engine/wal.py ``synced``): never
before the events would survive a kill -9.

As in Splunk, a status that was answered true is forgotten; channels idle for
``hec.ack.channel_timeout`` are dropped with their acks; more than ``hec.ack.max_pending``
unanswered acks make new requests that want one answer "Server is busy" (code 9). Channels
live in memory: after a restart a client's old ackIds answer false, and it resends (Splunk's
contract: an ack that is not true within the client's timeout means resend).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from loghaven.engine.wal import WriteAheadLog
from loghaven.hec.errors import INVALID_CHANNEL, SERVER_BUSY, HecError

#: How often idle channels are looked for (on the requests' path, no job of its own).
SWEEP_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class Durability:
    """Where a request's writes end in each log they went to."""

    marks: tuple[tuple[WriteAheadLog, int], ...]

    def durable(self) -> bool:
        return all(wal.synced >= mark for wal, mark in self.marks)


@dataclass
class _Channel:
    next_id: int = 0
    pending: dict[int, Durability] = field(default_factory=dict)
    used: float = 0.0


def check_channel(channel: str) -> str:
    """A channel must be a GUID (Splunk's code 11 otherwise)."""
    try:
        uuid.UUID(channel)
    except ValueError:
        raise HecError(INVALID_CHANNEL) from None
    return channel


class Acks:
    """The node's acknowledgement channels."""

    def __init__(self, channel_timeout: float, max_pending: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.channel_timeout = channel_timeout
        self.max_pending = max_pending
        self.clock = clock
        self._channels: dict[str, _Channel] = {}
        self._pending = 0
        self._swept = 0.0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        return self._pending

    def full(self) -> bool:
        return self._pending >= self.max_pending

    def reserve(self) -> None:
        """Refuse a request that would need an ack when too many are unanswered (before
        its events are written)."""
        self._sweep()
        if self.full():
            raise HecError(SERVER_BUSY)

    def add(self, channel: str, durability: Durability) -> int:
        """A new ackId of ``channel`` for writes that end at ``durability``."""
        with self._lock:
            state = self._channels.setdefault(channel, _Channel())
            ack_id = state.next_id
            state.next_id += 1
            state.pending[ack_id] = durability
            state.used = self.clock()
            self._pending += 1
        return ack_id

    def query(self, channel: str, ack_ids: Iterable[int]) -> dict[str, bool]:
        """Each ackId's status; those answered true are forgotten."""
        self._sweep()
        out: dict[str, bool] = {}
        with self._lock:
            state = self._channels.get(channel)
            if state is not None:
                state.used = self.clock()
            for ack_id in ack_ids:
                durability = state.pending.get(ack_id) if state is not None else None
                done = durability is not None and durability.durable()
                if done and state is not None:
                    del state.pending[ack_id]
                    self._pending -= 1
                out[str(ack_id)] = done
        return out

    def _sweep(self) -> None:
        now = self.clock()
        if now - self._swept < SWEEP_EVERY_SECONDS:
            return
        with self._lock:
            self._swept = now
            for name in [n for n, c in self._channels.items()
                         if now - c.used > self.channel_timeout]:
                self._pending -= len(self._channels.pop(name).pending)
