// Alerting → Monitors: the list (monitors/_search, with each scheduled job's last run and
// skipped runs from stats/jobs_info), enable/disable, delete, "Run now" (a dry run), and the
// create/edit forms: a visual graph, or the monitor JSON as the API takes it.

import { call, h } from "../lib.js";
import { attempt, badge, enc, field, notice, page, shown, table } from "../widgets.js";
import { clipped, scheduleText, when } from "./format.js";
import { configs } from "./channels.js";
import { graphForm, isGraphMonitor } from "./graph.js";
import { isQueryMonitor, queryForm } from "./query.js";
import { triggerPreview } from "./preview.js";

const MONITORS = "/_plugins/_alerting/monitors";
const TYPES = { query_level_monitor: "per query", bucket_level_monitor: "per bucket", doc_level_monitor: "per document" };

// #alerting/monitors, #alerting/monitors/new, #alerting/monitors/edit/<id>
export async function renderMonitors(container, [mode, id]) {
  await shown(container, async () => {
    if (mode === "new") await renderNew(container);
    else if (mode === "edit") await renderEdit(container, id);
    else await renderList(container);
  });
}

// Each scheduled monitor's run record; a user who may not read the stats sees the list alone.
async function jobsInfo() {
  try {
    const stats = await call("GET", "/_plugins/_alerting/stats/jobs_info");
    return Object.assign({}, ...Object.values(stats.nodes || {}).map((node) => node.jobs_info || {}));
  } catch {
    return {};
  }
}

async function setEnabled(id, enabled) {
  const found = await call("GET", `${MONITORS}/${enc(id)}`);
  const params = new URLSearchParams({ if_seq_no: found._seq_no, if_primary_term: found._primary_term });
  await call("PUT", `${MONITORS}/${enc(id)}?${params}`, { ...found.monitor, enabled });
}

// A dry run's answer: the input's result or error, each trigger's verdict and rendered actions.
function runResult(name, answer) {
  const triggers = Object.entries(answer.trigger_results || {}).map(([triggerId, result]) => h("li", { "data-trigger": triggerId },
    h("strong", {}, result.name), " ", result.triggered ? badge("triggered", "active") : badge("not triggered", "on"),
    result.error ? h("span", { class: "error" }, ` ${result.error}`) : null,
    Object.keys(result.action_results || {}).length ? null : h("div", { class: "muted" }, result.triggered
      ? "No action would run (none defined, or the alert is already open and not re-notified)." : "No action runs."),
    h("ul", {}, Object.values(result.action_results || {}).map((action) => h("li", {}, `${action.name}: `,
      action.error ? h("span", { class: "error" }, action.error)
        : h("span", {}, action.throttled ? "throttled" : `would send "${action.output?.subject ?? ""}" — ${action.output?.message ?? ""}`))))));
  const errors = [answer.error, answer.input_results?.error].filter(Boolean);
  return h("div", { class: "form wide", id: "run-result" },
    h("h3", {}, `Run of ${name} (dry run: no alerts, no notifications)`),
    h("p", { class: "hint" }, "Period ", when(answer.period_start), " to ", when(answer.period_end)),
    errors.map((error) => notice(error)),
    h("ul", { class: "triggers" }, triggers),
    h("details", {}, h("summary", {}, "Input results"), h("pre", { class: "json" }, JSON.stringify(answer.input_results?.results ?? [], null, 2))));
}

