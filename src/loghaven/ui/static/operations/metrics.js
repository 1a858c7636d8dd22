// Operations → Metrics: the metrics history (.loghaven-metrics-*, one document per node and
// sample, CloudWatch's names and units) charted over the time picker's range with one _search
// of date_histogram buckets: free storage against its alarm thresholds, memory pressure, CPU,
// search and indexing rates and latencies, and the cluster status with the write block.
// #operations/metrics?time={"from","to"}&refresh={"pause","value"} holds the state.

import { call, h } from "../lib.js";
import { autoInterval, timeBounds } from "../search/query.js";
import { TimePicker, describeTime, formatDate } from "../search/timepicker.js";
import { writeParams } from "../search/url.js";
import { attempt } from "../widgets.js";
import { lineChart } from "./charts.js";
import { emptyState } from "./states.js";

export const METRICS = ".loghaven-metrics-*";
const DEFAULT_TIME = { from: "now-24h", to: "now" };
const MINUTE = 60_000;

// Each chart: its title, unit, y maximum, the metric whose alarm thresholds it draws, and its
// series as [name, aggregation name, colour] of the buckets' sub-aggregations (AGGS).
const AGGS = {
  free: { min: { field: "FreeStorageSpace" } },
  storage: { avg: { field: "StorageSpaceTotal" } },
  jvm_max: { max: { field: "JVMMemoryPressure" } },
  jvm_avg: { avg: { field: "JVMMemoryPressure" } },
  cpu_max: { max: { field: "CPUUtilization" } },
  cpu_avg: { avg: { field: "CPUUtilization" } },
  search_rate: { avg: { field: "SearchRate" } },
  indexing_rate: { avg: { field: "IndexingRate" } },
  search_latency: { avg: { field: "SearchLatency" } },
  indexing_latency: { avg: { field: "IndexingLatency" } },
  green: { max: { field: "ClusterStatus.green" } },
  yellow: { max: { field: "ClusterStatus.yellow" } },
  red: { max: { field: "ClusterStatus.red" } },
  blocked: { max: { field: "ClusterIndexWritesBlocked" } },
};
const CHARTS = [
  { id: "storage", title: "Free storage (FreeStorageSpace)", unit: "MB", alarms: "FreeStorageSpace", series: [["free (minimum)", "free"]] },
  { id: "jvm", title: "Memory pressure (JVMMemoryPressure)", unit: "%", max: 100, alarms: "JVMMemoryPressure", series: [["maximum", "jvm_max"], ["average", "jvm_avg"]] },
  { id: "cpu", title: "CPU (CPUUtilization)", unit: "%", max: 100, alarms: "CPUUtilization", series: [["maximum", "cpu_max"], ["average", "cpu_avg"]] },
  { id: "rates", title: "Search and indexing rates (SearchRate, IndexingRate)", unit: "per minute", series: [["searches", "search_rate"], ["documents indexed", "indexing_rate"]] },
  { id: "latency", title: "Search and indexing latency (SearchLatency, IndexingLatency)", unit: "ms", series: [["search", "search_latency"], ["indexing", "indexing_latency"]] },
  { id: "status", title: "Cluster status (ClusterStatus, ClusterIndexWritesBlocked)", unit: "", max: 1, flags: true, series: [["red", "red", "#cc5642"], ["yellow", "yellow", "#d6bf57"], ["green", "green", "#209280"], ["writes blocked", "blocked", "#69707d"]] },
];

const fixed = (n) => Number(n).toLocaleString("en", { maximumFractionDigits: 1 });

// The recommended alarms' thresholds by metric ({metric: [{name, threshold}]}), or {} when the
// alarms API is not there or refuses: the free storage chart then shows the default, 20% of
// the storage.
async function alarmThresholds() {
  const by = {};
  try {
    const { alarms = [] } = await call("GET", "/_plugins/_loghaven/alarms");
    for (const alarm of alarms) (by[alarm.metric] ??= []).push({ name: `${alarm.severity} threshold`, threshold: alarm.threshold });
  } catch {
    /* no alarms API (an older server) or no right to read it: no thresholds */
  }
  return by;
}

// The date_histogram interval for `bounds`: about 60 buckets, never under a minute (the
// sampling period).
function interval(bounds) {
  const chosen = autoInterval(bounds, 60);
  return chosen.ms < MINUTE ? { fixed_interval: "1m", ms: MINUTE } : chosen;
}

function histogramRequest(bounds, every) {
  const step = every.fixed_interval ? { fixed_interval: every.fixed_interval } : { calendar_interval: every.calendar_interval };
  return {
    size: 0,
    track_total_hits: true,
    query: { range: { "@timestamp": { gte: bounds.min, lte: bounds.max, format: "epoch_millis" } } },
    aggs: {
      nodes: { cardinality: { field: "node_id" } },
      over_time: {
        date_histogram: { field: "@timestamp", ...step, min_doc_count: 0, extended_bounds: { min: bounds.min, max: bounds.max } },
        aggs: AGGS,
      },
    },
  };
}

// The latest sample's time, or null when there is none at all.
async function latestSample() {
  const answer = await call("POST", `/${METRICS}/_search`, { size: 1, sort: [{ "@timestamp": "desc" }], _source: ["@timestamp"] });
  return answer.hits.hits[0]?._source?.["@timestamp"] ?? null;
}

