// Draw a saved visualization (OpenSearch Dashboards' visState: type, params, aggs) with
// ECharts, over a search state (context = {state: {query, filters, time}}) combined with the
// visualization's own searchSourceJSON. Used by Visualize and by dashboard panels.

import { call, h } from "../lib.js";
import { buildQuery, filterClause, phraseFilter, timeBounds } from "../search/query.js";
import { getObject, parseAttribute, referenceId } from "../savedobjects.js";
import { dateInterval, formatDate, formatNumber, requestOrder, searchBody, tabify } from "./aggs.js";

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";
const PALETTE = ["#54b399", "#6092c0", "#d36086", "#9170b8", "#ca8eae", "#d6bf57", "#b9a888", "#da8b45", "#aa6556", "#e7664c"];
const XY = new Set(["histogram", "horizontal_bar", "line", "area"]);
const TYPES = new Set([...XY, "pie", "metric", "table", "heatmap", "tagcloud", "region_map"]);

let echartsModule = null;
function loadEcharts() {
  echartsModule ??= import("../vendor/echarts.esm.min.js");
  return echartsModule;
}

let worldMap = null;
async function loadWorld(echarts) {
  worldMap ??= fetch("vendor/world-countries.geo.json").then((r) => {
    if (!r.ok) throw new Error(`The world map did not load (${r.status})`);
    return r.json();
  }).then((geo) => { echarts.registerMap("loghaven-world", geo); return geo; });
  return worldMap;
}

// The parts of a saved visualization: visState, the pattern's id and the search source's
// own query and filters (Kibana 6 exports name the pattern in searchSourceJSON.index).
export function visualizationParts(object) {
  const attributes = object.attributes || {};
  const visState = parseAttribute(attributes.visState, {});
  const source = parseAttribute(attributes.kibanaSavedObjectMeta?.searchSourceJSON, {});
  const patternId = referenceId(object, source.indexRefName || INDEX_REF) ?? (typeof source.index === "string" ? source.index : null);
  const searchId = attributes.savedSearchRefName ? referenceId(object, attributes.savedSearchRefName) : attributes.savedSearchId ?? null;
  return { visState, source, patternId, searchId, uiState: parseAttribute(attributes.uiStateJSON, {}) };
}

// A visualization built on a saved search takes its pattern, query and filters too: the
// parts with `sources` (the search's then the visualization's) and the pattern's id.
export async function resolveParts(object) {
  const parts = visualizationParts(object);
  parts.sources = [parts.source];
  if (parts.patternId || !parts.searchId) return parts;
  let search;
  try {
    search = await getObject("search", parts.searchId);
  } catch (error) {
    if (error.status === 404) throw new Error(`Saved search "${parts.searchId}" is missing: import it with this visualization, or rebuild the visualization on an index pattern.`);
    throw error;
  }
  const own = visualizationParts(search);
  return { ...parts, patternId: own.patternId, sources: [own.source, parts.source] };
}

// The search state with the visualization's (and its saved search's) queries and filters.
function combinedState(state, sources) {
  const combined = structuredClone(state || {});
  const filters = [...(combined.filters || [])];
  for (const source of sources) {
    filters.push(...(source.filter || []));
    const own = source.query;
    const text = typeof own?.query === "string" ? own.query.trim() : "";
    if (own?.query && typeof own.query === "object") filters.push({ meta: { disabled: false, negate: false }, query: own.query });
    else if (text) filters.push({ meta: { disabled: false, negate: false }, query: { query_string: { query: text, analyze_wildcard: true } } });
  }
  combined.filters = filters;
  return combined;
}

export const TIME_ZONE = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch { return "UTC"; } })();

// The request a visualization sends: {index, body, bounds}. Throws with what to do next.
export async function prepareRequest(object, context, pattern) {
  const { visState, sources, patternId } = await resolveParts(object);
  if (!TYPES.has(visState.type)) throw new Error(`Visualizations of type "${visState.type ?? "none"}" cannot be drawn yet: Loghaven draws ${[...TYPES].join(", ")}.`);
  let resolved = pattern;
  if (!resolved) {
    if (!patternId) throw new Error("This visualization names no index pattern: open it in Visualize and choose one, or import its index pattern.");
    try {
      const stored = await getObject("index-pattern", patternId);
      resolved = { id: stored.id, title: stored.attributes.title, timeFieldName: stored.attributes.timeFieldName || null };
    } catch (error) {
      if (error.status === 404) throw new Error(`Index pattern "${patternId}" is missing: create it in Management → Index patterns, or import it with this visualization.`);
      throw error;
    }
  }
  const state = combinedState(context?.state, sources);
  const bounds = resolved.timeFieldName && state.time ? timeBounds(state.time) : {};
  const query = buildQuery(state, resolved.timeFieldName);
  const body = searchBody(visState, query, resolved, { bounds, timeZone: TIME_ZONE });
  return { index: resolved.title, body, bounds, pattern: resolved, visState };
}

