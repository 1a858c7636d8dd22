// Role mappings (_plugins/_security/api/rolesmapping): per role, the users and backend roles
// that have it.

import { call, h } from "../lib.js";
import { attempt, chips, enc, field, kindBadge, list, page, shown, table } from "../widgets.js";

const ROLES = "/_plugins/_security/api/roles";
const MAPPINGS = "/_plugins/_security/api/rolesmapping";

// #security/mappings, #security/mappings/edit/<role>
export async function renderMappings(container, [mode, role]) {
  await shown(container, async () => {
    if (mode === "edit") await renderForm(container, role);
    else await renderList(container);
  });
}

async function renderList(container) {
  const [roles, mappings] = await Promise.all([call("GET", ROLES), call("GET", MAPPINGS)]);
  const names = [...new Set([...Object.keys(roles), ...Object.keys(mappings)])].sort();
  const rows = names.map((name) => {
    const mapping = mappings[name] || {};
    return h("tr", { "data-role": name },
      h("td", {}, h("a", { href: `#security/roles/view/${enc(name)}` }, name)),
      h("td", {}, list(mapping.users)),
      h("td", {}, list(mapping.backend_roles)),
      h("td", {}, mapping.reserved ? kindBadge(mapping) : null),
      h("td", { class: "actions" }, mapping.reserved ? null
        : h("a", { href: `#security/mappings/edit/${enc(name)}`, class: "button secondary small" }, "Edit")));
  });
  page(container,
    h("p", { class: "hint" }, "A role reaches the users named in its mapping and every user with one of its backend roles."),
    table(["Role", "Users", "Backend roles", "", ""], rows));
}

async function renderForm(container, role) {
  const mappings = await call("GET", MAPPINGS);
  const mapping = mappings[role] || {};
  const users = await call("GET", "/_plugins/_security/api/internalusers").catch(() => ({}));
  const status = h("div", { class: "status" });
  const mappedUsers = chips("users", mapping.users || [], Object.keys(users).sort(), "user name");
  const backendRoles = chips("backend_roles", mapping.backend_roles || [], [], "backend role");
  const save = () => attempt(status, async () => {
    const body = {
      users: mappedUsers.values(),
      backend_roles: backendRoles.values(),
      hosts: mapping.hosts || [],
      and_backend_roles: mapping.and_backend_roles || [],
    };
    if (mapping.description) body.description = mapping.description;
    await call("PUT", `${MAPPINGS}/${enc(role)}`, body);
    location.hash = "#security/mappings";
  });
  const remove = () => attempt(status, async () => {
    if (!confirm(`Remove the mapping of ${role}?`)) return;
    await call("DELETE", `${MAPPINGS}/${enc(role)}`);
    location.hash = "#security/mappings";
  });
  page(container, h("form", { class: "form", id: "mapping-form", onsubmit: (e) => { e.preventDefault(); save(); } },
    h("h3", {}, `Map users to ${role}`),
    field("Users", mappedUsers, "Internal users (or patterns such as dev-*)."),
    field("Backend roles", backendRoles),
    h("div", { class: "buttons" }, h("button", { type: "submit", id: "save-mapping" }, "Save"),
      mappings[role] ? h("button", { type: "button", class: "danger", onclick: remove }, "Remove mapping") : null,
      h("a", { href: "#security/mappings", class: "button secondary" }, "Cancel")),
    status));
}
