// Operations → Logs: the error log and the search and indexing slow logs as the server keeps
// them in .loghaven-logs-server-*, -search-* and -indexing-* (one document per entry:
// @timestamp, level, logger, message, index, took_millis, source, total_hits,
// client.address, user, x_opaque_id, stacktrace), searched over the time picker's range with a
// log, level, index and text filter; a row expands to the whole entry and the request body.
// #operations/logs?time=…&log="search"&level="WARN"&index="…"&q="…" holds the state.

import { call, h } from "../lib.js";
import { formatTime } from "../discover/table.js";
import { fieldsOf } from "../search/patterns.js";
import { rangeFilter, timeBounds } from "../search/query.js";
import { TimePicker, describeTime } from "../search/timepicker.js";
import { writeParams } from "../search/url.js";
import { attempt, badge, table } from "../widgets.js";
import { emptyState } from "./states.js";

const LOGS = ".loghaven-logs-*";
const KINDS = [["", "All logs"], ["server", "Error log (server)"], ["search", "Search slow log"], ["indexing", "Indexing slow log"]];
const LEVELS = ["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"];
const LEVEL_KIND = { ERROR: "failed", FATAL: "failed", WARN: "reserved" };
const DEFAULT_TIME = { from: "now-24h", to: "now" };
const PAGE_SIZE = 100;
const DETAILS = [["logger", "Logger"], ["index", "Index"], ["took_millis", "Took (ms)"], ["total_hits", "Total hits"],
  ["client.address", "Client address"], ["user", "User"], ["x_opaque_id", "X-Opaque-Id"]];

const pattern = (log) => (log ? `.loghaven-logs-${log}-*` : LOGS);
const kindOf = (indexName) => /^\.loghaven-logs-([a-z]+)-/.exec(indexName)?.[1] ?? indexName;
const dig = (object, path) => path.split(".").reduce((value, key) => value?.[key], object) ?? object?.[path];

// The field to filter and aggregate `name` by: itself when it is a keyword, else its
// `.keyword` sub-field (dynamic mapping), else null.
function keywordOf(fields, name) {
  return [name, `${name}.keyword`].find((candidate) => fields.some((f) => f.name === candidate && f.aggregatable)) ?? null;
}

function searchRequest(state, fields, bounds) {
  const filter = [rangeFilter("@timestamp", bounds)];
  const levelField = keywordOf(fields, "level");
  const indexField = keywordOf(fields, "index");
  if (state.level) filter.push(levelField ? { term: { [levelField]: state.level } } : { match: { level: state.level } });
  if (state.index) filter.push(indexField ? { term: { [indexField]: state.index } } : { match_phrase: { index: state.index } });
  const must = state.q ? [{ query_string: { query: state.q, default_operator: "AND" } }] : [];
  return {
    size: PAGE_SIZE, track_total_hits: true, sort: [{ "@timestamp": { order: "desc" } }],
    query: { bool: { filter, must } },
    aggs: indexField ? { indices: { terms: { field: indexField, size: 200 } } } : {},
  };
}

// The request body the entry carries, as indented JSON when it is JSON.
function body(source) {
  if (source === undefined || source === null || source === "") return null;
  let shown = typeof source === "string" ? source : JSON.stringify(source, null, 2);
  try { shown = JSON.stringify(JSON.parse(shown), null, 2); } catch { /* truncated (index.*.slowlog.source): as written */ }
  return h("pre", { class: "json log-source" }, shown);
}

function detail(entry) {
  const pairs = DETAILS.map(([path, label]) => [label, dig(entry, path)]).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return [
    h("dl", { class: "facts" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])),
    entry.source !== undefined ? [h("h4", {}, "Request body"), body(entry.source)] : null,
    entry.stacktrace ? [h("h4", {}, "Stack trace"), h("pre", { class: "json log-stacktrace" }, [].concat(entry.stacktrace).join("\n"))] : null,
  ];
}

function entryRows(hit) {
  const entry = hit._source;
  const row = h("tr", { "data-log": kindOf(hit._index), "data-level": entry.level || "" });
  const toggle = h("button", { type: "button", class: "secondary small log-expand", "aria-expanded": "false", "aria-label": "Show the whole entry" }, "▸");
  let open = null;
  toggle.addEventListener("click", () => {
    if (open) { open.remove(); open = null; toggle.textContent = "▸"; toggle.setAttribute("aria-expanded", "false"); return; }
    open = h("tr", { class: "doc-expanded log-detail" }, h("td", { colspan: 7 }, detail(entry)));
    row.after(open);
    toggle.textContent = "▾";
    toggle.setAttribute("aria-expanded", "true");
  });
  const source = typeof entry.source === "string" ? entry.source : entry.source ? JSON.stringify(entry.source) : "";
  // A slow log's message ends with the body already (ES's "source[…]"): shown once.
  const more = source && !(entry.message || "").includes(source.slice(0, 40)) ? h("div", { class: "muted clipped" }, source.slice(0, 160)) : null;
  const message = h("td", { class: "log-message" }, (entry.message || "").slice(0, 400), more);
  message.style.minWidth = "18em";  // through the CSS object model: the CSP refuses style attributes
  row.append(
    h("td", {}, toggle),
    h("td", { class: "time-col" }, formatTime(entry["@timestamp"])),
    h("td", {}, badge(entry.level || "—", LEVEL_KIND[entry.level] || "")),
    h("td", {}, kindOf(hit._index)),
    h("td", {}, entry.index ?? h("span", { class: "muted" }, "—")),
    h("td", { class: "num" }, entry.took_millis ?? "—"),
    message);
  return row;
}

