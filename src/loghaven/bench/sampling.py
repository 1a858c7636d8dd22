"""What every log generator draws from: the seeded address pool with Zipf popularity, evenly
spread timestamps, ids, and the constants (the generated day, accounts, regions, countries)
that let one address be followed across log types."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

DAY_MS = 86_400_000
#: 2023-11-15T00:00:00Z: the generated day is 2023-11-14 UTC.
DEFAULT_END_MS = 1_700_006_400_000
DEFAULT_SEED = 42
#: Size of the client address pool and the Zipf exponent of its popularity.
IP_POOL_SIZE = 50_000
ZIPF_S = 1.07
#: Share of WAF requests that are blocked.
WAF_BLOCK_RATE = 0.10

ACCOUNT_ID = "123456789012"
REGIONS = [
    "us-east-1",
    "us-east-1",
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-3",
    "ap-southeast-2",
    "cn-northwest-1",
]
COUNTRIES = [
    "US",
    "US",
    "US",
    "US",
    "DE",
    "GB",
    "FR",
    "NL",
    "BR",
    "IN",
    "CN",
    "RU",
    "JP",
    "KR",
    "CA",
    "AU",
    "SG",
    "UA",
    "VN",
    "ID",
]

Doc = dict[str, Any]


def ip_pool(seed: int = DEFAULT_SEED, size: int = IP_POOL_SIZE) -> list[str]:
    """Distinct public-looking IPv4 addresses, most popular first.

    WAF clients, CloudTrail callers and VPC flow peers all draw from the same
    pool so that one address can be followed across the three log types.
    """
    rng = random.Random(f"ip-pool-{seed}")
    seen: set[int] = set()
    out: list[str] = []
    while len(out) < size:
        value = rng.getrandbits(32)
        first = value >> 24
        if first in (0, 10, 127, 169, 172, 192, 198) or first >= 224 or value in seen:
            continue
        seen.add(value)
        out.append(f"{first}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}")
    return out


def zipf_cum_weights(size: int = IP_POOL_SIZE, s: float = ZIPF_S) -> list[float]:
    """Cumulative Zipf weights for ``random.choices(..., cum_weights=...)``."""
    return list(accumulate(1.0 / (rank**s) for rank in range(1, size + 1)))


class ZipfIps:
    """Draws addresses from the shared pool with Zipf-distributed popularity."""

    def __init__(self, seed: int, size: int = IP_POOL_SIZE) -> None:
        self.pool = ip_pool(seed, size)
        self.cum = zipf_cum_weights(size)
        self.countries = [COUNTRIES[i % len(COUNTRIES)] for i in range(size)]
        random.Random(f"countries-{seed}").shuffle(self.countries)

    def draw(self, rng: random.Random) -> int:
        return rng.choices(range(len(self.pool)), cum_weights=self.cum)[0]


def timestamps(rng: random.Random, n: int, end_ms: int, span_ms: int) -> Iterator[int]:
    """``n`` non-decreasing epoch-millis instants spread over ``[end-span, end)``."""
    start = end_ms - span_ms
    step = span_ms / max(n, 1)
    jitter = max(int(step) - 1, 0)
    for i in range(n):
        yield start + int(i * step) + (rng.randint(0, jitter) if jitter else 0)


def random_hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso_millis(ms: int) -> str:
    """Epoch millis as ``2023-11-14T12:34:56.789Z`` (what Kibana sends in range queries)."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
