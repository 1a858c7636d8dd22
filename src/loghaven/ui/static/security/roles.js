// Roles (_plugins/_security/api/roles): list, view, create and edit (cluster permissions,
// index permissions with DLS, FLS and masked fields), delete. Built-in roles are read-only.

import { call, h } from "../lib.js";
import { attempt, builtIn, chips, enc, field, kindBadge, list, notice, page, rowActions, shown, table } from "../widgets.js";

const ROLES = "/_plugins/_security/api/roles";
const GROUPS = "/_plugins/_security/api/actiongroups";
const MAPPINGS = "/_plugins/_security/api/rolesmapping";

// #security/roles, #security/roles/view/<name>, #security/roles/edit/<name>, #security/roles/new
export async function renderRoles(container, [mode, name]) {
  await shown(container, async () => {
    if (mode === "view") await renderView(container, name);
    else if (mode === "new" || mode === "edit") await renderForm(container, mode === "edit" ? name : null);
    else await renderList(container);
  });
}

async function renderList(container) {
  const roles = await call("GET", ROLES);
  const status = h("div", { class: "status" });
  const rows = Object.entries(roles).sort(([a], [b]) => a.localeCompare(b)).map(([name, role]) => h("tr", { "data-role": name },
    h("td", {}, h("a", { href: `#security/roles/view/${enc(name)}` }, name)),
    h("td", {}, kindBadge(role)),
    h("td", {}, list(role.cluster_permissions)),
    h("td", {}, list(role.index_permissions.flatMap((p) => p.index_patterns))),
    h("td", { class: "actions" }, builtIn(role) ? null : rowActions(status, `#security/roles/edit/${enc(name)}`, `the role ${name}`,
      `${ROLES}/${enc(name)}`, () => renderList(container)))));
  page(container,
    h("div", { class: "toolbar" }, h("p", { class: "hint" }, "Roles grant cluster and index permissions; built-in ones are read-only."),
      h("a", { href: "#security/roles/new", class: "button", id: "create-role" }, "Create role")),
    status,
    table(["Role", "Type", "Cluster permissions", "Index patterns", ""], rows));
}

function fls(values) {
  const exclude = values.filter((f) => f.startsWith("~")).map((f) => f.slice(1));
  return exclude.length ? `exclude ${exclude.join(", ")}` : values.length ? `include ${values.join(", ")}` : null;
}

async function renderView(container, name) {
  const [found, mappings] = await Promise.all([call("GET", `${ROLES}/${enc(name)}`), call("GET", MAPPINGS).catch(() => ({}))]);
  const role = found[name];
  const mapping = mappings[name] || {};
  const permissions = role.index_permissions.map((p) => h("tr", {},
    h("td", {}, list(p.index_patterns)), h("td", {}, list(p.allowed_actions)),
    h("td", {}, p.dls ? h("code", {}, p.dls) : list([])), h("td", {}, fls(p.fls || []) || list([])),
    h("td", {}, list(p.masked_fields))));
  page(container,
    h("div", { class: "toolbar" }, h("h3", {}, name, " ", kindBadge(role)),
      builtIn(role) ? null : h("a", { href: `#security/roles/edit/${enc(name)}`, class: "button", id: "edit-role" }, "Edit role"),
      h("a", { href: `#security/mappings/edit/${enc(name)}`, class: "button secondary" }, "Map users")),
    role.description ? h("p", {}, role.description) : null,
    h("h4", {}, "Cluster permissions"), h("p", {}, list(role.cluster_permissions)),
    h("h4", {}, "Index permissions"),
    table(["Index patterns", "Allowed actions", "Document-level security", "Field-level security", "Masked fields"], permissions),
    h("h4", {}, "Mapped users"),
    h("dl", { class: "facts" }, h("dt", {}, "Users"), h("dd", {}, list(mapping.users)),
      h("dt", {}, "Backend roles"), h("dd", {}, list(mapping.backend_roles))));
}

// The action groups offered by the pickers, by type ("cluster" or "index").
async function actionGroups() {
  const groups = await call("GET", GROUPS).catch(() => ({}));
  const of = (type) => Object.entries(groups).filter(([, g]) => g.type === type || g.type === "all")
    .map(([value, g]) => ({ value, label: g.description || null })).sort((a, b) => a.value.localeCompare(b.value));
  return { cluster: of("cluster"), index: of("index") };
}

