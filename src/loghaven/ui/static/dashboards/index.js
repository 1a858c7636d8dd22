// Dashboards: the list (#dashboards), a dashboard (#dashboards/view/<id>) and a new one
// (#dashboards/create), as in OpenSearch Dashboards.

import { $, h } from "../lib.js";
import { deleteObject, findObjects } from "../savedobjects.js";
import { attempt, page, table } from "../widgets.js";
import { leaveDashboard, showDashboard } from "./view.js";

export function showDashboards([action, id], params) {
  const root = $("#dashboards");
  if (action === "view" && id) return showDashboard(root, id, params);
  if (action === "create") return showDashboard(root, null, params);
  leaveDashboard();
  return showList(root);
}

function showList(root) {
  const status = h("div", { id: "dashboard-list-status", "aria-live": "polite" });
  const search = h("input", { type: "search", id: "dashboard-search", placeholder: "Search by title", "aria-label": "Search dashboards by title" });
  const body = h("div", { id: "dashboard-list" });
  const load = () => attempt(status, async () => {
    const text = search.value.trim();
    const found = await findObjects("dashboard", { search: text ? `${text}*` : "", perPage: 1000, searchFields: ["title^3", "description"], operator: "AND" });
    const rows = found.saved_objects
      .sort((a, b) => String(a.attributes.title).localeCompare(String(b.attributes.title)))
      .map((object) => h("tr", { "data-id": object.id },
        h("td", {}, h("a", { href: `#dashboards/view/${encodeURIComponent(object.id)}` }, object.attributes.title || object.id)),
        h("td", { class: "muted" }, object.attributes.description || ""),
        h("td", { class: "muted" }, object.updated_at ? new Date(object.updated_at).toLocaleString() : ""),
        h("td", { class: "actions" }, h("button", { type: "button", class: "danger small", "aria-label": `Delete ${object.attributes.title}`, onclick: () => attempt(status, async () => {
          if (!confirm(`Delete the dashboard "${object.attributes.title}"? Its panels' visualizations stay.`)) return;
          await deleteObject("dashboard", object.id);
          await load();
        }) }, "Delete"))));
    body.replaceChildren(table(["Title", "Description", "Updated", ""], rows,
      text ? `No dashboard matches "${text}".` : "No dashboards yet: create one, or import one in Saved objects → Saved objects."));
  });
  let timer = null;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  page(root,
    h("div", { class: "toolbar" }, h("h2", {}, "Dashboards"),
      h("a", { href: "#dashboards/create", class: "button", id: "create-dashboard" }, "Create dashboard")),
    h("div", { class: "toolbar" }, search),
    status, body);
  return load();
}
