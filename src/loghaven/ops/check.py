"""``loghaven check``: the seed's es-check-cwalarms report for a Loghaven node, over HTTP.

It reads what a running server answers (so it works against a remote one, with the same
credentials as any client), and reports three things as the seed's script does:

- a **system overview**: version, data path, disk size and the free-storage threshold the
  FreeStorageSpace alarm uses (20% of the disk, in MB), snapshot schedules, tiers, memory limit;
- **best-practice warnings**, each with what to do about it;
- for each recommended **alarm** (``GET _plugins/_loghaven/alarms``): ``ok; definition
  matches``, ``<field> does not match: should be X; is Y`` or ``missing``; ``--fix`` asks the
  server to create or update them (``POST .../_enable``, which never duplicates one).

Exit codes: 0 nothing needs attention, 1 warnings or alarm problems, 2 cannot check.
The thresholds below are the documented ones (docs/operations.md, "loghaven check").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import orjson

from loghaven.loader.client import Credentials, http_client, reason
from loghaven.network import is_loopback

DEFAULT_URL = "http://127.0.0.1:9200"
EXIT_OK, EXIT_ATTENTION, EXIT_CANNOT_CHECK = 0, 1, 2

ALARMS_PATH = "/_plugins/_loghaven/alarms"
#: How an ES-style server answers a path it has no route for (a 400, not a 404).
NO_HANDLER = "no handler found for uri"
MB = 1024 * 1024
#: The FreeStorageSpace alarm's threshold: 20% of the disk (the seed's "free storage calced to").
FREE_STORAGE_SHARE = 0.20
#: Free disk below these percentages is a warning (25%: plan; 20%: act now, writes stop soon).
DISK_PLAN_PERCENT, DISK_ACT_PERCENT = 25, 20
#: Resident memory above this share of ``node.memory.limit`` (JVMMemoryPressure's alarm).
MEMORY_PRESSURE_PERCENT = 85
#: An index whose segments average below this size holds "small" ones; more small segments
#: than the limit over all user indices, and every search pays for each of them.
SMALL_SEGMENT_BYTES = 16 * MB
SMALL_SEGMENTS_LIMIT = 50
#: A time-based index name: ``-YYYY.MM.dd`` (also ``-`` or ``_`` separated, monthly or
#: hourly) or a rollover's ``-000001``.
TIME_BASED = re.compile(r"[-_.](\d{4}[-_.]\d{2}([-_.]\d{2}){0,2}|\d{6})$")
SLOWLOG_PREFIXES = ("index.search.slowlog.threshold.", "index.indexing.slowlog.threshold.")
#: Pages of the policy and explain listings.
PAGE = 1000


class CannotCheck(Exception):
    """The server cannot be checked (unreachable, credentials refused); says what to do."""


@dataclass(frozen=True)
class Options:
    url: str = DEFAULT_URL
    credentials: Credentials = field(default_factory=Credentials)
    ca_cert: str | None = None
    insecure: bool = False
    fix: bool = False
    channel: str | None = None
    format: str = "text"


@dataclass
class Finding:
    """A best-practice warning: ``code`` for scripts, the message, and what to do."""

    code: str
    message: str
    action: str


@dataclass
class Report:
    url: str
    overview: dict[str, Any]
    warnings: list[Finding]
    #: ``None`` when the server has no alarms API; else each alarm as the API lists it plus
    #: its ``lines`` (the seed's verdicts).
    alarms: list[dict[str, Any]] | None
    alarms_enabled: bool = False
    fix: dict[str, list[str]] | None = None

    @property
    def alarm_problems(self) -> int:
        if self.alarms is None:
            return 1
        return sum(1 for alarm in self.alarms if alarm.get("status") != "ok")

    @property
    def exit_code(self) -> int:
        return EXIT_ATTENTION if self.warnings or self.alarm_problems else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {"url": self.url, "overview": self.overview,
                "warnings": [asdict(w) for w in self.warnings],
                "alarms": {"available": self.alarms is not None,
                           "enabled": self.alarms_enabled, "alarms": self.alarms or []},
                "fix": self.fix, "needs_attention": self.exit_code != EXIT_OK,
                "exit_code": self.exit_code}


# --- reading the server -------------------------------------------------------------------

class NodeClient:
    """The server's HTTP API, with the errors that stop a check turned into CannotCheck."""

    def __init__(self, options: Options) -> None:
        self.url = options.url.rstrip("/")
        self.http = http_client(options.url, options.credentials, ca_cert=options.ca_cert,
                                insecure=options.insecure)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, params: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None, missing_ok: bool = False) -> Any:
        """The JSON answer; None when ``missing_ok`` and the server has no such route or
        object."""
        try:
            response = self.http.request(method, path, params=params, json=body)
        except httpx.HTTPError as error:
            raise CannotCheck(
                f"cannot reach the server at {self.url}: {error or type(error).__name__}. Is "
                f"it running (`loghaven serve`)? Give its address with --url; for https, "
                f"--ca-cert FILE trusts its CA") from error
        status = response.status_code
        if status == 401:
            raise CannotCheck(
                f"the server at {self.url} refused the credentials (401): give --user NAME "
                f"--password PASSWORD (or LOGHAVEN_USER and LOGHAVEN_PASSWORD) or --api-key")
        if status == 403:
            raise CannotCheck(
                f"the server at {self.url} does not let this user read {method} {path} (403 "
                f"{reason(response)}): run the check as a user with the all_access role")
        if missing_ok and (status == 404 or (status == 400 and NO_HANDLER in response.text)):
            return None
        if status >= 400:
            raise CannotCheck(f"{method} {path} on {self.url} answered {status}: "
                              f"{reason(response)}")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as error:
            raise CannotCheck(f"{method} {path} on {self.url} answered {status} with something "
                              f"other than JSON: is --url a Loghaven server?") from error

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params)

    def paged(self, path: str, key: str | None, total: str) -> list[Any]:
        """Every entry of a listing paged by ``from``/``size`` (``key`` None: the answer's
        own keys other than ``total``, as ISM's explain lists indices)."""
        entries: list[Any] = []
        while True:
            page = self.get(path, size=PAGE, **{"from": len(entries)})
            got = page.get(key, []) if key else [k for k in page if k != total]
            entries.extend(got)
            if not got or len(entries) >= page.get(total, 0):
                return entries