function points(buckets, name, scale = 1) {
  return buckets.map((b) => [b.key, b[name]?.value === null || b[name]?.value === undefined ? null : b[name].value * scale]);
}

// "cpu: latest 41.2 %, peak 80 %" of a series' points; of a 0/1 flag, how often it was set.
function describe(series, chart) {
  const unit = chart.unit;
  const values = series.points.filter(([, v]) => v !== null);
  if (!values.length) return `${series.name}: no samples`;
  if (chart.flags) return `${series.name}: in ${values.filter(([, v]) => v > 0).length} of ${values.length} intervals${values[values.length - 1][1] > 0 ? ", now" : ""}`;
  const last = values[values.length - 1][1];
  const peak = Math.max(...values.map(([, v]) => v));
  return `${series.name}: latest ${fixed(last)} ${unit}, peak ${fixed(peak)} ${unit}`;
}

function chartSeries(chart, buckets, byMetric) {
  const series = chart.series.map(([name, agg, color]) => ({ name, color, points: points(buckets, agg) }));
  const thresholds = byMetric[chart.alarms] || [];
  const flat = (value) => buckets.map((b) => [b.key, value]);
  if (thresholds.length || chart.id !== "storage") return series.concat(thresholds.map((t) => ({ name: t.name, points: flat(t.threshold), dashed: true, color: t.name.startsWith("critical") ? "#cc5642" : "#d6bf57" })));
  return series.concat({ name: "20% of storage (default threshold)", points: points(buckets, "storage", 0.2), dashed: true, color: "#cc5642" });
}

let picker = null;
let timer = null;
let generation = 0;

// #operations/metrics?time=…&refresh=…
export async function renderMetrics(container, _args, params = {}) {
  const run = ++generation;
  clearTimeout(timer);
  picker?.destroy();
  const state = { time: params.time?.from ? params.time : DEFAULT_TIME, refresh: params.refresh?.value ? params.refresh : { pause: true, value: 0 } };
  const status = h("div", { class: "status", id: "metrics-status", "aria-live": "polite" });
  const empty = h("div", { id: "metrics-empty-slot" });
  const summary = h("p", { class: "hint grow", id: "metrics-summary" });
  const boxes = CHARTS.map((c) => h("figure", { class: "chart-card", "data-chart": c.id, hidden: true },
    h("figcaption", {}, c.title), h("div", { class: "chart", id: `metrics-chart-${c.id}`, role: "img", "aria-label": `${c.title} over the time range` }),
    h("ul", { class: "plain muted chart-latest" })));
  const grid = h("div", { class: "charts", id: "metrics-charts" }, boxes);

  const draw = async () => {
    const bounds = timeBounds(state.time);
    const every = interval(bounds);
    const [answer, thresholds] = await Promise.all([call("POST", `/${METRICS}/_search`, histogramRequest(bounds, every)), alarmThresholds()]);
    if (run !== generation || !grid.isConnected) return;
    const total = answer.hits.total.value;
    const buckets = answer.aggregations?.over_time?.buckets ?? [];
    const step = every.fixed_interval || every.calendar_interval;
    summary.textContent = `${total.toLocaleString("en")} samples of ${answer.aggregations?.nodes?.value ?? 0} node(s) in ${METRICS}, ${describeTime(state.time)}, per ${step}.`;
    if (!total) {
      const latest = await latestSample();
      empty.replaceChildren(latest === null
        ? emptyState("metrics-empty", "No metrics history yet: samples are taken every minute (ops.metrics.interval) into .loghaven-metrics-*.",
          "The first sample appears a minute after the server starts; the Node tab shows the live figures meanwhile.")
        : emptyState("metrics-empty", `No samples in this time range: the latest is from ${formatDate(typeof latest === "number" ? latest : Date.parse(latest))}.`,
          "Choose a time range that includes it."));
      for (const box of boxes) box.hidden = true;
      return;
    }
    empty.replaceChildren();
    for (const [i, chart] of CHARTS.entries()) {
      const series = chartSeries(chart, buckets, thresholds);
      boxes[i].hidden = false;
      boxes[i].querySelector(".chart-latest").replaceChildren(...series.filter((s) => !s.dashed).map((s) => h("li", {}, describe(s, chart))),
        ...series.filter((s) => s.dashed).map((s) => h("li", {}, `${s.name}: ${fixed(s.points.find(([, v]) => v !== null)?.[1] ?? 0)} ${chart.unit}`)));
      await lineChart(boxes[i].querySelector(".chart"), { unit: chart.unit, max: chart.max, bounds, series });
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    if (state.refresh.pause || !state.refresh.value) return;
    timer = setTimeout(async () => {
      if (run !== generation || !grid.isConnected) return;
      if (!document.hidden) await attempt(status, draw);
      schedule();
    }, state.refresh.value);
  };
  const update = async () => {
    writeParams(state);
    await attempt(status, draw);
    schedule();
  };
  picker = new TimePicker({
    time: state.time, refresh: state.refresh,
    onTime: (time) => { state.time = time; update(); },
    onRefresh: (refresh) => { state.refresh = refresh; picker.setRefresh(refresh); update(); },
  });
  container.replaceChildren(
    h("div", { class: "toolbar" }, summary, picker.element),
    status, empty, grid);
  await attempt(status, draw);
  schedule();
}
