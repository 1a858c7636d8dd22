"""The runner's pure parts: the job interval OpenSearch gives in minutes (or a time value),
retry backoffs, and the conditions that need a clock (cron, ages)."""

from __future__ import annotations

import pytest

from loghaven.lifecycle.ism.conditions import IndexFacts, rollover_holds, transition_holds
from loghaven.lifecycle.ism.runner import _backing_off, job_interval_ms

MINUTE = 60_000


def test_job_interval_minutes_or_time_value() -> None:
    assert job_interval_ms("5") == 5 * MINUTE
    assert job_interval_ms(1) == MINUTE
    assert job_interval_ms("1s") == 1000
    assert job_interval_ms("10m") == 10 * MINUTE
    for bad in ("0", "-1", "soon", "1.5m"):
        with pytest.raises(ValueError):
            job_interval_ms(bad)


@pytest.mark.parametrize(("backoff", "retries", "wait_ms"), [
    ("exponential", 1, 1000), ("exponential", 3, 4000), ("constant", 3, 1000),
    ("linear", 3, 3000)])
def test_backoffs(backoff: str, retries: int, wait_ms: int) -> None:
    action = {"consumed_retries": retries, "last_retry_time": 10_000}
    retry = {"count": 5, "backoff": backoff, "delay": "1s"}
    assert _backing_off(action, retry, 10_000 + wait_ms - 1)
    assert not _backing_off(action, retry, 10_000 + wait_ms)
    assert not _backing_off({"consumed_retries": 0, "last_retry_time": None}, retry, 0)


def _facts(**values: int | None) -> IndexFacts:
    base = {"now_ms": 100 * MINUTE, "creation_date": 40 * MINUTE, "doc_count": 5,
            "size_bytes": 2048, "step_start_time": 99 * MINUTE}
    return IndexFacts(**{**base, **values})  # type: ignore[arg-type]


def test_transition_conditions() -> None:
    assert transition_holds(None, _facts())
    assert transition_holds({"min_index_age": "1h"}, _facts())
    assert not transition_holds({"min_index_age": "61m"}, _facts())
    assert not transition_holds({"min_index_age": "1m"}, _facts(creation_date=-1))
    assert transition_holds({"min_doc_count": 5}, _facts())
    assert not transition_holds({"min_doc_count": 6}, _facts())
    assert transition_holds({"min_size": "2kb"}, _facts())
    assert not transition_holds({"min_size": "3kb"}, _facts())
    assert not transition_holds({"min_rollover_age": "1m"}, _facts())
    assert transition_holds({"min_rollover_age": "1m"}, _facts(rollover_time=98 * MINUTE))
    assert transition_holds({"no_alias": True}, _facts())
    assert not transition_holds({"no_alias": False}, _facts())


def test_cron_condition_waits_for_the_next_slot_after_the_step_started() -> None:
    hourly = {"cron": {"cron": {"expression": "0 * * * *", "timezone": "UTC"}}}  # as stored
    assert not transition_holds(hourly, _facts(step_start_time=99 * MINUTE,
                                               now_ms=119 * MINUTE))
    assert transition_holds(hourly, _facts(step_start_time=99 * MINUTE, now_ms=120 * MINUTE))


def test_rollover_conditions_any_of() -> None:
    assert rollover_holds({}, _facts())
    assert rollover_holds({"min_doc_count": 100, "min_size": "1kb"}, _facts())
    assert not rollover_holds({"min_doc_count": 100, "min_primary_shard_size": "1mb"},
                              _facts())