@dataclass
class Facts:
    """What the server answered, one field per request."""

    root: dict[str, Any]
    node: dict[str, Any]
    stats: dict[str, Any]
    sm_policies: list[dict[str, Any]]
    managed: set[str]
    indices: list[dict[str, Any]]
    warm: list[dict[str, Any]]
    settings: dict[str, Any]
    index_stats: dict[str, Any]
    alarms: dict[str, Any] | None


def gather(server: NodeClient, status: Any) -> Facts:
    """Read everything the report needs (``status`` shows which step runs)."""
    status.update("reading the node")
    root = server.get("/")
    node = _only_node(server.get("/_nodes/_local"))
    stats = _only_node(server.get("/_nodes/_local/stats/fs,jvm,os"))
    status.update("reading snapshot and lifecycle policies")
    sm_policies = [p.get("sm_policy", {}) for p in
                   server.paged("/_plugins/_sm/policies", "policies", "total_policies")]
    managed = set(server.paged("/_plugins/_ism/explain", None, "total_managed_indices"))
    status.update("reading indices")
    columns = {"format": "json", "bytes": "b", "h": "index,status,docs.count,store.size"}
    indices = server.get("/_cat/indices", expand_wildcards="all", **columns)
    warm = server.get("/_cat/indices/_warm", **columns)
    settings = server.get("/_all/_settings", flat_settings="true", expand_wildcards="all")
    index_stats = server.get("/_stats/segments,store", expand_wildcards="all")
    status.update("reading the alarms")
    alarms = server.call("GET", ALARMS_PATH, missing_ok=True)
    return Facts(root, node, stats, sm_policies, managed, indices, warm, settings,
                 index_stats.get("indices", {}), alarms)


