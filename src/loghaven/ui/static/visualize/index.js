// Visualize: list, create and edit visualizations (an index pattern, OSD agg configs and a
// chart type), saved as OpenSearch Dashboards' `visualization` saved objects.

import { $, h } from "../lib.js";
import { createObject, deleteObject, findObjects, getObject, updateObject } from "../savedobjects.js";
import { DEFAULT_STATE, SearchBar } from "../search/bar.js";
import { defaultPatternId, listPatterns, loadPattern } from "../search/patterns.js";
import { attempt, field, notice, page, shown, table } from "../widgets.js";
import { AGG_TYPES, SCHEMAS, aggLabel, fieldFits, parseAggs, requestAggs } from "./aggs.js";
import { TIME_ZONE, dataTable, renderVisualization, resolveParts } from "./render.js";

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";

// The types offered, with OSD's titles and a glyph as their icon.
export const VIS_TYPES = {
  histogram: { title: "Vertical bar", icon: "▮▮", about: "Compare values across buckets or over time" },
  horizontal_bar: { title: "Horizontal bar", icon: "☰", about: "Rank long labels, e.g. top client IPs" },
  line: { title: "Line", icon: "∿", about: "Trends over time" },
  area: { title: "Area", icon: "◭", about: "Stacked totals over time" },
  pie: { title: "Pie", icon: "◔", about: "Parts of a whole, with a donut option" },
  metric: { title: "Metric", icon: "#", about: "One big number per metric" },
  table: { title: "Data table", icon: "▦", about: "Buckets and metrics as rows" },
  heatmap: { title: "Heat map", icon: "▩", about: "Two bucket dimensions as coloured cells" },
  tagcloud: { title: "Tag cloud", icon: "☁", about: "Terms sized by their count" },
  region_map: { title: "Region map", icon: "⊕", about: "Countries coloured by a country code field" },
};

// OSD's default params of each type, as its editor writes them.
export function defaultParams(type) {
  const xy = (mode, chart) => ({
    type, grid: { categoryLines: false }, addTooltip: true, addLegend: true, legendPosition: "right", times: [], addTimeMarker: false,
    categoryAxes: [{ id: "CategoryAxis-1", type: "category", position: type === "horizontal_bar" ? "left" : "bottom", show: true, labels: { show: true, truncate: 100 }, title: {} }],
    valueAxes: [{ id: "ValueAxis-1", name: "LeftAxis-1", type: "value", position: type === "horizontal_bar" ? "bottom" : "left", show: true, labels: { show: true, truncate: 100 }, title: { text: "Count" } }],
    seriesParams: [{ show: true, type: chart, mode, data: { label: "Count", id: "1" }, valueAxis: "ValueAxis-1", drawLinesBetweenPoints: true, showCircles: true, interpolate: "linear" }],
  });
  switch (type) {
    case "histogram": case "horizontal_bar": return xy("stacked", "histogram");
    case "line": return xy("normal", "line");
    case "area": return xy("stacked", "area");
    case "pie": return { type, addTooltip: true, addLegend: true, legendPosition: "right", isDonut: true, labels: { show: false, values: true, last_level: true, truncate: 100 } };
    case "metric": return { addTooltip: true, addLegend: false, type, metric: { percentageMode: false, useRanges: false, colorSchema: "Green to Red", metricColorMode: "None", colorsRange: [{ from: 0, to: 10000 }], labels: { show: true }, invertColors: false, style: { bgFill: "#000", bgColor: false, labelColor: false, subText: "", fontSize: 60 } } };
    case "table": return { perPage: 10, showPartialRows: false, showMetricsAtAllLevels: false, sort: { columnIndex: null, direction: null }, showTotal: false, totalFunc: "sum", percentageCol: "" };
    case "heatmap": return { type, addTooltip: true, addLegend: true, enableHover: false, legendPosition: "right", colorsNumber: 4, colorSchema: "Greens", setColorRange: false, colorsRange: [], invertColors: false, percentageMode: false };
    case "tagcloud": return { scale: "linear", orientation: "single", minFontSize: 18, maxFontSize: 72, showLabel: true };
    case "region_map": return { layerChosenByUser: "default", legendPosition: "bottomright", addTooltip: true, colorSchema: "Yellow to Red", emsHotLink: "", isDisplayWarning: true, wms: {}, mapZoom: 2, mapCenter: [0, 0], outlineWeight: 1, showAllShapes: true, selectedJoinField: { name: "iso2", description: "ISO 3166-1 alpha-2 code" } };
    default: return {};
  }
}

