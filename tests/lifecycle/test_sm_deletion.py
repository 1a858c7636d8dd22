"""Which snapshots an SM deletion removes: OpenSearch's ``DeletingState
.filterByDeleteCondition`` as a table — by start time, the ones past ``max_age`` while at
least ``min_count`` stay, then the oldest beyond ``max_count`` (which wins over
``min_count``)."""

from __future__ import annotations

from typing import Any

import pytest

from loghaven.lifecycle.sm.policy import select_for_deletion

NOW = 100_000
#: s1 … s5, started 90 s … 50 s before NOW; given out of order.
SNAPSHOTS = [{"snapshot": f"s{n}", "start_time_in_millis": n * 10_000} for n in (3, 1, 5, 2, 4)]


@pytest.mark.parametrize(("condition", "deleted"), [
    ({"max_count": 3, "min_count": 1}, ["s1", "s2"]),
    ({"max_count": 5, "min_count": 1}, []),
    ({"max_age": "60s", "min_count": 1}, ["s1", "s2", "s3"]),  # started before 40 000
    ({"max_age": "60s", "min_count": 4}, ["s1"]),
    ({"max_age": "60s", "min_count": 10}, []),
    ({"max_age": "60s", "min_count": 1, "max_count": 1}, ["s1", "s2", "s3", "s4"]),
    ({"max_age": "60s", "min_count": 4, "max_count": 2}, ["s1", "s2", "s3"]),
    ({"max_age": "1000s", "min_count": 1, "max_count": 2}, ["s1", "s2", "s3"]),
    ({"max_age": "1000s", "min_count": 1}, []),
])
def test_select_for_deletion(condition: dict[str, Any], deleted: list[str]) -> None:
    assert select_for_deletion(SNAPSHOTS, condition, NOW) == deleted


def test_select_for_deletion_of_none() -> None:
    assert select_for_deletion([], {"max_age": "1s", "max_count": 1, "min_count": 1}, NOW) == []
