"""``loghaven ingest``: read sources in order, cut their records into bulk batches, send them
with a few parallel senders, move each file's checkpoint as its batches are answered, show
progress and end with a summary.

One reader (this thread) walks the files one after the other, so the records of a file are
numbered in file order and its checkpoint is exact; ``workers`` threads send the batches, at
most two per worker waiting, so memory stays bounded whatever the file size.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import orjson

from loghaven.engine.names import resolve_date_math
from loghaven.errors import LoghavenError
from loghaven.ingest.parsers import RecordError
from loghaven.ingest.rotation import rotated_index
from loghaven.loader import formats
from loghaven.loader.batches import Batch, FileProgress, id_prefix
from loghaven.loader.checkpoints import Checkpoints
from loghaven.loader.client import BulkClient, BulkGaveUp, Credentials, ServerError
from loghaven.loader.progress import ProgressBar
from loghaven.loader.sources import S3, Source, SourceError, expand
from loghaven.loader.summary import Summary

DEFAULT_URL = "http://127.0.0.1:9200"
#: ES's clients cap a bulk near this size; past it, a batch goes before ``batch_size``.
MAX_BULK_BYTES = 5 * 1024 * 1024

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SERVER, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """A command line that cannot run (exit status 2)."""


@dataclass
class Options:
    sources: list[str]
    url: str = DEFAULT_URL
    credentials: Credentials = field(default_factory=Credentials)
    ca_cert: str | None = None
    format: str | None = None
    index: str | None = None
    rotation: str | None = None
    pipeline: str | None = None
    batch_size: int = 1000
    max_bytes: int = MAX_BULK_BYTES
    workers: int = 2
    checkpoints: Path | None = None
    restart: bool = False
    watch: bool = False
    interval: float = 10.0
    s3_endpoint_url: str | None = None
    progress: bool = True
    retry_for: float = 60.0


@dataclass(frozen=True)
class Target:
    """Where one file's records go."""

    index: Callable[[], str]
    pipeline: str | None


class Run:
    def __init__(self, options: Options, client: BulkClient, checkpoints: Checkpoints,
                 s3: S3 | None, report: Callable[[str], None]) -> None:
        self.options = options
        self.client = client
        self.checkpoints = checkpoints
        self.s3 = s3
        self.report = report
        self.summary = Summary()
        self.stop = threading.Event()
        self.fatal: str | None = None
        self.forgotten: set[str] = set()
        self.seen: set[tuple[str | None, str]] = set()
        self.checked_pipelines: set[str] = set()
        self.slots = threading.Semaphore(options.workers * 2)
        self.senders = ThreadPoolExecutor(options.workers, thread_name_prefix="bulk")
        self.on_bytes: Callable[[int], None] = lambda count: None

    # -- the reader ------------------------------------------------------------------------

    def load(self, sources: list[Source]) -> None:
        for source in sources:
            if self.stop.is_set():
                return
            self.seen.add((source.key, source.version))
            try:
                self.load_file(source)
            except (SourceError, OSError, EOFError, zlib.error, ServerError,
                    UsageError) as error:  # a missing, unreadable or truncated file
                self.summary.add(files_failed=1)
                self.report(f"{source.name}: {error}")

    def load_file(self, source: Source) -> None:
        if self.options.restart and source.key and source.key not in self.forgotten:
            self.checkpoints.forget(source.key)
            self.forgotten.add(source.key)
        checkpoint = self.checkpoints.get(source.key, source.version)
        if checkpoint.done:
            self.summary.add(files_skipped=1)
            return
        lines, counter = source.open()
        head, lines = formats.peek(lines)
        fmt = (formats.named(self.options.format) if self.options.format
               else formats.detected(source.name, head))
        target = self.target(fmt)
        prefix = id_prefix(source.key, source.version)

        def save(acked: int, done: bool) -> None:
            self.checkpoints.save(source.key, source.version, acked, done)
            if done:
                self.summary.add(files_done=1)

        progress = FileProgress(checkpoint.acked, save)
        read = 0
        number = 0
        batch = Batch(0)
        for record in fmt.records(lines):
            if number < checkpoint.acked:  # acknowledged by an earlier run
                number += 1
                self.summary.add(skipped=1)
                continue
            if isinstance(record, RecordError):
                where = f" (line {record.line})" if record.line else ""
                batch.errors.append(f"{source.name}{where}: {record.reason}")
            else:
                body = orjson.dumps(record)
                batch.docs.append((f"{prefix}-{number}" if prefix else None, body))
                batch.size += len(body)
            number += 1
            if len(batch.docs) >= self.options.batch_size or batch.size >= self.options.max_bytes:
                batch.end = number
                self.send(batch, target, progress)
                batch = Batch(batch.seq + 1)
                read = self._count_bytes(counter.count, read)
            if progress.failure or self.stop.is_set():
                break
        else:
            batch.end = number
            self.send(batch, target, progress)
            progress.finished_reading()
        self._count_bytes(counter.count, read)
        if progress.failure is None and self.stop.is_set():
            self.summary.interrupted = True

    def _count_bytes(self, count: int, before: int) -> int:
        self.summary.add(bytes=count - before)
        self.on_bytes(count - before)
        return count

    def target(self, fmt: formats.Format) -> Target:
        options = self.options
        parser = fmt.parser
        if options.index:
            index = _index_namer(options.index, options.rotation)
            # the parser's template matches only its own index names: name its pipeline
            pipeline = options.pipeline or (parser.pipeline_id if parser else None)
        elif parser is not None:
            def index() -> str:
                return rotated_index(parser.index, parser.rotation, _now_ms())
            pipeline = options.pipeline
        else:
            raise UsageError(f"the records are {fmt.name}: give --index to name where they go")
        if parser is not None and parser.pipeline_id not in self.checked_pipelines:
            self.client.require_pipeline(parser.pipeline_id, builtin=True)
            self.checked_pipelines.add(parser.pipeline_id)
        return Target(index, pipeline)

    # -- the senders -----------------------------------------------------------------------

    def send(self, batch: Batch, target: Target, progress: FileProgress) -> None:
        progress.sent_batch()
        self.summary.fail(batch.errors)
        if not batch.docs:
            progress.answered_batch(batch)
            return
        self.slots.acquire()
        self.senders.submit(self._send, batch, target, progress)

    def _send(self, batch: Batch, target: Target, progress: FileProgress) -> None:
        try:
            outcome = self.client.bulk(target.index(), batch.docs, target.pipeline)
        except BulkGaveUp as error:
            first = progress.failure is None
            progress.failed(str(error))
            if first:
                self.summary.add(files_failed=1)
            if error.fatal:  # the server is gone or overloaded: the next file would wait too
                self.fatal = str(error)
                self.stop.set()
            return
        except Exception as error:  # a bug must not leave the run waiting for this batch
            progress.failed(repr(error))
            self.fatal = repr(error)
            self.stop.set()
            return
        finally:
            self.slots.release()
        self.summary.add(indexed=outcome.indexed, dropped=outcome.dropped,
                         skipped=outcome.existing)
        self.summary.fail(outcome.failed)
        progress.answered_batch(batch)

    def finish(self) -> None:
        self.senders.shutdown(wait=True)

    # -- watching --------------------------------------------------------------------------

    def watch(self) -> None:
        while not self.stop.is_set():
            try:
                new = [s for s in expand(self.options.sources, self.s3, settled=True)
                       if (s.key, s.version) not in self.seen]
            except SourceError as error:
                self.report(str(error))
                new = []
            self.load(new)
            self.stop.wait(self.options.interval)


