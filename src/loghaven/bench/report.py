"""Printing the figures (rich tables) and writing them with the environment to JSON.

A figure without the machine it came from cannot be compared with anything, so
every JSON file carries the CPU, memory, versions, git commit and load averages
at start and end of the run (the last tell how noisy the machine was).
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

#: Wide enough for the query table when the output is a file or a pipe.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _git(*args: str) -> str | None:
    """Run git in the repository this package was loaded from (or the cwd)."""
    here = Path(__file__).resolve().parent
    for where in (here, Path.cwd()):
        try:
            out = subprocess.run(
                ["git", "-C", str(where), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        return out.stdout.strip()
    return None


def environment() -> dict[str, Any]:
    """What the figures were measured on."""
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "date_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "memory_bytes": _mem_total(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "tantivy": _version("tantivy"),
        "orjson": _version("orjson"),
        "loghaven": _version("loghaven"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(dirty) if dirty is not None else None,
        "load_avg_start": list(os.getloadavg()),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, so a crash mid-run leaves the last complete file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    tmp.replace(path)


# --------------------------------------------------------------------------- formatting


def num(value: float | int | None, digits: int = 0) -> str:
    """Thousands-separated number, or a dash for a figure that was not measured."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def ms(seconds: float | None) -> str:
    """Seconds as milliseconds, with more decimals for sub-millisecond figures."""
    if seconds is None:
        return "—"
    ms_ = seconds * 1000
    return f"{ms_:.3f}" if ms_ < 1 else f"{ms_:.2f}" if ms_ < 100 else f"{ms_:.0f}"


def mib(value: int | None) -> str:
    """Bytes as MiB, or a dash."""
    return "—" if value is None else f"{value / 2**20:,.1f} MiB"


def ratio(value: float | None) -> str:
    """A ratio as ``0.23x``: how many times the reference figure."""
    return "—" if value is None else f"{value:.2f}x" if value < 100 else f"{value:.0f}x"


def pct(value: float | None) -> str:
    """A share as a percentage, or a dash."""
    return "—" if value is None else f"{value:.1%}"


def table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    left: Sequence[str] = (),
) -> None:
    """Print one rich table; the first column and those in ``left`` are left-aligned."""
    t = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        t.add_column(col, justify="left" if i == 0 or col in left else "right", overflow="fold")
    for row in rows:
        t.add_row(*row)
    console.print(t)


def note(text: str) -> None:
    """One line of rich markup on the console."""
    console.print(text)


def platform_line(env: dict[str, Any]) -> str:
    """The machine in one line: what a reader needs to compare two results."""
    mem = env.get("memory_bytes")
    return (
        f"{env['cpu_model']}, {env['cpu_affinity']} cores, "
        f"{mem / 2**30:.0f} GiB, {env['python']}, tantivy {env['tantivy']}, "
        f"commit {(env.get('git_commit') or '?')[:10]}"
        f"{' + uncommitted changes' if env.get('git_dirty') else ''}"
        if mem
        else str(env)
    )


def print_env(env: dict[str, Any]) -> None:
    """The machine, before any figure, so a pasted table carries its context."""
    note(f"[bold]machine[/bold]: {platform_line(env)}; load avg {env['load_avg_start']}")
    sys.stdout.flush()


# --------------------------------------------------------------------------- scenario tables


