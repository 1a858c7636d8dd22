"""The ``loghaven`` command: ``serve`` and ``bench`` (more subcommands as features land)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from types import FrameType

from loghaven import __version__
from loghaven.runtime import tune_gc


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from loghaven.api.app import create_app
    from loghaven.config import load_config
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
    node = Node(config)
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

    bench = commands.add_parser("bench", help="measure ingest and query speed against baselines")
    try:
        from loghaven.bench.runner import add_arguments
    except ImportError:  # the benchmark suite is optional in a minimal install
        pass
    else:
        add_arguments(bench)
    bench.set_defaults(func=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
