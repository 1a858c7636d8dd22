// Operations → Node: the node's health and every figure _nodes/stats gives (documents, store,
// indexing, search, memory, CPU, disk, scheduler jobs, delivery streams, audit), sampled every
// few seconds while the tab is shown, with rates between samples drawn as line charts of the
// last ten minutes (kept in memory on the page). #operations/node?every=<seconds> changes the
// period. The stored history over days is the Metrics tab's (metrics.js).

import { $, call, h } from "../lib.js";
import { when } from "../alerting/format.js";
import { attempt, enc, formatBytes, page, table } from "../widgets.js";
import { lineChart } from "./charts.js";
import { all, gauge, keep, latency, latest, peak, rate, WINDOW_MS } from "./samples.js";

const DEFAULT_EVERY_S = 5;
const count = (n) => Number(n || 0).toLocaleString("en");
const fixed = (n, digits = 1) => Number(n || 0).toLocaleString("en", { maximumFractionDigits: digits });
const muted = (text) => h("span", { class: "muted" }, text);

// A duration in milliseconds as "42 s", "12 min", "3 h 5 min", "2 d 4 h".
function duration(ms) {
  const s = Math.floor(ms / 1000), m = Math.floor(s / 60), hours = Math.floor(m / 60), d = Math.floor(hours / 24);
  if (d) return `${d} d ${hours % 24} h`;
  if (hours) return `${hours} h ${m % 60} min`;
  return m ? `${m} min` : `${s} s`;
}

// The charts: what each draws from the samples.
const CHARTS = [
  { id: "indexing", title: "Indexing rate", unit: "docs/s", series: () => [{ name: "indexed", points: rate("indices.indexing.index_total") }] },
  { id: "search", title: "Search rate", unit: "queries/s", series: () => [{ name: "queries", points: rate("indices.search.query_total") }] },
  { id: "latency", title: "Search latency", unit: "ms/query", series: () => [{ name: "query time", points: latency("indices.search.query_total", "indices.search.query_time_in_millis") }] },
  { id: "cpu", title: "CPU", unit: "%", max: 100, series: () => [{ name: "Loghaven", points: gauge("process.cpu.percent") }, { name: "machine", points: gauge("os.cpu.percent") }] },
  { id: "memory", title: "Resident memory", unit: "MB", series: () => [{ name: "resident", points: gauge("jvm.mem.heap_used_in_bytes", 1 / 1048576) }] },
  { id: "documents", title: "Documents", unit: "docs", series: () => [{ name: "documents", points: gauge("indices.docs.count") }] },
];

function card(key, label, value, sub) {
  return h("div", { class: "card", "data-figure": key },
    h("span", { class: "card-label" }, label), h("span", { class: "card-value" }, value),
    sub ? h("span", { class: "card-sub" }, sub) : null);
}

