"""The progress bar of ``loghaven ingest``: source bytes read (of the total when the
sizes are known), bytes/s, documents indexed and docs/s, on stderr and only on a terminal."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loghaven.loader.command import Run


class ProgressBar:
    """A transient rich bar, redrawn by rich's own refresh thread from the run's counters."""

    def __init__(self, shown: bool, run: Run, console: Any, total: int | None) -> None:
        self.shown = shown
        self.total = total
        self.run = run
        self.console = console
        self.bar: Any = None

    def __enter__(self) -> ProgressBar:
        if not self.shown:
            return self
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )
        from rich.text import Text

        summary = self.run.summary

        class DocsColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                elapsed = max(time.monotonic() - summary.started, 1e-3)
                return Text(f"{summary.indexed} docs {summary.indexed / elapsed:.0f} docs/s")

        bar = Progress(TextColumn("ingest"), BarColumn(), DownloadColumn(),
                       TransferSpeedColumn(), DocsColumn(), TimeElapsedColumn(),
                       console=self.console, transient=True)
        task = bar.add_task("ingest", total=self.total)
        self.run.on_bytes = lambda count: bar.advance(task, count)
        bar.start()
        self.bar = bar
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