// Render into `container`; answers {update(context), destroy(), result}. Errors (a missing
// index pattern, a refused search) are shown in the container, not thrown.
// context = {state, onFilter(filter)?, onResult({request, response, table})?, pattern?}.
export async function renderVisualization(container, visualization, context = {}) {
  const root = h("div", { class: "vis-render", "aria-busy": "true" });
  container.replaceChildren(root);
  let charts = [];
  let observer = null;
  let current = context;
  let generation = 0;
  const handle = {
    result: null,
    async update(next = current) {
      current = { ...current, ...next };
      const mine = ++generation;
      root.setAttribute("aria-busy", "true");
      let request = null;
      try {
        request = await prepareRequest(visualization, current, current.pattern);
        const response = await call("POST", `/${encodeURIComponent(request.index)}/_search`, request.body);
        if (mine !== generation) return handle;
        const table = tabify(request.visState, response);
        handle.result = { request, response, table };
        await draw(request, table);
        current.onResult?.(handle.result);
      } catch (error) {
        if (mine !== generation) return handle;
        disposeCharts();
        handle.result = { request, error };
        root.replaceChildren(h("div", { class: "notice error vis-error", role: "alert" }, explain(error)));
        current.onResult?.(handle.result);
      }
      root.setAttribute("aria-busy", "false");
      return handle;
    },
    destroy() {
      generation += 1;
      disposeCharts();
      root.remove();
    },
  };

  function disposeCharts() {
    observer?.disconnect();
    observer = null;
    for (const chart of charts) chart.dispose();
    charts = [];
  }

  async function draw(request, table) {
    disposeCharts();
    const { visState } = request;
    root.dataset.type = visState.type;
    root.dataset.rows = String(table.rows.length);
    if (!table.rows.length) {
      root.replaceChildren(h("p", { class: "notice info vis-empty" }, "No results: widen the time range or change the query."));
      return;
    }
    const split = splitTables(visState, table);
    const cells = split.map(([label]) => h("figure", { class: "vis-cell" },
      label === null ? null : h("figcaption", {}, label)));
    root.replaceChildren(h("div", { class: `vis-grid${split.length > 1 ? " split" : ""}` }, cells));
    if (visState.type === "metric") return split.forEach(([, part], i) => cells[i].append(metricView(visState, part)));
    const onCell = current.onFilter ? (column, cell) => {
      const filter = bucketFilter(column.agg, cell, request);
      if (filter) current.onFilter(filter);
    } : null;
    if (visState.type === "table") return split.forEach(([, part], i) => cells[i].append(pagedTable(part, { onCell, perPage: Number(visState.params?.perPage) || 10 })));
    if (visState.type === "tagcloud") return split.forEach(([, part], i) => cells[i].append(tagView(visState, part, onCell)));
    const echarts = await loadEcharts();
    if (visState.type === "region_map") {
      const world = await loadWorld(echarts);
      const names = new Set(world.features.map((f) => f.properties.name));
      const [segment] = columnsOf(table, "segment");
      const codes = segment ? table.rows.map((row) => String(row[segment[1]].key).toUpperCase()) : [];
      root.dataset.matched = JSON.stringify([...new Set(codes.filter((code) => names.has(code)))]);
      const missing = [...new Set(codes.filter((code) => !names.has(code)))];
      if (missing.length) cells[0].append(h("p", { class: "muted vis-note" }, `Too small for this map's scale or not country codes: ${missing.join(", ")} (see Inspect → Data).`));
    }
    const colours = new Map();  // one colour per series or slice label across split charts
    const colour = (label) => {
      if (!colours.has(label)) colours.set(label, PALETTE[colours.size % PALETTE.length]);
      return colours.get(label);
    };
    for (const [i, [, part]] of split.entries()) {
      const box = h("div", { class: "vis-chart" });
      cells[i].append(box);
      const chart = echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(chartOption(visState, part, request, colour));
      chart.on("click", (event) => clickFilter(event, request));
      charts.push(chart);
    }
    observer = new ResizeObserver(() => { for (const chart of charts) chart.resize(); });
    observer.observe(root);
  }

  function clickFilter(event, request) {
    const ref = event.data?.ref;
    if (!ref || !current.onFilter) return;
    const filter = bucketFilter(ref.agg, ref.cell, request);
    if (filter) current.onFilter(filter);
  }

  await handle.update(context);
  return handle;
}