def print_ingest(res: dict[str, Any], base: dict[str, Any] | None,
                 base_mapping: str = "explicit mapping") -> None:
    """Scenario 1 (and 2 beside it when the baseline ran, with ``base_mapping``)."""
    ratio_s = res["docs_per_s"] / base["docs_per_s"] if base and res.get("docs_per_s") else None
    ratio_cpu = (
        res["docs_per_server_cpu_s"] / base["docs_per_cpu_s"]
        if base and res.get("docs_per_server_cpu_s") and base.get("docs_per_cpu_s")
        else None
    )
    rows = [
        ["documents", num(res["docs_acked"]), num(base["docs"]) if base else "—", ""],
        [
            "docs/s",
            num(res["docs_per_s"]),
            num(base["docs_per_s"]) if base else "—",
            ratio(ratio_s),
        ],
        [
            "MB/s (raw JSON)",
            num(res["mb_per_s"], 1),
            num(base["mb_per_s"], 1) if base else "—",
            ratio(res["mb_per_s"] / base["mb_per_s"]) if base and res.get("mb_per_s") else "—",
        ],
        [
            "docs per CPU-second",
            num(res["docs_per_server_cpu_s"]),
            num(base["docs_per_cpu_s"]) if base else "—",
            ratio(ratio_cpu),
        ],
        ["bulk p50 / p99", f"{ms(res['bulk_p50_s'])} / {ms(res['bulk_p99_s'])} ms", "—", ""],
        ["peak RSS", mib(res["peak_rss_bytes"]), mib(base["peak_rss_bytes"]) if base else "—", ""],
        ["peak RSS without mapped files", mib(res.get("peak_anon_rss_bytes")),
         mib(base.get("peak_anon_rss_bytes")) if base else "—", ""],
        [
            "on disk / raw input",
            f"{mib(res['disk_bytes'])} / {mib(res['raw_bytes'])}",
            f"{mib(base['disk_bytes'])}" if base else "—",
            "",
        ],
        ["disk ÷ raw", pct(res["disk_ratio"]), pct(base["disk_ratio"]) if base else "—", ""],
        [
            "disk ÷ raw after _flush",
            pct(res["disk_bytes_after_flush"] / res["raw_bytes"])
            if res.get("disk_bytes_after_flush") and res["raw_bytes"]
            else "—",
            "",
            "",
        ],
        ["refresh after ingest", f"{ms(res['refresh_s'])} ms", "—", ""],
        ["failed docs", num(res["docs_failed"]), "0" if base else "—", ""],
    ]
    mapping = "dynamic mapping" if res.get("mapping") == "dynamic" else "explicit mapping"
    table(
        f"1. ingest: HTTP _bulk, {res['clients']} clients x {res['bulk_docs']} docs, "
        f"durability {res['durability']}, {mapping} ({res.get('fields_indexed')} fields)   vs   "
        f"2. raw tantivy-py in-process ({base_mapping})",
        ["", "Loghaven HTTP", "tantivy-py", "Loghaven ÷ tantivy"],
        rows,
    )
    if res.get("first_error"):
        note(f"[red]first bulk error[/red]: {escape(res['first_error'])}")
    if res.get("count_after_refresh") not in (None, res["docs_acked"]):
        note(f"[red]count after refresh {res['count_after_refresh']} != acked {res['docs_acked']}")


def print_baseline(base: dict[str, Any]) -> None:
    """Scenario 2 alone (when the HTTP ingest did not run beside it)."""
    table(
        "2. raw tantivy-py in-process (the ceiling)",
        ["", "tantivy-py"],
        [
            ["documents", num(base["docs"])],
            ["docs/s", num(base["docs_per_s"])],
            ["MB/s (raw JSON)", num(base["mb_per_s"], 1)],
            ["docs per CPU-second", num(base["docs_per_cpu_s"])],
            ["add / commit", f"{base['add_seconds']:.2f} s / {base['commit_seconds']:.2f} s"],
            ["peak RSS", mib(base["peak_rss_bytes"])],
            ["on disk / raw input", f"{mib(base['disk_bytes'])} / {mib(base['raw_bytes'])}"],
            ["disk ÷ raw", pct(base["disk_ratio"])],
        ],
    )


def _result_text(result: dict[str, Any] | None) -> str:
    if not result:
        return "—"
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()
    )


def print_queries(res: dict[str, Any]) -> None:
    """Scenario 3: one row per query, HTTP beside direct tantivy."""
    rows = []
    failures: list[str] = []
    for q in res["queries"]:
        status = q["status"]
        if status != "ok":
            status = f"{status} (HTTP {q.get('http_status', '?')})"
            failures.append(f"{q['name']}: HTTP {q.get('http_status', '?')} {q.get('error')}")
        agree = q.get("results_agree")
        rows.append(
            [
                q["name"],
                ms(q.get("http_p50_s")),
                ms(q.get("http_p95_s")),
                ms(q.get("tantivy_p50_s")),
                ms(q.get("tantivy_p95_s")),
                ratio(q.get("ratio_p50")),
                _result_text(q.get("http_result") or q.get("tantivy_result")),
                "—" if agree is None else "yes" if agree else "[red]NO[/red]",
                status,
            ]
        )
    table(
        f"3. queries, one client, idle server (ms; up to {res['reps']} runs each)",
        [
            "query",
            "HTTP p50",
            "HTTP p95",
            "tantivy p50",
            "tantivy p95",
            "HTTP÷tantivy",
            "result",
            "same",
            "status",
        ],
        rows,
        left=("result", "status"),
    )
    for line in failures:
        note(f"  [yellow]{escape(line)}[/yellow]")