async function renderList(container) {
  const [found, jobs] = await Promise.all([call("POST", `${MONITORS}/_search`, { query: { match_all: {} }, size: 1000 }), jobsInfo()]);
  const status = h("div", { class: "status" });
  const result = h("div", { id: "run-output" });
  const reload = () => renderList(container);
  const hits = found.hits.hits.slice().sort((a, b) => (a._source.name || "").localeCompare(b._source.name || ""));
  const rows = hits.map((hit) => {
    const monitor = hit._source;
    const job = jobs[hit._id] || {};
    return h("tr", { "data-monitor": hit._id, "data-name": monitor.name },
      h("td", {}, h("a", { href: `#alerting/monitors/edit/${enc(hit._id)}` }, h("strong", {}, monitor.name))),
      h("td", {}, TYPES[monitor.monitor_type] || monitor.monitor_type),
      h("td", { class: "enabled" }, monitor.enabled ? badge("enabled", "on") : badge("disabled", "off")),
      h("td", {}, scheduleText(monitor.schedule)),
      h("td", {}, when(job.last_execution_time), job.last_error ? h("div", { class: "error" }, clipped(job.last_error, 80)) : null),
      h("td", { class: "num" }, job.skipped_runs ? h("span", { title: "last skipped " + new Date(job.last_skipped_time).toISOString() }, String(job.skipped_runs)) : "0"),
      h("td", { class: "actions" },
        h("button", { type: "button", class: "secondary small run", onclick: () => attempt(status, async () => {
          result.replaceChildren(runResult(monitor.name, await call("POST", `${MONITORS}/${enc(hit._id)}/_execute?dryrun=true`)));
        }) }, "Run now"),
        h("button", { type: "button", class: "secondary small toggle", onclick: () => attempt(status, async () => {
          await setEnabled(hit._id, !monitor.enabled);
          await reload();
        }) }, monitor.enabled ? "Disable" : "Enable"),
        h("a", { href: `#alerting/monitors/edit/${enc(hit._id)}`, class: "button secondary small" }, "Edit"),
        h("button", { type: "button", class: "danger small", onclick: () => attempt(status, async () => {
          if (!confirm(`Delete the monitor ${monitor.name}? Its alerts become DELETED.`)) return;
          await call("DELETE", `${MONITORS}/${enc(hit._id)}`);
          await reload();
        }) }, "Delete")));
  });
  page(container,
    h("div", { class: "toolbar" }, h("p", { class: "hint" }, "Monitors run a query on a schedule; their triggers open alerts and notify channels."),
      h("a", { href: "#alerting/monitors/new", class: "button", id: "create-monitor" }, "Create monitor")),
    status,
    table(["Name", "Type", "State", "Schedule", "Last run", "Skipped runs", ""], rows, "No monitors yet."),
    result);
}

// The monitor JSON form (an extraction query, or any monitor type): the server validates it,
// and its refusal shows beside the form. Its triggers' preview runs the JSON as edited.
function jsonForm(title, text, save) {
  const status = h("div", { class: "status", id: "monitor-json-status" });
  const area = h("textarea", { id: "monitor-json", name: "monitor", rows: 24, spellcheck: "false" }, text);
  const preview = triggerPreview(() => {
    try { return JSON.parse(area.value); } catch (error) { throw new Error(`The JSON is not valid: ${error.message}`); }
  }, "monitor-json");
  area.addEventListener("input", preview.later);
  const submit = () => attempt(status, async () => {
    let body;
    try { body = JSON.parse(area.value); } catch (error) { throw new Error(`The JSON is not valid: ${error.message}`); }
    await save(body);
    location.hash = "#alerting/monitors";
  });
  const form = h("form", { class: "form wide", id: "monitor-json-form", onsubmit: (e) => { e.preventDefault(); submit(); } },
    h("h3", {}, title),
    field("Monitor JSON", area, "As POST _plugins/_alerting/monitors takes it (query-, bucket- or document-level)."),
    preview.element,
    h("div", { class: "buttons" }, h("button", { type: "submit", id: "save-monitor-json" }, "Save"),
      h("a", { href: "#alerting/monitors", class: "button secondary" }, "Cancel")),
    status);
  form.area = area;
  form.preview = preview;
  return form;
}

