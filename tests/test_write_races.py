"""Writes racing index creation and deletion, with the interleaving forced (no timing luck):
the write service's contract, as ``_bulk`` calls it, on a node in this process."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from loghaven.config import Config
from loghaven.engine import sidecar
from loghaven.engine.documents_state import WriteRequest
from loghaven.ingest.bulk import parse_bulk
from loghaven.node import Node
from loghaven.storage import files


@pytest.fixture()
def node(tmp_path: Path) -> Iterator[Node]:
    node = Node(Config(data_dir=tmp_path, ingest_workers=0))
    yield node
    node.close()


def bulk(node: Node, index: str, fields: list[str]) -> dict[str, Any]:
    lines = [orjson.dumps(line) for field in fields
             for line in ({"create": {"_index": index, "_id": field}}, {field: 1})]
    return node.write_service.bulk(parse_bulk(b"\n".join(lines) + b"\n", None), None)


def statuses(body: dict[str, Any]) -> list[int]:
    return [next(iter(item.values()))["status"] for item in body["items"]]


class _RenamesPaused:
    """``os`` for storage/files.py whose ``replace`` of a sidecar, in the thread that created
    the index, first runs ``meanwhile``: another bulk writes while the creation's save has
    written its temporary file and not yet renamed it."""

    def __init__(self, meanwhile: threading.Thread) -> None:
        self.meanwhile = meanwhile
        self.creator = threading.current_thread()

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def replace(self, source: Any, target: Any) -> None:
        if Path(target).name == sidecar.SIDECAR and threading.current_thread() is self.creator \
                and not self.meanwhile.is_alive() and self.meanwhile.ident is None:
            self.meanwhile.start()
            # The other bulk runs to its end here, or waits for this save if saves are
            # serialized; then this save goes on (the wait is bounded either way).
            self.meanwhile.join(timeout=2)
        os.replace(source, target)


def test_a_bulk_writing_while_another_creates_the_index_fails_nothing_and_loses_no_mapping(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two bulks auto-create one new index; the second's first write (a dynamic mapping
    update, which saves the index's metadata) comes while the first is saving the new index.
    Both saves once shared ``index.json.tmp``: one rename failed with "No such file or
    directory", an item 500 ``translog_exception``; and the older record could land last."""
    node = Node(Config(data_dir=tmp_path, ingest_workers=0))
    second: dict[str, Any] = {}
    other = threading.Thread(target=lambda: second.update(bulk(node, "race", ["late"])))
    monkeypatch.setattr(files, "os", _RenamesPaused(other))
    first = bulk(node, "race", ["early"])
    other.join(timeout=30)
    monkeypatch.undo()
    assert statuses(first) == [201], first
    assert statuses(second) == [201], second
    node.close()
    again = Node(Config(data_dir=tmp_path, ingest_workers=0))
    try:
        index = again.catalog.get("race")
        assert set(index.mapping.body["properties"]) == {"early", "late"}
        assert {"early", "late"} <= set(sidecar.read(index.folder)["mappings"]["properties"])
        assert index.get("early") is not None and index.get("late") is not None
    finally:
        again.close()


def test_a_write_to_an_index_deleted_meanwhile_answers_index_not_found(node: Node) -> None:
    """A bulk found the index, then a delete of it went first: its items answer ES's
    ``index_not_found_exception`` (404), not a 500 from a log in a removed folder, and the
    deleted index is not brought back."""
    assert statuses(bulk(node, "gone", ["a"])) == [201]
    index = node.catalog.get("gone")
    node.catalog.delete_index(index)
    results = index.write([WriteRequest("create", "b", b'{"b":1}'),
                           WriteRequest("delete", "a")])
    assert [(r.status, r.type) for r in results] == [(404, "index_not_found_exception")] * 2
    assert not index.folder.exists()
    node.catalog.save_meta(index)  # e.g. a mapping update under way when the delete came
    index.save_checksums()  # the scheduled refresh job, with the index in its snapshot
    assert node.catalog.metastore.get("index", "gone") is None
    assert node.catalog.metastore.get("index_state", index.uuid) is None
    assert not index.folder.exists()


def test_a_write_to_an_index_closed_meanwhile_answers_index_closed(node: Node) -> None:
    """As a delete, a close that goes first makes the items ES's ``index_closed_exception``."""
    assert statuses(bulk(node, "shut", ["a"])) == [201]
    index = node.catalog.get("shut")
    index.set_closed(True)
    results = index.write([WriteRequest("create", "b", b'{"b":1}')])
    assert [(r.status, r.type) for r in results] == [(400, "index_closed_exception")]
    index.set_closed(False)
    assert index.get("a") is not None and index.get("b") is None
