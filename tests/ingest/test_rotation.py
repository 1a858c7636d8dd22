"""Firehose's index rotation names (its documented example: myindex at 2016-02-25T13:00Z)."""

import pytest

from loghaven.errors import IllegalArgument
from loghaven.ingest.rotation import rotated_index

WHEN = 1456405200000  # 2016-02-25T13:00:00Z


@pytest.mark.parametrize(("period", "expected"), [
    ("NoRotation", "myindex"),
    ("OneHour", "myindex-2016-02-25-13"),
    ("OneDay", "myindex-2016-02-25"),
    ("OneWeek", "myindex-2016-w08"),
    ("OneMonth", "myindex-2016-02"),
])
def test_documented_names(period: str, expected: str) -> None:
    assert rotated_index("myindex", period, WHEN) == expected


def test_unknown_period_is_refused() -> None:
    with pytest.raises(IllegalArgument, match="OneFortnight"):
        rotated_index("myindex", "OneFortnight", WHEN)
