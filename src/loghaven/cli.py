"""The ``loghaven`` command: ``serve``, ``bench``, and the offline repairs ``recover-wal`` and
``rebuild-metastore`` (docs/recovery.md)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from loghaven import __version__
from loghaven.runtime import tune_gc

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from loghaven.api.app import create_app
    from loghaven.config import load_config
    from loghaven.engine.recovery import MetastoreLost
    from loghaven.logs import configure_logging
    from loghaven.network import anonymous_bind_refusal
    from loghaven.node import Node

    config = load_config(args.config, {
        "host": args.host, "port": args.port, "data_dir": args.data_dir,
        "elastic_product_header": True if args.elastic_product_header else None,
        "log_level": args.log_level, "ingest_workers": args.ingest_workers,
        "allow_anonymous": True if args.allow_anonymous else None,
    })
    configure_logging(config.log_level)
    log = logging.getLogger("loghaven")
    refusal = anonymous_bind_refusal(config)
    if refusal:
        print(f"loghaven: {refusal}", file=sys.stderr)
        return 2
    try:
        node = Node(config)
    except MetastoreLost as error:
        log.error("not starting: %s", error)
        return 2
    log.info("starting", extra={"fields": {
        "host": config.host, "port": config.port, "data_dir": str(config.data_dir.resolve()),
        "version": __version__, "ui": f"http://{config.host}:{config.port}/_dashboards",
        "ingest_workers": config.ingest_workers}})
    tune_gc()

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # uvicorn waits for the requests in flight before it shuts the app down: stop the
            # searches among them now, so that a heavy aggregation cannot hold up SIGTERM.
            node.stopping()
            super().handle_exit(sig, frame)

    server = Server(uvicorn.Config(create_app(node), host=config.host, port=config.port,
                                   log_level="warning", access_log=False, loop="uvloop",
                                   http="httptools", lifespan="on"))
    server.run()
    return 0 if server.started else 3


def _progress_bar(description: str) -> tuple[Progress, Callable[[int, int], None]]:
    """A rich progress bar (on stderr) and the callback the engine's repairs report to."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    bar = Progress(TextColumn(description), BarColumn(), DownloadColumn(), transient=True,
                   console=_console(stderr=True))
    task = bar.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, markup=False)


def _recover_wal(args: argparse.Namespace) -> int:
    from loghaven.engine.recovery import recover_wal
    from loghaven.errors import LoghavenError

    bar, update = _progress_bar("salvaging write-ahead log")
    try:
        with bar:
            report = recover_wal(args.data_dir, args.index, update)
    except LoghavenError as error:
        _console(stderr=True).print(f"recover-wal: {error.reason}")
        return 1
    console = _console()
    if not report.damaged:
        console.print(f"index [{report.index}] has no quarantined write-ahead log; it is "
                      f"{report.health}")
        return 0
    console.print(f"index [{report.index}]: damage at {', '.join(report.damaged)}; salvaged "
                  f"{report.salvaged} records, skipped {report.skipped_bytes} unreadable "
                  f"bytes; the index is {report.health}. The quarantined files are kept.")
    return 0


def _rebuild_metastore(args: argparse.Namespace) -> int:
    from loghaven.engine.recovery import NOT_REBUILT, rebuild_metastore

    bar, update = _progress_bar("rebuilding the metastore")
    with bar:
        report = rebuild_metastore(args.data_dir, update)
    console = _console()
    console.print(f"rebuilt the metastore with {len(report.indices)} indices from their "
                  f"folders: {', '.join(report.indices) or '-'}")
    for skipped in report.skipped:
        console.print(f"skipped {skipped}")
    if report.old_metastore is not None:
        console.print(f"the previous metastore is kept as [{report.old_metastore}]")
    if report.old_readable:
        console.print(f"copied {report.kept_objects} other objects (templates, cluster "
                      f"settings, ...) from the previous metastore")
    else:
        console.print(f"not rebuilt (no index folder keeps them): {NOT_REBUILT}; recreate "
                      f"them")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from loghaven.bench.runner import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loghaven",
        description="Log analytics and search on tantivy, speaking the OpenSearch REST API.")
    parser.add_argument("--version", action="version", version=f"loghaven {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server (default 127.0.0.1:9200)")
    serve.add_argument("--host", help="address to listen on [env LOGHAVEN_HOST, 127.0.0.1]")
    serve.add_argument("--port", type=int, help="port [env LOGHAVEN_PORT, 9200]")
    serve.add_argument("--data-dir", type=Path, help="data folder [env LOGHAVEN_DATA_DIR, ./data]")
    serve.add_argument("--config", type=Path, help="YAML config file [./loghaven.yml]")
    serve.add_argument("--elastic-product-header", action="store_true",
                       help="send X-Elastic-Product (needed by elasticsearch-py 8.x/9.x)")
    serve.add_argument("--allow-anonymous", action="store_true",
                       help="allow listening beyond loopback without authentication: anyone "
                            "who can reach the port can read and change all data "
                            "[env LOGHAVEN_ALLOW_ANONYMOUS, false]")
    serve.add_argument("--log-level", help="debug, info, warning, error [info]")
    serve.add_argument("--ingest-workers", type=int,
                       help="processes that prepare bulk documents, 0 for none "
                            "[env LOGHAVEN_INGEST_WORKERS, cores - 1]")
    serve.set_defaults(func=_serve)

    recover = commands.add_parser(
        "recover-wal", help="salvage the readable records of an index's damaged write-ahead "
                            "log and bring it back green (server stopped)")
    recover.add_argument("--data-dir", type=Path, required=True, help="the server's data folder")
    recover.add_argument("index", help="the red index (see _cluster/allocation/explain)")
    recover.set_defaults(func=_recover_wal)

    rebuild = commands.add_parser(
        "rebuild-metastore", help="rebuild a lost or damaged metastore from the index folders "
                                  "(server stopped; the old one is kept)")
    rebuild.add_argument("--data-dir", type=Path, required=True, help="the server's data folder")
    rebuild.set_defaults(func=_rebuild_metastore)

    from loghaven.bench.runner import add_arguments

    bench = commands.add_parser("bench", help="measure ingest and query speed against baselines")
    add_arguments(bench)
    bench.set_defaults(func=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
