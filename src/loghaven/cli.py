"""The ``loghaven`` command: ``serve``, ``certs``, ``ingest``, ``check`` and ``sql`` (clients
of a running server), ``bench``, and the offline repairs ``recover-wal`` and ``rebuild-metastore``
(docs/recovery.md)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from loghaven import __version__
from loghaven.runtime import limit_malloc_arenas, tune_gc

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from loghaven.loader.client import Credentials


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from loghaven.api.app import create_app
    from loghaven.config import load_config
    from loghaven.engine.recovery import MetastoreLost
    from loghaven.errors import LoghavenError
    from loghaven.logs import configure_logging
    from loghaven.network import anonymous_bind_refusal, security_warnings
    from loghaven.node import Node

    try:
        config = load_config(args.config, {
            "host": args.host, "port": args.port, "data_dir": args.data_dir,
            "elastic_product_header": True if args.elastic_product_header else None,
            "log_level": args.log_level, "ingest_workers": args.ingest_workers,
            "allow_anonymous": True if args.allow_anonymous else None,
            "security_enabled": True if args.secure else None,
            "ssl_certificate": args.ssl_certificate, "ssl_key": args.ssl_key,
        })
    except (ValueError, LoghavenError) as error:  # a bad setting: say which, no traceback
        print(f"loghaven: {error}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    log = logging.getLogger("loghaven")
    limit_malloc_arenas()
    refusal = anonymous_bind_refusal(config)
    if not refusal and (config.ssl_certificate or config.ssl_key):
        from loghaven.security.certs import check_certificate_pair  # cryptography: 75 ms

        refusal = check_certificate_pair(config.ssl_certificate, config.ssl_key)
    if refusal:
        print(f"loghaven: {refusal}", file=sys.stderr)
        return 2
    try:
        node = Node(config)
    except MetastoreLost as error:
        log.error("not starting: %s", error)
        return 2
    except (ValueError, LoghavenError) as error:  # a setting checked as the node is built
        print(f"loghaven: {error}", file=sys.stderr)
        return 2
    password = node.security.bootstrap() if config.security_enabled else None
    scheme = "https" if config.ssl_certificate else "http"
    log.info("starting", extra={"fields": {
        "host": config.host, "port": config.port, "data_dir": str(config.data_dir.resolve()),
        "version": __version__, "ui": f"{scheme}://{config.host}:{config.port}/_dashboards",
        "ingest_workers": config.ingest_workers, "security": config.security_enabled,
        "tls": bool(config.ssl_certificate)}})
    for warning in security_warnings(config):
        log.warning(warning)
    _print_admin_password(password)
    tune_gc()
    node.write_service.workers.start()

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # uvicorn waits for the requests in flight before it shuts the app down: stop the
            # searches among them now, so that a heavy aggregation cannot hold up SIGTERM.
            node.stopping()
            super().handle_exit(sig, frame)

    server = Server(uvicorn.Config(create_app(node), host=config.host, port=config.port,
                                   log_level="warning", access_log=False, loop="uvloop",
                                   http="httptools", lifespan="on",
                                   ssl_certfile=config.ssl_certificate or None,
                                   ssl_keyfile=config.ssl_key or None))
    server.run()
    return 0 if server.started else 3


def _print_admin_password(password: str | None) -> None:
    """Show the generated ``admin`` password once, on the terminal only (as Elasticsearch 8
    shows its ``elastic`` password): never through the logger, whose lines may be shipped."""
    if password is None:
        return
    rule = "-" * 78
    print(f"{rule}\n Security is on. The first start created the user `admin` (role all_access)"
          f"\n with this password; it is stored only as a hash and is not shown again:\n\n"
          f"   {password}\n\n{rule}", flush=True)


def _certs(args: argparse.Namespace) -> int:
    from loghaven.security.certs import DEFAULT_DAYS, CertificateError, make_certificates

    hosts = [host for text in args.hosts for host in text.split(",")]
    days = DEFAULT_DAYS if args.days is None else args.days
    try:
        written = make_certificates(args.out, hosts=hosts, days=days, force=args.force)
    except CertificateError as error:
        print(f"loghaven certs: {error}", file=sys.stderr)
        return 1
    ca, cert, key = (written.path(name).resolve() for name in ("ca.crt", "node.crt", "node.key"))
    print(f"wrote the local CA: {ca} and {written.path('ca.key').resolve()} (keep the key "
          f"private: it can sign certificates clients trust)\n"
          f"wrote the node certificate: {cert} and {key}, valid {days} days for: "
          f"{', '.join(written.names)}\n\n"
          f"serve HTTPS with these lines in loghaven.yml:\n\n"
          f"  http.ssl.certificate: {cert}\n  http.ssl.key: {key}\n\n"
          f"(or --ssl-certificate {cert} --ssl-key {key}); clients trust {ca}:\n"
          f"  curl --cacert {ca} https://localhost:9200/\n"
          f"  OpenSearch(..., use_ssl=True, ca_certs=\"{ca}\")")
    return 0


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


def _credentials(args: argparse.Namespace, command: str, stdin_free: bool) -> Credentials | None:
    """The credentials of a client command (``ingest``, ``check``, ``sql``): ``--user NAME:PASSWORD``,
    ``--user NAME`` with ``--password``, LOGHAVEN_PASSWORD or a prompt, or ``--api-key``
    (each also from LOGHAVEN_USER, LOGHAVEN_API_KEY); None after saying how to give the
    password when it is needed and cannot be asked for."""
    import os

    from loghaven.loader.client import Credentials

    user = args.user or os.environ.get("LOGHAVEN_USER")
    password = args.password or os.environ.get("LOGHAVEN_PASSWORD")
    if user and ":" in user:
        user, _, password = user.partition(":")
    elif user and password is None:
        if not sys.stdin.isatty() or not stdin_free:
            print(f"loghaven {command}: give the password as --user NAME:PASSWORD or in "
                  f"LOGHAVEN_PASSWORD", file=sys.stderr)
            return None
        import getpass

        password = getpass.getpass(f"password of {user}: ")
    return Credentials(user, password, args.api_key or os.environ.get("LOGHAVEN_API_KEY"))


def _server_url(args: argparse.Namespace) -> str:
    import os

    return args.url or os.environ.get("LOGHAVEN_URL") or "http://127.0.0.1:9200"


def _add_connection_arguments(command: argparse.ArgumentParser) -> None:
    """How a client command (``ingest``, ``check``, ``sql``) reaches the server and authenticates
    (read by :func:`_server_url` and :func:`_credentials`)."""
    command.add_argument("--url", help="the server [env LOGHAVEN_URL, http://127.0.0.1:9200]")
    command.add_argument("--user", metavar="NAME[:PASSWORD]",
                         help="user name (or NAME:PASSWORD) [env LOGHAVEN_USER]")
    command.add_argument("--password", help="the user's password [env LOGHAVEN_PASSWORD; "
                                            "asked for on a terminal]")
    command.add_argument("--api-key", metavar="KEY",
                         help="sent as Authorization: ApiKey <value> (an ES `encoded` key or "
                              "an OpenSearch os_ token) [env LOGHAVEN_API_KEY]")
    command.add_argument("--ca-cert", metavar="FILE",
                         help="PEM CA file to trust for an https server")


def _ingest(args: argparse.Namespace) -> int:
    from loghaven.loader.checkpoints import default_path
    from loghaven.loader.command import EXIT_USAGE, Options, run

    credentials = _credentials(args, "ingest", stdin_free="-" not in args.sources)
    if credentials is None:
        return EXIT_USAGE
    checkpoints = None if args.no_checkpoints else (args.checkpoints or default_path())
    return run(Options(
        sources=args.sources, url=_server_url(args), credentials=credentials,
        ca_cert=args.ca_cert, format=args.format, index=args.index, rotation=args.rotation,
        pipeline=args.pipeline, batch_size=args.batch_size, workers=args.workers,
        checkpoints=checkpoints, restart=args.restart, watch=args.watch,
        interval=args.interval, s3_endpoint_url=args.s3_endpoint_url,
        progress=not args.quiet, retry_for=args.retry_for))


def _add_ingest_arguments(ingest: argparse.ArgumentParser) -> None:
    ingest.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="files, folders (recursive), globs, - for stdin, s3://bucket/prefix;"
                             " gzip is read transparently")
    _add_connection_arguments(ingest)
    ingest.add_argument("--format", help="ndjson, json (an array or one object), or a parser: "
                                         "aws-waf, cloudtrail, cloudwatch-logs, vpcflow, alb, "
                                         "cloudfront, syslog, clf [detected per file]")
    ingest.add_argument("--index", help="target index, may hold date math (awswaf-{now/d}); "
                                        "required for ndjson/json [a parser's daily index]")
    ingest.add_argument("--rotation", metavar="PERIOD", help="append the arrival time to --index as Firehose "
                                           "does: OneHour, OneDay, OneWeek, OneMonth")
    ingest.add_argument("--pipeline", metavar="ID", help="ingest pipeline to run (sent as ?pipeline=)")
    ingest.add_argument("--batch-size", type=int, default=1000, metavar="N",
                        help="documents per bulk request, which also stops at 5 MiB [1000]")
    ingest.add_argument("--workers", type=int, default=2, metavar="N",
                        help="bulk requests in flight at once [2]")
    ingest.add_argument("--checkpoints", type=Path, metavar="FILE",
                        help="checkpoint file [$XDG_STATE_HOME/loghaven/ingest.sqlite]")
    ingest.add_argument("--no-checkpoints", action="store_true",
                        help="neither read nor write checkpoints")
    ingest.add_argument("--restart", action="store_true",
                        help="forget the checkpoints of these sources and load them again")
    ingest.add_argument("--watch", action="store_true",
                        help="keep polling the folders and S3 prefixes for new files until "
                             "interrupted")
    ingest.add_argument("--interval", type=float, default=10.0, metavar="SECONDS",
                        help="seconds between --watch polls [10]")
    ingest.add_argument("--s3-endpoint-url", metavar="URL", help="S3 endpoint [as boto3 finds it: env "
                                                  "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the "
                                                  "profile]")
    ingest.add_argument("--retry-for", type=float, default=60.0, metavar="SECONDS",
                        help="seconds a bulk is retried on 429, 5xx and connection errors "
                             "before the run stops [60]")
    ingest.add_argument("--quiet", "--no-progress", dest="quiet", action="store_true",
                        help="no progress bar (it is shown only on a terminal anyway)")
    ingest.set_defaults(func=_ingest)


def _check(args: argparse.Namespace) -> int:
    from loghaven.ops.check import EXIT_CANNOT_CHECK, Options, run

    credentials = _credentials(args, "check", stdin_free=True)
    if credentials is None:
        return EXIT_CANNOT_CHECK
    return run(Options(url=_server_url(args), credentials=credentials, ca_cert=args.ca_cert,
                       insecure=args.insecure, fix=args.fix, channel=args.channel,
                       format=args.format))


def _add_check_arguments(check: argparse.ArgumentParser) -> None:
    _add_connection_arguments(check)
    check.add_argument("--insecure", action="store_true",
                       help="do not verify the server's certificate (prefer --ca-cert)")
    check.add_argument("--fix", action="store_true",
                       help="create the missing recommended alarms and update mismatched ones")
    check.add_argument("--channel", metavar="ID",
                       help="with --fix: the notification channel the alarms notify")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (colored on a terminal) or one JSON document [text]")
    check.set_defaults(func=_check)


def _sql(args: argparse.Namespace) -> int:
    from loghaven.sql_cli import EXIT_CANNOT_CONNECT, Options, run

    credentials = _credentials(args, "sql", stdin_free=True)  # asked on a terminal only
    if credentials is None:
        return EXIT_CANNOT_CONNECT
    return run(Options(url=_server_url(args), credentials=credentials, ca_cert=args.ca_cert,
                       insecure=args.insecure, ppl=args.ppl, format=args.format,
                       execute=args.execute, fetch_size=args.fetch_size,
                       history=args.history))


def _add_sql_arguments(sql: argparse.ArgumentParser) -> None:
    _add_connection_arguments(sql)
    sql.add_argument("--insecure", action="store_true",
                     help="do not verify the server's certificate (prefer --ca-cert)")
    sql.add_argument("-e", "--execute", metavar="QUERY",
                     help="run QUERY (several when separated by ';') and exit; non-zero "
                          "exit when one fails [read statements ending in ';' from the "
                          "terminal or stdin]")
    sql.add_argument("--ppl", action="store_true",
                     help="the statements are PPL (source=idx | where ... | stats ...)")
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table",
                     help="table, the server's csv, or the jdbc JSON of the whole answer "
                          "[table]")
    sql.add_argument("--fetch-size", type=int, default=200, metavar="N",
                     help="rows per page fetched through the cursor; 0 asks for the whole "
                          "answer at once (up to plugins.query.size_limit) [200]")
    sql.add_argument("--history", type=Path, metavar="FILE",
                     help="history file of the interactive loop [env LOGHAVEN_SQL_HISTORY, "
                          "~/.loghaven_sql_history]")
    sql.set_defaults(func=_sql)


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
    serve.add_argument("--secure", action="store_true",
                       help="turn security on: users, roles and API keys; the first start "
                            "creates `admin` and prints its password [env "
                            "LOGHAVEN_SECURITY_ENABLED, security.enabled, false]")
    serve.add_argument("--ssl-certificate",
                       help="PEM certificate (chain) file: serve HTTPS [env "
                            "LOGHAVEN_SSL_CERTIFICATE, http.ssl.certificate]")
    serve.add_argument("--ssl-key", help="PEM private key of the certificate [env "
                                         "LOGHAVEN_SSL_KEY, http.ssl.key]")
    serve.add_argument("--log-level", help="debug, info, warning, error [info]")
    serve.add_argument("--ingest-workers", type=int,
                       help="processes that prepare bulk documents, 0 for none "
                            "[env LOGHAVEN_INGEST_WORKERS, cores - 1]")
    serve.set_defaults(func=_serve)

    certs = commands.add_parser(
        "certs", help="make a local CA and a node certificate signed by it, for HTTPS")
    certs.add_argument("--out", type=Path, default=Path("certs"),
                       help="folder to write ca.crt, ca.key, node.crt, node.key into [./certs]")
    certs.add_argument("--hosts", action="append", default=[],
                       help="more names or addresses the node certificate is valid for, "
                            "comma separated (localhost, 127.0.0.1, ::1 and this machine's "
                            "host name always are)")
    certs.add_argument("--days", type=int,
                       help="validity in days [1095, three years, as elasticsearch-certutil]")
    certs.add_argument("--force", action="store_true", help="replace existing files")
    certs.set_defaults(func=_certs)

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

    _add_ingest_arguments(commands.add_parser(
        "ingest", help="load files, folders, stdin and S3 prefixes into a running server"))

    _add_check_arguments(commands.add_parser(
        "check", help="report the node's configuration, best-practice warnings and the "
                      "recommended alarms (exit 1 when something needs attention)"))

    _add_sql_arguments(commands.add_parser(
        "sql", help="run SQL (or --ppl PPL) against a running server: -e QUERY, or an "
                    "interactive loop with history"))

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
