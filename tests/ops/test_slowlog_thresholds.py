"""Slow log thresholds as OpenSearch reads them: the most severe level passed wins, ``-1``
is off, sub-millisecond values are kept, the ``level`` setting leaves out lower levels; and
the listener's cache follows settings changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from loghaven.config import Config
from loghaven.engine import index_metadata
from loghaven.node import Node
from loghaven.ops.logs.slowlog import Thresholds, level_of


def test_the_most_severe_level_passed_is_chosen() -> None:
    parsed = Thresholds.of({"index.search.slowlog.threshold.query.warn": "10s",
                            "index.search.slowlog.threshold.query.info": "5s",
                            "index.search.slowlog.threshold.query.debug": "-1",
                            "index.search.slowlog.threshold.query.trace": "500micros"})
    assert parsed is not None
    assert parsed.query == (("warn", 10_000), ("info", 5_000), ("trace", 0.5))
    levels = parsed.search_levels
    assert [level_of(parsed.query, levels, ms) for ms in (0.4, 0.6, 5_000, 5_001, 20_000)] \
        == [None, "trace", "trace", "info", "warn"]
    assert parsed.source_chars == 1000 and parsed.reformat


@pytest.mark.parametrize(("lowest", "expected"), [
    ("trace", "trace"), ("debug", None), ("WARN", None)])
def test_the_level_setting_leaves_out_lower_levels(lowest: str, expected: str | None) -> None:
    parsed = Thresholds.of({"index.indexing.slowlog.threshold.index.trace": "0",
                            "index.indexing.slowlog.level": lowest})
    assert parsed is not None
    assert level_of(parsed.index, parsed.indexing_levels, 1.0) == expected


def test_no_thresholds_means_nothing_to_check() -> None:
    assert Thresholds.of({}) is None
    assert Thresholds.of({"index.search.slowlog.threshold.fetch.warn": "-1",
                          "index.indexing.slowlog.source": "true"}) is None


def test_the_cache_follows_settings_updates(tmp_path: Path) -> None:
    node = Node(Config(data_dir=tmp_path / "data", ingest_workers=0))
    try:
        index = node.catalog.create_index("app")
        slowlogs = node.logs.slowlogs
        assert slowlogs.thresholds("app") is None
        assert slowlogs.thresholds("app") is None  # cached
        index_metadata.update_settings(node.catalog, [index], {
            "index.search.slowlog.threshold.query.info": "1ms"})
        found = slowlogs.thresholds("app")
        assert found is not None and found.query == (("info", 1),)
        index_metadata.update_settings(node.catalog, [index], {
            "index.search.slowlog.threshold.query.info": ""})
        assert slowlogs.thresholds("app") is None
        assert slowlogs.thresholds("missing") is None
    finally:
        node.close()
