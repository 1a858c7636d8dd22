"""Tests for loghaven.engine.dates against documented Elasticsearch behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loghaven.engine.dates import (
    DEFAULT,
    DYNAMIC_DATE_FORMATS,
    DateFormat,
    calendar_floor,
    calendar_next,
    detect_date_format,
    get_format,
    get_zone,
    is_date_string,
    parse_date_math,
    parse_duration_ms,
    utc_offset_ms,
)


def ms(*args: int, tz: timezone | ZoneInfo = UTC) -> int:
    """Epoch millis of a wall time, computed independently with datetime."""
    dt = datetime(*args, tzinfo=tz)  # type: ignore[misc]
    return (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def iso(millis: int) -> str:
    return get_format(DEFAULT).format(millis)


# ---------------------------------------------------------------------------------------------
# strict_date_optional_time || epoch_millis (the default)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", ms(2024, 1, 1)),
        ("2024-01-01T10:00", ms(2024, 1, 1, 10)),
        ("2024-01-01T10", ms(2024, 1, 1, 10)),
        ("2024-01-01T10:00:00Z", ms(2024, 1, 1, 10)),
        ("2024-01-01T10:00:00.123+02:00", ms(2024, 1, 1, 8, 0, 0, 123_000)),
        ("2024-01-01T10:00:00.123456789Z", ms(2024, 1, 1, 10, 0, 0, 123_000)),
        ("2024-01-01T10:00:00.999999999Z", ms(2024, 1, 1, 10, 0, 0, 999_000)),
        ("2024-01-01T10:00:00.5Z", ms(2024, 1, 1, 10, 0, 0, 500_000)),
        ("2024-01-01T10:00:00,5Z", ms(2024, 1, 1, 10, 0, 0, 500_000)),
        ("2024-01-01T10:00:00+0200", ms(2024, 1, 1, 8)),
        ("2024-01-01T10:00:00-05", ms(2024, 1, 1, 15)),
        ("2024-01-01T10:00:00", ms(2024, 1, 1, 10)),
        ("2024-01-01T10:00:00.123", ms(2024, 1, 1, 10, 0, 0, 123_000)),
        ("2024-06-01T12:00:00Europe/Paris", ms(2024, 6, 1, 10)),
        ("2024-01-01TZ", ms(2024, 1, 1)),
        ("2024-02", ms(2024, 2, 1)),
        ("2024", ms(2024, 1, 1)),  # a 4-digit string is a year, as in ES
        ("1704067200000", 1_704_067_200_000),  # too long for a year: epoch_millis
        ("20240101", 20_240_101),  # basic dates are not ISO in ES: epoch_millis
        ("-100", -100),
        ("1704067200000.5", 1_704_067_200_000),
        ("2024-02-29", ms(2024, 2, 29)),
    ],
)
def test_default_format_parses(text: str, expected: int) -> None:
    assert get_format(DEFAULT).parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01 10:00:00",  # ES rejects the space separator
        "2024-01-01T24:00:00Z",
        "2024-01-01T10:60:00Z",
        "2024-01-01T10:00:60Z",
        "2023-02-29",
        "2024-13-01",
        "2024-1-1",  # strict wants two digits
        "2024-01-01T10:00:00.1234567891Z",  # more than nine fraction digits
        "2024-01-01T10:00:00+19:00",  # beyond java.time's +-18:00
        "2024-01-01T10:00:00Mars/Olympus",
        "01/01/2024",
        "yesterday",
        "2024-01-01T10:00:00Z ",
        "1.5e12",
        "",
    ],
)
def test_default_format_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        get_format(DEFAULT).parse(text)


def test_error_message_is_es_shaped() -> None:
    with pytest.raises(ValueError) as err:
        get_format(DEFAULT).parse("2024-01-01 10:00:00")
    assert str(err.value) == (
        "failed to parse date field [2024-01-01 10:00:00] with format "
        "[strict_date_optional_time||epoch_millis]"
    )
    with pytest.raises(ValueError, match="cannot parse empty date"):
        get_format(DEFAULT).parse("")


def test_numbers_are_parsed_from_their_text() -> None:
    f = get_format(DEFAULT)
    assert f.parse(1_704_067_200_000) == 1_704_067_200_000
    assert f.parse(1_704_067_200_000.0) == 1_704_067_200_000
    assert f.parse(1_704_067_200_000.75) == 1_704_067_200_000
    assert f.parse(0) == 0
    assert f.parse(2024) == ms(2024, 1, 1)  # same text as "2024", as in ES
    assert get_format("epoch_second").parse(1_704_067_200) == 1_704_067_200_000
    assert get_format("epoch_second").parse(1_704_067_200.5) == 1_704_067_200_500
    with pytest.raises(ValueError):
        f.parse(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        f.parse(float("nan"))
    with pytest.raises(ValueError):
        f.parse(None)  # type: ignore[arg-type]


def test_default_format_prints_iso_with_millis() -> None:
    f = get_format(DEFAULT)
    assert f.format(ms(2024, 1, 1)) == "2024-01-01T00:00:00.000Z"
    assert f.format(ms(2024, 1, 1, 10, 0, 0, 123_000)) == "2024-01-01T10:00:00.123Z"
    assert f.format(ms(2024, 1, 1), "+01:00") == "2024-01-01T01:00:00.000+01:00"
    assert f.format(ms(2024, 7, 1), "Europe/Paris") == "2024-07-01T02:00:00.000+02:00"
    assert f.format(ms(2024, 1, 1), "America/New_York") == "2023-12-31T19:00:00.000-05:00"
    assert f.format(-1) == "1969-12-31T23:59:59.999Z"


def test_time_zone_applies_only_to_values_without_one() -> None:
    f = get_format(DEFAULT)
    assert f.parse("2020-01-01T00:00:00", tz="+01:00") == ms(2019, 12, 31, 23)
    assert f.parse("2020-01-01T00:00:00Z", tz="+01:00") == ms(2020, 1, 1)
    assert f.parse("2020-01-01", tz="Europe/Paris") == ms(2019, 12, 31, 23)
    assert f.parse("2020-07-01T12:00:00", tz="Europe/Paris") == ms(2020, 7, 1, 10)
    assert f.parse("2020-07-01T12:00:00", tz="UTC") == ms(2020, 7, 1, 12)
    assert f.parse("1593604800000", tz="Europe/Paris") == 1_593_604_800_000  # epochs are UTC


def test_dst_gap_and_overlap_resolve_like_java_time() -> None:
    f = get_format(DEFAULT)
    # 02:30 does not exist in Paris on 2024-03-31; java.time moves it to 03:30 CEST.
    assert f.parse("2024-03-31T02:30:00", tz="Europe/Paris") == ms(2024, 3, 31, 1, 30)
    # 02:30 happens twice on 2024-10-27; java.time takes the earlier offset (CEST).
    assert f.parse("2024-10-27T02:30:00", tz="Europe/Paris") == ms(2024, 10, 27, 0, 30)


def test_round_up_fills_missing_fields_with_their_maximum() -> None:
    f = get_format(DEFAULT)
    assert f.parse("2024-01-01", round_up=True) == ms(2024, 1, 1, 23, 59, 59, 999_000)
    assert f.parse("2024-01-01T10", round_up=True) == ms(2024, 1, 1, 10, 59, 59, 999_000)
    assert f.parse("2024-01-01T10:15:30", round_up=True) == ms(2024, 1, 1, 10, 15, 30, 999_000)
    assert f.parse("2024-01-01T10:15:30.1Z", round_up=True) == ms(2024, 1, 1, 10, 15, 30, 100_000)
    # ES's documented quirk: month and day default to 01 even when rounding up.
    assert f.parse("2099-12", round_up=True) == ms(2099, 12, 1, 23, 59, 59, 999_000)
    assert f.parse("1704067200000", round_up=True) == 1_704_067_200_000


# ---------------------------------------------------------------------------------------------
# Named formats
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "text", "expected", "printed"),
    [
        ("epoch_millis", "1704067200123", ms(2024, 1, 1, 0, 0, 0, 123_000), "1704067200123"),
        ("epoch_millis", "-1.5", -2, "-2"),
        ("epoch_millis", "1704067200123.", ms(2024, 1, 1, 0, 0, 0, 123_000), "1704067200123"),
        ("epoch_second", "1704067200", ms(2024, 1, 1), "1704067200"),
        ("epoch_second", "1704067200.5", ms(2024, 1, 1, 0, 0, 0, 500_000), "1704067200.5"),
        ("epoch_second", "-1", -1000, "-1"),
        ("date_optional_time", "2024-1-5T1:2:3Z", ms(2024, 1, 5, 1, 2, 3), None),
        ("date_optional_time", "2024-01-05", ms(2024, 1, 5), "2024-01-05T00:00:00.000Z"),
        ("strict_date_optional_time_nanos", "2024-01-05T10:00:00.123456789Z",
         ms(2024, 1, 5, 10, 0, 0, 123_000), "2024-01-05T10:00:00.123Z"),
        ("iso8601", "2024-01-05T10:00:00+01:00", ms(2024, 1, 5, 9), "2024-01-05T09:00:00.000Z"),
        ("basic_date", "20240105", ms(2024, 1, 5), "20240105"),
        ("basic_date_time", "20240105T101112.123+0100", ms(2024, 1, 5, 9, 11, 12, 123_000),
         "20240105T091112.123Z"),
        ("basic_date_time_no_millis", "20240105T101112Z", ms(2024, 1, 5, 10, 11, 12),
         "20240105T101112Z"),
        ("basic_ordinal_date", "2024032", ms(2024, 2, 1), "2024032"),
        ("basic_time", "101112.5Z", ms(1970, 1, 1, 10, 11, 12, 500_000), "101112.500Z"),
        ("basic_t_time_no_millis", "T101112Z", ms(1970, 1, 1, 10, 11, 12), "T101112Z"),
        ("basic_week_date", "2024W011", ms(2024, 1, 1), "2024W011"),
        ("strict_basic_week_date", "2020W537", ms(2021, 1, 3), "2020W537"),
        ("date", "2024-01-05", ms(2024, 1, 5), "2024-01-05"),
        ("date", "2024-1-5", ms(2024, 1, 5), "2024-01-05"),
        ("strict_date", "2024-01-05", ms(2024, 1, 5), "2024-01-05"),
        ("date_hour", "2024-01-05T10", ms(2024, 1, 5, 10), "2024-01-05T10"),
        ("date_hour_minute", "2024-01-05T10:11", ms(2024, 1, 5, 10, 11), "2024-01-05T10:11"),
        ("date_hour_minute_second", "2024-01-05T10:11:12", ms(2024, 1, 5, 10, 11, 12),
         "2024-01-05T10:11:12"),
        ("strict_date_hour_minute_second", "2024-01-05T10:11:12", ms(2024, 1, 5, 10, 11, 12),
         "2024-01-05T10:11:12"),
        ("date_hour_minute_second_fraction", "2024-01-05T10:11:12.3",
         ms(2024, 1, 5, 10, 11, 12, 300_000), "2024-01-05T10:11:12.300"),
        ("strict_date_hour_minute_second_millis", "2024-01-05T10:11:12.123",
         ms(2024, 1, 5, 10, 11, 12, 123_000), "2024-01-05T10:11:12.123"),
        ("date_time", "2024-01-05T10:11:12.123Z", ms(2024, 1, 5, 10, 11, 12, 123_000),
         "2024-01-05T10:11:12.123Z"),
        ("strict_date_time", "2024-01-05T10:11:12.123-02:00",
         ms(2024, 1, 5, 12, 11, 12, 123_000), "2024-01-05T12:11:12.123Z"),
        ("date_time_no_millis", "2024-01-05T10:11:12+01:00", ms(2024, 1, 5, 9, 11, 12),
         "2024-01-05T09:11:12Z"),
        ("strict_date_time_no_millis", "2024-01-05T10:11:12Z", ms(2024, 1, 5, 10, 11, 12),
         "2024-01-05T10:11:12Z"),
        ("hour", "7", ms(1970, 1, 1, 7), "07"),
        ("strict_hour_minute", "07:30", ms(1970, 1, 1, 7, 30), "07:30"),
        ("hour_minute_second_millis", "07:30:15.250", ms(1970, 1, 1, 7, 30, 15, 250_000),
         "07:30:15.250"),
        ("ordinal_date", "2024-32", ms(2024, 2, 1), "2024-032"),
        ("strict_ordinal_date_time", "2024-032T10:11:12.5Z", ms(2024, 2, 1, 10, 11, 12, 500_000),
         "2024-032T10:11:12.500Z"),
        ("time", "10:11:12.5+01:00", ms(1970, 1, 1, 9, 11, 12, 500_000), "09:11:12.500Z"),
        ("time_no_millis", "10:11:12Z", ms(1970, 1, 1, 10, 11, 12), "10:11:12Z"),
        ("t_time", "T10:11:12.5Z", ms(1970, 1, 1, 10, 11, 12, 500_000), "T10:11:12.500Z"),
        ("week_date", "2024-W1-1", ms(2024, 1, 1), "2024-W01-1"),
        ("strict_week_date_time", "2024-W02-3T10:11:12.000Z", ms(2024, 1, 10, 10, 11, 12),
         "2024-W02-3T10:11:12.000Z"),
        ("weekyear_week", "2024-W02", ms(2024, 1, 8), "2024-W02"),
        ("weekyear", "2021", ms(2021, 1, 4), "2021"),
        ("year", "2024", ms(2024, 1, 1), "2024"),
        ("strict_year", "2024", ms(2024, 1, 1), "2024"),
        ("year_month", "2024-03", ms(2024, 3, 1), "2024-03"),
        ("year_month_day", "2024-03-05", ms(2024, 3, 5), "2024-03-05"),
        ("year_month_day", "2024-03", ms(2024, 3, 1), "2024-03-01"),
        ("dateOptionalTime", "2024-03-05T10:00:00", ms(2024, 3, 5, 10), None),
        ("strictDateOptionalTime", "2024-03-05", ms(2024, 3, 5), None),
        ("basicTTime", "T101112.5Z", ms(1970, 1, 1, 10, 11, 12, 500_000), None),
    ],
)  # fmt: skip
def test_named_formats(fmt: str, text: str, expected: int, printed: str | None) -> None:
    f = get_format(fmt)
    assert f.parse(text) == expected
    if printed is not None:
        assert f.format(expected) == printed


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("strict_date", "2024-1-5"),
        ("strict_date_hour_minute_second", "2024-01-05 10:11:12"),
        ("basic_date", "2024-01-05"),
        ("epoch_millis", "1e12"),
        ("epoch_millis", "+5"),
        ("epoch_millis", "1.1234567"),
        ("epoch_second", "abc"),
        ("date_optional_time", "20240101"),
        ("strict_time", "10:11:12"),  # the zone is required
        ("strict_week_date", "2024-W54-1"),
        ("date_time", "2024-01-05T10:11:12.123"),  # the offset is required
    ],
)
def test_named_formats_reject(fmt: str, text: str) -> None:
    with pytest.raises(ValueError, match=r"failed to parse date field"):
        get_format(fmt).parse(text)


def test_alternatives_are_tried_in_order_and_the_first_prints() -> None:
    f = get_format("yyyy-MM-dd HH:mm:ss||yyyy-MM-dd||epoch_millis")
    assert f.names == ("yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd", "epoch_millis")
    assert f.parse("2024-01-05 10:11:12") == ms(2024, 1, 5, 10, 11, 12)
    assert f.parse("2024-01-05") == ms(2024, 1, 5)
    assert f.parse("1704067200000") == ms(2024, 1, 1)
    assert f.format(ms(2024, 1, 5, 10, 11, 12)) == "2024-01-05 10:11:12"
    assert get_format("epoch_millis||strict_date_optional_time").format(5) == "5"
    assert get_format("epoch_second||date").format(ms(2024, 1, 1)) == "1704067200"
    # Whitespace around "||" is trimmed, as ES does.
    assert get_format(" yyyy || epoch_second ").parse("1704067200") == ms(2024, 1, 1)


# ---------------------------------------------------------------------------------------------
# Custom java.time patterns
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "text", "expected", "printed"),
    [
        ("yyyy-MM-dd HH:mm:ss", "2024-01-05 10:11:12", ms(2024, 1, 5, 10, 11, 12), None),
        ("yyyy/MM/dd", "2015/09/02", ms(2015, 9, 2), None),
        ("dd/MMM/yyyy:HH:mm:ss Z", "10/Oct/2000:13:55:36 -0700", ms(2000, 10, 10, 20, 55, 36),
         "10/Oct/2000:20:55:36 +0000"),
        ("dd/MMM/yyyy:HH:mm:ss Z", "10/oct/2000:13:55:36 +0000", ms(2000, 10, 10, 13, 55, 36),
         None),
        ("EEE, dd MMM yyyy HH:mm:ss Z", "Mon, 01 Jan 2024 10:00:00 +0100", ms(2024, 1, 1, 9),
         "Mon, 01 Jan 2024 09:00:00 +0000"),
        ("EEEE d MMMM uuuu", "Friday 5 January 2024", ms(2024, 1, 5), "Friday 5 January 2024"),
        ("MMM d HH:mm:ss", "Jan 5 10:00:00", ms(1970, 1, 5, 10), "Jan 5 10:00:00"),
        ("MMM dd HH:mm:ss", "Dec 25 23:59:59", ms(1970, 12, 25, 23, 59, 59), None),
        ("yyyy-MM-dd hh:mm:ss a", "2024-01-01 12:30:00 AM", ms(2024, 1, 1, 0, 30),
         "2024-01-01 12:30:00 AM"),
        ("yyyy-MM-dd hh:mm a", "2024-01-01 01:05 pm", ms(2024, 1, 1, 13, 5),
         "2024-01-01 01:05 PM"),
        ("yyyy-MM-dd kk:mm", "2024-01-01 24:00", ms(2024, 1, 1), "2024-01-01 24:00"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-01-01T10:00:00.123+05:30",
         ms(2024, 1, 1, 4, 30, 0, 123_000), "2024-01-01T04:30:00.123Z"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSSSSX", "2024-01-01T10:00:00.123456Z",
         ms(2024, 1, 1, 10, 0, 0, 123_000), "2024-01-01T10:00:00.123000Z"),
        ("yyyy-MM-dd'T'HH:mm:ssxxx", "2024-01-01T10:00:00+00:00", ms(2024, 1, 1, 10),
         "2024-01-01T10:00:00+00:00"),
        ("yyyy-MM-dd HH:mm:ss,SSS", "2024-01-01 10:00:00,042", ms(2024, 1, 1, 10, 0, 0, 42_000),
         "2024-01-01 10:00:00,042"),
        ("yyyyMMddHHmmss", "20240105101112", ms(2024, 1, 5, 10, 11, 12), "20240105101112"),
        ("yyMMdd", "240105", ms(2024, 1, 5), "240105"),
        ("yyyy.MM.dd", "2024.01.05", ms(2024, 1, 5), "2024.01.05"),
        ("uuuu-DDD", "2024-366", ms(2024, 12, 31), "2024-366"),
        ("yyyy-MM-dd'T'HH:mm:ss'Z'", "2024-01-05T10:11:12Z", ms(2024, 1, 5, 10, 11, 12),
         "2024-01-05T10:11:12Z"),
        ("'at' HH 'o''clock' yyyy-MM-dd", "at 10 o'clock 2024-01-05", ms(2024, 1, 5, 10),
         "at 10 o'clock 2024-01-05"),
        ("yyyy-MM-dd HH:mm:ss VV", "2024-07-01 10:00:00 Europe/Paris", ms(2024, 7, 1, 8),
         "2024-07-01 08:00:00 Z"),
        ("yyyy-MM-dd HH:mm:ss z", "2024-07-01 10:00:00 CEST", ms(2024, 7, 1, 8), None),
        ("yyyy-MM-dd HH:mm:ss z", "2024-01-01 10:00:00 UTC", ms(2024, 1, 1, 10), None),
        ("yyyy-MM-dd HH:mm:ss O", "2024-01-01 10:00:00 GMT+1", ms(2024, 1, 1, 9), None),
        ("yyyy-MM-dd[ HH:mm[:ss]]", "2024-01-05 10:11", ms(2024, 1, 5, 10, 11), None),
        ("yyyy-MM-dd[ HH:mm[:ss]]", "2024-01-05", ms(2024, 1, 5), "2024-01-05 00:00:00"),
        ("yyyy-MM-dd G", "2024-01-05 AD", ms(2024, 1, 5), "2024-01-05 AD"),
        ("HH:mm", "10:30", ms(1970, 1, 1, 10, 30), "10:30"),
        ("8yyyy-MM-dd", "2024-01-05", ms(2024, 1, 5), "2024-01-05"),
    ],
)  # fmt: skip
def test_custom_patterns(fmt: str, text: str, expected: int, printed: str | None) -> None:
    f = get_format(fmt)
    assert f.parse(text) == expected
    if printed is not None:
        assert f.format(expected) == printed


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("yyyy-MM-dd", "2024-1-5"),  # MM and dd are fixed width
        ("yyyy-MM-dd", "24-01-05"),
        ("yyyy-MM-dd", "2024-02-30"),
        ("yyyy-MM-dd HH:mm:ss", "2024-01-05T10:11:12"),
        ("yyyy-MM-dd HH:mm:ss", "2024-01-05 10:11:12 "),
        ("EEE, dd MMM yyyy", "Tue, 01 Jan 2024"),  # 2024-01-01 is a Monday
        ("dd/MMM/yyyy", "01/Foo/2024"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS", "2024-01-05T10:11:12.12"),  # SSS is exactly 3 digits
        ("yyyy-MM-dd HH:mm:ss z", "2024-01-01 10:00:00 Nowhere/Atlantis"),
        ("hh:mm a", "13:00 PM"),
    ],
)
def test_custom_patterns_reject(fmt: str, text: str) -> None:
    with pytest.raises(ValueError):
        get_format(fmt).parse(text)


def test_custom_pattern_format_in_time_zone() -> None:
    millis = ms(2024, 7, 1, 8, 5, 9, 7_000)
    assert get_format("yyyy-MM-dd HH:mm:ss.SSS Z").format(millis, "Europe/Paris") == (
        "2024-07-01 10:05:09.007 +0200"
    )
    assert (
        get_format("yyyy-MM-dd HH:mm z").format(millis, "Europe/Paris") == "2024-07-01 10:05 CEST"
    )
    assert get_format("yyyy-MM-dd HH:mm VV").format(millis, "Europe/Paris") == (
        "2024-07-01 10:05 Europe/Paris"
    )
    assert get_format("HH:mm XXX").format(millis, "-03:30") == "04:35 -03:30"
    assert get_format("HH:mm X").format(millis, "+05:30") == "13:35 +0530"
    assert get_format("HH:mm X").format(millis, "+05:00") == "13:05 +05"
    assert get_format("HH:mm ZZZZ").format(millis, "+05:00") == "13:05 GMT+05:00"
    assert get_format("HH:mm ZZZZZ").format(millis) == "08:05 Z"
    assert get_format("EEE EEEE MMM MMMM").format(millis) == "Mon Monday Jul July"
    assert get_format("YYYY-'W'ww-e").format(ms(2021, 1, 3)) == "2020-W53-7"
    assert get_format("yyyy.MM.dd").format(ms(2024, 3, 22, 23), "+12:00") == "2024.03.23"


@pytest.mark.parametrize(
    ("fmt", "reason"),
    [
        ("yyyy-bb", "Unknown pattern letter: b"),
        ("yyyy-MM-ddd", "Too many pattern letters: d"),
        ("yyyy-MM-dd'T", "incomplete string literal"),
        ("yyyy]", "without previous"),
        ("yyyy#", "reserved character"),
        ("{zone}", "reserved character"),
        ("", "No date pattern provided"),
        ("yyyy||", "No date pattern provided"),
    ],
)
def test_invalid_formats(fmt: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        get_format(fmt)


def test_get_format_is_cached() -> None:
    assert get_format("yyyy-MM-dd") is get_format("yyyy-MM-dd")
    assert isinstance(get_format(DEFAULT), DateFormat)
    assert repr(get_format("yyyy")) == "DateFormat('yyyy')"


# ---------------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "offset_s"),
    [
        ("Z", 0),
        ("UTC", 0),
        ("utc", 0),
        ("GMT", 0),
        ("+01:00", 3600),
        ("-08:00", -8 * 3600),
        ("+0530", 5 * 3600 + 1800),
        ("+05", 5 * 3600),
        ("-3", -3 * 3600),
        ("UTC+01:00", 3600),
        ("GMT-5", -5 * 3600),
    ],
)
def test_fixed_offset_zones(tz: str, offset_s: int) -> None:
    assert get_zone(tz) == offset_s
    assert utc_offset_ms(0, tz) == offset_s * 1000


def test_region_zones() -> None:
    assert isinstance(get_zone("Europe/Paris"), ZoneInfo)
    assert utc_offset_ms(ms(2024, 1, 1), "Europe/Paris") == 3_600_000
    assert utc_offset_ms(ms(2024, 7, 1), "Europe/Paris") == 7_200_000
    assert utc_offset_ms(ms(2024, 7, 1), None) == 0


@pytest.mark.parametrize("tz", ["Mars/Olympus", "+25:00", "America", "../etc/passwd", "", "+01:60"])
def test_unknown_zones(tz: str) -> None:
    with pytest.raises(ValueError, match="Unknown time-zone ID"):
        get_zone(tz)
    with pytest.raises(ValueError):
        get_format(DEFAULT).parse("2024-01-01", tz=tz)


# ---------------------------------------------------------------------------------------------
# Date math (ES docs: common options "Date math", range query "Date math and rounding")
# ---------------------------------------------------------------------------------------------

NOW = ms(2001, 1, 1, 12)  # the docs' example: now = 2001-01-01 12:00:00


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("now", ms(2001, 1, 1, 12)),
        ("now+1h", ms(2001, 1, 1, 13)),
        ("now-1h", ms(2001, 1, 1, 11)),
        ("now-1h/d", ms(2001, 1, 1)),
        ("now-15m", ms(2001, 1, 1, 11, 45)),
        ("now+30s", ms(2001, 1, 1, 12, 0, 30)),
        ("now-1d/d", ms(2000, 12, 31)),
        ("now+1w", ms(2001, 1, 8, 12)),
        ("now-1M", ms(2000, 12, 1, 12)),
        ("now-1y", ms(2000, 1, 1, 12)),
        ("now+1H", ms(2001, 1, 1, 13)),
        ("now/M", ms(2001, 1, 1)),
        ("now/y", ms(2001, 1, 1)),
        ("now-1d+2h-30m/h", ms(2000, 12, 31, 13)),
        ("now+d", ms(2001, 1, 2, 12)),
        ("2024-01-31||+1M", ms(2024, 2, 29)),  # clamped to the month's last day
        ("2024-01-01||+1M/d", ms(2024, 2, 1)),
        ("2024-01-03T10:00:00||/w", ms(2024, 1, 1)),  # weeks start on Monday
        ("2024-05-17T10:00:00Z||", ms(2024, 5, 17, 10)),
        ("2024-05-17T10:00:00", ms(2024, 5, 17, 10)),
    ],
)
def test_date_math(expr: str, expected: int) -> None:
    assert parse_date_math(expr, NOW) == expected


def test_date_math_with_format() -> None:
    fmt = get_format("yyyy.MM.dd")
    assert parse_date_math("2001.02.01||+1M/d", NOW, fmt=fmt) == ms(2001, 3, 1)


@pytest.mark.parametrize(
    ("expr", "round_up", "expected"),
    [
        # The range query docs' table for 2014-11-18||/M.
        ("2014-11-18||/M", True, ms(2014, 11, 30, 23, 59, 59, 999_000)),  # gt, lte
        ("2014-11-18||/M", False, ms(2014, 11, 1)),  # gte, lt
        ("now/d", True, ms(2001, 1, 1, 23, 59, 59, 999_000)),
        ("now/w", True, ms(2001, 1, 7, 23, 59, 59, 999_000)),
        ("now/y", True, ms(2001, 12, 31, 23, 59, 59, 999_000)),
        ("now/h", True, ms(2001, 1, 1, 12, 59, 59, 999_000)),
        ("now/m", True, ms(2001, 1, 1, 12, 0, 59, 999_000)),
        ("now/s", True, ms(2001, 1, 1, 12, 0, 0, 999_000)),
        ("now-1d", True, ms(2000, 12, 31, 12)),  # no rounding, nothing to round up
        ("now", True, NOW),
        ("2024-01-01", True, ms(2024, 1, 1, 23, 59, 59, 999_000)),
        ("2024-01-01||+1d", True, ms(2024, 1, 2)),  # date before || parsed without round-up
    ],
)
def test_date_math_rounding(expr: str, round_up: bool, expected: int) -> None:
    assert parse_date_math(expr, NOW, round_up=round_up) == expected


def test_range_missing_components_round_up() -> None:
    # Range query docs: "2099-12" with format yyyy-MM and gt -> 2099-12-01T23:59:59.999
    assert parse_date_math("2099-12", NOW, fmt=get_format("yyyy-MM"), round_up=True) == ms(
        2099, 12, 1, 23, 59, 59, 999_000
    )
    f = get_format("dd/MM/yyyy||yyyy")
    assert parse_date_math("01/01/2012", NOW, fmt=f) == ms(2012, 1, 1)
    assert parse_date_math("2013", NOW, fmt=f, round_up=True) == ms(2013, 1, 1, 23, 59, 59, 999_000)
    assert parse_date_math("1704067200", NOW, fmt=get_format("epoch_second"), round_up=True) == (
        1_704_067_200_999
    )


def test_date_math_time_zone() -> None:
    # Range query docs: time_zone +01:00 turns 2020-01-01T00:00:00 into 2019-12-31T23:00:00Z,
    # and leaves "now" alone.
    assert parse_date_math("2020-01-01T00:00:00", NOW, tz="+01:00") == ms(2019, 12, 31, 23)
    assert parse_date_math("now", NOW, tz="+01:00") == NOW
    # Rounding happens in the zone.
    assert parse_date_math("now/d", NOW, tz="+01:00") == ms(2000, 12, 31, 23)
    assert parse_date_math("now/d", NOW, tz="-11:00") == ms(2001, 1, 1, 11)
    assert parse_date_math("now/d", NOW, tz="Europe/Paris", round_up=True) == (
        ms(2001, 1, 1, 22, 59, 59, 999_000)
    )
    # A day across the spring-forward change lasts 23 hours.
    spring = ms(2024, 3, 31, 12)
    assert parse_date_math("now/d", spring, tz="Europe/Paris") == ms(2024, 3, 30, 23)
    assert parse_date_math("now/d", spring, tz="Europe/Paris", round_up=True) == (
        ms(2024, 3, 31, 21, 59, 59, 999_000)
    )
    # +1d keeps the wall-clock time across DST; +24h does not.
    before = ms(2024, 3, 30, 11)  # 12:00 CET
    assert parse_date_math("now+1d", before, tz="Europe/Paris") == ms(2024, 3, 31, 10)
    assert parse_date_math("now+24h", before, tz="Europe/Paris") == ms(2024, 3, 31, 11)


def test_date_math_index_name_examples() -> None:
    # Date math index names docs; now = 2024-03-22 noon UTC.
    now = ms(2024, 3, 22, 12)
    day = get_format("yyyy.MM.dd")
    assert day.format(parse_date_math("now/d", now)) == "2024.03.22"
    assert day.format(parse_date_math("now/M", now)) == "2024.03.01"
    assert get_format("yyyy.MM").format(parse_date_math("now/M", now)) == "2024.03"
    assert get_format("yyyy.MM").format(parse_date_math("now/M-1M", now)) == "2024.02"
    assert day.format(parse_date_math("now/d", now, tz="+12:00"), "+12:00") == "2024.03.23"


def test_date_math_numbers() -> None:
    assert parse_date_math(1_704_067_200_000, NOW) == 1_704_067_200_000
    assert parse_date_math(1_704_067_200_000.9, NOW) == 1_704_067_200_000
    assert parse_date_math(1_704_067_200, NOW, fmt=get_format("epoch_second")) == 1_704_067_200_000
    assert parse_date_math("1704067200000", NOW) == 1_704_067_200_000


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("now*1d", "operator not supported for date math"),
        ("now+", "truncated date math"),
        ("now+1", "truncated date math"),
        ("now/2d", "rounding `/` can only be used on single unit types"),
        ("now+1x", r"unit \[x\] not supported for date math"),
        ("", "cannot parse empty date"),
        ("2024-01-01 10:00||+1d", "failed to parse date field"),
        ("yesterday", "failed to parse date field"),
    ],
)
def test_date_math_errors(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date_math(expr, NOW)


# ---------------------------------------------------------------------------------------------
# Dynamic date detection
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ("2015-09-02", "strict_date_optional_time"),
        ("2024-01-01T10:00:00Z", "strict_date_optional_time"),
        ("2024-01-01T10:00:00.123+02:00", "strict_date_optional_time"),
        ("2015/09/02", DYNAMIC_DATE_FORMATS[1]),
        ("2015/09/02 10:11:12", DYNAMIC_DATE_FORMATS[1]),
        ("2024", None),  # pure numbers are never dates
        ("1704067200000", None),
        ("1.5", None),
        ("-12", None),
        ("1e5", None),
        ("NaN", None),
        ("2024-01-01 10:00:00", None),
        ("hello", None),
        ("", None),
        ("10.0.0.1", None),
    ],
)
def test_dynamic_date_detection(value: str, fmt: str | None) -> None:
    assert detect_date_format(value) == fmt
    assert is_date_string(value) is (fmt is not None)


def test_dynamic_date_detection_custom_formats() -> None:
    assert is_date_string("05/01/2024", ["dd/MM/yyyy"])
    assert not is_date_string("2024-01-05", ["dd/MM/yyyy"])


# ---------------------------------------------------------------------------------------------
# Calendar rounding for aggregations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "floor", "nxt"),
    [
        ("second", ms(2024, 5, 15, 10, 37, 42), ms(2024, 5, 15, 10, 37, 43)),
        ("1m", ms(2024, 5, 15, 10, 37), ms(2024, 5, 15, 10, 38)),
        ("minute", ms(2024, 5, 15, 10, 37), ms(2024, 5, 15, 10, 38)),
        ("1h", ms(2024, 5, 15, 10), ms(2024, 5, 15, 11)),
        ("day", ms(2024, 5, 15), ms(2024, 5, 16)),
        ("1w", ms(2024, 5, 13), ms(2024, 5, 20)),
        ("week", ms(2024, 5, 13), ms(2024, 5, 20)),
        ("1M", ms(2024, 5, 1), ms(2024, 6, 1)),
        ("month", ms(2024, 5, 1), ms(2024, 6, 1)),
        ("1q", ms(2024, 4, 1), ms(2024, 7, 1)),
        ("quarter", ms(2024, 4, 1), ms(2024, 7, 1)),
        ("1y", ms(2024, 1, 1), ms(2025, 1, 1)),
        ("year", ms(2024, 1, 1), ms(2025, 1, 1)),
    ],
)
def test_calendar_units_utc(unit: str, floor: int, nxt: int) -> None:
    t = ms(2024, 5, 15, 10, 37, 42, 123_000)
    assert calendar_floor(t, unit, None) == floor
    assert calendar_next(t, unit, None) == nxt
    assert calendar_floor(floor, unit, "UTC") == floor


def test_calendar_in_time_zones() -> None:
    t = ms(2024, 5, 15, 23, 30)
    assert calendar_floor(t, "1d", "+05:30") == ms(2024, 5, 15, 18, 30)
    assert calendar_floor(t, "1h", "+05:30") == ms(2024, 5, 15, 23, 30)
    assert calendar_floor(t, "1d", "Europe/Paris") == ms(2024, 5, 15, 22)
    assert calendar_floor(t, "1M", "America/New_York") == ms(2024, 5, 1, 4)
    assert calendar_next(t, "1M", "America/New_York") == ms(2024, 6, 1, 4)
    assert calendar_floor(ms(2024, 1, 1, 2), "1y", "America/New_York") == ms(2023, 1, 1, 5)


def test_calendar_across_dst() -> None:
    paris = "Europe/Paris"
    # 2024-03-31 lasts 23 hours in Paris, 2024-10-27 lasts 25.
    assert calendar_floor(ms(2024, 3, 31, 12), "day", paris) == ms(2024, 3, 30, 23)
    assert calendar_next(ms(2024, 3, 31, 12), "day", paris) == ms(2024, 3, 31, 22)
    assert (
        calendar_next(ms(2024, 10, 27, 12), "day", paris)
        - calendar_floor(ms(2024, 10, 27, 12), "day", paris)
        == 25 * 3_600_000
    )
    # The hour that New York repeats on 2024-11-03 yields two hourly buckets.
    ny = "America/New_York"
    first = ms(2024, 11, 3, 5)  # 01:00 EDT
    assert calendar_floor(first + 1_800_000, "hour", ny) == first
    second = calendar_next(first, "hour", ny)
    assert second == ms(2024, 11, 3, 6)  # 01:00 EST
    assert calendar_floor(second + 1_800_000, "hour", ny) == second
    assert calendar_next(second, "hour", ny) == ms(2024, 11, 3, 7)
    # Spring forward: 02:00 does not exist, the day still starts at midnight.
    assert calendar_floor(ms(2024, 3, 10, 12), "day", ny) == ms(2024, 3, 10, 5)
    assert calendar_next(ms(2024, 3, 10, 12), "day", ny) == ms(2024, 3, 11, 4)
    # Santiago skipped midnight on 1988-10-09: that day starts at 01:00 -03 and lasts 23
    # hours; the next one starts at its own midnight.
    santiago = "America/Santiago"
    t = ms(1988, 10, 9, 6)
    assert calendar_floor(t, "day", santiago) == ms(1988, 10, 9, 4)
    assert calendar_next(t, "day", santiago) == ms(1988, 10, 10, 3)


@pytest.mark.parametrize("unit", ["2d", "fortnight", "1.5h", "", "1D"])
def test_calendar_rejects_unknown_units(unit: str) -> None:
    with pytest.raises(ValueError, match="could not be parsed as a calendar interval"):
        calendar_floor(0, unit, None)


# ---------------------------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1s", 1000),
        ("500ms", 500),
        ("15m", 900_000),
        ("2h", 7_200_000),
        ("7d", 604_800_000),
        ("1000nanos", 0),
        ("2000000nanos", 2),
        ("30micros", 0),
        ("30000micros", 30),
        ("1S", 1000),
        (" 5 s ", 5000),
        ("-1", -1),
        ("0", 0),
        ("-1s", -1000),
        (250, 250),
    ],
)
def test_parse_duration(text: str, expected: int) -> None:
    assert parse_duration_ms(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.5s", "fractional time values are not supported"),
        ("10", "unit is missing or unrecognized"),
        ("1w", "unit is missing or unrecognized"),
        ("-2s", "negative durations are not supported"),
        ("abcs", "failed to parse"),
        ("", "unit is missing or unrecognized"),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration_ms(text)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

MILLIS = st.integers(min_value=ms(1, 1, 2), max_value=ms(9999, 12, 30))
MODERN = st.integers(min_value=ms(1950, 1, 1), max_value=ms(2100, 1, 1))
ZONES = st.sampled_from(
    [None, "UTC", "+01:00", "-08:00", "+05:45", "Europe/Paris", "America/New_York",
     "Australia/Lord_Howe", "Asia/Kolkata"]
)  # fmt: skip
UNITS = st.sampled_from(["second", "minute", "hour", "day", "week", "month", "quarter", "year"])


@given(MILLIS)
def test_default_round_trip(millis: int) -> None:
    f = get_format(DEFAULT)
    assert f.parse(f.format(millis)) == millis


@given(MODERN, ZONES)
def test_default_round_trip_in_zones(millis: int, tz: str | None) -> None:
    f = get_format(DEFAULT)
    assert f.parse(f.format(millis, tz)) == millis


@given(MODERN, ZONES)
def test_offset_pattern_round_trip(millis: int, tz: str | None) -> None:
    for fmt in ("uuuu-MM-dd'T'HH:mm:ss.SSSXXX", "dd/MMM/yyyy:HH:mm:ss.SSS Z", "basic_date_time"):
        f = get_format(fmt)
        assert f.parse(f.format(millis, tz)) == millis


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_epoch_round_trip(millis: int) -> None:
    assert get_format("epoch_millis").parse(get_format("epoch_millis").format(millis)) == millis
    assert get_format("epoch_second").parse(get_format("epoch_second").format(millis)) == millis


@given(MODERN, ZONES)
def test_iso_parse_matches_datetime(millis: int, tz: str | None) -> None:
    """Both ISO code paths (fromisoformat and the regex) agree with Python's datetime."""
    zone = ZoneInfo(tz) if tz and "/" in tz else None
    if tz is None or zone is None:
        return
    local = datetime.fromtimestamp(millis / 1000, zone).replace(tzinfo=None)
    local = local.replace(microsecond=local.microsecond // 1000 * 1000)
    text = local.isoformat(timespec="milliseconds")
    expected = ms(
        local.year, local.month, local.day, local.hour, local.minute, local.second,
        local.microsecond, tz=zone,
    )  # fmt: skip
    f = get_format(DEFAULT)
    assert f.parse(text, tz) == expected  # fromisoformat path
    assert f.parse(text + "000", tz) == expected  # 6 digits: still fromisoformat
    assert f.parse(text + "000000", tz) == expected  # 9 digits: regex path


@given(MODERN, ZONES, UNITS)
@settings(max_examples=300)
def test_calendar_buckets_tile_the_timeline(millis: int, tz: str | None, unit: str) -> None:
    start = calendar_floor(millis, unit, tz)
    end = calendar_next(millis, unit, tz)
    assert start <= millis < end
    assert calendar_floor(start, unit, tz) == start
    assert calendar_floor(end, unit, tz) == end
    assert calendar_floor(end - 1, unit, tz) == start


@given(MODERN, ZONES, st.sampled_from("yMwdhms"))
def test_rounding_brackets_the_instant(millis: int, tz: str | None, unit: str) -> None:
    down = parse_date_math(f"now/{unit}", millis, tz=tz)
    up = parse_date_math(f"now/{unit}", millis, tz=tz, round_up=True)
    assert down <= millis <= up
    assert parse_date_math(f"now/{unit}", up + 1, tz=tz) == up + 1


def test_date_math_index_names_read_the_date_with_their_own_format():
    """ES's DateMathExpressionResolver parses the date before ``||`` with the expression's
    format, so date_index_name's Logstash-style names resolve."""
    from loghaven.engine.names import resolve_date_math

    assert resolve_date_math("<x-{2016.04.26||/d{yyyy.MM.dd|UTC}}>") == "x-2016.04.26"
    assert resolve_date_math("<x-{2016.04||/M{yyyy.MM|UTC}}>") == "x-2016.04"
    assert resolve_date_math("<logs-{now/d}>", 1704067200000) == "logs-2024.01.01"