function cards(node, health) {
  const ix = node.indices || {};
  const indexingRate = rate("indices.indexing.index_total");
  const searchRate = rate("indices.search.query_total");
  const lastRate = (points) => (points.length ? points[points.length - 1][1] : 0);
  const search = ix.search || {};
  const disk = node.fs?.total || {};
  const mem = node.os?.mem || {};
  const jvm = node.jvm || {};
  const scheduler = node.scheduler || {};
  const process = node.process || {};
  return [
    card("node", "Node", node.name, `up ${duration(jvm.uptime_in_millis || 0)}`),
    card("health", "Cluster health", [h("span", { class: `dot ${health.status}` }), health.status],
      `${count(health.active_shards)} active, ${count(health.unassigned_shards)} unassigned shards`),
    card("documents", "Documents", count(ix.docs?.count), `${count(ix.docs?.deleted)} deleted, ${count(ix.segments?.count)} segments`),
    card("store", "Store size", formatBytes(ix.store?.size_in_bytes || 0)),
    card("disk", "Disk available", formatBytes(disk.available_in_bytes || 0),
      disk.total_in_bytes ? `of ${formatBytes(disk.total_in_bytes)} (${fixed((100 * disk.available_in_bytes) / disk.total_in_bytes, 0)}% free)` : null),
    card("indexing-rate", "Indexing rate", `${fixed(lastRate(indexingRate))} docs/s`,
      `peak ${fixed(peak(indexingRate))} docs/s · ${count(ix.indexing?.index_total)} indexed, ${count(ix.indexing?.index_failed)} failed`),
    card("search-rate", "Search rate", `${fixed(lastRate(searchRate))} queries/s`,
      `${count(search.query_total)} queries, ${fixed(search.query_total ? search.query_time_in_millis / search.query_total : 0, 2)} ms each on average`),
    card("memory", "Resident memory", formatBytes(jvm.mem?.heap_used_in_bytes || 0),
      `machine ${mem.used_percent ?? "—"}% used of ${formatBytes(mem.total_in_bytes || 0)}`),
    card("cpu", "CPU", `${process.cpu?.percent ?? 0}%`,
      `machine ${node.os?.cpu?.percent ?? 0}%, load ${Object.values(node.os?.cpu?.load_average || {}).join(" / ") || "—"}`),
    card("files", "Open files", count(process.open_file_descriptors), `of ${count(process.max_file_descriptors)} · ${count(jvm.threads?.count)} threads`),
    card("scheduler", "Scheduler", `${count(scheduler.jobs)} jobs`,
      `${count(scheduler.running)} running, ${count(scheduler.failed_runs)} failed runs, lag p99 ${fixed(scheduler.lag_millis?.p99, 2)} ms`),
  ];
}

function jobsTable(scheduler = {}) {
  const rows = Object.values(scheduler.job || {}).map((job) => h("tr", { "data-job": job.name },
    h("td", {}, h("code", {}, job.name)),
    h("td", { class: "num" }, job.interval_seconds ? `${fixed(job.interval_seconds, 1)} s` : job.cron || "—"),
    h("td", {}, job.last_run_millis ? when(job.last_run_millis) : muted("never")),
    h("td", { class: "num" }, job.last_duration_millis === null ? "—" : `${count(job.last_duration_millis)} ms`),
    h("td", { class: "num" }, count(job.runs)),
    h("td", { class: "num" }, job.failures ? h("span", { class: "tag failed" }, count(job.failures)) : "0"),
    h("td", {}, job.last_error ? h("span", { class: "error clipped", title: job.last_error }, job.last_error.slice(0, 120)) : muted("—"))));
  return table(["Job", "Every", "Last run", "Took", "Runs", "Failures", "Last error"], rows, "No jobs.");
}

function streamsTable(streams = {}) {
  const rows = Object.entries(streams).map(([name, m]) => h("tr", { "data-stream": name },
    h("td", {}, h("a", { href: `#ingest/streams/view/${enc(name)}` }, name)),
    h("td", { class: "num" }, count(m.buffered_records)),
    h("td", { class: "num" }, count(m.delivered_records)),
    h("td", { class: "num" }, count(m.failed_records)),
    h("td", {}, m.last_delivery_millis ? when(m.last_delivery_millis) : muted("never")),
    h("td", {}, m.last_error ? h("span", { class: "error" }, m.last_error) : muted("—"))));
  return table(["Delivery stream", "Buffered", "Delivered", "Failed", "Last delivery", "Last error"], rows,
    "No delivery streams: create one in Ingest → Delivery streams.");
}