// A new visualization's aggs: Count, and for time series a date histogram on the time field.
function defaultAggs(type, pattern) {
  const aggs = [{ id: "1", enabled: true, type: "count", schema: "metric", params: {} }];
  if (["histogram", "line", "area"].includes(type) && pattern.timeFieldName) {
    aggs.push({ id: "2", enabled: true, type: "date_histogram", schema: "segment", params: { field: pattern.timeFieldName, useNormalizedOpenSearchInterval: true, scaleMetricValues: false, interval: "auto", drop_partials: false, min_doc_count: 1, extended_bounds: {} } });
  }
  return aggs;
}

// The saved object's attributes and references, as OpenSearch Dashboards stores them: on an
// index pattern, or (searchId) on a saved search, whose pattern, query and filters it takes.
export function savedAttributes({ title, description, visState, uiState, patternId, source, searchId }) {
  const searchSource = { query: source?.query ?? { query: "", language: "kuery" }, filter: source?.filter ?? [] };
  if (!searchId) searchSource.indexRefName = INDEX_REF;
  const attributes = {
    title, visState: JSON.stringify({ ...visState, title }), uiStateJSON: JSON.stringify(uiState || {}), description: description || "", version: 1,
    kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify(searchSource) },
  };
  if (searchId) attributes.savedSearchRefName = "search_0";
  const references = searchId ? [{ name: "search_0", type: "search", id: searchId }] : [{ name: INDEX_REF, type: "index-pattern", id: patternId }];
  return { attributes, references };
}

let editor = null;

export async function showVisualize(args, params) {
  const root = $("#visualize");
  editor?.destroy();
  editor = null;
  const [action, id] = args;
  const raw = new URLSearchParams(location.hash.split("?")[1] || "");
  const param = (name) => params[name] ?? raw.get(name) ?? undefined;
  await shown(root, async () => {
    if (action === "create") return showCreate(root, param("type"), param("indexPattern"));
    if (action === "edit" && id) return showEditor(root, { id });
    return showList(root, param("search") || "");
  });
}

// ---- The list -----------------------------------------------------------------------------

async function showList(root, search) {
  const status = h("div", { id: "vis-status" });
  const input = h("input", { type: "search", id: "vis-search", placeholder: "Search visualizations…", "aria-label": "Search visualizations", value: search });
  const body = h("div", { id: "vis-list" });
  const load = async () => {
    // As OSD's listing: every word, the last one as a prefix, in the title or description.
    const words = input.value.trim();
    const found = await findObjects("visualization", { search: words ? `${words}*` : "", perPage: 1000, searchFields: ["title^3", "description"], operator: "AND" });
    body.dataset.search = words;
    const rows = found.saved_objects.sort((a, b) => (a.attributes.title || "").localeCompare(b.attributes.title || "")).map((object) => {
      const type = parseVisType(object);
      const info = VIS_TYPES[type] || { title: type || "unknown", icon: "?" };
      return h("tr", { "data-id": object.id, "data-type": type },
        h("td", {}, h("span", { class: "vis-icon", "aria-hidden": "true", title: info.title }, info.icon)),
        h("td", {}, h("a", { href: `#visualize/edit/${encodeURIComponent(object.id)}`, class: "vis-title" }, object.attributes.title || object.id),
          object.attributes.description ? h("div", { class: "muted" }, object.attributes.description) : null),
        h("td", {}, info.title),
        h("td", { class: "actions" }, h("button", { type: "button", class: "danger small", "aria-label": `Delete ${object.attributes.title}`, onclick: () => attempt(status, async () => {
          if (!confirm(`Delete visualization "${object.attributes.title}"?`)) return;
          await deleteObject("visualization", object.id);
          await load();
        }) }, "Delete")));
    });
    body.replaceChildren(table(["", "Title", "Type", ""], rows, input.value ? "No visualization matches this search." : "No visualizations yet: create one."));
  };
  let timer = null;
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => attempt(status, load), 250); });
  page(root, h("div", { class: "toolbar" }, h("h2", {}, "Visualize"), h("span", { class: "hint" }, ""),
    h("a", { href: "#visualize/create", class: "button", id: "vis-create" }, "Create visualization")), input, status, body);
  await load();
}

function parseVisType(object) {
  try { return JSON.parse(object.attributes.visState || "{}").type; } catch { return null; }
}

// ---- Create: a type, then an index pattern --------------------------------------------------