def _only_node(answer: dict[str, Any]) -> dict[str, Any]:
    nodes = list(answer.get("nodes", {}).values())
    if not nodes:
        raise CannotCheck("the server listed no node for _nodes/_local")
    return nodes[0]


# --- the report ---------------------------------------------------------------------------

def _setting(node: dict[str, Any], dotted: str) -> Any:
    value: Any = node.get("settings", {})
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _user_index(name: str) -> bool:
    """Not a system or hidden index (``.loghaven-*``, ``.opendistro-*``, ...)."""
    return not name.startswith(".")


def _size(row: dict[str, Any]) -> int:
    return int(row.get("store.size") or 0)


def build_overview(facts: Facts) -> dict[str, Any]:
    node, stats = facts.node, facts.stats
    disk = stats.get("fs", {}).get("total", {})
    total, free = disk.get("total_in_bytes", 0), disk.get("free_in_bytes", 0)
    machine = stats.get("os", {}).get("mem", {}).get("total_in_bytes", 0)
    memory = stats.get("jvm", {}).get("mem", {})
    # the node resolves node.memory.limit (a share of the machine or a size) into heap_max
    resident, limit_bytes = memory.get("heap_used_in_bytes", 0), memory.get("heap_max_in_bytes")
    limit = str(_setting(node, "node.memory.limit") or "80%")
    warm_names = {row["index"] for row in facts.warm}
    tiers: dict[str, Any] = {}
    for tier, rows in (("hot", [r for r in facts.indices if r["index"] not in warm_names]),
                       ("warm", facts.warm)):
        tiers[tier] = {"indices": len(rows),
                       "system_indices": sum(1 for r in rows if not _user_index(r["index"])),
                       "bytes": sum(_size(r) for r in rows)}
    tiers["warm"]["bucket"] = _setting(node, "warm.bucket")
    build = str(node.get("build_hash", ""))
    return {
        "node_name": node.get("name"),
        "cluster_name": facts.root.get("cluster_name"),
        "version": facts.root.get("version", {}).get("number"),
        "loghaven_version": build.removeprefix("loghaven-") if build.startswith("loghaven-")
        else None,
        "data_path": (_setting(node, "path.data") or [None])[0],
        "network_host": _setting(node, "network.host"),
        "security_enabled": _setting(node, "plugins.security.disabled") == "false",
        "disk_total_bytes": total,
        "disk_free_bytes": free,
        "disk_free_percent": round(100 * free / total, 1) if total else None,
        "free_storage_threshold_mb": round(total / MB * FREE_STORAGE_SHARE, 1),
        "snapshot_policies": [
            {"name": p.get("name"), "enabled": bool(p.get("enabled")),
             "cron": p.get("creation", {}).get("schedule", {}).get("cron", {})
             .get("expression"),
             "timezone": p.get("creation", {}).get("schedule", {}).get("cron", {})
             .get("timezone")} for p in facts.sm_policies],
        "tiers": tiers,
        "memory": {"limit": limit, "limit_bytes": limit_bytes, "machine_bytes": machine,
                   "resident_bytes": resident,
                   "pressure_percent": round(100 * resident / limit_bytes, 1)
                   if limit_bytes else None},
    }


