// The "visual graph" monitor form: a metric of a field over the last N minutes of an index
// pattern, compared with a threshold. It builds the monitor JSON as OpenSearch Dashboards does
// (ui_metadata.search with searchType "graph"); the server turns the graph into the query.

import { h } from "../lib.js";
import { field } from "../widgets.js";
import { SENDING } from "./channels.js";
import { triggerPreview } from "./preview.js";

const OPERATORS = { ABOVE: ">", BELOW: "<", EXACTLY: "==" };

const input = (name, attrs = {}) => h("input", { name, id: `graph-${name}`, ...attrs });
const choice = (name, options, value) => h("select", { name, id: `graph-${name}` },
  options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));

// The form's controls and `monitor()`, which reads them into a monitor (or throws the reason);
// `initial`, a stored graph monitor, fills them (its trigger and action ids are kept, so that
// its alerts stay its own). The trigger's preview runs the monitor as edited.
export function graphForm(channels, initial = null) {
  const controls = {
    name: input("name", { required: true }),
    indices: input("indices", { placeholder: "logs-*", required: true }),
    timeField: input("timeField", { value: "@timestamp" }),
    aggregation: choice("aggregation", ["max", "min", "avg", "sum", "count"].map((k) => [k, k === "count" ? "count of" : k]), "max"),
    fieldName: input("fieldName", { placeholder: "cpu" }),
    bucketValue: input("bucketValue", { type: "number", min: "1", value: "5" }),
    bucketUnit: choice("bucketUnit", [["m", "minutes"], ["h", "hours"], ["d", "days"]], "m"),
    interval: input("interval", { type: "number", min: "1", value: "1" }),
    triggerName: input("triggerName", { placeholder: "the metric is out of range" }),
    operator: choice("operator", Object.keys(OPERATORS).map((k) => [k, `is ${k.toLowerCase()}`]), "ABOVE"),
    threshold: input("threshold", { type: "number", step: "any", required: true }),
    severity: severityChoice("graph-severity"),
    channel: channelChoice("graph-channel", channels),
    message: messageArea("graph-message"),
  };
  const c = controls;
  if (initial) fill(c, initial);
  const preview = triggerPreview(() => monitor({ draft: true }), "graph");
  for (const control of Object.values(c)) {
    if (control !== c.channel && control !== c.message) control.addEventListener("input", preview.later);
  }
  const fields = [
    h("fieldset", { class: "monitor-part" }, h("legend", {}, "Query"),
      h("div", { class: "pair" }, field("Monitor name", c.name), field("Indices", c.indices, "Index names or patterns, separated by commas.")),
      h("div", { class: "pair" }, field("Time field", c.timeField), field("Run every (minutes)", c.interval)),
      h("div", { class: "field" }, h("span", { class: "label" }, "Metric"),
        h("div", { class: "row" }, c.aggregation, c.fieldName, h("span", {}, "for the last"), c.bucketValue, c.bucketUnit))),
    h("fieldset", { class: "monitor-part", id: "graph-trigger" }, h("legend", {}, "Trigger"),
      h("div", { class: "pair" }, field("Trigger name", c.triggerName), field("Severity", c.severity)),
      h("div", { class: "field" }, h("span", { class: "label" }, "Trigger condition"),
        h("div", { class: "row" }, h("span", {}, "when the metric"), c.operator, c.threshold)),
      preview.element,
      field("Notify channel", c.channel),
      field("Message", c.message, "A Mustache template over ctx (ctx.monitor.name, ctx.trigger.name, ctx.periodStart...).")),
  ];
  // A draft (the preview's) needs no name yet.
  const monitor = ({ draft = false } = {}) => {
    const name = c.name.value.trim() || (draft ? "preview" : "");
    const indices = c.indices.value.split(",").map((v) => v.trim()).filter(Boolean);
    if (!name) throw new Error("Enter a monitor name.");
    if (!indices.length) throw new Error("Enter at least one index or pattern.");
    if (c.aggregation.value !== "count" && !c.fieldName.value.trim()) throw new Error(`Enter the field whose ${c.aggregation.value} is watched.`);
    if (c.threshold.value === "" || !Number.isFinite(Number(c.threshold.value))) throw new Error("Enter the threshold, a number.");
    const triggerName = c.triggerName.value.trim() || `${name} ${c.operator.value.toLowerCase()} ${c.threshold.value}`;
    const threshold = Number(c.threshold.value);
    const kept = initialTrigger(initial);
    const actions = notifyActions(channels, c.channel.value, c.message.value, kept);
    // "count of" with no field counts the hits (Dashboards' ctx.results[0].hits.total.value).
    const counted = c.aggregation.value === "count" && !c.fieldName.value.trim();
    const value = counted ? "ctx.results[0].hits.total.value" : "ctx.results[0].aggregations.metric.value";
    return {
      type: "monitor", monitor_type: "query_level_monitor", name, enabled: initial ? initial.enabled !== false : true,
      schedule: { period: { interval: Number(c.interval.value) || 1, unit: "MINUTES" } },
      inputs: [{ search: { indices } }],
      ui_metadata: {
        schedule: { frequency: "interval", period: { interval: Number(c.interval.value) || 1, unit: "MINUTES" } },
        search: {
          searchType: "graph", timeField: c.timeField.value.trim() || "@timestamp",
          aggregations: counted ? [] : [{ aggregationType: c.aggregation.value, fieldName: c.fieldName.value.trim() }],
          groupBy: [], bucketValue: Number(c.bucketValue.value) || 1, bucketUnitOfTime: c.bucketUnit.value, where: {},
        },
        triggers: { [triggerName]: { value: threshold, enum: c.operator.value } },
      },
      triggers: [{ query_level_trigger: {
        ...(kept?.id ? { id: kept.id } : {}),
        name: triggerName, severity: c.severity.value,
        condition: { script: { source: `${value} ${OPERATORS[c.operator.value]} ${threshold}`, lang: "painless" } },
        actions,
      } }],
    };
  };
  return { fields, monitor, preview };
}

