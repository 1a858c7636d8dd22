"""Index blocks: Elasticsearch's ``index.blocks.*`` settings, and the writes they refuse.

A block is in force from the moment its setting is true, whether the index was created with
it, got it from a template, through ``_settings``, or from the disk monitor at the flood
stage (engine/disk.py). A document write to a blocked index answers ES's
``cluster_block_exception`` naming every write block in force, with the highest status
among them: ``index.blocks.read_only`` (5) and ``index.blocks.write`` (8) are 403 and also
refuse deletes; ``index.blocks.read_only_allow_delete`` (12) is 429 and lets deletes through,
so that documents can be removed to free space.

One narrow exemption: the node's own bounded bookkeeping writes that must be recorded
*because* the disk is full — the metrics history's one sample a minute, which records
``ClusterIndexWritesBlocked`` (ops/history.py) — run inside :func:`flood_stage_exempt`, and
the flood-stage block (only that one, never ``read_only`` or ``write``) does not refuse
them, nor the creation of their daily index. It is a context variable, so no request of a
user ever carries it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from loghaven.errors import ClusterBlock

READ_ONLY = "index.blocks.read_only"
#: The block the flood-stage disk watermark puts on every index.
READ_ONLY_ALLOW_DELETE = "index.blocks.read_only_allow_delete"
WRITE = "index.blocks.write"


@dataclass(frozen=True)
class Block:
    """One of ES's index blocks that refuse writes, as its error names it."""

    setting: str
    id: int
    description: str
    level: str  # ES's RestStatus name
    status: int
    allows_delete: bool

    def label(self) -> str:
        return f"{self.level}/{self.id}/{self.description}"


#: In ES's order of block ids.
WRITE_BLOCKS = (
    Block(READ_ONLY, 5, "index read-only (api)", "FORBIDDEN", 403, False),
    Block(WRITE, 8, "index write (api)", "FORBIDDEN", 403, False),
    Block(READ_ONLY_ALLOW_DELETE, 12, "disk usage exceeded flood-stage watermark, index has "
          "read-only-allow-delete block", "TOO_MANY_REQUESTS", 429, True),
)
_FLOOD_STAGE = WRITE_BLOCKS[-1]
_FLOOD_EXEMPT: ContextVar[bool] = ContextVar("loghaven_flood_stage_exempt", default=False)


@contextlib.contextmanager
def flood_stage_exempt() -> Iterator[None]:
    """Run the enclosed writes of the node's own bookkeeping past the flood-stage block."""
    token = _FLOOD_EXEMPT.set(True)
    try:
        yield
    finally:
        _FLOOD_EXEMPT.reset(token)


def flood_exempt() -> bool:
    """Whether the current work is exempt from the flood-stage block."""
    return _FLOOD_EXEMPT.get()


def is_set(settings: Mapping[str, str], setting: str) -> bool:
    return str(settings.get(setting, "false")).lower() == "true"


def write_block(index: str, settings: Mapping[str, str], op: str) -> ClusterBlock | None:
    """The error of a write ``op`` (index, create, update, delete) to an index with these
    settings, or None if no block refuses it."""
    exempt = _FLOOD_EXEMPT.get()
    found = [block for block in WRITE_BLOCKS if is_set(settings, block.setting)
             and not (op == "delete" and block.allows_delete)
             and not (exempt and block is _FLOOD_STAGE)]
    return blocked(index, found) if found else None


def metadata_block(index: str, settings: Mapping[str, str]) -> ClusterBlock | None:
    """The error of an operation ES checks at the ``METADATA_WRITE`` level (force merge,
    rollover): the read-only blocks refuse it, ``index.blocks.write`` does not."""
    found = [block for block in WRITE_BLOCKS if block.setting != WRITE
             and is_set(settings, block.setting)]
    return blocked(index, found) if found else None


def flood_stage_block(index: str) -> ClusterBlock:
    """The error of a write refused by the read-only-allow-delete block."""
    return blocked(index, [_FLOOD_STAGE])


def blocked(index: str, found: list[Block]) -> ClusterBlock:
    """ES's ``cluster_block_exception`` for blocks in force on one index."""
    labels = ", ".join(block.label() for block in found)
    return ClusterBlock(f"index [{index}] blocked by: [{labels}];",
                        status=max(block.status for block in found))
