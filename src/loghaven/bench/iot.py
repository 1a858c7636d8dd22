"""Seeded IoT sensor metrics (the seed's alerting-on-IoT-metrics article)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from loghaven.bench.sampling import (
    DAY_MS,
    DEFAULT_END_MS,
    DEFAULT_SEED,
    Doc,
    random_uuid,
    timestamps,
)


@dataclass
class _Sensor:
    """One simulated sensor; ``report`` advances it one tick (the seed's simulator)."""

    sensor_id: str
    metric: str
    pattern: str  # sine | const | drift | monotonic
    value: float
    scale: float
    period_s: float = 3600.0

    def report(self, rng: random.Random, ts_ms: int) -> float:
        if self.pattern == "sine":
            phase = 2 * math.pi * (ts_ms / 1000.0) / self.period_s
            return round(self.value + self.scale * math.sin(phase), 3)
        if self.pattern == "const":
            return round(self.value + rng.uniform(-self.scale, self.scale), 3)
        if self.pattern == "drift":
            self.value += rng.gauss(0.0, self.scale)
            return round(self.value, 3)
        current = self.value  # monotonic: report, then step up by delta with fuzz
        self.value += self.scale * (1 + rng.uniform(-0.1, 0.1))
        return round(current, 3)


def iot_metrics(
    n: int,
    seed: int = DEFAULT_SEED,
    end_ms: int = DEFAULT_END_MS,
    span_ms: int = DAY_MS,
    devices: int = 50,
) -> Iterator[Doc]:
    """Device sensor reports: temperature (sine), humidity (constant with fuzz),
    cpu (drifting; on device 0 monotonically rising, the seed's failing device) and
    an uptime counter (monotonic)."""
    rng = random.Random(f"iot-{seed}")
    fleet: list[tuple[str, list[_Sensor]]] = []
    for d in range(devices):
        name = f"device-{d:03d}"
        cpu = (
            _Sensor(random_uuid(rng), "cpu", "monotonic", 50.0, 0.0)
            if d == 0
            else _Sensor(random_uuid(rng), "cpu", "drift", rng.uniform(10, 40), 0.5)
        )
        fleet.append(
            (
                name,
                [
                    _Sensor(
                        random_uuid(rng),
                        "temperature",
                        "sine",
                        rng.uniform(18, 24),
                        rng.uniform(2, 6),
                        rng.choice([3600.0, 7200.0, 86400.0]),
                    ),
                    _Sensor(random_uuid(rng), "humidity", "const", rng.uniform(35, 60), 1.5),
                    cpu,
                    _Sensor(random_uuid(rng), "uptime", "monotonic", 0.0, 60.0),
                ],
            )
        )
    per_tick = sum(len(sensors) for _, sensors in fleet)
    ticks = max(1, -(-n // per_tick))
    fleet[0][1][2].scale = 50.0 / ticks  # device-000's cpu climbs from 50% to 100% over the span
    emitted = 0
    for ts in timestamps(rng, ticks, end_ms, span_ms):
        for name, sensors in fleet:
            for sensor in sensors:
                if emitted == n:
                    return
                emitted += 1
                yield {
                    "timestamp": ts,
                    "device": name,
                    "sensor": sensor.sensor_id,
                    "metric": sensor.metric,
                    "value": sensor.report(rng, ts),
                }
