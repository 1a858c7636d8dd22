// Operations, in tabs: Node (the live figures of _nodes/stats), Metrics (the stored metrics
// history, .loghaven-metrics-*, charted over a time range), Alarms (the recommended alarms and
// whether their monitors match), Reports (scheduled reports, _plugins/_reports) and Logs (the
// error and slow logs, .loghaven-logs-*). Every tab calls the REST API itself with the session
// cookie; a refusal shows the server's reason, and an API or index that is not there yet shows
// what to do next (states.js).

import { $, h } from "../lib.js";
import { shown } from "../widgets.js";
import { renderAlarms } from "./alarms.js";
import { renderLogs } from "./logs.js";
import { renderMetrics } from "./metrics.js";
import { renderNode } from "./node.js";
import { renderReports } from "./reports.js";

// The tabs, in order, each {id, label, render(container, args, params)}.
const TABS = [
  { id: "node", label: "Node", render: renderNode },
  { id: "metrics", label: "Metrics", render: renderMetrics },
  { id: "alarms", label: "Alarms", render: renderAlarms },
  { id: "reports", label: "Reports", render: renderReports },
  { id: "logs", label: "Logs", render: renderLogs },
];

function shell(section) {
  let nav = $("#operations-nav", section);
  if (!nav) {
    nav = h("nav", { id: "operations-nav", class: "tabs", "aria-label": "Operations" },
      TABS.map((tab) => h("a", { href: `#operations/${tab.id}`, "data-page": tab.id }, tab.label)));
    section.replaceChildren(h("h2", {}, "Operations"), nav, h("div", { id: "operations-page" }));
  }
  return nav;
}

// #operations/<tab>/<args...>?<params>; #operations alone is the Node tab.
export async function showOperations([name, ...args] = [], params = {}) {
  const nav = shell($("section#operations"));
  const tab = TABS.find((t) => t.id === name) || TABS[0];
  for (const link of nav.querySelectorAll("a")) {
    link.classList.toggle("active", link.dataset.page === tab.id);
    if (link.dataset.page === tab.id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const page = $("#operations-page");
  await shown(page, () => tab.render(page, args, params));
}
