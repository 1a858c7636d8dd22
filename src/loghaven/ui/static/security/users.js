// Internal users (_plugins/_security/api/internalusers): list, create, edit, delete, reset a
// password.

import { call, h } from "../lib.js";
import { attempt, builtIn, chips, enc, field, kindBadge, list, notice, page, rowActions, shown, table } from "../widgets.js";

const USERS = "/_plugins/_security/api/internalusers";
const ROLES = "/_plugins/_security/api/roles";
const MAPPINGS = "/_plugins/_security/api/rolesmapping";

// #security/users, #security/users/new, #security/users/edit/<name>
export async function renderUsers(container, [mode, name]) {
  await shown(container, async () => {
    if (mode === "new" || mode === "edit") await renderForm(container, mode === "edit" ? name : null);
    else await renderList(container);
  });
}

// Roles that reach a user through a mapping that names it; a user who may not read the
// mappings sees the roles on the user record only.
async function mappedRoles() {
  try { return await call("GET", MAPPINGS); } catch { return {}; }
}

async function renderList(container) {
  const [users, mappings] = await Promise.all([call("GET", USERS), mappedRoles()]);
  const status = h("div", { class: "status" });
  const rows = Object.entries(users).sort(([a], [b]) => a.localeCompare(b)).map(([name, user]) => {
    const roles = new Set(user.opendistro_security_roles);
    for (const [role, mapping] of Object.entries(mappings)) if ((mapping.users || []).includes(name)) roles.add(role);
    const attributes = Object.entries(user.attributes || {}).map(([k, v]) => `${k}=${v}`);
    return h("tr", { "data-user": name },
      h("td", {}, h("strong", {}, name), " ", builtIn(user) ? kindBadge(user) : null),
      h("td", {}, list(user.backend_roles)),
      h("td", {}, list([...roles].sort())),
      h("td", {}, list(attributes)),
      h("td", { class: "actions" }, builtIn(user) ? null : rowActions(status, `#security/users/edit/${enc(name)}`, `the internal user ${name}`,
        `${USERS}/${enc(name)}`, () => renderList(container))));
  });
  page(container,
    h("div", { class: "toolbar" }, h("p", { class: "hint" }, "Users kept by this node; each logs in with its password."),
      h("a", { href: "#security/users/new", class: "button", id: "create-user" }, "Create internal user")),
    status,
    table(["User name", "Backend roles", "Roles", "Attributes", ""], rows));
}

function attributeRows(attributes) {
  const rows = h("div", { class: "attributes" });
  const add = (key = "", value = "") => rows.append(h("div", { class: "attribute" },
    h("input", { class: "attribute-key", placeholder: "name", value: key }),
    h("input", { class: "attribute-value", placeholder: "value", value }),
    h("button", { type: "button", class: "secondary small", onclick: (e) => e.target.closest(".attribute").remove() }, "Remove")));
  for (const [key, value] of Object.entries(attributes || {})) add(key, value);
  rows.values = () => Object.fromEntries([...rows.querySelectorAll(".attribute")]
    .map((row) => [row.querySelector(".attribute-key").value.trim(), row.querySelector(".attribute-value").value])
    .filter(([key]) => key));
  return [rows, h("button", { type: "button", class: "secondary small", onclick: () => add() }, "Add attribute")];
}

function passwordPair() {
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password" });
  const repeat = h("input", { name: "repeat", type: "password", autocomplete: "new-password" });
  const value = () => {
    if (!password.value) throw new Error("Enter a password.");
    if (password.value !== repeat.value) throw new Error("The passwords do not match.");
    return password.value;
  };
  return { password, repeat, value };
}

async function renderForm(container, name) {
  const [existing, roles] = await Promise.all([
    name ? call("GET", `${USERS}/${enc(name)}`).then((found) => found[name]) : Promise.resolve(null),
    call("GET", ROLES).catch(() => ({})),
  ]);
  const user = existing || {};
  const status = h("div", { class: "status" });
  const username = h("input", { name: "username", value: name || "", readOnly: Boolean(name), required: true });
  const pair = passwordPair();
  const backendRoles = chips("backend_roles", user.backend_roles || [], [], "backend role");
  const securityRoles = chips("roles", user.opendistro_security_roles || [], Object.keys(roles).sort(), "role");
  const [attributes, addAttribute] = attributeRows(user.attributes);
  const description = h("input", { name: "description", value: user.description || "" });
  const save = () => attempt(status, async () => {
    const body = {
      backend_roles: backendRoles.values(),
      opendistro_security_roles: securityRoles.values(),
      attributes: attributes.values(),
    };
    if (description.value) body.description = description.value;
    if (!name) body.password = pair.value();
    const target = name || username.value.trim();
    if (!target) throw new Error("Enter a user name.");
    await call("PUT", `${USERS}/${enc(target)}`, body);
    location.hash = "#security/users";
  });
  const form = h("form", { class: "form", id: "user-form", onsubmit: (e) => { e.preventDefault(); save(); } },
    h("h3", {}, name ? `Edit internal user ${name}` : "Create internal user"),
    field("User name", username),
    name ? null : [field("Password", pair.password), field("Repeat the password", pair.repeat)],
    field("Backend roles", backendRoles, "Roles from outside (mapped to security roles in Role mappings)."),
    field("Security roles", securityRoles, "Roles given to this user directly."),
    h("div", { class: "field" }, h("span", { class: "label" }, "Attributes"), attributes, addAttribute,
      h("span", { class: "hint" }, "Usable in index patterns and DLS queries as ${attr.internal.<name>}.")),
    field("Description", description),
    h("div", { class: "buttons" }, h("button", { type: "submit", id: "save-user" }, name ? "Save" : "Create"),
      h("a", { href: "#security/users", class: "button secondary" }, "Cancel")),
    status);
  page(container, form, name ? resetPassword(name) : null);
}

// An administrator sets a new password (JSON Patch of the user's password).
function resetPassword(name) {
  const status = h("div", { class: "status" });
  const pair = passwordPair();
  const reset = () => attempt(status, async () => {
    const answer = await call("PATCH", `${USERS}/${enc(name)}`, [{ op: "add", path: "/password", value: pair.value() }]);
    pair.password.value = pair.repeat.value = "";
    status.replaceChildren(notice(answer.message, "success"));
  });
  return h("form", { class: "form", id: "reset-password", onsubmit: (e) => { e.preventDefault(); reset(); } },
    h("h3", {}, "Reset password"),
    field("New password", pair.password), field("Repeat the password", pair.repeat),
    h("button", { type: "submit" }, "Reset password"), status);
}