// What to do next, after the server's reason.
function explain(error) {
  const text = error.message || String(error);
  if (error.status === 404 && /index_not_found|no such index/i.test(text)) return `${text} — no index matches this pattern: send documents to it or change the pattern.`;
  if (error.status === 400) return `${text} — check the aggregation's fields (Data panel) and the query.`;
  if (error.status === 403) return `${text} — your roles do not allow searching these indices.`;
  return text;
}

// A filter for a clicked bucket: "is <key>" for terms, a range for histograms and dates.
export function bucketFilter(agg, cell, request) {
  const field = agg.params?.field;
  const index = request.pattern?.id;
  if ((agg.type === "terms" || agg.type === "significant_terms") && field && cell.key !== "__missing__") return phraseFilter(field, cell.key, { index });
  const range = (gte, lt) => ({ meta: { index, negate: false, disabled: false, alias: null, type: "range", key: field, value: `${cell.label}`, params: { gte, lt } }, range: { [field]: { gte, lt } } });
  if (agg.type === "date_histogram") {
    const { ms } = dateInterval(agg.params.interval, request.bounds, agg.params.customInterval);
    return { ...range(new Date(cell.key).toISOString(), new Date(cell.key + ms).toISOString()), range: { [field]: { gte: cell.key, lt: cell.key + ms, format: "epoch_millis" } } };
  }
  if (agg.type === "histogram") return range(cell.key, cell.key + Number(agg.params.interval));
  if ((agg.type === "range" || agg.type === "date_range") && cell.range) return range(cell.range.from, cell.range.to);
  if (agg.type === "filters") {
    const filter = (agg.params.filters || []).find((f) => (f.label || String(f.input?.query ?? "").trim() || "*") === cell.key);
    if (filter?.input?.query) return { meta: { index, negate: false, disabled: false, alias: filter.label || null, type: "custom", key: "query", value: String(filter.input.query) }, query: filterClause({ query: { query_string: { query: String(filter.input.query) } } }) };
  }
  return null;
}

// The table cut by the split-chart (or split-table) bucket: [[label|null, {columns, rows}]].
function splitTables(visState, table) {
  const at = table.columns.findIndex((c) => c.kind === "bucket" && c.agg.schema === "split");
  if (at < 0) return [[null, table]];
  const groups = new Map();
  for (const row of table.rows) {
    const label = `${table.columns[at].label}: ${row[at].label}`;
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(row.filter((_, i) => i !== at));
  }
  const columns = table.columns.filter((_, i) => i !== at);
  return [...groups].map(([label, rows]) => [label, { columns, rows }]);
}

function columnsOf(table, schema) {
  return table.columns.map((c, i) => [c, i]).filter(([c]) => c.kind === "bucket" && c.agg.schema === schema);
}

function metricIndexes(table) {
  return table.columns.map((c, i) => [c, i]).filter(([c]) => c.kind === "metric");
}

function legendOption(position, show = true) {
  const pos = position || "right";
  const vertical = pos === "left" || pos === "right";
  return { show, type: "scroll", orient: vertical ? "vertical" : "horizontal", [pos]: 4, ...(vertical ? { top: "middle" } : { left: "center" }), textStyle: { fontSize: 12 } };
}

function chartOption(visState, table, request, colour) {
  if (XY.has(visState.type)) return xyOption(visState, table, colour);
  if (visState.type === "pie") return pieOption(visState, table, colour);
  if (visState.type === "heatmap") return heatmapOption(visState, table);
  if (visState.type === "region_map") return regionOption(visState, table);
  throw new Error(`Visualizations of type "${visState.type}" are not drawn here (request for ${request.index})`);
}

