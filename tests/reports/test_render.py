"""The CSV of a report: one row per event, nested and dotted field names alike, and values a
spreadsheet would run as formulas kept as text."""

from __future__ import annotations

from loghaven.reports.render import to_csv
from loghaven.reports.sections import Found


def test_csv_rows_and_formula_values() -> None:
    found = Found("Logins", "- 2 logins", 2, ("user.name", "source.address", "bytes"),
                  "@timestamp", [
                      {"@timestamp": "2026-12-05T10:00:00Z", "user": {"name": "=HYPERLINK(1)"},
                       "source.address": "@evil", "bytes": -5},
                      {"@timestamp": "2026-12-05T09:00:00Z", "user": {"name": "alice, b"},
                       "source": {"address": "198.51.100.7"}}])
    assert to_csv([found], limit=10).split("\r\n") == [
        "section,@timestamp,user.name,source.address,bytes",
        "Logins,2026-12-05T10:00:00Z,'=HYPERLINK(1),'@evil,-5",
        'Logins,2026-12-05T09:00:00Z,"alice, b",198.51.100.7,', ""]
    assert to_csv([found], limit=1).count("\r\n") == 2
