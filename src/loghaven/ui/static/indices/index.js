// Index management, as OpenSearch Dashboards' Index Management plugin offers it: indices
// (docs, size, tier, health; create, delete, refresh, flush, open/close, a detail page; moves
// to the warm tier and back), lifecycle policies (ISM) with their managed indices, snapshots
// (repositories, snapshots, snapshot policies), templates (composable, legacy, component) and
// aliases. Every page calls the REST API itself
// with the session cookie; what a user may not do is refused there, and the page shows the
// server's reason.

import { $, h } from "../lib.js";
import { renderAliases } from "./aliases.js";
import { renderIndex } from "./detail.js";
import { renderIndices } from "./list.js";
import { renderPolicies } from "./policies.js";
import { renderSnapshots } from "./snapshots.js";
import { renderTemplates } from "./templates.js";
import { renderMigrations } from "./tiers.js";

// The section's tabs, in order, each {id, label, render(container, args, params)}.
const TABS = [
  { id: "indices", label: "Indices", render: renderIndices },
  { id: "policies", label: "Lifecycle policies", render: renderPolicies },
  { id: "snapshots", label: "Snapshots", render: renderSnapshots },
  { id: "templates", label: "Templates", render: renderTemplates },
  { id: "aliases", label: "Aliases", render: renderAliases },
];
// Routes that are pages of a tab: #indices/index/<name> and #indices/migrations are under
// Indices.
const UNDER = { index: { tab: "indices", render: renderIndex }, migrations: { tab: "indices", render: renderMigrations } };

function shell(section) {
  let nav = $("#indices-nav", section);
  if (!nav) {
    nav = h("nav", { id: "indices-nav", class: "tabs", "aria-label": "Index management" },
      TABS.map((tab) => h("a", { href: `#indices/${tab.id}`, "data-page": tab.id }, tab.label)));
    section.replaceChildren(h("h2", {}, "Index management"), nav, h("div", { id: "indices-page" }));
  }
  return nav;
}

// #indices/<tab>/<args...>?<params>, #indices/index/<name>
export async function showIndices([name, ...args] = [], params = {}) {
  const section = $("section#indices");
  const nav = shell(section);
  const under = UNDER[name];
  const tab = under ? TABS.find((t) => t.id === under.tab) : TABS.find((t) => t.id === name) || TABS[0];
  for (const link of nav.querySelectorAll("a")) link.classList.toggle("active", link.dataset.page === tab.id);
  await (under?.render || tab.render)($("#indices-page"), args, params);
}