// Bars, lines and areas: the segment bucket on the category (or time) axis, a series per
// group bucket and metric; stacked when seriesParams say so.
function xyOption(visState, table, colour) {
  const params = visState.params || {};
  const [segment] = columnsOf(table, "segment");
  const groups = columnsOf(table, "group");
  const metrics = metricIndexes(table);
  const horizontal = visState.type === "horizontal_bar";
  const timeAxis = segment && segment[0].agg.type === "date_histogram";
  const seriesType = visState.type === "histogram" || horizontal ? "bar" : "line";
  const xKeys = [];
  const seen = new Map();
  const series = new Map();
  for (const row of table.rows) {
    const xCell = segment ? row[segment[1]] : { key: "all", label: "All docs" };
    if (!seen.has(xCell.label)) { seen.set(xCell.label, xKeys.length); xKeys.push(xCell); }
    const groupLabel = groups.map(([, i]) => row[i].label).join(" · ");
    for (const [column, i] of metrics) {
      const name = groupLabel ? (metrics.length > 1 ? `${groupLabel} · ${column.label}` : groupLabel) : column.label;
      if (!series.has(name)) series.set(name, { name, points: new Map(), column, groupCell: groups.length ? row[groups[0][1]] : null, groupAgg: groups[0]?.[0].agg });
      series.get(name).points.set(xCell.label, { value: row[i], ref: segment ? { agg: segment[0].agg, cell: xCell } : null });
    }
  }
  const modeOf = (column) => {
    const sp = (params.seriesParams || []).find((s) => s.data?.id === column.agg.id) || (params.seriesParams || [])[0];
    return sp?.mode ?? (visState.type === "line" ? "normal" : "stacked");
  };
  const chartSeries = [...series.values()].map((s) => {
    const stacked = modeOf(s.column) === "stacked";
    const data = xKeys.map((cell) => {
      const point = s.points.get(cell.label);
      const value = point ? point.value : timeAxis ? null : 0;
      const ref = s.groupCell && point ? { agg: s.groupAgg, cell: s.groupCell } : point?.ref;
      return { value: timeAxis ? [cell.key, value] : value, ref };
    });
    return {
      name: s.name, color: colour(s.name), type: seriesType, data, stack: stacked ? "total" : undefined, emphasis: { focus: "series" },
      areaStyle: visState.type === "area" ? { opacity: 0.6 } : undefined, smooth: Boolean((params.seriesParams || [])[0]?.interpolate === "cardinal"),
      showSymbol: seriesType === "line" && xKeys.length < 60, connectNulls: false, barMaxWidth: 48,
    };
  });
  const category = { type: timeAxis ? "time" : "category", data: timeAxis ? undefined : xKeys.map((c) => c.label), axisLabel: { hideOverlap: true, ...(timeAxis ? {} : { formatter: (v) => (v.length > 24 ? `${v.slice(0, 23)}…` : v) }) }, inverse: horizontal };
  const valueAxis = { type: "value", axisLabel: { formatter: (v) => formatNumber(v) }, name: metrics.length === 1 ? metrics[0][0].label : undefined, nameLocation: "middle", nameGap: horizontal ? 28 : 52 };
  const legendShow = params.addLegend !== false && chartSeries.length > 1;
  const position = params.legendPosition || "right";
  return {
    color: PALETTE, animation: false,
    tooltip: {
      renderMode: "richText", trigger: "axis", valueFormatter: (v) => formatNumber(v),
      axisPointer: timeAxis ? { type: "line", label: { formatter: ({ value }) => formatDate(value) } } : { type: seriesType === "bar" ? "shadow" : "line" },
    },
    legend: legendOption(position, legendShow),
    grid: { left: 16, right: legendShow && position === "right" ? 160 : 24, top: legendShow && position === "top" ? 36 : 16, bottom: legendShow && position === "bottom" ? 40 : 28, containLabel: true, ...(legendShow && position === "left" ? { left: 160 } : {}) },
    xAxis: horizontal ? valueAxis : category,
    yAxis: horizontal ? category : valueAxis,
    series: chartSeries,
  };
}

