// Action groups (_plugins/_security/api/actiongroups): the built-in ones, and custom ones to
// create, edit and delete.

import { call, h } from "../lib.js";
import { attempt, builtIn, chips, enc, field, kindBadge, list, notice, page, rowActions, shown, table } from "../widgets.js";

const GROUPS = "/_plugins/_security/api/actiongroups";

// #security/actiongroups, #security/actiongroups/new, #security/actiongroups/edit/<name>
export async function renderActionGroups(container, [mode, name]) {
  await shown(container, async () => {
    if (mode === "new" || mode === "edit") await renderForm(container, mode === "edit" ? name : null);
    else await renderList(container);
  });
}

async function renderList(container) {
  const groups = await call("GET", GROUPS);
  const status = h("div", { class: "status" });
  const rows = Object.entries(groups).sort(([a], [b]) => a.localeCompare(b)).map(([name, group]) => h("tr", { "data-group": name },
    h("td", {}, h("strong", {}, name)),
    h("td", {}, group.type || ""),
    h("td", {}, kindBadge(group)),
    h("td", {}, list(group.allowed_actions)),
    h("td", {}, group.description || ""),
    h("td", { class: "actions" }, builtIn(group) ? null : rowActions(status, `#security/actiongroups/edit/${enc(name)}`, `the action group ${name}`,
      `${GROUPS}/${enc(name)}`, () => renderList(container)))));
  page(container,
    h("div", { class: "toolbar" }, h("p", { class: "hint" }, "Named sets of actions, usable in roles wherever an action is."),
      h("a", { href: "#security/actiongroups/new", class: "button", id: "create-group" }, "Create action group")),
    status,
    table(["Name", "Type", "", "Allowed actions", "Description", ""], rows));
}

async function renderForm(container, name) {
  const groups = await call("GET", GROUPS);
  const group = groups[name] || { allowed_actions: [], type: "index" };
  if (name && builtIn(group)) {
    page(container, notice(`The action group ${name} is built in and read-only.`, "info"));
    return;
  }
  const status = h("div", { class: "status" });
  const groupName = h("input", { name: "name", value: name || "", readOnly: Boolean(name), required: true });
  const type = h("select", { name: "type" }, ["index", "cluster"].map((t) => h("option", { value: t, selected: group.type === t }, t)));
  const actions = chips("allowed_actions", group.allowed_actions, Object.keys(groups).sort(), "action or action group");
  const description = h("input", { name: "description", value: group.description || "" });
  const save = () => attempt(status, async () => {
    const target = name || groupName.value.trim();
    if (!target) throw new Error("Enter a name.");
    const body = { allowed_actions: actions.values(), type: type.value };
    if (description.value) body.description = description.value;
    await call("PUT", `${GROUPS}/${enc(target)}`, body);
    location.hash = "#security/actiongroups";
  });
  page(container, h("form", { class: "form", id: "group-form", onsubmit: (e) => { e.preventDefault(); save(); } },
    h("h3", {}, name ? `Edit action group ${name}` : "Create action group"),
    field("Name", groupName), field("Type", type), field("Allowed actions", actions), field("Description", description),
    h("div", { class: "buttons" }, h("button", { type: "submit", id: "save-group" }, name ? "Save" : "Create"),
      h("a", { href: "#security/actiongroups", class: "button secondary" }, "Cancel")),
    status));
}