const EXAMPLE = {
  type: "monitor", monitor_type: "query_level_monitor", name: "errors in the last hour", enabled: true,
  schedule: { period: { interval: 10, unit: "MINUTES" } },
  inputs: [{ search: { indices: ["logs-*"], query: { size: 0, query: { bool: { filter: [
    { range: { "@timestamp": { gte: "{{period_end}}||-1h", lte: "{{period_end}}", format: "epoch_millis" } } },
    { match: { level: "error" } }] } } } } }],
  triggers: [{ query_level_trigger: { name: "some errors", severity: "2",
    condition: { script: { source: "ctx.results[0].hits.total.value > 0", lang: "painless" } }, actions: [] } }],
};

// A form (graph or extraction query) with its buttons: `save` stores what it builds; `extra`
// (buttons) only when creating.
function monitorForm(kind, title, built, save, extra = []) {
  const verb = extra.length ? "create" : "save";
  const status = h("div", { class: "status", id: `monitor-${kind}-status` });
  const submit = () => attempt(status, async () => {
    await save(built.monitor());
    location.hash = "#alerting/monitors";
  });
  const form = h("form", { class: "form wide", id: `monitor-${kind}-form`, onsubmit: (e) => { e.preventDefault(); submit(); } },
    h("h3", {}, title),
    built.fields,
    h("div", { class: "buttons" }, h("button", { type: "submit", id: `${verb}-${kind}-monitor` }, verb === "create" ? "Create" : "Save"),
      extra, h("a", { href: "#alerting/monitors", class: "button secondary" }, "Cancel")),
    status);
  form.status = status;
  return form;
}

async function renderNew(container) {
  const channels = await configs().catch(() => []);  // a user who may not read them: no channel
  const create = (body) => call("POST", MONITORS, body);
  const json = jsonForm("Create a monitor from JSON (any monitor type)", JSON.stringify(EXAMPLE, null, 2), create);
  const forms = {};
  const asJson = (kind, built) => h("button", { type: "button", class: "secondary", id: `${kind}-as-json`,
    onclick: () => attempt(forms[kind].status, async () => {
      json.area.value = JSON.stringify(built.monitor(), null, 2);
      json.scrollIntoView();
      json.preview.refresh();
    }) }, "Edit as JSON");
  const graph = graphForm(channels);
  const query = queryForm(channels);
  forms.graph = monitorForm("graph", "Create a monitor from a visual graph", graph, create, [asJson("graph", graph)]);
  forms.query = monitorForm("query", "Create a monitor from an extraction query", query, create, [asJson("query", query)]);
  forms.query.hidden = true;
  // Dashboards' "defining method": one form at a time.
  const method = h("fieldset", { class: "method", id: "monitor-method" }, h("legend", {}, "Defining method"),
    [["graph", "Visual graph"], ["query", "Extraction query"]].map(([value, label]) => h("label", { class: "inline" },
      h("input", { type: "radio", name: "method", value, id: `method-${value}`, checked: value === "graph", onchange: () => {
        forms.graph.hidden = value !== "graph";
        forms.query.hidden = value !== "query";
      } }), ` ${label}`)));
  page(container, method, forms.graph, forms.query, json);
}

// A graph monitor opens in the graph form, another query-level monitor in the extraction query
// form; every monitor also as JSON below.
async function renderEdit(container, id) {
  const found = await call("GET", `${MONITORS}/${enc(id)}`);
  const save = (body) => {
    const params = new URLSearchParams({ if_seq_no: found._seq_no, if_primary_term: found._primary_term });
    return call("PUT", `${MONITORS}/${enc(id)}?${params}`, body);
  };
  const json = jsonForm(`Edit monitor ${found.monitor.name} as JSON`, JSON.stringify(found.monitor, null, 2), save);
  const kind = isGraphMonitor(found.monitor) ? "graph" : isQueryMonitor(found.monitor) ? "query" : null;
  if (!kind) {
    page(container, json);
    json.preview.refresh();
    return;
  }
  const channels = await configs().catch(() => []);
  const built = kind === "graph" ? graphForm(channels, found.monitor) : queryForm(channels, found.monitor);
  page(container, monitorForm(kind, `Edit monitor ${found.monitor.name}`, built, save), json);
  built.preview.refresh();
}
