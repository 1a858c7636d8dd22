// Ingest → HEC tokens: the tokens Splunk HTTP Event Collector senders authenticate with
// (`Authorization: Splunk <token>`), each bound to a default index and allowed indexes; create
// one (its value is shown once), turn it on or off, delete it, and send a first event with curl.
// With security on, tokens belong to users (_plugins/_security/api/hectokens: one's own, and
// everyone's with restapi:admin/hectokens); with security off the page uses Splunk's own token
// endpoints (services/data/inputs/http). Tokens from the configuration file (hec.tokens) are
// listed, never changed here.

import { ApiError, api, call, h, whoami } from "../lib.js";
import { attempt, badge, chips, copyable, enc, field, list, page, shown, table } from "../widgets.js";

const PLUGIN = "/_plugins/_security/api/hectokens";
const SPLUNK = "/services/data/inputs/http";
// Splunk's endpoints take form bodies, so they want an Authorization header (the proof that a
// request is not a cross-site form post); with security off any value is taken.
const SPLUNK_HEADERS = { "Content-Type": "application/x-www-form-urlencoded", Authorization: "Loghaven ui" };

// A request to Splunk's endpoints: their JSON (output_mode=json), or an ApiError with the
// reason in Splunk's {"messages": [...]}.
async function splunk(method, path, form) {
  const query = `${path}${path.includes("?") ? "&" : "?"}output_mode=json`;
  const result = await api(method, query, form ? new URLSearchParams(form).toString() : undefined, SPLUNK_HEADERS);
  let parsed = null;
  try { parsed = JSON.parse(result.text); } catch { parsed = result.text; }
  if (result.status >= 400) throw new ApiError(result.status, parsed);
  return parsed;
}