def print_mixed(
    res: dict[str, Any], alone: dict[str, Any] | None, idle: dict[str, Any] | None
) -> None:
    """Scenario 4, with ingest and query latency relative to running alone."""
    idle_p50 = {q["name"]: q.get("http_p50_s") for q in idle["queries"]} if idle else {}
    ingest_ratio = (
        res["ingest_docs_per_s"] / alone["docs_per_s"]
        if alone and alone.get("docs_per_s") and res.get("ingest_docs_per_s")
        else None
    )
    table(
        f"4. mixed: {res['query_clients']} query clients while {res['clients']} clients ingest",
        ["", "value", "÷ alone"],
        [
            ["ingest docs/s", num(res["ingest_docs_per_s"]), ratio(ingest_ratio)],
            ["ingest MB/s", num(res["ingest_mb_per_s"], 1), ""],
            ["bulk p50 / p99", f"{ms(res['bulk_p50_s'])} / {ms(res['bulk_p99_s'])} ms", ""],
            ["queries/s (all kinds)", num(res["queries_per_s"], 1), ""],
            ["queries run / errors", f"{res['queries']} / {res['query_errors']}", ""],
            ["peak RSS", mib(res["peak_rss_bytes"]), ""],
        ],
    )
    rows = []
    for name, q in res["per_query"].items():
        base = idle_p50.get(name)
        rows.append(
            [
                name,
                str(q["n"]),
                ms(q["p50_s"]),
                ms(q["p95_s"]),
                ratio(q["p50_s"] / base) if base and q["p50_s"] else "—",
            ]
        )
    table(
        "4. mixed: query latency while ingesting (ms)",
        ["query", "runs", "p50", "p95", "p50 ÷ idle p50"],
        rows,
    )


def _monitor_rows(res: dict[str, Any]) -> list[list[str]]:
    alone, loaded = res["client_alone"], res["client_with_monitors"]
    return [
        ["monitor runs measured", str(res["monitor_runs"]), ""],
        ["scheduler lag p50 / p99 / max",
         f"{num(res['lag_p50_ms'])} / {num(res['lag_p99_ms'])} / {num(res['lag_max_ms'])} ms",
         ""],
        ["client search p50", f"{ms(loaded['p50_s'])} ms",
         div(loaded["p50_s"], alone["p50_s"])],
        ["client search p99", f"{ms(loaded['p99_s'])} ms",
         div(loaded["p99_s"], alone["p99_s"])],
        ["client searches (alone / with monitors)", f"{alone['n']} / {loaded['n']}", ""],
        ["client p50 alone before the monitors", f"{ms(res['client_alone_before']['p50_s'])} ms",
         ""],
        ["monitor jobs failed", str(res["monitors_failed"]), ""],
    ]


def print_monitors(res: dict[str, Any]) -> None:
    """Scenario 5: monitors every minute beside a searching client."""
    table(f"5. monitors: {res['monitors']} monitors every minute, one client searching",
          ["", "value", "÷ client alone"], _monitor_rows(res))


def _pipeline_rows(res: dict[str, Any]) -> list[list[str]]:
    none, piped = res["none"], res["with_pipeline"]

    def both(key: str, fmt: Any) -> list[str]:
        return [fmt(none.get(key)), fmt(piped.get(key))]

    return [
        ["documents (failed)", f"{num(none['docs_acked'])} ({num(none['docs_failed'])})",
         f"{num(piped['docs_acked'])} ({num(piped['docs_failed'])})", ""],
        ["docs/s", *both("docs_per_s", num), ratio(res["ratio_docs_per_s"])],
        ["docs per server CPU-second", *both("docs_per_server_cpu_s", num),
         ratio(res["ratio_docs_per_cpu_s"])],
        ["server main process: CPU s (busy)",
         *[f"{num(s.get('main_cpu_s'), 1)} ({pct(s.get('main_utilisation'))})"
           for s in (none, piped)], ""],
        ["ingest workers: CPU s (busy each)",
         *[f"{num(s.get('worker_cpu_s'), 1)} ({pct(s.get('worker_utilisation'))} of "
           f"{s.get('workers') or 0})" for s in (none, piped)], ""],
        ["bulk p50 / p99", *[f"{ms(s['bulk_p50_s'])} / {ms(s['bulk_p99_s'])} ms"
                             for s in (none, piped)], ""],
    ]


