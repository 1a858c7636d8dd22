"""Measurements of the machine and of this process, in the shape of ES node stats.

Read from ``/proc`` (Linux, where Loghaven runs) and the standard library; a value that
cannot be read is reported as -1, which is what Elasticsearch does too. CPU percentages are
the usage since the previous call (since boot, or since this module loaded, on the first).
"""

from __future__ import annotations

import os
import resource
import shutil
import threading
import time
from pathlib import Path
from typing import Any


def _read_sizes(path: str) -> dict[str, int]:
    """A ``/proc`` file of ``Key: value [kB]`` lines, sizes in bytes (``{}`` if unreadable)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            out[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return out


class _CpuSampler:
    """Percent of CPU used between two calls, for the machine and for this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._system = (0, 0)  # (busy ticks, total ticks) at the previous call
        self._process = (sum(os.times()[:2]), time.monotonic())

    def system_percent(self) -> int:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return -1
        total = sum(fields)
        busy = total - fields[3] - (fields[4] if len(fields) > 4 else 0)  # minus idle, iowait
        with self._lock:
            last_busy, last_total = self._system
            self._system = (busy, total)
        if total <= last_total:
            return 0
        return round(100 * (busy - last_busy) / (total - last_total))

    def process_percent(self) -> int:
        used = sum(os.times()[:2])
        now = time.monotonic()
        with self._lock:
            last_used, last_time = self._process
            self._process = (used, now)
        if now <= last_time:
            return 0
        return min(100 * (os.cpu_count() or 1), round(100 * (used - last_used) /
                                                      (now - last_time)))


_CPU = _CpuSampler()


def os_stats() -> dict[str, Any]:
    mem = _read_sizes("/proc/meminfo")
    total = mem.get("MemTotal", -1)
    free = mem.get("MemAvailable", mem.get("MemFree", -1))
    swap_total = mem.get("SwapTotal", 0)
    swap_free = mem.get("SwapFree", 0)
    try:
        one, five, fifteen = os.getloadavg()
        load: dict[str, float] = {"1m": round(one, 2), "5m": round(five, 2),
                                  "15m": round(fifteen, 2)}
    except OSError:
        load = {}
    used = total - free if total >= 0 and free >= 0 else -1
    return {
        "timestamp": int(time.time() * 1000),
        "cpu": {"percent": _CPU.system_percent(), "load_average": load},
        "mem": {"total_in_bytes": total, "free_in_bytes": free, "used_in_bytes": used,
                "free_percent": percent(free, total), "used_percent": percent(used, total)},
        "swap": {"total_in_bytes": swap_total, "free_in_bytes": swap_free,
                 "used_in_bytes": swap_total - swap_free},
    }


def process_stats() -> dict[str, Any]:
    status = _read_sizes("/proc/self/status")
    try:
        open_fds = len(os.listdir("/proc/self/fd"))
    except OSError:
        open_fds = -1
    cpu_ms = int(sum(os.times()[:2]) * 1000)
    return {
        "timestamp": int(time.time() * 1000),
        "open_file_descriptors": open_fds,
        "max_file_descriptors": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "cpu": {"percent": _CPU.process_percent(), "total_in_millis": cpu_ms},
        "mem": {"total_virtual_in_bytes": status.get("VmSize", -1)},
    }


def memory_stats() -> dict[str, int]:
    """This process's resident memory and thread count, and the machine's total memory."""
    status = _read_sizes("/proc/self/status")
    return {"resident": status.get("VmRSS", -1), "threads": status.get("Threads", -1),
            "machine_total": _read_sizes("/proc/meminfo").get("MemTotal", -1)}


def fs_stats(path: Path) -> dict[str, Any]:
    usage = shutil.disk_usage(path)
    totals = {"total_in_bytes": usage.total, "free_in_bytes": usage.free,
              "available_in_bytes": usage.free}
    return {"timestamp": int(time.time() * 1000), "total": totals,
            "data": [{"path": str(path.resolve()), "mount": _mount_of(path), **totals}]}


def _mount_of(path: Path) -> str:
    path = path.resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return str(path)


def percent(part: int, total: int) -> int:
    return round(100 * part / total) if total > 0 and part >= 0 else -1