def _index_namer(index: str, rotation: str | None) -> Callable[[], str]:
    if rotation:
        return lambda: rotated_index(index, rotation, _now_ms())
    if "{" not in index:
        return lambda: index
    expression = index if index.startswith("<") else f"<{index}>"
    return lambda: resolve_date_math(expression)


def _now_ms() -> int:
    return int(time.time() * 1000)


def run(options: Options) -> int:
    """The whole command: the exit status (0 only when nothing failed)."""
    from rich.console import Console

    console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    try:
        _check_usage(options)
        s3 = (S3(options.s3_endpoint_url)
              if any(s.startswith("s3://") for s in options.sources) else None)
        sources = [] if options.watch else list(expand(options.sources, s3))
    except (UsageError, SourceError, LoghavenError) as error:
        console.print(f"loghaven ingest: {error}")
        return EXIT_USAGE
    client = BulkClient(options.url, options.credentials, ca_cert=options.ca_cert,
                        retry_for=options.retry_for, connections=options.workers + 2)
    try:
        client.check()
        if options.pipeline:
            client.require_pipeline(options.pipeline)
        elif options.format and options.format not in formats.PLAIN:
            client.require_pipeline(f"loghaven-{options.format}", builtin=True)
    except (ServerError, OSError) as error:
        console.print(f"loghaven ingest: {error}")
        client.close()
        return EXIT_SERVER
    checkpoints = Checkpoints(options.checkpoints, client.url)
    run = Run(options, client, checkpoints, s3, lambda line: console.print(line))
    sizes = [source.size for source in sources]
    total = None if options.watch or None in sizes else sum(sizes)  # type: ignore[arg-type]
    previous = {sig: signal.signal(sig, _stopper(run)) for sig in (signal.SIGINT,
                                                                   signal.SIGTERM)}
    try:
        with ProgressBar(options.progress and console.is_terminal, run, console, total):
            if options.watch:
                run.watch()
            else:
                run.load(sources)
            run.finish()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        checkpoints.close()
        client.close()
    if options.watch and run.fatal is None:
        run.summary.interrupted = False  # SIGINT is how a watch ends
    if run.fatal:
        console.print(f"loghaven ingest: stopped: {run.fatal}; what the server acknowledged is "
                      f"kept in the checkpoints, rerun to continue")
    out = Console(highlight=False, markup=False, soft_wrap=True)
    for line in run.summary.lines():
        out.print(line)
    if run.summary.interrupted and not options.watch:
        return EXIT_INTERRUPTED
    return EXIT_OK if run.summary.ok else EXIT_FAILED


def _check_usage(options: Options) -> None:
    if not options.sources:
        raise UsageError("name at least one source (a file, folder, glob, - or s3://...)")
    if options.format and options.format not in formats.names():
        raise UsageError(f"unknown --format [{options.format}], expected one of "
                         f"{', '.join(formats.names())}")
    if options.format in formats.PLAIN and not options.index:
        raise UsageError(f"--format {options.format} needs --index")
    if options.watch and "-" in options.sources:
        raise UsageError("--watch polls folders and S3 prefixes, not stdin")
    if options.rotation and not options.index:
        raise UsageError("--rotation needs --index (the base name)")
    if options.batch_size < 1 or options.workers < 1 or options.interval <= 0:
        raise UsageError("--batch-size, --workers and --interval must be positive")
    if options.rotation:
        rotated_index("x", options.rotation, 0)  # IllegalArgument names the periods
    if options.index and "{" in options.index:
        expression = options.index if options.index.startswith("<") else f"<{options.index}>"
        resolve_date_math(expression)


def _stopper(run: Run) -> Callable[[int, FrameType | None], None]:
    def stop(signum: int, frame: FrameType | None) -> None:
        if run.stop.is_set():  # a second Ctrl-C: leave now, the checkpoints are saved
            os._exit(EXIT_INTERRUPTED)
        run.summary.interrupted = True
        run.stop.set()

    return stop