def best_practice(facts: Facts, overview: dict[str, Any]) -> list[Finding]:
    """The warnings, in the order the documentation lists them."""
    found: list[Finding] = []
    host = str(overview["network_host"] or "")
    if not overview["security_enabled"] and not is_loopback(host):
        found.append(Finding(
            "open_without_auth",
            f"listening on [{host}] (beyond loopback) with security off: anyone who can reach "
            f"the port can read, change and delete all data",
            "turn security on (security.enabled: true, or serve --secure) and serve HTTPS, "
            "or listen on 127.0.0.1 behind an authenticating proxy"))
    if not any(policy["enabled"] for policy in overview["snapshot_policies"]):
        found.append(Finding(
            "no_automated_snapshots", "no automated snapshots: no enabled snapshot "
            "management policy",
            "register a repository (PUT _snapshot/<repo>; path.repo for a folder) and create "
            "a policy: POST _plugins/_sm/policies/daily with a creation cron schedule"))
    user_settings = {name: entry.get("settings", {}) for name, entry in facts.settings.items()
                     if _user_index(name)}
    if user_settings and not any(
            key.startswith(SLOWLOG_PREFIXES) and str(value) != "-1"
            for flat in user_settings.values() for key, value in flat.items()):
        found.append(Finding(
            "slow_logs_off", "neither index nor search slow logs are enabled on any index",
            "set thresholds, e.g. PUT <index>/_settings {\"index.search.slowlog.threshold."
            "query.warn\": \"5s\", \"index.indexing.slowlog.threshold.index.warn\": \"5s\"}, "
            "or in an index template"))
    unmanaged = sorted(row["index"] for row in facts.indices if _user_index(row["index"])
                       and TIME_BASED.search(row["index"]) and row["index"] not in facts.managed)
    if unmanaged:
        shown = ", ".join(unmanaged[:5]) + (f" and {len(unmanaged) - 5} more"
                                            if len(unmanaged) > 5 else "")
        found.append(Finding(
            "no_lifecycle_policy",
            f"{len(unmanaged)} time-based {_plural(len(unmanaged), 'index', 'indices')} "
            f"without a lifecycle policy: {shown}",
            "create an ISM policy (delete or move to warm by age) with an ism_template for "
            "their pattern, and attach it to the existing ones: POST "
            "_plugins/_ism/add/<pattern> {\"policy_id\": \"...\"}"))
    small = {name: entry["primaries"]["segments"]["count"]
             for name, entry in facts.index_stats.items() if _user_index(name)
             and _small_segments(entry.get("primaries", {}))}
    if sum(small.values()) > SMALL_SEGMENTS_LIMIT:
        worst = sorted(small, key=lambda n: -small[n])[:5]
        found.append(Finding(
            "too_many_small_splits",
            f"{sum(small.values())} small segments (averaging under "
            f"{SMALL_SEGMENT_BYTES // MB} MB) in {len(small)} "
            f"{_plural(len(small), 'index', 'indices')}, more than {SMALL_SEGMENTS_LIMIT}: "
            f"every search pays for each (most: {', '.join(worst)})",
            "use fewer, larger indices (monthly names, or ISM rollover on min_size), force "
            "merge indices no longer written (POST <index>/_forcemerge?max_num_segments=1) "
            "and delete empty ones"))
    free = overview["disk_free_percent"]
    if free is not None and free < DISK_PLAN_PERCENT:
        urgent = free < DISK_ACT_PERCENT
        found.append(Finding(
            "disk_headroom",
            f"only {free}% of the disk at {overview['data_path']} is free (below "
            f"{DISK_ACT_PERCENT if urgent else DISK_PLAN_PERCENT}%)"
            + (": act now, writes are blocked at the flood-stage watermark" if urgent else ""),
            "delete or snapshot-and-delete old indices, move indices to the warm tier "
            "(POST _ultrawarm/migration/<index>/_warm), or give the data path a larger disk"))
    memory = overview["memory"]
    limit_bytes = memory["limit_bytes"]  # None: an older server without heap_max
    if limit_bytes is not None and 0 < memory["machine_bytes"] < limit_bytes:
        found.append(Finding(
            "memory_limit",
            f"node.memory.limit [{memory['limit']}] is more than the machine's memory "
            f"({_mb(memory['machine_bytes'])}): memory pressure would never show a shortage",
            "set node.memory.limit below the machine's memory (the default, 80%, is)"))
    elif (memory["pressure_percent"] or 0) > MEMORY_PRESSURE_PERCENT:
        found.append(Finding(
            "memory_limit",
            f"memory pressure is {memory['pressure_percent']}%: the process uses "
            f"{_mb(memory['resident_bytes'])} of its {_mb(memory['limit_bytes'])} limit "
            f"(node.memory.limit [{memory['limit']}])",
            "raise node.memory.limit if the machine has the memory, or lower the load "
            "(fewer open scrolls and points in time, smaller aggregations, fewer indices)"))
    return found


