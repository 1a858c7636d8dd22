// Index management → Create index: a name and the body PUT /<index> takes (settings, mappings,
// aliases) as JSON. A JSON mistake is shown before sending; the server's refusal (a bad name, an
// unknown mapping type) is shown as it gives it.

import { call, h } from "../lib.js";
import { attempt, enc, field, page } from "../widgets.js";

const EXAMPLE = {
  settings: { index: { number_of_shards: 1, number_of_replicas: 1, refresh_interval: "1s" } },
  mappings: { properties: { "@timestamp": { type: "date" }, message: { type: "text" } } },
  aliases: {},
};

// The parsed JSON of a text area, or an Error that says where it is wrong.
export function parseJson(text, what) {
  if (!text.trim()) return {};
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("it must be a JSON object {…}");
    return value;
  } catch (error) {
    throw new Error(`The ${what} is not valid JSON: ${error.message}. Fix it and try again.`);
  }
}

export function renderCreate(container) {
  const status = h("div", { class: "status", id: "create-status", "aria-live": "polite" });
  const name = h("input", { id: "index-name", required: true, autocomplete: "off", spellcheck: "false", placeholder: "logs-2026.12" });
  const body = h("textarea", { id: "index-body", rows: 16, spellcheck: "false" }, JSON.stringify(EXAMPLE, null, 2));
  const create = () => attempt(status, async () => {
    const index = name.value.trim();
    if (!index) throw new Error("Give the index a name (lowercase, no spaces, not starting with _, - or +).");
    await call("PUT", `/${enc(index)}`, parseJson(body.value, "index body"));
    location.hash = `#indices/index/${enc(index)}`;
  });
  page(container,
    h("form", { class: "form wide", id: "create-index-form", onsubmit: (event) => { event.preventDefault(); create(); } },
      h("h3", {}, "Create index"),
      field("Name", name, "Lowercase; index templates whose patterns match the name apply as well."),
      field("Settings, mappings and aliases (JSON)", body,
        "The body of PUT /<index>: \"settings\" (e.g. number_of_shards, refresh_interval), \"mappings\" (properties and their types), \"aliases\"."),
      status,
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "create-index-submit" }, "Create"),
        h("a", { href: "#indices/indices", class: "button secondary" }, "Cancel"))));
  name.focus();
}