// Whether `monitor` is one this form edits: a query-level monitor defined by a visual graph.
export function isGraphMonitor(monitor) {
  return monitor.monitor_type === "query_level_monitor" && monitor.ui_metadata?.search?.searchType === "graph"
    && (monitor.triggers || []).length === 1;
}

// The controls a trigger of either form has: severity, the channel to notify, the message.
export function severityChoice(id, value = "1") {
  return h("select", { name: "severity", id }, ["1", "2", "3", "4", "5"].map((s) =>
    h("option", { value: s, selected: s === value }, `${s}${s === "1" ? " (highest)" : ""}`)));
}

export function channelChoice(id, channels, value = "") {
  return h("select", { name: "channel", id }, [["", "no notification"], ...channels.filter((c) => SENDING.has(c.config.config_type))
    .map((c) => [c.config_id, `${c.config.name} (${c.config.config_type})`])].map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

export function messageArea(id) {
  return h("textarea", { name: "message", id, rows: 3 },
    "Monitor {{ctx.monitor.name}} just entered alert status. Trigger: {{ctx.trigger.name}}, severity {{ctx.trigger.severity}}. Period: {{ctx.periodStart}} to {{ctx.periodEnd}}.");
}

// A trigger's actions: one notification of `channelId` (the stored action's id kept when it
// notified the same channel), or none.
export function notifyActions(channels, channelId, message, kept) {
  const channel = channels.find((x) => x.config_id === channelId);
  if (!channel) return [];
  const keptAction = (kept?.actions || []).find((a) => a.destination_id === channelId);
  return [{
    ...(keptAction ? { id: keptAction.id } : {}),
    name: `notify ${channel.config.name}`, destination_id: channel.config_id,
    subject_template: { source: "Alert: {{ctx.monitor.name}}", lang: "mustache" },
    message_template: { source: message, lang: "mustache" },
  }];
}

function initialTrigger(monitor) {
  return monitor ? Object.values(monitor.triggers?.[0] || {})[0] : null;
}

// The controls as a stored graph monitor sets them (its ui_metadata, trigger and action).
function fill(c, monitor) {
  const search = monitor.ui_metadata.search;
  const metric = search.aggregations?.[0] || { aggregationType: search.aggregationType || "count", fieldName: search.fieldName || "" };
  const trigger = initialTrigger(monitor) || {};
  const threshold = monitor.ui_metadata.triggers?.[trigger.name] || {};
  const action = (trigger.actions || [])[0];
  const period = monitor.schedule?.period;
  const set = (control, value) => { if (value !== undefined && value !== null) control.value = String(value); };
  set(c.name, monitor.name);
  set(c.indices, (monitor.inputs?.[0]?.search?.indices || []).join(", "));
  set(c.timeField, search.timeField);
  set(c.aggregation, metric.aggregationType);
  set(c.fieldName, typeof metric.fieldName === "string" ? metric.fieldName : metric.fieldName?.[0]?.label);
  set(c.bucketValue, search.bucketValue);
  set(c.bucketUnit, search.bucketUnitOfTime);
  const minutes = { MINUTES: 1, HOURS: 60, DAYS: 1440 }[period?.unit];
  if (minutes) set(c.interval, period.interval * minutes);
  set(c.triggerName, trigger.name);
  set(c.operator, threshold.enum);
  set(c.threshold, threshold.value);
  set(c.severity, trigger.severity);
  if (action) {
    set(c.channel, action.destination_id);
    set(c.message, action.message_template?.source);
  }
}
