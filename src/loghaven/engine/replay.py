"""Recovery of an index from its write-ahead log: on open, and after a failed append or commit.

Memory is brought back to exactly what the log holds (:func:`reapply_log`); if even that
fails, writes are refused until a refresh manages it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import orjson

from loghaven.engine.documents_state import (
    LiveDoc,
    WriteRequest,
    WriteResult,
    ids_in_split,
    now_ms,
)
from loghaven.engine.wal import OP_INDEX, Operation
from loghaven.engine.writes import apply_index, build
from loghaven.errors import (
    EngineFailure,
    LoghavenError,
    TranslogFailure,
)

if TYPE_CHECKING:
    from loghaven.engine.index import Index

log = logging.getLogger("loghaven.engine")


def replay(index: Index) -> None:
    """Re-apply logged operations after the checkpoint and commit them.

    On a full disk the commit fails: the operations stay in the log and in the writer,
    and a later refresh commits them, so the index opens (read-only) all the same.
    """
    reapply_log(index)
    if index.pending:
        try:
            index.refresh()
        except LoghavenError as error:
            log.warning("index %s: committing the replayed log failed (%s); a later "
                        "refresh retries", index.name, error.to_cause())


def reapply_log(index: Index) -> None:
    """Make memory agree with the log: on open, and after a failed append or commit.

    The live map is rebuilt from the log and swapped in whole, so realtime GET answers
    every logged operation throughout, even if tantivy cannot take them now (on a full
    disk its writer cannot even buffer). Then every split drops what its writer has
    not committed (a failed commit has lost it anyway) and the logged operations are
    applied again: what the log holds is there, what it lacks is not. If applying
    fails too, writes are refused until a refresh manages it.
    """
    assert index.wal is not None
    operations = list(index.wal.replay(index.checkpoint))
    live = {k: v for k, v in index.live.items()
            if v.source is None and v.seq_no <= index.checkpoint}
    for op in operations:
        live[op.doc_id] = LiveDoc(op.version, op.seq_no,
                                  op.source if op.op == OP_INDEX else None, None, now_ms())
    index.live = live
    index.live_bytes = sum(len(op.source) for op in operations)
    index.unlisted_appends = False
    for split in index.splits:
        split.rollback()
    index.pending = bool(operations)
    index.pending_bytes = sum(len(op.source) for op in operations)
    index.seq_no = max([index.seq_no, *(op.seq_no for op in operations)])
    try:
        apply_logged(index, operations)
        index._unapplied = None
    except Exception as exc:  # any engine failure; retried by refresh
        refuse_writes(index, exc)


def recover(index: Index) -> None:
    """:func:`reapply_log` in the running index, where even a log that cannot be read
    (an error on the full disk) must leave it consistent: no writes until a refresh."""
    try:
        reapply_log(index)
    except Exception as exc:
        refuse_writes(index, exc)


def refuse_writes(index: Index, exc: Exception) -> None:
    for split in index.splits:
        split.rollback()
    index._unapplied = EngineFailure(index.name, exc)
    log.warning("index %s: re-applying the log failed (%s); writes are refused until a "
                "refresh succeeds", index.name, exc)


def apply_logged(index: Index, operations: list[Operation]) -> None:
    """Apply logged operations to the splits, idempotently (each id is deleted first)."""
    ids = list({op.doc_id for op in operations})
    for split in index.splits[:-1]:
        for doc_id in ids_in_split(split, ids):
            split.delete_id(doc_id)
    for op in operations:
        index.active.delete_id(op.doc_id)
        if op.op == OP_INDEX:
            try:
                apply_index(index, build(index, orjson.loads(op.source), op.doc_id), op, None)
            except LoghavenError:  # accepted once, no longer fits: not there
                index.live.pop(op.doc_id, None)


def undo(index: Index, requests: list[WriteRequest],
         results: list[WriteResult | LoghavenError],
         exc: Exception) -> list[WriteResult | LoghavenError]:
    """After the log or tantivy failed in a batch: memory goes back to what the log
    holds, and the items that did not reach it fail with a 500."""
    failure = (TranslogFailure(index.name, exc) if isinstance(exc, OSError)
               else EngineFailure(index.name, exc))
    lost = {op.seq_no for op in index._unlogged}
    index._unlogged = []
    log.warning("index %s: a write failed and was undone: %s", index.name, exc)
    recover(index)
    kept = [failure if isinstance(r, WriteResult) and r.seq_no in lost else r
            for r in results]
    return kept + [failure] * (len(requests) - len(results))