def _phase_rows(phases: dict[str, Any]) -> list[list[str]]:
    none, piped = phases["phases"]["none"], phases["phases"]["pipeline"]
    total_none, total_piped = phases["total_us_none"], phases["total_us_pipeline"]
    rows = []
    names = list(piped) + [n for n in none if n not in piped]
    for name in names:
        indent = "  " if name.startswith("#") else ""
        a, b = none.get(name), piped.get(name)
        rows.append([f"{indent}{name}", num(a, 1) if a is not None else "",
                     num(b, 1) if b is not None else "",
                     pct(b / total_piped) if b is not None and total_piped else ""])
    rows.append(["  runner overhead (conditions, steps, metadata)", "",
                 num(phases["runner_overhead_us"], 1),
                 pct(phases["runner_overhead_us"] / total_piped) if total_piped else ""])
    rows.append(["total", num(total_none, 1), num(total_piped, 1),
                 ratio(total_piped / total_none) if total_none else ""])
    return rows


def _cache_line(phases: dict[str, Any]) -> str:
    cpu = phases.get("pipeline_cpu_us")
    return (f"parse, pipeline and serialise: {num(cpu, 1)} µs of CPU per document; "
            if cpu is not None else "") + "; ".join(
        f"{name} cache {pct(c['hit_rate'])} hits over the sample ({c['size']} of "
        f"{c['maxsize']} entries)" for name, c in phases["caches"].items())


def print_pipeline(res: dict[str, Any]) -> None:
    """Scenario 6: the same WAF records without and through the pipeline."""
    table(f"6. pipeline: HTTP _bulk, {res['clients']} clients x {res['bulk_docs']} docs, "
          f"without a pipeline and through {res['pipeline']}",
          ["", "no pipeline", res["pipeline"], "pipeline ÷ none"], _pipeline_rows(res))
    for side in ("none", "with_pipeline"):
        if res[side].get("first_error"):
            note(f"[red]first bulk error ({side})[/red]: {escape(res[side]['first_error'])}")
    phases = res["phases"]
    table(f"6. pipeline: where the time goes, µs per document on one core "
          f"({phases['sample']} records in-process)",
          ["phase", "no pipeline", res["pipeline"], "share"], _phase_rows(phases))
    note(_cache_line(phases))


def _stream_rows(base: dict[str, Any], side: dict[str, Any], rate_ratio: float | None,
                 cpu_ratio: float | None, lag: str) -> list[list[str]]:
    """One comparison of scenario 7: a producer's path against ``_bulk`` of the same
    records."""
    def both(fmt: Any) -> list[str]:
        return [fmt(base), fmt(side)]

    return [
        ["records (failed, sent again)", *both(
            lambda s: f"{num(s['records_accepted'])} ({num(s['records_failed'])}, "
                      f"{num(s['records_resent'])})"), ""],
        ["records/s", *both(lambda s: num(s["records_per_s"])), ratio(rate_ratio)],
        ["records/s answered (the calls alone)", *both(lambda s: num(s["put_records_per_s"])),
         ""],
        ["records per server CPU-second", *both(lambda s: num(s["records_per_server_cpu_s"])),
         ratio(cpu_ratio)],
        ["call p50 / p99 (500 records)",
         *both(lambda s: f"{ms(s['put_p50_s'])} / {ms(s['put_p99_s'])} ms"), ""],
        [lag, *both(lambda s: f"{ms(s['lag_s'])} ms"), ""],
        ["then searchable after", *both(
            lambda s: f"{s['searchable_after_s']:.2f} s" if "searchable_after_s" in s else "—"),
         ""],
        ["peak server RSS (without mapped files)",
         *both(lambda s: f"{mib(s['peak_rss_bytes'])} ({mib(s['peak_anon_rss_bytes'])})"), ""],
    ]


