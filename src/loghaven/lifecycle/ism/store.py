"""Policies (metastore kind ``ism_policy``, with ``_seq_no``/``_primary_term`` as OpenSearch
gives its config index documents) and managed-index records (kind ``ism_managed_index``).

OpenSearch keeps both in one index (``.opendistro-ism-config``) whose sequence numbers count
every write to it; here one counter (kind ``ism_seq``) counts policy writes and deletions,
written in the same transaction as the policy, so ``if_seq_no`` compares what a client read
with what is stored even across restarts. Primary term is 1: one node, no failover."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from loghaven.errors import VersionConflict
from loghaven.lifecycle.ism.managed import ManagedIndex
from loghaven.storage.metastore import Metastore

POLICY = "ism_policy"
MANAGED = "ism_managed_index"
SEQ = "ism_seq"
#: OpenSearch's config index, named in version conflicts and deletion responses.
CONFIG_INDEX = ".opendistro-ism-config"
PRIMARY_TERM = 1
#: ``SequenceNumbers.UNASSIGNED_SEQ_NO`` / ``UNASSIGNED_PRIMARY_TERM``: not given.
UNASSIGNED_SEQ_NO = -2
UNASSIGNED_PRIMARY_TERM = 0


class IsmStore:
    def __init__(self, metastore: Metastore) -> None:
        self.metastore = metastore
        self._write = threading.Lock()  # check-then-write of a policy is one step
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()

    # --- policies ------------------------------------------------------------------------

    def get_policy(self, policy_id: str) -> dict[str, Any] | None:
        """``{"_id", "_seq_no", "_primary_term", "_version", "policy"}`` or None."""
        return self.metastore.get(POLICY, policy_id)

    def policies(self) -> list[dict[str, Any]]:
        return list(self.metastore.list(POLICY).values())

    def put_policy(self, policy_id: str, policy: dict[str, Any], *,
                   if_seq_no: int | None = None, if_primary_term: int | None = None,
                   user: dict[str, Any] | None = None) -> tuple[bool, dict[str, Any]]:
        """Index a policy as OpenSearch's transport action does: without ``if_seq_no`` and
        ``if_primary_term`` a create (409 if it exists), with them an update of exactly that
        version (409 otherwise). ``user`` is its author (OpenSearch's ``Policy.user``), whose
        permissions its ISM templates attach with. Returns (created, the stored record)."""
        with self._write:
            current = self.get_policy(policy_id)
            unassigned = if_seq_no in (None, UNASSIGNED_SEQ_NO) \
                or if_primary_term in (None, UNASSIGNED_PRIMARY_TERM)
            if unassigned and current is not None:
                raise _conflict(policy_id, f"document already exists (current version "
                                           f"[{current['_version']}])")
            if not unassigned:
                if current is None:
                    raise _conflict(policy_id, f"required seqNo [{if_seq_no}], primary term "
                                               f"[{if_primary_term}]. but no document was found")
                if (current["_seq_no"], current["_primary_term"]) != (if_seq_no,
                                                                      if_primary_term):
                    raise _conflict(policy_id, f"required seqNo [{if_seq_no}], primary term "
                                               f"[{if_primary_term}]. current document has "
                                               f"seqNo [{current['_seq_no']}] and primary "
                                               f"term [{current['_primary_term']}]")
            seq_no = self._next_seq_no()
            record = {"_id": policy_id, "_seq_no": seq_no, "_primary_term": PRIMARY_TERM,
                      "_version": 1 if current is None else current["_version"] + 1,
                      "policy": policy, "user": user}
            self.metastore.put_many([(POLICY, policy_id, record),
                                     (SEQ, "config", {"seq_no": seq_no})])
            return current is None, record

    def delete_policy(self, policy_id: str) -> dict[str, Any] | None:
        """Delete a policy: its last record with the deletion's ``_seq_no`` and
        ``_version``, or None if there was none."""
        with self._write:
            current = self.get_policy(policy_id)
            if current is None:
                return None
            seq_no = self._next_seq_no()
            self.metastore.put_many([(POLICY, policy_id, None),
                                     (SEQ, "config", {"seq_no": seq_no})])
            return {**current, "_seq_no": seq_no, "_version": current["_version"] + 1}

    def _next_seq_no(self) -> int:
        stored = self.metastore.get(SEQ, "config")
        return (stored["seq_no"] if stored else -1) + 1

    # --- managed indices -----------------------------------------------------------------

    def managed(self, index_uuid: str) -> ManagedIndex | None:
        data = self.metastore.get(MANAGED, index_uuid)
        return None if data is None else ManagedIndex.from_json(data)

    def all_managed(self) -> list[ManagedIndex]:
        return [ManagedIndex.from_json(data)
                for data in self.metastore.list(MANAGED).values()]

    def put_managed(self, managed: ManagedIndex) -> None:
        self.metastore.put(MANAGED, managed.index_uuid, managed.to_json())

    def delete_managed(self, index_uuid: str) -> None:
        self.metastore.delete(MANAGED, index_uuid)

    @contextlib.contextmanager
    def locked(self, index_uuid: str) -> Iterator[None]:
        """One writer of a managed index's record at a time (a run, or remove/change/retry).
        Re-entrant, so that a run may call what takes it again."""
        with self._locks_guard:
            lock = self._locks.setdefault(index_uuid, threading.RLock())
        with lock:
            yield


def _conflict(policy_id: str, detail: str) -> VersionConflict:
    return VersionConflict(f"[{policy_id}]: version conflict, {detail}", index_uuid="_na_",
                           shard="0", index=CONFIG_INDEX)
