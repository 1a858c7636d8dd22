"""The progress bar of ``loghaven ingest``: source bytes read (of the total when the
sizes are known), bytes/s, documents indexed and docs/s, on stderr and only on a terminal."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loghaven.loader.command import Run


class ProgressBar:
    """A rich progress bar on stderr (docs/s and source bytes/s), only on a terminal."""

    def __init__(self, shown: bool, run: Run, console: Any, total: int | None) -> None:
        self.shown = shown
        self.total = total
        self.run = run
        self.console = console
        self.bar: Any = None
        self.ticker: threading.Thread | None = None

    def __enter__(self) -> ProgressBar:
        if not self.shown:
            return self
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress(TextColumn("ingest"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), TextColumn("{task.fields[docs]}"),
                            TimeElapsedColumn(), console=self.console, transient=True)
        task = self.bar.add_task("ingest", total=self.total, docs="")
        summary = self.run.summary

        def on_bytes(count: int) -> None:
            self.bar.advance(task, count)

        def tick() -> None:
            while not self.run.stop.wait(0.5) and self.bar is not None:
                elapsed = max(time.monotonic() - summary.started, 1e-3)
                self.bar.update(task, docs=f"{summary.indexed} docs "
                                          f"{summary.indexed / elapsed:.0f} docs/s")

        self.run.on_bytes = on_bytes
        self.bar.start()
        self.ticker = threading.Thread(target=tick, daemon=True)
        self.ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
