"""Process measurements from /proc: resident memory and CPU time of a process tree.

CPU seconds matter as much as wall time here: on a shared, noisy 2-core machine
"documents per CPU-second" moves much less between runs than "documents per
second", so the suite reports both.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: split after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (a server may fork workers)."""
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(kids.get(current, []))
    return out


def rss_bytes(pid: int) -> tuple[int, int]:
    """Current resident memory of one process, ``VmRSS`` and ``RssAnon`` (0 once it is gone).

    ``VmRSS`` counts the pages of memory-mapped files too (tantivy maps its segments, and a
    merge touches all of them); ``RssAnon`` is the memory the process itself holds.
    """
    found = {"VmRSS": 0, "RssAnon": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in found:
                found[name] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return found["VmRSS"], found["RssAnon"]


def tree_rss_bytes(pid: int) -> tuple[int, int]:
    """Resident memory (``VmRSS``, ``RssAnon``) of a process and its descendants, summed."""
    total = anon = 0
    for p in process_tree(pid):
        rss, rss_anon = rss_bytes(p)
        total += rss
        anon += rss_anon
    return total, anon


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, including its reaped children."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / _CLK_TCK


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live descendants."""
    return sum(cpu_seconds(p) for p in process_tree(pid))


class RssSampler:
    """Polls a process tree's RSS in a background thread and keeps the peak.

    Polling (every ``interval`` s) can miss a spike shorter than the interval;
    VmHWM would not, but it cannot be reset between scenarios.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        #: The peak of anonymous memory alone (``RssAnon``: no mapped index files).
        self.peak_anon = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        rss, anon = tree_rss_bytes(self.pid)
        self.peak = max(self.peak, rss)
        self.peak_anon = max(self.peak_anon, anon)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()


def dir_bytes(path: str | os.PathLike[str]) -> int:
    """Bytes of all regular files under ``path`` (what ``du -b`` would count)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


class Stopwatch:
    """Wall and own-process CPU time of a block."""

    def __enter__(self) -> Stopwatch:
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