async function showCreate(root, type, patternId) {
  if (type && VIS_TYPES[type] && patternId) return showEditor(root, { type, patternId });
  if (!type || !VIS_TYPES[type]) {
    page(root, h("div", { class: "toolbar" }, h("h2", {}, "New visualization"), h("a", { href: "#visualize", class: "button secondary" }, "Cancel")),
      h("p", { class: "hint" }, "Choose a type."),
      h("div", { class: "vis-types" }, Object.entries(VIS_TYPES).map(([name, info]) => h("a", { href: `#visualize/create?type=${encodeURIComponent(JSON.stringify(name))}`, class: "vis-type", "data-type": name },
        h("span", { class: "vis-icon", "aria-hidden": "true" }, info.icon), h("strong", {}, info.title), h("span", { class: "muted" }, info.about)))));
    return;
  }
  const patterns = await listPatterns();
  if (!patterns.length) {
    page(root, h("h2", {}, `New ${VIS_TYPES[type].title}`), notice("No index pattern yet: create one in Management → Index patterns, then come back."));
    return;
  }
  page(root, h("div", { class: "toolbar" }, h("h2", {}, `New ${VIS_TYPES[type].title}`), h("a", { href: "#visualize/create", class: "button secondary" }, "Back")),
    h("p", { class: "hint" }, "Choose a source: an index pattern."),
    h("ul", { class: "vis-patterns plain" }, patterns.map((p) => h("li", {}, h("a", { href: `#visualize/create?type=${encodeURIComponent(JSON.stringify(type))}&indexPattern=${encodeURIComponent(JSON.stringify(p.id))}`, "data-pattern": p.id }, p.title),
      p.timeFieldName ? h("span", { class: "muted" }, ` (time field ${p.timeFieldName})`) : null))));
}

// ---- The editor ----------------------------------------------------------------------------

async function showEditor(root, { id, type, patternId }) {
  let object = null;
  let searchId = null;
  let visState;
  let source = {};
  let uiState = {};
  if (id) {
    object = await getObject("visualization", id);
    const parts = await resolveParts(object);
    ({ visState, source, uiState } = parts);
    searchId = parts.sources.length > 1 ? parts.searchId : null;  // built on a saved search
    patternId = parts.patternId;
    if (!patternId) throw new Error("This visualization names no index pattern: import its index pattern, or create the visualization again on one.");
  }
  let pattern;
  try {
    pattern = await loadPattern(patternId || await defaultPatternId());
  } catch (error) {
    if (error.status === 404) throw new Error(`Index pattern "${patternId}" is missing: create it in Management → Index patterns, or import it.`);
    throw error;
  }
  if (!visState) visState = { title: "", type, params: defaultParams(type), aggs: defaultAggs(type, pattern) };
  visState.params ??= defaultParams(visState.type);
  visState.aggs ??= [];
  editor = new Editor(root, { object, visState, source, uiState, pattern, searchId });
  await editor.apply();
}

