"""ES time values (``30s``, ``1m``): durations in milliseconds."""

from __future__ import annotations

import re

# ---------------------------------------------------------------------------------------------
# Durations (TimeValue)
# ---------------------------------------------------------------------------------------------

_DURATION_UNITS = (  # checked in this order, as TimeValue.parseTimeValue does
    ("nanos", 1, 1_000_000),
    ("micros", 1, 1000),
    ("ms", 1, 1),
    ("s", 1000, 1),
    ("m", 60_000, 1),
    ("h", 3_600_000, 1),
    ("d", 86_400_000, 1),
)


def parse_duration_ms(s: str | int, setting: str = "") -> int:
    """Milliseconds of an ES time value ("1s", "500ms", "15m", "7d", "1000nanos", "-1").

    As in ES a unit is required (except for "0" and "-1"), fractions are refused, and
    nanos/micros truncate to whole milliseconds.
    """
    if isinstance(s, int) and not isinstance(s, bool):
        return s
    if not isinstance(s, str):
        raise ValueError(f"failed to parse [{s}] as a time value")
    normalized = s.strip().lower()
    for suffix, mul, div in _DURATION_UNITS:
        if normalized.endswith(suffix):
            number = normalized[: -len(suffix)].strip()
            if not re.fullmatch(r"[+-]?\d+", number):
                if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", number):
                    raise ValueError(
                        f"failed to parse [{s}], fractional time values are not supported"
                    )
                raise ValueError(f"failed to parse [{s}]")
            value = int(number)
            if value > 2**63 - 1:
                raise ValueError(f"failed to parse [{s}]: the value is too large")
            if value < -1:
                raise ValueError(
                    f"failed to parse setting [{setting}] with value [{s}] as a time value: "
                    "negative durations are not supported"
                )
            total = value * mul
            return total // div if total >= 0 else -(-total // div)
    if normalized == "-1":
        return -1
    if normalized == "0":
        return 0
    raise ValueError(
        f"failed to parse setting [{setting}] with value [{s}] as a time value: "
        "unit is missing or unrecognized"
    )