// Slices of the first metric: a ring per segment bucket (inner first), a hole when donut.
function pieOption(visState, table, colour) {
  const params = visState.params || {};
  const segments = columnsOf(table, "segment");
  const [metric] = metricIndexes(table);
  const levels = Math.max(1, segments.length);
  const inner = params.isDonut === false ? 0 : 35;
  const band = (70 - inner) / levels;
  const legendAt = params.addLegend === false ? null : params.legendPosition || "right";
  const series = [];
  for (let level = 0; level < levels; level += 1) {
    const sums = new Map();
    for (const row of table.rows) {
      const path = segments.slice(0, level + 1).map(([, i]) => row[i].label);
      const label = path.length ? path.join(" · ") : metric[0].label;
      const entry = sums.get(label) || { name: path.at(-1) ?? label, value: 0, itemStyle: { color: colour(path.at(-1) ?? label) }, ref: segments[level] ? { agg: segments[level][0].agg, cell: row[segments[level][1]] } : null };
      entry.value += Number(row[metric[1]]) || 0;
      sums.set(label, entry);
    }
    series.push({
      type: "pie", radius: [`${inner + level * band}%`, `${inner + (level + 1) * band}%`], data: [...sums.values()],
      center: [legendAt === "right" ? "42%" : legendAt === "left" ? "58%" : "50%", legendAt === "bottom" ? "45%" : legendAt === "top" ? "55%" : "50%"],
      label: { show: params.labels?.show === true && level === levels - 1, formatter: "{b}", overflow: "truncate", width: 100 },
      itemStyle: { borderColor: "#fff", borderWidth: 1 }, avoidLabelOverlap: true,
    });
  }
  return {
    color: PALETTE, animation: false,
    tooltip: { renderMode: "richText", trigger: "item", formatter: (p) => `${String(p.name)}: ${formatNumber(p.value)} (${p.percent}%)` },
    legend: legendOption(legendAt, Boolean(legendAt)),
    series,
  };
}

function heatmapOption(visState, table) {
  const [x] = columnsOf(table, "segment");
  const [y] = columnsOf(table, "group");
  const [metric] = metricIndexes(table);
  const xs = [...new Set(table.rows.map((row) => (x ? row[x[1]].label : "All")))];
  const ys = [...new Set(table.rows.map((row) => (y ? row[y[1]].label : metric[0].label)))];
  const data = table.rows.map((row) => ({
    value: [xs.indexOf(x ? row[x[1]].label : "All"), ys.indexOf(y ? row[y[1]].label : metric[0].label), row[metric[1]]],
    ref: x ? { agg: x[0].agg, cell: row[x[1]] } : null,
  }));
  const values = data.map((d) => Number(d.value[2]) || 0);
  return {
    animation: false,
    tooltip: { renderMode: "richText", trigger: "item", formatter: (p) => `${String(xs[p.value[0]])} · ${String(ys[p.value[1]])}: ${formatNumber(p.value[2])}` },
    grid: { left: 16, right: 24, top: 16, bottom: 64, containLabel: true },
    xAxis: { type: "category", data: xs, splitArea: { show: true }, axisLabel: { hideOverlap: true } },
    yAxis: { type: "category", data: ys, splitArea: { show: true } },
    visualMap: { min: Math.min(0, ...values), max: Math.max(1, ...values), calculable: false, orient: "horizontal", left: "center", bottom: 4, inRange: { color: ["#e6f1fa", "#6092c0", "#1d4f91"] } },
    series: [{ type: "heatmap", data, label: { show: xs.length * ys.length <= 60, formatter: (p) => formatNumber(p.value[2]) }, emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } } }],
  };
}

const COLOUR_SCHEMAS = {
  "Yellow to Red": ["#fff7bc", "#fec44f", "#d95f0e"], Reds: ["#fee0d2", "#fc9272", "#de2d26"],
  Blues: ["#deebf7", "#9ecae1", "#3182bd"], Greens: ["#e5f5e0", "#a1d99b", "#31a354"],
  "Green to Red": ["#31a354", "#fec44f", "#de2d26"],
};

// Countries coloured by the first metric of the terms bucket on a country code field.
function regionOption(visState, table) {
  const params = visState.params || {};
  const [segment] = columnsOf(table, "segment");
  const [metric] = metricIndexes(table);
  const data = table.rows.map((row) => {
    const cell = segment ? row[segment[1]] : { key: "", label: "" };
    return { name: String(cell.key).toUpperCase(), value: Number(row[metric[1]]) || 0, ref: segment ? { agg: segment[0].agg, cell } : null };
  });
  const values = data.map((d) => d.value);
  return {
    animation: false,
    tooltip: { renderMode: "richText", trigger: "item", formatter: (p) => `${String(p.name)}: ${p.value === undefined || Number.isNaN(p.value) ? "no data" : formatNumber(p.value)}` },
    visualMap: { min: 0, max: Math.max(1, ...values), calculable: true, left: 8, bottom: 8, text: ["High", "Low"], inRange: { color: COLOUR_SCHEMAS[params.colorSchema] || COLOUR_SCHEMAS["Yellow to Red"] } },
    series: [{ type: "map", map: "loghaven-world", roam: true, nameProperty: "name", data, emphasis: { label: { show: false } }, itemStyle: { areaColor: "#eef0f3", borderColor: "#b0b8c4", borderWidth: 0.5 } }],
  };
}