class Editor {
  constructor(root, { object, visState, source, uiState, pattern, searchId }) {
    this.root = root;
    this.searchId = searchId;
    this.object = object;
    this.draft = structuredClone(visState);
    this.source = source;
    this.uiState = uiState;
    this.pattern = pattern;
    this.handle = null;
    this.bar = new SearchBar({ state: { ...DEFAULT_STATE, time: { from: "now-24h", to: "now" } }, onChange: () => this.apply(), label: "Search this visualization's data" });
    this.status = h("div", { id: "vis-editor-status", "aria-live": "polite" });
    this.chart = h("div", { class: "vis-container", id: "vis-chart" });
    this.inspect = h("section", { class: "vis-inspect", id: "vis-inspect", hidden: true });
    this.panel = h("div", { class: "vis-panel-body" });
    this.tabs = {};
    this.tab = "data";
    const title = object ? object.attributes.title : `New ${VIS_TYPES[this.draft.type]?.title || this.draft.type}`;
    this.heading = h("h2", { id: "vis-heading" }, title);
    const tabButton = (name, label) => {
      this.tabs[name] = h("button", { type: "button", role: "tab", class: "vis-tab", id: `vis-tab-${name}`, onclick: () => this.showTab(name) }, label);
      return this.tabs[name];
    };
    this.keys = (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !this.root.hidden) { event.preventDefault(); this.apply(); }
    };
    document.addEventListener("keydown", this.keys);
    page(root,
      h("div", { class: "toolbar vis-toolbar" }, h("a", { href: "#visualize", class: "vis-back" }, "Visualize"), h("span", { "aria-hidden": "true" }, "/"), this.heading,
        h("span", { class: "muted vis-pattern" }, `${VIS_TYPES[this.draft.type]?.title || this.draft.type} on ${pattern.title}`),
        h("button", { type: "button", class: "secondary", id: "vis-inspect-button", onclick: () => this.toggleInspect() }, "Inspect"),
        h("button", { type: "button", id: "vis-save-button", onclick: () => this.showSave() }, "Save")),
      this.bar.element, this.status,
      h("div", { class: "vis-editor" },
        h("div", { class: "vis-side" },
          h("div", { class: "vis-tabs", role: "tablist" }, tabButton("data", "Data"), tabButton("options", "Options"), tabButton("json", "Aggregation JSON")),
          this.panel,
          h("div", { class: "vis-apply" }, h("button", { type: "button", id: "vis-apply", title: "Apply changes (Ctrl+Enter)", onclick: () => this.apply() }, "Apply"),
            h("span", { class: "muted" }, "Ctrl+Enter"))),
        h("div", { class: "vis-main" }, this.chart, this.inspect)));
    this.showTab("data");
  }

  destroy() {
    document.removeEventListener("keydown", this.keys);
    this.bar.destroy();
    this.handle?.destroy();
  }

  showTab(name) {
    this.tab = name;
    for (const [tab, button] of Object.entries(this.tabs)) {
      button.classList.toggle("active", tab === name);
      button.setAttribute("aria-selected", String(tab === name));
    }
    if (name === "data") this.panel.replaceChildren(this.dataPanel());
    if (name === "options") this.panel.replaceChildren(this.optionsPanel());
    if (name === "json") this.panel.replaceChildren(this.jsonPanel());
  }

  // A new agg id: one more than the largest numeric id.
  nextId() {
    return String(Math.max(0, ...this.draft.aggs.map((a) => Number(a.id) || 0)) + 1);
  }

  dataPanel() {
    const metrics = this.draft.aggs.filter((a) => a.schema === "metric" || a.schema === "radius");
    const buckets = this.draft.aggs.filter((a) => !(a.schema === "metric" || a.schema === "radius"));
    const schemas = SCHEMAS[this.draft.type] || SCHEMAS.histogram;
    const single = ["pie", "heatmap", "tagcloud", "region_map"].includes(this.draft.type);
    return h("div", { class: "vis-data" },
      h("h3", {}, "Metrics"),
      metrics.map((agg) => this.aggEditor(agg, "metric", metrics.length > 1 && !single)),
      single ? null : h("button", { type: "button", class: "secondary small", id: "vis-add-metric", onclick: () => {
        this.draft.aggs.push({ id: this.nextId(), enabled: true, type: "count", schema: "metric", params: {} });
        this.showTab("data");
      } }, "+ Add metric"),
      h("h3", {}, "Buckets"),
      buckets.map((agg) => this.aggEditor(agg, "bucket", true, schemas)),
      h("div", { class: "row vis-add-bucket" }, schemas.map(([schema, label]) => h("button", { type: "button", class: "secondary small", "data-schema": schema, onclick: () => {
        this.draft.aggs.push({ id: this.nextId(), enabled: true, type: schema === "segment" && this.pattern.timeFieldName && ["histogram", "line", "area"].includes(this.draft.type) ? "date_histogram" : "terms", schema, params: {} });
        const added = this.draft.aggs.at(-1);
        added.params = this.defaultBucketParams(added.type);
        this.showTab("data");
      } }, `+ ${label}`))));
  }

  defaultBucketParams(type) {
    if (type === "date_histogram") return { field: this.pattern.timeFieldName || "", interval: "auto", min_doc_count: 1, extended_bounds: {} };
    if (type === "terms") return { field: "", orderBy: this.draft.aggs.find((a) => a.schema === "metric")?.id || "1", order: "desc", size: 5, otherBucket: false, otherBucketLabel: "Other", missingBucket: false, missingBucketLabel: "Missing" };
    if (type === "histogram") return { field: "", interval: 100, min_doc_count: false, has_extended_bounds: false, extended_bounds: {} };
    if (type === "range") return { field: "", ranges: [{ from: 0, to: 1000 }, { from: 1000, to: 2000 }] };
    if (type === "date_range") return { field: this.pattern.timeFieldName || "", ranges: [{ from: "now-1w/w", to: "now" }] };
    if (type === "filters") return { filters: [{ input: { query: "", language: "lucene" }, label: "" }] };
    if (type === "significant_terms") return { field: "", size: 10 };
    if (type === "percentiles") return { field: "", percents: [1, 5, 25, 50, 75, 95, 99] };
    if (type === "top_hits") return { field: "", aggregate: "concat", size: 1, sortField: this.pattern.timeFieldName || "", sortOrder: "desc" };
    return { field: "" };
  }

  aggEditor(agg, kind, removable, schemas) {
    const index = this.draft.aggs.indexOf(agg);
    const prefix = `agg-${agg.id}`;
    const rerender = () => this.showTab("data");
    const types = Object.entries(AGG_TYPES).filter(([, info]) => info.kind === kind);
    const typeSelect = h("select", { id: `${prefix}-type`, class: "agg-type", onchange: () => {
      agg.type = typeSelect.value;
      agg.params = this.defaultBucketParams(agg.type);
      if (agg.type === "count") agg.params = {};
      rerender();
    } }, types.map(([name, info]) => h("option", { value: name, selected: name === agg.type }, info.title)));
    const controls = [];
    if (schemas) {
      const schemaSelect = h("select", { id: `${prefix}-schema`, class: "agg-schema", onchange: () => { agg.schema = schemaSelect.value; rerender(); } },
        schemas.map(([name, label]) => h("option", { value: name, selected: name === agg.schema }, label)));
      controls.push(field("Role", schemaSelect));
    }
    controls.push(field("Aggregation", typeSelect));
    if (AGG_TYPES[agg.type]?.fields !== undefined) {
      const fits = this.pattern.fields.filter((f) => fieldFits(agg.type, f));
      const current = agg.params.field || "";
      const options = [h("option", { value: "", selected: !current }, "Select a field"), ...fits.map((f) => h("option", { value: f.name, selected: f.name === current }, `${f.name} (${f.type})`))];
      if (current && !fits.some((f) => f.name === current)) options.push(h("option", { value: current, selected: true }, `${current} (not in the pattern)`));
      const select = h("select", { id: `${prefix}-field`, class: "agg-field", onchange: () => { agg.params.field = select.value; } }, options);
      controls.push(field("Field", select, fits.length ? null : `No ${agg.type} field in ${this.pattern.title}`));
    }
    controls.push(...this.paramEditors(agg, prefix));
    const label = h("input", { id: `${prefix}-label`, value: agg.params.customLabel || "", placeholder: aggLabel({ ...agg, params: { ...agg.params, customLabel: "" } }), oninput: () => { agg.params.customLabel = label.value || undefined; } });
    controls.push(field("Custom label", label));
    const enabled = h("input", { type: "checkbox", checked: agg.enabled !== false, "aria-label": "Enabled", onchange: () => { agg.enabled = enabled.checked; } });
    const move = (step) => () => {
      const to = index + step;
      if (to < 0 || to >= this.draft.aggs.length) return;
      [this.draft.aggs[index], this.draft.aggs[to]] = [this.draft.aggs[to], this.draft.aggs[index]];
      rerender();
    };
    const schemaLabel = schemas ? (schemas.find(([s]) => s === agg.schema)?.[1] || agg.schema) : "Metric";
    return h("fieldset", { class: "agg-editor", "data-agg": agg.id, "data-schema": agg.schema },
      h("legend", {}, h("label", { class: "inline" }, enabled, ` ${schemaLabel}: ${aggLabel(agg)}`)),
      h("div", { class: "agg-actions" },
        h("button", { type: "button", class: "secondary small", "aria-label": `Move ${agg.id} up`, onclick: move(-1) }, "↑"),
        h("button", { type: "button", class: "secondary small", "aria-label": `Move ${agg.id} down`, onclick: move(1) }, "↓"),
        removable ? h("button", { type: "button", class: "danger small agg-remove", "aria-label": `Remove ${agg.id}`, onclick: () => { this.draft.aggs.splice(index, 1); rerender(); } }, "×") : null),
      controls);
  }

  paramEditors(agg, prefix) {
    const p = agg.params;
    const input = (name, attrs, read) => {
      const node = h("input", { id: `${prefix}-${name}`, ...attrs });
      node.addEventListener("input", () => { p[name] = read(node); });
      return node;
    };
    switch (agg.type) {
      case "terms": {
        const metrics = this.draft.aggs.filter((a) => a.schema === "metric");
        const orderBy = h("select", { id: `${prefix}-orderBy`, onchange: () => { p.orderBy = orderBy.value; } },
          metrics.map((m) => h("option", { value: m.id, selected: String(p.orderBy) === m.id }, `Metric: ${aggLabel(m)}`)),
          h("option", { value: "_key", selected: p.orderBy === "_key" || p.orderBy === "_term" }, "Alphabetical"),
          p.orderAgg ? h("option", { value: "custom", selected: p.orderBy === "custom" }, `Custom metric: ${aggLabel(p.orderAgg)}`) : null);
        const order = h("select", { id: `${prefix}-order`, onchange: () => { p.order = order.value; } },
          h("option", { value: "desc", selected: (p.order?.value ?? p.order) !== "asc" }, "Descending"), h("option", { value: "asc", selected: (p.order?.value ?? p.order) === "asc" }, "Ascending"));
        const missing = h("input", { type: "checkbox", id: `${prefix}-missing`, checked: Boolean(p.missingBucket), onchange: () => { p.missingBucket = missing.checked; } });
        return [field("Order by", orderBy), h("div", { class: "row" }, field("Order", order), field("Size", input("size", { type: "number", min: 1, value: p.size ?? 5 }, (n) => Number(n.value)))),
          h("label", { class: "inline" }, missing, " Group documents without this field in a \"Missing\" bucket")];
      }
      case "significant_terms":
        return [field("Size", input("size", { type: "number", min: 1, value: p.size ?? 10 }, (n) => Number(n.value)))];
      case "date_histogram": {
        const list = `${prefix}-intervals`;
        return [field("Interval", [input("interval", { value: p.interval || "auto", list }, (n) => n.value.trim()),
          h("datalist", { id: list }, ["auto", "ms", "s", "m", "h", "d", "w", "M", "y", "30s", "5m", "30m", "3h", "12h"].map((v) => h("option", { value: v })))],
        "auto, a unit (m minute, h hour, d day, w week, M month, y year) or a fixed interval such as 30m")];
      }
      case "histogram": {
        const empty = h("input", { type: "checkbox", checked: Boolean(p.min_doc_count), onchange: () => { p.min_doc_count = empty.checked; } });
        return [field("Minimum interval", input("interval", { type: "number", min: 0, step: "any", value: p.interval ?? "" }, (n) => Number(n.value))),
          h("label", { class: "inline" }, empty, " Show empty buckets")];
      }
      case "range": case "date_range": {
        const text = h("textarea", { id: `${prefix}-ranges`, rows: 3, value: (p.ranges || []).map((r) => `${r.from ?? ""} - ${r.to ?? ""}`).join("\n") });
        text.addEventListener("input", () => {
          p.ranges = text.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
            const [from, to] = line.split(/\s+-\s+|\s*,\s*/);
            const value = (v) => (v === undefined || v.trim() === "" ? undefined : agg.type === "range" ? Number(v) : v.trim());
            return { from: value(from), to: value(to) };
          });
        });
        return [field("Ranges", text, agg.type === "range" ? "One per line: from - to (either may be empty), e.g. 0 - 1000" : "One per line: from - to in date math, e.g. now-1w/w - now")];
      }
      case "filters": {
        const text = h("textarea", { id: `${prefix}-filters`, rows: 3, value: (p.filters || []).map((f) => (f.label ? `${f.label}: ${f.input.query}` : f.input.query)).join("\n") });
        text.addEventListener("input", () => {
          p.filters = text.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
            const labelled = /^([^:{"]+?)\s*::\s*(.*)$/.exec(line);
            return labelled ? { input: { query: labelled[2], language: "lucene" }, label: labelled[1] } : { input: { query: line, language: "lucene" }, label: "" };
          });
        });
        return [field("Filters", text, "One Lucene query per line (a bucket each); \"label :: query\" names one")];
      }
      case "percentiles":
        return [field("Percents", input("percents", { value: (p.percents || []).join(", ") }, (n) => n.value.split(",").map((v) => Number(v.trim())).filter((v) => !Number.isNaN(v))))];
      case "top_hits": {
        const sortOrder = h("select", { id: `${prefix}-sortOrder`, onchange: () => { p.sortOrder = sortOrder.value; } },
          h("option", { value: "desc", selected: (p.sortOrder?.value ?? p.sortOrder) !== "asc" }, "Descending"), h("option", { value: "asc", selected: (p.sortOrder?.value ?? p.sortOrder) === "asc" }, "Ascending"));
        return [field("Sort on", input("sortField", { value: p.sortField || "" }, (n) => n.value.trim())), field("Order", sortOrder),
          field("Size", input("size", { type: "number", min: 1, value: p.size ?? 1 }, (n) => Number(n.value)))];
      }
      default:
        return [];
    }
  }

  optionsPanel() {
    const p = this.draft.params;
    const type = this.draft.type;
    const select = (id, value, options, set) => {
      const node = h("select", { id, onchange: () => set(node.value) }, options.map(([v, label]) => h("option", { value: v, selected: String(value) === v }, label)));
      return node;
    };
    const check = (id, value, label, set) => {
      const node = h("input", { type: "checkbox", id, checked: Boolean(value), onchange: () => set(node.checked) });
      return h("label", { class: "inline vis-check" }, node, ` ${label}`);
    };
    const number = (id, value, set) => {
      const node = h("input", { type: "number", id, value: value ?? "", oninput: () => set(Number(node.value)) });
      return node;
    };
    const legend = () => [field("Legend position", select("vis-legend", p.legendPosition || "right", [["right", "Right"], ["left", "Left"], ["top", "Top"], ["bottom", "Bottom"]], (v) => { p.legendPosition = v; })),
      check("vis-show-legend", p.addLegend !== false, "Show legend", (v) => { p.addLegend = v; })];
    const parts = [];
    if (["histogram", "horizontal_bar", "line", "area"].includes(type)) {
      p.seriesParams ??= defaultParams(type).seriesParams;
      const mode = p.seriesParams[0]?.mode ?? "normal";
      parts.push(field("Series mode", select("vis-mode", mode, [["stacked", "Stacked"], ["normal", "Normal (side by side)"]], (v) => { for (const s of p.seriesParams) s.mode = v; })));
      if (type !== "histogram" && type !== "horizontal_bar") parts.push(check("vis-smooth", p.seriesParams[0]?.interpolate === "cardinal", "Smooth lines", (v) => { for (const s of p.seriesParams) s.interpolate = v ? "cardinal" : "linear"; }));
      parts.push(...legend());
    } else if (type === "pie") {
      p.labels ??= {};
      parts.push(check("vis-donut", p.isDonut !== false, "Donut", (v) => { p.isDonut = v; }), check("vis-labels", p.labels.show, "Show labels", (v) => { p.labels.show = v; }), ...legend());
    } else if (type === "metric") {
      p.metric ??= defaultParams("metric").metric;
      p.metric.style ??= {};
      parts.push(field("Font size (px)", number("vis-font-size", p.metric.style.fontSize ?? 60, (v) => { p.metric.style.fontSize = v; })));
    } else if (type === "table") {
      parts.push(field("Rows per page", number("vis-per-page", p.perPage ?? 10, (v) => { p.perPage = v; })));
    } else if (type === "tagcloud") {
      parts.push(field("Smallest font (px)", number("vis-min-font", p.minFontSize ?? 18, (v) => { p.minFontSize = v; })),
        field("Largest font (px)", number("vis-max-font", p.maxFontSize ?? 72, (v) => { p.maxFontSize = v; })));
    } else if (type === "region_map") {
      parts.push(field("Colour schema", select("vis-colors", p.colorSchema || "Yellow to Red", ["Yellow to Red", "Reds", "Blues", "Greens", "Green to Red"].map((c) => [c, c]), (v) => { p.colorSchema = v; }),
        "The bucket's terms must be ISO 3166-1 alpha-2 codes, e.g. source.geo.country_iso_code"));
    } else if (type === "heatmap") {
      parts.push(...legend());
    }
    return h("div", { class: "vis-options" }, parts.length ? parts : h("p", { class: "muted" }, "This type has no options."));
  }

  jsonPanel() {
    const area = h("textarea", { id: "vis-json", rows: 18, spellcheck: "false", "aria-label": "Aggregation JSON" });
    const error = h("div", { id: "vis-json-status" });
    try {
      area.value = JSON.stringify(requestAggs(this.draft, this.requestOptions()), null, 2);
    } catch (problem) {
      error.replaceChildren(notice(problem.message));
    }
    return h("div", { class: "vis-json" },
      h("p", { class: "hint" }, "The aggs this visualization sends to _search. Edit them and apply to change the aggregations."),
      area, error,
      h("button", { type: "button", class: "secondary", id: "vis-json-apply", onclick: () => {
        error.replaceChildren();
        try {
          this.draft.aggs = parseAggs(area.value, this.draft);
        } catch (problem) {
          error.replaceChildren(notice(problem.message));
          return;
        }
        this.apply();
      } }, "Use this JSON"));
  }

  // The last request's time bounds and zone: the JSON panel shows the aggs as sent.
  requestOptions() {
    return { bounds: this.handle?.result?.request?.bounds, timeZone: TIME_ZONE };
  }

  // The draft as a saved object (unsaved changes included), for the renderer.
  asObject() {
    const title = this.object?.attributes.title || "";
    const { attributes, references } = savedAttributes({ title, description: this.object?.attributes.description, visState: this.draft, uiState: this.uiState, patternId: this.pattern.id, source: this.source, searchId: this.searchId });
    return { id: this.object?.id, type: "visualization", attributes, references };
  }

  async apply() {
    this.status.replaceChildren();
    const context = { state: this.bar.getState(), pattern: this.pattern, onFilter: (filter) => this.bar.addFilter(filter), onResult: (result) => this.showResult(result) };
    this.handle?.destroy();
    this.handle = await renderVisualization(this.chart, this.asObject(), context);
    if (this.tab === "json") this.showTab("json");
  }

  showResult(result) {
    this.chart.dataset.state = result.error ? "error" : "ok";
    if (!this.inspect.hidden) this.renderInspect();
  }

  toggleInspect() {
    this.inspect.hidden = !this.inspect.hidden;
    if (!this.inspect.hidden) this.renderInspect();
  }

  renderInspect(view = this.inspectView || "data") {
    this.inspectView = view;
    const result = this.handle?.result;
    const switcher = h("div", { class: "row" }, h("h3", {}, "Inspect"),
      h("button", { type: "button", class: `secondary small${view === "data" ? " active" : ""}`, id: "vis-inspect-data", onclick: () => this.renderInspect("data") }, "Data"),
      h("button", { type: "button", class: `secondary small${view === "requests" ? " active" : ""}`, id: "vis-inspect-requests", onclick: () => this.renderInspect("requests") }, "Requests"));
    let body;
    if (!result) body = h("p", { class: "muted" }, "Nothing requested yet.");
    else if (view === "data") body = result.table ? dataTable(result.table) : notice(result.error?.message || "No data");
    else body = h("div", { class: "vis-requests" },
      h("h4", {}, `Request: POST /${result.request?.index ?? "?"}/_search`), h("pre", { class: "json", id: "vis-request" }, JSON.stringify(result.request?.body ?? null, null, 2)),
      h("h4", {}, "Response"), h("pre", { class: "json", id: "vis-response" }, JSON.stringify(result.response ?? result.error?.body ?? null, null, 2)));
    this.inspect.replaceChildren(switcher, body);
  }

  showSave() {
    const existing = this.object;
    const title = h("input", { id: "vis-save-title", required: true, value: existing?.attributes.title || "" });
    const description = h("textarea", { id: "vis-save-description", rows: 2, value: existing?.attributes.description || "" });
    const asNew = h("input", { type: "checkbox", id: "vis-save-as-new" });
    const status = h("div");
    const dialog = h("form", { class: "form vis-save", id: "vis-save", onsubmit: (event) => {
      event.preventDefault();
      attempt(status, async () => {
        if (!title.value.trim()) throw new Error("Give the visualization a title.");
        const { attributes, references } = savedAttributes({ title: title.value.trim(), description: description.value, visState: this.draft, uiState: this.uiState, patternId: this.pattern.id, source: this.source, searchId: this.searchId });
        const saved = existing && !asNew.checked
          ? await updateObject("visualization", existing.id, attributes, { references })
          : await createObject("visualization", attributes, { references });
        this.object = { ...saved, attributes: { ...(existing && !asNew.checked ? existing.attributes : {}), ...attributes }, references };
        this.heading.textContent = title.value.trim();
        dialog.remove();
        this.status.replaceChildren(notice(`Saved "${title.value.trim()}".`, "success"));
        history.replaceState(null, "", `#visualize/edit/${encodeURIComponent(saved.id)}`);
      });
    } },
    h("h3", {}, existing ? "Save visualization" : "Save new visualization"),
    field("Title", title), field("Description", description),
    existing ? h("label", { class: "inline" }, asNew, " Save as a new visualization") : null,
    status,
    h("div", { class: "buttons" }, h("button", { type: "submit", id: "vis-save-confirm" }, "Save"), h("button", { type: "button", class: "secondary", onclick: () => dialog.remove() }, "Cancel")));
    $("#vis-save")?.remove();
    this.status.after(dialog);
    title.focus();
  }
}