let picker = null;
let timer = null;
let generation = 0;

// #operations/logs?time=…&log=…&level=…&index=…&q=…
export async function renderLogs(container, _args, params = {}) {
  const run = ++generation;
  clearTimeout(timer);
  picker?.destroy();
  const state = {
    time: params.time?.from ? params.time : DEFAULT_TIME,
    refresh: params.refresh?.value ? params.refresh : { pause: true, value: 0 },
    log: KINDS.some(([k]) => k === params.log) ? params.log : "",
    level: LEVELS.includes(params.level) ? params.level : "",
    index: typeof params.index === "string" ? params.index : "",
    q: typeof params.q === "string" ? params.q : "",
  };
  const status = h("div", { class: "status", id: "logs-status", "aria-live": "polite" });
  const results = h("div", { id: "logs-results" });
  const indices = h("datalist", { id: "logs-index-names" });
  const log = h("select", { id: "logs-log", name: "log" }, KINDS.map(([value, label]) => h("option", { value, selected: value === state.log }, label)));
  const level = h("select", { id: "logs-level", name: "level" }, h("option", { value: "" }, "Any level"),
    LEVELS.map((name) => h("option", { value: name, selected: name === state.level }, name)));
  const index = h("input", { id: "logs-index", name: "index", list: "logs-index-names", value: state.index, placeholder: "any index", autocomplete: "off" });
  const q = h("input", { id: "logs-query", name: "q", type: "search", value: state.q, placeholder: "message:timeout OR logger:*search*" });

  const search = async () => {
    writeParams(state);
    const [fields, anyLogs] = await Promise.all([
      fieldsOf(pattern(state.log)),
      call("POST", `/${LOGS}/_search`, { size: 0, track_total_hits: 1 }),
    ]);
    if (!anyLogs.hits.total.value) {
      results.replaceChildren(emptyState("logs-empty", "No logs yet: the error log (WARN and above) and the slow logs are kept in .loghaven-logs-* as entries are written.",
        "Slow logs are off until an index has a threshold: PUT /<index>/_settings {\"index.search.slowlog.threshold.query.warn\": \"500ms\"} (\"0ms\" logs every search)."));
      return;
    }
    const bounds = timeBounds(state.time);
    const answer = await call("POST", `/${pattern(state.log)}/_search`, searchRequest(state, fields, bounds));
    indices.replaceChildren(...(answer.aggregations?.indices?.buckets ?? []).map((b) => h("option", { value: b.key }, `${b.doc_count} entries`)));
    const total = answer.hits.total.value;
    if (!total) {
      results.replaceChildren(emptyState("logs-empty", `No log entries match these filters in ${describeTime(state.time)}.`,
        "Widen the time range or clear the level, index and text filters."));
      return;
    }
    results.replaceChildren(
      h("p", { class: "muted", id: "logs-count" }, total > PAGE_SIZE ? `${total.toLocaleString("en")} entries; the latest ${PAGE_SIZE} are shown: narrow the filters to see others.` : `${total.toLocaleString("en")} entries.`),
      h("div", { class: "table-scroll" }, table(["", "Time", "Level", "Log", "Index", "Took (ms)", "Message"], answer.hits.hits.map(entryRows))));
  };
  const apply = (event) => {
    event?.preventDefault();
    Object.assign(state, { log: log.value, level: level.value, index: index.value.trim(), q: q.value.trim() });
    attempt(status, search);
  };
  log.addEventListener("change", apply);
  level.addEventListener("change", apply);
  // Auto-refresh: searched again every interval while this tab is shown and the page visible.
  const schedule = () => {
    clearTimeout(timer);
    if (state.refresh.pause || !state.refresh.value) return;
    timer = setTimeout(async () => {
      if (run !== generation || !results.isConnected) return;
      if (!document.hidden) await attempt(status, search);
      schedule();
    }, state.refresh.value);
  };
  picker = new TimePicker({
    time: state.time, refresh: state.refresh,
    onTime: (time) => { state.time = time; attempt(status, search); },
    onRefresh: (refresh) => { state.refresh = refresh; picker.setRefresh(refresh); writeParams(state); schedule(); },
  });
  container.replaceChildren(
    h("form", { class: "row logs-filters", id: "logs-form", onsubmit: apply },
      h("label", { class: "inline" }, "Log ", log), h("label", { class: "inline" }, "Level ", level),
      h("label", { class: "inline" }, "Index ", index), indices,
      h("label", { class: "inline grow" }, "Text ", q),
      h("button", { type: "submit", class: "small", id: "logs-search" }, "Search"), picker.element),
    status, results);
  await attempt(status, search);
  schedule();
}
