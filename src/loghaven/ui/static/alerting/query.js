// The "extraction query" monitor form, as OpenSearch Dashboards' extraction query editor: the
// indices, the search request (JSON, with {{period_end}} and the other Mustache values the
// monitor fills in) and up to 10 triggers, each a Painless condition over ctx.results with its
// severity and channel; the preview shows what each condition reads now and its verdict.

import { h } from "../lib.js";
import { field } from "../widgets.js";
import { channelChoice, messageArea, notifyActions, severityChoice } from "./graph.js";
import { triggerPreview } from "./preview.js";

const MAX_TRIGGERS = 10;  // the plugin's MONITOR_MAX_TRIGGERS
const QUERY = {
  size: 0,
  query: { bool: { filter: [{ range: { "@timestamp": { gte: "{{period_end}}||-1h", lte: "{{period_end}}", format: "epoch_millis" } } }] } },
};
const CONDITION = "ctx.results[0].hits.total.value > 0";

// Whether `monitor` is one this form edits: a query-level monitor over a search input.
export function isQueryMonitor(monitor) {
  return monitor.monitor_type === "query_level_monitor" && Boolean(monitor.inputs?.[0]?.search)
    && monitor.ui_metadata?.search?.searchType !== "graph";
}

// {fields, monitor({draft}), preview}; `initial`, a stored monitor, fills the form (trigger and
// action ids kept, so that its alerts stay its own).
export function queryForm(channels, initial = null) {
  const search = initial?.inputs?.[0]?.search;
  const period = initial?.schedule?.period;
  const minutes = { MINUTES: 1, HOURS: 60, DAYS: 1440 }[period?.unit];
  const name = h("input", { name: "name", id: "query-name", required: true, value: initial?.name ?? "" });
  const indices = h("input", { name: "indices", id: "query-indices", placeholder: "logs-*", value: (search?.indices || []).join(", ") });
  const interval = h("input", { name: "interval", id: "query-interval", type: "number", min: "1", value: String(minutes ? period.interval * minutes : 10) });
  const query = h("textarea", { name: "query", id: "query-body", rows: 12, spellcheck: "false" }, JSON.stringify(search?.query ?? QUERY, null, 2));
  const list = h("div", { class: "query-triggers" });
  const add = h("button", { type: "button", class: "secondary small", id: "query-add-trigger", onclick: () => { addTrigger(); preview.later(); } }, "Add trigger");
  const editors = [];
  let made = 0;

  function addTrigger(trigger = null) {
    const n = made++;
    const action = (trigger?.actions || [])[0];
    const controls = {
      name: h("input", { name: "trigger-name", id: `query-trigger-name-${n}`, value: trigger?.name ?? `trigger ${editors.length + 1}` }),
      severity: severityChoice(`query-trigger-severity-${n}`, trigger?.severity),
      condition: h("textarea", { name: "condition", id: `query-trigger-condition-${n}`, rows: 3, spellcheck: "false", class: "condition" },
        trigger?.condition?.script?.source ?? CONDITION),
      channel: channelChoice(`query-trigger-channel-${n}`, channels, action?.destination_id),
      message: messageArea(`query-trigger-message-${n}`),
    };
    if (action?.message_template?.source) controls.message.value = action.message_template.source;
    for (const control of [controls.name, controls.condition]) control.addEventListener("input", preview.later);
    const editor = { controls, kept: trigger };
    editor.element = h("fieldset", { class: "monitor-part query-trigger", "data-trigger": n }, h("legend", {}, "Trigger"),
      h("div", { class: "pair" }, field("Trigger name", controls.name), field("Severity", controls.severity)),
      field("Trigger condition", controls.condition, "Painless over ctx.results (the query's responses), ctx.periodStart and ctx.periodEnd; true opens an alert."),
      h("div", { class: "pair" }, field("Notify channel", controls.channel), field("Message", controls.message)),
      h("button", { type: "button", class: "danger small", onclick: () => {
        editors.splice(editors.indexOf(editor), 1);
        editor.element.remove();
        add.disabled = false;
        preview.later();
      } }, "Remove trigger"));
    editors.push(editor);
    list.append(editor.element);
    add.disabled = editors.length >= MAX_TRIGGERS;
  }

  const monitor = ({ draft = false } = {}) => {
    const chosen = name.value.trim() || (draft ? "preview" : "");
    if (!chosen) throw new Error("Enter a monitor name.");
    const names = indices.value.split(",").map((v) => v.trim()).filter(Boolean);
    if (!names.length) throw new Error("Enter at least one index or pattern.");
    let request;
    try { request = JSON.parse(query.value); } catch (error) { throw new Error(`The extraction query is not valid JSON: ${error.message}`); }
    const every = Number(interval.value) || 1;
    return {
      type: "monitor", monitor_type: "query_level_monitor", name: chosen, enabled: initial ? initial.enabled !== false : true,
      schedule: { period: { interval: every, unit: "MINUTES" } },
      inputs: [{ search: { indices: names, query: request } }],
      ui_metadata: { ...(initial?.ui_metadata || {}), search: { searchType: "query" } },
      triggers: editors.map(({ controls: c, kept }, n) => ({ query_level_trigger: {
        ...(kept?.id ? { id: kept.id } : {}),
        name: c.name.value.trim() || `trigger ${n + 1}`, severity: c.severity.value,
        condition: { script: { source: c.condition.value, lang: "painless" } },
        actions: actionsOf(c, kept),
      } })),
    };
  };
  // The stored actions while the channel stays (its message as edited), else a new one.
  function actionsOf(c, kept) {
    const [first, ...others] = kept?.actions || [];
    if (!first || c.channel.value !== first.destination_id) return notifyActions(channels, c.channel.value, c.message.value, kept);
    return [{ ...first, message_template: { ...first.message_template, source: c.message.value } }, ...others];
  }
  const preview = triggerPreview(() => monitor({ draft: true }), "query");
  for (const control of [indices, query]) control.addEventListener("input", preview.later);
  for (const trigger of (initial?.triggers || []).map((t) => Object.values(t)[0])) addTrigger(trigger);
  if (!editors.length) addTrigger();

  const fields = [
    h("fieldset", { class: "monitor-part" }, h("legend", {}, "Query"),
      h("div", { class: "pair" }, field("Monitor name", name), field("Indices", indices, "Index names or patterns, separated by commas.")),
      field("Run every (minutes)", interval),
      field("Extraction query", query, "The search request body, as _search takes it; {{period_end}} is the run's time (epoch milliseconds).")),
    list,
    h("div", { class: "row" }, add),
    preview.element,
  ];
  return { fields, monitor, preview };
}