function nodeFacts(info, cluster) {
  const os = info.os || {};
  const plugins = (info.plugins || []).map((p) => p.name).join(", ");
  const pairs = [
    ["Version", `OpenSearch API ${info.version} (${info.build_hash})`],
    ["Runtime", `${info.jvm?.vm_name || "Python"} ${info.jvm?.version || ""}`],
    ["Operating system", `${os.pretty_name || os.name || "—"}, ${os.available_processors || "?"} processors`],
    ["Data path", h("code", {}, (info.settings?.path?.data || []).join(", ") || "—")],
    ["Address", h("code", {}, info.http?.publish_address || "—")],
    ["Indices", `${count(cluster.indices?.count)} with ${count(cluster.indices?.shards?.total)} shards`],
    ["Field types", (cluster.indices?.mappings?.field_types || []).map((f) => `${f.name} ${f.count}`).join(", ") || "—"],
    ["Plugin APIs", plugins || "—"],
  ];
  return h("dl", { class: "facts", id: "ops-node" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

let timer = null;
let generation = 0;

// #operations/node?every=<seconds> (also #operations?every=<seconds>)
export async function renderNode(container, _args, params = {}) {
  const section = $("section#operations");
  const every = Math.max(0.5, Number(params.every) || DEFAULT_EVERY_S);
  const run = ++generation;
  clearTimeout(timer);
  const status = h("div", { class: "status", id: "ops-status", "aria-live": "polite" });
  const cardBox = h("div", { class: "cards", id: "ops-cards" }, muted("Loading…"));
  const waiting = h("p", { class: "hint", id: "ops-waiting" }, `Charts appear after the second sample, in ${every} s.`);
  const chartBoxes = CHARTS.map((c) => h("figure", { class: "chart-card", "data-chart": c.id },
    h("figcaption", {}, c.title), h("div", { class: "chart", id: `ops-chart-${c.id}`, role: "img", "aria-label": `${c.title} over the last 10 minutes` })));
  const jobs = h("div", { id: "ops-jobs", class: "table-scroll" });
  const streams = h("div", { id: "ops-streams", class: "table-scroll" });
  const facts = h("div", { id: "ops-facts" });
  const audit = h("p", { class: "hint", id: "ops-audit" });
  page(container,
    h("p", { class: "hint" }, `This node's health and the figures of _nodes/stats, sampled every ${every} s while this tab is shown; the charts keep the last ${WINDOW_MS / 60000} minutes in this page. The Metrics tab charts the stored history.`),
    status, cardBox,
    h("h3", {}, "Over the last 10 minutes"), waiting, h("div", { class: "charts", id: "ops-charts" }, chartBoxes),
    h("h3", {}, "Scheduler jobs"), jobs,
    h("h3", {}, "Delivery streams"), streams, audit,
    h("h3", {}, "Node"), facts);

  attempt(status, async () => {
    const [info, cluster] = await Promise.all([call("GET", "/_nodes"), call("GET", "/_cluster/stats")]);
    facts.replaceChildren(nodeFacts(Object.values(info.nodes)[0] || {}, cluster));
  });

  const draw = async () => {
    const { node, health } = latest();
    cardBox.replaceChildren(...cards(node, health));
    jobs.replaceChildren(jobsTable(node.scheduler));
    streams.replaceChildren(streamsTable(node.streams));
    audit.textContent = node.security?.audit ? `Audit log: ${Object.entries(node.security.audit)
      .map(([k, v]) => `${k.replaceAll("_", " ")} ${count(v)}`).join(", ")}.` : "";
    waiting.hidden = all().length >= 2;
    if (all().length < 2) return;
    for (const [i, chart] of CHARTS.entries()) {
      await lineChart(chartBoxes[i].querySelector(".chart"), { unit: chart.unit, max: chart.max, series: chart.series() });
    }
  };
  const sample = async () => {
    const [stats, health] = await Promise.all([call("GET", "/_nodes/stats"), call("GET", "/_cluster/health")]);
    const node = Object.values(stats.nodes)[0];
    if (!node) throw new Error("_nodes/stats answered no node: is the server starting?");
    keep(node, health);
    await draw();
  };
  const tick = async () => {
    if (run !== generation || !cardBox.isConnected || section.hidden) return;  // another page or tab now
    if (!document.hidden) await attempt(status, sample);
    if (run === generation && !section.hidden) timer = setTimeout(tick, every * 1000);
  };
  if (all().length) await attempt(status, draw);  // what this page kept from an earlier visit
  await tick();
}
