// Alerting → Alerts: the alerts of every monitor (GET _plugins/_alerting/monitors/alerts),
// filtered by state and severity, counted in a bar chart, acknowledged one by one.

import { call, h } from "../lib.js";
import { attempt, badge, bars, enc, page, shown, table } from "../widgets.js";
import { clipped, when } from "./format.js";

const ALERTS = "/_plugins/_alerting/monitors/alerts";
const STATES = ["ACTIVE", "ACKNOWLEDGED", "COMPLETED", "ERROR", "DELETED"];
const SEVERITIES = ["1", "2", "3", "4", "5"];
const STATE_KIND = { ACTIVE: "active", ACKNOWLEDGED: "acknowledged", COMPLETED: "on", ERROR: "failed", DELETED: "off" };

// The choices persist while the UI is open.
const filters = { alertState: "ALL", severityLevel: "ALL", chartBy: "state" };

function query(extra) {
  const params = new URLSearchParams(extra);
  for (const name of ["alertState", "severityLevel"]) {
    if (filters[name] !== "ALL" && !params.has(name)) params.set(name, filters[name]);
  }
  return `${ALERTS}?${params}`;
}

// The number of alerts per state (or severity) under the other filter: totalAlerts of
// listings of size 0, so the counts are exact however many alerts there are.
async function counts() {
  const [name, values] = filters.chartBy === "state" ? ["alertState", STATES] : ["severityLevel", SEVERITIES];
  const other = name === "alertState" ? "severityLevel" : "alertState";
  return Promise.all(values.map(async (value) => {
    const params = { size: "0", [name]: value };
    if (filters[other] !== "ALL") params[other] = filters[other];
    const answer = await call("GET", `${ALERTS}?${new URLSearchParams(params)}`);
    return [filters.chartBy === "state" ? value : `severity ${value}`, answer.totalAlerts];
  }));
}

async function acknowledge(alert) {
  const answer = await call("POST", `/_plugins/_alerting/monitors/${enc(alert.monitor_id)}/_acknowledge/alerts`, { alerts: [alert.id] });
  const failed = (answer.failed || []).map((entry) => Object.values(entry)[0]?.failed_reason).filter(Boolean);
  if (failed.length) throw new Error(failed.join("; "));
}

function rows(alerts, status, refresh) {
  return alerts.map((alert) => h("tr", { "data-alert": alert.id, "data-state": alert.state },
    h("td", {}, h("a", { href: `#alerting/monitors/edit/${enc(alert.monitor_id)}` }, alert.monitor_name)),
    h("td", {}, alert.trigger_name),
    h("td", { class: "severity" }, alert.severity),
    h("td", { class: "state" }, badge(alert.state, STATE_KIND[alert.state] || "")),
    h("td", {}, when(alert.start_time)),
    h("td", {}, when(alert.last_notification_time)),
    h("td", { class: "error" }, clipped(alert.error_message)),
    h("td", { class: "actions" }, alert.state === "ACTIVE"
      ? h("button", { type: "button", class: "secondary small", onclick: () => attempt(status, async () => {
        await acknowledge(alert);
        await refresh();
      }) }, "Acknowledge") : null)));
}

function select(id, name, options, refresh) {
  return h("select", { id, onchange: (event) => { filters[name] = event.target.value; attempt(refresh.status, refresh); } },
    options.map(([value, label]) => h("option", { value, selected: filters[name] === value }, label)));
}

// #alerting/alerts
export async function renderAlerts(container) {
  await shown(container, async () => {
    const status = h("div", { class: "status" });
    const chart = h("div", { class: "bar-chart", id: "alerts-chart", "aria-label": "alerts by state or severity" });
    const listing = h("div", { id: "alerts-list" });
    const load = async () => {
      const [answer, chartRows] = await Promise.all([call("GET", query({ size: "100", sortString: "start_time", sortOrder: "desc" })), counts()]);
      chart.replaceChildren(...bars(chartRows));
      const shownCount = answer.alerts.length < answer.totalAlerts ? ` (the latest ${answer.alerts.length} of ${answer.totalAlerts})` : "";
      listing.replaceChildren(
        table(["Monitor", "Trigger", "Severity", "State", "Start time", "Last notification", "Error", ""], rows(answer.alerts, status, load), "No alerts."),
        h("p", { class: "hint", hidden: !shownCount }, shownCount));
    };
    load.status = status;
    await load();  // a refusal (e.g. 403) replaces the page with its reason
    page(container,
      h("div", { class: "toolbar" },
        h("p", { class: "hint" }, "Alerts of every monitor: acknowledge an active alert to stop its notifications."),
        h("label", { class: "inline" }, "State ", select("alerts-state", "alertState", [["ALL", "All"], ...STATES.map((s) => [s, s])], load)),
        h("label", { class: "inline" }, "Severity ", select("alerts-severity", "severityLevel", [["ALL", "All"], ...SEVERITIES.map((s) => [s, s])], load)),
        h("button", { type: "button", class: "secondary small", onclick: () => attempt(status, load) }, "Refresh")),
      h("div", { class: "chart-box" },
        h("div", { class: "toolbar" }, h("h3", {}, "Alerts by"), h("label", { class: "inline" },
          select("alerts-chart-by", "chartBy", [["state", "state"], ["severity", "severity"]], load))),
        chart),
      status, listing);
  });
}