def _stream_tables(res: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    fh, hec = res["firehose"], res["hec"]
    how = (f"pipeline:{fh['pipeline']}" if fh["transform"] == "pipeline"
           else "an http function")
    return [
        (f"7. stream: {res['docs']:,} WAF records, {res['clients']} clients: PutRecordBatch "
         f"into a stream transformed by {how} into a daily index (buffering "
         f"{fh['interval_s']} s), until all are searchable",
         ["", f"_bulk, pipeline {fh['pipeline']}", "stream", "stream ÷ _bulk"],
         _stream_rows(fh["bulk"], fh["stream"], fh["ratio_records_per_s"],
                      fh["ratio_records_per_cpu_s"], "last answer → all searchable")),
        ("7. stream: the same records as HEC events with indexer acknowledgement, until all "
         "are durable (acks true; _bulk answered)",
         ["", "_bulk", "HEC /services/collector/event", "HEC ÷ _bulk"],
         _stream_rows(hec["bulk"], hec["hec"], hec["ratio_records_per_s"],
                      hec["ratio_records_per_cpu_s"], "last answer → all acks true")),
    ]


def print_stream(res: dict[str, Any]) -> None:
    """Scenario 7: a stream and the HEC, each against ``_bulk`` of the same records."""
    for title, columns, rows in _stream_tables(res):
        table(title, columns, rows)
    for name, side in (("stream _bulk", res["firehose"]["bulk"]),
                       ("stream", res["firehose"]["stream"]),
                       ("HEC _bulk", res["hec"]["bulk"]), ("HEC", res["hec"]["hec"])):
        if side.get("first_error"):
            note(f"[red]first error ({name})[/red]: {escape(side['first_error'])}")
        if not side["complete"]:
            note(f"[red]{name}: {side['count']} of {side['records_sent']} records "
                 f"searchable when the wait ended[/red]")


def _kb(value: float | None) -> str:
    return "—" if value is None else f"{value / 1024:,.0f} KB" if value >= 1024 \
        else f"{value:,.0f} B"


def _msn(value: float | None) -> str:
    """Milliseconds (already), or a dash."""
    return "—" if value is None else f"{value:,.0f}"


def _shorten(call: str, width: int = 80) -> str:
    """A call as ``METHOD path duration`` with a long query string cut in the middle."""
    if len(call) <= width:
        return call
    head, number, unit = call.rsplit(" ", 2)
    tail = f"{number} {unit}"
    return f"{head[:width - len(tail) - 2]}… {tail}"


def _ui_status(view: dict[str, Any]) -> str:
    if view["status"] == "not available":
        return f"not available: {view['note']}"
    if view["status"] != "ok":
        return f"{view['status']}: {'; '.join(view['problems'])[:160]}"
    return "ok"


def _ui_tables(res: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """Scenario 8's two tables: paint and load times, then requests, bytes and the API
    baseline; medians of ``reps`` loads, cold (a new browser context) / warm (the same
    context again)."""
    goal = res["goal_fcp_ms"]
    times, requests = [], []
    for v in res["views"]:
        if v["status"] == "not available":
            times.append([v["view"], "", "", "", "", "", _ui_status(v)])
            continue
        c, w, d = v["cold"], v["warm"], v["direct"]
        times.append([
            v["view"], f"{_msn(c['fcp_ms'])} / {_msn(w['fcp_ms'])}",
            f"{_msn(c['lcp_ms'])} / {_msn(w['lcp_ms'])}",
            f"{_msn(c['dcl_ms'])} / {_msn(c['load_ms'])}",
            f"{_msn(c['quiet_ms'])} / {_msn(w['quiet_ms'])}",
            ("pass" if v["goal_met"] else "FAIL") + f" ({_msn(c['fcp_ms'])} ms)",
            _ui_status(v)])
        requests.append([
            v["view"], f"{_msn(c['static_requests'])} ({_kb(c['static_bytes'])})",
            _kb(w["static_bytes"]),
            f"{_msn(c['api_requests'])} ({_kb(c['api_bytes'])})",
            f"{_msn(c['api_sum_ms'])} / {_msn(c['api_max_ms'])} "
            f"({_msn(c['api_server_sum_ms'])})",
            f"{num(d['sum_ms'], 1)} ({d['calls']}"
            + (f", {d['skipped']} writes not sent" if d["skipped"] else "") + ")",
            ratio(v["quiet_over_direct"]), _shorten(c["slowest_api"] or "—")])
    return [
        (f"8. ui: {res['data']['docs']:,} WAF documents, {res['browser']}, medians of "
         f"{res['reps']} loads per view, cold / warm (ms since navigation start)",
         ["view", "FCP", "LCP", "DOMContentLoaded / load (cold)", "network quiet",
          f"goal FCP < {goal:,.0f} ms (cold)", "status"], times),
        ("8. ui: requests per load (cold), the views' API calls and the same calls sent "
         "directly",
         ["view", "static files (bytes)", "static bytes warm", "API calls (bytes)",
          "API time sum / max (server part) ms", "direct API sum ms (calls)",
          "quiet ÷ direct", "slowest API call (first cold load)"], requests),
    ]


def print_ui(res: dict[str, Any]) -> None:
    """Scenario 8: each view of the web UI in Chromium, cold and warm."""
    if res.get("skipped"):
        note(f"[yellow]8. ui skipped[/yellow]: {escape(res['skipped'])}")
        return
    for title, columns, rows in _ui_tables(res):
        table(title, columns, [[escape(cell) for cell in row] for row in rows],
              left=("status", "slowest API call (first cold load)"))
    objects = res["objects"]
    dashboard = next((v["note"] for v in res["views"]
                      if v["view"] == "dashboards" and v["status"] != "not available"), "")
    note(f"data: {res['data']['count']:,} documents in {res['data']['index']} "
         f"({num(res['data']['docs_per_s'])} docs/s through its pipeline); index pattern: "
         + (objects["pattern_id"] if objects["available"] else objects["reason"])
         + (f"; dashboards view: {dashboard}" if dashboard else ""))


# --------------------------------------------------------------------------- markdown


def _warm_tables(res: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """Scenario 9: the warm tier's size, migration and queries (hot, cold, cached)."""
    mig = res["migration"]
    sizes = [
        ["raw WAF JSON", mib(res["raw_bytes"]), "1.00x"],
        ["hot on disk", mib(res["hot_disk_bytes"]),
         ratio(res["hot_disk_bytes"] / res["raw_bytes"]) if res["hot_disk_bytes"] else "—"],
        ["warm in object store", mib(res["object_store_bytes"]),
         ratio(res["object_bytes_per_raw_byte"])],
        [f"goal ≤ {res['goal_ratio']:.2f}x: measured ÷ goal", "",
         ratio(res["ratio_to_goal"])],
        ["migration hot → warm", f"{num(mig['seconds'], 1)} s",
         f"{num(mig['raw_mb_per_s'], 1)} MB/s raw, {num(mig['docs_per_s'])} docs/s"],
    ]
    for name, q in res["queries"].items():
        cold = q.get("cold") or {}
        if "restart_seconds" in cold:
            sizes.append([f"restart, empty cache ({name})", f"{num(cold['restart_seconds'], 1)} s",
                          f"fetched {mib(cold['bytes_fetched_at_start'])} at start, "
                          f"{mib(cold['bytes_fetched_by_query'])} by the query"])
    queries = []
    for name, q in res["queries"].items():
        cold = (q.get("cold") or {}).get("seconds")
        hot, cached = q["hot"]["p50_s"], q["cached"]["p50_s"]
        queries.append([name, ms(hot), ms(cold), ms(cached),
                        div(cold, hot), div(cached, hot)])
    return [(f"9. warm: {res['docs']:,} WAF documents moved to the warm tier",
             ["", "bytes", "÷ raw"], sizes),
            ("9. warm: queries (ms; hot and cached are p50s, cold is the first run after a "
             "restart with an empty cache)",
             ["query", "hot", "cold warm", "cached warm", "cold ÷ hot", "cached ÷ hot"],
             queries)]


def print_warm(res: dict[str, Any]) -> None:
    for title, columns, rows in _warm_tables(res):
        table(title, columns, rows)
    if not res.get("cold_measured"):
        note("[yellow]warm: an external server cannot be restarted; no cold figures[/yellow]")


def _sql_tables(res: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The SQL scenario: each query through _plugins/_sql and _search, p50/p95 and ratios."""
    rows = []
    for q in res["queries"]:
        if q["status"] != "ok":
            rows.append([q["name"], q["status"], "—", "—", "—", "—", "—", "—",
                         escape(q.get("error", ""))[:120]])
            continue
        rows.append([q["name"], str(q["runs"]), ms(q["sql_p50_s"]), ms(q["sql_p95_s"]),
                     ms(q["search_p50_s"]), ms(q["search_p95_s"]), ratio(q["ratio_p50"]),
                     ratio(q["ratio_p95"]), "yes" if q["agree"] else "NO"])
    return [(f"10. sql: the top-IPs GROUP BY through _plugins/_sql and as an aggregation through "
             f"_search, alternately, over {num(res['docs'])} WAF documents (ms)",
             ["query", "runs", "sql p50", "sql p95", "_search p50", "_search p95",
              "p50 ratio", "p95 ratio", "same answer"], rows)]


def print_sql(res: dict[str, Any]) -> None:
    for title, columns, rows in _sql_tables(res):
        table(title, columns, rows, left=("same answer",))


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def div(a: float | None, b: float | None) -> str:
    """``a ÷ b`` formatted as a ratio, or a dash when either is missing."""
    return ratio(a / b) if a and b else "—"



def _md_ingest(ing: dict[str, Any] | None, base: dict[str, Any] | None,
               base_dynamic: bool = False) -> list[str]:
    """Scenario 1 (explicit or dynamic mapping) beside scenario 2 (with the explicit mapping,
    or ``base_dynamic`` with the schema dynamic mapping made), as Markdown lines."""
    rows = []

    def row(label: str, a: str, b: str, r: str = "") -> None:
        rows.append([label, a, b, r])

    g = (lambda k: ing.get(k)) if ing else (lambda k: None)
    h = (lambda k: base.get(k)) if base else (lambda k: None)

    for label, ours, theirs, digits in (("docs/s", "docs_per_s", "docs_per_s", 0),
                                        ("MB/s of raw JSON", "mb_per_s", "mb_per_s", 1),
                                        ("docs per CPU-second", "docs_per_server_cpu_s",
                                         "docs_per_cpu_s", 0)):
        row(label, num(g(ours), digits), num(h(theirs), digits), div(g(ours), h(theirs)))
    row(
        "bulk latency p50 / p99",
        f"{ms(g('bulk_p50_s'))} / {ms(g('bulk_p99_s'))} ms" if ing else "—",
        "—",
    )
    row("peak RSS", mib(g("peak_rss_bytes")), mib(h("peak_rss_bytes")))
    row("peak RSS without mapped files", mib(g("peak_anon_rss_bytes")),
        mib(h("peak_anon_rss_bytes")))
    row("bytes on disk ÷ raw input", pct(g("disk_ratio")), pct(h("disk_ratio")))
    return [
        "### Ingest (1: HTTP `_bulk`"
        + (f", {ing['clients']} clients, durability {ing['durability']}, "
           f"{ing.get('mapping', 'explicit')} mapping" if ing else "")
        + "; 2: raw tantivy-py"
        + (" with the schema dynamic mapping made)" if base_dynamic else ")"),
        "",
        _md_table(["", "Loghaven over HTTP", "tantivy-py in-process", "ratio"], rows),
        "",
    ]


def to_markdown(data: dict[str, Any]) -> str:
    """The figures of one results file as Markdown (for docs/BENCHMARKS.md)."""
    env = data["environment"]
    scen = data["scenarios"]
    out = [
        f"Command: `{data['command']}`",
        "",
        f"Machine: {platform_line(env)}; load average {env['load_avg_start'][0]:.2f} at start, "
        f"{env.get('load_avg_end', [float('nan')])[0]:.2f} at end; {env['date_utc']}.",
        "",
    ]
    data_ = data.get("data", {})
    if data_:
        out += [
            f"Data: {data_['docs']:,} WAF documents, {data_['raw_bytes'] / 1e6:,.1f} MB of "
            f"NDJSON ({data_['avg_doc_bytes']:.0f} bytes each).",
            "",
        ]
    base = scen.get("baseline")
    if scen.get("ingest_dynamic"):
        for against in ("baseline_dynamic", "baseline"):
            if scen.get(against):
                out += _md_ingest(scen["ingest_dynamic"], scen[against],
                                  against == "baseline_dynamic")
    if scen.get("ingest") or base:
        out += _md_ingest(scen.get("ingest"), base)
    ing = scen.get("ingest")
    q = scen.get("queries")
    if q:
        rows = []
        for r in q["queries"]:
            status = (
                r["status"]
                if r["status"] == "ok"
                else (f"{r['status']} (HTTP {r.get('http_status')})")
            )
            rows.append(
                [
                    f"`{r['name']}`",
                    ms(r.get("http_p50_s")),
                    ms(r.get("http_p95_s")),
                    ms(r.get("tantivy_p50_s")),
                    ms(r.get("tantivy_p95_s")),
                    ratio(r.get("ratio_p50")),
                    status,
                ]
            )
        out += [
            "### Queries (3: one client, idle server; milliseconds)",
            "",
            _md_table(
                [
                    "query",
                    "HTTP p50",
                    "HTTP p95",
                    "tantivy p50",
                    "tantivy p95",
                    "HTTP ÷ tantivy (p50)",
                    "status",
                ],
                rows,
            ),
            "",
        ]
    m = scen.get("mixed")
    if m:
        alone = ing.get("docs_per_s") if ing else None
        out += [
            f"### Mixed (4: {m['query_clients']} query clients while {m['clients']} clients "
            "ingest)",
            "",
            f"Ingest {num(m['ingest_docs_per_s'])} docs/s "
            f"({div(m['ingest_docs_per_s'], alone) if ing else '—'} of ingest alone); "
            f"{num(m['queries_per_s'], 1)} queries/s over {m['queries']:,} queries "
            f"({m['query_errors']} errors); peak RSS {mib(m['peak_rss_bytes'])}.",
            "",
        ]
        idle = {r["name"]: r.get("http_p50_s") for r in q["queries"]} if q else {}
        rows = [
            [
                f"`{name}`",
                str(r["n"]),
                ms(r["p50_s"]),
                ms(r["p95_s"]),
                div(r["p50_s"], idle.get(name)),
            ]
            for name, r in m["per_query"].items()
        ]
        out += [
            _md_table(["query", "runs", "p50 ms", "p95 ms", "p50 ÷ idle p50"], rows),
            "",
        ]
    mon = scen.get("monitors")
    if mon:
        out += [f"### Monitors (5: {mon['monitors']} monitors every minute, one client "
                "searching)", "", _md_table(["", "value", "÷ client alone"],
                                            _monitor_rows(mon)), ""]
    pipe = scen.get("pipeline")
    if pipe:
        phases = pipe["phases"]
        out += [f"### Pipeline (6: {pipe['docs']:,} WAF records without a pipeline and through "
                f"`{pipe['pipeline']}`, {pipe['clients']} clients)", "",
                _md_table(["", "no pipeline", pipe["pipeline"], "pipeline ÷ none"],
                          _pipeline_rows(pipe)), "",
                f"Where the time goes (µs per document on one core, {phases['sample']} "
                f"records in-process):", "",
                _md_table(["phase", "no pipeline", pipe["pipeline"], "share"],
                          _phase_rows(phases)), "", _cache_line(phases) + ".", ""]
    stream = scen.get("stream")
    if stream:
        for title, columns, rows in _stream_tables(stream):
            out += [f"### Stream (7): {title.removeprefix('7. stream: ')}", "", _md_table(columns, rows), ""]
    ui = scen.get("ui")
    if ui and ui.get("skipped"):
        out += ["### UI (8)", "", f"Skipped: {ui['skipped']}", ""]
    elif ui:
        for title, columns, rows in _ui_tables(ui):
            out += [f"### UI (8): {title.removeprefix('8. ui: ')}", "", _md_table(columns, rows),
                    ""]
    sql = scen.get("sql")
    if sql:
        for title, columns, rows in _sql_tables(sql):
            out += [f"### SQL (10): {title.removeprefix('10. sql: ')}", "",
                    _md_table(columns, rows), ""]
    warm = scen.get("warm")
    if warm:
        for title, columns, rows in _warm_tables(warm):
            out += [f"### Warm (9): {title.removeprefix('9. warm: ')}", "",
                    _md_table(columns, rows), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """``python -m loghaven.bench.report RESULTS.json``: print it as Markdown."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m loghaven.bench.report RESULTS.json", file=sys.stderr)
        return 2
    print(to_markdown(orjson.loads(Path(args[0]).read_bytes())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