// Big numbers, one per metric (and per split-group bucket).
function metricView(visState, table) {
  const groups = columnsOf(table, "group");
  const metrics = metricIndexes(table);
  const boxes = [];
  for (const row of table.rows) {
    const prefix = groups.map(([, i]) => row[i].label).join(" · ");
    for (const [column, i] of metrics) {
      boxes.push(h("div", { class: "vis-metric", "data-value": String(row[i] ?? "") },
        h("span", { class: "value" }, formatNumber(row[i])), h("span", { class: "label" }, prefix ? `${prefix} · ${column.label}` : column.label)));
    }
  }
  const size = visState.params?.metric?.style?.fontSize;
  const view = h("div", { class: "vis-metrics" }, boxes);
  if (size) for (const value of view.querySelectorAll(".value")) value.style.fontSize = `${Number(size)}px`;
  return view;
}

// The data table: a column per bucket and metric, a row per leaf bucket.
export function dataTable(table, { onCell } = {}) {
  return h("table", { class: "vis-table list" },
    h("thead", {}, h("tr", {}, table.columns.map((c) => h("th", { class: c.kind === "metric" ? "num" : null, scope: "col" }, c.label)))),
    h("tbody", {}, table.rows.map((row) => h("tr", {}, row.map((cell, i) => {
      const column = table.columns[i];
      if (column.kind === "metric") return h("td", { class: "num", "data-value": String(cell ?? "") }, formatNumber(cell));
      const text = cell.label;
      return h("td", { "data-key": String(cell.key) }, onCell ? h("button", { type: "button", class: "link", title: `Filter for ${text}`, onclick: () => onCell(column, cell) }, text) : text);
    })))));
}

// The data table a page of `perPage` rows at a time, as OSD's table visualization shows it.
function pagedTable(table, { onCell, perPage }) {
  const box = h("div", { class: "vis-paged" });
  const pages = Math.max(1, Math.ceil(table.rows.length / perPage));
  const show = (n) => {
    const rows = table.rows.slice(n * perPage, (n + 1) * perPage);
    const pager = pages > 1 ? h("div", { class: "row vis-pager" },
      h("button", { type: "button", class: "secondary small", "aria-label": "Previous page", disabled: n === 0, onclick: () => show(n - 1) }, "‹"),
      h("span", { class: "muted" }, `Page ${n + 1} of ${pages} (${table.rows.length} rows)`),
      h("button", { type: "button", class: "secondary small", "aria-label": "Next page", disabled: n === pages - 1, onclick: () => show(n + 1) }, "›")) : null;
    box.replaceChildren(dataTable({ columns: table.columns, rows }, { onCell }), pager);
  };
  show(0);
  return box;
}

function tagView(visState, table, onCell) {
  const [segment] = columnsOf(table, "segment");
  const [metric] = metricIndexes(table);
  const values = table.rows.map((row) => Number(row[metric[1]]) || 0);
  const max = Math.max(1, ...values);
  const min = Math.min(...values);
  const small = Number(visState.params?.minFontSize ?? 18);
  const large = Number(visState.params?.maxFontSize ?? 72);
  const words = table.rows.map((row, i) => {
    const cell = segment ? row[segment[1]] : { key: metric[0].label, label: metric[0].label };
    const word = h(onCell ? "button" : "span", { type: onCell ? "button" : null, class: "tag-word", title: `${cell.label}: ${formatNumber(values[i])}`, "data-key": String(cell.key), onclick: onCell && segment ? () => onCell(segment[0], cell) : null }, cell.label);
    const share = max === min ? 1 : (values[i] - min) / (max - min);
    word.style.fontSize = `${Math.round(small + share * (large - small))}px`;
    word.style.color = PALETTE[i % PALETTE.length];
    return word;
  });
  return h("div", { class: "vis-tagcloud" }, words);
}