def _small_segments(primaries: dict[str, Any]) -> bool:
    count = primaries.get("segments", {}).get("count", 0)
    size = primaries.get("store", {}).get("size_in_bytes", 0)
    return count > 0 and size / count < SMALL_SEGMENT_BYTES


def alarm_lines(alarm: dict[str, Any]) -> list[str]:
    """The seed's verdicts for one alarm: one line per difference when it does not match."""
    if alarm.get("status") == "ok":
        return ["ok; definition matches"]
    if alarm.get("status") == "missing":
        return ["missing"]
    return [f"{d.get('field')} does not match: should be {d.get('expected')}; is "
            f"{d.get('actual')}" for d in alarm.get("differences") or []] or \
        [f"does not match ({alarm.get('status')})"]


def _definition(alarm: dict[str, Any]) -> str:
    """The seed's tuple: metric, statistic, period, evaluation periods, comparison,
    threshold."""
    return (f"({alarm.get('metric')}, {alarm.get('statistic')}, {alarm.get('period_seconds')}, "
            f"{alarm.get('evaluation_periods')}, {alarm.get('comparison')}, "
            f"{alarm.get('threshold')})")


def build_report(server: NodeClient, facts: Facts, options: Options, status: Any) -> Report:
    overview = build_overview(facts)
    report = Report(server.url, overview, best_practice(facts, overview), None)
    alarms = facts.alarms
    if alarms is not None and options.fix:
        status.update("creating and updating the alarms")
        body = {"channel_id": options.channel} if options.channel else None
        report.fix = server.call("POST", f"{ALARMS_PATH}/_enable", body=body)
        alarms = server.get(ALARMS_PATH)
    if alarms is not None:
        report.alarms_enabled = bool(alarms.get("enabled"))
        report.alarms = [{**alarm, "lines": alarm_lines(alarm)}
                         for alarm in alarms.get("alarms", [])]
    return report


# --- output -------------------------------------------------------------------------------

def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _mb(size: int) -> str:
    """A size in binary units (MB as the FreeStorageSpace metric counts them)."""
    if size >= 1024 * MB:
        return f"{size / (1024 * MB):.1f} GB"
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"


def _overview_rows(overview: dict[str, Any]) -> Iterator[tuple[str, str]]:
    version = overview["version"]
    if overview["loghaven_version"]:
        version = f"Loghaven {overview['loghaven_version']} (OpenSearch-compatible {version})"
    yield "version", str(version)
    yield "node", f"{overview['node_name']} (cluster {overview['cluster_name']})"
    yield "data path", str(overview["data_path"])
    yield "disk", (f"{_mb(overview['disk_total_bytes'])}; {_mb(overview['disk_free_bytes'])} "
                   f"free ({overview['disk_free_percent']}%)")
    yield "free storage threshold", (f"{overview['free_storage_threshold_mb']} MB (20% of the "
                                     f"disk, the FreeStorageSpace alarm's)")
    policies = overview["snapshot_policies"]
    yield "snapshot schedule", "; ".join(
        f"{p['name']}: {p['cron']} {p['timezone']}" + ("" if p["enabled"] else " (stopped)")
        for p in policies) or "none"
    tiers = overview["tiers"]
    parts = []
    for tier in ("hot", "warm"):
        entry = tiers[tier]
        system = f" ({entry['system_indices']} system)" if entry["system_indices"] else ""
        parts.append(f"{tier}: {entry['indices']} {_plural(entry['indices'], 'index', 'indices')}"
                     f"{system}, {_mb(entry['bytes'])}")
    yield "tiers", "; ".join(parts) + (f"; warm bucket {tiers['warm']['bucket']}"
                                       if tiers["warm"]["bucket"] else "")
    memory = overview["memory"]
    limit = memory["limit"]
    if memory["limit_bytes"] is not None:
        limit += f" = {_mb(memory['limit_bytes'])} of {_mb(memory['machine_bytes'])}"
        if memory["pressure_percent"] is not None:
            limit += (f"; the process uses {_mb(memory['resident_bytes'])} "
                      f"({memory['pressure_percent']}%)")
    yield "memory limit", limit


