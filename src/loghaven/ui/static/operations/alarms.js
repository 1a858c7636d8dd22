// Operations → Alarms: the recommended alarms (GET /_plugins/_loghaven/alarms), each an
// alerting monitor over the metrics history: its definition (statistic, period, evaluation
// periods, comparison, threshold), whether its monitor matches ("ok", "missing", "mismatch"
// with the differences), the monitor's state, and a link to the monitor in Alerting.
// "Enable recommended alarms" (POST …/alarms/_enable) creates the missing ones and updates the
// mismatched ones, optionally notifying a channel.

import { call, h } from "../lib.js";
import { configs } from "../alerting/channels.js";
import { attempt, badge, enc, notice, page, table } from "../widgets.js";
import { emptyState, noSuchApi } from "./states.js";

const ALARMS = "/_plugins/_loghaven/alarms";
const COMPARISONS = {
  LessThanOrEqualToThreshold: "≤", LessThanThreshold: "<", GreaterThanOrEqualToThreshold: "≥", GreaterThanThreshold: ">",
};
const STATUS_KIND = { ok: "on", missing: "failed", mismatch: "reserved" };
const STATE_KIND = { OK: "on", ALARM: "failed", INSUFFICIENT_DATA: "off" };

// A definition's value as written: numbers with separators, other values (channels, a
// schedule) as JSON.
function number(value) {
  if (typeof value === "number") return value.toLocaleString("en", { maximumFractionDigits: 2 });
  return typeof value === "string" ? value : JSON.stringify(value);
}

// "Minimum FreeStorageSpace ≤ 2,048 for 1 × 60 s"
function definition(alarm) {
  return `${alarm.statistic} ${alarm.metric} ${COMPARISONS[alarm.comparison] || alarm.comparison} ${number(alarm.threshold)}` +
    ` for ${alarm.evaluation_periods} × ${alarm.period_seconds} s`;
}

function differences(alarm) {
  if (alarm.status === "missing") return h("span", { class: "muted" }, "no monitor with this name");
  if (!alarm.differences?.length) return h("span", { class: "muted" }, "definition matches");
  return h("ul", { class: "plain" }, alarm.differences.map((d) =>
    h("li", { "data-field": d.field }, `${d.field} does not match: should be ${number(d.expected)}; is ${number(d.actual)}`)));
}

function alarmRow(alarm) {
  return h("tr", { "data-alarm": alarm.name, "data-status": alarm.status },
    h("td", {}, alarm.monitor_id
      ? h("a", { href: `#alerting/monitors/edit/${enc(alarm.monitor_id)}`, title: "Open the monitor in Alerting" }, alarm.name)
      : alarm.name, alarm.description ? h("div", { class: "muted" }, alarm.description) : null),
    h("td", {}, badge(alarm.severity)),
    h("td", {}, definition(alarm)),
    h("td", { class: "alarm-status" }, badge(alarm.status, STATUS_KIND[alarm.status] || "")),
    h("td", { class: "alarm-differences" }, differences(alarm)),
    h("td", { class: "alarm-state" }, alarm.state ? badge(alarm.state, STATE_KIND[alarm.state] || "") : h("span", { class: "muted" }, "—")));
}

function counts(alarms) {
  const by = (status) => alarms.filter((a) => a.status === status).length;
  return `${by("ok")} ok, ${by("missing")} missing, ${by("mismatch")} not matching their definition; ` +
    `${alarms.filter((a) => a.state === "ALARM").length} in ALARM.`;
}

// The channel choice for the monitors' notifications, or null when channels cannot be read.
async function channelChoice() {
  try {
    const channels = await configs();
    return h("label", { class: "inline" }, "Notify ",
      h("select", { id: "alarms-channel", name: "channel_id" },
        h("option", { value: "" }, "as configured"),
        channels.map(({ config_id: id, config }) => h("option", { value: id }, config.name))));
  } catch {
    return null;
  }
}

function enabledSummary(answer) {
  const part = (label, names) => `${label} ${names.length}${names.length ? ` (${names.join(", ")})` : ""}`;
  return `${part("Created", answer.created || [])}; ${part("updated", answer.updated || [])}; ${(answer.unchanged || []).length} unchanged.`;
}

// #operations/alarms
export async function renderAlarms(container, _args, _params, done = null) {
  const status = h("div", { class: "status", id: "alarms-status", "aria-live": "polite" });
  page(container, status);
  let answer;
  try {
    answer = await call("GET", ALARMS);
  } catch (error) {
    if (!noSuchApi(error)) throw error;  // a refusal: index.js shows the server's reason
    page(container, emptyState("alarms-empty", "This server has no alarms API (GET /_plugins/_loghaven/alarms).",
      "Recommended alarms come with a Loghaven version that keeps the metrics history; until then, create monitors over the metrics yourself in Alerting → Monitors."));
    return;
  }
  const alarms = answer.alarms || [];
  const channel = await channelChoice();
  const enable = h("button", { type: "button", id: "alarms-enable", onclick: () => attempt(status, async () => {
    enable.disabled = true;
    try {
      const id = channel?.querySelector("select").value;
      const result = await call("POST", `${ALARMS}/_enable`, id ? { channel_id: id } : undefined);
      await renderAlarms(container, [], {}, notice(enabledSummary(result), "success"));
    } finally {
      enable.disabled = false;
    }
  }) }, "Enable recommended alarms");
  const needed = alarms.some((a) => a.status !== "ok");
  page(container,
    h("p", { class: "hint" }, "The recommended alarms for this node, each an alerting monitor over the metrics history (.loghaven-metrics-*), notifying through the channels. ",
      answer.enabled ? "ops.alarms.enabled is on: the server creates and updates them at start." : "ops.alarms.enabled is off: enable them here, with `loghaven check --fix`, or with that setting."),
    h("div", { class: "toolbar" }, h("p", { class: "hint grow", id: "alarms-summary" }, alarms.length ? counts(alarms) : ""),
      channel, enable),
    status, done,
    alarms.length
      ? h("div", { class: "table-scroll" }, table(["Alarm", "Severity", "Definition", "Status", "Differences", "State"], alarms.map(alarmRow)))
      : emptyState("alarms-empty", "No recommended alarms are defined for this node.", "The definitions come from the metrics the node records; see the Metrics tab."),
    needed ? h("p", { class: "muted" }, "Missing and mismatched alarms are created or updated by Enable recommended alarms; existing monitors are never duplicated.") : null);
}
