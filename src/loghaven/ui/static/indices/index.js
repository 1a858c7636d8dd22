// Index management, as OpenSearch Dashboards' Index Management plugin offers it: indices
// (docs, size, tier, health; create, delete, refresh, flush, open/close, a detail page),
// templates (composable, legacy, component) and aliases. Every page calls the REST API itself
// with the session cookie; what a user may not do is refused there, and the page shows the
// server's reason.

import { $, h } from "../lib.js";
import { renderAliases } from "./aliases.js";
import { renderIndex } from "./detail.js";
import { renderIndices } from "./list.js";
import { renderTemplates } from "./templates.js";

// The section's tabs, in order. Issue 19 (warm tier, ISM, snapshots) plugs in here: a
// "Lifecycle policies" tab (_plugins/_ism/policies) and a "Snapshots" tab (_snapshot), each
// one more entry {id, label, render(container, args, params)}; tiers: see tierOf in list.js.
const TABS = [
  { id: "indices", label: "Indices", render: renderIndices },
  { id: "templates", label: "Templates", render: renderTemplates },
  { id: "aliases", label: "Aliases", render: renderAliases },
];
// Routes that are pages of a tab: #indices/index/<name> is under Indices.
const UNDER = { index: { tab: "indices", render: renderIndex } };

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
