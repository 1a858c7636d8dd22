// API keys (Elasticsearch's _security/api_key): one's own, or every user's for those allowed
// to manage them; create one (its secret is shown once), invalidate.

import { call, h } from "../lib.js";
import { attempt, badge, copyable, field, list, page, table } from "../widgets.js";

const KEYS = "/_security/api_key";

const when = (millis) => (millis ? new Date(millis).toISOString().replace("T", " ").slice(0, 19) + " UTC" : null);

export async function renderApiKeys(container) {
  const status = h("div", { class: "status" });
  const created = h("div", { id: "created-key" });
  const mine = h("input", { type: "checkbox", id: "only-mine" });
  const listing = h("div", {});
  const refresh = () => attempt(status, async () => {
    const { api_keys: keys } = await call("GET", mine.checked ? `${KEYS}?owner=true` : KEYS);
    const rows = keys.slice().reverse().map((key) => h("tr", { "data-key": key.id },
      h("td", {}, h("strong", {}, key.name)),
      h("td", {}, h("code", {}, key.id)),
      h("td", {}, key.username),
      h("td", {}, when(key.creation)),
      h("td", {}, when(key.expiration) || list([])),
      h("td", {}, Object.keys(key.role_descriptors || {}).length ? list(Object.keys(key.role_descriptors)) : "owner's"),
      h("td", {}, key.invalidated ? badge("invalidated", "off") : badge("active", "on")),
      h("td", { class: "actions" }, key.invalidated ? null : h("button", { type: "button", class: "danger small",
        onclick: () => attempt(status, async () => {
          if (!confirm(`Invalidate the API key ${key.name}?`)) return;
          await call("DELETE", KEYS, { ids: [key.id] });
          await refresh();
        }) }, "Invalidate"))));
    listing.replaceChildren(table(["Name", "ID", "Owner", "Created", "Expires", "Roles", "Status", ""], rows, "No API keys."));
  });
  mine.addEventListener("change", refresh);

  const name = h("input", { name: "name", id: "key-name", required: true });
  const expiration = h("input", { name: "expiration", id: "key-expiration", placeholder: "e.g. 30d, 12h (empty: never)" });
  const descriptors = h("textarea", { name: "role_descriptors", id: "key-descriptors", rows: 5, spellcheck: "false",
    placeholder: '{"reader": {"indices": [{"names": ["logs-*"], "privileges": ["read"]}]}}' });
  const formStatus = h("div", { class: "status" });
  const create = () => attempt(formStatus, async () => {
    const body = { name: name.value };
    if (expiration.value.trim()) body.expiration = expiration.value.trim();
    if (descriptors.value.trim()) {
      try { body.role_descriptors = JSON.parse(descriptors.value); }
      catch (error) { throw new Error(`Role descriptors are not JSON: ${error.message}`); }
    }
    const key = await call("POST", KEYS, body);
    name.value = expiration.value = descriptors.value = "";
    created.replaceChildren(shownOnce(key));
    await refresh();
  });
  page(container,
    h("form", { class: "form", id: "key-form", onsubmit: (e) => { e.preventDefault(); create(); } },
      h("h3", {}, "Create API key"),
      field("Name", name),
      field("Expiration", expiration),
      field("Role descriptors (optional)", descriptors, "JSON as Elasticsearch takes it; the key can never do more than you can. Empty: all of your permissions."),
      h("button", { type: "submit", id: "create-key" }, "Create API key"),
      formStatus),
    created,
    h("div", { class: "toolbar" }, h("h3", {}, "API keys"),
      h("label", { class: "inline" }, mine, " Only my keys")),
    status, listing);
  await refresh();
}

// The new key's credentials: shown here once, never again.
function shownOnce(key) {
  return h("div", { class: "notice success", role: "status" },
    h("p", {}, "API key ", h("strong", {}, key.name), " created (id ", h("code", {}, key.id), "). ",
      "Copy it now: it is not shown again. Send it as ", h("code", {}, "Authorization: ApiKey <key>"), "."),
    copyable("new-key-value", key.encoded, "copy-key"));
}
