"""``loghaven bench --scenario warm`` on 2000 documents against a real server subprocess: the
figures are there and consistent (the warm index answers as the hot one did, cold and cached;
the object store holds bytes; the migration finished), never how fast anything is (TESTING.md,
"Benchmarks are not tests")."""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson
import pytest

from loghaven.bench import runner


def test_warm_options() -> None:
    parser = argparse.ArgumentParser()
    runner.add_arguments(parser)
    assert runner._plan("warm") == ["ingest", "warm"]
    assert "warm" not in runner._plan("all")
    assert parser.parse_args(["--scenario", "warm"]).docs == 100_000  # 1M once run() starts
    assert isinstance(parser.parse_args([]).docs, runner.DefaultDocs)
    assert not isinstance(parser.parse_args(["--docs", "100000"]).docs, runner.DefaultDocs)


def test_warm_scenario_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    code = runner.main(
        ["--docs", "2000", "--clients", "2", "--bulk-docs", "250", "--scenario", "warm",
         "--query-reps", "3", "--query-budget", "2", "--work-dir", str(tmp_path),
         "--out", str(out)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    data = orjson.loads(out.read_bytes())
    assert code == 0, (data["errors"], printed[-3000:])
    assert data["plan"] == ["ingest", "warm"] and data["config"]["docs"] == 2000

    warm = data["scenarios"]["warm"]
    assert warm["docs"] == 2000 and warm["raw_bytes"] == data["data"]["raw_bytes"]
    assert warm["object_store_bytes"] > 0
    assert warm["object_bytes_per_raw_byte"] == warm["object_store_bytes"] / warm["raw_bytes"]
    assert warm["ratio_to_goal"] == pytest.approx(warm["object_bytes_per_raw_byte"] / 0.15)
    migration = warm["migration"]
    assert migration["states"][-1].startswith("FINISHED") and migration["seconds"] > 0
    assert migration["docs_per_s"] > 0 and migration["raw_mb_per_s"] > 0

    assert warm["cold_measured"] is True
    assert set(warm["queries"]) == {"top10_terms", "match_hits"}
    for name, sides in warm["queries"].items():
        hot, cold, cached = sides["hot"], sides["cold"], sides["cached"]
        # the warm index finds what the hot one found, from the object store and from cache
        assert hot["answer"] == cold["answer"] == cached["answer"], name
        assert cold["seconds"] > 0 and hot["p50_s"] > 0 and cached["p50_s"] > 0
        # with an empty cache the split came from the object store, at start or for the query
        assert cold["bytes_fetched_at_start"] + cold["bytes_fetched_by_query"] > 0
        assert cold["restart_seconds"] > 0
    assert warm["queries"]["top10_terms"]["hot"]["answer"]["buckets"] == 10
    assert warm["queries"]["match_hits"]["hot"]["answer"]["hits"] > 0
    # the warm cache's counters were read after each step
    assert warm["warm_cache"]["top10_terms_after_cold"] is not None

    assert "9. warm" in printed
    assert "### Warm (9)" in runner.report.to_markdown(data)