def render_text(report: Report, console: Any) -> None:
    from rich.text import Text

    console.print(Text(f"Loghaven check of {report.url}", style="bold"))
    console.print(Text("\nSystem overview", style="bold"))
    rows = list(_overview_rows(report.overview))
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        console.print(Text.assemble(f"  {key.ljust(width)}  ", value))
    console.print(Text("\nWarnings", style="bold"))
    if not report.warnings:
        console.print(Text("  none", style="green"))
    for warning in report.warnings:
        console.print(Text.assemble("  ", ("WARNING: ", "yellow bold"), warning.message))
        console.print(Text(f"    what to do: {warning.action}", style="dim"))
    console.print(Text("\nAlarms", style="bold"))
    if report.fix is not None:
        for verb in ("created", "updated"):
            for name in report.fix.get(verb, []):
                console.print(Text.assemble("  ", (f"{verb.capitalize()} ", "cyan"), name))
    if report.alarms is None:
        console.print(Text.assemble("  ", ("cannot check the alarms: ", "red bold"),
                                    f"the server has no {ALARMS_PATH} (a Loghaven older than "
                                    f"the recommended alarms); upgrade it"))
    for alarm in report.alarms or []:
        for line in alarm["lines"]:
            ok = alarm.get("status") == "ok"
            detail = alarm.get("name") or ""
            if alarm.get("status") == "missing":
                detail += f" {_definition(alarm)}"
            state = f" [state {alarm['state']}]" if alarm.get("state") else ""
            console.print(Text.assemble(
                "  ", ("Alarm " if ok else "WARNING: Alarm ", "green" if ok else "red bold"),
                (line, "green" if ok else "red"), f"  {detail}",
                (state, "red bold" if alarm.get("state") == "ALARM" else "")))
    console.print()
    console.print(_summary(report))


def _summary(report: Report) -> Any:
    from rich.text import Text

    if report.exit_code == EXIT_OK:
        return Text("Nothing needs attention.", style="green bold")
    parts = []
    if report.warnings:
        parts.append(f"{len(report.warnings)} {_plural(len(report.warnings), 'warning', 'warnings')}")
    if report.alarms is not None and report.alarm_problems:
        parts.append(f"{report.alarm_problems} alarm "
                     f"{_plural(report.alarm_problems, 'problem', 'problems')} (run `loghaven "
                     f"check --fix` to create or update them, or set ops.alarms.enabled: true)")
    elif report.alarms is None:
        parts.append("the alarms could not be checked")
    return Text("Needs attention: " + "; ".join(parts) + ".", style="yellow bold")


@contextmanager
def _status(console: Any) -> Iterator[Any]:
    """A spinner naming the current step, on a terminal only."""
    if not console.is_terminal:
        yield _Silent()
        return
    with console.status("connecting") as status:
        yield status


class _Silent:
    def update(self, *_: Any) -> None:
        pass


def run(options: Options) -> int:
    """Check the server, print the report (text or JSON), and return the exit code."""
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    out = Console(highlight=False, soft_wrap=True)
    server = NodeClient(options)
    try:
        with _status(err) as status:
            facts = gather(server, status)
            report = build_report(server, facts, options, status)
    except CannotCheck as problem:
        if options.format == "json":
            sys.stdout.write(orjson.dumps({"url": server.url, "error": str(problem),
                                           "exit_code": EXIT_CANNOT_CHECK}).decode() + "\n")
        print(f"loghaven check: {problem}", file=sys.stderr)
        return EXIT_CANNOT_CHECK
    finally:
        server.close()
    if options.format == "json":
        sys.stdout.write(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode()
                         + "\n")
    else:
        render_text(report, out)
    return report.exit_code
