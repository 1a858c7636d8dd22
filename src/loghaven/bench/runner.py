"""``loghaven bench``: options and the order in which the scenarios run.

Order matters on a 2-core machine: every data set is generated into a spool
file before any clock starts; the raw-tantivy baseline runs before the server
is started so the two never compete for the CPU; the server is fresh (empty
data folder) for each run. Every figure lands in one JSON file, rewritten after
each scenario so that a failing run still leaves what it measured.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from loghaven.bench import report
from loghaven.bench.baseline import BaselineIndex, QueryContext, mapped_fields
from loghaven.bench.generators import FIELDS
from loghaven.bench.monitors import scenario_monitors
from loghaven.bench.pipeline import SAMPLE, scenario_pipeline
from loghaven.bench.sampling import DAY_MS, DEFAULT_END_MS, ip_pool
from loghaven.bench.scenarios import (
    WAF_INDEX,
    cleanup,
    load_secondary,
    query_specs,
    scenario_ingest,
    scenario_mixed,
    scenario_queries,
    spool_for,
)
from loghaven.bench.server import BenchError, Server
from loghaven.bench.sql import scenario_sql
from loghaven.bench.stream import TRANSFORMS, scenario_stream
from loghaven.bench.stream import failed as stream_failed
from loghaven.bench.ui import scenario_ui
from loghaven.bench.warm import scenario_warm

#: What ``--scenario all`` runs; ``warm`` restarts the server and defaults to 1M documents,
#: so it runs only when asked for.
ALL = ("ingest", "dynamic", "baseline", "queries", "sql", "mixed", "monitors", "pipeline", "stream", "ui")
SCENARIOS = (*ALL, "warm")
#: What each scenario needs to have run before it.
NEEDS = {"ingest": (), "dynamic": ("baseline", "ingest"), "baseline": (), "queries": ("baseline", "ingest"), "sql": ("ingest",),
         "mixed": ("ingest",),
         "monitors": ("ingest",), "pipeline": (), "stream": (), "ui": (), "warm": ("ingest",)}
#: ``--docs`` of the warm scenario when not given: its cold query is over 1M documents.
WARM_DOCS = 1_000_000


class DefaultDocs(int):
    """``--docs`` left at its default (the warm scenario then takes ``WARM_DOCS``)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``loghaven bench`` options."""
    parser.add_argument(
        "--docs",
        type=int,
        default=DefaultDocs(100_000),
        help="WAF documents to ingest (100000: minutes; 5000000: the full figures; the warm "
        "scenario alone: 1000000)",
    )
    parser.add_argument(
        "--clients", type=int, default=4, help="K concurrent _bulk clients [4]", metavar="K"
    )
    parser.add_argument(
        "--query-clients",
        type=int,
        default=2,
        metavar="Q",
        help="Q concurrent query clients in the mixed scenario [2]",
    )
    parser.add_argument(
        "--scenario",
        choices=[*SCENARIOS, "all"],
        default="all",
        help="what to run; queries and mixed also run what they depend on [all]",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="JSON results file [bench/results/bench-<UTC time>-<docs>.json]",
    )
    parser.add_argument("--seed", type=int, default=42, help="data generator seed [42]")
    parser.add_argument("--bulk-docs", type=int, default=1000, help="documents per _bulk [1000]")
    parser.add_argument(
        "--query-reps", type=int, default=50, help="timed runs per query and side [50]"
    )
    parser.add_argument(
        "--query-budget",
        type=float,
        default=10.0,
        help="seconds at most per query and side, whatever --query-reps says [10]",
    )
    parser.add_argument(
        "--mixed-docs", type=int, help="documents ingested during the mixed scenario [docs/2]"
    )
    parser.add_argument(
        "--secondary-docs",
        type=int,
        help="CloudTrail, VPC flow and IoT documents each, for the index-pattern query "
        "[docs/20, at least 500]",
    )
    parser.add_argument(
        "--work-dir", type=Path, help="where server data, spools and the baseline index go [tmp]"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    parser.add_argument("--url", help="benchmark an already running server instead of starting one")
    parser.add_argument("--monitors", type=int, default=200,
                        help="alerting monitors running every minute in the monitors "
                             "scenario [200]")
    parser.add_argument("--monitor-seconds", type=float, default=180.0,
                        help="seconds the searching client runs alone before, with the monitors "
                             "(65 at least) and alone after them [180]")
    parser.add_argument("--pipeline-sample", type=int, default=SAMPLE,
                        help="records timed phase by phase (each processor) in the pipeline "
                             f"scenario [{SAMPLE}]")
    parser.add_argument("--stream-transform", choices=TRANSFORMS, default="pipeline",
                        help="the stream scenario's transform: pipeline:loghaven-aws-waf, or "
                             "an http function the benchmark serves on loopback [pipeline]")
    parser.add_argument("--stream-interval", type=int, default=1, metavar="SECONDS",
                        help="the stream's BufferingHints IntervalInSeconds [1]")
    parser.add_argument("--ui-reps", type=int, default=5, metavar="N",
                        help="loads of each view of the web UI, cold and warm, in the ui "
                             "scenario; the table shows their medians [5]")
    parser.add_argument("--secure", action="store_true",
                        help="start the server with security on; every request authenticates "
                             "as admin with HTTP Basic (the cost of authentication and "
                             "authorization)")


def _plan(choice: str) -> list[str]:
    wanted = set(ALL) if choice == "all" else {choice}
    todo = set(wanted)
    while True:
        extra = {d for s in todo for d in NEEDS[s]} - todo
        if not extra:
            break
        todo |= extra
    order = ["baseline", "dynamic", "ingest", "queries", "sql", "mixed", "monitors", "pipeline", "stream", "ui",
             "warm"]
    return [s for s in order if s in todo]


def _config(args: argparse.Namespace) -> dict[str, Any]:
    return {
        k: str(v) if isinstance(v, Path) else v
        for k, v in vars(args).items()
        if k not in ("func", "command") and not callable(v)
    }


def _command_line() -> str:
    """How this run was invoked, as a person would type it again."""
    prog = Path(sys.argv[0]).name
    if prog == "__main__.py":
        prog = "python -m loghaven.bench"
    return " ".join([prog, *sys.argv[1:]])


def run(args: argparse.Namespace) -> int:
    """Run the chosen scenarios; 0 if all of them completed without failed documents."""
    started = _dt.datetime.now(_dt.UTC)
    plan = _plan(args.scenario)
    if args.scenario == "warm" and isinstance(args.docs, DefaultDocs):
        args.docs = WARM_DOCS
    out: Path = args.out or Path("bench/results") / (
        f"bench-{started:%Y%m%dT%H%M%SZ}-{args.docs}.json"
    )
    work = Path(tempfile.mkdtemp(prefix="loghaven-bench-", dir=args.work_dir))
    env = report.environment()
    result: dict[str, Any] = {
        "command": _command_line(),
        "config": _config(args),
        "plan": plan,
        "environment": env,
        "scenarios": {},
        "errors": {},
    }
    report.print_env(env)
    report.note(f"scenarios: {', '.join(plan)}; work folder {work}; results → {out}")
    mixed_docs = args.mixed_docs or max(args.docs // 2, 1)
    secondary_docs = args.secondary_docs or max(args.docs // 20, 500)
    ctx = QueryContext(end_ms=DEFAULT_END_MS, hot_ip=ip_pool(args.seed)[1])
    server: Server | None = None
    failed = False
    scen = result["scenarios"]

    def save() -> None:
        env["load_avg_end"] = list(os.getloadavg())
        result["finished_utc"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        report.write_json(out, result)

    try:
        t0 = time.perf_counter()
        spool = spool_for(
            work / "waf.ndjson",
            "waf",
            args.docs,
            WAF_INDEX,
            args.seed,
            args.bulk_docs,
            DEFAULT_END_MS,
        )
        gen_s = time.perf_counter() - t0
        result["data"] = {
            "kind": "waf",
            "docs": spool.docs,
            "raw_bytes": spool.source_bytes,
            "bulk_body_bytes": spool.body_bytes,
            "avg_doc_bytes": spool.source_bytes / max(spool.docs, 1),
            "generate_seconds": gen_s,
        }
        report.note(
            f"generated {spool.docs:,} WAF documents, {spool.source_bytes / 1e6:,.1f} MB, "
            f"in {gen_s:.1f} s"
        )

        baseline: BaselineIndex | None = None
        if "baseline" in plan:
            try:
                baseline = BaselineIndex(work / "tantivy-baseline", FIELDS["waf"])
                scen["baseline"] = baseline.ingest(spool)
                report.print_baseline(scen["baseline"])
            except Exception as exc:
                failed = True
                result["errors"]["baseline"] = traceback.format_exc()
                report.note(f"[red]baseline failed[/red]: {report.escape(str(exc))}")
                baseline = None
            save()

        if any(s in plan for s in ("ingest", "dynamic", "queries", "sql", "mixed", "monitors",
                                   "pipeline", "stream", "ui", "warm")):
            server = Server(work / "server-data", work / "server.log", url=args.url,
                            secure=args.secure)
            server.start()
            result["server"] = {
                "pid": server.pid,
                "url": f"http://{server.host}:{server.port}",
                "external": server.external,
                "secure": server.secure,
            }
            if "dynamic" in plan:  # first: scenario 1 then recreates the index explicitly
                scen["ingest_dynamic"] = res = scenario_ingest(server, spool, args.clients,
                                                               dynamic=True)
                report.print_ingest(res, scen.get("baseline"))
                # raw tantivy with the schema that dynamic mapping produced, made explicit
                fields, copies = mapped_fields(
                    server.client().request("GET", f"/{WAF_INDEX}/_mapping").json()
                    [WAF_INDEX]["mappings"]["properties"])
                scen["baseline_dynamic"] = BaselineIndex(
                    work / "tantivy-baseline-dynamic", fields, copies).ingest(spool)
                report.print_ingest(res, scen["baseline_dynamic"],
                                    "the schema dynamic mapping made, explicit")
                server.check_alive()
                if res["docs_failed"] or res["docs_acked"] == 0:
                    failed = True
                save()
            if "ingest" in plan:
                scen["ingest"] = res = scenario_ingest(server, spool, args.clients)
                report.print_ingest(res, scen.get("baseline"))
                server.check_alive()
                if res["docs_failed"] or res["docs_acked"] == 0:
                    failed = True
                save()
            if "queries" in plan:
                scen["secondary_indices"] = load_secondary(
                    server, secondary_docs, args.seed, args.clients
                )
                scen["queries"] = scenario_queries(
                    server, baseline, ctx, args.query_reps, args.query_budget
                )
                report.print_queries(scen["queries"])
                server.check_alive()
                save()
            if "sql" in plan:
                scen["sql"] = res = scenario_sql(server, args.query_reps, args.query_budget)
                report.print_sql(res)
                server.check_alive()
                if any(q["status"] == "ok" and not q["agree"] for q in res["queries"]):
                    failed = True
                save()
            if "mixed" in plan:
                supported = {
                    q["name"]
                    for q in scen.get("queries", {}).get("queries", [])
                    if q["status"] == "ok"
                }
                specs = [
                    s for s in query_specs(ctx) if not scen.get("queries") or s.name in supported
                ]
                if not specs:
                    report.note("[yellow]mixed: no supported query; ingest only[/yellow]")
                spool2 = spool_for(
                    work / "waf-mixed.ndjson",
                    "waf",
                    mixed_docs,
                    WAF_INDEX,
                    args.seed + 1,
                    args.bulk_docs,
                    DEFAULT_END_MS + DAY_MS,
                )
                scen["mixed"] = res = scenario_mixed(
                    server,
                    spool2,
                    args.clients,
                    args.query_clients,
                    specs,
                    max_seconds=max(600.0, args.docs / 100),
                )
                spool2.remove()
                report.print_mixed(res, scen.get("ingest"), scen.get("queries"))
                server.check_alive()
                if res["docs_failed"]:
                    failed = True
                save()
            if "monitors" in plan:
                scen["monitors"] = res = scenario_monitors(server, ctx, args.monitors,
                                                           args.monitor_seconds)
                report.print_monitors(res)
                server.check_alive()
                if res["monitors_failed"] or not res["monitor_runs"]:
                    failed = True
                save()
            if "pipeline" in plan:
                scen["pipeline"] = res = scenario_pipeline(
                    server, work, args.docs, args.seed, args.bulk_docs, args.clients,
                    args.pipeline_sample)
                report.print_pipeline(res)
                server.check_alive()
                if any(res[side]["docs_failed"] or not res[side]["docs_acked"]
                       for side in ("none", "with_pipeline")) or res["phases"]["failed"]:
                    failed = True
                save()
            if "stream" in plan:
                scen["stream"] = res = scenario_stream(
                    server, work, args.docs, args.seed, args.clients, args.stream_transform,
                    args.stream_interval)
                report.print_stream(res)
                server.check_alive()
                if stream_failed(res):
                    failed = True
                save()
            if "ui" in plan:
                scen["ui"] = res = scenario_ui(server, work, args.docs, args.seed,
                                               args.bulk_docs, args.clients, args.ui_reps)
                report.print_ui(res)
                server.check_alive()
                save()
            if "warm" in plan and scen.get("ingest", {}).get("docs_acked"):
                scen["warm"] = res = scenario_warm(server, scen["ingest"], args.query_reps,
                                                   args.query_budget)
                report.print_warm(res)
                server.check_alive()
                save()
    except BenchError as exc:
        failed = True
        result["errors"]["run"] = str(exc)
        report.note(f"[red]{report.escape(str(exc))}[/red]")
    except Exception:
        failed = True
        result["errors"]["run"] = traceback.format_exc()
        report.note(f"[red]benchmark failed[/red]:\n{report.escape(result['errors']['run'])}")
    finally:
        if server is not None:
            server.stop()
            result.setdefault("server", {})["log_tail"] = server.log_tail(10)
        save()
        if args.keep:
            report.note(f"work folder kept: {work}")
        else:
            cleanup(work)
    report.note(f"results written to {out}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m loghaven.bench``: the same as ``loghaven bench``."""
    parser = argparse.ArgumentParser(prog="loghaven bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