function indexPermission(permission, groups) {
  const values = permission.fls || [];
  const excluding = values.some((f) => f.startsWith("~"));
  const mode = h("select", { class: "fls-mode" },
    h("option", { value: "include", selected: !excluding }, "Include only these fields"),
    h("option", { value: "exclude", selected: excluding }, "Exclude these fields"));
  const patterns = chips("index_patterns", permission.index_patterns || [], [], "logs-* or ${user.name}-*");
  const actions = chips("allowed_actions", permission.allowed_actions || [], groups.index, "read, write, indices:data/read/search…");
  const dls = h("textarea", { class: "dls", rows: 4, spellcheck: "false", placeholder: '{"term": {"team": "blue"}}', value: permission.dls || "" });
  const fields = chips("fls", values.map((f) => f.replace(/^~/, "")), [], "field or pattern");
  const masked = chips("masked_fields", permission.masked_fields || [], [], "field or field::SHA-512");
  const block = h("fieldset", { class: "index-permission" },
    h("legend", {}, "Index permission"),
    field("Index patterns", patterns),
    field("Allowed actions", actions, "Action groups (offered as you type) or action names."),
    field("Document-level security", dls, "A query (JSON) that every document this role reads must match; empty: all documents."),
    h("div", { class: "field" }, h("span", { class: "label" }, "Field-level security"), mode, fields),
    field("Masked fields", masked, "Their values are shown as hashes."),
    h("button", { type: "button", class: "danger small", onclick: () => block.remove() }, "Remove index permission"));
  block.value = () => ({
    index_patterns: patterns.values(),
    allowed_actions: actions.values(),
    dls: dls.value.trim(),
    fls: fields.values().map((f) => (mode.value === "exclude" ? `~${f}` : f)),
    masked_fields: masked.values(),
  });
  return block;
}

async function renderForm(container, name) {
  const [found, groups] = await Promise.all([
    name ? call("GET", `${ROLES}/${enc(name)}`) : Promise.resolve({}), actionGroups()]);
  const role = found[name] || { cluster_permissions: [], index_permissions: [], tenant_permissions: [] };
  if (name && builtIn(role)) {
    page(container, notice(`The role ${name} is built in and read-only.`, "info"));
    return;
  }
  const status = h("div", { class: "status" });
  const roleName = h("input", { name: "name", value: name || "", readOnly: Boolean(name), required: true });
  const description = h("input", { name: "description", value: role.description || "" });
  const cluster = chips("cluster_permissions", role.cluster_permissions, groups.cluster, "cluster_monitor, cluster:monitor/health…");
  const blocks = h("div", { class: "index-permissions" },
    role.index_permissions.map((p) => indexPermission(p, groups)));
  const save = () => attempt(status, async () => {
    const target = name || roleName.value.trim();
    if (!target) throw new Error("Enter a role name.");
    const body = {
      cluster_permissions: cluster.values(),
      index_permissions: [...blocks.querySelectorAll(".index-permission")].map((b) => b.value()),
      tenant_permissions: role.tenant_permissions || [],
    };
    if (description.value) body.description = description.value;
    await call("PUT", `${ROLES}/${enc(target)}`, body);
    location.hash = `#security/roles/view/${enc(target)}`;
  });
  page(container, h("form", { class: "form wide", id: "role-form", onsubmit: (e) => { e.preventDefault(); save(); } },
    h("h3", {}, name ? `Edit role ${name}` : "Create role"),
    field("Name", roleName),
    field("Description", description),
    field("Cluster permissions", cluster, "Action groups (offered as you type) or action names."),
    h("h4", {}, "Index permissions"),
    blocks,
    h("button", { type: "button", class: "secondary", id: "add-index-permission",
      onclick: () => blocks.append(indexPermission({}, groups)) }, "Add index permission"),
    h("div", { class: "buttons" }, h("button", { type: "submit", id: "save-role" }, name ? "Save" : "Create"),
      h("a", { href: name ? `#security/roles/view/${enc(name)}` : "#security/roles", class: "button secondary" }, "Cancel")),
    status));
}
