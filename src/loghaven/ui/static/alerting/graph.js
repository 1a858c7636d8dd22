// The "visual graph" monitor form: a metric of a field over the last N minutes of an index
// pattern, compared with a threshold. It builds the monitor JSON as OpenSearch Dashboards does
// (ui_metadata.search with searchType "graph"); the server turns the graph into the query.

import { h } from "../lib.js";
import { field } from "../widgets.js";
import { SENDING } from "./channels.js";

const OPERATORS = { ABOVE: ">", BELOW: "<", EXACTLY: "==" };

const input = (name, attrs = {}) => h("input", { name, id: `graph-${name}`, ...attrs });
const choice = (name, options, value) => h("select", { name, id: `graph-${name}` },
  options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));

// The form's controls and `monitor()`, which reads them into a monitor (or throws the reason).
export function graphForm(channels) {
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
    severity: choice("severity", ["1", "2", "3", "4", "5"].map((s) => [s, `${s}${s === "1" ? " (highest)" : ""}`]), "1"),
    channel: choice("channel", [["", "no notification"], ...channels.filter((c) => SENDING.has(c.config.config_type))
      .map((c) => [c.config_id, `${c.config.name} (${c.config.config_type})`])], ""),
    message: h("textarea", { name: "message", id: "graph-message", rows: 3 },
      "Monitor {{ctx.monitor.name}} just entered alert status. Trigger: {{ctx.trigger.name}}, severity {{ctx.trigger.severity}}. Period: {{ctx.periodStart}} to {{ctx.periodEnd}}."),
  };
  const c = controls;
  const fields = [
    field("Monitor name", c.name),
    field("Indices", c.indices, "Index names or patterns, separated by commas."),
    field("Time field", c.timeField),
    h("div", { class: "field" }, h("span", { class: "label" }, "Metric"),
      h("div", { class: "row" }, c.aggregation, c.fieldName, h("span", {}, "for the last"), c.bucketValue, c.bucketUnit)),
    field("Run every (minutes)", c.interval),
    field("Trigger name", c.triggerName),
    h("div", { class: "field" }, h("span", { class: "label" }, "Trigger condition"),
      h("div", { class: "row" }, h("span", {}, "when the metric"), c.operator, c.threshold)),
    field("Severity", c.severity),
    field("Notify channel", c.channel),
    field("Message", c.message, "A Mustache template over ctx (ctx.monitor.name, ctx.trigger.name, ctx.periodStart...)."),
  ];
  const monitor = () => {
    const name = c.name.value.trim();
    const indices = c.indices.value.split(",").map((v) => v.trim()).filter(Boolean);
    if (!name) throw new Error("Enter a monitor name.");
    if (!indices.length) throw new Error("Enter at least one index or pattern.");
    if (c.aggregation.value !== "count" && !c.fieldName.value.trim()) throw new Error(`Enter the field whose ${c.aggregation.value} is watched.`);
    if (c.threshold.value === "" || !Number.isFinite(Number(c.threshold.value))) throw new Error("Enter the threshold, a number.");
    const triggerName = c.triggerName.value.trim() || `${name} ${c.operator.value.toLowerCase()} ${c.threshold.value}`;
    const threshold = Number(c.threshold.value);
    const channel = channels.find((x) => x.config_id === c.channel.value);
    const actions = channel ? [{
      name: `notify ${channel.config.name}`, destination_id: channel.config_id,
      subject_template: { source: "Alert: {{ctx.monitor.name}}", lang: "mustache" },
      message_template: { source: c.message.value, lang: "mustache" },
    }] : [];
    return {
      type: "monitor", monitor_type: "query_level_monitor", name, enabled: true,
      schedule: { period: { interval: Number(c.interval.value) || 1, unit: "MINUTES" } },
      inputs: [{ search: { indices } }],
      ui_metadata: {
        schedule: { frequency: "interval", period: { interval: Number(c.interval.value) || 1, unit: "MINUTES" } },
        search: {
          searchType: "graph", timeField: c.timeField.value.trim() || "@timestamp",
          aggregations: [{ aggregationType: c.aggregation.value, fieldName: c.fieldName.value.trim() }],
          groupBy: [], bucketValue: Number(c.bucketValue.value) || 1, bucketUnitOfTime: c.bucketUnit.value, where: {},
        },
        triggers: { [triggerName]: { value: threshold, enum: c.operator.value } },
      },
      triggers: [{ query_level_trigger: {
        name: triggerName, severity: c.severity.value,
        condition: { script: { source: `ctx.results[0].aggregations.metric.value ${OPERATORS[c.operator.value]} ${threshold}`, lang: "painless" } },
        actions,
      } }],
    };
  };
  return { fields, monitor };
}