// The two ways to the same tokens, as {name, user, index, indexes, useACK, disabled, source,
// sourcetype, host, description, config}.
const SECURED = {
  async list() {
    return Object.entries(await call("GET", PLUGIN)).map(([name, t]) => ({ ...t, name, config: t.origin === "config" }));
  },
  async create(name, fields) {
    return (await call("PUT", `${PLUGIN}/${enc(name)}`, fields)).token;
  },
  setDisabled: (name, disabled) => call("PUT", `${PLUGIN}/${enc(name)}`, { disabled }),
  remove: (name) => call("DELETE", `${PLUGIN}/${enc(name)}`),
};
const OPEN = {
  async list() {
    return (await splunk("GET", SPLUNK)).entry.map((e) => ({ ...e.content, name: e.name.replace(/^http:\/\//, ""),
      user: null, config: !e.acl?.can_write }));
  },
  async create(name, fields) {
    const form = { name };
    for (const [key, value] of Object.entries(fields)) {
      if (Array.isArray(value)) { if (value.length) form[key] = value.join(","); }
      else if (typeof value === "boolean") form[key] = value ? "1" : "0";
      else if (value) form[key] = value;
    }
    return (await splunk("POST", SPLUNK, form)).entry[0].content.token;
  },
  setDisabled: (name, disabled) => splunk("POST", `${SPLUNK}/${enc(name)}/${disabled ? "disable" : "enable"}`),
  remove: (name) => splunk("DELETE", `${SPLUNK}/${enc(name)}`),
};

// A curl command that sends one event with `token` (a channel when the token wants acks).
function curlExample(token, useACK) {
  const lines = [`curl "${location.origin}/services/collector/event" \\`, `  -H "Authorization: Splunk ${token}" \\`];
  if (useACK) lines.push(`  -H "X-Splunk-Request-Channel: ${crypto.randomUUID ? crypto.randomUUID() : "<a GUID of yours>"}" \\`);
  lines.push(`  -d '{"event": "hello from curl", "sourcetype": "manual"}'`);
  return lines.join("\n");
}

// #ingest/hec
export async function renderHecTokens(container) {
  await shown(container, async () => {
    const tokens = (await whoami()).user_name ? SECURED : OPEN;
    await render(container, tokens);
  });
}

function flags(token) {
  return [token.disabled ? badge("disabled", "off") : badge("enabled", "on"), token.useACK ? badge("ack") : null,
    token.config ? badge("config file", "reserved") : null];
}

async function render(container, tokens) {
  const secured = tokens === SECURED;
  const status = h("div", { class: "status", id: "hec-status" });
  const created = h("div", { id: "created-token" });
  const listing = h("div", { id: "hec-list" });
  const refresh = async () => {
    const rows = (await tokens.list()).sort((a, b) => a.name.localeCompare(b.name)).map((t) => h("tr", { "data-token": t.name },
      h("td", {}, h("strong", {}, t.name), t.description ? h("div", { class: "muted" }, t.description) : null),
      secured ? h("td", {}, t.user) : null,
      h("td", { class: "index" }, t.index || h("span", { class: "muted" }, "main")),
      h("td", { class: "indexes" }, t.indexes?.length ? list(t.indexes) : h("span", { class: "muted" }, "any")),
      h("td", {}, list([t.source, t.sourcetype, t.host].filter(Boolean))),
      h("td", { class: "state" }, flags(t)),
      h("td", { class: "actions" }, t.config ? null : [
        h("button", { type: "button", class: "secondary small toggle", onclick: () => attempt(status, async () => {
          await tokens.setDisabled(t.name, !t.disabled);
          await refresh();
        }) }, t.disabled ? "Enable" : "Disable"),
        h("button", { type: "button", class: "danger small delete", onclick: () => attempt(status, async () => {
          if (!confirm(`Delete the HEC token ${t.name}? Senders using it are refused from the next request.`)) return;
          await tokens.remove(t.name);
          await refresh();
        }) }, "Delete")])));
    const headers = ["Name", secured ? "Owner" : null, "Default index", "Allowed indexes", "Source, sourcetype, host", "State", ""].filter(Boolean);
    listing.replaceChildren(table(headers, rows, "No HEC tokens yet."));
  };
  await refresh();  // a refusal (e.g. 403) replaces the page with its reason

  const name = h("input", { name: "name", id: "hec-name", required: true, placeholder: "firewall-senders" });
  const index = h("input", { name: "index", id: "hec-index", placeholder: "main" });
  const indexes = chips("indexes", [], [], "index or pattern");
  const useACK = h("input", { type: "checkbox", name: "useACK", id: "hec-ack" });
  const source = h("input", { name: "source", id: "hec-source" });
  const sourcetype = h("input", { name: "sourcetype", id: "hec-sourcetype" });
  const description = h("input", { name: "description", id: "hec-description" });
  const formStatus = h("div", { class: "status", id: "hec-form-status" });
  const create = () => attempt(formStatus, async () => {
    const tokenName = name.value.trim();
    if (!tokenName) throw new Error("Enter the token's name (letters, digits, '_', '.' or '-').");
    const fields = { index: index.value.trim() || undefined, indexes: indexes.values(), useACK: useACK.checked,
      source: source.value.trim() || undefined, sourcetype: sourcetype.value.trim() || undefined,
      description: description.value.trim() || undefined };
    const token = await tokens.create(tokenName, fields);
    created.replaceChildren(shownOnce(tokenName, token, useACK.checked));
    name.value = index.value = source.value = sourcetype.value = description.value = "";
    useACK.checked = false;
    for (const chip of indexes.querySelectorAll(".chip")) chip.remove();
    await refresh();
  });
  page(container,
    h("p", { class: "hint" }, "Splunk HTTP Event Collector senders (Firehose's Splunk destination, Splunk's logging libraries, curl) post to ",
      h("code", {}, "/services/collector/event"), " and ", h("code", {}, "/services/collector/raw"), " of this node with ",
      h("code", {}, "Authorization: Splunk <token>"), "."),
    h("form", { class: "form", id: "hec-form", onsubmit: (e) => { e.preventDefault(); create(); } },
      h("h3", {}, "Create HEC token"),
      field("Name", name),
      field("Default index", index, "Where events that name no index go (Splunk's main when empty)."),
      field("Allowed indexes", indexes, secured ? "The indexes events may name; empty: any that you may write." : "The indexes events may name; empty: any."),
      h("label", { class: "field check" }, useACK, " Indexer acknowledgement (useACK)",
        h("span", { class: "hint" }, "Senders then name a channel and poll /services/collector/ack until their events are durable (Firehose's Splunk destination does).")),
      field("Source (optional)", source), field("Sourcetype (optional)", sourcetype, "The defaults of events that name none."),
      field("Description (optional)", description),
      h("button", { type: "submit", id: "create-token" }, "Create token"),
      formStatus),
    created,
    h("div", { class: "toolbar" }, h("h3", {}, "HEC tokens")),
    status, listing,
    h("details", { class: "example" }, h("summary", {}, "Send an event with curl"),
      h("pre", { class: "json" }, curlExample("<token>", false))));
}

// The new token: shown here once, never again, with a curl command that uses it.
function shownOnce(name, token, useACK) {
  return h("div", { class: "notice success", role: "status" },
    h("p", {}, "HEC token ", h("strong", {}, name), " created. Copy it now: it is not shown again."),
    copyable("new-token-value", token, "copy-token"),
    h("p", {}, "Send an event with it:"),
    h("pre", { class: "json", id: "token-example" }, curlExample(token, useACK)));
}
